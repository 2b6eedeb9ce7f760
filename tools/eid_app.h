/* eid-app, the command-line citizen app: shared parts. */
#ifndef EID_TOOLS_EID_APP_H
#define EID_TOOLS_EID_APP_H

#include <stdbool.h>

#include <jansson.h>

#include "crypto/keys.h"

/* Encrypt key under pin (aad: bound to the ciphertext); *ret the "key"
 * member of the state file. */
int eid_app_key_seal(const eid_key *key, const char *pin, const char *aad,
		     json_t **ret);
/* EID_EVERIFY for a wrong PIN or an altered file. */
int eid_app_key_unseal(const json_t *sealed, const char *pin, const char *aad,
		       eid_key **ret);

#endif
