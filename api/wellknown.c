/* Liveness, readiness, discovery and the public keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/html.h"
#include "api/wellknown.h"
#include "crypto/error.h"
#include "crypto/kdf.h"
#include "crypto/secret.h"
#include "idp/clients.h"
#include "idp/subject.h"
#include "idp/discovery.h"
#include "idp/grants.h"

int eid_app_init(struct eid_app *app, const struct eid_config *cfg,
		 eid_store *store, eid_signer *signer, const uint8_t kek[32])
{
	return eid_app_init_pkcs11(app, cfg, store, signer, kek, NULL);
}

int eid_app_init_pkcs11(struct eid_app *app, const struct eid_config *cfg,
			eid_store *store, eid_signer *signer,
			const uint8_t kek[32], eid_pkcs11 *p11)
{
	return eid_app_init_keys(app, cfg, store, signer, kek, p11, NULL);
}

int eid_app_init_keys(struct eid_app *app, const struct eid_config *cfg,
		      eid_store *store, eid_signer *signer,
		      const uint8_t kek[32], eid_pkcs11 *p11, eid_sigproc *sp)
{
	json_t *meta = NULL;
	int r;

	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	app->store = store;
	app->signer = signer;
	/* With the signer process the KEK stays out of the app: citizens'
	 * keys are sealed there (the CA below carries sp). */
	if (sp == NULL)
		memcpy(app->kek, kek, sizeof(app->kek));
	eid_account_policy_from_config(cfg, &app->policy);
	if ((r = eid_registry_open_config(cfg, store, EID_APP_RCACHE_ENTRIES,
					  &app->registry, NULL)) != EID_OK ||
	    (r = eid_notify_open_config(cfg, store, &app->notify)) != EID_OK ||
	    (r = eid_biometric_open_config(cfg, &app->biometric)) != EID_OK ||
	    (r = eid_subject_key_derive(kek, app->subject_key)) != EID_OK ||
	    (r = eid_kek_derive(kek, "eid dpop nonce v1", app->dpop_nonce_key,
				sizeof(app->dpop_nonce_key))) != EID_OK ||
	    (r = eid_kek_derive(kek, "eid csrf v1", app->csrf_key,
				sizeof(app->csrf_key))) != EID_OK ||
	    (r = eid_cred_keys_derive(kek, &app->cred_keys)) != EID_OK)
		return r;
	if ((r = eid_csca_cache_new(store, &app->csca)) != EID_OK ||
	    (r = eid_account_cache_new(EID_APP_RCACHE_ENTRIES,
				       &app->account_cache)) != EID_OK ||
	    (r = eid_grant_cache_new(EID_APP_RCACHE_ENTRIES,
				     &app->grant_cache)) != EID_OK ||
	    (r = eid_client_cache_new(EID_APP_CLIENT_CACHE_ENTRIES,
				      &app->client_cache)) != EID_OK)
		return r;
	/* The signing CA is optional (`eidctl ca init` creates it). */
	r = sp != NULL ? eid_ca_load_remote(store, sp, p11, cfg->server.issuer,
					   &app->ca) :
			 eid_ca_load_pkcs11(store, kek, p11, cfg->server.issuer,
					    &app->ca);
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	if ((r = eid_discovery_build(cfg->server.issuer, cfg->keys.algorithm,
				     &meta)) != EID_OK)
		return r;
	app->discovery_json = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	return app->discovery_json != NULL ? EID_OK : EID_ENOMEM;
}

void eid_app_cleanup(struct eid_app *app)
{
	free(app->discovery_json);
	app->discovery_json = NULL;
	eid_registry_close(&app->registry);
	eid_ca_free(app->ca);
	app->ca = NULL;
	eid_csca_cache_free(app->csca);
	eid_biometric_close(&app->biometric);
	app->csca = NULL;
	eid_rcache_free(app->account_cache);
	app->account_cache = NULL;
	eid_rcache_free(app->grant_cache);
	app->grant_cache = NULL;
	eid_rcache_free(app->client_cache);
	app->client_cache = NULL;
	eid_notify_close(&app->notify);
	eid_wipe(app->subject_key, sizeof(app->subject_key));
	eid_wipe(app->dpop_nonce_key, sizeof(app->dpop_nonce_key));
	eid_wipe(app->csrf_key, sizeof(app->csrf_key));
	eid_wipe(app->kek, sizeof(app->kek));
	eid_wipe(&app->cred_keys, sizeof(app->cred_keys));
}

int eid_app_start(struct eid_app *app)
{
	int r;

	if (app->bcl != NULL || app->sweeper != NULL)
		return EID_ESTATE;
	if ((r = eid_bcl_start(NULL, &app->bcl)) != EID_OK)
		return r;
	if ((r = eid_notify_start(&app->notify)) != EID_OK) {
		eid_bcl_stop(app->bcl);
		app->bcl = NULL;
		return r;
	}
	if (app->cfg->accounts.sweep_interval == 0)
		return EID_OK;
	r = eid_sweeper_start(app->store, &app->registry, &app->notify,
			      app->cfg->accounts.sweep_interval, &app->sweeper);
	if (r != EID_OK) {
		eid_notify_stop(&app->notify);
		eid_bcl_stop(app->bcl);
		app->bcl = NULL;
	}
	return r;
}

void eid_app_stop(struct eid_app *app)
{
	eid_sweeper_stop(app->sweeper);
	app->sweeper = NULL;
	eid_notify_stop(&app->notify);
	eid_bcl_stop(app->bcl);
	app->bcl = NULL;
}

/* Replies with JSON text that is already serialised. */
/* Replies with JSON text that is already serialised (built once, not
 * parsed and printed again on every request). */
static int reply_json_text(struct eid_http_response *res, const char *text,
			   const char *cache_control)
{
	int r = eid_http_reply_bytes(res, 200, "application/json", text,
				     strlen(text));

	if (r == EID_OK && cache_control != NULL)
		r = eid_http_set_header(res, "Cache-Control", cache_control);
	return r;
}

int eid_api_healthz(struct eid_http_request *req,
		    struct eid_http_response *res, void *arg)
{
	json_t *body = json_pack("{s:s}", "status", "ok");
	int r;

	(void)req;
	(void)arg;
	if (body == NULL)
		return EID_ENOMEM;
	r = eid_http_reply_json(res, 200, body);
	json_decref(body);
	return r;
}

/* Ready when the store answers a read and a key signs now. */
int eid_api_readyz(struct eid_http_request *req,
		   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	eid_txn *t = NULL;
	uint64_t n = 0;
	bool store_ok, keys_ok;
	json_t *body;
	int r;

	(void)req;
	store_ok = eid_store_begin(app->store, false, &t) == EID_OK &&
		   eid_txn_count(t, EID_TABLE_KEYS, &n) == EID_OK;
	eid_txn_abort(t);
	keys_ok = eid_signer_ready(app->signer);
	body = json_pack("{s:s, s:b, s:b}", "status",
			 store_ok && keys_ok ? "ready" : "not_ready", "store",
			 store_ok, "keys", keys_ok);
	if (body == NULL)
		return EID_ENOMEM;
	r = eid_http_reply_json(res, store_ok && keys_ok ? 200 : 503, body);
	json_decref(body);
	return r;
}

int eid_api_discovery(struct eid_http_request *req,
		      struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;

	(void)req;
	return reply_json_text(res, app->discovery_json,
			       "public, max-age=3600");
}

int eid_api_jwks(struct eid_http_request *req, struct eid_http_response *res,
		 void *arg)
{
	struct eid_app *app = arg;
	char *jwks = NULL, cache[64];
	uint64_t max_age = 0;
	int r;

	(void)req;
	if ((r = eid_signer_jwks(app->signer, &jwks, &max_age)) != EID_OK)
		return r;
	snprintf(cache, sizeof(cache), "public, max-age=%llu",
		 (unsigned long long)max_age);
	r = reply_json_text(res, jwks, cache);
	if (r == EID_OK)
		r = eid_http_set_header(res, "Content-Type",
					"application/jwk-set+json");
	free(jwks);
	return r;
}

int eid_api_css(struct eid_http_request *req, struct eid_http_response *res,
		void *arg)
{
	int r;

	(void)req;
	(void)arg;
	r = eid_http_reply_text(res, 200, eid_html_css);
	if (r == EID_OK)
		r = eid_http_set_header(res, "Content-Type", "text/css; charset=utf-8");
	if (r == EID_OK)
		r = eid_http_set_header(res, "Cache-Control", "public, max-age=86400");
	return r;
}
