/* Throttling of password guessing, shared by citizen and officer logins:
 * per name, after max_failures consecutive failures every further attempt
 * waits base_delay, doubled with each failure up to max_delay; per source
 * address, at most per_address_max failures in a window.  Address counters
 * and the counters of names that have no account live in the short-lived
 * store (EID_EPH_COUNTERS), so every eidd node sees them. */
#ifndef EID_LOCKOUT_H
#define EID_LOCKOUT_H

#include <stdint.h>

#include "idp/store.h"

struct eid_config;

struct eid_lockout_params {
	uint32_t max_failures;
	uint64_t base_delay;         /* seconds */
	uint64_t max_delay;
	uint64_t per_address_max;
	uint64_t per_address_window; /* seconds */
};

/* The [lockout] section of the configuration. */
void eid_lockout_params_from_config(const struct eid_config *c,
				    struct eid_lockout_params *ret);

/* Seconds to wait before the next attempt after `failures` consecutive
 * failures, the last at last_failure; 0 when an attempt may be made now. */
uint64_t eid_lockout_wait(const struct eid_lockout_params *p,
			  uint64_t failures, int64_t last_failure, int64_t now);

/* EID_OK when the address (scope names the login: "citizen", "officer")
 * is under its limit; EID_ELIMIT with *wait (may be NULL) set to the
 * seconds until its window ends.  A NULL or empty address is not limited. */
int eid_lockout_address_check(eid_store *s, const struct eid_lockout_params *p,
			      const char *scope, const char *addr,
			      uint64_t *wait);
/* Count a failure from the address. */
int eid_lockout_address_fail(eid_store *s, const struct eid_lockout_params *p,
			     const char *scope, const char *addr, int64_t now);

/* Failure state of a name without an account, so that a made-up name is
 * throttled exactly like a real one (no enumeration by lockout).  Absent
 * state is 0 failures. */
int eid_lockout_name_get(eid_store *s, const char *scope, const char *name,
			 uint64_t *ret_failures, int64_t *ret_last);
int eid_lockout_name_fail(eid_store *s, const struct eid_lockout_params *p,
			  const char *scope, const char *name, int64_t now);

#endif
