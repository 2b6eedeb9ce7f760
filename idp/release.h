/* "Data released to a relying party" (issue #3): the audit event each
 * grant about a citizen (code, device code, CIBA) records as it is
 * created, so the citizen's history
 * shows which service received which data.
 *
 * One data.release per grant, never one per userinfo call: the grant is
 * what the citizen consented to and what the relying party may read for
 * as long as it lives, and the token and userinfo paths stay write-free
 * (an audit append is a durable commit; one per userinfo call would halve
 * that endpoint's rate).  The event holds the claim NAMES, never their
 * values. */
#ifndef EID_RELEASE_H
#define EID_RELEASE_H

#include <jansson.h>

#include "idp/accounts.h"
#include "idp/citizen.h"
#include "idp/clients.h"
#include "idp/grants.h"

#define EID_RELEASE_EVENT "data.release"

/* The details of a data.release for grant g to client: {"client_id",
 * "client_name", "scope", "acr"?, "claims": [names]} where the names are
 * the user claims the ID token carries (asked by name in the claims
 * request) and those userinfo answers (the granted scopes' and the ones
 * asked by name), each once, in claims_supported order, and only those
 * the citizen's record has.  cz and a are the citizen's data. */
int eid_release_details(const struct eid_client *client,
			const struct eid_grant *g,
			const struct eid_citizen *cz,
			const struct eid_account *a, json_t **ret);

#endif
