#include "idp/rcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"

/* One kept record: its key and its bytes (one allocation, the key
 * first), its decoded form.  form NULL: empty. */
struct entry {
	uint8_t *bytes; /* klen bytes of key, then len bytes of record */
	size_t klen;
	size_t len;
	void *form;
	uint64_t used; /* the set's clock at the last hit or fill */
};

struct set {
	pthread_mutex_t lock;
	uint64_t clock;
	uint64_t hits, misses;
	struct entry way[EID_RCACHE_WAYS];
};

struct eid_rcache {
	const struct eid_rcache_type *type;
	size_t nsets;
	struct set *sets;
};

int eid_rcache_new(const struct eid_rcache_type *type, size_t entries,
		   eid_rcache **ret_cache)
{
	eid_rcache *c;
	size_t i;

	if (type == NULL || type->decode == NULL || type->clear == NULL ||
	    type->size == 0 || entries == 0 || ret_cache == NULL ||
	    entries > SIZE_MAX / 2)
		return EID_EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return EID_ENOMEM;
	c->type = type;
	c->nsets = (entries + EID_RCACHE_WAYS - 1) / EID_RCACHE_WAYS;
	if ((c->sets = calloc(c->nsets, sizeof(*c->sets))) == NULL) {
		free(c);
		return EID_ENOMEM;
	}
	for (i = 0; i < c->nsets; i++)
		if (pthread_mutex_init(&c->sets[i].lock, NULL) != 0)
			break;
	if (i < c->nsets) {
		while (i-- > 0)
			pthread_mutex_destroy(&c->sets[i].lock);
		free(c->sets);
		free(c);
		return EID_ENOMEM;
	}
	*ret_cache = c;
	return EID_OK;
}

/* Wipe and free what e holds (e is no longer in a set, or the set is
 * locked); e becomes empty. */
static void entry_drop(const struct eid_rcache_type *type, struct entry *e)
{
	if (e->form != NULL) {
		type->clear(e->form);
		eid_free_secret(e->form, type->size);
	}
	if (e->bytes != NULL)
		eid_free_secret(e->bytes, e->klen + e->len);
	eid_wipe(e, sizeof(*e));
}

void eid_rcache_free(eid_rcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nsets; i++) {
		for (size_t w = 0; w < EID_RCACHE_WAYS; w++)
			entry_drop(c->type, &c->sets[i].way[w]);
		pthread_mutex_destroy(&c->sets[i].lock);
	}
	free(c->sets);
	free(c);
}

static struct set *set_of(eid_rcache *c, const void *key, size_t klen)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < klen; i++)
		h = (h ^ p[i]) * 16777619u;
	return &c->sets[h % c->nsets];
}

static struct entry *find(struct set *s, const void *key, size_t klen)
{
	for (size_t w = 0; w < EID_RCACHE_WAYS; w++) {
		struct entry *e = &s->way[w];

		if (e->form != NULL && e->klen == klen &&
		    memcmp(e->bytes, key, klen) == 0)
			return e;
	}
	return NULL;
}

/* Where a new entry for key goes: its old entry, else an empty one, else
 * the least recently used. */
static struct entry *victim(struct set *s, const void *key, size_t klen)
{
	struct entry *e = find(s, key, klen), *lru = &s->way[0];

	if (e != NULL)
		return e;
	for (size_t w = 0; w < EID_RCACHE_WAYS; w++) {
		if (s->way[w].form == NULL)
			return &s->way[w];
		if (s->way[w].used < lru->used)
			lru = &s->way[w];
	}
	return lru;
}

static int form_copy(const struct eid_rcache_type *type, const void *from,
		     void *to)
{
	if (type->copy != NULL)
		return type->copy(from, to);
	memcpy(to, from, type->size);
	return EID_OK;
}

/* Keep key, its bytes and a copy of form (best effort: a failure only
 * means the next read decodes again). */
static void keep(eid_rcache *c, struct set *s, const void *key, size_t klen,
		 const void *raw, size_t len, const void *form)
{
	const struct eid_rcache_type *type = c->type;
	struct entry fresh = { 0 }, *e;

	if (klen > EID_RCACHE_KEY_MAX || len > type->raw_max)
		return;
	fresh.klen = klen;
	fresh.len = len;
	if ((fresh.bytes = malloc(klen + len > 0 ? klen + len : 1)) == NULL ||
	    (fresh.form = calloc(1, type->size)) == NULL ||
	    form_copy(type, form, fresh.form) != EID_OK) {
		free(fresh.form); /* cleared by the failed copy */
		fresh.form = NULL;
		entry_drop(type, &fresh);
		return;
	}
	memcpy(fresh.bytes, key, klen);
	memcpy(fresh.bytes + klen, raw, len);
	if (pthread_mutex_lock(&s->lock) != 0) {
		entry_drop(type, &fresh);
		return;
	}
	e = victim(s, key, klen);
	fresh.used = ++s->clock;
	/* Swap: the old entry leaves the set and is dropped unlocked. */
	{
		struct entry old = *e;

		*e = fresh;
		fresh = old;
	}
	pthread_mutex_unlock(&s->lock);
	entry_drop(type, &fresh);
}

struct peek {
	eid_rcache *c;
	void *ret;
};

/* The record's bytes, borrowed from the store for this call. */
static int on_record(const void *key, size_t klen, const void *raw,
		     size_t len, void *arg)
{
	struct peek *p = arg;
	const struct eid_rcache_type *type = p->c->type;
	struct set *s = set_of(p->c, key, klen);
	struct entry *e;
	bool hit = false;
	int r = EID_OK;

	if (pthread_mutex_lock(&s->lock) == 0) {
		e = find(s, key, klen);
		hit = e != NULL && e->len == len &&
		      memcmp(e->bytes + klen, raw, len) == 0;
		if (hit) {
			e->used = ++s->clock;
			s->hits++;
			r = form_copy(type, e->form, p->ret);
		} else {
			s->misses++;
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (hit)
		return r;
	if ((r = type->decode(raw, len, p->ret)) == EID_OK)
		keep(p->c, s, key, klen, raw, len, p->ret);
	return r;
}

int eid_rcache_get(eid_rcache *c, eid_txn *t, const void *key, size_t klen,
		   void *ret)
{
	struct peek p = { c, ret };

	if (c == NULL || t == NULL || key == NULL || ret == NULL)
		return EID_EINVAL;
	memset(ret, 0, c->type->size);
	return eid_txn_peek(t, c->type->table, key, klen, on_record, &p);
}

void eid_rcache_stats(eid_rcache *c, struct eid_rcache_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (c == NULL)
		return;
	ret->capacity = c->nsets * EID_RCACHE_WAYS;
	for (size_t i = 0; i < c->nsets; i++) {
		struct set *s = &c->sets[i];

		if (pthread_mutex_lock(&s->lock) != 0)
			continue;
		ret->hits += s->hits;
		ret->misses += s->misses;
		for (size_t w = 0; w < EID_RCACHE_WAYS; w++)
			ret->entries += s->way[w].form != NULL;
		pthread_mutex_unlock(&s->lock);
	}
}

int eid_rcache_copy_str(const char *from, char **to)
{
	*to = NULL;
	if (from != NULL && (*to = strdup(from)) == NULL)
		return EID_ENOMEM;
	return EID_OK;
}
