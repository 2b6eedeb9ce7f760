/* A cmocka group fixture shared by test_keys and test_jose: one signing key
 * per alg, generated once per group because RSA-3072 generation is slow. */
#ifndef EID_TEST_KEY_FIXTURE_H
#define EID_TEST_KEY_FIXTURE_H

#include "crypto/keys.h"

struct fixture {
	eid_key *keys[3]; /* in the order of fixture_algs */
};

extern const eid_alg fixture_algs[3]; /* ES256, RS256, PS256 */

int fixture_setup(void **state);
int fixture_teardown(void **state);

#endif
