/* What the endpoint handlers share: the server's context.  Everything a
 * request needs hangs off this one object; there is no global state. */
#ifndef EID_API_APP_H
#define EID_API_APP_H

#include <stddef.h>

#include "api/http.h"
#include "idp/accounts.h"
#include "idp/biometric.h"
#include "idp/ca.h"
#include "idp/config.h"
#include "idp/credentials.h"
#include "idp/csca.h"
#include "idp/logout.h"
#include "idp/notify.h"
#include "idp/rcache.h"
#include "idp/registry.h"
#include "idp/signing.h"
#include "idp/store.h"
#include "idp/sweep.h"

struct eid_app {
	const struct eid_config *cfg;
	eid_store *store;
	eid_signer *signer;
	struct eid_account_policy policy; /* passwords and lockout */
	eid_registry registry;            /* where citizens' data comes from */
	eid_notify notify;                /* SMS and e-mail to citizens */
	uint8_t subject_key[32];          /* public and pairwise `sub` */
	uint8_t dpop_nonce_key[32];       /* stateless DPoP nonces */
	eid_ca *ca;                       /* the signing CA; NULL when none */
	uint8_t kek[32];                  /* seals citizens' signing keys;
					     all zero and unused with the
					     signer process (docs/security.md) */
	uint8_t csrf_key[32];             /* the pages' CSRF tokens */
	struct eid_cred_keys cred_keys;   /* citizens' TOTP and recovery codes */
	eid_bcl *bcl;                     /* back-channel logout deliveries */
	eid_sweeper *sweeper;             /* card sweep; NULL when off */
	eid_csca_cache *csca;             /* trusted CSCAs (chip verification) */
	eid_biometric biometric;          /* face match of self-service level 2 */
	char *discovery_json; /* built once at start: it depends on config only */
	/* Account and grant records decoded for the token paths (userinfo,
	 * introspection), and clients for client authentication and
	 * userinfo, each checked against the store's bytes on every read
	 * (idp/rcache.h); the registry has its own. */
	eid_rcache *account_cache;
	eid_rcache *grant_cache;
	eid_rcache *client_cache;
};

/* Entries of each record cache (accounts, grants, the registry's
 * citizens): about 1 to 2 KB each, 8 MB for the three when all are full. */
#define EID_APP_RCACHE_ENTRIES 2048
/* Entries of the client cache: clients are few (up to 16 KB each). */
#define EID_APP_CLIENT_CACHE_ENTRIES 256

/* Build what the app precomputes (discovery, keys derived from the KEK);
 * free it with eid_app_cleanup. */
int eid_app_init(struct eid_app *app, const struct eid_config *cfg,
		 eid_store *store, eid_signer *signer, const uint8_t kek[32]);
/* The same when the CA key may live in p11's token (NULL: none). */
int eid_app_init_pkcs11(struct eid_app *app, const struct eid_config *cfg,
			eid_store *store, eid_signer *signer,
			const uint8_t kek[32], eid_pkcs11 *p11);
/* The same when the CA key lives in the signer process (sp; NULL: it
 * opens here with kek).  With sp, kek only derives the app's keys and is
 * not kept. */
int eid_app_init_keys(struct eid_app *app, const struct eid_config *cfg,
		      eid_store *store, eid_signer *signer,
		      const uint8_t kek[32], eid_pkcs11 *p11, eid_sigproc *sp);
void eid_app_cleanup(struct eid_app *app);

/* Start and stop the app's background workers (back-channel logout, the
 * card sweep), with
 * the server: start before serving, stop after the server has stopped. */
int eid_app_start(struct eid_app *app);
void eid_app_stop(struct eid_app *app);

/* The server's route table. */
const struct eid_http_route *eid_api_routes(size_t *ret_n);

#endif
