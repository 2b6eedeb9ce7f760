/* Citizen login: eid_account_authenticate.
 *
 * The Argon2 work is done outside any write transaction (a write
 * transaction excludes every other writer, and a hash takes tens of
 * milliseconds); the outcome is then applied in one write transaction
 * that re-reads the account, so failures racing each other still count
 * and still throttle. */
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/accounts.h"
#include "idp/accounts_priv.h"
#include "idp/audit.h"

#define SCOPE "citizen"

struct attempt {
	eid_store *s;
	const eid_registry *reg;
	const struct eid_account_policy *pol;
	const char *id;       /* valid 12-digit form, or NULL */
	const char *pw;
	size_t pwlen;
	const char *remote;
	int64_t now;
	bool known;
	struct eid_account acct; /* as read before the hash */
	bool password_ok;
	bool rehash;
	char new_phc[EID_PASSWORD_PHC_MAX + 1];
	struct eid_login_info *info;
};

static void tell(struct attempt *at, const char *reason, uint64_t retry)
{
	if (at->info != NULL) {
		at->info->reason = reason;
		at->info->retry_after = retry;
	}
}

static int read_account(struct attempt *at)
{
	eid_txn *t = NULL;
	int r;

	if (at->id == NULL)
		return EID_OK;
	if ((r = eid_store_begin(at->s, false, &t)) != EID_OK)
		return r;
	r = eid_account_get(t, at->id, &at->acct);
	eid_txn_abort(t);
	at->known = r == EID_OK;
	return r == EID_ENOTFOUND ? EID_OK : r;
}

/* The wait imposed by earlier failures of this name (known or not). */
static int name_wait(struct attempt *at, uint64_t *ret_wait)
{
	uint64_t failures = at->acct.failed_logins;
	int64_t last = at->acct.last_failure_at;
	int r;

	if (!at->known && at->id != NULL &&
	    (r = eid_lockout_name_get(at->s, SCOPE, at->id, &failures,
				      &last)) != EID_OK)
		return r;
	*ret_wait = eid_lockout_wait(&at->pol->lockout, failures, last, at->now);
	return EID_OK;
}

static int check_password(struct attempt *at)
{
	const struct eid_password_params *p = &at->pol->password;
	int r;

	if (at->known && at->acct.password[0] != '\0')
		r = eid_password_verify(p, at->acct.password, at->pw, at->pwlen);
	else
		r = eid_password_verify_dummy(p, at->pw, at->pwlen);
	at->password_ok = r == EID_OK;
	if (r == EID_EAUTH || r == EID_EMALFORMED)
		r = EID_OK;
	if (r == EID_OK && at->password_ok &&
	    eid_password_needs_rehash(at->acct.password, p)) {
		at->rehash = eid_password_hash(p, at->pw, at->pwlen,
					       at->new_phc) == EID_OK;
	}
	return r;
}

/* Append a login event and commit. */
static int record(eid_txn *t, struct attempt *at, const char *type,
		  json_t *details)
{
	char actor[EID_ACTOR_MAX + 1] = "anonymous";
	int r;

	if (strcmp(type, "login.success") == 0)
		(void)snprintf(actor, sizeof(actor), "citizen:%s", at->id);
	r = eid_audit_record(t, type, actor, at->id, at->remote, details,
			     at->now);
	return eid_txn_finish(t, r);
}

static int fail_unknown(struct attempt *at)
{
	eid_txn *t = NULL;
	int r;

	tell(at, at->id == NULL ? "malformed_id" : "unknown_account", 0);
	if ((r = eid_store_begin(at->s, true, &t)) != EID_OK ||
	    (r = record(t, at, "login.failure",
			json_pack("{s:s}", "reason", at->info->reason))) != EID_OK)
		return r;
	if (at->id != NULL &&
	    (r = eid_lockout_name_fail(at->s, &at->pol->lockout, SCOPE, at->id,
				       at->now)) != EID_OK)
		return r;
	r = eid_lockout_address_fail(at->s, &at->pol->lockout, SCOPE,
				     at->remote, at->now);
	return r == EID_OK ? EID_EAUTH : r;
}

static int fail_known(eid_txn *t, struct attempt *at, struct eid_account *cur)
{
	int r;

	tell(at, "wrong_password", 0);
	cur->failed_logins++;
	cur->last_failure_at = at->now;
	if ((r = eid_account_put(t, cur)) != EID_OK) {
		eid_txn_abort(t);
		return r;
	}
	r = record(t, at, "login.failure",
		   json_pack("{s:s, s:I}", "reason", "wrong_password",
			     "failures", (json_int_t)cur->failed_logins));
	if (r == EID_OK)
		r = eid_lockout_address_fail(at->s, &at->pol->lockout, SCOPE,
					     at->remote, at->now);
	return r == EID_OK ? EID_EAUTH : r;
}

/* The right password: the account's state decides. */
static int pass_known(eid_txn *t, struct attempt *at, struct eid_account *cur)
{
	int verdict = EID_OK;
	int r;

	if (cur->status == EID_ACCOUNT_LOCKED ||
	    cur->status == EID_ACCOUNT_REVOKED) {
		tell(at, cur->status == EID_ACCOUNT_LOCKED ? "locked" : "revoked", 0);
		verdict = EID_ELOCKED;
	} else if (cur->status == EID_ACCOUNT_PENDING_ACTIVATION) {
		tell(at, "pending_activation", 0);
		verdict = EID_ESTATE;
	}
	if (verdict != EID_OK) {
		r = record(t, at, "login.failure",
			   json_pack("{s:s}", "reason", at->info->reason));
		return r == EID_OK ? verdict : r;
	}
	tell(at, "ok", 0);
	cur->failed_logins = 0;
	cur->last_failure_at = 0;
	if (at->rehash) {
		memcpy(cur->password, at->new_phc, sizeof(cur->password));
		cur->updated_at = at->now;
	}
	if ((r = eid_account_put(t, cur)) != EID_OK) {
		eid_txn_abort(t);
		return r;
	}
	return record(t, at, "login.success",
		      json_pack("{s:b}", "rehashed", at->rehash));
}

static int apply_known(struct attempt *at, struct eid_account *ret)
{
	struct eid_account cur;
	eid_txn *t = NULL;
	uint64_t wait;
	int r;

	if ((r = eid_store_begin(at->s, true, &t)) != EID_OK)
		return r;
	r = eid_account_get(t, at->id, &cur);
	if (r == EID_ENOTFOUND) {
		eid_txn_abort(t);
		at->known = false;
		return fail_unknown(at);
	}
	if (r != EID_OK) {
		eid_txn_abort(t);
		return r;
	}
	/* The hash checked must still be the account's. */
	if (strcmp(cur.password, at->acct.password) != 0) {
		at->password_ok = false;
		at->rehash = false;
	}
	wait = eid_lockout_wait(&at->pol->lockout, cur.failed_logins,
				cur.last_failure_at, at->now);
	if (wait > 0) {
		eid_txn_abort(t);
		tell(at, "account_delay", wait);
		r = EID_ELIMIT;
	} else if (!at->password_ok) {
		r = fail_known(t, at, &cur);
	} else if ((r = pass_known(t, at, &cur)) == EID_OK) {
		*ret = cur;
	}
	eid_account_clear(&cur);
	return r;
}

static int sync_card(struct attempt *at)
{
	char id[1][EID_PERSONAL_ID_LEN + 1];
	struct eid_card_sync res;
	int r;

	memcpy(id[0], at->acct.personal_id, sizeof(id[0]));
	r = eid_account_sync_card_status(at->s, at->reg, id, 1, at->now,
					 &res);
	if (r == EID_OK && res.checked != EID_OK) {
		tell(at, "registry_unavailable", 0);
		return res.checked;
	}
	return r != EID_OK ? r : res.ended;
}

static int run(struct attempt *at, struct eid_account *ret_account)
{
	uint64_t wait = 0;
	int r;

	r = eid_lockout_address_check(at->s, &at->pol->lockout, SCOPE,
				      at->remote, &wait);
	if (r == EID_ELIMIT)
		tell(at, "address_limit", wait);
	if (r != EID_OK || (r = read_account(at)) != EID_OK ||
	    (r = name_wait(at, &wait)) != EID_OK)
		return r;
	if (wait > 0) {
		tell(at, "account_delay", wait);
		return EID_ELIMIT;
	}
	if ((r = check_password(at)) != EID_OK)
		return r;
	if (!at->known)
		return fail_unknown(at);
	/* Whoever gives the right password learns the state: a card revoked
	 * or expired in the registry locks the account now, and the lock
	 * ends its sessions, grants and signing certificate at once (the
	 * sweep will not see the account again, since it is locked). */
	if (at->password_ok && (r = sync_card(at)) != EID_OK)
		return r;
	return apply_known(at, ret_account);
}

int eid_account_authenticate(eid_store *s, const eid_registry *reg,
			     const struct eid_account_policy *pol,
			     const char *personal_id, const char *password,
			     const char *remote_addr, int64_t now,
			     struct eid_account *ret_account,
			     struct eid_login_info *info)
{
	struct eid_login_info dummy_info;
	struct eid_personal_id pid;
	struct attempt at;
	int r;

	if (s == NULL || reg == NULL || pol == NULL || password == NULL ||
	    ret_account == NULL)
		return EID_EINVAL;
	memset(&at, 0, sizeof(at));
	at.s = s;
	at.reg = reg;
	at.pol = pol;
	at.pw = password;
	at.pwlen = strnlen(password, EID_PASSWORD_MAX_BYTES + 1);
	at.remote = remote_addr;
	at.now = now;
	at.info = info != NULL ? info : &dummy_info;
	tell(&at, "error", 0);
	if (personal_id != NULL &&
	    eid_personal_id_parse(personal_id, &pid) == EID_OK)
		at.id = personal_id;
	r = run(&at, ret_account);
	eid_account_clear(&at.acct);
	eid_wipe(at.new_phc, sizeof(at.new_phc));
	return r;
}
