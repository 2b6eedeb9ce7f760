/* The client record: metadata decoding, the registration rules, the
 * storage form and the checks the OIDC endpoints ask of a client.  The
 * store operations are in clients_store.c.
 *
 * Why a fast salted SHA-256 for client secrets and not Argon2id: the
 * server generates them, 256 random bits each, so there is nothing for a
 * dictionary or brute-force search to find, and a slow hash would only
 * cost CPU on every /token request.  The per-client salt keeps two
 * clients with the same secret (one set by hand with --secret-stdin, say)
 * from sharing a hash. */
#include "idp/clients.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/jwks_fetch.h"
#include "idp/uri.h"

#define DAY 86400u

struct name_bit {
	const char *name;
	unsigned bit;
};

static const struct name_bit grant_names[] = {
	{ "authorization_code", EID_GRANT_AUTHORIZATION_CODE },
	{ "refresh_token", EID_GRANT_REFRESH_TOKEN },
	{ "client_credentials", EID_GRANT_CLIENT_CREDENTIALS },
	{ EID_GRANT_TYPE_CIBA, EID_GRANT_CIBA },
	{ EID_GRANT_TYPE_DEVICE_CODE, EID_GRANT_DEVICE_CODE },
	{ NULL, 0 },
};

static const struct name_bit scope_names[] = {
	{ "openid", EID_SCOPE_OPENID },
	{ "profile", EID_SCOPE_PROFILE },
	{ "phone", EID_SCOPE_PHONE },
	{ "email", EID_SCOPE_EMAIL },
	{ "address", EID_SCOPE_ADDRESS },
	{ "citizen", EID_SCOPE_CITIZEN },
	{ "offline_access", EID_SCOPE_OFFLINE_ACCESS },
	{ "sign", EID_SCOPE_SIGN },
	{ NULL, 0 },
};

static const struct name_bit auth_names[] = {
	{ "client_secret_basic", EID_AUTH_CLIENT_SECRET_BASIC },
	{ "client_secret_post", EID_AUTH_CLIENT_SECRET_POST },
	{ "private_key_jwt", EID_AUTH_PRIVATE_KEY_JWT },
	{ "none", EID_AUTH_NONE },
	{ NULL, 0 },
};

static const struct name_bit subject_names[] = {
	{ "public", EID_SUBJECT_PUBLIC },
	{ "pairwise", EID_SUBJECT_PAIRWISE },
	{ NULL, 0 },
};

static const struct name_bit status_names[] = {
	{ "active", EID_CLIENT_ACTIVE },
	{ "disabled", EID_CLIENT_DISABLED },
	{ NULL, 0 },
};

static const struct name_bit ciba_delivery_names[] = {
	{ "poll", EID_CIBA_DELIVERY_POLL },
	{ "ping", EID_CIBA_DELIVERY_PING },
	{ NULL, 0 },
};

static const char *name_of(const struct name_bit *t, unsigned bit)
{
	for (; t->name != NULL; t++)
		if (t->bit == bit)
			return t->name;
	return NULL;
}

static int bit_of(const struct name_bit *t, const char *name, size_t n,
		  unsigned *ret_bit)
{
	for (; t->name != NULL; t++)
		if (strlen(t->name) == n && memcmp(t->name, name, n) == 0) {
			*ret_bit = t->bit;
			return EID_OK;
		}
	return EID_EUNSUPPORTED;
}

const char *eid_client_auth_name(enum eid_client_auth m)
{
	return name_of(auth_names, m);
}

const char *eid_client_grant_name(unsigned grant_bit)
{
	return name_of(grant_names, grant_bit);
}

const char *eid_client_scope_name(unsigned scope_bit)
{
	return name_of(scope_names, scope_bit);
}

int eid_client_scope_from_name(const char *name, size_t n, unsigned *ret_bit)
{
	return bit_of(scope_names, name, n, ret_bit);
}

/* ---- owned parts ---- */

static void strlist_clear(struct eid_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void eid_client_clear(struct eid_client *c)
{
	if (c == NULL)
		return;
	strlist_clear(&c->redirect_uris);
	strlist_clear(&c->post_logout_redirect_uris);
	free(c->backchannel_logout_uri);
	free(c->ciba_notification_endpoint);
	free(c->jwks_uri);
	json_decref(c->jwks);
	eid_wipe(c, sizeof(*c));
}

/* ---- refusals ---- */

static int refuse(eid_buf *why, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(eid_buf *why, int r, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (why != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		(void)eid_buf_put_str(why, line);
	}
	return r;
}

/* ---- one field each ---- */

static bool id_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '.' || ch == '_' ||
	       ch == '~' || ch == '-';
}

static int set_client_id(struct eid_client *c, const json_t *v, eid_buf *why)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL || n == 0 || n > EID_CLIENT_ID_MAX ||
	    strlen(s) != n)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!id_char(s[i]))
			goto bad;
	memcpy(c->client_id, s, n + 1);
	return EID_OK;
bad:
	return refuse(why, EID_EMALFORMED, "client_id must be 1-128 "
		      "characters of A-Z a-z 0-9 . _ ~ -");
}

static int set_name(struct eid_client *c, const json_t *v, eid_buf *why)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL || n == 0 || n > EID_CLIENT_NAME_MAX || strlen(s) != n)
		return refuse(why, EID_EMALFORMED,
			      "name must be 1-100 bytes of UTF-8");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return refuse(why, EID_EMALFORMED,
				      "name has control characters");
	memcpy(c->name, s, n + 1);
	return EID_OK;
}

static int set_grants(struct eid_client *c, const json_t *v, eid_buf *why)
{
	unsigned bits = 0, bit = 0;
	size_t i;
	json_t *g;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return refuse(why, EID_EMALFORMED,
			      "grant_types must be a non-empty array");
	json_array_foreach(v, i, g) {
		if (!json_is_string(g))
			return refuse(why, EID_EMALFORMED,
				      "grant_types[%zu] is not a string", i);
		if (bit_of(grant_names, json_string_value(g),
			   json_string_length(g), &bit) != EID_OK)
			return refuse(why, EID_EUNSUPPORTED,
				      "grant_types: unknown grant '%.64s'",
				      json_string_value(g));
		bits |= bit;
	}
	c->grant_types = bits;
	return EID_OK;
}

/* A string member that must be one name of a table. */
static int set_enum(const struct name_bit *t, const char *field,
		    const json_t *v, unsigned *ret, eid_buf *why)
{
	if (!json_is_string(v))
		return refuse(why, EID_EMALFORMED, "%s is not a string", field);
	if (bit_of(t, json_string_value(v), json_string_length(v), ret) !=
	    EID_OK)
		return refuse(why, EID_EUNSUPPORTED, "%s: unknown value "
			      "'%.64s'", field, json_string_value(v));
	return EID_OK;
}

static int set_auth(struct eid_client *c, const json_t *v, eid_buf *why)
{
	unsigned m = 0;
	int r = set_enum(auth_names, "token_endpoint_auth_method", v, &m, why);

	if (r == EID_OK)
		c->auth_method = (enum eid_client_auth)m;
	return r;
}

static int set_subject_type(struct eid_client *c, const json_t *v,
			    eid_buf *why)
{
	unsigned t = 0;
	int r = set_enum(subject_names, "subject_type", v, &t, why);

	if (r == EID_OK)
		c->subject_type = (enum eid_subject_type)t;
	return r;
}

static int set_uri_list(struct eid_strlist *l, const char *field,
			const json_t *v, eid_buf *why)
{
	struct eid_strlist nl = { NULL, 0 };
	size_t i, n = json_array_size(v), mark = why ? why->len : 0;
	json_t *u;
	int r = EID_EMALFORMED;

	if (!json_is_array(v) || n > EID_CLIENT_URIS_MAX)
		return refuse(why, r, "%s must be an array of at most 32 URIs",
			      field);
	if (n > 0 && (nl.v = calloc(n, sizeof(char *))) == NULL)
		return EID_ENOMEM;
	json_array_foreach(v, i, u) {
		const char *s = json_string_value(u);

		if (s == NULL || strlen(s) != json_string_length(u)) {
			r = refuse(why, r, "%s[%zu] is not a string", field, i);
			goto fail;
		}
		if (why != NULL)
			(void)eid_buf_printf(why, "%s[%zu] ", field, i);
		if ((r = eid_uri_check(s, EID_URI_REDIRECT, why)) != EID_OK)
			goto fail;
		if (why != NULL)
			eid_buf_truncate(why, mark);
		if ((nl.v[nl.n] = strdup(s)) == NULL) {
			r = EID_ENOMEM;
			goto fail;
		}
		nl.n++;
	}
	strlist_clear(l);
	*l = nl;
	return EID_OK;
fail:
	strlist_clear(&nl);
	return r;
}

static int set_redirects(struct eid_client *c, const json_t *v, eid_buf *why)
{
	return set_uri_list(&c->redirect_uris, "redirect_uris", v, why);
}

static int set_post_logout(struct eid_client *c, const json_t *v,
			   eid_buf *why)
{
	return set_uri_list(&c->post_logout_redirect_uris,
			    "post_logout_redirect_uris", v, why);
}

/* An https (or loopback http) URI into *field. */
static int set_web_uri(char **field, const char *name, const json_t *v,
		       eid_buf *why)
{
	const char *s = json_string_value(v);
	size_t mark = why ? why->len : 0;
	char *dup;
	int r;

	if (s == NULL || strlen(s) != json_string_length(v))
		return refuse(why, EID_EMALFORMED, "%s is not a string", name);
	if (why != NULL)
		(void)eid_buf_printf(why, "%s ", name);
	if ((r = eid_uri_check(s, EID_URI_WEB, why)) != EID_OK)
		return r;
	if (why != NULL)
		eid_buf_truncate(why, mark);
	if ((dup = strdup(s)) == NULL)
		return EID_ENOMEM;
	free(*field);
	*field = dup;
	return EID_OK;
}

static int set_backchannel(struct eid_client *c, const json_t *v,
			   eid_buf *why)
{
	return set_web_uri(&c->backchannel_logout_uri,
			   "backchannel_logout_uri", v, why);
}

static int set_ciba_delivery(struct eid_client *c, const json_t *v,
			     eid_buf *why)
{
	unsigned m = 0;
	int r = set_enum(ciba_delivery_names,
			 "backchannel_token_delivery_mode", v, &m, why);

	if (r == EID_OK)
		c->ciba_delivery = (enum eid_ciba_delivery)m;
	return r;
}

/* CIBA Core 4 asks for https; loopback http stays allowed as for every
 * other URI the server calls (tests, a service beside us). */
static int set_ciba_endpoint(struct eid_client *c, const json_t *v,
			     eid_buf *why)
{
	return set_web_uri(&c->ciba_notification_endpoint,
			   "backchannel_client_notification_endpoint", v, why);
}

static int set_jwks_uri(struct eid_client *c, const json_t *v, eid_buf *why)
{
	return set_web_uri(&c->jwks_uri, "jwks_uri", v, why);
}

static int set_jwks(struct eid_client *c, const json_t *v, eid_buf *why)
{
	eid_keyset *set = NULL;
	size_t mark = why ? why->len : 0;
	json_t *copy;
	int r;

	eid_buf_say(why, "jwks: ");
	r = eid_keyset_from_json(v, &set, why);
	eid_keyset_free(set);
	if (r == EID_ENOTFOUND)
		r = EID_EMALFORMED;
	if (r != EID_OK)
		return r;
	if (why != NULL)
		eid_buf_truncate(why, mark);
	if ((copy = json_deep_copy(v)) == NULL)
		return EID_ENOMEM;
	json_decref(c->jwks);
	c->jwks = copy;
	return EID_OK;
}

static int set_scope(struct eid_client *c, const json_t *v, eid_buf *why)
{
	const char *s = json_string_value(v), *p, *e;
	unsigned bits = 0, bit = 0;

	if (s == NULL || strlen(s) != json_string_length(v))
		return refuse(why, EID_EMALFORMED, "scope is not a string");
	for (p = s; *p; p = e) {
		while (*p == ' ')
			p++;
		for (e = p; *e && *e != ' '; e++)
			;
		if (e == p)
			break;
		if (bit_of(scope_names, p, (size_t)(e - p), &bit) != EID_OK)
			return refuse(why, EID_EUNSUPPORTED,
				      "scope: unknown scope '%.*s'",
				      (int)(e - p > 64 ? 64 : e - p), p);
		bits |= bit;
	}
	if (bits == 0)
		return refuse(why, EID_EMALFORMED, "scope is empty");
	c->scopes = bits;
	return EID_OK;
}

/* A DNS name in lower case: labels of [a-z0-9-], dots between. */
static bool is_host(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > EID_CLIENT_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (islower((unsigned char)s[i]) ||
			   isdigit((unsigned char)s[i]) || s[i] == '-') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

static int set_sector(struct eid_client *c, const json_t *v, eid_buf *why)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL || !is_host(s, n) || strlen(s) != n)
		return refuse(why, EID_EMALFORMED, "sector_identifier must be "
			      "a host name in lower case");
	memcpy(c->sector_identifier, s, n + 1);
	return EID_OK;
}

static int set_ttl(uint64_t *field, const char *name, uint64_t max,
		   const json_t *v, eid_buf *why)
{
	json_int_t n = json_integer_value(v);

	if (!json_is_integer(v) || n < 1 || (uint64_t)n > max)
		return refuse(why, EID_EMALFORMED,
			      "%s must be 1-%llu seconds", name,
			      (unsigned long long)max);
	*field = (uint64_t)n;
	return EID_OK;
}

static int set_access_ttl(struct eid_client *c, const json_t *v,
			  eid_buf *why)
{
	return set_ttl(&c->access_token_ttl, "access_token_ttl", DAY, v, why);
}

static int set_refresh_ttl(struct eid_client *c, const json_t *v,
			   eid_buf *why)
{
	return set_ttl(&c->refresh_token_ttl, "refresh_token_ttl", 365 * DAY,
		       v, why);
}

static int set_id_ttl(struct eid_client *c, const json_t *v, eid_buf *why)
{
	return set_ttl(&c->id_token_ttl, "id_token_ttl", DAY, v, why);
}

static int set_bool(bool *field, const char *name, const json_t *v,
		    eid_buf *why)
{
	if (!json_is_boolean(v))
		return refuse(why, EID_EMALFORMED, "%s is not a boolean", name);
	*field = json_is_true(v);
	return EID_OK;
}

static int set_par(struct eid_client *c, const json_t *v, eid_buf *why)
{
	return set_bool(&c->require_par, "require_par", v, why);
}

static int set_dpop(struct eid_client *c, const json_t *v, eid_buf *why)
{
	return set_bool(&c->require_dpop, "require_dpop", v, why);
}

static int set_alg(struct eid_client *c, const json_t *v, eid_buf *why)
{
	const char *s = json_string_value(v);
	eid_alg alg;

	if (s == NULL)
		return refuse(why, EID_EMALFORMED,
			      "id_token_signed_response_alg is not a string");
	if (eid_alg_from_name(s, &alg) != EID_OK ||
	    !eid_alg_info_get(alg)->can_sign)
		return refuse(why, EID_EUNSUPPORTED,
			      "id_token_signed_response_alg must be ES256, "
			      "RS256 or PS256");
	c->id_token_alg = alg;
	return EID_OK;
}

struct member {
	const char *name;
	int (*set)(struct eid_client *c, const json_t *v, eid_buf *why);
};

/* Every metadata member, in the order of the JSON output. */
static const struct member members[] = {
	{ "client_id", set_client_id },
	{ "name", set_name },
	{ "grant_types", set_grants },
	{ "token_endpoint_auth_method", set_auth },
	{ "redirect_uris", set_redirects },
	{ "post_logout_redirect_uris", set_post_logout },
	{ "backchannel_logout_uri", set_backchannel },
	{ "backchannel_token_delivery_mode", set_ciba_delivery },
	{ "backchannel_client_notification_endpoint", set_ciba_endpoint },
	{ "jwks", set_jwks },
	{ "jwks_uri", set_jwks_uri },
	{ "scope", set_scope },
	{ "subject_type", set_subject_type },
	{ "sector_identifier", set_sector },
	{ "access_token_ttl", set_access_ttl },
	{ "refresh_token_ttl", set_refresh_ttl },
	{ "id_token_ttl", set_id_ttl },
	{ "require_par", set_par },
	{ "require_dpop", set_dpop },
	{ "id_token_signed_response_alg", set_alg },
};

#define NMEMBERS (sizeof(members) / sizeof(members[0]))

static const struct member *find_member(const char *name)
{
	for (size_t i = 0; i < NMEMBERS; i++)
		if (strcmp(members[i].name, name) == 0)
			return &members[i];
	return NULL;
}

static void set_defaults(struct eid_client *c)
{
	memset(c, 0, sizeof(*c));
	c->grant_types = EID_GRANT_AUTHORIZATION_CODE;
	c->auth_method = EID_AUTH_CLIENT_SECRET_BASIC;
	c->scopes = EID_SCOPE_OPENID;
	c->subject_type = EID_SUBJECT_PUBLIC;
	c->id_token_alg = EID_ALG_ES256;
	c->status = EID_CLIENT_ACTIVE;
}

/* ---- rules across fields ---- */

/* The one host every redirect URI shares, into c->sector_identifier. */
static int derive_sector(struct eid_client *c, eid_buf *why)
{
	char host[EID_CLIENT_HOST_MAX + 1], first[EID_CLIENT_HOST_MAX + 1];

	first[0] = '\0';
	for (size_t i = 0; i < c->redirect_uris.n; i++) {
		if (eid_uri_host(c->redirect_uris.v[i], host, sizeof(host)) !=
		    EID_OK || (first[0] && strcmp(first, host) != 0))
			goto refuse;
		memcpy(first, host, strlen(host) + 1);
	}
	if (first[0] == '\0')
		goto refuse;
	memcpy(c->sector_identifier, first, sizeof(first));
	return EID_OK;
refuse:
	return refuse(why, EID_EINVAL, "pairwise subjects need a "
		      "sector_identifier unless every redirect URI is on one "
		      "https host");
}

static int check_rules(struct eid_client *c, bool secret_rules, eid_buf *why)
{
	bool secret_method = c->auth_method == EID_AUTH_CLIENT_SECRET_BASIC ||
			     c->auth_method == EID_AUTH_CLIENT_SECRET_POST;

	if (c->client_id[0] == '\0' || c->name[0] == '\0')
		return refuse(why, EID_EINVAL, "client_id and name are "
			      "required");
	if (c->auth_method == EID_AUTH_NONE &&
	    (c->grant_types & EID_GRANT_CLIENT_CREDENTIALS))
		return refuse(why, EID_EINVAL, "a public client (auth method "
			      "none) cannot use client_credentials");
	if (c->auth_method == EID_AUTH_NONE &&
	    (c->grant_types & EID_GRANT_CIBA))
		return refuse(why, EID_EINVAL, "a public client (auth method "
			      "none) cannot use CIBA");
	if (c->ciba_delivery == EID_CIBA_DELIVERY_PING &&
	    !(c->grant_types & EID_GRANT_CIBA))
		return refuse(why, EID_EINVAL, "backchannel_token_delivery_mode "
			      "ping needs the CIBA grant");
	if ((c->ciba_delivery == EID_CIBA_DELIVERY_PING) !=
	    (c->ciba_notification_endpoint != NULL))
		return refuse(why, EID_EINVAL, "backchannel_client_notification_"
			      "endpoint is required with ping delivery and "
			      "only with it");
	if (c->jwks != NULL && c->jwks_uri != NULL)
		return refuse(why, EID_EINVAL,
			      "jwks and jwks_uri exclude each other");
	if (c->auth_method == EID_AUTH_PRIVATE_KEY_JWT && c->jwks == NULL &&
	    c->jwks_uri == NULL)
		return refuse(why, EID_EINVAL,
			      "private_key_jwt needs jwks or jwks_uri");
	if ((c->grant_types & EID_GRANT_AUTHORIZATION_CODE) &&
	    c->redirect_uris.n == 0)
		return refuse(why, EID_EINVAL, "authorization_code needs at "
			      "least one redirect URI");
	if ((c->grant_types & EID_GRANT_REFRESH_TOKEN) &&
	    !(c->grant_types &
	      (EID_GRANT_AUTHORIZATION_CODE | EID_GRANT_CIBA |
	       EID_GRANT_DEVICE_CODE)))
		return refuse(why, EID_EINVAL, "refresh_token needs "
			      "authorization_code, CIBA or the device_code "
			      "grant");
	if (c->subject_type == EID_SUBJECT_PAIRWISE &&
	    c->sector_identifier[0] == '\0' && derive_sector(c, why) != EID_OK)
		return EID_EINVAL;
	if (secret_rules && secret_method && !c->has_secret)
		return refuse(why, EID_EINVAL, "%s needs a client secret",
			      eid_client_auth_name(c->auth_method));
	if (secret_rules && !secret_method && c->has_secret)
		return refuse(why, EID_EINVAL, "a client secret is only for "
			      "client_secret_basic and client_secret_post");
	return EID_OK;
}

int eid_client_check(struct eid_client *c, eid_buf *why)
{
	return check_rules(c, true, why);
}

/* Apply the members of obj; stored-only members are skipped when
 * skip_stored. */
static int apply_members(struct eid_client *c, const json_t *obj,
			 bool skip_stored, eid_buf *why)
{
	static const char *const stored[] = { "v", "status", "created_at",
					      "updated_at", "secret_salt",
					      "secret_hash", NULL };
	const char *key;
	json_t *v;
	int r;

	json_object_foreach((json_t *)obj, key, v) {
		const struct member *m = find_member(key);
		bool is_stored = false;

		for (size_t i = 0; skip_stored && stored[i]; i++)
			is_stored |= strcmp(stored[i], key) == 0;
		if (is_stored)
			continue;
		if (m == NULL)
			return refuse(why, EID_EINVAL, "unknown member "
				      "'%.64s'", key);
		if (json_is_null(v))
			continue; /* absent */
		if ((r = m->set(c, v, why)) != EID_OK)
			return r;
	}
	return EID_OK;
}

static int from_json(const json_t *meta, bool stored, struct eid_client *ret,
		     eid_buf *why)
{
	struct eid_client c;
	int r = EID_EMALFORMED;

	set_defaults(&c);
	if (!json_is_object(meta)) {
		refuse(why, r, "client metadata is not a JSON object");
		goto out;
	}
	if ((r = apply_members(&c, meta, stored, why)) != EID_OK)
		goto out;
	if (!stored && (r = check_rules(&c, false, why)) != EID_OK)
		goto out;
	*ret = c;
	return EID_OK;
out:
	eid_client_clear(&c);
	return r;
}

int eid_client_from_json(const json_t *meta, struct eid_client *ret,
			 eid_buf *why)
{
	return from_json(meta, false, ret, why);
}

/* ---- output ---- */

static json_t *names_array(const struct name_bit *t, unsigned bits)
{
	json_t *a = json_array();

	for (; a != NULL && t->name != NULL; t++)
		if ((bits & t->bit) &&
		    json_array_append_new(a, json_string(t->name)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *scope_string(unsigned bits)
{
	char s[128];
	size_t n = 0;

	for (const struct name_bit *t = scope_names; t->name; t++) {
		if (!(bits & t->bit))
			continue;
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s",
				      n ? " " : "", t->name);
	}
	s[n < sizeof(s) ? n : sizeof(s) - 1] = '\0';
	return json_string(s);
}

static json_t *strlist_json(const struct eid_strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < l->n; i++)
		if (json_array_append_new(a, json_string(l->v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Setting NULL values fails the whole build (json_object_set_new refuses
 * them), so one check at the end covers every allocation. */
static int put(json_t *o, const char *name, json_t *v, int *err)
{
	if (json_object_set_new(o, name, v) != 0)
		*err = EID_ENOMEM;
	return *err;
}

static void put_optional(json_t *o, const struct eid_client *c, int *err)
{
	if (c->backchannel_logout_uri != NULL)
		put(o, "backchannel_logout_uri",
		    json_string(c->backchannel_logout_uri), err);
	if (c->grant_types & EID_GRANT_CIBA)
		put(o, "backchannel_token_delivery_mode",
		    json_string(name_of(ciba_delivery_names, c->ciba_delivery)),
		    err);
	if (c->ciba_notification_endpoint != NULL)
		put(o, "backchannel_client_notification_endpoint",
		    json_string(c->ciba_notification_endpoint), err);
	if (c->jwks != NULL)
		put(o, "jwks", json_deep_copy(c->jwks), err);
	if (c->jwks_uri != NULL)
		put(o, "jwks_uri", json_string(c->jwks_uri), err);
	if (c->sector_identifier[0])
		put(o, "sector_identifier", json_string(c->sector_identifier),
		    err);
	if (c->access_token_ttl)
		put(o, "access_token_ttl",
		    json_integer((json_int_t)c->access_token_ttl), err);
	if (c->refresh_token_ttl)
		put(o, "refresh_token_ttl",
		    json_integer((json_int_t)c->refresh_token_ttl), err);
	if (c->id_token_ttl)
		put(o, "id_token_ttl", json_integer((json_int_t)c->id_token_ttl),
		    err);
}

/* The metadata members (what eid_client_from_json takes) into o. */
static int put_metadata(json_t *o, const struct eid_client *c)
{
	int err = EID_OK;

	put(o, "client_id", json_string(c->client_id), &err);
	put(o, "name", json_string(c->name), &err);
	put(o, "grant_types", names_array(grant_names, c->grant_types), &err);
	put(o, "token_endpoint_auth_method",
	    json_string(eid_client_auth_name(c->auth_method)), &err);
	put(o, "redirect_uris", strlist_json(&c->redirect_uris), &err);
	put(o, "post_logout_redirect_uris",
	    strlist_json(&c->post_logout_redirect_uris), &err);
	put(o, "scope", scope_string(c->scopes), &err);
	put(o, "subject_type",
	    json_string(name_of(subject_names, c->subject_type)), &err);
	put(o, "require_par", json_boolean(c->require_par), &err);
	put(o, "require_dpop", json_boolean(c->require_dpop), &err);
	put(o, "id_token_signed_response_alg",
	    json_string(eid_alg_name(c->id_token_alg)), &err);
	put_optional(o, c, &err);
	return err;
}

static int put_state(json_t *o, const struct eid_client *c)
{
	int err = EID_OK;

	put(o, "status", json_string(name_of(status_names, c->status)), &err);
	put(o, "created_at", json_integer(c->created_at), &err);
	put(o, "updated_at", json_integer(c->updated_at), &err);
	return err;
}

int eid_client_to_json(const struct eid_client *c, json_t **ret)
{
	json_t *o = json_object();
	int r = EID_ENOMEM;

	if (o != NULL && (r = put_metadata(o, c)) == EID_OK &&
	    (r = put_state(o, c)) == EID_OK) {
		*ret = o;
		return EID_OK;
	}
	json_decref(o);
	return r;
}

/* ---- storage form ---- */

static int put_b64(json_t *o, const char *name, const void *p, size_t n)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, 128);
	r = eid_b64url_encode(p, n, &b);
	if (r == EID_OK && json_object_set_new(o, name,
			json_stringn((const char *)b.data, b.len)) != 0)
		r = EID_ENOMEM;
	eid_buf_free(&b);
	return r;
}

int eid_client_encode(const struct eid_client *c, eid_buf *out)
{
	json_t *o = json_pack("{s:i}", "v", EID_CLIENT_FORMAT_V1);
	char *s = NULL;
	int r = EID_ENOMEM;

	if (o == NULL)
		goto out;
	if ((r = put_metadata(o, c)) != EID_OK ||
	    (r = put_state(o, c)) != EID_OK)
		goto out;
	if (c->has_secret &&
	    ((r = put_b64(o, "secret_salt", c->secret_salt,
			  sizeof(c->secret_salt))) != EID_OK ||
	     (r = put_b64(o, "secret_hash", c->secret_hash,
			  sizeof(c->secret_hash))) != EID_OK))
		goto out;
	r = EID_ENOMEM;
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	r = eid_buf_put_str(out, s);
out:
	free(s);
	json_decref(o);
	return r;
}

static int get_b64(const json_t *o, const char *name, uint8_t *dst,
		   size_t n)
{
	const json_t *v = json_object_get(o, name);
	eid_buf b;
	int r = EID_EMALFORMED;

	eid_buf_init(&b, 64);
	if (json_is_string(v) &&
	    eid_b64url_decode(json_string_value(v), json_string_length(v),
			      &b) == EID_OK && b.len == n) {
		memcpy(dst, b.data, n);
		r = EID_OK;
	}
	eid_buf_free(&b);
	return r;
}

static int decode_state(const json_t *o, struct eid_client *c)
{
	json_t *salt = json_object_get(o, "secret_salt");
	json_t *hash = json_object_get(o, "secret_hash");
	json_t *ca = json_object_get(o, "created_at");
	json_t *ua = json_object_get(o, "updated_at");
	unsigned st = 0;

	if (set_enum(status_names, "status", json_object_get(o, "status"),
		     &st, NULL) != EID_OK || !json_is_integer(ca) ||
	    !json_is_integer(ua) || (salt == NULL) != (hash == NULL))
		return EID_EMALFORMED;
	c->status = (enum eid_client_status)st;
	c->created_at = json_integer_value(ca);
	c->updated_at = json_integer_value(ua);
	if (salt == NULL)
		return EID_OK;
	c->has_secret = true;
	if (get_b64(o, "secret_salt", c->secret_salt,
		    sizeof(c->secret_salt)) != EID_OK ||
	    get_b64(o, "secret_hash", c->secret_hash,
		    sizeof(c->secret_hash)) != EID_OK)
		return EID_EMALFORMED;
	return EID_OK;
}

int eid_client_decode(const void *p, size_t n, struct eid_client *ret)
{
	struct eid_client c;
	json_t *o = NULL, *v;
	int r = EID_EMALFORMED;

	memset(&c, 0, sizeof(c));
	if (n > EID_CLIENT_JSON_MAX)
		return EID_ETOOBIG;
	o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	v = json_object_get(o, "v");
	if (!json_is_integer(v))
		goto out;
	r = EID_EUNSUPPORTED;
	if (json_integer_value(v) != EID_CLIENT_FORMAT_V1)
		goto out;
	r = EID_EMALFORMED;
	if (from_json(o, true, &c, NULL) != EID_OK)
		goto out;
	if (decode_state(o, &c) != EID_OK || check_rules(&c, true, NULL) !=
							   EID_OK)
		goto out;
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = EID_OK;
out:
	eid_client_clear(&c);
	json_decref(o);
	return r;
}

/* ---- checks for the endpoints ---- */

int eid_client_hash_secret(const uint8_t salt[EID_CLIENT_SALT_LEN],
			   const char *secret, size_t len,
			   uint8_t ret_hash[32])
{
	eid_buf in;
	int r;

	eid_buf_init_secret(&in, EID_CLIENT_SALT_LEN + EID_CLIENT_SECRET_MAX);
	r = eid_buf_put(&in, salt, EID_CLIENT_SALT_LEN);
	if (r == EID_OK)
		r = eid_buf_put(&in, secret, len);
	if (r == EID_OK)
		r = eid_sha256(in.data, in.len, ret_hash);
	eid_buf_free(&in);
	return r;
}

bool eid_client_check_secret(const struct eid_client *c,
			     const char *presented, size_t len)
{
	uint8_t h[32];
	bool ok;

	if (c == NULL || presented == NULL || len > EID_CLIENT_SECRET_MAX)
		return false;
	/* Hash even without a secret so both cases take the same time. */
	if (eid_client_hash_secret(c->secret_salt, presented, len, h) !=
	    EID_OK)
		return false;
	ok = eid_ct_equal(h, c->secret_hash, sizeof(h)) && c->has_secret;
	eid_wipe(h, sizeof(h));
	return ok;
}

static bool in_list(const struct eid_strlist *l, const char *uri)
{
	bool found = false;

	for (size_t i = 0; uri != NULL && i < l->n; i++)
		found |= strcmp(l->v[i], uri) == 0;
	return found;
}

bool eid_client_redirect_allowed(const struct eid_client *c, const char *uri)
{
	return c != NULL && in_list(&c->redirect_uris, uri);
}

bool eid_client_post_logout_allowed(const struct eid_client *c,
				    const char *uri)
{
	return c != NULL && in_list(&c->post_logout_redirect_uris, uri);
}
