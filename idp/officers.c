#include "idp/officers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/jsonrec.h"

#define RECORD_MAX (8u * 1024)
#define SCOPE "officer"
#define SECRET_B32_MAX 40 /* 20 bytes: 32 characters */
#define SEALED_B64_MAX 96 /* 48 bytes: 64 characters */
#define AAD_MAX (32 + EID_OFFICER_ID_MAX)

static const char *const role_names[] = { "officer", "supervisor" };
static const char *const status_names[] = { "active", "disabled" };

void eid_officer_clear(struct eid_officer *o)
{
	eid_wipe(o, sizeof(*o));
}

const char *eid_officer_role_name(enum eid_officer_role r)
{
	return (unsigned)r < 2 ? role_names[r] : "?";
}

static int parse_name(const char *s, const char *const names[2], int *ret)
{
	for (int i = 0; s != NULL && i < 2; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = i;
			return EID_OK;
		}
	return EID_EMALFORMED;
}

int eid_officer_role_parse(const char *s, enum eid_officer_role *ret)
{
	int i = 0, r = parse_name(s, role_names, &i);

	if (r == EID_OK)
		*ret = (enum eid_officer_role)i;
	return r;
}

/* Every byte of s in the allowed set, length within [1, max]. */
static bool only(const char *s, const char *allowed, size_t max)
{
	size_t n = s != NULL ? strnlen(s, max + 1) : 0;

	return n > 0 && n <= max && strspn(s, allowed) == n;
}

/* ---- the TOTP secret, sealed at rest ---- */

static int seal_aad(const char *id, char out[AAD_MAX])
{
	int n = snprintf(out, AAD_MAX, "eid officer totp v1|%s", id);

	return n > 0 && n < AAD_MAX ? n : -1;
}

/* Seal secret into the record (dropping any plain copy). */
static int secret_seal(const struct eid_cred_keys *k, struct eid_officer *o,
		       const uint8_t secret[EID_TOTP_SECRET_LEN])
{
	char aad[AAD_MAX];
	int n = seal_aad(o->id, aad), r;
	eid_buf b;

	if (n < 0)
		return EID_EINVAL;
	eid_buf_init(&b, EID_OFFICER_SEALED_LEN);
	r = eid_seal(k->seal, aad, (size_t)n, secret, EID_TOTP_SECRET_LEN, &b);
	if (r == EID_OK) {
		memcpy(o->totp_sealed, b.data, EID_OFFICER_SEALED_LEN);
		o->has_totp = true;
		o->totp_plain = false;
		eid_wipe(o->totp_secret, sizeof(o->totp_secret));
	}
	eid_buf_free(&b);
	return r;
}

static int secret_open(const struct eid_cred_keys *k,
		       const struct eid_officer *o,
		       uint8_t ret[EID_TOTP_SECRET_LEN])
{
	char aad[AAD_MAX];
	int n = seal_aad(o->id, aad);

	if (n < 0 || !o->has_totp)
		return EID_EINVAL;
	if (o->totp_plain) {
		memcpy(ret, o->totp_secret, EID_TOTP_SECRET_LEN);
		return EID_OK;
	}
	return eid_unseal(k->seal, aad, (size_t)n, o->totp_sealed,
			  sizeof(o->totp_sealed), ret, EID_TOTP_SECRET_LEN);
}

/* A format-1 record's plain secret, sealed before it is written back. */
static int secret_upgrade(const struct eid_cred_keys *k, struct eid_officer *o)
{
	uint8_t secret[EID_TOTP_SECRET_LEN];
	int r;

	if (!o->has_totp || !o->totp_plain)
		return EID_OK;
	memcpy(secret, o->totp_secret, sizeof(secret));
	r = secret_seal(k, o, secret);
	eid_wipe(secret, sizeof(secret));
	return r;
}

/* ---- the stored record ---- */

static int record_encode(const struct eid_officer *o, char **ret_text)
{
	char sealed[SEALED_B64_MAX] = "";
	json_t *j;
	char *text = NULL;
	int r = EID_OK;

	if (o->totp_plain)
		return EID_EINVAL; /* never written back in plain */
	if (o->has_totp)
		r = eid_b64url_encode_str(o->totp_sealed, sizeof(o->totp_sealed),
					  sealed, sizeof(sealed));
	if (r != EID_OK)
		return r;
	j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I,"
		      " s:I, s:I}",
		      "v", EID_OFFICER_FORMAT, "id", o->id, "name", o->name,
		      "unit", o->unit, "role", eid_officer_role_name(o->role),
		      "status", status_names[o->status], "password",
		      o->password, "totp_sealed", sealed, "totp_last_step",
		      (json_int_t)o->totp_last_step, "created_at",
		      (json_int_t)o->created_at, "updated_at",
		      (json_int_t)o->updated_at, "failed_logins",
		      (json_int_t)o->failed_logins, "last_failure_at",
		      (json_int_t)o->last_failure_at);
	if (j != NULL)
		text = eid_jrec_dump(j);
	eid_jrec_wipe(j, "password");
	json_decref(j);
	if (text == NULL)
		return EID_ENOMEM;
	*ret_text = text;
	return EID_OK;
}

static int record_sealed(json_t *j, struct eid_officer *o)
{
	char text[SEALED_B64_MAX];
	eid_buf b;
	int r = eid_jrec_text(j, "totp_sealed", text, sizeof(text));

	o->has_totp = false;
	if (r != EID_OK || text[0] == '\0')
		return r;
	eid_buf_init(&b, EID_OFFICER_SEALED_LEN);
	r = eid_b64url_decode(text, strlen(text), &b);
	if (r == EID_OK && b.len != EID_OFFICER_SEALED_LEN)
		r = EID_EMALFORMED;
	if (r == EID_OK) {
		memcpy(o->totp_sealed, b.data, EID_OFFICER_SEALED_LEN);
		o->has_totp = true;
	}
	eid_buf_free(&b);
	return r;
}

/* Format 1: the secret in plain base32. */
static int record_plain(json_t *j, struct eid_officer *o)
{
	char b32[SECRET_B32_MAX + 1];
	eid_buf b;
	int r = eid_jrec_text(j, "totp_secret", b32, sizeof(b32));

	o->has_totp = false;
	if (r != EID_OK || b32[0] == '\0')
		return r;
	eid_buf_init_secret(&b, EID_TOTP_SECRET_LEN);
	r = eid_base32_decode(b32, strlen(b32), &b);
	if (r == EID_OK && b.len != EID_TOTP_SECRET_LEN)
		r = EID_EMALFORMED;
	if (r == EID_OK) {
		memcpy(o->totp_secret, b.data, EID_TOTP_SECRET_LEN);
		o->has_totp = o->totp_plain = true;
	}
	eid_buf_free(&b);
	eid_wipe(b32, sizeof(b32));
	return r;
}

static int record_fields(json_t *j, struct eid_officer *o)
{
	char role[16], status[16];
	int64_t v = 0, step = 0, failed = 0;
	int i = 0;

	if (eid_jrec_int(j, "v", &v) != EID_OK)
		return EID_EMALFORMED;
	if (v != 1 && v != EID_OFFICER_FORMAT)
		return EID_EUNSUPPORTED;
	if (eid_jrec_text(j, "id", o->id, sizeof(o->id)) ||
	    eid_jrec_text(j, "name", o->name, sizeof(o->name)) ||
	    eid_jrec_text(j, "unit", o->unit, sizeof(o->unit)) ||
	    eid_jrec_text(j, "role", role, sizeof(role)) ||
	    eid_jrec_text(j, "status", status, sizeof(status)) ||
	    eid_jrec_text(j, "password", o->password, sizeof(o->password)) ||
	    eid_jrec_int(j, "totp_last_step", &step) ||
	    eid_jrec_int(j, "created_at", &o->created_at) ||
	    eid_jrec_int(j, "updated_at", &o->updated_at) ||
	    eid_jrec_int(j, "failed_logins", &failed) ||
	    eid_jrec_int(j, "last_failure_at", &o->last_failure_at) ||
	    eid_officer_role_parse(role, &o->role) ||
	    parse_name(status, status_names, &i) || step < 0 || failed < 0)
		return EID_EMALFORMED;
	o->status = (enum eid_officer_status)i;
	o->totp_last_step = (uint64_t)step;
	o->failed_logins = (uint64_t)failed;
	return v == 1 ? record_plain(j, o) : record_sealed(j, o);
}

int eid_officer_get(eid_txn *t, const char *id, struct eid_officer *ret)
{
	struct eid_officer o;
	json_t *j = NULL;
	eid_buf v;
	int r;

	if (t == NULL || id == NULL || ret == NULL)
		return EID_EINVAL;
	if (!only(id, "abcdefghijklmnopqrstuvwxyz0123456789._-",
		  EID_OFFICER_ID_MAX))
		return EID_ENOTFOUND;
	memset(&o, 0, sizeof(o));
	eid_buf_init_secret(&v, RECORD_MAX);
	r = eid_txn_get(t, EID_TABLE_OFFICERS, id, strlen(id), &v);
	if (r == EID_OK) {
		j = json_loadb((const char *)v.data, v.len,
			       JSON_REJECT_DUPLICATES, NULL);
		r = json_is_object(j) ? record_fields(j, &o) : EID_EMALFORMED;
	}
	if (r == EID_OK)
		*ret = o;
	eid_jrec_wipe(j, "password");
	eid_jrec_wipe(j, "totp_secret");
	json_decref(j);
	eid_buf_free(&v);
	eid_officer_clear(&o);
	return r;
}

/* Write the record; a plain (format 1) secret is sealed first. */
static int officer_put(eid_txn *t, const struct eid_cred_keys *k,
		       struct eid_officer *o)
{
	char *text = NULL;
	int r = secret_upgrade(k, o);

	if (r == EID_OK)
		r = record_encode(o, &text);
	if (r == EID_OK)
		r = eid_txn_put(t, EID_TABLE_OFFICERS, o->id, strlen(o->id),
				text, strlen(text));
	eid_free_secret_str(text);
	return r;
}

/* ---- adding and enrolling ---- */

static int check_new(const struct eid_officer_new *n, eid_buf *why)
{
	const char *reason = NULL;

	if (!only(n->id, "abcdefghijklmnopqrstuvwxyz0123456789._-",
		  EID_OFFICER_ID_MAX))
		reason = "officer ID: 1 to 64 of a-z, 0-9, '.', '_', '-'";
	else if (n->name == NULL || n->name[0] == '\0' ||
		 strlen(n->name) > EID_OFFICER_NAME_MAX)
		reason = "name: 1 to 200 bytes";
	else if (!only(n->unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
		       EID_OFFICER_UNIT_MAX))
		reason = "unit: 1 to 32 of A-Z, 0-9, '-' (e.g. CA-HN-HBT)";
	else if ((unsigned)n->role > EID_OFFICER_ROLE_SUPERVISOR)
		reason = "role: officer or supervisor";
	if (reason == NULL)
		return EID_OK;
	if (why != NULL)
		(void)eid_buf_put_str(why, reason);
	return EID_EMALFORMED;
}

static int hash_password(const struct eid_account_policy *pol,
			 const char *pw, char phc[EID_PASSWORD_PHC_MAX + 1],
			 eid_buf *why)
{
	size_t n = pw != NULL ? strnlen(pw, EID_PASSWORD_MAX_BYTES + 1) : 0;
	int r;

	if (pw == NULL)
		return EID_EINVAL;
	r = eid_password_check_policy(&pol->password, pw, n, NULL, why);
	if (r == EID_OK)
		r = eid_password_hash(&pol->password, pw, n, phc);
	return r;
}

/* A fresh secret sealed into the record; the plain one to secret. */
static int new_secret(const struct eid_cred_keys *k, struct eid_officer *o,
		      uint8_t secret[EID_TOTP_SECRET_LEN])
{
	int r = eid_totp_generate(secret);

	if (r == EID_OK)
		r = secret_seal(k, o, secret);
	return r;
}

int eid_officer_add(eid_txn *t, const struct eid_account_policy *pol,
		    const struct eid_cred_keys *k,
		    const struct eid_officer_new *n, int64_t now,
		    const char *actor,
		    uint8_t ret_totp_secret[EID_TOTP_SECRET_LEN], eid_buf *why)
{
	uint8_t secret[EID_TOTP_SECRET_LEN];
	struct eid_officer o;
	int r;

	if (t == NULL || pol == NULL || k == NULL || n == NULL || actor == NULL)
		return EID_EINVAL;
	memset(secret, 0, sizeof(secret));
	memset(&o, 0, sizeof(o));
	if ((r = check_new(n, why)) != EID_OK)
		goto out;
	if ((r = eid_officer_get(t, n->id, &o)) != EID_ENOTFOUND) {
		if (r == EID_OK && why != NULL)
			(void)eid_buf_put_str(why, "an officer has this ID");
		r = r == EID_OK ? EID_EEXIST : r;
		goto out;
	}
	memset(&o, 0, sizeof(o));
	(void)snprintf(o.id, sizeof(o.id), "%s", n->id);
	(void)snprintf(o.name, sizeof(o.name), "%s", n->name);
	(void)snprintf(o.unit, sizeof(o.unit), "%s", n->unit);
	o.role = n->role;
	o.status = EID_OFFICER_ACTIVE;
	o.created_at = o.updated_at = now;
	if ((r = hash_password(pol, n->password, o.password, why)) != EID_OK ||
	    (n->enroll_totp && (r = new_secret(k, &o, secret)) != EID_OK))
		goto out;
	if ((r = officer_put(t, k, &o)) != EID_OK ||
	    (r = eid_audit_record(t, "officer.add", actor, o.id, NULL,
				  json_pack("{s:s, s:s, s:b}", "unit", o.unit,
					    "role", eid_officer_role_name(o.role),
					    "totp", o.has_totp),
				  now)) != EID_OK)
		goto out;
	if (o.has_totp && ret_totp_secret != NULL)
		memcpy(ret_totp_secret, secret, EID_TOTP_SECRET_LEN);
out:
	eid_wipe(secret, sizeof(secret));
	eid_officer_clear(&o);
	return r;
}

int eid_officer_enroll_totp(eid_txn *t, const struct eid_cred_keys *k,
			    const char *id, int64_t now, const char *actor,
			    uint8_t ret_secret[EID_TOTP_SECRET_LEN])
{
	uint8_t secret[EID_TOTP_SECRET_LEN];
	struct eid_officer o;
	int r;

	if (k == NULL || actor == NULL || ret_secret == NULL)
		return EID_EINVAL;
	if ((r = eid_officer_get(t, id, &o)) != EID_OK)
		return r;
	if ((r = new_secret(k, &o, secret)) != EID_OK)
		goto out;
	o.totp_last_step = 0;
	o.updated_at = now;
	if ((r = officer_put(t, k, &o)) != EID_OK ||
	    (r = eid_audit_record(t, "officer.totp_enroll", actor, o.id, NULL,
				  NULL, now)) != EID_OK)
		goto out;
	memcpy(ret_secret, secret, EID_TOTP_SECRET_LEN);
out:
	eid_wipe(secret, sizeof(secret));
	eid_officer_clear(&o);
	return r;
}

/* The officers' IDs, one per line (the table is read before written). */
static int collect_id(const void *key, size_t klen, const void *val,
		      size_t vlen, void *arg)
{
	eid_buf *ids = arg;
	int r;

	(void)val;
	(void)vlen;
	if (klen == 0 || klen > EID_OFFICER_ID_MAX)
		return EID_EMALFORMED;
	if ((r = eid_buf_put(ids, key, klen)) == EID_OK)
		r = eid_buf_put_u8(ids, '\n');
	return r;
}

static int reseal_one(eid_txn *t, const struct eid_cred_keys *k,
		      const char *id, int64_t now, const char *actor,
		      unsigned *sealed)
{
	struct eid_officer o;
	int r = eid_officer_get(t, id, &o);

	if (r != EID_OK || !o.totp_plain)
		goto out;
	if ((r = officer_put(t, k, &o)) == EID_OK &&
	    (r = eid_audit_record(t, "officer.totp_seal", actor, o.id, NULL,
				  json_pack("{s:s}", "unit", o.unit),
				  now)) == EID_OK)
		(*sealed)++;
out:
	eid_officer_clear(&o);
	return r;
}

int eid_officer_reseal(eid_txn *t, const struct eid_cred_keys *k, int64_t now,
		       const char *actor, unsigned *ret_sealed)
{
	char id[EID_OFFICER_ID_MAX + 1];
	unsigned sealed = 0;
	const char *p, *nl;
	eid_buf ids;
	int r;

	if (t == NULL || k == NULL || actor == NULL)
		return EID_EINVAL;
	eid_buf_init(&ids, 16u * 1024 * 1024);
	r = eid_txn_scan(t, EID_TABLE_OFFICERS, NULL, 0, collect_id, &ids);
	p = r == EID_OK ? eid_buf_cstr(&ids) : NULL;
	if (r == EID_OK && p == NULL)
		r = EID_ENOMEM;
	for (; r == EID_OK && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		(void)snprintf(id, sizeof(id), "%.*s", (int)(nl - p), p);
		r = reseal_one(t, k, id, now, actor, &sealed);
	}
	eid_buf_free(&ids);
	if (r == EID_OK && ret_sealed != NULL)
		*ret_sealed = sealed;
	return r;
}

int eid_officer_totp_uri(const char *issuer, const char *officer_id,
			 const uint8_t secret[EID_TOTP_SECRET_LEN],
			 eid_buf *out)
{
	char *is = curl_easy_escape(NULL, issuer, 0);
	char *id = curl_easy_escape(NULL, officer_id, 0);
	eid_buf b32;
	size_t start = out->len;
	int r = EID_ENOMEM;

	eid_buf_init_secret(&b32, SECRET_B32_MAX);
	if (is != NULL && id != NULL &&
	    (r = eid_base32_encode(secret, EID_TOTP_SECRET_LEN, &b32)) == EID_OK)
		r = eid_buf_printf(out, "otpauth://totp/%s:%s?secret=%.*s&issuer=%s"
				   "&algorithm=SHA1&digits=%d&period=%d",
				   is, id, (int)b32.len, (const char *)b32.data,
				   is, EID_TOTP_DIGITS, EID_TOTP_PERIOD);
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	eid_buf_free(&b32);
	curl_free(is);
	curl_free(id);
	return r;
}

int eid_officer_to_json(const struct eid_officer *o, json_t **ret)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I}",
			      "id", o->id, "name", o->name, "unit", o->unit,
			      "role", eid_officer_role_name(o->role), "status",
			      status_names[o->status], "totp_enrolled",
			      o->has_totp, "created_at",
			      (json_int_t)o->created_at, "updated_at",
			      (json_int_t)o->updated_at, "failed_logins",
			      (json_int_t)o->failed_logins);

	if (j == NULL)
		return EID_ENOMEM;
	*ret = j;
	return EID_OK;
}

/* ---- sign-in ---- */

struct officer_attempt {
	eid_store *s;
	const struct eid_account_policy *pol;
	const struct eid_cred_keys *k;
	const char *id;
	const char *code;
	const char *remote;
	int64_t now;
	struct eid_login_info *info;
};

static void set_info(struct eid_login_info *info, const char *reason,
		     uint64_t retry)
{
	info->reason = reason;
	info->retry_after = retry;
}

/* Apply the outcome to the record read again in the write transaction:
 * a code accepted meanwhile by a racing sign-in is a replay here. */
static int apply_outcome(const struct officer_attempt *at,
			 struct eid_officer *cur, int verdict, uint64_t step,
			 const char *new_phc)
{
	if (verdict == EID_OK && cur->totp_last_step >= step) {
		set_info(at->info, "totp_replay", 0);
		verdict = EID_EREPLAY;
	}
	if (verdict == EID_OK) {
		cur->failed_logins = 0;
		cur->last_failure_at = 0;
		cur->totp_last_step = step;
		if (new_phc != NULL)
			memcpy(cur->password, new_phc, sizeof(cur->password));
	} else if (verdict == EID_EAUTH || verdict == EID_EREPLAY) {
		cur->failed_logins++;
		cur->last_failure_at = at->now;
	}
	return verdict;
}

/* Record the outcome in one write transaction: the counters, the TOTP
 * step, the audit event.  verdict is what the caller will be told. */
static int settle(const struct officer_attempt *at, struct eid_officer *o,
		  int verdict, uint64_t step, const char *new_phc)
{
	char actor[EID_ACTOR_MAX + 1] = "anonymous";
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(at->s, true, &t)) != EID_OK)
		return r;
	if ((r = eid_officer_get(t, o->id, o)) != EID_OK)
		goto out;
	verdict = apply_outcome(at, o, verdict, step, new_phc);
	if (verdict == EID_OK)
		(void)snprintf(actor, sizeof(actor), "officer:%s", o->id);
	if ((r = officer_put(t, at->k, o)) == EID_OK &&
	    (r = eid_audit_record(t, verdict == EID_OK ?
					     "officer.login.success" :
					     "officer.login.failure",
				  actor, o->id, at->remote,
				  json_pack("{s:s, s:s}", "unit", o->unit,
					    "reason", at->info->reason),
				  at->now)) == EID_OK) {
		r = eid_txn_commit(t);
		t = NULL;
	}
out:
	eid_txn_abort(t);
	if (r == EID_OK && (verdict == EID_EAUTH || verdict == EID_EREPLAY))
		r = eid_lockout_address_fail(at->s, &at->pol->lockout, SCOPE,
					     at->remote, at->now);
	return r == EID_OK ? verdict : r;
}

/* The second factor, after the right password. */
static int second_factor(const struct officer_attempt *at,
			 const struct eid_officer *o, uint64_t *ret_step)
{
	uint8_t secret[EID_TOTP_SECRET_LEN];
	int r;

	if (o->status != EID_OFFICER_ACTIVE) {
		set_info(at->info, "disabled", 0);
		return EID_ELOCKED;
	}
	if (!o->has_totp) {
		set_info(at->info, "second factor not enrolled", 0);
		return EID_EPERM;
	}
	if ((r = secret_open(at->k, o, secret)) != EID_OK) {
		set_info(at->info, "totp_secret_unreadable", 0);
		return r; /* another KEK, or a record tampered with */
	}
	r = eid_totp_verify(secret, sizeof(secret), at->code, (uint64_t)at->now,
			    o->totp_last_step, ret_step);
	eid_wipe(secret, sizeof(secret));
	switch (r) {
	case EID_OK:
		set_info(at->info, "ok", 0);
		return EID_OK;
	case EID_EREPLAY:
		set_info(at->info, "totp_replay", 0);
		return EID_EREPLAY;
	default:
		set_info(at->info, "wrong_totp", 0);
		return EID_EAUTH;
	}
}

static int unknown_officer(const struct officer_attempt *at, size_t pwlen,
			   const char *pw)
{
	eid_txn *t = NULL;
	int r;

	(void)eid_password_verify_dummy(&at->pol->password, pw, pwlen);
	set_info(at->info, "unknown_officer", 0);
	if ((r = eid_store_begin(at->s, true, &t)) != EID_OK)
		return r;
	if ((r = eid_audit_record(t, "officer.login.failure", "anonymous",
				  NULL, at->remote,
				  json_pack("{s:s}", "reason", "unknown_officer"),
				  at->now)) == EID_OK) {
		r = eid_txn_commit(t);
		t = NULL;
	}
	eid_txn_abort(t);
	if (r == EID_OK)
		r = eid_lockout_name_fail(at->s, &at->pol->lockout, SCOPE,
					  at->id, at->now);
	if (r == EID_OK)
		r = eid_lockout_address_fail(at->s, &at->pol->lockout, SCOPE,
					     at->remote, at->now);
	return r == EID_OK ? EID_EAUTH : r;
}

static int read_officer(const struct officer_attempt *at, struct eid_officer *o,
			uint64_t *ret_wait)
{
	eid_txn *t = NULL;
	uint64_t failures = 0;
	int64_t last = 0;
	int r;

	if ((r = eid_store_begin(at->s, false, &t)) != EID_OK)
		return r;
	r = eid_officer_get(t, at->id, o);
	eid_txn_abort(t);
	if (r == EID_OK) {
		failures = o->failed_logins;
		last = o->last_failure_at;
	} else if (r == EID_ENOTFOUND) {
		int e = eid_lockout_name_get(at->s, SCOPE, at->id, &failures,
					     &last);
		if (e != EID_OK)
			return e;
	}
	*ret_wait = eid_lockout_wait(&at->pol->lockout, failures, last, at->now);
	return r;
}

static int officer_login(const struct officer_attempt *at, const char *pw,
			 struct eid_officer *o)
{
	char phc[EID_PASSWORD_PHC_MAX + 1];
	size_t pwlen = strnlen(pw, EID_PASSWORD_MAX_BYTES + 1);
	uint64_t wait = 0, step = 0;
	bool rehash = false;
	int r;

	r = eid_lockout_address_check(at->s, &at->pol->lockout, SCOPE,
				      at->remote, &wait);
	if (r == EID_OK)
		r = read_officer(at, o, &wait);
	if (r == EID_ELIMIT || (r != EID_ENOTFOUND && wait > 0)) {
		set_info(at->info, "throttled", wait);
		return r == EID_OK ? EID_ELIMIT : r;
	}
	if (r == EID_ENOTFOUND)
		return unknown_officer(at, pwlen, pw);
	if (r != EID_OK)
		return r;
	r = eid_password_verify(&at->pol->password, o->password, pw, pwlen);
	if (r != EID_OK) {
		set_info(at->info, "wrong_password", 0);
		return settle(at, o, EID_EAUTH, 0, NULL);
	}
	r = second_factor(at, o, &step);
	if (r == EID_OK && eid_password_needs_rehash(o->password, &at->pol->password))
		rehash = eid_password_hash(&at->pol->password, pw, pwlen, phc) ==
			 EID_OK;
	r = settle(at, o, r, step, rehash ? phc : NULL);
	eid_wipe(phc, sizeof(phc));
	return r;
}

int eid_officer_authenticate(eid_store *s, const struct eid_account_policy *pol,
			     const struct eid_cred_keys *k, const char *id,
			     const char *password, const char *totp_code, const char *remote_addr,
			     int64_t now, struct eid_officer *ret_officer,
			     struct eid_login_info *info)
{
	struct eid_login_info dummy;
	struct officer_attempt at = {
		.s = s, .pol = pol, .k = k, .id = id, .code = totp_code,
		.remote = remote_addr, .now = now,
		.info = info != NULL ? info : &dummy,
	};
	struct eid_officer o;
	int r;

	if (s == NULL || pol == NULL || k == NULL || id == NULL ||
	    password == NULL || ret_officer == NULL)
		return EID_EINVAL;
	memset(&o, 0, sizeof(o));
	set_info(at.info, "error", 0);
	r = officer_login(&at, password, &o);
	if (r == EID_OK)
		*ret_officer = o;
	eid_officer_clear(&o);
	return r;
}
