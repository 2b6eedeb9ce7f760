/* eidctl sign verify|hash: check a citizen's CMS signature; sign a hash on
 * a citizen's behalf (operators and tests only: the citizen's own approval
 * through the app comes with the app, see docs/signatures.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/accounts.h"
#include "idp/ca.h"
#include "idp/cms_sign.h"
#include "idp/config.h"
#include "idp/registry.h"
#include "tools/eidctl.h"

/* Largest document `sign verify --content` reads into memory. */
#define CONTENT_MAX (256u * 1024 * 1024)

struct sign_opts {
	const char *sig, *content, *hash, *alg, *citizen, *out, *document;
};

static int parse(struct eidctl *ctl, const char *name, int argc, char **argv,
		 const struct eidctl_opt *opts, struct sign_opts *o)
{
	struct eidctl_values v = { .opts = opts };
	int optind_ = 0;
	int rc = eidctl_getopt(ctl, eidctl_find(eidctl_sign_commands, name), argc,
			       argv, opts, eidctl_collect, &v, &optind_);

	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	o->sig = eidctl_value(&v, "sig");
	o->content = eidctl_value(&v, "content");
	o->hash = eidctl_value(&v, "hash");
	o->alg = eidctl_value(&v, "alg");
	o->citizen = eidctl_value(&v, "citizen");
	o->out = eidctl_value(&v, "out");
	o->document = eidctl_value(&v, "document");
	return EIDCTL_CONTINUE;
}

/* --hash HEX with --alg into hash[64]. */
static int parse_hash(struct eidctl *ctl, const struct sign_opts *o,
		      uint8_t hash[64], size_t *ret_len, enum eid_digest *ret_d)
{
	if (eid_digest_from_name(o->alg ? o->alg : "sha256", ret_d) != EID_OK)
		return eidctl_usage(ctl, "--alg must be sha256, sha384 or sha512");
	if (eid_hex_decode(o->hash, strlen(o->hash), hash, 64, ret_len) != EID_OK ||
	    *ret_len != eid_digest_len(*ret_d))
		return eidctl_usage(ctl, "--hash must be %zu hex digits for %s",
				    2 * eid_digest_len(*ret_d),
				    eid_digest_name(*ret_d));
	return EIDCTL_CONTINUE;
}

static void print_report(const struct eid_cms_report *rep)
{
	json_t *j = NULL;

	if (eid_cms_report_json(rep, &j) != EID_OK)
		return;
	printf("signature valid\nsigner:       %s\npersonal ID:  %s\n"
	       "signed at:    %s\ndigest:       %s\ncertificate:  %s\nissuer:       %s\n",
	       rep->signer_name, rep->personal_id,
	       json_string_value(json_object_get(j, "signing_time_text")),
	       eid_digest_name(rep->digest), rep->serial, rep->issuer);
	if (rep->revoked)
		printf("note:         certificate revoked (%s) at %s, after signing\n",
		       eid_crl_reason_name(rep->revocation_reason),
		       json_string_value(json_object_get(j, "revoked_at_text")));
	json_decref(j);
}

/* The outcome of a verification, as text or JSON; exit 0 only when valid. */
static int report(struct eidctl *ctl, int r, const struct eid_cms_report *rep,
		  eid_buf *why)
{
	json_t *j = NULL;

	if (r == EID_OK && ctl->json) {
		if (eid_cms_report_json(rep, &j) != EID_OK)
			return eidctl_fail(ctl, EID_ENOMEM, "cannot build output");
		return eidctl_print_json(ctl, j);
	}
	if (r == EID_OK) {
		print_report(rep);
		return EIDCTL_EXIT_OK;
	}
	if (ctl->json) {
		eidctl_print_json(ctl, json_pack("{s:b, s:s, s:s}", "valid", 0,
						 "error", eid_errname(r), "reason",
						 why->len ? eid_buf_cstr(why) :
							    eid_strerror(r)));
		return EIDCTL_EXIT_FAIL;
	}
	return eidctl_fail(ctl, 0, "INVALID: %s",
			   why->len ? eid_buf_cstr(why) : eid_strerror(r));
}

static int sign_verify(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "sig", required_argument, "FILE", "the signature (DER CMS)" },
		{ "content", required_argument, "FILE", "the signed document" },
		{ "hash", required_argument, "HEX", "or the document's hash" },
		{ "alg", required_argument, "ALG", "of --hash: sha256 (default), sha384, sha512" },
		{ NULL, 0, NULL, NULL },
	};
	struct sign_opts o = { 0 };
	struct eidctl_env env = { 0 };
	struct eid_cms_content content = { 0 };
	struct eid_cms_report rep;
	eid_ca *ca = NULL;
	eid_buf sig, doc, why;
	uint8_t hash[64];
	int rc, r;

	if ((rc = parse(ctl, "verify", argc, argv, opts, &o)) != EIDCTL_CONTINUE)
		return rc;
	if (o.sig == NULL || (o.content == NULL) == (o.hash == NULL))
		return eidctl_usage(ctl, "--sig and one of --content or --hash are required");
	eid_buf_init(&sig, EID_CMS_MAX);
	eid_buf_init(&doc, CONTENT_MAX);
	eid_buf_init(&why, 512);
	if (o.hash != NULL &&
	    (rc = parse_hash(ctl, &o, hash, &content.hash_len, &content.digest)) !=
		    EIDCTL_CONTINUE)
		goto out;
	if ((rc = eidctl_read_file(ctl, o.sig, &sig)) != EIDCTL_CONTINUE ||
	    (o.content != NULL &&
	     (rc = eidctl_read_file(ctl, o.content, &doc)) != EIDCTL_CONTINUE) ||
	    (rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE)
		goto out;
	if ((rc = eidctl_load_ca(ctl, &env, NULL, &ca)) != EIDCTL_CONTINUE)
		goto out;
	content.data = o.content ? (doc.data ? doc.data : (const uint8_t *)"") : NULL;
	content.len = doc.len;
	content.hash = o.hash ? hash : NULL;
	r = eid_cms_verify(env.store, ca, sig.data ? sig.data : (const uint8_t *)"",
			   sig.len, &content, eid_store_now(env.store), &rep, &why);
	rc = report(ctl, r, &rep, &why);
out:
	eid_buf_free(&sig);
	eid_buf_free(&doc);
	eid_buf_free(&why);
	eid_ca_free(ca);
	eidctl_env_close(&env);
	return rc;
}

/* The citizen from the registry, who must hold an active level-2 account
 * (issue 7: level 1 accounts are refused). */
static int find_citizen(struct eidctl *ctl, eid_store *s, const char *id,
			struct eid_citizen *ret)
{
	struct eid_account a;
	eid_txn *t = NULL;
	int r = eid_store_begin(s, false, &t), ra = EID_OK;

	if (r == EID_OK)
		r = eid_registry_get(t, id, ret);
	if (r == EID_OK)
		ra = eid_account_get(t, id, &a);
	eid_txn_abort(t);
	if (r == EID_ENOTFOUND || r == EID_EMALFORMED)
		return eidctl_fail(ctl, 0, "no citizen %s in the registry", id);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "registry");
	if (ra == EID_ENOTFOUND)
		return eidctl_fail(ctl, 0, "%s has no account", id);
	if (ra != EID_OK)
		return eidctl_fail(ctl, ra, "account of %s", id);
	if (a.level != 2)
		return eidctl_fail(ctl, 0, "%s is a level-%d account: only level 2 "
					   "signs", id, a.level);
	if (a.status != EID_ACCOUNT_ACTIVE)
		return eidctl_fail(ctl, 0, "the account of %s is not active", id);
	return EIDCTL_CONTINUE;
}

static int sign_failed(struct eidctl *ctl, int r, const char *id)
{
	switch (r) {
	case EID_EPERM:
		return eidctl_fail(ctl, 0, "the card of %s is revoked", id);
	case EID_EEXPIRED:
		return eidctl_fail(ctl, 0, "the card of %s (or the CA) has expired", id);
	case EID_ETOOBIG:
		return eidctl_fail(ctl, 0, "the name of %s is longer than a "
					   "certificate allows (64 characters)", id);
	default:
		return eidctl_fail(ctl, r, "cannot sign");
	}
}

static int sign_hash(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "citizen", required_argument, "ID", "the signer's personal ID" },
		{ "hash", required_argument, "HEX", "the document's hash" },
		{ "alg", required_argument, "ALG", "sha256 (default), sha384 or sha512" },
		{ "out", required_argument, "FILE", "where to write the DER signature" },
		{ "document", required_argument, "NAME", "display name for the audit trail" },
		{ NULL, 0, NULL, NULL },
	};
	struct sign_opts o = { 0 };
	struct eidctl_env env = { 0 };
	struct eid_sign_request req = { .audit_type = "sign.operator" };
	char actor[EIDCTL_ACTOR_MAX + 1];
	struct eid_citizen c;
	eid_ca *ca = NULL;
	uint8_t hash[64], kek[32];
	eid_buf sig;
	int rc, r;

	if ((rc = parse(ctl, "hash", argc, argv, opts, &o)) != EIDCTL_CONTINUE)
		return rc;
	if (o.citizen == NULL || o.hash == NULL || o.out == NULL)
		return eidctl_usage(ctl, "--citizen, --hash and --out are required");
	if ((rc = parse_hash(ctl, &o, hash, &req.hash_len, &req.digest)) != EIDCTL_CONTINUE)
		return rc;
	req.hash = hash;
	req.document = o.document;
	eidctl_actor(actor);
	req.actor = actor;
	eid_buf_init(&sig, EID_CMS_MAX);
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE ||
	    (rc = eidctl_load_kek(ctl, &env.cfg, kek)) != EIDCTL_CONTINUE ||
	    (rc = find_citizen(ctl, env.store, o.citizen, &c)) != EIDCTL_CONTINUE ||
	    (rc = eidctl_load_ca(ctl, &env, kek, &ca)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_cms_sign_citizen(env.store, kek, ca, &c, &req,
				 eid_store_now(env.store), &sig);
	if (r != EID_OK) {
		rc = sign_failed(ctl, r, o.citizen);
		goto out;
	}
	if ((rc = eidctl_write_file(ctl, o.out, sig.data, sig.len)) != EIDCTL_CONTINUE)
		goto out;
	if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s, s:s, s:I}", "citizen",
						      o.citizen, "out", o.out,
						      "bytes", (json_int_t)sig.len));
	else {
		printf("signed for %s: %s (%zu bytes)\n", o.citizen, o.out, sig.len);
		rc = EIDCTL_EXIT_OK;
	}
out:
	eid_wipe(kek, sizeof(kek));
	eid_buf_free(&sig);
	eid_ca_free(ca);
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_sign_commands[] = {
	{ "sign", "verify", "--sig FILE (--content FILE | --hash HEX [--alg ALG])",
	  "check a citizen's signature: content, chain, revocation, signer; "
	  "exit 0 only when valid", sign_verify },
	{ "sign", "hash", "--citizen ID --hash HEX [--alg ALG] --out FILE",
	  "OPERATOR/TEST USE ONLY: sign a hash for a citizen without their "
	  "approval (audited as sign.operator)", sign_hash },
	{ NULL, NULL, NULL, NULL, NULL },
};
