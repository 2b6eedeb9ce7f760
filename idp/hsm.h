/* The configured PKCS#11 token ([pkcs11] in the configuration), opened
 * the same way by eidd and eidctl, with one-line reasons for the operator
 * when the token or a key in it does not load. */
#ifndef EID_HSM_H
#define EID_HSM_H

#include "crypto/buf.h"
#include "crypto/pkcs11.h"
#include "idp/config.h"

/* Open the token of [pkcs11]; *ret_p11 is NULL when none is configured.
 * On failure the error code of eid_pkcs11_open, and one line saying what
 * and why appended to why. */
int eid_hsm_open(const struct eid_config *cfg, eid_pkcs11 **ret_p11,
		 eid_buf *why);

/* Why a key recorded as living in the token did not load, for the codes
 * eid_key_open returns for token references; NULL for any other code. */
const char *eid_hsm_key_why(int r);

#endif
