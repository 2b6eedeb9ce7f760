/* POST /officer/account: an officer locks (with a reason), unlocks, or
 * moves to a new phone number a citizen's account; a supervisor resets
 * the citizen's authenticator app (action totp_reset, with the note of
 * the identity check in "checked").  Each change is audited by the idp
 * module with the officer as actor. */
#include <string.h>

#include "api/console.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/credentials.h"

#define WHY_MAX 256

/* Supervisors only: the citizen lost the app and the recovery codes. */
static int totp_reset(eid_txn *t, struct eid_http_request *req,
		      const struct eid_officer_session *os, const char *actor,
		      const char *pid, int64_t now, eid_buf *why)
{
	const char *checked = NULL;
	int r;

	if (os->role != EID_OFFICER_ROLE_SUPERVISOR) {
		(void)eid_buf_put_str(why, "only a supervisor may reset the "
					   "authenticator app");
		return EID_EPERM;
	}
	if (eid_http_form_param(req, "checked", &checked) != EID_OK)
		checked = "";
	r = eid_cred_totp_reset(t, pid, actor, checked, os->unit, now);
	if (r == EID_EMALFORMED)
		(void)eid_buf_printf(why, "say how the identity was checked "
				     "(1 to %d bytes)", EID_CRED_CHECK_NOTE_MAX);
	else if (r == EID_ENOTFOUND)
		(void)eid_buf_put_str(why, "the citizen has no authenticator app");
	return r;
}

static int apply(struct eid_app *app, struct eid_http_request *req,
		 const struct eid_officer_session *os, const char *actor,
		 const char *pid, const char *action, eid_buf *why)
{
	int64_t now = (int64_t)eid_store_now(app->store);
	enum eid_lock_reason reason;
	const char *v = NULL;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	if (strcmp(action, "lock") == 0) {
		if (eid_http_form_param(req, "reason", &v) != EID_OK ||
		    eid_lock_reason_parse(v, &reason) != EID_OK)
			r = EID_EMALFORMED;
		else
			r = eid_account_lock(t, pid, reason, actor, now);
	} else if (strcmp(action, "unlock") == 0) {
		r = eid_account_unlock(t, pid, actor, now);
	} else if (strcmp(action, "phone") == 0) {
		if (eid_http_form_param(req, "phone", &v) != EID_OK)
			v = "";
		r = eid_account_change_phone(t, pid, v, actor, now, why);
	} else if (strcmp(action, "totp_reset") == 0) {
		r = totp_reset(t, req, os, actor, pid, now, why);
	} else {
		r = EID_EMALFORMED;
	}
	if (r != EID_OK) {
		eid_txn_abort(t);
		return r;
	}
	if ((r = eid_txn_commit(t)) == EID_OK && strcmp(action, "lock") == 0)
		r = eid_account_end_everything(app->store, pid, (uint64_t)now);
	return r;
}

int eid_page_officer_account(struct eid_http_request *req,
			     struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_officer_session os;
	char actor[EID_ACTOR_MAX + 1];
	const char *pid = NULL, *action = NULL;
	eid_buf why;
	int r;

	if ((r = eid_console_officer(app, req, res, &os)) != EID_OK)
		return r == EID_ENOTFOUND || r == EID_EPERM ? EID_OK : r;
	eid_buf_init(&why, WHY_MAX);
	if (eid_http_form_param(req, "id", &pid) != EID_OK ||
	    eid_http_form_param(req, "action", &action) != EID_OK ||
	    strlen(pid) != 12 || strspn(pid, "0123456789") != 12) {
		r = eid_page_error(res, eid_page_lang(req), 400,
				   "The request is not complete.",
				   "Yêu cầu không đầy đủ.");
		goto out;
	}
	r = apply(app, req, &os, eid_console_actor(&os, actor, sizeof(actor)),
		  pid, action, &why);
	if (r == EID_OK)
		r = eid_console_citizen_page(app, req, res, &os, pid, 200,
					     "notice", "Done.", "Đã thực hiện.",
					     NULL);
	else if (r == EID_ENOMEM || r == EID_ESTORE)
		goto out;
	else
		r = eid_console_citizen_page(
			app, req, res, &os, pid, r == EID_EPERM ? 403 : 409,
			"error",
			"The change was refused:", "Thay đổi bị từ chối:",
			why.len ? eid_buf_cstr(&why) : eid_strerror(r));
out:
	eid_buf_free(&why);
	eid_wipe(&os, sizeof(os));
	return r;
}
