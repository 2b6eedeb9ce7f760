/* Server-side chip verification: one-time AA challenges and the checks
 * over an uploaded card (see chipverify.h).
 *
 * A challenge record is issued_at (8 bytes big-endian), the challenge (8)
 * and the binding.  The store keeps it for an hour past its lifetime so a
 * late upload is told "expired" rather than "unknown"; its issued_at, not
 * the store's expiry, decides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/objects.h>

#include "chip/cardaccess.h"
#include "chip/lds.h"
#include "chip/sod.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/chipverify.h"

#define KEY_PREFIX "chip:"
#define KEY_MAX (sizeof(KEY_PREFIX) + EID_CHIPVERIFY_ID_LEN)
#define GRACE 3600u
#define REC_HEAD (8 + EID_AA_CHALLENGE_LEN)

static int binding_ok(const char *binding)
{
	size_t n = binding != NULL ? strlen(binding) : 0;

	return n > 0 && n <= EID_CHIPVERIFY_BINDING_MAX;
}

static void challenge_key(const char *id, char key[KEY_MAX])
{
	snprintf(key, KEY_MAX, "%s%s", KEY_PREFIX, id);
}

int eid_chipverify_challenge(eid_store *s, const char *binding, uint64_t now,
			     uint8_t ret_challenge[EID_AA_CHALLENGE_LEN],
			     char ret_id[EID_CHIPVERIFY_ID_LEN + 1])
{
	uint8_t raw_id[16], rec[REC_HEAD + EID_CHIPVERIFY_BINDING_MAX];
	char id[EID_CHIPVERIFY_ID_LEN + 1], key[KEY_MAX];
	size_t blen;
	int r;

	if (s == NULL || !binding_ok(binding))
		return EID_EINVAL;
	blen = strlen(binding);
	if ((r = eid_random_bytes(raw_id, sizeof(raw_id))) != EID_OK ||
	    (r = eid_random_bytes(rec + 8, EID_AA_CHALLENGE_LEN)) != EID_OK ||
	    (r = eid_b64url_encode_str(raw_id, sizeof(raw_id), id,
				       sizeof(id))) != EID_OK)
		goto out;
	eid_be64_store(rec, now);
	memcpy(rec + REC_HEAD, binding, blen);
	challenge_key(id, key);
	r = eid_eph_put(s, EID_EPH_CHALLENGES, key, strlen(key), rec,
			REC_HEAD + blen, now + EID_CHIPVERIFY_TTL + GRACE);
	if (r != EID_OK)
		goto out;
	memcpy(ret_challenge, rec + 8, EID_AA_CHALLENGE_LEN);
	memcpy(ret_id, id, sizeof(id));
out:
	eid_wipe(rec, sizeof(rec));
	return r;
}

/* Take the challenge id (once) and check its age and binding. */
static int take_challenge(eid_store *s, const char *id, const char *binding,
			  uint64_t now,
			  uint8_t ret_challenge[EID_AA_CHALLENGE_LEN])
{
	char key[KEY_MAX];
	eid_buf v;
	uint64_t issued;
	int r;

	if (strlen(id) != EID_CHIPVERIFY_ID_LEN)
		return EID_EREPLAY; /* never one of ours */
	challenge_key(id, key);
	eid_buf_init(&v, REC_HEAD + EID_CHIPVERIFY_BINDING_MAX);
	r = eid_eph_take(s, EID_EPH_CHALLENGES, key, strlen(key), &v);
	if (r == EID_ENOTFOUND) {
		r = EID_EREPLAY;
		goto out;
	}
	if (r != EID_OK)
		goto out;
	if (v.len <= REC_HEAD) {
		r = EID_EINTERNAL;
		goto out;
	}
	issued = eid_be64_load(v.data);
	if (now < issued || now - issued > EID_CHIPVERIFY_TTL) {
		r = EID_EEXPIRED;
		goto out;
	}
	if (!eid_ct_equal_len(v.data + REC_HEAD, v.len - REC_HEAD, binding,
			      strlen(binding))) {
		r = EID_EPERM;
		goto out;
	}
	memcpy(ret_challenge, v.data + 8, EID_AA_CHALLENGE_LEN);
out:
	eid_buf_free(&v);
	return r;
}

static int upload_ok(const struct eid_chip_upload *up)
{
	const struct eid_chip_file *f[] = { &up->dg1, &up->dg2, &up->dg13,
					    &up->dg14, &up->dg15,
					    &up->aa_signature };

	if (up->sod.len == 0 || up->dg1.len == 0 || up->challenge_id == NULL ||
	    up->sod.len > EID_SOD_MAX_LEN || up->aa_signature.len > EID_AA_MAX_SIG)
		return EID_EINVAL;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i]->len > EID_CHIPVERIFY_FILE_MAX ||
		    (f[i]->len > 0 && f[i]->data == NULL))
			return EID_EINVAL;
	return up->sod.data != NULL ? EID_OK : EID_EINVAL;
}

/* ---- Passive Authentication ---- */

static void add_dg(struct eid_dg_bytes *dgs, size_t *n, int number,
		   const struct eid_chip_file *f)
{
	if (f->len > 0)
		dgs[(*n)++] = (struct eid_dg_bytes){ number, f->data, f->len };
}

static int passive(const eid_csca_store *csca,
		   const struct eid_chip_upload *up, uint64_t now,
		   struct eid_chip_verdict *v)
{
	struct eid_dg_bytes dgs[5];
	eid_sod *sod = NULL;
	size_t n = 0;
	int r;

	add_dg(dgs, &n, 1, &up->dg1);
	add_dg(dgs, &n, 2, &up->dg2);
	add_dg(dgs, &n, 13, &up->dg13);
	add_dg(dgs, &n, 14, &up->dg14);
	add_dg(dgs, &n, 15, &up->dg15);
	v->pa = EID_CHIP_INVALID;
	r = eid_sod_parse(up->sod.data, up->sod.len, &sod);
	if (r != EID_OK) {
		snprintf(v->pa_reason, sizeof(v->pa_reason), "EF.SOD: %s",
			 eid_strerror(r));
		return r == EID_ENOMEM ? r : EID_OK;
	}
	r = eid_pa_verify(csca, sod, dgs, n, (time_t)now, &v->pa_report);
	eid_sod_free(sod);
	if (r == EID_OK || r == EID_EVERIFY) {
		v->has_pa_report = true;
		v->pa = r == EID_OK ? EID_CHIP_VALID : EID_CHIP_INVALID;
		return EID_OK;
	}
	snprintf(v->pa_reason, sizeof(v->pa_reason), "%s", eid_strerror(r));
	return r == EID_ENOMEM ? r : EID_OK;
}

/* ---- Active Authentication ---- */

/* The ECDSA hash DG14's ActiveAuthenticationInfo names; NULL (by curve
 * size) when DG14 is absent or names none.  An unknown hash is an error. */
static int aa_hash(const struct eid_chip_file *dg14, const EVP_MD **ret_md)
{
	struct eid_lds_dg14 d = { 0 };
	struct eid_security_infos *si = NULL;
	uint8_t der[2 + EID_OID_MAX];
	const unsigned char *p = der;
	ASN1_OBJECT *obj = NULL;
	char dotted[80];
	int r;

	*ret_md = NULL;
	if (dg14->len == 0)
		return EID_OK;
	if ((si = calloc(1, sizeof(*si))) == NULL)
		return EID_ENOMEM;
	if ((r = eid_lds_dg14_parse(dg14->data, dg14->len, &d)) != EID_OK ||
	    (r = eid_security_infos_parse(d.security_infos,
					  d.security_infos_len, si)) != EID_OK ||
	    !si->has_aa)
		goto out;
	der[0] = 0x06;
	der[1] = (uint8_t)si->aa.sig_alg.len;
	memcpy(der + 2, si->aa.sig_alg.v, si->aa.sig_alg.len);
	obj = d2i_ASN1_OBJECT(NULL, &p, (long)(2 + si->aa.sig_alg.len));
	if (obj == NULL || OBJ_obj2txt(dotted, sizeof(dotted), obj, 1) <= 0) {
		r = EID_EMALFORMED;
		goto out;
	}
	r = eid_aa_ecdsa_md_from_oid(dotted, ret_md);
out:
	ASN1_OBJECT_free(obj);
	eid_lds_dg14_clear(&d);
	free(si);
	return r;
}

static void active(const struct eid_chip_upload *up,
		   const uint8_t challenge[EID_AA_CHALLENGE_LEN],
		   struct eid_chip_verdict *v)
{
	EVP_PKEY *key = NULL;
	const EVP_MD *md = NULL;
	int r;

	v->aa = EID_CHIP_INVALID;
	if (up->dg15.len == 0) {
		v->aa = EID_CHIP_NOT_SUPPORTED;
		snprintf(v->aa_reason, sizeof(v->aa_reason),
			 "the card has no DG15 (no Active Authentication)");
		return;
	}
	if (up->aa_signature.len == 0) {
		snprintf(v->aa_reason, sizeof(v->aa_reason),
			 "no aa_signature uploaded");
		return;
	}
	if ((r = eid_lds_dg15_parse(up->dg15.data, up->dg15.len, &key))) {
		snprintf(v->aa_reason, sizeof(v->aa_reason), "DG15: %s",
			 eid_strerror(r));
		return;
	}
	if ((r = aa_hash(&up->dg14, &md)) != EID_OK) {
		snprintf(v->aa_reason, sizeof(v->aa_reason),
			 "DG14 ActiveAuthenticationInfo: %s", eid_strerror(r));
		goto out;
	}
	if (md != NULL && EVP_PKEY_base_id(key) == EVP_PKEY_EC)
		snprintf(v->aa_hash, sizeof(v->aa_hash), "%s",
			 EVP_MD_get0_name(md));
	r = eid_aa_verify(key, challenge, up->aa_signature.data,
			  up->aa_signature.len, md);
	if (r == EID_OK)
		v->aa = EID_CHIP_VALID;
	else
		snprintf(v->aa_reason, sizeof(v->aa_reason),
			 r == EID_EVERIFY ? "the signature does not verify "
					    "over the challenge"
					  : "%s", eid_strerror(r));
out:
	EVP_PKEY_free(key);
}

/* ---- identity ---- */

static int year_of(uint64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;

	return gmtime_r(&t, &tm) != NULL ? tm.tm_year + 1900 : 2025;
}

static void identity(const struct eid_chip_upload *up, uint64_t now,
		     struct eid_chip_verdict *v)
{
	int r;

	v->consistency = EID_CHIP_NOT_CHECKED;
	r = eid_lds_dg1_parse(up->dg1.data, up->dg1.len, &v->mrz);
	v->has_mrz = r == EID_OK;
	if (v->has_mrz) {
		int year = year_of(now);

		/* Birth dates are never ahead; expiry up to 50 years. */
		(void)eid_mrz_date_iso(v->mrz.dob, year, 0, v->mrz_birthdate);
		(void)eid_mrz_date_iso(v->mrz.expiry, year, 50,
				       v->mrz_expiry);
	}
	if (!v->has_mrz)
		snprintf(v->consistency_reason, sizeof(v->consistency_reason),
			 "DG1: %s", eid_strerror(r));
	if (up->dg13.len > 0) {
		r = eid_dg13_parse(up->dg13.data, up->dg13.len, &v->dg13);
		v->has_dg13 = r == EID_OK;
		if (!v->has_dg13)
			snprintf(v->consistency_reason,
				 sizeof(v->consistency_reason), "DG13: %s",
				 eid_strerror(r));
	}
	if (!v->has_mrz || (up->dg13.len > 0 && !v->has_dg13)) {
		v->consistency = EID_CHIP_INVALID;
		return;
	}
	if (!v->has_dg13 || v->mrz.personal_id[0] == '\0') {
		v->consistency = EID_CHIP_VALID; /* nothing to compare */
		return;
	}
	if (strcmp(v->mrz.personal_id, v->dg13.personal_id) == 0) {
		v->consistency = EID_CHIP_VALID;
		return;
	}
	v->consistency = EID_CHIP_INVALID;
	snprintf(v->consistency_reason, sizeof(v->consistency_reason),
		 "the personal IDs in DG1 and DG13 differ");
}

int eid_chipverify_run(eid_store *s, const eid_csca_store *csca,
		       const struct eid_chip_upload *up, const char *binding,
		       uint64_t now, struct eid_chip_verdict *ret)
{
	uint8_t challenge[EID_AA_CHALLENGE_LEN];
	int r;

	if (s == NULL || csca == NULL || up == NULL || ret == NULL ||
	    !binding_ok(binding))
		return EID_EINVAL;
	if ((r = upload_ok(up)) != EID_OK)
		return r;
	if ((r = take_challenge(s, up->challenge_id, binding, now,
				challenge)) != EID_OK)
		return r;
	memset(ret, 0, sizeof(*ret));
	if ((r = passive(csca, up, now, ret)) != EID_OK)
		goto out;
	active(up, challenge, ret);
	identity(up, now, ret);
	ret->valid = ret->pa == EID_CHIP_VALID && ret->aa == EID_CHIP_VALID &&
		     ret->consistency == EID_CHIP_VALID;
out:
	eid_wipe(challenge, sizeof(challenge));
	return r;
}

/* ---- the upload body ---- */

static const char *const body_members[7] = {
	"sod", "dg1", "dg2", "dg13", "dg14", "dg15", "aa_signature",
};

static struct eid_chip_file *body_slot(struct eid_chip_upload *up, size_t i)
{
	struct eid_chip_file *slots[7] = { &up->sod,  &up->dg1,  &up->dg2,
					   &up->dg13, &up->dg14, &up->dg15,
					   &up->aa_signature };

	return slots[i];
}

void eid_chip_body_init(struct eid_chip_body *b)
{
	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < 7; i++)
		eid_buf_init(&b->files[i], i == 0 ? EID_SOD_MAX_LEN
					  : i == 6 ? EID_AA_MAX_SIG
						   : EID_CHIPVERIFY_FILE_MAX);
}

void eid_chip_body_clear(struct eid_chip_body *b)
{
	for (size_t i = 0; i < 7; i++)
		eid_buf_free(&b->files[i]);
	eid_chip_body_init(b);
}

static int body_file(const json_t *o, size_t i, struct eid_chip_body *b)
{
	const json_t *v = json_object_get(o, body_members[i]);
	int r;

	if (v == NULL)
		return EID_OK;
	if (!json_is_string(v))
		return EID_EMALFORMED;
	r = eid_b64url_decode(json_string_value(v), json_string_length(v),
			      &b->files[i]);
	if (r == EID_OK)
		*body_slot(&b->up, i) = (struct eid_chip_file){
			b->files[i].data, b->files[i].len };
	return r;
}

int eid_chip_body_parse(const uint8_t *p, size_t n, struct eid_chip_body *b,
			const char **ret_member)
{
	const char *member = "";
	const json_t *id;
	json_t *o = NULL;
	int r = EID_EMALFORMED;

	if (n > EID_CHIPVERIFY_BODY_MAX) {
		r = EID_ETOOBIG;
		goto out;
	}
	o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		goto out;
	for (size_t i = 0; i < 7; i++)
		if ((r = body_file(o, i, b)) != EID_OK) {
			member = body_members[i];
			goto out;
		}
	member = "challenge_id";
	id = json_object_get(o, "challenge_id");
	if (id != NULL && (!json_is_string(id) ||
			   json_string_length(id) > EID_CHIPVERIFY_ID_LEN ||
			   strlen(json_string_value(id)) !=
				   json_string_length(id))) {
		r = EID_EMALFORMED;
		goto out;
	}
	if (id != NULL) {
		memcpy(b->challenge_id, json_string_value(id),
		       json_string_length(id) + 1);
		b->up.challenge_id = b->challenge_id;
	}
	r = EID_OK;
	if (id == NULL || b->up.sod.len == 0 || b->up.dg1.len == 0) {
		member = id == NULL ? "challenge_id"
			 : b->up.sod.len == 0 ? "sod" : "dg1";
		r = EID_EINVAL;
	}
out:
	json_decref(o);
	if (ret_member != NULL)
		*ret_member = r == EID_OK ? "" : member;
	return r;
}

const char *eid_chip_check_name(enum eid_chip_check c)
{
	switch (c) {
	case EID_CHIP_VALID:
		return "valid";
	case EID_CHIP_INVALID:
		return "invalid";
	case EID_CHIP_NOT_SUPPORTED:
		return "not_supported";
	case EID_CHIP_NOT_CHECKED:
		break;
	}
	return "not_checked";
}

/* ---- JSON ---- */

static json_t *check_json(enum eid_chip_check c, const char *reason)
{
	json_t *o = json_pack("{s:s}", "verdict", eid_chip_check_name(c));

	if (o != NULL && reason[0] != '\0')
		json_object_set_new(o, "reason", json_string(reason));
	return o;
}

static json_t *mrz_json(const struct eid_chip_verdict *v)
{
	const struct eid_mrz *m = &v->mrz;
	char sex[2] = { m->sex, '\0' };

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "document_code", m->doc_code, "issuer", m->issuer,
			 "document_number", m->docno, "personal_id",
			 m->personal_id, "birthdate", v->mrz_birthdate, "sex",
			 sex, "expiry", v->mrz_expiry, "nationality",
			 m->nationality, "primary_identifier", m->primary,
			 "secondary_identifier", m->secondary);
}

static void set_str(json_t *o, const char *name, const char *value)
{
	if (value != NULL && value[0] != '\0' &&
	    json_object_get(o, name) == NULL)
		json_object_set_new(o, name, json_string(value));
}

/* DG13 first, then the MRZ for what DG13 lacks. */
static json_t *identity_json(const struct eid_chip_verdict *v,
			     const json_t *mrz, const json_t *dg13)
{
	static const char *const dg13_keys[] = {
		"personal_id", "full_name", "birthdate", "sex",
		"nationality", "card_issued", "card_expires",
		"place_of_origin", "residence",
	};
	json_t *o = json_object();

	for (size_t i = 0; o && dg13 &&
			   i < sizeof(dg13_keys) / sizeof(dg13_keys[0]); i++)
		set_str(o, dg13_keys[i],
			json_string_value(json_object_get(dg13, dg13_keys[i])));
	if (o == NULL || mrz == NULL)
		return o;
	set_str(o, "document_number",
		json_string_value(json_object_get(mrz, "document_number")));
	set_str(o, "personal_id", v->mrz.personal_id);
	set_str(o, "birthdate",
		json_string_value(json_object_get(mrz, "birthdate")));
	set_str(o, "card_expires",
		json_string_value(json_object_get(mrz, "expiry")));
	set_str(o, "sex", v->mrz.sex == 'M'   ? "male"
			  : v->mrz.sex == 'F' ? "female" : NULL);
	return o;
}

static int pa_json(const struct eid_chip_verdict *v, json_t **ret)
{
	json_t *o = check_json(v->pa, v->pa_reason), *rep = NULL;
	int r;

	if (o == NULL)
		return EID_ENOMEM;
	if (v->has_pa_report) {
		if ((r = eid_pa_report_to_json(&v->pa_report, &rep))) {
			json_decref(o);
			return r;
		}
		json_object_set_new(o, "report", rep);
	}
	*ret = o;
	return EID_OK;
}

int eid_chipverify_verdict_to_json(const struct eid_chip_verdict *v,
				   json_t **ret_json)
{
	json_t *o = json_object(), *pa = NULL, *aa, *mrz = NULL, *dg13 = NULL;
	int r;

	if (o == NULL || (r = pa_json(v, &pa)) != EID_OK) {
		r = EID_ENOMEM;
		goto fail;
	}
	json_object_set_new(o, "valid", json_boolean(v->valid));
	json_object_set_new(o, "passive_authentication", pa);
	aa = check_json(v->aa, v->aa_reason);
	if (aa != NULL && v->aa_hash[0] != '\0')
		json_object_set_new(aa, "hash", json_string(v->aa_hash));
	json_object_set_new(o, "active_authentication", aa);
	json_object_set_new(o, "consistency",
			    check_json(v->consistency, v->consistency_reason));
	if (v->has_mrz)
		mrz = mrz_json(v);
	if (v->has_dg13 && (r = eid_dg13_to_json(&v->dg13, &dg13)) != EID_OK)
		goto fail;
	json_object_set_new(o, "identity", identity_json(v, mrz, dg13));
	if (mrz != NULL)
		json_object_set_new(o, "mrz", mrz);
	if (dg13 != NULL)
		json_object_set_new(o, "dg13", dg13);
	*ret_json = o;
	return EID_OK;
fail:
	json_decref(o);
	return r;
}
