/* Password-login overhead: eid_account_authenticate (a successful login
 * of an account with the shipped [passwords] Argon2id cost, on a store
 * with the real clock, its durable commit included) against
 * argon2id_hash_raw with the same parameters, and eid_password_verify,
 * in rotating order in the same run.  Prints one line: mean CPU time per
 * call of each and the login's overhead over the hash in CPU time (the
 * cost), then the wall-time medians and their overhead (on a shared
 * machine mostly the scheduler's share), page faults per login and how
 * many Argon2 computations a login did besides the hash's.  BENCH_ROUNDS
 * (1-15, default 15) for a short run under callgrind.  The target of
 * issue 8: overhead under 20% of the hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <argon2.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/config.h"
#include "idp/password.h"
#include "test/idp/tmpstore.h"

#define ROUNDS_MAX 15
#define PERSON "001090012345"
#define PASSWORD "a quiet river at dawn"

static unsigned argon2_calls;

static void count_argon2(void *arg)
{
	(void)arg;
	argon2_calls++;
}

static long faults[3];
static double cpu[3];

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int time_login(struct tmpstore *ts, const struct eid_account_policy *pol,
		      double *ret)
{
	struct eid_account a;
	double t0 = now_us();
	int r = eid_account_authenticate(ts->store, &ts->reg, pol, PERSON,
					 PASSWORD,
					 "127.0.0.1", (int64_t)time(NULL), &a,
					 NULL);

	*ret = now_us() - t0;
	if (r != EID_OK) {
		fprintf(stderr, "login: %s\n", eid_strerror(r));
		return -1;
	}
	eid_account_clear(&a);
	return 0;
}

static int time_hash(const struct eid_account_policy *pol, double *ret)
{
	static const uint8_t salt[16] = { 1, 2, 3, 4, 5, 6, 7, 8,
					  9, 10, 11, 12, 13, 14, 15, 16 };
	uint8_t out[32];
	double t0 = now_us();
	int r = argon2id_hash_raw(pol->password.iterations,
				  pol->password.memory_kib,
				  pol->password.parallelism, PASSWORD,
				  strlen(PASSWORD), salt, sizeof(salt), out,
				  sizeof(out));

	*ret = now_us() - t0;
	return r == ARGON2_OK ? 0 : -1;
}

static int time_verify(const struct eid_account_policy *pol, const char *phc,
		       double *ret)
{
	double t0 = now_us();
	int r = eid_password_verify(&pol->password, phc, PASSWORD,
				    strlen(PASSWORD));

	*ret = now_us() - t0;
	return r == EID_OK ? 0 : -1;
}

int main(void)
{
	static const char citizen[] =
		"{\"personal_id\":\"" PERSON "\",\"full_name\":\"Nguyễn Văn An\","
		"\"birthdate\":\"1990-03-15\",\"sex\":\"male\","
		"\"card_issued\":\"2021-04-10\",\"card_expires\":\"2040-03-15\"}";
	struct eid_account_new n = { .personal_id = PERSON,
				     .phone = "+84912345678",
				     .password = PASSWORD };
	struct eid_account_policy pol;
	struct eid_config cfg;
	struct tmpstore ts;
	double login[ROUNDS_MAX], hash[ROUNDS_MAX], verify[ROUNDS_MAX];
	const char *env = getenv("BENCH_ROUNDS");
	int ROUNDS = env != NULL && atoi(env) > 0 && atoi(env) <= ROUNDS_MAX ?
		     atoi(env) : ROUNDS_MAX;
	char phc[EID_PASSWORD_PHC_MAX + 1];
	eid_txn *t = NULL;
	int r;

	if (eid_config_defaults(&cfg) != EID_OK)
		return 1;
	eid_account_policy_from_config(&cfg, &pol);
	pol.password.on_argon2 = count_argon2;
	tmpstore_open(&ts, NULL);
	tmpstore_put_citizen(ts.store, citizen);
	if ((r = eid_store_begin(ts.store, true, &t)) != EID_OK ||
	    (r = eid_account_create(t, &pol, &n, (int64_t)time(NULL),
				    "operator:bench", NULL)) != EID_OK ||
	    (r = eid_txn_commit(t)) != EID_OK) {
		fprintf(stderr, "account: %s\n", eid_strerror(r));
		return 1;
	}
	if (eid_password_hash(&pol.password, PASSWORD, strlen(PASSWORD),
			      phc) != EID_OK)
		return 1;
	argon2_calls = 0;
	/* The three in a rotating order, so none always runs on the memory
	 * the one before it left. */
	for (int i = 0; i < ROUNDS; i++) {
		for (int k = 0; k < 3; k++) {
			int w = (i + k) % 3;
			long f0 = minflt();
			double c0 = cpu_us();

			if ((w == 0 && time_login(&ts, &pol, &login[i]) != 0) ||
			    (w == 1 && time_hash(&pol, &hash[i]) != 0) ||
			    (w == 2 && time_verify(&pol, phc, &verify[i]) != 0))
				return 1;
			faults[w] += minflt() - f0;
			cpu[w] += cpu_us() - c0;
		}
	}
	double l = median(login, ROUNDS), h = median(hash, ROUNDS);
	double v = median(verify, ROUNDS);
	double cl = cpu[0] / ROUNDS, ch = cpu[1] / ROUNDS;
	/* The cost is CPU time: on a shared machine the wall time mostly
	 * measures the scheduler. */
	printf("password_login cpu_login_us=%.0f cpu_hash_us=%.0f "
	       "cpu_verify_us=%.0f overhead_pct=%.1f wall_login_us=%.0f "
	       "wall_hash_us=%.0f wall_verify_us=%.0f wall_overhead_pct=%.1f "
	       "faults_per_login=%ld rounds=%d argon2_per_login=%.1f "
	       "m=%u t=%u p=%u\n",
	       cl, ch, cpu[2] / ROUNDS, 100.0 * (cl - ch) / ch, l, h, v,
	       100.0 * (l - h) / h, faults[0] / ROUNDS, ROUNDS,
	       (double)(argon2_calls - ROUNDS) / ROUNDS,
	       pol.password.memory_kib, pol.password.iterations,
	       pol.password.parallelism);
	tmpstore_close(&ts);
	eid_config_free(&cfg);
	return 0;
}
