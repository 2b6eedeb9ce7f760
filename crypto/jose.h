/* JWS compact serialization (signed through crypto/jws_write.h, verified
 * with OpenSSL behind a strict parser of our own) and the small JOSE
 * helpers everyone needs. */
#ifndef EID_JOSE_H
#define EID_JOSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "crypto/keys.h"

/* Hard cap on a compact JWS we are asked to verify. */
#define EID_JWS_MAX 16384

/* Sign claims with key: protected header {alg, kid, typ} (typ left out when
 * NULL), payload the compact JSON of claims.  ret_compact is malloc'd. */
int eid_jws_sign(const eid_key *key, const char *typ, const json_t *claims,
		 char **ret_compact);
/* The same with more protected-header members (extra_header: an object
 * or NULL), e.g. the "jwk" of a DPoP proof.  EID_EINVAL when extra_header
 * is not an object or names alg, kid or typ. */
int eid_jws_sign_ex(const eid_key *key, const char *typ,
		    const json_t *extra_header, const json_t *claims,
		    char **ret_compact);

/* Verify a compact JWS of len bytes (no NUL needed) and return its
 * protected header and claims (a JSON object), each a new reference.
 * Keys are chosen by the header's kid, or all are tried without one.
 *   EID_ETOOBIG      len > EID_JWS_MAX
 *   EID_EMALFORMED   not three base64url parts, header or payload not a
 *                    JSON object, alg missing or not a string
 *   EID_EUNSUPPORTED header alg not in allowed_algs (a NULL-terminated list
 *                    of names; "none" and HS* are refused whatever it
 *                    says), or a "crit" header we do not understand
 *   EID_ENOTFOUND    no key has the header's kid
 *   EID_EMISMATCH    the header alg does not fit the selected key
 *                    (algorithm confusion)
 *   EID_EVERIFY      bad signature
 * ret_header may be NULL. */
int eid_jws_verify(const char *compact, size_t len,
		   const eid_key *const *keys, size_t nkeys,
		   const char *const *allowed_algs, json_t **ret_header,
		   json_t **ret_claims);

/* base64url without padding, appended to out. */
int eid_b64url_encode(const void *p, size_t n, eid_buf *out);
/* base64url of n bytes into ret as a NUL-terminated string; EID_ETOOBIG
 * when it does not fit in retsize (EID_B64URL_LEN(n) + 1 bytes do). */
#define EID_B64URL_LEN(n) (((n) * 4 + 2) / 3)
int eid_b64url_encode_str(const void *p, size_t n, char *ret,
			  size_t retsize);
/* Strict base64url decode appended to out: the URL-safe alphabet only, no
 * padding, no whitespace, no length of 4k+1, unused trailing bits zero (so
 * every value has exactly one encoding).  EID_EMALFORMED otherwise. */
int eid_b64url_decode(const char *s, size_t n, eid_buf *out);
/* Standard base64 (RFC 4648 4, '+' '/' and '=' padding), appended to out;
 * the decoder is as strict as eid_b64url_decode (no whitespace, padding
 * required, one encoding per value). */
int eid_b64_encode(const void *p, size_t n, eid_buf *out);
int eid_b64_decode(const char *s, size_t n, eid_buf *out);

/* Copy every member of src (an object, or NULL: nothing) into the object
 * dst.  EID_EINVAL, with dst unchanged, when src is not an object or names
 * one of reserved (a NULL-terminated list, or NULL). */
int eid_json_merge(json_t *dst, const json_t *src,
		   const char *const *reserved);

int eid_sha256(const void *p, size_t n, uint8_t ret_digest[32]);

/* RFC 7638 JWK thumbprint (SHA-256) of an EC or RSA JWK, base64url, NUL
 * terminated (43 characters).  EID_EMALFORMED when required members are
 * missing, EID_EUNSUPPORTED for another kty. */
#define EID_THUMBPRINT_LEN 43
int eid_jwk_thumbprint(const json_t *jwk, char ret[EID_THUMBPRINT_LEN + 1]);

/* OIDC Core 3.1.3.6 at_hash / c_hash: base64url of the left half of the
 * hash of token under alg's digest, appended to out. */
int eid_oidc_hash_half(eid_alg alg, const char *token, eid_buf *out);

#endif
