#include "chip/lds.h"

#include <limits.h>
#include <string.h>

#include <openssl/x509.h>

#include "chip/tlv.h"
#include "crypto/error.h"

/* Caps on whole files: far above what cards carry, low enough that a
 * hostile file cannot make us hold much. */
#define COM_MAX 1024
#define DG1_MAX 256
#define DG2_MAX (1024 * 1024)
#define DG14_MAX (64 * 1024)
#define DG15_MAX (16 * 1024)

/* ---- the file table (Part 10, 4.6) ---- */

static const struct eid_lds_file lds_files[] = {
	{ EID_LDS_COM, 0x60, 0x011e, 0x1e, "EF.COM" },
	{ 1, 0x61, 0x0101, 0x01, "DG1" },
	{ 2, 0x75, 0x0102, 0x02, "DG2" },
	{ 3, 0x63, 0x0103, 0x03, "DG3" },
	{ 4, 0x76, 0x0104, 0x04, "DG4" },
	{ 5, 0x65, 0x0105, 0x05, "DG5" },
	{ 6, 0x66, 0x0106, 0x06, "DG6" },
	{ 7, 0x67, 0x0107, 0x07, "DG7" },
	{ 8, 0x68, 0x0108, 0x08, "DG8" },
	{ 9, 0x69, 0x0109, 0x09, "DG9" },
	{ 10, 0x6a, 0x010a, 0x0a, "DG10" },
	{ 11, 0x6b, 0x010b, 0x0b, "DG11" },
	{ 12, 0x6c, 0x010c, 0x0c, "DG12" },
	{ 13, 0x6d, 0x010d, 0x0d, "DG13" },
	{ 14, 0x6e, 0x010e, 0x0e, "DG14" },
	{ 15, 0x6f, 0x010f, 0x0f, "DG15" },
	{ 16, 0x70, 0x0110, 0x10, "DG16" },
	{ EID_LDS_SOD, 0x77, 0x011d, 0x1d, "EF.SOD" },
};

#define NFILES (sizeof(lds_files) / sizeof(lds_files[0]))

const struct eid_lds_file *eid_lds_by_dg(int dg)
{
	for (size_t i = 0; i < NFILES; i++)
		if (lds_files[i].dg == dg)
			return &lds_files[i];
	return NULL;
}

const struct eid_lds_file *eid_lds_by_tag(uint32_t tag)
{
	for (size_t i = 0; i < NFILES; i++)
		if (lds_files[i].tag == tag)
			return &lds_files[i];
	return NULL;
}

const struct eid_lds_file *eid_lds_by_fid(uint16_t fid)
{
	for (size_t i = 0; i < NFILES; i++)
		if (lds_files[i].fid == fid)
			return &lds_files[i];
	return NULL;
}

/* ---- shared helpers ---- */

/* The file is exactly one element with this tag, under cap bytes. */
static int open_file(const uint8_t *p, size_t n, uint32_t tag, size_t cap,
		     struct eid_tlv *ret)
{
	struct eid_tlv t;
	int r;

	if (p == NULL)
		return EID_EINVAL;
	if (n > cap)
		return EID_ETOOBIG;
	if ((r = eid_tlv_parse_exact(p, n, &t)) != EID_OK)
		return r;
	if (t.tag != tag)
		return EID_EMALFORMED;
	*ret = t;
	return EID_OK;
}

/* The only child of t, which must carry this tag. */
static int only_child(const struct eid_tlv *t, uint32_t tag,
		      struct eid_tlv *ret)
{
	int r = eid_tlv_parse_exact(t->value, t->len, ret);

	if (r == EID_OK && ret->tag != tag)
		return EID_EMALFORMED;
	return r;
}

/* Append tag + inner, leaving out unchanged on failure. */
static int put_wrapped(eid_buf *out, uint32_t tag, const eid_buf *inner)
{
	return eid_tlv_put(out, tag, inner->data, inner->len);
}

/* ---- EF.COM ---- */

static int com_digits(const struct eid_tlv *t, char *dst, size_t want)
{
	if (t->len != want)
		return EID_EMALFORMED;
	for (size_t i = 0; i < want; i++) {
		if (t->value[i] < '0' || t->value[i] > '9')
			return EID_EMALFORMED;
		dst[i] = (char)t->value[i];
	}
	dst[want] = '\0';
	return EID_OK;
}

int eid_lds_com_parse(const uint8_t *p, size_t n, struct eid_lds_com *ret)
{
	struct eid_lds_com c;
	struct eid_tlv com, t;
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = open_file(p, n, 0x60, COM_MAX, &com)) != EID_OK)
		return r;
	if ((r = eid_tlv_find(com.value, com.len, 0x5f01, &t)) != EID_OK ||
	    (r = com_digits(&t, c.lds_version, 4)) != EID_OK)
		return r == EID_ENOTFOUND ? EID_EMALFORMED : r;
	if ((r = eid_tlv_find(com.value, com.len, 0x5f36, &t)) != EID_OK ||
	    (r = com_digits(&t, c.unicode_version, 6)) != EID_OK)
		return r == EID_ENOTFOUND ? EID_EMALFORMED : r;
	if ((r = eid_tlv_find(com.value, com.len, 0x5c, &t)) != EID_OK)
		return r == EID_ENOTFOUND ? EID_EMALFORMED : r;
	if (t.len > EID_LDS_COM_MAX_TAGS)
		return EID_ETOOBIG;
	memcpy(c.tags, t.value, t.len);
	c.ntags = t.len;
	*ret = c;
	return EID_OK;
}

int eid_lds_com_encode(const struct eid_lds_com *c, eid_buf *out)
{
	eid_buf inner;
	int r = EID_EINVAL;

	eid_buf_init(&inner, COM_MAX);
	if (strlen(c->lds_version) != 4 || strlen(c->unicode_version) != 6 ||
	    c->ntags > EID_LDS_COM_MAX_TAGS)
		goto out;
	if ((r = eid_tlv_put(&inner, 0x5f01, c->lds_version, 4)) != EID_OK ||
	    (r = eid_tlv_put(&inner, 0x5f36, c->unicode_version, 6)) != EID_OK ||
	    (r = eid_tlv_put(&inner, 0x5c, c->tags, c->ntags)) != EID_OK)
		goto out;
	r = put_wrapped(out, 0x60, &inner);
out:
	eid_buf_free(&inner);
	return r;
}

/* ---- DG1 ---- */

int eid_lds_dg1_parse(const uint8_t *p, size_t n, struct eid_mrz *ret)
{
	struct eid_tlv dg, mrz;
	int r;

	if ((r = open_file(p, n, 0x61, DG1_MAX, &dg)) != EID_OK ||
	    (r = only_child(&dg, 0x5f1f, &mrz)) != EID_OK)
		return r;
	/* DG1 holds the lines without separators. */
	if (memchr(mrz.value, '\n', mrz.len) != NULL)
		return EID_EMALFORMED;
	return eid_mrz_parse((const char *)mrz.value, mrz.len, ret);
}

int eid_lds_dg1_encode(const struct eid_mrz *m, eid_buf *out)
{
	eid_buf mrz, inner;
	int r;

	eid_buf_init(&mrz, DG1_MAX);
	eid_buf_init(&inner, DG1_MAX);
	if ((r = eid_mrz_encode(m, &mrz)) != EID_OK ||
	    (r = put_wrapped(&inner, 0x5f1f, &mrz)) != EID_OK)
		goto out;
	r = put_wrapped(out, 0x61, &inner);
out:
	eid_buf_free(&mrz);
	eid_buf_free(&inner);
	return r;
}

/* ---- DG2 ---- */

/* ISO/IEC 19794-5:2005 sizes. */
#define FAC_HEADER_LEN 14     /* "FAC\0", "010\0", length, count */
#define FAC_INFO_LEN 20       /* facial information block */
#define FAC_POINT_LEN 8       /* one feature point */
#define FAC_IMAGE_INFO_LEN 12 /* image information block */

static int image_type(const uint8_t *p, size_t n, enum eid_image_type *ret)
{
	static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff };
	static const uint8_t jp2[] = { 0x00, 0x00, 0x00, 0x0c,
				       0x6a, 0x50, 0x20 };
	static const uint8_t j2k[] = { 0xff, 0x4f, 0xff, 0x51 };

	if (n >= sizeof(jpeg) && memcmp(p, jpeg, sizeof(jpeg)) == 0)
		*ret = EID_IMAGE_JPEG;
	else if ((n >= sizeof(jp2) && memcmp(p, jp2, sizeof(jp2)) == 0) ||
		 (n >= sizeof(j2k) && memcmp(p, j2k, sizeof(j2k)) == 0))
		*ret = EID_IMAGE_JP2;
	else
		return EID_EUNSUPPORTED;
	return EID_OK;
}

/* The first facial record of a 19794-5 block: skip the general header,
 * the facial information, the feature points and the image information. */
static int parse_fac(const uint8_t *p, size_t n, struct eid_lds_dg2 *d)
{
	eid_rd r = eid_rd_make(p, n), rec;
	const uint8_t *magic;
	uint32_t total, rec_len;
	uint16_t count, points;
	int rc;

	if ((rc = eid_rd_bytes(&r, 8, &magic)) != EID_OK ||
	    (rc = eid_rd_u32be(&r, &total)) != EID_OK ||
	    (rc = eid_rd_u16be(&r, &count)) != EID_OK)
		return rc;
	if (memcmp(magic, "FAC\0", 4) != 0 || count == 0)
		return EID_EMALFORMED;
	if (total > n)
		return EID_ETRUNCATED;
	if ((rc = eid_rd_u32be(&r, &rec_len)) != EID_OK)
		return rc;
	if (rec_len < FAC_INFO_LEN + FAC_IMAGE_INFO_LEN)
		return EID_EMALFORMED;
	/* The record length counts its own four bytes. */
	if ((rc = eid_rd_sub(&r, rec_len - 4, &rec)) != EID_OK ||
	    (rc = eid_rd_u16be(&rec, &points)) != EID_OK ||
	    (rc = eid_rd_skip(&rec, FAC_INFO_LEN - 6)) != EID_OK ||
	    (rc = eid_rd_skip(&rec, (size_t)points * FAC_POINT_LEN)) != EID_OK ||
	    (rc = eid_rd_skip(&rec, 2)) != EID_OK ||
	    (rc = eid_rd_u16be(&rec, &d->width)) != EID_OK ||
	    (rc = eid_rd_u16be(&rec, &d->height)) != EID_OK ||
	    (rc = eid_rd_skip(&rec, FAC_IMAGE_INFO_LEN - 6)) != EID_OK)
		return rc;
	d->image = eid_rd_ptr(&rec);
	d->image_len = eid_rd_left(&rec);
	return image_type(d->image, d->image_len, &d->type);
}

/* 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E|7F2E data }, ... } } */
int eid_lds_dg2_parse(const uint8_t *p, size_t n, struct eid_lds_dg2 *ret)
{
	struct eid_lds_dg2 d;
	struct eid_tlv dg, group, bio, data;
	int r;

	memset(&d, 0, sizeof(d));
	if ((r = open_file(p, n, 0x75, DG2_MAX, &dg)) != EID_OK ||
	    (r = eid_tlv_find(dg.value, dg.len, 0x7f61, &group)) != EID_OK ||
	    (r = eid_tlv_find(group.value, group.len, 0x7f60, &bio)) != EID_OK)
		return r == EID_ENOTFOUND ? EID_EMALFORMED : r;
	r = eid_tlv_find(bio.value, bio.len, 0x5f2e, &data);
	if (r == EID_ENOTFOUND)
		r = eid_tlv_find(bio.value, bio.len, 0x7f2e, &data);
	if (r != EID_OK)
		return r == EID_ENOTFOUND ? EID_EMALFORMED : r;
	/* A few issuers store the bare image without the 19794-5 header. */
	if (image_type(data.value, data.len, &d.type) == EID_OK) {
		d.image = data.value;
		d.image_len = data.len;
	} else if ((r = parse_fac(data.value, data.len, &d)) != EID_OK) {
		return r;
	}
	*ret = d;
	return EID_OK;
}

/* General header, one facial record without feature points, then the
 * image information block. */
static int put_fac(eid_buf *b, const uint8_t *image, size_t len,
		   enum eid_image_type type, uint16_t width, uint16_t height)
{
	static const uint8_t info_rest[14] = { 0 };
	size_t rec_len = FAC_INFO_LEN + FAC_IMAGE_INFO_LEN + len;
	int r;

	if ((r = eid_buf_put(b, "FAC\0" "010\0", 8)) != EID_OK ||
	    (r = eid_buf_put_u32be(b, (uint32_t)(FAC_HEADER_LEN + rec_len))) !=
		    EID_OK ||
	    (r = eid_buf_put_u16be(b, 1)) != EID_OK ||
	    /* Facial information: no feature points, nothing specified. */
	    (r = eid_buf_put_u32be(b, (uint32_t)rec_len)) != EID_OK ||
	    (r = eid_buf_put_u16be(b, 0)) != EID_OK ||
	    (r = eid_buf_put(b, info_rest, FAC_INFO_LEN - 6)) != EID_OK ||
	    /* Image information: full frontal, RGB, from a digital camera. */
	    (r = eid_buf_put_u8(b, 1)) != EID_OK ||
	    (r = eid_buf_put_u8(b, type == EID_IMAGE_JPEG ? 0 : 1)) != EID_OK ||
	    (r = eid_buf_put_u16be(b, width)) != EID_OK ||
	    (r = eid_buf_put_u16be(b, height)) != EID_OK ||
	    (r = eid_buf_put_u8(b, 1)) != EID_OK ||
	    (r = eid_buf_put_u8(b, 2)) != EID_OK ||
	    (r = eid_buf_put_u32be(b, 0)) != EID_OK)
		return r;
	return eid_buf_put(b, image, len);
}

/* The biometric header template (ISO/IEC 7816-11): version, type face,
 * format owner ISO/IEC JTC 1/SC 37, format type 19794-5. */
static const uint8_t dg2_bht[] = {
	0xa1, 0x0f,
	0x80, 0x02, 0x01, 0x01,
	0x81, 0x01, 0x02,
	0x87, 0x02, 0x01, 0x01,
	0x88, 0x02, 0x00, 0x08,
};

int eid_lds_dg2_encode(const uint8_t *image, size_t len, uint16_t width,
		       uint16_t height, eid_buf *out)
{
	enum eid_image_type type;
	eid_buf fac, bio, group;
	int r = EID_EINVAL;

	eid_buf_init(&fac, DG2_MAX);
	eid_buf_init(&bio, DG2_MAX);
	eid_buf_init(&group, DG2_MAX);
	if (image == NULL || image_type(image, len, &type) != EID_OK)
		goto out;
	if ((r = put_fac(&fac, image, len, type, width, height)) != EID_OK ||
	    (r = eid_buf_put(&bio, dg2_bht, sizeof(dg2_bht))) != EID_OK ||
	    (r = put_wrapped(&bio, 0x5f2e, &fac)) != EID_OK ||
	    (r = eid_tlv_put(&group, 0x02, "\x01", 1)) != EID_OK ||
	    (r = put_wrapped(&group, 0x7f60, &bio)) != EID_OK)
		goto out;
	eid_buf_reset(&bio);
	if ((r = put_wrapped(&bio, 0x7f61, &group)) != EID_OK)
		goto out;
	r = put_wrapped(out, 0x75, &bio);
out:
	eid_buf_free(&fac);
	eid_buf_free(&bio);
	eid_buf_free(&group);
	return r;
}

/* ---- DG14 ---- */

/* id-PK (BSI TR-03110): 0.4.0.127.0.7.2.2.1, then 1 for DH, 2 for ECDH. */
static const uint8_t oid_pk[] = { 0x04, 0x00, 0x7f, 0x00, 0x07,
				  0x02, 0x02, 0x01 };
/* id-CA-ECDH-AES-CBC-CMAC-128 and id-CA-DH-AES-CBC-CMAC-128. */
static const uint8_t oid_ca_ecdh_aes128[] = { 0x04, 0x00, 0x7f, 0x00, 0x07,
					      0x02, 0x02, 0x03, 0x02, 0x02 };
static const uint8_t oid_ca_dh_aes128[] = { 0x04, 0x00, 0x7f, 0x00, 0x07,
					    0x02, 0x02, 0x03, 0x01, 0x02 };

static bool is_pk_oid(const struct eid_tlv *oid)
{
	return oid->tag == 0x06 && oid->len == sizeof(oid_pk) + 1 &&
	       memcmp(oid->value, oid_pk, sizeof(oid_pk)) == 0 &&
	       (oid->value[sizeof(oid_pk)] == 1 ||
		oid->value[sizeof(oid_pk)] == 2);
}

/* SecurityInfo ::= SEQUENCE { protocol OID, requiredData, optional }.
 * For a ChipAuthenticationPublicKeyInfo, hand back its SPKI. */
static int ca_spki_of(const struct eid_tlv *info, struct eid_tlv *ret)
{
	eid_rd r = eid_rd_make(info->value, info->len);
	struct eid_tlv oid, spki;
	int rc;

	if (info->tag != 0x30)
		return EID_EMALFORMED;
	if ((rc = eid_tlv_read(&r, &oid)) != EID_OK ||
	    (rc = eid_tlv_read(&r, &spki)) != EID_OK)
		return rc;
	if (oid.tag != 0x06)
		return EID_EMALFORMED;
	if (!is_pk_oid(&oid) || spki.tag != 0x30)
		return EID_ENOTFOUND;
	*ret = spki;
	return EID_OK;
}

/* A key OpenSSL can decode, or NULL; DER that does not decode to exactly
 * the SPKI is left for the caller to judge from the bytes. */
static EVP_PKEY *decode_spki(const uint8_t *p, size_t n)
{
	const unsigned char *q = p;
	EVP_PKEY *key;

	if (n > LONG_MAX)
		return NULL;
	key = d2i_PUBKEY(NULL, &q, (long)n);
	if (key != NULL && q != p + n) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

int eid_lds_dg14_parse(const uint8_t *p, size_t n, struct eid_lds_dg14 *ret)
{
	struct eid_lds_dg14 d;
	struct eid_tlv dg, set, info, spki;
	eid_rd r;
	int rc;

	memset(&d, 0, sizeof(d));
	if ((rc = open_file(p, n, 0x6e, DG14_MAX, &dg)) != EID_OK ||
	    (rc = only_child(&dg, 0x31, &set)) != EID_OK)
		return rc;
	d.security_infos = set.raw;
	d.security_infos_len = set.raw_len;
	r = eid_rd_make(set.value, set.len);
	while (eid_rd_left(&r) > 0) {
		if ((rc = eid_tlv_read(&r, &info)) != EID_OK)
			return rc;
		rc = ca_spki_of(&info, &spki);
		if (rc == EID_ENOTFOUND)
			continue;
		if (rc != EID_OK)
			return rc;
		if (d.ca_spki == NULL) {
			d.ca_spki = spki.raw;
			d.ca_spki_len = spki.raw_len;
		}
	}
	if (d.ca_spki != NULL)
		d.ca_key = decode_spki(d.ca_spki, d.ca_spki_len);
	*ret = d;
	return EID_OK;
}

void eid_lds_dg14_clear(struct eid_lds_dg14 *d)
{
	if (d == NULL)
		return;
	EVP_PKEY_free(d->ca_key);
	memset(d, 0, sizeof(*d));
}

int eid_lds_dg14_encode(const uint8_t *security_infos, size_t len,
			eid_buf *out)
{
	struct eid_tlv set;
	int r;

	if (security_infos == NULL || len > DG14_MAX)
		return EID_EINVAL;
	if ((r = eid_tlv_parse_exact(security_infos, len, &set)) != EID_OK ||
	    set.tag != 0x31)
		return EID_EINVAL;
	return eid_tlv_put(out, 0x6e, security_infos, len);
}

/* The DER SubjectPublicKeyInfo of key. */
static int put_spki(eid_buf *b, EVP_PKEY *key)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);
	int r;

	if (n <= 0)
		return EID_ECRYPTO;
	r = eid_buf_put(b, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

int eid_lds_dg14_encode_ca(EVP_PKEY *key, eid_buf *out)
{
	eid_buf pk, set, tmp;
	bool ec;
	uint8_t oid[sizeof(oid_pk) + 1];
	int r = EID_EINVAL;

	eid_buf_init(&pk, DG14_MAX);
	eid_buf_init(&set, DG14_MAX);
	eid_buf_init(&tmp, DG14_MAX);
	if (key == NULL)
		goto out;
	ec = EVP_PKEY_base_id(key) == EVP_PKEY_EC;
	if (!ec && EVP_PKEY_base_id(key) != EVP_PKEY_DH &&
	    EVP_PKEY_base_id(key) != EVP_PKEY_DHX) {
		r = EID_EUNSUPPORTED;
		goto out;
	}
	memcpy(oid, oid_pk, sizeof(oid_pk));
	oid[sizeof(oid_pk)] = ec ? 2 : 1;
	if ((r = eid_tlv_put(&pk, 0x06, oid, sizeof(oid))) != EID_OK ||
	    (r = put_spki(&pk, key)) != EID_OK ||
	    (r = put_wrapped(&set, 0x30, &pk)) != EID_OK)
		goto out;
	/* ChipAuthenticationInfo { protocol, version 1 }. */
	if ((r = eid_tlv_put(&tmp, 0x06, ec ? oid_ca_ecdh_aes128 :
				   oid_ca_dh_aes128,
			     sizeof(oid_ca_ecdh_aes128))) != EID_OK ||
	    (r = eid_tlv_put(&tmp, 0x02, "\x01", 1)) != EID_OK ||
	    (r = put_wrapped(&set, 0x30, &tmp)) != EID_OK)
		goto out;
	eid_buf_reset(&tmp);
	if ((r = put_wrapped(&tmp, 0x31, &set)) != EID_OK)
		goto out;
	r = put_wrapped(out, 0x6e, &tmp);
out:
	eid_buf_free(&pk);
	eid_buf_free(&set);
	eid_buf_free(&tmp);
	return r;
}

/* ---- DG15 ---- */

int eid_lds_dg15_parse(const uint8_t *p, size_t n, EVP_PKEY **ret_key)
{
	struct eid_tlv dg, spki;
	EVP_PKEY *key;
	int r, type;

	if ((r = open_file(p, n, 0x6f, DG15_MAX, &dg)) != EID_OK ||
	    (r = only_child(&dg, 0x30, &spki)) != EID_OK)
		return r;
	if ((key = decode_spki(spki.raw, spki.raw_len)) == NULL)
		return EID_EMALFORMED;
	type = EVP_PKEY_base_id(key);
	if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
		EVP_PKEY_free(key);
		return EID_EUNSUPPORTED;
	}
	*ret_key = key;
	return EID_OK;
}

int eid_lds_dg15_encode(EVP_PKEY *key, eid_buf *out)
{
	eid_buf spki;
	int r = EID_EINVAL;

	eid_buf_init(&spki, DG15_MAX);
	if (key == NULL)
		goto out;
	if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA &&
	    EVP_PKEY_base_id(key) != EVP_PKEY_EC) {
		r = EID_EUNSUPPORTED;
		goto out;
	}
	if ((r = put_spki(&spki, key)) != EID_OK)
		goto out;
	r = put_wrapped(out, 0x6f, &spki);
out:
	eid_buf_free(&spki);
	return r;
}
