#include "idp/client_auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/audit.h"
#include "idp/client_assertion.h"
#include "idp/jwks_fetch.h"
#include "idp/jwt.h"
#include "idp/store.h"

#define BASIC_MAX 1024 /* bytes of the base64 text */

/* ---- Authorization: Basic ---- */

/* application/x-www-form-urlencoded decoding of n bytes at p into out:
 * '+' is a space, %XX a byte; the result must be free of control bytes. */
static int form_unescape(const char *p, size_t n, eid_buf *out)
{
	size_t start = out->len, k = 0;
	uint8_t *dst;
	int r;

	/* Decoding never lengthens: room for n bytes, one call, not one a
	 * byte (a secret buffer wipes and moves on every growth). */
	if ((r = eid_buf_reserve(out, n, &dst)) != EID_OK)
		return r;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			size_t len = 0;

			if (n - i < 3 ||
			    eid_hex_decode(p + i + 1, 2, &c, 1, &len) != EID_OK)
				goto bad;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		dst[k++] = c;
	}
	eid_buf_truncate(out, start + k);
	return EID_OK;
bad:
	eid_buf_truncate(out, start);
	return EID_EMALFORMED;
}

int eid_client_basic_decode(const char *header, eid_buf *ret_id,
			    eid_buf *ret_secret)
{
	const char *colon;
	eid_buf raw;
	size_t n;
	int r;

	if (header == NULL || ret_id == NULL || ret_secret == NULL)
		return EID_EINVAL;
	if (strncasecmp(header, "Basic ", 6) != 0)
		return EID_ENOTFOUND;
	header += 6;
	while (*header == ' ')
		header++;
	if ((n = strnlen(header, BASIC_MAX + 1)) > BASIC_MAX)
		return EID_ETOOBIG;
	/* Standard base64 with its padding (RFC 7617 2, RFC 4648 4). */
	eid_buf_init_secret(&raw, BASIC_MAX);
	if ((r = eid_b64_decode(header, n, &raw)) != EID_OK)
		goto out;
	r = EID_EMALFORMED;
	if (raw.len == 0 ||
	    (colon = memchr(raw.data, ':', raw.len)) == NULL ||
	    colon == (const char *)raw.data)
		goto out;
	if ((r = form_unescape((const char *)raw.data,
			       (size_t)(colon - (const char *)raw.data),
			       ret_id)) != EID_OK ||
	    (r = form_unescape(colon + 1,
			       raw.len - (size_t)(colon + 1 -
						  (const char *)raw.data),
			       ret_secret)) != EID_OK)
		goto out;
	r = eid_buf_cstr(ret_id) != NULL && eid_buf_cstr(ret_secret) != NULL ?
		    EID_OK : EID_ENOMEM;
out:
	eid_buf_free(&raw);
	return r;
}

/* ---- which method ---- */

/* The method the request used and the client id it names.  The
 * assertion's id is read from its (not yet verified) sub; it is verified
 * against the client's keys afterwards. */
static int method_of(const struct eid_client_credentials *cr,
		     enum eid_client_auth *ret_method,
		     struct eid_oauth_error *err)
{
	int n = 0;

	if (cr->basic) {
		n++;
		*ret_method = EID_AUTH_CLIENT_SECRET_BASIC;
	}
	if (cr->client_secret != NULL) {
		n++;
		*ret_method = EID_AUTH_CLIENT_SECRET_POST;
	}
	if (cr->assertion != NULL || cr->assertion_type != NULL) {
		n++;
		*ret_method = EID_AUTH_PRIVATE_KEY_JWT;
		if (cr->assertion == NULL || cr->assertion_type == NULL ||
		    strcmp(cr->assertion_type,
			   EID_CLIENT_ASSERTION_TYPE_JWT) != 0)
			return eid_oauth_fail(err, "invalid_request",
				"client_assertion needs client_assertion_type "
				EID_CLIENT_ASSERTION_TYPE_JWT, EID_EINVAL);
	}
	if (n > 1)
		return eid_oauth_fail(err, "invalid_request",
			"more than one client authentication method",
			EID_EINVAL);
	if (n == 0) {
		if (cr->client_id == NULL)
			return eid_oauth_fail(err, "invalid_client",
				"client authentication is required",
				EID_EAUTH);
		*ret_method = EID_AUTH_NONE;
	}
	return EID_OK;
}

/* The header (for kid) and claims of a JWS, unverified. */
static int jws_peek(const char *jwt, json_t **ret_hdr, json_t **ret_claims)
{
	const char *dot1, *dot2;
	json_t *parts[2] = { NULL, NULL };
	eid_buf b;
	int r = EID_EMALFORMED;

	if (strnlen(jwt, EID_CLIENT_ASSERTION_MAX + 1) >
	    EID_CLIENT_ASSERTION_MAX)
		return EID_ETOOBIG;
	if ((dot1 = strchr(jwt, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL)
		return EID_EMALFORMED;
	eid_buf_init(&b, EID_CLIENT_ASSERTION_MAX);
	for (int i = 0; i < 2; i++) {
		const char *p = i == 0 ? jwt : dot1 + 1;
		const char *e = i == 0 ? dot1 : dot2;

		eid_buf_reset(&b);
		if (eid_b64url_decode(p, (size_t)(e - p), &b) != EID_OK ||
		    (parts[i] = json_loadb((const char *)b.data, b.len,
					   JSON_REJECT_DUPLICATES,
					   NULL)) == NULL ||
		    !json_is_object(parts[i]))
			goto out;
	}
	*ret_hdr = parts[0];
	*ret_claims = parts[1];
	parts[0] = parts[1] = NULL;
	r = EID_OK;
out:
	json_decref(parts[0]);
	json_decref(parts[1]);
	eid_buf_free(&b);
	return r;
}

/* The client id the credentials name, copied into id. */
static int claimed_id(const struct eid_client_credentials *cr,
		      enum eid_client_auth m,
		      char id[EID_CLIENT_ID_MAX + 1],
		      struct eid_oauth_error *err)
{
	const char *named = cr->client_id, *sub = NULL;
	json_t *h = NULL, *c = NULL;
	int r = EID_OK;

	if (m == EID_AUTH_CLIENT_SECRET_BASIC) {
		named = cr->basic_id;
	} else if (m == EID_AUTH_PRIVATE_KEY_JWT) {
		if (jws_peek(cr->assertion, &h, &c) != EID_OK ||
		    eid_jwt_str(c, "sub", EID_CLIENT_ID_MAX, true, &sub)) {
			r = eid_oauth_fail(err, "invalid_client",
					   "client_assertion is not a JWT "
					   "with a sub", EID_EAUTH);
			goto out;
		}
		named = sub;
	}
	if (named == NULL ||
	    strnlen(named, EID_CLIENT_ID_MAX + 1) > EID_CLIENT_ID_MAX ||
	    named[0] == '\0') {
		r = eid_oauth_fail(err, "invalid_client", "unknown client",
				   EID_EAUTH);
		goto out;
	}
	if (cr->client_id != NULL && strcmp(cr->client_id, named) != 0) {
		r = eid_oauth_fail(err, "invalid_request",
				   "client_id does not match the credentials",
				   EID_EINVAL);
		goto out;
	}
	memcpy(id, named, strlen(named) + 1);
out:
	json_decref(h);
	json_decref(c);
	return r;
}

/* ---- checking the credentials ---- */

static const char *assertion_reason(int r)
{
	switch (r) {
	case EID_EEXPIRED:
		return "client_assertion expired or not yet valid";
	case EID_EREPLAY:
		return "client_assertion jti already used";
	case EID_EPERM:
		return "client_assertion audience is not this server";
	case EID_ENOTFOUND:
		return "client_assertion signed by an unknown key";
	case EID_ETOOBIG:
		return "client_assertion lives too long";
	case EID_EVERIFY:
	case EID_EMISMATCH:
		return "client_assertion signature or issuer is wrong";
	default:
		return "client_assertion is malformed";
	}
}

/* The client's key set: inline, or from its jwks_uri for this kid. */
static int client_keys(const struct eid_client_auth_env *env,
		       const struct eid_client *c, const char *assertion,
		       eid_keyset **ret_set)
{
	json_t *h = NULL, *claims = NULL;
	const char *kid = NULL;
	int r;

	if (c->jwks != NULL)
		return eid_keyset_from_json(c->jwks, ret_set, NULL);
	if (c->jwks_uri == NULL)
		return EID_ENOTFOUND;
	if ((r = jws_peek(assertion, &h, &claims)) != EID_OK)
		return r;
	kid = json_string_value(json_object_get(h, "kid"));
	r = eid_jwks_get(env->store, c->jwks_uri, kid, NULL, ret_set);
	json_decref(h);
	json_decref(claims);
	return r;
}

static int check_assertion(const struct eid_client_auth_env *env,
			   const struct eid_client *c, const char *assertion,
			   struct eid_oauth_error *err)
{
	eid_keyset *set = NULL;
	int r;

	if ((r = client_keys(env, c, assertion, &set)) != EID_OK) {
		r = eid_oauth_fail(err, "invalid_client",
				   "the client's keys are not available",
				   EID_EAUTH);
		goto out;
	}
	r = eid_client_assertion_verify(assertion, strlen(assertion),
					eid_keyset_keys(set),
					eid_keyset_count(set), c->client_id,
					env->issuer, env->endpoint, env->now,
					env->store);
	if (r != EID_OK)
		r = eid_oauth_fail(err, "invalid_client",
				   assertion_reason(r), EID_EAUTH);
out:
	eid_keyset_free(set);
	return r;
}

static int check_secret(const struct eid_client *c, const char *secret,
			struct eid_oauth_error *err)
{
	if (secret == NULL || !eid_client_check_secret(c, secret,
							strlen(secret)))
		return eid_oauth_fail(err, "invalid_client",
				      "client authentication failed",
				      EID_EAUTH);
	return EID_OK;
}

static int check_credentials(const struct eid_client_auth_env *env,
			     const struct eid_client_credentials *cr,
			     enum eid_client_auth m,
			     const struct eid_client *c,
			     struct eid_oauth_error *err)
{
	if (c->status != EID_CLIENT_ACTIVE)
		return eid_oauth_fail(err, "invalid_client",
				      "the client is disabled", EID_EAUTH);
	if (c->auth_method != m)
		return eid_oauth_fail(err, "invalid_client",
				      "the client is registered for another "
				      "authentication method", EID_EAUTH);
	switch (m) {
	case EID_AUTH_CLIENT_SECRET_BASIC:
		return check_secret(c, cr->basic_secret, err);
	case EID_AUTH_CLIENT_SECRET_POST:
		return check_secret(c, cr->client_secret, err);
	case EID_AUTH_PRIVATE_KEY_JWT:
		return check_assertion(env, c, cr->assertion, err);
	case EID_AUTH_NONE:
		return EID_OK;
	}
	return EID_EINTERNAL;
}

/* The failure in the audit trail; the request's answer does not depend on
 * whether this write succeeds. */
static void audit_failure(const struct eid_client_auth_env *env,
			  const char *client_id, enum eid_client_auth m,
			  const struct eid_oauth_error *err)
{
	eid_txn *t = NULL;
	json_t *d = json_pack("{s:s,s:s}", "method", eid_client_auth_name(m),
			      "reason", err->description != NULL ?
					err->description : "");

	if (eid_store_begin(env->store, true, &t) != EID_OK) {
		json_decref(d);
		return;
	}
	if (eid_audit_record(t, "client.auth_failure",
			     client_id[0] != '\0' ? "client" : "unknown",
			     client_id[0] != '\0' ? client_id : NULL,
			     env->remote, d, (int64_t)env->now) == EID_OK)
		(void)eid_txn_commit(t);
	else
		eid_txn_abort(t);
}

int eid_client_authenticate(const struct eid_client_auth_env *env,
			    const struct eid_client_credentials *cr,
			    struct eid_client *ret_client,
			    enum eid_client_auth *ret_method,
			    struct eid_oauth_error *err)
{
	char id[EID_CLIENT_ID_MAX + 1] = "";
	struct eid_oauth_error e = { 0 };
	struct eid_client c = { 0 };
	enum eid_client_auth m = EID_AUTH_NONE;
	int r;

	if (env == NULL || cr == NULL || ret_client == NULL ||
	    env->store == NULL || env->issuer == NULL || env->endpoint == NULL)
		return EID_EINVAL;
	if ((r = method_of(cr, &m, &e)) != EID_OK ||
	    (r = claimed_id(cr, m, id, &e)) != EID_OK)
		goto out;
	r = eid_client_get_cached(env->clients, env->store, id, &c);
	if (r == EID_ENOTFOUND)
		r = eid_oauth_fail(&e, "invalid_client", "unknown client",
				   EID_EAUTH);
	if (r != EID_OK ||
	    (r = check_credentials(env, cr, m, &c, &e)) != EID_OK)
		goto out;
	*ret_client = c;
	memset(&c, 0, sizeof(c));
	if (ret_method != NULL)
		*ret_method = m;
out:
	if (r == EID_EAUTH)
		audit_failure(env, id, m, &e);
	if (err != NULL)
		*err = e;
	eid_client_clear(&c);
	return r;
}
