/* eidctl client add|list|show|update|disable|enable|delete|rotate-secret:
 * relying parties.  The flags become client metadata JSON (the names of
 * idp/clients.h), so the rules live in one place: the library. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/clients.h"
#include "idp/signing.h"
#include "idp/config.h"
#include "tools/eidctl.h"

#define ACTOR "operator"
#define JWKS_FILE_MAX (64u * 1024)

/* Flags shared by add and update.  meta holds only the members given. */
struct client_opts {
	json_t *meta;
	bool secret_stdin;
	const char *error; /* the first bad flag value, for the usage line */
};

static const struct eidctl_opt client_flags[] = {
	{ "id", required_argument, "ID", "client_id (add only)" },
	{ "name", required_argument, "NAME", "shown on the consent page" },
	{ "grant", required_argument, "G",
	  "authorization_code, refresh_token, client_credentials, "
	  "urn:openid:params:grant-type:ciba, "
	  "urn:ietf:params:oauth:grant-type:device_code (repeat)" },
	{ "auth-method", required_argument, "M",
	  "client_secret_basic, client_secret_post, private_key_jwt, none" },
	{ "redirect-uri", required_argument, "URI", "exact (repeat)" },
	{ "post-logout-redirect-uri", required_argument, "URI",
	  "exact (repeat)" },
	{ "backchannel-logout-uri", required_argument, "URI", "https" },
	{ "ciba-delivery", required_argument, "MODE",
	  "CIBA token delivery: poll or ping" },
	{ "ciba-notification-uri", required_argument, "URI",
	  "https: where a ping-mode CIBA client is told a result is ready" },
	{ "jwks", required_argument, "FILE", "the client's JWK Set" },
	{ "jwks-uri", required_argument, "URL", "where its JWK Set is" },
	{ "scope", required_argument, "S",
	  "allowed scopes (repeat or space-separated)" },
	{ "subject-type", required_argument, "T", "public or pairwise" },
	{ "sector-id", required_argument, "HOST",
	  "sector of pairwise subjects" },
	{ "require-par", no_argument, NULL,
	  "only pushed authorization requests" },
	{ "no-require-par", no_argument, NULL, "allow plain /authorize" },
	{ "require-dpop", no_argument, NULL, "only DPoP-bound tokens" },
	{ "no-require-dpop", no_argument, NULL, "allow bearer tokens" },
	{ "id-token-alg", required_argument, "ALG", "ES256, RS256 or PS256" },
	{ "access-token-ttl", required_argument, "S", "seconds" },
	{ "refresh-token-ttl", required_argument, "S", "seconds" },
	{ "id-token-ttl", required_argument, "S", "seconds" },
	{ "secret-stdin", no_argument, NULL,
	  "read the client secret from standard input" },
	{ NULL, 0, NULL, NULL },
};

/* flag -> metadata member for plain string values. */
static const struct {
	const char *flag, *member;
} string_flags[] = {
	{ "id", "client_id" },
	{ "name", "name" },
	{ "auth-method", "token_endpoint_auth_method" },
	{ "backchannel-logout-uri", "backchannel_logout_uri" },
	{ "ciba-delivery", "backchannel_token_delivery_mode" },
	{ "ciba-notification-uri", "backchannel_client_notification_endpoint" },
	{ "jwks-uri", "jwks_uri" },
	{ "subject-type", "subject_type" },
	{ "sector-id", "sector_identifier" },
	{ "id-token-alg", "id_token_signed_response_alg" },
};

static const struct {
	const char *flag, *member;
} list_flags[] = {
	{ "grant", "grant_types" },
	{ "redirect-uri", "redirect_uris" },
	{ "post-logout-redirect-uri", "post_logout_redirect_uris" },
};

static const struct {
	const char *flag, *member;
	bool value;
} bool_flags[] = {
	{ "require-par", "require_par", true },
	{ "no-require-par", "require_par", false },
	{ "require-dpop", "require_dpop", true },
	{ "no-require-dpop", "require_dpop", false },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Append v to the array member (created on first use). */
static int append(json_t *meta, const char *member, json_t *v)
{
	json_t *a = json_object_get(meta, member);

	if (a == NULL) {
		a = json_array();
		if (json_object_set_new(meta, member, a) != 0)
			a = NULL;
	}
	return a != NULL && json_array_append_new(a, v) == 0 ? 0 : 1;
}

/* --scope: repeatable, each value may hold several; joined by spaces. */
static int add_scope(json_t *meta, const char *value)
{
	const json_t *old = json_object_get(meta, "scope");
	char joined[1024];

	if (snprintf(joined, sizeof(joined), "%s%s%s",
		     old ? json_string_value(old) : "", old ? " " : "",
		     value) >= (int)sizeof(joined))
		return 1;
	return json_object_set_new(meta, "scope", json_string(joined)) != 0;
}

static int add_ttl(struct client_opts *o, const char *flag,
		   const char *value)
{
	char member[32], *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 ||
	    v > INT64_MAX) {
		o->error = flag;
		return 0; /* told after parsing, with the flag's name */
	}
	snprintf(member, sizeof(member), "%.*s_ttl",
		 (int)(strlen(flag) - 4), flag); /* "access-token" */
	for (char *p = member; *p; p++)
		if (*p == '-')
			*p = '_';
	return json_object_set_new(o->meta, member,
				   json_integer((json_int_t)v)) != 0;
}

static int read_jwks(struct client_opts *o, const char *path)
{
	json_error_t err;
	json_t *set;
	FILE *f = fopen(path, "rb");
	char *buf = malloc(JWKS_FILE_MAX + 1);
	size_t n = 0;

	if (f != NULL && buf != NULL)
		n = fread(buf, 1, JWKS_FILE_MAX + 1, f);
	set = f != NULL && buf != NULL && n <= JWKS_FILE_MAX ?
		      json_loadb(buf, n, JSON_REJECT_DUPLICATES, &err) : NULL;
	if (f != NULL)
		fclose(f);
	free(buf);
	if (set == NULL) {
		o->error = "jwks";
		return 0;
	}
	return json_object_set_new(o->meta, "jwks", set) != 0;
}

static int on_client_opt(struct eidctl *ctl, const char *name,
			 const char *value, void *arg)
{
	struct client_opts *o = arg;

	for (size_t i = 0; i < N(string_flags); i++)
		if (strcmp(name, string_flags[i].flag) == 0)
			return json_object_set_new(o->meta,
						   string_flags[i].member,
						   json_string(value)) != 0;
	for (size_t i = 0; i < N(list_flags); i++)
		if (strcmp(name, list_flags[i].flag) == 0)
			return append(o->meta, list_flags[i].member,
				      json_string(value));
	for (size_t i = 0; i < N(bool_flags); i++)
		if (strcmp(name, bool_flags[i].flag) == 0)
			return json_object_set_new(
				       o->meta, bool_flags[i].member,
				       json_boolean(bool_flags[i].value)) != 0;
	if (strcmp(name, "scope") == 0)
		return add_scope(o->meta, value);
	if (strcmp(name, "jwks") == 0)
		return read_jwks(o, value);
	if (strstr(name, "-ttl") != NULL)
		return add_ttl(o, name, value);
	if (strcmp(name, "secret-stdin") == 0) {
		o->secret_stdin = true;
		return 0;
	}
	return 1;
}

/* --ciba-delivery poll alone (an update from ping) also removes the
 * notification endpoint, which only ping delivery may have. */
static int poll_drops_endpoint(json_t *meta)
{
	const char *mode = json_string_value(
		json_object_get(meta, "backchannel_token_delivery_mode"));

	if (mode == NULL || strcmp(mode, "poll") != 0 ||
	    json_object_get(meta, "backchannel_client_notification_endpoint"))
		return 0;
	return json_object_set_new(meta,
				   "backchannel_client_notification_endpoint",
				   json_null());
}

/* One line from stdin without its newline; wiped by the caller. */
static int read_secret(char *buf, size_t cap, size_t *ret_len)
{
	size_t n;

	if (fgets(buf, (int)cap, stdin) == NULL)
		return EID_EIO;
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	*ret_len = n;
	return EID_OK;
}

static const struct eidctl_command *cmd_of(const char *name)
{
	for (const struct eidctl_command *c = eidctl_client_commands; c->group;
	     c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Parse the command's options and open the store.  *ret_arg is the one
 * positional argument when want_arg. */
/* Parse the command's options and open the store.  *ret_arg is the one
 * positional argument when want_arg: the client ID, before or after the
 * flags ("update rp1 --name X" reads naturally). */
static int begin(struct eidctl *ctl, const char *cmd, int argc, char **argv,
		 const struct eidctl_opt *flags, struct client_opts *o,
		 bool want_arg, const char **ret_arg,
		 struct eid_config *cfg, eid_store **ret_store)
{
	const char *id = NULL;
	int optind_ = 0, rc;

	if (want_arg && argc > 1 && argv[1][0] != '-') {
		id = argv[1];
		memmove(&argv[1], &argv[2], (size_t)(argc - 2) * sizeof(*argv));
		argv[--argc] = NULL;
	}
	rc = eidctl_getopt(ctl, cmd_of(cmd), argc, argv,
			   flags, o != NULL ? on_client_opt : NULL, o,
			   &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (o != NULL && o->error != NULL)
		return eidctl_usage(ctl, "--%s: bad value", o->error);
	if (o != NULL && poll_drops_endpoint(o->meta) != 0)
		return EIDCTL_EXIT_FAIL;
	if (want_arg && id == NULL && optind_ < argc)
		id = argv[optind_++];
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'",
				    argv[optind_]);
	if (want_arg && id == NULL)
		return eidctl_usage(ctl, "expected one client ID");
	if (want_arg)
		*ret_arg = id;
	if ((rc = eidctl_load_config(ctl, cfg)) != EIDCTL_CONTINUE)
		return rc;
	rc = eidctl_open_store(ctl, cfg, strcmp(cmd, "list") != 0 &&
					 strcmp(cmd, "show") != 0, ret_store);
	if (rc != EIDCTL_CONTINUE)
		eid_config_free(cfg);
	return rc;
}

static void end(struct eid_config *cfg, eid_store *s)
{
	eid_store_close(s);
	eid_config_free(cfg);
}

static int fail_why(const struct eidctl *ctl, int r, const eid_buf *why,
		    const char *what)
{
	if (why->len > 0)
		return eidctl_fail(ctl, 0, "%s: %.*s", what, (int)why->len,
				   (const char *)why->data);
	return eidctl_fail(ctl, r, "%s", what);
}

/* The client as the output shows it, with a new secret when one was
 * made (text: shown once with a warning). */
static int print_client(const struct eidctl *ctl, eid_store *s,
			const char *id, const char *secret, const char *verb)
{
	struct eid_client c;
	json_t *j = NULL;
	int r = eid_client_get(s, id, &c);

	if (r == EID_ENOTFOUND)
		return eidctl_fail(ctl, 0, "no client %s", id);
	if (r == EID_OK) {
		r = eid_client_to_json(&c, &j);
		eid_client_clear(&c);
	}
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "client %s", id);
	if (secret != NULL &&
	    json_object_set_new(j, "client_secret", json_string(secret)) != 0)
		r = EID_ENOMEM;
	if (ctl->json)
		return eidctl_print_json(ctl, j);
	if (verb != NULL)
		printf("client %s %s\n", id, verb);
	else
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (verb == NULL)
		putchar('\n');
	if (secret != NULL)
		printf("client secret (shown once, store it now): %s\n",
		       secret);
	json_decref(j);
	return r == EID_OK ? EIDCTL_EXIT_OK : EIDCTL_EXIT_FAIL;
}

/* A client that asks for RS256 or PS256 ID tokens needs a key of that
 * algorithm: make one now (the running server picks it up). */
static int ensure_alg_key(const struct eidctl *ctl,
			  const struct eid_config *cfg, eid_store *s,
			  const char *client_id)
{
	struct eid_client c;
	eid_alg primary;
	uint8_t kek[32];
	int rc, r;

	if (eid_client_get(s, client_id, &c) != EID_OK)
		return EIDCTL_EXIT_OK; /* nothing to do for what is not there */
	/* eidd makes the configured algorithm's key itself at start. */
	if (eid_alg_from_name(cfg->keys.algorithm, &primary) == EID_OK &&
	    c.id_token_alg == primary) {
		eid_client_clear(&c);
		return EIDCTL_EXIT_OK;
	}
	memset(kek, 0, sizeof(kek));
	r = EID_OK;
	rc = eidctl_load_kek(ctl, cfg, kek);
	if (rc == EIDCTL_CONTINUE) {
		r = eid_signing_ensure(s, kek, c.id_token_alg, eid_store_now(s),
				       NULL);
		rc = EIDCTL_EXIT_OK;
	}
	eid_wipe(kek, sizeof(kek));
	eid_client_clear(&c);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "no %s signing key for the client's ID "
					   "tokens (run: eidctl keys rotate --alg "
					   "%s --now)",
				   eid_alg_name(c.id_token_alg),
				   eid_alg_name(c.id_token_alg));
	return rc;
}

static int client_add(struct eidctl *ctl, int argc, char **argv)
{
	struct client_opts o = { json_object(), false, NULL };
	struct eid_config cfg;
	eid_store *s = NULL;
	char given[EID_CLIENT_SECRET_MAX + 2], *secret = NULL;
	size_t len = 0;
	eid_buf why;
	int rc, r;

	eid_buf_init(&why, 512);
	rc = begin(ctl, "add", argc, argv, client_flags, &o, false, NULL, &cfg,
		   &s);
	if (rc != EIDCTL_CONTINUE)
		goto done;
	if (o.secret_stdin && read_secret(given, sizeof(given), &len) != EID_OK)
		rc = eidctl_fail(ctl, EID_EIO, "cannot read the secret");
	else if ((r = eid_client_add(s, o.meta, o.secret_stdin ? given : NULL,
				     len, ACTOR, &secret, &why)) != EID_OK)
		rc = fail_why(ctl, r, &why, "cannot add the client");
	else if ((rc = ensure_alg_key(ctl, &cfg, s, json_string_value(
					       json_object_get(o.meta, "client_id")))) ==
		 EIDCTL_EXIT_OK)
		rc = print_client(ctl, s, json_string_value(json_object_get(
						  o.meta, "client_id")),
				  secret, "added");
	end(&cfg, s);
done:
	eid_wipe(given, sizeof(given));
	eid_free_secret_str(secret);
	json_decref(o.meta);
	eid_buf_free(&why);
	return rc;
}

static int client_update(struct eidctl *ctl, int argc, char **argv)
{
	struct client_opts o = { json_object(), false, NULL };
	struct eid_config cfg;
	eid_store *s = NULL;
	const char *id = NULL;
	char *secret = NULL;
	eid_buf why;
	int rc, r;

	eid_buf_init(&why, 512);
	rc = begin(ctl, "update", argc, argv, client_flags, &o, true, &id, &cfg, &s);
	if (rc != EIDCTL_CONTINUE)
		goto done;
	if (o.secret_stdin)
		rc = eidctl_usage(ctl, "use rotate-secret --secret-stdin");
	else if ((r = eid_client_update(s, id, o.meta, ACTOR, &secret,
					&why)) != EID_OK)
		rc = fail_why(ctl, r, &why, "cannot update the client");
	else
		rc = print_client(ctl, s, id, secret, "updated");
	end(&cfg, s);
done:
	eid_free_secret_str(secret);
	json_decref(o.meta);
	eid_buf_free(&why);
	return rc;
}

static int client_show(struct eidctl *ctl, int argc, char **argv)
{
	struct eid_config cfg;
	eid_store *s = NULL;
	const char *id = NULL;
	int rc = begin(ctl, "show", argc, argv, NULL, NULL, true, &id, &cfg, &s);

	if (rc != EIDCTL_CONTINUE)
		return rc;
	rc = print_client(ctl, s, id, NULL, NULL);
	end(&cfg, s);
	return rc;
}

static int list_one(const struct eid_client *c, void *arg)
{
	json_t *arr = arg, *j = NULL;

	if (arr == NULL) {
		printf("%-32s %-9s %-20s %s\n", c->client_id,
		       c->status == EID_CLIENT_ACTIVE ? "active" : "disabled",
		       eid_client_auth_name(c->auth_method), c->name);
		return EID_OK;
	}
	if (eid_client_to_json(c, &j) != EID_OK ||
	    json_array_append_new(arr, j) != 0)
		return EID_ENOMEM;
	return EID_OK;
}

static int client_list(struct eidctl *ctl, int argc, char **argv)
{
	struct eid_config cfg;
	eid_store *s = NULL;
	json_t *arr = NULL;
	int rc = begin(ctl, "list", argc, argv, NULL, NULL, false, NULL, &cfg, &s);
	int r;

	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (ctl->json)
		arr = json_array();
	else
		printf("%-32s %-9s %-20s %s\n", "CLIENT", "STATUS", "AUTH",
		       "NAME");
	r = ctl->json && arr == NULL ? EID_ENOMEM :
				       eid_client_list(s, list_one, arr);
	if (r != EID_OK) {
		json_decref(arr);
		rc = eidctl_fail(ctl, r, "cannot list clients");
	} else {
		rc = ctl->json ? eidctl_print_json(ctl, arr) : EIDCTL_EXIT_OK;
	}
	end(&cfg, s);
	return rc;
}

/* disable, enable and delete: one client, one call, one line. */
static int simple(struct eidctl *ctl, const char *cmd, int argc,
		  char **argv, int (*fn)(eid_store *, const char *,
					 const char *), const char *done)
{
	struct eid_config cfg;
	eid_store *s = NULL;
	const char *id = NULL;
	int rc = begin(ctl, cmd, argc, argv, NULL, NULL, true, &id, &cfg, &s);
	int r;

	if (rc != EIDCTL_CONTINUE)
		return rc;
	r = fn(s, id, ACTOR);
	if (r == EID_ENOTFOUND)
		rc = eidctl_fail(ctl, 0, "no client %s", id);
	else if (r == EID_ESTATE)
		rc = eidctl_fail(ctl, 0, "client %s is %s already", id, done);
	else if (r != EID_OK)
		rc = eidctl_fail(ctl, r, "client %s", id);
	else if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s, s:s}", "client_id",
						      id, "result", done));
	else {
		printf("client %s %s\n", id, done);
		rc = EIDCTL_EXIT_OK;
	}
	end(&cfg, s);
	return rc;
}

static int client_disable(struct eidctl *ctl, int argc, char **argv)
{
	return simple(ctl, "disable", argc, argv, eid_client_disable,
		      "disabled");
}

static int client_enable(struct eidctl *ctl, int argc, char **argv)
{
	return simple(ctl, "enable", argc, argv, eid_client_enable, "active");
}

static int client_delete(struct eidctl *ctl, int argc, char **argv)
{
	return simple(ctl, "delete", argc, argv, eid_client_delete, "deleted");
}

static int client_rotate(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "secret-stdin", no_argument, NULL,
		  "read the new secret from standard input" },
		{ NULL, 0, NULL, NULL },
	};
	struct client_opts o = { NULL, false, NULL };
	char given[EID_CLIENT_SECRET_MAX + 2], *secret = NULL;
	struct eid_config cfg;
	eid_store *s = NULL;
	const char *id = NULL;
	size_t len = 0;
	int rc, r;

	rc = begin(ctl, "rotate-secret", argc, argv, opts, &o, true, &id, &cfg,
		   &s);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (o.secret_stdin && read_secret(given, sizeof(given), &len) != EID_OK)
		rc = eidctl_fail(ctl, EID_EIO, "cannot read the secret");
	else if ((r = eid_client_rotate_secret(s, id,
					       o.secret_stdin ? given : NULL,
					       len, ACTOR, &secret)) != EID_OK)
		rc = eidctl_fail(ctl, r == EID_ESTATE ? 0 : r, "client %s%s",
				 id, r == EID_ESTATE ?
				 " does not use a client secret" : "");
	else
		rc = print_client(ctl, s, id, secret, "has a new secret");
	end(&cfg, s);
	eid_wipe(given, sizeof(given));
	eid_free_secret_str(secret);
	return rc;
}

#define CLIENT_FLAGS "[--name NAME] [--grant G]... [--auth-method M] " \
	"[--redirect-uri URI]... [--scope S]... [...]"

const struct eidctl_command eidctl_client_commands[] = {
	{ "client", "add", "--id ID --name NAME " CLIENT_FLAGS
	  " [--secret-stdin]",
	  "register a relying party (a new secret is shown once)",
	  client_add },
	{ "client", "list", "", "list the relying parties", client_list },
	{ "client", "show", "ID", "show one relying party", client_show },
	{ "client", "update", "ID " CLIENT_FLAGS,
	  "change the given fields (repeatable flags replace the list)",
	  client_update },
	{ "client", "disable", "ID", "refuse every request of the client",
	  client_disable },
	{ "client", "enable", "ID", "accept the client again", client_enable },
	{ "client", "delete", "ID", "remove the client", client_delete },
	{ "client", "rotate-secret", "ID [--secret-stdin]",
	  "replace the client secret (the old one stops at once)",
	  client_rotate },
	{ NULL, NULL, NULL, NULL, NULL },
};
