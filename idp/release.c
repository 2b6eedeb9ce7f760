/* The data.release audit details (idp/release.h). */
#include "idp/release.h"

#include "crypto/error.h"
#include "idp/claims.h"

/* The claims eid_claims_build releases for one target. */
static int claims_for(const struct eid_client *client,
		      const struct eid_grant *g, const struct eid_citizen *cz,
		      const struct eid_account *a, const char *target,
		      bool by_scope, json_t **ret)
{
	struct eid_claims_input in = { 0 };
	unsigned granted = 0;

	(void)eid_claims_scope_bits(g->scope, &granted);
	in.citizen = cz;
	in.account = a;
	in.granted = granted;
	in.allowed = client->scopes;
	in.request = json_object_get(g->claims, target);
	in.by_scope = by_scope;
	return eid_claims_build(&in, ret);
}

/* The names present in either object, in claims_supported order. */
static int names_of(const json_t *id, const json_t *ui, json_t **ret)
{
	json_t *names = json_array();

	if (names == NULL)
		return EID_ENOMEM;
	for (size_t i = 0; eid_claims_names[i] != NULL; i++) {
		const char *n = eid_claims_names[i];

		if ((json_object_get(id, n) != NULL ||
		     json_object_get(ui, n) != NULL) &&
		    json_array_append_new(names, json_string(n)) != 0) {
			json_decref(names);
			return EID_ENOMEM;
		}
	}
	*ret = names;
	return EID_OK;
}

int eid_release_details(const struct eid_client *client,
			const struct eid_grant *g,
			const struct eid_citizen *cz,
			const struct eid_account *a, json_t **ret)
{
	json_t *id = NULL, *ui = NULL, *names = NULL, *o = NULL;
	int r;

	if (client == NULL || g == NULL || g->scope == NULL || cz == NULL ||
	    ret == NULL)
		return EID_EINVAL;
	if ((r = claims_for(client, g, cz, a, "id_token", false, &id)) !=
		    EID_OK ||
	    (r = claims_for(client, g, cz, a, "userinfo", true, &ui)) !=
		    EID_OK ||
	    (r = names_of(id, ui, &names)) != EID_OK)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:O}", "client_id", client->client_id,
		      "client_name", client->name, "scope", g->scope, "claims",
		      names);
	if (o == NULL ||
	    (g->acr != NULL &&
	     json_object_set_new(o, "acr", json_string(g->acr)) != 0)) {
		r = EID_ENOMEM;
		goto out;
	}
	*ret = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(names);
	json_decref(ui);
	json_decref(id);
	return r;
}
