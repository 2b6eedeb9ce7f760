/* Signing in with a passkey: the assertion, the account, the counter, in
 * one write transaction (see passkeys.h). */
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/accounts.h"
#include "idp/audit.h"
#include "idp/passkeys.h"

static int account_usable(const struct eid_account *a)
{
	switch (a->status) {
	case EID_ACCOUNT_ACTIVE:
		return EID_OK;
	case EID_ACCOUNT_LOCKED:
	case EID_ACCOUNT_REVOKED:
		return EID_ELOCKED;
	default:
		return EID_ESTATE;
	}
}

/* RFC 8176: "hwk" for a key that cannot leave its device (BE clear),
 * "swk" for a synced one; "user" for the presence test every assertion
 * carries; "mfa" when the authenticator also verified the citizen (PIN or
 * biometric: something known or something one is, with the key). */
static void amr_of(uint8_t flags, char *out, size_t cap)
{
	snprintf(out, cap, "%s user%s",
		 (flags & EID_WA_FLAG_BE) ? "swk" : "hwk",
		 (flags & EID_WA_FLAG_UV) ? " mfa" : "");
}

static int check_handle(const uint8_t key[32], const char *pid,
			const struct eid_passkey_assertion *a)
{
	uint8_t h[EID_PASSKEY_USER_HANDLE_LEN];
	int r;

	if (a->user_handle_len == 0)
		return EID_OK;
	if ((r = eid_passkey_user_handle(key, pid, h)) != EID_OK)
		return r;
	return a->user_handle_len == sizeof(h) &&
			       eid_ct_equal(h, a->user_handle, sizeof(h)) ?
		       EID_OK :
		       EID_EAUTH;
}

static int regression(eid_txn *t, const struct eid_passkey *pk,
		      uint32_t count, const char *remote, int64_t now)
{
	int r = eid_audit_record(t, "passkey.counter_regression", "system",
				 pk->personal_id, remote,
				 json_pack("{s:s, s:I, s:I}", "passkey", pk->id,
					   "stored", (json_int_t)pk->sign_count,
					   "presented", (json_int_t)count),
				 now);

	r = eid_txn_finish(t, r);
	return r == EID_OK ? EID_EREPLAY : r;
}

int eid_passkey_authenticate(eid_store *s, const struct eid_passkey_rp *rp,
			     const uint8_t challenge[32],
			     const uint8_t handle_key[32],
			     const struct eid_passkey_assertion *a,
			     const char *remote, struct eid_passkey_login *ret)
{
	struct eid_passkey_login out = { 0 };
	struct eid_wa_expect x = { rp->rp_id, rp->origin, challenge, 32, false };
	struct eid_account acct = { 0 };
	struct eid_passkey pk;
	int64_t now = (int64_t)eid_store_now(s);
	eid_txn *t = NULL;
	char actor[32];
	uint32_t count;
	uint8_t flags;
	int r;

	memset(&pk, 0, sizeof(pk));
	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	r = eid_passkey_get(t, a->cred_id, a->cred_id_len, &pk);
	if (r == EID_ENOTFOUND)
		r = EID_EAUTH;
	if (r != EID_OK ||
	    (r = eid_account_get(t, pk.personal_id, &acct)) != EID_OK ||
	    (r = account_usable(&acct)) != EID_OK ||
	    (r = check_handle(handle_key, pk.personal_id, a)) != EID_OK)
		goto out;
	x.require_uv = acct.level >= 2;
	if ((r = eid_wa_assert(&x, pk.cose_key, pk.cose_key_len,
			       a->client_data, a->client_data_len,
			       a->auth_data, a->auth_data_len, a->sig,
			       a->sig_len, &flags, &count)) != EID_OK)
		goto out;
	/* 7.2 step 21: a counter that does not grow may be a cloned key. */
	if ((count != 0 || pk.sign_count != 0) && count <= pk.sign_count) {
		r = regression(t, &pk, count, remote, now);
		t = NULL;
		goto out;
	}
	pk.sign_count = count;
	pk.bs = (flags & EID_WA_FLAG_BS) != 0;
	pk.uv = (flags & EID_WA_FLAG_UV) != 0;
	pk.last_used_at = now;
	memcpy(out.personal_id, acct.personal_id, sizeof(out.personal_id));
	out.account_level = acct.level;
	out.level = acct.level == 2 && (flags & EID_WA_FLAG_UV) ? 2 : 1;
	amr_of(flags, out.amr, sizeof(out.amr));
	snprintf(actor, sizeof(actor), "citizen:%s", pk.personal_id);
	if ((r = eid_passkey_put(t, &pk)) ||
	    (r = eid_audit_record(t, "passkey.login", actor, pk.personal_id,
				  remote,
				  json_pack("{s:s, s:i, s:s}", "passkey", pk.id,
					    "level", out.level, "amr", out.amr),
				  now)))
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
	if (r == EID_OK)
		*ret = out;
out:
	eid_txn_abort(t);
	eid_account_clear(&acct);
	eid_wipe(&pk, sizeof(pk));
	return r;
}
