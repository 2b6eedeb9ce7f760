#include "idp/signing.h"

#include <pthread.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/jws_write.h"
#include "crypto/pkcs11.h"
#include "crypto/secret.h"

#define KEY_RECORD_MAX (EID_KEY_SEAL_MAX * 2)
#define KEYS_MAX 64 /* more keys than any sane rotation keeps published */
#define GENERATION_CHECK_S 1
/* Verified tokens remembered (a power of two): 40 bytes each. */
#define VCACHE_SLOTS 4096

static const char generation_key[] = "keys_generation";

struct key_rec {
	struct eid_key_info info;
	uint64_t serial; /* order of creation: breaks ties within a second */
	eid_buf sealed;
};

const char *eid_key_state_name(enum eid_key_state s)
{
	switch (s) {
	case EID_KEY_PENDING:
		return "pending";
	case EID_KEY_ACTIVE:
		return "active";
	case EID_KEY_RETIRED:
		return "retired";
	case EID_KEY_EXPIRED:
		return "expired";
	}
	return "unknown";
}

/* ---- records: one JSON object per key, the private key sealed ---- */

static int record_encode(const struct key_rec *k, eid_buf *out)
{
	eid_buf b64;
	json_t *o = NULL;
	char *s = NULL;
	int r;

	eid_buf_init(&b64, KEY_RECORD_MAX);
	if ((r = eid_b64url_encode(k->sealed.data, k->sealed.len, &b64)) != EID_OK)
		goto out;
	o = json_pack("{s:i, s:I, s:s, s:s, s:I, s:I, s:I, s:s%}", "v", 1,
		      "serial", (json_int_t)k->serial,
		      "kid", k->info.kid, "alg", eid_alg_name(k->info.alg),
		      "created_at", (json_int_t)k->info.created_at,
		      "activates_at", (json_int_t)k->info.activates_at,
		      "retired_at", (json_int_t)k->info.retired_at,
		      "sealed", (const char *)b64.data, b64.len);
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	r = eid_buf_put_str(out, s);
out:
	free(s);
	json_decref(o);
	eid_buf_free(&b64);
	return r;
}

static int record_decode(const void *p, size_t n, struct key_rec *ret)
{
	json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	json_int_t v = 0, serial = 0, created = 0, activates = 0, retired = 0;
	const char *kid = NULL, *alg = NULL, *sealed = NULL;
	size_t sealed_len = 0;
	struct key_rec k;
	int r = EID_EMALFORMED;

	memset(&k, 0, sizeof(k));
	eid_buf_init(&k.sealed, EID_KEY_SEAL_MAX);
	if (o == NULL ||
	    json_unpack(o, "{s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:s%}", "v", &v,
			"serial", &serial, "kid", &kid, "alg", &alg, "created_at", &created,
			"activates_at", &activates, "retired_at", &retired,
			"sealed", &sealed, &sealed_len) != 0 ||
	    v != 1 || serial < 0 || created < 0 || activates < 0 || retired < 0 ||
	    strlen(kid) > EID_KID_MAX)
		goto out;
	if ((r = eid_alg_from_name(alg, &k.info.alg)) != EID_OK)
		goto out;
	if ((r = eid_b64url_decode(sealed, sealed_len, &k.sealed)) != EID_OK)
		goto out;
	memcpy(k.info.kid, kid, strlen(kid) + 1);
	k.serial = (uint64_t)serial;
	k.info.created_at = (uint64_t)created;
	k.info.activates_at = (uint64_t)activates;
	k.info.retired_at = (uint64_t)retired;
	*ret = k;
	k.sealed.data = NULL; /* moved */
	r = EID_OK;
out:
	eid_buf_free(&k.sealed);
	json_decref(o);
	return r;
}

static int record_put(eid_txn *t, const struct key_rec *k)
{
	eid_buf v;
	int r;

	eid_buf_init(&v, KEY_RECORD_MAX);
	r = record_encode(k, &v);
	if (r == EID_OK)
		r = eid_txn_put(t, EID_TABLE_KEYS, k->info.kid,
				strlen(k->info.kid), v.data, v.len);
	eid_buf_free(&v);
	return r;
}

struct key_set {
	struct key_rec *k;
	size_t n;
};

static void key_set_free(struct key_set *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		eid_buf_free(&ks->k[i].sealed);
	free(ks->k);
	ks->k = NULL;
	ks->n = 0;
}

static int collect_key(const void *key, size_t klen, const void *val,
		       size_t vlen, void *arg)
{
	struct key_set *ks = arg;
	struct key_rec *grown;
	int r;

	(void)key;
	(void)klen;
	if (ks->n >= KEYS_MAX)
		return EID_ETOOBIG;
	grown = realloc(ks->k, (ks->n + 1) * sizeof(*ks->k));
	if (grown == NULL)
		return EID_ENOMEM;
	ks->k = grown;
	r = record_decode(val, vlen, &ks->k[ks->n]);
	if (r != EID_OK)
		return r;
	ks->n++;
	return EID_OK;
}

static int by_activation(const void *a, const void *b)
{
	const struct key_rec *ka = a, *kb = b;

	if (ka->info.activates_at != kb->info.activates_at)
		return ka->info.activates_at < kb->info.activates_at ? -1 : 1;
	if (ka->serial != kb->serial)
		return ka->serial < kb->serial ? -1 : 1;
	return strcmp(ka->info.kid, kb->info.kid);
}

/* ---- the timeline ---- */

/* A key retired at or before its activation never signs. */
static bool ever_signs(const struct eid_key_info *k)
{
	return k->retired_at == 0 || k->retired_at > k->activates_at;
}

/* Fill signs_until, published_until and state for keys sorted by
 * activation.  A key signs from its activation until the next key that
 * ever signs activates, or until it is retired, whichever is first. */
static void compute_timeline(struct key_rec *k, size_t n, uint64_t now,
			     uint64_t retire_after)
{
	for (size_t i = 0; i < n; i++) {
		struct eid_key_info *ki = &k[i].info;
		uint64_t end = 0;

		/* Keys of another algorithm sign side by side: only the next
		 * key of the same algorithm takes over. */
		for (size_t j = i + 1; j < n; j++) {
			if (k[j].info.alg == ki->alg && ever_signs(&k[j].info)) {
				end = k[j].info.activates_at;
				break;
			}
		}
		if (ki->retired_at != 0 && (end == 0 || ki->retired_at < end))
			end = ki->retired_at;
		if (!ever_signs(ki)) {
			end = ki->activates_at;
			ki->published_until = ki->retired_at;
		} else {
			ki->published_until = end == 0 ? 0 : end + retire_after;
		}
		ki->signs_until = end;
		if (!ever_signs(ki))
			ki->state = now < ki->published_until ? EID_KEY_PENDING
							      : EID_KEY_EXPIRED;
		else if (now < ki->activates_at)
			ki->state = EID_KEY_PENDING;
		else if (end == 0 || now < end)
			ki->state = EID_KEY_ACTIVE;
		else if (ki->published_until == 0 || now < ki->published_until)
			ki->state = EID_KEY_RETIRED;
		else
			ki->state = EID_KEY_EXPIRED;
	}
}

static int load_keys(eid_txn *t, uint64_t now, uint64_t retire_after,
		     struct key_set *ret)
{
	struct key_set ks = { 0 };
	int r = eid_txn_scan(t, EID_TABLE_KEYS, NULL, 0, collect_key, &ks);

	if (r != EID_OK) {
		key_set_free(&ks);
		return r;
	}
	if (ks.n > 1)
		qsort(ks.k, ks.n, sizeof(*ks.k), by_activation);
	compute_timeline(ks.k, ks.n, now, retire_after);
	*ret = ks;
	return EID_OK;
}

/* The generation number in a transaction (0 when never bumped). */
static int get_generation(eid_txn *t, uint64_t *ret_gen)
{
	eid_buf v;
	eid_rd rd;
	uint64_t gen = 0;
	int r;

	eid_buf_init(&v, 8);
	r = eid_txn_get(t, EID_TABLE_META, generation_key,
			sizeof(generation_key) - 1, &v);
	if (r == EID_OK) {
		rd = eid_rd_make(v.data, v.len);
		if (v.len != 8 || eid_rd_u64be(&rd, &gen) != EID_OK)
			r = EID_EMALFORMED;
	} else if (r == EID_ENOTFOUND) {
		r = EID_OK;
	}
	if (r == EID_OK)
		*ret_gen = gen;
	eid_buf_free(&v);
	return r;
}

static int bump_generation(eid_txn *t, uint64_t *ret_gen)
{
	uint64_t gen = 0;
	eid_buf v;
	int r;

	eid_buf_init(&v, 8);
	if ((r = get_generation(t, &gen)) == EID_OK &&
	    (r = eid_buf_put_u64be(&v, gen + 1)) == EID_OK)
		r = eid_txn_put(t, EID_TABLE_META, generation_key,
				sizeof(generation_key) - 1, v.data, v.len);
	if (r == EID_OK && ret_gen != NULL)
		*ret_gen = gen + 1;
	eid_buf_free(&v);
	return r;
}

static int read_generation(eid_store *s, uint64_t *ret_gen)
{
	eid_txn *t = NULL;
	int r = eid_store_begin(s, false, &t);

	if (r == EID_OK)
		r = get_generation(t, ret_gen);
	eid_txn_abort(t);
	return r;
}

/* Generate (in the signer process sp when given, sealed there; in p11's
 * token when given; else in memory to be sealed under kek) and store a
 * key signing from activates_at.  A key generated in the token stays
 * there if the transaction then fails: an unused object, never a key
 * that signs. */
static int add_key(eid_txn *t, const uint8_t kek[32], eid_pkcs11 *p11,
		   eid_sigproc *sp, eid_alg alg, uint64_t now,
		   uint64_t activates_at, char ret_kid[EID_KID_MAX + 1])
{
	struct key_rec k;
	eid_key *key = NULL;
	int r;

	memset(&k, 0, sizeof(k));
	eid_buf_init(&k.sealed, EID_KEY_SEAL_MAX);
	if (sp != NULL)
		r = eid_sigproc_generate(sp, alg, &k.sealed, &key);
	else
		r = p11 != NULL ? eid_pkcs11_generate(p11, alg, &key) :
				  eid_key_generate(alg, &key);
	if (r != EID_OK)
		goto out;
	if (sp == NULL && (r = eid_key_seal(key, kek, &k.sealed)) != EID_OK)
		goto out;
	if (strlen(eid_key_kid(key)) > EID_KID_MAX) {
		r = EID_EINTERNAL;
		goto out;
	}
	strcpy(k.info.kid, eid_key_kid(key)); /* length checked above */
	k.info.alg = alg;
	k.info.created_at = now;
	k.info.activates_at = activates_at;
	if ((r = bump_generation(t, &k.serial)) != EID_OK ||
	    (r = record_put(t, &k)) != EID_OK)
		goto out;
	if (ret_kid != NULL)
		memcpy(ret_kid, k.info.kid, strlen(k.info.kid) + 1);
out:
	eid_key_free(key);
	eid_buf_free(&k.sealed);
	return r;
}

/* kek NULL with sp: the key is made in the signer process. */
static int ensure(eid_store *s, const uint8_t kek[32], eid_sigproc *sp,
		  eid_alg alg, uint64_t now, bool *ret_created)
{
	struct key_set ks = { 0 };
	eid_txn *t = NULL;
	bool usable = false;
	int r;

	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	/* retire_after does not matter for "signs now or later". */
	if ((r = load_keys(t, now, 0, &ks)) != EID_OK)
		goto out;
	for (size_t i = 0; i < ks.n; i++)
		usable |= ks.k[i].info.alg == alg &&
			  (ks.k[i].info.state == EID_KEY_ACTIVE ||
			   ks.k[i].info.state == EID_KEY_PENDING);
	if (!usable) {
		if ((r = add_key(t, kek, NULL, sp, alg, now, now, NULL)) !=
		    EID_OK)
			goto out;
	}
	r = eid_txn_commit(t);
	t = NULL;
	if (r == EID_OK && ret_created != NULL)
		*ret_created = !usable;
out:
	eid_txn_abort(t);
	key_set_free(&ks);
	return r;
}

int eid_signing_ensure(eid_store *s, const uint8_t kek[32], eid_alg alg,
		       uint64_t now, bool *ret_created)
{
	return ensure(s, kek, NULL, alg, now, ret_created);
}

int eid_signing_ensure_remote(eid_store *s, eid_sigproc *sp, eid_alg alg,
			      uint64_t now, bool *ret_created)
{
	if (sp == NULL)
		return EID_EINVAL;
	return ensure(s, NULL, sp, alg, now, ret_created);
}

int eid_signing_rotate(eid_store *s, const uint8_t kek[32], eid_alg alg,
		       uint64_t now, uint64_t publish_delay,
		       uint64_t retire_after, char ret_kid[EID_KID_MAX + 1])
{
	return eid_signing_rotate_pkcs11(s, kek, NULL, alg, now, publish_delay,
					 retire_after, ret_kid);
}

int eid_signing_rotate_pkcs11(eid_store *s, const uint8_t kek[32],
			      eid_pkcs11 *p11, eid_alg alg, uint64_t now,
			      uint64_t publish_delay, uint64_t retire_after,
			      char ret_kid[EID_KID_MAX + 1])
{
	struct key_set ks = { 0 };
	char kid[EID_KID_MAX + 1];
	eid_txn *t = NULL;
	int r;

	if (publish_delay > UINT64_MAX - now)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	if ((r = load_keys(t, now, retire_after, &ks)) != EID_OK)
		goto out;
	for (size_t i = 0; i < ks.n; i++) {
		if (ks.k[i].info.state != EID_KEY_EXPIRED)
			continue;
		r = eid_txn_del(t, EID_TABLE_KEYS, ks.k[i].info.kid,
				strlen(ks.k[i].info.kid));
		if (r != EID_OK)
			goto out;
	}
	if ((r = add_key(t, kek, p11, NULL, alg, now, now + publish_delay,
			 kid)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
	if (r == EID_OK)
		memcpy(ret_kid, kid, strlen(kid) + 1);
out:
	eid_txn_abort(t);
	key_set_free(&ks);
	return r;
}

static bool another_signs_now(const struct key_set *ks, size_t except,
			      uint64_t now, uint64_t retire_after)
{
	/* Would some other key sign now once this one is retired?  Only a
	 * pending key that activates right now qualifies: superseded keys
	 * never come back. */
	for (size_t i = except + 1; i < ks->n; i++) {
		const struct eid_key_info *k = &ks->k[i].info;
		if (k->alg == ks->k[except].info.alg && ever_signs(k) &&
		    k->activates_at <= now)
			return true;
	}
	(void)retire_after;
	return false;
}

int eid_signing_retire(eid_store *s, const char *kid, uint64_t now,
		       uint64_t retire_after)
{
	struct key_set ks = { 0 };
	eid_txn *t = NULL;
	size_t i;
	int r;

	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	if ((r = load_keys(t, now, retire_after, &ks)) != EID_OK)
		goto out;
	for (i = 0; i < ks.n; i++)
		if (strcmp(ks.k[i].info.kid, kid) == 0)
			break;
	if (i == ks.n) {
		r = EID_ENOTFOUND;
		goto out;
	}
	if (ks.k[i].info.retired_at != 0 ||
	    ks.k[i].info.state == EID_KEY_RETIRED ||
	    ks.k[i].info.state == EID_KEY_EXPIRED ||
	    (ks.k[i].info.state == EID_KEY_ACTIVE &&
	     !another_signs_now(&ks, i, now, retire_after))) {
		r = EID_ESTATE;
		goto out;
	}
	ks.k[i].info.retired_at = now;
	if ((r = record_put(t, &ks.k[i])) != EID_OK ||
	    (r = bump_generation(t, NULL)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	eid_txn_abort(t);
	key_set_free(&ks);
	return r;
}

int eid_signing_list(eid_store *s, uint64_t now, uint64_t retire_after,
		     struct eid_key_info **ret_keys, size_t *ret_n)
{
	struct key_set ks = { 0 };
	struct eid_key_info *out = NULL;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	if ((r = load_keys(t, now, retire_after, &ks)) != EID_OK)
		goto out;
	out = calloc(ks.n ? ks.n : 1, sizeof(*out));
	if (out == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ks.n; i++) {
		out[i] = ks.k[i].info;
		out[i].in_token = eid_key_blob_in_token(ks.k[i].sealed.data,
							ks.k[i].sealed.len);
	}
	*ret_keys = out;
	*ret_n = ks.n;
	out = NULL;
out:
	free(out);
	eid_txn_abort(t);
	key_set_free(&ks);
	return r;
}

/* ---- the running server's keyring ---- */

#define JWKS_MAX_AGE 300

/* An immutable snapshot; requests hold a reference while they sign. */
struct ring {
	unsigned refs;
	eid_key **keys; /* published keys, unsealed */
	size_t n;
	ssize_t active[EID_ALG_SLOTS]; /* by algorithm: index into keys, -1: none */
	char *jwks;
	uint64_t valid_until; /* first instant the snapshot is stale; 0: never */
	uint64_t generation;
	uint64_t serial; /* which snapshot of this signer (from 1) */
};

/* A JWS this signer verified with the snapshot numbered ring: its
 * SHA-256 and its parsed header and claims (owned here, never modified:
 * readers get copies).  ring 0: empty. */
struct vcache_slot {
	uint8_t digest[32];
	uint64_t ring;
	json_t *header, *claims;
};

struct eid_signer {
	eid_store *store;
	uint8_t kek[32];
	eid_pkcs11 *p11; /* NULL: no token configured */
	eid_sigproc *sp; /* set: sealed keys open there, kek is zero */
	uint64_t retire_after;
	pthread_mutex_t lock;
	struct ring *cur;
	uint64_t checked_at;
	eid_alg primary; /* what eid_signer_sign uses */
	uint64_t rings; /* snapshots built so far */
	/* Tokens are presented many times (userinfo, introspection), and an
	 * ECDSA verification costs far more than the rest of the request:
	 * the digests of the JWSs verified with the current snapshot, a slot
	 * per digest, so each is verified once per snapshot. */
	pthread_mutex_t vlock;
	struct vcache_slot *vcache;
};

static void ring_free(struct ring *rg)
{
	if (rg == NULL)
		return;
	for (size_t i = 0; i < rg->n; i++)
		eid_key_free(rg->keys[i]);
	free(rg->keys);
	free(rg->jwks);
	free(rg);
}

static void note_instant(uint64_t *until, uint64_t t, uint64_t now)
{
	if (t > now && (*until == 0 || t < *until))
		*until = t;
}

static int ring_add(struct ring *rg, const struct key_rec *k,
		    const eid_signer *sg)
{
	const uint8_t *blob = k->sealed.data;
	size_t len = k->sealed.len;
	int r = sg->sp != NULL && !eid_key_blob_in_token(blob, len) ?
			eid_sigproc_load(sg->sp, blob, len, &rg->keys[rg->n]) :
			eid_key_open(blob, len, sg->kek, sg->p11,
				     &rg->keys[rg->n]);

	if (r != EID_OK)
		return r;
	if (k->info.state == EID_KEY_ACTIVE &&
	    (unsigned)k->info.alg < EID_ALG_SLOTS)
		rg->active[k->info.alg] = (ssize_t)rg->n;
	rg->n++;
	return EID_OK;
}

static int ring_build(eid_signer *sg, uint64_t now, uint64_t gen,
		      struct ring **ret)
{
	struct key_set ks = { 0 };
	struct ring *rg = calloc(1, sizeof(*rg));
	eid_txn *t = NULL;
	json_t *jwks = NULL;
	int r;

	if (rg == NULL)
		return EID_ENOMEM;
	for (size_t i = 0; i < EID_ALG_SLOTS; i++)
		rg->active[i] = -1;
	rg->generation = gen;
	if ((r = eid_store_begin(sg->store, false, &t)) != EID_OK ||
	    (r = load_keys(t, now, sg->retire_after, &ks)) != EID_OK)
		goto out;
	rg->keys = calloc(ks.n ? ks.n : 1, sizeof(*rg->keys));
	if (rg->keys == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ks.n; i++) {
		const struct eid_key_info *ki = &ks.k[i].info;
		note_instant(&rg->valid_until, ki->activates_at, now);
		note_instant(&rg->valid_until, ki->signs_until, now);
		note_instant(&rg->valid_until, ki->published_until, now);
		if (ki->state == EID_KEY_EXPIRED)
			continue;
		if ((r = ring_add(rg, &ks.k[i], sg)) != EID_OK)
			goto out;
	}
	if ((r = eid_jwks_build((const eid_key *const *)rg->keys, rg->n,
				&jwks)) != EID_OK)
		goto out;
	rg->jwks = json_dumps(jwks, JSON_COMPACT);
	if (rg->jwks == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	rg->refs = 1; /* the signer's own reference */
	*ret = rg;
	rg = NULL;
out:
	json_decref(jwks);
	eid_txn_abort(t);
	key_set_free(&ks);
	ring_free(rg);
	return r;
}

static void ring_release_locked(struct ring *rg)
{
	if (rg != NULL && --rg->refs == 0)
		ring_free(rg);
}

/* Take a reference to a current snapshot, rebuilding it when the keys
 * changed in the store or time moved past one of its instants. */
static int ring_get(eid_signer *sg, struct ring **ret)
{
	uint64_t now = eid_store_now(sg->store), gen = 0;
	struct ring *fresh = NULL;
	bool stale;
	int r = EID_OK;

	if (pthread_mutex_lock(&sg->lock) != 0)
		return EID_EINTERNAL;
	stale = sg->cur == NULL ||
		(sg->cur->valid_until != 0 && now >= sg->cur->valid_until);
	if (!stale && now >= sg->checked_at + GENERATION_CHECK_S) {
		if ((r = read_generation(sg->store, &gen)) != EID_OK)
			goto out;
		sg->checked_at = now;
		stale = gen != sg->cur->generation;
	}
	if (stale) {
		if (gen == 0 && (r = read_generation(sg->store, &gen)) != EID_OK)
			goto out;
		if ((r = ring_build(sg, now, gen, &fresh)) != EID_OK)
			goto out;
		fresh->serial = ++sg->rings;
		ring_release_locked(sg->cur);
		sg->cur = fresh;
		sg->checked_at = now;
	}
	sg->cur->refs++;
	*ret = sg->cur;
out:
	pthread_mutex_unlock(&sg->lock);
	return r;
}

static void ring_put(eid_signer *sg, struct ring *rg)
{
	if (pthread_mutex_lock(&sg->lock) != 0)
		return; /* leak rather than free under a race */
	ring_release_locked(rg);
	pthread_mutex_unlock(&sg->lock);
}

static int signer_new(eid_store *s, const uint8_t kek[32], eid_pkcs11 *p11,
		      eid_sigproc *sp, uint64_t retire_after,
		      eid_signer **ret_signer);

int eid_signer_open(eid_store *s, const uint8_t kek[32],
		    uint64_t retire_after, eid_signer **ret_signer)
{
	return eid_signer_open_pkcs11(s, kek, NULL, retire_after, ret_signer);
}

int eid_signer_open_pkcs11(eid_store *s, const uint8_t kek[32],
			   eid_pkcs11 *p11, uint64_t retire_after,
			   eid_signer **ret_signer)
{
	if (kek == NULL)
		return EID_EINVAL;
	return signer_new(s, kek, p11, NULL, retire_after, ret_signer);
}

int eid_signer_open_remote(eid_store *s, eid_sigproc *sp, eid_pkcs11 *p11,
			   uint64_t retire_after, eid_signer **ret_signer)
{
	if (sp == NULL)
		return EID_EINVAL;
	return signer_new(s, NULL, p11, sp, retire_after, ret_signer);
}

/* kek NULL with sp: the keyring keeps no KEK. */
static int signer_new(eid_store *s, const uint8_t kek[32], eid_pkcs11 *p11,
		      eid_sigproc *sp, uint64_t retire_after,
		      eid_signer **ret_signer)
{
	eid_signer *sg = calloc(1, sizeof(*sg));
	struct ring *rg = NULL;
	int r;

	if (sg == NULL)
		return EID_ENOMEM;
	sg->vcache = calloc(VCACHE_SLOTS, sizeof(*sg->vcache));
	if (sg->vcache == NULL) {
		free(sg);
		return EID_ENOMEM;
	}
	if (pthread_mutex_init(&sg->lock, NULL) != 0) {
		free(sg->vcache);
		free(sg);
		return EID_EINTERNAL;
	}
	if (pthread_mutex_init(&sg->vlock, NULL) != 0) {
		pthread_mutex_destroy(&sg->lock);
		free(sg->vcache);
		free(sg);
		return EID_EINTERNAL;
	}
	sg->store = s;
	sg->p11 = p11;
	sg->sp = sp;
	sg->retire_after = retire_after;
	sg->primary = EID_ALG_ES256;
	if (kek != NULL)
		memcpy(sg->kek, kek, sizeof(sg->kek));
	/* Unseal everything once now, so a wrong KEK fails at start. */
	if ((r = ring_get(sg, &rg)) != EID_OK) {
		eid_signer_close(sg);
		return r;
	}
	ring_put(sg, rg);
	*ret_signer = sg;
	return EID_OK;
}

void eid_signer_close(eid_signer *sg)
{
	if (sg == NULL)
		return;
	ring_free(sg->cur);
	pthread_mutex_destroy(&sg->lock);
	pthread_mutex_destroy(&sg->vlock);
	for (size_t i = 0; i < VCACHE_SLOTS; i++) {
		json_decref(sg->vcache[i].header);
		json_decref(sg->vcache[i].claims);
	}
	free(sg->vcache);
	eid_wipe(sg->kek, sizeof(sg->kek));
	free(sg);
}

/* A reference to a snapshot in which a key of alg signs now, or
 * EID_ESTATE. */
static int ring_active(eid_signer *sg, eid_alg alg, struct ring **ret)
{
	struct ring *rg = NULL;
	int r;

	if ((unsigned)alg >= EID_ALG_SLOTS)
		return EID_EINVAL;
	if ((r = ring_get(sg, &rg)) != EID_OK)
		return r;
	if (rg->active[alg] < 0) {
		/* A key of this algorithm may have just been made (eidctl
		 * client add): look at the store now rather than within the
		 * next second. */
		ring_put(sg, rg);
		rg = NULL;
		if (pthread_mutex_lock(&sg->lock) != 0)
			return EID_EINTERNAL;
		sg->checked_at = 0;
		pthread_mutex_unlock(&sg->lock);
		if ((r = ring_get(sg, &rg)) != EID_OK)
			return r;
	}
	if (rg->active[alg] < 0) {
		ring_put(sg, rg);
		return EID_ESTATE;
	}
	*ret = rg;
	return EID_OK;
}

int eid_signer_sign_alg(eid_signer *sg, eid_alg alg, const char *typ,
			const json_t *claims, char **ret_compact)
{
	struct ring *rg = NULL;
	int r;

	if ((r = ring_active(sg, alg, &rg)) != EID_OK)
		return r;
	r = eid_jws_sign(rg->keys[rg->active[alg]], typ, claims, ret_compact);
	ring_put(sg, rg);
	return r;
}

int eid_signer_sign_payload(eid_signer *sg, const char *typ,
			    const void *payload, size_t len,
			    char **ret_compact)
{
	struct ring *rg = NULL;
	int r;

	if ((r = ring_active(sg, sg->primary, &rg)) != EID_OK)
		return r;
	r = eid_jws_sign_payload(rg->keys[rg->active[sg->primary]], typ,
				 payload, len, ret_compact);
	ring_put(sg, rg);
	return r;
}

int eid_signer_sign(eid_signer *sg, const char *typ, const json_t *claims,
		    char **ret_compact)
{
	return eid_signer_sign_alg(sg, sg->primary, typ, claims, ret_compact);
}

void eid_signer_set_primary(eid_signer *sg, eid_alg alg)
{
	if ((unsigned)alg < EID_ALG_SLOTS && alg != EID_ALG_UNSET)
		sg->primary = alg;
}

int eid_signer_jwks(eid_signer *sg, char **ret_json, uint64_t *ret_max_age)
{
	struct ring *rg = NULL;
	uint64_t now = eid_store_now(sg->store), age = JWKS_MAX_AGE;
	char *copy;
	int r;

	if ((r = ring_get(sg, &rg)) != EID_OK)
		return r;
	copy = strdup(rg->jwks);
	if (rg->valid_until != 0 && rg->valid_until - now < age)
		age = rg->valid_until > now ? rg->valid_until - now : 0;
	ring_put(sg, rg);
	if (copy == NULL)
		return EID_ENOMEM;
	*ret_json = copy;
	if (ret_max_age != NULL)
		*ret_max_age = age;
	return EID_OK;
}

static struct vcache_slot *vcache_slot(eid_signer *sg,
					const uint8_t digest[32])
{
	size_t i = ((size_t)digest[0] << 8 | digest[1]) & (VCACHE_SLOTS - 1);

	return &sg->vcache[i];
}

/* When the snapshot numbered ring verified the JWS with this digest:
 * copies of its header (when ret_header is not NULL) and claims, and
 * true.  Parsing a token costs as much as the rest of a userinfo request
 * (docs/performance.md), a copy a fraction of it.  The slot's objects are
 * taken (atomic reference counts) under the lock and copied outside it. */
static bool vcache_get(eid_signer *sg, const uint8_t digest[32],
		       uint64_t ring, json_t **ret_header, json_t **ret_claims)
{
	struct vcache_slot *v = vcache_slot(sg, digest);
	json_t *h = NULL, *c = NULL;

	if (pthread_mutex_lock(&sg->vlock) != 0)
		return false;
	if (v->ring == ring && memcmp(v->digest, digest, 32) == 0) {
		h = json_incref(v->header);
		c = json_incref(v->claims);
	}
	pthread_mutex_unlock(&sg->vlock);
	if (c == NULL) {
		json_decref(h);
		return false;
	}
	*ret_claims = json_deep_copy(c);
	if (ret_header != NULL)
		*ret_header = json_deep_copy(h);
	json_decref(h);
	json_decref(c);
	if (*ret_claims != NULL && (ret_header == NULL || *ret_header != NULL))
		return true;
	json_decref(*ret_claims);
	if (ret_header != NULL)
		json_decref(*ret_header);
	return false; /* out of memory: verify again */
}

static void vcache_put(eid_signer *sg, const uint8_t digest[32],
		       uint64_t ring, const json_t *header,
		       const json_t *claims)
{
	struct vcache_slot *v = vcache_slot(sg, digest);
	json_t *h = json_deep_copy(header), *c = json_deep_copy(claims);
	json_t *old_h, *old_c;

	if (h == NULL || c == NULL ||
	    pthread_mutex_lock(&sg->vlock) != 0) {
		json_decref(h);
		json_decref(c);
		return;
	}
	old_h = v->header;
	old_c = v->claims;
	memcpy(v->digest, digest, 32);
	v->ring = ring;
	v->header = h;
	v->claims = c;
	pthread_mutex_unlock(&sg->vlock);
	json_decref(old_h);
	json_decref(old_c);
}

int eid_signer_verify(eid_signer *sg, const char *compact, size_t len,
		      json_t **ret_header, json_t **ret_claims)
{
	static const char *const algs[] = { "ES256", "RS256", "PS256", NULL };
	struct ring *rg = NULL;
	json_t *h = NULL, *c = NULL;
	uint8_t digest[32];
	bool hashed;
	int r;

	if (ret_claims == NULL)
		return EID_EINVAL;
	if ((r = ring_get(sg, &rg)) != EID_OK)
		return r;
	/* The same bytes, the same keys: the same answer.  A snapshot
	 * rebuilt (keys added, retired or expired) forgets every entry. */
	hashed = compact != NULL && len <= EID_JWS_MAX &&
		 eid_sha256(compact, len, digest) == EID_OK;
	if (hashed && vcache_get(sg, digest, rg->serial, ret_header,
				 ret_claims)) {
		ring_put(sg, rg);
		return EID_OK;
	}
	r = eid_jws_verify(compact, len, (const eid_key *const *)rg->keys,
			   rg->n, algs, &h, &c);
	if (r == EID_OK && hashed)
		vcache_put(sg, digest, rg->serial, h, c);
	ring_put(sg, rg);
	if (r == EID_OK) {
		*ret_claims = c;
		c = NULL;
		if (ret_header != NULL) {
			*ret_header = h;
			h = NULL;
		}
	}
	json_decref(h);
	json_decref(c);
	return r;
}

bool eid_signer_ready(eid_signer *sg)
{
	struct ring *rg = NULL;
	bool ok;

	if (ring_get(sg, &rg) != EID_OK)
		return false;
	ok = rg->active[sg->primary] >= 0;
	ring_put(sg, rg);
	return ok;
}
