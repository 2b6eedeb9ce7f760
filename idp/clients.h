/* Relying-party clients: the registration record, its rules, and the store
 * operations behind `eidctl client`.
 *
 * A client is described by a JSON object of metadata (the names below, the
 * same as its `--json` output); eid_client_from_json checks every field and
 * the rules that tie them together.  The stored record (EID_TABLE_CLIENTS,
 * keyed by client_id) is that object plus a format version "v" and the
 * salted secret hash; nothing outside this module sees the hash.
 *
 * Errors of the checks, each with a one-line reason naming the field:
 *   EID_EMALFORMED   a value is not of its form (client_id characters, name
 *                    length, a URI, a JWK, a lifetime out of range)
 *   EID_EUNSUPPORTED a value outside its list (grant type, auth method,
 *                    scope, subject type, algorithm, status)
 *   EID_EINVAL       fields that do not fit together (a public client with
 *                    client_credentials, private_key_jwt without keys, both
 *                    jwks and jwks_uri, pairwise without a sector, a member
 *                    that is not metadata at all, ping delivery without a
 *                    notification endpoint or without the CIBA grant) */
#ifndef EID_CLIENTS_H
#define EID_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "crypto/keys.h"
#include "idp/rcache.h"
#include "idp/store.h"

#define EID_CLIENT_ID_MAX 128
#define EID_CLIENT_NAME_MAX 100    /* bytes of UTF-8 */
#define EID_CLIENT_URI_MAX 2048
#define EID_CLIENT_URIS_MAX 32     /* per list */
#define EID_CLIENT_HOST_MAX 253    /* a DNS name */
#define EID_CLIENT_JSON_MAX (64u * 1024)
#define EID_CLIENT_SECRET_LEN 43   /* base64url of 32 random bytes */
#define EID_CLIENT_SECRET_MAX 256  /* a secret given with --secret-stdin */
#define EID_CLIENT_SECRET_MIN 32
#define EID_CLIENT_SALT_LEN 16
#define EID_CLIENT_FORMAT_V1 1
#define EID_GRANT_TYPE_CIBA "urn:openid:params:grant-type:ciba"

/* The grant_type name of the device authorization grant. */
#define EID_GRANT_TYPE_DEVICE_CODE "urn:ietf:params:oauth:grant-type:device_code"

/* Bits of eid_client.grant_types. */
enum {
	EID_GRANT_AUTHORIZATION_CODE = 1u << 0,
	EID_GRANT_REFRESH_TOKEN = 1u << 1,
	EID_GRANT_CLIENT_CREDENTIALS = 1u << 2,
	EID_GRANT_CIBA = 1u << 3, /* OpenID CIBA, poll or ping mode */
	EID_GRANT_DEVICE_CODE = 1u << 4, /* RFC 8628 */
};

/* Bits of eid_client.scopes. */
enum {
	EID_SCOPE_OPENID = 1u << 0,
	EID_SCOPE_PROFILE = 1u << 1,
	EID_SCOPE_PHONE = 1u << 2,
	EID_SCOPE_EMAIL = 1u << 3,
	EID_SCOPE_ADDRESS = 1u << 4,
	EID_SCOPE_CITIZEN = 1u << 5,
	EID_SCOPE_OFFLINE_ACCESS = 1u << 6,
	EID_SCOPE_SIGN = 1u << 7,
};

enum eid_client_auth {
	EID_AUTH_CLIENT_SECRET_BASIC,
	EID_AUTH_CLIENT_SECRET_POST,
	EID_AUTH_PRIVATE_KEY_JWT,
	EID_AUTH_NONE, /* a public client: PKCE is its only proof */
};

enum eid_subject_type {
	EID_SUBJECT_PUBLIC,
	EID_SUBJECT_PAIRWISE,
};

enum eid_client_status {
	EID_CLIENT_ACTIVE,
	EID_CLIENT_DISABLED,
};

/* backchannel_token_delivery_mode (CIBA Core 4): how a CIBA client
 * learns that a result is ready.  Poll: it polls /token; ping: we POST
 * the auth_req_id to its backchannel_client_notification_endpoint, then
 * it asks /token.  Push is not offered. */
enum eid_ciba_delivery {
	EID_CIBA_DELIVERY_POLL,
	EID_CIBA_DELIVERY_PING,
};

/* An owned list of strings. */
struct eid_strlist {
	char **v;
	size_t n;
};

/* A decoded client.  Strings and lists are owned (eid_client_clear). */
struct eid_client {
	char client_id[EID_CLIENT_ID_MAX + 1];
	char name[EID_CLIENT_NAME_MAX + 1];
	unsigned grant_types; /* EID_GRANT_* */
	enum eid_client_auth auth_method;
	unsigned scopes;      /* EID_SCOPE_*: what the client may ask for */
	struct eid_strlist redirect_uris;
	struct eid_strlist post_logout_redirect_uris;
	char *backchannel_logout_uri; /* NULL: none */
	enum eid_ciba_delivery ciba_delivery;
	/* backchannel_client_notification_endpoint: set exactly when
	 * ciba_delivery is ping (https, or http on loopback). */
	char *ciba_notification_endpoint;
	json_t *jwks;                 /* the inline key set; NULL: none */
	char *jwks_uri;               /* NULL: none */
	enum eid_subject_type subject_type;
	/* The sector of pairwise subjects: given, or the host of the redirect
	 * URIs when the client was registered ("" for public clients). */
	char sector_identifier[EID_CLIENT_HOST_MAX + 1];
	/* Lifetime overrides in seconds; 0: the server's [tokens] default. */
	uint64_t access_token_ttl;
	uint64_t refresh_token_ttl;
	uint64_t id_token_ttl;
	bool require_par;
	bool require_dpop;
	eid_alg id_token_alg; /* ES256 (default), RS256 or PS256 */
	enum eid_client_status status;
	int64_t created_at; /* unix seconds */
	int64_t updated_at;
	/* SHA-256(salt || secret); only for client_secret_* methods. */
	bool has_secret;
	uint8_t secret_salt[EID_CLIENT_SALT_LEN];
	uint8_t secret_hash[32];
};

/* Release what c owns and zero it. Safe on a zeroed struct. */
void eid_client_clear(struct eid_client *c);

/* Names of the enumerations ("client_secret_basic", "pairwise", ...). */
const char *eid_client_auth_name(enum eid_client_auth m);
const char *eid_client_grant_name(unsigned grant_bit);
const char *eid_client_scope_name(unsigned scope_bit);
/* EID_EUNSUPPORTED for a name outside the list. */
int eid_client_scope_from_name(const char *name, size_t n,
			       unsigned *ret_bit);

/* Decode and check client metadata (the names of eid_client_to_json, no
 * secret, no status or times: those are the store's).  A member that is
 * not metadata is refused (EID_EINVAL).  Defaults: grant_types
 * [authorization_code], token_endpoint_auth_method client_secret_basic,
 * scope "openid", subject_type public, id_token_signed_response_alg
 * ES256.  The secret rules (client_secret_* need one) are checked by
 * eid_client_add, which makes the secret. */
int eid_client_from_json(const json_t *meta, struct eid_client *ret,
			 eid_buf *why);
/* Check a whole client (every field rule and the rules across fields),
 * deriving the pairwise sector when it is empty. */
int eid_client_check(struct eid_client *c, eid_buf *why);

/* The public metadata as JSON, with status and times: never the secret
 * or its hash. */
int eid_client_to_json(const struct eid_client *c, json_t **ret);

/* The storage form: compact JSON with "v" first and the secret hash. */
int eid_client_encode(const struct eid_client *c, eid_buf *out);
/* The stored record back (at most EID_CLIENT_JSON_MAX bytes), every rule
 * checked again.  EID_EUNSUPPORTED for another format version,
 * EID_EMALFORMED for damage. */
int eid_client_decode(const void *p, size_t n, struct eid_client *ret);

/* ---- store operations; each writes an audit event ("client.add", ...)
 * in the same transaction, with actor ("operator", ...) ---- */

/* Register a client from metadata.  For client_secret_* methods the
 * secret is secret (len bytes, EID_CLIENT_SECRET_MIN..MAX, from
 * --secret-stdin) or, when secret is NULL, a new random one, returned in
 * ret_secret (malloc'd, to show once; wipe with eid_free_secret_str).
 * ret_secret may be NULL only when no secret is made.  A secret for
 * private_key_jwt or none is EID_EINVAL.  EID_EEXIST when the id is
 * taken. */
int eid_client_add(eid_store *s, const json_t *meta, const char *secret,
		   size_t secret_len, const char *actor, char **ret_secret,
		   eid_buf *why);
/* EID_ENOTFOUND when absent.  ret is the client (any status). */
int eid_client_get(eid_store *s, const char *client_id,
		   struct eid_client *ret);
/* Partial update: the members of changes replace those of the record
 * (a JSON null removes an optional member); client_id cannot change
 * (EID_EINVAL).  A pairwise sector once derived stays, so subjects do not
 * change with the redirect URIs.  Moving away from a client_secret_*
 * method drops the secret; moving to one makes a new secret returned in
 * ret_secret (set to NULL when none was made), or is EID_EINVAL when
 * ret_secret is NULL. */
int eid_client_update(eid_store *s, const char *client_id,
		      const json_t *changes, const char *actor,
		      char **ret_secret, eid_buf *why);
/* Set status disabled or active (EID_ESTATE when it is already). */
int eid_client_disable(eid_store *s, const char *client_id,
		       const char *actor);
int eid_client_enable(eid_store *s, const char *client_id, const char *actor);
int eid_client_delete(eid_store *s, const char *client_id,
		      const char *actor);
/* A new secret as for eid_client_add; the old one stops working at once.
 * EID_ESTATE for a client that does not use a secret. */
int eid_client_rotate_secret(eid_store *s, const char *client_id,
			     const char *secret, size_t secret_len,
			     const char *actor, char **ret_secret);

/* ---- decoded clients for the back-channel endpoints (clients_cache.c) */

/* A cache of client records (idp/rcache.h), owned by the server's
 * context. */
int eid_client_cache_new(size_t entries, eid_rcache **ret_cache);
/* eid_client_get through c (NULL: straight from the store), with the same
 * answers: each read compares the stored bytes with the kept ones, so a
 * changed, disabled or deleted client or a rotated secret is never
 * stale. */
int eid_client_get_cached(eid_rcache *c, eid_store *s, const char *client_id,
			  struct eid_client *ret);

/* Visit every client in id order.  The client is valid during the call
 * only; return EID_OK to go on, 1 to stop. */
typedef int (*eid_client_visit_fn)(const struct eid_client *c, void *arg);
int eid_client_list(eid_store *s, eid_client_visit_fn fn, void *arg);

/* SHA-256(salt || secret): see clients.c for why not a slow hash. */
int eid_client_hash_secret(const uint8_t salt[EID_CLIENT_SALT_LEN],
			   const char *secret, size_t len,
			   uint8_t ret_hash[32]);
/* True when presented (len bytes) is the client's secret; the time taken
 * does not depend on where a wrong secret differs. */
bool eid_client_check_secret(const struct eid_client *c,
			     const char *presented, size_t len);
/* True when uri is one of the registered redirect URIs, byte for byte
 * (no normalisation of case, trailing slash, query or port). */
bool eid_client_redirect_allowed(const struct eid_client *c,
				 const char *uri);
/* The same for post_logout_redirect_uris. */
bool eid_client_post_logout_allowed(const struct eid_client *c,
				    const char *uri);

#endif
