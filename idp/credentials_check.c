/* A citizen's second factor: the checks of typed codes (see
 * credentials.h).  Each wrong code is written to the record and audited
 * in the caller's transaction, which commits whatever the answer. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/credentials.h"
#include "idp/credentials_priv.h"

/* "citizen:" and the personal ID. */
static void citizen_actor(const char *personal_id, char out[32])
{
	(void)snprintf(out, 32, "citizen:%s", personal_id);
}

static bool six_digits(const char *code)
{
	return strlen(code) == EID_TOTP_DIGITS &&
	       strspn(code, "0123456789") == EID_TOTP_DIGITS;
}

/* Count a wrong code; EID_EAUTH when recorded. */
static int failed(eid_txn *t, const char *personal_id, struct eid_cred_rec *c,
		  const char *reason, const char *remote, int64_t now)
{
	char actor[32];
	int r;

	citizen_actor(personal_id, actor);
	c->failures++;
	c->last_failure_at = now;
	if ((r = eid_cred_put(t, personal_id, c)) != EID_OK ||
	    (r = eid_audit_record(t, "totp.failure", actor, personal_id,
				  remote,
				  json_pack("{s:s, s:I}", "reason", reason,
					    "failures",
					    (json_int_t)c->failures),
				  now)) != EID_OK)
		return r;
	return EID_EAUTH;
}

/* The record with a TOTP secret in the wanted state, not throttled.
 * EID_ENOTFOUND/EID_ESTATE otherwise, EID_ELIMIT with *ret_wait. */
static int load(eid_txn *t, const struct eid_lockout_params *lp,
		const char *personal_id, bool active, int64_t now,
		struct eid_cred_rec *c, uint64_t *ret_wait)
{
	uint64_t wait;
	int r = eid_cred_get(t, personal_id, c);

	if (r != EID_OK)
		return r;
	if (!c->has_totp || c->active != active)
		return active ? EID_ENOTFOUND : EID_ESTATE;
	wait = eid_lockout_wait(lp, c->failures, c->last_failure_at, now);
	if (wait > 0) {
		if (ret_wait != NULL)
			*ret_wait = wait;
		return EID_ELIMIT;
	}
	return EID_OK;
}

/* The TOTP code against the record's secret; the step is stored on
 * success.  EID_EAUTH, EID_EREPLAY, EID_EMALFORMED for a wrong one. */
static int totp_ok(const struct eid_cred_keys *k, const char *personal_id,
		   struct eid_cred_rec *c, const char *code, int64_t now)
{
	uint8_t secret[EID_TOTP_SECRET_LEN];
	uint64_t step = 0;
	int r;

	if (now < 0)
		return EID_EINVAL;
	if ((r = eid_cred_unseal(k, personal_id, c, secret)) == EID_OK)
		r = eid_totp_verify(secret, sizeof(secret), code,
				    (uint64_t)now, c->last_step, &step);
	eid_wipe(secret, sizeof(secret));
	if (r == EID_OK) {
		c->last_step = step;
		c->failures = 0;
	}
	return r;
}

int eid_cred_totp_confirm(eid_txn *t, const struct eid_cred_keys *k,
			  const struct eid_lockout_params *lp,
			  const char *personal_id, const char *code,
			  int64_t now, const char *actor,
			  eid_recovery_code ret_codes[EID_RECOVERY_CODES])
{
	eid_recovery_code codes[EID_RECOVERY_CODES];
	struct eid_cred_rec c;
	int r;

	if (code == NULL || actor == NULL)
		return EID_EINVAL;
	r = load(t, lp, personal_id, false, now, &c, NULL);
	if (r == EID_ENOTFOUND)
		r = EID_ESTATE;
	if (r != EID_OK)
		goto out;
	r = totp_ok(k, personal_id, &c, code, now);
	if (r == EID_EAUTH || r == EID_EREPLAY || r == EID_EMALFORMED) {
		r = failed(t, personal_id, &c, "enroll", NULL, now);
		goto out;
	}
	if (r != EID_OK)
		goto out;
	c.active = true;
	c.since = now;
	if ((r = eid_cred_recovery_new(k, personal_id, &c, codes)) == EID_OK &&
	    (r = eid_cred_put(t, personal_id, &c)) == EID_OK &&
	    (r = eid_audit_record(t, "totp.enroll", actor, personal_id, NULL,
				  NULL, now)) == EID_OK)
		memcpy(ret_codes, codes, sizeof(codes));
out:
	eid_wipe(codes, sizeof(codes));
	eid_wipe(&c, sizeof(c));
	return r;
}

/* Use up the recovery code if it is one of the set. */
static int recovery_ok(const struct eid_cred_keys *k, const char *personal_id,
		       struct eid_cred_rec *c, const char *code)
{
	uint8_t h[EID_CRED_HASH_LEN];
	unsigned found = EID_RECOVERY_CODES;
	int r = eid_cred_recovery_hash(k, personal_id, code, h);

	if (r != EID_OK)
		return r == EID_EMALFORMED ? EID_EAUTH : r;
	/* Every stored hash is compared: the time does not say which. */
	for (unsigned i = 0; i < c->n_recovery; i++)
		if (eid_ct_equal(h, c->recovery[i], sizeof(h)) &&
		    found == EID_RECOVERY_CODES)
			found = i;
	eid_wipe(h, sizeof(h));
	if (found == EID_RECOVERY_CODES)
		return EID_EAUTH;
	for (unsigned i = found + 1; i < c->n_recovery; i++)
		memcpy(c->recovery[i - 1], c->recovery[i], EID_CRED_HASH_LEN);
	c->n_recovery--;
	eid_wipe(c->recovery[c->n_recovery], EID_CRED_HASH_LEN);
	c->recovery_used++;
	c->failures = 0;
	return EID_OK;
}

int eid_cred_check(eid_txn *t, const struct eid_cred_keys *k,
		   const struct eid_lockout_params *lp,
		   const char *personal_id, const char *code, int64_t now,
		   const char *remote, uint64_t *ret_wait, bool *ret_recovery)
{
	struct eid_cred_rec c;
	char actor[32];
	bool recovery;
	json_t *d;
	int r;

	if (code == NULL)
		return EID_EINVAL;
	if ((r = load(t, lp, personal_id, true, now, &c, ret_wait)) != EID_OK)
		goto out;
	recovery = !six_digits(code);
	r = recovery ? recovery_ok(k, personal_id, &c, code)
		     : totp_ok(k, personal_id, &c, code, now);
	if (r == EID_EAUTH || r == EID_EREPLAY || r == EID_EMALFORMED) {
		r = failed(t, personal_id, &c,
			   recovery ? "wrong_recovery_code" :
			   r == EID_EREPLAY ? "totp_replay" : "wrong_totp",
			   remote, now);
		goto out;
	}
	if (r != EID_OK || (r = eid_cred_put(t, personal_id, &c)) != EID_OK)
		goto out;
	if (recovery) {
		citizen_actor(personal_id, actor);
		d = json_pack("{s:i}", "left", (int)c.n_recovery);
		if ((r = eid_audit_record(t, "recovery.use", actor,
					  personal_id, remote, d, now)) != EID_OK)
			goto out;
	}
	if (ret_recovery != NULL)
		*ret_recovery = recovery;
out:
	eid_wipe(&c, sizeof(c));
	return r;
}
