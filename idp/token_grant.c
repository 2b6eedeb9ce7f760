#include "idp/token_grant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/accounts.h"
#include "idp/audit.h"
#include "idp/authz_request.h"
#include "idp/ciba.h"
#include "idp/client_auth.h"
#include "idp/codes.h"
#include "idp/devgrant.h"
#include "idp/release.h"
#include "idp/subject.h"
#include "idp/tokens.h"

void eid_token_response_clear(struct eid_token_response *res)
{
	if (res == NULL)
		return;
	eid_free_secret_str(res->access_token);
	eid_free_secret_str(res->id_token);
	eid_wipe(res, sizeof(*res));
}

uint64_t eid_token_access_ttl(const struct eid_token_env *env,
			      const struct eid_client *client)
{
	return client->access_token_ttl != 0 ? client->access_token_ttl :
					       env->cfg->tokens.access_token_ttl;
}

static uint64_t id_ttl(const struct eid_token_env *env,
		       const struct eid_client *client)
{
	return client->id_token_ttl != 0 ? client->id_token_ttl :
					   env->cfg->tokens.id_token_ttl;
}

static uint64_t refresh_ttl(const struct eid_token_env *env,
			    const struct eid_client *client)
{
	return client->refresh_token_ttl != 0 ?
		       client->refresh_token_ttl :
		       env->cfg->tokens.refresh_token_ttl;
}

int eid_token_subject_data(const struct eid_token_env *env,
			   const char *personal_id,
			   struct eid_citizen *ret_citizen,
			   struct eid_account *ret_account)
{
	eid_txn *t = NULL;
	int r;

	if ((r = eid_registry_lookup(env->registry, personal_id,
				     ret_citizen)) != EID_OK ||
	    ret_account == NULL)
		return r;
	if ((r = eid_store_begin(env->store, false, &t)) != EID_OK)
		return r;
	r = eid_account_get_cached(env->accounts, t, personal_id,
				   ret_account);
	eid_txn_abort(t);
	return r;
}

/* The account may still use what it was granted at created: active, and
 * its sessions not ended since. */
static int account_usable(const struct eid_token_env *env,
			  const char *personal_id, uint64_t created,
			  struct eid_oauth_error *err)
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(env->store, false, &t)) != EID_OK)
		return r;
	r = eid_account_get_cached(env->accounts, t, personal_id, &a);
	eid_txn_abort(t);
	if (r == EID_ENOTFOUND)
		return eid_oauth_fail(err, "invalid_grant",
				      "the account no longer exists", EID_EPERM);
	if (r != EID_OK)
		return r;
	if (a.status != EID_ACCOUNT_ACTIVE)
		r = eid_oauth_fail(err, "invalid_grant",
				   "the account is not active", EID_EPERM);
	else if (a.sessions_revoked_before > 0 &&
		 (uint64_t)a.sessions_revoked_before > created)
		r = eid_oauth_fail(err, "invalid_grant",
				   "the citizen's sessions were ended",
				   EID_EPERM);
	eid_account_clear(&a);
	return r;
}

/* ---- signing ---- */

static int sign_access(const struct eid_token_env *env,
		       const struct eid_client *client, const char *sub,
		       const struct eid_grant *g, const char *scope,
		       const char *jkt, struct eid_token_response *res)
{
	struct eid_access_token_params p = {
		.issuer = env->issuer, .sub = sub,
		.client_id = client->client_id, .scope = scope,
		.acr = g != NULL ? g->acr : NULL,
		.gid = g != NULL ? g->id : NULL, .dpop_jkt = jkt,
		.auth_time = g != NULL ? g->auth_time : 0, .now = env->now,
		.ttl = eid_token_access_ttl(env, client),
	};
	int r;

	if ((r = eid_access_token_issue(env->signer, &p,
					&res->access_token)) != EID_OK)
		return r;
	res->expires_in = p.ttl;
	res->dpop = jkt != NULL;
	if (strlen(scope) >= sizeof(res->scope))
		return EID_ETOOBIG;
	memcpy(res->scope, scope, strlen(scope) + 1);
	return EID_OK;
}

/* Claims asked by name for the ID token (OIDC Core 5.5); NULL when none
 * were, so the common case costs no registry read. */
static int id_token_claims(const struct eid_token_env *env,
			   const struct eid_client *client,
			   const struct eid_grant *g, json_t **ret)
{
	const json_t *want = json_object_get(g->claims, "id_token");
	struct eid_citizen cz;
	struct eid_account a;
	struct eid_claims_input in = { 0 };
	unsigned granted = 0;
	int r;

	*ret = NULL;
	if (json_object_size(want) == 0)
		return EID_OK;
	if ((r = eid_token_subject_data(env, g->personal_id, &cz, &a)) !=
	    EID_OK)
		return r;
	(void)eid_claims_scope_bits(g->scope, &granted);
	in.citizen = &cz;
	in.account = &a;
	in.granted = granted;
	in.allowed = client->scopes;
	in.request = want;
	r = eid_claims_build(&in, ret);
	eid_account_clear(&a);
	return r;
}

static int sign_id(const struct eid_token_env *env,
		   const struct eid_client *client, const char *sub,
		   const struct eid_grant *g, const char *nonce,
		   struct eid_token_response *res)
{
	struct eid_id_token_params p = {
		.issuer = env->issuer, .sub = sub,
		.client_id = client->client_id, .nonce = nonce, .acr = g->acr,
		.amr = g->amr, .sid = g->sid,
		.access_token = res->access_token, .auth_time = g->auth_time,
		.now = env->now, .ttl = id_ttl(env, client),
		.alg = client->id_token_alg,
	};
	json_t *claims = NULL;
	int r;

	if ((r = id_token_claims(env, client, g, &claims)) != EID_OK)
		return r;
	p.claims = claims;
	r = eid_id_token_issue(env->signer, &p, &res->id_token);
	json_decref(claims);
	return r;
}

/* The access token, and the ID token when openid was granted. */
static int sign_user_tokens(const struct eid_token_env *env,
			    const struct eid_client *client,
			    const struct eid_grant *g, const char *scope,
			    const char *nonce, const char *jkt,
			    struct eid_token_response *res)
{
	char sub[EID_SUBJECT_LEN + 1];
	unsigned bits = 0;
	int r;

	if ((r = eid_subject_for(client, g->personal_id, env->subject_key,
				 sub)) != EID_OK ||
	    (r = sign_access(env, client, sub, g, scope, jkt, res)) != EID_OK)
		return r;
	if (eid_claims_scope_bits(g->scope, &bits) == EID_OK &&
	    (bits & EID_SCOPE_OPENID))
		r = sign_id(env, client, sub, g, nonce, res);
	return r;
}

static int dpop_required(const struct eid_client *client,
			 const struct eid_token_request *req,
			 struct eid_oauth_error *err)
{
	if (client->require_dpop && req->dpop_jkt == NULL)
		return eid_oauth_fail(err, "invalid_request",
				      "this client must send a DPoP proof",
				      EID_EINVAL);
	return EID_OK;
}

static int grant_type_allowed(const struct eid_client *client, unsigned bit,
			      struct eid_oauth_error *err)
{
	if (!(client->grant_types & bit))
		return eid_oauth_fail(err, "unauthorized_client",
				      "the client may not use this grant type",
				      EID_EINVAL);
	return EID_OK;
}

/* ---- client_credentials ---- */

int eid_token_client_credentials(const struct eid_token_env *env,
				 const struct eid_client *client,
				 const struct eid_token_request *req,
				 struct eid_token_response *res,
				 struct eid_oauth_error *err)
{
	unsigned allowed = client->scopes &
			   ~(unsigned)(EID_SCOPE_OPENID |
				       EID_SCOPE_OFFLINE_ACCESS);
	unsigned want = allowed;
	char scope[EID_SCOPE_STR_MAX];
	int r;

	if ((r = grant_type_allowed(client, EID_GRANT_CLIENT_CREDENTIALS,
				    err)) != EID_OK ||
	    (r = dpop_required(client, req, err)) != EID_OK)
		return r;
	if (req->scope != NULL) {
		if ((r = eid_claims_scope_bits(req->scope, &want)) != EID_OK ||
		    (want & ~allowed) != 0)
			return eid_oauth_fail(err, "invalid_scope",
				"scope is not one this client may ask for "
				"with client_credentials", EID_EINVAL);
	}
	if ((r = eid_claims_scope_string(want, scope)) != EID_OK)
		return r;
	return sign_access(env, client, client->client_id, NULL, scope,
			   req->dpop_jkt, res);
}

/* ---- authorization_code ---- */

static int redeem_error(const struct eid_token_env *env, const char *code,
			int r, struct eid_oauth_error *err)
{
	char gid[EID_GRANT_ID_LEN + 1];

	switch (r) {
	case EID_EREPLAY:
		/* RFC 6749 4.1.2: every token from that code ends now. */
		if (eid_code_replayed_grant(env->store, code, gid) == EID_OK)
			(void)eid_grant_revoke(env->store, gid, env->now);
		return eid_oauth_fail(err, "invalid_grant",
				      "the code was already used", EID_EPERM);
	case EID_EVERIFY:
		return eid_oauth_fail(err, "invalid_grant",
				      "code_verifier does not match the "
				      "code_challenge", EID_EPERM);
	case EID_EMISMATCH:
		return eid_oauth_fail(err, "invalid_grant",
				      "the code was issued to another client, "
				      "redirect_uri or DPoP key", EID_EPERM);
	case EID_EMALFORMED:
	case EID_ENOTFOUND:
	case EID_EEXPIRED:
		return eid_oauth_fail(err, "invalid_grant",
				      "the code is invalid or expired",
				      EID_EPERM);
	default:
		return r;
	}
}

static int code_params(const struct eid_client *client,
		       const struct eid_token_request *req,
		       struct eid_oauth_error *err)
{
	int r;

	if ((r = grant_type_allowed(client, EID_GRANT_AUTHORIZATION_CODE,
				    err)) != EID_OK ||
	    (r = dpop_required(client, req, err)) != EID_OK)
		return r;
	if (req->code == NULL || req->redirect_uri == NULL)
		return eid_oauth_fail(err, "invalid_request",
				      "code and redirect_uri are required",
				      EID_EINVAL);
	if (req->code_verifier == NULL)
		return eid_oauth_fail(err, "invalid_request",
				      "code_verifier is required (PKCE)",
				      EID_EINVAL);
	return EID_OK;
}

/* A refresh token for clients with that grant.  offline_access needs no
 * more here: the authorization endpoint keeps it in the grant's scope only
 * as OIDC Core 11 allows (prompt=consent); without it the refresh token
 * still works while the citizen's sessions last (see account_usable). */
static int maybe_refresh(const struct eid_token_env *env,
			 const struct eid_client *client, const char *gid,
			 struct eid_token_response *res)
{
	if (!(client->grant_types & EID_GRANT_REFRESH_TOKEN))
		return EID_OK;
	return eid_refresh_issue(env->store, gid, env->now,
				 refresh_ttl(env, client), res->refresh_token);
}

/* Record the grant with its data.release event (idp/release.h) in one
 * transaction: which relying party received which claims.  As
 * eid_grant_create; EID_ENOTFOUND when the citizen is no longer known. */
static int create_released(const struct eid_token_env *env,
			   const struct eid_client *client,
			   struct eid_grant *g)
{
	char actor[EID_CLIENT_ID_MAX + sizeof("client:")];
	struct eid_audit_event ev = { .type = EID_RELEASE_EVENT,
				      .actor = actor,
				      .subject = g->personal_id };
	json_t *details = NULL;
	struct eid_citizen cz;
	struct eid_account a;
	int r;

	if ((r = eid_token_subject_data(env, g->personal_id, &cz, &a)) !=
	    EID_OK)
		return r;
	r = eid_release_details(client, g, &cz, &a, &details);
	eid_account_clear(&a);
	if (r != EID_OK)
		return r;
	(void)snprintf(actor, sizeof(actor), "client:%s", client->client_id);
	ev.details = details;
	r = eid_grant_create_audited(env->store, g, env->now, &ev, g->id);
	json_decref(details);
	return r;
}

/* A redeemed grant (a code's, an approved device's) recorded and its
 * tokens issued: what both grants end with. */
static int issue_for_grant(const struct eid_token_env *env,
			   const struct eid_client *client,
			   const struct eid_token_request *req,
			   struct eid_grant *g, const char *nonce,
			   struct eid_token_response *res,
			   struct eid_oauth_error *err)
{
	int r;

	if (g->dpop_jkt == NULL && req->dpop_jkt != NULL &&
	    (g->dpop_jkt = strdup(req->dpop_jkt)) == NULL)
		return EID_ENOMEM;
	if ((r = account_usable(env, g->personal_id, g->auth_time, err)) !=
	    EID_OK ||
	    (r = eid_subject_for(client, g->personal_id, env->subject_key,
				 g->sub)) != EID_OK)
		return r;
	r = create_released(env, client, g);
	if (r == EID_EEXIST)
		return eid_oauth_fail(err, "invalid_grant",
				      "the code was already used", EID_EPERM);
	if (r == EID_ENOTFOUND)
		return eid_oauth_fail(err, "invalid_grant",
				      "the citizen is no longer known",
				      EID_EPERM);
	if (r != EID_OK ||
	    (r = sign_user_tokens(env, client, g, g->scope, nonce,
				  g->dpop_jkt, res)) != EID_OK ||
	    (r = maybe_refresh(env, client, g->id, res)) != EID_OK)
		eid_token_response_clear(res);
	return r;
}

int eid_token_authorization_code(const struct eid_token_env *env,
				 const struct eid_client *client,
				 const struct eid_token_request *req,
				 struct eid_token_response *res,
				 struct eid_oauth_error *err)
{
	struct eid_code_grant cg = { 0 };
	int r;

	if ((r = code_params(client, req, err)) != EID_OK)
		return r;
	r = eid_code_redeem(env->store, req->code, client->client_id,
			    req->redirect_uri, req->code_verifier,
			    req->dpop_jkt, env->now, &cg);
	if (r != EID_OK)
		return redeem_error(env, req->code, r, err);
	r = issue_for_grant(env, client, req, &cg.grant, cg.nonce, res, err);
	eid_code_grant_clear(&cg);
	return r;
}

/* ---- CIBA ---- */

static int ciba_poll_error(enum eid_ciba_poll st,
			   struct eid_oauth_error *err)
{
	switch (st) {
	case EID_CIBA_POLL_PENDING:
		return eid_oauth_fail(err, "authorization_pending",
				      "the citizen has not decided yet",
				      EID_EPERM);
	case EID_CIBA_POLL_SLOW_DOWN:
		return eid_oauth_fail(err, "slow_down",
				      "polling too fast: the interval grew "
				      "by 5 seconds", EID_EPERM);
	case EID_CIBA_POLL_DENIED:
		return eid_oauth_fail(err, "access_denied",
				      "the citizen denied the request",
				      EID_EPERM);
	case EID_CIBA_POLL_EXPIRED:
		return eid_oauth_fail(err, "expired_token",
				      "the auth_req_id has expired", EID_EPERM);
	default:
		return eid_oauth_fail(err, "invalid_grant",
				      "the auth_req_id is unknown, used or "
				      "another client's", EID_EPERM);
	}
}

/* The grant of an approved request: the level the device reached. */
static int ciba_grant(const struct eid_token_env *env,
		      const struct eid_client *client,
		      const struct eid_ciba_request *q, const char *jkt,
		      struct eid_grant *g)
{
	const char *acr = eid_acr_for_level(q->level);
	int r;

	g->personal_id = strdup(q->personal_id);
	g->client_id = strdup(q->client_id);
	g->scope = strdup(q->scope);
	g->acr = acr != NULL ? strdup(acr) : NULL;
	g->dpop_jkt = jkt != NULL ? strdup(jkt) : NULL;
	g->amr = json_pack("[s,s]", "hwk", "user");
	g->auth_time = q->decided_at;
	if (g->personal_id == NULL || g->client_id == NULL ||
	    g->scope == NULL || (acr != NULL && g->acr == NULL) ||
	    (jkt != NULL && g->dpop_jkt == NULL) || g->amr == NULL)
		return EID_ENOMEM;
	if ((r = eid_subject_for(client, q->personal_id, env->subject_key,
				 g->sub)) != EID_OK)
		return r;
	return create_released(env, client, g);
}

int eid_token_ciba(const struct eid_token_env *env,
		   const struct eid_client *client,
		   const struct eid_token_request *req,
		   struct eid_token_response *res,
		   struct eid_oauth_error *err)
{
	struct eid_ciba_request q = { 0 };
	struct eid_grant g = { 0 };
	enum eid_ciba_poll st;
	int r;

	if ((r = grant_type_allowed(client, EID_GRANT_CIBA, err)) != EID_OK ||
	    (r = dpop_required(client, req, err)) != EID_OK)
		return r;
	if (req->auth_req_id == NULL)
		return eid_oauth_fail(err, "invalid_request",
				      "auth_req_id is required", EID_EINVAL);
	if ((r = eid_ciba_poll(env->store, req->auth_req_id,
			       client->client_id, env->now, &st, &q)) != EID_OK)
		return r;
	if (st != EID_CIBA_POLL_APPROVED)
		return ciba_poll_error(st, err);
	if (q.level < q.acr_level)
		return eid_oauth_fail(err, "access_denied",
				      "the approval did not reach the level "
				      "asked for", EID_EPERM);
	if ((r = account_usable(env, q.personal_id, q.decided_at, err)) ||
	    (r = ciba_grant(env, client, &q, req->dpop_jkt, &g)) ||
	    (r = sign_user_tokens(env, client, &g, g.scope, NULL, g.dpop_jkt,
				  res)) ||
	    (r = maybe_refresh(env, client, g.id, res)))
		eid_token_response_clear(res);
	eid_grant_clear(&g);
	return r;
}

/* ---- device_code (RFC 8628 3.5) ---- */

static int device_poll_error(int r, struct eid_oauth_error *err)
{
	switch (r) {
	case EID_ESTATE:
		return eid_oauth_fail(err, "authorization_pending",
				      "the citizen has not decided yet",
				      EID_EPERM);
	case EID_ELIMIT:
		return eid_oauth_fail(err, "slow_down",
				      "polling too fast: wait 5 more seconds "
				      "between requests", EID_EPERM);
	case EID_EPERM:
		return eid_oauth_fail(err, "access_denied",
				      "the citizen denied the request",
				      EID_EPERM);
	case EID_EEXPIRED:
		return eid_oauth_fail(err, "expired_token",
				      "the device_code has expired", EID_EPERM);
	case EID_EMISMATCH:
		return eid_oauth_fail(err, "invalid_grant",
				      "the device_code was issued to another "
				      "client", EID_EPERM);
	case EID_EREPLAY:
		return eid_oauth_fail(err, "invalid_grant",
				      "the device_code was already used",
				      EID_EPERM);
	case EID_EMALFORMED:
	case EID_ENOTFOUND:
		return eid_oauth_fail(err, "invalid_grant",
				      "the device_code is invalid", EID_EPERM);
	default:
		return r;
	}
}

int eid_token_device_code(const struct eid_token_env *env,
			  const struct eid_client *client,
			  const struct eid_token_request *req,
			  struct eid_token_response *res,
			  struct eid_oauth_error *err)
{
	struct eid_grant g = { 0 };
	int r;

	if ((r = grant_type_allowed(client, EID_GRANT_DEVICE_CODE, err)) !=
		    EID_OK ||
	    (r = dpop_required(client, req, err)) != EID_OK)
		return r;
	if (req->device_code == NULL)
		return eid_oauth_fail(err, "invalid_request",
				      "device_code is required", EID_EINVAL);
	r = eid_devgrant_poll(env->store, req->device_code, client->client_id,
			      env->now, &g);
	if (r != EID_OK)
		return device_poll_error(r, err);
	r = issue_for_grant(env, client, req, &g, NULL, res, err);
	eid_grant_clear(&g);
	return r;
}

/* ---- refresh_token ---- */

static int refresh_error(int r, struct eid_oauth_error *err)
{
	switch (r) {
	case EID_EREPLAY:
		return eid_oauth_fail(err, "invalid_grant",
				      "the refresh token was already used: "
				      "the grant is revoked", EID_EPERM);
	case EID_EMISMATCH:
		return eid_oauth_fail(err, "invalid_grant",
				      "the refresh token belongs to another "
				      "client or DPoP key", EID_EPERM);
	case EID_EMALFORMED:
	case EID_ENOTFOUND:
	case EID_EEXPIRED:
	case EID_EPERM:
		return eid_oauth_fail(err, "invalid_grant",
				      "the refresh token is invalid, expired "
				      "or revoked", EID_EPERM);
	default:
		return r;
	}
}

/* The scope of the new access token: the grant's, or a part of it. */
static int narrowed_scope(const struct eid_grant *g, const char *asked,
			  char out[EID_SCOPE_STR_MAX],
			  struct eid_oauth_error *err)
{
	unsigned have = 0, want = 0;

	if (eid_claims_scope_bits(g->scope, &have) != EID_OK)
		return EID_EMALFORMED;
	if (asked != NULL &&
	    (eid_claims_scope_bits(asked, &want) != EID_OK ||
	     (want & ~have) != 0))
		return eid_oauth_fail(err, "invalid_scope",
				      "scope may only narrow the granted "
				      "scope", EID_EINVAL);
	return eid_claims_scope_string(asked != NULL ? want : have, out);
}

/* What can be refused before the token is rotated, so a refused request
 * does not cost the client its refresh token. */
static int refresh_precheck(const struct eid_token_env *env,
			    const struct eid_client *client,
			    const struct eid_token_request *req,
			    char scope[EID_SCOPE_STR_MAX],
			    struct eid_oauth_error *err)
{
	struct eid_grant g = { 0 };
	uint64_t exp;
	int r;

	r = eid_refresh_inspect(env->store, req->refresh_token, env->now, &g,
				&exp);
	if (r != EID_OK)
		return r == EID_EREPLAY ? EID_OK : refresh_error(r, err);
	if (strcmp(g.client_id, client->client_id) != 0)
		r = refresh_error(EID_EMISMATCH, err);
	else if ((r = narrowed_scope(&g, req->scope, scope, err)) == EID_OK &&
		 (r = account_usable(env, g.personal_id, g.created, err)) ==
			 EID_EPERM)
		(void)eid_grant_revoke(env->store, g.id, env->now);
	eid_grant_clear(&g);
	return r;
}

int eid_token_refresh(const struct eid_token_env *env,
		      const struct eid_client *client,
		      const struct eid_token_request *req,
		      struct eid_token_response *res,
		      struct eid_oauth_error *err)
{
	char scope[EID_SCOPE_STR_MAX] = "";
	struct eid_grant g = { 0 };
	int r;

	if ((r = grant_type_allowed(client, EID_GRANT_REFRESH_TOKEN, err)) !=
		    EID_OK ||
	    (r = dpop_required(client, req, err)) != EID_OK)
		return r;
	if (req->refresh_token == NULL)
		return eid_oauth_fail(err, "invalid_request",
				      "refresh_token is required", EID_EINVAL);
	if ((r = refresh_precheck(env, client, req, scope, err)) != EID_OK)
		return r;
	r = eid_refresh_rotate(env->store, req->refresh_token,
			       client->client_id, req->dpop_jkt, env->now, &g,
			       res->refresh_token);
	if (r != EID_OK)
		return refresh_error(r, err);
	/* Only a race with another rotation skips the precheck's scope. */
	if ((scope[0] == '\0' &&
	     (r = narrowed_scope(&g, req->scope, scope, err)) != EID_OK) ||
	    (r = sign_user_tokens(env, client, &g, scope, NULL,
				  g.dpop_jkt != NULL ? g.dpop_jkt :
						       req->dpop_jkt,
				  res)) != EID_OK)
		eid_token_response_clear(res);
	eid_grant_clear(&g);
	return r;
}

/* ---- userinfo ---- */

static int userinfo_claims(const struct eid_token_env *env,
			   const struct eid_grant *g, unsigned granted,
			   json_t **ret)
{
	struct eid_client client = { 0 };
	struct eid_claims_input in = { 0 };
	struct eid_citizen cz;
	struct eid_account a;
	int r;

	if ((r = eid_client_get_cached(env->clients, env->store,
					  g->client_id, &client)) !=
	    EID_OK)
		return r;
	if ((r = eid_token_subject_data(env, g->personal_id, &cz, &a)) !=
	    EID_OK)
		goto out;
	if (a.status != EID_ACCOUNT_ACTIVE ||
	    (a.sessions_revoked_before > 0 &&
	     (uint64_t)a.sessions_revoked_before > g->created)) {
		r = EID_ENOTFOUND; /* the grant ended with the account */
		eid_account_clear(&a);
		goto out;
	}
	in.citizen = &cz;
	in.account = &a;
	in.granted = granted;
	in.allowed = client.scopes;
	in.request = json_object_get(g->claims, "userinfo");
	in.by_scope = true;
	r = eid_claims_build(&in, ret);
	eid_account_clear(&a);
out:
	eid_client_clear(&client);
	return r;
}

int eid_token_userinfo(const struct eid_token_env *env, const json_t *at,
		       const struct eid_grant *grant, json_t **ret,
		       struct eid_oauth_error *err)
{
	const char *gid = json_string_value(json_object_get(at, "gid"));
	const char *scope = json_string_value(json_object_get(at, "scope"));
	const json_t *sub = json_object_get(at, "sub");
	unsigned granted = 0;
	json_t *o = NULL;
	int r;

	if (gid == NULL || !json_is_string(sub) || grant == NULL ||
	    strcmp(grant->id, gid) != 0)
		return eid_oauth_fail(err, "invalid_token",
				      "the token is not a citizen's",
				      EID_EPERM);
	if (scope == NULL || eid_claims_scope_bits(scope, &granted) ||
	    !(granted & EID_SCOPE_OPENID))
		return eid_oauth_fail(err, "insufficient_scope",
				      "the token has no openid scope",
				      EID_EPERM);
	if ((r = userinfo_claims(env, grant, granted, &o)) != EID_OK)
		goto out;
	if (json_object_set(o, "sub", (json_t *)sub) != 0) {
		r = EID_ENOMEM;
		goto out;
	}
	*ret = o;
	o = NULL;
out:
	if (r == EID_ENOTFOUND)
		r = eid_oauth_fail(err, "invalid_token",
				   "the citizen is no longer known",
				   EID_EPERM);
	json_decref(o);
	return r;
}
