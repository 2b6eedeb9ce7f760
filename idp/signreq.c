#include "idp/signreq.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/personal_id.h"
#include "idp/uri.h"

#define KEY_MAX (1 + EID_PERSONAL_ID_LEN + EID_SIGNREQ_ID_LEN)
#define REC_MAX (8u * 1024)
#define RESULT_MAX (64u * 1024)

const char *eid_signreq_status_name(enum eid_signreq_status st)
{
	static const char *const names[] = { "pending", "signed", "denied",
					     "expired" };

	return (unsigned)st < 4 ? names[st] : "expired";
}

/* ---- the relying party's input ---- */

static int bad(eid_buf *why, const char *reason)
{
	eid_buf_say(why, reason);
	return EID_EMALFORMED;
}

/* Characters of UTF-8 text (jansson checked the encoding); false for a
 * control character. */
static bool doc_name_ok(const char *s, size_t len)
{
	size_t chars = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		if ((c & 0xc0) != 0x80)
			chars++;
	}
	return chars >= 1 && chars <= EID_SIGNREQ_DOC_MAX;
}

static int parse_hash(const json_t *body, struct eid_signreq_input *in,
		      eid_buf *why)
{
	const char *alg = json_string_value(json_object_get(body, "hash_alg"));
	const char *h = json_string_value(json_object_get(body, "hash"));
	eid_buf b;
	int r;

	if (alg == NULL || (strcmp(alg, "sha256") != 0 &&
			    strcmp(alg, "sha384") != 0 &&
			    strcmp(alg, "sha512") != 0) ||
	    eid_digest_from_name(alg, &in->digest) != EID_OK)
		return bad(why, "hash_alg must be sha256, sha384 or sha512");
	if (h == NULL)
		return bad(why, "hash is required (base64url)");
	eid_buf_init(&b, EID_SIGNREQ_HASH_MAX);
	r = eid_b64url_decode(h, strlen(h), &b);
	if (r != EID_OK || b.len != eid_digest_len(in->digest)) {
		eid_buf_free(&b);
		return bad(why, "hash must be the base64url of a digest of "
			   "hash_alg's length");
	}
	memcpy(in->hash, b.data, b.len);
	in->hash_len = b.len;
	eid_buf_free(&b);
	return EID_OK;
}

static int parse_callback(const json_t *v, struct eid_signreq_input *in,
			  eid_buf *why)
{
	const char *s = json_string_value(v);

	if (v == NULL)
		return EID_OK;
	if (s == NULL || strlen(s) != json_string_length(v) ||
	    strlen(s) > EID_CLIENT_URI_MAX ||
	    eid_uri_check(s, EID_URI_WEB, NULL) != EID_OK)
		return bad(why, "callback_uri must be an https URI (or http "
			   "on a loopback address)");
	memcpy(in->callback_uri, s, strlen(s) + 1);
	return EID_OK;
}

static bool known_member(const char *k)
{
	static const char *const names[] = { "personal_id", "hash", "hash_alg",
					     "document_name", "callback_uri",
					     NULL };

	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(k, names[i]) == 0)
			return true;
	return false;
}

int eid_signreq_parse(const json_t *body, struct eid_signreq_input *ret,
		      eid_buf *why)
{
	struct eid_signreq_input in = { 0 };
	struct eid_personal_id pid;
	const char *k, *s;
	json_t *v, *doc;
	int r;

	if (!json_is_object(body) || ret == NULL)
		return bad(why, "the body must be a JSON object");
	json_object_foreach((json_t *)body, k, v)
		if (!known_member(k))
			return bad(why, "unknown member in the request");
	s = json_string_value(json_object_get(body, "personal_id"));
	if (s == NULL || strlen(s) != EID_PERSONAL_ID_LEN ||
	    eid_personal_id_parse(s, &pid) != EID_OK)
		return bad(why, "personal_id must be a 12-digit personal ID");
	memcpy(in.personal_id, s, EID_PERSONAL_ID_LEN + 1);
	if ((r = parse_hash(body, &in, why)) != EID_OK)
		return r;
	doc = json_object_get(body, "document_name");
	s = json_string_value(doc);
	if (s == NULL || strlen(s) != json_string_length(doc) ||
	    strlen(s) > EID_SIGNREQ_DOC_BYTES || !doc_name_ok(s, strlen(s)))
		return bad(why, "document_name must be 1 to 128 characters "
			   "without control characters");
	memcpy(in.document, s, strlen(s) + 1);
	if ((r = parse_callback(json_object_get(body, "callback_uri"), &in,
				why)) != EID_OK)
		return r;
	*ret = in;
	return EID_OK;
}

int eid_signreq_hash_b64(const struct eid_signreq_input *in,
			 char ret[EID_SIGNREQ_B64_MAX])
{
	return eid_b64url_encode_str(in->hash, in->hash_len, ret,
				     EID_SIGNREQ_B64_MAX);
}

/* ---- the store ---- */

static bool id_ok(const char *id)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	return id != NULL &&
	       strnlen(id, EID_SIGNREQ_ID_LEN + 1) == EID_SIGNREQ_ID_LEN &&
	       strspn(id, alpha) == EID_SIGNREQ_ID_LEN;
}

/* kind, then the id: 'r' request, 'd' decision, 'o' result. */
static size_t make_key(char kind, const char *id, char key[KEY_MAX])
{
	key[0] = kind;
	memcpy(key + 1, id, EID_SIGNREQ_ID_LEN);
	return 1 + EID_SIGNREQ_ID_LEN;
}

/* 'p', the personal ID, then the id (id NULL: the prefix only). */
static size_t index_key(const char *pid, const char *id, char key[KEY_MAX])
{
	key[0] = 'p';
	memcpy(key + 1, pid, EID_PERSONAL_ID_LEN);
	if (id == NULL)
		return 1 + EID_PERSONAL_ID_LEN;
	memcpy(key + 1 + EID_PERSONAL_ID_LEN, id, EID_SIGNREQ_ID_LEN);
	return KEY_MAX;
}

static char *record_text(const struct eid_signreq *q)
{
	char hash[EID_SIGNREQ_B64_MAX];
	json_t *o;
	char *text;

	if (eid_signreq_hash_b64(&q->in, hash) != EID_OK)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "client_id",
		      q->client_id, "pid", q->in.personal_id, "alg",
		      eid_digest_name(q->in.digest), "hash", hash, "doc",
		      q->in.document, "cb", q->in.callback_uri, "created",
		      (json_int_t)q->created_at, "exp",
		      (json_int_t)q->expires_at);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

int eid_signreq_create(eid_store *s, const struct eid_signreq_input *in,
		       const char *client_id, uint64_t now, uint64_t ttl,
		       struct eid_signreq *ret)
{
	struct eid_signreq q = { .in = *in, .created_at = now,
				 .expires_at = now + ttl };
	uint8_t raw[16];
	char key[KEY_MAX], *text = NULL;
	int r;

	if (client_id == NULL || strlen(client_id) > EID_CLIENT_ID_MAX ||
	    ttl == 0)
		return EID_EINVAL;
	memcpy(q.client_id, client_id, strlen(client_id) + 1);
	if ((r = eid_random_bytes(raw, sizeof(raw))) != EID_OK ||
	    (r = eid_b64url_encode_str(raw, sizeof(raw), q.id,
				       sizeof(q.id))) != EID_OK)
		return r;
	if ((text = record_text(&q)) == NULL)
		return EID_ENOMEM;
	r = eid_eph_put(s, EID_EPH_SIGN, key, make_key('r', q.id, key), text,
			strlen(text), q.expires_at + EID_SIGNREQ_KEEP);
	free(text);
	if (r == EID_OK)
		r = eid_eph_put(s, EID_EPH_SIGN, key,
				index_key(in->personal_id, q.id, key), "", 0,
				q.expires_at);
	if (r == EID_OK)
		*ret = q;
	return r;
}

static int copy_str(const json_t *o, const char *name, char *out,
		    size_t cap)
{
	const char *v = json_string_value(json_object_get(o, name));

	if (v == NULL || strlen(v) >= cap)
		return EID_EMALFORMED;
	memcpy(out, v, strlen(v) + 1);
	return EID_OK;
}

static int parse_record(const eid_buf *b, struct eid_signreq *q)
{
	json_t *o = json_loadb((const char *)b->data, b->len, 0, NULL);
	const char *alg = json_string_value(json_object_get(o, "alg"));
	const char *h = json_string_value(json_object_get(o, "hash"));
	eid_buf hb;
	int r = EID_EMALFORMED;

	eid_buf_init(&hb, EID_SIGNREQ_HASH_MAX);
	if (o == NULL || alg == NULL || h == NULL ||
	    eid_digest_from_name(alg, &q->in.digest) != EID_OK ||
	    eid_b64url_decode(h, strlen(h), &hb) != EID_OK ||
	    hb.len != eid_digest_len(q->in.digest) ||
	    copy_str(o, "client_id", q->client_id, sizeof(q->client_id)) ||
	    copy_str(o, "pid", q->in.personal_id, sizeof(q->in.personal_id)) ||
	    copy_str(o, "doc", q->in.document, sizeof(q->in.document)) ||
	    copy_str(o, "cb", q->in.callback_uri, sizeof(q->in.callback_uri)))
		goto out;
	memcpy(q->in.hash, hb.data, hb.len);
	q->in.hash_len = hb.len;
	q->created_at = (uint64_t)json_integer_value(json_object_get(o, "created"));
	q->expires_at = (uint64_t)json_integer_value(json_object_get(o, "exp"));
	r = EID_OK;
out:
	eid_buf_free(&hb);
	json_decref(o);
	return r;
}

/* The decision, when there is one: *found false otherwise. */
static int get_decision(eid_store *s, const char *id, bool *found,
			bool *approved, uint64_t *at)
{
	char key[KEY_MAX];
	json_t *o;
	eid_buf b;
	int r;

	*found = false;
	*approved = false;
	eid_buf_init(&b, REC_MAX);
	r = eid_eph_get(s, EID_EPH_SIGN, key, make_key('d', id, key), &b,
			NULL);
	if (r == EID_ENOTFOUND) {
		eid_buf_free(&b);
		return EID_OK;
	}
	if (r == EID_OK) {
		o = json_loadb((const char *)b.data, b.len, 0, NULL);
		if (json_is_boolean(json_object_get(o, "ok"))) {
			*found = true;
			*approved = json_is_true(json_object_get(o, "ok"));
			*at = (uint64_t)json_integer_value(
				json_object_get(o, "at"));
		} else {
			r = EID_EMALFORMED;
		}
		json_decref(o);
	}
	eid_buf_free(&b);
	return r;
}

static int has_result(eid_store *s, const char *id, bool *ret)
{
	char key[KEY_MAX];
	eid_buf b;
	int r;

	eid_buf_init(&b, RESULT_MAX);
	r = eid_eph_get(s, EID_EPH_SIGN, key, make_key('o', id, key), &b,
			NULL);
	eid_buf_free(&b);
	*ret = r == EID_OK;
	return r == EID_ENOTFOUND ? EID_OK : r;
}

static int status_of(eid_store *s, struct eid_signreq *q, uint64_t now)
{
	bool signed_ = false;
	int r;

	if ((r = get_decision(s, q->id, &q->decided, &q->approved,
			      &q->decided_at)) != EID_OK)
		return r;
	if (q->decided && !q->approved) {
		q->status = EID_SIGNREQ_DENIED;
		return EID_OK;
	}
	if (q->approved && (r = has_result(s, q->id, &signed_)) != EID_OK)
		return r;
	if (signed_)
		q->status = EID_SIGNREQ_SIGNED;
	else
		q->status = now < q->expires_at ? EID_SIGNREQ_PENDING :
						  EID_SIGNREQ_EXPIRED;
	return EID_OK;
}

int eid_signreq_get(eid_store *s, const char *id, uint64_t now,
		    struct eid_signreq *ret)
{
	struct eid_signreq q = { 0 };
	char key[KEY_MAX];
	eid_buf b;
	int r;

	if (!id_ok(id))
		return EID_ENOTFOUND;
	memcpy(q.id, id, EID_SIGNREQ_ID_LEN + 1);
	eid_buf_init(&b, REC_MAX);
	if ((r = eid_eph_get(s, EID_EPH_SIGN, key, make_key('r', id, key), &b,
			     NULL)) == EID_OK &&
	    (r = parse_record(&b, &q)) == EID_OK &&
	    (r = status_of(s, &q, now)) == EID_OK)
		*ret = q;
	eid_buf_free(&b);
	return r;
}

struct pending_scan {
	eid_store *s;
	uint64_t now;
	eid_signreq_visit_fn fn;
	void *arg;
	char (*ids)[EID_SIGNREQ_ID_LEN + 1];
	size_t n, cap;
};

/* Collect the ids first: the visitor reads the store, and a scan is a
 * transaction of its own. */
static int collect(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	struct pending_scan *p = arg;
	void *grown;

	(void)val;
	(void)vlen;
	if (klen != KEY_MAX)
		return EID_OK;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;

		if (cap > 1024)
			return 1; /* enough to show anyone */
		if ((grown = realloc(p->ids, cap * sizeof(*p->ids))) == NULL)
			return EID_ENOMEM;
		p->ids = grown;
		p->cap = cap;
	}
	memcpy(p->ids[p->n], (const char *)key + 1 + EID_PERSONAL_ID_LEN,
	       EID_SIGNREQ_ID_LEN);
	p->ids[p->n][EID_SIGNREQ_ID_LEN] = '\0';
	p->n++;
	return EID_OK;
}

int eid_signreq_pending(eid_store *s, const char *personal_id, uint64_t now,
			eid_signreq_visit_fn fn, void *arg)
{
	struct pending_scan p = { .s = s, .now = now, .fn = fn, .arg = arg };
	struct eid_signreq q;
	char key[KEY_MAX];
	int r;

	if (personal_id == NULL ||
	    strlen(personal_id) != EID_PERSONAL_ID_LEN || fn == NULL)
		return EID_EINVAL;
	r = eid_eph_scan(s, EID_EPH_SIGN, key, index_key(personal_id, NULL, key),
			 collect, &p);
	for (size_t i = 0; r == EID_OK && i < p.n; i++) {
		r = eid_signreq_get(s, p.ids[i], now, &q);
		if (r == EID_ENOTFOUND) {
			r = EID_OK;
			continue;
		}
		if (r == EID_OK && q.status == EID_SIGNREQ_PENDING &&
		    !q.decided && strcmp(q.in.personal_id, personal_id) == 0)
			r = fn(&q, arg);
	}
	free(p.ids);
	return r == 1 ? EID_OK : r;
}

int eid_signreq_decide(eid_store *s, const char *id, bool approve,
		       uint64_t now)
{
	struct eid_signreq q;
	char key[KEY_MAX], text[64];
	int r, n;

	if ((r = eid_signreq_get(s, id, now, &q)) != EID_OK)
		return r;
	if (q.decided)
		return EID_ESTATE;
	if (q.status == EID_SIGNREQ_EXPIRED)
		return EID_EEXPIRED;
	n = snprintf(text, sizeof(text), "{\"ok\":%s,\"at\":%llu}",
		     approve ? "true" : "false", (unsigned long long)now);
	if (n < 0 || (size_t)n >= sizeof(text))
		return EID_EINTERNAL;
	/* Insert only: of two racing decisions, one wins. */
	r = eid_eph_put(s, EID_EPH_SIGN, key, make_key('d', id, key), text,
			(size_t)n, q.expires_at + EID_SIGNREQ_KEEP);
	if (r == EID_EEXIST)
		return EID_ESTATE;
	if (r == EID_OK) {
		r = eid_eph_del(s, EID_EPH_SIGN, key,
				index_key(q.in.personal_id, id, key));
		if (r == EID_ENOTFOUND)
			r = EID_OK;
	}
	return r;
}

int eid_signreq_undecide(eid_store *s, const char *id)
{
	struct eid_signreq q;
	char key[KEY_MAX];
	int r;

	if ((r = eid_signreq_get(s, id, 0, &q)) != EID_OK)
		return r;
	r = eid_eph_del(s, EID_EPH_SIGN, key, make_key('d', id, key));
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	/* Back in the citizen's list (an expired entry stays out of it). */
	r = eid_eph_set(s, EID_EPH_SIGN, key,
			index_key(q.in.personal_id, id, key), "", 0,
			q.expires_at);
	return r;
}

int eid_signreq_finish(eid_store *s, const char *id, const uint8_t *cms,
		       size_t cms_len, const uint8_t *cert, size_t cert_len)
{
	struct eid_signreq q;
	char key[KEY_MAX];
	eid_buf b;
	int r;

	if (cms == NULL || cert == NULL)
		return EID_EINVAL;
	if ((r = eid_signreq_get(s, id, 0, &q)) != EID_OK)
		return r;
	if (!q.approved)
		return EID_ESTATE;
	eid_buf_init(&b, RESULT_MAX);
	if ((r = eid_buf_put_str(&b, "{\"signature\":\"")) == EID_OK &&
	    (r = eid_b64_encode(cms, cms_len, &b)) == EID_OK &&
	    (r = eid_buf_put_str(&b, "\",\"certificate\":\"")) == EID_OK &&
	    (r = eid_b64_encode(cert, cert_len, &b)) == EID_OK &&
	    (r = eid_buf_put_str(&b, "\"}")) == EID_OK)
		r = eid_eph_put(s, EID_EPH_SIGN, key, make_key('o', id, key),
				b.data, b.len, q.expires_at + EID_SIGNREQ_KEEP);
	eid_buf_free(&b);
	return r == EID_EEXIST ? EID_ESTATE : r;
}

int eid_signreq_result(eid_store *s, const char *id, json_t **ret)
{
	char key[KEY_MAX];
	json_t *o;
	eid_buf b;
	int r;

	if (!id_ok(id))
		return EID_ENOTFOUND;
	eid_buf_init(&b, RESULT_MAX);
	r = eid_eph_get(s, EID_EPH_SIGN, key, make_key('o', id, key), &b,
			NULL);
	if (r == EID_OK) {
		o = json_loadb((const char *)b.data, b.len, 0, NULL);
		if (json_is_object(o))
			*ret = o;
		else
			r = EID_EMALFORMED;
		if (r != EID_OK)
			json_decref(o);
	}
	eid_buf_free(&b);
	return r;
}
