/* A software WebAuthn authenticator for tests: real keys (OpenSSL), real
 * CBOR (libcbor's encoder), real signatures, so the verifier is tested
 * against the bytes an authenticator would send. */
#ifndef EID_TEST_WA_AUTHENTICATOR_H
#define EID_TEST_WA_AUTHENTICATOR_H

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/buf.h"

enum wa_fmt { WA_NONE, WA_PACKED_SELF, WA_PACKED_X5C };

struct wa_auth {
	EVP_PKEY *key;       /* the credential key */
	int alg;             /* -7 or -257 */
	uint8_t cred_id[32];
	uint8_t aaguid[16];
	uint32_t count;      /* bumped by each assertion */
	EVP_PKEY *att_key;   /* the attestation key (x5c) */
	X509 *att_cert;
};

/* A new credential (alg -7 or -257) with a random id; the x5c key and
 * certificate (ES256, OU "Authenticator Attestation" unless ou given,
 * with the AAGUID extension).  0 on success. */
int wa_auth_new(struct wa_auth *a, int alg, const char *ou);
void wa_auth_free(struct wa_auth *a);

/* clientDataJSON. */
int wa_client_data(eid_buf *out, const char *type, const uint8_t *challenge,
		   size_t n, const char *origin);
/* Authenticator data for rp_id with flags (AT adds the credential). */
int wa_auth_data(const struct wa_auth *a, const char *rp_id, uint8_t flags,
		 eid_buf *out);
/* The attestation object of a registration. */
int wa_attestation(const struct wa_auth *a, enum wa_fmt fmt,
		   const char *rp_id, uint8_t flags, const eid_buf *client_data,
		   eid_buf *out);
/* An assertion: authenticator data (count bumped first) and signature. */
int wa_assertion(struct wa_auth *a, const char *rp_id, uint8_t flags,
		 const eid_buf *client_data, eid_buf *ret_auth_data,
		 eid_buf *ret_sig);

#endif
