#include "idp/introspect.h"

#include <string.h>

#include "crypto/error.h"
#include "idp/grants.h"
#include "idp/jwt.h"
#include "idp/opaque.h"
#include "idp/subject.h"
#include "idp/tokens.h"

#define TAG_REVOKED_AT 'x' /* in the "jti" namespace */
#define JTI_MAX 64

static bool is_refresh(const char *token)
{
	return strncmp(token, EID_REFRESH_PREFIX,
		       strlen(EID_REFRESH_PREFIX)) == 0;
}

static int revoked_key(const char *jti, uint8_t key[EID_OPAQUE_KEY_LEN])
{
	return eid_opaque_key(TAG_REVOKED_AT, jti, strlen(jti), key);
}

int eid_access_token_check_jti(eid_store *s, const char *jti)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	eid_buf b;
	int r;

	if ((r = revoked_key(jti, key)) != EID_OK)
		return r;
	eid_buf_init(&b, 16);
	r = eid_eph_get(s, EID_EPH_JTI, key, sizeof(key), &b, NULL);
	eid_buf_free(&b);
	if (r == EID_ENOTFOUND)
		return EID_OK;
	return r == EID_OK ? EID_EPERM : r;
}

static json_t *inactive(void)
{
	return json_pack("{s:b}", "active", 0);
}

/* Our access token for this client, its claims; EID_ENOTFOUND for
 * anything that is not an active one of this client's. */
static int access_claims(const struct eid_introspect_env *env,
			 const struct eid_client *client, const char *token,
			 json_t **ret)
{
	const char *cid, *jti;
	json_t *c = NULL;
	int r;

	r = eid_access_token_verify_grant(env->signer, env->store, env->grants,
					  token, strlen(token), env->issuer,
					  EID_TOKEN_INTROSPECT, NULL, env->now,
					  &c, NULL);
	if (r != EID_OK)
		return r == EID_ENOMEM || r == EID_ESTORE ? r : EID_ENOTFOUND;
	r = EID_ENOTFOUND;
	if (eid_jwt_str(c, "client_id", EID_CLIENT_ID_MAX, true, &cid) ||
	    strcmp(cid, client->client_id) != 0 ||
	    eid_jwt_str(c, "jti", JTI_MAX, true, &jti))
		goto out;
	if ((r = eid_access_token_check_jti(env->store, jti)) != EID_OK) {
		r = r == EID_EPERM ? EID_ENOTFOUND : r;
		goto out;
	}
	*ret = c;
	c = NULL;
out:
	json_decref(c);
	return r;
}

static int access_answer(json_t *c, json_t **ret)
{
	static const char *const keep[] = { "scope", "client_id", "sub",
					    "exp", "iat", "iss", "aud", "cnf",
					    "acr", "auth_time", "jti", NULL };
	json_t *o = json_pack("{s:b,s:s}", "active", 1, "token_type",
			      json_object_get(c, "cnf") != NULL ? "DPoP" :
								 "Bearer");

	if (o == NULL)
		return EID_ENOMEM;
	for (size_t i = 0; keep[i] != NULL; i++) {
		json_t *v = json_object_get(c, keep[i]);

		if (v != NULL && json_object_set(o, keep[i], v) != 0) {
			json_decref(o);
			return EID_ENOMEM;
		}
	}
	*ret = o;
	return EID_OK;
}

static int refresh_answer(const struct eid_introspect_env *env,
			  const struct eid_client *client,
			  const struct eid_grant *g, uint64_t exp,
			  json_t **ret)
{
	char sub[EID_SUBJECT_LEN + 1];
	json_t *o;
	int r;

	if ((r = eid_subject_for(client, g->personal_id, env->subject_key,
				 sub)) != EID_OK)
		return r;
	o = json_pack("{s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "active", 1,
		      "token_type", "refresh_token", "scope", g->scope,
		      "client_id", g->client_id, "sub", sub, "iss",
		      env->issuer, "aud", g->client_id, "exp",
		      (json_int_t)exp, "iat", (json_int_t)g->created);
	if (o == NULL)
		return EID_ENOMEM;
	if ((g->acr != NULL &&
	     json_object_set_new(o, "acr", json_string(g->acr))) ||
	    (g->auth_time != 0 &&
	     json_object_set_new(o, "auth_time",
				 json_integer((json_int_t)g->auth_time))) ||
	    (g->dpop_jkt != NULL &&
	     json_object_set_new(o, "cnf",
				 json_pack("{s:s}", "jkt", g->dpop_jkt)))) {
		json_decref(o);
		return EID_ENOMEM;
	}
	*ret = o;
	return EID_OK;
}

static int introspect_refresh(const struct eid_introspect_env *env,
			      const struct eid_client *client,
			      const char *token, json_t **ret)
{
	struct eid_grant g = { 0 };
	uint64_t exp = 0;
	int r;

	r = eid_refresh_inspect(env->store, token, env->now, &g, &exp);
	if (r == EID_OK && strcmp(g.client_id, client->client_id) != 0)
		r = EID_ENOTFOUND;
	if (r == EID_OK)
		r = refresh_answer(env, client, &g, exp, ret);
	eid_grant_clear(&g);
	return r;
}

int eid_introspect(const struct eid_introspect_env *env,
		   const struct eid_client *client, const char *token,
		   json_t **ret)
{
	json_t *c = NULL;
	int r;

	if (env == NULL || client == NULL || ret == NULL)
		return EID_EINVAL;
	if (token == NULL || token[0] == '\0')
		r = EID_ENOTFOUND;
	else if (is_refresh(token))
		r = introspect_refresh(env, client, token, ret);
	else if ((r = access_claims(env, client, token, &c)) == EID_OK)
		r = access_answer(c, ret);
	json_decref(c);
	if (r == EID_ENOMEM || r == EID_ESTORE || r == EID_EINTERNAL)
		return r;
	if (r != EID_OK)
		*ret = inactive();
	return *ret != NULL ? EID_OK : EID_ENOMEM;
}

/* ---- revocation ---- */

static int revoke_access(const struct eid_introspect_env *env,
			 const struct eid_client *client, const char *token,
			 struct eid_oauth_error *err)
{
	const char *cid, *gid, *jti;
	uint8_t key[EID_OPAQUE_KEY_LEN];
	uint64_t exp;
	json_t *c = NULL;
	int r;

	r = eid_access_token_verify(env->signer, env->store, token,
				    strlen(token), env->issuer,
				    EID_TOKEN_INTROSPECT, NULL, env->now, &c);
	if (r != EID_OK) /* unknown, expired, revoked: nothing to do */
		return r == EID_ENOMEM || r == EID_ESTORE ? r : EID_OK;
	if (eid_jwt_str(c, "client_id", EID_CLIENT_ID_MAX, true, &cid) ||
	    eid_jwt_str(c, "jti", JTI_MAX, true, &jti) ||
	    eid_jwt_str(c, "gid", EID_GRANT_ID_LEN, false, &gid) ||
	    eid_jwt_time(c, "exp", true, &exp, NULL)) {
		r = EID_OK;
		goto out;
	}
	if (strcmp(cid, client->client_id) != 0) {
		r = eid_oauth_fail(err, "invalid_request",
				   "the token was issued to another client",
				   EID_EPERM);
		goto out;
	}
	if (gid != NULL) {
		r = eid_grant_revoke(env->store, gid, env->now);
		goto out;
	}
	if ((r = revoked_key(jti, key)) == EID_OK)
		r = eid_eph_set(env->store, EID_EPH_JTI, key, sizeof(key), "r",
				1, exp);
out:
	json_decref(c);
	return r;
}

int eid_revoke(const struct eid_introspect_env *env,
	       const struct eid_client *client, const char *token,
	       struct eid_oauth_error *err)
{
	int r;

	if (env == NULL || client == NULL)
		return EID_EINVAL;
	if (token == NULL || token[0] == '\0')
		return EID_OK;
	if (!is_refresh(token))
		return revoke_access(env, client, token, err);
	r = eid_refresh_revoke(env->store, token, client->client_id,
			       env->now);
	if (r == EID_EMISMATCH)
		return eid_oauth_fail(err, "invalid_request",
				      "the token was issued to another client",
				      EID_EPERM);
	if (r == EID_EMALFORMED || r == EID_ENOTFOUND)
		return EID_OK;
	return r;
}
