/* Consent: what a citizen agreed to share with a relying party,
 * remembered per (citizen, client) as the set of scopes and individually
 * requested claims, in the durable "consents" table.  A request is
 * covered when its scopes and claims are within what was agreed; anything
 * more asks again, and the answer widens the record.  The citizen may
 * withdraw it (eid_consent_revoke), after which the next login asks. */
#ifndef EID_CONSENT_H
#define EID_CONSENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/store.h"

#define EID_CONSENT_MAX (8u * 1024) /* a stored record */

/* The claim names of an OIDC claims request (the members of "userinfo"
 * and "id_token"), sorted and unique, as a JSON array; an empty array
 * for NULL. */
int eid_consent_claim_names(const json_t *claims_request, json_t **ret);

/* *ret_covered: an earlier consent covers scopes (EID_SCOPE_* bits) and
 * the claims request (may be NULL). */
int eid_consent_check(eid_store *s, const char *personal_id,
		      const char *client_id, unsigned scopes,
		      const json_t *claims_request, bool *ret_covered);

/* Record consent to scopes and claims (added to what was agreed before),
 * with its audit event "consent.grant" in the same transaction. */
int eid_consent_grant(eid_store *s, const char *personal_id,
		      const char *client_id, unsigned scopes,
		      const json_t *claims_request, const char *remote,
		      int64_t now);

/* Withdraw the consent given to a client ("consent.revoke", actor as
 * given).  EID_ENOTFOUND when there is none. */
int eid_consent_revoke(eid_store *s, const char *personal_id,
		       const char *client_id, const char *actor,
		       int64_t now);

/* Visit the citizen's consents: client_id, the scope bits and the claim
 * names (borrowed for the call).  Return EID_OK to go on, 1 to stop. */
typedef int (*eid_consent_visit_fn)(const char *client_id, unsigned scopes,
				    const json_t *claims, int64_t granted_at,
				    void *arg);
int eid_consent_list(eid_store *s, const char *personal_id,
		     eid_consent_visit_fn fn, void *arg);

#endif
