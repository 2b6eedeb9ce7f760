/* AES-256-GCM for small secrets kept at rest (a citizen's TOTP secret),
 * and the cipher step the signing keys' sealed blobs share.  The caller
 * picks the key (one derived from the KEK for the purpose, crypto/kdf.h)
 * and the associated data (what the secret belongs to), so a blob copied
 * to another record does not open there. */
#ifndef EID_SEAL_H
#define EID_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"

#define EID_GCM_NONCE 12
#define EID_GCM_TAG 16
#define EID_SEAL_OVERHEAD (EID_GCM_NONCE + EID_GCM_TAG)

/* AES-256-GCM over in[n] into out[n]; the tag is written when sealing and
 * checked when opening (EID_EVERIFY on mismatch). */
int eid_gcm_run(bool seal, const uint8_t key[32],
		const uint8_t nonce[EID_GCM_NONCE], const uint8_t *aad,
		size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
		uint8_t tag[EID_GCM_TAG]);

/* Append random nonce | ciphertext of pt[n] | tag to out. */
int eid_seal(const uint8_t key[32], const void *aad, size_t aadlen,
	     const uint8_t *pt, size_t n, eid_buf *out);

/* Open a blob made by eid_seal whose plaintext is exactly n bytes into
 * ret_pt[n].  EID_EMALFORMED for a blob of another length, EID_EVERIFY
 * for a wrong key, wrong associated data or any altered byte. */
int eid_unseal(const uint8_t key[32], const void *aad, size_t aadlen,
	       const uint8_t *blob, size_t len, uint8_t *ret_pt, size_t n);

#endif
