#include "idp/activation.h"
#include "idp/activation_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/jsonrec.h"
#include "idp/registration.h"
#include "idp/registry.h"
#include "idp/session.h"

#define RECORD_MAX (64u * 1024)
#define KEY_MAX 64
#define SALT_LEN 16

static const char *const state_names[] = {
	[EID_ACTIVATION_STARTED] = "started",
	[EID_ACTIVATION_CHIP_OK] = "chip_verified",
	[EID_ACTIVATION_CHIP_FAILED] = "chip_failed",
	[EID_ACTIVATION_CODE_ISSUED] = "code_issued",
	[EID_ACTIVATION_COMPLETED] = "completed",
	[EID_ACTIVATION_BIRTH_OK] = "birth_record_verified",
};

static const char *const guardian_names[] = {
	[EID_AGUARDIAN_NONE] = "none",
	[EID_AGUARDIAN_WAITING] = "waiting",
	[EID_AGUARDIAN_VERIFIED] = "verified",
};

static const char *const check_names[] = {
	[EID_ACHECK_VALID] = "valid",
	[EID_ACHECK_INVALID] = "invalid",
	[EID_ACHECK_NOT_SUPPORTED] = "not_supported",
	[EID_ACHECK_NOT_CHECKED] = "not_checked",
};

const char *eid_activation_state_name(enum eid_activation_state s)
{
	return (unsigned)s <= EID_ACTIVATION_BIRTH_OK ? state_names[s] : "?";
}

const char *eid_activation_guardian_name(enum eid_activation_guardian g)
{
	return (unsigned)g <= EID_AGUARDIAN_VERIFIED ? guardian_names[g] : "?";
}

const char *eid_activation_check_name(enum eid_activation_check c)
{
	return (unsigned)c <= EID_ACHECK_NOT_CHECKED ? check_names[c] : "?";
}

static int parse_name(const char *const *names, size_t n, const char *s,
		      int *ret)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*ret = (int)i;
			return EID_OK;
		}
	return EID_EMALFORMED;
}

static void say(eid_buf *why, const char *reason)
{
	if (why != NULL)
		(void)eid_buf_put_str(why, reason);
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* ---- the stored forms ---- */

static int case_key(const char *id, char out[KEY_MAX])
{
	int n = snprintf(out, KEY_MAX, "case:%s", id ? id : "");

	return id == NULL || strlen(id) != EID_ACTIVATION_ID_LEN ||
			       n >= KEY_MAX ? EID_ENOTFOUND : EID_OK;
}

static json_t *fields_json(const struct eid_activation *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < c->n_fields; i++) {
		const struct eid_activation_field *f = &c->fields[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b}",
						   "field", f->name,
						   "registry", f->registry,
						   "card", f->card, "match",
						   f->match));
	}
	return a;
}

int eid_activation_to_json(const struct eid_activation *c, json_t **ret)
{
	json_t *o = json_pack(
		"{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:s, "
		"s:s, s:s, s:o, s:s, s:I}",
		"v", 1, "id", c->id, "personal_id", c->personal_id, "officer",
		c->officer, "unit", c->unit, "state",
		eid_activation_state_name(c->state), "created_at",
		(json_int_t)c->created_at, "updated_at",
		(json_int_t)c->updated_at, "chip_read", c->chip_read,
		"passive_authentication", eid_activation_check_name(c->pa),
		"pa_reason", c->pa_reason, "active_authentication",
		eid_activation_check_name(c->aa), "aa_reason", c->aa_reason,
		"fields", fields_json(c), "refusal", c->refusal,
		"code_expires_at", (json_int_t)c->code_expires_at);

	if (o != NULL && c->guardian != EID_AGUARDIAN_NONE &&
	    json_object_update_new(
		    o, json_pack("{s:s, s:s, s:s, s:s}", "guardian_id",
				 c->guardian_id, "guardian",
				 eid_activation_guardian_name(c->guardian),
				 "guardian_pa",
				 eid_activation_check_name(c->guardian_pa),
				 "guardian_aa",
				 eid_activation_check_name(c->guardian_aa))) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o == NULL)
		return EID_ENOMEM;
	*ret = o;
	return EID_OK;
}

static int fields_from_json(json_t *a, struct eid_activation *c)
{
	size_t i;
	json_t *f;

	if (!json_is_array(a) || json_array_size(a) > EID_ACTIVATION_MAX_FIELDS)
		return EID_EMALFORMED;
	json_array_foreach(a, i, f) {
		struct eid_activation_field *d = &c->fields[i];
		json_t *m = json_object_get(f, "match");

		if (eid_jrec_text(f, "field", d->name, sizeof(d->name)) ||
		    eid_jrec_text(f, "registry", d->registry,
				  sizeof(d->registry)) ||
		    eid_jrec_text(f, "card", d->card, sizeof(d->card)) ||
		    !json_is_boolean(m))
			return EID_EMALFORMED;
		d->match = json_is_true(m);
	}
	c->n_fields = json_array_size(a);
	return EID_OK;
}

/* A minor's case has the guardian's members; an adult's has none. */
static int guardian_from_json(json_t *o, struct eid_activation *c)
{
	char g[24], pa[24], aa[24];
	int vg, vpa, vaa;

	c->guardian = EID_AGUARDIAN_NONE;
	c->guardian_pa = c->guardian_aa = EID_ACHECK_NOT_CHECKED;
	if (json_object_get(o, "guardian") == NULL)
		return EID_OK;
	if (eid_jrec_text(o, "guardian_id", c->guardian_id,
			  sizeof(c->guardian_id)) ||
	    eid_jrec_text(o, "guardian", g, sizeof(g)) ||
	    eid_jrec_text(o, "guardian_pa", pa, sizeof(pa)) ||
	    eid_jrec_text(o, "guardian_aa", aa, sizeof(aa)) ||
	    parse_name(guardian_names, 3, g, &vg) ||
	    parse_name(check_names, 4, pa, &vpa) ||
	    parse_name(check_names, 4, aa, &vaa) || vg == EID_AGUARDIAN_NONE ||
	    c->guardian_id[0] == '\0')
		return EID_EMALFORMED;
	c->guardian = (enum eid_activation_guardian)vg;
	c->guardian_pa = (enum eid_activation_check)vpa;
	c->guardian_aa = (enum eid_activation_check)vaa;
	return EID_OK;
}

static int case_from_json(json_t *o, struct eid_activation *c)
{
	char state[24], pa[24], aa[24];
	int st, vpa, vaa;
	int64_t v;
	json_t *read = json_object_get(o, "chip_read");

	if (eid_jrec_int(o, "v", &v) || v != 1 ||
	    eid_jrec_text(o, "id", c->id, sizeof(c->id)) ||
	    eid_jrec_text(o, "personal_id", c->personal_id,
			  sizeof(c->personal_id)) ||
	    eid_jrec_text(o, "officer", c->officer, sizeof(c->officer)) ||
	    eid_jrec_text(o, "unit", c->unit, sizeof(c->unit)) ||
	    eid_jrec_text(o, "state", state, sizeof(state)) ||
	    eid_jrec_text(o, "passive_authentication", pa, sizeof(pa)) ||
	    eid_jrec_text(o, "active_authentication", aa, sizeof(aa)) ||
	    eid_jrec_text(o, "pa_reason", c->pa_reason, sizeof(c->pa_reason)) ||
	    eid_jrec_text(o, "aa_reason", c->aa_reason, sizeof(c->aa_reason)) ||
	    eid_jrec_text(o, "refusal", c->refusal, sizeof(c->refusal)) ||
	    eid_jrec_int(o, "created_at", &c->created_at) ||
	    eid_jrec_int(o, "updated_at", &c->updated_at) ||
	    eid_jrec_int(o, "code_expires_at", &c->code_expires_at) ||
	    !json_is_boolean(read) ||
	    parse_name(state_names, 6, state, &st) ||
	    parse_name(check_names, 4, pa, &vpa) ||
	    parse_name(check_names, 4, aa, &vaa))
		return EID_EMALFORMED;
	c->state = (enum eid_activation_state)st;
	c->pa = (enum eid_activation_check)vpa;
	c->aa = (enum eid_activation_check)vaa;
	c->chip_read = json_is_true(read);
	if (guardian_from_json(o, c) != EID_OK)
		return EID_EMALFORMED;
	return fields_from_json(json_object_get(o, "fields"), c);
}

int eid_activation_put(eid_txn *t, const struct eid_activation *c)
{
	char key[KEY_MAX];
	json_t *o = NULL;
	char *text = NULL;
	int r;

	if ((r = case_key(c->id, key)) != EID_OK ||
	    (r = eid_activation_to_json(c, &o)) != EID_OK)
		goto out;
	if ((text = eid_jrec_dump(o)) == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	r = eid_txn_put(t, EID_TABLE_ACTIVATIONS, key, strlen(key), text,
			strlen(text));
out:
	free(text);
	json_decref(o);
	return r;
}

int eid_activation_save(eid_txn *t, const struct eid_activation *c,
			const char *type, const char *actor, json_t *details,
			int64_t now)
{
	int r = eid_activation_put(t, c);

	if (r != EID_OK) {
		json_decref(details);
		return r;
	}
	return eid_audit_record(t, type, actor, c->personal_id, NULL, details,
				now);
}

int eid_activation_get(eid_txn *t, const char *case_id,
		       struct eid_activation *ret)
{
	char key[KEY_MAX];
	json_t *o = NULL;
	eid_buf b;
	int r;

	eid_buf_init(&b, RECORD_MAX);
	if ((r = case_key(case_id, key)) != EID_OK ||
	    (r = eid_txn_get(t, EID_TABLE_ACTIVATIONS, key, strlen(key),
			     &b)) != EID_OK)
		goto out;
	o = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES,
		       NULL);
	memset(ret, 0, sizeof(*ret));
	r = o != NULL ? case_from_json(o, ret) : EID_EMALFORMED;
out:
	json_decref(o);
	eid_buf_free(&b);
	return r;
}

/* ---- opening a case ---- */

/* The rules about who can be activated now. */
static int check_citizen(eid_txn *t, const struct eid_citizen *c,
			 int64_t now, char guardian[EID_PERSONAL_ID_LEN + 1],
			 eid_buf *why)
{
	struct eid_account a;
	struct eid_date today;
	int age = 0, r;

	eid_date_today(now, &today);
	guardian[0] = '\0';
	if (eid_age_on(&c->birthdate, &today, &age) != EID_OK) {
		say(why, "the registry's date of birth is not usable");
		return EID_EPERM;
	}
	if (age < 14 &&
	    (r = eid_activation_minor_check(t, c, now, guardian, why)) != EID_OK)
		return r;
	if (c->card_status == EID_CARD_REVOKED || eid_account_card_expired(c, now)) {
		say(why, "the registry marks the citizen's card revoked or "
			 "expired: a new card is needed first");
		return EID_ESTATE;
	}
	r = eid_account_get(t, c->personal_id, &a);
	if (r == EID_ENOTFOUND)
		return EID_OK;
	if (r != EID_OK)
		return r;
	if (a.status == EID_ACCOUNT_REVOKED || a.status == EID_ACCOUNT_LOCKED) {
		say(why, "the account is locked or revoked: unlock it first");
		r = EID_ESTATE;
	} else if (a.status == EID_ACCOUNT_ACTIVE && a.level == 2) {
		say(why, "the account is already active at level 2");
		r = EID_ESTATE;
	}
	eid_account_clear(&a);
	return r;
}

int eid_activation_actor(const char *officer_id, char out[EID_ACTOR_MAX + 1])
{
	int n = snprintf(out, EID_ACTOR_MAX + 1, "officer:%s",
			 officer_id ? officer_id : "");

	return officer_id == NULL || officer_id[0] == '\0' ||
			       n > EID_ACTOR_MAX ? EID_EINVAL : EID_OK;
}

static int new_id(char out[EID_ACTIVATION_ID_LEN + 1])
{
	uint8_t raw[16];
	int r = eid_random_bytes(raw, sizeof(raw));

	if (r == EID_OK)
		r = eid_b64url_encode_str(raw, sizeof(raw), out,
					  EID_ACTIVATION_ID_LEN + 1);
	return r;
}

int eid_activation_start(eid_txn *t, const char *personal_id,
			 const struct eid_citizen *cz,
			 const char *officer_id, const char *unit,
			 int64_t now, struct eid_activation *ret,
			 eid_buf *why)
{
	struct eid_activation c;
	struct eid_personal_id pid;
	char actor[EID_ACTOR_MAX + 1];
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = eid_activation_actor(officer_id, actor)) != EID_OK)
		return r;
	if (personal_id == NULL || eid_personal_id_parse(personal_id, &pid)) {
		say(why, "a personal ID number has 12 digits");
		return EID_EMALFORMED;
	}
	if (cz == NULL) {
		say(why, "no such citizen in the registry");
		return EID_ENOTFOUND;
	}
	if (strcmp(cz->personal_id, pid.digits) != 0)
		return EID_EINVAL;
	if ((r = check_citizen(t, cz, now, c.guardian_id, why)) != EID_OK ||
	    (r = new_id(c.id)) != EID_OK)
		return r;
	c.guardian = c.guardian_id[0] != '\0' ? EID_AGUARDIAN_WAITING :
						EID_AGUARDIAN_NONE;
	c.guardian_pa = c.guardian_aa = EID_ACHECK_NOT_CHECKED;
	copy(c.personal_id, sizeof(c.personal_id), personal_id);
	copy(c.officer, sizeof(c.officer), officer_id);
	copy(c.unit, sizeof(c.unit), unit);
	c.state = EID_ACTIVATION_STARTED;
	c.pa = c.aa = EID_ACHECK_NOT_CHECKED;
	c.created_at = c.updated_at = now;
	if ((r = eid_activation_put(t, &c)) != EID_OK ||
	    (r = eid_audit_record(t, "activation.start", actor, personal_id,
				  NULL, json_pack("{s:s, s:s, s:s*}", "unit",
						  unit ? unit : "", "case",
						  c.id, "guardian_id",
						  c.guardian_id[0] ?
							  c.guardian_id : NULL),
				  now)) != EID_OK)
		return r;
	*ret = c;
	return EID_OK;
}

/* ---- the card read ---- */

void eid_activation_add_field(struct eid_activation *c, const char *name,
		      const char *registry, const char *card, bool match)
{
	struct eid_activation_field *f;

	if (c->n_fields >= EID_ACTIVATION_MAX_FIELDS)
		return;
	f = &c->fields[c->n_fields++];
	copy(f->name, sizeof(f->name), name);
	copy(f->registry, sizeof(f->registry), registry);
	copy(f->card, sizeof(f->card), card);
	f->match = match;
}

static void add_text_field(struct eid_activation *c, const char *name,
			   const char *registry, const char *card)
{
	eid_activation_add_field(c, name, registry, card, strcmp(registry, card) == 0);
}

static void add_date_field(struct eid_activation *c, const char *name,
			   const struct eid_date *registry, const char *card)
{
	char d[11] = "";

	if (registry->year != 0)
		eid_date_format(registry, d);
	add_text_field(c, name, d, card);
}

/* Names are compared with their blanks collapsed, as registration does. */
bool eid_activation_same_name(const char *a, const char *b)
{
	eid_buf na, nb;
	bool same;

	eid_buf_init(&na, EID_DG13_STR_MAX * 2);
	eid_buf_init(&nb, EID_DG13_STR_MAX * 2);
	same = eid_name_normalize(a, &na) == EID_OK &&
	       eid_name_normalize(b, &nb) == EID_OK &&
	       eid_ct_equal_len(na.data, na.len, nb.data, nb.len);
	eid_buf_free(&na);
	eid_buf_free(&nb);
	return same;
}

/* DG13 writes the sex in Vietnamese. */
static const char *card_sex(const char *dg13_sex)
{
	if (strcmp(dg13_sex, "Nam") == 0)
		return "male";
	if (strcmp(dg13_sex, "N\xe1\xbb\xaf") == 0) /* Nữ */
		return "female";
	return dg13_sex;
}

static bool match_fields(struct eid_activation *c, const struct eid_citizen *cz,
			 const struct eid_dg13 *d)
{
	const char *sex = cz->has_sex ? eid_sex_name(cz->sex) : "";

	c->n_fields = 0;
	add_text_field(c, "personal_id", cz->personal_id, d->personal_id);
	eid_activation_add_field(c, "full_name", cz->full_name, d->full_name,
		  eid_activation_same_name(cz->full_name, d->full_name));
	add_date_field(c, "birthdate", &cz->birthdate, d->birthdate);
	add_text_field(c, "sex", sex, card_sex(d->sex));
	add_date_field(c, "card_issued", &cz->card_issued, d->card_issued);
	add_date_field(c, "card_expires", &cz->card_expires, d->card_expires);
	for (size_t i = 0; i < c->n_fields; i++)
		if (!c->fields[i].match)
			return false;
	return true;
}

void eid_activation_judge(struct eid_activation *c, const struct eid_activation_chip *chip,
		  const struct eid_citizen *cz)
{
	bool fields_ok = chip->has_dg13 && match_fields(c, cz, &chip->dg13);

	c->chip_read = true;
	c->pa = chip->pa;
	c->aa = chip->aa;
	copy(c->pa_reason, sizeof(c->pa_reason), chip->pa_reason);
	copy(c->aa_reason, sizeof(c->aa_reason), chip->aa_reason);
	c->state = EID_ACTIVATION_CHIP_FAILED;
	if (chip->pa != EID_ACHECK_VALID)
		copy(c->refusal, sizeof(c->refusal),
		     "the card failed Passive Authentication: its data is "
		     "not what the issuer signed");
	else if (chip->aa != EID_ACHECK_VALID)
		copy(c->refusal, sizeof(c->refusal),
		     "the card failed Active Authentication: the chip itself "
		     "was not proven present");
	else if (!chip->has_dg13)
		copy(c->refusal, sizeof(c->refusal),
		     "the card read has no DG13 to match with the registry");
	else if (!fields_ok)
		copy(c->refusal, sizeof(c->refusal),
		     "the card's DG13 does not match the registry");
	else
		c->state = EID_ACTIVATION_CHIP_OK;
}

int eid_activation_judge_chip(const eid_registry *reg,
			      const char *personal_id,
			      const struct eid_activation_chip *chip,
			      struct eid_activation *ret)
{
	struct eid_citizen cz;
	int r;

	if (chip == NULL || personal_id == NULL)
		return EID_EINVAL;
	if ((r = eid_registry_lookup(reg, personal_id, &cz)) != EID_OK)
		return r;
	memset(ret, 0, sizeof(*ret));
	copy(ret->personal_id, sizeof(ret->personal_id), personal_id);
	eid_activation_judge(ret, chip, &cz);
	return EID_OK;
}

void eid_activation_chip_from_verdict(const struct eid_chip_verdict *v,
				      struct eid_activation_chip *c)
{
	memset(c, 0, sizeof(*c));
	c->pa = (enum eid_activation_check)v->pa;
	c->aa = (enum eid_activation_check)v->aa;
	copy(c->pa_reason, sizeof(c->pa_reason), v->pa_reason);
	copy(c->aa_reason, sizeof(c->aa_reason), v->aa_reason);
	/* A DG1/DG13 disagreement is a Passive Authentication failure: the
	 * data cannot be trusted as one document. */
	if (v->pa == EID_CHIP_VALID && v->consistency != EID_CHIP_VALID) {
		c->pa = EID_ACHECK_INVALID;
		copy(c->pa_reason, sizeof(c->pa_reason),
		     v->consistency_reason[0] ? v->consistency_reason :
						"DG1 and DG13 disagree");
	}
	c->has_dg13 = v->has_dg13;
	if (v->has_dg13)
		c->dg13 = v->dg13;
}

bool eid_activation_may_access(const struct eid_activation *c,
			       const char *officer_id, const char *unit,
			       enum eid_officer_role role)
{
	if (c == NULL || officer_id == NULL || unit == NULL ||
	    c->unit[0] == '\0' || strcmp(c->unit, unit) != 0)
		return false;
	return role == EID_OFFICER_ROLE_SUPERVISOR ||
	       strcmp(c->officer, officer_id) == 0;
}

int eid_activation_record_chip(eid_txn *t, const char *case_id,
			       const struct eid_citizen *cz,
			       const char *officer_id, const char *unit,
			       enum eid_officer_role role,
			       const struct eid_activation_chip *chip,
			       int64_t now, struct eid_activation *ret)
{
	struct eid_activation c;
	char actor[EID_ACTOR_MAX + 1];
	int r;

	if (chip == NULL || (r = eid_activation_actor(officer_id, actor)) != EID_OK)
		return EID_EINVAL;
	if ((r = eid_activation_get(t, case_id, &c)) != EID_OK)
		return r;
	if (!eid_activation_may_access(&c, officer_id, unit, role))
		return EID_EPERM;
	if (c.state != EID_ACTIVATION_STARTED)
		return EID_ESTATE;
	if (cz == NULL || strcmp(cz->personal_id, c.personal_id) != 0)
		return EID_ENOTFOUND; /* not the case's citizen (any more) */
	eid_activation_judge(&c, chip, cz);
	c.updated_at = now;
	if ((r = eid_activation_save(
		     t, &c, "activation.chip", actor,
		     json_pack("{s:s, s:s, s:s, s:s, s:s}", "unit",
			       unit ? unit : "", "case", c.id, "pa",
			       eid_activation_check_name(c.pa), "aa",
			       eid_activation_check_name(c.aa), "result",
			       eid_activation_state_name(c.state)),
		     now)) != EID_OK)
		return r;
	*ret = c;
	return EID_OK;
}

/* ---- the activation code ---- */

struct code_rec {
	uint8_t salt[SALT_LEN];
	uint8_t hash[32];
	char case_id[EID_ACTIVATION_ID_LEN + 1];
	int64_t expires_at;
	int64_t attempts;
	bool used;
};

static int code_key(const char *pid, char out[KEY_MAX])
{
	int n = snprintf(out, KEY_MAX, "code:%s", pid ? pid : "");

	return pid == NULL || n >= KEY_MAX ? EID_EINVAL : EID_OK;
}

/* SHA-256(salt || code) */
static int code_hash(const uint8_t salt[SALT_LEN], const char *code,
		     uint8_t out[32])
{
	uint8_t in[SALT_LEN + EID_ACTIVATION_CODE_LEN];
	int r;

	memcpy(in, salt, SALT_LEN);
	memcpy(in + SALT_LEN, code, EID_ACTIVATION_CODE_LEN);
	r = eid_sha256(in, sizeof(in), out);
	eid_wipe(in, sizeof(in));
	return r;
}

/* Uniform over the alphabet: bytes past the largest multiple of its size
 * are drawn again. */
static int new_code(char out[EID_ACTIVATION_CODE_LEN + 1])
{
	static const char alpha[] = EID_ACTIVATION_ALPHABET;
	const unsigned n = sizeof(alpha) - 1, limit = 256 - 256 % n;
	uint8_t raw[32];
	size_t k = 0;
	int r = EID_OK;

	while (k < EID_ACTIVATION_CODE_LEN && r == EID_OK) {
		r = eid_random_bytes(raw, sizeof(raw));
		for (size_t i = 0; r == EID_OK && i < sizeof(raw) &&
				   k < EID_ACTIVATION_CODE_LEN; i++)
			if (raw[i] < limit)
				out[k++] = alpha[raw[i] % n];
	}
	out[EID_ACTIVATION_CODE_LEN] = '\0';
	eid_wipe(raw, sizeof(raw));
	return r;
}

static int put_code(eid_txn *t, const char *pid, const struct code_rec *c)
{
	char key[KEY_MAX], salt[SALT_LEN * 2 + 1], hash[65];
	json_t *o;
	char *text = NULL;
	int r;

	if ((r = code_key(pid, key)) != EID_OK)
		return r;
	eid_hex_encode(c->salt, SALT_LEN, salt);
	eid_hex_encode(c->hash, 32, hash);
	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:b}", "v", 1, "salt",
		      salt, "hash", hash, "case", c->case_id, "expires_at",
		      (json_int_t)c->expires_at, "attempts",
		      (json_int_t)c->attempts, "used", c->used);
	if (o == NULL || (text = eid_jrec_dump(o)) == NULL)
		r = EID_ENOMEM;
	else
		r = eid_txn_put(t, EID_TABLE_ACTIVATIONS, key, strlen(key),
				text, strlen(text));
	free(text);
	json_decref(o);
	return r;
}

static int get_code(eid_txn *t, const char *pid, struct code_rec *ret)
{
	char key[KEY_MAX], salt[SALT_LEN * 2 + 1], hash[65];
	json_t *o = NULL, *used;
	size_t n1 = 0, n2 = 0;
	int64_t v = 0;
	eid_buf b;
	int r;

	eid_buf_init(&b, 4096);
	if ((r = code_key(pid, key)) != EID_OK ||
	    (r = eid_txn_get(t, EID_TABLE_ACTIVATIONS, key, strlen(key),
			     &b)) != EID_OK)
		goto out;
	r = EID_EMALFORMED;
	o = json_loadb((const char *)b.data, b.len, 0, NULL);
	used = json_object_get(o, "used");
	if (o == NULL || eid_jrec_int(o, "v", &v) || v != 1 ||
	    eid_jrec_text(o, "salt", salt, sizeof(salt)) ||
	    eid_jrec_text(o, "hash", hash, sizeof(hash)) ||
	    eid_jrec_text(o, "case", ret->case_id, sizeof(ret->case_id)) ||
	    eid_jrec_int(o, "expires_at", &ret->expires_at) ||
	    eid_jrec_int(o, "attempts", &ret->attempts) || !json_is_boolean(used) ||
	    eid_hex_decode(salt, strlen(salt), ret->salt, SALT_LEN, &n1) ||
	    eid_hex_decode(hash, strlen(hash), ret->hash, 32, &n2) ||
	    n1 != SALT_LEN || n2 != 32)
		goto out;
	ret->used = json_is_true(used);
	r = EID_OK;
out:
	json_decref(o);
	eid_buf_free(&b);
	return r;
}

static int issue_code(eid_txn *t, const struct eid_activation *c,
		      uint64_t ttl, int64_t now,
		      char ret_code[EID_ACTIVATION_CODE_LEN + 1])
{
	struct code_rec rec;
	char code[EID_ACTIVATION_CODE_LEN + 1];
	int r;

	memset(&rec, 0, sizeof(rec));
	copy(rec.case_id, sizeof(rec.case_id), c->id);
	rec.expires_at = now + (int64_t)ttl;
	if ((r = new_code(code)) == EID_OK &&
	    (r = eid_random_bytes(rec.salt, SALT_LEN)) == EID_OK &&
	    (r = code_hash(rec.salt, code, rec.hash)) == EID_OK &&
	    (r = put_code(t, c->personal_id, &rec)) == EID_OK)
		memcpy(ret_code, code, sizeof(code));
	eid_wipe(code, sizeof(code));
	eid_wipe(&rec, sizeof(rec));
	return r;
}

/* ---- the officer's attestation ---- */

static int level2_account(eid_txn *t, const struct eid_account_policy *pol,
			  const struct eid_activation *c, const char *phone,
			  const struct eid_citizen *citizen,
			  const char *actor, int64_t now, eid_buf *why)
{
	struct eid_account a;
	struct eid_account_new n = { 0 };
	int r = eid_account_get(t, c->personal_id, &a);

	if (r == EID_OK) {
		eid_account_clear(&a);
		r = eid_account_raise_pending(t, c->personal_id, actor, now);
		if (r == EID_ESTATE)
			say(why, "the account is locked or revoked");
		return r;
	}
	if (r != EID_ENOTFOUND)
		return r;
	if (phone == NULL || phone[0] == '\0') {
		say(why, "the citizen has no account yet: a mobile phone "
			 "number is needed to create it");
		return EID_EINVAL;
	}
	n.personal_id = c->personal_id;
	n.phone = phone;
	n.level = 2;
	n.citizen = citizen;
	return eid_account_create(t, pol, &n, now, actor, why);
}

int eid_activation_attest(eid_txn *t, const struct eid_account_policy *pol,
			  struct eid_activation_attest *a, int64_t now,
			  char ret_code[EID_ACTIVATION_CODE_LEN + 1],
			  struct eid_activation *ret, eid_buf *why)
{
	struct eid_activation c;
	char actor[EID_ACTOR_MAX + 1];
	uint64_t ttl;
	int r;

	if (a == NULL || pol == NULL ||
	    (r = eid_activation_actor(a->officer_id, actor)) != EID_OK)
		return EID_EINVAL;
	if ((r = eid_activation_get(t, a->case_id, &c)) != EID_OK)
		return r;
	if (!eid_activation_may_access(&c, a->officer_id, a->unit, a->role)) {
		say(why, "this case belongs to another officer or unit");
		return EID_EPERM;
	}
	a->ret_sms_to[0] = '\0';
	if (c.state != EID_ACTIVATION_CHIP_OK &&
	    !(c.state == EID_ACTIVATION_BIRTH_OK &&
	      c.guardian != EID_AGUARDIAN_NONE)) {
		say(why, c.state == EID_ACTIVATION_CHIP_FAILED ?
				 "the card read failed: this case cannot proceed" :
				 "the case is not waiting for the face check");
		return EID_ESTATE;
	}
	if (!a->face_checked) {
		say(why, "tick the face check to attest it");
		return EID_EINVAL;
	}
	ttl = a->code_ttl ? a->code_ttl : EID_ACTIVATION_CODE_TTL;
	if (c.guardian != EID_AGUARDIAN_NONE)
		r = eid_activation_minor_attest(t, &c, a, actor, now, why);
	else
		r = level2_account(t, pol, &c, a->phone, a->citizen, actor,
				   now, why);
	if (r != EID_OK || (r = issue_code(t, &c, ttl, now, ret_code)) != EID_OK)
		return r;
	c.state = EID_ACTIVATION_CODE_ISSUED;
	c.code_expires_at = now + (int64_t)ttl;
	c.updated_at = now;
	if ((r = eid_activation_put(t, &c)) != EID_OK ||
	    (r = eid_audit_record(t, "activation.attest", actor, c.personal_id,
				  NULL,
				  json_pack("{s:s, s:s, s:b, s:s*}", "unit",
					    a->unit ? a->unit : "", "case",
					    c.id, "face_check", 1,
					    "guardian_id",
					    c.guardian_id[0] ? c.guardian_id :
							       NULL),
				  now)) != EID_OK) {
		eid_wipe(ret_code, EID_ACTIVATION_CODE_LEN + 1);
		return r;
	}
	if (ret != NULL)
		*ret = c;
	return EID_OK;
}

/* ---- the citizen finishes ---- */

/* The code as typed: blanks and hyphens dropped, upper-cased. */
static int normalize_code(const char *in, char out[EID_ACTIVATION_CODE_LEN + 1])
{
	size_t k = 0;

	for (; in != NULL && *in != '\0'; in++) {
		char ch = *in;
		if (ch == ' ' || ch == '-')
			continue;
		if (k == EID_ACTIVATION_CODE_LEN)
			return EID_EAUTH;
		out[k++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
	}
	out[k] = '\0';
	return k == EID_ACTIVATION_CODE_LEN ? EID_OK : EID_EAUTH;
}

/* The code's verdict; a wrong one counts (the caller commits). */
static int check_code(eid_txn *t, const char *pid, struct code_rec *rec,
		      const char *typed, int64_t now)
{
	char code[EID_ACTIVATION_CODE_LEN + 1];
	uint8_t h[32];
	int r;

	if ((r = get_code(t, pid, rec)) != EID_OK)
		return r;
	if (rec->used)
		return EID_EREPLAY;
	if (now >= rec->expires_at)
		return EID_EEXPIRED;
	if (rec->attempts >= EID_ACTIVATION_MAX_ATTEMPTS)
		return EID_ELIMIT;
	memset(code, 0, sizeof(code));
	r = normalize_code(typed, code);
	if (r == EID_OK)
		r = code_hash(rec->salt, code, h);
	if (r == EID_OK && !eid_ct_equal(h, rec->hash, sizeof(h)))
		r = EID_EAUTH;
	eid_wipe(code, sizeof(code));
	if (r == EID_EAUTH) {
		rec->attempts++;
		if (put_code(t, pid, rec) != EID_OK)
			return EID_ESTORE;
		return rec->attempts >= EID_ACTIVATION_MAX_ATTEMPTS ?
			       EID_ELIMIT : EID_EAUTH;
	}
	return r;
}

static int finish(eid_txn *t, const struct eid_account_policy *pol,
		  const char *pid, struct code_rec *rec, const char *password,
		  const char *remote, int64_t now, eid_buf *why)
{
	struct eid_activation c;
	char actor[EID_ACTOR_MAX + 1];
	int r;

	snprintf(actor, sizeof(actor), "citizen:%s", pid);
	if ((r = eid_account_set_password(t, pol, pid, password, actor, now,
					  why)) != EID_OK ||
	    (r = eid_account_end_sessions(t, pid, actor, now)) != EID_OK)
		return r;
	rec->used = true;
	if ((r = put_code(t, pid, rec)) != EID_OK)
		return r;
	if (eid_activation_get(t, rec->case_id, &c) == EID_OK) {
		c.state = EID_ACTIVATION_COMPLETED;
		c.updated_at = now;
		if ((r = eid_activation_put(t, &c)) != EID_OK)
			return r;
	}
	return eid_audit_record(t, "activation.complete", actor, pid, remote,
				json_pack("{s:s, s:i}", "case", rec->case_id,
					  "level", 2),
				now);
}

int eid_activation_complete(eid_store *s, const struct eid_account_policy *pol,
			    const char *personal_id, const char *code,
			    const char *password, const char *remote,
			    int64_t now, eid_buf *why)
{
	struct code_rec rec;
	eid_txn *t = NULL;
	int r;

	memset(&rec, 0, sizeof(rec));
	if (s == NULL || pol == NULL || password == NULL)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	r = check_code(t, personal_id, &rec, code, now);
	if (r == EID_EAUTH || r == EID_ELIMIT) {
		/* keep the counted attempt */
		int c = eid_txn_commit(t);
		t = NULL;
		if (c != EID_OK)
			r = c;
		goto out;
	}
	if (r == EID_OK)
		r = finish(t, pol, personal_id, &rec, password, remote, now, why);
	if (r == EID_OK) {
		r = eid_txn_commit(t);
		t = NULL;
	}
	if (r == EID_OK)
		(void)eid_session_end_all(s, personal_id, NULL);
out:
	eid_txn_abort(t);
	eid_wipe(&rec, sizeof(rec));
	return r;
}
