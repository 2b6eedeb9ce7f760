/* Active Authentication (ICAO 9303-11 section 6.1): the chip proves that it
 * holds the private key matching DG15 by signing a challenge from the
 * terminal.  RSA cards use ISO/IEC 9796-2 digital signature scheme 1 with
 * partial message recovery; ECDSA cards return a plain R||S signature
 * (BSI TR-03111) over the challenge with the hash named in DG14.
 *
 * The verifier is for the server; the signer is the card side for the
 * virtual card and the test-card issuer. */
#ifndef EID_AA_H
#define EID_AA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/buf.h"

#define EID_AA_CHALLENGE_LEN 8
#define EID_AA_MAX_SIG 512 /* RSA-4096; ECDSA P-521 needs 132 */

/* Check a card's answer to challenge.  RSA: the trailer inside the
 * recovered message names the hash (BC = SHA-1; 33CC SHA-1, 38CC SHA-224,
 * 34CC SHA-256, 36CC SHA-384, 35CC SHA-512) and ecdsa_md is ignored.
 * ECDSA: ecdsa_md is the hash DG14 names (SHA-1/224/256/384/512); NULL
 * picks it by the curve's order size.  EID_EVERIFY when the signature does
 * not hold; EID_EUNSUPPORTED for other key types or hashes. */
int eid_aa_verify(EVP_PKEY *pub, const uint8_t challenge[EID_AA_CHALLENGE_LEN],
		  const uint8_t *sig, size_t sig_len, const EVP_MD *ecdsa_md);

/* The card side: sign challenge with key and append the signature to out.
 * RSA: ISO 9796-2 scheme 1 with a random M1, trailer BC for SHA-1 and the
 * explicit xxCC trailer for the others (the modulus must be a whole number
 * of bytes).  ECDSA: plain R||S.  md NULL means SHA-1 for RSA (what most
 * cards do) and the order-size hash for ECDSA. */
int eid_aa_sign(EVP_PKEY *key, const uint8_t challenge[EID_AA_CHALLENGE_LEN],
		const EVP_MD *md, eid_buf *out);

/* The hash of a DG14 ActiveAuthenticationInfo signatureAlgorithm
 * (ecdsa-plain-SHA1..SHA512, 0.4.0.127.0.7.1.1.4.1.1-5, dotted).
 * EID_EUNSUPPORTED for any other OID. */
int eid_aa_ecdsa_md_from_oid(const char *oid, const EVP_MD **ret_md);

#endif
