/* The lifecycle sweep at scale: BENCH_ACCOUNTS accounts (default 100000;
 * level 2 pending activation, so no Argon2 is spent making them), one in
 * a hundred with a card that expired.  Prints the walk's wall time,
 * accounts per second, how many were locked, and the growth of the
 * process's anonymous resident memory over the walk (it must not grow
 * with the number of accounts: the walk holds one batch, never the
 * table). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/citizen.h"
#include "idp/registry.h"
#include "idp/sweep.h"
#include "test/idp/tmpstore.h"

#define BATCH 10000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Anonymous resident memory (the heap; the store's map is file-backed
 * and shows in RssFile, pages the kernel may drop at will). */
static long anon_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssAnon: %ld", &v) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return v;
}

static int fill(eid_store *s, const struct eid_account_policy *pol,
		unsigned n)
{
	char id[16], phone[16], json[320];
	eid_txn *t = NULL;
	int r = EID_OK;

	for (unsigned i = 0; r == EID_OK && i < n; i++) {
		struct eid_citizen c;
		struct eid_account_new a = { .personal_id = id, .phone = phone,
					     .level = 2 };

		if (i % BATCH == 0 && (r = eid_store_begin(s, true, &t)) != EID_OK)
			break;
		snprintf(id, sizeof(id), "001085%06u", i);
		snprintf(phone, sizeof(phone), "+8491%07u", i);
		snprintf(json, sizeof(json),
			 "{\"personal_id\":\"%s\",\"full_name\":\"Nguyễn Văn An\","
			 "\"birthdate\":\"1985-01-01\",\"sex\":\"male\","
			 "\"card_issued\":\"2015-01-01\",\"card_expires\":\"%s\"}",
			 id, i % 100 == 0 ? "2025-06-05" : "2035-06-05");
		if ((r = eid_citizen_parse_json(json, strlen(json),
					    EID_CITIZEN_NO_CLOCK, &c, NULL)) ==
			    EID_OK &&
		    (r = eid_registry_put(t, &c)) == EID_OK)
			r = eid_account_create(t, pol, &a, TMPSTORE_NOW, "bench",
					       NULL);
		if (r == EID_OK && (i % BATCH == BATCH - 1 || i == n - 1))
			r = eid_txn_commit(t);
		else if (r != EID_OK)
			eid_txn_abort(t);
	}
	return r;
}

int main(void)
{
	const char *env = getenv("BENCH_ACCOUNTS");
	unsigned n = env != NULL ? (unsigned)strtoul(env, NULL, 10) : 100000;
	struct eid_account_policy pol;
	struct eid_sweep_stats st;
	struct tmpstore ts;
	double t0, t1;
	long before, after;
	int r;

	if (n == 0 || n > 900000) {
		fprintf(stderr, "BENCH_ACCOUNTS: 1..900000\n");
		return 1;
	}
	tmpstore_open(&ts, NULL);
	tmpstore_test_policy(&pol);
	if ((r = fill(ts.store, &pol, n)) != EID_OK) {
		fprintf(stderr, "fill: %s\n", eid_strerror(r));
		return 1;
	}
	before = anon_kib();
	t0 = now_s();
	r = eid_sweep_run(ts.store, &ts.reg, NULL, 0,
			  TMPSTORE_NOW + 10 * 86400, NULL,
			  NULL, &st);
	t1 = now_s();
	after = anon_kib();
	tmpstore_close(&ts);
	if (r != EID_OK || st.scanned != n || st.locked_expired != (n + 99) / 100) {
		fprintf(stderr, "sweep: %s, scanned %" PRIu64 ", locked %" PRIu64 "\n",
			eid_strerror(r), st.scanned, st.locked_expired);
		return 1;
	}
	printf("sweep: %u accounts in %.2f s (%.0f/s), %" PRIu64
	       " locked, anonymous RSS %+ld KiB after the walk\n",
	       n, t1 - t0, n / (t1 - t0), st.locked_expired, after - before);
	return 0;
}
