#include "chip/cardimage.h"

#include <string.h>

#include <openssl/x509.h>

#include "chip/tlv.h"
#include "crypto/error.h"

#define TAG_IMAGE 0xe1
#define TAG_VERSION 0x80
#define TAG_MRZ_INFO 0x81
#define TAG_CAN 0x82
#define TAG_ACCESS 0x83
#define TAG_MAX_READ 0x84
#define TAG_EXTENDED 0x85
#define TAG_FILE 0xa0
#define TAG_AA_KEY 0x86
#define TAG_CA_KEY 0x87
#define TAG_FILE_FID 0x80
#define TAG_FILE_DATA 0x81

/* The members in the order they must appear; files may repeat. */
static const uint32_t member_order[] = {
	TAG_VERSION, TAG_MRZ_INFO, TAG_CAN, TAG_ACCESS, TAG_MAX_READ,
	TAG_EXTENDED, TAG_FILE, TAG_AA_KEY, TAG_CA_KEY,
};
#define N_MEMBERS (sizeof(member_order) / sizeof(member_order[0]))
/* Bit i set: member_order[i] is mandatory. */
#define MANDATORY_MEMBERS 0x3bu /* version, MRZ info, access, max read, ext */

void eid_cardimage_init(struct eid_cardimage *img)
{
	memset(img, 0, sizeof(*img));
	img->access = EID_CARD_ACCESS_BAC;
	img->max_read = 256;
	eid_buf_init_secret(&img->aa_key, EID_CARDIMAGE_KEY_MAX);
	eid_buf_init_secret(&img->ca_key, EID_CARDIMAGE_KEY_MAX);
}

void eid_cardimage_clear(struct eid_cardimage *img)
{
	for (size_t i = 0; i < img->n_files; i++)
		eid_buf_free(&img->files[i].data);
	eid_buf_free(&img->aa_key);
	eid_buf_free(&img->ca_key);
	eid_cardimage_init(img);
}

static struct eid_cardimage_file *find_file(const struct eid_cardimage *img,
					    uint16_t fid)
{
	for (size_t i = 0; i < img->n_files; i++)
		if (img->files[i].fid == fid)
			return (struct eid_cardimage_file *)&img->files[i];
	return NULL;
}

const eid_buf *eid_cardimage_file(const struct eid_cardimage *img,
				  uint16_t fid)
{
	struct eid_cardimage_file *f = find_file(img, fid);

	return f == NULL ? NULL : &f->data;
}

int eid_cardimage_set_file(struct eid_cardimage *img, uint16_t fid,
			   const uint8_t *p, size_t n)
{
	struct eid_cardimage_file *f = find_file(img, fid);
	eid_buf b;
	int r;

	if (n > EID_CARDIMAGE_FILE_MAX)
		return EID_ETOOBIG;
	if (f == NULL && img->n_files >= EID_CARDIMAGE_MAX_FILES)
		return EID_ETOOBIG;
	eid_buf_init(&b, EID_CARDIMAGE_FILE_MAX);
	if ((r = eid_buf_put(&b, p, n)) != EID_OK)
		return r;
	if (f == NULL) {
		f = &img->files[img->n_files++];
		f->fid = fid;
	} else {
		eid_buf_free(&f->data);
	}
	f->data = b;
	return EID_OK;
}

void eid_cardimage_remove_file(struct eid_cardimage *img, uint16_t fid)
{
	struct eid_cardimage_file *f = find_file(img, fid);

	if (f == NULL)
		return;
	eid_buf_free(&f->data);
	*f = img->files[--img->n_files];
	memset(&img->files[img->n_files], 0, sizeof(*f));
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int eid_cardimage_check(const struct eid_cardimage *img)
{
	struct eid_bac_keys k;
	size_t can_len = strnlen(img->can, sizeof(img->can));
	int r;

	if (can_len == sizeof(img->can) ||
	    (can_len > 0 && (can_len < EID_CARDIMAGE_CAN_MIN ||
			     !digits(img->can, can_len))))
		return EID_EMALFORMED;
	if (img->access != EID_CARD_ACCESS_BAC &&
	    img->access != EID_CARD_ACCESS_PACE_BAC)
		return EID_EMALFORMED;
	if (img->max_read == 0 || img->max_read > EID_CARDIMAGE_READ_MAX ||
	    (!img->extended && img->max_read > EID_APDU_SHORT_NE_MAX))
		return EID_EMALFORMED;
	if (memchr(img->mrz_info, 0, sizeof(img->mrz_info)) == NULL)
		return EID_EMALFORMED;
	r = eid_bac_keys_from_mrz_info(img->mrz_info, &k);
	eid_bac_keys_wipe(&k);
	return r == EID_OK ? EID_OK : EID_EMALFORMED;
}

/* ---- parsing ---- */

static int copy_text(const struct eid_tlv *t, size_t min, char *out,
		     size_t cap)
{
	if (t->len < min || t->len >= cap || memchr(t->value, 0, t->len))
		return EID_EMALFORMED;
	memcpy(out, t->value, t->len);
	out[t->len] = '\0';
	return EID_OK;
}

static int parse_uint(const struct eid_tlv *t, size_t max_bytes,
		      size_t *ret)
{
	size_t v = 0;

	if (t->len == 0 || t->len > max_bytes)
		return EID_EMALFORMED;
	for (size_t i = 0; i < t->len; i++)
		v = v << 8 | t->value[i];
	*ret = v;
	return EID_OK;
}

static int parse_file(const struct eid_tlv *t, struct eid_cardimage *img)
{
	eid_rd r = eid_rd_make(t->value, t->len);
	struct eid_tlv fid, data;
	int rc;

	if ((rc = eid_tlv_read(&r, &fid)) != EID_OK ||
	    (rc = eid_tlv_read(&r, &data)) != EID_OK)
		return rc == EID_ETRUNCATED ? EID_EMALFORMED : rc;
	if (eid_rd_left(&r) != 0 || fid.tag != TAG_FILE_FID || fid.len != 2 ||
	    data.tag != TAG_FILE_DATA)
		return EID_EMALFORMED;
	if (eid_cardimage_file(img, (uint16_t)(fid.value[0] << 8 |
					       fid.value[1])) != NULL)
		return EID_EMALFORMED;
	return eid_cardimage_set_file(img, (uint16_t)(fid.value[0] << 8 |
						      fid.value[1]),
				      data.value, data.len);
}

static int parse_key(const struct eid_tlv *t, eid_buf *key)
{
	if (t->len == 0)
		return EID_EMALFORMED;
	return eid_buf_put(key, t->value, t->len);
}

static int parse_member(const struct eid_tlv *t, struct eid_cardimage *img)
{
	size_t v;
	int r;

	switch (t->tag) {
	case TAG_VERSION:
		if ((r = parse_uint(t, 1, &v)) != EID_OK)
			return r;
		return v == EID_CARDIMAGE_VERSION ? EID_OK : EID_EUNSUPPORTED;
	case TAG_MRZ_INFO:
		return copy_text(t, EID_BAC_MRZ_INFO_MIN, img->mrz_info,
				 sizeof(img->mrz_info));
	case TAG_CAN:
		return copy_text(t, EID_CARDIMAGE_CAN_MIN, img->can,
				 sizeof(img->can));
	case TAG_ACCESS:
		if ((r = parse_uint(t, 1, &v)) != EID_OK)
			return r;
		img->access = (enum eid_card_access)v;
		return EID_OK;
	case TAG_MAX_READ:
		return parse_uint(t, 3, &img->max_read);
	case TAG_EXTENDED:
		if ((r = parse_uint(t, 1, &v)) != EID_OK || v > 1)
			return EID_EMALFORMED;
		img->extended = v == 1;
		return EID_OK;
	case TAG_FILE:
		return parse_file(t, img);
	case TAG_AA_KEY:
		return parse_key(t, &img->aa_key);
	case TAG_CA_KEY:
		return parse_key(t, &img->ca_key);
	default:
		return EID_EMALFORMED;
	}
}

/* Where tag stands in member_order; N_MEMBERS when unknown. */
static size_t member_index(uint32_t tag)
{
	size_t i = 0;

	while (i < N_MEMBERS && member_order[i] != tag)
		i++;
	return i;
}

static int parse_members(eid_rd *r, struct eid_cardimage *img)
{
	unsigned seen = 0;
	size_t last = 0;
	struct eid_tlv t;
	int rc;

	while (eid_rd_left(r) > 0) {
		size_t i;

		if ((rc = eid_tlv_read(r, &t)) != EID_OK)
			return rc;
		i = member_index(t.tag);
		if (i == N_MEMBERS || (seen != 0 && i < last) ||
		    ((seen & (1u << i)) && t.tag != TAG_FILE))
			return EID_EMALFORMED;
		if ((rc = parse_member(&t, img)) != EID_OK)
			return rc;
		seen |= 1u << i;
		last = i;
	}
	if ((seen & MANDATORY_MEMBERS) != MANDATORY_MEMBERS)
		return EID_EMALFORMED;
	return eid_cardimage_check(img);
}

int eid_cardimage_parse(const uint8_t *p, size_t n, struct eid_cardimage *ret)
{
	struct eid_cardimage img;
	struct eid_tlv outer;
	eid_rd r;
	int rc;

	if (n > EID_CARDIMAGE_MAX)
		return EID_ETOOBIG;
	if ((rc = eid_tlv_parse_exact(p, n, &outer)) != EID_OK)
		return rc;
	if (outer.tag != TAG_IMAGE)
		return EID_EMALFORMED;
	eid_cardimage_init(&img);
	r = eid_rd_make(outer.value, outer.len);
	if ((rc = parse_members(&r, &img)) != EID_OK) {
		eid_cardimage_clear(&img);
		return rc == EID_ETRUNCATED ? EID_EMALFORMED : rc;
	}
	*ret = img;
	return EID_OK;
}

/* ---- encoding ---- */

static int put_uint(eid_buf *b, uint32_t tag, size_t v, size_t nbytes)
{
	uint8_t be[3];

	for (size_t i = 0; i < nbytes; i++)
		be[i] = (uint8_t)(v >> (8 * (nbytes - 1 - i)));
	return eid_tlv_put(b, tag, be, nbytes);
}

static int encode_file(const struct eid_cardimage_file *f, eid_buf *b)
{
	uint8_t fid[2] = { (uint8_t)(f->fid >> 8), (uint8_t)f->fid };
	eid_buf inner;
	int r;

	eid_buf_init(&inner, EID_CARDIMAGE_FILE_MAX + 16);
	if ((r = eid_tlv_put(&inner, TAG_FILE_FID, fid, 2)) == EID_OK &&
	    (r = eid_tlv_put(&inner, TAG_FILE_DATA, f->data.data,
			     f->data.len)) == EID_OK)
		r = eid_tlv_put(b, TAG_FILE, inner.data, inner.len);
	eid_buf_free(&inner);
	return r;
}

static int encode_members(const struct eid_cardimage *img, eid_buf *b)
{
	int r;

	if ((r = put_uint(b, TAG_VERSION, EID_CARDIMAGE_VERSION, 1)) ||
	    (r = eid_tlv_put(b, TAG_MRZ_INFO, img->mrz_info,
			     strlen(img->mrz_info))))
		return r;
	if (img->can[0] != '\0' &&
	    (r = eid_tlv_put(b, TAG_CAN, img->can, strlen(img->can))))
		return r;
	if ((r = put_uint(b, TAG_ACCESS, img->access, 1)) ||
	    (r = put_uint(b, TAG_MAX_READ, img->max_read,
			  img->max_read > 0xffff ? 3 : 2)) ||
	    (r = put_uint(b, TAG_EXTENDED, img->extended, 1)))
		return r;
	for (size_t i = 0; i < img->n_files; i++)
		if ((r = encode_file(&img->files[i], b)) != EID_OK)
			return r;
	if (img->aa_key.len > 0 &&
	    (r = eid_tlv_put(b, TAG_AA_KEY, img->aa_key.data, img->aa_key.len)))
		return r;
	if (img->ca_key.len > 0 &&
	    (r = eid_tlv_put(b, TAG_CA_KEY, img->ca_key.data, img->ca_key.len)))
		return r;
	return EID_OK;
}

int eid_cardimage_encode(const struct eid_cardimage *img, eid_buf *out)
{
	eid_buf body;
	int r;

	if ((r = eid_cardimage_check(img)) != EID_OK)
		return EID_EINVAL;
	eid_buf_init_secret(&body, EID_CARDIMAGE_MAX);
	if ((r = encode_members(img, &body)) == EID_OK)
		r = eid_tlv_put(out, TAG_IMAGE, body.data, body.len);
	eid_buf_free(&body);
	return r;
}

/* ---- files ---- */

int eid_cardimage_load(const char *path, struct eid_cardimage *ret)
{
	eid_buf b;
	int r;

	eid_buf_init_secret(&b, EID_CARDIMAGE_MAX);
	if ((r = eid_buf_read_file(&b, path)) == EID_OK)
		r = eid_cardimage_parse(b.data, b.len, ret);
	eid_buf_free(&b);
	return r;
}

int eid_cardimage_save(const struct eid_cardimage *img, const char *path)
{
	eid_buf b;
	int r;

	eid_buf_init_secret(&b, EID_CARDIMAGE_MAX);
	if ((r = eid_cardimage_encode(img, &b)) == EID_OK)
		r = eid_buf_write_file(&b, path, 0600);
	eid_buf_free(&b);
	return r;
}

int eid_cardimage_key(const eid_buf *der, EVP_PKEY **ret)
{
	const unsigned char *p = der->data;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *key;

	*ret = NULL;
	if (der->len == 0)
		return EID_OK;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)der->len);
	if (p8 == NULL || p != der->data + der->len) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return EID_EMALFORMED;
	}
	key = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (key == NULL)
		return EID_EMALFORMED;
	*ret = key;
	return EID_OK;
}
