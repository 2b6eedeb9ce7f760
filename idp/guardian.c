/* Accounts of minors made by their guardians (idp/guardian.h). */
#include "idp/guardian.h"

#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/accounts_priv.h"
#include "idp/audit.h"
#include "idp/registry.h"

static int age_today(const struct eid_citizen *c, int64_t now, int *ret)
{
	struct eid_date today;

	eid_date_today(now, &today);
	return eid_age_on(&c->birthdate, &today, ret) == EID_OK ?
		       EID_OK : EID_EMALFORMED;
}

static int ward_of(eid_txn *t, const char *id, int64_t now,
		   struct eid_ward *w)
{
	struct eid_account a;
	struct eid_citizen c;
	int r;

	if ((r = eid_registry_get(t, id, &c)) != EID_OK ||
	    (r = age_today(&c, now, &w->age)) != EID_OK)
		return r;
	memcpy(w->personal_id, c.personal_id, sizeof(w->personal_id));
	memcpy(w->full_name, c.full_name, sizeof(w->full_name));
	w->birthdate = c.birthdate;
	r = eid_account_get(t, id, &a);
	eid_account_clear(&a);
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	w->has_account = r == EID_OK;
	w->may_create = !w->has_account && w->age < 14;
	return EID_OK;
}

int eid_guardian_wards(eid_txn *t, const char *guardian_id, int64_t now,
		       struct eid_ward *ret, size_t max, size_t *ret_n)
{
	char ids[EID_GUARDIAN_WARDS_MAX][EID_PERSONAL_ID_LEN + 1];
	size_t n = 0, kept = 0;
	int r;

	if (ret == NULL || ret_n == NULL || max == 0)
		return EID_EINVAL;
	if (max > EID_GUARDIAN_WARDS_MAX)
		max = EID_GUARDIAN_WARDS_MAX;
	if ((r = eid_registry_wards(t, guardian_id, ids, max, &n)) != EID_OK)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = ward_of(t, ids[i], now, &ret[kept]);
		if (r == EID_OK)
			kept++;
		else if (r != EID_ENOTFOUND) /* a stale index entry: skipped */
			return r;
	}
	*ret_n = kept;
	return EID_OK;
}

/* The guardian: an active level-2 account. */
static int check_guardian(eid_txn *t, const char *guardian_id,
			  struct eid_account *g, eid_buf *why)
{
	int r = eid_account_get(t, guardian_id, g);

	if (r == EID_ENOTFOUND ||
	    (r == EID_OK && (g->status != EID_ACCOUNT_ACTIVE || g->level != 2))) {
		eid_buf_say(why, "a guardian needs an active level-2 account");
		return EID_EPERM;
	}
	return r;
}

/* The minor: linked to this guardian, under 14, card (if any) valid. */
static int check_minor(eid_txn *t, const char *guardian_id,
		       const char *minor_id, int64_t now,
		       struct eid_citizen *c, eid_buf *why)
{
	int age = 0, r = eid_registry_get(t, minor_id, c);

	if (r == EID_ENOTFOUND)
		eid_buf_say(why, "no citizen with this personal ID number in "
				 "the registry");
	if (r != EID_OK)
		return r;
	if (strcmp(c->guardian_id, guardian_id) != 0) {
		eid_buf_say(why, "the registry does not name you this "
				 "citizen's guardian");
		return EID_EPERM;
	}
	if ((r = age_today(c, now, &age)) != EID_OK)
		return r;
	if (age >= 14) {
		eid_buf_say(why, "citizens of 14 and over register themselves");
		return EID_EPERM;
	}
	if (c->card_status == EID_CARD_REVOKED ||
	    eid_account_card_expired(c, now)) {
		eid_buf_say(why, "the child's ID card is revoked or expired");
		return EID_ESTATE;
	}
	return EID_OK;
}

int eid_guardian_create_minor(eid_txn *t, const struct eid_account_policy *pol,
			      const char *guardian_id, const char *minor_id,
			      const char *password, int64_t now, eid_buf *why)
{
	char actor[EID_ACTOR_MAX + 1];
	struct eid_account g, n, old;
	struct eid_citizen c;
	int r;

	if (t == NULL || pol == NULL || guardian_id == NULL ||
	    minor_id == NULL || password == NULL)
		return EID_EINVAL;
	memset(&g, 0, sizeof(g));
	memset(&n, 0, sizeof(n));
	if ((r = check_guardian(t, guardian_id, &g, why)) != EID_OK ||
	    (r = check_minor(t, g.personal_id, minor_id, now, &c, why)) !=
		    EID_OK)
		goto out;
	r = eid_account_get(t, c.personal_id, &old);
	eid_account_clear(&old);
	if (r == EID_OK) {
		eid_buf_say(why, "this citizen already has an account");
		r = EID_EEXIST;
	}
	if (r != EID_ENOTFOUND)
		goto out;
	memcpy(n.personal_id, c.personal_id, sizeof(n.personal_id));
	memcpy(n.phone, g.phone, sizeof(n.phone));
	memcpy(n.guardian_id, g.personal_id, sizeof(n.guardian_id));
	n.level = 1;
	n.status = EID_ACCOUNT_ACTIVE;
	n.created_at = n.updated_at = now;
	if ((r = eid_account_hash_new_password(pol, &n, &c.birthdate, password,
					       why)) != EID_OK ||
	    (r = eid_account_put(t, &n)) != EID_OK)
		goto out;
	(void)snprintf(actor, sizeof(actor), "citizen:%s", g.personal_id);
	r = eid_audit_record(t, "account.create", actor, n.personal_id, NULL,
			     json_pack("{s:i, s:s, s:s}", "level", 1, "status",
				       "active", "guardian_id", g.personal_id),
			     now);
out:
	eid_account_clear(&g);
	eid_account_clear(&n);
	return r;
}

int eid_guardian_minor_level2(eid_txn *t, const struct eid_account *guardian,
			      const char *minor_id, const char *actor,
			      int64_t now, eid_buf *why)
{
	struct eid_account n;
	int r;

	if (t == NULL || guardian == NULL || minor_id == NULL || actor == NULL)
		return EID_EINVAL;
	r = eid_account_get(t, minor_id, &n);
	eid_account_clear(&n);
	if (r == EID_OK) {
		r = eid_account_raise_pending(t, minor_id, actor, now);
		if (r == EID_ESTATE)
			eid_buf_say(why, "the child's account is locked or "
					 "revoked: unlock it first");
		return r;
	}
	if (r != EID_ENOTFOUND)
		return r;
	memset(&n, 0, sizeof(n));
	(void)snprintf(n.personal_id, sizeof(n.personal_id), "%s", minor_id);
	memcpy(n.phone, guardian->phone, sizeof(n.phone));
	memcpy(n.guardian_id, guardian->personal_id, sizeof(n.guardian_id));
	n.level = 2;
	n.status = EID_ACCOUNT_PENDING_ACTIVATION;
	n.created_at = n.updated_at = now;
	if ((r = eid_account_put(t, &n)) == EID_OK)
		r = eid_audit_record(t, "account.create", actor, n.personal_id,
				     NULL,
				     json_pack("{s:i, s:s, s:s}", "level", 2,
					       "status", "pending_activation",
					       "guardian_id",
					       guardian->personal_id),
				     now);
	eid_account_clear(&n);
	return r;
}
