#include "idp/level2_self.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/accounts.h"
#include "idp/audit.h"
#include "idp/chipverify.h"
#include "idp/device.h"

static const struct {
	const char *name, *text;
} checks[] = {
	[EID_L2S_OK] = { "ok", "the account is now level 2" },
	[EID_L2S_ACCOUNT] = { "account",
			      "only an active level-1 account can be raised "
			      "to level 2 this way" },
	[EID_L2S_PA] = { "pa", "the card failed Passive Authentication: its "
			       "data is not what the issuer signed" },
	[EID_L2S_AA] = { "aa", "the card failed Active Authentication: the "
			       "chip itself was not proven present" },
	[EID_L2S_DG13] = { "dg13", "the card's DG13 does not match the "
				   "registry" },
	[EID_L2S_PORTRAIT] = { "portrait", "the card's DG2 holds no JPEG or "
					   "JPEG 2000 portrait" },
	[EID_L2S_BIOMETRIC_NOT_CONFIGURED] = {
		"biometric_not_configured",
		"no biometric service is configured: level 2 is given at a "
		"police office" },
	[EID_L2S_BIOMETRIC_ERROR] = { "biometric_error",
				      "the biometric service did not answer; "
				      "try again later" },
	[EID_L2S_BIOMETRIC_NO_MATCH] = { "biometric_no_match",
					 "the selfie does not match the "
					 "card's portrait" },
};

const char *eid_level2_self_check_name(enum eid_l2s_check c)
{
	return (unsigned)c <= EID_L2S_BIOMETRIC_NO_MATCH ? checks[c].name : "?";
}

const char *eid_level2_self_check_text(enum eid_l2s_check c)
{
	return (unsigned)c <= EID_L2S_BIOMETRIC_NO_MATCH ? checks[c].text : "?";
}

enum eid_l2s_check eid_level2_self_decide(const struct eid_level2_self *in)
{
	const struct eid_activation *j = in->judged;

	if (j->pa != EID_ACHECK_VALID)
		return EID_L2S_PA;
	if (j->aa != EID_ACHECK_VALID)
		return EID_L2S_AA;
	if (j->state != EID_ACTIVATION_CHIP_OK)
		return EID_L2S_DG13;
	if (!in->has_portrait)
		return EID_L2S_PORTRAIT;
	if (!in->biometric_run || in->biometric_rc == EID_EUNSUPPORTED)
		return EID_L2S_BIOMETRIC_NOT_CONFIGURED;
	if (in->biometric_rc != EID_OK)
		return EID_L2S_BIOMETRIC_ERROR;
	return in->bio.match ? EID_L2S_OK : EID_L2S_BIOMETRIC_NO_MATCH;
}

int eid_level2_self_admit(eid_txn *t, const char *personal_id, eid_buf *why)
{
	struct eid_account a;
	int r = eid_account_get(t, personal_id, &a);

	if (r != EID_OK)
		return r;
	if (a.status != EID_ACCOUNT_ACTIVE || a.level != 1) {
		if (why != NULL)
			(void)eid_buf_put_str(
				why, a.level == 2 ? "the account is already "
						    "level 2"
						  : checks[EID_L2S_ACCOUNT].text);
		r = EID_ESTATE;
	}
	eid_account_clear(&a);
	return r;
}

static const char *biometric_verdict(const struct eid_level2_self *in)
{
	if (!in->biometric_run)
		return "not_run";
	if (in->biometric_rc == EID_EUNSUPPORTED)
		return "not_configured";
	if (in->biometric_rc != EID_OK)
		return "error";
	return in->bio.match ? "match" : "no_match";
}

/* DG13 against the registry, whatever the other checks said. */
static const char *dg13_verdict(const struct eid_activation *j)
{
	if (j->n_fields == 0)
		return "not_checked";
	for (size_t i = 0; i < j->n_fields; i++)
		if (!j->fields[i].match)
			return "mismatch";
	return "match";
}

json_t *eid_level2_self_verdicts(const struct eid_level2_self *in,
				 enum eid_l2s_check c)
{
	const struct eid_activation *j = in->judged;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "result",
			      eid_level2_self_check_name(c),
			      "passive_authentication",
			      eid_activation_check_name(j->pa),
			      "active_authentication",
			      eid_activation_check_name(j->aa), "dg13",
			      dg13_verdict(j), "biometric",
			      biometric_verdict(in));

	if (o != NULL && in->biometric_run && in->biometric_rc == EID_OK &&
	    json_object_set_new(o, "score", json_real(in->bio.score)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int eid_level2_self_record(eid_txn *t, const struct eid_level2_self *in,
			   int64_t now, enum eid_l2s_check *ret_check)
{
	char actor[EID_ACTOR_MAX + 1];
	enum eid_l2s_check c = eid_level2_self_decide(in);
	json_t *d;
	int r;

	snprintf(actor, sizeof(actor), "citizen:%s", in->personal_id);
	if (eid_level2_self_admit(t, in->personal_id, NULL) == EID_ESTATE)
		c = EID_L2S_ACCOUNT;
	if (c == EID_L2S_OK &&
	    ((r = eid_account_raise_active(t, in->personal_id, actor, now)) !=
		     EID_OK ||
	     (r = eid_device_raise_level(t, in->device_id, 2)) != EID_OK))
		return r;
	if ((d = eid_level2_self_verdicts(in, c)) == NULL ||
	    json_object_set_new(d, "device_id", json_string(in->device_id)))
		r = EID_ENOMEM;
	else
		r = eid_audit_record(t, "activation.selfservice", actor,
				     in->personal_id, in->remote,
				     json_incref(d), now);
	json_decref(d);
	if (r != EID_OK)
		return r;
	*ret_check = c;
	return EID_OK;
}

int eid_level2_self_selfie(const uint8_t *p, size_t n, eid_buf *out)
{
	json_t *o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	const char *s = json_string_value(json_object_get(o, "selfie"));
	int r = EID_EINVAL;

	if (s == NULL)
		goto out;
	r = EID_ETOOBIG;
	if (strlen(s) > EID_B64URL_LEN(EID_BIOMETRIC_IMAGE_MAX))
		goto out;
	r = EID_EMALFORMED;
	eid_buf_reset(out);
	if (eid_b64url_decode(s, strlen(s), out) != EID_OK || out->len < 3 ||
	    out->data[0] != 0xff || out->data[1] != 0xd8 ||
	    out->data[2] != 0xff)
		goto out;
	r = EID_OK;
out:
	json_decref(o);
	return r;
}
