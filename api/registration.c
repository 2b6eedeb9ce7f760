/* POST /api/v1/registrations and /api/v1/registrations/{id}/confirm. */
#include <stdio.h>
#include <string.h>

#include "api/selfservice.h"
#include "crypto/error.h"
#include "crypto/secret.h"

#define WHY_MAX 512
#define DESC_MAX 300

void eid_ss_registration_ctx(const struct eid_app *app,
			     struct eid_registration_ctx *ret)
{
	*ret = (struct eid_registration_ctx){
		.store = app->store,
		.registry = &app->registry,
		.notify = &app->notify,
		.policy = &app->policy,
		.per_address_max = app->cfg->registration.per_address_max,
		.per_id_max = app->cfg->registration.per_id_max,
		.window = app->cfg->registration.window,
	};
}

int eid_ss_error(struct eid_http_response *res, unsigned status,
		 const char *error, const char *description,
		 uint64_t retry_after)
{
	char desc[DESC_MAX];
	size_t i = 0;
	int r;

	for (; description != NULL && description[i] && i < DESC_MAX - 1; i++) {
		char c = description[i];

		desc[i] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? '?' :
									   c;
	}
	desc[i] = '\0';
	r = eid_http_reply_oauth_error(res, status, error,
				       description != NULL ? desc : NULL);
	if (r == EID_OK && retry_after > 0) {
		char v[24];

		(void)snprintf(v, sizeof(v), "%llu",
			       (unsigned long long)retry_after);
		r = eid_http_set_header(res, "Retry-After", v);
	}
	return r;
}

int eid_ss_registry_unavailable(struct eid_http_response *res)
{
	return eid_ss_error(res, 503, "registry_unavailable",
			    "the population registry cannot be reached; "
			    "nothing was changed, try again later", 60);
}

json_t *eid_ss_json_body(struct eid_http_request *req,
			 struct eid_http_response *res)
{
	size_t n = 0;
	const void *p = eid_http_body(req, &n);
	json_t *o = p != NULL ? json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL) :
				NULL;

	if (json_is_object(o))
		return o;
	json_decref(o);
	(void)eid_ss_error(res, 400, "invalid_request",
			   "the body must be a JSON object", 0);
	return NULL;
}

int eid_ss_path_id(const char *path, const char *prefix, const char *action,
		   char *out, size_t cap)
{
	size_t pl = strlen(prefix), n = 0;
	const char *p;

	if (strncmp(path, prefix, pl) != 0 || path[pl] != '/')
		return EID_ENOTFOUND;
	p = path + pl + 1;
	while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') ||
	       (p[n] >= '0' && p[n] <= '9') || p[n] == '-' || p[n] == '_')
		n++;
	if (n == 0 || n >= cap || p[n] != '/' || strcmp(p + n + 1, action) != 0)
		return EID_ENOTFOUND;
	memcpy(out, p, n);
	out[n] = '\0';
	return EID_OK;
}

/* The refusals of registration's first step. */
static int start_error(struct eid_http_response *res, int r,
		       const eid_buf *why, uint64_t retry_after)
{
	const char *w = why->len > 0 ? (const char *)why->data : NULL;

	switch (r) {
	case EID_EMALFORMED:
	case EID_ETOOBIG:
		return eid_ss_error(res, 400, "invalid_request", w, 0);
	case EID_EMISMATCH:
		return eid_ss_error(res, 400, "registration_rejected",
				    "the details do not match the population "
				    "registry, or an account exists already",
				    0);
	case EID_EPERM:
		return eid_ss_error(res, 403, "guardian_required", w, 0);
	case EID_ELIMIT:
		return eid_ss_error(res, 429, "slow_down",
				    "too many attempts, try again later",
				    retry_after ? retry_after : 60);
	case EID_ENETWORK:
		return eid_ss_registry_unavailable(res);
	default:
		return r;
	}
}

int eid_api_registration_start(struct eid_http_request *req,
			       struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_registration_ctx ctx;
	struct eid_registration_input in;
	struct eid_registration_result out = { 0 };
	size_t n = 0;
	const char *body = eid_http_body(req, &n);
	int64_t now = (int64_t)eid_store_now(app->store);
	char uri[128];
	json_t *o;
	eid_buf why;
	int r;

	eid_ss_registration_ctx(app, &ctx);
	eid_registration_input_init(&in);
	eid_buf_init(&why, WHY_MAX);
	r = eid_registration_input_from_json(body, n, &in, &why);
	if (r == EID_OK)
		r = eid_registration_start(&ctx, &in, eid_http_remote(req), now,
					   &out, &why);
	if (r != EID_OK) {
		(void)eid_buf_cstr(&why); /* the reason as a C string */
		r = start_error(res, r, &why, out.retry_after);
		goto out;
	}
	(void)snprintf(uri, sizeof(uri), EID_PATH_REGISTRATIONS "/%s/confirm",
		       out.id);
	o = json_pack("{s:s, s:I, s:I, s:s}", "registration_id", out.id,
		      "expires_in", (json_int_t)(out.expires_at - now),
		      "code_expires_in", (json_int_t)300, "confirm_uri", uri);
	r = o != NULL ? eid_http_reply_json(res, 202, o) : EID_ENOMEM;
	json_decref(o);
out:
	eid_registration_input_free(&in);
	eid_buf_free(&why);
	return r;
}

int eid_ss_code_error(struct eid_http_response *res, int r,
		      const eid_buf *why)
{
	switch (r) {
	case EID_ENOTFOUND:
		return eid_ss_error(res, 404, "not_found",
				    "unknown or expired request, start again", 0);
	case EID_EINVAL:
		return eid_ss_error(res, 400, "invalid_password",
				    why->len ? (const char *)why->data : NULL, 0);
	case EID_EAUTH:
		return eid_ss_error(res, 400, "invalid_code",
				    "the code is wrong", 0);
	case EID_EEXPIRED:
		return eid_ss_error(res, 400, "expired_code",
				    "the code has expired", 0);
	case EID_EREPLAY:
		return eid_ss_error(res, 400, "used_code",
				    "the code was used already", 0);
	case EID_ELIMIT:
		return eid_ss_error(res, 429, "too_many_attempts",
				    "too many wrong codes, start again", 60);
	case EID_EMISMATCH:
		return eid_ss_error(res, 400, "registration_rejected",
				    "the account cannot be created", 0);
	case EID_ENETWORK:
		return eid_ss_registry_unavailable(res);
	default:
		return r;
	}
}

int eid_ss_code_password(const json_t *o, const char **ret_code,
			 const char **ret_password)
{
	*ret_code = json_string_value(json_object_get(o, "code"));
	*ret_password = json_string_value(json_object_get(o, "password"));
	if (*ret_code == NULL || *ret_password == NULL ||
	    strlen(*ret_password) != json_string_length(
					     json_object_get(o, "password")))
		return EID_EMALFORMED;
	return EID_OK;
}

int eid_api_registration_confirm(struct eid_http_request *req,
				 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_registration_ctx ctx;
	char id[EID_REGISTRATION_ID_LEN + 1], pid[EID_PERSONAL_ID_LEN + 1];
	const char *code, *pw;
	json_t *o = NULL, *reply;
	eid_buf why;
	int r;

	eid_buf_init(&why, WHY_MAX);
	if (eid_ss_code_request(req, res, EID_PATH_REGISTRATIONS, id,
				sizeof(id), &o, &code, &pw) != EID_OK) {
		r = EID_OK;
		goto out;
	}
	eid_ss_registration_ctx(app, &ctx);
	r = eid_registration_confirm(&ctx, id, code, pw, eid_http_remote(req),
				     (int64_t)eid_store_now(app->store), pid,
				     &why);
	if (r != EID_OK) {
		(void)eid_buf_cstr(&why); /* the reason as a C string */
		r = eid_ss_code_error(res, r, &why);
		goto out;
	}
	reply = json_pack("{s:s, s:i, s:s}", "personal_id", pid, "level", 1,
			  "status", "active");
	r = reply != NULL ? eid_http_reply_json(res, 201, reply) : EID_ENOMEM;
	json_decref(reply);
out:
	eid_ss_wipe_password(o);
	json_decref(o);
	eid_buf_free(&why);
	return r;
}

void eid_ss_wipe_password(json_t *o)
{
	json_t *pw = json_object_get(o, "password");

	if (json_is_string(pw))
		eid_wipe((void *)json_string_value(pw), json_string_length(pw));
}

int eid_ss_code_request(struct eid_http_request *req,
			struct eid_http_response *res, const char *prefix,
			char *id, size_t cap, json_t **ret_body,
			const char **ret_code, const char **ret_password)
{
	json_t *o;

	*ret_body = NULL;
	if (eid_ss_path_id(eid_http_path(req), prefix, "confirm", id, cap) !=
	    EID_OK) {
		(void)eid_ss_error(res, 404, "not_found", NULL, 0);
		return 1;
	}
	if ((o = eid_ss_json_body(req, res)) == NULL)
		return 1;
	*ret_body = o;
	if (eid_ss_code_password(o, ret_code, ret_password) != EID_OK) {
		(void)eid_ss_error(res, 400, "invalid_request",
				   "code and password are required", 0);
		return 1;
	}
	return EID_OK;
}
