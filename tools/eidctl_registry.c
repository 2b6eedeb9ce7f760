/* eidctl registry import|add|show: the local mirror of the population
 * database. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/citizen.h"
#include "idp/registry.h"
#include "idp/registry_import.h"
#include "tools/eidctl.h"

#define FLAG_MAX 32

static int print_reject(uint64_t line, int err, const char *reason,
			void *arg)
{
	(void)err;
	(void)arg;
	fprintf(stderr, "line %" PRIu64 ": %s\n", line, reason);
	return EID_OK;
}

static int parse_format(const char *s, enum eid_import_format *ret)
{
	if (s == NULL)
		*ret = EID_IMPORT_AUTO;
	else if (strcmp(s, "csv") == 0)
		*ret = EID_IMPORT_CSV;
	else if (strcmp(s, "jsonl") == 0)
		*ret = EID_IMPORT_JSONL;
	else
		return EID_EINVAL;
	return EID_OK;
}

static int print_report(const struct eidctl *ctl,
			const struct eid_import_report *rep, bool dry_run)
{
	if (ctl->json)
		return eidctl_print_json(ctl,
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}", "read",
				  (json_int_t)rep->read, "imported",
				  (json_int_t)rep->imported, "updated",
				  (json_int_t)rep->updated, "unchanged",
				  (json_int_t)rep->unchanged, "rejected",
				  (json_int_t)rep->rejected, "dry_run", dry_run));
	printf("%s%" PRIu64 " rows read: %" PRIu64 " imported, %" PRIu64
	       " updated, %" PRIu64 " unchanged, %" PRIu64 " rejected\n",
	       dry_run ? "dry run: " : "", rep->read, rep->imported,
	       rep->updated, rep->unchanged, rep->rejected);
	return EIDCTL_EXIT_OK;
}

static int registry_import(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "format", required_argument, "csv|jsonl",
		  "input format (default: JSON Lines when the first line starts with '{')" },
		{ "dry-run", no_argument, NULL, "check every row, write nothing" },
		{ NULL, 0, NULL, NULL },
	};
	struct eidctl_values vals = { .opts = opts };
	struct eid_import_options io = { .on_reject = print_reject };
	struct eid_import_report rep;
	struct eidctl_env env = { 0 };
	FILE *in = NULL;
	eid_buf why;
	int optind_ = 0, rc, r;

	eidctl_leading_arg_last(argc, argv);
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_registry_commands, "import"),
			   argc, argv, opts, eidctl_collect, &vals, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one FILE ('-' for standard input)");
	if (parse_format(eidctl_value(&vals, "format"), &io.format) != EID_OK)
		return eidctl_usage(ctl, "--format must be csv or jsonl");
	io.dry_run = eidctl_value(&vals, "dry-run") != NULL;
	eid_buf_init(&why, 1024);
	if (strcmp(argv[optind_], "-") == 0)
		in = stdin;
	else if ((in = fopen(argv[optind_], "rb")) == NULL) {
		rc = eidctl_fail(ctl, 0, "%s: %s", argv[optind_], strerror(errno));
		goto out;
	}
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_registry_import(env.store, in, &io, &rep, &why);
	if (r != EID_OK) {
		rc = eidctl_fail(ctl, r, "%s%s%s", argv[optind_],
				 why.len ? ": " : "",
				 why.len ? eid_buf_cstr(&why) : "");
		goto out;
	}
	rc = print_report(ctl, &rep, io.dry_run);
	if (rc == EIDCTL_EXIT_OK && rep.rejected > 0)
		rc = EIDCTL_EXIT_FAIL;
out:
	if (in != NULL && in != stdin)
		fclose(in);
	eid_buf_free(&why);
	eidctl_env_close(&env);
	return rc;
}

/* ---- add ---- */

/* One flag per citizen field ("full_name" as --full-name), updated_at
 * aside (the time of the change). */
struct field_flags {
	char names[EIDCTL_MAX_OPTS][FLAG_MAX];
	struct eidctl_opt opts[EIDCTL_MAX_OPTS + 1];
	size_t field_of[EIDCTL_MAX_OPTS];
};

static void build_flags(struct field_flags *ff)
{
	size_t n = 0;

	memset(ff, 0, sizeof(*ff));
	for (size_t i = 0; i < eid_citizen_field_count() && n < EIDCTL_MAX_OPTS;
	     i++) {
		const char *f = eid_citizen_field_name(i);

		if (strcmp(f, "updated_at") == 0)
			continue;
		snprintf(ff->names[n], FLAG_MAX, "%s", f);
		for (char *p = ff->names[n]; *p; p++)
			if (*p == '_')
				*p = '-';
		ff->opts[n] = (struct eidctl_opt){ ff->names[n],
						   required_argument, "VALUE",
						   f };
		ff->field_of[n] = i;
		n++;
	}
}

/* The record from the flags, checked; a reason is printed on failure. */
static int citizen_from_flags(const struct eidctl *ctl,
			      const struct field_flags *ff,
			      const struct eidctl_values *vals, int64_t now,
			      struct eid_citizen *ret)
{
	struct eid_citizen c;
	eid_buf why;
	int r = EID_OK;

	eid_citizen_init(&c);
	eid_buf_init(&why, 512);
	for (size_t i = 0; r == EID_OK && ff->opts[i].name != NULL; i++)
		if (vals->v[i] != NULL)
			r = eid_citizen_set_field(&c, ff->field_of[i], vals->v[i],
						  strlen(vals->v[i]), &why);
	if (r == EID_OK)
		r = eid_citizen_check(&c, now, &why);
	if (r != EID_OK) {
		eidctl_fail(ctl, 0, "%s", why.len ? eid_buf_cstr(&why) :
						    eid_strerror(r));
		eid_buf_free(&why);
		return EIDCTL_EXIT_FAIL;
	}
	eid_buf_free(&why);
	c.updated_at = now;
	*ret = c;
	return EIDCTL_CONTINUE;
}

struct put_arg {
	const struct eid_citizen *c;
	bool added;
};

static int put_fn(eid_txn *t, int64_t now, const char *actor, void *arg,
		  eid_buf *why)
{
	struct put_arg *p = arg;
	struct eid_citizen old;
	int r = eid_registry_get(t, p->c->personal_id, &old);

	(void)why;
	p->added = r == EID_ENOTFOUND;
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	if ((r = eid_registry_put(t, p->c)) != EID_OK)
		return r;
	return eid_audit_record(t, "registry.put", actor, p->c->personal_id,
				NULL, json_pack("{s:b}", "new", p->added), now);
}

static int registry_add(struct eidctl *ctl, int argc, char **argv)
{
	struct field_flags ff;
	struct eidctl_values vals;
	struct eidctl_env env = { 0 };
	struct eid_citizen c;
	struct put_arg put = { .c = &c };
	int64_t now;
	int optind_ = 0, rc;

	build_flags(&ff);
	memset(&vals, 0, sizeof(vals));
	vals.opts = ff.opts;
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_registry_commands, "add"),
			   argc, argv, ff.opts, eidctl_collect, &vals, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE)
		goto out;
	now = (int64_t)eid_store_now(env.store);
	if ((rc = citizen_from_flags(ctl, &ff, &vals, now, &c)) != EIDCTL_CONTINUE ||
	    (rc = eidctl_write(ctl, &env, put_fn, &put, "cannot write the "
			       "record")) != EIDCTL_CONTINUE)
		goto out;
	if (ctl->json) {
		json_t *o = NULL;
		if (eid_citizen_to_json(&c, &o) == EID_OK)
			json_object_set_new(o, "added", json_boolean(put.added));
		rc = eidctl_print_json(ctl, o);
	} else {
		printf("%s %s\n", put.added ? "added" : "replaced", c.personal_id);
		rc = EIDCTL_EXIT_OK;
	}
out:
	eidctl_env_close(&env);
	return rc;
}

/* ---- show ---- */

static void print_citizen(const json_t *o)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		if (json_is_string(v))
			printf("%-16s %s\n", key, json_string_value(v));
		else if (json_is_integer(v))
			printf("%-16s %" JSON_INTEGER_FORMAT "\n", key,
			       json_integer_value(v));
	}
}

static int registry_show(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	struct eid_citizen c;
	eid_txn *t = NULL;
	json_t *o = NULL;
	int optind_ = 0, rc, r;

	eidctl_leading_arg_last(argc, argv);
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_registry_commands, "show"),
			   argc, argv, NULL, NULL, NULL, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one personal ID number");
	if ((rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE)
		goto out;
	if ((r = eid_store_begin(env.store, false, &t)) == EID_OK)
		r = eid_registry_get(t, argv[optind_], &c);
	eid_txn_abort(t);
	if (r == EID_OK)
		r = eid_citizen_to_json(&c, &o);
	if (r == EID_ENOTFOUND || r == EID_EMALFORMED) {
		rc = eidctl_fail(ctl, 0, "no citizen %s in the registry",
				 argv[optind_]);
		goto out;
	}
	if (r != EID_OK) {
		rc = eidctl_fail(ctl, r, "registry");
		goto out;
	}
	if (ctl->json) {
		rc = eidctl_print_json(ctl, o);
		o = NULL;
	} else {
		print_citizen(o);
		rc = EIDCTL_EXIT_OK;
	}
out:
	json_decref(o);
	eidctl_env_close(&env);
	return rc;
}

/* Stores written before the guardian index: build it (idempotent). */
static int registry_reindex(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	uint64_t records = 0;
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, eidctl_find(eidctl_registry_commands, "reindex"),
			   argc, argv, NULL, NULL, NULL, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_registry_reindex_guardians(env.store, 1000, &records);
	if (r != EID_OK)
		rc = eidctl_fail(ctl, r, "registry reindex");
	else if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:I}", "records",
						      (json_int_t)records));
	else {
		printf("indexed the guardians of %" PRIu64 " records\n", records);
		rc = EIDCTL_EXIT_OK;
	}
out:
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_registry_commands[] = {
	{ "registry", "import", "FILE [--format csv|jsonl] [--dry-run]",
	  "import citizen records (rejected rows on stderr as 'line N: reason')",
	  registry_import },
	{ "registry", "add",
	  "--personal-id N --full-name NAME --birthdate D --sex S [--FIELD VALUE...]",
	  "add or replace one citizen record (a flag per field name)",
	  registry_add },
	{ "registry", "show", "ID", "show a citizen record", registry_show },
	{ "registry", "reindex", "",
	  "rebuild the guardian index (stores from before it)",
	  registry_reindex },
	{ NULL, NULL, NULL, NULL, NULL },
};
