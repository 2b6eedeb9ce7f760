/* Grants: what one authorization produced (who, for which client, what
 * scope and claims, how they authenticated), kept durably in the "grants"
 * table, and the refresh-token family that hangs off it.
 *
 * Access tokens are signed JWTs that carry the grant id ("gid"); checking
 * that the grant is still active is one read, so revoking a grant (the
 * rare write) ends every access and refresh token issued from it.
 *
 * Refresh tokens are opaque ("eidrt." and 43 base64url characters) and
 * stored only as SHA-256 hashes, each with the generation it was issued
 * at.  Every use rotates the token; presenting one that was already
 * rotated means two parties hold the family, so the whole grant is revoked
 * (RFC 9700 section 4.14.2).
 *
 * Table layout (keys in EID_TABLE_GRANTS, values JSON):
 *   'g' gid                      the grant record
 *   'r' SHA-256(refresh token)   {"gid","gen","exp"}
 *   's' personal_id NUL gid      "" : the subject index
 *   'u' client_id NUL sub        personal_id: who an ID token's sub is
 *                                (an id_token_hint; sub is a one-way
 *                                HMAC, so it is looked up, not reversed) */
#ifndef EID_GRANTS_H
#define EID_GRANTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/rcache.h"
#include "idp/store.h"

/* 16 random bytes, base64url. */
#define EID_GRANT_ID_LEN 22
/* "eidrt." and 32 random bytes, base64url. */
#define EID_REFRESH_PREFIX "eidrt."
#define EID_REFRESH_TOKEN_LEN 49
/* Caps on what a grant may hold (EID_ETOOBIG beyond). */
#define EID_GRANT_STR_MAX 2048
#define EID_GRANT_MAX (16u * 1024)
#define EID_GRANT_SUB_MAX 43 /* idp/subject.h EID_SUBJECT_LEN */

/* Strings and JSON members are owned by the struct when the library
 * fills it (free with eid_grant_clear); as input they are borrowed. */
struct eid_grant {
	char id[EID_GRANT_ID_LEN + 1];
	char *personal_id; /* the subject */
	char *client_id;
	char *scope;       /* space-separated, as granted */
	char *acr;         /* NULL: none */
	char *sid;         /* the browser session; NULL: none */
	char *dpop_jkt;    /* tokens bound to this DPoP key; NULL: unbound */
	json_t *amr;       /* array of strings; NULL: none */
	json_t *claims;    /* the OIDC "claims" request (object); NULL: none */
	uint64_t auth_time;
	uint64_t created;
	bool revoked;
	/* Input of eid_grant_create only: the client's sub for the
	 * citizen ("" : no 'u' entry). */
	char sub[EID_GRANT_SUB_MAX + 1];
};

/* Release what the struct owns and zero it; safe on a zeroed struct. */
void eid_grant_clear(struct eid_grant *g);

/* The grant as a JSON object (the stored form).  EID_EINVAL when
 * personal_id, client_id or scope is missing or id is not a grant id,
 * EID_ETOOBIG when a string exceeds EID_GRANT_STR_MAX. */
int eid_grant_to_json(const struct eid_grant *g, json_t **ret_json);
/* Back from JSON; EID_EMALFORMED when members are missing or mistyped. */
int eid_grant_from_json(const json_t *j, struct eid_grant *ret_grant);

/* A new grant id (what eid_code_issue puts in a code). */
int eid_grant_new_id(char ret_id[EID_GRANT_ID_LEN + 1]);

/* Record an active grant.  g->id must be set (from the code) or empty (a
 * new id is made); created is set to now.  EID_EEXIST when the id is taken,
 * which includes a grant revoked before it was created (a replayed code
 * raced its first redemption): the caller must then issue nothing.
 * ret_id (may be NULL) gets the id. */
int eid_grant_create(eid_store *s, const struct eid_grant *g, uint64_t now,
		     char ret_id[EID_GRANT_ID_LEN + 1]);

/* The same, appending ev (may be NULL) to the audit trail in the grant's
 * own transaction: the grant exists only if its event is recorded (the
 * data.release of a code exchange costs no commit of its own). */
struct eid_audit_event;
int eid_grant_create_audited(eid_store *s, const struct eid_grant *g,
			     uint64_t now, const struct eid_audit_event *ev,
			     char ret_id[EID_GRANT_ID_LEN + 1]);
/* The citizen whose sub for client_id is sub (a grant was created with
 * it).  EID_ENOTFOUND when none. */
int eid_grant_subject_find(eid_store *s, const char *client_id,
			   const char *sub, char ret_personal_id[13]);

/* The grant record.  EID_ENOTFOUND when unknown. */
int eid_grant_get(eid_store *s, const char *gid, struct eid_grant *ret_grant);

/* The hot path of introspection and userinfo: one read.  EID_OK when the
 * grant is active, EID_EPERM when revoked, EID_ENOTFOUND when unknown. */
int eid_grant_check_active(eid_store *s, const char *gid);

/* The same read, keeping the record: ret_grant gets it when the grant is
 * active (EID_OK); EID_EPERM when revoked, EID_ENOTFOUND when unknown.
 * Userinfo needs both, and a grant record parsed once is half of what
 * the request costs beyond the signature (docs/performance.md). */
int eid_grant_get_active(eid_store *s, const char *gid,
			 struct eid_grant *ret_grant);

/* A cache of grant records (idp/rcache.h) for the token paths. */
int eid_grant_cache_new(size_t entries, eid_rcache **ret_cache);
/* eid_grant_get_active through c (NULL: read and decode as always);
 * ret_grant NULL: eid_grant_check_active. */
int eid_grant_get_active_cached(eid_rcache *c, eid_store *s,
				const char *gid, struct eid_grant *ret_grant);

/* Revoke the grant (idempotent).  An unknown id is recorded as revoked so
 * that it can never be created afterwards. */
int eid_grant_revoke(eid_store *s, const char *gid, uint64_t now);

/* Revoke every grant of a subject (account locked: everything ends).
 * ret_count (may be NULL): how many were active. */
int eid_grant_revoke_by_subject(eid_store *s, const char *personal_id,
				uint64_t now, uint64_t *ret_count);
/* Revoke the subject's grants issued through browser session sid (the
 * session ended: a password change ends the others). */
int eid_grant_revoke_by_sid(eid_store *s, const char *personal_id,
			    const char *sid, uint64_t now, uint64_t *ret_count);

/* The first refresh token of an active grant, valid ttl seconds.
 * EID_ENOTFOUND for an unknown grant, EID_EPERM when revoked, EID_ESTATE
 * when the grant already has a refresh token (rotate it instead). */
int eid_refresh_issue(eid_store *s, const char *gid, uint64_t now,
		      uint64_t ttl,
		      char ret_token[EID_REFRESH_TOKEN_LEN + 1]);

/* Use a refresh token: it is replaced by a new one (valid ttl seconds
 * from now, the lifetime it was issued with) and the grant is returned so
 * the caller can issue new tokens.  dpop_jkt is the key of the request's
 * DPoP proof (NULL: none).  In one write transaction:
 *   EID_EMALFORMED  not a refresh token
 *   EID_ENOTFOUND   unknown token (or its grant is gone)
 *   EID_EEXPIRED    the token is past its lifetime
 *   EID_EPERM       the grant is revoked
 *   EID_EMISMATCH   another client's token, or the grant is bound to a
 *                   DPoP key and the proof's key differs or is missing
 *   EID_EREPLAY     the token was already rotated: the grant is revoked
 *                   now (committed) and this call fails */
int eid_refresh_rotate(eid_store *s, const char *token, const char *client_id,
		       const char *dpop_jkt, uint64_t now,
		       struct eid_grant *ret_grant,
		       char ret_new_token[EID_REFRESH_TOKEN_LEN + 1]);

/* Look at a refresh token without using it (introspection, and the
 * checks before a rotation): EID_OK with its grant and expiry when it is
 * the grant's current token, unexpired, and the grant active.  Read only.
 *   EID_EMALFORMED, EID_ENOTFOUND   as eid_refresh_rotate
 *   EID_EPERM      the grant is revoked
 *   EID_EREPLAY    the token was rotated away (using it revokes the grant)
 *   EID_EEXPIRED   past its lifetime
 * The caller compares ret_grant->client_id with the asking client. */
int eid_refresh_inspect(eid_store *s, const char *token, uint64_t now,
			struct eid_grant *ret_grant, uint64_t *ret_exp);

/* RFC 7009 for a refresh token: revoke its whole grant.  EID_EMALFORMED,
 * EID_ENOTFOUND, EID_EMISMATCH (another client's token) as above. */
int eid_refresh_revoke(eid_store *s, const char *token, const char *client_id,
		       uint64_t now);

#endif
