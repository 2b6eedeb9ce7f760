#include "chip/cardaccess.h"

#include <string.h>

#include "chip/tlv.h"
#include "crypto/error.h"

/* bsi-de protocols (0.4.0.127.0.7.2.2): id-PK .1, id-CA .3, id-PACE .4. */
static const uint8_t oid_bsi[] = { 0x04, 0x00, 0x7f, 0x00, 0x07, 0x02, 0x02 };
#define OID_PK 0x01
#define OID_CA 0x03
#define OID_PACE 0x04
#define BSI_LEN sizeof(oid_bsi)
/* id-icao-mrtd-security-aaProtocolObject: 2.23.136.1.1.5. */
static const uint8_t oid_aa[] = { 0x67, 0x81, 0x08, 0x01, 0x01, 0x05 };

#define PACE_VERSION 2
/* The largest INTEGER we read: every one here is a small number. */
#define INT_MAX_BYTES 4
/* Not an error: a SecurityInfo of a protocol we do not parse. */
#define NOT_OURS 1

/* ---- strict DER over the bounded cursor ---- */

/* The bytes a minimal header takes: one tag byte, then the length. */
static size_t der_header_len(size_t len)
{
	if (len < 0x80)
		return 2;
	if (len <= 0xff)
		return 3;
	if (len <= 0xffff)
		return 4;
	return len <= 0xffffff ? 5 : 6;
}

/* One element with this one-byte tag, its length in minimal form. */
static int der_read(eid_rd *r, uint8_t tag, struct eid_tlv *ret)
{
	eid_rd cur = *r;
	struct eid_tlv t;
	int rc;

	if ((rc = eid_tlv_read(&cur, &t)) != EID_OK)
		return rc;
	if (t.tag != tag || t.raw_len - t.len != der_header_len(t.len))
		return EID_EMALFORMED;
	*r = cur;
	*ret = t;
	return EID_OK;
}

static bool der_next_is(const eid_rd *r, uint8_t tag)
{
	uint8_t b;

	return eid_rd_peek_u8(r, &b) == EID_OK && b == tag;
}

/* A non-negative INTEGER in minimal two's complement. */
static int der_uint(eid_rd *r, long *ret)
{
	struct eid_tlv t;
	long v = 0;
	int rc;

	if ((rc = der_read(r, 0x02, &t)) != EID_OK)
		return rc;
	if (t.len == 0 || (t.value[0] & 0x80) != 0 ||
	    (t.len > 1 && t.value[0] == 0 && (t.value[1] & 0x80) == 0))
		return EID_EMALFORMED;
	if (t.len > INT_MAX_BYTES)
		return EID_ETOOBIG;
	for (size_t i = 0; i < t.len; i++)
		v = v << 8 | t.value[i];
	*ret = v;
	return EID_OK;
}

static int der_opt_uint(eid_rd *r, long *ret)
{
	*ret = -1;
	return der_next_is(r, 0x02) ? der_uint(r, ret) : EID_OK;
}

/* An OBJECT IDENTIFIER: every subidentifier minimal and complete. */
static int der_oid(eid_rd *r, struct eid_oid *ret)
{
	struct eid_tlv t;
	bool start = true;
	int rc;

	if ((rc = der_read(r, 0x06, &t)) != EID_OK)
		return rc;
	if (t.len == 0 || (t.value[t.len - 1] & 0x80) != 0)
		return EID_EMALFORMED;
	if (t.len > EID_OID_MAX)
		return EID_ETOOBIG;
	for (size_t i = 0; i < t.len; i++) {
		if (start && t.value[i] == 0x80)
			return EID_EMALFORMED;
		start = (t.value[i] & 0x80) == 0;
	}
	memcpy(ret->v, t.value, t.len);
	ret->len = t.len;
	return EID_OK;
}

/* ---- protocol OIDs ---- */

/* The bsi-de family of oid (OID_PK, OID_CA, OID_PACE) and the arcs after
 * it (up to two); 0 when it is not one of them. */
static int bsi_family(const struct eid_oid *oid, uint8_t arcs[2],
		      size_t *ret_narcs)
{
	size_t n = oid->len;

	if (n < BSI_LEN + 2 || n > BSI_LEN + 3 ||
	    memcmp(oid->v, oid_bsi, BSI_LEN) != 0)
		return 0;
	*ret_narcs = n - BSI_LEN - 1;
	for (size_t i = 0; i < *ret_narcs; i++)
		arcs[i] = oid->v[BSI_LEN + 1 + i];
	return oid->v[BSI_LEN];
}

/* The cipher arc: 1 3DES, 2..4 AES-128/192/256. */
static bool cipher_of(uint8_t arc, enum eid_sm_alg *alg, size_t *keylen)
{
	static const size_t aes_len[] = { 16, 24, 32 };

	if (arc == 1) {
		*alg = EID_SM_3DES;
		*keylen = 16;
		return true;
	}
	if (arc < 2 || arc > 4)
		return false;
	*alg = EID_SM_AES;
	*keylen = aes_len[arc - 2];
	return true;
}

static uint8_t cipher_arc(enum eid_sm_alg alg, size_t keylen)
{
	if (alg == EID_SM_3DES)
		return keylen == 16 ? 1 : 0;
	if (alg != EID_SM_AES)
		return 0;
	return keylen == 16 ? 2 : keylen == 24 ? 3 : keylen == 32 ? 4 : 0;
}

/* The PACE key agreement and mapping arc: 1 DH-GM, 2 ECDH-GM, 3 DH-IM,
 * 4 ECDH-IM, 6 ECDH-CAM. */
static bool pace_arc(uint8_t arc, enum eid_ka_type *ka,
		     enum eid_pace_mapping *map)
{
	switch (arc) {
	case 1: case 2:
		*map = EID_PACE_GM;
		break;
	case 3: case 4:
		*map = EID_PACE_IM;
		break;
	case 6:
		*map = EID_PACE_CAM;
		break;
	default:
		return false;
	}
	*ka = arc % 2 == 1 ? EID_KA_DH : EID_KA_ECDH;
	return true;
}

static bool ka_arc(uint8_t arc, enum eid_ka_type *ka)
{
	if (arc != 1 && arc != 2)
		return false;
	*ka = arc == 1 ? EID_KA_DH : EID_KA_ECDH;
	return true;
}

/* ---- the SecurityInfo kinds ---- */

static int param_id_of(long v, int *ret)
{
	if (v > 0xffff)
		return EID_EMALFORMED;
	*ret = (int)v;
	return EID_OK;
}

/* PACEInfo ::= SEQUENCE { protocol, version INTEGER, parameterId INTEGER
 * OPTIONAL } */
static int parse_pace(eid_rd *r, const struct eid_oid *oid,
		      const uint8_t arcs[2], struct eid_pace_info *pi)
{
	long param;
	int rc;

	memset(pi, 0, sizeof(*pi));
	pi->oid = *oid;
	(void)pace_arc(arcs[0], &pi->ka, &pi->mapping);
	(void)cipher_of(arcs[1], &pi->alg, &pi->keylen);
	if ((rc = der_uint(r, &pi->version)) != EID_OK ||
	    (rc = der_opt_uint(r, &param)) != EID_OK)
		return rc;
	return param_id_of(param, &pi->param_id);
}

/* PACEDomainParameterInfo ::= SEQUENCE { protocol, domainParameter
 * AlgorithmIdentifier, parameterId INTEGER OPTIONAL } */
static int parse_pace_dp(eid_rd *r, enum eid_ka_type ka,
			 struct eid_pace_dp_info *dp)
{
	struct eid_tlv alg;
	long param;
	int rc;

	if ((rc = der_read(r, 0x30, &alg)) != EID_OK ||
	    (rc = der_opt_uint(r, &param)) != EID_OK)
		return rc;
	dp->ka = ka;
	dp->alg_id = alg.raw;
	dp->alg_id_len = alg.raw_len;
	return param_id_of(param, &dp->param_id);
}

/* ChipAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER, keyId
 * INTEGER OPTIONAL } */
static int parse_ca(eid_rd *r, const struct eid_oid *oid,
		    const uint8_t arcs[2], struct eid_ca_info *ci)
{
	int rc;

	memset(ci, 0, sizeof(*ci));
	ci->oid = *oid;
	(void)ka_arc(arcs[0], &ci->ka);
	(void)cipher_of(arcs[1], &ci->alg, &ci->keylen);
	if ((rc = der_uint(r, &ci->version)) != EID_OK)
		return rc;
	return der_opt_uint(r, &ci->key_id);
}

/* ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol,
 * chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId INTEGER
 * OPTIONAL } */
static int parse_ca_pk(eid_rd *r, enum eid_ka_type ka,
		       struct eid_ca_pubkey_info *pk)
{
	struct eid_tlv spki;
	int rc;

	if ((rc = der_read(r, 0x30, &spki)) != EID_OK)
		return rc;
	pk->ka = ka;
	pk->spki = spki.raw;
	pk->spki_len = spki.raw_len;
	return der_opt_uint(r, &pk->key_id);
}

/* ActiveAuthenticationInfo ::= SEQUENCE { protocol id-AA, version INTEGER,
 * signatureAlgorithm OBJECT IDENTIFIER } */
static int parse_aa(eid_rd *r, struct eid_aa_info *aa)
{
	int rc = der_uint(r, &aa->version);

	return rc != EID_OK ? rc : der_oid(r, &aa->sig_alg);
}

/* Take the next slot of an array of EID_SI_MAX. */
static int slot(size_t *n)
{
	if (*n >= EID_SI_MAX)
		return EID_ETOOBIG;
	(*n)++;
	return EID_OK;
}

static bool is_aa(const struct eid_oid *oid)
{
	return oid->len == sizeof(oid_aa) &&
	       memcmp(oid->v, oid_aa, sizeof(oid_aa)) == 0;
}

/* A bsi-de SecurityInfo we know, or NOT_OURS (an other). */
static int parse_bsi(eid_rd *r, const struct eid_oid *oid,
		     struct eid_security_infos *si)
{
	uint8_t arcs[2] = { 0, 0 };
	size_t narcs = 0;
	int fam = bsi_family(oid, arcs, &narcs), rc;
	enum eid_ka_type ka;
	enum eid_pace_mapping map;
	enum eid_sm_alg alg;
	size_t keylen;

	if (fam == OID_PACE && narcs == 2 && pace_arc(arcs[0], &ka, &map) &&
	    cipher_of(arcs[1], &alg, &keylen)) {
		if ((rc = slot(&si->npace)) != EID_OK)
			return rc;
		return parse_pace(r, oid, arcs, &si->pace[si->npace - 1]);
	}
	if (fam == OID_PACE && narcs == 1 && pace_arc(arcs[0], &ka, &map)) {
		if ((rc = slot(&si->npace_dp)) != EID_OK)
			return rc;
		return parse_pace_dp(r, ka, &si->pace_dp[si->npace_dp - 1]);
	}
	if (fam == OID_CA && narcs == 2 && ka_arc(arcs[0], &ka) &&
	    cipher_of(arcs[1], &alg, &keylen)) {
		if ((rc = slot(&si->nca)) != EID_OK)
			return rc;
		return parse_ca(r, oid, arcs, &si->ca[si->nca - 1]);
	}
	if (fam == OID_PK && narcs == 1 && ka_arc(arcs[0], &ka)) {
		if ((rc = slot(&si->nca_pk)) != EID_OK)
			return rc;
		return parse_ca_pk(r, ka, &si->ca_pk[si->nca_pk - 1]);
	}
	return NOT_OURS;
}

/* SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData
 * ANY, optionalData ANY OPTIONAL } */
static int parse_info(eid_rd *set, struct eid_security_infos *si)
{
	struct eid_tlv seq;
	struct eid_oid oid;
	eid_rd r;
	int rc;

	if ((rc = der_read(set, 0x30, &seq)) != EID_OK)
		return rc;
	r = eid_rd_make(seq.value, seq.len);
	if ((rc = der_oid(&r, &oid)) != EID_OK)
		return rc;
	if (is_aa(&oid)) {
		if (si->has_aa)
			return EID_EMALFORMED;
		si->has_aa = true;
		rc = parse_aa(&r, &si->aa);
	} else {
		rc = parse_bsi(&r, &oid, si);
	}
	if (rc == NOT_OURS) {
		si->nother++;
		return EID_OK;
	}
	if (rc == EID_OK && eid_rd_left(&r) != 0)
		rc = EID_EMALFORMED;
	return rc;
}

int eid_security_infos_parse(const uint8_t *p, size_t n,
			     struct eid_security_infos *ret)
{
	struct eid_security_infos si;
	struct eid_tlv set;
	eid_rd r = eid_rd_make(p, n);
	int rc;

	if (p == NULL || ret == NULL)
		return EID_EINVAL;
	if (n > EID_CARDACCESS_MAX)
		return EID_ETOOBIG;
	memset(&si, 0, sizeof(si));
	if ((rc = der_read(&r, 0x31, &set)) != EID_OK)
		return rc;
	if (eid_rd_left(&r) != 0 || set.len == 0)
		return EID_EMALFORMED;
	r = eid_rd_make(set.value, set.len);
	while (eid_rd_left(&r) > 0)
		if ((rc = parse_info(&r, &si)) != EID_OK)
			return rc;
	*ret = si;
	return EID_OK;
}

/* ---- building ---- */

/* id-<family>-{DH,ECDH}[-GM]-<cipher>: the same three arcs for PACE with
 * generic mapping and for CA.  EID_EINVAL for a pair without an OID. */
static int bsi_oid(uint8_t family, enum eid_ka_type ka, enum eid_sm_alg alg,
		   size_t keylen, struct eid_oid *ret)
{
	uint8_t c = cipher_arc(alg, keylen);

	if (c == 0 || (ka != EID_KA_DH && ka != EID_KA_ECDH))
		return EID_EINVAL;
	memcpy(ret->v, oid_bsi, BSI_LEN);
	ret->v[BSI_LEN] = family;
	ret->v[BSI_LEN + 1] = ka == EID_KA_DH ? 1 : 2;
	ret->v[BSI_LEN + 2] = c;
	ret->len = BSI_LEN + 3;
	return EID_OK;
}

int eid_ca_info_set(struct eid_ca_info *info, enum eid_ka_type ka,
		    enum eid_sm_alg alg, size_t keylen)
{
	struct eid_oid oid;

	if (info == NULL || bsi_oid(OID_CA, ka, alg, keylen, &oid) != EID_OK)
		return EID_EINVAL;
	memset(info, 0, sizeof(*info));
	info->oid = oid;
	info->ka = ka;
	info->alg = alg;
	info->keylen = keylen;
	info->version = 1;
	info->key_id = -1;
	return EID_OK;
}

int eid_pace_info_set(struct eid_pace_info *info, enum eid_ka_type ka,
		      enum eid_sm_alg alg, size_t keylen, int param_id)
{
	struct eid_oid oid;

	if (info == NULL || param_id < -1 || param_id > 0xffff ||
	    bsi_oid(OID_PACE, ka, alg, keylen, &oid) != EID_OK)
		return EID_EINVAL;
	memset(info, 0, sizeof(*info));
	info->oid = oid;
	info->ka = ka;
	info->mapping = EID_PACE_GM;
	info->alg = alg;
	info->keylen = keylen;
	info->version = PACE_VERSION;
	info->param_id = param_id;
	return EID_OK;
}

/* A small non-negative INTEGER in minimal DER. */
static int put_uint(eid_buf *b, long v)
{
	uint8_t x[INT_MAX_BYTES + 1];
	size_t n = 0;

	do {
		x[sizeof(x) - 1 - n++] = (uint8_t)v;
		v >>= 8;
	} while (v > 0 && n < sizeof(x));
	if ((x[sizeof(x) - n] & 0x80) != 0)
		x[sizeof(x) - 1 - n++] = 0;
	return eid_tlv_put(b, 0x02, x + sizeof(x) - n, n);
}

static int put_pace_info(eid_buf *set, const struct eid_pace_info *pi)
{
	eid_buf seq;
	int r = EID_EINVAL;

	eid_buf_init(&seq, EID_CARDACCESS_MAX);
	if (pi->oid.len == 0 || pi->oid.len > EID_OID_MAX || pi->version < 0)
		goto out;
	if ((r = eid_tlv_put(&seq, 0x06, pi->oid.v, pi->oid.len)) != EID_OK ||
	    (r = put_uint(&seq, pi->version)) != EID_OK ||
	    (pi->param_id >= 0 &&
	     (r = put_uint(&seq, pi->param_id)) != EID_OK))
		goto out;
	r = eid_tlv_put(set, 0x30, seq.data, seq.len);
out:
	eid_buf_free(&seq);
	return r;
}

int eid_cardaccess_encode(const struct eid_pace_info *infos, size_t n,
			  eid_buf *out)
{
	eid_buf set;
	int r = EID_EINVAL;

	eid_buf_init(&set, EID_CARDACCESS_MAX);
	if (infos == NULL || n == 0 || n > EID_SI_MAX || out == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((r = put_pace_info(&set, &infos[i])) != EID_OK)
			goto out;
	r = eid_tlv_put(out, 0x31, set.data, set.len);
out:
	eid_buf_free(&set);
	return r;
}
