/* The symmetric primitives of ICAO 9303 Part 11 secure messaging, shared
 * by BAC, secure messaging and (next) PACE: ISO 9797-1 padding method 2,
 * CBC encryption, the 8-byte MAC (retail MAC for 3DES, truncated CMAC for
 * AES) and the key derivation function of section 9.7.1. */
#ifndef EID_SMCRYPTO_H
#define EID_SMCRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"

enum eid_sm_alg {
	EID_SM_3DES, /* two-key 3DES, 16-byte keys with parity */
	EID_SM_AES,  /* AES-128, -192 or -256 by key length */
};

#define EID_SM_KEY_MAX 32
#define EID_SM_BLOCK_MAX 16
#define EID_SM_MAC_LEN 8

struct eid_symkey {
	enum eid_sm_alg alg;
	size_t len; /* 16 for 3DES; 16, 24 or 32 for AES */
	uint8_t key[EID_SM_KEY_MAX];
};

/* EID_EINVAL unless alg and len form one of the key types above. */
int eid_symkey_set(struct eid_symkey *k, enum eid_sm_alg alg,
		   const uint8_t *key, size_t len);
void eid_symkey_wipe(struct eid_symkey *k);

size_t eid_smcrypto_block(enum eid_sm_alg alg);

/* Append 80 00.. up to the next multiple of block. */
int eid_smcrypto_pad(eid_buf *b, size_t block);
/* The length of p..p+n without its method-2 padding; EID_EMALFORMED when
 * the padding is absent or longer than one block. */
int eid_smcrypto_unpad(const uint8_t *p, size_t n, size_t block,
		       size_t *ret_len);

/* CBC over n bytes (a multiple of the block size) into out (n bytes).  iv
 * NULL is the zero IV. */
int eid_smcrypto_cbc(const struct eid_symkey *k, const uint8_t *iv, bool enc,
		     const uint8_t *in, size_t n, uint8_t *out);
/* One block in ECB mode, encrypting (the AES SM IV is E(KSenc, SSC)). */
int eid_smcrypto_ecb_block(const struct eid_symkey *k, const uint8_t *in,
			   uint8_t *out);
/* The 8-byte MAC over n already padded bytes: ISO 9797-1 MAC algorithm 3
 * (retail MAC, DES) for 3DES keys, CMAC truncated to 8 bytes for AES. */
int eid_smcrypto_mac(const struct eid_symkey *k, const uint8_t *in, size_t n,
		     uint8_t out[EID_SM_MAC_LEN]);
/* ICAO KDF: H(seed || counter as 4 bytes big-endian), SHA-1 for 3DES and
 * AES-128, SHA-256 for AES-192/256, cut to the key length; 3DES keys get
 * odd parity.  counter 1 = encryption key, 2 = MAC key, 3 = PACE key. */
int eid_smcrypto_kdf(enum eid_sm_alg alg, size_t keylen, const uint8_t *seed,
		     size_t seedlen, uint32_t counter, struct eid_symkey *ret);

#endif
