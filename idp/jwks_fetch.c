#define _GNU_SOURCE /* strcasestr */
#include "idp/jwks_fetch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/uri.h"

#define CONNECT_TIMEOUT_MS 3000
#define TIMEOUT_MS 5000
#define HEADER_MAX 256 /* the part of Cache-Control we keep */

struct eid_keyset {
	eid_key *keys[EID_JWKS_KEYS_MAX];
	size_t n;
};

void eid_keyset_free(eid_keyset *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		eid_key_free(set->keys[i]);
	free(set);
}

size_t eid_keyset_count(const eid_keyset *set)
{
	return set->n;
}

const eid_key *const *eid_keyset_keys(const eid_keyset *set)
{
	return (const eid_key *const *)set->keys;
}

const eid_key *eid_keyset_find(const eid_keyset *set, const char *kid)
{
	for (size_t i = 0; set != NULL && kid != NULL && i < set->n; i++) {
		const char *k = eid_key_kid(set->keys[i]);
		if (k != NULL && strcmp(k, kid) == 0)
			return set->keys[i];
	}
	return NULL;
}

static int why_key(eid_buf *why, size_t i, int r)
{
	const char *what = r == EID_EINVAL ? "has private key members" :
			   r == EID_EMISMATCH ? "alg does not fit the key" :
			   "is malformed";
	if (why != NULL)
		(void)eid_buf_printf(why, "key %zu %s", i, what);
	return r == EID_EINVAL ? EID_EINVAL : EID_EMALFORMED;
}

int eid_keyset_from_json(const json_t *jwks, eid_keyset **ret_set,
			 eid_buf *why)
{
	const json_t *arr = json_object_get(jwks, "keys");
	eid_keyset *set = NULL;
	size_t i;
	int r = EID_EMALFORMED;

	if (!json_is_object(jwks) || !json_is_array(arr)) {
		eid_buf_say(why, "is not a JWK Set ({\"keys\":[...]})");
		goto out;
	}
	r = EID_ETOOBIG;
	if (json_array_size(arr) > EID_JWKS_KEYS_MAX) {
		eid_buf_say(why, "has more than 32 keys");
		goto out;
	}
	r = EID_ENOMEM;
	if ((set = calloc(1, sizeof(*set))) == NULL)
		goto out;
	for (i = 0; i < json_array_size(arr); i++) {
		eid_key *k = NULL;
		int kr = eid_key_from_public_jwk(json_array_get(arr, i), &k);

		if (kr == EID_EUNSUPPORTED)
			continue; /* an encryption key, or a kty we skip */
		if (kr != EID_OK) {
			r = why_key(why, i, kr);
			goto out;
		}
		set->keys[set->n++] = k;
	}
	r = EID_ENOTFOUND;
	if (set->n == 0) {
		eid_buf_say(why, "has no signature key");
		goto out;
	}
	*ret_set = set;
	set = NULL;
	r = EID_OK;
out:
	eid_keyset_free(set);
	return r;
}

/* ---- fetching ---- */

uint64_t eid_jwks_ttl_from_cache_control(const char *value)
{
	const char *p = value;
	unsigned long long v;
	char *end;

	while (p != NULL && (p = strcasestr(p, "max-age")) != NULL) {
		bool word = p == value || p[-1] == ' ' || p[-1] == ',';
		p += 7;
		if (!word || *p != '=' || !isdigit((unsigned char)p[1]))
			continue;
		v = strtoull(p + 1, &end, 10);
		if (v < EID_JWKS_TTL_MIN)
			return EID_JWKS_TTL_MIN;
		return v > EID_JWKS_TTL_MAX ? EID_JWKS_TTL_MAX : v;
	}
	return EID_JWKS_TTL_DEFAULT;
}

struct transfer {
	eid_buf body;
	char cache_control[HEADER_MAX];
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;

	if (eid_buf_put(&t->body, p, n) != EID_OK) {
		t->too_big = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	static const char name[] = "cache-control:";
	size_t len = n, skip = sizeof(name) - 1;

	if (len <= skip || strncasecmp(p, name, skip) != 0)
		return n;
	while (len > skip && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	while (skip < len && p[skip] == ' ')
		skip++;
	len -= skip;
	if (len >= sizeof(t->cache_control))
		len = sizeof(t->cache_control) - 1;
	memcpy(t->cache_control, p + skip, len);
	t->cache_control[len] = '\0';
	return n;
}

static int curl_error(CURLcode c, const struct transfer *t)
{
	if (t->too_big || c == CURLE_FILESIZE_EXCEEDED)
		return EID_ETOOBIG;
	if (c == CURLE_OPERATION_TIMEDOUT)
		return EID_ETIMEOUT;
	if (c == CURLE_OUT_OF_MEMORY)
		return EID_ENOMEM;
	return EID_ENETWORK;
}

static int transfer(const char *uri, const struct eid_jwks_options *opt,
		    struct transfer *t)
{
	uint64_t cto = opt && opt->connect_timeout_ms ?
			       opt->connect_timeout_ms : CONNECT_TIMEOUT_MS;
	uint64_t to = opt && opt->timeout_ms ? opt->timeout_ms : TIMEOUT_MS;
	CURL *h = curl_easy_init();
	long status = 0;
	CURLcode c;
	int r = EID_ENOMEM;

	if (h == NULL)
		return r;
	if (curl_easy_setopt(h, CURLOPT_URL, uri) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http") ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cto) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)to) ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)EID_JWKS_MAX) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, t) ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, t))
		goto out;
	c = curl_easy_perform(h);
	r = curl_error(c, t);
	if (c != CURLE_OK)
		goto out;
	r = EID_ENETWORK;
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status != 200)
		goto out;
	r = EID_OK;
out:
	curl_easy_cleanup(h);
	return r;
}

/* Parse a body into a key set; EID_EMALFORMED when it is not JSON. */
static int parse_body(const void *p, size_t n, eid_keyset **ret_set)
{
	json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	int r = EID_EMALFORMED;

	if (o != NULL)
		r = eid_keyset_from_json(o, ret_set, NULL);
	json_decref(o);
	return r;
}

static int fetch_body(const char *uri, const struct eid_jwks_options *opt,
		      eid_buf *ret_body, eid_keyset **ret_set,
		      uint64_t *ret_ttl)
{
	struct transfer t;
	int r;

	if (eid_uri_check(uri, EID_URI_WEB, NULL) != EID_OK)
		return EID_EMALFORMED;
	memset(&t, 0, sizeof(t));
	eid_buf_init(&t.body, EID_JWKS_MAX);
	r = transfer(uri, opt, &t);
	if (r == EID_OK)
		r = parse_body(t.body.data, t.body.len, ret_set);
	if (r == EID_OK && ret_body != NULL)
		r = eid_buf_put(ret_body, t.body.data, t.body.len);
	if (r == EID_OK)
		*ret_ttl = eid_jwks_ttl_from_cache_control(
			t.cache_control[0] ? t.cache_control : NULL);
	eid_buf_free(&t.body);
	return r;
}

int eid_jwks_fetch(const char *uri, const struct eid_jwks_options *opt,
		   eid_keyset **ret_set, uint64_t *ret_ttl)
{
	eid_keyset *set = NULL;
	uint64_t ttl = 0;
	int r = fetch_body(uri, opt, NULL, &set, &ttl);

	if (r != EID_OK)
		return r;
	*ret_set = set;
	if (ret_ttl != NULL)
		*ret_ttl = ttl;
	return EID_OK;
}

/* ---- the cache ---- */

/* Store keys: a tag and the base64url SHA-256 of the URI (URIs may be
 * longer than a store key). */
static int cache_key(const char *tag, const char *uri, eid_buf *out)
{
	uint8_t d[32];
	int r = eid_sha256(uri, strlen(uri), d);

	if (r == EID_OK)
		r = eid_buf_put_str(out, tag);
	if (r == EID_OK)
		r = eid_b64url_encode(d, sizeof(d), out);
	return r;
}

/* Fetch, cache and return the set. */
static int refresh(eid_store *s, const char *uri, const eid_buf *set_key,
		   const struct eid_jwks_options *opt, eid_keyset **ret_set)
{
	uint64_t ttl = 0;
	eid_buf body;
	int r;

	eid_buf_init(&body, EID_JWKS_MAX);
	r = fetch_body(uri, opt, &body, ret_set, &ttl);
	/* A set we cannot cache still verifies this request. */
	if (r == EID_OK)
		(void)eid_eph_set(s, EID_EPH_JWKS, set_key->data, set_key->len,
				  body.data, body.len, eid_store_now(s) + ttl);
	eid_buf_free(&body);
	return r;
}

/* The cached set, EID_ENOTFOUND when there is none. */
static int cached(eid_store *s, const eid_buf *set_key, eid_keyset **ret_set)
{
	eid_buf body;
	int r;

	eid_buf_init(&body, EID_JWKS_MAX);
	r = eid_eph_get(s, EID_EPH_JWKS, set_key->data, set_key->len, &body,
			NULL);
	if (r == EID_OK)
		r = parse_body(body.data, body.len, ret_set);
	eid_buf_free(&body);
	return r;
}

static int get_with_keys(eid_store *s, const char *uri, const char *kid,
			 const struct eid_jwks_options *opt,
			 const eid_buf *set_key, const eid_buf *try_key,
			 eid_keyset **ret_set)
{
	uint64_t now = eid_store_now(s);
	eid_keyset *set = NULL, *fresh = NULL;
	int r = cached(s, set_key, &set);

	if (r == EID_OK && (kid == NULL || eid_keyset_find(set, kid) != NULL))
		goto found;
	if (r != EID_OK && r != EID_ENOTFOUND)
		set = NULL; /* a damaged cache entry: fetch again */
	/* Claim the one fetch of this interval; whoever loses it, in this
	 * process or another node, uses what is cached. */
	r = eid_eph_put(s, EID_EPH_JWKS, try_key->data, try_key->len, "", 0,
			now + EID_JWKS_REFETCH_INTERVAL);
	if (r == EID_EEXIST) {
		r = set != NULL ? EID_OK : EID_ELIMIT;
		goto found;
	}
	if (r != EID_OK)
		goto found;
	r = refresh(s, uri, set_key, opt, &fresh);
	if (r == EID_OK) {
		eid_keyset_free(set);
		set = fresh;
	} else if (set != NULL) {
		r = EID_OK; /* the relying party is down: keep the old keys */
	}
found:
	if (r == EID_OK)
		*ret_set = set;
	else
		eid_keyset_free(set);
	return r;
}

int eid_jwks_get(eid_store *s, const char *uri, const char *kid,
		 const struct eid_jwks_options *opt, eid_keyset **ret_set)
{
	eid_buf set_key, try_key;
	int r;

	if (s == NULL || uri == NULL || ret_set == NULL)
		return EID_EINVAL;
	eid_buf_init(&set_key, 64);
	eid_buf_init(&try_key, 64);
	r = cache_key("set:", uri, &set_key);
	if (r == EID_OK)
		r = cache_key("try:", uri, &try_key);
	if (r == EID_OK)
		r = get_with_keys(s, uri, kid, opt, &set_key, &try_key,
				  ret_set);
	eid_buf_free(&set_key);
	eid_buf_free(&try_key);
	return r;
}
