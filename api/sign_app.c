/* The citizen app's side of remote signing: GET /api/v1/sign/pending (what
 * waits for a decision) and POST /api/v1/sign/requests/{id}/approve|deny.
 * Both are device-authenticated (EID-Device); a decision's JWS also
 * carries the claims sign_request (the id) and hash (base64url), so an
 * approval made for one request cannot be spent on another. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/device.h"
#include "api/selfservice.h"
#include "api/sign.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/device_auth.h"
#include "idp/logout.h"
#include "idp/registry.h"

struct listing {
	struct eid_app *app;
	json_t *out;
};

static int list_one(const struct eid_signreq *q, void *arg)
{
	struct listing *l = arg;
	struct eid_client c = { 0 };
	char hash[EID_SIGNREQ_B64_MAX];
	json_t *o;
	int r;

	if ((r = eid_signreq_hash_b64(&q->in, hash)) != EID_OK)
		return r;
	r = eid_client_get(l->app->store, q->client_id, &c);
	if (r == EID_ENOTFOUND || (r == EID_OK && c.status != EID_CLIENT_ACTIVE)) {
		eid_client_clear(&c);
		return EID_OK; /* the relying party is gone: nothing to show */
	}
	if (r != EID_OK)
		return r;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", q->id,
		      "client_id", c.client_id, "client_name", c.name,
		      "document_name", q->in.document, "hash", hash,
		      "hash_alg", eid_digest_name(q->in.digest), "expires_at",
		      (json_int_t)q->expires_at);
	eid_client_clear(&c);
	if (o == NULL || json_array_append_new(l->out, o) != 0)
		return EID_ENOMEM;
	return EID_OK;
}

int eid_api_sign_pending(struct eid_http_request *req,
			 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct listing l = { .app = app, .out = json_array() };
	struct eid_device d = { 0 };
	json_t *o = NULL;
	bool done;
	int r;

	if (l.out == NULL)
		return EID_ENOMEM;
	if ((r = eid_app_device_auth(app, req, res, &d, &done)) || done)
		goto out;
	if ((r = eid_signreq_pending(app->store, d.personal_id,
				     eid_store_now(app->store), list_one,
				     &l)) != EID_OK)
		goto out;
	o = json_pack("{s:O}", "requests", l.out);
	r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;
out:
	json_decref(o);
	json_decref(l.out);
	eid_device_clear(&d);
	return r;
}

/* The decision's JWS names this request and its hash. */
static bool jws_binds(const struct eid_http_request *req,
		      const struct eid_signreq *q)
{
	static const char scheme[] = EID_DEVICE_AUTH_SCHEME " ";
	const char *h = eid_http_header(req, "Authorization");
	char hash[EID_SIGNREQ_B64_MAX];
	const char *sr, *hc;
	json_t *c = NULL;
	bool ok;

	/* eid_app_device_auth verified this header already. */
	if (h == NULL || strncmp(h, scheme, sizeof(scheme) - 1) != 0 ||
	    eid_signreq_hash_b64(&q->in, hash) != EID_OK ||
	    eid_device_jws_claims(h + sizeof(scheme) - 1,
				  strlen(h + sizeof(scheme) - 1), &c) != EID_OK)
		return false;
	sr = json_string_value(json_object_get(c, "sign_request"));
	hc = json_string_value(json_object_get(c, "hash"));
	ok = sr != NULL && hc != NULL && strcmp(sr, q->id) == 0 &&
	     strcmp(hc, hash) == 0;
	json_decref(c);
	return ok;
}

/* Sign: the citizen from the registry, their certificate (made on first
 * use), the signature, the audit entry sign.citizen (committed before the
 * signature goes anywhere), then the result stored. */
static int sign_approved(struct eid_app *app, const struct eid_http_request *req,
			 const struct eid_signreq *q)
{
	char actor[EID_PERSONAL_ID_LEN + 9];
	struct eid_sign_request sr = {
		.digest = q->in.digest, .hash = q->in.hash,
		.hash_len = q->in.hash_len, .audit_type = "sign.citizen",
		.actor = actor, .remote = eid_http_remote(req),
		.document = q->in.document, .client_id = q->client_id,
	};
	struct eid_citizen c;
	eid_buf sig, cert;
	int r;

	(void)snprintf(actor, sizeof(actor), "citizen:%s", q->in.personal_id);
	eid_buf_init(&sig, EID_CMS_MAX);
	eid_buf_init(&cert, EID_CMS_MAX);
	/* The server's registry (it may be the remote one), no transaction
	 * open while it answers. */
	r = eid_registry_lookup(&app->registry, q->in.personal_id, &c);
	if (r != EID_OK ||
	    (r = eid_cms_sign_citizen(app->store, app->kek, app->ca, &c, &sr,
				      eid_store_now(app->store), &sig)) ||
	    (r = eid_cms_signer_cert(sig.data, sig.len, &cert)) != EID_OK)
		goto out;
	r = eid_signreq_finish(app->store, q->id, sig.data, sig.len, cert.data,
			       cert.len);
out:
	eid_wipe(&c, sizeof(c));
	eid_buf_free(&sig);
	eid_buf_free(&cert);
	return r;
}

static int audit_deny(struct eid_app *app, const struct eid_http_request *req,
		      const struct eid_signreq *q)
{
	char actor[EID_PERSONAL_ID_LEN + 9];
	eid_txn *t = NULL;
	int r;

	(void)snprintf(actor, sizeof(actor), "citizen:%s", q->in.personal_id);
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_audit_record(t, "sign.deny", actor, q->in.personal_id,
			     eid_http_remote(req),
			     json_pack("{s:s, s:s, s:s}", "id", q->id, "client",
				       q->client_id, "document",
				       q->in.document),
			     (int64_t)eid_store_now(app->store));
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

/* The outcome to the relying party's callback_uri, by the background
 * worker (retried, never blocking this request).  A full queue loses
 * the callback; the relying party still polls. */
static void callback(struct eid_app *app, const char *id)
{
	struct eid_signreq q;
	json_t *o = NULL;
	char *text = NULL;

	if (app->bcl == NULL ||
	    eid_signreq_get(app->store, id, eid_store_now(app->store), &q) ||
	    q.in.callback_uri[0] == '\0' ||
	    eid_api_sign_status_json(app, &q, &o) != EID_OK)
		return;
	if ((text = json_dumps(o, JSON_COMPACT)) != NULL)
		(void)eid_bcl_enqueue_json(app->bcl, q.in.callback_uri, text);
	free(text);
	json_decref(o);
}

static int decide_error(struct eid_http_response *res, int r)
{
	switch (r) {
	case EID_ENOTFOUND:
		return eid_ss_error(res, 404, "not_found",
				    "no such signing request (or it is gone)",
				    0);
	case EID_EEXPIRED:
		return eid_ss_error(res, 410, "expired_request",
				    "the signing request has expired", 0);
	case EID_ESTATE:
		return eid_ss_error(res, 409, "already_decided",
				    "this request was approved or denied "
				    "already", 0);
	default:
		return r;
	}
}

/* Why eid_cms_sign_citizen refused (eid_citizen_cert_ensure's cases). */
static int sign_error(struct eid_http_response *res, int r)
{
	switch (r) {
	case EID_EPERM:
		return eid_ss_error(res, 403, "card_invalid",
				    "the citizen's card is revoked", 0);
	case EID_EEXPIRED:
		return eid_ss_error(res, 403, "card_invalid",
				    "the citizen's card or the CA has "
				    "expired", 0);
	case EID_ETOOBIG:
		return eid_ss_error(res, 403, "card_invalid",
				    "the citizen's name is longer than a "
				    "certificate allows", 0);
	default:
		return r;
	}
}

static int decide(struct eid_app *app, struct eid_http_request *req,
		  struct eid_http_response *res, const struct eid_device *d,
		  const struct eid_signreq *q, bool approve)
{
	uint64_t now = eid_store_now(app->store);
	json_t *o;
	int r;

	if (!jws_binds(req, q))
		return eid_ss_error(res, 400, "invalid_request",
				    "the device JWS must carry this request's "
				    "sign_request and hash", 0);
	if (approve && d->level < 2)
		return eid_ss_error(res, 403, "level_insufficient",
				    "signing needs a level-2 account and an "
				    "app bound at level 2", 0);
	if (approve && app->ca == NULL)
		return eid_ss_error(res, 503, "temporarily_unavailable",
				    "no signing CA is configured", 0);
	if ((r = eid_signreq_decide(app->store, q->id, approve, now)) != EID_OK)
		return decide_error(res, r);
	r = approve ? sign_approved(app, req, q) : audit_deny(app, req, q);
	if (r != EID_OK && approve) {
		/* Nothing was released: the request may be approved again. */
		(void)eid_signreq_undecide(app->store, q->id);
		return sign_error(res, r);
	}
	if (r != EID_OK)
		return r;
	callback(app, q->id);
	o = json_pack("{s:s, s:s}", "id", q->id, "status",
		      approve ? "signed" : "denied");
	r = o != NULL ? eid_http_reply_json(res, 200, o) : EID_ENOMEM;
	json_decref(o);
	return r;
}

int eid_api_sign_decide(struct eid_http_request *req,
			struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	const char *path = eid_http_path(req);
	char id[EID_SIGNREQ_ID_LEN + 1];
	struct eid_device d = { 0 };
	struct eid_signreq q;
	bool done, approve = true;
	int r;

	if ((r = eid_app_device_auth(app, req, res, &d, &done)) || done)
		return r;
	if (eid_ss_path_id(path, EID_PATH_SIGN_REQUESTS, "approve", id,
			   sizeof(id)) != EID_OK) {
		approve = false;
		if (eid_ss_path_id(path, EID_PATH_SIGN_REQUESTS, "deny", id,
				   sizeof(id)) != EID_OK)
			id[0] = '\0';
	}
	r = id[0] != '\0' ? eid_signreq_get(app->store, id,
					    eid_store_now(app->store), &q) :
			    EID_ENOTFOUND;
	/* Another citizen's request is as unknown as a wrong id. */
	if (r == EID_OK && strcmp(q.in.personal_id, d.personal_id) != 0)
		r = EID_ENOTFOUND;
	if (r == EID_OK)
		r = decide(app, req, res, &d, &q, approve);
	else
		r = decide_error(res, r);
	eid_device_clear(&d);
	return r;
}
