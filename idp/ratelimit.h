/* Per-address request limits ([limits]): each endpoint class allows at
 * most N requests from one source address per fixed window.  Counters
 * live in the short-lived store (EID_EPH_COUNTERS), so every eidd node on
 * the same data directory shares them, and expire with their window. */
#ifndef EID_RATELIMIT_H
#define EID_RATELIMIT_H

#include <stdint.h>

#include "idp/store.h"

struct eid_config;

enum eid_rl_class {
	EID_RL_TOKEN = 0,    /* POST /token */
	EID_RL_LOGIN,        /* POST /login (citizen and officer) */
	EID_RL_REGISTRATION, /* /api/v1/registrations */
	EID_RL_CHIP,         /* /chip/... */
	EID_RL_USER_CODE,    /* user codes tried at POST /device */
	EID_RL_NCLASSES,
};

struct eid_ratelimit_params {
	uint64_t max[EID_RL_NCLASSES]; /* requests per window; 0: unlimited */
	uint64_t window;               /* seconds */
};

/* The [limits] section of the configuration. */
void eid_ratelimit_params_from_config(const struct eid_config *c,
				      struct eid_ratelimit_params *ret);

/* Count one request of class cls from addr, now (the store's clock).  EID_OK while within
 * the limit; EID_ELIMIT, with *ret_retry_after set to the seconds until
 * the window ends (at least 1), once over it.  A NULL or empty address is
 * not limited.  Store failures are returned as they are. */
int eid_ratelimit_hit(eid_store *s, const struct eid_ratelimit_params *p,
		      enum eid_rl_class cls, const char *addr,
		      uint64_t *ret_retry_after);

#endif
