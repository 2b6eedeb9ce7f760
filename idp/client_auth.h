/* Client authentication at the back-channel endpoints (/token, /par,
 * /introspect, /revoke): RFC 6749 2.3, OIDC Core 9, RFC 7523.
 *
 * The api/ layer hands over what the request carried; this module decides
 * which method was used, loads the client and checks the credentials:
 *
 *   client_secret_basic  Authorization: Basic with the form-urlencoded id
 *                        and secret inside the base64 (RFC 6749 2.3.1)
 *   client_secret_post   client_id and client_secret in the body
 *   private_key_jwt      client_assertion_type jwt-bearer and a
 *                        client_assertion signed with one of the client's
 *                        keys (inline jwks, or jwks_uri through the cache)
 *   none                 a public client: client_id alone (PKCE is then
 *                        the caller's proof)
 *
 * Exactly one method per request, and it must be the client's registered
 * one.  Failures are reported as OAuth errors (see struct
 * eid_client_auth_result) and each invalid_client is written to the audit
 * trail as "client.auth_failure". */
#ifndef EID_CLIENT_AUTH_H
#define EID_CLIENT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"
#include "idp/clients.h"
#include "idp/oauth_error.h"
#include "idp/store.h"

#define EID_CLIENT_ASSERTION_TYPE_JWT \
	"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/* What the request presented; every member may be NULL (not sent). */
struct eid_client_credentials {
	const char *client_id;      /* the body's client_id */
	bool basic;                 /* an Authorization: Basic header came */
	const char *basic_id;       /* ... its decoded id and secret */
	const char *basic_secret;
	const char *client_secret;  /* the body's client_secret */
	const char *assertion_type; /* client_assertion_type */
	const char *assertion;      /* client_assertion */
};

/* Where the request came to. */
struct eid_client_auth_env {
	eid_store *store;
	eid_rcache *clients;  /* decoded clients (idp/clients.h); NULL: none */
	const char *issuer;   /* accepted as a client assertion's aud */
	/* The token endpoint URL, also accepted as aud; read only when an
	 * assertion came. */
	const char *endpoint;
	const char *remote;   /* the peer address, for the audit trail */
	uint64_t now;
};

/* Decode the credentials of an Authorization header value "Basic b64"
 * (scheme case-insensitive): base64 of "id:secret", each part
 * form-urlencoded.  The id and the secret are appended to ret_id and
 * ret_secret as NUL-free text (give ret_secret a secret buffer).
 *   EID_ENOTFOUND   not the Basic scheme
 *   EID_EMALFORMED  bad base64, no ':', a bad escape, a NUL or control
 *                   byte, an empty id
 *   EID_ETOOBIG     past the buffers' caps */
int eid_client_basic_decode(const char *header, eid_buf *ret_id,
			    eid_buf *ret_secret);

/* Authenticate the client.  On success ret_client gets the client
 * (eid_client_clear it) and ret_method the method used.
 *   EID_EINVAL  invalid_request: several methods at once, an assertion
 *               without its type (or of another type), a body client_id
 *               that differs from the one the credentials name
 *   EID_EAUTH   invalid_client: no credentials, unknown or disabled
 *               client, another method than the registered one, a wrong
 *               secret, an assertion that does not verify (wrong key,
 *               expired, replayed jti, wrong audience)
 * and errors of the store.  err gets the OAuth error and a description. */
int eid_client_authenticate(const struct eid_client_auth_env *env,
			    const struct eid_client_credentials *cr,
			    struct eid_client *ret_client,
			    enum eid_client_auth *ret_method,
			    struct eid_oauth_error *err);

#endif
