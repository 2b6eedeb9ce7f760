/* OpenID CIBA (Client-Initiated Backchannel Authentication Core 1.0),
 * poll and ping modes: a relying party asks for a citizen's approval by
 * hint, the citizen's bound e-ID app approves or denies, the RP polls
 * /token (ping: after we POST it the auth_req_id, CIBA 10.2).
 *
 * A request has two identifiers: the RP's auth_req_id (32 random bytes,
 * base64url; kept only as its SHA-256) and a public id (16 random bytes)
 * that the app sees; knowing one does not give the other.  Everything
 * lives in the short-lived store (EID_EPH_CHALLENGES, keys "ciba" + kind):
 *   'a' SHA-256(auth_req_id)  {"id","cid","exp"}   until exp + GRACE, so a
 *                                                  late poll hears
 *                                                  expired_token
 *   'q' id                    the request          until exp
 *   'd' id                    the decision, written once (insert only)
 *   'p' personal_id id        "" : the citizen's pending list
 *   'l' id                    {"t","i"}: last poll and interval
 *   'n' id                    ping mode only: {"areq","cnt"}, the
 *                             auth_req_id and client_notification_token
 *                             the ping carries, taken by the decision
 *                             (the RP's id is kept in clear only here,
 *                             only until the decision or the expiry)
 * A request is decided once, by the device of the citizen it names, and
 * its approval is taken once by the client that made it. */
#ifndef EID_CIBA_H
#define EID_CIBA_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/clients.h"
#include "idp/device.h"
#include "idp/oauth_error.h"
#include "idp/store.h"

#define EID_CIBA_ID_LEN 22          /* base64url of 16 bytes */
#define EID_CIBA_AUTH_REQ_ID_LEN 43 /* base64url of 32 bytes */
#define EID_CIBA_BINDING_MAX 64     /* characters of binding_message */
#define EID_CIBA_TTL 300            /* expires_in without requested_expiry */
#define EID_CIBA_TTL_MAX 600
#define EID_CIBA_INTERVAL 5         /* seconds between polls */
#define EID_CIBA_SLOW_DOWN 5        /* added to the interval on slow_down */
#define EID_CIBA_GRACE 600          /* expired_token told this long */
#define EID_CIBA_LIST_MAX 16        /* pending requests listed per citizen */
#define EID_CIBA_NOTIFY_TOKEN_MAX 1024 /* client_notification_token (7.1) */

/* The parameters of POST /bc-authorize; NULL when not sent. */
struct eid_ciba_params {
	const char *scope;
	const char *login_hint;
	const char *id_token_hint;
	const char *login_hint_token;
	const char *binding_message;
	const char *acr_values;
	const char *requested_expiry;
	const char *client_notification_token;
};

/* A request.  scope is canonical (eid_claims_scope_string). */
struct eid_ciba_request {
	char id[EID_CIBA_ID_LEN + 1];
	char personal_id[13];
	char client_id[EID_CLIENT_ID_MAX + 1];
	char client_name[EID_CLIENT_NAME_MAX + 1];
	char scope[160];
	char binding_message[EID_CIBA_BINDING_MAX * 4 + 1]; /* UTF-8 */
	int acr_level;        /* the lowest level the RP accepts; 0: any */
	uint64_t created;
	uint64_t expires_at;
	/* Ping mode: the client's bearer token for the ping; a secret, only
	 * filled by eid_ciba_request_check (eid_ciba_get leaves it empty). */
	char notify_token[EID_CIBA_NOTIFY_TOKEN_MAX + 1];
	/* Filled by eid_ciba_get and an approved poll. */
	enum { EID_CIBA_PENDING, EID_CIBA_APPROVED, EID_CIBA_DENIED } status;
	char device_id[EID_DEVICE_ID_LEN + 1];
	int level;            /* the level the approval reached */
	uint64_t decided_at;
};

/* Check the parameters for client c (authenticated, active) and fill
 * ret (all but id, created and expires_at; personal_id from login_hint,
 * empty when the hint is an id_token_hint, which the caller resolves).
 * A ping-mode client must send client_notification_token (1 to 1024
 * characters of RFC 6750 b64token); a poll-mode client's is ignored.
 * ret_ttl gets the lifetime.  EID_EINVAL with err set to the CIBA error
 * (invalid_request, invalid_scope, unauthorized_client,
 * invalid_binding_message, expired_login_hint_token). */
int eid_ciba_request_check(const struct eid_client *c,
			   const struct eid_ciba_params *p,
			   struct eid_ciba_request *ret, uint64_t *ret_ttl,
			   struct eid_oauth_error *err);

/* Store a checked request (personal_id set) for ttl seconds from now;
 * ret->id, created and expires_at are set and ret_auth_req_id gets the
 * RP's identifier.  EID_ELIMIT when the citizen has EID_CIBA_LIST_MAX
 * undecided requests already (each must reach the phone's list). */
int eid_ciba_create(eid_store *s, struct eid_ciba_request *req, uint64_t now,
		    uint64_t ttl,
		    char ret_auth_req_id[EID_CIBA_AUTH_REQ_ID_LEN + 1]);

/* The request id of personal_id's citizen, with its status.
 * EID_ENOTFOUND when unknown, expired, taken, or another citizen's. */
int eid_ciba_get(eid_store *s, const char *id, const char *personal_id,
		 struct eid_ciba_request *ret);

/* The citizen's pending (undecided, unexpired) requests, oldest first:
 * at most EID_CIBA_LIST_MAX into ret, their number into ret_n. */
int eid_ciba_list(eid_store *s, const char *personal_id,
		  struct eid_ciba_request ret[EID_CIBA_LIST_MAX],
		  size_t *ret_n);

/* The decision of device d (of the citizen named by the request) at the
 * level it reaches.  EID_ENOTFOUND as eid_ciba_get, EID_ESTATE when the
 * request was decided already. */
int eid_ciba_decide(eid_store *s, const char *id, const struct eid_device *d,
		    bool approve, uint64_t now);

/* The ping of a decided request (ping mode): its auth_req_id and the
 * client's notification token, taken (a request is pinged once).  Wipe
 * both after use.  EID_ENOTFOUND for a poll-mode request, an unknown
 * or expired one, or one pinged already. */
int eid_ciba_ping_take(eid_store *s, const char *id,
		       char ret_auth_req_id[EID_CIBA_AUTH_REQ_ID_LEN + 1],
		       char ret_token[EID_CIBA_NOTIFY_TOKEN_MAX + 1]);

/* What a poll of the token endpoint learns. */
enum eid_ciba_poll {
	EID_CIBA_POLL_PENDING,   /* authorization_pending */
	EID_CIBA_POLL_SLOW_DOWN, /* slow_down: the interval grew */
	EID_CIBA_POLL_DENIED,    /* access_denied (the request is gone) */
	EID_CIBA_POLL_EXPIRED,   /* expired_token */
	EID_CIBA_POLL_INVALID,   /* invalid_grant: unknown, used, another
				  * client's */
	EID_CIBA_POLL_APPROVED,  /* the approval, taken: ret filled */
};

/* Poll auth_req_id for client_id at now.  EID_OK with *ret_state; ret is
 * filled only for EID_CIBA_POLL_APPROVED, which happens once. */
int eid_ciba_poll(eid_store *s, const char *auth_req_id,
		  const char *client_id, uint64_t now,
		  enum eid_ciba_poll *ret_state, struct eid_ciba_request *ret);

#endif
