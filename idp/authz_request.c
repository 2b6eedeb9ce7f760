#include "idp/authz_request.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/buf.h"
#include "crypto/error.h"
#include "idp/pkce.h"

void eid_authz_request_clear(struct eid_authz_request *r)
{
	if (r == NULL)
		return;
	free(r->client_id);
	free(r->redirect_uri);
	free(r->scope);
	free(r->state);
	free(r->nonce);
	free(r->code_challenge);
	free(r->login_hint);
	free(r->ui_locales);
	free(r->dpop_jkt);
	free(r->user_code);
	json_decref(r->claims);
	memset(r, 0, sizeof(*r));
	r->max_age = -1;
}

const char *eid_acr_for_level(int level)
{
	return level == 1 ? EID_ACR_LOA1 : level == 2 ? EID_ACR_LOA2 : NULL;
}

int eid_authz_param_json(void *obj, const char *name, const char **ret_value)
{
	json_t *v = json_object_get((json_t *)obj, name);

	if (v == NULL)
		return EID_ENOTFOUND;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return EID_EINVAL;
	*ret_value = json_string_value(v);
	return EID_OK;
}

/* ---- the parse, one rule at a time ---- */

struct parse {
	eid_authz_param_fn get;
	void *arg;
	struct eid_authz_request *req;
	struct eid_authz_error *err;
};

static int refuse(struct parse *p, const char *error, const char *why)
{
	p->err->error = error;
	p->err->description = why;
	return EID_EINVAL;
}

/* RFC 6749 VSCHAR: printable ASCII, space included. */
static bool vschar(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* Fetch an optional parameter of at most max bytes.  *ret NULL when
 * absent. */
static int param(struct parse *p, const char *name, size_t max,
		 const char **ret, const char *why_repeated,
		 const char *why_long)
{
	const char *v = NULL;
	int r = p->get(p->arg, name, &v);

	*ret = NULL;
	if (r == EID_ENOTFOUND)
		return EID_OK;
	if (r != EID_OK)
		return refuse(p, "invalid_request", why_repeated);
	if (strnlen(v, max + 1) > max)
		return refuse(p, "invalid_request", why_long);
	*ret = v;
	return EID_OK;
}

static int dup_opt(const char *v, char **ret)
{
	if (v == NULL)
		return EID_OK;
	return (*ret = strdup(v)) == NULL ? EID_ENOMEM : EID_OK;
}

/* client_id and redirect_uri: whatever goes wrong here is shown on a
 * page, never sent to a URI we could not trust. */
static int check_client(struct parse *p, const struct eid_client *c)
{
	const char *id, *uri;
	int r;

	if ((r = param(p, "client_id", EID_CLIENT_ID_MAX, &id,
		       "client_id is repeated", "unknown client")) != EID_OK)
		return r;
	if (id == NULL)
		return refuse(p, "invalid_request", "client_id is missing");
	if (c == NULL || strcmp(c->client_id, id) != 0 ||
	    c->status != EID_CLIENT_ACTIVE)
		return refuse(p, "invalid_client", "unknown client");
	if ((r = param(p, "redirect_uri", EID_CLIENT_URI_MAX, &uri,
		       "redirect_uri is repeated",
		       "redirect_uri is not registered")) != EID_OK)
		return r;
	if (uri == NULL)
		return refuse(p, "invalid_request", "redirect_uri is missing");
	if (!eid_client_redirect_allowed(c, uri))
		return refuse(p, "invalid_request",
			      "redirect_uri is not registered");
	p->err->redirect_uri = uri;
	if ((r = dup_opt(id, &p->req->client_id)) != EID_OK ||
	    (r = dup_opt(uri, &p->req->redirect_uri)) != EID_OK)
		return r;
	return EID_OK;
}

/* The state to echo even in an error, when it is well formed. */
static void find_state(struct parse *p)
{
	const char *v = NULL;

	if (p->get(p->arg, "state", &v) == EID_OK &&
	    strnlen(v, EID_AUTHZ_STATE_MAX + 1) <= EID_AUTHZ_STATE_MAX &&
	    vschar(v))
		p->err->state = v;
}

static int check_flow(struct parse *p, const struct eid_client *c, bool par)
{
	const char *v;
	int r;

	if ((r = param(p, "request", EID_AUTHZ_PARAM_MAX, &v,
		       "request is repeated", "request is too long")) != EID_OK)
		return r;
	if (v != NULL)
		return refuse(p, "request_not_supported",
			      "request objects are not supported: use /par");
	if ((r = param(p, "request_uri", EID_AUTHZ_PARAM_MAX, &v,
		       "request_uri is repeated",
		       "request_uri is too long")) != EID_OK)
		return r;
	if (v != NULL)
		return refuse(p, "invalid_request",
			      par ? "request_uri is not allowed in a pushed request"
			          : "request_uri is not one of ours");
	if (c->require_par && !par)
		return refuse(p, "invalid_request",
			      "this client must use pushed authorization requests");
	if (!(c->grant_types & EID_GRANT_AUTHORIZATION_CODE))
		return refuse(p, "unauthorized_client",
			      "the client may not use the authorization code grant");
	if ((r = param(p, "response_type", 64, &v, "response_type is repeated",
		       "response_type is not supported")) != EID_OK)
		return r;
	if (v == NULL)
		return refuse(p, "invalid_request", "response_type is missing");
	if (strcmp(v, "code") != 0)
		return refuse(p, "unsupported_response_type",
			      "only response_type=code is supported");
	if ((r = param(p, "response_mode", 64, &v, "response_mode is repeated",
		       "response_mode is not supported")) != EID_OK)
		return r;
	if (v != NULL && strcmp(v, "query") != 0)
		return refuse(p, "invalid_request",
			      "only response_mode=query is supported");
	return EID_OK;
}

/* Split s on single spaces: calls fn for every non-empty token. */
typedef int (*token_fn)(struct parse *p, const char *tok, size_t n,
			void *acc);

static int each_token(struct parse *p, const char *s, token_fn fn, void *acc)
{
	int r;

	while (*s != '\0') {
		size_t n = strcspn(s, " ");
		if (n > 0 && (r = fn(p, s, n, acc)) != EID_OK)
			return r;
		s += n;
		while (*s == ' ')
			s++;
	}
	return EID_OK;
}

static int scope_token(struct parse *p, const char *tok, size_t n, void *acc)
{
	unsigned bit;

	if (eid_client_scope_from_name(tok, n, &bit) != EID_OK)
		return refuse(p, "invalid_scope", "scope holds an unknown value");
	*(unsigned *)acc |= bit;
	return EID_OK;
}

static int scope_string(unsigned bits, char **ret)
{
	eid_buf b;
	int r = EID_OK;

	eid_buf_init(&b, EID_AUTHZ_SCOPE_MAX + 1);
	for (unsigned bit = 1; bit != 0 && r == EID_OK; bit <<= 1) {
		if (!(bits & bit))
			continue;
		if (b.len > 0)
			r = eid_buf_put_u8(&b, ' ');
		if (r == EID_OK)
			r = eid_buf_put_str(&b, eid_client_scope_name(bit));
	}
	if (r == EID_OK)
		r = eid_buf_put_u8(&b, '\0');
	if (r == EID_OK)
		r = (*ret = strdup((const char *)b.data)) ? EID_OK : EID_ENOMEM;
	eid_buf_free(&b);
	return r;
}

static int check_scope(struct parse *p, const struct eid_client *c)
{
	const char *v;
	unsigned bits = 0;
	int r;

	if ((r = param(p, "scope", EID_AUTHZ_SCOPE_MAX, &v,
		       "scope is repeated", "scope is too long")) != EID_OK)
		return r;
	if (v == NULL || !vschar(v))
		return refuse(p, "invalid_scope", "scope is missing");
	if ((r = each_token(p, v, scope_token, &bits)) != EID_OK)
		return r;
	if (!(bits & EID_SCOPE_OPENID))
		return refuse(p, "invalid_scope", "scope must include openid");
	if ((bits & ~c->scopes) != 0)
		return refuse(p, "invalid_scope",
			      "scope asks for more than the client may");
	/* OIDC Core 11: offline access only for a client that can refresh. */
	if (!(c->grant_types & EID_GRANT_REFRESH_TOKEN))
		bits &= ~(unsigned)EID_SCOPE_OFFLINE_ACCESS;
	p->req->scopes = bits;
	return scope_string(bits, &p->req->scope);
}

/* state, nonce, login_hint, ui_locales: capped text, echoed or shown. */
static int check_texts(struct parse *p)
{
	static const struct {
		const char *name;
		size_t max;
		size_t off;
		const char *repeated, *bad;
	} texts[] = {
		{ "state", EID_AUTHZ_STATE_MAX,
		  offsetof(struct eid_authz_request, state),
		  "state is repeated", "state is too long or not printable" },
		{ "nonce", EID_AUTHZ_NONCE_MAX,
		  offsetof(struct eid_authz_request, nonce),
		  "nonce is repeated", "nonce is too long or not printable" },
		{ "login_hint", EID_AUTHZ_LOGIN_HINT_MAX,
		  offsetof(struct eid_authz_request, login_hint),
		  "login_hint is repeated",
		  "login_hint is too long or not printable" },
		{ "ui_locales", EID_AUTHZ_UI_LOCALES_MAX,
		  offsetof(struct eid_authz_request, ui_locales),
		  "ui_locales is repeated",
		  "ui_locales is too long or not printable" },
	};
	int r;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *v;
		char **dst = (char **)((char *)p->req + texts[i].off);
		if ((r = param(p, texts[i].name, texts[i].max, &v,
			       texts[i].repeated, texts[i].bad)) != EID_OK)
			return r;
		if (v != NULL && !vschar(v))
			return refuse(p, "invalid_request", texts[i].bad);
		if ((r = dup_opt(v, dst)) != EID_OK)
			return r;
	}
	return EID_OK;
}

static int check_pkce(struct parse *p)
{
	const char *ch, *m;
	int r;

	if ((r = param(p, "code_challenge", 128, &ch,
		       "code_challenge is repeated",
		       "code_challenge is malformed")) != EID_OK ||
	    (r = param(p, "code_challenge_method", 16, &m,
		       "code_challenge_method is repeated",
		       "code_challenge_method must be S256")) != EID_OK)
		return r;
	if (ch == NULL)
		return refuse(p, "invalid_request",
			      "code_challenge is required (PKCE S256)");
	if (m == NULL)
		return refuse(p, "invalid_request",
			      "code_challenge_method is required (S256)");
	if (eid_pkce_method_check(m) != EID_OK)
		return refuse(p, "invalid_request",
			      "code_challenge_method must be S256");
	if (eid_pkce_challenge_check(ch) != EID_OK)
		return refuse(p, "invalid_request", "code_challenge is malformed");
	return dup_opt(ch, &p->req->code_challenge);
}

static int prompt_token(struct parse *p, const char *tok, size_t n, void *acc)
{
	static const struct {
		const char *name;
		unsigned bit;
	} values[] = {
		{ "none", EID_PROMPT_NONE },
		{ "login", EID_PROMPT_LOGIN },
		{ "consent", EID_PROMPT_CONSENT },
		{ "select_account", EID_PROMPT_SELECT_ACCOUNT },
	};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		if (strlen(values[i].name) == n &&
		    memcmp(values[i].name, tok, n) == 0) {
			*(unsigned *)acc |= values[i].bit;
			return EID_OK;
		}
	}
	return refuse(p, "invalid_request", "prompt holds an unknown value");
}

static int check_prompt(struct parse *p)
{
	const char *v;
	unsigned bits = 0;
	int r;

	if ((r = param(p, "prompt", EID_AUTHZ_PROMPT_MAX, &v,
		       "prompt is repeated", "prompt is too long")) != EID_OK)
		return r;
	if (v == NULL)
		return EID_OK;
	if ((r = each_token(p, v, prompt_token, &bits)) != EID_OK)
		return r;
	if ((bits & EID_PROMPT_NONE) && bits != EID_PROMPT_NONE)
		return refuse(p, "invalid_request",
			      "prompt=none cannot be combined with other values");
	p->req->prompt = bits;
	return EID_OK;
}

static int check_max_age(struct parse *p)
{
	const char *v;
	int64_t n = 0;
	int r;

	if ((r = param(p, "max_age", 10, &v, "max_age is repeated",
		       "max_age is not a number of seconds")) != EID_OK)
		return r;
	if (v == NULL)
		return EID_OK;
	if (*v == '\0')
		return refuse(p, "invalid_request",
			      "max_age is not a number of seconds");
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return refuse(p, "invalid_request",
				      "max_age is not a number of seconds");
		n = n * 10 + (*v - '0');
	}
	if (n > EID_AUTHZ_MAX_AGE_MAX)
		return refuse(p, "invalid_request", "max_age is too large");
	p->req->max_age = n;
	return EID_OK;
}

int eid_acr_level_of(const char *v, size_t n)
{
	if (n == strlen(EID_ACR_LOA1) && memcmp(v, EID_ACR_LOA1, n) == 0)
		return 1;
	if (n == strlen(EID_ACR_LOA2) && memcmp(v, EID_ACR_LOA2, n) == 0)
		return 2;
	return 0;
}

/* acr_values lists what the RP accepts: the lowest of them is what it
 * requires.  A value we do not know is refused rather than skipped, so an
 * RP asking for more than we offer is told, not answered with less. */
static int acr_token(struct parse *p, const char *tok, size_t n, void *acc)
{
	int *lowest = acc, l = eid_acr_level_of(tok, n);

	if (l == 0)
		return refuse(p, "invalid_request",
			      "acr_values holds an unsupported value");
	if (*lowest == 0 || l < *lowest)
		*lowest = l;
	return EID_OK;
}

static int check_acr(struct parse *p)
{
	const char *v;
	int lowest = 0, r;

	if ((r = param(p, "acr_values", EID_AUTHZ_ACR_VALUES_MAX, &v,
		       "acr_values is repeated", "acr_values is too long")) != EID_OK)
		return r;
	if (v == NULL)
		return EID_OK;
	if ((r = each_token(p, v, acr_token, &lowest)) != EID_OK)
		return r;
	p->req->acr_level = lowest;
	return EID_OK;
}

static int check_dpop_jkt(struct parse *p)
{
	const char *v;
	int r;

	if ((r = param(p, "dpop_jkt", EID_AUTHZ_DPOP_JKT_LEN, &v,
		       "dpop_jkt is repeated", "dpop_jkt is malformed")) != EID_OK)
		return r;
	if (v == NULL)
		return EID_OK;
	/* A JWK SHA-256 thumbprint has a PKCE challenge's shape. */
	if (eid_pkce_challenge_check(v) != EID_OK)
		return refuse(p, "invalid_request", "dpop_jkt is malformed");
	return dup_opt(v, &p->req->dpop_jkt);
}

/* ---- the claims request (OIDC Core 5.5) ---- */

static bool claim_value_ok(const json_t *v)
{
	return json_is_string(v) &&
	       json_string_length(v) <= EID_AUTHZ_CLAIM_VALUE_MAX &&
	       strlen(json_string_value(v)) == json_string_length(v);
}

/* null, or {"essential": bool, "value": string, "values": [string]}. */
static bool claim_spec_ok(const json_t *spec)
{
	const char *k;
	json_t *v;

	if (json_is_null(spec))
		return true;
	if (!json_is_object(spec))
		return false;
	json_object_foreach((json_t *)spec, k, v) {
		size_t i;
		json_t *e;
		if (strcmp(k, "essential") == 0) {
			if (!json_is_boolean(v))
				return false;
		} else if (strcmp(k, "value") == 0) {
			if (!claim_value_ok(v))
				return false;
		} else if (strcmp(k, "values") == 0) {
			if (!json_is_array(v) ||
			    json_array_size(v) > EID_AUTHZ_CLAIM_VALUES_MAX)
				return false;
			json_array_foreach(v, i, e)
				if (!claim_value_ok(e))
					return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool claims_member_ok(const json_t *m)
{
	const char *name;
	json_t *spec;

	if (!json_is_object(m) ||
	    json_object_size(m) > EID_AUTHZ_CLAIMS_NAMES_MAX)
		return false;
	json_object_foreach((json_t *)m, name, spec) {
		size_t n = strlen(name);
		if (n == 0 || n > EID_AUTHZ_CLAIM_NAME_MAX || !vschar(name) ||
		    !claim_spec_ok(spec))
			return false;
	}
	return true;
}

/* The level an essential acr claim asks for (0: none): the lowest of its
 * values, as for acr_values; -1 when a value is unknown. */
static int claims_acr_level(const json_t *claims)
{
	json_t *acr = json_object_get(json_object_get(claims, "id_token"),
				      "acr");
	json_t *vals, *v;
	int lowest = 0;
	size_t i;

	if (!json_is_object(acr) ||
	    !json_is_true(json_object_get(acr, "essential")))
		return 0;
	if ((v = json_object_get(acr, "value")) != NULL) {
		int l = eid_acr_level_of(json_string_value(v),
				     json_string_length(v));
		return l == 0 ? -1 : l;
	}
	vals = json_object_get(acr, "values");
	json_array_foreach(vals, i, v) {
		int l = eid_acr_level_of(json_string_value(v), json_string_length(v));
		if (l == 0)
			return -1;
		if (lowest == 0 || l < lowest)
			lowest = l;
	}
	return lowest;
}

static int check_claims(struct parse *p)
{
	const char *v, *k;
	json_t *j, *m;
	int l, r;

	if ((r = param(p, "claims", EID_AUTHZ_CLAIMS_MAX, &v,
		       "claims is repeated", "claims is too long")) != EID_OK)
		return r;
	if (v == NULL)
		return EID_OK;
	j = json_loads(v, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return refuse(p, "invalid_request", "claims is not a JSON object");
	}
	json_object_foreach(j, k, m) {
		if ((strcmp(k, "userinfo") != 0 && strcmp(k, "id_token") != 0) ||
		    !claims_member_ok(m)) {
			json_decref(j);
			return refuse(p, "invalid_request",
				      "claims is not a valid claims request");
		}
	}
	if ((l = claims_acr_level(j)) < 0) {
		json_decref(j);
		return refuse(p, "invalid_request",
			      "claims asks for an unsupported acr");
	}
	if (l > p->req->acr_level)
		p->req->acr_level = l;
	p->req->claims = j;
	return EID_OK;
}

int eid_authz_request_parse(const struct eid_client *c, bool par,
			    eid_authz_param_fn get, void *arg,
			    struct eid_authz_request *ret,
			    struct eid_authz_error *ret_err)
{
	struct eid_authz_request req = { .max_age = -1, .par = par };
	struct eid_authz_error err = { 0 };
	struct parse p = { get, arg, &req, &err };
	int r;

	if (get == NULL || ret == NULL || ret_err == NULL)
		return EID_EINVAL;
	if ((r = check_client(&p, c)) != EID_OK)
		goto out;
	err.redirectable = true;
	find_state(&p);
	if ((r = check_flow(&p, c, par)) != EID_OK ||
	    (r = check_texts(&p)) != EID_OK ||
	    (r = check_scope(&p, c)) != EID_OK ||
	    (r = check_pkce(&p)) != EID_OK ||
	    (r = check_prompt(&p)) != EID_OK ||
	    (r = check_max_age(&p)) != EID_OK ||
	    (r = check_acr(&p)) != EID_OK ||
	    (r = check_claims(&p)) != EID_OK ||
	    (r = check_dpop_jkt(&p)) != EID_OK)
		goto out;
	*ret = req;
	return EID_OK;
out:
	eid_authz_request_clear(&req);
	if (r == EID_EINVAL)
		*ret_err = err;
	return r;
}

int eid_authz_device_request_parse(const struct eid_client *c,
				   eid_authz_param_fn get, void *arg,
				   struct eid_authz_request *ret,
				   struct eid_authz_error *ret_err)
{
	struct eid_authz_request req = { .max_age = -1 };
	struct eid_authz_error err = { 0 };
	struct parse p = { get, arg, &req, &err };
	int r;

	if (c == NULL || get == NULL || ret == NULL || ret_err == NULL)
		return EID_EINVAL;
	if ((r = check_scope(&p, c)) != EID_OK ||
	    (r = check_acr(&p)) != EID_OK ||
	    (r = dup_opt(c->client_id, &req.client_id)) != EID_OK)
		goto out;
	*ret = req;
	return EID_OK;
out:
	eid_authz_request_clear(&req);
	if (r == EID_EINVAL)
		*ret_err = err;
	return r;
}

/* Every parameter eid_authz_request_parse reads. */
static const char *const authz_params[] = {
	"client_id", "redirect_uri", "request", "request_uri",
	"response_type", "response_mode", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "prompt", "max_age",
	"login_hint", "acr_values", "ui_locales", "claims", "dpop_jkt",
};

int eid_authz_params_collect(eid_authz_param_fn get, void *arg,
			     json_t **ret_params)
{
	json_t *o = json_object();
	int r = o != NULL ? EID_OK : EID_ENOMEM;

	for (size_t i = 0; r == EID_OK &&
			   i < sizeof(authz_params) / sizeof(authz_params[0]);
	     i++) {
		const char *v = NULL;
		json_t *js;
		r = get(arg, authz_params[i], &v);
		if (r == EID_ENOTFOUND) {
			r = EID_OK;
			continue;
		}
		if (r != EID_OK)
			break;
		/* NULL for text that is not UTF-8. */
		if ((js = json_string(v)) == NULL)
			r = EID_EINVAL;
		else if (json_object_set_new(o, authz_params[i], js) != 0)
			r = EID_ENOMEM;
	}
	if (r != EID_OK) {
		json_decref(o);
		return r == EID_ENOMEM ? r : EID_EINVAL;
	}
	*ret_params = o;
	return EID_OK;
}

/* ---- the stored form ---- */

static int set_str(json_t *j, const char *name, const char *v)
{
	if (v == NULL)
		return EID_OK;
	return json_object_set_new(j, name, json_string(v)) == 0 ? EID_OK
								 : EID_EINVAL;
}

int eid_authz_request_to_json(const struct eid_authz_request *r,
			      json_t **ret_json)
{
	json_t *j = json_object();
	int rc = EID_ENOMEM;

	if (j == NULL)
		return rc;
	if ((rc = set_str(j, "client_id", r->client_id)) ||
	    (rc = set_str(j, "redirect_uri", r->redirect_uri)) ||
	    (rc = set_str(j, "scope", r->scope)) ||
	    (rc = set_str(j, "state", r->state)) ||
	    (rc = set_str(j, "nonce", r->nonce)) ||
	    (rc = set_str(j, "code_challenge", r->code_challenge)) ||
	    (rc = set_str(j, "login_hint", r->login_hint)) ||
	    (rc = set_str(j, "ui_locales", r->ui_locales)) ||
	    (rc = set_str(j, "dpop_jkt", r->dpop_jkt)) ||
	    (rc = set_str(j, "user_code", r->user_code)))
		goto out;
	rc = EID_ENOMEM;
	if (json_object_set_new(j, "scopes", json_integer(r->scopes)) ||
	    json_object_set_new(j, "prompt", json_integer(r->prompt)) ||
	    json_object_set_new(j, "max_age", json_integer(r->max_age)) ||
	    json_object_set_new(j, "acr_level", json_integer(r->acr_level)) ||
	    json_object_set_new(j, "par", json_boolean(r->par)) ||
	    (r->claims != NULL &&
	     json_object_set(j, "claims", r->claims) != 0))
		goto out;
	*ret_json = j;
	return EID_OK;
out:
	json_decref(j);
	return rc;
}

static int get_str(const json_t *j, const char *name, bool required,
		   char **ret)
{
	json_t *v = json_object_get(j, name);

	if (v == NULL)
		return required ? EID_EMALFORMED : EID_OK;
	if (!json_is_string(v))
		return EID_EMALFORMED;
	return (*ret = strdup(json_string_value(v))) ? EID_OK : EID_ENOMEM;
}

int eid_authz_request_from_json(const json_t *j,
				struct eid_authz_request *ret)
{
	struct eid_authz_request r = { .max_age = -1 };
	json_t *claims = json_object_get(j, "claims");
	/* A device request has no redirect and no PKCE. */
	bool code_flow = json_object_get(j, "user_code") == NULL;
	int rc;

	if ((rc = get_str(j, "client_id", true, &r.client_id)) ||
	    (rc = get_str(j, "user_code", false, &r.user_code)) ||
	    (rc = get_str(j, "redirect_uri", code_flow, &r.redirect_uri)) ||
	    (rc = get_str(j, "scope", true, &r.scope)) ||
	    (rc = get_str(j, "code_challenge", code_flow,
			  &r.code_challenge)) ||
	    (rc = get_str(j, "state", false, &r.state)) ||
	    (rc = get_str(j, "nonce", false, &r.nonce)) ||
	    (rc = get_str(j, "login_hint", false, &r.login_hint)) ||
	    (rc = get_str(j, "ui_locales", false, &r.ui_locales)) ||
	    (rc = get_str(j, "dpop_jkt", false, &r.dpop_jkt)))
		goto out;
	rc = EID_EMALFORMED;
	if (!json_is_integer(json_object_get(j, "scopes")) ||
	    !json_is_integer(json_object_get(j, "max_age")) ||
	    (claims != NULL && !json_is_object(claims)))
		goto out;
	r.scopes = (unsigned)json_integer_value(json_object_get(j, "scopes"));
	r.prompt = (unsigned)json_integer_value(json_object_get(j, "prompt"));
	r.max_age = json_integer_value(json_object_get(j, "max_age"));
	r.acr_level = (int)json_integer_value(json_object_get(j, "acr_level"));
	r.par = json_is_true(json_object_get(j, "par"));
	r.claims = json_incref(claims);
	*ret = r;
	return EID_OK;
out:
	eid_authz_request_clear(&r);
	return rc;
}
