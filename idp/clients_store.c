/* Clients in the store: every change is one write transaction that also
 * appends its audit event, so the trail and the table never disagree. */
#include "idp/clients.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"

static bool uses_secret(const struct eid_client *c)
{
	return c->auth_method == EID_AUTH_CLIENT_SECRET_BASIC ||
	       c->auth_method == EID_AUTH_CLIENT_SECRET_POST;
}

static int id_len(const char *client_id, size_t *ret)
{
	size_t n = client_id != NULL ? strlen(client_id) : 0;

	if (n == 0 || n > EID_CLIENT_ID_MAX)
		return EID_ENOTFOUND;
	*ret = n;
	return EID_OK;
}

/* A new random secret (given is NULL) or the given one, hashed into c;
 * the text to show once in *ret_text (NULL for a given secret). */
static int set_secret(struct eid_client *c, const char *given, size_t len,
		      char **ret_text)
{
	uint8_t raw[32];
	eid_buf text;
	char *shown = NULL;
	int r;

	eid_buf_init_secret(&text, EID_CLIENT_SECRET_LEN + 1);
	if (given != NULL) {
		r = EID_EINVAL;
		if (len < EID_CLIENT_SECRET_MIN ||
		    len > EID_CLIENT_SECRET_MAX ||
		    memchr(given, '\0', len) != NULL)
			goto out;
	} else {
		if ((r = eid_random_bytes(raw, sizeof(raw))) != EID_OK ||
		    (r = eid_b64url_encode(raw, sizeof(raw), &text)) !=
			    EID_OK ||
		    (r = eid_buf_take_str(&text, &shown)) != EID_OK)
			goto out;
		given = shown;
		len = strlen(shown);
	}
	if ((r = eid_random_bytes(c->secret_salt, sizeof(c->secret_salt))) !=
		    EID_OK ||
	    (r = eid_client_hash_secret(c->secret_salt, given, len,
					c->secret_hash)) != EID_OK)
		goto out;
	c->has_secret = true;
	*ret_text = shown;
	shown = NULL;
out:
	eid_wipe(raw, sizeof(raw));
	eid_free_secret_str(shown);
	eid_buf_free(&text);
	return r;
}

static void drop_secret(struct eid_client *c)
{
	c->has_secret = false;
	eid_wipe(c->secret_salt, sizeof(c->secret_salt));
	eid_wipe(c->secret_hash, sizeof(c->secret_hash));
}

static int audit(eid_store *s, eid_txn *t, const char *type,
		 const char *actor, const char *client_id, json_t *details)
{
	struct eid_audit_event ev = {
		.type = type,
		.actor = actor != NULL ? actor : "operator",
		.subject = client_id,
		.details = details,
	};

	return eid_audit_append(t, &ev, eid_store_now(s) * 1000, NULL);
}

/* Write c (insert when new) and its audit event, then commit. */
static int save(eid_store *s, eid_txn *t, const struct eid_client *c,
		bool insert, const char *type, const char *actor,
		json_t *details)
{
	eid_buf rec;
	size_t n = strlen(c->client_id);
	int r;

	eid_buf_init(&rec, EID_CLIENT_JSON_MAX);
	r = eid_client_encode(c, &rec);
	if (r == EID_OK)
		r = insert ? eid_txn_insert(t, EID_TABLE_CLIENTS, c->client_id,
					    n, rec.data, rec.len) :
			     eid_txn_put(t, EID_TABLE_CLIENTS, c->client_id, n,
					 rec.data, rec.len);
	if (r == EID_OK)
		r = audit(s, t, type, actor, c->client_id, details);
	eid_buf_free(&rec);
	return r;
}

static int txn_load(eid_txn *t, const char *client_id,
		    struct eid_client *ret)
{
	eid_buf rec;
	size_t n = 0;
	int r = id_len(client_id, &n);

	if (r != EID_OK)
		return r;
	eid_buf_init(&rec, EID_CLIENT_JSON_MAX);
	r = eid_txn_get(t, EID_TABLE_CLIENTS, client_id, n, &rec);
	if (r == EID_OK)
		r = eid_client_decode(rec.data, rec.len, ret);
	eid_buf_free(&rec);
	return r;
}

int eid_client_add(eid_store *s, const json_t *meta, const char *secret,
		   size_t secret_len, const char *actor, char **ret_secret,
		   eid_buf *why)
{
	struct eid_client c;
	eid_txn *t = NULL;
	char *shown = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	if (s == NULL || meta == NULL)
		return EID_EINVAL;
	if ((r = eid_client_from_json(meta, &c, why)) != EID_OK)
		goto out;
	r = EID_EINVAL;
	if (uses_secret(&c) && secret == NULL && ret_secret == NULL)
		goto out;
	if (uses_secret(&c) &&
	    (r = set_secret(&c, secret, secret_len, &shown)) != EID_OK) {
		if (r == EID_EINVAL && why != NULL)
			(void)eid_buf_put_str(why, "a client secret must be "
					      "32-256 bytes");
		goto out;
	}
	if (!uses_secret(&c) && secret != NULL)
		c.has_secret = true; /* refused by the check below */
	c.created_at = c.updated_at = (int64_t)eid_store_now(s);
	if ((r = eid_client_check(&c, why)) != EID_OK ||
	    (r = eid_store_begin(s, true, &t)) != EID_OK)
		goto out;
	r = save(s, t, &c, true, "client.add", actor, NULL);
	if (r == EID_EEXIST && why != NULL)
		(void)eid_buf_printf(why, "client_id '%s' is taken",
				     c.client_id);
	r = eid_txn_finish(t, r);
	if (r == EID_OK && ret_secret != NULL) {
		*ret_secret = shown;
		shown = NULL;
	}
out:
	eid_free_secret_str(shown);
	eid_client_clear(&c);
	return r;
}

int eid_client_get(eid_store *s, const char *client_id,
		   struct eid_client *ret)
{
	eid_txn *t = NULL;
	int r;

	if (s == NULL || ret == NULL)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	r = txn_load(t, client_id, ret);
	eid_txn_abort(t);
	return r;
}

/* A change to an existing client, in one transaction: load, apply, check,
 * save with its event. */
typedef int (*change_fn)(struct eid_client *c, void *arg, eid_buf *why);

static int modify(eid_store *s, const char *client_id, const char *type,
		  const char *actor, change_fn fn, void *arg, eid_buf *why)
{
	struct eid_client c;
	eid_txn *t = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	if (s == NULL)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	if ((r = txn_load(t, client_id, &c)) != EID_OK ||
	    (r = fn(&c, arg, why)) != EID_OK)
		goto out;
	c.updated_at = (int64_t)eid_store_now(s);
	if ((r = eid_client_check(&c, why)) != EID_OK ||
	    (r = save(s, t, &c, false, type, actor, NULL)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	eid_txn_abort(t);
	eid_client_clear(&c);
	return r;
}

/* ---- update ---- */

struct update {
	const json_t *changes;
	char *shown; /* a secret made because the method now needs one */
	bool may_make_secret;
};

/* The metadata of c with the changes laid over it. */
static int merged_metadata(const struct eid_client *c, const json_t *changes,
			   json_t **ret)
{
	static const char *const state[] = { "status", "created_at",
					     "updated_at" };
	const char *key;
	json_t *meta = NULL, *v;
	int r = eid_client_to_json(c, &meta);

	if (r != EID_OK)
		return r;
	for (size_t i = 0; i < sizeof(state) / sizeof(state[0]); i++)
		json_object_del(meta, state[i]);
	json_object_foreach((json_t *)changes, key, v) {
		if (json_is_null(v))
			json_object_del(meta, key);
		else if (json_object_set(meta, key, v) != 0)
			r = EID_ENOMEM;
	}
	if (r == EID_OK)
		*ret = meta;
	else
		json_decref(meta);
	return r;
}

static int apply_update(struct eid_client *c, void *arg, eid_buf *why)
{
	struct update *u = arg;
	const json_t *id = json_object_get(u->changes, "client_id");
	struct eid_client n;
	json_t *meta = NULL;
	int r = EID_EINVAL;

	if (!json_is_object(u->changes))
		return r;
	if (id != NULL && (!json_is_string(id) ||
			   strcmp(json_string_value(id), c->client_id) != 0)) {
		if (why != NULL)
			(void)eid_buf_put_str(why, "client_id cannot change");
		return r;
	}
	if ((r = merged_metadata(c, u->changes, &meta)) != EID_OK)
		return r;
	r = eid_client_from_json(meta, &n, why);
	json_decref(meta);
	if (r != EID_OK)
		return r;
	n.status = c->status;
	n.created_at = c->created_at;
	n.has_secret = c->has_secret;
	memcpy(n.secret_salt, c->secret_salt, sizeof(n.secret_salt));
	memcpy(n.secret_hash, c->secret_hash, sizeof(n.secret_hash));
	if (!uses_secret(&n))
		drop_secret(&n);
	else if (!n.has_secret && u->may_make_secret)
		r = set_secret(&n, NULL, 0, &u->shown);
	eid_client_clear(c);
	*c = n;
	return r;
}

int eid_client_update(eid_store *s, const char *client_id,
		      const json_t *changes, const char *actor,
		      char **ret_secret, eid_buf *why)
{
	struct update u = { changes, NULL, ret_secret != NULL };
	int r = modify(s, client_id, "client.update", actor, apply_update, &u,
		       why);

	if (r == EID_OK && ret_secret != NULL) {
		*ret_secret = u.shown;
		u.shown = NULL;
	}
	eid_free_secret_str(u.shown);
	return r;
}

/* ---- status and secret ---- */

static int apply_status(struct eid_client *c, void *arg, eid_buf *why)
{
	enum eid_client_status to = *(enum eid_client_status *)arg;

	if (c->status == to)
		return EID_ESTATE;
	c->status = to;
	return EID_OK;
}

int eid_client_disable(eid_store *s, const char *client_id,
		       const char *actor)
{
	enum eid_client_status to = EID_CLIENT_DISABLED;

	return modify(s, client_id, "client.disable", actor, apply_status,
		      &to, NULL);
}

int eid_client_enable(eid_store *s, const char *client_id, const char *actor)
{
	enum eid_client_status to = EID_CLIENT_ACTIVE;

	return modify(s, client_id, "client.enable", actor, apply_status, &to,
		      NULL);
}

struct rotate {
	const char *given;
	size_t len;
	char *shown;
};

static int apply_rotate(struct eid_client *c, void *arg, eid_buf *why)
{
	struct rotate *ro = arg;

	if (!uses_secret(c))
		return EID_ESTATE;
	return set_secret(c, ro->given, ro->len, &ro->shown);
}

int eid_client_rotate_secret(eid_store *s, const char *client_id,
			     const char *secret, size_t secret_len,
			     const char *actor, char **ret_secret)
{
	struct rotate ro = { secret, secret_len, NULL };
	int r;

	if (secret == NULL && ret_secret == NULL)
		return EID_EINVAL;
	r = modify(s, client_id, "client.rotate_secret", actor, apply_rotate,
		   &ro, NULL);
	if (r == EID_OK && ret_secret != NULL) {
		*ret_secret = ro.shown;
		ro.shown = NULL;
	}
	eid_free_secret_str(ro.shown);
	return r;
}

int eid_client_delete(eid_store *s, const char *client_id,
		      const char *actor)
{
	eid_txn *t = NULL;
	size_t n = 0;
	int r;

	if (s == NULL)
		return EID_EINVAL;
	if ((r = id_len(client_id, &n)) != EID_OK)
		return r;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	r = eid_txn_del(t, EID_TABLE_CLIENTS, client_id, n);
	if (r == EID_OK)
		r = audit(s, t, "client.delete", actor, client_id, NULL);
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

/* ---- listing ---- */

struct list_ctx {
	eid_client_visit_fn fn;
	void *arg;
};

static int list_visit(const void *key, size_t klen, const void *val,
		      size_t vlen, void *arg)
{
	struct list_ctx *l = arg;
	struct eid_client c;
	int r = eid_client_decode(val, vlen, &c);

	if (r != EID_OK)
		return r;
	r = l->fn(&c, l->arg);
	eid_client_clear(&c);
	return r;
}

int eid_client_list(eid_store *s, eid_client_visit_fn fn, void *arg)
{
	struct list_ctx l = { fn, arg };
	eid_txn *t = NULL;
	int r;

	if (s == NULL || fn == NULL)
		return EID_EINVAL;
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	r = eid_txn_scan(t, EID_TABLE_CLIENTS, NULL, 0, list_visit, &l);
	eid_txn_abort(t);
	return r;
}
