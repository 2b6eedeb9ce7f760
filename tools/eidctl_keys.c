/* eidctl keys list|rotate|retire: the token-signing keyring. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/error.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "idp/config.h"
#include "idp/signing.h"
#include "tools/eidctl.h"

static void format_time(uint64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "-");
}

/* Where the private key lives: sealed in the store, or in the token. */
static const char *key_where(const struct eid_key_info *k)
{
	return k->in_token ? "pkcs11" : "sealed";
}

static json_t *key_json(const struct eid_key_info *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "kid",
			 k->kid, "alg", eid_alg_name(k->alg), "state",
			 eid_key_state_name(k->state), "where", key_where(k),
			 "created_at",
			 (json_int_t)k->created_at, "activates_at",
			 (json_int_t)k->activates_at, "retired_at",
			 (json_int_t)k->retired_at, "signs_until",
			 (json_int_t)k->signs_until, "published_until",
			 (json_int_t)k->published_until);
}

struct common_state {
	struct eid_config cfg;
	bool cfg_loaded;
	eid_store *store;
};

static void common_close(struct common_state *st)
{
	eid_store_close(st->store);
	if (st->cfg_loaded)
		eid_config_free(&st->cfg);
}

static int common_open(struct eidctl *ctl, struct common_state *st,
		       bool write)
{
	int r = eidctl_load_config(ctl, &st->cfg);

	if (r != EIDCTL_CONTINUE)
		return r;
	st->cfg_loaded = true;
	return eidctl_open_store(ctl, &st->cfg, write, &st->store);
}

static const struct eidctl_command *cmd_of(const char *name)
{
	for (const struct eidctl_command *c = eidctl_keys_commands; c->group; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int keys_list(struct eidctl *ctl, int argc, char **argv)
{
	struct common_state st = { 0 };
	struct eid_key_info *keys = NULL;
	size_t n = 0;
	int optind_ = 0, rc, r;
	json_t *arr;

	rc = eidctl_getopt(ctl, cmd_of("list"), argc, argv, NULL, NULL, NULL,
			   &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if ((rc = common_open(ctl, &st, false)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_signing_list(st.store, eid_store_now(st.store),
			     st.cfg.keys.retire_after, &keys, &n);
	if (r != EID_OK) {
		rc = eidctl_fail(ctl, r, "cannot list keys");
		goto out;
	}
	if (ctl->json) {
		arr = json_array();
		for (size_t i = 0; arr != NULL && i < n; i++)
			if (json_array_append_new(arr, key_json(&keys[i])) != 0) {
				json_decref(arr);
				arr = NULL;
			}
		rc = eidctl_print_json(ctl, arr);
		goto out;
	}
	printf("%-44s %-6s %-8s %-7s %-20s %-20s %s\n", "KID", "ALG", "STATE",
	       "WHERE", "SIGNS FROM", "SIGNS UNTIL", "PUBLISHED UNTIL");
	for (size_t i = 0; i < n; i++) {
		char a[32], b[32], c[32];
		format_time(keys[i].activates_at, a);
		format_time(keys[i].signs_until, b);
		format_time(keys[i].published_until, c);
		printf("%-44s %-6s %-8s %-7s %-20s %-20s %s\n", keys[i].kid,
		       eid_alg_name(keys[i].alg),
		       eid_key_state_name(keys[i].state), key_where(&keys[i]),
		       a, b, c);
	}
	rc = EIDCTL_EXIT_OK;
out:
	free(keys);
	common_close(&st);
	return rc;
}

struct rotate_opts {
	const char *alg;
	const char *delay;
	bool now;
	bool pkcs11;
};

static int rotate_opt(struct eidctl *ctl, const char *name, const char *value,
		      void *arg)
{
	struct rotate_opts *o = arg;

	(void)ctl;
	if (strcmp(name, "alg") == 0)
		o->alg = value;
	else if (strcmp(name, "delay") == 0)
		o->delay = value;
	else if (strcmp(name, "now") == 0)
		o->now = true;
	else if (strcmp(name, "pkcs11") == 0)
		o->pkcs11 = true;
	else
		return 1;
	return 0;
}

static int parse_seconds(const char *s, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return EID_EINVAL;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v > 30ull * 86400)
		return EID_EINVAL;
	*ret = v;
	return EID_OK;
}

static int keys_rotate(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "alg", required_argument, "ALG",
		  "ES256 (default: [keys] algorithm), RS256 or PS256" },
		{ "delay", required_argument, "SECONDS",
		  "publish this long before signing (default: [keys] publish_delay)" },
		{ "now", no_argument, NULL,
		  "sign at once (emergency: relying parties may not have the key yet)" },
		{ "pkcs11", no_argument, NULL,
		  "generate the key in the [pkcs11] token (ES256 or RS256)" },
		{ NULL, 0, NULL, NULL },
	};
	struct rotate_opts o = { 0 };
	struct common_state st = { 0 };
	char kid[EID_KID_MAX + 1];
	eid_pkcs11 *p11 = NULL;
	uint8_t kek[32];
	uint64_t delay;
	eid_alg alg;
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, cmd_of("rotate"), argc, argv, opts, rotate_opt,
			   &o, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if (o.now && o.delay)
		return eidctl_usage(ctl, "--now and --delay exclude each other");
	if ((rc = common_open(ctl, &st, true)) != EIDCTL_CONTINUE)
		goto out;
	if ((rc = eidctl_load_kek(ctl, &st.cfg, kek)) != EIDCTL_CONTINUE)
		goto out;
	if (eid_alg_from_name(o.alg ? o.alg : st.cfg.keys.algorithm, &alg) != EID_OK ||
	    !eid_alg_info_get(alg)->can_sign) {
		rc = eidctl_usage(ctl, "--alg must be ES256, RS256 or PS256");
		goto out;
	}
	delay = o.now ? 0 : st.cfg.keys.publish_delay;
	if (o.delay && parse_seconds(o.delay, &delay) != EID_OK) {
		rc = eidctl_usage(ctl, "--delay takes seconds (0 to 2592000)");
		goto out;
	}
	if (o.pkcs11 && alg != EID_ALG_ES256 && alg != EID_ALG_RS256) {
		rc = eidctl_usage(ctl, "--pkcs11 keys are ES256 or RS256");
		goto out;
	}
	if (o.pkcs11 && (rc = eidctl_open_pkcs11(ctl, &st.cfg, true, &p11)) !=
			EIDCTL_CONTINUE)
		goto out;
	r = eid_signing_rotate_pkcs11(st.store, kek, p11, alg,
				      eid_store_now(st.store), delay,
				      st.cfg.keys.retire_after, kid);
	if (r != EID_OK) {
		rc = eidctl_fail(ctl, r, "cannot rotate");
		goto out;
	}
	if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s, s:s, s:s, s:I}",
						      "kid", kid, "alg",
						      eid_alg_name(alg), "where",
						      p11 ? "pkcs11" : "sealed",
						      "signs_in", (json_int_t)delay));
	else
		printf("new %s key %s (%s): published now, signs in %" PRIu64
		       " s\n", eid_alg_name(alg), kid, p11 ? "pkcs11" : "sealed",
		       delay);
	if (!ctl->json)
		rc = EIDCTL_EXIT_OK;
out:
	eid_wipe(kek, sizeof(kek));
	eid_pkcs11_close(p11);
	common_close(&st);
	return rc;
}

static int keys_retire(struct eidctl *ctl, int argc, char **argv)
{
	struct common_state st = { 0 };
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, cmd_of("retire"), argc, argv, NULL, NULL, NULL,
			   &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one KID (see keys list)");
	if ((rc = common_open(ctl, &st, true)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_signing_retire(st.store, argv[optind_], eid_store_now(st.store),
			       st.cfg.keys.retire_after);
	if (r == EID_ESTATE)
		rc = eidctl_fail(ctl, 0, "%s is already retired, or is the only "
					 "key signing now (run keys rotate "
					 "--now first)", argv[optind_]);
	else if (r == EID_ENOTFOUND)
		rc = eidctl_fail(ctl, 0, "no key %s", argv[optind_]);
	else if (r != EID_OK)
		rc = eidctl_fail(ctl, r, "cannot retire %s", argv[optind_]);
	else if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s, s:s}", "kid",
						      argv[optind_], "state",
						      "retired"));
	else {
		printf("%s retired: no longer signs, stays published for %" PRIu64
		       " s\n", argv[optind_], st.cfg.keys.retire_after);
		rc = EIDCTL_EXIT_OK;
	}
out:
	common_close(&st);
	return rc;
}

const struct eidctl_command eidctl_keys_commands[] = {
	{ "keys", "list", "", "list the signing keys and their timelines",
	  keys_list },
	{ "keys", "rotate", "[--alg ALG] [--delay SECONDS | --now] [--pkcs11]",
	  "add a key: published now, signing after the publish delay",
	  keys_rotate },
	{ "keys", "retire", "KID",
	  "stop a key from signing; it stays published until its tokens expire",
	  keys_retire },
	{ NULL, NULL, NULL, NULL, NULL },
};
