/* Token-signing keys: generation, sealed storage under a key-encryption key
 * (KEK), public JWK export, and public keys loaded from outside JWKs.
 * Pure crypto: the store persists sealed blobs, this module never touches
 * disk except for the KEK file. */
#ifndef EID_KEYS_H
#define EID_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjose/jwk.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "crypto/buf.h"

/* JWS algorithms we sign with (ES256, RS256, PS256) or accept from relying
 * parties (those and ES384).  Values are stored in sealed blobs: append
 * only, never renumber. */
typedef enum eid_alg {
	EID_ALG_UNSET = 0, /* a public RSA JWK without "alg": RS256 or PS256 */
	EID_ALG_ES256 = 1,
	EID_ALG_RS256 = 2,
	EID_ALG_PS256 = 3,
	EID_ALG_ES384 = 4,
} eid_alg;

/* What an algorithm means to OpenSSL. */
typedef struct eid_alg_info {
	eid_alg alg;
	const char *name;  /* "ES256" */
	bool ec;           /* EC (else RSA) */
	const char *crv;   /* JWK "crv" ("P-256"), NULL for RSA */
	size_t ec_len;     /* coordinate and scalar size, 0 for RSA */
	const char *md;    /* digest name for EVP_MD_fetch ("SHA256") */
	size_t md_len;
	bool pss;          /* RSASSA-PSS (salt = digest length) */
	bool can_sign;     /* one of ours: generate, seal, unseal */
} eid_alg_info;

/* The table entry for alg, NULL for EID_ALG_UNSET or an unknown value. */
const eid_alg_info *eid_alg_info_get(eid_alg alg);
/* EID_OK and the alg for a JOSE name; EID_EUNSUPPORTED otherwise ("none",
 * "HS256" and anything unknown). */
int eid_alg_from_name(const char *name, eid_alg *ret_alg);
/* "ES256", ...; NULL for EID_ALG_UNSET or unknown. */
const char *eid_alg_name(eid_alg alg);

typedef struct eid_key eid_key;

/* A new signing key.  ES256 uses P-256.  RS256 and PS256 use RSA-3072: NIST
 * SP 800-57 gives 3072-bit RSA the 128-bit security of P-256 and AES-128,
 * the floor for keys meant to sign beyond 2030; 2048 bits is only 112-bit.
 * EID_EUNSUPPORTED for any other alg. */
int eid_key_generate(eid_alg alg, eid_key **ret_key);
/* Wrap an outside private key (an imported CA key): EC P-256 becomes an
 * ES256 key, RSA (2048..8192 bits) an RS256 key.  pkey is up-referenced,
 * the caller keeps its own reference.  EID_EUNSUPPORTED for another type
 * or curve, EID_EINVAL for a public-only key. */
int eid_key_from_pkey(EVP_PKEY *pkey, eid_key **ret_key);
/* Safe on NULL; private material is wiped by OpenSSL and cjose. */
void eid_key_free(eid_key *key);

/* The kid: the RFC 7638 JWK thumbprint (SHA-256, base64url, 43 chars) for
 * our keys; for a relying party's JWK its own "kid" when it has one. */
const char *eid_key_kid(const eid_key *key);
eid_alg eid_key_alg(const eid_key *key);
bool eid_key_has_private(const eid_key *key);
/* Borrowed handles for crypto/jose.c; valid as long as the key. */
EVP_PKEY *eid_key_pkey(const eid_key *key);
const cjose_jwk_t *eid_key_cjose(const eid_key *key);
/* For a private key held in memory that signs one of our algorithms: a
 * context made ready to sign once (eid_alg_info's digest and padding),
 * which a signer duplicates (EVP_PKEY_CTX_dup) rather than uses, so that
 * threads never share it; and that digest.  NULL for a public key and for
 * a key in a token. */
const EVP_PKEY_CTX *eid_key_sign_ctx(const eid_key *key);
const EVP_MD *eid_key_md(const eid_key *key);
/* True when a JWS header alg may be checked with this key: equal to the
 * key's alg, or for an RSA key with EID_ALG_UNSET any RSA alg. */
bool eid_key_accepts(const eid_key *key, eid_alg alg);

/* Sealed storage.  Blob layout (version 1):
 *   u8 version (0xE1) | u8 alg | u8 kid_len | kid | 12-byte nonce |
 *   AES-256-GCM(PKCS#8 DER of the private key) | 16-byte tag
 * Every byte before the nonce is the GCM AAD, so the kid and alg are bound
 * to the key.  eid_key_seal appends to out (which the caller initialised);
 * EID_EINVAL for a public-only key. */
#define EID_KEY_SEAL_MAX 8192
int eid_key_seal(const eid_key *key, const uint8_t kek[32], eid_buf *out);
/* EID_EVERIFY for a wrong KEK or any altered byte (including a kid that
 * does not match the decrypted key); EID_EMALFORMED for a short or garbled
 * blob; EID_EUNSUPPORTED for an unknown version. */
int eid_key_unseal(const uint8_t *blob, size_t len, const uint8_t kek[32],
		   eid_key **ret_key);

/* ---- keys in a PKCS#11 token (crypto/pkcs11.h) ---- */

typedef struct eid_pkcs11 eid_pkcs11;

/* A key whose private half is an object in a token: priv is the token's
 * handle (signing goes to the token), pub its public key; both are
 * consumed, also on failure.  The key signs like any other; its sealed
 * form (eid_key_seal) is a reference record with no private material:
 *   u8 version (0xE2) | u8 alg | u8 kid_len | kid | u8 label_len | label |
 *   SubjectPublicKeyInfo DER
 * p11 must outlive the key. */
int eid_key_from_token(EVP_PKEY *priv, EVP_PKEY *pub, eid_alg alg,
		       const char *label, eid_pkcs11 *p11, eid_key **ret_key);
/* The token object's label, NULL for a key held in memory. */
const char *eid_key_token_label(const eid_key *key);
/* Around every operation with eid_key_pkey of a token key (a signature):
 * the token's mutex.  No-ops for a key held in memory. */
void eid_key_lock(const eid_key *key);
void eid_key_unlock(const eid_key *key);
/* A sealed blob of either kind: eid_key_unseal for a sealed key; for a
 * token reference the key loaded from p11 by its label, whose kid must
 * match the record's.  For a reference: EID_ESTATE when p11 is NULL (no
 * [pkcs11] configured); EID_EMISMATCH when the token has no such key, one
 * of another type, or another key under that label; EID_EPERM for an
 * extractable one. */
int eid_key_open(const uint8_t *blob, size_t len, const uint8_t kek[32],
		 eid_pkcs11 *p11, eid_key **ret_key);
/* True when blob is a token reference (no private key in the store). */
bool eid_key_blob_in_token(const uint8_t *blob, size_t len);

/* ---- keys whose private half is in another process ---- */

/* Sign a digest with the key named kid elsewhere (crypto/signer_proc.h):
 * DER ECDSA for EC, the raw signature for RSA. */
typedef int (*eid_key_sign_fn)(void *ctx, const char *kid, eid_alg alg,
			       const uint8_t *digest, size_t digest_len,
			       uint8_t *sig, size_t sig_max, size_t *ret_len);

/* A key whose private half is held by fn's owner: fwd is an EVP_PKEY
 * with the public key only that forwards its signatures (for OpenSSL's
 * X.509, CRL and OCSP code), pub the plain public key; both consumed,
 * also on failure.  The kid is pub's thumbprint; EID_EMISMATCH when it
 * differs from kid.  The key signs (eid_key_has_private is true) but
 * holds no private material, and cannot be sealed. */
int eid_key_from_remote(EVP_PKEY *fwd, EVP_PKEY *pub, eid_alg alg,
			const char *kid, eid_key_sign_fn fn, void *ctx,
			eid_key **ret_key);
/* True for such a key. */
bool eid_key_is_remote(const eid_key *key);
/* A remote key's signature over digest (EID_EINVAL for another key). */
int eid_key_sign_digest(const eid_key *key, const uint8_t *digest,
			size_t digest_len, uint8_t *sig, size_t sig_max,
			size_t *ret_len);

/* Load the 32-byte KEK.  The file, when given and present, wins over the
 * environment variable.  Accepted forms: 64 hex characters, or 43-character
 * base64url (44 with one '=' pad), each with an optional trailing newline.
 *   EID_EPERM      the file is readable or writable by group or others
 *                  (callers should say so: "chmod 600 <file>")
 *   EID_EMALFORMED any other content
 *   EID_ENOTFOUND  neither a file nor the variable is there
 *   EID_EIO        the file cannot be read or is not a regular file
 * The environment string cannot be wiped here: callers should unsetenv()
 * it once loaded. */
int eid_kek_load(const char *file, const char *env_name, uint8_t ret_kek[32]);
/* Create a new KEK file (64 hex characters and a newline), mode 0600,
 * O_CREAT|O_EXCL and fsync'd with its directory.  EID_EEXIST when the path
 * exists: a KEK is never overwritten. */
int eid_kek_generate_file(const char *path);

/* The public JWK: kty, crv/x/y or n/e, kid, alg, use "sig".  Never any
 * private member. */
int eid_key_public_jwk(const eid_key *key, json_t **ret_jwk);
/* {"keys":[...]} from n keys. */
int eid_jwks_build(const eid_key *const *keys, size_t n, json_t **ret_jwks);

/* A public key from an outside JWK (a relying party's private_key_jwt).
 * EC P-256/P-384 (point checked on the curve), RSA 2048..8192 bits.
 *   EID_EMALFORMED   not an object, members missing, of the wrong type or
 *                    badly encoded, wrong coordinate lengths, bad point
 *   EID_EINVAL       a private member (d, p, q, dp, dq, qi, oth, k)
 *   EID_EUNSUPPORTED unknown kty, crv or alg; "use" other than "sig"
 *   EID_EMISMATCH    "alg" does not fit the key type or curve */
int eid_key_from_public_jwk(const json_t *jwk, eid_key **ret_key);

#endif
