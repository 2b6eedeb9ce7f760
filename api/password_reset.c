/* POST /api/v1/password-resets and /api/v1/password-resets/{id}/confirm. */
#include <string.h>

#include "api/selfservice.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/password_reset.h"

#define WHY_MAX 512

int eid_api_password_reset_start(struct eid_http_request *req,
				 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_registration_ctx ctx;
	struct eid_registration_result out = { 0 };
	int64_t now = (int64_t)eid_store_now(app->store);
	const char *pid, *phone;
	json_t *o = eid_ss_json_body(req, res), *reply;
	eid_buf why;
	int r;

	if (o == NULL)
		return EID_OK;
	eid_buf_init(&why, WHY_MAX);
	pid = json_string_value(json_object_get(o, "personal_id"));
	phone = json_string_value(json_object_get(o, "phone"));
	eid_ss_registration_ctx(app, &ctx);
	r = pid != NULL && phone != NULL ?
		    eid_password_reset_start(&ctx, pid, phone,
					     eid_http_remote(req), now, &out,
					     &why) :
		    EID_EMALFORMED;
	if (r == EID_EMALFORMED)
		r = eid_ss_error(res, 400, "invalid_request",
				 "personal_id and phone are required", 0);
	else if (r == EID_ELIMIT)
		r = eid_ss_error(res, 429, "slow_down",
				 "too many attempts, try again later",
				 out.retry_after ? out.retry_after : 60);
	else if (r == EID_OK) {
		reply = json_pack("{s:s, s:I}", "reset_id", out.id, "expires_in",
				  (json_int_t)(out.expires_at - now));
		r = reply != NULL ? eid_http_reply_json(res, 202, reply) :
				    EID_ENOMEM;
		json_decref(reply);
	}
	json_decref(o);
	eid_buf_free(&why);
	return r;
}

int eid_api_password_reset_confirm(struct eid_http_request *req,
				   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_registration_ctx ctx;
	char id[EID_RESET_ID_LEN + 1];
	const char *code, *pw;
	json_t *o = NULL, *reply;
	eid_buf why;
	int r;

	eid_buf_init(&why, WHY_MAX);
	if (eid_ss_code_request(req, res, EID_PATH_PASSWORD_RESETS, id,
				sizeof(id), &o, &code, &pw) != EID_OK) {
		r = EID_OK;
		goto out;
	}
	eid_ss_registration_ctx(app, &ctx);
	r = eid_password_reset_confirm(&ctx, id, code, pw, eid_http_remote(req),
				       (int64_t)eid_store_now(app->store), &why);
	if (r != EID_OK) {
		(void)eid_buf_cstr(&why); /* the reason as a C string */
		r = eid_ss_code_error(res, r, &why);
		goto out;
	}
	reply = json_pack("{s:s}", "status", "password_changed");
	r = reply != NULL ? eid_http_reply_json(res, 200, reply) : EID_ENOMEM;
	json_decref(reply);
out:
	eid_ss_wipe_password(o);
	json_decref(o);
	eid_buf_free(&why);
	return r;
}
