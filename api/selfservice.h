/* Citizen self-service: registration (JSON API and pages) and credential
 * self-service.  Handlers for the route table; helpers they share. */
#ifndef EID_API_SELFSERVICE_H
#define EID_API_SELFSERVICE_H

#include "api/app.h"
#include "crypto/buf.h"
#include "idp/registration.h"

#define EID_PATH_REGISTRATIONS "/api/v1/registrations"
#define EID_PATH_PASSWORD_RESETS "/api/v1/password-resets"
#define EID_PATH_REGISTER_PAGE "/register"
#define EID_PATH_REGISTER_CONFIRM_PAGE "/register/confirm"

int eid_api_registration_start(struct eid_http_request *req,
			       struct eid_http_response *res, void *app);
/* POST /api/v1/registrations/{id}/confirm */
int eid_api_registration_confirm(struct eid_http_request *req,
				 struct eid_http_response *res, void *app);

int eid_page_register(struct eid_http_request *req,
		      struct eid_http_response *res, void *app);
int eid_page_register_confirm(struct eid_http_request *req,
			      struct eid_http_response *res, void *app);

int eid_api_password_reset_start(struct eid_http_request *req,
				 struct eid_http_response *res, void *app);
int eid_api_password_reset_confirm(struct eid_http_request *req,
				   struct eid_http_response *res, void *app);

/* ---- shared by the handlers ---- */

/* The registration context of the app. */
void eid_ss_registration_ctx(const struct eid_app *app,
			     struct eid_registration_ctx *ret);
/* An OAuth-shaped JSON error; description may hold anything (bytes
 * outside RFC 6749's NQSCHAR become '?').  retry_after > 0 adds the
 * header. */
int eid_ss_error(struct eid_http_response *res, unsigned status,
		 const char *error, const char *description,
		 uint64_t retry_after);
/* 503 registry_unavailable, Retry-After 60: the registry (a remote
 * service) did not answer, so nothing was done. */
int eid_ss_registry_unavailable(struct eid_http_response *res);
/* The JSON object body of a request; NULL (after replying 400) when it is
 * not one. */
json_t *eid_ss_json_body(struct eid_http_request *req,
			 struct eid_http_response *res);
/* "{prefix}/{id}/{action}": the id (at most cap-1 bytes of [A-Za-z0-9_-])
 * into out; EID_ENOTFOUND otherwise. */
int eid_ss_path_id(const char *path, const char *prefix, const char *action,
		   char *out, size_t cap);

/* The refusals of a code-and-password step (registration, reset). */
int eid_ss_code_error(struct eid_http_response *res, int r,
		      const eid_buf *why);
/* The code and password members of a JSON body, borrowed from o;
 * EID_EMALFORMED when either is missing or the password holds a NUL. */
int eid_ss_code_password(const json_t *o, const char **ret_code,
			 const char **ret_password);
/* The first steps of a POST {prefix}/{id}/confirm with a JSON body of
 * code and password: EID_OK, or 1 after replying 404 or 400 (*ret_body,
 * when not NULL, is the caller's to free either way). */
int eid_ss_code_request(struct eid_http_request *req,
			struct eid_http_response *res, const char *prefix,
			char *id, size_t cap, json_t **ret_body,
			const char **ret_code, const char **ret_password);
/* Wipe the "password" member of a request body (NULL is fine). */
void eid_ss_wipe_password(json_t *o);

#endif
