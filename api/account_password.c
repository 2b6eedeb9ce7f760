/* POST /account/password: the citizen changes the password, signed in.
 * The current password is checked like a sign-in (a wrong one counts
 * toward the lockout); the new one goes through the password policy
 * (idp/password.h) and must be typed twice.  On success the citizen's
 * other browser sessions end with the grants (refresh tokens) relying
 * parties got through them (this browser's stay), and an SMS tells the
 * account's phone, so a change the citizen did not make is noticed.
 * Audit: account.password. */
#include <stdio.h>
#include <string.h>

#include "api/account.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/grants.h"
#include "idp/session.h"

#define OTHERS_MAX 64
#define WHY_MAX 256

static const char sms_text[] =
	"eID: mat khau tai khoan cua ban vua duoc doi. Neu khong phai ban, "
	"hay khoa tai khoan va lien he cong an cap xa. / "
	"Your eID password was just changed. If it was not you, lock the "
	"account and contact the police of your commune.";

struct others {
	const char *keep; /* this browser's sid */
	char sid[OTHERS_MAX][EID_SESSION_SID_LEN + 1];
	unsigned n;
};

static int collect(const struct eid_session *ses, void *arg)
{
	struct others *o = arg;

	if (strcmp(ses->sid, o->keep) == 0 || o->n == OTHERS_MAX)
		return EID_OK;
	memcpy(o->sid[o->n++], ses->sid, sizeof(o->sid[0]));
	return EID_OK;
}

/* End the citizen's sessions other than this browser's, and the grants
 * issued through them.  A citizen has a handful; past OTHERS_MAX the list
 * is read again. */
static int end_others(struct eid_app *app, const struct eid_flow_session *fs)
{
	struct others o;
	int r;

	do {
		memset(&o, 0, sizeof(o));
		o.keep = fs->ses.sid;
		if ((r = eid_session_list(app->store, fs->ses.personal_id,
					  collect, &o)) != EID_OK)
			return r;
		for (unsigned i = 0; i < o.n; i++) {
			r = eid_session_end_sid(app->store, fs->ses.personal_id,
						o.sid[i]);
			if (r != EID_OK && r != EID_ENOTFOUND)
				return r;
			if ((r = eid_grant_revoke_by_sid(app->store,
							 fs->ses.personal_id,
							 o.sid[i],
							 eid_store_now(app->store),
							 NULL)) != EID_OK)
				return r;
		}
	} while (o.n == OTHERS_MAX);
	return EID_OK;
}

static int set_password(struct eid_app *app, const struct eid_flow_session *fs,
			const char *password, eid_buf *why,
			char ret_phone[EID_PHONE_MAX + 1])
{
	char actor[32];
	struct eid_account a;
	eid_txn *t = NULL;
	int r;

	(void)snprintf(actor, sizeof(actor), "citizen:%s", fs->ses.personal_id);
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_account_set_password(t, &app->policy, fs->ses.personal_id,
				     password, actor,
				     (int64_t)eid_store_now(app->store), why);
	if (r == EID_OK && (r = eid_account_get(t, fs->ses.personal_id, &a)) ==
			   EID_OK) {
		memcpy(ret_phone, a.phone, EID_PHONE_MAX + 1);
		eid_account_clear(&a);
	}
	if (r != EID_OK) {
		eid_txn_abort(t);
		return r;
	}
	return eid_txn_commit(t);
}

/* The refusals, each with its own message. */
static int refused(struct eid_app *app, struct eid_http_request *req,
		   struct eid_http_response *res,
		   const struct eid_flow_session *fs, int r, eid_buf *why)
{
	struct eid_page p;

	switch (r) {
	case EID_EMISMATCH:
		return eid_account_reply(app, req, res, fs, "error",
					 "The two new passwords differ.",
					 "Hai mật khẩu mới không khớp.");
	case EID_EAUTH:
		return eid_account_reply(app, req, res, fs, "error",
					 "The current password is wrong.",
					 "Mật khẩu hiện tại không đúng.");
	case EID_ELIMIT:
		return eid_account_reply(app, req, res, fs, "error",
					 "Too many wrong passwords. Try again later.",
					 "Quá nhiều lần nhập sai mật khẩu. Vui lòng thử lại sau.");
	case EID_ENETWORK: /* the card could not be checked */
		return eid_account_reply_status(
			app, req, res, fs, 503, "error",
			eid_msg(EID_LANG_EN, EID_MSG_REGISTRY_UNAVAILABLE),
			eid_msg(EID_LANG_VI, EID_MSG_REGISTRY_UNAVAILABLE), NULL);
	case EID_EINVAL:
		eid_page_begin(&p, eid_page_lang(req), "Change password",
			       "Đổi mật khẩu");
		eid_page_notice(&p, "error", "The new password cannot be used:",
				"Không thể dùng mật khẩu mới này:",
				eid_buf_cstr(why));
		eid_page_raw(&p, "<p><a href=\"" EID_PATH_ACCOUNT "\">");
		eid_page_t(&p, "Back to your account", "Quay lại tài khoản");
		eid_page_raw(&p, "</a></p>");
		return eid_page_reply(&p, res, 400);
	default:
		return r;
	}
}

static int change(struct eid_app *app, struct eid_http_request *req,
		  const struct eid_flow_session *fs, eid_buf *why,
		  char ret_phone[EID_PHONE_MAX + 1])
{
	const char *current = NULL, *next = NULL, *again = NULL;
	struct eid_account a;
	int r;

	if (eid_http_form_param(req, "current", &current) != EID_OK)
		current = "";
	if (eid_http_form_param(req, "new", &next) != EID_OK)
		next = "";
	if (eid_http_form_param(req, "confirm", &again) != EID_OK)
		again = "";
	if (strcmp(next, again) != 0)
		return EID_EMISMATCH;
	r = eid_account_authenticate(app->store, &app->registry,
				     &app->policy,
				     fs->ses.personal_id, current,
				     eid_http_remote(req),
				     (int64_t)eid_store_now(app->store), &a, NULL);
	if (r != EID_OK)
		return r;
	eid_account_clear(&a);
	return set_password(app, fs, next, why, ret_phone);
}

int eid_page_account_password(struct eid_http_request *req,
			      struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	char phone[EID_PHONE_MAX + 1];
	eid_buf why;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	eid_buf_init(&why, WHY_MAX);
	if (done)
		goto out;
	r = change(app, req, &fs, &why, phone);
	if (r != EID_OK) {
		r = refused(app, req, res, &fs, r, &why);
		goto out;
	}
	if ((r = end_others(app, &fs)) != EID_OK)
		goto out;
	/* The change stands even when the SMS cannot go out now. */
	(void)eid_notify_sms(&app->notify, phone, sms_text);
	r = eid_account_reply(app, req, res, &fs, "notice",
			      "Your password has been changed. Your other sessions have ended.",
			      "Mật khẩu đã được đổi. Các phiên đăng nhập khác đã kết thúc.");
out:
	eid_buf_free(&why);
	eid_wipe(&fs, sizeof(fs));
	return r;
}
