/* The store on LMDB.  Two environments under the data directory:
 *
 *   DIR/store/      durable tables, every commit synced;
 *   DIR/ephemeral/  short-lived entries, MDB_NOSYNC: a crash may lose the
 *                   last commits, which is acceptable for codes and counters
 *                   and removes an fsync from every hot-path write.
 *
 * All named databases are opened once, in eid_store_open, because LMDB
 * forbids concurrent mdb_dbi_open; afterwards any thread uses the handles.
 * MDB_NOTLS because libmicrohttpd's pool threads may hold several read
 * transactions at once, and a transaction may finish on another thread. */
#include "idp/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "crypto/error.h"

#define STORE_DEFAULT_MAP_SIZE (8ull << 30)
#define STORE_DEFAULT_EPH_MAP_SIZE (1ull << 30)
#define STORE_SUBDIR "store"
#define EPH_SUBDIR "ephemeral"
#define SCHEMA_KEY "schema_version"
/* Bytes of big-endian expiry in front of every short-lived value. */
#define EPH_PREFIX 8u
/* Deletions per sweep transaction: bounds the dirty pages of one commit. */
#define SWEEP_BATCH 1024u

struct eid_store {
	MDB_env *env; /* durable */
	MDB_env *eph; /* short-lived */
	MDB_dbi tables[EID_TABLE_COUNT];
	MDB_dbi ephs[EID_EPH_COUNT];
	/* Read-only opens cannot create a table a newer program added. */
	bool table_present[EID_TABLE_COUNT];
	bool eph_present[EID_EPH_COUNT];
	bool read_only;
	uint64_t (*now)(void *arg);
	void *now_arg;
};

struct eid_txn {
	eid_store *s;
	MDB_txn *txn;
};

#define STORE_NAME(e, name) name,
static const char *const table_names[EID_TABLE_COUNT] = {
	EID_STORE_TABLES(STORE_NAME)
};
static const char *const eph_names[EID_EPH_COUNT] = {
	EID_STORE_EPHEMERAL(STORE_NAME)
};
#undef STORE_NAME

/* What the open made, so a failed open can remove exactly that. */
struct store_made {
	bool top, store, eph;
};

/* --- error mapping: no MDB_ code ever leaves this file --- */

static int errno_to_eid(int e)
{
	switch (e) {
	case 0:
		return EID_OK;
	case EACCES:
	case EPERM:
	case EROFS:
		return EID_EPERM;
	case ENOMEM:
		return EID_ENOMEM;
	case ENOENT:
		return EID_ENOTFOUND;
	case ENOSPC:
	case EDQUOT:
		return EID_EFULL;
	case EINVAL:
		return EID_EINVAL;
	default:
		return EID_EIO;
	}
}

static int mdb_to_eid(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return EID_OK;
	case MDB_NOTFOUND:
		return EID_ENOTFOUND;
	case MDB_KEYEXIST:
		return EID_EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_PAGE_FULL:
		return EID_EFULL;
	case MDB_BAD_VALSIZE:
		return EID_ETOOBIG;
	}
	/* LMDB's own codes sit in [MDB_KEYEXIST, MDB_LAST_ERRCODE]; anything
	 * else is an errno. */
	if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
		return EID_ESTORE;
	return errno_to_eid(rc);
}

/* --- small helpers --- */

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint32_t get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static int check_key(const void *key, size_t klen)
{
	if (key == NULL || klen == 0)
		return EID_EINVAL;
	if (klen > EID_STORE_MAX_KEY)
		return EID_ETOOBIG;
	return EID_OK;
}

static int check_kv(const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	int r = check_key(key, klen);

	if (r != EID_OK)
		return r;
	if (val == NULL && vlen > 0)
		return EID_EINVAL;
	if (vlen > EID_STORE_MAX_VALUE)
		return EID_ETOOBIG;
	return EID_OK;
}

uint64_t eid_store_now(const eid_store *s)
{
	if (s->now != NULL)
		return s->now(s->now_arg);
	return (uint64_t)time(NULL);
}

/* Begin a transaction; when another process grew the map past ours,
 * adopt its size (mdb_env_set_mapsize(env, 0)) and try once more. */
static int txn_begin(MDB_env *env, bool write, MDB_txn **ret_txn)
{
	unsigned flags = write ? 0 : MDB_RDONLY;
	int rc = mdb_txn_begin(env, NULL, flags, ret_txn);

	if (rc == MDB_MAP_RESIZED) {
		rc = mdb_env_set_mapsize(env, 0);
		if (rc == MDB_SUCCESS)
			rc = mdb_txn_begin(env, NULL, flags, ret_txn);
	}
	return mdb_to_eid(rc);
}

/* Commit on success, abort otherwise; returns the first error. */
static int txn_finish(MDB_txn *txn, int r)
{
	if (r != EID_OK) {
		mdb_txn_abort(txn);
		return r;
	}
	return mdb_to_eid(mdb_txn_commit(txn));
}

/* --- opening --- */

static int path_join(char *dst, size_t cap, const char *a, const char *b)
{
	int n = snprintf(dst, cap, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= cap)
		return EID_ETOOBIG;
	return EID_OK;
}

/* Create dir (0700) unless it exists; *made says whether we did. */
static int make_dir(const char *dir, bool *made)
{
	struct stat st;

	*made = false;
	if (mkdir(dir, 0700) == 0) {
		*made = true;
		return EID_OK;
	}
	if (errno != EEXIST)
		return errno == EACCES || errno == EPERM || errno == EROFS ?
			       EID_EPERM :
			       EID_EIO;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return EID_EIO;
	return EID_OK;
}

/* Remove a directory this open created, with the files LMDB put in it. */
static void unmake_dir(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (path_join(p, sizeof(p), dir, files[i]) == EID_OK)
			(void)unlink(p);
	(void)rmdir(dir);
}

static void unmake_dirs(const char *dir, const char *sdir, const char *edir,
			const struct store_made *m)
{
	if (m->eph)
		unmake_dir(edir);
	if (m->store)
		unmake_dir(sdir);
	if (m->top)
		unmake_dir(dir);
}

static int make_dirs(const char *dir, const char *sdir, const char *edir,
		     struct store_made *m)
{
	int r = make_dir(dir, &m->top);

	if (r == EID_OK)
		r = make_dir(sdir, &m->store);
	if (r == EID_OK)
		r = make_dir(edir, &m->eph);
	return r;
}

/* Read-only opens write nothing, so both environments must exist. */
static int check_exists(const char *sdir, const char *edir)
{
	char p[PATH_MAX];
	int r;

	r = path_join(p, sizeof(p), sdir, "data.mdb");
	if (r == EID_OK && access(p, F_OK) != 0)
		r = errno == ENOENT || errno == ENOTDIR ? EID_ENOTFOUND :
							 errno_to_eid(errno);
	if (r == EID_OK)
		r = path_join(p, sizeof(p), edir, "data.mdb");
	if (r == EID_OK && access(p, F_OK) != 0)
		r = errno == ENOENT || errno == ENOTDIR ? EID_ENOTFOUND :
							 errno_to_eid(errno);
	return r;
}

static int env_open(const char *path, uint64_t map_size, unsigned ndbs,
		    unsigned flags, MDB_env **ret_env)
{
	MDB_env *env = NULL;
	int rc, dead = 0;

	rc = mdb_env_create(&env);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_set_maxdbs(env, ndbs);
	/* Read-only: 0 keeps the size the writer chose. */
	if (rc == MDB_SUCCESS && map_size > 0)
		rc = mdb_env_set_mapsize(env, (size_t)map_size);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_open(env, path, flags | MDB_NOTLS, 0600);
	/* Slots left by a process killed mid-read pin old pages forever. */
	if (rc == MDB_SUCCESS)
		rc = mdb_reader_check(env, &dead);
	if (rc != MDB_SUCCESS) {
		if (env != NULL)
			mdb_env_close(env);
		return mdb_to_eid(rc);
	}
	*ret_env = env;
	return EID_OK;
}

/* Open every named database of one environment in txn (a write one
 * creates them, a read one notes which exist).  The handles survive only
 * if txn commits. */
static int open_dbis(MDB_txn *txn, bool write, const char *const *names,
		     size_t n, MDB_dbi *dbis, bool *present)
{
	int rc = MDB_SUCCESS;

	for (size_t i = 0; i < n && rc == MDB_SUCCESS; i++) {
		rc = mdb_dbi_open(txn, names[i], write ? MDB_CREATE : 0,
				  &dbis[i]);
		present[i] = rc == MDB_SUCCESS;
		if (rc == MDB_NOTFOUND && !write)
			rc = MDB_SUCCESS;
	}
	return mdb_to_eid(rc);
}

/* Stamp a new store with the schema version, or check an existing one,
 * in txn. */
static int check_schema(eid_store *s, MDB_txn *txn)
{
	MDB_val k = { sizeof(SCHEMA_KEY) - 1, (void *)SCHEMA_KEY }, v;
	MDB_dbi meta = s->tables[EID_TABLE_META];
	MDB_stat st;
	uint8_t be[4];
	int r, rc;

	if (!s->table_present[EID_TABLE_META])
		return EID_ESCHEMA;
	rc = mdb_get(txn, meta, &k, &v);
	if (rc == MDB_NOTFOUND && !s->read_only) {
		/* Only an empty meta table is a new store; anything else
		 * without a stamp is not ours. */
		rc = mdb_stat(txn, meta, &st);
		if (rc == MDB_SUCCESS && st.ms_entries != 0)
			return EID_ESCHEMA;
		put_be32(be, EID_STORE_SCHEMA_VERSION);
		v.mv_size = sizeof(be);
		v.mv_data = be;
		if (rc == MDB_SUCCESS)
			rc = mdb_put(txn, meta, &k, &v, MDB_NOOVERWRITE);
		return mdb_to_eid(rc);
	}
	if (rc == MDB_NOTFOUND)
		return EID_ESCHEMA;
	r = mdb_to_eid(rc);
	if (r == EID_OK && (v.mv_size != 4 ||
			    get_be32(v.mv_data) != EID_STORE_SCHEMA_VERSION))
		r = EID_ESCHEMA;
	return r;
}

/* One environment's tables in one transaction, with the schema stamp
 * (or its check) when stamp is set: for the durable environment, so that
 * a new store costs one durable commit and an environment that is not
 * ours is refused before anything is written into it. */
static int open_tables(eid_store *s, MDB_env *env, const char *const *names,
		       size_t n, MDB_dbi *dbis, bool *present, bool stamp)
{
	MDB_txn *txn = NULL;
	int r;

	r = txn_begin(env, !s->read_only, &txn);
	if (r != EID_OK)
		return r;
	r = open_dbis(txn, !s->read_only, names, n, dbis, present);
	if (r == EID_OK && stamp)
		r = check_schema(s, txn);
	return txn_finish(txn, r);
}

static int open_envs(eid_store *s, const char *sdir, const char *edir,
		     const struct eid_store_options *opt)
{
	unsigned base = s->read_only ? MDB_RDONLY : 0;
	uint64_t msize = opt->map_size, esize = opt->eph_map_size;
	int r;

	if (!s->read_only) {
		msize = msize ? msize : STORE_DEFAULT_MAP_SIZE;
		esize = esize ? esize : STORE_DEFAULT_EPH_MAP_SIZE;
	}
	if (msize > SIZE_MAX || esize > SIZE_MAX)
		return EID_EINVAL;
	r = env_open(sdir, msize, EID_TABLE_COUNT, base, &s->env);
	if (r == EID_OK)
		r = env_open(edir, esize, EID_EPH_COUNT, base | MDB_NOSYNC,
			     &s->eph);
	if (r == EID_OK)
		r = open_tables(s, s->env, table_names, EID_TABLE_COUNT,
				s->tables, s->table_present, true);
	if (r == EID_OK)
		r = open_tables(s, s->eph, eph_names, EID_EPH_COUNT, s->ephs,
				s->eph_present, false);
	return r;
}

static void store_free(eid_store *s)
{
	if (s == NULL)
		return;
	if (s->eph != NULL)
		mdb_env_close(s->eph);
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
}

int eid_store_open(const char *dir, const struct eid_store_options *opt,
		   eid_store **ret_store)
{
	static const struct eid_store_options defaults;
	struct store_made made = { false, false, false };
	char sdir[PATH_MAX], edir[PATH_MAX];
	eid_store *s = NULL;
	int r = EID_EINTERNAL;

	if (dir == NULL || dir[0] == '\0' || ret_store == NULL)
		return EID_EINVAL;
	if (opt == NULL)
		opt = &defaults;
	r = path_join(sdir, sizeof(sdir), dir, STORE_SUBDIR);
	if (r == EID_OK)
		r = path_join(edir, sizeof(edir), dir, EPH_SUBDIR);
	if (r != EID_OK)
		goto out;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	s->read_only = opt->read_only;
	s->now = opt->now;
	s->now_arg = opt->now_arg;
	r = s->read_only ? check_exists(sdir, edir) :
			   make_dirs(dir, sdir, edir, &made);
	if (r == EID_OK)
		r = open_envs(s, sdir, edir, opt);
	if (r != EID_OK)
		goto out;
	*ret_store = s;
	s = NULL;
out:
	store_free(s);
	if (r != EID_OK)
		unmake_dirs(dir, sdir, edir, &made);
	return r;
}

void eid_store_close(eid_store *s)
{
	store_free(s);
}

/* --- durable transactions --- */

int eid_store_begin(eid_store *s, bool write, eid_txn **ret_txn)
{
	eid_txn *t;
	int r;

	if (s == NULL || ret_txn == NULL)
		return EID_EINVAL;
	if (write && s->read_only)
		return EID_EPERM;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return EID_ENOMEM;
	r = txn_begin(s->env, write, &t->txn);
	if (r != EID_OK) {
		free(t);
		return r;
	}
	t->s = s;
	*ret_txn = t;
	return EID_OK;
}

int eid_txn_finish(eid_txn *t, int r)
{
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

int eid_txn_commit(eid_txn *t)
{
	int r;

	if (t == NULL)
		return EID_EINVAL;
	r = mdb_to_eid(mdb_txn_commit(t->txn));
	free(t);
	return r;
}

void eid_txn_abort(eid_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

/* The handle of table tb; EID_ENOTFOUND when a read-only open found the
 * store older than this program (the table is simply empty to us). */
static int txn_dbi(const eid_txn *t, enum eid_table tb, MDB_dbi *ret_dbi)
{
	if (t == NULL || (unsigned)tb >= EID_TABLE_COUNT)
		return EID_EINVAL;
	if (!t->s->table_present[tb])
		return EID_ENOTFOUND;
	*ret_dbi = t->s->tables[tb];
	return EID_OK;
}

int eid_txn_peek(eid_txn *t, enum eid_table tb, const void *key, size_t klen,
		 eid_store_visit_fn fn, void *arg)
{
	MDB_val k = { klen, (void *)key }, v;
	MDB_dbi dbi;
	int r = check_key(key, klen);

	if (r == EID_OK && fn == NULL)
		r = EID_EINVAL;
	if (r == EID_OK)
		r = txn_dbi(t, tb, &dbi);
	if (r == EID_OK)
		r = mdb_to_eid(mdb_get(t->txn, dbi, &k, &v));
	/* v is borrowed from the map: fn sees it, nothing keeps it. */
	if (r == EID_OK)
		r = fn(key, klen, v.mv_data, v.mv_size, arg);
	return r;
}

/* The value is borrowed from the map until the txn ends: copy. */
static int copy_value(const void *key, size_t klen, const void *val,
		      size_t vlen, void *arg)
{
	return eid_buf_put(arg, val, vlen);
}

int eid_txn_get(eid_txn *t, enum eid_table tb, const void *key, size_t klen,
		eid_buf *out)
{
	return eid_txn_peek(t, tb, key, klen, out != NULL ? copy_value : NULL,
			    out);
}

static int txn_write(eid_txn *t, enum eid_table tb, const void *key,
		     size_t klen, const void *val, size_t vlen, unsigned flags)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	MDB_dbi dbi;
	int r = check_kv(key, klen, val, vlen);

	if (r == EID_OK)
		r = txn_dbi(t, tb, &dbi);
	/* A read-only open found the table missing: writing is refused
	 * anyway, say so rather than "not found". */
	if (r == EID_ENOTFOUND)
		r = EID_EPERM;
	if (r == EID_OK)
		r = mdb_to_eid(mdb_put(t->txn, dbi, &k, &v, flags));
	return r;
}

int eid_txn_put(eid_txn *t, enum eid_table tb, const void *key, size_t klen,
		const void *val, size_t vlen)
{
	return txn_write(t, tb, key, klen, val, vlen, 0);
}

int eid_txn_insert(eid_txn *t, enum eid_table tb, const void *key,
		   size_t klen, const void *val, size_t vlen)
{
	return txn_write(t, tb, key, klen, val, vlen, MDB_NOOVERWRITE);
}

int eid_txn_del(eid_txn *t, enum eid_table tb, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	MDB_dbi dbi;
	int r = check_key(key, klen);

	if (r == EID_OK)
		r = txn_dbi(t, tb, &dbi);
	if (r == EID_OK)
		r = mdb_to_eid(mdb_del(t->txn, dbi, &k, NULL));
	return r;
}

/* Walk from the cursor's position (rc: the positioning's result) in one
 * direction while the keys start with prefix. */
static int walk_cursor(MDB_cursor *c, int rc, MDB_val *k, MDB_val *v,
		       MDB_cursor_op step, const void *prefix, size_t plen,
		       eid_store_visit_fn fn, void *arg)
{
	int r;

	while (rc == MDB_SUCCESS) {
		if (k->mv_size < plen ||
		    (plen > 0 && memcmp(k->mv_data, prefix, plen) != 0))
			break; /* keys are sorted: past the prefix, done */
		r = fn(k->mv_data, k->mv_size, v->mv_data, v->mv_size, arg);
		if (r < 0)
			return r;
		if (r > 0)
			return EID_OK;
		rc = mdb_cursor_get(c, k, v, step);
	}
	return rc == MDB_NOTFOUND ? EID_OK : mdb_to_eid(rc);
}

static bool same_key(const MDB_val *k, const void *key, size_t klen)
{
	return k->mv_size == klen && memcmp(k->mv_data, key, klen) == 0;
}

/* Forward from the first key with the prefix, or from the first key
 * greater than after. */
static int scan_forward(MDB_cursor *c, const void *prefix, size_t plen,
			const void *after, size_t alen, eid_store_visit_fn fn,
			void *arg)
{
	MDB_val k = { plen, (void *)prefix }, v;
	int rc;

	if (alen > 0) {
		k = (MDB_val){ alen, (void *)after };
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_SUCCESS && same_key(&k, after, alen))
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	} else {
		rc = mdb_cursor_get(c, &k, &v,
				    plen > 0 ? MDB_SET_RANGE : MDB_FIRST);
	}
	return walk_cursor(c, rc, &k, &v, MDB_NEXT, prefix, plen, fn, arg);
}

/* The smallest key greater than every key starting with prefix, into
 * out; false when there is none (the prefix is empty or all 0xff). */
static bool prefix_end(const uint8_t *prefix, size_t plen, uint8_t *out,
		       size_t *ret_len)
{
	while (plen > 0 && prefix[plen - 1] == 0xff)
		plen--;
	if (plen == 0)
		return false;
	memcpy(out, prefix, plen);
	out[plen - 1]++;
	*ret_len = plen;
	return true;
}

/* Backward from the last key less than before (or than the end of the
 * prefix's range). */
static int scan_backward(MDB_cursor *c, const void *prefix, size_t plen,
			 const void *before, size_t blen,
			 eid_store_visit_fn fn, void *arg)
{
	uint8_t end[EID_STORE_MAX_KEY];
	size_t elen = 0;
	MDB_val k, v;
	int rc;

	if (blen > 0)
		k = (MDB_val){ blen, (void *)before };
	else if (prefix_end(prefix, plen, end, &elen))
		k = (MDB_val){ elen, end };
	else
		k = (MDB_val){ 0, NULL };
	if (k.mv_size > 0) {
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_SUCCESS)
			rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
		else if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	} else {
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	}
	return walk_cursor(c, rc, &k, &v, MDB_PREV, prefix, plen, fn, arg);
}

/* Open a cursor on tb and walk it forward or backward. */
static int scan_table(eid_txn *t, enum eid_table tb, const void *prefix,
		      size_t plen, const void *from, size_t flen, bool back,
		      eid_store_visit_fn fn, void *arg)
{
	MDB_cursor *c = NULL;
	MDB_dbi dbi;
	int r;

	if (fn == NULL || (prefix == NULL && plen > 0) ||
	    (from == NULL && flen > 0))
		return EID_EINVAL;
	if (plen > EID_STORE_MAX_KEY || flen > EID_STORE_MAX_KEY)
		return EID_ETOOBIG;
	/* A resume point outside the prefix's range is a caller's bug. */
	if (flen > 0 && plen > 0 &&
	    (flen < plen || memcmp(from, prefix, plen) != 0))
		return EID_EINVAL;
	r = txn_dbi(t, tb, &dbi);
	if (r == EID_ENOTFOUND)
		return EID_OK; /* a missing table has nothing to visit */
	if (r != EID_OK)
		return r;
	r = mdb_to_eid(mdb_cursor_open(t->txn, dbi, &c));
	if (r != EID_OK)
		return r;
	if (back)
		r = scan_backward(c, prefix, plen, from, flen, fn, arg);
	else
		r = scan_forward(c, prefix, plen, from, flen, fn, arg);
	mdb_cursor_close(c);
	return r;
}

int eid_txn_scan(eid_txn *t, enum eid_table tb, const void *prefix,
		 size_t plen, eid_store_visit_fn fn, void *arg)
{
	return scan_table(t, tb, prefix, plen, NULL, 0, false, fn, arg);
}

int eid_txn_scan_after(eid_txn *t, enum eid_table tb, const void *prefix,
		       size_t plen, const void *after, size_t alen,
		       eid_store_visit_fn fn, void *arg)
{
	return scan_table(t, tb, prefix, plen, after, alen, false, fn, arg);
}

int eid_txn_scan_back(eid_txn *t, enum eid_table tb, const void *prefix,
		      size_t plen, const void *before, size_t blen,
		      eid_store_visit_fn fn, void *arg)
{
	return scan_table(t, tb, prefix, plen, before, blen, true, fn, arg);
}

struct batched {
	eid_txn *t;
	eid_store_batch_fn fn;
	void *arg;
	size_t max, n;
	uint8_t last[EID_STORE_MAX_KEY];
	size_t last_len;
};

static int batched_one(const void *key, size_t klen, const void *val,
		       size_t vlen, void *arg)
{
	struct batched *b = arg;
	int r = b->fn(b->t, key, klen, val, vlen, b->arg);

	if (r != EID_OK)
		return r > 0 ? EID_EINVAL : r;
	memcpy(b->last, key, klen);
	b->last_len = klen;
	return ++b->n == b->max ? 1 : EID_OK;
}

int eid_store_walk_batched(eid_store *s, enum eid_table tb, size_t batch,
			   eid_store_batch_fn fn, void *arg,
			   uint64_t *ret_count)
{
	struct batched b = { .fn = fn, .arg = arg, .max = batch };
	uint64_t count = 0;
	int r;

	if (s == NULL || fn == NULL || batch == 0)
		return EID_EINVAL;
	do {
		b.n = 0;
		if ((r = eid_store_begin(s, true, &b.t)) != EID_OK)
			return r;
		r = eid_txn_scan_after(b.t, tb, NULL, 0, b.last, b.last_len,
				       batched_one, &b);
		if (r != EID_OK) {
			eid_txn_abort(b.t);
			return r;
		}
		if ((r = eid_txn_commit(b.t)) != EID_OK)
			return r;
		count += b.n;
	} while (b.n == batch);
	if (ret_count != NULL)
		*ret_count = count;
	return EID_OK;
}

int eid_txn_last(eid_txn *t, enum eid_table tb, eid_buf *ret_key,
		 eid_buf *ret_val)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	MDB_dbi dbi;
	size_t klen0 = ret_key != NULL ? ret_key->len : 0;
	int r;

	r = txn_dbi(t, tb, &dbi);
	if (r != EID_OK)
		return r;
	r = mdb_to_eid(mdb_cursor_open(t->txn, dbi, &c));
	if (r != EID_OK)
		return r;
	r = mdb_to_eid(mdb_cursor_get(c, &k, &v, MDB_LAST));
	if (r == EID_OK && ret_key != NULL)
		r = eid_buf_put(ret_key, k.mv_data, k.mv_size);
	if (r == EID_OK && ret_val != NULL) {
		r = eid_buf_put(ret_val, v.mv_data, v.mv_size);
		/* Both or neither: take the key back out. */
		if (r != EID_OK && ret_key != NULL)
			eid_buf_truncate(ret_key, klen0);
	}
	mdb_cursor_close(c);
	return r;
}

int eid_txn_count(eid_txn *t, enum eid_table tb, uint64_t *ret_count)
{
	MDB_stat st;
	MDB_dbi dbi;
	int r;

	if (ret_count == NULL)
		return EID_EINVAL;
	r = txn_dbi(t, tb, &dbi);
	if (r == EID_ENOTFOUND) {
		*ret_count = 0;
		return EID_OK;
	}
	if (r == EID_OK)
		r = mdb_to_eid(mdb_stat(t->txn, dbi, &st));
	if (r == EID_OK)
		*ret_count = st.ms_entries;
	return r;
}

/* --- short-lived entries: [expiry u64be][value] --- */

struct eph_rec {
	bool live;          /* present, well formed and not expired */
	uint64_t expires_at;
	const uint8_t *val; /* borrowed until the txn ends */
	size_t vlen;
};

/* Begin a transaction on namespace ns after checking the key. */
static int eph_begin(eid_store *s, enum eid_eph ns, bool write,
		     const void *key, size_t klen, MDB_txn **ret_txn,
		     MDB_dbi *ret_dbi)
{
	int r = check_key(key, klen);

	if (r != EID_OK)
		return r;
	if (s == NULL || (unsigned)ns >= EID_EPH_COUNT)
		return EID_EINVAL;
	if (write && s->read_only)
		return EID_EPERM;
	if (!s->eph_present[ns])
		return EID_ENOTFOUND;
	r = txn_begin(s->eph, write, ret_txn);
	if (r == EID_OK)
		*ret_dbi = s->ephs[ns];
	return r;
}

/* Look key up; absent, malformed and expired all come back not live. */
static int eph_lookup(eid_store *s, MDB_txn *txn, MDB_dbi dbi,
		      const void *key, size_t klen, struct eph_rec *ret)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_get(txn, dbi, &k, &v);

	memset(ret, 0, sizeof(*ret));
	if (rc == MDB_NOTFOUND)
		return EID_OK;
	if (rc != MDB_SUCCESS)
		return mdb_to_eid(rc);
	if (v.mv_size < EPH_PREFIX)
		return EID_OK;
	ret->expires_at = get_be64(v.mv_data);
	ret->val = (const uint8_t *)v.mv_data + EPH_PREFIX;
	ret->vlen = v.mv_size - EPH_PREFIX;
	ret->live = eid_store_now(s) < ret->expires_at;
	return EID_OK;
}

/* Write [expiry][val] without an intermediate copy (MDB_RESERVE). */
static int eph_store(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
		     const void *val, size_t vlen, uint64_t expires_at)
{
	MDB_val k = { klen, (void *)key }, v = { vlen + EPH_PREFIX, NULL };
	int rc = mdb_put(txn, dbi, &k, &v, MDB_RESERVE);

	if (rc != MDB_SUCCESS)
		return mdb_to_eid(rc);
	put_be64(v.mv_data, expires_at);
	if (vlen > 0)
		memcpy((uint8_t *)v.mv_data + EPH_PREFIX, val, vlen);
	return EID_OK;
}

static int eph_write(eid_store *s, enum eid_eph ns, const void *key,
		     size_t klen, const void *val, size_t vlen,
		     uint64_t expires_at, bool replace)
{
	struct eph_rec rec;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	int r = check_kv(key, klen, val, vlen);

	if (r == EID_OK)
		r = eph_begin(s, ns, true, key, klen, &txn, &dbi);
	if (r != EID_OK)
		return r;
	if (!replace) {
		r = eph_lookup(s, txn, dbi, key, klen, &rec);
		if (r == EID_OK && rec.live)
			r = EID_EEXIST;
	}
	if (r == EID_OK)
		r = eph_store(txn, dbi, key, klen, val, vlen, expires_at);
	return txn_finish(txn, r);
}

int eid_eph_put(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		const void *val, size_t vlen, uint64_t expires_at)
{
	return eph_write(s, ns, key, klen, val, vlen, expires_at, false);
}

int eid_eph_set(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		const void *val, size_t vlen, uint64_t expires_at)
{
	return eph_write(s, ns, key, klen, val, vlen, expires_at, true);
}

/* Read a live entry: copy it to out (unless NULL), report its expiry,
 * and with remove delete it in the same write transaction, so that a
 * single-use value is handed out once only.  Nothing is appended to out
 * unless the whole step succeeded. */
static int eph_fetch(eid_store *s, enum eid_eph ns, const void *key,
		     size_t klen, eid_buf *out, uint64_t *ret_expires_at,
		     bool remove)
{
	MDB_val k = { klen, (void *)key };
	struct eph_rec rec;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	size_t old = out != NULL ? out->len : 0;
	int r;

	r = eph_begin(s, ns, remove, key, klen, &txn, &dbi);
	if (r != EID_OK)
		return r;
	r = eph_lookup(s, txn, dbi, key, klen, &rec);
	/* A dead entry is already absent to the caller; sweep removes it. */
	if (r == EID_OK && !rec.live)
		r = EID_ENOTFOUND;
	if (r == EID_OK && out != NULL)
		r = eid_buf_put(out, rec.val, rec.vlen);
	if (r == EID_OK && remove)
		r = mdb_to_eid(mdb_del(txn, dbi, &k, NULL));
	if (remove) {
		r = txn_finish(txn, r);
	} else {
		mdb_txn_abort(txn);
	}
	if (r != EID_OK && out != NULL)
		eid_buf_truncate(out, old);
	if (r == EID_OK && ret_expires_at != NULL)
		*ret_expires_at = rec.expires_at;
	return r;
}

int eid_eph_get(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		eid_buf *out, uint64_t *ret_expires_at)
{
	if (out == NULL)
		return EID_EINVAL;
	return eph_fetch(s, ns, key, klen, out, ret_expires_at, false);
}

int eid_eph_take(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		 eid_buf *out)
{
	if (out == NULL)
		return EID_EINVAL;
	return eph_fetch(s, ns, key, klen, out, NULL, true);
}

int eid_eph_del(eid_store *s, enum eid_eph ns, const void *key, size_t klen)
{
	return eph_fetch(s, ns, key, klen, NULL, NULL, true);
}

int eid_eph_incr(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		 uint64_t expires_at, uint64_t *ret_count)
{
	struct eph_rec rec;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	uint8_t be[8];
	uint64_t count = 1;
	int r;

	if (ret_count == NULL)
		return EID_EINVAL;
	r = eph_begin(s, ns, true, key, klen, &txn, &dbi);
	if (r != EID_OK)
		return r;
	r = eph_lookup(s, txn, dbi, key, klen, &rec);
	if (r == EID_OK && rec.live && rec.vlen != sizeof(be))
		r = EID_EMALFORMED;
	if (r == EID_OK && rec.live) {
		count = get_be64(rec.val);
		/* Saturate: a rate limit stays exceeded, never wraps to 0. */
		count = count == UINT64_MAX ? count : count + 1;
		expires_at = rec.expires_at;
	}
	put_be64(be, count);
	if (r == EID_OK)
		r = eph_store(txn, dbi, key, klen, be, sizeof(be), expires_at);
	r = txn_finish(txn, r);
	if (r == EID_OK)
		*ret_count = count;
	return r;
}

/* One batch: delete up to SWEEP_BATCH dead entries at or after the key in
 * resume (empty: from the start); resume is left at the next key to look
 * at, emptied when the namespace is done. */
static int sweep_batch(eid_store *s, MDB_dbi dbi, eid_buf *resume,
		       uint64_t *removed)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k = { resume->len, resume->data }, v;
	uint64_t now = eid_store_now(s);
	unsigned n = 0;
	int r, rc;

	r = txn_begin(s->eph, true, &txn);
	if (r != EID_OK)
		return r;
	rc = mdb_cursor_open(txn, dbi, &c);
	if (rc == MDB_SUCCESS)
		rc = mdb_cursor_get(c, &k, &v,
				    resume->len > 0 ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == MDB_SUCCESS && n < SWEEP_BATCH) {
		if (v.mv_size < EPH_PREFIX || get_be64(v.mv_data) <= now) {
			rc = mdb_cursor_del(c, 0);
			n++;
		}
		if (rc == MDB_SUCCESS)
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	eid_buf_reset(resume);
	if (rc == MDB_SUCCESS) /* batch full: remember where to go on */
		r = eid_buf_put(resume, k.mv_data, k.mv_size);
	else if (rc != MDB_NOTFOUND)
		r = mdb_to_eid(rc);
	if (c != NULL)
		mdb_cursor_close(c);
	r = txn_finish(txn, r);
	if (r == EID_OK)
		*removed += n;
	return r;
}

int eid_eph_sweep(eid_store *s, uint64_t *ret_removed)
{
	eid_buf resume;
	uint64_t removed = 0;
	int r = EID_OK;

	if (s == NULL)
		return EID_EINVAL;
	if (s->read_only)
		return EID_EPERM;
	eid_buf_init(&resume, EID_STORE_MAX_KEY);
	for (unsigned ns = 0; ns < EID_EPH_COUNT && r == EID_OK; ns++) {
		do {
			r = sweep_batch(s, s->ephs[ns], &resume, &removed);
		} while (r == EID_OK && resume.len > 0);
	}
	eid_buf_free(&resume);
	if (r == EID_OK && ret_removed != NULL)
		*ret_removed = removed;
	return r;
}

struct eph_scan {
	uint64_t now;
	eid_store_visit_fn fn;
	void *arg;
};

/* Hands the caller live entries only, without the expiry prefix. */
static int eph_scan_one(const void *key, size_t klen, const void *val,
			size_t vlen, void *arg)
{
	struct eph_scan *st = arg;

	if (vlen < EPH_PREFIX || get_be64(val) <= st->now)
		return EID_OK;
	return st->fn(key, klen, (const uint8_t *)val + EPH_PREFIX,
		      vlen - EPH_PREFIX, st->arg);
}

int eid_eph_scan(eid_store *s, enum eid_eph ns, const void *prefix,
		 size_t plen, eid_store_visit_fn fn, void *arg)
{
	struct eph_scan st = { 0, fn, arg };
	MDB_cursor *c = NULL;
	MDB_txn *txn = NULL;
	int r;

	if (s == NULL || (unsigned)ns >= EID_EPH_COUNT || fn == NULL ||
	    (prefix == NULL && plen > 0))
		return EID_EINVAL;
	if (plen > EID_STORE_MAX_KEY)
		return EID_ETOOBIG;
	if (!s->eph_present[ns])
		return EID_OK;
	st.now = eid_store_now(s);
	if ((r = txn_begin(s->eph, false, &txn)) != EID_OK)
		return r;
	r = mdb_to_eid(mdb_cursor_open(txn, s->ephs[ns], &c));
	if (r == EID_OK) {
		r = scan_forward(c, prefix, plen, NULL, 0, eph_scan_one, &st);
		mdb_cursor_close(c);
	}
	mdb_txn_abort(txn);
	return r;
}
