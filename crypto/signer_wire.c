#include "crypto/signer_wire.h"

#include <string.h>

#include "crypto/error.h"

/* A kid is printable ASCII without spaces (ours are base64url). */
static int kid_read(eid_rd *rd, char kid[EID_SIGNER_KID_MAX + 1])
{
	const uint8_t *p;
	uint8_t n;

	if (eid_rd_u8(rd, &n) != EID_OK || n == 0 || n > EID_SIGNER_KID_MAX ||
	    eid_rd_bytes(rd, n, &p) != EID_OK)
		return EID_EMALFORMED;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return EID_EMALFORMED;
	memcpy(kid, p, n);
	kid[n] = '\0';
	return EID_OK;
}

static int kid_put(const char *kid, eid_buf *out)
{
	size_t n = kid != NULL ? strlen(kid) : 0;
	int r;

	if (n == 0 || n > EID_SIGNER_KID_MAX)
		return EID_EINVAL;
	if ((r = eid_buf_put_u8(out, (uint8_t)n)) != EID_OK)
		return r;
	return eid_buf_put(out, kid, n);
}

static int alg_read(eid_rd *rd, eid_alg *ret)
{
	uint8_t a;

	if (eid_rd_u8(rd, &a) != EID_OK)
		return EID_EMALFORMED;
	if (eid_alg_info_get((eid_alg)a) == NULL)
		return EID_EMALFORMED;
	*ret = (eid_alg)a;
	return EID_OK;
}

static int header_put(uint8_t second, eid_buf *out)
{
	int r = eid_buf_put_u8(out, EID_SIGNER_VERSION);

	return r == EID_OK ? eid_buf_put_u8(out, second) : r;
}

/* A u16 length and the bytes: a sealed blob, in a request or an answer. */
static int blob_put(const uint8_t *blob, size_t len, eid_buf *out)
{
	int r;

	if (blob == NULL || len == 0 || len > EID_SIGNER_PAYLOAD_MAX)
		return EID_EINVAL;
	if ((r = eid_buf_put_u16be(out, (uint16_t)len)) != EID_OK)
		return r;
	return eid_buf_put(out, blob, len);
}

static int blob_read(eid_rd *rd, const uint8_t **ret, size_t *ret_len)
{
	uint16_t n;

	if (eid_rd_u16be(rd, &n) != EID_OK || n == 0 ||
	    n > EID_SIGNER_PAYLOAD_MAX || eid_rd_bytes(rd, n, ret) != EID_OK)
		return EID_EMALFORMED;
	*ret_len = n;
	return EID_OK;
}

static int load_put(uint8_t op, const uint8_t *blob, size_t len,
		    eid_buf *out)
{
	int r;

	if (blob == NULL || len == 0 || len > EID_SIGNER_PAYLOAD_MAX)
		return EID_EINVAL;
	if ((r = header_put(op, out)) != EID_OK)
		return r;
	return blob_put(blob, len, out);
}

int eid_signer_req_load(const uint8_t *blob, size_t len, eid_buf *out)
{
	return load_put(EID_SIGNER_LOAD, blob, len, out);
}

int eid_signer_req_load_short(const uint8_t *blob, size_t len, eid_buf *out)
{
	return load_put(EID_SIGNER_LOAD_SHORT, blob, len, out);
}

int eid_signer_req_generate(eid_alg alg, eid_buf *out)
{
	int r;

	if (eid_alg_info_get(alg) == NULL)
		return EID_EINVAL;
	if ((r = header_put(EID_SIGNER_GENERATE, out)) != EID_OK)
		return r;
	return eid_buf_put_u8(out, (uint8_t)alg);
}

int eid_signer_req_sign(const char *kid, eid_alg alg, const uint8_t *digest,
			size_t digest_len, eid_buf *out)
{
	int r;

	if (digest == NULL || digest_len == 0 ||
	    digest_len > EID_SIGNER_DIGEST_MAX || eid_alg_info_get(alg) == NULL)
		return EID_EINVAL;
	if ((r = header_put(EID_SIGNER_SIGN, out)) != EID_OK ||
	    (r = eid_buf_put_u8(out, (uint8_t)alg)) != EID_OK ||
	    (r = kid_put(kid, out)) != EID_OK ||
	    (r = eid_buf_put_u8(out, (uint8_t)digest_len)) != EID_OK)
		return r;
	return eid_buf_put(out, digest, digest_len);
}

static int sign_parse(eid_rd *rd, struct eid_signer_req *req)
{
	uint8_t n;

	if (alg_read(rd, &req->alg) != EID_OK ||
	    kid_read(rd, req->kid) != EID_OK ||
	    eid_rd_u8(rd, &n) != EID_OK || n == 0 ||
	    n > EID_SIGNER_DIGEST_MAX ||
	    eid_rd_bytes(rd, n, &req->digest) != EID_OK)
		return EID_EMALFORMED;
	req->digest_len = n;
	return EID_OK;
}

int eid_signer_req_parse(const uint8_t *msg, size_t len,
			 struct eid_signer_req *ret)
{
	struct eid_signer_req req;
	eid_rd rd = eid_rd_make(msg, len);
	uint8_t v, op;

	if (len > EID_SIGNER_MSG_MAX)
		return EID_ETOOBIG;
	memset(&req, 0, sizeof(req));
	if (eid_rd_u8(&rd, &v) != EID_OK || v != EID_SIGNER_VERSION ||
	    eid_rd_u8(&rd, &op) != EID_OK)
		return EID_EMALFORMED;
	req.op = (enum eid_signer_op)op;
	if (op == EID_SIGNER_LOAD || op == EID_SIGNER_LOAD_SHORT) {
		if (blob_read(&rd, &req.blob, &req.blob_len) != EID_OK)
			return EID_EMALFORMED;
	} else if (op == EID_SIGNER_GENERATE) {
		if (alg_read(&rd, &req.alg) != EID_OK)
			return EID_EMALFORMED;
	} else if (op != EID_SIGNER_SIGN || sign_parse(&rd, &req) != EID_OK) {
		return EID_EMALFORMED;
	}
	if (eid_rd_left(&rd) != 0)
		return EID_EMALFORMED;
	*ret = req;
	return EID_OK;
}

int eid_signer_resp_put(int status, const uint8_t *payload, size_t len,
			eid_buf *out)
{
	int r;

	if (status > 0 || status < -255 || len > EID_SIGNER_PAYLOAD_MAX ||
	    (status != EID_OK && len != 0) || (len > 0 && payload == NULL))
		return EID_EINVAL;
	if ((r = header_put((uint8_t)-status, out)) != EID_OK ||
	    (r = eid_buf_put_u16be(out, (uint16_t)len)) != EID_OK)
		return r;
	return len > 0 ? eid_buf_put(out, payload, len) : EID_OK;
}

int eid_signer_resp_parse(const uint8_t *msg, size_t len,
			  struct eid_signer_resp *ret)
{
	eid_rd rd = eid_rd_make(msg, len);
	const uint8_t *p = NULL;
	uint8_t v, st;
	uint16_t n;

	if (len > EID_SIGNER_MSG_MAX)
		return EID_ETOOBIG;
	if (eid_rd_u8(&rd, &v) != EID_OK || v != EID_SIGNER_VERSION ||
	    eid_rd_u8(&rd, &st) != EID_OK || eid_rd_u16be(&rd, &n) != EID_OK ||
	    n > EID_SIGNER_PAYLOAD_MAX || (st != 0 && n != 0) ||
	    (n > 0 && eid_rd_bytes(&rd, n, &p) != EID_OK) ||
	    eid_rd_left(&rd) != 0)
		return EID_EMALFORMED;
	ret->status = -(int)st;
	ret->payload = p;
	ret->len = n;
	return EID_OK;
}

int eid_signer_pub_put(eid_alg alg, const char *kid, const uint8_t *spki,
		       size_t spki_len, eid_buf *out)
{
	int r;

	if (spki == NULL || spki_len == 0 || eid_alg_info_get(alg) == NULL)
		return EID_EINVAL;
	if ((r = eid_buf_put_u8(out, (uint8_t)alg)) != EID_OK ||
	    (r = kid_put(kid, out)) != EID_OK)
		return r;
	return eid_buf_put(out, spki, spki_len);
}

int eid_signer_pub_parse(const uint8_t *p, size_t len,
			 struct eid_signer_pub *ret)
{
	struct eid_signer_pub pub;
	eid_rd rd = eid_rd_make(p, len);

	memset(&pub, 0, sizeof(pub));
	if (alg_read(&rd, &pub.alg) != EID_OK ||
	    kid_read(&rd, pub.kid) != EID_OK || eid_rd_left(&rd) == 0)
		return EID_EMALFORMED;
	pub.spki_len = eid_rd_left(&rd);
	pub.spki = eid_rd_ptr(&rd);
	*ret = pub;
	return EID_OK;
}

int eid_signer_gen_put(const uint8_t *blob, size_t blob_len, eid_alg alg,
		       const char *kid, const uint8_t *spki, size_t spki_len,
		       eid_buf *out)
{
	int r = blob_put(blob, blob_len, out);

	return r == EID_OK ? eid_signer_pub_put(alg, kid, spki, spki_len, out) :
			     r;
}

int eid_signer_gen_parse(const uint8_t *p, size_t len,
			 struct eid_signer_gen *ret)
{
	struct eid_signer_gen gen;
	eid_rd rd = eid_rd_make(p, len);

	memset(&gen, 0, sizeof(gen));
	if (blob_read(&rd, &gen.blob, &gen.blob_len) != EID_OK ||
	    eid_signer_pub_parse(eid_rd_ptr(&rd), eid_rd_left(&rd),
				 &gen.pub) != EID_OK)
		return EID_EMALFORMED;
	*ret = gen;
	return EID_OK;
}
