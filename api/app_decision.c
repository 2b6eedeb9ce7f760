/* What the app's approval endpoints share (QR login, CIBA): the decision
 * body and its audit entry. */
#include <stdio.h>
#include <string.h>

#include "api/device.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "idp/audit.h"

int eid_app_decision(struct eid_http_request *req,
		     struct eid_http_response *res, bool *ret_approve,
		     bool *ret_done)
{
	json_t *body = eid_ss_json_body(req, res);
	const char *dec;

	*ret_done = true;
	if (body == NULL)
		return EID_OK;
	dec = json_string_value(json_object_get(body, "decision"));
	if (dec == NULL ||
	    (strcmp(dec, "approve") != 0 && strcmp(dec, "deny") != 0)) {
		json_decref(body);
		return eid_ss_error(res, 400, "invalid_request",
				    "decision must be approve or deny", 0);
	}
	*ret_approve = strcmp(dec, "approve") == 0;
	*ret_done = false;
	json_decref(body);
	return EID_OK;
}

int eid_app_audit_decision(struct eid_app *app,
			   const struct eid_http_request *req,
			   const struct eid_device *d, const char *event,
			   json_t *details)
{
	char actor[32];
	eid_txn *t = NULL;
	int r;

	(void)snprintf(actor, sizeof(actor), "citizen:%s", d->personal_id);
	if (details == NULL ||
	    json_object_set_new(details, "device_id", json_string(d->id))) {
		json_decref(details);
		return EID_ENOMEM;
	}
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK) {
		json_decref(details);
		return r;
	}
	r = eid_audit_record(t, event, actor, d->personal_id,
			     eid_http_remote(req), details,
			     (int64_t)eid_store_now(app->store));
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}
