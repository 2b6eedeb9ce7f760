/* Key agreement for PACE and Chip Authentication (ICAO 9303 Part 11,
 * sections 4.4 and 6.2): ECDH and DH worked at the level of group
 * elements.  PACE's generic mapping needs the shared point H itself (G' =
 * s*G + H), and a domain whose generator is G', neither of which
 * EVP_PKEY_derive offers; so both protocols share these few operations on
 * OpenSSL's EC_POINT and BIGNUM arithmetic.
 *
 * Encodings are the ones the protocols put on the wire: an EC public key
 * is the uncompressed point 04 || x || y, a DH public key the group element
 * big-endian over the length of p; the ECDH shared secret is x alone, the
 * DH one the whole element. */
#ifndef EID_KA_H
#define EID_KA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/buf.h"

/* The largest encoded element: 04 || x || y on P-521 is 133 bytes; a
 * 2048-bit DH element 256 bytes.  Our cap leaves room for 4096-bit DH. */
#define EID_KA_ELEMENT_MAX 512

/* Randomness for private keys and nonces; tests replay published values.
 * NULL wherever one is taken means the CSPRNG. */
typedef int (*eid_ka_random_fn)(void *ctx, uint8_t *p, size_t n);

/* Draw n bytes from rnd, or from the CSPRNG when rnd is NULL. */
int eid_ka_random(eid_ka_random_fn rnd, void *ctx, uint8_t *p, size_t n);

/* A domain: an EC group or a DH group (p, q, g). */
typedef struct eid_ka eid_ka;

/* ICAO standardized domain parameters (Part 11, 9.5.1): 0 to 2 the
 * RFC 5114 DH groups, 8 to 18 the NIST and brainpool curves.
 * EID_EUNSUPPORTED for any other id. */
int eid_ka_new_standard(int param_id, eid_ka **ret_ka);
/* The domain of an EC or DH key (named or explicit parameters). */
int eid_ka_new_from_pkey(EVP_PKEY *key, eid_ka **ret_ka);
void eid_ka_free(eid_ka *ka);

bool eid_ka_is_ec(const eid_ka *ka);
/* Bytes of an encoded public key / of the shared secret. */
size_t eid_ka_public_len(const eid_ka *ka);
size_t eid_ka_secret_len(const eid_ka *ka);
/* The generator, encoded as a public key. */
int eid_ka_generator(const eid_ka *ka, eid_buf *out);

/* A key pair: the private scalar (wiped on free) and its public key. */
typedef struct eid_ka_key eid_ka_key;

/* A fresh key: the private scalar is drawn as many bytes as the group
 * order (q for DH, p when q is unknown) and redrawn when 0 or too large,
 * so a test feeding a published private key gets exactly that key. */
int eid_ka_keygen(const eid_ka *ka, eid_ka_random_fn rnd, void *rnd_ctx,
		  eid_ka_key **ret_key);
/* The key pair held by a private EVP_PKEY (the chip's static CA key),
 * taken into ka (its own domain). */
int eid_ka_key_from_pkey(const eid_ka *ka, EVP_PKEY *key,
			 eid_ka_key **ret_key);
void eid_ka_key_free(eid_ka_key *k);
/* The encoded public key, borrowed from k. */
const uint8_t *eid_ka_key_public(const eid_ka_key *k, size_t *ret_len);

/* The encoded public key of a (public) EVP_PKEY in ka. */
int eid_ka_pkey_public(const eid_ka *ka, EVP_PKEY *key, eid_buf *out);

/* The shared element k * peer (EC) or peer ^ k (DH), encoded as a public
 * key; the shared secret, which is its x-coordinate for ECDH.  The peer's
 * key must be a valid element of the group (on the curve, not the point at
 * infinity; 1 < y < p - 1 and, when q is known, y^q = 1): EID_EVERIFY
 * otherwise. */
int eid_ka_shared_element(const eid_ka *ka, const eid_ka_key *k,
			  const uint8_t *peer, size_t n, eid_buf *out);
int eid_ka_shared_secret(const eid_ka *ka, const eid_ka_key *k,
			 const uint8_t *peer, size_t n, eid_buf *out);

/* PACE generic mapping: the domain of ka with the generator s*G + H (EC)
 * or g^s * h (DH), H the encoded shared element of the mapping step. */
int eid_ka_map_generic(const eid_ka *ka, const uint8_t *s, size_t slen,
		       const uint8_t *h, size_t hlen, eid_ka **ret_ka);

#endif
