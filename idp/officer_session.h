/* Officer console sessions.
 *
 * Kept apart from citizens' sessions (idp/session.h) on purpose: an officer
 * session carries the officer and the unit every action is bound to, ends
 * after EID_OFFICER_SESSION_IDLE seconds without use as well as after
 * EID_OFFICER_SESSION_MAX in all, and must never be taken for a citizen's
 * session (nor the other way round).  It lives in the same short-lived
 * namespace (EID_EPH_SESSIONS, shared by every eidd node) under its own key
 * kind 'o' || SHA-256(cookie), so the store keeps only the hash of the
 * cookie and no citizen-session lookup can ever find it. */
#ifndef EID_OFFICER_SESSION_H
#define EID_OFFICER_SESSION_H

#include <stdint.h>

#include "idp/officers.h"
#include "idp/store.h"

#define EID_OFFICER_COOKIE "eid_officer"
#define EID_OFFICER_TOKEN_LEN 43 /* base64url of 32 bytes */
#define EID_OFFICER_SESSION_IDLE (30 * 60)
#define EID_OFFICER_SESSION_MAX (8 * 3600)
/* A session is touched (its idle clock restarted) at most this often, so
 * browsing the console does not write on every request. */
#define EID_OFFICER_SESSION_TOUCH 60

struct eid_officer_session {
	char officer_id[EID_OFFICER_ID_MAX + 1];
	char unit[EID_OFFICER_UNIT_MAX + 1];
	enum eid_officer_role role;
	char csrf[EID_OFFICER_TOKEN_LEN + 1]; /* the console forms' token */
	uint64_t created_at;
	uint64_t last_seen;
	char remote[46];
};

/* Open a session for an officer who has just signed in (password and
 * TOTP).  ret_cookie gets the cookie value (secret); ret may be NULL. */
int eid_officer_session_create(eid_store *s, const struct eid_officer *o,
			       const char *remote, uint64_t now,
			       char ret_cookie[EID_OFFICER_TOKEN_LEN + 1],
			       struct eid_officer_session *ret);

/* The live session behind a cookie value, its idle clock restarted.
 * EID_ENOTFOUND when unknown, malformed, ended, idle too long or past its
 * absolute lifetime. */
int eid_officer_session_lookup(eid_store *s, const char *cookie, uint64_t now,
			       struct eid_officer_session *ret);

/* Sign out. */
int eid_officer_session_end(eid_store *s, const char *cookie);

/* "officer:<id>": the actor of audit events and the binding of chip
 * challenges made from this session. */
int eid_officer_session_actor(const struct eid_officer_session *os,
			      char *out, size_t cap);

#endif
