#include "idp/lockout.h"

#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/config.h"

/* Keys: "addr:SCOPE:ADDRESS" and "name:SCOPE:NAME", bounded by the store's
 * key limit (an IPv6 address with a zone fits easily). */
#define KEY_MAX 256
/* A name's failure state outlives its longest delay by this much. */
#define NAME_STATE_TTL 86400u

void eid_lockout_params_from_config(const struct eid_config *c,
				    struct eid_lockout_params *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->max_failures = (uint32_t)c->lockout.max_failures;
	ret->base_delay = c->lockout.base_delay;
	ret->max_delay = c->lockout.max_delay;
	ret->per_address_max = c->lockout.per_address_max;
	ret->per_address_window = c->lockout.per_address_window;
}

uint64_t eid_lockout_wait(const struct eid_lockout_params *p,
			  uint64_t failures, int64_t last_failure, int64_t now)
{
	uint64_t delay = p->base_delay;
	int64_t until;

	if (failures < p->max_failures)
		return 0;
	for (uint64_t i = p->max_failures; i < failures && delay < p->max_delay;
	     i++)
		delay *= 2;
	if (delay > p->max_delay)
		delay = p->max_delay;
	until = last_failure + (int64_t)delay;
	return until > now ? (uint64_t)(until - now) : 0;
}

static int make_key(char out[KEY_MAX], const char *kind, const char *scope,
		    const char *name, size_t *ret_len)
{
	int n = snprintf(out, KEY_MAX, "%s:%s:%s", kind, scope, name);

	if (n < 0 || n >= KEY_MAX)
		return EID_ETOOBIG;
	*ret_len = (size_t)n;
	return EID_OK;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int eid_lockout_address_check(eid_store *s, const struct eid_lockout_params *p,
			      const char *scope, const char *addr,
			      uint64_t *wait)
{
	char key[KEY_MAX];
	uint64_t expires = 0, now = eid_store_now(s);
	size_t klen;
	eid_buf v;
	int r;

	if (addr == NULL || addr[0] == '\0')
		return EID_OK;
	if ((r = make_key(key, "addr", scope, addr, &klen)) != EID_OK)
		return r;
	eid_buf_init(&v, 8);
	r = eid_eph_get(s, EID_EPH_COUNTERS, key, klen, &v, &expires);
	if (r == EID_ENOTFOUND) {
		r = EID_OK;
	} else if (r == EID_OK && v.len == 8 &&
		   be64(v.data) >= p->per_address_max) {
		r = EID_ELIMIT;
		if (wait != NULL)
			*wait = expires > now ? expires - now : 1;
	}
	eid_buf_free(&v);
	return r;
}

int eid_lockout_address_fail(eid_store *s, const struct eid_lockout_params *p,
			     const char *scope, const char *addr, int64_t now)
{
	char key[KEY_MAX];
	uint64_t count;
	size_t klen;
	int r;

	if (addr == NULL || addr[0] == '\0')
		return EID_OK;
	if ((r = make_key(key, "addr", scope, addr, &klen)) != EID_OK)
		return r;
	return eid_eph_incr(s, EID_EPH_COUNTERS, key, klen,
			    (uint64_t)now + p->per_address_window, &count);
}

int eid_lockout_name_get(eid_store *s, const char *scope, const char *name,
			 uint64_t *ret_failures, int64_t *ret_last)
{
	char key[KEY_MAX];
	uint64_t failures = 0, last = 0;
	size_t klen;
	eid_buf v;
	int r;

	if ((r = make_key(key, "name", scope, name, &klen)) != EID_OK)
		return r;
	eid_buf_init(&v, 16);
	r = eid_eph_get(s, EID_EPH_COUNTERS, key, klen, &v, NULL);
	if (r == EID_OK && v.len == 16) {
		failures = be64(v.data);
		last = be64(v.data + 8);
	} else if (r == EID_OK) {
		r = EID_EMALFORMED;
	} else if (r == EID_ENOTFOUND) {
		r = EID_OK;
	}
	eid_buf_free(&v);
	if (r == EID_OK) {
		*ret_failures = failures;
		*ret_last = (int64_t)last;
	}
	return r;
}

int eid_lockout_name_fail(eid_store *s, const struct eid_lockout_params *p,
			  const char *scope, const char *name, int64_t now)
{
	char key[KEY_MAX];
	uint8_t v[16];
	uint64_t failures = 0;
	int64_t last = 0;
	size_t klen;
	int r;

	if ((r = eid_lockout_name_get(s, scope, name, &failures, &last)) != EID_OK ||
	    (r = make_key(key, "name", scope, name, &klen)) != EID_OK)
		return r;
	/* Not atomic with the read: two racing failures may count once,
	 * which only ever errs by one attempt. */
	put_be64(v, failures + 1);
	put_be64(v + 8, (uint64_t)now);
	return eid_eph_set(s, EID_EPH_COUNTERS, key, klen, v, sizeof(v),
			   (uint64_t)now + p->max_delay + NAME_STATE_TTL);
}
