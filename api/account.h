/* What the citizen's account page files share (account_page.c,
 * account_credentials.c, account_password.c, account_minor.c). */
#ifndef EID_API_ACCOUNT_H
#define EID_API_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "api/console.h"
#include "api/flow.h"

/* The signed-in citizen; otherwise the answer is sent (401 page, or 403
 * for a POST without the session's CSRF token) and *ret_done set. */
int eid_account_citizen(struct eid_app *app, struct eid_http_request *req,
			struct eid_http_response *res,
			struct eid_flow_session *fs, bool *ret_done);

/* The account page, with a notice (cls "notice" or "error"; en NULL:
 * none) at the top. */
int eid_account_reply(struct eid_app *app, struct eid_http_request *req,
		      struct eid_http_response *res,
		      const struct eid_flow_session *fs, const char *cls,
		      const char *notice_en, const char *notice_vi);

/* The same with the HTTP status and a detail line (may be NULL) after
 * the notice. */
int eid_account_reply_status(struct eid_app *app,
			     struct eid_http_request *req,
			     struct eid_http_response *res,
			     const struct eid_flow_session *fs, unsigned status,
			     const char *cls, const char *notice_en,
			     const char *notice_vi, const char *detail);

/* The children the registry puts in the citizen's care (nothing when
 * none), from api/account_minor.c. */
int eid_account_wards_section(struct eid_app *app, struct eid_page *p,
			      const struct eid_flow_session *fs);
/* A time as "YYYY-MM-DD HH:MM UTC". */
void eid_account_when(uint64_t t, char out[32]);

/* The page's "Two-step sign-in" and "Change password" sections. */
void eid_account_credentials_section(struct eid_app *app, struct eid_page *p,
				     const struct eid_flow_session *fs);

#endif
