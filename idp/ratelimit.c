/* Per-address request limits (idp/ratelimit.h): fixed windows counted with
 * eid_eph_incr, one key per class, window and address. */
#include "idp/ratelimit.h"

#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/config.h"

/* "rl:CLASS:WINDOW:ADDRESS" */
#define KEY_MAX 128

static const char *const class_names[EID_RL_NCLASSES] = {
	"token", "login", "registration", "chip", "user_code",
};

void eid_ratelimit_params_from_config(const struct eid_config *c,
				      struct eid_ratelimit_params *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->max[EID_RL_TOKEN] = c->limits.token;
	ret->max[EID_RL_LOGIN] = c->limits.login;
	ret->max[EID_RL_REGISTRATION] = c->limits.registration;
	ret->max[EID_RL_CHIP] = c->limits.chip;
	ret->max[EID_RL_USER_CODE] = c->limits.user_code;
	ret->window = c->limits.window;
}

int eid_ratelimit_hit(eid_store *s, const struct eid_ratelimit_params *p,
		      enum eid_rl_class cls, const char *addr,
		      uint64_t *ret_retry_after)
{
	char key[KEY_MAX];
	uint64_t now, start, count = 0;
	int n, r;

	if (s == NULL || p == NULL || (unsigned)cls >= EID_RL_NCLASSES ||
	    ret_retry_after == NULL)
		return EID_EINVAL;
	if (addr == NULL || addr[0] == '\0' || p->max[cls] == 0 ||
	    p->window == 0)
		return EID_OK;
	now = eid_store_now(s);
	start = now - now % p->window;
	n = snprintf(key, sizeof(key), "rl:%s:%llu:%s", class_names[cls],
		     (unsigned long long)start, addr);
	if (n < 0 || (size_t)n >= sizeof(key))
		return EID_ETOOBIG;
	r = eid_eph_incr(s, EID_EPH_COUNTERS, key, (size_t)n,
			 start + p->window, &count);
	if (r != EID_OK)
		return r;
	if (count <= p->max[cls])
		return EID_OK;
	*ret_retry_after = start + p->window - now;
	if (*ret_retry_after == 0)
		*ret_retry_after = 1;
	return EID_ELIMIT;
}
