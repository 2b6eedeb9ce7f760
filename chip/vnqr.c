#include "chip/vnqr.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"

#define VNQR_MAX 2048
#define VNQR_FIELDS_MAX 7

struct span {
	const char *p;
	size_t n;
};

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Split on '|'; more than VNQR_FIELDS_MAX fields is malformed. */
static int split(const char *s, size_t n, struct span *f, size_t *ret_count)
{
	size_t count = 0;
	const char *end = s + n, *bar;

	for (;;) {
		if (count == VNQR_FIELDS_MAX)
			return EID_EMALFORMED;
		bar = memchr(s, '|', (size_t)(end - s));
		f[count].p = s;
		f[count].n = (bar != NULL ? bar : end) - s;
		count++;
		if (bar == NULL)
			break;
		s = bar + 1;
	}
	*ret_count = count;
	return EID_OK;
}

static int take_text(const struct span *f, eid_dg13_str dst)
{
	if (f->n > EID_DG13_STR_MAX)
		return EID_ETOOBIG;
	if (f->n == 0 || !eid_dg13_text_ok((const uint8_t *)f->p, f->n))
		return EID_EMALFORMED;
	memcpy(dst, f->p, f->n);
	dst[f->n] = '\0';
	return EID_OK;
}

static int take_id(const struct span *f, eid_dg13_str dst, bool old)
{
	bool ok = old ? (f->n == 0 || f->n == 9 || f->n == 12) : f->n == 12;

	if (!ok || !all_digits(f->p, f->n))
		return EID_EMALFORMED;
	memcpy(dst, f->p, f->n);
	dst[f->n] = '\0';
	return EID_OK;
}

static int take_sex(const struct span *f, eid_dg13_str dst)
{
	if (!(f->n == 3 && memcmp(f->p, "Nam", 3) == 0) &&
	    !(f->n == 4 && memcmp(f->p, "N\xe1\xbb\xaf", 4) == 0)) /* Nữ */
		return EID_EMALFORMED;
	memcpy(dst, f->p, f->n);
	dst[f->n] = '\0';
	return EID_OK;
}

static int take_date(const struct span *f, eid_dg13_str dst)
{
	if (f->n != 8)
		return EID_EMALFORMED;
	return eid_dg13_date_iso(f->p, f->n, '\0', dst);
}

int eid_vnqr_parse(const char *s, size_t n, struct eid_dg13 *ret)
{
	struct span f[VNQR_FIELDS_MAX];
	struct eid_dg13 *d = NULL;
	size_t count, i = 0;
	int r;

	if (s == NULL || ret == NULL)
		return EID_EINVAL;
	if (n > VNQR_MAX)
		return EID_ETOOBIG;
	if (n > 0 && s[n - 1] == '\n')
		n -= (n > 1 && s[n - 2] == '\r') ? 2 : 1;
	if ((r = split(s, n, f, &count)) != EID_OK)
		return r;
	if (count != 6 && count != 7)
		return EID_EMALFORMED;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return EID_ENOMEM;
	if ((r = take_id(&f[i++], d->personal_id, false)) != EID_OK ||
	    (count == 7 &&
	     (r = take_id(&f[i++], d->old_personal_id, true)) != EID_OK) ||
	    (r = take_text(&f[i++], d->full_name)) != EID_OK ||
	    (r = take_date(&f[i++], d->birthdate)) != EID_OK ||
	    (r = take_sex(&f[i++], d->sex)) != EID_OK ||
	    (r = take_text(&f[i++], d->residence)) != EID_OK ||
	    (r = take_date(&f[i++], d->card_issued)) != EID_OK)
		goto out;
	memcpy(ret, d, sizeof(*d));
out:
	free(d);
	return r;
}

/* "YYYY-MM-DD" to "DDMMYYYY". */
static int put_date(eid_buf *b, const char *iso)
{
	char out[8];
	eid_dg13_str check;

	if (strlen(iso) != 10 || iso[4] != '-' || iso[7] != '-')
		return EID_EINVAL;
	memcpy(out, iso + 8, 2);
	memcpy(out + 2, iso + 5, 2);
	memcpy(out + 4, iso, 4);
	if (eid_dg13_date_iso(out, 8, '\0', check) != EID_OK)
		return EID_EINVAL;
	return eid_buf_put(b, out, 8);
}

/* A field as the parser will check it, then the separator. */
static int put_field(eid_buf *b, const char *s, int (*take)(const struct span *,
							    eid_dg13_str))
{
	struct span f = { s, strlen(s) };
	eid_dg13_str check;

	if (memchr(s, '|', f.n) != NULL || take(&f, check) != EID_OK)
		return EID_EINVAL;
	return eid_buf_put(b, s, f.n);
}

static int take_new_id(const struct span *f, eid_dg13_str dst)
{
	return take_id(f, dst, false);
}

static int take_old_id(const struct span *f, eid_dg13_str dst)
{
	return take_id(f, dst, true);
}

int eid_vnqr_encode(const struct eid_dg13 *d, eid_buf *out)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, VNQR_MAX);
	if ((r = put_field(&b, d->personal_id, take_new_id)) != EID_OK ||
	    (r = eid_buf_put_u8(&b, '|')) != EID_OK ||
	    (r = put_field(&b, d->old_personal_id, take_old_id)) != EID_OK ||
	    (r = eid_buf_put_u8(&b, '|')) != EID_OK ||
	    (r = put_field(&b, d->full_name, take_text)) != EID_OK ||
	    (r = eid_buf_put_u8(&b, '|')) != EID_OK ||
	    (r = put_date(&b, d->birthdate)) != EID_OK ||
	    (r = eid_buf_put_u8(&b, '|')) != EID_OK ||
	    (r = put_field(&b, d->sex, take_sex)) != EID_OK ||
	    (r = eid_buf_put_u8(&b, '|')) != EID_OK ||
	    (r = put_field(&b, d->residence, take_text)) != EID_OK ||
	    (r = eid_buf_put_u8(&b, '|')) != EID_OK ||
	    (r = put_date(&b, d->card_issued)) != EID_OK)
		goto out;
	r = eid_buf_put(out, b.data, b.len);
out:
	eid_buf_free(&b);
	return r;
}
