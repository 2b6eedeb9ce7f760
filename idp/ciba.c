/* CIBA requests in the short-lived store (see ciba.h for the layout). */
#include "idp/ciba.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/jsonrec.h"

#define PREFIX "ciba"
#define PREFIX_LEN 4
/* "ciba", kind, then at most a personal ID and an id. */
#define KEY_MAX (PREFIX_LEN + 1 + 13 + EID_CIBA_ID_LEN)
#define REC_MAX 2048

struct key {
	uint8_t b[KEY_MAX];
	size_t n;
};

static bool id_ok(const char *id)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	return id != NULL &&
	       strnlen(id, EID_CIBA_ID_LEN + 1) == EID_CIBA_ID_LEN &&
	       strspn(id, alpha) == EID_CIBA_ID_LEN;
}

/* "ciba" kind a b (b may be NULL). */
static struct key make_key(char kind, const void *a, size_t na,
			   const char *b)
{
	struct key k = { .n = PREFIX_LEN + 1 };
	size_t nb = b != NULL ? strlen(b) : 0;

	memcpy(k.b, PREFIX, PREFIX_LEN);
	k.b[PREFIX_LEN] = (uint8_t)kind;
	if (na + nb > KEY_MAX - k.n)
		return (struct key){ 0 };
	memcpy(k.b + k.n, a, na);
	k.n += na;
	if (nb > 0)
		memcpy(k.b + k.n, b, nb);
	k.n += nb;
	return k;
}

static struct key id_key(char kind, const char *id)
{
	return make_key(kind, id, strlen(id), NULL);
}

static int areq_key(const char *auth_req_id, struct key *ret)
{
	uint8_t h[32];
	int r;

	if (auth_req_id == NULL ||
	    strnlen(auth_req_id, EID_CIBA_AUTH_REQ_ID_LEN + 1) !=
		    EID_CIBA_AUTH_REQ_ID_LEN)
		return EID_ENOTFOUND;
	if ((r = eid_sha256(auth_req_id, EID_CIBA_AUTH_REQ_ID_LEN, h)))
		return r;
	*ret = make_key('a', h, sizeof(h), NULL);
	return EID_OK;
}

static int put_json(eid_store *s, bool insert, const struct key *k,
		    json_t *o, uint64_t exp)
{
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	int r;

	json_decref(o);
	if (text == NULL)
		return EID_ENOMEM;
	r = insert ? eid_eph_put(s, EID_EPH_CHALLENGES, k->b, k->n, text,
				 strlen(text), exp) :
		     eid_eph_set(s, EID_EPH_CHALLENGES, k->b, k->n, text,
				 strlen(text), exp);
	free(text);
	return r;
}

/* The JSON of key k (take: and delete it); EID_ENOTFOUND when none. */
static int get_json(eid_store *s, const struct key *k, bool take,
		    json_t **ret)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, REC_MAX);
	r = take ? eid_eph_take(s, EID_EPH_CHALLENGES, k->b, k->n, &b) :
		   eid_eph_get(s, EID_EPH_CHALLENGES, k->b, k->n, &b, NULL);
	if (r == EID_OK && (*ret = json_loadb((const char *)b.data, b.len, 0,
					      NULL)) == NULL)
		r = EID_EMALFORMED;
	eid_buf_free(&b);
	return r;
}

static uint64_t get_u64(const json_t *o, const char *name)
{
	json_int_t v = json_integer_value(json_object_get(o, name));

	return v > 0 ? (uint64_t)v : 0;
}

static json_t *request_json(const struct eid_ciba_request *q)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I}", "pid",
			 q->personal_id, "cid", q->client_id, "cn",
			 q->client_name, "scope", q->scope, "bm",
			 q->binding_message, "acr", q->acr_level, "iat",
			 (json_int_t)q->created, "exp",
			 (json_int_t)q->expires_at);
}

static int request_from_json(json_t *o, const char *id,
			     struct eid_ciba_request *q)
{
	int r;

	memset(q, 0, sizeof(*q));
	memcpy(q->id, id, EID_CIBA_ID_LEN + 1);
	if ((r = eid_jrec_text(o, "pid", q->personal_id, sizeof(q->personal_id))) ||
	    (r = eid_jrec_text(o, "cid", q->client_id, sizeof(q->client_id))) ||
	    (r = eid_jrec_text(o, "cn", q->client_name, sizeof(q->client_name))) ||
	    (r = eid_jrec_text(o, "scope", q->scope, sizeof(q->scope))) ||
	    (r = eid_jrec_text(o, "bm", q->binding_message,
			  sizeof(q->binding_message))))
		return r;
	q->acr_level = (int)json_integer_value(json_object_get(o, "acr"));
	q->created = get_u64(o, "iat");
	q->expires_at = get_u64(o, "exp");
	q->status = EID_CIBA_PENDING;
	return EID_OK;
}

/* The decision of id into q, when there is one. */
static int read_decision(eid_store *s, const char *id, bool take,
			 struct eid_ciba_request *q)
{
	struct key k = id_key('d', id);
	json_t *o = NULL;
	int r = get_json(s, &k, take, &o);

	if (r == EID_ENOTFOUND)
		return EID_OK;
	if (r != EID_OK)
		return r;
	q->status = json_is_true(json_object_get(o, "ok")) ? EID_CIBA_APPROVED :
							     EID_CIBA_DENIED;
	q->level = (int)json_integer_value(json_object_get(o, "level"));
	q->decided_at = get_u64(o, "at");
	r = eid_jrec_text(o, "dev", q->device_id, sizeof(q->device_id));
	json_decref(o);
	return r;
}

/* The request id (take: and delete it), without its decision. */
static int read_request(eid_store *s, const char *id, bool take,
			struct eid_ciba_request *ret)
{
	struct key k;
	json_t *o = NULL;
	int r;

	if (!id_ok(id))
		return EID_ENOTFOUND;
	k = id_key('q', id);
	if ((r = get_json(s, &k, take, &o)) != EID_OK)
		return r;
	r = request_from_json(o, id, ret);
	json_decref(o);
	return r;
}

int eid_ciba_get(eid_store *s, const char *id, const char *personal_id,
		 struct eid_ciba_request *ret)
{
	struct eid_ciba_request q;
	int r;

	if ((r = read_request(s, id, false, &q)) != EID_OK)
		return r;
	if (personal_id == NULL || strcmp(q.personal_id, personal_id) != 0)
		return EID_ENOTFOUND;
	if ((r = read_decision(s, id, false, &q)) != EID_OK)
		return r;
	*ret = q;
	return EID_OK;
}

struct ids {
	char v[EID_CIBA_LIST_MAX][EID_CIBA_ID_LEN + 1];
	size_t n;
};

static int collect_id(const void *key, size_t klen, const void *val,
		      size_t vlen, void *arg)
{
	struct ids *ids = arg;
	size_t off = PREFIX_LEN + 1 + 12;

	(void)val;
	(void)vlen;
	if (ids->n >= EID_CIBA_LIST_MAX)
		return 1;
	if (klen != off + EID_CIBA_ID_LEN)
		return EID_OK;
	memcpy(ids->v[ids->n], (const uint8_t *)key + off, EID_CIBA_ID_LEN);
	ids->v[ids->n++][EID_CIBA_ID_LEN] = '\0';
	return EID_OK;
}

static int by_created(const void *a, const void *b)
{
	const struct eid_ciba_request *x = a, *y = b;

	return x->created < y->created ? -1 : x->created > y->created;
}

int eid_ciba_list(eid_store *s, const char *personal_id,
		  struct eid_ciba_request ret[EID_CIBA_LIST_MAX],
		  size_t *ret_n)
{
	struct ids ids = { .n = 0 };
	struct key k;
	size_t n = 0;
	int r;

	if (personal_id == NULL || strlen(personal_id) != 12)
		return EID_EINVAL;
	k = make_key('p', personal_id, 12, NULL);
	if ((r = eid_eph_scan(s, EID_EPH_CHALLENGES, k.b, k.n, collect_id,
			      &ids)) != EID_OK)
		return r;
	for (size_t i = 0; i < ids.n; i++) {
		r = eid_ciba_get(s, ids.v[i], personal_id, &ret[n]);
		if (r == EID_ENOTFOUND)
			continue;
		if (r != EID_OK)
			return r;
		if (ret[n].status == EID_CIBA_PENDING)
			n++;
	}
	qsort(ret, n, sizeof(ret[0]), by_created);
	*ret_n = n;
	return EID_OK;
}

/* Every pending request of a citizen can be listed: no more are made. */
static int room(eid_store *s, const char *personal_id)
{
	struct ids ids = { .n = 0 };
	struct key k = make_key('p', personal_id, 12, NULL);
	int r = eid_eph_scan(s, EID_EPH_CHALLENGES, k.b, k.n, collect_id,
			     &ids);

	if (r == EID_OK && ids.n >= EID_CIBA_LIST_MAX)
		r = EID_ELIMIT;
	return r;
}

/* Ping mode: what the ping will carry, until the request expires. */
static int put_ping(eid_store *s, const struct eid_ciba_request *req,
		    const char *areq)
{
	struct key k = id_key('n', req->id);
	json_t *o = json_pack("{s:s, s:s}", "areq", areq, "cnt",
			      req->notify_token);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	int r = EID_ENOMEM;

	json_decref(o);
	if (text != NULL)
		r = eid_eph_put(s, EID_EPH_CHALLENGES, k.b, k.n, text,
				strlen(text), req->expires_at);
	eid_free_secret_str(text);
	return r;
}

int eid_ciba_ping_take(eid_store *s, const char *id,
		       char ret_auth_req_id[EID_CIBA_AUTH_REQ_ID_LEN + 1],
		       char ret_token[EID_CIBA_NOTIFY_TOKEN_MAX + 1])
{
	struct key k;
	eid_buf b;
	json_t *o = NULL;
	int r;

	if (!id_ok(id))
		return EID_ENOTFOUND;
	k = id_key('n', id);
	eid_buf_init_secret(&b, REC_MAX);
	if ((r = eid_eph_take(s, EID_EPH_CHALLENGES, k.b, k.n, &b)) != EID_OK)
		goto out;
	r = EID_EMALFORMED;
	if ((o = json_loadb((const char *)b.data, b.len, 0, NULL)) == NULL)
		goto out;
	if ((r = eid_jrec_text(o, "areq", ret_auth_req_id,
			       EID_CIBA_AUTH_REQ_ID_LEN + 1)) == EID_OK)
		r = eid_jrec_text(o, "cnt", ret_token,
				  EID_CIBA_NOTIFY_TOKEN_MAX + 1);
out:
	json_decref(o);
	eid_buf_free(&b);
	return r;
}

int eid_ciba_create(eid_store *s, struct eid_ciba_request *req, uint64_t now,
		    uint64_t ttl,
		    char ret_auth_req_id[EID_CIBA_AUTH_REQ_ID_LEN + 1])
{
	uint8_t raw[32], id[16];
	char areq[EID_CIBA_AUTH_REQ_ID_LEN + 1];
	struct key k;
	int r;

	if (strlen(req->personal_id) != 12 || ttl == 0 ||
	    ttl > EID_CIBA_TTL_MAX)
		return EID_EINVAL;
	if ((r = room(s, req->personal_id)) != EID_OK)
		return r;
	if ((r = eid_random_bytes(raw, sizeof(raw))) ||
	    (r = eid_random_bytes(id, sizeof(id))) ||
	    (r = eid_b64url_encode_str(raw, sizeof(raw), areq, sizeof(areq))) ||
	    (r = eid_b64url_encode_str(id, sizeof(id), req->id,
				       sizeof(req->id))) ||
	    (r = areq_key(areq, &k)))
		goto out;
	req->created = now;
	req->expires_at = now + ttl;
	if ((r = put_json(s, true, &k,
			  json_pack("{s:s, s:s, s:I}", "id", req->id, "cid",
				    req->client_id, "exp",
				    (json_int_t)req->expires_at),
			  req->expires_at + EID_CIBA_GRACE)))
		goto out;
	k = id_key('q', req->id);
	if ((r = put_json(s, true, &k, request_json(req), req->expires_at)))
		goto out;
	k = make_key('p', req->personal_id, 12, req->id);
	if ((r = eid_eph_put(s, EID_EPH_CHALLENGES, k.b, k.n, "", 0,
			     req->expires_at)))
		goto out;
	if (req->notify_token[0] != '\0' &&
	    (r = put_ping(s, req, areq)) != EID_OK)
		goto out;
	memcpy(ret_auth_req_id, areq, sizeof(areq));
out:
	eid_wipe(raw, sizeof(raw));
	eid_wipe(areq, sizeof(areq));
	return r;
}

int eid_ciba_decide(eid_store *s, const char *id, const struct eid_device *d,
		    bool approve, uint64_t now)
{
	struct eid_ciba_request q;
	struct key k;
	int r;

	if ((r = eid_ciba_get(s, id, d->personal_id, &q)) != EID_OK)
		return r;
	if (q.status != EID_CIBA_PENDING)
		return EID_ESTATE;
	k = id_key('d', id);
	/* Insert only: of two racing decisions, one wins. */
	r = put_json(s, true, &k,
		     json_pack("{s:b, s:s, s:i, s:I}", "ok", approve, "dev",
			       d->id, "level", approve ? d->level : 0, "at",
			       (json_int_t)now),
		     q.expires_at);
	if (r == EID_EEXIST)
		return EID_ESTATE;
	if (r != EID_OK)
		return r;
	k = make_key('p', q.personal_id, 12, id);
	(void)eid_eph_del(s, EID_EPH_CHALLENGES, k.b, k.n);
	return EID_OK;
}

/* slow_down when this poll comes sooner than the interval after the last
 * one (CIBA 11, RFC 8628 3.5: the interval then grows). */
static int pace(eid_store *s, const char *id, uint64_t now, uint64_t exp,
		bool *ret_slow)
{
	struct key k = id_key('l', id);
	json_t *o = NULL;
	uint64_t interval = EID_CIBA_INTERVAL;
	int r = get_json(s, &k, false, &o);

	*ret_slow = false;
	if (r == EID_OK) {
		uint64_t last = get_u64(o, "t");

		interval = get_u64(o, "i");
		if (interval < EID_CIBA_INTERVAL)
			interval = EID_CIBA_INTERVAL;
		if (now < last + interval) {
			*ret_slow = true;
			interval += EID_CIBA_SLOW_DOWN;
		}
		json_decref(o);
	} else if (r != EID_ENOTFOUND) {
		return r;
	}
	return put_json(s, false, &k,
			json_pack("{s:I, s:I}", "t", (json_int_t)now, "i",
				  (json_int_t)interval),
			exp);
}

/* The approval or refusal, taken: the request ends with it. */
static int take(eid_store *s, const struct key *ak, const char *id,
		enum eid_ciba_poll *ret_state, struct eid_ciba_request *ret)
{
	struct eid_ciba_request q;
	struct key k;
	int r = read_request(s, id, true, &q);

	if (r == EID_ENOTFOUND) {
		*ret_state = EID_CIBA_POLL_INVALID; /* taken by a racing poll */
		return EID_OK;
	}
	if (r != EID_OK || (r = read_decision(s, id, true, &q)) != EID_OK)
		return r;
	(void)eid_eph_del(s, EID_EPH_CHALLENGES, ak->b, ak->n);
	k = id_key('l', id);
	(void)eid_eph_del(s, EID_EPH_CHALLENGES, k.b, k.n);
	*ret_state = q.status == EID_CIBA_APPROVED ? EID_CIBA_POLL_APPROVED :
						     EID_CIBA_POLL_DENIED;
	if (q.status == EID_CIBA_APPROVED)
		*ret = q;
	return EID_OK;
}

int eid_ciba_poll(eid_store *s, const char *auth_req_id,
		  const char *client_id, uint64_t now,
		  enum eid_ciba_poll *ret_state, struct eid_ciba_request *ret)
{
	struct eid_ciba_request q;
	char id[EID_CIBA_ID_LEN + 1];
	const char *cid;
	struct key ak;
	json_t *o = NULL;
	uint64_t exp;
	bool slow = false;
	int r;

	*ret_state = EID_CIBA_POLL_INVALID;
	if ((r = areq_key(auth_req_id, &ak)) == EID_ENOTFOUND)
		return EID_OK;
	if (r != EID_OK || (r = get_json(s, &ak, false, &o)) == EID_ENOTFOUND)
		return r == EID_ENOTFOUND ? EID_OK : r;
	if (r != EID_OK)
		return r;
	cid = json_string_value(json_object_get(o, "cid"));
	exp = get_u64(o, "exp");
	r = eid_jrec_text(o, "id", id, sizeof(id));
	if (r != EID_OK || cid == NULL || client_id == NULL ||
	    strcmp(cid, client_id) != 0)
		goto out; /* another client's: invalid_grant */
	if (now >= exp) {
		*ret_state = EID_CIBA_POLL_EXPIRED;
		goto out;
	}
	if ((r = pace(s, id, now, exp, &slow)) != EID_OK)
		goto out;
	if (slow) {
		*ret_state = EID_CIBA_POLL_SLOW_DOWN;
		goto out;
	}
	if ((r = read_request(s, id, false, &q)) == EID_ENOTFOUND) {
		r = EID_OK; /* taken already */
		goto out;
	}
	if (r != EID_OK || (r = read_decision(s, id, false, &q)) != EID_OK)
		goto out;
	if (q.status == EID_CIBA_PENDING)
		*ret_state = EID_CIBA_POLL_PENDING;
	else
		r = take(s, &ak, id, ret_state, ret);
out:
	json_decref(o);
	return r;
}
