#include "idp/tokens.h"

#include <string.h>
#include <stdlib.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/json_write.h"
#include "crypto/secret.h"
#include "idp/grants.h"
#include "idp/jwt.h"
#include "idp/opaque.h"

#define TYP_ID "JWT"
#define TYP_AT "at+jwt"
#define JTI_BYTES 16

/* Claims the caller may not set through the extra claims of an ID token. */
static const char *const reserved[] = {
	"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr",
	"sid", "at_hash", "azp", "jti", "cnf", "gid", "client_id", "scope",
	NULL,
};

static int set_str(json_t *o, const char *name, const char *s)
{
	if (s == NULL)
		return EID_OK;
	return json_object_set_new(o, name, json_string(s)) == 0 ?
		       EID_OK : EID_EINVAL; /* not UTF-8 */
}

static int set_json(json_t *o, const char *name, const json_t *v)
{
	if (v == NULL)
		return EID_OK;
	return json_object_set(o, name, (json_t *)v) == 0 ? EID_OK : EID_ENOMEM;
}

static int set_time(json_t *o, const char *name, uint64_t t)
{
	return json_object_set_new(o, name, json_integer((json_int_t)t)) == 0 ?
		       EID_OK : EID_ENOMEM;
}

/* iss, sub, aud, iat, exp: what both tokens start with. */
static int claims_base(const char *iss, const char *sub, const char *aud,
		       uint64_t now, uint64_t ttl, json_t **ret)
{
	json_t *o;
	int r;

	if (iss == NULL || sub == NULL || aud == NULL || ttl == 0)
		return EID_EINVAL;
	if ((o = json_object()) == NULL)
		return EID_ENOMEM;
	if ((r = set_str(o, "iss", iss)) != EID_OK ||
	    (r = set_str(o, "sub", sub)) != EID_OK ||
	    (r = set_str(o, "aud", aud)) != EID_OK ||
	    (r = set_time(o, "iat", now)) != EID_OK ||
	    (r = set_time(o, "exp", now + ttl)) != EID_OK) {
		json_decref(o);
		return r;
	}
	*ret = o;
	return EID_OK;
}

static int add_at_hash(json_t *o, const char *access_token)
{
	eid_buf b;
	int r;

	if (access_token == NULL)
		return EID_OK;
	eid_buf_init(&b, 64);
	/* SHA-256 for every alg we sign with (see tokens.h). */
	if ((r = eid_oidc_hash_half(EID_ALG_ES256, access_token, &b)) == EID_OK)
		r = json_object_set_new(o, "at_hash",
					json_stringn((const char *)b.data,
						     b.len)) == 0 ?
			    EID_OK : EID_ENOMEM;
	eid_buf_free(&b);
	return r;
}

int eid_id_token_issue(eid_signer *sg, const struct eid_id_token_params *p,
		       char **ret_jwt)
{
	json_t *o = NULL;
	int r;

	if (sg == NULL || p == NULL || ret_jwt == NULL ||
	    (p->amr != NULL && !json_is_array(p->amr)))
		return EID_EINVAL;
	if ((r = claims_base(p->issuer, p->sub, p->client_id, p->now, p->ttl,
			     &o)) != EID_OK)
		return r;
	if ((r = set_time(o, "auth_time", p->auth_time)) != EID_OK ||
	    (r = set_str(o, "nonce", p->nonce)) != EID_OK ||
	    (r = set_str(o, "acr", p->acr)) != EID_OK ||
	    (r = set_str(o, "sid", p->sid)) != EID_OK ||
	    (r = set_json(o, "amr", p->amr)) != EID_OK ||
	    (r = add_at_hash(o, p->access_token)) != EID_OK ||
	    (r = eid_json_merge(o, p->claims, reserved)) != EID_OK)
		goto out;
	r = p->alg == EID_ALG_UNSET ? eid_signer_sign(sg, TYP_ID, o, ret_jwt)
				    : eid_signer_sign_alg(sg, p->alg, TYP_ID, o,
							  ret_jwt);
out:
	json_decref(o);
	return r;
}

/* The access token's claims written straight as JSON text (no jansson
 * object on the token endpoint's path): iss, sub, aud, iat, exp, jti,
 * client_id, scope, then acr, gid, auth_time and cnf when present. */
static int access_claims(const struct eid_access_token_params *p,
			 const char *jti, eid_buf *out)
{
	int r;

	if ((r = eid_json_open(out)) != EID_OK ||
	    (r = eid_json_member_str(out, "iss", p->issuer)) != EID_OK ||
	    (r = eid_json_member_str(out, "sub", p->sub)) != EID_OK ||
	    (r = eid_json_member_str(out, "aud", p->aud != NULL ? p->aud :
					      p->client_id)) != EID_OK ||
	    (r = eid_json_member_u64(out, "iat", p->now)) != EID_OK ||
	    (r = eid_json_member_u64(out, "exp", p->now + p->ttl)) != EID_OK ||
	    (r = eid_json_member_str(out, "jti", jti)) != EID_OK ||
	    (r = eid_json_member_str(out, "client_id", p->client_id)) !=
		    EID_OK ||
	    (r = eid_json_member_str(out, "scope", p->scope)) != EID_OK ||
	    (r = eid_json_member_str(out, "acr", p->acr)) != EID_OK ||
	    (r = eid_json_member_str(out, "gid", p->gid)) != EID_OK ||
	    (p->auth_time != 0 &&
	     (r = eid_json_member_u64(out, "auth_time", p->auth_time)) !=
		     EID_OK))
		return r;
	if (p->dpop_jkt != NULL &&
	    ((r = eid_json_member_open(out, "cnf")) != EID_OK ||
	     (r = eid_json_member_str(out, "jkt", p->dpop_jkt)) != EID_OK ||
	     (r = eid_json_close(out)) != EID_OK))
		return r;
	return eid_json_close(out);
}

int eid_access_token_issue(eid_signer *sg,
			   const struct eid_access_token_params *p,
			   char **ret_jwt)
{
	char jti[EID_B64URL_LEN(JTI_BYTES) + 1];
	eid_buf claims;
	int r;

	if (sg == NULL || p == NULL || ret_jwt == NULL || p->client_id == NULL ||
	    p->scope == NULL || p->issuer == NULL || p->sub == NULL ||
	    p->ttl == 0)
		return EID_EINVAL;
	eid_buf_init(&claims, EID_TOKEN_MAX);
	/* An access token's claims are about 300 bytes. */
	if ((r = eid_buf_room(&claims, 512)) == EID_OK &&
	    (r = eid_opaque_random(JTI_BYTES, jti, sizeof(jti))) == EID_OK &&
	    (r = access_claims(p, jti, &claims)) == EID_OK)
		r = eid_signer_sign_payload(sg, TYP_AT, claims.data, claims.len,
					    ret_jwt);
	eid_buf_free(&claims);
	return r;
}

/* ---- verification ---- */

/* Signature by one of our keys, the explicit type and the issuer. */
static int ours(eid_signer *sg, const char *jwt, size_t len, const char *typ,
		const char *issuer, json_t **ret_claims)
{
	json_t *h = NULL, *c = NULL;
	const char *t, *iss;
	int r;

	if (len > EID_TOKEN_MAX)
		return EID_ETOOBIG;
	if ((r = eid_signer_verify(sg, jwt, len, &h, &c)) != EID_OK)
		return r;
	t = json_string_value(json_object_get(h, "typ"));
	iss = json_string_value(json_object_get(c, "iss"));
	r = EID_EMISMATCH;
	if (t == NULL || strcmp(t, typ) != 0 || iss == NULL ||
	    strcmp(iss, issuer) != 0)
		goto out;
	*ret_claims = c;
	c = NULL;
	r = EID_OK;
out:
	json_decref(h);
	json_decref(c);
	return r;
}

static int binding_check(const json_t *c, enum eid_token_use use,
			 const char *dpop_jkt)
{
	const json_t *cnf = json_object_get(c, "cnf");
	const char *jkt = NULL;
	int r;

	if (cnf != NULL &&
	    (!json_is_object(cnf) ||
	     (r = eid_jwt_str(cnf, "jkt", EID_THUMBPRINT_LEN, true, &jkt))))
		return EID_EMALFORMED;
	switch (use) {
	case EID_TOKEN_INTROSPECT:
		return EID_OK;
	case EID_TOKEN_BEARER:
		return jkt == NULL ? EID_OK : EID_EAUTH;
	case EID_TOKEN_DPOP:
		return jkt != NULL && eid_ct_equal_len(jkt, strlen(jkt),
						       dpop_jkt,
						       strlen(dpop_jkt)) ?
			       EID_OK : EID_EAUTH;
	}
	return EID_EINVAL;
}

/* The grant is active; read into g when g is not NULL. */
static int grant_check(eid_store *s, eid_rcache *grants, const json_t *c,
		       struct eid_grant *g)
{
	const char *gid;
	int r;

	if ((r = eid_jwt_str(c, "gid", EID_GRANT_ID_LEN, false, &gid)))
		return r;
	if (gid == NULL)
		return EID_OK;
	r = eid_grant_get_active_cached(grants, s, gid, g);
	return r == EID_ENOTFOUND ? EID_EPERM : r;
}

int eid_access_token_verify(eid_signer *sg, eid_store *s, const char *jwt,
			    size_t len, const char *issuer,
			    enum eid_token_use use, const char *dpop_jkt,
			    uint64_t now, json_t **ret_claims)
{
	return eid_access_token_verify_grant(sg, s, NULL, jwt, len, issuer,
					     use, dpop_jkt, now, ret_claims,
					     NULL);
}

int eid_access_token_verify_grant(eid_signer *sg, eid_store *s,
				  eid_rcache *grants,
				  const char *jwt, size_t len,
				  const char *issuer, enum eid_token_use use,
				  const char *dpop_jkt, uint64_t now,
				  json_t **ret_claims,
				  struct eid_grant *ret_grant)
{
	json_t *c = NULL;
	uint64_t exp;
	int r;

	if (sg == NULL || s == NULL || (jwt == NULL && len > 0) ||
	    issuer == NULL || ret_claims == NULL ||
	    (use == EID_TOKEN_DPOP && dpop_jkt == NULL))
		return EID_EINVAL;
	if (ret_grant != NULL)
		*ret_grant = (struct eid_grant){ 0 };
	if ((r = ours(sg, jwt, len, TYP_AT, issuer, &c)) != EID_OK ||
	    (r = eid_jwt_time(c, "exp", true, &exp, NULL)) != EID_OK)
		goto out;
	r = EID_EEXPIRED;
	if (exp <= now)
		goto out;
	if ((r = binding_check(c, use, dpop_jkt)) != EID_OK ||
	    (r = grant_check(s, grants, c, ret_grant)) != EID_OK)
		goto out;
	*ret_claims = c;
	c = NULL;
out:
	json_decref(c);
	return r;
}

int eid_id_token_verify_hint(eid_signer *sg, const char *jwt, size_t len,
			     const char *issuer, json_t **ret_claims)
{
	if (sg == NULL || (jwt == NULL && len > 0) || issuer == NULL ||
	    ret_claims == NULL)
		return EID_EINVAL;
	return ours(sg, jwt, len, TYP_ID, issuer, ret_claims);
}
