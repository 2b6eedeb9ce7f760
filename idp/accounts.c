#include "idp/accounts.h"
#include "idp/ca.h"
#include "idp/grants.h"
#include "idp/session.h"
#include "idp/accounts_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/config.h"
#include "idp/jsonrec.h"
#include "idp/registry.h"

#define RECORD_MAX (8u * 1024)
#define INDEX_KEY_MAX (8 + EID_EMAIL_MAX)

static const char *const status_names[] = {
	[EID_ACCOUNT_ACTIVE] = "active",
	[EID_ACCOUNT_LOCKED] = "locked",
	[EID_ACCOUNT_REVOKED] = "revoked",
	[EID_ACCOUNT_PENDING_ACTIVATION] = "pending_activation",
};

static const char *const reason_names[] = {
#define EID_LOCK_NAME(e, name) [e] = name,
	EID_LOCK_REASONS(EID_LOCK_NAME)
#undef EID_LOCK_NAME
};

#define NSTATUS (sizeof(status_names) / sizeof(status_names[0]))
#define NREASONS (sizeof(reason_names) / sizeof(reason_names[0]))

void eid_account_policy_from_config(const struct eid_config *c,
				    struct eid_account_policy *ret)
{
	eid_password_params_from_config(c, &ret->password);
	eid_lockout_params_from_config(c, &ret->lockout);
}

void eid_account_clear(struct eid_account *a)
{
	eid_wipe(a, sizeof(*a));
}

const char *eid_account_status_name(enum eid_account_status s)
{
	return (size_t)s < NSTATUS ? status_names[s] : "?";
}

const char *eid_lock_reason_name(enum eid_lock_reason r)
{
	return (size_t)r < NREASONS ? reason_names[r] : "?";
}

int eid_lock_reason_parse(const char *name, enum eid_lock_reason *ret)
{
	for (size_t i = 1; name != NULL && i < NREASONS; i++)
		if (strcmp(name, reason_names[i]) == 0) {
			*ret = (enum eid_lock_reason)i;
			return EID_OK;
		}
	return EID_EMALFORMED;
}

static int status_parse(const char *name, enum eid_account_status *ret)
{
	for (size_t i = 0; i < NSTATUS; i++)
		if (strcmp(name, status_names[i]) == 0) {
			*ret = (enum eid_account_status)i;
			return EID_OK;
		}
	return EID_EMALFORMED;
}

/* ---- phone and e-mail ---- */

/* The digits of in, dropping separators between them; a leading '+' is
 * reported apart.  EID_EMALFORMED for anything else. */
static int phone_digits(const char *in, char digits[EID_PHONE_MAX + 1],
			bool *ret_plus)
{
	size_t k = 0;
	bool plus = false, prev_digit = false;

	if (in == NULL)
		return EID_EMALFORMED;
	if (*in == '+') {
		plus = true;
		in++;
	}
	for (; *in; in++) {
		if (*in >= '0' && *in <= '9') {
			if (k >= EID_PHONE_MAX)
				return EID_EMALFORMED;
			digits[k++] = *in;
			prev_digit = true;
		} else if ((*in == ' ' || *in == '.' || *in == '-') &&
			   prev_digit && in[1] >= '0' && in[1] <= '9') {
			prev_digit = false;
		} else {
			return EID_EMALFORMED;
		}
	}
	digits[k] = '\0';
	*ret_plus = plus;
	return k > 0 ? EID_OK : EID_EMALFORMED;
}

int eid_phone_normalize(const char *in, char ret[EID_PHONE_MAX + 1])
{
	char d[EID_PHONE_MAX + 1];
	const char *nsn = NULL;
	bool plus;
	size_t n;

	if (phone_digits(in, d, &plus) != EID_OK)
		return EID_EMALFORMED;
	n = strlen(d);
	if (!plus && d[0] == '0')
		nsn = d + 1;
	else if (strncmp(d, "84", 2) == 0)
		nsn = d + 2;
	else if (!plus || d[0] == '0' || n < 8 || n > 15)
		return EID_EMALFORMED;
	if (nsn != NULL && (strlen(nsn) != 9 || strchr("35789", nsn[0]) == NULL))
		return EID_EMALFORMED;
	ret[0] = '+';
	if (nsn != NULL) {
		memcpy(ret + 1, "84", 2);
		memcpy(ret + 3, nsn, 10); /* 9 digits and the NUL */
	} else {
		memcpy(ret + 1, d, n + 1);
	}
	return EID_OK;
}

int eid_email_normalize(const char *in, char ret[EID_EMAIL_MAX + 1])
{
	const char *at;
	size_t n, local;
	char out[EID_EMAIL_MAX + 1];

	if (in == NULL || (n = strnlen(in, EID_EMAIL_MAX + 1)) > EID_EMAIL_MAX)
		return EID_EMALFORMED;
	at = strchr(in, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return EID_EMALFORMED;
	local = (size_t)(at - in);
	if (local == 0 || local > 64 || strchr(at + 1, '.') == NULL ||
	    at[1] == '.' || in[n - 1] == '.')
		return EID_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= ' ' || c == 0x7f)
			return EID_EMALFORMED;
		out[i] = i > local && c >= 'A' && c <= 'Z' ? (char)(c + 32) :
							     (char)c;
	}
	out[n] = '\0';
	memcpy(ret, out, n + 1);
	return EID_OK;
}

/* ---- the stored record ---- */

static int record_encode(const struct eid_account *a, char **ret_text)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s,"
			      " s:I, s:I, s:I, s:I, s:I}",
			      "v", EID_ACCOUNT_FORMAT, "personal_id",
			      a->personal_id, "phone", a->phone, "email",
			      a->email, "level", a->level, "status",
			      eid_account_status_name(a->status),
			      "lock_reason", eid_lock_reason_name(a->lock_reason),
			      "locked_by", a->locked_by, "password",
			      a->password, "created_at",
			      (json_int_t)a->created_at, "updated_at",
			      (json_int_t)a->updated_at, "failed_logins",
			      (json_int_t)a->failed_logins, "last_failure_at",
			      (json_int_t)a->last_failure_at,
			      "sessions_revoked_before",
			      (json_int_t)a->sessions_revoked_before);
	char *text;

	if (o == NULL)
		return EID_ENOMEM;
	if (a->guardian_id[0] != '\0' &&
	    json_object_set_new(o, "guardian_id",
				json_string(a->guardian_id)) != 0) {
		eid_jrec_wipe(o, "password");
		json_decref(o);
		return EID_ENOMEM;
	}
	text = eid_jrec_dump(o);
	/* The hash lives on in jansson's copy until freed: wipe it. */
	eid_jrec_wipe(o, "password");
	json_decref(o);
	if (text == NULL)
		return EID_ENOMEM;
	*ret_text = text;
	return EID_OK;
}

static int record_fields(json_t *o, struct eid_account *a)
{
	char status[32], reason[32];
	int64_t v = 0, level = 0, failed = 0;
	int r = EID_EMALFORMED;

	if (eid_jrec_int(o, "v", &v) != EID_OK)
		return EID_EMALFORMED;
	if (v != EID_ACCOUNT_FORMAT)
		return EID_EUNSUPPORTED;
	if (eid_jrec_text(o, "personal_id", a->personal_id, sizeof(a->personal_id)) ||
	    eid_jrec_text(o, "phone", a->phone, sizeof(a->phone)) ||
	    eid_jrec_text(o, "email", a->email, sizeof(a->email)) ||
	    eid_jrec_text(o, "status", status, sizeof(status)) ||
	    eid_jrec_text(o, "lock_reason", reason, sizeof(reason)) ||
	    eid_jrec_text(o, "locked_by", a->locked_by, sizeof(a->locked_by)) ||
	    eid_jrec_text(o, "password", a->password, sizeof(a->password)) ||
	    eid_jrec_int(o, "level", &level) || eid_jrec_int(o, "created_at", &a->created_at) ||
	    eid_jrec_int(o, "updated_at", &a->updated_at) ||
	    eid_jrec_int(o, "failed_logins", &failed) ||
	    eid_jrec_int(o, "last_failure_at", &a->last_failure_at) ||
	    eid_jrec_int(o, "sessions_revoked_before", &a->sessions_revoked_before) ||
	    status_parse(status, &a->status) != EID_OK || failed < 0 ||
	    (level != 1 && level != 2) ||
	    (json_object_get(o, "guardian_id") != NULL &&
	     eid_jrec_text(o, "guardian_id", a->guardian_id,
			   sizeof(a->guardian_id)) != EID_OK))
		return r;
	a->level = (int)level;
	a->failed_logins = (uint64_t)failed;
	a->lock_reason = EID_LOCK_NONE;
	if (reason[0] != '\0' && eid_lock_reason_parse(reason, &a->lock_reason))
		return r;
	return EID_OK;
}

static int record_decode(const void *p, size_t n, struct eid_account *ret)
{
	struct eid_account a;
	json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	int r;

	if (!json_is_object(o)) {
		json_decref(o);
		return EID_EMALFORMED;
	}
	memset(&a, 0, sizeof(a));
	r = record_fields(o, &a);
	if (r == EID_OK)
		*ret = a;
	eid_jrec_wipe(o, "password");
	json_decref(o);
	eid_account_clear(&a);
	return r;
}

int eid_account_put(eid_txn *t, const struct eid_account *a)
{
	char *text = NULL;
	int r = record_encode(a, &text);

	if (r == EID_OK)
		r = eid_txn_put(t, EID_TABLE_ACCOUNTS, a->personal_id,
				EID_PERSONAL_ID_LEN, text, strlen(text));
	eid_free_secret_str(text);
	return r;
}

int eid_account_get(eid_txn *t, const char *personal_id,
		    struct eid_account *ret)
{
	eid_buf v;
	int r;

	if (t == NULL || personal_id == NULL || ret == NULL)
		return EID_EINVAL;
	if (strlen(personal_id) != EID_PERSONAL_ID_LEN)
		return EID_ENOTFOUND;
	eid_buf_init_secret(&v, RECORD_MAX);
	r = eid_txn_get(t, EID_TABLE_ACCOUNTS, personal_id,
			EID_PERSONAL_ID_LEN, &v);
	if (r == EID_OK)
		r = record_decode(v.data, v.len, ret);
	eid_buf_free(&v);
	return r;
}

/* The cache's decoded form: the record without its password hash. */
static int public_decode(const void *p, size_t n, void *ret)
{
	struct eid_account *a = ret;
	int r = record_decode(p, n, a);

	eid_wipe(a->password, sizeof(a->password));
	return r;
}

static void account_clear_v(void *v)
{
	eid_account_clear(v);
}

static const struct eid_rcache_type account_type = {
	.table = EID_TABLE_ACCOUNTS,
	.size = sizeof(struct eid_account),
	.raw_max = 2048, /* a record is about 400 bytes */
	.decode = public_decode,
	.clear = account_clear_v,
};

int eid_account_cache_new(size_t entries, eid_rcache **ret_cache)
{
	return eid_rcache_new(&account_type, entries, ret_cache);
}

int eid_account_get_cached(eid_rcache *c, eid_txn *t,
			   const char *personal_id, struct eid_account *ret)
{
	int r;

	if (c == NULL) {
		if ((r = eid_account_get(t, personal_id, ret)) == EID_OK)
			eid_wipe(ret->password, sizeof(ret->password));
		return r;
	}
	if (t == NULL || personal_id == NULL || ret == NULL)
		return EID_EINVAL;
	if (strlen(personal_id) != EID_PERSONAL_ID_LEN)
		return EID_ENOTFOUND;
	return eid_rcache_get(c, t, personal_id, EID_PERSONAL_ID_LEN, ret);
}

/* ---- the index ---- */

static int index_key(char out[INDEX_KEY_MAX + 1], const char *kind,
		     const char *value, size_t *ret_len)
{
	int n = snprintf(out, INDEX_KEY_MAX + 1, "%s:%s", kind, value);

	if (n < 0 || n > INDEX_KEY_MAX)
		return EID_ETOOBIG;
	*ret_len = (size_t)n;
	return EID_OK;
}

/* The personal ID an index entry points to; EID_ENOTFOUND when none. */
static int index_get(eid_txn *t, const char *kind, const char *value,
		     char ret_id[EID_PERSONAL_ID_LEN + 1])
{
	char key[INDEX_KEY_MAX + 1];
	size_t klen;
	eid_buf v;
	int r;

	if ((r = index_key(key, kind, value, &klen)) != EID_OK)
		return r;
	eid_buf_init(&v, EID_PERSONAL_ID_LEN);
	r = eid_txn_get(t, EID_TABLE_ACCOUNT_INDEX, key, klen, &v);
	if (r == EID_OK && v.len != EID_PERSONAL_ID_LEN)
		r = EID_EMALFORMED;
	if (r == EID_OK) {
		memcpy(ret_id, v.data, EID_PERSONAL_ID_LEN);
		ret_id[EID_PERSONAL_ID_LEN] = '\0';
	}
	eid_buf_free(&v);
	return r;
}

static int index_insert(eid_txn *t, const char *kind, const char *value,
			const char *personal_id)
{
	char key[INDEX_KEY_MAX + 1];
	size_t klen;
	int r = index_key(key, kind, value, &klen);

	if (r == EID_OK)
		r = eid_txn_insert(t, EID_TABLE_ACCOUNT_INDEX, key, klen,
				   personal_id, EID_PERSONAL_ID_LEN);
	return r;
}

static int index_del(eid_txn *t, const char *kind, const char *value)
{
	char key[INDEX_KEY_MAX + 1];
	size_t klen;
	int r = index_key(key, kind, value, &klen);

	if (r == EID_OK)
		r = eid_txn_del(t, EID_TABLE_ACCOUNT_INDEX, key, klen);
	return r == EID_ENOTFOUND ? EID_OK : r;
}

int eid_account_find_by_phone(eid_txn *t, const char *phone,
			      struct eid_account *ret)
{
	char e164[EID_PHONE_MAX + 1], id[EID_PERSONAL_ID_LEN + 1];
	int r;

	if (t == NULL || ret == NULL)
		return EID_EINVAL;
	if (eid_phone_normalize(phone, e164) != EID_OK)
		return EID_EMALFORMED;
	if ((r = index_get(t, "phone", e164, id)) != EID_OK)
		return r;
	return eid_account_get(t, id, ret);
}

/* ---- audit and output ---- */

int eid_account_to_json(const struct eid_account *a, json_t **ret)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:b}",
			      "personal_id", a->personal_id, "phone", a->phone,
			      "level", a->level, "status",
			      eid_account_status_name(a->status), "created_at",
			      (json_int_t)a->created_at, "updated_at",
			      (json_int_t)a->updated_at, "failed_logins",
			      (json_int_t)a->failed_logins, "has_password",
			      a->password[0] != '\0');
	int r = EID_OK;

	if (o == NULL)
		return EID_ENOMEM;
	if (a->email[0] != '\0')
		r |= json_object_set_new(o, "email", json_string(a->email));
	if (a->lock_reason != EID_LOCK_NONE) {
		r |= json_object_set_new(o, "lock_reason",
					 json_string(eid_lock_reason_name(a->lock_reason)));
		r |= json_object_set_new(o, "locked_by",
					 json_string(a->locked_by));
	}
	if (a->sessions_revoked_before != 0)
		r |= json_object_set_new(o, "sessions_revoked_before",
					 json_integer(a->sessions_revoked_before));
	if (a->guardian_id[0] != '\0')
		r |= json_object_set_new(o, "guardian_id",
					 json_string(a->guardian_id));
	if (r != 0) {
		json_decref(o);
		return EID_ENOMEM;
	}
	*ret = o;
	return EID_OK;
}

/* ---- creation ---- */

bool eid_account_card_expired(const struct eid_citizen *c, int64_t now)
{
	struct eid_date today;

	if (c->card_expires.year == 0)
		return false;
	eid_date_today(now, &today);
	return eid_date_cmp(&c->card_expires, &today) < 0;
}

/* The registry rules of Decree 69/2024 for a new account. */
static int check_citizen(eid_txn *t, const struct eid_account_new *a,
			 int level, int64_t now, struct eid_citizen *c,
			 eid_buf *why)
{
	struct eid_date today;
	int age = 0, r;

	if (a->citizen != NULL) {
		r = strcmp(a->citizen->personal_id, a->personal_id) == 0 ?
			    EID_OK : EID_EINVAL;
		if (r == EID_OK)
			*c = *a->citizen;
	} else {
		r = eid_registry_get(t, a->personal_id, c);
	}
	if (r == EID_ENOTFOUND)
		eid_buf_say(why, "no citizen with this personal ID number in "
				 "the registry");
	if (r != EID_OK)
		return r;
	if ((a->full_name != NULL && strcmp(a->full_name, c->full_name) != 0) ||
	    (a->birthdate != NULL &&
	     eid_date_cmp(a->birthdate, &c->birthdate) != 0)) {
		eid_buf_say(why, "the details given do not match the registry");
		return EID_EMISMATCH;
	}
	eid_date_today(now, &today);
	if (eid_age_on(&c->birthdate, &today, &age) != EID_OK)
		return EID_EMALFORMED;
	if (eid_age_band_of(age) == EID_AGE_UNDER_6 ||
	    (eid_age_band_of(age) == EID_AGE_6_TO_13 && level == 1)) {
		eid_buf_say(why, "only through a guardian's level-2 account");
		return EID_EPERM;
	}
	if (c->card_status == EID_CARD_REVOKED || eid_account_card_expired(c, now)) {
		eid_buf_say(why, c->card_status == EID_CARD_REVOKED ?
					 "the ID card is revoked" :
					 "the ID card has expired");
		return EID_ESTATE;
	}
	return EID_OK;
}

/* Fill the new record from a; EID_EMALFORMED with a reason when a field
 * is bad. */
static int new_record(const struct eid_account_new *a, int64_t now,
		      struct eid_account *n, eid_buf *why)
{
	struct eid_personal_id pid;

	memset(n, 0, sizeof(*n));
	n->level = a->level == 0 ? 1 : a->level;
	if (a->personal_id == NULL ||
	    eid_personal_id_parse(a->personal_id, &pid) != EID_OK)
		eid_buf_say(why, "invalid personal ID number");
	else if (eid_phone_normalize(a->phone, n->phone) != EID_OK)
		eid_buf_say(why, "invalid phone number (a Vietnamese mobile "
				 "number, or +country code and number)");
	else if (a->email != NULL && a->email[0] != '\0' &&
		 eid_email_normalize(a->email, n->email) != EID_OK)
		eid_buf_say(why, "invalid e-mail address");
	else if (n->level != 1 && n->level != 2)
		eid_buf_say(why, "level must be 1 or 2");
	else if (a->password == NULL && n->level == 1) {
		eid_buf_say(why, "a level-1 account needs a password");
		return EID_EINVAL;
	} else {
		memcpy(n->personal_id, pid.digits, sizeof(n->personal_id));
		n->status = a->password == NULL ?
				    EID_ACCOUNT_PENDING_ACTIVATION :
				    EID_ACCOUNT_ACTIVE;
		n->created_at = n->updated_at = now;
		return EID_OK;
	}
	return EID_EMALFORMED;
}

/* EID_EEXIST, with the reason, when the account or its phone or e-mail
 * is taken. */
static int check_free(eid_txn *t, const struct eid_account *n, eid_buf *why)
{
	struct eid_account old;
	char id[EID_PERSONAL_ID_LEN + 1];
	int r = eid_account_get(t, n->personal_id, &old);

	eid_account_clear(&old);
	if (r == EID_OK) {
		eid_buf_say(why, "this citizen already has an account");
		return EID_EEXIST;
	}
	if (r != EID_ENOTFOUND)
		return r;
	r = index_get(t, "phone", n->phone, id);
	if (r == EID_OK) {
		eid_buf_say(why, "the phone number belongs to another account "
				 "(one phone number per account)");
		return EID_EEXIST;
	}
	if (r != EID_ENOTFOUND || n->email[0] == '\0')
		return r == EID_ENOTFOUND ? EID_OK : r;
	r = index_get(t, "email", n->email, id);
	if (r == EID_OK) {
		eid_buf_say(why, "the e-mail address belongs to another "
				 "account");
		return EID_EEXIST;
	}
	return r == EID_ENOTFOUND ? EID_OK : r;
}

/* Policy check and hash into a->password. */
int eid_account_hash_new_password(const struct eid_account_policy *pol,
			    struct eid_account *a, const struct eid_date *birth,
			    const char *password, eid_buf *why)
{
	struct eid_password_context ctx = {
		.personal_id = a->personal_id,
		.phone = a->phone,
		.birthdate = birth,
	};
	size_t n = strnlen(password, EID_PASSWORD_MAX_BYTES + 1);
	int r;

	r = eid_password_check_policy(&pol->password, password, n, &ctx, why);
	if (r == EID_OK)
		r = eid_password_hash(&pol->password, password, n, a->password);
	return r;
}

int eid_account_create(eid_txn *t, const struct eid_account_policy *pol,
		       const struct eid_account_new *a, int64_t now,
		       const char *actor, eid_buf *why)
{
	struct eid_account n;
	struct eid_citizen c;
	int r;

	if (t == NULL || pol == NULL || a == NULL || actor == NULL)
		return EID_EINVAL;
	if ((r = new_record(a, now, &n, why)) != EID_OK ||
	    (r = check_citizen(t, a, n.level, now, &c, why)) != EID_OK ||
	    (r = check_free(t, &n, why)) != EID_OK)
		goto out;
	if (a->password != NULL &&
	    (r = eid_account_hash_new_password(pol, &n, &c.birthdate, a->password, why)) != EID_OK)
		goto out;
	if ((r = index_insert(t, "phone", n.phone, n.personal_id)) != EID_OK ||
	    (n.email[0] != '\0' &&
	     (r = index_insert(t, "email", n.email, n.personal_id)) != EID_OK) ||
	    (r = eid_account_put(t, &n)) != EID_OK)
		goto out;
	r = eid_audit_record(t, "account.create", actor, n.personal_id, NULL,
		  json_pack("{s:i, s:s}", "level", n.level, "status",
			    eid_account_status_name(n.status)),
		  now);
out:
	eid_account_clear(&n);
	return r;
}

/* ---- lifecycle ---- */

static int apply_lock(eid_txn *t, struct eid_account *a,
		      enum eid_lock_reason reason, const char *actor,
		      int64_t now)
{
	int r;

	a->status = EID_ACCOUNT_LOCKED;
	a->lock_reason = reason;
	(void)snprintf(a->locked_by, sizeof(a->locked_by), "%s", actor);
	/* Anything issued up to and including this second is ended. */
	a->sessions_revoked_before = now + 1;
	a->updated_at = now;
	r = eid_account_put(t, a);
	if (r == EID_OK)
		r = eid_audit_record(t, "account.lock", actor, a->personal_id, NULL,
			  json_pack("{s:s}", "reason",
				    eid_lock_reason_name(reason)),
			  now);
	return r;
}

int eid_account_lock(eid_txn *t, const char *personal_id,
		     enum eid_lock_reason reason, const char *actor,
		     int64_t now)
{
	struct eid_account a;
	int r;

	if (actor == NULL || reason == EID_LOCK_NONE || (size_t)reason >= NREASONS)
		return EID_EINVAL;
	if ((r = eid_account_get(t, personal_id, &a)) != EID_OK)
		return r;
	if (a.status == EID_ACCOUNT_LOCKED || a.status == EID_ACCOUNT_REVOKED)
		r = EID_ESTATE;
	else
		r = apply_lock(t, &a, reason, actor, now);
	eid_account_clear(&a);
	return r;
}

/* Locked for the card, and the registry still says the card is bad. */
static int card_still_bad(eid_txn *t, const struct eid_account *a,
			  int64_t now, bool *ret_bad)
{
	struct eid_citizen c;
	int r;

	*ret_bad = false;
	if (a->lock_reason != EID_LOCK_CARD_EXPIRED &&
	    a->lock_reason != EID_LOCK_CARD_REVOKED)
		return EID_OK;
	r = eid_registry_get(t, a->personal_id, &c);
	if (r == EID_ENOTFOUND)
		return EID_OK;
	if (r == EID_OK)
		*ret_bad = c.card_status == EID_CARD_REVOKED ||
			   eid_account_card_expired(&c, now);
	return r;
}

int eid_account_unlock(eid_txn *t, const char *personal_id,
		       const char *actor, int64_t now)
{
	struct eid_account a;
	bool bad = false;
	int r;

	if (actor == NULL)
		return EID_EINVAL;
	if ((r = eid_account_get(t, personal_id, &a)) != EID_OK)
		return r;
	if (a.status != EID_ACCOUNT_LOCKED ||
	    ((r = card_still_bad(t, &a, now, &bad)) == EID_OK && bad)) {
		r = EID_ESTATE;
		goto out;
	}
	if (r != EID_OK)
		goto out;
	a.status = a.password[0] != '\0' ? EID_ACCOUNT_ACTIVE :
					   EID_ACCOUNT_PENDING_ACTIVATION;
	a.lock_reason = EID_LOCK_NONE;
	a.locked_by[0] = '\0';
	a.failed_logins = 0;
	a.last_failure_at = 0;
	a.updated_at = now;
	if ((r = eid_account_put(t, &a)) == EID_OK)
		r = eid_audit_record(t, "account.unlock", actor, a.personal_id, NULL, NULL,
			  now);
out:
	eid_account_clear(&a);
	return r;
}

int eid_account_revoke(eid_txn *t, const char *personal_id,
		       const char *actor, int64_t now)
{
	struct eid_account a;
	int r;

	if (actor == NULL)
		return EID_EINVAL;
	if ((r = eid_account_get(t, personal_id, &a)) != EID_OK)
		return r;
	if (a.status == EID_ACCOUNT_REVOKED) {
		r = EID_ESTATE;
		goto out;
	}
	a.status = EID_ACCOUNT_REVOKED;
	a.sessions_revoked_before = now + 1;
	a.updated_at = now;
	/* A minor's account borrows its guardian's number: not its own. */
	if ((a.guardian_id[0] == '\0' &&
	     (r = index_del(t, "phone", a.phone)) != EID_OK) ||
	    (a.email[0] != '\0' && (r = index_del(t, "email", a.email)) != EID_OK) ||
	    (r = eid_account_put(t, &a)) != EID_OK)
		goto out;
	r = eid_audit_record(t, "account.revoke", actor, a.personal_id, NULL, NULL, now);
out:
	eid_account_clear(&a);
	return r;
}

int eid_account_set_password(eid_txn *t, const struct eid_account_policy *pol,
			     const char *personal_id, const char *password,
			     const char *actor, int64_t now, eid_buf *why)
{
	struct eid_account a;
	struct eid_citizen c;
	const struct eid_date *birth = NULL;
	int r;

	if (pol == NULL || password == NULL || actor == NULL)
		return EID_EINVAL;
	if ((r = eid_account_get(t, personal_id, &a)) != EID_OK)
		return r;
	if (a.status == EID_ACCOUNT_REVOKED) {
		eid_buf_say(why, "the account is revoked");
		r = EID_ESTATE;
		goto out;
	}
	if (eid_registry_get(t, personal_id, &c) == EID_OK)
		birth = &c.birthdate;
	if ((r = eid_account_hash_new_password(pol, &a, birth, password, why)) != EID_OK)
		goto out;
	if (a.status == EID_ACCOUNT_PENDING_ACTIVATION)
		a.status = EID_ACCOUNT_ACTIVE;
	a.updated_at = now;
	if ((r = eid_account_put(t, &a)) == EID_OK)
		r = eid_audit_record(t, "account.password", actor, a.personal_id, NULL,
			  NULL, now);
out:
	eid_account_clear(&a);
	return r;
}

int eid_account_end_sessions(eid_txn *t, const char *personal_id,
			     const char *actor, int64_t now)
{
	struct eid_account a;
	int r;

	if (actor == NULL)
		return EID_EINVAL;
	if ((r = eid_account_get(t, personal_id, &a)) != EID_OK)
		return r;
	a.sessions_revoked_before = now + 1;
	a.updated_at = now;
	if ((r = eid_account_put(t, &a)) == EID_OK)
		r = eid_audit_record(t, "account.sessions_ended", actor,
				     a.personal_id, NULL, NULL, now);
	eid_account_clear(&a);
	return r;
}

int eid_account_change_phone(eid_txn *t, const char *personal_id,
			     const char *phone, const char *actor,
			     int64_t now, eid_buf *why)
{
	struct eid_account a;
	char e164[EID_PHONE_MAX + 1], old[EID_PHONE_MAX + 1];
	int r;

	if (actor == NULL || strncmp(actor, "officer:", 8) != 0) {
		eid_buf_say(why, "only an officer may change the phone number");
		return EID_EPERM;
	}
	if (eid_phone_normalize(phone, e164) != EID_OK) {
		eid_buf_say(why, "invalid phone number");
		return EID_EMALFORMED;
	}
	if ((r = eid_account_get(t, personal_id, &a)) != EID_OK)
		return r;
	if (a.status == EID_ACCOUNT_REVOKED || strcmp(a.phone, e164) == 0 ||
	    a.guardian_id[0] != '\0') {
		eid_buf_say(why, a.status == EID_ACCOUNT_REVOKED ?
				 "the account is revoked" :
				 a.guardian_id[0] != '\0' ?
				 "a minor's account uses the guardian's number" :
				 "the account already has this number");
		r = EID_ESTATE;
		goto out;
	}
	memcpy(old, a.phone, sizeof(old));
	r = index_insert(t, "phone", e164, a.personal_id);
	if (r == EID_EEXIST)
		eid_buf_say(why, "the phone number belongs to another account "
				 "(one phone number per account)");
	if (r != EID_OK || (r = index_del(t, "phone", old)) != EID_OK)
		goto out;
	memcpy(a.phone, e164, sizeof(a.phone));
	a.updated_at = now;
	if ((r = eid_account_put(t, &a)) == EID_OK)
		r = eid_audit_record(t, "account.phone_change", actor, a.personal_id, NULL,
			  json_pack("{s:s, s:s}", "old", old, "new", e164), now);
out:
	eid_account_clear(&a);
	return r;
}

static enum eid_lock_reason card_lock_reason(const struct eid_citizen *c,
					     int64_t now)
{
	if (c->card_status == EID_CARD_REVOKED)
		return EID_LOCK_CARD_REVOKED;
	if (eid_account_card_expired(c, now))
		return EID_LOCK_CARD_EXPIRED;
	return EID_LOCK_NONE;
}

int eid_account_card_lock_due(const eid_registry *reg,
			      const struct eid_account *a, int64_t now,
			      enum eid_lock_reason *ret)
{
	struct eid_citizen c;
	int r;

	*ret = EID_LOCK_NONE;
	if (a->status != EID_ACCOUNT_ACTIVE &&
	    a->status != EID_ACCOUNT_PENDING_ACTIVATION)
		return EID_OK;
	r = eid_registry_lookup(reg, a->personal_id, &c);
	if (r == EID_ENOTFOUND)
		return EID_OK; /* nobody to compare with: left alone */
	if (r != EID_OK)
		return r;
	*ret = card_lock_reason(&c, now);
	return EID_OK;
}

int eid_account_sync_loaded(eid_txn *t, struct eid_account *a,
			    enum eid_lock_reason due, int64_t now,
			    bool *ret_locked)
{
	*ret_locked = false;
	/* The account may have changed since the registry was asked. */
	if (due == EID_LOCK_NONE ||
	    (a->status != EID_ACCOUNT_ACTIVE &&
	     a->status != EID_ACCOUNT_PENDING_ACTIVATION))
		return EID_OK;
	*ret_locked = true;
	return apply_lock(t, a, due, "system", now);
}

/* Level 2 in state to; from an account in one of the states allowed. */
static int raise_level2(eid_txn *t, const char *personal_id,
			const char *actor, int64_t now,
			enum eid_account_status to, bool from_pending,
			const char *event)
{
	struct eid_account a;
	int r;

	if (actor == NULL)
		return EID_EINVAL;
	if ((r = eid_account_get(t, personal_id, &a)) != EID_OK)
		return r;
	if (a.status != EID_ACCOUNT_ACTIVE &&
	    !(from_pending && a.status == EID_ACCOUNT_PENDING_ACTIVATION)) {
		r = EID_ESTATE;
		goto out;
	}
	a.level = 2;
	a.status = to;
	a.updated_at = now;
	if ((r = eid_account_put(t, &a)) == EID_OK)
		r = eid_audit_record(t, event, actor, a.personal_id, NULL, NULL,
				     now);
out:
	eid_account_clear(&a);
	return r;
}

int eid_account_raise_pending(eid_txn *t, const char *personal_id,
			      const char *actor, int64_t now)
{
	return raise_level2(t, personal_id, actor, now,
			    EID_ACCOUNT_PENDING_ACTIVATION, true,
			    "account.level2_pending");
}

int eid_account_raise_active(eid_txn *t, const char *personal_id,
			     const char *actor, int64_t now)
{
	return raise_level2(t, personal_id, actor, now, EID_ACCOUNT_ACTIVE,
			    false, "account.level2");
}

int eid_account_end_everything(eid_store *s, const char *personal_id,
			       uint64_t now)
{
	int r = eid_session_end_all(s, personal_id, NULL);

	if (r == EID_OK)
		r = eid_grant_revoke_by_subject(s, personal_id, now, NULL);
	/* The signing certificate too (its key is deleted): a lock is not a
	 * certificateHold, since nothing takes it off the CRL; after an
	 * unlock the next signature gets a new certificate. */
	if (r == EID_OK) {
		r = eid_citizen_cert_revoke(s, personal_id,
					    EID_CRL_CESSATION_OF_OPERATION, now);
		if (r == EID_ENOTFOUND) /* never signed */
			r = EID_OK;
	}
	return r;
}
