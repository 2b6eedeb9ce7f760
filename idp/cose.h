/* COSE public keys (RFC 9052/9053) as WebAuthn carries them: EC2 on P-256
 * for ES256 (alg -7) and RSA for RS256 (alg -257), nothing else.  Keys
 * are stored as the CBOR bytes the authenticator sent and parsed again
 * when used, so the stored form is exactly what was attested. */
#ifndef EID_COSE_H
#define EID_COSE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define EID_COSE_ES256 (-7)
#define EID_COSE_RS256 (-257)
/* Largest COSE key accepted (a 4096-bit RSA key is about 540 bytes). */
#define EID_COSE_KEY_MAX 1024u
#define EID_COSE_RSA_MIN_BITS 2048
#define EID_COSE_RSA_MAX_BITS 4096

/* Parse the one CBOR map at p (n bytes, trailing bytes allowed): its
 * length in bytes, algorithm and public key.  EID_EMALFORMED for bad CBOR
 * or a missing/ill-typed member, EID_EUNSUPPORTED for another key type,
 * curve or algorithm, EID_ETOOBIG past EID_COSE_KEY_MAX. */
int eid_cose_key_parse(const uint8_t *p, size_t n, size_t *ret_len,
		       int *ret_alg, EVP_PKEY **ret_key);

/* Verify sig over msg with key for alg (ES256: DER ECDSA, RS256: PKCS#1
 * v1.5, both SHA-256).  EID_EVERIFY when it does not verify. */
int eid_cose_verify(EVP_PKEY *key, int alg, const uint8_t *msg, size_t mlen,
		    const uint8_t *sig, size_t slen);

#endif
