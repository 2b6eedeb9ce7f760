/* eidctl officer add|show|reseal: officer accounts.  The TOTP secret is
 * shown once, at creation, as an otpauth:// URI for the officer's
 * authenticator app, and kept sealed under a key derived from the KEK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/officers.h"
#include "tools/eidctl.h"

#define TOTP_ISSUER "eID"

struct add_arg {
	struct eid_account_policy pol;
	struct eid_cred_keys keys;
	const struct eid_officer_new *n;
	uint8_t *secret;
};

static int add_fn(eid_txn *t, int64_t now, const char *actor, void *arg,
		  eid_buf *why)
{
	struct add_arg *a = arg;

	return eid_officer_add(t, &a->pol, &a->keys, a->n, now, actor,
			       a->secret, why);
}

/* The key that seals the TOTP secrets, from the KEK. */
static int load_keys(struct eidctl *ctl, struct eidctl_env *env,
		     struct eid_cred_keys *ret)
{
	uint8_t kek[32];
	int rc = eidctl_load_kek(ctl, &env->cfg, kek);

	if (rc == EIDCTL_CONTINUE && eid_cred_keys_derive(kek, ret) != EID_OK)
		rc = eidctl_fail(ctl, EID_ECRYPTO, "TOTP seal key");
	eid_wipe(kek, sizeof(kek));
	return rc;
}

static int write_officer(struct eidctl *ctl, struct eidctl_env *env,
			 const struct eid_officer_new *n,
			 uint8_t secret[EID_TOTP_SECRET_LEN])
{
	struct add_arg a = { .n = n, .secret = secret };
	int rc = load_keys(ctl, env, &a.keys);

	eid_account_policy_from_config(&env->cfg, &a.pol);
	if (rc == EIDCTL_CONTINUE)
		rc = eidctl_write(ctl, env, add_fn, &a, "cannot add the officer");
	eid_wipe(&a.keys, sizeof(a.keys));
	return rc;
}

/* The provisioning URI (and, with --json, the secret: shown this once). */
static int print_enrolment(const struct eidctl *ctl, const char *id,
			   const uint8_t secret[EID_TOTP_SECRET_LEN])
{
	eid_buf uri, b32;
	json_t *o;
	int rc = EIDCTL_EXIT_OK;

	eid_buf_init_secret(&uri, 1024);
	eid_buf_init_secret(&b32, 64);
	if (eid_officer_totp_uri(TOTP_ISSUER, id, secret, &uri) != EID_OK ||
	    eid_base32_encode(secret, EID_TOTP_SECRET_LEN, &b32) != EID_OK ||
	    eid_buf_cstr(&uri) == NULL || eid_buf_cstr(&b32) == NULL) {
		rc = eidctl_fail(ctl, EID_ENOMEM, "TOTP URI");
	} else if (ctl->json) {
		o = json_pack("{s:s, s:s, s:s}", "id", id, "totp_uri",
			      eid_buf_cstr(&uri), "totp_secret",
			      eid_buf_cstr(&b32));
		rc = eidctl_print_json(ctl, o);
	} else {
		printf("officer %s added\n"
		       "TOTP (add to the officer's authenticator app now; it "
		       "is not shown again):\n%s\n",
		       id, eid_buf_cstr(&uri));
	}
	eid_buf_free(&uri);
	eid_buf_free(&b32);
	return rc;
}

static int officer_add(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "id", required_argument, "ID", "officer ID (a-z 0-9 . _ -)" },
		{ "name", required_argument, "NAME", "full name" },
		{ "unit", required_argument, "CODE", "unit code, e.g. CA-HN-HBT" },
		{ "role", required_argument, "ROLE", "officer or supervisor" },
		{ "password-stdin", no_argument, NULL,
		  "read the password as one line from standard input" },
		{ NULL, 0, NULL, NULL },
	};
	struct eidctl_values vals = { .opts = opts };
	struct eid_officer_new n = { .enroll_totp = true };
	struct eidctl_env env = { 0 };
	uint8_t secret[EID_TOTP_SECRET_LEN];
	char *password = NULL;
	int optind_ = 0, rc;

	rc = eidctl_getopt(ctl, eidctl_find(eidctl_officer_commands, "add"),
			   argc, argv, opts, eidctl_collect, &vals, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	n.id = eidctl_value(&vals, "id");
	n.name = eidctl_value(&vals, "name");
	n.unit = eidctl_value(&vals, "unit");
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if (n.id == NULL || n.name == NULL || n.unit == NULL)
		return eidctl_usage(ctl, "--id, --name and --unit are required");
	if (eid_officer_role_parse(eidctl_value(&vals, "role"), &n.role) != EID_OK)
		return eidctl_usage(ctl, "--role must be officer or supervisor");
	if (eidctl_value(&vals, "password-stdin") == NULL)
		return eidctl_usage(ctl, "--password-stdin is required");
	if ((rc = eidctl_read_secret_line(ctl, &password)) != EIDCTL_CONTINUE)
		return rc;
	n.password = password;
	if ((rc = eidctl_env_open(ctl, &env, true)) == EIDCTL_CONTINUE &&
	    (rc = write_officer(ctl, &env, &n, secret)) == EIDCTL_CONTINUE)
		rc = print_enrolment(ctl, n.id, secret);
	eid_wipe(secret, sizeof(secret));
	eid_free_secret_str(password);
	eidctl_env_close(&env);
	return rc;
}

static void print_officer(const struct eid_officer *o)
{
	char t[EIDCTL_TIME_MAX];

	printf("id               %s\n", o->id);
	printf("name             %s\n", o->name);
	printf("unit             %s\n", o->unit);
	printf("role             %s\n", eid_officer_role_name(o->role));
	printf("status           %s\n",
	       o->status == EID_OFFICER_ACTIVE ? "active" : "disabled");
	printf("totp             %s\n", o->has_totp ? "enrolled" : "not enrolled");
	printf("created_at       %s\n", eidctl_time(o->created_at, t));
}

static int officer_show(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	struct eid_officer o;
	eid_txn *t = NULL;
	json_t *j = NULL;
	int optind_ = 0, rc, r;

	eidctl_leading_arg_last(argc, argv);
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_officer_commands, "show"),
			   argc, argv, NULL, NULL, NULL, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one officer ID");
	if ((rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE)
		goto out;
	if ((r = eid_store_begin(env.store, false, &t)) == EID_OK)
		r = eid_officer_get(t, argv[optind_], &o);
	eid_txn_abort(t);
	if (r != EID_OK) {
		rc = r == EID_ENOTFOUND ?
			     eidctl_fail(ctl, 0, "no officer %s", argv[optind_]) :
			     eidctl_fail(ctl, r, "officer %s", argv[optind_]);
		goto out;
	}
	if (ctl->json) {
		rc = eid_officer_to_json(&o, &j) == EID_OK ?
			     eidctl_print_json(ctl, j) :
			     eidctl_fail(ctl, EID_ENOMEM, "output");
	} else {
		print_officer(&o);
		rc = EIDCTL_EXIT_OK;
	}
	eid_officer_clear(&o);
out:
	eidctl_env_close(&env);
	return rc;
}

struct reseal_arg {
	struct eid_cred_keys keys;
	unsigned sealed;
};

static int reseal_fn(eid_txn *t, int64_t now, const char *actor, void *arg,
		     eid_buf *why)
{
	struct reseal_arg *a = arg;

	(void)why;
	return eid_officer_reseal(t, &a->keys, now, actor, &a->sealed);
}

/* Records written before sealing keep a plain secret until the officer
 * next signs in; this seals them all now. */
static int officer_reseal(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	struct reseal_arg a = { .sealed = 0 };
	int optind_ = 0, rc;

	rc = eidctl_getopt(ctl, eidctl_find(eidctl_officer_commands, "reseal"),
			   argc, argv, NULL, NULL, NULL, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if ((rc = eidctl_env_open(ctl, &env, true)) == EIDCTL_CONTINUE &&
	    (rc = load_keys(ctl, &env, &a.keys)) == EIDCTL_CONTINUE &&
	    (rc = eidctl_write(ctl, &env, reseal_fn, &a,
			       "cannot seal the officers' secrets")) ==
		    EIDCTL_CONTINUE) {
		if (ctl->json) {
			rc = eidctl_print_json(ctl, json_pack("{s:I}", "sealed",
							      (json_int_t)a.sealed));
		} else {
			printf("%u officer records sealed\n", a.sealed);
			rc = EIDCTL_EXIT_OK;
		}
	}
	eid_wipe(&a.keys, sizeof(a.keys));
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_officer_commands[] = {
	{ "officer", "add",
	  "--id ID --name NAME --unit CODE --role officer|supervisor --password-stdin",
	  "add an officer; prints the TOTP provisioning URI once", officer_add },
	{ "officer", "show", "ID", "show an officer", officer_show },
	{ "officer", "reseal", "",
	  "seal the TOTP secrets still kept in plain by records written before "
	  "sealing (otherwise sealed at the officer's next sign-in)",
	  officer_reseal },
	{ NULL, NULL, NULL, NULL, NULL },
};
