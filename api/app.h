/* What the endpoint handlers share: the server's context.  Everything a
 * request needs hangs off this one object; there is no global state. */
#ifndef EID_API_APP_H
#define EID_API_APP_H

#include <stddef.h>

#include "api/http.h"
#include "idp/config.h"
#include "idp/signing.h"
#include "idp/store.h"

struct eid_app {
	const struct eid_config *cfg;
	eid_store *store;
	eid_signer *signer;
	char *discovery_json; /* built once at start: it depends on config only */
};

/* Build what the app precomputes (discovery); free it with
 * eid_app_cleanup. */
int eid_app_init(struct eid_app *app, const struct eid_config *cfg,
		 eid_store *store, eid_signer *signer);
void eid_app_cleanup(struct eid_app *app);

/* The server's route table. */
const struct eid_http_route *eid_api_routes(size_t *ret_n);

#endif
