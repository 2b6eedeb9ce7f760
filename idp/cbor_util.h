/* Strict reading of CBOR (libcbor) for WebAuthn: definite lengths only,
 * nesting at most EID_CBOR_MAX_DEPTH, a map's key present at most once,
 * integers within int64.  Input is walked by our own bounded reader
 * before libcbor builds anything, so no announced count can make it
 * allocate more than the input's size allows. */
#ifndef EID_CBOR_UTIL_H
#define EID_CBOR_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

/* WebAuthn's deepest: attestation object, attStmt, x5c array, a
 * certificate; COSE keys are flat maps. */
#define EID_CBOR_MAX_DEPTH 8

/* The one item at the start of p (at most max of its n bytes) and its
 * length.  EID_ETOOBIG when it does not end within max, EID_EMALFORMED
 * for bad or indefinite-length CBOR or deeper nesting, EID_ENOMEM. */
int eid_cbor_load_prefix(const uint8_t *p, size_t n, size_t max,
			 cbor_item_t **ret, size_t *ret_len);
/* The same, the item filling all n bytes. */
int eid_cbor_load_all(const uint8_t *p, size_t n, size_t max,
		      cbor_item_t **ret);

/* An integer item's value; EID_EMALFORMED for another type or outside
 * int64. */
int eid_cbor_int(const cbor_item_t *it, int64_t *ret);
/* A definite byte string, borrowed from it. */
int eid_cbor_bytes(const cbor_item_t *it, const uint8_t **ret, size_t *ret_n);

/* The value under an integer (or text) key of map m, borrowed; NULL when
 * absent.  EID_EMALFORMED when m is no definite map or has the key twice
 * (then *ret is unchanged). */
int eid_cbor_map_find_int(const cbor_item_t *m, int64_t key,
			  cbor_item_t **ret);
int eid_cbor_map_find_str(const cbor_item_t *m, const char *key,
			  cbor_item_t **ret);
/* Required members of a given type: EID_EMALFORMED when absent. */
int eid_cbor_map_int(const cbor_item_t *m, int64_t key, int64_t *ret);
int eid_cbor_map_bytes(const cbor_item_t *m, int64_t key,
		       const uint8_t **ret, size_t *ret_n);

#endif
