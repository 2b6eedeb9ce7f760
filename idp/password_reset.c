/* Password reset through the phone (see password_reset.h).  A pending
 * reset lives in EID_EPH_CHALLENGES under "reset:<id>" as JSON
 * {"personal_id", "silent"}. */
#include "idp/password_reset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/otp.h"
#include "idp/session.h"

#define KEY_MAX 64
#define ACTOR_MAX (EID_PERSONAL_ID_LEN + 16)

static void reset_key(const char *id, char out[KEY_MAX])
{
	(void)snprintf(out, KEY_MAX, "reset:%s", id);
}

/* Whether an active account has this ID and this phone. */
static int account_matches(eid_store *s, const char *pid, const char *phone,
			   bool *ret)
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r = eid_store_begin(s, false, &t);

	*ret = false;
	if (r != EID_OK)
		return r;
	r = eid_account_get(t, pid, &a);
	eid_txn_abort(t);
	if (r == EID_OK)
		*ret = a.status == EID_ACCOUNT_ACTIVE &&
		       eid_ct_equal_len(a.phone, strlen(a.phone), phone,
					strlen(phone));
	eid_account_clear(&a);
	return r == EID_ENOTFOUND ? EID_OK : r;
}

static int save(eid_store *s, const char *id, const char *pid, bool silent,
		int64_t expires)
{
	char key[KEY_MAX];
	json_t *o = json_pack("{s:s, s:b}", "personal_id", pid, "silent",
			      silent);
	char *v = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	int r = EID_ENOMEM;

	json_decref(o);
	if (v == NULL)
		return r;
	reset_key(id, key);
	r = eid_eph_put(s, EID_EPH_CHALLENGES, key, strlen(key), v, strlen(v),
			(uint64_t)expires);
	free(v);
	return r;
}

int eid_password_reset_start(const struct eid_registration_ctx *ctx,
			     const char *personal_id, const char *phone,
			     const char *remote, int64_t now,
			     struct eid_registration_result *ret,
			     eid_buf *why)
{
	struct eid_personal_id pid;
	char e164[EID_PHONE_MAX + 1];
	uint8_t raw[16];
	bool match = false;
	int r;

	if (ctx == NULL || ret == NULL || personal_id == NULL || phone == NULL)
		return EID_EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (eid_personal_id_parse(personal_id, &pid) != EID_OK ||
	    eid_phone_normalize(phone, e164) != EID_OK) {
		eid_buf_say(why, "a 12-digit personal ID number and a "
				 "mobile phone number are required");
		return EID_EMALFORMED;
	}
	if ((r = eid_attempt_limit(ctx->store, "reset-addr", remote,
				   ctx->per_address_max, ctx->window, now,
				   &ret->retry_after)) != EID_OK ||
	    (r = eid_attempt_limit(ctx->store, "reset-id", pid.digits,
				   ctx->per_id_max, ctx->window, now,
				   &ret->retry_after)) != EID_OK ||
	    (r = account_matches(ctx->store, pid.digits, e164, &match)) != EID_OK ||
	    (r = eid_random_bytes(raw, sizeof(raw))) != EID_OK ||
	    (r = eid_b64url_encode_str(raw, sizeof(raw), ret->id,
				       sizeof(ret->id))) != EID_OK)
		return r;
	ret->expires_at = now + EID_RESET_TTL;
	if ((r = save(ctx->store, ret->id, pid.digits, !match,
		      ret->expires_at)) != EID_OK)
		return r;
	return eid_otp_issue(ctx->store, EID_OTP_RESET, ret->id, e164,
			     match ? ctx->notify : NULL, now,
			     &ret->retry_after);
}

static int load(eid_store *s, const char *id, char pid[EID_PERSONAL_ID_LEN + 1],
		bool *silent)
{
	char key[KEY_MAX];
	eid_buf v;
	json_t *o = NULL;
	const char *p;
	int r;

	if (id == NULL || strlen(id) != EID_RESET_ID_LEN)
		return EID_ENOTFOUND;
	reset_key(id, key);
	eid_buf_init(&v, 1024);
	r = eid_eph_get(s, EID_EPH_CHALLENGES, key, strlen(key), &v, NULL);
	if (r == EID_OK)
		o = json_loadb((const char *)v.data, v.len, 0, NULL);
	eid_buf_free(&v);
	if (r != EID_OK)
		return r;
	p = json_string_value(json_object_get(o, "personal_id"));
	*silent = json_is_true(json_object_get(o, "silent"));
	r = p != NULL && strlen(p) == EID_PERSONAL_ID_LEN ? EID_OK :
							    EID_EMALFORMED;
	if (r == EID_OK)
		memcpy(pid, p, EID_PERSONAL_ID_LEN + 1);
	json_decref(o);
	return r;
}

int eid_password_reset_confirm(const struct eid_registration_ctx *ctx,
			       const char *id, const char *code,
			       const char *password, const char *remote,
			       int64_t now, eid_buf *why)
{
	char pid[EID_PERSONAL_ID_LEN + 1], actor[ACTOR_MAX], key[KEY_MAX];
	bool silent = false;
	eid_txn *t = NULL;
	int r;

	if (ctx == NULL || code == NULL || password == NULL)
		return EID_EINVAL;
	if ((r = load(ctx->store, id, pid, &silent)) != EID_OK)
		return r;
	(void)snprintf(actor, sizeof(actor), "citizen:%s", pid);
	if ((r = eid_store_begin(ctx->store, true, &t)) != EID_OK)
		return r;
	/* The policy first (nothing spent), then the code, then the rest. */
	if (silent) { /* the same answers, without an account behind */
		struct eid_password_context none = { 0 };

		r = eid_password_check_policy(&ctx->policy->password, password,
					      strlen(password), &none, why);
	} else {
		r = eid_account_set_password(t, ctx->policy, pid, password,
					     actor, now, why);
	}
	if (r == EID_OK)
		r = eid_otp_check(ctx->store, EID_OTP_RESET, id, code, now);
	if (r == EID_OK && silent) /* no code was sent: a lucky guess */
		r = EID_EAUTH;
	if (r == EID_OK)
		r = eid_account_end_sessions(t, pid, actor, now);
	if (r == EID_OK)
		r = eid_audit_record(t, "password.reset", actor, pid, remote,
				     NULL, now);
	if (r != EID_OK) {
		eid_txn_abort(t);
		return r;
	}
	if ((r = eid_txn_commit(t)) != EID_OK)
		return r;
	reset_key(id, key);
	(void)eid_eph_del(ctx->store, EID_EPH_CHALLENGES, key, strlen(key));
	return eid_session_end_all(ctx->store, pid, NULL);
}
