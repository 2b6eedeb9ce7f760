/* Option parsing and output shared by every eidctl command. */
#include "tools/eidctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/error.h"
#include "crypto/keys.h"
#include "idp/config.h"
#include "idp/store.h"

#define EIDCTL_MAX_OPTS 48

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

const struct eidctl_command *eidctl_command_of(
	const struct eidctl_command *table, const char *name)
{
	for (const struct eidctl_command *c = table; c->group; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int eidctl_env_open(const struct eidctl *ctl, bool write,
		    struct eidctl_env *env)
{
	int r;

	if ((env->cfg = calloc(1, sizeof(*env->cfg))) == NULL)
		return eidctl_fail(ctl, EID_ENOMEM, "configuration");
	if ((r = eidctl_load_config(ctl, env->cfg)) != EIDCTL_CONTINUE) {
		free(env->cfg);
		env->cfg = NULL;
		return r;
	}
	return eidctl_open_store(ctl, env->cfg, write, &env->store);
}

void eidctl_env_close(struct eidctl_env *env)
{
	eid_store_close(env->store);
	env->store = NULL;
	if (env->cfg != NULL)
		eid_config_free(env->cfg);
	free(env->cfg);
	env->cfg = NULL;
}

int eidctl_opt_store(const struct eidctl_opt_field *fields, size_t n,
		     const char *name, const char *value, void *base)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, fields[i].name) == 0) {
			*(const char **)((char *)base + fields[i].off) = value;
			return 0;
		}
	return 1;
}
