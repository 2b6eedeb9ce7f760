#include "idp/csca.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/error.h"

static const char generation_key[] = "csca_generation";

int eid_csca_generation(eid_txn *t, uint64_t *ret_gen)
{
	eid_buf v;
	int r;

	eid_buf_init(&v, 8);
	r = eid_txn_get(t, EID_TABLE_META, generation_key,
			sizeof(generation_key) - 1, &v);
	if (r == EID_OK && v.len != 8)
		r = EID_EMALFORMED;
	if (r == EID_OK || r == EID_ENOTFOUND) {
		*ret_gen = r == EID_OK ? eid_be64_load(v.data) : 0;
		r = EID_OK;
	}
	eid_buf_free(&v);
	return r;
}

static int bump_generation(eid_txn *t)
{
	uint8_t v[8];
	uint64_t gen = 0;
	int r = eid_csca_generation(t, &gen);

	if (r != EID_OK)
		return r;
	eid_be64_store(v, gen + 1);
	return eid_txn_put(t, EID_TABLE_META, generation_key,
			   sizeof(generation_key) - 1, v, sizeof(v));
}

int eid_csca_put(eid_txn *t, const uint8_t *der, size_t n, bool *ret_added)
{
	const unsigned char *p = der;
	uint8_t key[EID_CSCA_KEY_LEN];
	X509 *x;
	int r;

	if (n == 0 || n > EID_CSCA_MAX_FILE)
		return EID_EMALFORMED;
	x = d2i_X509(NULL, &p, (long)n);
	if (x == NULL || p != der + n) {
		X509_free(x);
		return EID_EMALFORMED;
	}
	r = X509_check_ca(x) == 0 ? EID_EINVAL : EID_OK;
	X509_free(x);
	if (r != EID_OK)
		return r;
	if (EVP_Digest(der, n, key, NULL, EVP_sha256(), NULL) != 1)
		return EID_ECRYPTO;
	r = eid_txn_insert(t, EID_TABLE_CSCA, key, sizeof(key), der, n);
	if (r == EID_EEXIST) {
		if (ret_added != NULL)
			*ret_added = false;
		return EID_OK;
	}
	if (r == EID_OK)
		r = bump_generation(t);
	if (r == EID_OK && ret_added != NULL)
		*ret_added = true;
	return r;
}

struct each_ctx {
	eid_csca_visit_fn fn;
	void *arg;
};

static int visit(const void *key, size_t klen, const void *val, size_t vlen,
		 void *arg)
{
	struct each_ctx *c = arg;

	(void)key;
	if (klen != EID_CSCA_KEY_LEN)
		return EID_EMALFORMED;
	return c->fn(val, vlen, c->arg);
}

int eid_csca_each(eid_txn *t, eid_csca_visit_fn fn, void *arg)
{
	struct each_ctx c = { fn, arg };

	return eid_txn_scan(t, EID_TABLE_CSCA, NULL, 0, visit, &c);
}

struct load_ctx {
	eid_csca_store *store;
	size_t count;
};

static int load_one(const uint8_t *der, size_t n, void *arg)
{
	struct load_ctx *c = arg;
	int r = eid_csca_store_add_der(c->store, der, n);

	if (r == EID_OK)
		c->count++;
	return r;
}

int eid_csca_load(eid_txn *t, eid_csca_store *store, size_t *ret_count)
{
	struct load_ctx c = { store, 0 };
	int r = eid_csca_each(t, load_one, &c);

	if (r == EID_OK && ret_count != NULL)
		*ret_count = c.count;
	return r;
}

int eid_csca_open(eid_store *s, eid_csca_store **ret_store,
		  size_t *ret_count)
{
	eid_csca_store *store = NULL;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_csca_store_new(&store)) != EID_OK)
		return r;
	if ((r = eid_store_begin(s, false, &t)) == EID_OK)
		r = eid_csca_load(t, store, ret_count);
	eid_txn_abort(t);
	if (r != EID_OK) {
		eid_csca_store_free(store);
		return r;
	}
	*ret_store = store;
	return EID_OK;
}

/* ---- the server's cache ---- */

struct eid_csca_snap {
	eid_csca_store *store;
	uint64_t gen;
	unsigned refs; /* the cache's own, plus one per acquire */
};

struct eid_csca_cache {
	eid_store *s;
	pthread_mutex_t mu;
	eid_csca_snap *cur;
};

static void snap_unref(eid_csca_snap *snap)
{
	if (snap != NULL && --snap->refs == 0) {
		eid_csca_store_free(snap->store);
		free(snap);
	}
}

/* A snapshot of generation gen read in t. */
static int snap_load(eid_txn *t, uint64_t gen, eid_csca_snap **ret)
{
	eid_csca_snap *snap = calloc(1, sizeof(*snap));
	int r;

	if (snap == NULL)
		return EID_ENOMEM;
	if ((r = eid_csca_store_new(&snap->store)) != EID_OK ||
	    (r = eid_csca_load(t, snap->store, NULL)) != EID_OK) {
		eid_csca_store_free(snap->store);
		free(snap);
		return r;
	}
	snap->gen = gen;
	snap->refs = 1;
	*ret = snap;
	return EID_OK;
}

/* Load a fresh snapshot when the table moved past the cached one. */
static int refresh(eid_csca_cache *c)
{
	eid_csca_snap *snap = NULL, *old = NULL;
	eid_txn *t = NULL;
	uint64_t gen = 0, have;
	int r;

	if ((r = eid_store_begin(c->s, false, &t)) != EID_OK ||
	    (r = eid_csca_generation(t, &gen)) != EID_OK)
		goto out;
	pthread_mutex_lock(&c->mu);
	have = c->cur != NULL ? c->cur->gen : UINT64_MAX;
	pthread_mutex_unlock(&c->mu);
	if (have == gen || (r = snap_load(t, gen, &snap)) != EID_OK)
		goto out;
	pthread_mutex_lock(&c->mu);
	if (c->cur == NULL || c->cur->gen < gen) {
		old = c->cur;
		c->cur = snap;
		snap = NULL;
	}
	snap_unref(old); /* under the lock: users release concurrently */
	pthread_mutex_unlock(&c->mu);
	snap_unref(snap); /* another thread got there first; never shared */
out:
	eid_txn_abort(t);
	return r;
}

int eid_csca_cache_new(eid_store *s, eid_csca_cache **ret_cache)
{
	eid_csca_cache *c = calloc(1, sizeof(*c));
	int r;

	if (c == NULL)
		return EID_ENOMEM;
	c->s = s;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return EID_ENOMEM;
	}
	if ((r = refresh(c)) != EID_OK) {
		eid_csca_cache_free(c);
		return r;
	}
	*ret_cache = c;
	return EID_OK;
}

void eid_csca_cache_free(eid_csca_cache *c)
{
	if (c == NULL)
		return;
	snap_unref(c->cur);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int eid_csca_cache_acquire(eid_csca_cache *c, const eid_csca_store **ret_store,
			   eid_csca_snap **ret_snap)
{
	int r = refresh(c);

	if (r != EID_OK)
		return r;
	pthread_mutex_lock(&c->mu);
	c->cur->refs++;
	*ret_snap = c->cur;
	*ret_store = c->cur->store;
	pthread_mutex_unlock(&c->mu);
	return EID_OK;
}

void eid_csca_cache_release(eid_csca_cache *c, eid_csca_snap *snap)
{
	if (snap == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	snap_unref(snap);
	pthread_mutex_unlock(&c->mu);
}
