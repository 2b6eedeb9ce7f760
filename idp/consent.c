#include "idp/consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/clients.h"
#include "idp/personal_id.h"

#define KEY_MAX (EID_PERSONAL_ID_LEN + 1 + EID_CLIENT_ID_MAX)

/* personal_id NUL client_id: a prefix scan by citizen lists them all. */
static int consent_key(const char *pid, const char *client_id, uint8_t *key,
		       size_t *ret_len)
{
	size_t c;

	if (pid == NULL || client_id == NULL ||
	    strlen(pid) != EID_PERSONAL_ID_LEN)
		return EID_EINVAL;
	c = strnlen(client_id, EID_CLIENT_ID_MAX + 1);
	if (c == 0 || c > EID_CLIENT_ID_MAX)
		return EID_EINVAL;
	memcpy(key, pid, EID_PERSONAL_ID_LEN);
	key[EID_PERSONAL_ID_LEN] = '\0';
	memcpy(key + EID_PERSONAL_ID_LEN + 1, client_id, c);
	*ret_len = EID_PERSONAL_ID_LEN + 1 + c;
	return EID_OK;
}

static int add_names(json_t *set, const json_t *member)
{
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)member, name, v)
		if (json_object_set_new(set, name, json_true()) != 0)
			return EID_ENOMEM;
	return EID_OK;
}

int eid_consent_claim_names(const json_t *claims_request, json_t **ret)
{
	json_t *set = json_object(), *arr = json_array();
	const char *name;
	json_t *v;
	int r = EID_ENOMEM;

	if (set == NULL || arr == NULL)
		goto out;
	if ((r = add_names(set, json_object_get(claims_request, "userinfo"))) ||
	    (r = add_names(set, json_object_get(claims_request, "id_token"))))
		goto out;
	/* jansson keeps insertion order: sort through a dump with sorted
	 * keys would cost more than a simple insertion sort here. */
	json_object_foreach(set, name, v) {
		size_t i = 0;
		while (i < json_array_size(arr) &&
		       strcmp(json_string_value(json_array_get(arr, i)), name) < 0)
			i++;
		if (json_array_insert_new(arr, i, json_string(name)) != 0) {
			r = EID_ENOMEM;
			goto out;
		}
	}
	*ret = arr;
	arr = NULL;
	r = EID_OK;
out:
	json_decref(set);
	json_decref(arr);
	return r;
}

static bool contains(const json_t *arr, const json_t *v)
{
	size_t i;
	json_t *h;

	json_array_foreach(arr, i, h)
		if (json_equal(v, h))
			return true;
	return false;
}

static bool names_within(const json_t *want, const json_t *have)
{
	size_t i;
	json_t *w;

	json_array_foreach(want, i, w)
		if (!contains(have, w))
			return false;
	return true;
}

/* The stored record of (pid, client), or EID_ENOTFOUND. */
static int consent_read(eid_txn *t, const uint8_t *key, size_t klen,
			json_t **ret)
{
	eid_buf b;
	json_t *j;
	int r;

	eid_buf_init(&b, EID_CONSENT_MAX);
	if ((r = eid_txn_get(t, EID_TABLE_CONSENTS, key, klen, &b)) == EID_OK) {
		j = json_loadb((const char *)b.data, b.len, 0, NULL);
		if (!json_is_object(j) ||
		    !json_is_integer(json_object_get(j, "scopes")) ||
		    !json_is_array(json_object_get(j, "claims"))) {
			json_decref(j);
			r = EID_EMALFORMED;
		} else {
			*ret = j;
		}
	}
	eid_buf_free(&b);
	return r;
}

int eid_consent_check(eid_store *s, const char *personal_id,
		      const char *client_id, unsigned scopes,
		      const json_t *claims_request, bool *ret_covered)
{
	uint8_t key[KEY_MAX];
	json_t *rec = NULL, *want = NULL;
	eid_txn *t = NULL;
	size_t klen;
	unsigned have;
	int r;

	if (s == NULL || ret_covered == NULL)
		return EID_EINVAL;
	if ((r = consent_key(personal_id, client_id, key, &klen)) != EID_OK ||
	    (r = eid_consent_claim_names(claims_request, &want)) != EID_OK ||
	    (r = eid_store_begin(s, false, &t)) != EID_OK)
		goto out;
	r = consent_read(t, key, klen, &rec);
	if (r == EID_ENOTFOUND) {
		*ret_covered = false;
		r = EID_OK;
		goto out;
	}
	if (r != EID_OK)
		goto out;
	have = (unsigned)json_integer_value(json_object_get(rec, "scopes"));
	*ret_covered = (scopes & ~have) == 0 &&
		       names_within(want, json_object_get(rec, "claims"));
out:
	eid_txn_abort(t);
	json_decref(rec);
	json_decref(want);
	return r;
}

/* The union of the old record (may be NULL) and the new consent. */
static int merge(const json_t *old, unsigned scopes, const json_t *claims,
		 int64_t now, char **ret_text)
{
	json_t *names = NULL, *rec = NULL;
	size_t i;
	json_t *v;
	int r;

	if ((r = eid_consent_claim_names(claims, &names)) != EID_OK)
		return r;
	r = EID_ENOMEM;
	json_array_foreach(json_object_get(old, "claims"), i, v)
		if (!contains(names, v) &&
		    json_array_append(names, v) != 0)
			goto out;
	scopes |= (unsigned)json_integer_value(json_object_get(old, "scopes"));
	rec = json_pack("{s:i, s:O, s:I}", "scopes", (int)scopes, "claims",
			names, "at", (json_int_t)now);
	if (rec == NULL)
		goto out;
	*ret_text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	r = *ret_text != NULL ? EID_OK : EID_ENOMEM;
out:
	json_decref(names);
	json_decref(rec);
	return r;
}

int eid_consent_grant(eid_store *s, const char *personal_id,
		      const char *client_id, unsigned scopes,
		      const json_t *claims_request, const char *remote,
		      int64_t now)
{
	uint8_t key[KEY_MAX];
	json_t *old = NULL;
	eid_txn *t = NULL;
	char *text = NULL, actor[32];
	size_t klen;
	int r;

	if (s == NULL)
		return EID_EINVAL;
	if ((r = consent_key(personal_id, client_id, key, &klen)) != EID_OK ||
	    (r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	r = consent_read(t, key, klen, &old);
	if (r != EID_OK && r != EID_ENOTFOUND)
		goto out;
	if ((r = merge(old, scopes, claims_request, now, &text)) != EID_OK)
		goto out;
	if (strlen(text) > EID_CONSENT_MAX) {
		r = EID_ETOOBIG;
		goto out;
	}
	snprintf(actor, sizeof(actor), "citizen:%s", personal_id);
	if ((r = eid_txn_put(t, EID_TABLE_CONSENTS, key, klen, text,
			     strlen(text))) != EID_OK ||
	    (r = eid_audit_record(t, "consent.grant", actor, client_id, remote,
				  json_pack("{s:i}", "scopes", (int)scopes),
				  now)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	eid_txn_abort(t);
	json_decref(old);
	free(text);
	return r;
}

int eid_consent_revoke(eid_store *s, const char *personal_id,
		       const char *client_id, const char *actor,
		       int64_t now)
{
	uint8_t key[KEY_MAX];
	eid_txn *t = NULL;
	size_t klen;
	int r;

	if (s == NULL || actor == NULL)
		return EID_EINVAL;
	if ((r = consent_key(personal_id, client_id, key, &klen)) != EID_OK ||
	    (r = eid_store_begin(s, true, &t)) != EID_OK)
		return r;
	if ((r = eid_txn_del(t, EID_TABLE_CONSENTS, key, klen)) != EID_OK ||
	    (r = eid_audit_record(t, "consent.revoke", actor, client_id, NULL,
				  json_pack("{s:s}", "personal_id",
					    personal_id), now)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	eid_txn_abort(t);
	return r;
}

struct list_ctx {
	eid_consent_visit_fn fn;
	void *arg;
};

static int list_one(const void *key, size_t klen, const void *val,
		    size_t vlen, void *arg)
{
	struct list_ctx *ctx = arg;
	char client_id[EID_CLIENT_ID_MAX + 1];
	size_t c = klen - (EID_PERSONAL_ID_LEN + 1);
	json_t *j;
	int r;

	if (klen <= EID_PERSONAL_ID_LEN + 1 || c > EID_CLIENT_ID_MAX)
		return EID_EMALFORMED;
	memcpy(client_id, (const char *)key + EID_PERSONAL_ID_LEN + 1, c);
	client_id[c] = '\0';
	j = json_loadb(val, vlen, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return EID_EMALFORMED;
	}
	r = ctx->fn(client_id,
		    (unsigned)json_integer_value(json_object_get(j, "scopes")),
		    json_object_get(j, "claims"),
		    json_integer_value(json_object_get(j, "at")), ctx->arg);
	json_decref(j);
	return r;
}

int eid_consent_list(eid_store *s, const char *personal_id,
		     eid_consent_visit_fn fn, void *arg)
{
	struct list_ctx ctx = { fn, arg };
	uint8_t prefix[EID_PERSONAL_ID_LEN + 1];
	eid_txn *t = NULL;
	int r;

	if (s == NULL || fn == NULL || personal_id == NULL ||
	    strlen(personal_id) != EID_PERSONAL_ID_LEN)
		return EID_EINVAL;
	memcpy(prefix, personal_id, EID_PERSONAL_ID_LEN);
	prefix[EID_PERSONAL_ID_LEN] = '\0';
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	r = eid_txn_scan(t, EID_TABLE_CONSENTS, prefix, sizeof(prefix),
			 list_one, &ctx);
	eid_txn_abort(t);
	return r;
}
