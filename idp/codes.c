#include "idp/codes.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/opaque.h"
#include "idp/pkce.h"

#define TAG_CODE 'c'
#define TAG_TOMBSTONE 't'
#define TAG_PAR 'p'
#define CODE_RANDOM 32
#define CODE_VALUE_MAX EID_GRANT_MAX

void eid_code_grant_clear(struct eid_code_grant *cg)
{
	if (cg == NULL)
		return;
	eid_grant_clear(&cg->grant);
	free(cg->redirect_uri);
	free(cg->code_challenge);
	free(cg->nonce);
	memset(cg, 0, sizeof(*cg));
}

/* The stored form: the grant's members plus the code's own. */
static int code_to_json(const struct eid_code_grant *cg, uint64_t replay_ttl,
			json_t **ret)
{
	json_t *j = NULL;
	int r;

	if (cg->redirect_uri == NULL ||
	    eid_pkce_challenge_check(cg->code_challenge) != EID_OK)
		return EID_EINVAL;
	if (strnlen(cg->redirect_uri, EID_GRANT_STR_MAX + 1) >
		    EID_GRANT_STR_MAX ||
	    (cg->nonce != NULL &&
	     strnlen(cg->nonce, EID_GRANT_STR_MAX + 1) > EID_GRANT_STR_MAX))
		return EID_ETOOBIG;
	if ((r = eid_grant_to_json(&cg->grant, &j)) != EID_OK)
		return r;
	r = EID_EINVAL; /* not UTF-8 */
	if (json_object_set_new(j, "redirect_uri",
				json_string(cg->redirect_uri)) != 0 ||
	    json_object_set_new(j, "code_challenge",
				json_string(cg->code_challenge)) != 0 ||
	    (cg->nonce != NULL &&
	     json_object_set_new(j, "nonce", json_string(cg->nonce)) != 0) ||
	    json_object_set_new(j, "exp",
				json_integer((json_int_t)cg->expires_at)) ||
	    json_object_set_new(j, "replay_ttl",
				json_integer((json_int_t)replay_ttl))) {
		json_decref(j);
		return r;
	}
	*ret = j;
	return EID_OK;
}

static int dup_member(const json_t *j, const char *name, bool required,
		      char **ret)
{
	const char *v = json_string_value(json_object_get(j, name));

	*ret = NULL;
	if (v == NULL)
		return required ? EID_EMALFORMED : EID_OK;
	return (*ret = strdup(v)) == NULL ? EID_ENOMEM : EID_OK;
}

static int code_from_json(const json_t *j, struct eid_code_grant *ret)
{
	struct eid_code_grant cg = { 0 };
	json_int_t exp = json_integer_value(json_object_get(j, "exp"));
	int r;

	if ((r = eid_grant_from_json(j, &cg.grant)) != EID_OK ||
	    (r = dup_member(j, "redirect_uri", true, &cg.redirect_uri)) ||
	    (r = dup_member(j, "code_challenge", true, &cg.code_challenge)) ||
	    (r = dup_member(j, "nonce", false, &cg.nonce))) {
		eid_code_grant_clear(&cg);
		return r;
	}
	cg.expires_at = exp < 0 ? 0 : (uint64_t)exp;
	*ret = cg;
	return EID_OK;
}

/* The compact text of j, at most max bytes. */
static int json_text(const json_t *j, size_t max, char **ret)
{
	char *text = json_dumps(j, JSON_COMPACT);

	if (text == NULL)
		return EID_ENOMEM;
	if (strlen(text) > max) {
		free(text);
		return EID_ETOOBIG;
	}
	*ret = text;
	return EID_OK;
}

int eid_code_issue(eid_store *s, const struct eid_code_grant *cg,
		   uint64_t now, uint64_t code_ttl, uint64_t replay_ttl,
		   char ret_code[EID_CODE_LEN + 1])
{
	struct eid_code_grant c;
	uint8_t key[EID_OPAQUE_KEY_LEN];
	char code[EID_CODE_LEN + 1];
	char *text = NULL;
	json_t *j = NULL;
	int r;

	if (s == NULL || cg == NULL || ret_code == NULL || code_ttl == 0)
		return EID_EINVAL;
	c = *cg;
	c.expires_at = now + code_ttl;
	if ((r = eid_grant_new_id(c.grant.id)) != EID_OK ||
	    (r = code_to_json(&c, replay_ttl, &j)) != EID_OK ||
	    (r = json_text(j, CODE_VALUE_MAX, &text)) != EID_OK ||
	    (r = eid_opaque_random(CODE_RANDOM, code, sizeof(code))) != EID_OK ||
	    (r = eid_opaque_key(TAG_CODE, code, EID_CODE_LEN, key)) != EID_OK ||
	    (r = eid_eph_put(s, EID_EPH_CODES, key, sizeof(key), text,
			     strlen(text), c.expires_at)) != EID_OK)
		goto out;
	memcpy(ret_code, code, sizeof(code));
out:
	eid_wipe(code, sizeof(code));
	free(text);
	json_decref(j);
	return r;
}

/* Take the code's entry; a missing one is told apart from a replayed one
 * by its tombstone. */
static int code_take(eid_store *s, const char *code, json_t **ret)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	json_t *j;
	eid_buf b;
	int r;

	if (eid_opaque_check(code, EID_CODE_LEN) != EID_OK)
		return EID_EMALFORMED;
	if ((r = eid_opaque_key(TAG_CODE, code, EID_CODE_LEN, key)) != EID_OK)
		return r;
	eid_buf_init(&b, CODE_VALUE_MAX);
	r = eid_eph_take(s, EID_EPH_CODES, key, sizeof(key), &b);
	if (r == EID_ENOTFOUND) {
		key[0] = TAG_TOMBSTONE;
		eid_buf_reset(&b);
		if (eid_eph_get(s, EID_EPH_CODES, key, sizeof(key), &b,
				NULL) == EID_OK)
			r = EID_EREPLAY;
	}
	if (r == EID_OK) {
		j = json_loadb((const char *)b.data, b.len, 0, NULL);
		r = json_is_object(j) ? EID_OK : EID_EMALFORMED;
		if (r == EID_OK)
			*ret = j;
		else
			json_decref(j);
	}
	eid_buf_free(&b);
	return r;
}

static int tombstone_set(eid_store *s, const char *code, const json_t *j)
{
	const char *gid = json_string_value(json_object_get(j, "id"));
	json_int_t exp = json_integer_value(json_object_get(j, "exp"));
	json_int_t rw = json_integer_value(json_object_get(j, "replay_ttl"));
	uint8_t key[EID_OPAQUE_KEY_LEN];
	int r;

	if (gid == NULL || exp < 0 || rw < 0)
		return EID_EMALFORMED;
	if ((r = eid_opaque_key(TAG_TOMBSTONE, code, EID_CODE_LEN, key)))
		return r;
	return eid_eph_set(s, EID_EPH_CODES, key, sizeof(key), gid,
			   strlen(gid), (uint64_t)exp + (uint64_t)rw);
}

static bool str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL &&
	       eid_ct_equal_len(a, strlen(a), b, strlen(b));
}

/* The bindings of RFC 6749 section 4.1.3, RFC 7636 and RFC 9449 10. */
static int code_bindings(const struct eid_code_grant *cg, const char *client_id,
			 const char *redirect_uri, const char *verifier,
			 const char *dpop_jkt, uint64_t now)
{
	if (cg->expires_at <= now)
		return EID_EEXPIRED;
	if (!str_eq(cg->grant.client_id, client_id) ||
	    !str_eq(cg->redirect_uri, redirect_uri))
		return EID_EMISMATCH;
	if (cg->grant.dpop_jkt != NULL && !str_eq(cg->grant.dpop_jkt, dpop_jkt))
		return EID_EMISMATCH;
	return eid_pkce_verify(verifier, cg->code_challenge);
}

int eid_code_redeem(eid_store *s, const char *code, const char *client_id,
		    const char *redirect_uri, const char *code_verifier,
		    const char *dpop_jkt, uint64_t now,
		    struct eid_code_grant *ret_grant)
{
	struct eid_code_grant cg = { 0 };
	json_t *j = NULL;
	int r;

	if (s == NULL || ret_grant == NULL)
		return EID_EINVAL;
	if ((r = code_take(s, code, &j)) != EID_OK ||
	    (r = tombstone_set(s, code, j)) != EID_OK ||
	    (r = code_from_json(j, &cg)) != EID_OK ||
	    (r = code_bindings(&cg, client_id, redirect_uri, code_verifier,
			       dpop_jkt, now)) != EID_OK)
		goto out;
	*ret_grant = cg;
	memset(&cg, 0, sizeof(cg));
out:
	eid_code_grant_clear(&cg);
	json_decref(j);
	return r;
}

int eid_code_replayed_grant(eid_store *s, const char *code,
			    char ret_gid[EID_GRANT_ID_LEN + 1])
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	eid_buf b;
	int r;

	if (s == NULL || ret_gid == NULL)
		return EID_EINVAL;
	if (eid_opaque_check(code, EID_CODE_LEN) != EID_OK)
		return EID_EMALFORMED;
	if ((r = eid_opaque_key(TAG_TOMBSTONE, code, EID_CODE_LEN, key)))
		return r;
	eid_buf_init(&b, EID_GRANT_ID_LEN);
	r = eid_eph_get(s, EID_EPH_CODES, key, sizeof(key), &b, NULL);
	if (r == EID_ETOOBIG || (r == EID_OK && b.len != EID_GRANT_ID_LEN))
		r = EID_EMALFORMED;
	if (r == EID_OK) {
		memcpy(ret_gid, b.data, EID_GRANT_ID_LEN);
		ret_gid[EID_GRANT_ID_LEN] = '\0';
	}
	eid_buf_free(&b);
	return r;
}

/* ---- PAR ---- */

static int par_key(const char *uri, uint8_t key[EID_OPAQUE_KEY_LEN])
{
	size_t plen = sizeof(EID_PAR_URN) - 1;

	if (uri == NULL || strncmp(uri, EID_PAR_URN, plen) != 0 ||
	    eid_opaque_check(uri + plen, EID_PAR_URI_LEN - plen) != EID_OK)
		return EID_EMALFORMED;
	return eid_opaque_key(TAG_PAR, uri, EID_PAR_URI_LEN, key);
}

int eid_par_store(eid_store *s, const char *client_id, const json_t *params,
		  uint64_t now, uint64_t ttl, char ret_uri[EID_PAR_URI_LEN + 1])
{
	size_t plen = sizeof(EID_PAR_URN) - 1;
	uint8_t key[EID_OPAQUE_KEY_LEN];
	char uri[EID_PAR_URI_LEN + 1];
	char *text = NULL;
	json_t *j = NULL;
	int r = EID_EINVAL;

	if (s == NULL || client_id == NULL || client_id[0] == '\0' ||
	    !json_is_object(params) || ret_uri == NULL || ttl == 0)
		return EID_EINVAL;
	if ((j = json_pack("{s:s,s:O}", "client_id", client_id, "params",
			   params)) == NULL)
		goto out; /* client_id not UTF-8 */
	if ((r = json_text(j, EID_PAR_MAX, &text)) != EID_OK)
		goto out;
	memcpy(uri, EID_PAR_URN, plen);
	if ((r = eid_opaque_random(32, uri + plen, sizeof(uri) - plen)) ||
	    (r = par_key(uri, key)) != EID_OK ||
	    (r = eid_eph_put(s, EID_EPH_PAR, key, sizeof(key), text,
			     strlen(text), now + ttl)) != EID_OK)
		goto out;
	memcpy(ret_uri, uri, sizeof(uri));
out:
	free(text);
	json_decref(j);
	return r;
}

int eid_par_take(eid_store *s, const char *request_uri, const char *client_id,
		 json_t **ret_params)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	json_t *j = NULL, *params;
	eid_buf b;
	int r;

	if (s == NULL || ret_params == NULL)
		return EID_EINVAL;
	if ((r = par_key(request_uri, key)) != EID_OK)
		return r;
	eid_buf_init(&b, EID_PAR_MAX);
	if ((r = eid_eph_take(s, EID_EPH_PAR, key, sizeof(key), &b)))
		goto out;
	r = EID_EMALFORMED;
	j = json_loadb((const char *)b.data, b.len, 0, NULL);
	params = json_object_get(j, "params");
	if (!json_is_object(params))
		goto out;
	r = EID_EMISMATCH;
	if (!str_eq(json_string_value(json_object_get(j, "client_id")),
		    client_id))
		goto out;
	*ret_params = json_incref(params);
	r = EID_OK;
out:
	json_decref(j);
	eid_buf_free(&b);
	return r;
}
