#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "crypto/error.h"
#include "idp/store.h"

/* Each test gets its own data directory and a clock it can move. */
struct fixture {
	char dir[64];
	uint64_t now;
	struct eid_store_options opt;
	eid_store *s;
};

static uint64_t fake_now(void *arg)
{
	return *(const uint64_t *)arg;
}

static int rm_cb(const char *dir, const char *sub)
{
	char p[256];
	const char *files[] = { "data.mdb", "lock.mdb" };

	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	return rmdir(p);
}

static void rm_store_dir(const char *dir)
{
	rm_cb(dir, "store");
	rm_cb(dir, "ephemeral");
	rmdir(dir);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/eid-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->now = 1000;
	f->opt.now = fake_now;
	f->opt.now_arg = &f->now;
	if (eid_store_open(f->dir, &f->opt, &f->s) != EID_OK) {
		rm_store_dir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	eid_store_close(f->s);
	rm_store_dir(f->dir);
	free(f);
	return 0;
}

static void put1(eid_store *s, enum eid_table tb, const char *k,
		 const char *v)
{
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(s, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, tb, k, strlen(k), v, strlen(v)),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
}

static int get1(eid_store *s, enum eid_table tb, const char *k, eid_buf *out)
{
	eid_txn *t = NULL;
	int r;

	assert_int_equal(eid_store_begin(s, false, &t), EID_OK);
	r = eid_txn_get(t, tb, k, strlen(k), out);
	eid_txn_abort(t);
	return r;
}

static void test_create_and_reopen(void **state)
{
	struct fixture *f = *state;
	eid_buf b;
	struct stat st;
	char p[128];

	snprintf(p, sizeof(p), "%s/store/data.mdb", f->dir);
	assert_int_equal(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/ephemeral/data.mdb", f->dir);
	assert_int_equal(stat(p, &st), 0);

	put1(f->s, EID_TABLE_ACCOUNTS, "alice", "A");
	eid_store_close(f->s);
	f->s = NULL;
	assert_int_equal(eid_store_open(f->dir, &f->opt, &f->s), EID_OK);
	eid_buf_init(&b, 16);
	assert_int_equal(get1(f->s, EID_TABLE_ACCOUNTS, "alice", &b), EID_OK);
	assert_int_equal(b.len, 1);
	assert_memory_equal(b.data, "A", 1);
	eid_buf_free(&b);

	/* Read-only open of an existing store reads but refuses writes. */
	eid_store_close(f->s);
	f->opt.read_only = true;
	assert_int_equal(eid_store_open(f->dir, &f->opt, &f->s), EID_OK);
	{
		eid_txn *t = NULL;
		eid_buf_init(&b, 16);
		assert_int_equal(eid_store_begin(f->s, true, &t), EID_EPERM);
		assert_int_equal(get1(f->s, EID_TABLE_ACCOUNTS, "alice", &b),
				 EID_OK);
		assert_int_equal(eid_eph_set(f->s, EID_EPH_CODES, "k", 1, "v",
					     1, 2000),
				 EID_EPERM);
		eid_buf_free(&b);
	}
}

static void test_schema_mismatch_refused(void **state)
{
	struct fixture *f = *state;
	const uint8_t v2[4] = { 0, 0, 0, 2 };
	eid_txn *t = NULL;

	assert_int_equal(eid_store_begin(f->s, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_META, "schema_version", 14,
				     v2, sizeof(v2)),
			 EID_OK);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	eid_store_close(f->s);
	f->s = NULL;
	assert_int_equal(eid_store_open(f->dir, &f->opt, &f->s), EID_ESCHEMA);
	assert_null(f->s);
	f->opt.read_only = true;
	assert_int_equal(eid_store_open(f->dir, &f->opt, &f->s), EID_ESCHEMA);
	/* The refused open left the store as it was. */
	assert_null(f->s);
}

/* An LMDB environment that is not a store of ours (a meta table with
 * something else in it, no schema stamp) is refused, and the refused open
 * wrote none of our tables into it: the tables and the stamp are one
 * transaction. */
static void test_foreign_env_untouched(void **state)
{
	char dir[] = "/tmp/eid-foreign-XXXXXX", sdir[64];
	MDB_val k = { 5, (void *)"owner" }, v = { 5, (void *)"other" };
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	eid_store *s = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sdir, sizeof(sdir), "%s/store", dir);
	assert_int_equal(mkdir(sdir, 0700), 0);
	assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
	assert_int_equal(mdb_env_set_maxdbs(env, 4), MDB_SUCCESS);
	assert_int_equal(mdb_env_open(env, sdir, 0, 0600), MDB_SUCCESS);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), MDB_SUCCESS);
	assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi),
			 MDB_SUCCESS);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), MDB_SUCCESS);
	assert_int_equal(mdb_txn_commit(txn), MDB_SUCCESS);
	mdb_env_close(env);

	assert_int_equal(eid_store_open(dir, NULL, &s), EID_ESCHEMA);
	assert_null(s);

	assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
	assert_int_equal(mdb_env_set_maxdbs(env, 4), MDB_SUCCESS);
	assert_int_equal(mdb_env_open(env, sdir, MDB_RDONLY, 0600),
			 MDB_SUCCESS);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn),
			 MDB_SUCCESS);
	assert_int_equal(mdb_dbi_open(txn, "accounts", 0, &dbi), MDB_NOTFOUND);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	rm_store_dir(dir);
}

static void test_get_put_insert_del(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	eid_buf b;

	eid_buf_init(&b, 64);
	assert_int_equal(eid_store_begin(f->s, true, &t), EID_OK);
	assert_int_equal(eid_txn_get(t, EID_TABLE_CLIENTS, "c1", 2, &b),
			 EID_ENOTFOUND);
	assert_int_equal(eid_txn_insert(t, EID_TABLE_CLIENTS, "c1", 2, "v1", 2),
			 EID_OK);
	assert_int_equal(eid_txn_insert(t, EID_TABLE_CLIENTS, "c1", 2, "v2", 2),
			 EID_EEXIST);
	assert_int_equal(eid_txn_put(t, EID_TABLE_CLIENTS, "c1", 2, "v3", 2),
			 EID_OK);
	assert_int_equal(eid_txn_get(t, EID_TABLE_CLIENTS, "c1", 2, &b),
			 EID_OK);
	assert_memory_equal(b.data, "v3", 2);
	/* Tables are separate namespaces. */
	assert_int_equal(eid_txn_get(t, EID_TABLE_KEYS, "c1", 2, &b),
			 EID_ENOTFOUND);
	assert_int_equal(eid_txn_del(t, EID_TABLE_CLIENTS, "c1", 2), EID_OK);
	assert_int_equal(eid_txn_del(t, EID_TABLE_CLIENTS, "c1", 2),
			 EID_ENOTFOUND);
	/* Empty values are values. */
	assert_int_equal(eid_txn_put(t, EID_TABLE_CLIENTS, "e", 1, NULL, 0),
			 EID_OK);
	eid_buf_reset(&b);
	assert_int_equal(eid_txn_get(t, EID_TABLE_CLIENTS, "e", 1, &b), EID_OK);
	assert_int_equal(b.len, 0);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	eid_buf_free(&b);
}

static void test_get_respects_buffer_cap(void **state)
{
	struct fixture *f = *state;
	eid_buf b;

	put1(f->s, EID_TABLE_GRANTS, "g", "0123456789");
	eid_buf_init(&b, 4);
	assert_int_equal(get1(f->s, EID_TABLE_GRANTS, "g", &b), EID_ETOOBIG);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
}

struct peeked {
	int calls;
	char val[16];
};

static int peek_fn(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	struct peeked *p = arg;

	assert_memory_equal(key, "g", klen);
	assert_true(vlen < sizeof(p->val));
	memcpy(p->val, val, vlen);
	p->calls++;
	return 7; /* what the visitor returns comes back */
}

static void test_peek(void **state)
{
	struct fixture *f = *state;
	struct peeked p = { 0 };
	eid_txn *t = NULL;

	put1(f->s, EID_TABLE_GRANTS, "g", "0123456789");
	assert_int_equal(eid_store_begin(f->s, false, &t), EID_OK);
	assert_int_equal(eid_txn_peek(t, EID_TABLE_GRANTS, "g", 1, peek_fn,
				      &p), 7);
	assert_int_equal(p.calls, 1);
	assert_string_equal(p.val, "0123456789");
	assert_int_equal(eid_txn_peek(t, EID_TABLE_GRANTS, "h", 1, peek_fn,
				      &p), EID_ENOTFOUND);
	assert_int_equal(p.calls, 1); /* absent: not called */
	assert_int_equal(eid_txn_peek(t, EID_TABLE_GRANTS, "g", 1, NULL, &p),
			 EID_EINVAL);
	eid_txn_abort(t);
}

static void test_abort_discards(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	eid_buf b;

	assert_int_equal(eid_store_begin(f->s, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_AUDIT, "x", 1, "y", 1),
			 EID_OK);
	eid_txn_abort(t);
	eid_txn_abort(NULL);
	eid_buf_init(&b, 8);
	assert_int_equal(get1(f->s, EID_TABLE_AUDIT, "x", &b), EID_ENOTFOUND);
	eid_buf_free(&b);
}

/* eid_txn_finish commits on EID_OK and hands back any other code,
 * having aborted. */
static void test_finish_commits_or_aborts(void **state)
{
	struct fixture *f = *state;
	eid_txn *t = NULL;
	eid_buf b;

	assert_int_equal(eid_store_begin(f->s, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_AUDIT, "x", 1, "y", 1),
			 EID_OK);
	assert_int_equal(eid_txn_finish(t, EID_EPERM), EID_EPERM);
	assert_int_equal(eid_store_begin(f->s, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_AUDIT, "z", 1, "y", 1),
			 EID_OK);
	assert_int_equal(eid_txn_finish(t, EID_OK), EID_OK);
	eid_buf_init(&b, 8);
	assert_int_equal(get1(f->s, EID_TABLE_AUDIT, "x", &b), EID_ENOTFOUND);
	assert_int_equal(get1(f->s, EID_TABLE_AUDIT, "z", &b), EID_OK);
	eid_buf_free(&b);
}

struct seen {
	char keys[8][8];
	int n;
	int stop_after;
};

static int visit(const void *key, size_t klen, const void *val, size_t vlen,
		 void *arg)
{
	struct seen *s = arg;

	if (klen >= sizeof(s->keys[0]) || s->n >= 8)
		return EID_EINTERNAL;
	memcpy(s->keys[s->n], key, klen);
	s->keys[s->n][klen] = '\0';
	s->n++;
	return s->n == s->stop_after ? 1 : EID_OK;
}

static int visit_fail(const void *key, size_t klen, const void *val,
		      size_t vlen, void *arg)
{
	return EID_EMISMATCH;
}

static void test_scan_last_count(void **state)
{
	struct fixture *f = *state;
	const char *keys[] = { "b:2", "a:1", "b:1", "c:1", "b:3" };
	struct seen seen;
	eid_txn *t = NULL;
	eid_buf k, v;
	uint64_t n = 99;

	for (size_t i = 0; i < 5; i++)
		put1(f->s, EID_TABLE_REGISTRY, keys[i], keys[i]);
	assert_int_equal(eid_store_begin(f->s, false, &t), EID_OK);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(eid_txn_scan(t, EID_TABLE_REGISTRY, "b:", 2, visit,
				      &seen),
			 EID_OK);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.keys[0], "b:1");
	assert_string_equal(seen.keys[2], "b:3");

	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 2;
	assert_int_equal(eid_txn_scan(t, EID_TABLE_REGISTRY, NULL, 0, visit,
				      &seen),
			 EID_OK);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.keys[0], "a:1");
	assert_string_equal(seen.keys[1], "b:1");

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(eid_txn_scan(t, EID_TABLE_REGISTRY, "zz", 2, visit,
				      &seen),
			 EID_OK);
	assert_int_equal(seen.n, 0);
	assert_int_equal(eid_txn_scan(t, EID_TABLE_REGISTRY, "b", 1,
				      visit_fail, NULL),
			 EID_EMISMATCH);

	eid_buf_init(&k, 16);
	eid_buf_init(&v, 16);
	assert_int_equal(eid_txn_last(t, EID_TABLE_REGISTRY, &k, &v), EID_OK);
	assert_memory_equal(k.data, "c:1", 3);
	assert_memory_equal(v.data, "c:1", 3);
	eid_buf_reset(&k);
	assert_int_equal(eid_txn_last(t, EID_TABLE_OFFICERS, &k, &v),
			 EID_ENOTFOUND);
	assert_int_equal(eid_txn_count(t, EID_TABLE_REGISTRY, &n), EID_OK);
	assert_int_equal(n, 5);
	assert_int_equal(eid_txn_count(t, EID_TABLE_OFFICERS, &n), EID_OK);
	assert_int_equal(n, 0);
	eid_txn_abort(t);
	eid_buf_free(&k);
	eid_buf_free(&v);
}

/* Resumed and backward walks: what batched sweeps and newest-first
 * listings use. */
static void test_scan_after_and_back(void **state)
{
	struct fixture *f = *state;
	const char *keys[] = { "b:2", "a:1", "b:1", "c:1", "b:3" };
	struct seen seen;
	eid_txn *t = NULL;

	for (size_t i = 0; i < 5; i++)
		put1(f->s, EID_TABLE_REGISTRY, keys[i], keys[i]);
	assert_int_equal(eid_store_begin(f->s, false, &t), EID_OK);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(eid_txn_scan_after(t, EID_TABLE_REGISTRY, NULL, 0,
					    "b:1", 3, visit, &seen), EID_OK);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.keys[0], "b:2");
	assert_string_equal(seen.keys[2], "c:1");
	memset(&seen, 0, sizeof(seen)); /* a resume point that is absent */
	assert_int_equal(eid_txn_scan_after(t, EID_TABLE_REGISTRY, "b:", 2,
					    "b:15", 4, visit, &seen), EID_OK);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.keys[0], "b:2");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(eid_txn_scan_after(t, EID_TABLE_REGISTRY, NULL, 0,
					    "c:1", 3, visit, &seen), EID_OK);
	assert_int_equal(seen.n, 0);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(eid_txn_scan_back(t, EID_TABLE_REGISTRY, "b:", 2,
					   NULL, 0, visit, &seen), EID_OK);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.keys[0], "b:3");
	assert_string_equal(seen.keys[2], "b:1");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(eid_txn_scan_back(t, EID_TABLE_REGISTRY, "b:", 2,
					   "b:3", 3, visit, &seen), EID_OK);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.keys[0], "b:2");
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 2;
	assert_int_equal(eid_txn_scan_back(t, EID_TABLE_REGISTRY, NULL, 0,
					   NULL, 0, visit, &seen), EID_OK);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.keys[0], "c:1");
	assert_string_equal(seen.keys[1], "b:3");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(eid_txn_scan_back(t, EID_TABLE_REGISTRY, "a:", 2,
					   NULL, 0, visit, &seen), EID_OK);
	assert_int_equal(seen.n, 1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(eid_txn_scan_back(t, EID_TABLE_REGISTRY, "d:", 2,
					   NULL, 0, visit, &seen), EID_OK);
	assert_int_equal(seen.n, 0);
	/* A resume point outside the prefix is refused. */
	assert_int_equal(eid_txn_scan_after(t, EID_TABLE_REGISTRY, "b:", 2,
					    "a:1", 3, visit, &seen), EID_EINVAL);
	eid_txn_abort(t);
}

static void test_key_and_value_limits(void **state)
{
	struct fixture *f = *state;
	size_t vbig = EID_STORE_MAX_VALUE + 1;
	uint8_t key[EID_STORE_MAX_KEY + 1];
	uint8_t *val = calloc(1, vbig);
	eid_txn *t = NULL;
	eid_buf b;

	assert_non_null(val);
	memset(key, 'k', sizeof(key));
	eid_buf_init(&b, 8);
	assert_int_equal(eid_store_begin(f->s, true, &t), EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_KEYS, key, sizeof(key), "v",
				     1),
			 EID_ETOOBIG);
	assert_int_equal(eid_txn_put(t, EID_TABLE_KEYS, key, sizeof(key) - 1,
				     "v", 1),
			 EID_OK);
	assert_int_equal(eid_txn_put(t, EID_TABLE_KEYS, "k", 1, val, vbig),
			 EID_ETOOBIG);
	assert_int_equal(eid_txn_put(t, EID_TABLE_KEYS, "", 0, "v", 1),
			 EID_EINVAL);
	assert_int_equal(eid_txn_get(t, EID_TABLE_KEYS, "", 0, &b), EID_EINVAL);
	assert_int_equal(eid_txn_get(t, EID_TABLE_COUNT, "k", 1, &b),
			 EID_EINVAL);
	assert_int_equal(eid_eph_set(f->s, EID_EPH_OTP, key, sizeof(key), "v",
				     1, 2000),
			 EID_ETOOBIG);
	assert_int_equal(eid_eph_set(f->s, EID_EPH_OTP, "k", 1, val, vbig,
				     2000),
			 EID_ETOOBIG);
	assert_int_equal(eid_txn_commit(t), EID_OK);
	eid_buf_free(&b);
	free(val);
}

static void test_eph_put_get_expiry(void **state)
{
	struct fixture *f = *state;
	uint64_t exp = 0;
	eid_buf b;

	eid_buf_init(&b, 64);
	assert_int_equal(eid_eph_put(f->s, EID_EPH_SESSIONS, "s1", 2, "data",
				     4, 1060),
			 EID_OK);
	assert_int_equal(eid_eph_put(f->s, EID_EPH_SESSIONS, "s1", 2, "other",
				     5, 1060),
			 EID_EEXIST);
	assert_int_equal(eid_eph_get(f->s, EID_EPH_SESSIONS, "s1", 2, &b, &exp),
			 EID_OK);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "data", 4);
	assert_int_equal(exp, 1060);
	/* Namespaces are separate. */
	assert_int_equal(eid_eph_get(f->s, EID_EPH_PAR, "s1", 2, &b, NULL),
			 EID_ENOTFOUND);

	f->now = 1059;
	eid_buf_reset(&b);
	assert_int_equal(eid_eph_get(f->s, EID_EPH_SESSIONS, "s1", 2, &b, NULL),
			 EID_OK);
	f->now = 1060;
	assert_int_equal(eid_eph_get(f->s, EID_EPH_SESSIONS, "s1", 2, &b, NULL),
			 EID_ENOTFOUND);
	/* An expired key may be put again. */
	assert_int_equal(eid_eph_put(f->s, EID_EPH_SESSIONS, "s1", 2, "new", 3,
				     2000),
			 EID_OK);
	assert_int_equal(eid_eph_set(f->s, EID_EPH_SESSIONS, "s1", 2, "newer",
				     5, 2000),
			 EID_OK);
	eid_buf_reset(&b);
	assert_int_equal(eid_eph_get(f->s, EID_EPH_SESSIONS, "s1", 2, &b, NULL),
			 EID_OK);
	assert_memory_equal(b.data, "newer", 5);
	assert_int_equal(eid_eph_del(f->s, EID_EPH_SESSIONS, "s1", 2), EID_OK);
	assert_int_equal(eid_eph_del(f->s, EID_EPH_SESSIONS, "s1", 2),
			 EID_ENOTFOUND);
	eid_buf_free(&b);
}

static void test_eph_take_once(void **state)
{
	struct fixture *f = *state;
	eid_buf b;

	eid_buf_init(&b, 64);
	assert_int_equal(eid_eph_put(f->s, EID_EPH_CODES, "code", 4, "grant",
				     5, 1060),
			 EID_OK);
	assert_int_equal(eid_eph_take(f->s, EID_EPH_CODES, "code", 4, &b),
			 EID_OK);
	assert_memory_equal(b.data, "grant", 5);
	assert_int_equal(eid_eph_take(f->s, EID_EPH_CODES, "code", 4, &b),
			 EID_ENOTFOUND);
	assert_int_equal(b.len, 5);

	/* Expired codes cannot be taken. */
	assert_int_equal(eid_eph_put(f->s, EID_EPH_CODES, "old", 3, "g", 1,
				     1001),
			 EID_OK);
	f->now = 1001;
	assert_int_equal(eid_eph_take(f->s, EID_EPH_CODES, "old", 3, &b),
			 EID_ENOTFOUND);

	/* A value that does not fit is not consumed. */
	assert_int_equal(eid_eph_put(f->s, EID_EPH_CODES, "big", 3,
				     "0123456789", 10, 5000),
			 EID_OK);
	eid_buf_free(&b);
	eid_buf_init(&b, 4);
	assert_int_equal(eid_eph_take(f->s, EID_EPH_CODES, "big", 3, &b),
			 EID_ETOOBIG);
	assert_int_equal(b.len, 0);
	eid_buf_free(&b);
	eid_buf_init(&b, 64);
	assert_int_equal(eid_eph_take(f->s, EID_EPH_CODES, "big", 3, &b),
			 EID_OK);
	eid_buf_free(&b);
}

static void test_eph_incr(void **state)
{
	struct fixture *f = *state;
	uint64_t n = 0, exp = 0;
	eid_buf b;

	for (uint64_t i = 1; i <= 3; i++) {
		assert_int_equal(eid_eph_incr(f->s, EID_EPH_COUNTERS, "ip", 2,
					      1000 + 10 * i, &n),
				 EID_OK);
		assert_int_equal(n, i);
	}
	/* The first expiry is kept while the counter lives. */
	eid_buf_init(&b, 16);
	assert_int_equal(eid_eph_get(f->s, EID_EPH_COUNTERS, "ip", 2, &b, &exp),
			 EID_OK);
	assert_int_equal(exp, 1010);
	assert_int_equal(b.len, 8);
	f->now = 1010;
	assert_int_equal(eid_eph_incr(f->s, EID_EPH_COUNTERS, "ip", 2, 1100,
				      &n),
			 EID_OK);
	assert_int_equal(n, 1);
	/* A non-counter value is not silently reset. */
	assert_int_equal(eid_eph_set(f->s, EID_EPH_COUNTERS, "x", 1, "abc", 3,
				     2000),
			 EID_OK);
	assert_int_equal(eid_eph_incr(f->s, EID_EPH_COUNTERS, "x", 1, 2000,
				      &n),
			 EID_EMALFORMED);
	eid_buf_free(&b);
}

static void test_eph_sweep(void **state)
{
	struct fixture *f = *state;
	uint64_t removed = 99;
	char key[16];
	eid_buf b;

	/* More than one sweep batch in one namespace. */
	for (int i = 0; i < 1500; i++) {
		int n = snprintf(key, sizeof(key), "j%05d", i);
		assert_int_equal(eid_eph_set(f->s, EID_EPH_JTI, key, (size_t)n,
					     "", 0, i % 3 == 0 ? 2000 : 1100),
				 EID_OK);
	}
	assert_int_equal(eid_eph_set(f->s, EID_EPH_OTP, "o", 1, "1", 1, 1100),
			 EID_OK);
	assert_int_equal(eid_eph_set(f->s, EID_EPH_PAR, "p", 1, "1", 1, 1200),
			 EID_OK);
	assert_int_equal(eid_eph_sweep(f->s, &removed), EID_OK);
	assert_int_equal(removed, 0);
	f->now = 1100;
	assert_int_equal(eid_eph_sweep(f->s, &removed), EID_OK);
	assert_int_equal(removed, 1000 + 1);
	assert_int_equal(eid_eph_sweep(f->s, &removed), EID_OK);
	assert_int_equal(removed, 0);
	eid_buf_init(&b, 8);
	assert_int_equal(eid_eph_get(f->s, EID_EPH_JTI, "j00000", 6, &b, NULL),
			 EID_OK);
	assert_int_equal(eid_eph_get(f->s, EID_EPH_PAR, "p", 1, &b, NULL),
			 EID_OK);
	eid_buf_free(&b);
}

static void test_read_only_missing(void **state)
{
	char dir[] = "/tmp/eid-store-XXXXXX";
	char sub[64];
	struct eid_store_options opt = { .read_only = true };
	eid_store *s = NULL;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/none", dir);
	assert_int_equal(eid_store_open(sub, &opt, &s), EID_ENOTFOUND);
	assert_null(s);
	assert_int_equal(eid_store_open(dir, &opt, &s), EID_ENOTFOUND);
	/* Nothing was written. */
	assert_int_not_equal(stat(sub, &st), 0);
	snprintf(sub, sizeof(sub), "%s/store", dir);
	assert_int_not_equal(stat(sub, &st), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_unusable_dir(void **state)
{
	char dir[] = "/tmp/eid-store-XXXXXX";
	char file[64], sub[80];
	eid_store *s = NULL;
	struct stat st;
	FILE *fp;
	int r;

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/file", dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(sub, sizeof(sub), "%s/data", file);
	r = eid_store_open(sub, NULL, &s);
	assert_true(r == EID_EIO || r == EID_EPERM);
	assert_null(s);
	/* The data directory itself a regular file. */
	r = eid_store_open(file, NULL, &s);
	assert_true(r == EID_EIO || r == EID_EPERM);

	/* A directory without write permission (root ignores modes). */
	snprintf(sub, sizeof(sub), "%s/ro", dir);
	assert_int_equal(mkdir(sub, 0500), 0);
	if (geteuid() != 0) {
		char inner[96];
		r = eid_store_open(sub, NULL, &s);
		assert_int_equal(r, EID_EPERM);
		snprintf(inner, sizeof(inner), "%s/store", sub);
		assert_int_not_equal(stat(inner, &st), 0);
	}
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_half_made_removed(void **state)
{
	struct fixture *f = *state;
	char sub[96];
	eid_store *s = NULL;
	struct stat st;
	FILE *fp;

	/* The ephemeral part cannot be made: the durable part made on the
	 * way is taken away again. */
	snprintf(sub, sizeof(sub), "%s/fresh", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/fresh/ephemeral", f->dir);
	fp = fopen(sub, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(sub, sizeof(sub), "%s/fresh", f->dir);
	assert_int_equal(eid_store_open(sub, NULL, &s), EID_EIO);
	snprintf(sub, sizeof(sub), "%s/fresh/store", f->dir);
	assert_int_not_equal(stat(sub, &st), 0);
	snprintf(sub, sizeof(sub), "%s/fresh/ephemeral", f->dir);
	assert_int_equal(unlink(sub), 0);
	snprintf(sub, sizeof(sub), "%s/fresh", f->dir);
	assert_int_equal(rmdir(sub), 0);
}

static void test_fork_visibility(void **state)
{
	struct fixture *f = *state;
	eid_buf b;
	pid_t pid;
	int status = -1;

	eid_buf_init(&b, 16);
	/* A read transaction begun before the child's commit keeps its
	 * snapshot; one begun after sees the write. */
	{
		eid_txn *old = NULL;
		assert_int_equal(eid_store_begin(f->s, false, &old), EID_OK);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* LMDB handles do not survive fork: open anew. */
			eid_store *cs = NULL;
			eid_txn *t = NULL;
			int ok = eid_store_open(f->dir, NULL, &cs) == EID_OK &&
				 eid_store_begin(cs, true, &t) == EID_OK &&
				 eid_txn_put(t, EID_TABLE_ACCOUNTS, "child", 5,
					     "hi", 2) == EID_OK &&
				 eid_txn_commit(t) == EID_OK &&
				 eid_eph_set(cs, EID_EPH_SESSIONS, "cs", 2,
					     "x", 1, UINT64_MAX) == EID_OK;
			_exit(ok ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_int_equal(eid_txn_get(old, EID_TABLE_ACCOUNTS, "child",
					     5, &b),
				 EID_ENOTFOUND);
		eid_txn_abort(old);
	}
	assert_int_equal(get1(f->s, EID_TABLE_ACCOUNTS, "child", &b), EID_OK);
	assert_memory_equal(b.data, "hi", 2);
	eid_buf_reset(&b);
	assert_int_equal(eid_eph_get(f->s, EID_EPH_SESSIONS, "cs", 2, &b, NULL),
			 EID_OK);
	eid_buf_free(&b);
}

static void test_map_full(void **state)
{
	char dir[] = "/tmp/eid-store-XXXXXX";
	struct eid_store_options opt = { .map_size = 256 * 1024,
					 .eph_map_size = 128 * 1024 };
	uint8_t val[2048];
	eid_store *s = NULL;
	eid_txn *t = NULL;
	int r = EID_OK;
	char key[16];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(eid_store_open(dir, &opt, &s), EID_OK);
	memset(val, 0xab, sizeof(val));
	for (int i = 0; i < 1000 && r == EID_OK; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(eid_store_begin(s, true, &t), EID_OK);
		r = eid_txn_put(t, EID_TABLE_AUDIT, key, (size_t)n, val,
				sizeof(val));
		if (r == EID_OK)
			r = eid_txn_commit(t);
		else
			eid_txn_abort(t);
	}
	assert_int_equal(r, EID_EFULL);
	r = EID_OK;
	for (int i = 0; i < 1000 && r == EID_OK; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);
		r = eid_eph_set(s, EID_EPH_OTP, key, (size_t)n, val,
				sizeof(val), UINT64_MAX);
	}
	assert_int_equal(r, EID_EFULL);
	eid_store_close(s);
	rm_store_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_create_and_reopen),
		T(test_schema_mismatch_refused),
		cmocka_unit_test(test_foreign_env_untouched),
		T(test_get_put_insert_del),
		T(test_get_respects_buffer_cap),
		T(test_peek),
		T(test_abort_discards),
		T(test_finish_commits_or_aborts),
		T(test_scan_last_count),
		T(test_scan_after_and_back),
		T(test_key_and_value_limits),
		T(test_eph_put_get_expiry),
		T(test_eph_take_once),
		T(test_eph_incr),
		T(test_eph_sweep),
		T(test_half_made_removed),
		T(test_fork_visibility),
#undef T
		cmocka_unit_test(test_read_only_missing),
		cmocka_unit_test(test_unusable_dir),
		cmocka_unit_test(test_map_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
