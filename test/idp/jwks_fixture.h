/* A JWK Set of one new P-256 public key, for the client and JWKS tests. */
#ifndef EID_TEST_JWKS_FIXTURE_H
#define EID_TEST_JWKS_FIXTURE_H

#include <stdbool.h>

/* Compact JSON (free() it).  kid and use may be NULL (the key's own kid,
 * no use); with_private adds a "d" member. */
char *jwks_fixture_one_key(const char *kid, const char *use,
			   bool with_private);

#endif
