/* Level-1 self-service registration (see registration.h).
 *
 * A pending registration lives in EID_EPH_CHALLENGES under
 * "registration:<id>" as JSON (personal ID, phone, e-mail, birthdate, the
 * portrait in base64url, and "silent" when the phone belongs to another
 * account and no code was sent); its code is an EID_OTP_REGISTER code
 * with the registration id as subject. */
#include "idp/registration.h"

#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/nfc.h"
#include "idp/otp.h"

#define PENDING_PREFIX "registration:"
#define PENDING_KEY_MAX 64
#define LIMIT_KEY_MAX 96
#define ACTOR_MAX (EID_PERSONAL_ID_LEN + 16)

void eid_registration_input_init(struct eid_registration_input *in)
{
	memset(in, 0, sizeof(*in));
	eid_buf_init(&in->portrait, EID_PORTRAIT_MAX);
}

void eid_registration_input_free(struct eid_registration_input *in)
{
	eid_buf_free(&in->portrait);
	memset(in, 0, sizeof(*in));
}

int eid_portrait_check(const void *p, size_t n)
{
	const uint8_t *b = p;

	if (n > EID_PORTRAIT_MAX)
		return EID_ETOOBIG;
	if (b == NULL || n < 5 || b[0] != 0xff || b[1] != 0xd8 ||
	    b[2] != 0xff || b[n - 2] != 0xff || b[n - 1] != 0xd9)
		return EID_EMALFORMED;
	return EID_OK;
}

/* The length of a white-space character at s (0: none).  ASCII blanks,
 * U+00A0, U+2000..U+200A, U+202F, U+205F, U+3000. */
static size_t space_len(const unsigned char *s)
{
	if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' ||
	    s[0] == '\v' || s[0] == '\f')
		return 1;
	if (s[0] == 0xc2 && s[1] == 0xa0)
		return 2;
	if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] <= 0x8a || s[2] == 0xaf) &&
	    s[2] >= 0x80)
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

static int collapse_blanks(const unsigned char *p, eid_buf *out)
{
	bool pending_space = false, any = false;
	int r = EID_OK;

	while (r == EID_OK && *p) {
		size_t k = space_len(p);

		if (k > 0) {
			pending_space = any;
			p += k;
			continue;
		}
		if (pending_space)
			r = eid_buf_put_u8(out, ' ');
		if (r == EID_OK)
			r = eid_buf_put_u8(out, *p++);
		pending_space = false;
		any = true;
	}
	return r;
}

int eid_name_normalize(const char *s, eid_buf *out)
{
	size_t n = s != NULL ? strnlen(s, EID_NFC_INPUT_MAX + 1) : 0;
	size_t start = out->len;
	eid_buf nfc;
	const char *text;
	int r;

	if (s == NULL)
		return EID_EINVAL;
	eid_buf_init(&nfc, 2 * EID_NFC_INPUT_MAX);
	r = eid_nfc(s, n, &nfc);
	text = r == EID_OK ? eid_buf_cstr(&nfc) : NULL;
	if (r == EID_OK && text == NULL)
		r = EID_ENOMEM;
	if (r == EID_OK)
		r = collapse_blanks((const unsigned char *)text, out);
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	eid_buf_free(&nfc);
	return r;
}

/* ---- the input ---- */

static int set_portrait(struct eid_registration_input *in, const char *v,
			size_t n, eid_buf *why)
{
	int r = eid_portrait_check(v, n);

	if (r == EID_ETOOBIG)
		eid_buf_say(why, "portrait: larger than 200 KB");
	else if (r != EID_OK)
		eid_buf_say(why, "portrait: not a JPEG image");
	if (r != EID_OK)
		return EID_EMALFORMED;
	eid_buf_reset(&in->portrait);
	return eid_buf_put(&in->portrait, v, n);
}

/* A copy of n bytes as a C string (NUL bytes refused), in a buffer. */
static int cstr_of(const char *v, size_t n, char *out, size_t cap)
{
	if (n >= cap || memchr(v, '\0', n) != NULL)
		return EID_EMALFORMED;
	memcpy(out, v, n);
	out[n] = '\0';
	return EID_OK;
}

/* The name with its blanks collapsed, then checked as the registry's. */
static int set_name(struct eid_citizen *c, const char *v, size_t n,
		    eid_buf *why)
{
	char raw[EID_CITIZEN_NAME_MAX * 2];
	eid_buf norm;
	int r = cstr_of(v, n, raw, sizeof(raw));

	eid_buf_init(&norm, EID_CITIZEN_NAME_MAX + 1);
	if (r == EID_OK)
		r = eid_name_normalize(raw, &norm);
	if (r == EID_OK)
		r = eid_citizen_set(c, "full_name", (const char *)norm.data,
				    norm.len, why);
	else
		eid_buf_say(why, "full_name: too long");
	eid_buf_free(&norm);
	return r == EID_OK ? r : EID_EMALFORMED;
}

/* The three fields the registry holds, checked by the citizen record's
 * own validation. */
static int set_citizen_field(struct eid_registration_input *in,
			     const char *field, const char *v, size_t n,
			     eid_buf *why)
{
	struct eid_citizen c;
	int r;

	eid_citizen_init(&c);
	if (n == 0) {
		if (why != NULL)
			(void)eid_buf_printf(why, "%s: missing", field);
		return EID_EMALFORMED;
	}
	if (strcmp(field, "full_name") == 0)
		r = set_name(&c, v, n, why);
	else
		r = eid_citizen_set(&c, field, v, n, why);
	if (r != EID_OK)
		return r;
	if (strcmp(field, "personal_id") == 0)
		memcpy(in->personal_id, c.personal_id, sizeof(in->personal_id));
	else if (strcmp(field, "full_name") == 0)
		memcpy(in->full_name, c.full_name, sizeof(in->full_name));
	else
		in->birthdate = c.birthdate;
	return EID_OK;
}

static int set_contact(struct eid_registration_input *in, bool phone,
		       const char *v, size_t n, eid_buf *why)
{
	char tmp[EID_EMAIL_MAX + 2];
	int r = cstr_of(v, n, tmp, sizeof(tmp));

	if (!phone && r == EID_OK && n == 0) {
		in->email[0] = '\0';
		return EID_OK;
	}
	if (r == EID_OK)
		r = phone ? eid_phone_normalize(tmp, in->phone) :
			    eid_email_normalize(tmp, in->email);
	if (r != EID_OK) {
		eid_buf_say(why, phone ? "phone: not a mobile phone number" :
					 "email: not an e-mail address");
		r = EID_EMALFORMED;
	}
	return r;
}

int eid_registration_input_set(struct eid_registration_input *in,
			       const char *field, const char *value,
			       size_t n, eid_buf *why)
{
	if (in == NULL || field == NULL || (value == NULL && n > 0))
		return EID_EINVAL;
	if (strcmp(field, "personal_id") == 0 ||
	    strcmp(field, "full_name") == 0 || strcmp(field, "birthdate") == 0)
		return set_citizen_field(in, field, value, n, why);
	if (strcmp(field, "phone") == 0 || strcmp(field, "email") == 0)
		return set_contact(in, field[0] == 'p', value, n, why);
	if (strcmp(field, "portrait") == 0)
		return set_portrait(in, value, n, why);
	if (why != NULL)
		(void)eid_buf_printf(why, "unknown field '%.32s'", field);
	return EID_EMALFORMED;
}

int eid_registration_input_complete(const struct eid_registration_input *in,
				    eid_buf *why)
{
	const char *missing = NULL;

	if (in->personal_id[0] == '\0')
		missing = "personal_id";
	else if (in->full_name[0] == '\0')
		missing = "full_name";
	else if (in->birthdate.year == 0)
		missing = "birthdate";
	else if (in->phone[0] == '\0')
		missing = "phone";
	else if (in->portrait.len == 0)
		missing = "portrait";
	if (missing == NULL)
		return EID_OK;
	if (why != NULL)
		(void)eid_buf_printf(why, "%s: missing", missing);
	return EID_EMALFORMED;
}

/* Standard or URL-safe base64, padding optional, into out. */
static int decode_b64(const char *s, size_t n, eid_buf *out)
{
	eid_buf tmp;
	int r;

	while (n > 0 && s[n - 1] == '=')
		n--;
	eid_buf_init(&tmp, EID_REGISTRATION_JSON_MAX);
	r = eid_buf_put(&tmp, s, n);
	for (size_t i = 0; r == EID_OK && i < tmp.len; i++) {
		if (tmp.data[i] == '+')
			tmp.data[i] = '-';
		else if (tmp.data[i] == '/')
			tmp.data[i] = '_';
	}
	if (r == EID_OK)
		r = eid_b64url_decode((const char *)tmp.data, tmp.len, out);
	eid_buf_free(&tmp);
	return r;
}

static int set_json_member(struct eid_registration_input *in, const char *k,
			   const json_t *v, eid_buf *why)
{
	eid_buf jpeg;
	int r;

	if (!json_is_string(v)) {
		if (why != NULL)
			(void)eid_buf_printf(why, "%.32s: not a string", k);
		return EID_EMALFORMED;
	}
	if (strcmp(k, "portrait") != 0)
		return eid_registration_input_set(in, k, json_string_value(v),
						  json_string_length(v), why);
	eid_buf_init(&jpeg, EID_PORTRAIT_MAX + 3);
	r = decode_b64(json_string_value(v), json_string_length(v), &jpeg);
	if (r == EID_OK)
		r = set_portrait(in, (const char *)jpeg.data, jpeg.len, why);
	else if (r == EID_ETOOBIG)
		eid_buf_say(why, "portrait: larger than 200 KB");
	else
		eid_buf_say(why, "portrait: not base64");
	eid_buf_free(&jpeg);
	return r == EID_OK ? r : EID_EMALFORMED;
}

int eid_registration_input_from_json(const char *s, size_t n,
				     struct eid_registration_input *ret,
				     eid_buf *why)
{
	json_t *o, *v;
	const char *k;
	int r = EID_OK;

	if (s == NULL || n > EID_REGISTRATION_JSON_MAX) {
		eid_buf_say(why, "the request is too large");
		return EID_ETOOBIG;
	}
	o = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		eid_buf_say(why, "the body is not a JSON object");
		json_decref(o);
		return EID_EMALFORMED;
	}
	json_object_foreach(o, k, v) {
		if ((r = set_json_member(ret, k, v, why)) != EID_OK)
			break;
	}
	json_decref(o);
	if (r == EID_OK)
		r = eid_registration_input_complete(ret, why);
	return r;
}

/* ---- rate limits ---- */

int eid_attempt_limit(eid_store *s, const char *kind, const char *who,
		      uint64_t max, uint64_t window, int64_t now,
		      uint64_t *retry_after)
{
	char key[LIMIT_KEY_MAX];
	uint64_t count = 0, exp = 0;
	eid_buf v;
	int r;

	if (max == 0 || who == NULL || who[0] == '\0')
		return EID_OK;
	(void)snprintf(key, sizeof(key), "%s|%s", kind, who);
	r = eid_eph_incr(s, EID_EPH_COUNTERS, key, strlen(key),
			 (uint64_t)now + window, &count);
	if (r != EID_OK || count <= max)
		return r;
	eid_buf_init(&v, 64);
	*retry_after = window;
	if (eid_eph_get(s, EID_EPH_COUNTERS, key, strlen(key), &v, &exp) ==
		    EID_OK && exp > (uint64_t)now)
		*retry_after = exp - (uint64_t)now;
	eid_buf_free(&v);
	return EID_ELIMIT;
}

/* ---- matching ---- */

static bool names_equal(const char *typed, const char *registry)
{
	eid_buf a, b;
	bool eq = false;

	eid_buf_init(&a, EID_CITIZEN_NAME_MAX + 1);
	eid_buf_init(&b, EID_CITIZEN_NAME_MAX + 1);
	if (eid_name_normalize(typed, &a) == EID_OK &&
	    eid_name_normalize(registry, &b) == EID_OK)
		eq = eid_ct_equal_len(a.data, a.len, b.data, b.len);
	eid_buf_free(&a);
	eid_buf_free(&b);
	return eq;
}

static bool card_bad(const struct eid_citizen *c, int64_t now)
{
	struct eid_date today;

	eid_date_today(now, &today);
	return c->card_status == EID_CARD_REVOKED ||
	       (c->card_expires.year != 0 &&
		eid_date_cmp(&c->card_expires, &today) < 0);
}

/* What the store says about the ID and the phone. */
struct holders {
	bool account;     /* the ID has an account */
	bool phone_taken; /* the phone belongs to an account */
};

static int find_holders(eid_store *s, const struct eid_registration_input *in,
			struct holders *ret)
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r = eid_store_begin(s, false, &t), r2;

	if (r != EID_OK)
		return r;
	r = eid_account_get(t, in->personal_id, &a);
	ret->account = r == EID_OK;
	r2 = eid_account_find_by_phone(t, in->phone, &a);
	ret->phone_taken = r2 == EID_OK;
	eid_account_clear(&a);
	eid_txn_abort(t);
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	return r2 == EID_OK || r2 == EID_ENOTFOUND ? EID_OK : r2;
}

/* Every check against the registry and the store, the same steps whether
 * the ID is known or not.  EID_OK, EID_EMISMATCH or EID_EPERM. */
static int match(const struct eid_registration_ctx *ctx,
		 const struct eid_registration_input *in, int64_t now,
		 bool *ret_silent, eid_buf *why)
{
	struct eid_citizen c;
	struct holders h = { 0 };
	struct eid_date today;
	bool known, same;
	int age = 0, r;

	r = eid_registry_lookup(ctx->registry, in->personal_id, &c);
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	known = r == EID_OK;
	if (!known)
		eid_citizen_init(&c); /* compared all the same */
	/* '&', not '&&': every part is compared, known or not. */
	same = ((unsigned)names_equal(in->full_name, c.full_name) &
		(unsigned)(eid_date_cmp(&in->birthdate, &c.birthdate) == 0) &
		(unsigned)known) != 0;
	if ((r = find_holders(ctx->store, in, &h)) != EID_OK)
		return r;
	if (!same || h.account)
		return EID_EMISMATCH;
	eid_date_today(now, &today);
	if (eid_age_on(&c.birthdate, &today, &age) != EID_OK ||
	    eid_age_band_of(age) != EID_AGE_14_PLUS) {
		eid_buf_say(why, "Citizens under 14 are registered through a "
				 "guardian's level-2 account.");
		return EID_EPERM;
	}
	if (card_bad(&c, now))
		return EID_EMISMATCH;
	*ret_silent = h.phone_taken;
	return EID_OK;
}

/* ---- pending registrations ---- */

static void pending_key(const char *id, char out[PENDING_KEY_MAX])
{
	(void)snprintf(out, PENDING_KEY_MAX, PENDING_PREFIX "%s", id);
}

static int new_id(char out[EID_REGISTRATION_ID_LEN + 1])
{
	uint8_t raw[16];
	int r = eid_random_bytes(raw, sizeof(raw));

	if (r == EID_OK)
		r = eid_b64url_encode_str(raw, sizeof(raw), out,
					  EID_REGISTRATION_ID_LEN + 1);
	return r;
}

static int save_pending(eid_store *s, const char *id,
			const struct eid_registration_input *in, bool silent,
			int64_t expires)
{
	char key[PENDING_KEY_MAX], bd[11];
	eid_buf pic;
	json_t *o = NULL;
	char *v = NULL;
	int r;

	eid_buf_init(&pic, EID_REGISTRATION_JSON_MAX);
	eid_date_format(&in->birthdate, bd);
	if ((r = eid_b64url_encode(in->portrait.data, in->portrait.len, &pic)) !=
		    EID_OK ||
	    eid_buf_cstr(&pic) == NULL)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "personal_id",
		      in->personal_id, "phone", in->phone, "email", in->email,
		      "birthdate", bd, "portrait", eid_buf_cstr(&pic),
		      "silent", silent);
	v = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	r = EID_ENOMEM;
	if (v == NULL)
		goto out;
	pending_key(id, key);
	r = eid_eph_put(s, EID_EPH_CHALLENGES, key, strlen(key), v, strlen(v),
			(uint64_t)expires);
out:
	free(v);
	json_decref(o);
	eid_buf_free(&pic);
	return r;
}

int eid_registration_start(const struct eid_registration_ctx *ctx,
			   const struct eid_registration_input *in,
			   const char *remote, int64_t now,
			   struct eid_registration_result *ret, eid_buf *why)
{
	bool silent = false;
	int r;

	if (ctx == NULL || in == NULL || ret == NULL)
		return EID_EINVAL;
	memset(ret, 0, sizeof(*ret));
	if ((r = eid_registration_input_complete(in, why)) != EID_OK)
		return r;
	if ((r = eid_attempt_limit(ctx->store, "registration-addr", remote,
				   ctx->per_address_max, ctx->window, now,
				   &ret->retry_after)) != EID_OK ||
	    (r = eid_attempt_limit(ctx->store, "registration-id",
				   in->personal_id, ctx->per_id_max,
				   ctx->window, now, &ret->retry_after)) != EID_OK)
		return r;
	if ((r = match(ctx, in, now, &silent, why)) != EID_OK)
		return r;
	ret->expires_at = now + EID_REGISTRATION_TTL;
	if ((r = new_id(ret->id)) != EID_OK ||
	    (r = save_pending(ctx->store, ret->id, in, silent,
			      ret->expires_at)) != EID_OK)
		return r;
	/* A phone that has an account: a code is made but never sent. */
	r = eid_otp_issue(ctx->store, EID_OTP_REGISTER, ret->id, in->phone,
			  silent ? NULL : ctx->notify, now, &ret->retry_after);
	if (r != EID_OK) {
		char key[PENDING_KEY_MAX];

		pending_key(ret->id, key);
		(void)eid_eph_del(ctx->store, EID_EPH_CHALLENGES, key,
				  strlen(key));
		ret->id[0] = '\0';
	}
	return r;
}

/* ---- confirmation ---- */

struct pending {
	json_t *o;
	const char *personal_id, *phone, *email, *portrait;
	struct eid_date birthdate;
	bool silent;
};

static int load_pending(eid_store *s, const char *id, struct pending *p)
{
	char key[PENDING_KEY_MAX];
	eid_buf v;
	const char *bd;
	int r;

	memset(p, 0, sizeof(*p));
	if (id == NULL || strlen(id) != EID_REGISTRATION_ID_LEN)
		return EID_ENOTFOUND;
	pending_key(id, key);
	eid_buf_init(&v, EID_REGISTRATION_JSON_MAX * 2);
	r = eid_eph_get(s, EID_EPH_CHALLENGES, key, strlen(key), &v, NULL);
	if (r == EID_OK) {
		p->o = json_loadb((const char *)v.data, v.len, 0, NULL);
		r = EID_EMALFORMED;
	}
	eid_buf_free(&v);
	if (p->o == NULL)
		return r;
	p->personal_id = json_string_value(json_object_get(p->o, "personal_id"));
	p->phone = json_string_value(json_object_get(p->o, "phone"));
	p->email = json_string_value(json_object_get(p->o, "email"));
	p->portrait = json_string_value(json_object_get(p->o, "portrait"));
	p->silent = json_is_true(json_object_get(p->o, "silent"));
	bd = json_string_value(json_object_get(p->o, "birthdate"));
	if (p->personal_id == NULL || p->phone == NULL || p->email == NULL ||
	    p->portrait == NULL || bd == NULL ||
	    eid_date_parse(bd, strlen(bd), &p->birthdate) != EID_OK)
		return EID_EMALFORMED;
	return EID_OK;
}

static int put_portrait(eid_txn *t, const char *personal_id,
			const char *b64, char hex[65])
{
	eid_buf v;
	uint8_t *digest;
	int r;

	eid_buf_init(&v, EID_PORTRAIT_MAX + 32);
	if ((r = eid_buf_reserve(&v, 32, &digest)) != EID_OK ||
	    (r = eid_b64url_decode(b64, strlen(b64), &v)) != EID_OK ||
	    (r = eid_sha256(v.data + 32, v.len - 32, v.data)) != EID_OK)
		goto out;
	eid_hex_encode(v.data, 32, hex);
	r = eid_txn_put(t, EID_TABLE_PORTRAITS, personal_id,
			strlen(personal_id), v.data, v.len);
out:
	eid_buf_free(&v);
	return r;
}

static int create_account(const struct eid_registration_ctx *ctx,
			  const struct pending *p,
			  const struct eid_citizen *citizen,
			  const char *password, const char *remote,
			  int64_t now, eid_buf *why)
{
	struct eid_account_new a = {
		.personal_id = p->personal_id,
		.phone = p->phone,
		.email = p->email,
		.level = 1,
		.password = password,
		.birthdate = &p->birthdate,
		.citizen = citizen,
	};
	char actor[ACTOR_MAX], hex[65];
	eid_txn *t = NULL;
	int r;

	(void)snprintf(actor, sizeof(actor), "citizen:%s", p->personal_id);
	if ((r = eid_store_begin(ctx->store, true, &t)) != EID_OK)
		return r;
	if ((r = eid_account_create(t, ctx->policy, &a, now, actor, why)) !=
		    EID_OK ||
	    (r = put_portrait(t, p->personal_id, p->portrait, hex)) != EID_OK ||
	    (r = eid_audit_record(t, "registration.complete", actor,
				  p->personal_id, remote,
				  json_pack("{s:i, s:s}", "level", 1,
					    "portrait_sha256", hex),
				  now)) != EID_OK) {
		eid_txn_abort(t);
		return r;
	}
	return eid_txn_commit(t);
}

int eid_registration_confirm(const struct eid_registration_ctx *ctx,
			     const char *id, const char *code,
			     const char *password, const char *remote,
			     int64_t now, char *ret_personal_id, eid_buf *why)
{
	struct eid_password_context pc;
	struct eid_citizen c;
	struct pending p;
	char key[PENDING_KEY_MAX];
	int known, r;

	if (ctx == NULL || code == NULL || password == NULL)
		return EID_EINVAL;
	if ((r = load_pending(ctx->store, id, &p)) != EID_OK)
		goto out;
	pc = (struct eid_password_context){ p.personal_id, p.phone,
					    &p.birthdate };
	if ((r = eid_password_check_policy(&ctx->policy->password, password,
					   strlen(password), &pc, why)) != EID_OK)
		goto out;
	/* The registry before the code: when it cannot be reached (it may
	 * be a remote service), the code stays unused and the registration
	 * pending, for the citizen to try again; and no transaction waits
	 * for it. */
	known = eid_registry_lookup(ctx->registry, p.personal_id, &c);
	if (known != EID_OK && known != EID_ENOTFOUND) {
		r = known;
		goto out;
	}
	if ((r = eid_otp_check(ctx->store, EID_OTP_REGISTER, id, code, now)) !=
	    EID_OK)
		goto out;
	if (p.silent) { /* the code was never sent: a lucky guess */
		r = EID_EMISMATCH;
		goto out;
	}
	r = known == EID_OK ? create_account(ctx, &p, &c, password, remote,
					     now, NULL) :
			      EID_ENOTFOUND;
	if (r == EID_EEXIST || r == EID_EMISMATCH || r == EID_ENOTFOUND ||
	    r == EID_ESTATE || r == EID_EPERM)
		r = EID_EMISMATCH;
	if (r == EID_OK && ret_personal_id != NULL)
		memcpy(ret_personal_id, p.personal_id, EID_PERSONAL_ID_LEN + 1);
	pending_key(id, key);
	(void)eid_eph_del(ctx->store, EID_EPH_CHALLENGES, key, strlen(key));
out:
	json_decref(p.o);
	return r;
}

int eid_portrait_get(eid_txn *t, const char *personal_id, eid_buf *out)
{
	eid_buf v;
	int r;

	if (personal_id == NULL)
		return EID_EINVAL;
	eid_buf_init(&v, EID_PORTRAIT_MAX + 32);
	r = eid_txn_get(t, EID_TABLE_PORTRAITS, personal_id,
			strlen(personal_id), &v);
	if (r == EID_OK && v.len < 32)
		r = EID_EMALFORMED;
	if (r == EID_OK)
		r = eid_buf_put(out, v.data + 32, v.len - 32);
	eid_buf_free(&v);
	return r;
}
