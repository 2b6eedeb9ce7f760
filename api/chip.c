/* POST /chip/challenge and POST /chip/verify (see chip.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "api/chip.h"
#include "api/oauth.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/chipverify.h"
#include "idp/csca.h"
#include "idp/session.h"
#include "idp/tokens.h"

#define BINDING_SIZE (EID_CHIPVERIFY_BINDING_MAX + 1)
#define SUB_MAX 128

static int json_content(struct eid_http_request *req,
			struct eid_http_response *res)
{
	const char *ct = eid_http_header(req, "Content-Type");
	int r;

	if (ct != NULL && strncasecmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' '))
		return EID_OK;
	r = eid_ss_error(res, 415, "invalid_request",
			 "the body must be application/json", 0);
	return r == EID_OK ? EID_API_REPLIED : r;
}

/* A citizen session first, then a bearer access token; the binding names
 * the caller ("session:<sid>" or "sub:<sub>"). */
static int caller(struct eid_http_request *req, struct eid_http_response *res,
		  struct eid_app *app, char binding[BINDING_SIZE])
{
	const char *cookie = eid_http_cookie(req, EID_SESSION_COOKIE);
	const char *auth = eid_http_header(req, "Authorization");
	const char *sub;
	struct eid_session ses;
	json_t *claims = NULL;
	int r;

	if (cookie != NULL &&
	    (r = eid_session_lookup(app->store, cookie, &ses)) != EID_ENOTFOUND) {
		if (r == EID_OK)
			snprintf(binding, BINDING_SIZE, "session:%s", ses.sid);
		eid_wipe(&ses, sizeof(ses));
		return r;
	}
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		r = eid_http_reply_oauth_challenge(
			res, "Bearer", "invalid_token",
			"a citizen session or a bearer access token is "
			"required");
		return r == EID_OK ? EID_API_REPLIED : r;
	}
	r = eid_access_token_verify(app->signer, app->store, auth + 7,
				    strlen(auth + 7), app->cfg->server.issuer,
				    EID_TOKEN_BEARER, NULL,
				    eid_store_now(app->store), &claims);
	if (r == EID_ENOMEM || r == EID_ESTORE || r == EID_EINTERNAL)
		goto out;
	sub = json_string_value(json_object_get(claims, "sub"));
	if (r != EID_OK || sub == NULL || sub[0] == '\0' ||
	    strlen(sub) > SUB_MAX) {
		r = eid_http_reply_oauth_challenge(
			res, "Bearer", "invalid_token",
			"the token is invalid, expired or revoked");
		r = r == EID_OK ? EID_API_REPLIED : r;
		goto out;
	}
	snprintf(binding, BINDING_SIZE, "sub:%s", sub);
out:
	json_decref(claims);
	return r;
}

/* Everything both endpoints check before their own work (the per-address
 * limit, [limits] chip, is api/limits.c's, before the route). */
static int admit(struct eid_http_request *req, struct eid_http_response *res,
		 struct eid_app *app, char binding[BINDING_SIZE])
{
	int r;

	if ((r = json_content(req, res)) != EID_OK)
		return r;
	return caller(req, res, app, binding);
}

int eid_api_chip_reply_challenge(struct eid_http_response *res,
				 struct eid_app *app, const char *binding)
{
	char id[EID_CHIPVERIFY_ID_LEN + 1];
	char ch64[EID_B64URL_LEN(EID_AA_CHALLENGE_LEN) + 1];
	uint8_t ch[EID_AA_CHALLENGE_LEN];
	json_t *o = NULL;
	int r;

	if ((r = eid_chipverify_challenge(app->store, binding,
					  eid_store_now(app->store), ch,
					  id)) != EID_OK ||
	    (r = eid_b64url_encode_str(ch, sizeof(ch), ch64, sizeof(ch64))))
		goto out;
	o = json_pack("{s:s, s:s, s:I}", "challenge_id", id, "challenge", ch64,
		      "expires_in", (json_int_t)EID_CHIPVERIFY_TTL);
	r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;
out:
	json_decref(o);
	return r;
}

int eid_api_chip_challenge(struct eid_http_request *req,
			   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	char binding[BINDING_SIZE];
	int r;

	if ((r = admit(req, res, app, binding)) == EID_OK)
		r = eid_api_chip_reply_challenge(res, app, binding);
	return r == EID_API_REPLIED ? EID_OK : r;
}

/* The reply for an upload that reached no verdict. */
static int run_error(struct eid_http_response *res, int r)
{
	switch (r) {
	case EID_EREPLAY:
		return eid_ss_error(res, 400, "invalid_challenge",
				    "the challenge is unknown or already used",
				    0);
	case EID_EEXPIRED:
		return eid_ss_error(res, 400, "invalid_challenge",
				    "the challenge expired", 0);
	case EID_EPERM:
		return eid_ss_error(res, 403, "access_denied",
				    "the challenge was issued to another "
				    "caller", 0);
	case EID_EINVAL:
		return eid_ss_error(res, 400, "invalid_request",
				    "a file is missing or too large", 0);
	default:
		return r;
	}
}

static int body_error(struct eid_http_response *res, int r,
		      const char *member)
{
	char desc[96];

	if (r == EID_ENOMEM)
		return r;
	if (member[0] == '\0')
		snprintf(desc, sizeof(desc), "the body must be a JSON object%s",
			 r == EID_ETOOBIG ? " of at most 512 KiB" : "");
	else
		snprintf(desc, sizeof(desc), "%s: %s", member,
			 r == EID_EINVAL    ? "missing"
			 : r == EID_ETOOBIG ? "too large"
					    : "not a base64url string");
	return eid_ss_error(res, r == EID_ETOOBIG ? 413 : 400,
			    "invalid_request", desc, 0);
}

/* Run the verification against the current CSCAs and reply. */
static int verify_upload(struct eid_http_response *res, struct eid_app *app,
			 const struct eid_chip_upload *up, const char *binding)
{
	struct eid_chip_verdict *v = malloc(sizeof(*v));
	const eid_csca_store *csca = NULL;
	eid_csca_snap *snap = NULL;
	json_t *j = NULL;
	int r;

	if (v == NULL)
		return EID_ENOMEM;
	if ((r = eid_csca_cache_acquire(app->csca, &csca, &snap)) != EID_OK)
		goto out;
	r = eid_chipverify_run(app->store, csca, up, binding,
			       eid_store_now(app->store), v);
	if (r != EID_OK) {
		r = run_error(res, r);
		goto out;
	}
	if ((r = eid_chipverify_verdict_to_json(v, &j)) == EID_OK)
		r = eid_http_reply_json(res, 200, j);
out:
	eid_csca_cache_release(app->csca, snap);
	json_decref(j);
	free(v);
	return r;
}

int eid_api_chip_verify(struct eid_http_request *req,
			struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_chip_body *body = malloc(sizeof(*body));
	char binding[BINDING_SIZE];
	const char *member = "";
	const void *p;
	size_t n = 0;
	int r;

	if (body == NULL)
		return EID_ENOMEM;
	eid_chip_body_init(body);
	if ((r = admit(req, res, app, binding)) != EID_OK)
		goto out;
	p = eid_http_body(req, &n);
	r = eid_chip_body_parse(p != NULL ? p : "", n, body, &member);
	if (r != EID_OK) {
		r = body_error(res, r, member);
		goto out;
	}
	r = verify_upload(res, app, &body->up, binding);
out:
	eid_chip_body_clear(body);
	free(body);
	return r == EID_API_REPLIED ? EID_OK : r;
}
