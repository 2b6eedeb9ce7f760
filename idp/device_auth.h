/* Authenticating the citizen app's requests with its device key.
 *
 * Every app call carries "Authorization: EID-Device <JWS>": a compact JWS
 * (alg ES256, typ "eid-device+jwt") signed with the device's private key
 * over the claims
 *   iss    the device id (at binding: the pending binding id)
 *   aud    the issuer URL followed by the path of the call
 *   iat    within EID_DEVICE_IAT_WINDOW seconds of the server's clock
 *   jti    1..64 characters, accepted once per device
 *   nonce  a server nonce from GET /api/v1/devices/nonce
 * The JWS is checked against the stored public key: without the private
 * key a captured value is worthless once used, and an ended device's key
 * is refused. */
#ifndef EID_DEVICE_AUTH_H
#define EID_DEVICE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/device.h"
#include "idp/store.h"

#define EID_DEVICE_AUTH_SCHEME "EID-Device"
#define EID_DEVICE_JWS_TYP "eid-device+jwt"
#define EID_DEVICE_IAT_WINDOW 60
#define EID_DEVICE_JTI_MAX 64
#define EID_DEVICE_NONCE_LEN 32

struct eid_device_auth_request {
	const char *aud;             /* issuer + path */
	const uint8_t *nonce_key;    /* 32 bytes */
	uint64_t now;
};

/* A nonce for now, NUL terminated (valid 2 to 4 minutes). */
int eid_device_nonce_issue(const uint8_t key[32], uint64_t now,
			   char ret_nonce[EID_DEVICE_NONCE_LEN + 1]);

/* The claims of a compact JWS, unverified: only for a JWS that
 * eid_device_auth_verify accepted, to read the claims a call binds
 * beyond the standard ones (ret: a new reference).  EID_EMALFORMED when
 * the payload is not a JSON object. */
int eid_device_jws_claims(const char *jws, size_t len, json_t **ret);

/* The unverified iss of a compact JWS (to find its key), copied into ret
 * (cap bytes).  EID_EMALFORMED when it is not a JWS with a string iss. */
int eid_device_jws_iss(const char *jws, size_t len, char *ret, size_t cap);

/* Verify jws with the public jwk for the expected iss; records the jti.
 *   EID_ETOOBIG / EID_EMALFORMED / EID_EUNSUPPORTED  a bad JWS
 *   EID_EVERIFY     bad signature (another key)
 *   EID_EMISMATCH   iss or aud differs, or typ is not ours
 *   EID_EEXPIRED    iat outside the window
 *   EID_ESTATE      nonce missing, stale or not ours
 *   EID_EREPLAY     the jti was used before */
int eid_device_auth_check(eid_store *s, const char *jws, size_t len,
			  const json_t *jwk, const char *iss,
			  const struct eid_device_auth_request *req);

/* Verify jws as a request of a bound device: the iss names an active
 * device whose key signed it.  ret gets the device.  EID_ENOTFOUND for an
 * unknown or ended device; otherwise eid_device_auth_check's answers. */
int eid_device_auth_verify(eid_store *s, const char *jws, size_t len,
			   const struct eid_device_auth_request *req,
			   struct eid_device *ret);

#endif
