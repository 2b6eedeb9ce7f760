/* eidctl token sign: sign claims with the server's active key, for
 * operators and tests (a relying party can verify it against /jwks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/config.h"
#include "idp/signing.h"
#include "tools/eidctl.h"

#define CLAIMS_MAX (16 * 1024)

struct sign_opts {
	const char *claims;
	const char *typ;
	const char *ttl;
};

static int sign_opt(struct eidctl *ctl, const char *name, const char *value,
		    void *arg)
{
	struct sign_opts *o = arg;

	(void)ctl;
	if (strcmp(name, "claims") == 0)
		o->claims = value;
	else if (strcmp(name, "typ") == 0)
		o->typ = value;
	else if (strcmp(name, "ttl") == 0)
		o->ttl = value;
	else
		return 1;
	return 0;
}

/* Fill in iss, iat and exp unless the caller gave them. */
static int complete_claims(json_t *claims, const char *issuer, uint64_t now,
			   uint64_t ttl)
{
	if (json_object_get(claims, "iss") == NULL &&
	    json_object_set_new(claims, "iss", json_string(issuer)) != 0)
		return EID_ENOMEM;
	if (json_object_get(claims, "iat") == NULL &&
	    json_object_set_new(claims, "iat", json_integer((json_int_t)now)) != 0)
		return EID_ENOMEM;
	if (json_object_get(claims, "exp") == NULL &&
	    json_object_set_new(claims, "exp",
				json_integer((json_int_t)(now + ttl))) != 0)
		return EID_ENOMEM;
	return EID_OK;
}

static int parse_ttl(const char *s, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return EID_EINVAL;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v == 0 || v > 366ull * 86400)
		return EID_EINVAL;
	*ret = v;
	return EID_OK;
}

static int token_sign(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "claims", required_argument, "JSON", "the claims (a JSON object)" },
		{ "typ", required_argument, "TYP", "header typ (default JWT)" },
		{ "ttl", required_argument, "SECONDS",
		  "exp = iat + SECONDS when exp is absent (default: [tokens] access_token_ttl)" },
		{ NULL, 0, NULL, NULL },
	};
	struct sign_opts o = { 0 };
	struct eid_config cfg;
	bool cfg_loaded = false;
	eid_store *store = NULL;
	eid_signer *signer = NULL;
	eid_pkcs11 *p11 = NULL;
	json_t *claims = NULL;
	json_error_t jerr;
	char *jws = NULL;
	uint8_t kek[32];
	uint64_t ttl;
	int optind_ = 0, rc, r;

	memset(kek, 0, sizeof(kek));
	rc = eidctl_getopt(ctl, &eidctl_token_commands[0], argc, argv, opts,
			   sign_opt, &o, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if (o.claims == NULL)
		return eidctl_usage(ctl, "--claims JSON is required");
	if (strlen(o.claims) > CLAIMS_MAX)
		return eidctl_usage(ctl, "--claims is over %d bytes", CLAIMS_MAX);
	claims = json_loads(o.claims, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(claims)) {
		rc = eidctl_usage(ctl, "--claims is not a JSON object%s%s",
				  claims == NULL ? ": " : "",
				  claims == NULL ? jerr.text : "");
		goto out;
	}
	if ((rc = eidctl_load_config(ctl, &cfg)) != EIDCTL_CONTINUE)
		goto out;
	cfg_loaded = true;
	ttl = cfg.tokens.access_token_ttl;
	if (o.ttl && parse_ttl(o.ttl, &ttl) != EID_OK) {
		rc = eidctl_usage(ctl, "--ttl takes seconds (1 to 31622400)");
		goto out;
	}
	if ((rc = eidctl_open_store(ctl, &cfg, false, &store)) != EIDCTL_CONTINUE ||
	    (rc = eidctl_load_kek(ctl, &cfg, kek)) != EIDCTL_CONTINUE)
		goto out;
	if ((rc = eidctl_open_pkcs11(ctl, &cfg, false, &p11)) != EIDCTL_CONTINUE)
		goto out;
	if ((r = eid_signer_open_pkcs11(store, kek, p11, cfg.keys.retire_after,
					&signer)) != EID_OK ||
	    (r = complete_claims(claims, cfg.server.issuer, eid_store_now(store),
				 ttl)) != EID_OK ||
	    (r = eid_signer_sign(signer, o.typ ? o.typ : "JWT", claims, &jws)) != EID_OK) {
		rc = eidctl_fail(ctl, r, r == EID_ESTATE ? "no key signs now" :
					 "cannot sign");
		goto out;
	}
	if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s}", "token", jws));
	else
		rc = printf("%s\n", jws) < 0 ? EIDCTL_EXIT_FAIL : EIDCTL_EXIT_OK;
out:
	free(jws);
	json_decref(claims);
	eid_signer_close(signer);
	eid_pkcs11_close(p11);
	eid_store_close(store);
	if (cfg_loaded)
		eid_config_free(&cfg);
	eid_wipe(kek, sizeof(kek));
	return rc;
}

const struct eidctl_command eidctl_token_commands[] = {
	{ "token", "sign", "--claims JSON [--typ TYP] [--ttl SECONDS]",
	  "sign claims with the active key (iss, iat, exp added when absent)",
	  token_sign },
	{ NULL, NULL, NULL, NULL, NULL },
};
