/* Authorization requests (OAuth 2.0 section 4.1.1, OIDC Core 3.1.2.1,
 * RFC 7636, RFC 9126, RFC 9449 section 10): every parameter checked, with
 * the OAuth error to answer and whether that error may be sent to the
 * redirect URI.
 *
 * The parameters come through a lookup callback, so the same rules apply
 * to a query string, a form body (/authorize) and the JSON object of a
 * pushed request (/par).  The client has been looked up by the caller
 * from the client_id parameter (NULL when there is none of that id).
 *
 * Errors about the client or the redirect URI are never redirectable: the
 * caller shows an error page instead, so a forged request cannot turn the
 * server into an open redirector (RFC 6749 section 4.1.2.1).  Everything
 * after them is. */
#ifndef EID_AUTHZ_REQUEST_H
#define EID_AUTHZ_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/clients.h"

/* Caps, in bytes. */
#define EID_AUTHZ_STATE_MAX 512
#define EID_AUTHZ_NONCE_MAX 512
#define EID_AUTHZ_SCOPE_MAX 512
#define EID_AUTHZ_LOGIN_HINT_MAX 256
#define EID_AUTHZ_UI_LOCALES_MAX 64
#define EID_AUTHZ_ACR_VALUES_MAX 256
#define EID_AUTHZ_PROMPT_MAX 64
#define EID_AUTHZ_MAX_AGE_MAX INT64_C(31536000) /* a year */
#define EID_AUTHZ_CLAIMS_MAX 4096               /* the JSON text */
#define EID_AUTHZ_CLAIMS_NAMES_MAX 32           /* claims per member */
#define EID_AUTHZ_CLAIM_NAME_MAX 64
#define EID_AUTHZ_CLAIM_VALUES_MAX 16           /* "values" entries */
#define EID_AUTHZ_CLAIM_VALUE_MAX 256           /* a value's text */
#define EID_AUTHZ_DPOP_JKT_LEN 43               /* base64url SHA-256 */
#define EID_AUTHZ_PARAM_MAX 4096                /* any other value */

/* The assurance levels and their acr values. */
#define EID_ACR_LOA1 "urn:eid:loa:1"
#define EID_ACR_LOA2 "urn:eid:loa:2"

/* Bits of eid_authz_request.prompt. */
enum {
	EID_PROMPT_NONE = 1u << 0,
	EID_PROMPT_LOGIN = 1u << 1,
	EID_PROMPT_CONSENT = 1u << 2,
	EID_PROMPT_SELECT_ACCOUNT = 1u << 3,
};

/* Look up one parameter: EID_OK with *ret_value (borrowed until the
 * parse returns), EID_ENOTFOUND when absent, EID_EINVAL when it is
 * repeated or not a string. */
typedef int (*eid_authz_param_fn)(void *arg, const char *name,
				  const char **ret_value);

/* A checked request.  Strings are owned (eid_authz_request_clear); an
 * optional one is NULL when absent. */
struct eid_authz_request {
	char *client_id;
	char *redirect_uri;
	char *scope;          /* the scopes kept, in canonical order */
	unsigned scopes;      /* EID_SCOPE_* bits of scope */
	char *state;
	char *nonce;
	char *code_challenge; /* S256 */
	unsigned prompt;      /* EID_PROMPT_* */
	int64_t max_age;      /* seconds; -1: none */
	char *login_hint;
	int acr_level;        /* the lowest level the RP accepts; 0: any */
	char *ui_locales;
	json_t *claims;       /* the OIDC claims request (object) */
	char *dpop_jkt;       /* RFC 9449 section 10 */
	bool par;             /* it came through /par */
	/* The device authorization grant (RFC 8628): the normalised user
	 * code this interaction approves or denies; NULL for the code flow.
	 * Such a request has no redirect_uri, state or code_challenge. */
	char *user_code;
};

void eid_authz_request_clear(struct eid_authz_request *r);

/* Why a request was refused: static strings, the description in RFC 6749
 * NQSCHAR. */
struct eid_authz_error {
	const char *error;       /* "invalid_request", "invalid_scope", ... */
	const char *description;
	bool redirectable;       /* may go to redirect_uri with state */
	const char *state;       /* the state to send back (borrowed from the
				  * lookup), NULL when absent or not usable */
	const char *redirect_uri; /* where, when redirectable (borrowed) */
};

/* Check a request for client c (NULL: no client of that id).  par tells
 * that the parameters are those of a pushed request (then request_uri
 * must not be among them); a client that requires PAR is refused
 * otherwise.  EID_OK with ret filled, EID_EINVAL with ret_err filled,
 * EID_ENOMEM. */
int eid_authz_request_parse(const struct eid_client *c, bool par,
			    eid_authz_param_fn get, void *arg,
			    struct eid_authz_request *ret,
			    struct eid_authz_error *ret_err);

/* The parameters of a device authorization request (RFC 8628 3.1) for
 * client c, already authenticated and allowed the grant: scope (openid
 * required, within the client's) and acr_values, by the rules above.
 * ret gets client_id, scope, scopes and acr_level; EID_EINVAL with
 * ret_err filled (never redirectable). */
int eid_authz_device_request_parse(const struct eid_client *c,
				   eid_authz_param_fn get, void *arg,
				   struct eid_authz_request *ret,
				   struct eid_authz_error *ret_err);

/* A lookup over a JSON object of string members (a pushed request). */
int eid_authz_param_json(void *obj, const char *name, const char **ret_value);

/* The authorization parameters of a request that eid_authz_request_parse
 * has accepted, copied into a new JSON object of strings (what /par
 * stores and /authorize parses again).  Parameters this server does not
 * know are left out (RFC 6749 3.1: ignored).  EID_EINVAL when one is
 * repeated, EID_ENOMEM. */
int eid_authz_params_collect(eid_authz_param_fn get, void *arg,
			     json_t **ret_params);

/* The request as JSON (to keep during the interaction) and back. */
int eid_authz_request_to_json(const struct eid_authz_request *r,
			      json_t **ret_json);
int eid_authz_request_from_json(const json_t *j,
				struct eid_authz_request *ret);

/* The level (1 or 2) of the acr value v (n bytes); 0 when not ours. */
int eid_acr_level_of(const char *v, size_t n);
/* "urn:eid:loa:N" for level 1 or 2; NULL otherwise. */
const char *eid_acr_for_level(int level);

#endif
