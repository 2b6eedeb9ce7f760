/* The citizen's passkeys on the account page: the list with a remove
 * button each, the add form, the creation options and the registration
 * the script posts.  Registration asks for user verification and binds
 * its challenge to the browser session. */
#include <stdio.h>
#include <string.h>

#include "api/passkey.h"
#include "api/passkey_util.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/passkeys.h"

struct section_arg {
	struct eid_page *p;
	const struct eid_flow_session *fs;
};

static int row(const struct eid_passkey *pk, void *arg)
{
	struct section_arg *a = arg;
	struct eid_page *p = a->p;
	char at[32], used[32];

	eid_account_when((uint64_t)pk->created_at, at);
	if (pk->last_used_at != 0)
		eid_account_when((uint64_t)pk->last_used_at, used);
	eid_page_raw(p, "<tr><td class=\"passkey-name\">");
	eid_page_text(p, pk->name[0] != '\0' ? pk->name : "passkey");
	eid_page_raw(p, "</td><td>");
	eid_page_text(p, at);
	eid_page_raw(p, "</td><td>");
	if (pk->last_used_at != 0)
		eid_page_text(p, used);
	else
		eid_page_t(p, "never", "chưa dùng");
	eid_page_raw(p, "</td><td>");
	if (pk->be)
		eid_page_t(p, "synced", "đồng bộ");
	else
		eid_page_t(p, "this device only", "chỉ trên thiết bị này");
	eid_page_raw(p, "</td><td><form method=\"post\" action=\""
			EID_PATH_ACCOUNT_PASSKEY_REMOVE "\">");
	eid_page_hidden(p, "csrf", a->fs->ses.csrf);
	eid_page_hidden(p, "id", pk->id);
	eid_page_raw(p, "<button type=\"submit\" class=\"secondary\">");
	eid_page_t(p, "Remove", "Xóa");
	eid_page_raw(p, "</button></form></td></tr>");
	return p->r;
}

int eid_account_passkeys_section(struct eid_app *app, struct eid_page *p,
				 const struct eid_flow_session *fs)
{
	struct section_arg sa = { p, fs };
	eid_txn *t = NULL;
	int r;

	eid_page_raw(p, "<h2>");
	eid_page_t(p, "Passkeys", "Khóa truy cập");
	eid_page_raw(p, "</h2><table id=\"passkeys\"><tr><th>");
	eid_page_t(p, "Name", "Tên");
	eid_page_raw(p, "</th><th>");
	eid_page_t(p, "Added", "Ngày thêm");
	eid_page_raw(p, "</th><th>");
	eid_page_t(p, "Last used", "Lần dùng gần nhất");
	eid_page_raw(p, "</th><th>");
	eid_page_t(p, "Kept", "Lưu trữ");
	eid_page_raw(p, "</th><th></th></tr>");
	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_passkey_list(t, fs->ses.personal_id, row, &sa);
	eid_txn_abort(t);
	if (r != EID_OK)
		return r;
	eid_page_raw(p, "</table><form method=\"post\" id=\"passkey-add\" "
			"action=\"" EID_PATH_ACCOUNT_PASSKEYS "\">");
	eid_page_hidden(p, "csrf", fs->ses.csrf);
	eid_page_hidden(p, "clientDataJSON", "");
	eid_page_hidden(p, "attestationObject", "");
	eid_page_hidden(p, "transports", "");
	eid_page_input(p, "Name of the new passkey", "Tên khóa truy cập mới",
		       "text", "name", "", "maxlength=\"64\"");
	eid_page_raw(p, "<p class=\"passkey-error error\" hidden>");
	eid_page_t(p, "The passkey could not be created.",
		   "Không tạo được khóa truy cập.");
	eid_page_raw(p, "</p><button type=\"submit\" id=\"passkey-add-button\">");
	eid_page_t(p, "Add a passkey", "Thêm khóa truy cập");
	eid_page_raw(p, "</button></form><script src=\"" EID_PATH_PASSKEY_JS
			"\" defer></script>");
	return p->r;
}

/* The account's passkeys as excludeCredentials. */
static int exclude_one(const struct eid_passkey *pk, void *arg)
{
	json_t *c = NULL, *tr = json_array();
	const char *s = pk->transports;
	int r;

	if (tr == NULL)
		return EID_ENOMEM;
	while (*s != '\0') {
		size_t n = strcspn(s, ",");

		if (json_array_append_new(tr, json_stringn(s, n))) {
			json_decref(tr);
			return EID_ENOMEM;
		}
		s += n + (s[n] == ',');
	}
	if ((r = eid_pk_json_b64(&c, "id", pk->cred_id, pk->cred_id_len)) ||
	    json_object_set_new(c, "type", json_string("public-key")) ||
	    json_object_set_new(c, "transports", tr) ||
	    json_array_append_new(arg, c)) {
		if (r == EID_OK)
			r = EID_ENOMEM;
		json_decref(c);
		return r;
	}
	return EID_OK;
}

static json_t *cred_params(void)
{
	return json_pack("[{s:s, s:i}, {s:s, s:i}]", "type", "public-key",
			 "alg", EID_COSE_ES256, "type", "public-key", "alg",
			 EID_COSE_RS256);
}

static int creation_options(struct eid_app *app,
			    const struct eid_flow_session *fs, json_t **ret)
{
	struct eid_passkey_rp rp;
	uint8_t ch[32], handle[EID_PASSKEY_USER_HANDLE_LEN];
	json_t *o = NULL, *user = NULL, *ex = json_array();
	eid_txn *t = NULL;
	int r;

	if (ex == NULL)
		return EID_ENOMEM;
	if ((r = eid_passkey_rp(app->cfg, &rp)) ||
	    (r = eid_passkey_user_handle(app->subject_key, fs->ses.personal_id,
					 handle)) ||
	    (r = eid_store_begin(app->store, false, &t)))
		goto out;
	r = eid_passkey_list(t, fs->ses.personal_id, exclude_one, ex);
	eid_txn_abort(t);
	if (r != EID_OK ||
	    (r = eid_passkey_challenge_new(app->store, "create", fs->ses.sid,
					   ch)) ||
	    (r = eid_pk_json_b64(&o, "challenge", ch, sizeof(ch))) ||
	    (r = eid_pk_json_b64(&user, "id", handle, sizeof(handle))))
		goto out;
	/* The name the authenticator shows is the one the citizen signs in
	 * with; the handle carries no ID number. */
	r = EID_ENOMEM;
	if (json_object_set_new(user, "name", json_string(fs->ses.personal_id)) ||
	    json_object_set_new(user, "displayName",
				json_string(fs->ses.personal_id)) ||
	    json_object_set_new(o, "user", user))
		goto out;
	user = NULL;
	if (json_object_set_new(o, "rp", json_pack("{s:s, s:s}", "id", rp.rp_id,
						   "name", "eid")) ||
	    json_object_set_new(o, "pubKeyCredParams", cred_params()) ||
	    json_object_set_new(o, "timeout",
				json_integer(EID_PASSKEY_CHALLENGE_TTL * 1000)) ||
	    json_object_set_new(o, "attestation", json_string("none")) ||
	    json_object_set_new(o, "authenticatorSelection",
				json_pack("{s:s, s:b, s:s}", "residentKey",
					  "preferred", "requireResidentKey", 0,
					  "userVerification", "required")) ||
	    json_object_set_new(o, "excludeCredentials", ex))
		goto out;
	ex = NULL;
	*ret = o;
	o = NULL;
	r = EID_OK;
out:
	json_decref(o);
	json_decref(user);
	json_decref(ex);
	eid_wipe(ch, sizeof(ch));
	return r;
}

int eid_api_account_passkey_options(struct eid_http_request *req,
				    struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	json_t *o = NULL;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (!done && (r = creation_options(app, &fs, &o)) == EID_OK)
		r = eid_http_reply_json(res, 200, o);
	json_decref(o);
	eid_wipe(&fs, sizeof(fs));
	return r;
}

/* Verify and store the posted registration. */
static int add(struct eid_app *app, struct eid_http_request *req,
	       const struct eid_flow_session *fs)
{
	struct eid_pk_field f[2] = {
		{ "clientDataJSON", EID_WA_CLIENT_DATA_MAX },
		{ "attestationObject", EID_WA_ATT_OBJ_MAX },
	};
	struct eid_wa_expect x = { NULL, NULL, NULL, 32, true };
	struct eid_wa_credential c;
	struct eid_passkey_rp rp;
	const char *name = NULL, *transports = NULL;
	uint8_t ch[32];
	eid_txn *t = NULL;
	int r;

	eid_pk_fields_init(f, 2);
	if ((r = eid_passkey_challenge_take(app->store, "create", fs->ses.sid,
					    ch)) ||
	    (r = eid_pk_fields_read(req, f, 2)) ||
	    (r = eid_passkey_rp(app->cfg, &rp)))
		goto out;
	x.rp_id = rp.rp_id;
	x.origin = rp.origin;
	x.challenge = ch;
	if ((r = eid_wa_register(&x, f[0].b.data, f[0].b.len, f[1].b.data,
				 f[1].b.len, &c)))
		goto out;
	(void)eid_http_form_param(req, "name", &name);
	(void)eid_http_form_param(req, "transports", &transports);
	if ((r = eid_store_begin(app->store, true, &t)))
		goto out;
	r = eid_passkey_add(t, fs->ses.personal_id, &c, name, transports,
			    eid_http_remote(req),
			    (int64_t)eid_store_now(app->store), NULL);
	r = eid_txn_finish(t, r);
out:
	eid_wipe(ch, sizeof(ch));
	eid_pk_fields_free(f, 2);
	return r;
}

int eid_page_account_passkey_add(struct eid_http_request *req,
				 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	switch ((r = add(app, req, &fs))) {
	case EID_OK:
		r = eid_account_reply(app, req, res, &fs, "notice",
					   "Passkey added.",
					   "Đã thêm khóa truy cập.");
		break;
	case EID_EEXIST:
		r = eid_account_reply(app, req, res, &fs, "error",
					   "This passkey is registered already.",
					   "Khóa truy cập này đã được đăng ký.");
		break;
	case EID_EFULL:
		r = eid_account_reply(app, req, res, &fs, "error",
					   "You have as many passkeys as allowed. Remove one first.",
					   "Bạn đã có số khóa truy cập tối đa. Hãy xóa bớt một khóa.");
		break;
	case EID_ENOMEM:
	case EID_ESTORE:
	case EID_EINTERNAL:
		break;
	default:
		r = eid_account_reply(app, req, res, &fs, "error",
					   "The passkey could not be registered. Try again.",
					   "Không đăng ký được khóa truy cập. Vui lòng thử lại.");
	}
out:
	eid_wipe(&fs, sizeof(fs));
	return r;
}

int eid_page_account_passkey_remove(struct eid_http_request *req,
				    struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_flow_session fs;
	char actor[32];
	const char *id = NULL;
	eid_txn *t = NULL;
	bool done;
	int r = eid_account_citizen(app, req, res, &fs, &done);

	if (done)
		goto out;
	if (eid_http_form_param(req, "id", &id) != EID_OK)
		id = "";
	snprintf(actor, sizeof(actor), "citizen:%s", fs.ses.personal_id);
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		goto out;
	r = eid_passkey_remove(t, fs.ses.personal_id, id, actor,
			       eid_http_remote(req),
			       (int64_t)eid_store_now(app->store));
	r = eid_txn_finish(t, r);
	if (r == EID_OK || r == EID_ENOTFOUND)
		r = eid_account_reply(app, req, res, &fs, "notice",
					   "Passkey removed.",
					   "Đã xóa khóa truy cập.");
out:
	eid_wipe(&fs, sizeof(fs));
	return r;
}
