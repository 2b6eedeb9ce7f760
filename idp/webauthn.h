/* WebAuthn Level 2 relying-party verification (W3C, sections 6.1, 7.1,
 * 7.2, 8.2, 8.7): clientDataJSON, authenticator data, the attestation
 * object with the "none" and "packed" formats, and assertions.
 *
 * Everything here is a pure function of its inputs and what the caller
 * expects: the challenge it issued, its origin and RP ID.  Storage of
 * credentials, challenges and sign counters is idp/passkeys.h's.
 *
 * Packed attestation: self attestation (no x5c, signed by the credential
 * key itself) and full attestation (x5c) are both verified, the latter
 * against the leaf certificate with the requirements of section 8.2.1.
 * The chain to an attestation root is NOT checked (no metadata service
 * is configured): ret->attestation says "packed-x5c", and nothing is
 * granted on the strength of the attestation. */
#ifndef EID_WEBAUTHN_H
#define EID_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idp/cose.h"

#define EID_WA_FLAG_UP 0x01
#define EID_WA_FLAG_UV 0x04
#define EID_WA_FLAG_BE 0x08
#define EID_WA_FLAG_BS 0x10
#define EID_WA_FLAG_AT 0x40
#define EID_WA_FLAG_ED 0x80

#define EID_WA_CHALLENGE_LEN 32
#define EID_WA_CRED_ID_MAX 1023
#define EID_WA_CLIENT_DATA_MAX 4096u
#define EID_WA_AUTH_DATA_MAX 4096u
#define EID_WA_ATT_OBJ_MAX 16384u
#define EID_WA_SIG_MAX 1024u
#define EID_WA_ORIGIN_MAX 255
#define EID_WA_ATTESTATION_MAX 15

/* What the relying party expects of a ceremony. */
struct eid_wa_expect {
	const char *rp_id;  /* "localhost", "id.gov.vn" */
	const char *origin; /* "https://id.gov.vn" */
	const uint8_t *challenge; /* the one this ceremony was given */
	size_t challenge_len;
	bool require_uv;    /* user verification (PIN, biometric) */
};

/* Parsed clientDataJSON. */
struct eid_wa_client_data {
	char type[24];        /* "webauthn.create" / "webauthn.get" */
	uint8_t challenge[64];
	size_t challenge_len;
	char origin[EID_WA_ORIGIN_MAX + 1];
	bool cross_origin;
};

/* Parsed authenticator data; cose_key points into the parsed bytes. */
struct eid_wa_auth_data {
	uint8_t rp_id_hash[32];
	uint8_t flags;
	uint32_t sign_count;
	bool attested;        /* AT: the credential follows */
	uint8_t aaguid[16];
	uint8_t cred_id[EID_WA_CRED_ID_MAX];
	size_t cred_id_len;
	const uint8_t *cose_key;
	size_t cose_key_len;
	int cose_alg;         /* EID_COSE_ES256 or EID_COSE_RS256 */
};

/* A credential that passed registration. */
struct eid_wa_credential {
	uint8_t cred_id[EID_WA_CRED_ID_MAX];
	size_t cred_id_len;
	uint8_t cose_key[EID_COSE_KEY_MAX];
	size_t cose_key_len;
	int alg;
	uint8_t flags;        /* of the registration's authenticator data */
	uint32_t sign_count;
	uint8_t aaguid[16];
	/* "none", "packed-self" or "packed-x5c" (chain not checked). */
	char attestation[EID_WA_ATTESTATION_MAX + 1];
};

/* clientDataJSON (n bytes of UTF-8 JSON).  EID_EMALFORMED for anything
 * that is not an object with string type, challenge (base64url), origin
 * and an optional boolean crossOrigin; EID_ETOOBIG past
 * EID_WA_CLIENT_DATA_MAX. */
int eid_wa_client_data_parse(const uint8_t *p, size_t n,
			     struct eid_wa_client_data *ret);

/* Authenticator data.  EID_ETRUNCATED when shorter than its parts say,
 * EID_EMALFORMED for trailing bytes without the ED flag or a bad
 * credential, EID_EUNSUPPORTED for a key we do not take. */
int eid_wa_auth_data_parse(const uint8_t *p, size_t n,
			   struct eid_wa_auth_data *ret);

/* Registration (7.1): client data of type webauthn.create for x, the
 * attestation object's authenticator data for x's RP ID with UP, UV
 * (registration always asks for it) and a credential, and its
 * attestation statement.  Errors:
 *   EID_EMALFORMED / EID_ETOOBIG / EID_ETRUNCATED  bad input
 *   EID_EMISMATCH    type, challenge, origin or RP ID hash not ours,
 *                    crossOrigin true
 *   EID_EAUTH        UP or UV missing
 *   EID_EVERIFY      attestation signature or certificate refused
 *   EID_EUNSUPPORTED another attestation format or key */
int eid_wa_register(const struct eid_wa_expect *x,
		    const uint8_t *client_data, size_t cdlen,
		    const uint8_t *att_obj, size_t aolen,
		    struct eid_wa_credential *ret);

/* Authentication (7.2) against the stored COSE key: client data of type
 * webauthn.get for x, authenticator data for x's RP ID with UP (and UV
 * when x asks), and the signature over authData || SHA-256(clientData).
 * ret_flags and ret_sign_count: the authenticator data's.  Errors as
 * eid_wa_register's; the sign counter is the caller's to judge. */
int eid_wa_assert(const struct eid_wa_expect *x, const uint8_t *cose_key,
		  size_t cklen, const uint8_t *client_data, size_t cdlen,
		  const uint8_t *auth_data, size_t adlen, const uint8_t *sig,
		  size_t slen, uint8_t *ret_flags, uint32_t *ret_sign_count);

#endif
