/* The device authorization grant (RFC 8628): pending requests of TVs and
 * kiosks, in the short-lived store ("codes" namespace).
 *
 * A device_code is 32 random bytes (base64url); the store keys its record
 * by the SHA-256 only.  A user_code is 8 letters of the RFC's consonant
 * alphabet (20^8, about 2^34.6), shown as XXXX-XXXX; what a citizen types
 * is normalised (case, dashes, spaces) before it is looked up, and every
 * attempt is rate limited by the caller, so the space cannot be searched.
 * Keys (tag byte, then SHA-256 of the value):
 *   'D' device_code  {"client_id","scope","scopes","acr_level",
 *                     "user_code","interval","last_poll","exp"}
 *   'U' user_code    the 'D' key (33 bytes)
 *   'A' device_code  the decision, written once: {"ok":false} or
 *                    {"ok":true,"grant":{...}}
 *   'R' device_code  a redeemed code (replays are told apart from
 *                    unknown codes)
 * The 'D' record outlives its "exp" by EID_DEVGRANT_GRACE seconds so a
 * poll after expiry is told expired_token rather than invalid_grant. */
#ifndef EID_DEVGRANT_H
#define EID_DEVGRANT_H

#include <stdbool.h>
#include <stdint.h>

#include "idp/grants.h"
#include "idp/store.h"

#define EID_DEVGRANT_CODE_LEN 43        /* 32 bytes, base64url */
#define EID_DEVGRANT_USER_CODE_LEN 8    /* normalised */
#define EID_DEVGRANT_USER_CODE_SHOWN 9  /* XXXX-XXXX */
#define EID_DEVGRANT_ALPHABET "BCDFGHJKLMNPQRSTVWXZ"
#define EID_DEVGRANT_SLOW_DOWN 5        /* seconds added per slow_down */
#define EID_DEVGRANT_GRACE 600

/* A pending request, as the verification page and the poll see it. */
struct eid_devgrant {
	char client_id[EID_GRANT_STR_MAX + 1];
	char scope[EID_GRANT_STR_MAX + 1];
	unsigned scopes;     /* EID_SCOPE_* */
	int acr_level;       /* 0: any */
	char user_code[EID_DEVGRANT_USER_CODE_LEN + 1];
	uint64_t interval;   /* seconds between polls, grows with slow_down */
	uint64_t last_poll;  /* 0: never polled */
	uint64_t expires_at;
};

/* What a citizen typed, normalised into ret: letters upper-cased, dashes
 * and spaces dropped.  EID_EMALFORMED unless 8 letters of the alphabet
 * remain. */
int eid_devgrant_user_code_normalise(const char *in,
				     char ret[EID_DEVGRANT_USER_CODE_LEN + 1]);
/* "XXXX-XXXX" of a normalised code. */
void eid_devgrant_user_code_show(const char *code,
				 char ret[EID_DEVGRANT_USER_CODE_SHOWN + 1]);

/* A new request for client_id (scope, scopes and acr_level checked by the
 * caller), valid ttl seconds, polled at most every interval seconds.
 * ret_user_code is normalised. */
int eid_devgrant_start(eid_store *s, const char *client_id, const char *scope,
		       unsigned scopes, int acr_level, uint64_t now,
		       uint64_t ttl, uint64_t interval,
		       char ret_device_code[EID_DEVGRANT_CODE_LEN + 1],
		       char ret_user_code[EID_DEVGRANT_USER_CODE_LEN + 1]);

/* The pending request of a normalised user code.  EID_ENOTFOUND when
 * unknown, expired, or decided already. */
int eid_devgrant_by_user_code(eid_store *s, const char *user_code,
			      struct eid_devgrant *ret);

/* The citizen's decision, once.  With approve, g is the grant the token
 * endpoint will record (its id is made then).  EID_ENOTFOUND when the
 * request is unknown or expired, EID_ESTATE when decided already. */
int eid_devgrant_decide(eid_store *s, const char *user_code, bool approve,
			const struct eid_grant *g);

/* The device's poll (RFC 8628 3.4, 3.5) by client_id:
 *   EID_OK          approved: ret_grant filled (eid_grant_clear); the
 *                   device_code is used up
 *   EID_ESTATE      authorization_pending
 *   EID_ELIMIT      slow_down: polled before interval passed; the
 *                   interval grows by EID_DEVGRANT_SLOW_DOWN
 *   EID_EPERM       access_denied (the code is used up)
 *   EID_EEXPIRED    expired_token
 *   EID_EMISMATCH   the code belongs to another client
 *   EID_EREPLAY     the code was redeemed already
 *   EID_ENOTFOUND   unknown (EID_EMALFORMED: not a device_code) */
int eid_devgrant_poll(eid_store *s, const char *device_code,
		      const char *client_id, uint64_t now,
		      struct eid_grant *ret_grant);

#endif
