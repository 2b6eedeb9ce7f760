/* Reading the claims of JWTs from outside (DPoP proofs, client
 * assertions, our own access tokens) strictly, and remembering a jti that
 * may be used only once. */
#ifndef EID_JWT_H
#define EID_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/store.h"

/* The string member name of o, 1..max bytes with no NUL inside, borrowed
 * from o.  An absent member is EID_OK with *ret NULL unless required,
 * then EID_EMALFORMED; a member of another type or size is
 * EID_EMALFORMED. */
int eid_jwt_str(const json_t *o, const char *name, size_t max, bool required,
		const char **ret);

/* A NumericDate member: a non-negative JSON integer (fractions are
 * refused).  Absent: EID_OK with *ret_present false unless required
 * (EID_EMALFORMED); ret_present may be NULL. */
int eid_jwt_time(const json_t *o, const char *name, bool required,
		 uint64_t *ret, bool *ret_present);

/* Record that jti was used within scope (a key thumbprint, a client id),
 * until expires_at.  Only a hash of tag, scope and jti is stored, in the
 * "jti" namespace.  EID_EREPLAY when it was recorded before. */
int eid_jwt_jti_once(eid_store *s, uint8_t tag, const char *scope,
		     const char *jti, uint64_t expires_at);

#endif
