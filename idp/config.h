/* Server configuration: an INI file (inih) over built-in defaults, so no
 * file is needed.  Precedence: defaults < file < command-line flags (the
 * programs apply flags to the struct after loading).  Every key, its
 * default and meaning: docs/configuration.md. */
#ifndef EID_CONFIG_H
#define EID_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/buf.h"

/* Longest message a failed load appends to its error buffer. */
#define EID_CONFIG_ERR_MAX 512u
/* Largest configuration file read. */
#define EID_CONFIG_MAX_FILE (1024u * 1024)

/* A numeric listen address: IPv4 "A.B.C.D:PORT" or "[IPv6]:PORT". */
struct eid_listen {
	int family;    /* AF_INET or AF_INET6 */
	char addr[46]; /* numeric, without brackets (INET6_ADDRSTRLEN) */
	uint16_t port;
};

/* Durations are in seconds (where a comment says so: milliseconds), sizes
 * in bytes; strings are owned by the
 * struct (eid_config_free releases them), never NULL once loaded. */
struct eid_config {
	struct {
		struct eid_listen listen;
		char *issuer;
		uint64_t threads;
		uint64_t max_body;
		uint64_t max_connections;
		uint64_t connection_timeout;
		uint64_t max_connections_per_ip; /* 0: no cap */
		char *trusted_proxies; /* idp/cidr.h list; "": none */
		char *user;    /* "": stay who started us (not root: see eidd) */
		char *group;   /* "": the user's primary group */
		char *seccomp; /* kill, log or off (tools/seccomp_filter.h) */
	} server;
	struct {
		char *cert_file; /* PEM chain; "" with key_file "": plain HTTP */
		char *key_file;  /* PEM private key */
		uint64_t hsts_max_age;
	} tls;
	struct {
		uint64_t token;        /* requests per window per address */
		uint64_t login;
		uint64_t registration;
		uint64_t chip;
		uint64_t user_code;    /* user codes tried at /device */
		uint64_t window;
	} limits;
	struct {
		char *data_dir;
		uint64_t map_size_mb;
		uint64_t ephemeral_map_size_mb;
	} store;
	struct {
		char *kek_file; /* "" : none, the key comes from kek_env */
		char *kek_env;
		char *algorithm; /* JOSE name: ES256, RS256 or PS256 */
		uint64_t publish_delay;
		uint64_t retire_after;
		char *signer; /* "process": keys in eidd's signer child */
	} keys;
	struct {
		uint64_t id_token_ttl;
		uint64_t access_token_ttl;
		uint64_t refresh_token_ttl;
		uint64_t code_ttl;
	} tokens;
	struct {
		uint64_t expires_in; /* a device_code's lifetime */
		uint64_t interval;   /* the least seconds between polls */
	} device_grant;
	struct {
		uint64_t memory_kib;  /* Argon2id memory cost */
		uint64_t iterations;  /* Argon2id time cost */
		uint64_t parallelism; /* Argon2id lanes */
		uint64_t min_length;  /* Unicode code points */
		uint64_t max_length;
	} passwords;
	struct {
		uint64_t max_failures;       /* per account, before delays */
		uint64_t base_delay;         /* doubled each further failure */
		uint64_t max_delay;
		uint64_t per_address_max;    /* failures per source address */
		uint64_t per_address_window;
	} lockout;
	struct {
		char *module;      /* PKCS#11 module path; "": no token */
		char *token_label;
		char *pin_file;    /* the user PIN, mode 0600 */
	} pkcs11;
	struct {
		char *subject;            /* DN of a new CA (eidctl ca init) */
		uint64_t days;            /* validity of a new CA */
		uint64_t crl_next_update; /* seconds a CRL stays current */
		uint64_t sign_request_ttl; /* a signing request's life */
	} ca;
	struct {
		char *sms_gateway_url;        /* "": messages go to the outbox */
		char *sms_gateway_token_file; /* bearer token, "" : none */
		uint64_t outbox_retention;    /* how long the outbox keeps messages */
		uint64_t queue_max;   /* SMS waiting for the gateway, at most */
		uint64_t sms_max_age; /* an SMS not delivered by then is dropped */
	} notify;
	struct {
		uint64_t per_address_max; /* attempts per source address */
		uint64_t per_id_max;      /* attempts per personal ID */
		uint64_t window;          /* of both counters */
	} registration;
	struct {
		uint64_t code_ttl;        /* an activation code's lifetime */
	} activation;
	struct {
		char *service;      /* "none" or "http" (idp/biometric.h) */
		char *url;          /* the http service's endpoint */
		char *token_file;   /* its bearer token (mode 0600); "": none */
		uint64_t threshold; /* lowest accepted score, in hundredths */
		uint64_t timeout_ms;
	} biometric;
	struct {
		uint64_t sweep_interval;  /* seconds between card sweeps; 0: off */
	} accounts;
	struct {
		char *source;     /* "local" or "http" (idp/registry.h) */
		char *url;        /* the http registry's base URL */
		char *bearer_token_file; /* mode 0600; "": none */
		char *ca_file;    /* its trust anchors; "": the system's */
		/* These three in milliseconds. */
		uint64_t connect_timeout;
		uint64_t timeout;        /* a whole request */
		uint64_t backoff;        /* first wait, doubled each retry */
		uint64_t retries;        /* after the first try */
		bool allow_insecure_http; /* http:// to loopback only (tests) */
	} registry;
	struct {
		char *rp_id;  /* "": the issuer's host */
		char *origin; /* "": the issuer's scheme://host[:port] */
	} webauthn;
	struct {
		char *totp_issuer; /* the label in citizens' authenticator apps */
	} credentials;
	struct {
		bool access_log;
	} log;
	struct {
		bool enabled;
	} demo;
};

/* Fill c with the defaults (c's old contents are not freed).
 * EID_OK or EID_ENOMEM (then c holds nothing to free). */
int eid_config_defaults(struct eid_config *c);

/* Apply the INI text to c, which holds defaults or an earlier load.  On
 * failure c is unchanged, and one line "NAME:LINE: reason" (or "NAME:
 * reason" when no line applies) is appended to ret_err, which may be NULL:
 * EID_ECONFIG for a bad file, EID_ENOMEM.  name labels the messages. */
int eid_config_load_string(struct eid_config *c, const char *name,
			   const char *text, eid_buf *ret_err);
/* The same for the file at path (at most EID_CONFIG_MAX_FILE bytes); a file
 * that cannot be read is EID_ECONFIG with "PATH: cannot read: reason". */
int eid_config_load_file(struct eid_config *c, const char *path,
			 eid_buf *ret_err);

/* Set one key from a command-line flag, with the same checks as a file:
 * EID_ECONFIG (with "bad value for 'KEY': reason" appended to ret_err),
 * EID_EINVAL for a key that does not exist, EID_ENOMEM. */
int eid_config_set(struct eid_config *c, const char *section,
		   const char *name, const char *value, eid_buf *ret_err);

/* Release the strings; c may be loaded again after eid_config_defaults. */
void eid_config_free(struct eid_config *c);

/* Parse "A.B.C.D:PORT" or "[IPv6]:PORT" (numeric hosts, port 1-65535), as
 * the listen key and the --listen flag take it.  EID_OK or EID_EMALFORMED. */
int eid_config_parse_listen(const char *text, struct eid_listen *ret_listen);

#endif
