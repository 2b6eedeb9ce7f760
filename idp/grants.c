#include "idp/grants.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/opaque.h"

#define TAG_GRANT 'g'
#define TAG_REFRESH 'r'
#define TAG_SUBJECT 's'
#define TAG_SUB 'u'
#define SUB_KEY_MAX (1 + EID_STORE_MAX_KEY)
#define GRANT_KEY_LEN (1 + EID_GRANT_ID_LEN)
#define SUBJECT_KEY_MAX (1 + EID_GRANT_STR_MAX + 1 + EID_GRANT_ID_LEN)
#define REFRESH_RANDOM 32
#define REFRESH_ROW_MAX 256

/* ---- the record ---- */

void eid_grant_clear(struct eid_grant *g)
{
	if (g == NULL)
		return;
	free(g->personal_id);
	free(g->client_id);
	free(g->scope);
	free(g->acr);
	free(g->sid);
	free(g->dpop_jkt);
	json_decref(g->amr);
	json_decref(g->claims);
	memset(g, 0, sizeof(*g));
}

static int grant_id_ok(const char *id)
{
	return eid_opaque_check(id, EID_GRANT_ID_LEN) == EID_OK;
}

int eid_grant_new_id(char ret_id[EID_GRANT_ID_LEN + 1])
{
	return eid_opaque_random(16, ret_id, EID_GRANT_ID_LEN + 1);
}

/* Set name to s when s is not NULL; required members must be present. */
static int put_str(json_t *o, const char *name, const char *s, bool required)
{
	if (s == NULL)
		return required ? EID_EINVAL : EID_OK;
	if (strnlen(s, EID_GRANT_STR_MAX + 1) > EID_GRANT_STR_MAX)
		return EID_ETOOBIG;
	return json_object_set_new(o, name, json_string(s)) == 0 ?
		       EID_OK : EID_EINVAL; /* not UTF-8 */
}

static int put_json(json_t *o, const char *name, json_t *v, bool array)
{
	if (v == NULL)
		return EID_OK;
	if (array ? !json_is_array(v) : !json_is_object(v))
		return EID_EINVAL;
	return json_object_set(o, name, v) == 0 ? EID_OK : EID_ENOMEM;
}

int eid_grant_to_json(const struct eid_grant *g, json_t **ret_json)
{
	json_t *o;
	int r;

	if (g == NULL || ret_json == NULL || !grant_id_ok(g->id) ||
	    g->client_id == NULL || g->client_id[0] == '\0')
		return EID_EINVAL;
	if ((o = json_pack("{s:s,s:I,s:I,s:s}", "id", g->id, "auth_time",
			   (json_int_t)g->auth_time, "created",
			   (json_int_t)g->created, "status",
			   g->revoked ? "revoked" : "active")) == NULL)
		return EID_ENOMEM;
	if ((r = put_str(o, "sub", g->personal_id, true)) != EID_OK ||
	    (r = put_str(o, "client_id", g->client_id, true)) != EID_OK ||
	    (r = put_str(o, "scope", g->scope, true)) != EID_OK ||
	    (r = put_str(o, "acr", g->acr, false)) != EID_OK ||
	    (r = put_str(o, "sid", g->sid, false)) != EID_OK ||
	    (r = put_str(o, "jkt", g->dpop_jkt, false)) != EID_OK ||
	    (r = put_json(o, "amr", g->amr, true)) != EID_OK ||
	    (r = put_json(o, "claims", g->claims, false)) != EID_OK) {
		json_decref(o);
		return r;
	}
	*ret_json = o;
	return EID_OK;
}

/* A copy of an optional string member; EID_EMALFORMED when mistyped. */
static int get_str(const json_t *j, const char *name, char **ret)
{
	const json_t *v = json_object_get(j, name);

	*ret = NULL;
	if (v == NULL)
		return EID_OK;
	if (!json_is_string(v))
		return EID_EMALFORMED;
	*ret = strdup(json_string_value(v));
	return *ret == NULL ? EID_ENOMEM : EID_OK;
}

static uint64_t get_u64(const json_t *j, const char *name)
{
	json_int_t v = json_integer_value(json_object_get(j, name));

	return v < 0 ? 0 : (uint64_t)v;
}

int eid_grant_from_json(const json_t *j, struct eid_grant *ret_grant)
{
	struct eid_grant g = { 0 };
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *status = json_string_value(json_object_get(j, "status"));
	json_t *amr = json_object_get(j, "amr");
	json_t *claims = json_object_get(j, "claims");
	int r = EID_EMALFORMED;

	if (ret_grant == NULL)
		return EID_EINVAL;
	if (id == NULL || !grant_id_ok(id) || status == NULL ||
	    (amr != NULL && !json_is_array(amr)) ||
	    (claims != NULL && !json_is_object(claims)))
		return EID_EMALFORMED;
	memcpy(g.id, id, EID_GRANT_ID_LEN + 1);
	if ((r = get_str(j, "sub", &g.personal_id)) != EID_OK ||
	    (r = get_str(j, "client_id", &g.client_id)) != EID_OK ||
	    (r = get_str(j, "scope", &g.scope)) != EID_OK ||
	    (r = get_str(j, "acr", &g.acr)) != EID_OK ||
	    (r = get_str(j, "sid", &g.sid)) != EID_OK ||
	    (r = get_str(j, "jkt", &g.dpop_jkt)) != EID_OK)
		goto out;
	g.amr = json_incref(amr);
	g.claims = json_incref(claims);
	g.auth_time = get_u64(j, "auth_time");
	g.created = get_u64(j, "created");
	g.revoked = strcmp(status, "active") != 0;
	*ret_grant = g;
	return EID_OK;
out:
	eid_grant_clear(&g);
	return r;
}

/* ---- table access ---- */

static void grant_key(const char *gid, uint8_t key[GRANT_KEY_LEN])
{
	key[0] = TAG_GRANT;
	memcpy(key + 1, gid, EID_GRANT_ID_LEN);
}

/* 's' personal_id NUL gid; ret_len gets the length (prefix without gid
 * when gid is NULL). */
static int subject_key(const char *pid, const char *gid,
		       uint8_t key[SUBJECT_KEY_MAX], size_t *ret_len)
{
	size_t n = strnlen(pid, EID_GRANT_STR_MAX + 1);

	if (n == 0 || n > EID_GRANT_STR_MAX)
		return EID_EINVAL;
	key[0] = TAG_SUBJECT;
	memcpy(key + 1, pid, n + 1);
	*ret_len = 1 + n + 1;
	if (gid != NULL) {
		memcpy(key + *ret_len, gid, EID_GRANT_ID_LEN);
		*ret_len += EID_GRANT_ID_LEN;
	}
	return *ret_len <= EID_STORE_MAX_KEY ? EID_OK : EID_ETOOBIG;
}

/* 'u' client_id NUL sub */
static int sub_key(const char *client_id, const char *sub,
		   uint8_t key[SUB_KEY_MAX], size_t *ret_len)
{
	size_t nc = strnlen(client_id, EID_GRANT_STR_MAX + 1);
	size_t ns = strnlen(sub, EID_GRANT_SUB_MAX + 1);

	if (nc == 0 || ns == 0 || ns > EID_GRANT_SUB_MAX ||
	    1 + nc + 1 + ns > EID_STORE_MAX_KEY)
		return EID_EINVAL;
	key[0] = TAG_SUB;
	memcpy(key + 1, client_id, nc + 1);
	memcpy(key + 1 + nc + 1, sub, ns);
	*ret_len = 1 + nc + 1 + ns;
	return EID_OK;
}

int eid_grant_subject_find(eid_store *s, const char *client_id,
			   const char *sub, char ret_personal_id[13])
{
	uint8_t key[SUB_KEY_MAX];
	size_t klen;
	eid_txn *t = NULL;
	eid_buf b;
	int r;

	if (s == NULL || client_id == NULL || sub == NULL)
		return EID_EINVAL;
	if (sub_key(client_id, sub, key, &klen) != EID_OK)
		return EID_ENOTFOUND;
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	eid_buf_init(&b, 13);
	r = eid_txn_get(t, EID_TABLE_GRANTS, key, klen, &b);
	eid_txn_abort(t);
	if (r == EID_OK && b.len != 12)
		r = EID_EMALFORMED;
	if (r == EID_OK) {
		memcpy(ret_personal_id, b.data, 12);
		ret_personal_id[12] = '\0';
	}
	eid_buf_free(&b);
	return r;
}

static int json_load_buf(const eid_buf *b, json_t **ret)
{
	json_t *j = json_loadb((const char *)b->data, b->len, 0, NULL);

	if (!json_is_object(j)) {
		json_decref(j);
		return EID_EMALFORMED;
	}
	*ret = j;
	return EID_OK;
}

static int txn_get_json(eid_txn *t, const void *key, size_t klen,
			json_t **ret)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, EID_GRANT_MAX);
	if ((r = eid_txn_get(t, EID_TABLE_GRANTS, key, klen, &b)) == EID_OK)
		r = json_load_buf(&b, ret);
	eid_buf_free(&b);
	return r;
}

static int txn_put_json(eid_txn *t, const void *key, size_t klen,
			const json_t *j, bool insert)
{
	char *s = json_dumps(j, JSON_COMPACT);
	size_t n;
	int r;

	if (s == NULL)
		return EID_ENOMEM;
	n = strlen(s);
	if (n > EID_GRANT_MAX)
		r = EID_ETOOBIG;
	else if (insert)
		r = eid_txn_insert(t, EID_TABLE_GRANTS, key, klen, s, n);
	else
		r = eid_txn_put(t, EID_TABLE_GRANTS, key, klen, s, n);
	free(s);
	return r;
}

static int grant_get_json(eid_txn *t, const char *gid, json_t **ret)
{
	uint8_t key[GRANT_KEY_LEN];

	if (gid == NULL || !grant_id_ok(gid))
		return EID_ENOTFOUND;
	grant_key(gid, key);
	return txn_get_json(t, key, sizeof(key), ret);
}

static bool grant_active(const json_t *g)
{
	const char *st = json_string_value(json_object_get(g, "status"));

	return st != NULL && strcmp(st, "active") == 0;
}

/* Mark the record revoked (it may be a bare id) and store it. */
static int grant_mark_revoked(eid_txn *t, json_t *g, uint64_t now)
{
	uint8_t key[GRANT_KEY_LEN];
	const char *gid = json_string_value(json_object_get(g, "id"));

	if (gid == NULL || !grant_id_ok(gid))
		return EID_EMALFORMED;
	if (json_object_set_new(g, "status", json_string("revoked")) != 0 ||
	    json_object_set_new(g, "revoked_at",
				json_integer((json_int_t)now)) != 0)
		return EID_ENOMEM;
	grant_key(gid, key);
	return txn_put_json(t, key, sizeof(key), g, false);
}

int eid_grant_create(eid_store *s, const struct eid_grant *g, uint64_t now,
		     char ret_id[EID_GRANT_ID_LEN + 1])
{
	return eid_grant_create_audited(s, g, now, NULL, ret_id);
}

int eid_grant_create_audited(eid_store *s, const struct eid_grant *g,
			     uint64_t now, const struct eid_audit_event *ev,
			     char ret_id[EID_GRANT_ID_LEN + 1])
{
	struct eid_grant copy;
	uint8_t gkey[GRANT_KEY_LEN], skey[SUBJECT_KEY_MAX];
	size_t slen;
	json_t *j = NULL;
	eid_txn *t = NULL;
	int r;

	if (s == NULL || g == NULL)
		return EID_EINVAL;
	copy = *g;
	copy.created = now;
	copy.revoked = false;
	if (copy.id[0] == '\0' && (r = eid_grant_new_id(copy.id)) != EID_OK)
		return r;
	if ((r = eid_grant_to_json(&copy, &j)) != EID_OK ||
	    (r = subject_key(copy.personal_id, copy.id, skey, &slen)) != EID_OK ||
	    (r = eid_store_begin(s, true, &t)) != EID_OK)
		goto out;
	grant_key(copy.id, gkey);
	if ((r = txn_put_json(t, gkey, sizeof(gkey), j, true)) != EID_OK ||
	    (r = eid_txn_put(t, EID_TABLE_GRANTS, skey, slen, "", 0)) != EID_OK ||
	    (ev != NULL &&
	     (r = eid_audit_append(t, ev, now * 1000, NULL)) != EID_OK))
		goto out;
	if (copy.sub[0] != '\0') {
		uint8_t ukey[SUB_KEY_MAX];
		size_t ulen;

		if ((r = sub_key(copy.client_id, copy.sub, ukey, &ulen)) ||
		    (r = eid_txn_put(t, EID_TABLE_GRANTS, ukey, ulen,
				     copy.personal_id,
				     strlen(copy.personal_id))))
			goto out;
	}
	r = eid_txn_commit(t);
	t = NULL;
	if (r == EID_OK && ret_id != NULL)
		memcpy(ret_id, copy.id, EID_GRANT_ID_LEN + 1);
out:
	eid_txn_abort(t);
	json_decref(j);
	return r;
}

/* One read: EID_EPERM when active_only and the grant is not active;
 * ret (may be NULL: a check only) gets the record. */
static int grant_read(eid_store *s, const char *gid, bool active_only,
		      struct eid_grant *ret)
{
	eid_txn *t = NULL;
	json_t *j = NULL;
	int r;

	if (s == NULL)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	if ((r = grant_get_json(t, gid, &j)) == EID_OK &&
	    active_only && !grant_active(j))
		r = EID_EPERM;
	if (r == EID_OK && ret != NULL)
		r = eid_grant_from_json(j, ret);
	eid_txn_abort(t);
	json_decref(j);
	return r;
}

/* ---- the cache of the token paths (idp/rcache.h) ---- */

static int grant_decode(const void *raw, size_t n, void *ret)
{
	json_t *j = json_loadb(raw, n, 0, NULL);
	int r = json_is_object(j) ? eid_grant_from_json(j, ret) :
				    EID_EMALFORMED;

	json_decref(j);
	return r;
}

/* A deep copy: the cache's form is shared by threads, a copy is not. */
static int grant_copy(const void *from_v, void *to_v)
{
	const struct eid_grant *from = from_v;
	struct eid_grant *to = to_v;

	*to = (struct eid_grant){ .auth_time = from->auth_time,
				  .created = from->created,
				  .revoked = from->revoked };
	memcpy(to->id, from->id, sizeof(to->id));
	memcpy(to->sub, from->sub, sizeof(to->sub));
	if (eid_rcache_copy_str(from->personal_id, &to->personal_id) ||
	    eid_rcache_copy_str(from->client_id, &to->client_id) ||
	    eid_rcache_copy_str(from->scope, &to->scope) ||
	    eid_rcache_copy_str(from->acr, &to->acr) ||
	    eid_rcache_copy_str(from->sid, &to->sid) ||
	    eid_rcache_copy_str(from->dpop_jkt, &to->dpop_jkt) ||
	    (from->amr != NULL &&
	     (to->amr = json_deep_copy(from->amr)) == NULL) ||
	    (from->claims != NULL &&
	     (to->claims = json_deep_copy(from->claims)) == NULL)) {
		eid_grant_clear(to);
		return EID_ENOMEM;
	}
	return EID_OK;
}

static void grant_clear_v(void *v)
{
	eid_grant_clear(v);
}

static const struct eid_rcache_type grant_type = {
	.table = EID_TABLE_GRANTS,
	.size = sizeof(struct eid_grant),
	.raw_max = 4096, /* a grant is about 400 bytes; claims make more */
	.decode = grant_decode,
	.copy = grant_copy,
	.clear = grant_clear_v,
};

int eid_grant_cache_new(size_t entries, eid_rcache **ret_cache)
{
	return eid_rcache_new(&grant_type, entries, ret_cache);
}

int eid_grant_get_active_cached(eid_rcache *c, eid_store *s,
				const char *gid, struct eid_grant *ret_grant)
{
	struct eid_grant g;
	uint8_t key[GRANT_KEY_LEN];
	eid_txn *t = NULL;
	int r;

	if (c == NULL)
		return grant_read(s, gid, true, ret_grant);
	if (s == NULL)
		return EID_EINVAL;
	if (gid == NULL || !grant_id_ok(gid))
		return EID_ENOTFOUND;
	grant_key(gid, key);
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	r = eid_rcache_get(c, t, key, sizeof(key), &g);
	eid_txn_abort(t);
	if (r != EID_OK)
		return r;
	if (g.revoked || ret_grant == NULL) {
		r = g.revoked ? EID_EPERM : EID_OK;
		eid_grant_clear(&g);
		return r;
	}
	*ret_grant = g;
	return EID_OK;
}

int eid_grant_get(eid_store *s, const char *gid, struct eid_grant *ret_grant)
{
	if (ret_grant == NULL)
		return EID_EINVAL;
	return grant_read(s, gid, false, ret_grant);
}

int eid_grant_check_active(eid_store *s, const char *gid)
{
	return grant_read(s, gid, true, NULL);
}

int eid_grant_get_active(eid_store *s, const char *gid,
			 struct eid_grant *ret_grant)
{
	if (ret_grant == NULL)
		return EID_EINVAL;
	return grant_read(s, gid, true, ret_grant);
}

/* Revoke inside t; a missing record becomes a bare revoked one. */
static int txn_revoke(eid_txn *t, const char *gid, uint64_t now)
{
	json_t *j = NULL;
	int r = grant_get_json(t, gid, &j);

	if (r == EID_ENOTFOUND) {
		if ((j = json_pack("{s:s,s:I,s:s}", "id", gid, "created",
				   (json_int_t)now, "status", "active")) == NULL)
			return EID_ENOMEM;
		r = EID_OK;
	}
	if (r == EID_OK && grant_active(j))
		r = grant_mark_revoked(t, j, now);
	json_decref(j);
	return r;
}

int eid_grant_revoke(eid_store *s, const char *gid, uint64_t now)
{
	eid_txn *t = NULL;
	int r;

	if (s == NULL || gid == NULL || !grant_id_ok(gid))
		return EID_EINVAL;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	if ((r = txn_revoke(t, gid, now)) != EID_OK) {
		eid_txn_abort(t);
		return r;
	}
	return eid_txn_commit(t);
}

/* The grant ids of a subject, collected before any write. */
static int collect_gid(const void *key, size_t klen, const void *val,
		       size_t vlen, void *arg)
{
	eid_buf *ids = arg;

	if (klen < EID_GRANT_ID_LEN)
		return EID_EMALFORMED;
	return eid_buf_put(ids, (const uint8_t *)key + klen - EID_GRANT_ID_LEN,
			   EID_GRANT_ID_LEN);
}

/* True when the grant was issued through browser session sid (NULL:
 * any grant matches). */
static bool grant_of_sid(const json_t *g, const char *sid)
{
	const char *v = json_string_value(json_object_get(g, "sid"));

	return sid == NULL || (v != NULL && strcmp(v, sid) == 0);
}

static int txn_revoke_ids(eid_txn *t, const eid_buf *ids, const char *sid,
			  uint64_t now, uint64_t *ret_count)
{
	char gid[EID_GRANT_ID_LEN + 1];
	uint64_t n = 0;
	json_t *j;
	int r = EID_OK;

	for (size_t off = 0; off < ids->len && r == EID_OK;
	     off += EID_GRANT_ID_LEN) {
		memcpy(gid, ids->data + off, EID_GRANT_ID_LEN);
		gid[EID_GRANT_ID_LEN] = '\0';
		j = NULL;
		if ((r = grant_get_json(t, gid, &j)) == EID_ENOTFOUND) {
			r = EID_OK; /* index row without a record */
			continue;
		}
		if (r == EID_OK && grant_active(j) && grant_of_sid(j, sid)) {
			r = grant_mark_revoked(t, j, now);
			n++;
		}
		json_decref(j);
	}
	if (r == EID_OK)
		*ret_count = n;
	return r;
}

static int revoke_subject(eid_store *s, const char *personal_id,
			  const char *sid, uint64_t now, uint64_t *ret_count)
{
	uint8_t prefix[SUBJECT_KEY_MAX];
	size_t plen;
	uint64_t n = 0;
	eid_txn *t = NULL;
	eid_buf ids;
	int r;

	if (s == NULL || personal_id == NULL)
		return EID_EINVAL;
	if ((r = subject_key(personal_id, NULL, prefix, &plen)) != EID_OK)
		return r;
	eid_buf_init(&ids, EID_STORE_MAX_VALUE);
	if ((r = eid_store_begin(s, true, &t)) != EID_OK ||
	    (r = eid_txn_scan(t, EID_TABLE_GRANTS, prefix, plen, collect_gid,
			      &ids)) != EID_OK ||
	    (r = txn_revoke_ids(t, &ids, sid, now, &n)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
	if (r == EID_OK && ret_count != NULL)
		*ret_count = n;
out:
	eid_txn_abort(t);
	eid_buf_free(&ids);
	return r;
}

int eid_grant_revoke_by_subject(eid_store *s, const char *personal_id,
				uint64_t now, uint64_t *ret_count)
{
	return revoke_subject(s, personal_id, NULL, now, ret_count);
}

int eid_grant_revoke_by_sid(eid_store *s, const char *personal_id,
			    const char *sid, uint64_t now, uint64_t *ret_count)
{
	if (sid == NULL)
		return EID_EINVAL;
	return revoke_subject(s, personal_id, sid, now, ret_count);
}

/* ---- refresh tokens ---- */

static int refresh_key(const char *token, uint8_t key[EID_OPAQUE_KEY_LEN])
{
	size_t plen = strlen(EID_REFRESH_PREFIX);

	if (token == NULL ||
	    strnlen(token, EID_REFRESH_TOKEN_LEN + 1) != EID_REFRESH_TOKEN_LEN ||
	    memcmp(token, EID_REFRESH_PREFIX, plen) != 0 ||
	    eid_opaque_check(token + plen, EID_REFRESH_TOKEN_LEN - plen) !=
		    EID_OK)
		return EID_EMALFORMED;
	return eid_opaque_key(TAG_REFRESH, token, EID_REFRESH_TOKEN_LEN, key);
}

/* A new token of generation gen for grant gid, valid until exp, stored in
 * t; the grant record g is updated to that generation. */
static int refresh_put(eid_txn *t, json_t *g, uint64_t gen, uint64_t exp,
		       char tok[EID_REFRESH_TOKEN_LEN + 1])
{
	const char *gid = json_string_value(json_object_get(g, "id"));
	size_t plen = strlen(EID_REFRESH_PREFIX);
	uint8_t key[EID_OPAQUE_KEY_LEN], gkey[GRANT_KEY_LEN];
	json_t *row;
	int r;

	memcpy(tok, EID_REFRESH_PREFIX, plen);
	if ((r = eid_opaque_random(REFRESH_RANDOM, tok + plen,
				   EID_REFRESH_TOKEN_LEN + 1 - plen)) != EID_OK ||
	    (r = refresh_key(tok, key)) != EID_OK)
		return r;
	if ((row = json_pack("{s:s,s:I,s:I}", "gid", gid, "gen",
			     (json_int_t)gen, "exp", (json_int_t)exp)) == NULL)
		return EID_ENOMEM;
	r = txn_put_json(t, key, sizeof(key), row, true);
	json_decref(row);
	if (r != EID_OK)
		return r;
	if (json_object_set_new(g, "rt_gen", json_integer((json_int_t)gen)))
		return EID_ENOMEM;
	grant_key(gid, gkey);
	return txn_put_json(t, gkey, sizeof(gkey), g, false);
}

int eid_refresh_issue(eid_store *s, const char *gid, uint64_t now,
		      uint64_t ttl, char ret_token[EID_REFRESH_TOKEN_LEN + 1])
{
	char tok[EID_REFRESH_TOKEN_LEN + 1];
	eid_txn *t = NULL;
	json_t *g = NULL;
	int r;

	if (s == NULL || ret_token == NULL || ttl == 0)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK ||
	    (r = grant_get_json(t, gid, &g)) != EID_OK)
		goto out;
	r = EID_EPERM;
	if (!grant_active(g))
		goto out;
	r = EID_ESTATE;
	if (json_object_get(g, "rt_gen") != NULL)
		goto out;
	if (json_object_set_new(g, "rt_ttl", json_integer((json_int_t)ttl))) {
		r = EID_ENOMEM;
		goto out;
	}
	if ((r = refresh_put(t, g, 1, now + ttl, tok)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
	if (r == EID_OK)
		memcpy(ret_token, tok, sizeof(tok));
out:
	eid_wipe(tok, sizeof(tok));
	eid_txn_abort(t);
	json_decref(g);
	return r;
}

/* The token's row and its grant. */
static int refresh_lookup(eid_txn *t, const char *token, json_t **ret_row,
			  json_t **ret_grant)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	json_t *row = NULL;
	int r;

	if ((r = refresh_key(token, key)) != EID_OK ||
	    (r = txn_get_json(t, key, sizeof(key), &row)) != EID_OK)
		return r;
	r = grant_get_json(t, json_string_value(json_object_get(row, "gid")),
			   ret_grant);
	if (r == EID_OK)
		*ret_row = row;
	else
		json_decref(row);
	return r;
}

/* The token's row and its grant, with the checks every use shares. */
static int refresh_find(eid_txn *t, const char *token, const char *client_id,
			json_t **ret_row, json_t **ret_grant)
{
	const char *cid;
	json_t *row = NULL, *g = NULL;
	int r;

	if ((r = refresh_lookup(t, token, &row, &g)) != EID_OK)
		goto out;
	cid = json_string_value(json_object_get(g, "client_id"));
	r = EID_EMISMATCH;
	if (client_id == NULL || cid == NULL || strcmp(cid, client_id) != 0)
		goto out;
	*ret_row = row;
	*ret_grant = g;
	row = g = NULL;
	r = EID_OK;
out:
	json_decref(row);
	json_decref(g);
	return r;
}

static bool jkt_fits(const json_t *g, const char *dpop_jkt)
{
	const char *bound = json_string_value(json_object_get(g, "jkt"));

	if (bound == NULL)
		return true;
	return dpop_jkt != NULL &&
	       eid_ct_equal_len(bound, strlen(bound), dpop_jkt,
				strlen(dpop_jkt));
}

/* Checks on a found token; EID_EREPLAY means: revoke the grant. */
static int refresh_usable(const json_t *row, const json_t *g,
			  const char *dpop_jkt, uint64_t now)
{
	if (!grant_active(g))
		return EID_EPERM;
	if (get_u64(row, "gen") != get_u64(g, "rt_gen"))
		return EID_EREPLAY;
	if (get_u64(row, "exp") <= now)
		return EID_EEXPIRED;
	if (!jkt_fits(g, dpop_jkt))
		return EID_EMISMATCH;
	return EID_OK;
}

int eid_refresh_rotate(eid_store *s, const char *token, const char *client_id,
		       const char *dpop_jkt, uint64_t now,
		       struct eid_grant *ret_grant,
		       char ret_new_token[EID_REFRESH_TOKEN_LEN + 1])
{
	char tok[EID_REFRESH_TOKEN_LEN + 1];
	struct eid_grant out = { 0 };
	json_t *row = NULL, *g = NULL;
	eid_txn *t = NULL;
	int r;

	if (s == NULL || ret_grant == NULL || ret_new_token == NULL)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK ||
	    (r = refresh_find(t, token, client_id, &row, &g)) != EID_OK)
		goto out;
	if ((r = refresh_usable(row, g, dpop_jkt, now)) == EID_EREPLAY) {
		if ((r = grant_mark_revoked(t, g, now)) != EID_OK)
			goto out;
		r = eid_txn_commit(t);
		t = NULL;
		if (r == EID_OK)
			r = EID_EREPLAY;
		goto out;
	}
	if (r != EID_OK ||
	    (r = refresh_put(t, g, get_u64(row, "gen") + 1,
			     now + get_u64(g, "rt_ttl"), tok)) != EID_OK ||
	    (r = eid_grant_from_json(g, &out)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
	if (r != EID_OK)
		goto out;
	memcpy(ret_new_token, tok, sizeof(tok));
	*ret_grant = out;
	memset(&out, 0, sizeof(out));
out:
	eid_wipe(tok, sizeof(tok));
	eid_grant_clear(&out);
	eid_txn_abort(t);
	json_decref(row);
	json_decref(g);
	return r;
}

int eid_refresh_inspect(eid_store *s, const char *token, uint64_t now,
			struct eid_grant *ret_grant, uint64_t *ret_exp)
{
	json_t *row = NULL, *g = NULL;
	eid_txn *t = NULL;
	int r;

	if (s == NULL || ret_grant == NULL || ret_exp == NULL)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, false, &t)) != EID_OK ||
	    (r = refresh_lookup(t, token, &row, &g)) != EID_OK)
		goto out;
	r = refresh_usable(row, g, NULL, now);
	if (r == EID_EMISMATCH) /* the DPoP binding is not checked here */
		r = EID_OK;
	if (r != EID_OK || (r = eid_grant_from_json(g, ret_grant)) != EID_OK)
		goto out;
	*ret_exp = get_u64(row, "exp");
out:
	eid_txn_abort(t);
	json_decref(row);
	json_decref(g);
	return r;
}

int eid_refresh_revoke(eid_store *s, const char *token, const char *client_id,
		       uint64_t now)
{
	json_t *row = NULL, *g = NULL;
	eid_txn *t = NULL;
	int r;

	if (s == NULL)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK ||
	    (r = refresh_find(t, token, client_id, &row, &g)) != EID_OK)
		goto out;
	if (grant_active(g) && (r = grant_mark_revoked(t, g, now)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	eid_txn_abort(t);
	json_decref(row);
	json_decref(g);
	return r;
}
