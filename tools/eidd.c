/* eidd: the identity provider's server.
 *
 * Start-up reads the configuration (defaults < --config FILE < flags),
 * finds the key-encryption key, opens the store and the PKCS#11 token
 * when one is configured, makes sure a signing key exists, and serves until SIGTERM or SIGINT.  Any start-up failure is one
 * line on stderr and a non-zero exit, and nothing is written before the
 * configuration and the key-encryption key have been found good.
 *
 * With [tls] cert_file and key_file it serves HTTPS itself; SIGHUP reads
 * both files again and swaps the listener's certificate (a pair that does
 * not load leaves the old one serving, with one line on stderr).
 *
 * Confinement (docs/security.md): no_new_privs from the first line of
 * main; started as root with [server] user, the data directory and the
 * key-encryption key are opened as that user, the listener and the TLS
 * files as root, and then root is given up for good; last, the
 * system-call allow-list ([server] seccomp).  Root without [server] user
 * is refused unless --allow-root or --demo. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <unistd.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <curl/curl.h>

#include "api/app.h"
#include "api/http.h"
#include "api/limits.h"
#include "crypto/error.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "idp/clients.h"
#include "idp/config.h"
#include "idp/hsm.h"
#include "idp/officers.h"
#include "idp/registry.h"
#include "idp/signing.h"
#include "idp/store.h"
#include "tools/demo.h"
#include "tools/privdrop.h"
#include "tools/seccomp_filter.h"
#include "tools/signer_spawn.h"

#ifndef EID_VERSION
#define EID_VERSION "unknown"
#endif

#define DEFAULT_ISSUER "http://127.0.0.1:8080"
#define SWEEP_INTERVAL_S 60
/* Largest certificate chain or key file read. */
#define TLS_FILE_MAX (256u * 1024)

struct eidd {
	struct eid_config cfg;
	uint8_t kek[32];
	eid_store *store;
	eid_signer *signer;
	eid_pkcs11 *p11; /* [pkcs11] token, NULL when none */
	eid_sigproc *sp; /* [keys] signer = process: the child's socket */
	pid_t signer_pid;
	struct eid_app app;
	eid_http_server *http;
	bool tls;
	bool allow_root;   /* --allow-root */
	bool drop;         /* started as root with [server] user */
	struct eid_priv priv;
	enum eid_seccomp_mode seccomp;
};

/* The [tls] files: the chain as text, the key in a wiping buffer. */
struct tls_pair {
	eid_buf cert;
	eid_buf key;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: eidd [--config FILE] [--listen ADDR:PORT] [--data DIR]\n"
		"            [--issuer URL] [--demo] [--allow-root] [--help]\n"
		"            [--version]\n"
		"\n"
		"  --config FILE      INI configuration (every key has a default)\n"
		"  --listen ADDR:PORT address to serve on (default 127.0.0.1:8080)\n"
		"  --data DIR         data directory (default var)\n"
		"  --issuer URL       OpenID issuer (default http://ADDR:PORT of --listen)\n"
		"  --demo             demo mode: demo citizens, and a key-encryption\n"
		"                     key generated in DIR/kek when none is configured\n"
		"  --allow-root       serve as root when [server] user is not set\n"
		"                     (refused otherwise, but in --demo mode)\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("eidd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int set_flag(struct eid_config *cfg, const char *flag,
		    const char *section, const char *key, const char *value)
{
	eid_buf err;
	int r;

	eid_buf_init(&err, EID_CONFIG_ERR_MAX);
	r = eid_config_set(cfg, section, key, value, &err);
	if (r != EID_OK)
		fail("%s: %s", flag, err.len ? eid_buf_cstr(&err) : eid_strerror(r));
	eid_buf_free(&err);
	return r;
}

/* With the default issuer and another listen address, the issuer follows
 * the address, so `eidd --listen 127.0.0.1:9000` is coherent. */
static int derive_issuer(struct eid_config *cfg)
{
	const struct eid_listen *l = &cfg->server.listen;
	const char *scheme = cfg->tls.cert_file[0] ? "https" : "http";
	char url[80];

	if (strcmp(cfg->server.issuer, DEFAULT_ISSUER) != 0)
		return EID_OK;
	snprintf(url, sizeof(url), l->family == AF_INET6 ? "%s://[%s]:%u"
							 : "%s://%s:%u",
		 scheme, l->addr, (unsigned)l->port);
	return set_flag(cfg, "--listen", "server", "issuer", url);
}

static int parse_args(struct eidd *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "data", required_argument, NULL, 'd' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "demo", no_argument, NULL, 'D' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *listen = NULL, *data = NULL, *issuer = NULL;
	bool demo = false;
	eid_buf err;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'l': listen = optarg; break;
		case 'd': data = optarg; break;
		case 'i': issuer = optarg; break;
		case 'D': demo = true; break;
		case 'R': d->allow_root = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("eidd %s\n", EID_VERSION); exit(0);
		default:
			usage(stderr);
			return fail("unknown or incomplete option '%s'",
				    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail("unexpected argument '%s'", argv[optind]);
	if (eid_config_defaults(&d->cfg) != EID_OK)
		return fail("out of memory");
	if (config != NULL) {
		eid_buf_init(&err, EID_CONFIG_ERR_MAX);
		r = eid_config_load_file(&d->cfg, config, &err);
		if (r != EID_OK)
			fail("%s", err.len ? eid_buf_cstr(&err) : eid_strerror(r));
		eid_buf_free(&err);
		if (r != EID_OK)
			return 1;
	}
	if ((listen && set_flag(&d->cfg, "--listen", "server", "listen", listen)) ||
	    (data && set_flag(&d->cfg, "--data", "store", "data_dir", data)) ||
	    (issuer && set_flag(&d->cfg, "--issuer", "server", "issuer", issuer)) ||
	    (demo && set_flag(&d->cfg, "--demo", "demo", "enabled", "true")))
		return 1;
	if (issuer == NULL && derive_issuer(&d->cfg) != EID_OK)
		return 1;
	d->tls = d->cfg.tls.cert_file[0] != '\0';
	if (d->tls && strncmp(d->cfg.server.issuer, "https://", 8) != 0)
		return fail("--issuer: the issuer must be https when [tls] is on");
	return 0;
}

/* [registry] source = http: opened once here, before anything is
 * written, to say what is wrong in one line (the bearer token file, the
 * URL), then closed; the server opens its own.  The local table needs
 * no check. */
static int check_registry(struct eidd *d)
{
	eid_registry reg = { 0 };
	eid_buf why;
	int r;

	if (strcmp(d->cfg.registry.source, "http") != 0)
		return 0;
	eid_buf_init(&why, EID_CONFIG_ERR_MAX);
	r = eid_registry_open_config(&d->cfg, NULL, 0, &reg, &why);
	if (r != EID_OK)
		fail("[registry] %s", why.len ? eid_buf_cstr(&why) :
						eid_strerror(r));
	eid_buf_free(&why);
	eid_registry_close(&reg);
	if (r == EID_OK)
		fprintf(stderr, "eidd: [registry] source = http: citizens "
			"are looked up remotely, the local registry table is "
			"not used\n");
	return r == EID_OK ? 0 : 1;
}

/* Who eidd will serve as, decided before anything is written.  Root
 * without [server] user is refused (a production server has no reason to
 * keep root), unless the operator says so or it is a demo. */
static int check_identity(struct eidd *d)
{
	const char *user = d->cfg.server.user, *group = d->cfg.server.group;
	int r;

	if (eid_seccomp_mode_from_name(d->cfg.server.seccomp, &d->seccomp) !=
	    EID_OK)
		return fail("[server] seccomp %s: not kill, log or off",
			    d->cfg.server.seccomp);
	if (user[0] == '\0') {
		if (group[0] != '\0')
			return fail("[server] group needs [server] user");
		if (geteuid() == 0 && !d->allow_root && !d->cfg.demo.enabled)
			return fail("refusing to serve as root: set [server] "
				    "user = NAME (eidd drops to it after "
				    "start-up), or pass --allow-root");
		return 0;
	}
	r = eid_priv_lookup(user, group, &d->priv);
	if (r == EID_ECONFIG)
		return fail("[server] user %s, group %s: must not be root",
			    user, group[0] ? group : "(the user's)");
	if (r != EID_OK)
		return fail("[server] user %s, group %s: %s", user,
			    group[0] ? group : "(the user's)", eid_strerror(r));
	if (geteuid() == d->priv.uid && getegid() == d->priv.gid)
		return 0; /* already that user (systemd's User=) */
	if (geteuid() != 0)
		return fail("[server] user %s: eidd must start as root to "
			    "become another user", user);
	d->drop = true;
	return 0;
}

/* Around the data directory's set-up: the configured user's ids. */
static int enter_user(struct eidd *d)
{
	if (d->drop && eid_priv_enter(&d->priv) != EID_OK)
		return fail("cannot take the ids of [server] user %s",
			    d->cfg.server.user);
	return 0;
}

static int leave_user(struct eidd *d)
{
	if (d->drop && eid_priv_leave() != EID_OK)
		return fail("cannot return to root to open the listener");
	return 0;
}

/* After start-up: root goes for good, then the allow-list goes on. */
static int confine(struct eidd *d)
{
	int r;

	if (d->drop && (r = eid_priv_drop(&d->priv)) != EID_OK)
		return fail("cannot drop root for [server] user %s: %s",
			    d->cfg.server.user, eid_strerror(r));
	if ((r = eid_seccomp_install(d->seccomp)) != EID_OK)
		return fail("[server] seccomp %s: cannot install the filter: "
			    "%s", d->cfg.server.seccomp, eid_strerror(r));
	if (d->drop)
		fprintf(stderr, "eidd: root dropped, serving as %s (uid %u, "
			"gid %u)\n", d->cfg.server.user, (unsigned)d->priv.uid,
			(unsigned)d->priv.gid);
	return 0;
}

/* The data directory is created (0700) when missing; an existing one must
 * be a writable directory. */
static int prepare_data_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail("data directory %s: cannot create: %s", dir,
			    strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return fail("data directory %s: not a directory", dir);
	if (access(dir, W_OK | X_OK) != 0)
		return fail("data directory %s: not writable: %s", dir,
			    strerror(errno));
	return 0;
}

static int load_kek(struct eidd *d)
{
	const struct eid_config *c = &d->cfg;
	const char *file = c->keys.kek_file[0] ? c->keys.kek_file : NULL;
	char demo_path[4096];
	int r;

	r = eid_kek_load(file, c->keys.kek_env, d->kek);
	if (r == EID_OK)
		return 0;
	if (r != EID_ENOTFOUND || !c->demo.enabled) {
		if (r == EID_ENOTFOUND)
			return fail("no key-encryption key: set [keys] kek_file, "
				    "or the %s environment variable (64 hex "
				    "digits), or run with --demo",
				    c->keys.kek_env);
		return fail("key-encryption key %s: %s",
			    file ? file : c->keys.kek_env, eid_strerror(r));
	}
	/* Demo only: a key kept beside the data it protects. */
	if ((size_t)snprintf(demo_path, sizeof(demo_path), "%s/kek",
			     c->store.data_dir) >= sizeof(demo_path))
		return fail("data directory path too long");
	if (prepare_data_dir(c->store.data_dir) != 0)
		return 1;
	r = eid_kek_generate_file(demo_path);
	if (r != EID_OK && r != EID_EEXIST)
		return fail("demo key-encryption key %s: %s", demo_path,
			    eid_strerror(r));
	r = eid_kek_load(demo_path, NULL, d->kek);
	if (r != EID_OK)
		return fail("demo key-encryption key %s: %s", demo_path,
			    eid_strerror(r));
	return 0;
}

/* A key of alg that signs now or later, made when there is none: in the
 * signer process with [keys] signer = process (the private key is born
 * there), else here and sealed under the KEK. */
static int ensure_alg(struct eidd *d, eid_alg alg, bool *ret_created)
{
	uint64_t now = eid_store_now(d->store);

	if (d->sp != NULL)
		return eid_signing_ensure_remote(d->store, d->sp, alg, now,
						 ret_created);
	return eid_signing_ensure(d->store, d->kek, alg, now, ret_created);
}

struct alg_set {
	bool want[EID_ALG_SLOTS];
};

static int note_client_alg(const struct eid_client *c, void *arg)
{
	struct alg_set *set = arg;

	if ((unsigned)c->id_token_alg < EID_ALG_SLOTS)
		set->want[c->id_token_alg] = true;
	return EID_OK;
}

/* Relying parties may ask for RS256 or PS256 ID tokens: make sure a key of
 * every algorithm a registered client uses exists (`eidctl client add`
 * does the same when it registers one). */
static int ensure_client_algs(struct eidd *d)
{
	struct alg_set set = { { false } };
	int r = eid_client_list(d->store, note_client_alg, &set);

	for (unsigned a = 1; r == EID_OK && a < EID_ALG_SLOTS; a++)
		if (set.want[a])
			r = ensure_alg(d, (eid_alg)a, NULL);
	return r;
}

static int open_token(struct eidd *d)
{
	eid_buf why;
	int r;

	eid_buf_init(&why, 1024);
	r = eid_hsm_open(&d->cfg, &d->p11, &why);
	if (r != EID_OK)
		fail("%s", eid_buf_cstr(&why) ? eid_buf_cstr(&why) :
						 eid_strerror(r));
	eid_buf_free(&why);
	return r == EID_OK ? 0 : 1;
}

/* [keys] signer = process: the signer process, forked now, before any
 * thread or request, and before any key is made (they are born in it). */
static int start_signer(struct eidd *d)
{
	/* A channel per HTTP thread and one per CPU more (the background
	 * workers' among them), so that no signature waits behind another
	 * thread's round trip and each CPU has channels of its own. */
	int cpus[EID_SIGPROC_CHANNELS_MAX];
	size_t n_cpus, channels;
	int r;

	if (strcmp(d->cfg.keys.signer, "process") != 0)
		return 0;
	n_cpus = eid_signer_cpus(cpus, EID_SIGPROC_CHANNELS_MAX);
	channels = d->cfg.server.threads + (n_cpus > 0 ? n_cpus : 1);
	if (channels > EID_SIGPROC_CHANNELS_MAX)
		channels = EID_SIGPROC_CHANNELS_MAX;
	r = eid_signer_start(d->kek, d->drop ? &d->priv : NULL, d->seccomp,
			     channels, &d->sp, &d->signer_pid);
	if (r != EID_OK)
		return fail("signer process: %s", eid_strerror(r));
	return 0;
}

/* The running keyring: its sealed keys opened here, or in the signer
 * process ([keys] signer). */
static int open_keyring(struct eidd *d)
{
	if (d->sp == NULL)
		return eid_signer_open_pkcs11(d->store, d->kek, d->p11,
					      d->cfg.keys.retire_after,
					      &d->signer);
	return eid_signer_open_remote(d->store, d->sp, d->p11,
				      d->cfg.keys.retire_after, &d->signer);
}

/* With the signer process, once the app's keys are derived: the KEK goes
 * from this process (the child keeps its own copy), and so does its text
 * in the environment ([keys] kek_env), so that a memory disclosure here
 * yields neither. */
static void forget_kek(struct eidd *d)
{
	char *env = getenv(d->cfg.keys.kek_env);

	if (d->sp == NULL)
		return;
	eid_wipe(d->kek, sizeof(d->kek));
	if (env != NULL) {
		eid_wipe(env, strlen(env));
		(void)unsetenv(d->cfg.keys.kek_env);
	}
}

static int open_store(struct eidd *d)
{
	struct eid_store_options opt = {
		.map_size = d->cfg.store.map_size_mb << 20,
		.eph_map_size = d->cfg.store.ephemeral_map_size_mb << 20,
	};
	eid_alg alg;
	bool created = false;
	int r;

	if (prepare_data_dir(d->cfg.store.data_dir) != 0)
		return 1;
	if (open_token(d) != 0)
		return 1;
	r = eid_store_open(d->cfg.store.data_dir, &opt, &d->store);
	if (r != EID_OK)
		return fail("store in %s: %s", d->cfg.store.data_dir,
			    eid_strerror(r));
	if ((r = eid_alg_from_name(d->cfg.keys.algorithm, &alg)) != EID_OK)
		return fail("keys.algorithm %s: %s", d->cfg.keys.algorithm,
			    eid_strerror(r));
	if (start_signer(d) != 0)
		return 1;
	r = ensure_alg(d, alg, &created);
	if (r != EID_OK)
		return fail("signing key: %s", eid_strerror(r));
	if ((r = ensure_client_algs(d)) != EID_OK)
		return fail("signing key for a client's ID token algorithm: %s",
			    eid_strerror(r));
	r = open_keyring(d);
	if (r == EID_OK)
		eid_signer_set_primary(d->signer, alg);
	if (r == EID_EVERIFY)
		return fail("signing keys in %s do not open with this "
			    "key-encryption key", d->cfg.store.data_dir);
	if (r != EID_OK && eid_hsm_key_why(r) != NULL)
		return fail("signing keys: %s", eid_hsm_key_why(r));
	if (r != EID_OK)
		return fail("signing keys: %s", eid_strerror(r));
	if (created)
		fprintf(stderr, "eidd: generated a new %s signing key\n",
			d->cfg.keys.algorithm);
	return 0;
}

/* The demo officer's TOTP secret, shown once, when it is created. */
static void print_demo_totp(const struct eid_demo_result *res)
{
	eid_buf uri;

	eid_buf_init_secret(&uri, 1024);
	if (eid_officer_totp_uri("eID", EID_DEMO_OFFICER, res->officer_totp,
				 &uri) == EID_OK && eid_buf_cstr(&uri) != NULL)
		fprintf(stderr, "eidd: demo officer %s (unit %s) created; add "
			"its TOTP to an authenticator app (shown once):\n%s\n",
			EID_DEMO_OFFICER, EID_DEMO_OFFICER_UNIT,
			eid_buf_cstr(&uri));
	eid_buf_free(&uri);
}

static int seed_demo(struct eidd *d)
{
	struct eid_account_policy pol;
	struct eid_demo_result res;
	struct eid_cred_keys keys;
	int r;

	if (!d->cfg.demo.enabled)
		return 0;
	eid_account_policy_from_config(&d->cfg, &pol);
	r = eid_cred_keys_derive(d->kek, &keys);
	if (r == EID_OK)
		r = eid_demo_seed(d->store, &pol, &keys,
				  (int64_t)eid_store_now(d->store), &res);
	eid_wipe(&keys, sizeof(keys));
	if (r != EID_OK)
		return fail("demo data: %s", eid_strerror(r));
	if (res.added > 0)
		fprintf(stderr, "eidd: demo data: %u records added\n",
			res.added);
	if (res.officer_created)
		print_demo_totp(&res);
	eid_wipe(&res, sizeof(res));
	return 0;
}

static void tls_pair_free(struct tls_pair *t)
{
	eid_buf_free(&t->cert);
	eid_buf_free(&t->key); /* a secret buffer: wiped */
}

/* Read both [tls] files; on failure one line names the file. */
static int tls_pair_read(const struct eid_config *c, struct tls_pair *t,
			 char *why, size_t whylen)
{
	int r;

	eid_buf_init(&t->cert, TLS_FILE_MAX);
	eid_buf_init_secret(&t->key, TLS_FILE_MAX);
	r = eid_buf_read_file(&t->cert, c->tls.cert_file);
	if (r != EID_OK) {
		snprintf(why, whylen, "%s: %s", c->tls.cert_file,
			 eid_strerror(r));
		return r;
	}
	r = eid_buf_read_file(&t->key, c->tls.key_file);
	if (r != EID_OK) {
		snprintf(why, whylen, "%s: %s", c->tls.key_file,
			 eid_strerror(r));
		return r;
	}
	if (eid_buf_cstr(&t->cert) == NULL || eid_buf_cstr(&t->key) == NULL) {
		snprintf(why, whylen, "out of memory");
		return EID_ENOMEM;
	}
	return EID_OK;
}

/* SIGHUP: the same files, read again, into the running listener. */
static void reload_tls(struct eidd *d)
{
	struct tls_pair t;
	char why[512] = "";
	int r;

	if (!d->tls) {
		fprintf(stderr, "eidd: SIGHUP: no [tls] to reload\n");
		return;
	}
	r = tls_pair_read(&d->cfg, &t, why, sizeof(why));
	if (r == EID_OK)
		r = eid_http_server_reload_tls(d->http, eid_buf_cstr(&t.cert),
					       eid_buf_cstr(&t.key));
	tls_pair_free(&t);
	if (r == EID_OK)
		fprintf(stderr, "eidd: SIGHUP: TLS certificate reloaded\n");
	else
		fprintf(stderr, "eidd: SIGHUP: TLS reload failed, keeping the "
			"old certificate: %s\n", why[0] ? why : eid_strerror(r));
}

static int start_http(struct eidd *d)
{
	const struct eid_config *c = &d->cfg;
	struct eid_http_options opt = {
		.threads = (unsigned)c->server.threads,
		.max_body = c->server.max_body,
		.max_connections = (unsigned)c->server.max_connections,
		.timeout_s = (unsigned)c->server.connection_timeout,
		.access_log = c->log.access_log,
		.max_connections_per_ip = (unsigned)c->server.max_connections_per_ip,
		.hsts_max_age = (unsigned long)c->tls.hsts_max_age,
		.trusted_proxies = c->server.trusted_proxies,
		.before = eid_api_limits,
		/* Bound now (as root, for a low port), served only once
		 * confined: start_accepting, after confine. */
		.accept_later = true,
	};
	const struct eid_http_route *routes;
	struct tls_pair t;
	char port[8], why[512] = "";
	size_t n;
	int r;

	snprintf(port, sizeof(port), "%u", (unsigned)c->server.listen.port);
	opt.host = c->server.listen.addr;
	opt.port = port;
	r = eid_app_init_keys(&d->app, c, d->store, d->signer, d->kek, d->p11,
			      d->sp);
	forget_kek(d);
	if (r != EID_OK && eid_hsm_key_why(r) != NULL)
		return fail("signing CA: %s", eid_hsm_key_why(r));
	if (r != EID_OK)
		return fail("server: %s", eid_strerror(r));
	if ((r = eid_app_start(&d->app)) != EID_OK)
		return fail("server: cannot start workers: %s", eid_strerror(r));
	routes = eid_api_routes(&n);
	memset(&t, 0, sizeof(t));
	if (d->tls && tls_pair_read(c, &t, why, sizeof(why)) != EID_OK) {
		tls_pair_free(&t);
		return fail("[tls] %s", why);
	}
	if (d->tls) {
		opt.tls_cert = eid_buf_cstr(&t.cert);
		opt.tls_key = eid_buf_cstr(&t.key);
	}
	r = eid_http_server_start(&opt, routes, n, &d->app, &d->http);
	/* MHD handed the key to GnuTLS while starting: ours goes now. */
	tls_pair_free(&t);
	if (r == EID_ECRYPTO)
		return fail("[tls] %s / %s: the certificate and key do not load",
			    c->tls.cert_file, c->tls.key_file);
	if (r != EID_OK)
		return fail("cannot listen on %s:%s: %s", opt.host, port,
			    eid_strerror(r));
	return 0;
}

/* After confine: until now clients waited in the socket's queue, so no
 * request is ever answered as root or outside the seccomp filter. */
static int start_accepting(struct eidd *d)
{
	int r = eid_http_server_accept(d->http);

	if (r != EID_OK)
		return fail("cannot accept connections: %s", eid_strerror(r));
	return 0;
}

/* The line tests and operators wait for, once the server is confined. */
static void announce(const struct eidd *d)
{
	const struct eid_config *c = &d->cfg;

	printf("eidd %s listening on http%s://%s%s%s:%u/ (issuer %s)\n",
	       EID_VERSION, d->tls ? "s" : "", c->server.listen.family == AF_INET6 ? "[" : "",
	       c->server.listen.addr,
	       c->server.listen.family == AF_INET6 ? "]" : "",
	       (unsigned)eid_http_server_port(d->http), c->server.issuer);
	fflush(stdout);
}

/* True when the signer process is gone (it exited, or stopped
 * answering): eidd then exits non-zero and its supervisor restarts both,
 * rather than serving without a way to sign. */
static bool signer_lost(struct eidd *d)
{
	int status;

	if (d->sp == NULL)
		return false;
	if (waitpid(d->signer_pid, &status, WNOHANG) == d->signer_pid) {
		d->signer_pid = 0;
		fprintf(stderr, "eidd: the signer process %s %d; exiting\n",
			WIFSIGNALED(status) ? "was killed by signal" :
					      "exited with status",
			WIFSIGNALED(status) ? WTERMSIG(status) :
					      WEXITSTATUS(status));
		return true;
	}
	if (!eid_sigproc_alive(d->sp)) {
		fprintf(stderr, "eidd: the signer process stopped answering; "
			"exiting\n");
		return true;
	}
	return false;
}

/* Wait for SIGTERM or SIGINT, sweeping expired short-lived entries from
 * time to time and reloading the TLS certificate on SIGHUP.  Non-zero
 * when the signer process was lost. */
static int serve(struct eidd *d, const sigset_t *set)
{
	struct timespec tick = { SWEEP_INTERVAL_S, 0 };
	uint64_t removed = 0;
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if ((sig == SIGCHLD || sig < 0) && signer_lost(d))
			return 1;
		if (sig == SIGHUP)
			reload_tls(d);
		if (sig < 0 && errno == EAGAIN)
			(void)eid_eph_sweep(d->store, &removed);
	}
	fprintf(stderr, "eidd: shutting down (%s)\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	return 0;
}

static void cleanup(struct eidd *d)
{
	eid_http_server_stop(d->http);
	eid_app_stop(&d->app);
	eid_app_cleanup(&d->app);
	eid_signer_close(d->signer);
	/* After every key loaded through it: the child sees EOF, exits. */
	eid_sigproc_free(d->sp);
	if (d->signer_pid > 0)
		(void)waitpid(d->signer_pid, NULL, 0);
	eid_pkcs11_close(d->p11); /* after every key loaded from it */
	eid_store_close(d->store);
	eid_config_free(&d->cfg);
	eid_wipe(d->kek, sizeof(d->kek));
}

int main(int argc, char **argv)
{
	struct eidd d;
	sigset_t set;
	int rc = 1;

	memset(&d, 0, sizeof(d));
	/* Before any thread exists, so every thread has it. */
	if (eid_priv_no_new_privs() != EID_OK)
		return fail("cannot set no_new_privs");
	/* Block the signals before any thread starts, so only serve() sees
	 * them; a peer closing a socket must not kill us. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD); /* the signer process ended */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return fail("cannot set up signals");
	/* libcurl's global state, before any thread may use it (JWKS
	 * fetches, back-channel logout). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return fail("cannot initialise libcurl");
	if (parse_args(&d, argc, argv) != 0 || check_identity(&d) != 0 ||
	    check_registry(&d) != 0 || enter_user(&d) != 0 ||
	    load_kek(&d) != 0 || open_store(&d) != 0 || seed_demo(&d) != 0 ||
	    leave_user(&d) != 0)
		goto out;
	/* Seeding hashes passwords with Argon2id: each hash mallocs its
	 * memory cost (19 MiB by default), and glibc keeps the freed heap.
	 * Hand it back before serving, so the idle process holds only what
	 * it uses. */
	malloc_trim(0);
	if (start_http(&d) != 0 || confine(&d) != 0 ||
	    start_accepting(&d) != 0)
		goto out;
	announce(&d);
	rc = serve(&d, &set);
out:
	cleanup(&d);
	curl_global_cleanup();
	return rc;
}
