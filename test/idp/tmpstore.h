/* A store in a fresh directory under /tmp, for tests; removed on close. */
#ifndef EID_TEST_TMPSTORE_H
#define EID_TEST_TMPSTORE_H

#include <stdint.h>

#include "idp/store.h"

struct tmpstore {
	char dir[64];
	eid_store *store;
};

/* The clock of stores opened by tmpstore_setup: 2025-06-01T00:00:00Z. */
#define TMPSTORE_NOW INT64_C(1748736000)

/* The clock of tmpstore_setup's stores: always TMPSTORE_NOW. */
uint64_t tmpstore_fixed_clock(void *arg);

/* cmocka setup/teardown: *state becomes a struct tmpstore. */
int tmpstore_setup(void **state);
int tmpstore_teardown(void **state);

/* The same for a fixture made by a group setup whose first member is a
 * struct tmpstore: a fresh store (fixed clock) per test. */
int tmpstore_member_setup(void **state);
int tmpstore_member_teardown(void **state);

/* now may be NULL (the real clock).  Fails the test on error. */
void tmpstore_open(struct tmpstore *ts, uint64_t (*now)(void *arg));
void tmpstore_close(struct tmpstore *ts);

#endif
