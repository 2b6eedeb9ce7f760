/* GET /api/v1/me/history: the audit entries about the signed-in citizen
 * (eid_session cookie): sign-ins, data released to relying parties,
 * consents, activation, locks, password changes... -- every entry whose
 * subject is the citizen or whose actor is the citizen, read through the
 * per-citizen index (idp/audit.h), newest first, at most
 * EID_AUDIT_HISTORY_MAX a page; ?before=SEQ pages back.  Entries older
 * than the 5 years of Decree 69/2024 are not shown. */
#include <stdio.h>
#include <string.h>

#include "api/console.h"
#include "api/flow.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"

static int visit(json_t *e, void *arg)
{
	json_t *out = arg;
	json_t *item = json_pack("{s:O, s:O, s:O, s:O*, s:O*, s:O*}", "seq",
				 json_object_get(e, "seq"), "ts",
				 json_object_get(e, "ts"), "type",
				 json_object_get(e, "type"), "actor",
				 json_object_get(e, "actor"), "subject",
				 json_object_get(e, "subject"), "details",
				 json_object_get(e, "details"));

	if (item == NULL || json_array_append_new(out, item) != 0)
		return EID_ENOMEM;
	return EID_OK;
}

/* ?before=SEQ: an entry number; 0 when absent. */
static int before_param(struct eid_http_request *req, uint64_t *ret)
{
	const char *v = NULL;
	int r = eid_http_query_param(req, "before", &v);

	*ret = 0;
	if (r == EID_ENOTFOUND)
		return EID_OK;
	if (r != EID_OK)
		return r;
	return eid_audit_seq_parse(v, strlen(v), ret);
}

/* The page as JSON, with next_before when older entries remain. */
static int history_page(struct eid_app *app, const char *pid,
			uint64_t before, json_t **ret)
{
	uint64_t now = eid_store_now(app->store);
	uint64_t since = now > EID_AUDIT_RETENTION_SECONDS ?
				 (now - EID_AUDIT_RETENTION_SECONDS) * 1000 : 0;
	json_t *events = json_array(), *body = NULL, *last;
	eid_txn *t = NULL;
	bool more = false;
	int r;

	if (events == NULL)
		return EID_ENOMEM;
	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK ||
	    (r = eid_audit_history(t, pid, before, since, EID_AUDIT_HISTORY_MAX,
				   visit, events, &more)) != EID_OK)
		goto out;
	body = json_pack("{s:s, s:s, s:O}", "personal_id", pid, "retention",
			 "5 years", "events", events);
	last = json_array_get(events, json_array_size(events) - 1);
	if (body == NULL ||
	    (more && json_object_set(body, "next_before",
				     json_object_get(last, "seq")) != 0)) {
		r = EID_ENOMEM;
		goto out;
	}
	*ret = body;
	body = NULL;
out:
	eid_txn_abort(t);
	json_decref(body);
	json_decref(events);
	return r;
}

int eid_api_me_history(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	json_t *body = NULL;
	uint64_t before = 0;
	int r;

	if (before_param(req, &before) != EID_OK)
		return eid_http_reply_oauth_error(res, 400, "invalid_request",
						  "before must be an entry "
						  "number (seq)");
	r = eid_flow_session(app, req, &fs);
	if (r == EID_ENOTFOUND)
		r = eid_http_reply_oauth_error(res, 401, "login_required",
					       "sign in first");
	else if (r == EID_OK &&
		 (r = history_page(app, fs.ses.personal_id, before, &body)) ==
			 EID_OK)
		r = eid_http_reply_json(res, 200, body);
	json_decref(body);
	eid_wipe(&fs, sizeof(fs));
	return r;
}
