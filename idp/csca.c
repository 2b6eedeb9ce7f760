#include "idp/csca.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/error.h"

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
