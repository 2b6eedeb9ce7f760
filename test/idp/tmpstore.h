/* A store in a fresh directory under /tmp, for tests; removed on close. */
#ifndef EID_TEST_TMPSTORE_H
#define EID_TEST_TMPSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"
#include "idp/accounts.h"
#include "idp/registry.h"
#include "idp/store.h"

struct tmpstore {
	char dir[64];
	eid_store *store;
	eid_registry reg; /* the store's local registry table */
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

/* A clock tests move: tmpstore_movable_clock reads tmpstore_clock_now
 * (set it to TMPSTORE_NOW in setup). */
extern int64_t tmpstore_clock_now;
uint64_t tmpstore_movable_clock(void *arg);

/* Argon2 at its cheapest (64 KiB, one pass) and the shipped lockout
 * defaults: tests check behaviour, not cost. */
void tmpstore_test_policy(struct eid_account_policy *pol);

/* Add a registry record given as citizen JSON.  Fails the test on error. */
void tmpstore_put_citizen(eid_store *s, const char *json);

/* A store on the movable clock (reset to TMPSTORE_NOW) with the test
 * policy, as cmocka setup/teardown: *state becomes a struct tmpstore_pol. */
struct tmpstore_pol {
	struct tmpstore ts;
	struct eid_account_policy pol;
};
int tmpstore_pol_setup(void **state);
int tmpstore_pol_teardown(void **state);

/* Commit t when r is EID_OK (failing the test if the commit fails), abort
 * it otherwise; returns r. */
int tmpstore_settle(eid_txn *t, int r);

/* Copy the text in why (empty when there is none) into out. */
void tmpstore_why(eid_buf *why, char *out, size_t cap);

#endif
