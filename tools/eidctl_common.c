/* Option parsing and output shared by every eidctl command. */
#include "tools/eidctl.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/error.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "idp/ca.h"
#include "idp/citizen.h"
#include "idp/config.h"
#include "idp/hsm.h"
#include "idp/store.h"

enum { OPT_DATA = 1000, OPT_CONFIG, OPT_JSON, OPT_HELP, OPT_EXTRA };

static void print_command_help(const struct eidctl *ctl,
			       const struct eidctl_command *cmd,
			       const struct eidctl_opt *opts)
{
	printf("usage: %s %s %s %s\n  %s\n\nOptions:\n", ctl->argv0,
	       cmd->group, cmd->name, cmd->args ? cmd->args : "",
	       cmd->summary);
	for (const struct eidctl_opt *o = opts; o && o->name; o++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", o->name,
			 o->has_arg ? " " : "", o->has_arg ? o->arg : "");
		printf("  %-26s %s\n", left, o->help);
	}
	printf("  %-26s %s\n", "--data DIR", "data directory (default var)");
	printf("  %-26s %s\n", "--config FILE", "configuration file");
	printf("  %-26s %s\n", "--json", "machine-readable output");
}

int eidctl_getopt(struct eidctl *ctl, const struct eidctl_command *cmd,
		  int argc, char **argv, const struct eidctl_opt *opts,
		  int (*on_opt)(struct eidctl *ctl, const char *name,
				const char *value, void *arg),
		  void *arg, int *ret_optind)
{
	struct option lo[EIDCTL_MAX_OPTS + 5];
	size_t n = 0;
	int c;

	for (const struct eidctl_opt *o = opts; o && o->name; o++) {
		if (n >= EIDCTL_MAX_OPTS)
			return eidctl_fail(ctl, EID_EINTERNAL, "too many options");
		lo[n] = (struct option){ o->name, o->has_arg, NULL,
					 OPT_EXTRA + (int)n };
		n++;
	}
	lo[n++] = (struct option){ "data", required_argument, NULL, OPT_DATA };
	lo[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	lo[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	lo[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case OPT_DATA:
			ctl->data_dir = optarg;
			break;
		case OPT_CONFIG:
			ctl->config_path = optarg;
			break;
		case OPT_JSON:
			ctl->json = true;
			break;
		case OPT_HELP:
			print_command_help(ctl, cmd, opts);
			return EIDCTL_EXIT_OK;
		case '?':
		case ':':
			return eidctl_usage(ctl, "bad or incomplete option '%s'",
					    argv[optind - 1]);
		default:
			if (c < OPT_EXTRA || on_opt == NULL ||
			    on_opt(ctl, lo[c - OPT_EXTRA].name, optarg, arg) != 0)
				return eidctl_usage(ctl, "option --%s not accepted",
						    lo[c - OPT_EXTRA].name);
		}
	}
	*ret_optind = optind;
	return EIDCTL_CONTINUE;
}

static void vreport(const struct eidctl *ctl, int r, const char *fmt,
		    va_list ap) __attribute__((format(printf, 3, 0)));

static void vreport(const struct eidctl *ctl, int r, const char *fmt,
		    va_list ap)
{
	fprintf(stderr, "%s: ", ctl->argv0);
	if (ctl->command)
		fprintf(stderr, "%s: ", ctl->command);
	vfprintf(stderr, fmt, ap);
	if (r != 0)
		fprintf(stderr, ": %s", eid_strerror(r));
	fputc('\n', stderr);
}

int eidctl_fail(const struct eidctl *ctl, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ctl, r, fmt, ap);
	va_end(ap);
	return EIDCTL_EXIT_FAIL;
}

int eidctl_usage(const struct eidctl *ctl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ctl, 0, fmt, ap);
	va_end(ap);
	return EIDCTL_EXIT_USAGE;
}

int eidctl_print_json(const struct eidctl *ctl, json_t *v)
{
	int r;

	if (v == NULL)
		return eidctl_fail(ctl, EID_ENOMEM, "cannot build output");
	r = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(v);
	if (r != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0)
		return eidctl_fail(ctl, EID_EIO, "cannot write output");
	return EIDCTL_EXIT_OK;
}

int eidctl_load_config(const struct eidctl *ctl, struct eid_config *ret_cfg)
{
	eid_buf err;
	int r;

	if (eid_config_defaults(ret_cfg) != EID_OK)
		return eidctl_fail(ctl, EID_ENOMEM, "configuration");
	eid_buf_init(&err, EID_CONFIG_ERR_MAX);
	if (ctl->config_path != NULL) {
		r = eid_config_load_file(ret_cfg, ctl->config_path, &err);
		if (r != EID_OK) {
			eidctl_fail(ctl, 0, "%s", err.len ? eid_buf_cstr(&err)
							  : eid_strerror(r));
			goto fail;
		}
	}
	if (ctl->data_dir != NULL) {
		r = eid_config_set(ret_cfg, "store", "data_dir", ctl->data_dir,
				   &err);
		if (r != EID_OK) {
			eidctl_fail(ctl, 0, "--data: %s", eid_buf_cstr(&err));
			goto fail;
		}
	}
	eid_buf_free(&err);
	return EIDCTL_CONTINUE;
fail:
	eid_buf_free(&err);
	eid_config_free(ret_cfg);
	return EIDCTL_EXIT_FAIL;
}

int eidctl_open_store(const struct eidctl *ctl, const struct eid_config *cfg,
		      bool write, eid_store **ret_store)
{
	struct eid_store_options opt = {
		.map_size = cfg->store.map_size_mb << 20,
		.eph_map_size = cfg->store.ephemeral_map_size_mb << 20,
		.read_only = !write,
	};
	int r;

	if (write && mkdir(cfg->store.data_dir, 0700) != 0 && errno != EEXIST)
		return eidctl_fail(ctl, EID_EIO, "data directory %s: %s",
				   cfg->store.data_dir, strerror(errno));
	r = eid_store_open(cfg->store.data_dir, &opt, ret_store);
	if (r == EID_ENOTFOUND)
		return eidctl_fail(ctl, 0, "no store in %s (start eidd once, "
					   "or pass --data)",
				   cfg->store.data_dir);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "store in %s", cfg->store.data_dir);
	return EIDCTL_CONTINUE;
}

int eidctl_load_kek(const struct eidctl *ctl, const struct eid_config *cfg,
		    uint8_t ret_kek[32])
{
	const char *file = cfg->keys.kek_file[0] ? cfg->keys.kek_file : NULL;
	char demo[4096];
	int r;

	r = eid_kek_load(file, cfg->keys.kek_env, ret_kek);
	if (r == EID_OK)
		return EIDCTL_CONTINUE;
	if (r != EID_ENOTFOUND)
		return eidctl_fail(ctl, r, "key-encryption key %s",
				   file ? file : cfg->keys.kek_env);
	if ((size_t)snprintf(demo, sizeof(demo), "%s/kek",
			     cfg->store.data_dir) < sizeof(demo) &&
	    eid_kek_load(demo, NULL, ret_kek) == EID_OK)
		return EIDCTL_CONTINUE;
	return eidctl_fail(ctl, 0, "no key-encryption key: set [keys] kek_file "
				   "or %s (or use eidd --demo's data directory)",
			   cfg->keys.kek_env);
}

const struct eidctl_command *eidctl_find(const struct eidctl_command *table,
					 const char *name)
{
	for (const struct eidctl_command *c = table; c->group; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int eidctl_collect(struct eidctl *ctl, const char *name, const char *value,
		   void *arg)
{
	struct eidctl_values *vals = arg;
	size_t i = 0;

	(void)ctl;
	for (const struct eidctl_opt *o = vals->opts; o && o->name; o++, i++)
		if (i < EIDCTL_MAX_OPTS && strcmp(o->name, name) == 0) {
			vals->v[i] = value != NULL ? value : "";
			return 0;
		}
	return 1;
}

const char *eidctl_value(const struct eidctl_values *vals, const char *name)
{
	size_t i = 0;

	for (const struct eidctl_opt *o = vals->opts; o && o->name; o++, i++)
		if (i < EIDCTL_MAX_OPTS && strcmp(o->name, name) == 0)
			return vals->v[i];
	return NULL;
}

int eidctl_env_open(struct eidctl *ctl, struct eidctl_env *env, bool write)
{
	int r = eidctl_load_config(ctl, &env->cfg);

	if (r != EIDCTL_CONTINUE)
		return r;
	env->cfg_loaded = true;
	return eidctl_open_store(ctl, &env->cfg, write, &env->store);
}

void eidctl_env_close(struct eidctl_env *env)
{
	eid_pkcs11_close(env->p11);
	env->p11 = NULL;
	eid_store_close(env->store);
	env->store = NULL;
	if (env->cfg_loaded)
		eid_config_free(&env->cfg);
	env->cfg_loaded = false;
}

void eidctl_actor(char ret[EIDCTL_ACTOR_MAX + 1])
{
	struct passwd pw, *found = NULL;
	char buf[1024];
	uid_t uid = geteuid();

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 &&
	    found != NULL)
		snprintf(ret, EIDCTL_ACTOR_MAX + 1, "operator:%s", pw.pw_name);
	else
		snprintf(ret, EIDCTL_ACTOR_MAX + 1, "operator:uid%u",
			 (unsigned)uid);
}

int eidctl_read_secret_line(const struct eidctl *ctl, char **ret_line)
{
	eid_buf b;
	char *line = NULL;
	int c, r = EID_OK;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "%s: reading the password from standard input\n",
			ctl->argv0);
	/* Unbuffered: no copy of the password left in stdio's buffer. */
	(void)setvbuf(stdin, NULL, _IONBF, 0);
	eid_buf_init_secret(&b, 4096);
	while (r == EID_OK && (c = getchar()) != EOF && c != '\n')
		r = eid_buf_put_u8(&b, (uint8_t)c);
	if (r == EID_OK && b.len > 0 && b.data[b.len - 1] == '\r')
		eid_buf_truncate(&b, b.len - 1);
	if (r == EID_OK && b.len == 0)
		r = EID_EINVAL;
	if (r == EID_OK)
		r = eid_buf_take_str(&b, &line);
	eid_buf_free(&b);
	if (r == EID_EINVAL)
		return eidctl_usage(ctl, "no password on standard input");
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "password from standard input");
	*ret_line = line;
	return EIDCTL_CONTINUE;
}

void eidctl_leading_arg_last(int argc, char **argv)
{
	char *first;

	if (argc < 3 || argv[1][0] == '-')
		return;
	first = argv[1];
	memmove(&argv[1], &argv[2], (size_t)(argc - 2) * sizeof(argv[0]));
	argv[argc - 1] = first;
}

const char *eidctl_time(int64_t t, char out[EIDCTL_TIME_MAX])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, EIDCTL_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, EIDCTL_TIME_MAX, "-");
	return out;
}

int eidctl_write(const struct eidctl *ctl, struct eidctl_env *env,
		 eidctl_write_fn fn, void *arg, const char *what)
{
	char actor[EIDCTL_ACTOR_MAX + 1];
	eid_txn *t = NULL;
	eid_buf why;
	int r;

	eidctl_actor(actor);
	eid_buf_init(&why, 512);
	if ((r = eid_store_begin(env->store, true, &t)) == EID_OK &&
	    (r = fn(t, (int64_t)eid_store_now(env->store), actor, arg,
		    &why)) == EID_OK) {
		r = eid_txn_commit(t);
		t = NULL;
	}
	eid_txn_abort(t);
	if (r != EID_OK && why.len > 0)
		eidctl_fail(ctl, 0, "%s", eid_buf_cstr(&why));
	else if (r != EID_OK)
		eidctl_fail(ctl, r, "%s", what);
	eid_buf_free(&why);
	return r == EID_OK ? EIDCTL_CONTINUE : EIDCTL_EXIT_FAIL;
}

int eidctl_read_file(const struct eidctl *ctl, const char *path, eid_buf *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	uint8_t chunk[16384];
	size_t n;
	int r = EID_OK;

	if (f == NULL)
		return eidctl_fail(ctl, 0, "%s: %s", path, strerror(errno));
	while (r == EID_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		r = eid_buf_put(out, chunk, n);
	if (r == EID_OK && ferror(f))
		r = EID_EIO;
	if (f != stdin)
		fclose(f);
	if (r == EID_ETOOBIG)
		return eidctl_fail(ctl, 0, "%s: larger than %zu bytes", path, out->max);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "%s", path);
	return EIDCTL_CONTINUE;
}

int eidctl_write_file(const struct eidctl *ctl, const char *path,
		      const void *p, size_t n)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	bool ok;

	if (f == NULL)
		return eidctl_fail(ctl, 0, "%s: %s", path, strerror(errno));
	ok = fwrite(p, 1, n, f) == n;
	ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
	if (!ok)
		return eidctl_fail(ctl, EID_EIO, "%s", path);
	return EIDCTL_CONTINUE;
}

int eidctl_open_pkcs11(const struct eidctl *ctl, const struct eid_config *cfg,
		       bool required, eid_pkcs11 **ret_p11)
{
	eid_buf why;
	int r, rc = EIDCTL_CONTINUE;

	if (required && cfg->pkcs11.module[0] == '\0')
		return eidctl_fail(ctl, 0, "--pkcs11 needs a token: set [pkcs11] "
					   "module, token_label and pin_file");
	eid_buf_init(&why, 1024);
	r = eid_hsm_open(cfg, ret_p11, &why);
	if (r != EID_OK)
		rc = eidctl_fail(ctl, 0, "%s", eid_buf_cstr(&why) ?
					   eid_buf_cstr(&why) : eid_strerror(r));
	eid_buf_free(&why);
	return rc;
}

int eidctl_load_ca(const struct eidctl *ctl, struct eidctl_env *env,
		   const uint8_t *kek, eid_ca **ret_ca)
{
	int r, rc;

	if (kek != NULL && env->p11 == NULL &&
	    (rc = eidctl_open_pkcs11(ctl, &env->cfg, false, &env->p11)) !=
		    EIDCTL_CONTINUE)
		return rc;
	r = kek ? eid_ca_load_pkcs11(env->store, kek, env->p11,
				     env->cfg.server.issuer, ret_ca) :
		  eid_ca_load_public(env->store, ret_ca);
	if (r != EID_OK && eid_hsm_key_why(r) != NULL)
		return eidctl_fail(ctl, 0, "the CA key: %s", eid_hsm_key_why(r));
	if (r == EID_ENOTFOUND)
		return eidctl_fail(ctl, 0, "no CA in this store (run eidctl ca init)");
	if (r == EID_EVERIFY)
		return eidctl_fail(ctl, 0, "the key-encryption key does not open the CA key");
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "cannot load the CA");
	return EIDCTL_CONTINUE;
}

int eidctl_parse_since(const char *s, uint64_t *ret_ms)
{
	struct eid_date d;
	char *end = NULL;
	unsigned long long v;

	if (s == NULL) {
		*ret_ms = 0;
		return EID_OK;
	}
	if (eid_date_parse(s, strlen(s), &d) == EID_OK) {
		struct tm tm = { .tm_year = d.year - 1900, .tm_mon = d.month - 1,
				 .tm_mday = d.day };
		time_t t = timegm(&tm);
		if (t < 0)
			return EID_EINVAL;
		*ret_ms = (uint64_t)t * 1000;
		return EID_OK;
	}
	if (s[0] < '0' || s[0] > '9')
		return EID_EINVAL;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v > UINT64_MAX / 1000)
		return EID_EINVAL;
	*ret_ms = (uint64_t)v * 1000;
	return EID_OK;
}
