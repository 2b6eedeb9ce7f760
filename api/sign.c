/* The relying party's side of remote signing: POST /api/v1/sign/requests
 * (a hash for a citizen to sign), GET /api/v1/sign/requests/{id} (its
 * status and signature), POST /api/v1/sign/verify (a signature checked).
 * Each takes a client_credentials access token with the scope sign, as
 * a bearer or DPoP-bound token. */
#include <stdio.h>
#include <string.h>

#include "api/oauth.h"
#include "api/selfservice.h"
#include "api/sign.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/audit.h"
#include "idp/device.h"

#define WHY_MAX 256

static bool has_scope(const char *scope, const char *want)
{
	size_t n = strlen(want);

	while (scope != NULL && *scope != '\0') {
		size_t len = strcspn(scope, " ");

		if (len == n && strncmp(scope, want, n) == 0)
			return true;
		scope += len;
		scope += strspn(scope, " ");
	}
	return false;
}

/* The calling client: an active client whose own client_credentials
 * token (no citizen, no grant) carries the scope sign.  EID_OK with
 * ret filled (eid_client_clear it), EID_API_REPLIED after a refusal. */
static int rp_client(struct eid_http_request *req,
		     struct eid_http_response *res, struct eid_app *app,
		     struct eid_client *ret)
{
	const char *cid, *sub;
	json_t *at = NULL;
	bool dpop = false;
	int r;

	if ((r = eid_api_resource_token(req, res, app, eid_http_path(req),
					false, &dpop, &at, NULL)) != EID_OK)
		return r;
	cid = json_string_value(json_object_get(at, "client_id"));
	sub = json_string_value(json_object_get(at, "sub"));
	if (!has_scope(json_string_value(json_object_get(at, "scope")), "sign"))
		r = eid_api_resource_challenge(res, dpop, "insufficient_scope",
					       "the scope sign is required");
	else if (cid == NULL || sub == NULL || strcmp(cid, sub) != 0 ||
		 json_object_get(at, "gid") != NULL)
		r = eid_api_resource_challenge(res, dpop, "insufficient_scope",
					       "a client_credentials token "
					       "is required");
	else if ((r = eid_client_get(app->store, cid, ret)) == EID_ENOTFOUND ||
		 (r == EID_OK && ret->status != EID_CLIENT_ACTIVE)) {
		eid_client_clear(ret);
		r = eid_api_resource_challenge(res, dpop, "invalid_token",
					       "the client is disabled or gone");
	}
	json_decref(at);
	return r;
}

/* Why the citizen cannot be asked, as an HTTP refusal. */
struct refusal {
	unsigned status;
	const char *error;
	const char *description;
};

/* device_id gets the citizen's bound app (for the push). */
static int citizen_can_sign(eid_txn *t, const char *pid, struct refusal *no,
			    char device_id[EID_DEVICE_ID_LEN + 1])
{
	struct eid_account a;
	struct eid_device d = { 0 };
	int r;

	if ((r = eid_account_get(t, pid, &a)) == EID_ENOTFOUND) {
		*no = (struct refusal){ 404, "unknown_account",
					"no account has this personal ID" };
		return EID_OK;
	}
	if (r != EID_OK)
		return r;
	if (a.status == EID_ACCOUNT_LOCKED || a.status == EID_ACCOUNT_REVOKED)
		*no = (struct refusal){ 403, "account_locked",
					"the account is locked or revoked" };
	else if (a.status != EID_ACCOUNT_ACTIVE)
		*no = (struct refusal){ 403, "account_not_active",
					"the account is not activated" };
	else if (a.level < 2)
		*no = (struct refusal){ 403, "level_insufficient",
					"signing needs a level-2 account" };
	eid_account_clear(&a);
	if (no->error != NULL)
		return EID_OK;
	r = eid_device_active(t, pid, &d);
	if (r == EID_ENOTFOUND || (r == EID_OK && d.level < 2)) {
		*no = (struct refusal){ 403, "no_device",
					"the citizen has no e-ID app bound "
					"at level 2" };
		r = EID_OK;
	} else if (r == EID_OK) {
		memcpy(device_id, d.id, sizeof(d.id));
	}
	eid_device_clear(&d);
	return r;
}

/* The request recorded and audited (sign.request), then a push to the
 * citizen's app through the notify module; or a refusal in *no. */
static int admit(struct eid_app *app, const struct eid_http_request *req,
		 const struct eid_client *c, const struct eid_signreq_input *in,
		 struct refusal *no, struct eid_signreq *ret)
{
	uint64_t now = eid_store_now(app->store);
	char actor[EID_CLIENT_ID_MAX + 8], text[EID_NOTIFY_TEXT_MAX];
	char device_id[EID_DEVICE_ID_LEN + 1] = "";
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK ||
	    (r = citizen_can_sign(t, in->personal_id, no, device_id)) !=
		    EID_OK ||
	    no->error != NULL)
		goto out;
	if ((r = eid_signreq_create(app->store, in, c->client_id, now,
				    app->cfg->ca.sign_request_ttl, ret)))
		goto out;
	(void)snprintf(actor, sizeof(actor), "client:%s", c->client_id);
	if ((r = eid_audit_record(t, "sign.request", actor, in->personal_id,
				  eid_http_remote(req),
				  json_pack("{s:s, s:s}", "id", ret->id,
					    "document", in->document),
				  (int64_t)now)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
	/* A lost push does not lose the request: the app also polls. */
	(void)snprintf(text, sizeof(text),
		       "%s asks you to sign \"%s\". Open the e-ID app.",
		       c->name, in->document);
	if (r == EID_OK)
		(void)eid_notify_push(&app->notify, device_id, "eID", text);
out:
	eid_txn_abort(t);
	return r;
}

static int refuse(struct eid_http_response *res, const struct refusal *no)
{
	return eid_ss_error(res, no->status, no->error, no->description, 0);
}

static int no_ca(struct eid_http_response *res)
{
	return eid_ss_error(res, 503, "temporarily_unavailable",
			    "no signing CA is configured", 0);
}

int eid_api_sign_create(struct eid_http_request *req,
			struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_client c = { 0 };
	struct eid_signreq_input in;
	struct eid_signreq q;
	struct refusal no = { 0 };
	json_t *body = NULL, *o = NULL;
	eid_buf why;
	int r;

	eid_buf_init(&why, WHY_MAX);
	if (app->ca == NULL) {
		r = no_ca(res);
		goto out;
	}
	if ((r = rp_client(req, res, app, &c)) != EID_OK)
		goto out;
	if ((body = eid_ss_json_body(req, res)) == NULL)
		goto out;
	if (eid_signreq_parse(body, &in, &why) != EID_OK) {
		r = eid_ss_error(res, 400, "invalid_request",
				 eid_buf_cstr(&why), 0);
		goto out;
	}
	if (in.callback_uri[0] != '\0' &&
	    !eid_client_redirect_allowed(&c, in.callback_uri)) {
		r = eid_ss_error(res, 400, "invalid_request",
				 "callback_uri is not one of the client's "
				 "registered redirect URIs", 0);
		goto out;
	}
	if ((r = admit(app, req, &c, &in, &no, &q)) != EID_OK)
		goto out;
	if (no.error != NULL) {
		r = refuse(res, &no);
		goto out;
	}
	o = json_pack("{s:s, s:s, s:I}", "id", q.id, "status", "pending",
		      "expires_at", (json_int_t)q.expires_at);
	r = o != NULL ? eid_http_reply_json(res, 201, o) : EID_ENOMEM;
out:
	json_decref(o);
	json_decref(body);
	eid_client_clear(&c);
	eid_buf_free(&why);
	return r == EID_API_REPLIED ? EID_OK : r;
}

int eid_api_sign_status_json(struct eid_app *app, const struct eid_signreq *q,
			     json_t **ret)
{
	char hash[EID_SIGNREQ_B64_MAX];
	json_t *o, *result = NULL;
	int r;

	if ((r = eid_signreq_hash_b64(&q->in, hash)) != EID_OK)
		return r;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", q->id, "status",
		      eid_signreq_status_name(q->status), "document_name",
		      q->in.document, "hash_alg", eid_digest_name(q->in.digest),
		      "hash", hash, "expires_at", (json_int_t)q->expires_at);
	if (o == NULL)
		return EID_ENOMEM;
	if (q->status == EID_SIGNREQ_SIGNED) {
		r = eid_signreq_result(app->store, q->id, &result);
		if (r == EID_OK && json_object_update(o, result) != 0)
			r = EID_ENOMEM;
		json_decref(result);
		if (r != EID_OK) {
			json_decref(o);
			return r;
		}
	}
	*ret = o;
	return EID_OK;
}

int eid_api_sign_get(struct eid_http_request *req,
		     struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	const char *id = eid_http_path(req) + strlen(EID_PATH_SIGN_REQUEST);
	struct eid_client c = { 0 };
	struct eid_signreq q;
	json_t *o = NULL;
	int r;

	if ((r = rp_client(req, res, app, &c)) != EID_OK)
		goto out;
	r = eid_signreq_get(app->store, id, eid_store_now(app->store), &q);
	/* Another client's request is as unknown as a wrong id. */
	if (r == EID_ENOTFOUND ||
	    (r == EID_OK && strcmp(q.client_id, c.client_id) != 0)) {
		r = eid_ss_error(res, 404, "not_found",
				 "no such signing request (or it is gone)", 0);
		goto out;
	}
	if (r == EID_OK && (r = eid_api_sign_status_json(app, &q, &o)) == EID_OK)
		r = eid_http_reply_json(res, 200, o);
out:
	json_decref(o);
	eid_client_clear(&c);
	return r == EID_API_REPLIED ? EID_OK : r;
}

/* ---- verification ---- */

/* A base64 member of body into out; false when absent or not base64. */
static bool b64_member(const json_t *body, const char *name, bool url,
		       eid_buf *out)
{
	const char *s = json_string_value(json_object_get(body, name));

	return s != NULL && (url ? eid_b64url_decode(s, strlen(s), out) :
				   eid_b64_decode(s, strlen(s), out)) == EID_OK;
}

/* What the signature is checked against: content, or hash + hash_alg. */
static const char *verify_content(const json_t *body, eid_buf *data,
				  struct eid_cms_content *ret)
{
	const char *alg = json_string_value(json_object_get(body, "hash_alg"));
	bool has_content = json_object_get(body, "content") != NULL;
	bool has_hash = json_object_get(body, "hash") != NULL;

	if (has_content == has_hash)
		return "give either content or hash and hash_alg";
	if (has_content) {
		if (!b64_member(body, "content", false, data))
			return "content must be base64, at most 256 KiB";
		ret->data = data->data != NULL ? data->data :
						 (const uint8_t *)"";
		ret->len = data->len;
		return NULL;
	}
	if (alg == NULL || eid_digest_from_name(alg, &ret->digest) != EID_OK)
		return "hash_alg must be sha256, sha384 or sha512";
	if (!b64_member(body, "hash", true, data) ||
	    data->len != eid_digest_len(ret->digest))
		return "hash must be the base64url of a digest of hash_alg's "
		       "length";
	ret->hash = data->data;
	ret->hash_len = data->len;
	return NULL;
}

static int verify_reply(struct eid_app *app, struct eid_http_response *res,
			const eid_buf *sig, const struct eid_cms_content *ct)
{
	struct eid_cms_report rep;
	json_t *o = NULL;
	eid_buf why;
	int r;

	eid_buf_init(&why, WHY_MAX);
	r = eid_cms_verify(app->store, app->ca, sig->data, sig->len, ct,
			   eid_store_now(app->store), &rep, &why);
	if (r == EID_OK) {
		r = eid_cms_report_json(&rep, &o); /* "valid": true */
	} else if (r == EID_EMALFORMED || r == EID_EMISMATCH ||
		   r == EID_EVERIFY || r == EID_EUNSUPPORTED) {
		o = json_pack("{s:b, s:s, s:s}", "valid", 0, "error",
			      eid_errname(r), "reason", eid_buf_cstr(&why));
		r = o != NULL ? EID_OK : EID_ENOMEM;
	}
	if (r == EID_OK)
		r = eid_http_reply_json(res, 200, o);
	json_decref(o);
	eid_buf_free(&why);
	return r;
}

int eid_api_sign_verify(struct eid_http_request *req,
			struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_client c = { 0 };
	struct eid_cms_content ct = { 0 };
	json_t *body = NULL;
	const char *bad;
	eid_buf sig, data;
	int r;

	eid_buf_init(&sig, EID_CMS_MAX);
	eid_buf_init(&data, EID_SIGN_VERIFY_CONTENT_MAX);
	if (app->ca == NULL) {
		r = no_ca(res);
		goto out;
	}
	if ((r = rp_client(req, res, app, &c)) != EID_OK ||
	    (body = eid_ss_json_body(req, res)) == NULL)
		goto out;
	if (!b64_member(body, "signature", false, &sig) || sig.len == 0) {
		r = eid_ss_error(res, 400, "invalid_request",
				 "signature must be the base64 of a DER CMS "
				 "signature (at most 256 KiB)", 0);
		goto out;
	}
	if ((bad = verify_content(body, &data, &ct)) != NULL) {
		r = eid_ss_error(res, 400, "invalid_request", bad, 0);
		goto out;
	}
	r = verify_reply(app, res, &sig, &ct);
out:
	json_decref(body);
	eid_client_clear(&c);
	eid_buf_free(&sig);
	eid_buf_free(&data);
	return r == EID_API_REPLIED ? EID_OK : r;
}
