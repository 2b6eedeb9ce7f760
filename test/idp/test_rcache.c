/* The record cache: hits only on the same bytes, bounded, thread-safe. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/rcache.h"
#include "tmpstore.h"

/* The decoded form of a test record: its text, and a mark that it was
 * decoded (a form copied out of the cache keeps it). */
struct form {
	char text[64];
	int decoded;
};

static unsigned decodes; /* only the single-threaded tests read it */

static int form_decode(const void *raw, size_t n, void *ret)
{
	struct form *f = ret;

	if (n >= sizeof(f->text))
		return EID_EMALFORMED;
	memcpy(f->text, raw, n);
	f->text[n] = '\0';
	f->decoded = 1;
	__atomic_add_fetch(&decodes, 1, __ATOMIC_RELAXED);
	return EID_OK;
}

static void form_clear(void *v)
{
	memset(v, 0, sizeof(struct form));
}

static const struct eid_rcache_type type = {
	.table = EID_TABLE_CONSENTS,
	.size = sizeof(struct form),
	.raw_max = 40,
	.decode = form_decode,
	.clear = form_clear,
};

static void put(eid_store *s, const char *key, const char *val)
{
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(s, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_CONSENTS, key, strlen(key),
				     val, strlen(val)), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static int get(eid_rcache *c, eid_store *s, const char *key,
	       struct form *ret)
{
	eid_txn *t = NULL;
	int r;

	assert_int_equal(eid_store_begin(s, false, &t), EID_OK);
	r = eid_rcache_get(c, t, key, strlen(key), ret);
	eid_txn_abort(t);
	return r;
}

static void test_hit_only_on_same_bytes(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_rcache_stats st;
	struct form f;
	eid_rcache *c = NULL;
	eid_txn *t = NULL;

	assert_int_equal(eid_rcache_new(&type, 16, &c), EID_OK);
	put(ts->store, "k1", "first");
	decodes = 0;
	assert_int_equal(get(c, ts->store, "k1", &f), EID_OK);
	assert_string_equal(f.text, "first");
	assert_int_equal(get(c, ts->store, "k1", &f), EID_OK);
	assert_string_equal(f.text, "first");
	assert_int_equal(decodes, 1);
	eid_rcache_stats(c, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.entries, 1);

	/* The same length, other bytes: decoded again. */
	put(ts->store, "k1", "fir5t");
	assert_int_equal(get(c, ts->store, "k1", &f), EID_OK);
	assert_string_equal(f.text, "fir5t");
	/* Another length. */
	put(ts->store, "k1", "longer now");
	assert_int_equal(get(c, ts->store, "k1", &f), EID_OK);
	assert_string_equal(f.text, "longer now");
	assert_int_equal(decodes, 3);
	eid_rcache_stats(c, &st);
	assert_int_equal(st.entries, 1); /* replaced, not added */

	/* Deleted: gone at once. */
	assert_int_equal(eid_store_begin(ts->store, true, &t), EID_OK);
	assert_int_equal(eid_txn_del(t, EID_TABLE_CONSENTS, "k1", 2), EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	assert_int_equal(get(c, ts->store, "k1", &f), EID_ENOTFOUND);
	/* A record the decoder refuses is refused every time. */
	put(ts->store, "bad", "0123456789012345678901234567890123456789"
			      "0123456789012345678901234567890123456789");
	assert_int_equal(get(c, ts->store, "bad", &f), EID_EMALFORMED);
	assert_int_equal(get(c, ts->store, "bad", &f), EID_EMALFORMED);
	eid_rcache_free(c);
}

static void test_bounded(void **state)
{
	struct tmpstore *ts = *state;
	struct eid_rcache_stats st;
	char key[16], val[32];
	struct form f;
	eid_rcache *c = NULL;

	assert_int_equal(eid_rcache_new(&type, 0, &c), EID_EINVAL);
	assert_int_equal(eid_rcache_new(&type, 6, &c), EID_OK);
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		snprintf(val, sizeof(val), "value %d", i);
		put(ts->store, key, val);
		assert_int_equal(get(c, ts->store, key, &f), EID_OK);
		assert_string_equal(f.text, val);
	}
	eid_rcache_stats(c, &st);
	assert_int_equal(st.capacity, 8); /* two sets of four */
	assert_true(st.entries <= st.capacity);
	assert_true(st.entries >= 4);
	/* Every record still reads right, kept or not. */
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		snprintf(val, sizeof(val), "value %d", i);
		assert_int_equal(get(c, ts->store, key, &f), EID_OK);
		assert_string_equal(f.text, val);
	}
	/* A record over raw_max is decoded, not kept. */
	eid_rcache_free(c);
	assert_int_equal(eid_rcache_new(&type, 4, &c), EID_OK);
	put(ts->store, "big", "a record of more than forty bytes, decoded");
	decodes = 0;
	assert_int_equal(get(c, ts->store, "big", &f), EID_OK);
	assert_int_equal(get(c, ts->store, "big", &f), EID_OK);
	assert_int_equal(decodes, 2);
	eid_rcache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	eid_rcache_free(c);
}

/* Keys up to EID_RCACHE_KEY_MAX (a client_id is up to 128 bytes) are kept;
 * longer ones are decoded every time. */
static void test_long_keys(void **state)
{
	struct tmpstore *ts = *state;
	char key[EID_RCACHE_KEY_MAX + 2];
	struct eid_rcache_stats st;
	struct form f;
	eid_rcache *c = NULL;

	assert_int_equal(eid_rcache_new(&type, 4, &c), EID_OK);
	memset(key, 'k', sizeof(key));
	key[EID_RCACHE_KEY_MAX] = '\0';
	put(ts->store, key, "long key");
	/* The same key but its last byte: another record. */
	key[EID_RCACHE_KEY_MAX - 1] = 'j';
	put(ts->store, key, "other key");
	decodes = 0;
	for (int i = 0; i < 2; i++) {
		key[EID_RCACHE_KEY_MAX - 1] = 'k';
		assert_int_equal(get(c, ts->store, key, &f), EID_OK);
		assert_string_equal(f.text, "long key");
		key[EID_RCACHE_KEY_MAX - 1] = 'j';
		assert_int_equal(get(c, ts->store, key, &f), EID_OK);
		assert_string_equal(f.text, "other key");
	}
	assert_int_equal(decodes, 2);
	eid_rcache_stats(c, &st);
	assert_int_equal(st.entries, 2);
	/* One byte longer: not kept. */
	memset(key, 'k', sizeof(key));
	key[EID_RCACHE_KEY_MAX + 1] = '\0';
	put(ts->store, key, "too long");
	assert_int_equal(get(c, ts->store, key, &f), EID_OK);
	assert_int_equal(get(c, ts->store, key, &f), EID_OK);
	assert_string_equal(f.text, "too long");
	assert_int_equal(decodes, 4);
	eid_rcache_stats(c, &st);
	assert_int_equal(st.entries, 2);
	eid_rcache_free(c);
}

/* Readers check, in their own transaction, that what the cache hands out
 * is what the store holds, while a writer changes the records and the
 * cache (smaller than the set of keys) evicts. */
#define KEYS 24
#define READS 3000
#define WRITES 300
#define READERS 4

struct shared {
	eid_store *store;
	eid_rcache *cache;
	int failures;
};

static void *reader(void *arg)
{
	struct shared *sh = arg;
	char key[16];

	for (int i = 0; i < READS; i++) {
		struct form f;
		eid_txn *t = NULL;
		eid_buf raw;
		int r;

		snprintf(key, sizeof(key), "c%d", (i * 7) % KEYS);
		if (eid_store_begin(sh->store, false, &t) != EID_OK) {
			__atomic_add_fetch(&sh->failures, 1, __ATOMIC_RELAXED);
			continue;
		}
		eid_buf_init(&raw, 64);
		r = eid_rcache_get(sh->cache, t, key, strlen(key), &f);
		if (r != EID_OK ||
		    eid_txn_get(t, EID_TABLE_CONSENTS, key, strlen(key),
				&raw) != EID_OK ||
		    raw.len != strlen(f.text) ||
		    memcmp(raw.data, f.text, raw.len) != 0 || !f.decoded)
			__atomic_add_fetch(&sh->failures, 1, __ATOMIC_RELAXED);
		eid_buf_free(&raw);
		eid_txn_abort(t);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct tmpstore *ts = *state;
	struct shared sh = { ts->store, NULL, 0 };
	struct eid_rcache_stats st;
	pthread_t th[READERS];
	char key[16], val[32];

	assert_int_equal(eid_rcache_new(&type, 8, &sh.cache), EID_OK);
	for (int k = 0; k < KEYS; k++) {
		snprintf(key, sizeof(key), "c%d", k);
		put(ts->store, key, "version 0");
	}
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &sh), 0);
	for (int w = 1; w <= WRITES; w++) {
		snprintf(key, sizeof(key), "c%d", w % KEYS);
		snprintf(val, sizeof(val), "version %d", w);
		put(ts->store, key, val);
	}
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(sh.failures, 0);
	eid_rcache_stats(sh.cache, &st);
	assert_int_equal(st.hits + st.misses, READERS * READS);
	assert_true(st.entries <= st.capacity);
	eid_rcache_free(sh.cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_only_on_same_bytes,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_bounded, tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_long_keys, tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_threads, tmpstore_setup,
						tmpstore_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
