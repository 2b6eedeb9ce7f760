/* GET /api/v1/me/history: the audit entries about the signed-in citizen
 * (eid_session cookie): sign-ins, consents given to relying parties,
 * activation, locks, password changes... -- every entry whose subject is
 * the citizen or whose actor is the citizen.  The audit trail is kept 5
 * years (Decree 69/2024); this walks it whole, newest last, and returns at
 * most HISTORY_MAX entries (the most recent). */
#include <stdio.h>
#include <string.h>

#include "api/console.h"
#include "api/flow.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"

#define HISTORY_MAX 500

struct scan {
	char pid[16];
	char actor[32];
	json_t *out; /* array, trimmed to HISTORY_MAX from the front */
};

static int visit(json_t *e, void *arg)
{
	struct scan *s = arg;
	const char *subject = json_string_value(json_object_get(e, "subject"));
	const char *actor = json_string_value(json_object_get(e, "actor"));
	json_t *item;

	if ((subject == NULL || strcmp(subject, s->pid) != 0) &&
	    (actor == NULL || strcmp(actor, s->actor) != 0))
		return EID_OK;
	item = json_pack("{s:O, s:O, s:O*, s:O*, s:O*}", "ts",
			 json_object_get(e, "ts"), "type",
			 json_object_get(e, "type"), "actor",
			 json_object_get(e, "actor"), "subject",
			 json_object_get(e, "subject"), "details",
			 json_object_get(e, "details"));
	if (item == NULL || json_array_append_new(s->out, item) != 0)
		return EID_ENOMEM;
	if (json_array_size(s->out) > HISTORY_MAX)
		json_array_remove(s->out, 0);
	return EID_OK;
}

int eid_api_me_history(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	struct scan s = { .out = json_array() };
	eid_txn *t = NULL;
	json_t *body = NULL;
	int r;

	if (s.out == NULL)
		return EID_ENOMEM;
	r = eid_flow_session(app, req, &fs);
	if (r == EID_ENOTFOUND) {
		r = eid_http_reply_oauth_error(res, 401, "login_required",
					       "sign in first");
		goto out;
	}
	if (r != EID_OK)
		goto out;
	snprintf(s.pid, sizeof(s.pid), "%s", fs.ses.personal_id);
	snprintf(s.actor, sizeof(s.actor), "citizen:%s", fs.ses.personal_id);
	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK ||
	    (r = eid_audit_scan(t, 0, 0, visit, &s)) != EID_OK)
		goto out;
	body = json_pack("{s:s, s:s, s:O}", "personal_id", s.pid, "retention",
			 "5 years", "events", s.out);
	r = body != NULL ? eid_http_reply_json(res, 200, body) : EID_ENOMEM;
out:
	eid_txn_abort(t);
	json_decref(body);
	json_decref(s.out);
	eid_wipe(&fs, sizeof(fs));
	return r;
}
