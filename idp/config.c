/* The configuration file.  inih splits lines; everything else is driven by
 * one table (config_keys) so a new key is one line: its section and name are
 * the struct member names, its default is text parsed like the file's.
 *
 * inih's lineno-passing handler is a compile-time option of the library,
 * so lines are fed through our own reader (ini_parse_stream), which knows
 * the line each handler call comes from, sees what inih drops silently
 * (section headers, over-long lines, NUL bytes), and never touches inih's
 * global settings. */
#define _GNU_SOURCE /* strerror_r returning char * */
#include "idp/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <ini.h>

#include "crypto/error.h"
#include "idp/cidr.h"
#include "idp/httpc.h"

enum kind {
	K_LISTEN,   /* struct eid_listen */
	K_URL,      /* char *: the issuer */
	K_STR,      /* char *: anything, also empty */
	K_PATH,     /* char *: not empty */
	K_LABEL,    /* char *: not empty, at most 64 bytes, no control or ':' */
	K_ENVNAME,  /* char *: [A-Za-z_][A-Za-z0-9_]* */
	K_ALG,      /* char *: a JOSE signing algorithm we support */
	K_SECCOMP,  /* char *: kill, log or off */
	K_SIGNER,   /* char *: process or inprocess */
	K_SOURCE,   /* char *: local or http */
	K_CIDRS,    /* char *: addresses and CIDR blocks (idp/cidr.h) */
	K_NUM,      /* uint64_t in [min, max] */
	K_DURATION, /* uint64_t seconds in [min, max], suffix s m h d */
	K_MILLIS,   /* uint64_t milliseconds in [min, max], suffix ms s m */
	K_SIZE,     /* uint64_t bytes in [min, max], suffix k m */
	K_BOOL,     /* bool */
};

struct key_def {
	const char *section;
	const char *name;
	enum kind kind;
	size_t off;
	uint64_t min, max;
	const char *def;
};

#define DAY 86400ull
/* [server] seccomp: "log" in sanitized builds (meson.build says why). */
#ifndef EID_SECCOMP_DEFAULT
#define EID_SECCOMP_DEFAULT "kill"
#endif
#define KEY(sec, field, kind, min, max, def)                                   \
	{ #sec, #field, kind, offsetof(struct eid_config, sec.field), min, max, \
	  def }

/* docs/configuration.md describes each of these; keep the two in step. */
static const struct key_def config_keys[] = {
	KEY(server, listen, K_LISTEN, 0, 0, "127.0.0.1:8080"),
	KEY(server, issuer, K_URL, 0, 0, "http://127.0.0.1:8080"),
	KEY(server, threads, K_NUM, 1, 256, "2"),
	KEY(server, max_body, K_SIZE, 1, 1ull << 30, "512k"),
	KEY(server, max_connections, K_NUM, 1, 1000000, "1024"),
	KEY(server, connection_timeout, K_DURATION, 1, DAY, "30"),
	KEY(server, max_connections_per_ip, K_NUM, 0, 1000000, "256"),
	KEY(server, trusted_proxies, K_CIDRS, 0, 0, ""),
	KEY(server, user, K_STR, 0, 0, ""),
	KEY(server, group, K_STR, 0, 0, ""),
	KEY(server, seccomp, K_SECCOMP, 0, 0, EID_SECCOMP_DEFAULT),
	KEY(tls, cert_file, K_STR, 0, 0, ""),
	KEY(tls, key_file, K_STR, 0, 0, ""),
	KEY(tls, hsts_max_age, K_DURATION, 0, 730 * DAY, "365d"),
	KEY(limits, token, K_NUM, 0, 1000000, "600"),
	KEY(limits, login, K_NUM, 0, 1000000, "60"),
	KEY(limits, registration, K_NUM, 0, 1000000, "60"),
	KEY(limits, chip, K_NUM, 0, 1000000, "30"),
	KEY(limits, user_code, K_NUM, 0, 1000000, "10"),
	KEY(limits, window, K_DURATION, 1, DAY, "60"),
	KEY(store, data_dir, K_PATH, 0, 0, "var"),
	KEY(store, map_size_mb, K_NUM, 1, 1ull << 22, "8192"),
	KEY(store, ephemeral_map_size_mb, K_NUM, 1, 1ull << 22, "1024"),
	KEY(keys, kek_file, K_STR, 0, 0, ""),
	KEY(keys, kek_env, K_ENVNAME, 0, 0, "EID_KEK"),
	KEY(keys, algorithm, K_ALG, 0, 0, "ES256"),
	KEY(keys, publish_delay, K_DURATION, 0, 30 * DAY, "300"),
	KEY(keys, retire_after, K_DURATION, 0, 365 * DAY, "86400"),
	KEY(keys, signer, K_SIGNER, 0, 0, "process"),
	KEY(tokens, id_token_ttl, K_DURATION, 1, DAY, "300"),
	KEY(tokens, access_token_ttl, K_DURATION, 1, DAY, "600"),
	KEY(tokens, refresh_token_ttl, K_DURATION, 1, 365 * DAY, "2592000"),
	KEY(tokens, code_ttl, K_DURATION, 1, 600, "60"),
	KEY(device_grant, expires_in, K_DURATION, 5, 3600, "600"),
	KEY(device_grant, interval, K_DURATION, 1, 60, "5"),
	KEY(passwords, memory_kib, K_NUM, 8, 4194304, "19456"),
	KEY(passwords, iterations, K_NUM, 1, 100, "2"),
	KEY(passwords, parallelism, K_NUM, 1, 64, "1"),
	KEY(passwords, min_length, K_NUM, 8, 1024, "12"),
	KEY(passwords, max_length, K_NUM, 8, 1024, "128"),
	KEY(lockout, max_failures, K_NUM, 1, 1000, "5"),
	KEY(lockout, base_delay, K_DURATION, 1, DAY, "30"),
	KEY(lockout, max_delay, K_DURATION, 1, 30 * DAY, "3600"),
	KEY(lockout, per_address_max, K_NUM, 1, 1000000, "20"),
	KEY(lockout, per_address_window, K_DURATION, 1, DAY, "900"),
	KEY(pkcs11, module, K_STR, 0, 0, ""),
	KEY(pkcs11, token_label, K_STR, 0, 0, ""),
	KEY(pkcs11, pin_file, K_STR, 0, 0, ""),
	KEY(ca, subject, K_STR, 0, 0, "C=VN, O=eid, CN=eid Citizen Signing CA"),
	KEY(ca, days, K_NUM, 1, 30 * 366, "3650"),
	KEY(ca, crl_next_update, K_DURATION, 3600, 30 * DAY, "1d"),
	KEY(ca, sign_request_ttl, K_DURATION, 30, 3600, "5m"),
	KEY(notify, sms_gateway_url, K_STR, 0, 0, ""),
	KEY(notify, sms_gateway_token_file, K_STR, 0, 0, ""),
	KEY(notify, outbox_retention, K_DURATION, 60, 365 * DAY, "7d"),
	KEY(notify, queue_max, K_NUM, 1, 1000000, "1000"),
	KEY(notify, sms_max_age, K_DURATION, 30, DAY, "5m"),
	KEY(registration, per_address_max, K_NUM, 1, 1000000, "20"),
	KEY(registration, per_id_max, K_NUM, 1, 1000, "5"),
	KEY(registration, window, K_DURATION, 60, DAY, "1h"),
	KEY(activation, code_ttl, K_DURATION, 600, 30 * DAY, "1d"),
	KEY(biometric, service, K_LABEL, 0, 0, "none"),
	KEY(biometric, url, K_STR, 0, 0, ""),
	KEY(biometric, token_file, K_STR, 0, 0, ""),
	KEY(biometric, threshold, K_NUM, 0, 100, "80"),
	KEY(biometric, timeout_ms, K_NUM, 100, 120000, "10000"),
	KEY(accounts, sweep_interval, K_DURATION, 0, 30 * DAY, "1h"),
	KEY(registry, source, K_SOURCE, 0, 0, "local"),
	KEY(registry, url, K_STR, 0, 0, ""),
	KEY(registry, bearer_token_file, K_STR, 0, 0, ""),
	KEY(registry, ca_file, K_STR, 0, 0, ""),
	KEY(registry, connect_timeout, K_MILLIS, 100, 60000, "3s"),
	KEY(registry, timeout, K_MILLIS, 100, 120000, "5s"),
	KEY(registry, retries, K_NUM, 0, 10, "1"),
	KEY(registry, backoff, K_MILLIS, 10, 60000, "200ms"),
	KEY(registry, allow_insecure_http, K_BOOL, 0, 0, "false"),
	KEY(credentials, totp_issuer, K_LABEL, 0, 0, "eid"),
	KEY(webauthn, rp_id, K_STR, 0, 0, ""),
	KEY(webauthn, origin, K_STR, 0, 0, ""),
	KEY(log, access_log, K_BOOL, 0, 0, "true"),
	KEY(demo, enabled, K_BOOL, 0, 0, "false"),
};
#undef KEY

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))
/* Longest piece of a bad value echoed back (it may be anything). */
#define ECHO_MAX 64u

/* One load in progress. */
struct load {
	struct eid_config *cfg; /* the copy being filled */
	const char *text;
	size_t len, pos;
	unsigned line;          /* of the line last handed to inih */
	bool indented;          /* that line starts with blank space */
	unsigned seen[NKEYS];   /* line each key was set on, 0: not set */
	unsigned err_line;      /* first error found by us, 0: none */
	eid_buf why;            /* its reason */
};

/* --- value parsers --- */

static bool is_str_kind(enum kind k)
{
	return k == K_URL || k == K_STR || k == K_PATH || k == K_LABEL ||
	       k == K_ENVNAME || k == K_ALG || k == K_SECCOMP || k == K_CIDRS ||
	       k == K_SIGNER || k == K_SOURCE;
}

static char **str_field(struct eid_config *c, const struct key_def *k)
{
	return (char **)(void *)((char *)c + k->off);
}

static uint64_t *num_field(struct eid_config *c, const struct key_def *k)
{
	return (uint64_t *)(void *)((char *)c + k->off);
}

/* The value, quoted for a message: capped, non-printables as '?'. */
static void put_quoted(eid_buf *b, const char *v)
{
	size_t n = strlen(v);

	(void)eid_buf_put_u8(b, '\'');
	for (size_t i = 0; i < n && i < ECHO_MAX; i++)
		(void)eid_buf_put_u8(b, isprint((unsigned char)v[i]) ?
						(uint8_t)v[i] :
						(uint8_t)'?');
	(void)eid_buf_put_str(b, n > ECHO_MAX ? "...'" : "'");
}

/* Decimal digits only: no sign, no blanks, no overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0)
		return EID_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EID_EMALFORMED;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return EID_EMALFORMED;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return EID_OK;
}

struct unit {
	char suffix;
	uint64_t factor;
};

static const struct unit duration_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', DAY }, { 0, 0 }
};
static const struct unit size_units[] = {
	{ 'k', 1024 }, { 'K', 1024 }, { 'm', 1 << 20 }, { 'M', 1 << 20 },
	{ 0, 0 }
};

/* A number, optionally followed by one unit suffix. */
static int parse_scaled(const char *s, const struct unit *units,
			uint64_t *ret)
{
	size_t n = strlen(s);
	uint64_t v, f = 1;

	for (const struct unit *u = units; n > 0 && u->suffix; u++)
		if (s[n - 1] == u->suffix) {
			f = u->factor;
			n--;
			break;
		}
	if (parse_u64(s, n, &v) != EID_OK || v > UINT64_MAX / f)
		return EID_EMALFORMED;
	*ret = v * f;
	return EID_OK;
}

/* Milliseconds: "250ms", or a duration in seconds or minutes ("3",
 * "3s", "1m"), as every other duration is read. */
static int parse_millis(const char *s, uint64_t *ret)
{
	static const struct unit units[] = { { 's', 1000 }, { 'm', 60000 },
					     { 0, 0 } };
	size_t n = strlen(s);

	if (n > 2 && strcmp(s + n - 2, "ms") == 0)
		return parse_u64(s, n - 2, ret);
	if (n > 0 && s[n - 1] >= '0' && s[n - 1] <= '9') {
		uint64_t v;

		if (parse_u64(s, n, &v) != EID_OK || v > UINT64_MAX / 1000)
			return EID_EMALFORMED;
		*ret = v * 1000;
		return EID_OK;
	}
	return parse_scaled(s, units, ret);
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return EID_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return EID_OK;
		}
	}
	return EID_EMALFORMED;
}

int eid_config_parse_listen(const char *text, struct eid_listen *ret_listen)
{
	struct eid_listen l = { 0 };
	const char *colon, *host = text;
	size_t hlen;
	uint64_t port;
	unsigned char sa[sizeof(struct in6_addr)];

	if (text == NULL || ret_listen == NULL)
		return EID_EINVAL;
	colon = strrchr(text, ':');
	if (colon == NULL || parse_u64(colon + 1, strlen(colon + 1), &port) ||
	    port < 1 || port > 65535)
		return EID_EMALFORMED;
	hlen = (size_t)(colon - text);
	l.family = AF_INET;
	if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']') {
		l.family = AF_INET6;
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(l.addr))
		return EID_EMALFORMED;
	memcpy(l.addr, host, hlen);
	l.addr[hlen] = '\0';
	if (inet_pton(l.family, l.addr, sa) != 1)
		return EID_EMALFORMED;
	l.port = (uint16_t)port;
	*ret_listen = l;
	return EID_OK;
}

static bool is_loopback(const char *host)
{
	struct in_addr a4;

	if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 &&
	       (ntohl(a4.s_addr) >> 24) == 127;
}

/* Why the URL parts make a bad issuer, or NULL when it is fine. */
static const char *issuer_fault(CURLU *u, const char *url)
{
	char *scheme = NULL, *host = NULL, *part = NULL;
	const char *why = NULL;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		why = "is not an absolute http(s) URL";
	else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
		why = "is not an absolute http(s) URL";
	else if (strcmp(scheme, "http") == 0 && !is_loopback(host))
		why = "must use https unless the host is loopback";
	else if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
		 curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK)
		why = "must not have a query or fragment";
	else if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK)
		why = "must not contain user information";
	/* Discovery appends "/.well-known/...": a trailing '/' would double
	 * it, and issuers are compared as exact strings. */
	else if (url[strlen(url) - 1] == '/')
		why = "must not end with '/'";
	curl_free(scheme);
	curl_free(host);
	curl_free(part);
	return why;
}

static int check_issuer(const char *v, eid_buf *why)
{
	CURLU *u = curl_url();
	const char *fault = "is not an absolute http(s) URL";
	int r = EID_ECONFIG;

	if (u == NULL)
		return EID_ENOMEM;
	if (v[0] != '\0' && curl_url_set(u, CURLUPART_URL, v, 0) == CURLUE_OK)
		fault = issuer_fault(u, v);
	curl_url_cleanup(u);
	if (fault == NULL)
		return EID_OK;
	put_quoted(why, v);
	(void)eid_buf_printf(why, " %s", fault);
	return r;
}

static bool is_envname(const char *s)
{
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool cidrs_valid(const char *v)
{
	struct eid_cidr_list *l = malloc(sizeof(*l));
	bool ok = l != NULL && eid_cidr_list_parse(v, l) == EID_OK;

	free(l);
	return ok;
}

/* A name shown in authenticator apps: the Key URI Format reserves ':'. */
static bool is_label(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f || v[i] == ':')
			return false;
	return true;
}

/* Check a string value; EID_ECONFIG with the reason in why when bad. */
static int check_str(const struct key_def *k, const char *v, eid_buf *why)
{
	bool ok = true;
	const char *expect = "";

	switch (k->kind) {
	case K_URL:
		return check_issuer(v, why);
	case K_PATH:
		ok = v[0] != '\0';
		expect = "a path";
		break;
	case K_LABEL:
		ok = is_label(v);
		expect = "a name of 1 to 64 bytes without ':' or control characters";
		break;
	case K_ENVNAME:
		ok = is_envname(v);
		expect = "an environment variable name";
		break;
	case K_CIDRS:
		ok = cidrs_valid(v);
		expect = "a list of IP addresses or CIDR blocks";
		break;
	case K_ALG:
		ok = strcmp(v, "ES256") == 0 || strcmp(v, "RS256") == 0 ||
		     strcmp(v, "PS256") == 0;
		expect = "one of ES256, RS256, PS256";
		break;
	case K_SECCOMP:
		ok = strcmp(v, "kill") == 0 || strcmp(v, "log") == 0 ||
		     strcmp(v, "off") == 0;
		expect = "one of kill, log, off";
		break;
	case K_SIGNER:
		ok = strcmp(v, "process") == 0 || strcmp(v, "inprocess") == 0;
		expect = "one of process, inprocess";
		break;
	case K_SOURCE:
		ok = strcmp(v, "local") == 0 || strcmp(v, "http") == 0;
		expect = "one of local, http";
		break;
	default:
		break;
	}
	if (ok)
		return EID_OK;
	put_quoted(why, v);
	(void)eid_buf_printf(why, " is not %s", expect);
	return EID_ECONFIG;
}

static int set_str(struct eid_config *c, const struct key_def *k,
		   const char *v, eid_buf *why)
{
	char **field = str_field(c, k);
	char *dup;
	int r = check_str(k, v, why);

	if (r != EID_OK)
		return r;
	dup = strdup(v);
	if (dup == NULL)
		return EID_ENOMEM;
	free(*field);
	*field = dup;
	return EID_OK;
}

/* The numeric kinds: parse, range-check, or explain. */
static int set_num(struct eid_config *c, const struct key_def *k,
		   const char *v, eid_buf *why)
{
	uint64_t n = 0;
	int r = EID_EMALFORMED;

	if (k->kind == K_NUM)
		r = parse_u64(v, strlen(v), &n);
	else if (k->kind == K_DURATION)
		r = parse_scaled(v, duration_units, &n);
	else if (k->kind == K_SIZE)
		r = parse_scaled(v, size_units, &n);
	else if (k->kind == K_MILLIS)
		r = parse_millis(v, &n);
	if (r == EID_OK && n >= k->min && n <= k->max) {
		*num_field(c, k) = n;
		return EID_OK;
	}
	put_quoted(why, v);
	if (k->kind == K_MILLIS)
		(void)eid_buf_printf(why, " is not a duration of %llu-%llu "
				     "milliseconds (suffix ms, s or m)",
				     (unsigned long long)k->min,
				     (unsigned long long)k->max);
	else if (k->kind == K_NUM)
		(void)eid_buf_printf(why, " is not a number %llu-%llu",
				     (unsigned long long)k->min,
				     (unsigned long long)k->max);
	else
		(void)eid_buf_printf(why,
				     " is not %s of %llu-%llu %s (suffix %s)",
				     k->kind == K_SIZE ? "a size" :
							 "a duration",
				     (unsigned long long)k->min,
				     (unsigned long long)k->max,
				     k->kind == K_SIZE ? "bytes" : "seconds",
				     k->kind == K_SIZE ? "k or m" :
							 "s, m, h or d");
	return EID_ECONFIG;
}

static int set_value(struct eid_config *c, const struct key_def *k,
		     const char *v, eid_buf *why)
{
	void *field = (char *)c + k->off;
	int r;

	if (is_str_kind(k->kind))
		return set_str(c, k, v, why);
	if (k->kind == K_LISTEN)
		r = eid_config_parse_listen(v, field);
	else if (k->kind == K_BOOL)
		r = parse_bool(v, field);
	else
		return set_num(c, k, v, why);
	if (r == EID_OK)
		return EID_OK;
	put_quoted(why, v);
	(void)eid_buf_put_str(why, k->kind == K_LISTEN ?
					   " is not ADDR:PORT (IPv4 or "
					   "[IPv6]:port, port 1-65535)" :
					   " is not a boolean "
					   "(true/false, yes/no, 1/0)");
	return EID_ECONFIG;
}

/* --- whole structs --- */

void eid_config_free(struct eid_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (is_str_kind(config_keys[i].kind)) {
			char **f = str_field(c, &config_keys[i]);
			free(*f);
			*f = NULL;
		}
}

int eid_config_defaults(struct eid_config *c)
{
	eid_buf why;
	int r = EID_OK;

	memset(c, 0, sizeof(*c));
	eid_buf_init(&why, EID_CONFIG_ERR_MAX);
	for (size_t i = 0; i < NKEYS && r == EID_OK; i++)
		r = set_value(c, &config_keys[i], config_keys[i].def, &why);
	eid_buf_free(&why);
	if (r == EID_ECONFIG) /* a default the table got wrong */
		r = EID_EINTERNAL;
	if (r != EID_OK)
		eid_config_free(c);
	return r;
}

/* A deep copy, so a failed load can leave the original untouched. */
static int config_copy(struct eid_config *dst, const struct eid_config *src)
{
	*dst = *src;
	for (size_t i = 0; i < NKEYS; i++)
		if (is_str_kind(config_keys[i].kind))
			*str_field(dst, &config_keys[i]) = NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &config_keys[i];
		char *s;

		if (!is_str_kind(k->kind))
			continue;
		s = *str_field((struct eid_config *)src, k);
		if (s != NULL && (*str_field(dst, k) = strdup(s)) == NULL) {
			eid_config_free(dst);
			return EID_ENOMEM;
		}
	}
	return EID_OK;
}

/* --- parsing --- */

static const struct key_def *find_key(const char *section, const char *name,
				      size_t *ret_index)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0) {
			*ret_index = i;
			return &config_keys[i];
		}
	return NULL;
}

static bool known_section(const char *section, size_t n)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(config_keys[i].section) == n &&
		    memcmp(config_keys[i].section, section, n) == 0)
			return true;
	return false;
}

/* Record the first error (later ones are noise caused by the first).
 * The reason is cut to EID_CONFIG_ERR_MAX rather than lost. */
static void fail(struct load *L, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct load *L, const char *fmt, ...)
{
	char reason[EID_CONFIG_ERR_MAX];
	va_list ap;

	if (L->err_line != 0)
		return;
	L->err_line = L->line;
	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Names come from the file: keep the message one printable line. */
	for (char *p = reason; *p; p++)
		if (!isprint((unsigned char)*p))
			*p = '?';
	eid_buf_reset(&L->why);
	(void)eid_buf_put_str(&L->why, reason);
}

/* inih drops section headers without calling us: check them here. */
static void check_header(struct load *L, const char *p, size_t n)
{
	const char *end;
	char name[ECHO_MAX + 1];
	size_t len;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	if (n == 0 || *p != '[')
		return;
	end = memchr(p, ']', n);
	if (end == NULL)
		return; /* inih reports the line as unparsable */
	len = (size_t)(end - p - 1);
	if (known_section(p + 1, len))
		return;
	len = len > ECHO_MAX ? ECHO_MAX : len;
	memcpy(name, p + 1, len);
	name[len] = '\0';
	fail(L, "unknown section [%s]", name);
}

/* fgets for inih over our text: always consumes one whole line, so inih's
 * line count and ours agree even when a line is too long. */
static char *config_reader(char *str, int num, void *stream)
{
	struct load *L = stream;
	const char *p = L->text + L->pos, *nl;
	size_t n, content, cap;

	if (L->pos >= L->len || num < 4)
		return NULL;
	nl = memchr(p, '\n', L->len - L->pos);
	n = nl != NULL ? (size_t)(nl - p) + 1 : L->len - L->pos;
	L->pos += n;
	L->line++;
	L->indented = p[0] == ' ' || p[0] == '\t';
	content = n;
	while (content > 0 && (p[content - 1] == '\n' || p[content - 1] == '\r'))
		content--;
	cap = (size_t)num - 3; /* inih's rule: room for \r, \n and NUL */
	if (memchr(p, '\0', n) != NULL)
		fail(L, "NUL byte in line");
	else if (content > cap)
		fail(L, "line longer than %zu characters", cap);
	else
		check_header(L, p, n);
	n = n < (size_t)num - 1 ? n : (size_t)num - 1;
	memcpy(str, p, n);
	str[n] = '\0';
	return str;
}

static int config_handler(void *user, const char *section, const char *name,
			  const char *value)
{
	struct load *L = user;
	const struct key_def *k;
	const char *reason;
	eid_buf why;
	size_t i = 0;
	int r;

	if (L->err_line != 0)
		return 1; /* already failed: the first error is the one told */
	if (L->indented) {
		fail(L, "indented line '%s' (continuation lines are not "
			"supported)", name);
		return 0;
	}
	if (section[0] == '\0') {
		fail(L, "key '%s' outside any [section]", name);
		return 0;
	}
	k = find_key(section, name, &i);
	if (k == NULL) {
		fail(L, "unknown key '%s' in [%s]", name, section);
		return 0;
	}
	if (L->seen[i] != 0) {
		fail(L, "duplicate key '%s' in [%s]", name, section);
		return 0;
	}
	L->seen[i] = L->line;
	eid_buf_init(&why, EID_CONFIG_ERR_MAX);
	r = set_value(L->cfg, k, value, &why);
	reason = eid_buf_cstr(&why);
	if (r == EID_ENOMEM)
		fail(L, "out of memory");
	else if (r != EID_OK)
		fail(L, "bad value for '%s': %s", name,
		     reason != NULL ? reason : "?");
	eid_buf_free(&why);
	return r == EID_OK;
}

/* Point L->line at whichever of the keys involved was set last (0 when
 * all are defaults), so the message names a line of the file. */
static void point_at(struct load *L, const char *const *keys, size_t n)
{
	unsigned line = 0;
	size_t i = 0;

	for (size_t k = 0; k < n; k += 2)
		if (find_key(keys[k], keys[k + 1], &i) != NULL &&
		    L->seen[i] > line)
			line = L->seen[i];
	L->line = line;
}

static void check_token_keys(struct load *L)
{
	static const char *const keys[] = { "keys", "retire_after",
		"tokens", "id_token_ttl", "tokens", "access_token_ttl" };
	const struct eid_config *c = L->cfg;
	uint64_t longest = c->tokens.id_token_ttl;

	if (c->tokens.access_token_ttl > longest)
		longest = c->tokens.access_token_ttl;
	if (c->keys.retire_after >= longest)
		return;
	point_at(L, keys, 6);
	fail(L, "retire_after (%llu s) is shorter than the longest token "
		"lifetime (%llu s): a key must stay published while tokens "
		"it signed live",
	     (unsigned long long)c->keys.retire_after,
	     (unsigned long long)longest);
}

static void check_password_keys(struct load *L)
{
	static const char *const lengths[] = { "passwords", "min_length",
		"passwords", "max_length" };
	static const char *const argon[] = { "passwords", "memory_kib",
		"passwords", "parallelism" };
	static const char *const delays[] = { "lockout", "base_delay",
		"lockout", "max_delay" };
	const struct eid_config *c = L->cfg;

	if (c->passwords.min_length > c->passwords.max_length) {
		point_at(L, lengths, 4);
		fail(L, "min_length (%llu) is greater than max_length (%llu)",
		     (unsigned long long)c->passwords.min_length,
		     (unsigned long long)c->passwords.max_length);
	} else if (c->passwords.memory_kib < 8 * c->passwords.parallelism) {
		/* Argon2 needs 8 KiB per lane. */
		point_at(L, argon, 4);
		fail(L, "memory_kib (%llu) is less than 8 KiB per lane "
			"(parallelism %llu)",
		     (unsigned long long)c->passwords.memory_kib,
		     (unsigned long long)c->passwords.parallelism);
	} else if (c->lockout.base_delay > c->lockout.max_delay) {
		point_at(L, delays, 4);
		fail(L, "base_delay (%llu s) is longer than max_delay (%llu s)",
		     (unsigned long long)c->lockout.base_delay,
		     (unsigned long long)c->lockout.max_delay);
	}
}

/* TLS needs both files, and an https issuer. */
static void check_tls_keys(struct load *L)
{
	static const char *const files[] = { "tls", "cert_file", "tls",
		"key_file" };
	static const char *const issuer[] = { "server", "issuer", "tls",
		"cert_file" };
	const struct eid_config *c = L->cfg;
	bool cert = c->tls.cert_file[0] != '\0';

	if (cert != (c->tls.key_file[0] != '\0')) {
		point_at(L, files, 4);
		fail(L, "cert_file and key_file must be set together");
	} else if (cert && strncmp(c->server.issuer, "https://", 8) != 0) {
		point_at(L, issuer, 4);
		fail(L, "the issuer must be https when [tls] is on");
	}
}

/* A token needs its module, label and PIN file together. */
static void check_pkcs11_keys(struct load *L)
{
	static const char *const keys[] = { "pkcs11", "module", "pkcs11",
		"token_label", "pkcs11", "pin_file" };
	const struct eid_config *c = L->cfg;
	bool module = c->pkcs11.module[0] != '\0';

	if (module != (c->pkcs11.token_label[0] != '\0') ||
	    module != (c->pkcs11.pin_file[0] != '\0')) {
		point_at(L, keys, 6);
		fail(L, "module, token_label and pin_file must be set together");
	}
}

/* With source = http: a URL, https unless allow_insecure_http, which only
 * a plain http URL to this machine may have (a registry beside us, tests);
 * the connection's share of the time within the request's. */
static void check_registry_keys(struct load *L)
{
	static const char *const url[] = { "registry", "url", "registry",
		"source" };
	static const char *const plain[] = { "registry", "url", "registry",
		"allow_insecure_http" };
	static const char *const times[] = { "registry", "connect_timeout",
		"registry", "timeout" };
	const struct eid_config *c = L->cfg;
	const char *u = c->registry.url;
	bool https = strncmp(u, "https://", 8) == 0;

	if (strcmp(c->registry.source, "http") != 0)
		return;
	if (!https && strncmp(u, "http://", 7) != 0) {
		point_at(L, url, 4);
		fail(L, "source = http needs url = https://HOST[:PORT]/PATH "
			"(the registry's base URL)");
	} else if (c->registry.allow_insecure_http &&
		   !eid_httpc_loopback_http(u)) {
		point_at(L, plain, 4);
		fail(L, "allow_insecure_http is for a plain http:// registry "
			"on this machine (127.0.0.1, [::1], localhost) only");
	} else if (!https && !c->registry.allow_insecure_http) {
		point_at(L, plain, 4);
		fail(L, "the registry's url must be https (plain http only to "
			"this machine, with allow_insecure_http = true)");
	} else if (c->registry.connect_timeout > c->registry.timeout) {
		point_at(L, times, 4);
		fail(L, "connect_timeout (%llu ms) is longer than timeout "
			"(%llu ms), the whole request's",
		     (unsigned long long)c->registry.connect_timeout,
		     (unsigned long long)c->registry.timeout);
	}
}

/* Checks across keys, after every key has its value. */
static void check_cross(struct load *L)
{
	check_token_keys(L);
	check_password_keys(L);
	check_tls_keys(L);
	check_pkcs11_keys(L);
	check_registry_keys(L);
}

static void report(eid_buf *err, const char *name, unsigned line,
		   const char *why)
{
	if (err == NULL)
		return;
	/* Best effort: a message that does not fit the caller's buffer is
	 * dropped, the error code still says what happened. */
	if (line > 0)
		(void)eid_buf_printf(err, "%s:%u: %s", name, line, why);
	else
		(void)eid_buf_printf(err, "%s: %s", name, why);
}

static int load_text(struct eid_config *c, const char *name,
		     const char *text, size_t len, eid_buf *err)
{
	struct load L;
	struct eid_config tmp;
	const char *why;
	int rc, r;

	memset(&L, 0, sizeof(L));
	r = config_copy(&tmp, c);
	if (r != EID_OK) {
		report(err, name, 0, "out of memory");
		return r;
	}
	L.cfg = &tmp;
	L.text = text;
	L.len = len;
	eid_buf_init(&L.why, EID_CONFIG_ERR_MAX);
	rc = ini_parse_stream(config_reader, &L, config_handler, &L);
	if (rc < 0) {
		L.err_line = 0;
		r = EID_ENOMEM;
		why = "out of memory";
	} else if (rc > 0 && (L.err_line == 0 || (unsigned)rc < L.err_line)) {
		/* inih refused a line before any error of ours. */
		L.err_line = (unsigned)rc;
		r = EID_ECONFIG;
		why = "cannot parse line (expected [section] or key = value)";
	} else {
		if (L.err_line == 0)
			check_cross(&L);
		r = L.err_line == 0 ? EID_OK : EID_ECONFIG;
		why = eid_buf_cstr(&L.why);
	}
	if (r == EID_OK) {
		eid_config_free(c);
		*c = tmp;
	} else {
		report(err, name, L.err_line, why != NULL ? why : "?");
		eid_config_free(&tmp);
	}
	eid_buf_free(&L.why);
	return r;
}

int eid_config_load_string(struct eid_config *c, const char *name,
			   const char *text, eid_buf *ret_err)
{
	if (c == NULL || text == NULL)
		return EID_EINVAL;
	return load_text(c, name != NULL ? name : "<string>", text,
			 strlen(text), ret_err);
}

/* Read the whole file into b; on failure say why into err. */
static int read_file(const char *path, eid_buf *b, eid_buf *err)
{
	char ebuf[128];
	uint8_t chunk[4096];
	FILE *f = fopen(path, "rb");
	size_t n;
	int r = EID_OK, e = 0;

	if (f == NULL) {
		e = errno;
		goto errno_out;
	}
	while (r == EID_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		r = eid_buf_put(b, chunk, n);
	if (r == EID_ETOOBIG) {
		fclose(f);
		report(err, path, 0, "larger than the limit of 1 MiB");
		return EID_ECONFIG;
	}
	if (r == EID_OK && ferror(f)) {
		e = errno;
		fclose(f);
		goto errno_out;
	}
	fclose(f);
	return r;
errno_out:
	report(err, path, 0, "cannot read: ");
	if (err != NULL)
		(void)eid_buf_put_str(err, strerror_r(e, ebuf, sizeof(ebuf)));
	return EID_ECONFIG;
}

int eid_config_load_file(struct eid_config *c, const char *path,
			 eid_buf *ret_err)
{
	eid_buf text;
	int r;

	if (c == NULL || path == NULL)
		return EID_EINVAL;
	eid_buf_init(&text, EID_CONFIG_MAX_FILE);
	r = read_file(path, &text, ret_err);
	if (r == EID_OK)
		r = load_text(c, path, (const char *)text.data, text.len,
			      ret_err);
	eid_buf_free(&text);
	return r;
}

int eid_config_set(struct eid_config *c, const char *section,
		   const char *name, const char *value, eid_buf *ret_err)
{
	const struct key_def *k;
	eid_buf why;
	size_t i = 0;
	int r;

	k = find_key(section, name, &i);
	if (k == NULL)
		return EID_EINVAL;
	eid_buf_init(&why, EID_CONFIG_ERR_MAX);
	r = set_value(c, k, value, &why);
	if (r != EID_OK && ret_err != NULL)
		(void)eid_buf_printf(ret_err, "bad value for '%s': %s", name,
				     why.len ? eid_buf_cstr(&why) : "?");
	eid_buf_free(&why);
	return r;
}
