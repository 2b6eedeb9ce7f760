/* ES256 JWS signing and verifying rate over about a second each, on one
 * thread: run with `meson test --benchmark`.  Both the wall-clock rate and
 * the rate per second of CPU time are printed: on a shared machine the
 * second is the one to compare with `openssl speed`, which counts CPU time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/keys.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void report(const char *what, long n, double wall, double cpu_s)
{
	printf("%s: %.0f/s wall, %.0f/s per CPU second (%ld in %.2f s)\n",
	       what, n / wall, n / cpu_s, n, wall);
}

static int bench_sign(const eid_key *key, const json_t *claims, char **last)
{
	double start = now(), c0 = cpu(), t;
	long n = 0;

	do {
		for (int i = 0; i < 256; i++, n++) {
			free(*last);
			*last = NULL;
			if (eid_jws_sign(key, "at+jwt", claims, last) != EID_OK)
				return 1;
		}
		t = now() - start;
	} while (t < 1.0);
	report("jws-sign ES256 signs", n, t, cpu() - c0);
	return 0;
}

static int bench_verify(const eid_key *key, const char *jws)
{
	static const char *const algs[] = { "ES256", NULL };
	double start = now(), c0 = cpu(), t;
	size_t len = strlen(jws);
	json_t *claims;
	long n = 0;

	do {
		for (int i = 0; i < 256; i++, n++) {
			if (eid_jws_verify(jws, len, &key, 1, algs, NULL,
					   &claims) != EID_OK)
				return 1;
			json_decref(claims);
		}
		t = now() - start;
	} while (t < 1.0);
	report("jws-verify ES256 verifies", n, t, cpu() - c0);
	return 0;
}

int main(void)
{
	json_t *claims = json_pack("{s:s,s:s,s:s,s:i,s:i,s:s}", "iss",
				   "https://id.example.vn", "sub",
				   "c1f3b0a2-7d7e-4a53-9b0e-2f6f1b7c9d10", "aud",
				   "rp-123", "iat", 1700000000, "exp",
				   1700000300, "scope", "openid profile");
	eid_key *key = NULL;
	char *jws = NULL;
	int r = 1;

	if (claims == NULL || eid_key_generate(EID_ALG_ES256, &key) != EID_OK)
		goto out;
	r = bench_sign(key, claims, &jws) || bench_verify(key, jws);
out:
	free(jws);
	eid_key_free(key);
	json_decref(claims);
	return r;
}
