/* OIDC Back-Channel Logout 1.0: the logout token, and the worker that
 * POSTs it to the relying parties' back-channel logout URIs.
 *
 * The worker is one thread with a bounded queue: a logout only enqueues
 * (never blocking the citizen's request on a slow RP), and each delivery
 * is tried up to EID_BCL_ATTEMPTS times with a growing pause, with connect
 * and total timeouts, without following redirects.  The signing callback
 * and the CIBA ping use the same worker.  A full queue drops
 * the new delivery (EID_EFULL): the RP's tokens die with the grant
 * anyway, and a logout storm must not grow memory without bound. */
#ifndef EID_LOGOUT_H
#define EID_LOGOUT_H

#include <stdint.h>

#include "idp/clients.h"
#include "idp/signing.h"
#include "idp/store.h"

#define EID_LOGOUT_EVENT "http://schemas.openid.net/event/backchannel-logout"
#define EID_LOGOUT_TOKEN_TTL 120
#define EID_LOGOUT_TYP "logout+jwt"

/* Sign a logout token for client_id about sub and sid (either may be
 * NULL, not both): iss, aud, iat, exp, jti, sub, sid, events. */
int eid_logout_token_issue(eid_signer *sg, const char *issuer,
			   const char *client_id, const char *sub,
			   const char *sid, uint64_t now, char **ret_jwt);

/* ---- the delivery worker ---- */

#define EID_BCL_QUEUE_MAX 1024
#define EID_BCL_ATTEMPTS 3

struct eid_bcl_options {
	unsigned queue_max;      /* 0: EID_BCL_QUEUE_MAX */
	unsigned attempts;       /* 0: EID_BCL_ATTEMPTS */
	unsigned connect_ms;     /* 0: 2000 */
	unsigned timeout_ms;     /* 0: 5000 */
	unsigned backoff_ms;     /* first pause, doubled each retry; 0: 500 */
};

struct eid_bcl_stats {
	uint64_t delivered; /* answered 200 or 204 */
	uint64_t failed;    /* every attempt failed */
	uint64_t dropped;   /* refused because the queue was full */
};

typedef struct eid_bcl eid_bcl;

int eid_bcl_start(const struct eid_bcl_options *opt, eid_bcl **ret);
/* Stop: deliveries in flight end (a pause is cut short, the remaining
 * queue is dropped), the thread is joined.  Safe on NULL. */
void eid_bcl_stop(eid_bcl *q);
/* Queue a POST of logout_token=TOKEN to uri (both copied). */
int eid_bcl_enqueue(eid_bcl *q, const char *uri, const char *logout_token);
/* Queue a POST of a JSON body to uri (both copied), with the same
 * attempts, timeouts and answers: the signing callback
 * (docs/signatures.md) rides this worker too. */
int eid_bcl_enqueue_json(eid_bcl *q, const char *uri, const char *json);
/* What a delivery that fails every attempt leaves in the audit trail:
 * event, actor "eid", subject, and details (an object, copied) with the
 * URI and the error added. */
struct eid_bcl_audit {
	eid_store *store; /* must outlive the worker */
	const char *event;
	const char *subject;
	const json_t *details; /* may be NULL */
};
/* Queue a POST of a JSON body to uri with Authorization: Bearer TOKEN
 * (all copied; the token is wiped when done), the same attempts,
 * timeouts and answers, and a failure audited as fail says (may be
 * NULL): the CIBA ping (idp/ciba.h) rides this worker. */
int eid_bcl_enqueue_bearer(eid_bcl *q, const char *uri, const char *json,
			   const char *bearer,
			   const struct eid_bcl_audit *fail);
void eid_bcl_get_stats(eid_bcl *q, struct eid_bcl_stats *ret);

#endif
