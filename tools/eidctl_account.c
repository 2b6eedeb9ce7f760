/* eidctl account create|show|lock|unlock|revoke|totp-reset|sweep|passkeys:
 * citizen accounts, for operators (migrations, support) and tests.
 * Passwords come only from
 * standard input, never from the command line (which other users see). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/accounts.h"
#include "idp/notify.h"
#include "idp/sweep.h"
#include "idp/credentials.h"
#include "idp/passkeys.h"
#include "tools/eidctl.h"

static void print_account(const struct eid_account *a,
			  const struct eid_cred_status *st)
{
	char t[EIDCTL_TIME_MAX];

	printf("personal_id      %s\n", a->personal_id);
	printf("phone            %s\n", a->phone);
	if (a->email[0] != '\0')
		printf("email            %s\n", a->email);
	printf("level            %d\n", a->level);
	printf("status           %s\n", eid_account_status_name(a->status));
	if (a->lock_reason != EID_LOCK_NONE)
		printf("lock_reason      %s (by %s)\n",
		       eid_lock_reason_name(a->lock_reason), a->locked_by);
	printf("password         %s\n", a->password[0] ? "set" : "not set");
	printf("failed_logins    %" PRIu64 "\n", a->failed_logins);
	printf("totp             %s\n", st->totp_active ? "enrolled" :
	       st->totp_pending ? "pending" : "none");
	if (st->totp_active)
		printf("recovery_codes   %u left\n", st->recovery_left);
	if (st->failures > 0)
		printf("totp_failures    %" PRIu64 "\n", st->failures);
	printf("created_at       %s\n", eidctl_time(a->created_at, t));
	printf("updated_at       %s\n", eidctl_time(a->updated_at, t));
}

static int cred_json(const struct eid_cred_status *st, json_t *o)
{
	const char *totp = st->totp_active ? "enrolled" :
			   st->totp_pending ? "pending" : "none";

	if (json_object_set_new(o, "totp", json_string(totp)) != 0 ||
	    json_object_set_new(o, "recovery_codes_left",
				json_integer(st->recovery_left)) != 0 ||
	    json_object_set_new(o, "totp_failures",
				json_integer((json_int_t)st->failures)) != 0)
		return EID_ENOMEM;
	return EID_OK;
}

/* The account and its second factor, as JSON with --json, readable
 * otherwise. */
static int show(const struct eidctl *ctl, struct eidctl_env *env,
		const struct eid_account *a)
{
	struct eid_cred_status st;
	json_t *o = NULL;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(env->store, false, &t)) == EID_OK)
		r = eid_cred_status(t, a->personal_id, &st);
	eid_txn_abort(t);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "second factor of %s", a->personal_id);
	if (!ctl->json) {
		print_account(a, &st);
		return EIDCTL_EXIT_OK;
	}
	if (eid_account_to_json(a, &o) != EID_OK || cred_json(&st, o) != EID_OK) {
		json_decref(o);
		return eidctl_fail(ctl, EID_ENOMEM, "output");
	}
	return eidctl_print_json(ctl, o);
}

static int read_account(struct eidctl *ctl, struct eidctl_env *env,
			const char *id, struct eid_account *ret)
{
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(env->store, false, &t)) == EID_OK)
		r = eid_account_get(t, id, ret);
	eid_txn_abort(t);
	if (r == EID_ENOTFOUND)
		return eidctl_fail(ctl, 0, "no account %s", id);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "account %s", id);
	return EIDCTL_CONTINUE;
}

static int level_of(const char *s, int *ret)
{
	if (s == NULL)
		*ret = 1;
	else if (strcmp(s, "1") == 0 || strcmp(s, "2") == 0)
		*ret = s[0] - '0';
	else
		return EID_EINVAL;
	return EID_OK;
}

struct create_arg {
	const struct eid_account_policy *pol;
	const struct eid_account_new *a;
};

static int create_fn(eid_txn *t, int64_t now, const char *actor, void *arg,
		     eid_buf *why)
{
	const struct create_arg *c = arg;

	return eid_account_create(t, c->pol, c->a, now, actor, why);
}

static int write_new(struct eidctl *ctl, struct eidctl_env *env,
		     const struct eid_account_new *a)
{
	struct eid_account_policy pol;
	struct create_arg c = { &pol, a };

	eid_account_policy_from_config(&env->cfg, &pol);
	return eidctl_write(ctl, env, create_fn, &c,
			    "cannot create the account");
}

static int account_create(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "personal-id", required_argument, "N", "12-digit personal ID number" },
		{ "phone", required_argument, "P", "mobile number (0912345678 or +84...)" },
		{ "email", required_argument, "E", "e-mail address (optional)" },
		{ "level", required_argument, "1|2", "assurance level (default 1)" },
		{ "password-stdin", no_argument, NULL,
		  "read the password as one line from standard input" },
		{ NULL, 0, NULL, NULL },
	};
	struct eidctl_values vals = { .opts = opts };
	struct eid_account_new a = { 0 };
	struct eidctl_env env = { 0 };
	struct eid_account made;
	char *password = NULL;
	int optind_ = 0, rc;

	rc = eidctl_getopt(ctl, eidctl_find(eidctl_account_commands, "create"),
			   argc, argv, opts, eidctl_collect, &vals, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	a.personal_id = eidctl_value(&vals, "personal-id");
	a.phone = eidctl_value(&vals, "phone");
	a.email = eidctl_value(&vals, "email");
	if (a.personal_id == NULL || a.phone == NULL)
		return eidctl_usage(ctl, "--personal-id and --phone are required");
	if (level_of(eidctl_value(&vals, "level"), &a.level) != EID_OK)
		return eidctl_usage(ctl, "--level must be 1 or 2");
	if (eidctl_value(&vals, "password-stdin") == NULL && a.level == 1)
		return eidctl_usage(ctl, "a level-1 account needs --password-stdin");
	if (eidctl_value(&vals, "password-stdin") != NULL &&
	    (rc = eidctl_read_secret_line(ctl, &password)) != EIDCTL_CONTINUE)
		return rc;
	a.password = password;
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE ||
	    (rc = write_new(ctl, &env, &a)) != EIDCTL_CONTINUE ||
	    (rc = read_account(ctl, &env, a.personal_id, &made)) != EIDCTL_CONTINUE)
		goto out;
	rc = show(ctl, &env, &made);
	eid_account_clear(&made);
out:
	eid_free_secret_str(password);
	eidctl_env_close(&env);
	return rc;
}

static int account_show(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	struct eid_account a;
	int optind_ = 0, rc;

	eidctl_leading_arg_last(argc, argv);
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_account_commands, "show"),
			   argc, argv, NULL, NULL, NULL, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one personal ID number");
	if ((rc = eidctl_env_open(ctl, &env, false)) == EIDCTL_CONTINUE &&
	    (rc = read_account(ctl, &env, argv[optind_], &a)) == EIDCTL_CONTINUE) {
		rc = show(ctl, &env, &a);
		eid_account_clear(&a);
	}
	eidctl_env_close(&env);
	return rc;
}

/* One passkey: a line, or a member of the JSON array arg. */
static int passkey_one(const struct eid_passkey *pk, void *arg)
{
	char c[EIDCTL_TIME_MAX], u[EIDCTL_TIME_MAX];
	json_t *a = arg, *o;

	if (a == NULL) {
		printf("%s  %-16s  created %s  last used %s  count %" PRIu32
		       "  %s  %s  aaguid %s  [%s]\n",
		       pk->id, pk->name, eidctl_time(pk->created_at, c),
		       pk->last_used_at ? eidctl_time(pk->last_used_at, u) :
					  "never",
		       pk->sign_count, pk->be ? "synced" : "device-bound",
		       pk->attestation, pk->aaguid, pk->transports);
		return EID_OK;
	}
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:b, s:b, s:b, s:s, s:s, s:s}",
		      "id", pk->id, "name", pk->name, "created",
		      (json_int_t)pk->created_at, "last_used",
		      (json_int_t)pk->last_used_at, "sign_count",
		      (json_int_t)pk->sign_count, "backup_eligible", pk->be,
		      "backed_up", pk->bs, "user_verified", pk->uv,
		      "attestation", pk->attestation, "aaguid", pk->aaguid,
		      "transports", pk->transports);
	return o != NULL && json_array_append_new(a, o) == 0 ? EID_OK :
							       EID_ENOMEM;
}

static int account_passkeys(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	struct eid_account a;
	json_t *arr = NULL;
	eid_txn *t = NULL;
	int optind_ = 0, rc, r;

	eidctl_leading_arg_last(argc, argv);
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_account_commands, "passkeys"),
			   argc, argv, NULL, NULL, NULL, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one personal ID number");
	if ((rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE ||
	    (rc = read_account(ctl, &env, argv[optind_], &a)) != EIDCTL_CONTINUE)
		goto out;
	eid_account_clear(&a);
	if (ctl->json && (arr = json_array()) == NULL) {
		rc = eidctl_fail(ctl, EID_ENOMEM, "output");
		goto out;
	}
	if ((r = eid_store_begin(env.store, false, &t)) == EID_OK)
		r = eid_passkey_list(t, argv[optind_], passkey_one, arr);
	eid_txn_abort(t);
	if (r != EID_OK)
		rc = eidctl_fail(ctl, r, "passkeys of %s", argv[optind_]);
	else if (arr != NULL)
		rc = eidctl_print_json(ctl, arr); /* takes arr */
	else
		rc = EIDCTL_EXIT_OK;
	if (r == EID_OK)
		arr = NULL;
out:
	json_decref(arr);
	eidctl_env_close(&env);
	return rc;
}

/* lock, unlock and revoke: one ID, one state change. */
enum change { LOCK, UNLOCK, REVOKE };

struct change_arg {
	enum change what;
	const char *id;
	enum eid_lock_reason reason;
};

static int change_fn(eid_txn *t, int64_t now, const char *actor, void *arg,
		     eid_buf *why)
{
	const struct change_arg *c = arg;
	int r;

	if (c->what == LOCK)
		r = eid_account_lock(t, c->id, c->reason, actor, now);
	else if (c->what == UNLOCK)
		r = eid_account_unlock(t, c->id, actor, now);
	else
		r = eid_account_revoke(t, c->id, actor, now);
	if (r == EID_ENOTFOUND)
		(void)eid_buf_printf(why, "no account %s", c->id);
	else if (r == EID_ESTATE)
		(void)eid_buf_printf(why, "%s: %s", c->id,
			c->what == LOCK ? "already locked or revoked" :
			c->what == UNLOCK ? "not locked, revoked (final), or "
					    "locked for a card the registry "
					    "still marks revoked or expired" :
					    "already revoked");
	return r;
}

/* A lock or revocation ends the citizen's sessions and grants at once. */
static int end_everything(const struct eidctl *ctl, struct eidctl_env *env,
			  enum change what, const char *id)
{
	int r;

	if (what == UNLOCK)
		return EIDCTL_CONTINUE;
	r = eid_account_end_everything(env->store, id, eid_store_now(env->store));
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "%s: cannot end the sessions and grants",
				   id);
	return EIDCTL_CONTINUE;
}

static int run_change(struct eidctl *ctl, int argc, char **argv,
		      enum change what)
{
	static const struct eidctl_opt lock_opts[] = {
		{ "reason", required_argument, "CODE",
		  "citizen_request, officer, card_expired, card_revoked, "
		  "lost_device or suspected_fraud" },
		{ NULL, 0, NULL, NULL },
	};
	static const char *const names[] = { "lock", "unlock", "revoke" };
	struct eidctl_values vals = { .opts = lock_opts };
	struct eidctl_env env = { 0 };
	struct eid_account a;
	enum eid_lock_reason reason = EID_LOCK_NONE;
	int optind_ = 0, rc;

	eidctl_leading_arg_last(argc, argv);
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_account_commands, names[what]),
			   argc, argv, what == LOCK ? lock_opts : NULL,
			   eidctl_collect, &vals, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one personal ID number");
	if (what == LOCK &&
	    eid_lock_reason_parse(eidctl_value(&vals, "reason"), &reason) != EID_OK)
		return eidctl_usage(ctl, "--reason must be one of citizen_request, "
				    "officer, card_expired, card_revoked, "
				    "lost_device, suspected_fraud");
	if ((rc = eidctl_env_open(ctl, &env, true)) == EIDCTL_CONTINUE &&
	    (rc = eidctl_write(ctl, &env, change_fn,
			       &(struct change_arg){ what, argv[optind_], reason },
			       argv[optind_])) == EIDCTL_CONTINUE &&
	    (rc = end_everything(ctl, &env, what, argv[optind_])) ==
		    EIDCTL_CONTINUE &&
	    (rc = read_account(ctl, &env, argv[optind_], &a)) == EIDCTL_CONTINUE) {
		rc = show(ctl, &env, &a);
		eid_account_clear(&a);
	}
	eidctl_env_close(&env);
	return rc;
}

static int account_lock(struct eidctl *ctl, int argc, char **argv)
{
	return run_change(ctl, argc, argv, LOCK);
}

static int account_unlock(struct eidctl *ctl, int argc, char **argv)
{
	return run_change(ctl, argc, argv, UNLOCK);
}

static int account_revoke(struct eidctl *ctl, int argc, char **argv)
{
	return run_change(ctl, argc, argv, REVOKE);
}

static int print_sweep(const struct eidctl *ctl,
		       const struct eid_sweep_stats *st)
{
	json_t *o;

	if (!ctl->json) {
		printf("scanned          %" PRIu64 "\n", st->scanned);
		printf("locked           card_expired %" PRIu64
		       ", card_revoked %" PRIu64 "\n",
		       st->locked_expired, st->locked_revoked);
		printf("errors           %" PRIu64 "\n", st->errors);
		printf("unavailable      %" PRIu64 " (registry: left alone)\n",
		       st->unavailable);
		return EIDCTL_EXIT_OK;
	}
	o = json_pack("{s:I, s:{s:I, s:I}, s:I, s:I}", "scanned",
		      (json_int_t)st->scanned, "locked", "card_expired",
		      (json_int_t)st->locked_expired, "card_revoked",
		      (json_int_t)st->locked_revoked, "errors",
		      (json_int_t)st->errors, "registry_unavailable",
		      (json_int_t)st->unavailable);
	if (o == NULL)
		return eidctl_fail(ctl, EID_ENOMEM, "output");
	return eidctl_print_json(ctl, o);
}

/* One walk over every account, as eidd's background sweep does. */
static int account_sweep(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	struct eid_sweep_stats st = { 0 };
	eid_notify notify = { 0 };
	eid_registry reg = { 0 };
	eid_buf why;
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, eidctl_find(eidctl_account_commands, "sweep"),
			   argc, argv, NULL, NULL, NULL, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc != optind_)
		return eidctl_usage(ctl, "sweep takes no arguments");
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE)
		goto out;
	if ((r = eid_notify_open_config(&env.cfg, env.store, &notify)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "[notify]");
		goto out;
	}
	/* The registry eidd uses ([registry] source): the local table, or
	 * the remote service. */
	eid_buf_init(&why, EID_CONFIG_ERR_MAX);
	r = eid_registry_open_config(&env.cfg, env.store, 0, &reg, &why);
	if (r != EID_OK) {
		rc = eidctl_fail(ctl, r, "[registry] %s",
				 why.len ? eid_buf_cstr(&why) : "");
		eid_buf_free(&why);
		goto out;
	}
	eid_buf_free(&why);
	r = eid_sweep_run(env.store, &reg, &notify, 0,
			  (int64_t)eid_store_now(env.store), NULL, NULL, &st);
	rc = r == EID_OK ? print_sweep(ctl, &st) : eidctl_fail(ctl, r, "sweep");
	if (rc == EIDCTL_EXIT_OK && (st.errors > 0 || st.unavailable > 0))
		rc = EIDCTL_EXIT_FAIL;
out:
	eid_registry_close(&reg);
	eid_notify_close(&notify);
	eidctl_env_close(&env);
	return rc;
}

struct reset_arg {
	const char *id;
	const char *checked;
};

static int reset_fn(eid_txn *t, int64_t now, const char *actor, void *arg,
		    eid_buf *why)
{
	const struct reset_arg *a = arg;
	int r = eid_cred_totp_reset(t, a->id, actor, a->checked, NULL, now);

	if (r == EID_ENOTFOUND)
		(void)eid_buf_printf(why, "%s has no authenticator app", a->id);
	else if (r == EID_EMALFORMED)
		(void)eid_buf_printf(why, "--checked: 1 to %d bytes of text",
				     EID_CRED_CHECK_NOTE_MAX);
	return r;
}

/* The citizen lost the authenticator and the recovery codes: after the
 * identity check (the card, in person), the second factor is removed and
 * level-2 sign-ins go back to the SMS code.  What was checked is in the
 * audit entry. */
static int account_totp_reset(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "checked", required_argument, "TEXT",
		  "how the citizen's identity was checked (recorded in the audit)" },
		{ NULL, 0, NULL, NULL },
	};
	struct eidctl_values vals = { .opts = opts };
	struct eidctl_env env = { 0 };
	struct reset_arg ra;
	struct eid_account a;
	int optind_ = 0, rc;

	eidctl_leading_arg_last(argc, argv);
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_account_commands, "totp-reset"),
			   argc, argv, opts, eidctl_collect, &vals, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one personal ID number");
	ra.id = argv[optind_];
	ra.checked = eidctl_value(&vals, "checked");
	if (ra.checked == NULL || ra.checked[0] == '\0')
		return eidctl_usage(ctl, "--checked is required: say how the "
				    "citizen's identity was checked");
	if ((rc = eidctl_env_open(ctl, &env, true)) == EIDCTL_CONTINUE &&
	    (rc = read_account(ctl, &env, ra.id, &a)) == EIDCTL_CONTINUE) {
		eid_account_clear(&a);
		if ((rc = eidctl_write(ctl, &env, reset_fn, &ra, ra.id)) ==
			    EIDCTL_CONTINUE &&
		    (rc = read_account(ctl, &env, ra.id, &a)) == EIDCTL_CONTINUE) {
			rc = show(ctl, &env, &a);
			eid_account_clear(&a);
		}
	}
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_account_commands[] = {
	{ "account", "create",
	  "--personal-id N --phone P [--email E] [--level 1|2] --password-stdin",
	  "create an account for a registry citizen (level 2 without a "
	  "password waits for activation)",
	  account_create },
	{ "account", "show", "ID", "show an account", account_show },
	{ "account", "lock", "ID --reason CODE",
	  "lock an account and end its sessions", account_lock },
	{ "account", "unlock", "ID", "unlock a locked account", account_unlock },
	{ "account", "revoke", "ID",
	  "revoke an account for good (frees its phone number)", account_revoke },
	{ "account", "sweep", "",
	  "lock every account whose card is expired or revoked in the "
	  "registry, end its sessions and tell the citizen (exit 1 on errors)",
	  account_sweep },
	{ "account", "totp-reset", "ID --checked TEXT",
	  "remove a citizen's authenticator app and recovery codes after an "
	  "identity check", account_totp_reset },
	{ "account", "passkeys", "ID", "list an account's passkeys",
	  account_passkeys },
	{ NULL, NULL, NULL, NULL, NULL },
};
