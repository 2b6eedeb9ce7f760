/* The OpenID Provider metadata (/.well-known/openid-configuration).  It
 * lists only what this server really does: each endpoint and value is
 * added here in the same change that implements it. */
#ifndef EID_DISCOVERY_H
#define EID_DISCOVERY_H

#include <jansson.h>

/* Paths of the endpoints, relative to the issuer. */
#define EID_PATH_DISCOVERY "/.well-known/openid-configuration"
#define EID_PATH_JWKS "/jwks"
#define EID_PATH_AUTHORIZE "/authorize"
#define EID_PATH_END_SESSION "/end_session"
#define EID_PATH_TOKEN "/token"
#define EID_PATH_PAR "/par"
#define EID_PATH_USERINFO "/userinfo"
#define EID_PATH_INTROSPECT "/introspect"
#define EID_PATH_REVOKE "/revoke"
#define EID_PATH_BC_AUTHORIZE "/bc-authorize"
/* RFC 8628: where devices start, and the page where citizens enter the
 * user code (and its QR code for kiosks). */
#define EID_PATH_DEVICE_AUTHORIZATION "/device_authorization"
#define EID_PATH_DEVICE "/device"
#define EID_PATH_DEVICE_QR "/device/qr.png"

/* Build the metadata for issuer (no trailing slash) whose ID tokens are
 * signed with id_token_alg ("ES256").  The caller owns the returned
 * object. */
int eid_discovery_build(const char *issuer, const char *id_token_alg,
			json_t **ret_metadata);

#endif
