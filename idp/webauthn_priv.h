/* Inside idp/webauthn*.c only. */
#ifndef EID_WEBAUTHN_PRIV_H
#define EID_WEBAUTHN_PRIV_H

#include <cbor.h>

#include "crypto/buf.h"
#include "idp/webauthn.h"

/* The attestation object: { "fmt": text, "attStmt": map, "authData":
 * bytes }; the pointers borrow from root. */
struct eid_wa_attestation {
	cbor_item_t *root;
	char fmt[16];
	cbor_item_t *stmt;
	const uint8_t *auth_data;
	size_t auth_data_len;
};

int eid_wa_attestation_parse(const uint8_t *p, size_t n,
			     struct eid_wa_attestation *ret);
void eid_wa_attestation_clear(struct eid_wa_attestation *att);
/* Verify the statement for ad; kind gets "none", "packed-self" or
 * "packed-x5c". */
int eid_wa_attestation_verify(const struct eid_wa_attestation *att,
			      const struct eid_wa_auth_data *ad,
			      const uint8_t *client_data, size_t cdlen,
			      char *kind, size_t cap);

/* The checks shared by registration and assertion. */
int eid_wa_check_client_data(const struct eid_wa_expect *x, const char *type,
			     const uint8_t *p, size_t n);
int eid_wa_check_auth_data(const struct eid_wa_expect *x,
			   const struct eid_wa_auth_data *ad, bool need_uv);
/* authData || SHA-256(clientDataJSON), what both signatures cover. */
int eid_wa_signed_data(const uint8_t *auth_data, size_t adlen,
		       const uint8_t *client_data, size_t cdlen, eid_buf *out);

#endif
