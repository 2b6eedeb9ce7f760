/* A bounded cache of decoded store records, checked on every hit.
 *
 * The token paths (userinfo, introspection) read the same few records on
 * every request, and decoding their JSON cost more than the rest of such
 * a request beyond the HTTP floor (docs/performance.md).  An entry keeps
 * a record's bytes and its decoded form.  A read still looks the record
 * up in the caller's transaction (without a copy: eid_txn_peek) and takes
 * the decoded form only when the stored bytes are the cached bytes
 * (length, then memcmp); otherwise it decodes them and keeps the result.
 * A record updated, locked, revoked or deleted has other bytes or none,
 * so it is seen at once: there is nothing to invalidate.
 *
 * Bounded: sets of EID_RCACHE_WAYS entries, the least recently used entry
 * of a set replaced; records longer than the type's raw_max or keys
 * longer than EID_RCACHE_KEY_MAX are decoded but not kept.  Thread-safe:
 * a mutex per set.  An entry's bytes and decoded form are wiped when it is
 * replaced and when the cache is freed (they hold personal data; an
 * account's bytes hold its password hash, which the store's map holds in
 * this process anyway).  The cache lives in the server's context, never
 * in a global. */
#ifndef EID_RCACHE_H
#define EID_RCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "idp/store.h"

#define EID_RCACHE_WAYS 4
#define EID_RCACHE_KEY_MAX 256 /* kept with the record's bytes */

/* What a cache holds: records of one table and how to decode them. */
struct eid_rcache_type {
	enum eid_table table;
	size_t size;    /* bytes of the decoded form */
	size_t raw_max; /* longest record kept */
	/* Decode n bytes into ret (size bytes, zeroed). */
	int (*decode)(const void *raw, size_t n, void *ret);
	/* A deep copy of from into to (size bytes); on failure to is
	 * cleared.  NULL: the form owns nothing, memcpy is a copy. */
	int (*copy)(const void *from, void *to);
	/* Release and wipe what a decoded form holds. */
	void (*clear)(void *v);
};

typedef struct eid_rcache eid_rcache;

/* A cache of at least entries entries (rounded up to whole sets; 0 is
 * refused).  type must outlive the cache. */
int eid_rcache_new(const struct eid_rcache_type *type, size_t entries,
		   eid_rcache **ret_cache);
/* Wipe and free every entry; NULL is fine. */
void eid_rcache_free(eid_rcache *c);

/* The record under key in the type's table, read in t and decoded into
 * ret (the caller clears it with the type's clear): the kept form when
 * the stored bytes are the kept bytes, the record decoded otherwise.
 * EID_ENOTFOUND when absent; the decoder's errors; EID_ENOMEM. */
int eid_rcache_get(eid_rcache *c, eid_txn *t, const void *key, size_t klen,
		   void *ret);

/* Counts since the cache was made (tests, profiling). */
struct eid_rcache_stats {
	uint64_t hits, misses;
	size_t entries; /* kept now */
	size_t capacity;
};
void eid_rcache_stats(eid_rcache *c, struct eid_rcache_stats *ret);

/* For a type's copy: a copy of the string from in *to, NULL for NULL.
 * EID_ENOMEM (and *to NULL) when it cannot be made. */
int eid_rcache_copy_str(const char *from, char **to);

#endif
