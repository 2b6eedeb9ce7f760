/* The OIDC "sub" of a citizen for a client: never the personal ID number
 * itself (that is released only through the citizen scope), and for
 * pairwise clients different per sector, so two relying parties cannot
 * link their users without the ID number.
 *
 *   public    base64url(HMAC-SHA256(key, "public|" || personal_id))
 *   pairwise  base64url(HMAC-SHA256(key, "pairwise|" || sector || "|" ||
 *                                        personal_id))
 *
 * The key is derived from the KEK (HKDF-SHA256, info "eid subject v1")
 * rather than kept as random bytes in the store: a copy of the store alone
 * then cannot map subjects back to ID numbers (the ID space is small
 * enough to enumerate), and every eidd node derives the same key with no
 * shared state.  The price: a new KEK changes every subject, so a KEK
 * rotation must keep the old KEK for this derivation.  No reverse lookup
 * is needed: the grants keep the personal ID. */
#ifndef EID_SUBJECT_H
#define EID_SUBJECT_H

#include <stdint.h>

#include "idp/clients.h"

#define EID_SUBJECT_KEY_LEN 32
#define EID_SUBJECT_LEN 43 /* base64url of 32 bytes */

int eid_subject_key_derive(const uint8_t kek[32],
			   uint8_t ret_key[EID_SUBJECT_KEY_LEN]);

/* The subject of personal_id (12 digits) for client, NUL-terminated.
 * EID_EINVAL for a pairwise client without a sector or a bad ID. */
int eid_subject_for(const struct eid_client *client, const char *personal_id,
		    const uint8_t key[EID_SUBJECT_KEY_LEN],
		    char ret_sub[EID_SUBJECT_LEN + 1]);

#endif
