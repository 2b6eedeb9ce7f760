#include "idp/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/rcache.h"

/* A packed record is a few hundred bytes; this bounds a damaged one. */
#define RECORD_MAX (16u * 1024)

int eid_registry_lookup(const eid_registry *reg, const char *personal_id,
			struct eid_citizen *ret)
{
	if (reg == NULL || reg->lookup == NULL || personal_id == NULL)
		return EID_EINVAL;
	return reg->lookup(reg->ctx, personal_id, ret);
}

void eid_registry_close(eid_registry *reg)
{
	if (reg == NULL)
		return;
	if (reg->close != NULL)
		reg->close(reg->ctx);
	reg->lookup = NULL;
	reg->close = NULL;
	reg->ctx = NULL;
}

/* "<guardian id>:<ward id>" in EID_TABLE_GUARDIANS. */
#define GUARDIAN_KEY_LEN (2 * EID_PERSONAL_ID_LEN + 1)

static void guardian_key(const char *guardian, const char *ward,
			 char out[GUARDIAN_KEY_LEN + 1])
{
	(void)snprintf(out, GUARDIAN_KEY_LEN + 1, "%.12s:%.12s", guardian,
		       ward);
}

int eid_registry_guardian_index(eid_txn *t, const struct eid_citizen *c,
				const struct eid_citizen *old)
{
	char key[GUARDIAN_KEY_LEN + 1];
	int r;

	if (old != NULL && old->guardian_id[0] != '\0' &&
	    strcmp(old->guardian_id, c->guardian_id) != 0) {
		guardian_key(old->guardian_id, c->personal_id, key);
		r = eid_txn_del(t, EID_TABLE_GUARDIANS, key, GUARDIAN_KEY_LEN);
		if (r != EID_OK && r != EID_ENOTFOUND)
			return r;
	}
	if (c->guardian_id[0] == '\0')
		return EID_OK;
	guardian_key(c->guardian_id, c->personal_id, key);
	return eid_txn_put(t, EID_TABLE_GUARDIANS, key, GUARDIAN_KEY_LEN, "", 0);
}

int eid_registry_put(eid_txn *t, const struct eid_citizen *c)
{
	struct eid_citizen old;
	eid_buf rec;
	int r;

	r = eid_citizen_check(c, EID_CITIZEN_NO_CLOCK, NULL);
	if (r != EID_OK)
		return r;
	r = eid_registry_get(t, c->personal_id, &old);
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	r = eid_registry_guardian_index(t, c, r == EID_OK ? &old : NULL);
	if (r != EID_OK)
		return r;
	eid_buf_init(&rec, RECORD_MAX);
	r = eid_citizen_pack(c, &rec);
	if (r == EID_OK)
		r = eid_txn_put(t, EID_TABLE_REGISTRY, c->personal_id,
				EID_PERSONAL_ID_LEN, rec.data, rec.len);
	eid_buf_free(&rec);
	return r;
}

static int reindex_one(eid_txn *t, const void *key, size_t klen,
		       const void *val, size_t vlen, void *arg)
{
	char gkey[GUARDIAN_KEY_LEN + 1];
	struct eid_citizen c;
	int r;

	(void)key;
	(void)arg;
	if (klen != EID_PERSONAL_ID_LEN)
		return EID_EMALFORMED;
	if ((r = eid_citizen_unpack(val, vlen, &c)) != EID_OK ||
	    c.guardian_id[0] == '\0')
		return r;
	guardian_key(c.guardian_id, c.personal_id, gkey);
	return eid_txn_put(t, EID_TABLE_GUARDIANS, gkey, GUARDIAN_KEY_LEN, "",
			   0);
}

int eid_registry_reindex_guardians(eid_store *s, size_t batch,
				   uint64_t *ret_records)
{
	return eid_store_walk_batched(s, EID_TABLE_REGISTRY, batch,
				      reindex_one, NULL, ret_records);
}

struct wards {
	char (*ids)[EID_PERSONAL_ID_LEN + 1];
	size_t n, max;
};

static int ward_one(const void *key, size_t klen, const void *val,
		    size_t vlen, void *arg)
{
	struct wards *w = arg;

	(void)val;
	(void)vlen;
	if (klen != GUARDIAN_KEY_LEN)
		return EID_EMALFORMED;
	memcpy(w->ids[w->n], (const char *)key + EID_PERSONAL_ID_LEN + 1,
	       EID_PERSONAL_ID_LEN);
	w->ids[w->n][EID_PERSONAL_ID_LEN] = '\0';
	return ++w->n == w->max ? 1 : EID_OK;
}

int eid_registry_wards(eid_txn *t, const char *guardian_id,
		       char (*ret_ids)[EID_PERSONAL_ID_LEN + 1], size_t max,
		       size_t *ret_n)
{
	struct wards w = { .ids = ret_ids, .max = max };
	char prefix[EID_PERSONAL_ID_LEN + 2];
	struct eid_personal_id id;
	int r;

	if (ret_ids == NULL || max == 0 || ret_n == NULL)
		return EID_EINVAL;
	if ((r = eid_personal_id_parse(guardian_id, &id)) != EID_OK)
		return r;
	(void)snprintf(prefix, sizeof(prefix), "%s:", id.digits);
	r = eid_txn_scan(t, EID_TABLE_GUARDIANS, prefix, EID_PERSONAL_ID_LEN + 1,
			 ward_one, &w);
	if (r == EID_OK)
		*ret_n = w.n;
	return r;
}

int eid_registry_get_raw(eid_txn *t, const char *personal_id, eid_buf *out)
{
	struct eid_personal_id id;
	int r;

	r = eid_personal_id_parse(personal_id, &id);
	if (r != EID_OK)
		return r;
	return eid_txn_get(t, EID_TABLE_REGISTRY, id.digits,
			   EID_PERSONAL_ID_LEN, out);
}

int eid_registry_get(eid_txn *t, const char *personal_id,
		     struct eid_citizen *ret)
{
	eid_buf rec;
	int r;

	eid_buf_init(&rec, RECORD_MAX);
	r = eid_registry_get_raw(t, personal_id, &rec);
	if (r == EID_OK)
		r = eid_citizen_unpack(rec.data, rec.len, ret);
	eid_buf_free(&rec);
	return r;
}

static int local_lookup(void *ctx, const char *personal_id,
			struct eid_citizen *ret)
{
	eid_txn *t = NULL;
	int r;

	r = eid_store_begin(ctx, false, &t);
	if (r != EID_OK)
		return r;
	r = eid_registry_get(t, personal_id, ret);
	eid_txn_abort(t);
	return r;
}

static int citizen_decode(const void *raw, size_t n, void *ret)
{
	return eid_citizen_unpack(raw, n, ret);
}

static void citizen_clear(void *v)
{
	eid_wipe(v, sizeof(struct eid_citizen));
}

static const struct eid_rcache_type citizen_type = {
	.table = EID_TABLE_REGISTRY,
	.size = sizeof(struct eid_citizen),
	.raw_max = 2048, /* a record is about 300 bytes */
	.decode = citizen_decode,
	.clear = citizen_clear,
};

struct local_cached {
	eid_store *store;
	eid_rcache *cache;
};

static int cached_lookup(void *ctx, const char *personal_id,
			 struct eid_citizen *ret)
{
	struct local_cached *lc = ctx;
	struct eid_personal_id id;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_personal_id_parse(personal_id, &id)) != EID_OK)
		return r;
	if ((r = eid_store_begin(lc->store, false, &t)) != EID_OK)
		return r;
	r = eid_rcache_get(lc->cache, t, id.digits, EID_PERSONAL_ID_LEN, ret);
	eid_txn_abort(t);
	return r;
}

static void cached_close(void *ctx)
{
	struct local_cached *lc = ctx;

	eid_rcache_free(lc->cache);
	free(lc);
}

int eid_registry_open_local_cached(eid_store *s, size_t entries,
				   eid_registry *ret)
{
	struct local_cached *lc;
	int r;

	if (s == NULL || ret == NULL)
		return EID_EINVAL;
	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return EID_ENOMEM;
	lc->store = s;
	if ((r = eid_rcache_new(&citizen_type, entries, &lc->cache)) !=
	    EID_OK) {
		free(lc);
		return r;
	}
	ret->lookup = cached_lookup;
	ret->close = cached_close;
	ret->ctx = lc;
	return EID_OK;
}

int eid_registry_open_local(eid_store *s, eid_registry *ret)
{
	if (s == NULL || ret == NULL)
		return EID_EINVAL;
	ret->lookup = local_lookup;
	ret->close = NULL; /* the store belongs to the caller */
	ret->ctx = s;
	return EID_OK;
}
