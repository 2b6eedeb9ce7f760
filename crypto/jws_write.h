/* A compact JWS written and signed directly: the protected header as JSON
 * text of our own, the payload as the caller's bytes, the signature from
 * OpenSSL over "b64(header).b64(payload)".  No cjose, no jansson: on the
 * token endpoint cjose's header object, its JSON round trip and its
 * per-call digest lookup cost a fifth of what the ES256 signature itself
 * costs (docs/performance.md). */
#ifndef EID_JWS_WRITE_H
#define EID_JWS_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"
#include "crypto/keys.h"

/* Append the JWS signature over the len bytes at input to sig: for an EC
 * key JOSE's fixed-size R || S (RFC 7518 3.4), for RSA the signature as it
 * is.  A key held in memory signs with a copy of its prepared context
 * (eid_key_sign_ctx), OpenSSL choosing a fresh random nonce per ECDSA
 * signature as always; a key in a token signs through EVP_DigestSign under
 * the token's lock.  EID_EINVAL for a key without its private half. */
int eid_jws_signature(const eid_key *key, const void *input, size_t len,
		      eid_buf *sig);

/* Append the protected header {"alg":"...","kid":"...","typ":"..."} to out
 * (typ left out when NULL), the same text eid_json_write gives for that
 * object. */
int eid_jws_header(const eid_key *key, const char *typ, eid_buf *out);

/* b64url(header) "." b64url(payload) "." b64url(signature), malloc'd and
 * NUL-terminated in ret_compact.  header is the protected header's JSON
 * text, payload the payload's bytes (each up to EID_JWS_PART_MAX). */
#define EID_JWS_PART_MAX (64u * 1024)
int eid_jws_compact(const eid_key *key, const void *header, size_t hlen,
		    const void *payload, size_t plen, char **ret_compact);

/* eid_jws_header and eid_jws_compact together: what a token endpoint
 * needs once it has written its claims. */
int eid_jws_sign_payload(const eid_key *key, const char *typ,
			 const void *payload, size_t plen,
			 char **ret_compact);

#endif
