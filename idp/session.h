/* Browser sessions (single sign-on across relying parties).
 *
 * The cookie holds 32 random bytes; the store keeps only their SHA-256, so
 * a copy of the store does not let anyone ride a session.  Each session
 * also has a public identifier (`sid`, the OIDC claim, shown to the
 * citizen in the session list) and its own CSRF secret.  Sessions live in
 * the short-lived store with an absolute lifetime, and an index by
 * personal ID lets the citizen list and end them, and locking an account
 * end them all. */
#ifndef EID_SESSION_H
#define EID_SESSION_H

#include <stdint.h>

#include "idp/store.h"

#define EID_SESSION_COOKIE "eid_session"
#define EID_SESSION_TOKEN_LEN 43 /* base64url of 32 bytes */
#define EID_SESSION_SID_LEN 22   /* base64url of 16 bytes */
#define EID_SESSION_AMR_MAX 63

struct eid_session {
	char sid[EID_SESSION_SID_LEN + 1];
	char personal_id[13];
	int level;                          /* assurance reached: 1 or 2 */
	char amr[EID_SESSION_AMR_MAX + 1];  /* space-separated RFC 8176 values */
	uint64_t auth_time;                 /* last full authentication */
	uint64_t created_at;
	uint64_t expires_at;
	char csrf[EID_SESSION_TOKEN_LEN + 1];
	char remote[46];                    /* where it was opened from */
};

/* Open a session for a citizen who has just authenticated.  ret_cookie
 * gets the value for the cookie (secret); ret (may be NULL) the record. */
int eid_session_create(eid_store *s, const char *personal_id, int level,
		       const char *amr, const char *remote, uint64_t now,
		       uint64_t ttl, char ret_cookie[EID_SESSION_TOKEN_LEN + 1],
		       struct eid_session *ret);

/* The live session behind a cookie value; EID_ENOTFOUND when unknown,
 * ended or expired (also for malformed cookie values). */
int eid_session_lookup(eid_store *s, const char *cookie, struct eid_session *ret);

/* Record a step-up: a new level, methods added to amr, auth_time now. */
int eid_session_raise(eid_store *s, const char *cookie, int level,
		      const char *amr_add, uint64_t now);

/* End one session by cookie (logout) or by sid (the citizen's list). */
int eid_session_end(eid_store *s, const char *cookie);
int eid_session_end_sid(eid_store *s, const char *personal_id,
			const char *sid);
/* End every session of a citizen; ret_ended (may be NULL) counts them. */
int eid_session_end_all(eid_store *s, const char *personal_id,
			unsigned *ret_ended);

/* Visit the citizen's live sessions. */
typedef int (*eid_session_visit_fn)(const struct eid_session *ses, void *arg);
int eid_session_list(eid_store *s, const char *personal_id,
		     eid_session_visit_fn fn, void *arg);

#endif
