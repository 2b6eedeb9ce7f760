/* The OCSP responder core (RFC 6960) for the citizen signing CA: bytes of
 * an OCSPRequest in, bytes of an OCSPResponse out, so the HTTP layer only
 * moves them (POST /ca/ocsp).  Responses are signed by the CA itself (no
 * delegated responder), identified by key hash, with the request's nonce
 * echoed when it has one. */
#ifndef EID_OCSP_H
#define EID_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"
#include "idp/ca.h"
#include "idp/store.h"

/* Largest request parsed, and most certificates asked about in one. */
#define EID_OCSP_REQUEST_MAX (16u * 1024)
#define EID_OCSP_MAX_IDS 32
/* nextUpdate = thisUpdate + this: how long a relying party may cache. */
#define EID_OCSP_VALIDITY 3600u

/* Append a DER OCSPResponse to ret_response and return EID_OK for every
 * request, good or bad: a request that does not parse (or is too big, or
 * asks about nothing or too much) gets malformedRequest.  Each CertID is
 * answered good, revoked (time and reason) or unknown (another issuer, a
 * hash we do not know, a serial we never issued), with thisUpdate now.
 * Errors only when the answer cannot be built (EID_ESTATE for a
 * public-only CA, EID_ENOMEM, EID_ECRYPTO, store errors). */
int eid_ocsp_respond(eid_store *s, const eid_ca *ca, const uint8_t *req,
		     size_t len, uint64_t now, eid_buf *ret_response);

#endif
