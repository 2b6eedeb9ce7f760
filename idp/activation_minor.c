/* A minor's level-2 activation at the desk (Decree 69/2024: a child under
 * 14 gets level 2 only together with the guardian).  The case carries the
 * guardian the registry names; the child is identified by their chip card
 * (activation.c's card read) or, without a card, by the birth data of the
 * birth certificate against the registry; the guardian by their own card
 * read at the desk and their active level-2 account; the guardian's
 * consent goes into the audit trail and the activation code to the
 * guardian's phone, not to the desk. */
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/activation.h"
#include "idp/activation_priv.h"
#include "idp/audit.h"
#include "idp/guardian.h"
#include "idp/registry.h"

/* The guardian can stand for the child: in the registry with a valid
 * card, and an active level-2 account.  *ret gets the account. */
static int guardian_ready(eid_txn *t, const char *guardian_id, int64_t now,
			  struct eid_account *ret, eid_buf *why)
{
	struct eid_citizen g;
	int r = eid_registry_get(t, guardian_id, &g);

	if (r == EID_ENOTFOUND) {
		eid_buf_say(why, "the guardian the registry names is not in "
				 "the registry");
		return EID_EPERM;
	}
	if (r != EID_OK)
		return r;
	if (g.card_status == EID_CARD_REVOKED ||
	    eid_account_card_expired(&g, now)) {
		eid_buf_say(why, "the guardian's card is revoked or expired");
		return EID_ESTATE;
	}
	r = eid_account_get(t, guardian_id, ret);
	if (r == EID_ENOTFOUND) {
		eid_buf_say(why, "the guardian has no account: a guardian "
				 "needs an active level-2 account");
		return EID_EPERM;
	}
	if (r != EID_OK)
		return r;
	if (ret->status == EID_ACCOUNT_LOCKED ||
	    ret->status == EID_ACCOUNT_REVOKED) {
		eid_buf_say(why, "the guardian's account is locked or revoked");
		r = EID_EPERM;
	} else if (ret->status != EID_ACCOUNT_ACTIVE || ret->level != 2) {
		eid_buf_say(why, "the guardian needs an active level-2 account");
		r = EID_EPERM;
	}
	if (r != EID_OK)
		eid_account_clear(ret);
	return r;
}

int eid_activation_minor_check(eid_txn *t, const struct eid_citizen *minor,
			       int64_t now,
			       char ret_guardian[EID_PERSONAL_ID_LEN + 1],
			       eid_buf *why)
{
	struct eid_account g;
	int r;

	if (minor->guardian_id[0] == '\0') {
		eid_buf_say(why, "citizens under 14 are activated only together "
				 "with their guardian, and the registry names "
				 "none for this citizen");
		return EID_EPERM;
	}
	if ((r = guardian_ready(t, minor->guardian_id, now, &g, why)) != EID_OK)
		return r;
	eid_account_clear(&g);
	memcpy(ret_guardian, minor->guardian_id, EID_PERSONAL_ID_LEN + 1);
	return EID_OK;
}

/* The case, if this officer may act on it and it is a minor's. */
static int minor_case(eid_txn *t, const char *case_id, const char *officer_id,
		      const char *unit, enum eid_officer_role role,
		      struct eid_activation *c)
{
	int r = eid_activation_get(t, case_id, c);

	if (r != EID_OK)
		return r;
	if (!eid_activation_may_access(c, officer_id, unit, role))
		return EID_EPERM;
	return c->guardian == EID_AGUARDIAN_NONE ? EID_ESTATE : EID_OK;
}

static void birth_fields(struct eid_activation *c, const struct eid_citizen *cz,
			 const char *full_name, const struct eid_date *shown,
			 const char *shown_text)
{
	char reg[11] = "";

	c->n_fields = 0;
	eid_activation_add_field(c, "full_name", cz->full_name, full_name,
				 eid_activation_same_name(cz->full_name,
							  full_name));
	if (cz->birthdate.year != 0)
		eid_date_format(&cz->birthdate, reg);
	eid_activation_add_field(c, "birthdate", reg, shown_text,
				 cz->birthdate.year != 0 &&
					 eid_date_cmp(&cz->birthdate, shown) == 0);
}

int eid_activation_record_birth(eid_txn *t, const char *case_id,
				const char *officer_id, const char *unit,
				enum eid_officer_role role,
				const char *full_name, const char *birthdate,
				int64_t now, struct eid_activation *ret,
				eid_buf *why)
{
	char actor[EID_ACTOR_MAX + 1];
	struct eid_activation c;
	struct eid_citizen cz;
	struct eid_date shown;
	int r;

	if ((r = eid_activation_actor(officer_id, actor)) != EID_OK)
		return r;
	if ((r = minor_case(t, case_id, officer_id, unit, role, &c)) != EID_OK) {
		if (r == EID_ESTATE)
			eid_buf_say(why, "birth data are checked only in a "
					 "minor's case");
		return r;
	}
	if (c.state != EID_ACTIVATION_STARTED) {
		eid_buf_say(why, "the case is not waiting for the child's "
				 "identity");
		return EID_ESTATE;
	}
	if ((r = eid_registry_get(t, c.personal_id, &cz)) != EID_OK)
		return r;
	if (cz.card_number[0] != '\0') {
		eid_buf_say(why, "the child has a chip card: read the card");
		return EID_ESTATE;
	}
	if (full_name == NULL || full_name[0] == '\0' || birthdate == NULL ||
	    eid_date_parse(birthdate, strlen(birthdate), &shown) != EID_OK) {
		eid_buf_say(why, "type the full name and the date of birth "
				 "(YYYY-MM-DD) of the birth certificate");
		return EID_EINVAL;
	}
	birth_fields(&c, &cz, full_name, &shown, birthdate);
	c.state = c.fields[0].match && c.fields[1].match ?
			  EID_ACTIVATION_BIRTH_OK : EID_ACTIVATION_CHIP_FAILED;
	if (c.state == EID_ACTIVATION_CHIP_FAILED)
		snprintf(c.refusal, sizeof(c.refusal), "%s",
			 "the birth certificate's data do not match the "
			 "registry");
	c.updated_at = now;
	if ((r = eid_activation_save(
		     t, &c, "activation.birth_record", actor,
		     json_pack("{s:s, s:s, s:s}", "unit", unit ? unit : "",
			       "case", c.id,
			       "result", eid_activation_state_name(c.state)),
		     now)) != EID_OK)
		return r;
	*ret = c;
	return EID_OK;
}

int eid_activation_record_guardian_chip(eid_txn *t, const char *case_id,
					const char *officer_id,
					const char *unit,
					enum eid_officer_role role,
					const struct eid_activation_chip *chip,
					int64_t now, struct eid_activation *ret)
{
	char actor[EID_ACTOR_MAX + 1];
	struct eid_activation c, g;
	struct eid_citizen gz;
	int r;

	if (chip == NULL ||
	    (r = eid_activation_actor(officer_id, actor)) != EID_OK)
		return EID_EINVAL;
	if ((r = minor_case(t, case_id, officer_id, unit, role, &c)) != EID_OK)
		return r;
	if (c.guardian != EID_AGUARDIAN_WAITING ||
	    (c.state != EID_ACTIVATION_STARTED &&
	     c.state != EID_ACTIVATION_CHIP_OK &&
	     c.state != EID_ACTIVATION_BIRTH_OK))
		return EID_ESTATE;
	if ((r = eid_registry_get(t, c.guardian_id, &gz)) != EID_OK)
		return r;
	memset(&g, 0, sizeof(g));
	eid_activation_judge(&g, chip, &gz);
	c.guardian_pa = g.pa;
	c.guardian_aa = g.aa;
	if (g.state == EID_ACTIVATION_CHIP_OK) {
		c.guardian = EID_AGUARDIAN_VERIFIED;
	} else {
		c.state = EID_ACTIVATION_CHIP_FAILED;
		snprintf(c.refusal, sizeof(c.refusal), "the guardian's card: %.130s",
			 g.refusal);
	}
	c.updated_at = now;
	if ((r = eid_activation_save(
		     t, &c, "activation.guardian_chip", actor,
		     json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "unit",
			       unit ? unit : "", "case", c.id, "guardian_id",
			       c.guardian_id, "pa",
			       eid_activation_check_name(g.pa), "aa",
			       eid_activation_check_name(g.aa), "result",
			       eid_activation_state_name(g.state)),
		     now)) != EID_OK)
		return r;
	*ret = c;
	return EID_OK;
}

int eid_activation_minor_attest(eid_txn *t, const struct eid_activation *c,
				struct eid_activation_attest *a,
				const char *actor, int64_t now, eid_buf *why)
{
	char gactor[EID_ACTOR_MAX + 1];
	struct eid_account g;
	int r;

	if (c->guardian != EID_AGUARDIAN_VERIFIED) {
		eid_buf_say(why, "identify the guardian first: read the "
				 "guardian's chip card");
		return EID_ESTATE;
	}
	if (!a->guardian_consent) {
		eid_buf_say(why, "tick the guardian's consent: a child is "
				 "activated only with it");
		return EID_EINVAL;
	}
	/* EID_EPERM is the answer for another unit's case: a guardian who
	 * can no longer stand for the child is a state of the case. */
	if ((r = guardian_ready(t, c->guardian_id, now, &g, why)) != EID_OK)
		return r == EID_EPERM ? EID_ESTATE : r;
	r = eid_guardian_minor_level2(t, &g, c->personal_id, actor, now, why);
	(void)snprintf(gactor, sizeof(gactor), "citizen:%s", g.personal_id);
	/* The guardian's act, witnessed by the officer: actor the guardian,
	 * subject the child, so it is in both histories. */
	if (r == EID_OK)
		r = eid_audit_record(
			t, "activation.guardian_consent", gactor,
			c->personal_id, NULL,
			json_pack("{s:s, s:s, s:s, s:s, s:s}", "case", c->id,
				  "witness", actor, "unit",
				  a->unit ? a->unit : "", "identified_by",
				  "chip card, level-2 account", "evidence",
				  c->state == EID_ACTIVATION_BIRTH_OK ?
					  "birth certificate" : "chip card"),
			now);
	if (r == EID_OK)
		memcpy(a->ret_sms_to, g.phone, sizeof(a->ret_sms_to));
	eid_account_clear(&g);
	return r;
}
