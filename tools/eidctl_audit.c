/* eidctl audit verify|export|head|reindex: the hash-chained audit trail. */
#define _GNU_SOURCE /* timegm */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/citizen.h"
#include "tools/eidctl.h"

static int open_read(struct eidctl *ctl, struct eidctl_env *env,
		     eid_txn **ret_txn)
{
	int rc = eidctl_env_open(ctl, env, false), r;

	if (rc != EIDCTL_CONTINUE)
		return rc;
	if ((r = eid_store_begin(env->store, false, ret_txn)) != EID_OK)
		return eidctl_fail(ctl, r, "store");
	return EIDCTL_CONTINUE;
}

static int no_args(struct eidctl *ctl, const char *name, int argc,
		   char **argv)
{
	int optind_ = 0;
	int rc = eidctl_getopt(ctl, eidctl_find(eidctl_audit_commands, name),
			       argc, argv, NULL, NULL, NULL, &optind_);

	if (rc == EIDCTL_CONTINUE && optind_ < argc)
		rc = eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	return rc;
}

static int audit_verify(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	uint64_t count = 0, bad = 0;
	eid_txn *t = NULL;
	eid_buf why;
	int rc, r;

	if ((rc = no_args(ctl, "verify", argc, argv)) != EIDCTL_CONTINUE)
		return rc;
	eid_buf_init(&why, 512);
	if ((rc = open_read(ctl, &env, &t)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_audit_verify(t, &count, &bad, &why);
	if (r != EID_OK && r != EID_EVERIFY) {
		rc = eidctl_fail(ctl, r, "cannot verify");
		goto out;
	}
	if (ctl->json) {
		json_t *o = json_pack("{s:b, s:I}", "intact", r == EID_OK,
				      "entries", (json_int_t)count);
		if (r != EID_OK && o != NULL) {
			json_object_set_new(o, "first_bad_seq",
					    json_integer((json_int_t)bad));
			json_object_set_new(o, "reason",
					    json_string(why.len ? eid_buf_cstr(&why) : ""));
		}
		rc = eidctl_print_json(ctl, o);
	} else if (r == EID_OK) {
		printf("audit chain intact: %" PRIu64 " entries\n", count);
		rc = EIDCTL_EXIT_OK;
	} else {
		printf("audit chain broken at entry %" PRIu64 ": %s\n", bad,
		       why.len ? eid_buf_cstr(&why) : "?");
	}
	if (rc == EIDCTL_EXIT_OK && r != EID_OK)
		rc = EIDCTL_EXIT_FAIL;
out:
	eid_txn_abort(t);
	eid_buf_free(&why);
	eidctl_env_close(&env);
	return rc;
}

static int print_line(json_t *entry, void *arg)
{
	(void)arg;
	if (json_dumpf(entry, stdout, JSON_COMPACT | JSON_SORT_KEYS) != 0 ||
	    fputc('\n', stdout) == EOF)
		return EID_EIO;
	return EID_OK;
}

static int audit_export(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "since", required_argument, "DATE",
		  "YYYY-MM-DD (UTC) or unix seconds: entries from then on" },
		{ NULL, 0, NULL, NULL },
	};
	struct eidctl_values vals = { .opts = opts };
	struct eidctl_env env = { 0 };
	eid_txn *t = NULL;
	uint64_t since = 0;
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, eidctl_find(eidctl_audit_commands, "export"),
			   argc, argv, opts, eidctl_collect, &vals, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if (eidctl_parse_since(eidctl_value(&vals, "since"), &since) != EID_OK)
		return eidctl_usage(ctl, "--since takes YYYY-MM-DD or unix seconds");
	if ((rc = open_read(ctl, &env, &t)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_audit_scan(t, 0, since, print_line, NULL);
	if (r == EID_OK && fflush(stdout) != 0)
		r = EID_EIO;
	rc = r == EID_OK ? EIDCTL_EXIT_OK : eidctl_fail(ctl, r, "export");
out:
	eid_txn_abort(t);
	eidctl_env_close(&env);
	return rc;
}

static int audit_head(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	uint8_t hash[EID_AUDIT_HASH_LEN];
	char hex[2 * EID_AUDIT_HASH_LEN + 1];
	uint64_t seq = 0;
	eid_txn *t = NULL;
	int rc, r;

	if ((rc = no_args(ctl, "head", argc, argv)) != EIDCTL_CONTINUE)
		return rc;
	if ((rc = open_read(ctl, &env, &t)) != EIDCTL_CONTINUE)
		goto out;
	if ((r = eid_audit_head(t, &seq, hash)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "audit head");
		goto out;
	}
	for (size_t i = 0; i < sizeof(hash); i++)
		snprintf(hex + 2 * i, 3, "%02X", hash[i]);
	if (ctl->json) {
		rc = eidctl_print_json(ctl, json_pack("{s:I, s:s}", "seq",
						      (json_int_t)seq, "hash", hex));
	} else {
		printf("%" PRIu64 " %s\n", seq, hex);
		rc = EIDCTL_EXIT_OK;
	}
out:
	eid_txn_abort(t);
	eidctl_env_close(&env);
	return rc;
}

/* Stores written before the per-citizen index: build it (idempotent). */
static int audit_reindex(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	uint64_t entries = 0;
	int rc, r;

	if ((rc = no_args(ctl, "reindex", argc, argv)) != EIDCTL_CONTINUE)
		return rc;
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE)
		goto out;
	if ((r = eid_audit_reindex(env.store, 1000, &entries)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "audit reindex");
		goto out;
	}
	if (ctl->json) {
		rc = eidctl_print_json(ctl, json_pack("{s:I}", "entries",
						      (json_int_t)entries));
	} else {
		printf("indexed %" PRIu64 " entries\n", entries);
		rc = EIDCTL_EXIT_OK;
	}
out:
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_audit_commands[] = {
	{ "audit", "verify", "",
	  "check the whole hash chain (exit 1 at the first bad entry)",
	  audit_verify },
	{ "audit", "export", "[--since YYYY-MM-DD|unix-seconds]",
	  "print entries as JSON Lines", audit_export },
	{ "audit", "head", "",
	  "print the chain's head (entries and last hash) to publish elsewhere",
	  audit_head },
	{ "audit", "reindex", "",
	  "rebuild the per-citizen index of the trail (stores from before it)",
	  audit_reindex },
	{ NULL, NULL, NULL, NULL, NULL },
};
