#include "idp/interaction.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/opaque.h"

#define TAG_INTERACTION 'i'
#define TAG_SESSION_RPS 's'
#define INTERACTION_RANDOM 32
#define RECORD_MAX (16u * 1024)

void eid_interaction_clear(struct eid_interaction *it)
{
	if (it == NULL)
		return;
	eid_authz_request_clear(&it->req);
	memset(it, 0, sizeof(*it));
}

static int interaction_key(const char *id, uint8_t key[EID_OPAQUE_KEY_LEN])
{
	if (id == NULL ||
	    eid_opaque_check(id, EID_INTERACTION_ID_LEN) != EID_OK)
		return EID_ENOTFOUND;
	return eid_opaque_key(TAG_INTERACTION, id, EID_INTERACTION_ID_LEN,
			      key);
}

/* The stored text of j, at most RECORD_MAX bytes. */
static int dump(const json_t *j, char **ret)
{
	char *text = json_dumps(j, JSON_COMPACT);

	if (text == NULL)
		return EID_ENOMEM;
	if (strlen(text) > RECORD_MAX) {
		free(text);
		return EID_ETOOBIG;
	}
	*ret = text;
	return EID_OK;
}

int eid_interaction_create(eid_store *s, const struct eid_authz_request *req,
			   uint64_t now,
			   char ret_id[EID_INTERACTION_ID_LEN + 1])
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	char id[EID_INTERACTION_ID_LEN + 1];
	json_t *j = NULL, *rec = NULL;
	char *text = NULL;
	int r;

	if (s == NULL || req == NULL || ret_id == NULL)
		return EID_EINVAL;
	if ((r = eid_authz_request_to_json(req, &j)) != EID_OK)
		goto out;
	r = EID_ENOMEM;
	if ((rec = json_pack("{s:O, s:s}", "req", j, "login_sid", "")) == NULL)
		goto out;
	if ((r = dump(rec, &text)) != EID_OK ||
	    (r = eid_opaque_random(INTERACTION_RANDOM, id, sizeof(id))) ||
	    (r = interaction_key(id, key)) != EID_OK ||
	    (r = eid_eph_put(s, EID_EPH_INTERACTIONS, key, sizeof(key), text,
			     strlen(text), now + EID_INTERACTION_TTL)) != EID_OK)
		goto out;
	memcpy(ret_id, id, sizeof(id));
out:
	free(text);
	json_decref(j);
	json_decref(rec);
	return r;
}

static int load(eid_store *s, const uint8_t key[EID_OPAQUE_KEY_LEN],
		json_t **ret, uint64_t *ret_exp)
{
	json_t *j;
	eid_buf b;
	int r;

	eid_buf_init(&b, RECORD_MAX);
	r = eid_eph_get(s, EID_EPH_INTERACTIONS, key, EID_OPAQUE_KEY_LEN, &b,
			ret_exp);
	if (r == EID_OK) {
		j = json_loadb((const char *)b.data, b.len, 0, NULL);
		if (j == NULL)
			r = EID_EMALFORMED;
		else
			*ret = j;
	}
	eid_buf_free(&b);
	return r;
}

int eid_interaction_get(eid_store *s, const char *id,
			struct eid_interaction *ret)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	struct eid_interaction it = { 0 };
	const char *sid;
	json_t *j = NULL;
	int r;

	if (s == NULL || ret == NULL)
		return EID_EINVAL;
	if ((r = interaction_key(id, key)) != EID_OK ||
	    (r = load(s, key, &j, &it.expires_at)) != EID_OK)
		return r;
	sid = json_string_value(json_object_get(j, "login_sid"));
	if (sid == NULL || strlen(sid) > EID_SESSION_SID_LEN) {
		r = EID_EMALFORMED;
		goto out;
	}
	if ((r = eid_authz_request_from_json(json_object_get(j, "req"),
					     &it.req)) != EID_OK)
		goto out;
	memcpy(it.id, id, EID_INTERACTION_ID_LEN + 1);
	memcpy(it.login_sid, sid, strlen(sid) + 1);
	*ret = it;
out:
	json_decref(j);
	return r;
}

int eid_interaction_set_login(eid_store *s, const char *id, const char *sid)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	uint64_t exp = 0;
	json_t *j = NULL;
	char *text = NULL;
	int r;

	if (s == NULL || sid == NULL || strlen(sid) > EID_SESSION_SID_LEN)
		return EID_EINVAL;
	if ((r = interaction_key(id, key)) != EID_OK ||
	    (r = load(s, key, &j, &exp)) != EID_OK)
		return r;
	if (json_object_set_new(j, "login_sid", json_string(sid)) != 0) {
		r = EID_ENOMEM;
		goto out;
	}
	if ((r = dump(j, &text)) == EID_OK)
		r = eid_eph_set(s, EID_EPH_INTERACTIONS, key, sizeof(key), text,
				strlen(text), exp);
out:
	free(text);
	json_decref(j);
	return r;
}

int eid_interaction_end(eid_store *s, const char *id)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	int r;

	if ((r = interaction_key(id, key)) != EID_OK)
		return r;
	return eid_eph_del(s, EID_EPH_INTERACTIONS, key, sizeof(key));
}

/* ---- the clients of a session ---- */

static int rps_key(const char *sid, uint8_t key[EID_OPAQUE_KEY_LEN])
{
	if (sid == NULL || sid[0] == '\0' ||
	    strlen(sid) > EID_SESSION_SID_LEN)
		return EID_EINVAL;
	return eid_opaque_key(TAG_SESSION_RPS, sid, strlen(sid), key);
}

static bool has_client(const json_t *arr, const char *client_id)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		const char *c = json_string_value(v);
		if (c != NULL && strcmp(c, client_id) == 0)
			return true;
	}
	return false;
}

/* Read-modify-write without a lock: two logins of one browser at the same
 * instant may lose a client from the list, which only costs that client
 * its back-channel call; its tokens still die with the session's grants. */
int eid_session_rp_add(eid_store *s, const char *sid, const char *client_id,
		       uint64_t expires_at)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	json_t *arr = NULL;
	char *text = NULL;
	int r;

	if (s == NULL || client_id == NULL)
		return EID_EINVAL;
	if ((r = rps_key(sid, key)) != EID_OK)
		return r;
	r = load(s, key, &arr, NULL);
	if (r == EID_ENOTFOUND)
		arr = json_array();
	else if (r != EID_OK)
		return r;
	if (!json_is_array(arr)) {
		r = arr == NULL ? EID_ENOMEM : EID_EMALFORMED;
		goto out;
	}
	r = EID_OK;
	if (has_client(arr, client_id))
		goto out;
	if (json_array_size(arr) >= EID_SESSION_RPS_MAX) {
		r = EID_EFULL;
		goto out;
	}
	if (json_array_append_new(arr, json_string(client_id)) != 0) {
		r = EID_ENOMEM;
		goto out;
	}
	if ((r = dump(arr, &text)) == EID_OK)
		r = eid_eph_set(s, EID_EPH_INTERACTIONS, key, sizeof(key), text,
				strlen(text), expires_at);
out:
	free(text);
	json_decref(arr);
	return r;
}

int eid_session_rp_take(eid_store *s, const char *sid, json_t **ret_clients)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	json_t *arr = NULL;
	eid_buf b;
	int r;

	if (s == NULL || ret_clients == NULL)
		return EID_EINVAL;
	if ((r = rps_key(sid, key)) != EID_OK)
		return r;
	eid_buf_init(&b, RECORD_MAX);
	r = eid_eph_take(s, EID_EPH_INTERACTIONS, key, sizeof(key), &b);
	if (r == EID_ENOTFOUND) {
		arr = json_array();
		r = arr ? EID_OK : EID_ENOMEM;
	} else if (r == EID_OK) {
		arr = json_loadb((const char *)b.data, b.len, 0, NULL);
		if (!json_is_array(arr))
			r = EID_EMALFORMED;
	}
	eid_buf_free(&b);
	if (r == EID_OK)
		*ret_clients = arr;
	else
		json_decref(arr);
	return r;
}
