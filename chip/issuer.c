#include "chip/issuer.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/error.h"

int eid_issuer_keygen(enum eid_issuer_key kind, EVP_PKEY **ret_key)
{
	EVP_PKEY *key = NULL;

	if (kind == EID_ISSUER_KEY_P256)
		key = EVP_EC_gen("prime256v1");
	else if (kind == EID_ISSUER_KEY_RSA2048)
		key = EVP_RSA_gen(2048);
	else
		return EID_EINVAL;
	if (key == NULL)
		return EID_ECRYPTO;
	*ret_key = key;
	return EID_OK;
}

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return false;
	ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static bool set_name(X509 *x, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(x);

	return X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
					  (const unsigned char *)"VN", -1, -1,
					  0) == 1 &&
	       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					  (const unsigned char *)cn, -1, -1,
					  0) == 1;
}

static bool add_usage(X509 *x, X509 *iss, bool ca)
{
	if (ca)
		return add_ext(x, iss, NID_basic_constraints,
			       "critical,CA:TRUE") &&
		       add_ext(x, iss, NID_key_usage,
			       "critical,keyCertSign,cRLSign");
	return add_ext(x, iss, NID_key_usage, "critical,digitalSignature");
}

int eid_issuer_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
		    EVP_PKEY *issuer_key, long from_secs, long to_secs,
		    long serial, bool ca, X509 **ret_cert)
{
	X509 *x = X509_new();
	X509 *iss;
	bool ok;

	if (x == NULL)
		return EID_ENOMEM;
	iss = issuer != NULL ? issuer : x;
	ok = X509_set_version(x, 2) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), from_secs) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), to_secs) &&
	     X509_set_pubkey(x, key) && set_name(x, cn) &&
	     X509_set_issuer_name(x, X509_get_subject_name(iss)) &&
	     add_ext(x, iss, NID_subject_key_identifier, "hash") &&
	     add_ext(x, iss, NID_authority_key_identifier, "keyid:always") &&
	     add_usage(x, iss, ca) &&
	     X509_sign(x, issuer_key != NULL ? issuer_key : key,
		       EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return EID_ECRYPTO;
	}
	*ret_cert = x;
	return EID_OK;
}

/* PEM text from a memory BIO into path (mode as given, atomically). */
static int write_bio(BIO *bio, bool ok, const char *path, unsigned mode)
{
	eid_buf b;
	char *p = NULL;
	long n;
	int r = EID_ECRYPTO;

	eid_buf_init_secret(&b, 1u << 20);
	if (ok && (n = BIO_get_mem_data(bio, &p)) > 0 &&
	    (r = eid_buf_put(&b, p, (size_t)n)) == EID_OK)
		r = eid_buf_write_file(&b, path, mode);
	eid_buf_free(&b);
	BIO_free(bio);
	return r;
}

int eid_issuer_write_cert(const char *path, X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (bio == NULL)
		return EID_ENOMEM;
	return write_bio(bio, PEM_write_bio_X509(bio, x) == 1, path, 0644);
}

int eid_issuer_write_key(const char *path, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());

	if (bio == NULL)
		return EID_ENOMEM;
	return write_bio(bio, PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
						       NULL, NULL) == 1,
			 path, 0600);
}

/* A PEM file's text in a memory BIO (NULL with *ret_r set on failure). */
static BIO *read_bio(const char *path, eid_buf *b, int *ret_r)
{
	BIO *bio;

	if ((*ret_r = eid_buf_read_file(b, path)) != EID_OK)
		return NULL;
	if ((bio = BIO_new_mem_buf(b->data, (int)b->len)) == NULL)
		*ret_r = EID_ENOMEM;
	return bio;
}

int eid_issuer_read_cert(const char *path, X509 **ret_cert)
{
	eid_buf b;
	X509 *x = NULL;
	BIO *bio;
	int r;

	eid_buf_init(&b, 1u << 20);
	if ((bio = read_bio(path, &b, &r)) != NULL) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		r = x != NULL ? EID_OK : EID_EMALFORMED;
		BIO_free(bio);
	}
	eid_buf_free(&b);
	if (r == EID_OK)
		*ret_cert = x;
	return r;
}

int eid_issuer_read_key(const char *path, EVP_PKEY **ret_key)
{
	EVP_PKEY *k = NULL;
	eid_buf b;
	BIO *bio;
	int r;

	eid_buf_init_secret(&b, 1u << 20);
	if ((bio = read_bio(path, &b, &r)) != NULL) {
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		r = k != NULL ? EID_OK : EID_EMALFORMED;
		BIO_free(bio);
	}
	eid_buf_free(&b);
	if (r == EID_OK)
		*ret_key = k;
	return r;
}

int eid_issuer_key_pkcs8(EVP_PKEY *key, eid_buf *out)
{
	unsigned char *der = NULL;
	int n, r;

	/* i2d_PrivateKey writes the traditional form for some key types;
	 * PKCS#8 goes through the PKCS8_PRIV_KEY_INFO. */
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);

	if (p8 == NULL)
		return EID_ECRYPTO;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0)
		return EID_ECRYPTO;
	r = eid_buf_put(out, der, (size_t)n);
	OPENSSL_clear_free(der, (size_t)n);
	return r;
}

/* ---- the face: a DC-only baseline JPEG ---- */

/* The ITU T.81 Annex K luminance DC table: code lengths 2..9 for
 * categories 0..11. */
static const uint8_t dc_bits[16] = { 0, 1, 5, 1, 1, 1, 1, 1, 1 };
/* Two AC symbols of two bits each: EOB (00) is all a DC-only block needs;
 * ZRL fills the table out so no code is all ones. */
static const uint8_t ac_bits[16] = { 0, 2 };
static const uint8_t ac_vals[2] = { 0x00, 0xf0 };
#define DC_QUANT 8 /* so a block's quantised DC is its mean minus 128 */

struct bits {
	eid_buf *out;
	uint32_t acc;
	int n;
	int err;
};

static void put_bits(struct bits *b, uint32_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		b->acc = b->acc << 1 | ((v >> i) & 1u);
		if (++b->n < 8)
			continue;
		if (b->err == EID_OK)
			b->err = eid_buf_put_u8(b->out, (uint8_t)b->acc);
		if (b->err == EID_OK && (b->acc & 0xff) == 0xff)
			b->err = eid_buf_put_u8(b->out, 0); /* byte stuffing */
		b->acc = 0;
		b->n = 0;
	}
}

/* Canonical Huffman code of DC category cat (Annex C). */
static void dc_code(int cat, uint32_t *ret_code, int *ret_len)
{
	uint32_t code = 0;
	int k = 0;

	for (int len = 1; len <= 16; len++) {
		for (int i = 0; i < dc_bits[len - 1]; i++, k++) {
			if (k == cat) {
				*ret_code = code;
				*ret_len = len;
				return;
			}
			code++;
		}
		code <<= 1;
	}
}

static void put_dc(struct bits *b, int diff)
{
	int cat = 0, mag = diff < 0 ? -diff : diff, len = 2;
	uint32_t code = 0;

	while (mag >> cat)
		cat++;
	dc_code(cat, &code, &len);
	put_bits(b, code, len);
	if (cat > 0)
		put_bits(b, (uint32_t)(diff < 0 ? diff + (1 << cat) - 1 : diff),
			 cat);
	put_bits(b, 0, 2); /* EOB */
}

/* The gray level of the block at (bx, by) of a bw x bh grid: a light
 * background, an oval face, two eyes and a mouth. */
static int face_level(unsigned bx, unsigned by, unsigned bw, unsigned bh)
{
	long dx = 2L * bx + 1 - (long)bw, dy = 2L * by + 1 - (long)bh;
	long rx = bw * 7L / 10, ry = bh * 8L / 10;
	long eye_y = (long)bh * 2 / 5, mouth_y = (long)bh * 7 / 10;

	if (dx * dx * ry * ry + dy * dy * rx * rx > rx * rx * ry * ry)
		return 215;
	if ((long)by == eye_y && (dx == -(rx / 2) || dx == rx / 2 ||
				  dx == -(rx / 2) - 1 || dx == rx / 2 + 1))
		return 50;
	if ((long)by == mouth_y && dx >= -rx / 3 && dx <= rx / 3)
		return 90;
	return 165;
}

static int put_segment(eid_buf *o, uint8_t marker, const uint8_t *p,
		       size_t n)
{
	int r;

	if ((r = eid_buf_put_u8(o, 0xff)) || (r = eid_buf_put_u8(o, marker)) ||
	    (r = eid_buf_put_u16be(o, (uint16_t)(n + 2))))
		return r;
	return eid_buf_put(o, p, n);
}

/* DQT, SOF0, both DHTs and SOS (SOI and APP0 come first, apart). */
static int put_tables(eid_buf *o, unsigned w, unsigned h)
{
	uint8_t dqt[65], sof[9] = { 8, (uint8_t)(h >> 8), (uint8_t)h,
				    (uint8_t)(w >> 8), (uint8_t)w, 1,
				    1, 0x11, 0 };
	uint8_t dht_dc[1 + 16 + 12], dht_ac[1 + 16 + 2];
	static const uint8_t sos[] = { 1, 1, 0x00, 0, 63, 0 };
	int r;

	dqt[0] = 0;
	memset(dqt + 1, 16, 64);
	dqt[1] = DC_QUANT;
	dht_dc[0] = 0x00;
	memcpy(dht_dc + 1, dc_bits, 16);
	for (int i = 0; i < 12; i++)
		dht_dc[17 + i] = (uint8_t)i;
	dht_ac[0] = 0x10;
	memcpy(dht_ac + 1, ac_bits, 16);
	memcpy(dht_ac + 17, ac_vals, 2);
	if ((r = put_segment(o, 0xdb, dqt, sizeof(dqt))) ||
	    (r = put_segment(o, 0xc0, sof, sizeof(sof))) ||
	    (r = put_segment(o, 0xc4, dht_dc, sizeof(dht_dc))) ||
	    (r = put_segment(o, 0xc4, dht_ac, sizeof(dht_ac))))
		return r;
	return put_segment(o, 0xda, sos, sizeof(sos));
}

/* The tables, the scan and EOI. */
static int put_tail(eid_buf *o, unsigned width, unsigned height)
{
	struct bits b = { .out = o };
	unsigned bw = width / 8, bh = height / 8;
	int prev = 0, r;

	if ((r = put_tables(o, width, height)) != EID_OK)
		return r;
	for (unsigned by = 0; by < bh; by++)
		for (unsigned bx = 0; bx < bw; bx++) {
			int dc = face_level(bx, by, bw, bh) - 128;

			put_dc(&b, dc - prev);
			prev = dc;
		}
	if (b.n > 0)
		put_bits(&b, 0x7f, 8 - b.n); /* pad with ones */
	if (b.err != EID_OK)
		return b.err;
	return eid_buf_put_u16be(o, 0xffd9);
}

/* Comment segments of zeros, n bytes in all (n >= 5 each, or nothing). */
static int put_padding(eid_buf *o, size_t n)
{
	static const uint8_t fill[1024];
	eid_buf seg;
	int r = EID_OK;

	eid_buf_init(&seg, 65533);
	while (r == EID_OK && n >= 5) {
		size_t k = n - 4 > 65533 ? 65533 : n - 4;

		eid_buf_reset(&seg);
		while (r == EID_OK && seg.len < k)
			r = eid_buf_put(&seg, fill,
					k - seg.len < sizeof(fill)
						? k - seg.len : sizeof(fill));
		if (r == EID_OK)
			r = put_segment(o, 0xfe, seg.data, seg.len);
		n -= k + 4;
	}
	eid_buf_free(&seg);
	return r;
}

int eid_issuer_face_jpeg(unsigned width, unsigned height, size_t pad_to,
			 eid_buf *out)
{
	static const uint8_t jfif[] = { 'J', 'F', 'I', 'F', 0, 1, 1, 0,
					0, 1, 0, 1, 0, 0 };
	size_t start = out->len, have;
	eid_buf tail;
	int r;

	if (width == 0 || height == 0 || width % 8 || height % 8 ||
	    width > 1024 || height > 1024)
		return EID_EINVAL;
	eid_buf_init(&tail, 64 * 1024);
	if ((r = put_tail(&tail, width, height)) ||
	    (r = eid_buf_put_u16be(out, 0xffd8)) ||
	    (r = put_segment(out, 0xe0, jfif, sizeof(jfif))))
		goto out;
	have = out->len - start + tail.len;
	if (pad_to > have && (r = put_padding(out, pad_to - have)))
		goto out;
	r = eid_buf_put(out, tail.data, tail.len);
out:
	eid_buf_free(&tail);
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	return r;
}
