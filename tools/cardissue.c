#define _GNU_SOURCE /* memmem */
#include "tools/cardissue.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chip/cardaccess.h"
#include "chip/dg13.h"
#include "chip/lds.h"
#include "chip/mrz.h"
#include "chip/reader.h"
#include "chip/sod.h"
#include "crypto/error.h"

static const struct {
	const char *name;
	enum eid_card_fault fault;
} fault_names[] = {
	{ "tampered-dg1", EID_FAULT_TAMPERED_DG1 },
	{ "tampered-dg13", EID_FAULT_TAMPERED_DG13 },
	{ "wrong-sod-signer", EID_FAULT_WRONG_SOD_SIGNER },
	{ "expired-dsc", EID_FAULT_EXPIRED_DSC },
	{ "no-dg15", EID_FAULT_NO_DG15 },
	{ "bac-only", EID_FAULT_BAC_ONLY },
};

int eid_card_fault_parse(const char *name, enum eid_card_fault *ret)
{
	size_t n = sizeof(fault_names) / sizeof(fault_names[0]);

	for (size_t i = 0; i < n; i++)
		if (strcmp(name, fault_names[i].name) == 0) {
			*ret = fault_names[i].fault;
			return EID_OK;
		}
	return EID_EINVAL;
}

/* ---- the test PKI ---- */

#define CSCA_YEARS 15L
#define DSC_YEARS 5L
#define YEAR_SECS (365L * EID_ISSUER_DAY)

/* dir/name.pem and dir/name.key. */
static int pair_paths(const char *dir, const char *name, char cert[4096],
		      char key[4096])
{
	if ((size_t)snprintf(cert, 4096, "%s/%s.pem", dir, name) >= 4096 ||
	    (size_t)snprintf(key, 4096, "%s/%s.key", dir, name) >= 4096)
		return EID_EINVAL;
	return EID_OK;
}

/* Read name.pem and name.key from dir; EID_ENOTFOUND when either is
 * missing. */
static int pki_load_pair(const char *dir, const char *name, X509 **ret_cert,
			 EVP_PKEY **ret_key)
{
	char cert_path[4096], key_path[4096];
	X509 *x = NULL;
	int r;

	if ((r = pair_paths(dir, name, cert_path, key_path)) != EID_OK ||
	    (r = eid_issuer_read_cert(cert_path, &x)) != EID_OK)
		return r;
	if ((r = eid_issuer_read_key(key_path, ret_key)) != EID_OK) {
		X509_free(x);
		return r;
	}
	*ret_cert = x;
	return EID_OK;
}

static int pki_save_pair(const char *dir, const char *name, X509 *x,
			 EVP_PKEY *key)
{
	char cert_path[4096], key_path[4096];
	int r;

	if ((r = pair_paths(dir, name, cert_path, key_path)) != EID_OK ||
	    (r = eid_issuer_write_key(key_path, key)) != EID_OK)
		return r;
	return eid_issuer_write_cert(cert_path, x);
}

/* A new key and certificate: a CSCA when issuer is NULL, else a DSC. */
static int pki_make(const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		    long from, long to, X509 **ret_cert, EVP_PKEY **ret_key)
{
	EVP_PKEY *key = NULL;
	long serial = (long)(time(NULL) & 0x7fffffff);
	int r;

	if ((r = eid_issuer_keygen(EID_ISSUER_KEY_P256, &key)) != EID_OK)
		return r;
	r = eid_issuer_cert(cn, key, issuer, issuer_key, from, to, serial,
			    issuer == NULL, ret_cert);
	if (r != EID_OK) {
		EVP_PKEY_free(key);
		return r;
	}
	*ret_key = key;
	return EID_OK;
}

static int pki_ensure_csca(const char *dir, struct eid_test_pki *p,
			   bool *created)
{
	int r = pki_load_pair(dir, "csca", &p->csca, &p->csca_key);

	if (r != EID_ENOTFOUND)
		return r;
	if ((r = pki_make("eid test CSCA", NULL, NULL, -EID_ISSUER_DAY,
			  CSCA_YEARS * YEAR_SECS, &p->csca, &p->csca_key)))
		return r;
	*created = true;
	return pki_save_pair(dir, "csca", p->csca, p->csca_key);
}

static int pki_ensure_dsc(const char *dir, struct eid_test_pki *p,
			  bool regenerate, bool *created)
{
	int r = regenerate ? EID_ENOTFOUND
			   : pki_load_pair(dir, "dsc", &p->dsc, &p->dsc_key);

	if (r != EID_ENOTFOUND)
		return r;
	if ((r = pki_make("eid test DSC", p->csca, p->csca_key,
			  -EID_ISSUER_DAY, DSC_YEARS * YEAR_SECS, &p->dsc,
			  &p->dsc_key)))
		return r;
	*created = true;
	return pki_save_pair(dir, "dsc", p->dsc, p->dsc_key);
}

int eid_test_pki_open(const char *dir, struct eid_test_pki *ret,
		      bool *ret_created)
{
	struct eid_test_pki p = { 0 };
	bool created = false;
	int r;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return EID_EIO;
	if ((r = pki_ensure_csca(dir, &p, &created)) != EID_OK ||
	    (r = pki_ensure_dsc(dir, &p, created, &created)) != EID_OK) {
		eid_test_pki_close(&p);
		return r;
	}
	*ret = p;
	if (ret_created != NULL)
		*ret_created = created;
	return EID_OK;
}

void eid_test_pki_close(struct eid_test_pki *pki)
{
	X509_free(pki->csca);
	X509_free(pki->dsc);
	EVP_PKEY_free(pki->csca_key);
	EVP_PKEY_free(pki->dsc_key);
	memset(pki, 0, sizeof(*pki));
}

/* ---- names and dates ---- */

/* The base letter of a Vietnamese (or Latin-1) letter, 0 for others. */
static char base_letter(unsigned cp)
{
	static const char latin1[] = "AAAAAAACEEEEIIIIDNOOOOO*OUUUUY";
	/* U+1EA0..U+1EF9 in runs: A 24, E 16, I 4, O 24, U 14, Y 8. */
	static const struct { unsigned end; char c; } ext[] = {
		{ 0x1eb7, 'A' }, { 0x1ec7, 'E' }, { 0x1ecb, 'I' },
		{ 0x1ee3, 'O' }, { 0x1ef1, 'U' }, { 0x1ef9, 'Y' },
	};

	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') ? (char)(cp - 32)
		       : (cp >= 'A' && cp <= 'Z') ? (char)cp : 0;
	if (cp >= 0xc0 && cp <= 0xdd && latin1[cp - 0xc0] != '*')
		return latin1[cp - 0xc0];
	if (cp >= 0xe0 && cp <= 0xfd && latin1[cp - 0xe0] != '*')
		return latin1[cp - 0xe0];
	if (cp == 0x102 || cp == 0x103)
		return 'A';
	if (cp == 0x110 || cp == 0x111)
		return 'D';
	if (cp == 0x128 || cp == 0x129)
		return 'I';
	if (cp == 0x168 || cp == 0x169 || cp == 0x1af || cp == 0x1b0)
		return 'U';
	if (cp == 0x1a0 || cp == 0x1a1)
		return 'O';
	for (size_t i = 0; cp >= 0x1ea0 && i < sizeof(ext) / sizeof(*ext); i++)
		if (cp <= ext[i].end)
			return ext[i].c;
	return 0;
}

/* Decode one UTF-8 sequence (the registry validated it); returns its
 * length, at least 1. */
static size_t utf8_next(const unsigned char *s, unsigned *ret_cp)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	unsigned cp = n == 1 ? s[0] : s[0] & (0x7f >> n);

	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return i;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*ret_cp = cp;
	return n;
}

void eid_card_mrz_name(const char *utf8, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t o = 0;

	while (*s != '\0' && o + 1 < cap) {
		unsigned cp = 0;
		char c;

		s += utf8_next(s, &cp);
		c = base_letter(cp);
		out[o++] = c != 0 ? c : ' ';
	}
	out[o] = '\0';
}

static void yymmdd(const struct eid_date *d, char out[7])
{
	unsigned v[3] = { (unsigned)d->year % 100, (unsigned)d->month % 100,
			  (unsigned)d->day % 100 };

	for (size_t i = 0; i < 3; i++) {
		out[2 * i] = (char)('0' + v[i] / 10);
		out[2 * i + 1] = (char)('0' + v[i] % 10);
	}
	out[6] = '\0';
}

/* Copy at most cap - 1 bytes and terminate (MRZ names are truncated). */
static void copy_trunc(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n > cap - 1)
		n = cap - 1;

	memcpy(out, s, n);
	out[n] = '\0';
}

/* The birthday at age years, 28 February for a 29 February birth in a
 * common year. */
static struct eid_date birthday_at(const struct eid_date *birth, int age)
{
	struct eid_date d = *birth;
	int y;

	d.year += age;
	y = d.year;
	if (d.month == 2 && d.day == 29 &&
	    !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		d.day = 28;
	return d;
}

/* The registry's expiry, else the next of the 25th, 40th and 60th
 * birthdays after today (the Vietnamese rule), else a date 100 years on
 * (cards issued after 60 do not expire; the MRZ needs some date). */
static struct eid_date card_expiry(const struct eid_citizen *c, int64_t now)
{
	static const int ages[] = { 25, 40, 60, 100 };
	struct eid_date today, d = c->card_expires;

	if (d.year != 0)
		return d;
	eid_date_today(now, &today);
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		d = birthday_at(&c->birthdate, ages[i]);
		if (eid_date_cmp(&d, &today) > 0)
			break;
	}
	return d;
}

/* ---- the data groups ---- */

static int build_mrz(const struct eid_citizen *c, int64_t now,
		     struct eid_mrz *m)
{
	char name[EID_CITIZEN_NAME_MAX + 1], *sp;
	struct eid_date exp = card_expiry(c, now);

	memset(m, 0, sizeof(*m));
	m->format = EID_MRZ_TD1;
	memcpy(m->doc_code, "ID", 3);
	memcpy(m->issuer, "VNM", 4);
	memcpy(m->nationality, "VNM", 4);
	memcpy(m->docno, c->personal_id + 3, 9);
	memcpy(m->personal_id, c->personal_id, EID_PERSONAL_ID_LEN + 1);
	yymmdd(&c->birthdate, m->dob);
	yymmdd(&exp, m->expiry);
	m->sex = c->sex == EID_SEX_FEMALE ? 'F' : 'M';
	/* Family name first, as Vietnamese names are written. */
	eid_card_mrz_name(c->full_name, name, sizeof(name));
	sp = strchr(name, ' ');
	if (sp != NULL)
		*sp++ = '\0';
	copy_trunc(m->primary, sizeof(m->primary), name);
	copy_trunc(m->secondary, sizeof(m->secondary), sp ? sp : "");
	return EID_OK;
}

static void iso_date(const struct eid_date *d, eid_dg13_str out)
{
	char s[11];

	out[0] = '\0';
	if (d->year == 0)
		return;
	eid_date_format(d, s);
	memcpy(out, s, sizeof(s));
}

static void text(eid_dg13_str out, const char *s)
{
	copy_trunc(out, sizeof(eid_dg13_str), s);
}

static void build_dg13_fields(const struct eid_citizen *c, int64_t now,
			      struct eid_dg13 *d)
{
	struct eid_date exp = card_expiry(c, now);

	memset(d, 0, sizeof(*d));
	text(d->personal_id, c->personal_id);
	text(d->full_name, c->full_name);
	iso_date(&c->birthdate, d->birthdate);
	text(d->sex, c->sex == EID_SEX_FEMALE ? "Nữ" : "Nam");
	text(d->nationality, strcmp(c->nationality, "VNM") == 0
				     ? "Việt Nam" : c->nationality);
	text(d->ethnicity, c->ethnicity);
	text(d->religion, c->religion);
	text(d->place_of_origin, c->place_of_origin);
	text(d->residence, c->residence);
	iso_date(&c->card_issued, d->card_issued);
	iso_date(&exp, d->card_expires);
	/* A 9-digit card number is the old identity card (CMND). */
	if (strlen(c->card_number) == 9)
		text(d->old_personal_id, c->card_number);
}

struct issue_state {
	eid_buf dg[17]; /* by data-group number; [0] EF.COM */
	eid_buf sod;
	struct eid_mrz mrz;
	EVP_PKEY *aa_key;
	EVP_PKEY *ca_key;
};

static void state_init(struct issue_state *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < 17; i++)
		eid_buf_init(&st->dg[i], EID_CARDIMAGE_FILE_MAX);
	eid_buf_init(&st->sod, EID_CARDIMAGE_FILE_MAX);
}

static void state_free(struct issue_state *st)
{
	for (size_t i = 0; i < 17; i++)
		eid_buf_free(&st->dg[i]);
	eid_buf_free(&st->sod);
	EVP_PKEY_free(st->aa_key);
	EVP_PKEY_free(st->ca_key);
}

static const int signed_dgs[] = { 1, 2, 13, 14, 15 };
#define N_SIGNED (sizeof(signed_dgs) / sizeof(signed_dgs[0]))

static int build_com(const struct issue_state *st, eid_buf *out)
{
	struct eid_lds_com com = { .lds_version = "0107",
				   .unicode_version = "040000" };

	for (size_t i = 0; i < N_SIGNED; i++)
		if (st->dg[signed_dgs[i]].len > 0)
			com.tags[com.ntags++] =
				(uint8_t)eid_lds_by_dg(signed_dgs[i])->tag;
	return eid_lds_com_encode(&com, out);
}

static int build_dgs(const struct eid_citizen *c,
		     const struct eid_card_issue_opts *o,
		     struct issue_state *st)
{
	struct eid_mrz *m = &st->mrz;
	struct eid_dg13 d13;
	eid_buf jpeg;
	int r;

	eid_buf_init(&jpeg, EID_CARDIMAGE_FILE_MAX - 1024);
	build_dg13_fields(c, o->now, &d13);
	if ((r = build_mrz(c, o->now, m)) ||
	    (r = eid_lds_dg1_encode(m, &st->dg[1])) ||
	    (r = eid_issuer_face_jpeg(64, 80, o->face_bytes, &jpeg)) ||
	    (r = eid_lds_dg2_encode(jpeg.data, jpeg.len, 64, 80, &st->dg[2])) ||
	    (r = eid_dg13_encode(&d13, &st->dg[13])) ||
	    (r = eid_issuer_keygen(EID_ISSUER_KEY_P256, &st->ca_key)) ||
	    (r = eid_lds_dg14_encode_ca(st->ca_key, &st->dg[14])))
		goto out;
	if (o->fault != EID_FAULT_NO_DG15 &&
	    ((r = eid_issuer_keygen(o->aa_key ? o->aa_key
					      : EID_ISSUER_KEY_RSA2048,
				    &st->aa_key)) ||
	     (r = eid_lds_dg15_encode(st->aa_key, &st->dg[15]))))
		goto out;
	r = build_com(st, &st->dg[0]);
out:
	eid_buf_free(&jpeg);
	return r;
}

/* The DSC that signs: the PKI's, or a faulty one made for this card. */
static int signer_for(const struct eid_test_pki *pki, enum eid_card_fault f,
		      X509 **ret_dsc, EVP_PKEY **ret_key)
{
	X509 *other_csca = NULL;
	EVP_PKEY *other_key = NULL;
	int r;

	if (f == EID_FAULT_EXPIRED_DSC)
		return pki_make("eid test DSC (expired)", pki->csca,
				pki->csca_key, -400 * EID_ISSUER_DAY,
				-30 * EID_ISSUER_DAY, ret_dsc, ret_key);
	if (f != EID_FAULT_WRONG_SOD_SIGNER) {
		if (!X509_up_ref(pki->dsc) || !EVP_PKEY_up_ref(pki->dsc_key))
			return EID_EINTERNAL;
		*ret_dsc = pki->dsc;
		*ret_key = pki->dsc_key;
		return EID_OK;
	}
	/* Same names as the real ones: only the keys tell them apart. */
	r = pki_make("eid test CSCA", NULL, NULL, -EID_ISSUER_DAY,
		     CSCA_YEARS * YEAR_SECS, &other_csca, &other_key);
	if (r == EID_OK)
		r = pki_make("eid test DSC", other_csca, other_key,
			     -EID_ISSUER_DAY, DSC_YEARS * YEAR_SECS, ret_dsc,
			     ret_key);
	X509_free(other_csca);
	EVP_PKEY_free(other_key);
	return r;
}

static int build_sod(const struct eid_test_pki *pki, enum eid_card_fault f,
		     struct issue_state *st)
{
	struct eid_dg_bytes dgs[N_SIGNED];
	size_t n = 0;
	X509 *dsc = NULL;
	EVP_PKEY *key = NULL;
	int r;

	for (size_t i = 0; i < N_SIGNED; i++)
		if (st->dg[signed_dgs[i]].len > 0)
			dgs[n++] = (struct eid_dg_bytes){
				signed_dgs[i], st->dg[signed_dgs[i]].data,
				st->dg[signed_dgs[i]].len };
	if ((r = signer_for(pki, f, &dsc, &key)) != EID_OK)
		return r;
	r = eid_sod_build(dgs, n, EVP_sha256(), dsc, key, 0, &st->sod);
	X509_free(dsc);
	EVP_PKEY_free(key);
	return r;
}

/* Change one byte that keeps the file parseable: the last filler of the
 * MRZ's name line (outside every check digit), or the first letter of the
 * name in DG13 (its case). */
static void tamper(const struct eid_citizen *c, enum eid_card_fault f,
		   struct issue_state *st)
{
	eid_buf *b;
	uint8_t *p;

	if (f == EID_FAULT_TAMPERED_DG1) {
		b = &st->dg[1];
		b->data[b->len - 1] = b->data[b->len - 1] == '<' ? 'X' : '<';
	} else if (f == EID_FAULT_TAMPERED_DG13) {
		b = &st->dg[13];
		p = memmem(b->data, b->len, c->full_name, strlen(c->full_name));
		if (p != NULL && ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
			*p ^= 0x20;
		else
			b->data[b->len - 1] ^= 0x01;
	}
}

/* EF.CardAccess offering PACE: ECDH generic mapping, AES-128,
 * brainpoolP256r1 (standardized domain parameters 13). */
static int put_card_access(struct eid_cardimage *img)
{
	struct eid_pace_info info;
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_CARDACCESS_MAX);
	if ((r = eid_pace_info_set(&info, EID_KA_ECDH, EID_SM_AES, 16, 13)) ==
		    EID_OK &&
	    (r = eid_cardaccess_encode(&info, 1, &b)) == EID_OK)
		r = eid_cardimage_set_file(img, EID_FID_CARD_ACCESS, b.data,
					   b.len);
	eid_buf_free(&b);
	return r;
}

static int fill_files(const struct issue_state *st, bool pace,
		      struct eid_cardimage *img)
{
	int r;

	for (int dg = 0; dg <= 16; dg++) {
		const struct eid_lds_file *f =
			eid_lds_by_dg(dg == 0 ? EID_LDS_COM : dg);

		if (f == NULL || st->dg[dg].len == 0)
			continue;
		if ((r = eid_cardimage_set_file(img, f->fid, st->dg[dg].data,
						st->dg[dg].len)) != EID_OK)
			return r;
	}
	if ((r = eid_cardimage_set_file(img, EID_FID_SOD, st->sod.data,
					st->sod.len)) != EID_OK)
		return r;
	if (!pace)
		return EID_OK;
	return put_card_access(img);
}

static int fill_image(const struct issue_state *st,
		      const struct eid_citizen *c,
		      const struct eid_card_issue_opts *o,
		      struct eid_cardimage *img)
{
	eid_buf info;
	int r;

	eid_buf_init(&info, EID_BAC_MRZ_INFO_MAX);
	if ((r = eid_mrz_info_build(st->mrz.docno, st->mrz.dob,
				    st->mrz.expiry, &info)) != EID_OK)
		goto out;
	memcpy(img->mrz_info, info.data, info.len);
	img->mrz_info[info.len] = '\0';
	memcpy(img->can, c->personal_id + EID_PERSONAL_ID_LEN - 6, 6);
	img->can[6] = '\0';
	img->access = o->fault == EID_FAULT_BAC_ONLY
			      ? EID_CARD_ACCESS_BAC : EID_CARD_ACCESS_PACE_BAC;
	img->max_read = o->max_read ? o->max_read : EID_APDU_SHORT_NE_MAX;
	img->extended = o->extended;
	if ((r = fill_files(st, img->access == EID_CARD_ACCESS_PACE_BAC,
			    img)) != EID_OK)
		goto out;
	if (st->aa_key != NULL &&
	    (r = eid_issuer_key_pkcs8(st->aa_key, &img->aa_key)) != EID_OK)
		goto out;
	if ((r = eid_issuer_key_pkcs8(st->ca_key, &img->ca_key)) != EID_OK)
		goto out;
	r = eid_cardimage_check(img) == EID_OK ? EID_OK : EID_EINVAL;
out:
	eid_buf_free(&info);
	return r;
}

int eid_card_issue(const struct eid_citizen *c,
		   const struct eid_test_pki *pki,
		   const struct eid_card_issue_opts *o,
		   struct eid_cardimage *ret)
{
	struct eid_cardimage img;
	struct issue_state st;
	int r;

	state_init(&st);
	eid_cardimage_init(&img);
	if ((r = build_dgs(c, o, &st)) || (r = build_sod(pki, o->fault, &st)))
		goto out;
	tamper(c, o->fault, &st);
	if ((r = fill_image(&st, c, o, &img)) != EID_OK)
		goto out;
	*ret = img;
	eid_cardimage_init(&img);
out:
	eid_cardimage_clear(&img);
	state_free(&st);
	return r;
}
