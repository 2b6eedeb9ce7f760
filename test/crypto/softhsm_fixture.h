/* A throw-away SoftHSM2 token for tests: its own token directory and
 * softhsm2.conf under a temporary directory (SOFTHSM2_CONF points there),
 * initialised with softhsm2-util, and a 0600 PIN file. */
#ifndef EID_TEST_SOFTHSM_FIXTURE_H
#define EID_TEST_SOFTHSM_FIXTURE_H

#include <limits.h>
#include <stdbool.h>

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define SOFTHSM_LABEL "eid-test"
#define SOFTHSM_PIN "314159"

struct softhsm {
	char dir[64];
	char pin_file[PATH_MAX];
	char bad_pin_file[PATH_MAX]; /* a wrong PIN, 0600 */
};

/* True when softhsm2 is installed (the module and softhsm2-util). */
bool softhsm_available(void);
/* Make the token; false on any failure. */
bool softhsm_setup(struct softhsm *h);
/* Remove the directory. */
void softhsm_teardown(struct softhsm *h);

#endif
