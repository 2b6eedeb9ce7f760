/* Helpers of the back-channel endpoints: see api/oauth.h. */
#include "api/oauth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto/error.h"
#include "idp/discovery.h"
#include "idp/dpop.h"
#include "idp/introspect.h"

int eid_api_body_param(struct eid_http_request *req,
		       struct eid_http_response *res, const char *name,
		       const char **ret)
{
	struct eid_oauth_error e = { "invalid_request", NULL };
	const char *v = NULL;
	int r = eid_http_form_param(req, name, &v);

	*ret = NULL;
	if (r == EID_ENOTFOUND)
		return EID_OK;
	if (r == EID_EINVAL)
		e.description = "a parameter is repeated";
	else if (r == EID_OK &&
		 strnlen(v, EID_API_PARAM_MAX + 1) > EID_API_PARAM_MAX)
		e.description = "a parameter is too long";
	else if (r != EID_OK)
		return r;
	if (e.description != NULL)
		return eid_api_oauth_reply(res, &e, false);
	*ret = v;
	return EID_OK;
}

static unsigned status_of(const char *error)
{
	if (strcmp(error, "invalid_client") == 0)
		return 401;
	if (strcmp(error, "server_error") == 0)
		return 500;
	return 400;
}

int eid_api_oauth_reply(struct eid_http_response *res,
			const struct eid_oauth_error *err, bool basic)
{
	const char *error = err->error != NULL ? err->error : "server_error";
	unsigned status = status_of(error);
	int r;

	r = eid_http_reply_oauth_error(res, status, error, err->description);
	if (r == EID_OK && status == 401 && basic)
		r = eid_http_set_header(res, "WWW-Authenticate",
					"Basic realm=\"eid\"");
	return r == EID_OK ? EID_API_REPLIED : r;
}

int eid_api_url(const struct eid_app *app, const char *path,
		char out[EID_API_URL_MAX])
{
	int n = snprintf(out, EID_API_URL_MAX, "%s%s", app->cfg->server.issuer,
			 path);

	return n < 0 || n >= EID_API_URL_MAX ? EID_ETOOBIG : EID_OK;
}

/* ---- client authentication ---- */

/* The credentials of the request; the Basic ones decoded into id and
 * secret.  A Basic header that does not decode is answered. */
static int credentials(struct eid_http_request *req,
		       struct eid_http_response *res,
		       struct eid_client_credentials *cr, eid_buf *id,
		       eid_buf *secret)
{
	static const struct eid_oauth_error bad_basic = {
		"invalid_client", "malformed Basic credentials",
	};
	const char *auth = eid_http_header(req, "Authorization");
	int r;

	if ((r = eid_api_body_param(req, res, "client_id",
				    &cr->client_id)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "client_secret",
				    &cr->client_secret)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "client_assertion_type",
				    &cr->assertion_type)) != EID_OK ||
	    (r = eid_api_body_param(req, res, "client_assertion",
				    &cr->assertion)) != EID_OK)
		return r;
	if (auth == NULL)
		return EID_OK;
	r = eid_client_basic_decode(auth, id, secret);
	if (r == EID_ENOTFOUND)
		return EID_OK; /* another scheme: not client authentication */
	if (r != EID_OK)
		return eid_api_oauth_reply(res, &bad_basic, true);
	cr->basic = true;
	cr->basic_id = eid_buf_cstr(id);
	cr->basic_secret = eid_buf_cstr(secret);
	return EID_OK;
}

int eid_api_client_authenticate(struct eid_http_request *req,
				struct eid_http_response *res,
				struct eid_app *app, const char *path,
				struct eid_client *ret_client)
{
	struct eid_client_credentials cr = { 0 };
	struct eid_oauth_error err = { 0 };
	char token_url[EID_API_URL_MAX];
	struct eid_client_auth_env env = {
		.store = app->store, .clients = app->client_cache,
		.issuer = app->cfg->server.issuer, .endpoint = token_url,
		.remote = eid_http_remote(req), .now = eid_store_now(app->store),
	};
	eid_buf id, secret;
	int r;

	(void)path; /* assertions name the issuer or the token endpoint */
	token_url[0] = '\0';
	eid_buf_init(&id, EID_CLIENT_ID_MAX * 3);
	eid_buf_init_secret(&secret, EID_CLIENT_SECRET_MAX * 3);
	if ((r = credentials(req, res, &cr, &id, &secret)) != EID_OK)
		goto out;
	/* Only an assertion's audience needs the token endpoint's URL. */
	if (cr.assertion != NULL &&
	    (r = eid_api_url(app, EID_PATH_TOKEN, token_url)) != EID_OK)
		goto out;
	r = eid_client_authenticate(&env, &cr, ret_client, NULL, &err);
	if (r == EID_EAUTH || r == EID_EINVAL)
		r = eid_api_oauth_reply(res, &err, cr.basic);
out:
	eid_buf_free(&id);
	eid_buf_free(&secret);
	return r;
}

/* ---- DPoP ---- */

int eid_api_dpop_nonce(struct eid_http_response *res, struct eid_app *app)
{
	char nonce[EID_DPOP_NONCE_LEN + 1];
	int r;

	if ((r = eid_dpop_nonce_issue(app->dpop_nonce_key,
				      eid_store_now(app->store), nonce)) !=
	    EID_OK)
		return r;
	return eid_http_set_header(res, "DPoP-Nonce", nonce);
}

static const char *dpop_reason(int r)
{
	switch (r) {
	case EID_EEXPIRED:
		return "the DPoP proof is too old or from the future";
	case EID_EREPLAY:
		return "the DPoP proof was already used";
	case EID_EMISMATCH:
		return "the DPoP proof does not match this request";
	case EID_EVERIFY:
		return "the DPoP proof signature does not verify";
	case EID_EUNSUPPORTED:
		return "the DPoP proof algorithm is not supported";
	default:
		return "the DPoP proof is malformed";
	}
}

static int dpop_refuse(struct eid_http_response *res, bool resource, int r)
{
	struct eid_oauth_error e = {
		r == EID_ESTATE ? "use_dpop_nonce" : "invalid_dpop_proof",
		r == EID_ESTATE ? "a DPoP nonce is required" : dpop_reason(r),
	};

	if (!resource)
		return eid_api_oauth_reply(res, &e, false);
	r = eid_http_reply_oauth_challenge(res, "DPoP", e.error,
					   e.description);
	return r == EID_OK ? EID_API_REPLIED : r;
}

int eid_api_dpop_proof(struct eid_http_request *req,
		       struct eid_http_response *res, struct eid_app *app,
		       const char *path, const char *access_token,
		       bool resource, char ret_jkt[EID_THUMBPRINT_LEN + 1])
{
	const char *proof = eid_http_header(req, "DPoP");
	char url[EID_API_URL_MAX];
	struct eid_dpop_request dr = {
		.htm = eid_http_method(req), .htu = url,
		.access_token = access_token,
		/* The token endpoint asks for a nonce (RFC 9449 8): a proof
		 * made in advance is then useless. */
		.nonce_key = resource ? NULL : app->dpop_nonce_key,
		.now = eid_store_now(app->store),
	};
	int r;

	ret_jkt[0] = '\0';
	if (proof == NULL)
		return EID_OK;
	/* A fresh nonce for the DPoP client's next proof, where one is asked
	 * for (not on resource requests); bearer requests get none. */
	if (!resource && (r = eid_api_dpop_nonce(res, app)) != EID_OK)
		return r;
	if ((r = eid_api_url(app, path, url)) != EID_OK)
		return r;
	r = eid_dpop_verify(proof, strlen(proof), &dr, app->store, ret_jkt);
	if (r == EID_EINVAL || r == EID_ENOMEM || r == EID_EINTERNAL ||
	    r == EID_ESTORE)
		return r == EID_EINVAL ? dpop_refuse(res, resource,
						     EID_EMALFORMED) : r;
	if (r != EID_OK) {
		ret_jkt[0] = '\0';
		return dpop_refuse(res, resource, r);
	}
	return EID_OK;
}

/* ---- introspection and revocation ---- */

/* token_type_hint is read only to refuse a repeat: every token of ours
 * tells its own type. */
int eid_api_token_request(struct eid_http_request *req,
			  struct eid_http_response *res, struct eid_app *app,
			  const char *path, struct eid_client *client,
			  const char **ret_token)
{
	static const struct eid_oauth_error missing = {
		"invalid_request", "token is required",
	};
	const char *hint;
	int r;

	if ((r = eid_api_body_param(req, res, "token", ret_token)) !=
		    EID_OK ||
	    (r = eid_api_body_param(req, res, "token_type_hint", &hint)) !=
		    EID_OK ||
	    (r = eid_api_client_authenticate(req, res, app, path, client)) !=
		    EID_OK)
		return r;
	if (*ret_token == NULL)
		return eid_api_oauth_reply(res, &missing, false);
	return EID_OK;
}

struct eid_introspect_env eid_api_introspect_env(struct eid_app *app)
{
	struct eid_introspect_env env = {
		.store = app->store, .signer = app->signer,
		.grants = app->grant_cache,
		.issuer = app->cfg->server.issuer,
		.subject_key = app->subject_key,
		.now = eid_store_now(app->store),
	};

	return env;
}

struct eid_token_env eid_api_token_env(struct eid_app *app)
{
	struct eid_token_env env = {
		.store = app->store, .signer = app->signer,
		.registry = &app->registry, .cfg = app->cfg,
		.accounts = app->account_cache,
		.clients = app->client_cache,
		.subject_key = app->subject_key,
		.issuer = app->cfg->server.issuer,
		.now = eid_store_now(app->store),
	};

	return env;
}
