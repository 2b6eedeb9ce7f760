#include "idp/audit.h"
#include "idp/audit_priv.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/error.h"
#include "crypto/secret.h"

/* Stored value: prev hash (32) | hash (32) | canonical JSON of the entry. */
#define AUDIT_PREFIX (2 * EID_AUDIT_HASH_LEN)
#define AUDIT_MAX_ENTRY (64u * 1024)
#define AUDIT_DOMAIN "eid-audit-v1"

static const char head_key[] = "audit_head";

void eid_audit_seq_key(uint64_t seq, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)seq;
		seq >>= 8;
	}
}

static uint64_t seq_from_key(const uint8_t k[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | k[i];
	return v;
}

/* hash = SHA-256(domain || prev || entry bytes) */
static int chain_hash(const uint8_t prev[EID_AUDIT_HASH_LEN],
		      const uint8_t *entry, size_t len,
		      uint8_t out[EID_AUDIT_HASH_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	int r = EID_ECRYPTO;

	if (md == NULL)
		return EID_ENOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, AUDIT_DOMAIN, strlen(AUDIT_DOMAIN)) == 1 &&
	    EVP_DigestUpdate(md, prev, EID_AUDIT_HASH_LEN) == 1 &&
	    EVP_DigestUpdate(md, entry, len) == 1 &&
	    EVP_DigestFinal_ex(md, out, &n) == 1 && n == EID_AUDIT_HASH_LEN)
		r = EID_OK;
	EVP_MD_CTX_free(md);
	return r;
}

int eid_audit_head(eid_txn *t, uint64_t *ret_seq,
		   uint8_t ret_hash[EID_AUDIT_HASH_LEN])
{
	eid_buf v;
	eid_rd rd;
	uint64_t seq;
	int r;

	eid_buf_init(&v, 8 + EID_AUDIT_HASH_LEN);
	r = eid_txn_get(t, EID_TABLE_META, head_key, sizeof(head_key) - 1, &v);
	if (r == EID_ENOTFOUND) {
		*ret_seq = 0;
		memset(ret_hash, 0, EID_AUDIT_HASH_LEN);
		r = EID_OK;
		goto out;
	}
	if (r != EID_OK)
		goto out;
	rd = eid_rd_make(v.data, v.len);
	if (v.len != 8 + EID_AUDIT_HASH_LEN ||
	    eid_rd_u64be(&rd, &seq) != EID_OK ||
	    eid_rd_copy(&rd, ret_hash, EID_AUDIT_HASH_LEN) != EID_OK) {
		r = EID_EMALFORMED;
		goto out;
	}
	*ret_seq = seq;
out:
	eid_buf_free(&v);
	return r;
}

static int put_head(eid_txn *t, uint64_t seq,
		    const uint8_t hash[EID_AUDIT_HASH_LEN])
{
	uint8_t v[8 + EID_AUDIT_HASH_LEN];

	eid_audit_seq_key(seq, v);
	memcpy(v + 8, hash, EID_AUDIT_HASH_LEN);
	return eid_txn_put(t, EID_TABLE_META, head_key, sizeof(head_key) - 1,
			   v, sizeof(v));
}

static int set_opt_string(json_t *o, const char *name, const char *v)
{
	if (v == NULL)
		return EID_OK;
	return json_object_set_new(o, name, json_string(v)) == 0 ? EID_OK
								 : EID_EINVAL;
}

/* The entry as canonical JSON: compact, keys sorted. */
static int build_entry(const struct eid_audit_event *ev, uint64_t seq,
		       uint64_t now_ms, eid_buf *out)
{
	json_t *o = json_object();
	char *s = NULL;
	int r = EID_ENOMEM;

	if (o == NULL)
		goto out;
	if (json_object_set_new(o, "seq", json_integer((json_int_t)seq)) != 0 ||
	    json_object_set_new(o, "ts", json_integer((json_int_t)now_ms)) != 0 ||
	    json_object_set_new(o, "type", json_string(ev->type)) != 0) {
		r = EID_EINVAL;
		goto out;
	}
	if ((r = set_opt_string(o, "actor", ev->actor)) != EID_OK ||
	    (r = set_opt_string(o, "subject", ev->subject)) != EID_OK ||
	    (r = set_opt_string(o, "remote", ev->remote)) != EID_OK)
		goto out;
	if (ev->details != NULL &&
	    json_object_set(o, "details", ev->details) != 0) {
		r = EID_EINVAL;
		goto out;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (s == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	r = eid_buf_put_str(out, s);
out:
	free(s);
	json_decref(o);
	return r;
}

int eid_audit_append(eid_txn *t, const struct eid_audit_event *ev,
		     uint64_t now_ms, uint64_t *ret_seq)
{
	uint8_t prev[EID_AUDIT_HASH_LEN], hash[EID_AUDIT_HASH_LEN], key[8];
	uint8_t *slot;
	uint64_t seq;
	eid_buf v;
	int r;

	if (ev == NULL || ev->type == NULL || ev->type[0] == '\0' ||
	    (ev->details != NULL && !json_is_object(ev->details)))
		return EID_EINVAL;
	eid_buf_init(&v, AUDIT_PREFIX + AUDIT_MAX_ENTRY);
	if ((r = eid_audit_head(t, &seq, prev)) != EID_OK)
		goto out;
	seq++;
	if ((r = eid_buf_reserve(&v, AUDIT_PREFIX, &slot)) != EID_OK ||
	    (r = build_entry(ev, seq, now_ms, &v)) != EID_OK)
		goto out;
	if ((r = chain_hash(prev, v.data + AUDIT_PREFIX, v.len - AUDIT_PREFIX,
			    hash)) != EID_OK)
		goto out;
	memcpy(v.data, prev, EID_AUDIT_HASH_LEN);
	memcpy(v.data + EID_AUDIT_HASH_LEN, hash, EID_AUDIT_HASH_LEN);
	eid_audit_seq_key(seq, key);
	if ((r = eid_txn_insert(t, EID_TABLE_AUDIT, key, sizeof(key), v.data,
				v.len)) != EID_OK)
		goto out;
	if ((r = put_head(t, seq, hash)) != EID_OK ||
	    (r = eid_audit_index_put(t, ev, seq)) != EID_OK)
		goto out;
	if (ret_seq != NULL)
		*ret_seq = seq;
out:
	eid_buf_free(&v);
	return r;
}

struct verify_state {
	uint64_t expect;                 /* next sequence number */
	uint8_t prev[EID_AUDIT_HASH_LEN]; /* running hash */
	uint64_t bad_seq;
	eid_buf *reason;
};

static int verify_fail(struct verify_state *st, uint64_t seq,
		       const char *why)
{
	st->bad_seq = seq;
	if (st->reason != NULL) {
		eid_buf_reset(st->reason);
		(void)eid_buf_printf(st->reason, "entry %llu: %s",
				     (unsigned long long)seq, why);
	}
	return EID_EVERIFY;
}

/* The JSON inside must carry the sequence number of its key, so an entry
 * moved to another key is caught even when its hash bytes come along. */
static bool json_seq_matches(const uint8_t *p, size_t n, uint64_t seq)
{
	json_t *o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *s = json_object_get(o, "seq");
	bool ok = json_is_integer(s) &&
		  (uint64_t)json_integer_value(s) == seq;

	json_decref(o);
	return ok;
}

static int verify_one(const void *k, size_t klen, const void *val,
		      size_t vlen, void *arg)
{
	struct verify_state *st = arg;
	const uint8_t *v = val;
	uint8_t hash[EID_AUDIT_HASH_LEN];
	uint64_t seq;
	int r;

	if (klen != 8)
		return verify_fail(st, st->expect, "malformed key");
	seq = seq_from_key(k);
	if (seq != st->expect)
		return verify_fail(st, st->expect, "missing (sequence gap)");
	if (vlen <= AUDIT_PREFIX)
		return verify_fail(st, seq, "truncated");
	if (!eid_ct_equal(v, st->prev, EID_AUDIT_HASH_LEN))
		return verify_fail(st, seq, "does not follow the previous entry");
	r = chain_hash(st->prev, v + AUDIT_PREFIX, vlen - AUDIT_PREFIX, hash);
	if (r != EID_OK)
		return r;
	if (!eid_ct_equal(hash, v + EID_AUDIT_HASH_LEN, EID_AUDIT_HASH_LEN))
		return verify_fail(st, seq, "altered (hash mismatch)");
	if (!json_seq_matches(v + AUDIT_PREFIX, vlen - AUDIT_PREFIX, seq))
		return verify_fail(st, seq, "altered (sequence number)");
	memcpy(st->prev, hash, EID_AUDIT_HASH_LEN);
	st->expect++;
	return EID_OK;
}

int eid_audit_verify(eid_txn *t, uint64_t *ret_count, uint64_t *ret_bad_seq,
		     eid_buf *ret_reason)
{
	struct verify_state st = { .expect = 1, .reason = ret_reason };
	uint8_t head_hash[EID_AUDIT_HASH_LEN];
	uint64_t head_seq;
	int r;

	if ((r = eid_audit_head(t, &head_seq, head_hash)) != EID_OK)
		return r;
	r = eid_txn_scan(t, EID_TABLE_AUDIT, NULL, 0, verify_one, &st);
	if (r == EID_OK && (st.expect - 1 != head_seq ||
			    !eid_ct_equal(st.prev, head_hash,
					  EID_AUDIT_HASH_LEN)))
		r = verify_fail(&st, st.expect - 1 < head_seq ? st.expect : 0,
				"chain ends before the recorded head "
				"(entries removed from the end)");
	if (r == EID_EVERIFY && ret_bad_seq != NULL)
		*ret_bad_seq = st.bad_seq;
	if (r == EID_OK && ret_count != NULL)
		*ret_count = head_seq;
	return r;
}

struct scan_state {
	uint64_t from_seq;
	uint64_t since_ms;
	eid_audit_visit_fn fn;
	void *arg;
};

static int set_hex(json_t *o, const char *name, const uint8_t *p)
{
	char h[2 * EID_AUDIT_HASH_LEN + 1];

	if (OPENSSL_buf2hexstr_ex(h, sizeof(h), NULL, p, EID_AUDIT_HASH_LEN,
				  '\0') != 1)
		return EID_EINTERNAL;
	return json_object_set_new(o, name, json_string(h)) == 0 ? EID_OK
								 : EID_ENOMEM;
}

/* A stored entry as JSON with its "prev" and "hash" added. */
int eid_audit_entry_json(const void *val, size_t vlen, json_t **ret)
{
	const uint8_t *v = val;
	json_t *o;
	int r;

	if (vlen <= AUDIT_PREFIX)
		return EID_EMALFORMED;
	o = json_loadb((const char *)v + AUDIT_PREFIX, vlen - AUDIT_PREFIX, 0,
		       NULL);
	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "ts"))) {
		json_decref(o);
		return EID_EMALFORMED;
	}
	if ((r = set_hex(o, "prev", v)) != EID_OK ||
	    (r = set_hex(o, "hash", v + EID_AUDIT_HASH_LEN)) != EID_OK) {
		json_decref(o);
		return r;
	}
	*ret = o;
	return EID_OK;
}

uint64_t eid_audit_entry_ts(const json_t *entry)
{
	return (uint64_t)json_integer_value(json_object_get(entry, "ts"));
}

int eid_audit_get(eid_txn *t, uint64_t seq, json_t **ret)
{
	uint8_t key[8];
	eid_buf v;
	int r;

	eid_audit_seq_key(seq, key);
	eid_buf_init(&v, AUDIT_PREFIX + AUDIT_MAX_ENTRY);
	if ((r = eid_txn_get(t, EID_TABLE_AUDIT, key, sizeof(key), &v)) ==
	    EID_OK)
		r = eid_audit_entry_json(v.data, v.len, ret);
	eid_buf_free(&v);
	return r;
}

static int scan_one(const void *k, size_t klen, const void *val, size_t vlen,
		    void *arg)
{
	struct scan_state *st = arg;
	json_t *o = NULL;
	int r;

	if (klen != 8)
		return EID_EMALFORMED;
	if (seq_from_key(k) < st->from_seq)
		return EID_OK;
	if ((r = eid_audit_entry_json(val, vlen, &o)) != EID_OK)
		return r;
	if (eid_audit_entry_ts(o) >= st->since_ms)
		r = st->fn(o, st->arg);
	json_decref(o);
	return r;
}

int eid_audit_scan(eid_txn *t, uint64_t from_seq, uint64_t since_ms,
		   eid_audit_visit_fn fn, void *arg)
{
	struct scan_state st = { from_seq, since_ms, fn, arg };

	return eid_txn_scan(t, EID_TABLE_AUDIT, NULL, 0, scan_one, &st);
}

int eid_audit_record(eid_txn *t, const char *type, const char *actor,
		     const char *subject, const char *remote, json_t *details,
		     int64_t now)
{
	struct eid_audit_event ev = {
		.type = type,
		.actor = actor,
		.subject = subject,
		.remote = remote,
		.details = details,
	};
	int r = now < 0 ? EID_EINVAL :
			  eid_audit_append(t, &ev, (uint64_t)now * 1000, NULL);

	json_decref(details);
	return r;
}
