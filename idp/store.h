/* The store: the one seam between eid and its database.
 *
 * LMDB is the embedded default (and for now the only backend); a PostgreSQL
 * backend will follow, so no LMDB type, cursor or flag appears here.  Two
 * kinds of data:
 *
 *  - durable tables (accounts, registry, keys, clients, audit...): read and
 *    written in transactions, every write commit is synced to disk;
 *  - short-lived entries (codes, sessions, PAR requests, DPoP jti, rate
 *    counters): single-operation calls with an absolute expiry, kept where a
 *    crash may lose them (LMDB without sync), and shared by every process
 *    that opens the same data directory.
 *
 * Values handed out are always copies (into a caller's eid_buf): nothing
 * borrowed from the database outlives the call.  Several processes (eidd and
 * eidctl) may open the same directory at once; a committed write is seen by
 * every transaction begun after it. */
#ifndef EID_STORE_H
#define EID_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"

/* Durable tables.  X(enum name, database name).  Add new tables at the
 * end; names are part of the on-disk format. */
#define EID_STORE_TABLES(X)                \
	X(EID_TABLE_META, "meta")          \
	X(EID_TABLE_KEYS, "keys")          \
	X(EID_TABLE_REGISTRY, "registry")  \
	X(EID_TABLE_ACCOUNTS, "accounts")  \
	X(EID_TABLE_ACCOUNT_INDEX, "account_index") \
	X(EID_TABLE_CLIENTS, "clients")    \
	X(EID_TABLE_OFFICERS, "officers")  \
	X(EID_TABLE_AUDIT, "audit")        \
	X(EID_TABLE_CSCA, "csca")          \
	X(EID_TABLE_GRANTS, "grants")      \
	X(EID_TABLE_CA, "ca")              \
	X(EID_TABLE_CERTS, "certs")        \
	X(EID_TABLE_CONSENTS, "consents")  \
	X(EID_TABLE_OUTBOX, "outbox")      \
	X(EID_TABLE_PORTRAITS, "portraits") \
	X(EID_TABLE_DEVICES, "devices")    \
	X(EID_TABLE_ACTIVATIONS, "activations") \
	X(EID_TABLE_CREDENTIALS, "credentials") \
	X(EID_TABLE_AUDIT_INDEX, "audit_index") \
	X(EID_TABLE_GUARDIANS, "registry_guardians") \
	X(EID_TABLE_PASSKEYS, "passkeys")

/* Short-lived namespaces, same scheme, stored apart from durable data. */
#define EID_STORE_EPHEMERAL(X)                 \
	X(EID_EPH_SESSIONS, "sessions")        \
	X(EID_EPH_CODES, "codes")              \
	X(EID_EPH_PAR, "par")                  \
	X(EID_EPH_JTI, "jti")                  \
	X(EID_EPH_OTP, "otp")                  \
	X(EID_EPH_CHALLENGES, "challenges")    \
	X(EID_EPH_COUNTERS, "counters")    \
	X(EID_EPH_JWKS, "jwks")                \
	X(EID_EPH_INTERACTIONS, "interactions") \
	X(EID_EPH_SIGN, "sign")                \
	X(EID_EPH_SMSQ, "smsq")

enum eid_table {
#define EID_STORE_ENUM(e, name) e,
	EID_STORE_TABLES(EID_STORE_ENUM)
#undef EID_STORE_ENUM
	EID_TABLE_COUNT
};

enum eid_eph {
#define EID_STORE_ENUM(e, name) e,
	EID_STORE_EPHEMERAL(EID_STORE_ENUM)
#undef EID_STORE_ENUM
	EID_EPH_COUNT
};

/* The on-disk schema version; a store stamped with another is refused. */
#define EID_STORE_SCHEMA_VERSION 1u

/* Largest key and value the store accepts (LMDB's default key limit is 511
 * bytes; values are capped so a bug cannot fill the disk in one write). */
#define EID_STORE_MAX_KEY 480u
#define EID_STORE_MAX_VALUE (16u * 1024 * 1024)

typedef struct eid_store eid_store;
typedef struct eid_txn eid_txn;

struct eid_store_options {
	uint64_t map_size;  /* bytes of address space for durable data; 0: default */
	uint64_t eph_map_size; /* the same for short-lived data; 0: default */
	bool read_only;     /* open without creating or writing anything */
	/* Clock for expiry (seconds since the epoch); NULL: time(NULL).
	 * Tests move time with it. */
	uint64_t (*now)(void *arg);
	void *now_arg;
};

/* Open (creating when absent and not read-only) the store in dir.
 * EID_ESCHEMA when the stamped version differs, EID_EPERM/EID_EIO when the
 * directory cannot be used, EID_ENOTFOUND when read-only and absent. */
int eid_store_open(const char *dir, const struct eid_store_options *opt,
		   eid_store **ret_store);
void eid_store_close(eid_store *s);

/* Seconds since the epoch by the store's clock. */
uint64_t eid_store_now(const eid_store *s);

/* Durable transactions.  A write transaction excludes other writers (in
 * every process) until commit or abort.  Commit and abort free the txn. */
int eid_store_begin(eid_store *s, bool write, eid_txn **ret_txn);
int eid_txn_commit(eid_txn *t);
void eid_txn_abort(eid_txn *t); /* NULL is fine */
/* Commit t when r is EID_OK, abort it otherwise; returns r, or the
 * commit's error. */
int eid_txn_finish(eid_txn *t, int r);

/* Append a copy of the value to out.  EID_ENOTFOUND when absent. */
int eid_txn_get(eid_txn *t, enum eid_table tb, const void *key, size_t klen,
		eid_buf *out);
/* Insert or replace. */
int eid_txn_put(eid_txn *t, enum eid_table tb, const void *key, size_t klen,
		const void *val, size_t vlen);
/* Insert only; EID_EEXIST when the key is present. */
int eid_txn_insert(eid_txn *t, enum eid_table tb, const void *key,
		   size_t klen, const void *val, size_t vlen);
/* EID_ENOTFOUND when absent. */
int eid_txn_del(eid_txn *t, enum eid_table tb, const void *key, size_t klen);

/* Visit, in key order, every entry whose key starts with prefix (plen 0:
 * all).  key and val are borrowed for the duration of the call only.  The
 * visitor returns EID_OK to go on, 1 to stop early (scan returns EID_OK),
 * or a negative error, which scan returns. */
typedef int (*eid_store_visit_fn)(const void *key, size_t klen,
				  const void *val, size_t vlen, void *arg);
int eid_txn_scan(eid_txn *t, enum eid_table tb, const void *prefix,
		 size_t plen, eid_store_visit_fn fn, void *arg);
/* The same, resuming: only keys greater than after (alen 0: from the
 * first key with the prefix).  Batched walks of large tables keep the last
 * key they saw and go on from it in a later transaction. */
int eid_txn_scan_after(eid_txn *t, enum eid_table tb, const void *prefix,
		       size_t plen, const void *after, size_t alen,
		       eid_store_visit_fn fn, void *arg);
/* Visit, in descending key order, the entries whose key starts with
 * prefix and is less than before (blen 0: from the last key with the
 * prefix); the visitor follows eid_txn_scan's rules.  Newest-first
 * listings over keys that sort by time. */
int eid_txn_scan_back(eid_txn *t, enum eid_table tb, const void *prefix,
		      size_t plen, const void *before, size_t blen,
		      eid_store_visit_fn fn, void *arg);
/* Call fn once with the value of key, borrowed for the duration of the
 * call only (fn's key is key), and return what fn returns; EID_ENOTFOUND
 * when absent, without calling fn.  For a reader that only compares or
 * decodes the value: it saves eid_txn_get's copy (idp/rcache.h). */
int eid_txn_peek(eid_txn *t, enum eid_table tb, const void *key, size_t klen,
		 eid_store_visit_fn fn, void *arg);
/* Visit every entry of tb in key order, in write transactions of at most
 * batch entries each, committed in turn: a pass over a large table that
 * writes other tables (rebuilding an index) never holds the write lock
 * long.  The visitor gets the transaction (to write tables other than
 * tb) and follows eid_txn_scan's rules, except that 1 is not allowed.
 * *ret_count (may be NULL): entries visited. */
typedef int (*eid_store_batch_fn)(eid_txn *t, const void *key, size_t klen,
				  const void *val, size_t vlen, void *arg);
int eid_store_walk_batched(eid_store *s, enum eid_table tb, size_t batch,
			   eid_store_batch_fn fn, void *arg,
			   uint64_t *ret_count);
/* Copy the greatest key and its value (append-only logs find their tail
 * with it).  EID_ENOTFOUND when the table is empty. */
int eid_txn_last(eid_txn *t, enum eid_table tb, eid_buf *ret_key,
		 eid_buf *ret_val);
/* Number of entries in a table. */
int eid_txn_count(eid_txn *t, enum eid_table tb, uint64_t *ret_count);

/* Short-lived entries: each call is atomic on its own.  An entry past its
 * expiry (unix seconds, by the store's clock) behaves as absent. */
/* Insert; EID_EEXIST when a live entry has the key. */
int eid_eph_put(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		const void *val, size_t vlen, uint64_t expires_at);
/* Insert or replace. */
int eid_eph_set(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		const void *val, size_t vlen, uint64_t expires_at);
/* Append a copy of the value to out; EID_ENOTFOUND when absent/expired.
 * ret_expires_at may be NULL. */
int eid_eph_get(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		eid_buf *out, uint64_t *ret_expires_at);
/* Get and delete in one step: a single-use value can be taken only once. */
int eid_eph_take(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		 eid_buf *out);
int eid_eph_del(eid_store *s, enum eid_eph ns, const void *key, size_t klen);
/* Add one to a counter, creating it (with this expiry) when absent or
 * expired; the expiry of a live counter is kept.  Returns the new count. */
int eid_eph_incr(eid_store *s, enum eid_eph ns, const void *key, size_t klen,
		 uint64_t expires_at, uint64_t *ret_count);
/* Visit, in key order, the live entries whose key starts with prefix; the
 * visitor follows eid_txn_scan's rules.  A consistent snapshot. */
int eid_eph_scan(eid_store *s, enum eid_eph ns, const void *prefix,
		 size_t plen, eid_store_visit_fn fn, void *arg);
/* Remove expired entries from every namespace. */
int eid_eph_sweep(eid_store *s, uint64_t *ret_removed);

#endif
