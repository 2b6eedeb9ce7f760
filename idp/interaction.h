/* Interactions: an authorization request in progress between /authorize
 * and the redirect back to the relying party (login, step-up, consent).
 *
 * The checked request is kept in the short-lived store ("interactions"
 * namespace) for EID_INTERACTION_TTL seconds under the SHA-256 of a random
 * id; the browser carries the id in a short-lived cookie and in the pages'
 * links, and the two must agree.  The same namespace keeps, per browser
 * session (sid), the clients it logged into, for back-channel logout. */
#ifndef EID_INTERACTION_H
#define EID_INTERACTION_H

#include <jansson.h>
#include <stdint.h>

#include "idp/authz_request.h"
#include "idp/session.h"
#include "idp/store.h"

#define EID_INTERACTION_COOKIE "eid_interaction"
#define EID_INTERACTION_ID_LEN 43 /* 32 random bytes, base64url */
#define EID_INTERACTION_TTL 600
#define EID_SESSION_RPS_MAX 64    /* clients remembered per session */

struct eid_interaction {
	char id[EID_INTERACTION_ID_LEN + 1];
	struct eid_authz_request req;
	/* The session this interaction's own login opened ("" when none):
	 * prompt=login and max_age are satisfied by it and only by it. */
	char login_sid[EID_SESSION_SID_LEN + 1];
	uint64_t expires_at;
};

void eid_interaction_clear(struct eid_interaction *it);

/* Keep req (copied) for EID_INTERACTION_TTL seconds; ret_id gets the id. */
int eid_interaction_create(eid_store *s, const struct eid_authz_request *req,
			   uint64_t now,
			   char ret_id[EID_INTERACTION_ID_LEN + 1]);
/* EID_ENOTFOUND when unknown or expired (also for a malformed id). */
int eid_interaction_get(eid_store *s, const char *id,
			struct eid_interaction *ret);
/* Record the session a login of this interaction opened; the expiry is
 * kept. */
int eid_interaction_set_login(eid_store *s, const char *id, const char *sid);
/* Done (code issued or error sent): a second use finds nothing. */
int eid_interaction_end(eid_store *s, const char *id);

/* Remember that session sid logged into client_id, until expires_at (the
 * session's end).  At most EID_SESSION_RPS_MAX clients: more is
 * EID_EFULL. */
int eid_session_rp_add(eid_store *s, const char *sid, const char *client_id,
		       uint64_t expires_at);
/* The clients of a session as a JSON array of strings (empty when none);
 * the record is taken: the session is ending. */
int eid_session_rp_take(eid_store *s, const char *sid, json_t **ret_clients);

#endif
