/* eidctl ca init|import|show|crl|revoke: the citizen signing CA
 * (docs/signatures.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "crypto/x509.h"
#include "idp/ca.h"
#include "idp/config.h"
#include "tools/eidctl.h"

/* Options of every ca command, filled by one callback. */
struct ca_opts {
	const char *alg, *subject, *days, *cert, *key, *out, *citizen, *reason;
	bool pem, pkcs11;
};

/* Options, then no positional argument. */
static int parse(struct eidctl *ctl, const char *name, int argc, char **argv,
		 const struct eidctl_opt *opts, struct ca_opts *o)
{
	struct eidctl_values v = { .opts = opts };
	int optind_ = 0;
	int rc = eidctl_getopt(ctl, eidctl_find(eidctl_ca_commands, name), argc,
			       argv, opts, eidctl_collect, &v, &optind_);

	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	o->alg = eidctl_value(&v, "alg");
	o->subject = eidctl_value(&v, "subject");
	o->days = eidctl_value(&v, "days");
	o->cert = eidctl_value(&v, "cert");
	o->key = eidctl_value(&v, "key");
	o->out = eidctl_value(&v, "out");
	o->citizen = eidctl_value(&v, "citizen");
	o->reason = eidctl_value(&v, "reason");
	o->pem = eidctl_value(&v, "pem") != NULL;
	o->pkcs11 = eidctl_value(&v, "pkcs11") != NULL;
	return EIDCTL_CONTINUE;
}

static int ca_init(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "alg", required_argument, "ALG", "ES256 (default) or RS3072" },
		{ "subject", required_argument, "DN",
		  "subject, e.g. \"C=VN, O=eid, CN=eid Citizen Signing CA\" (default: [ca] subject)" },
		{ "days", required_argument, "N", "validity in days (default: [ca] days)" },
		{ "pkcs11", no_argument, NULL,
		  "generate the CA key in the [pkcs11] token" },
		{ NULL, 0, NULL, NULL },
	};
	struct ca_opts o = { 0 };
	struct eidctl_env env = { 0 };
	uint8_t kek[32];
	eid_alg alg = EID_ALG_ES256;
	unsigned long days;
	char *end = NULL;
	int rc, r;

	if ((rc = parse(ctl, "init", argc, argv, opts, &o)) != EIDCTL_CONTINUE)
		return rc;
	if (o.alg != NULL && strcmp(o.alg, "RS3072") == 0)
		alg = EID_ALG_RS256;
	else if (o.alg != NULL && strcmp(o.alg, "ES256") != 0)
		return eidctl_usage(ctl, "--alg must be ES256 or RS3072");
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE)
		goto out;
	days = env.cfg.ca.days;
	if (o.days != NULL &&
	    (o.days[0] < '1' || o.days[0] > '9' ||
	     (days = strtoul(o.days, &end, 10), *end != '\0') ||
	     days > EID_CA_MAX_DAYS)) {
		rc = eidctl_usage(ctl, "--days takes 1 to %d", EID_CA_MAX_DAYS);
		goto out;
	}
	if ((rc = eidctl_load_kek(ctl, &env.cfg, kek)) != EIDCTL_CONTINUE)
		goto out;
	if (o.pkcs11 && (rc = eidctl_open_pkcs11(ctl, &env.cfg, true,
						 &env.p11)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_ca_init_pkcs11(env.store, kek, env.p11, alg,
			       o.subject ? o.subject : env.cfg.ca.subject,
			       (unsigned)days);
	if (r == EID_EEXIST)
		rc = eidctl_fail(ctl, 0, "a CA exists already: it is never replaced "
					 "(certificates it issued would no longer verify)");
	else if (r == EID_EMALFORMED || r == EID_ETOOBIG)
		rc = eidctl_usage(ctl, "bad subject (TYPE=VALUE, comma-separated)");
	else if (r != EID_OK)
		rc = eidctl_fail(ctl, r, "cannot create the CA");
	else if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s, s:I, s:s}", "alg",
						      alg == EID_ALG_ES256 ? "ES256" : "RS3072",
						      "days", (json_int_t)days,
						      "key", env.p11 ? "pkcs11" : "sealed"));
	else {
		printf("CA created (%s, %lu days, key %s); see: eidctl ca show\n",
		       alg == EID_ALG_ES256 ? "ES256" : "RS3072", days,
		       env.p11 ? "in the PKCS#11 token" : "sealed in the store");
		rc = EIDCTL_EXIT_OK;
	}
out:
	eid_wipe(kek, sizeof(kek));
	eidctl_env_close(&env);
	return rc;
}

static int ca_import(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "cert", required_argument, "FILE", "the CA certificate (PEM)" },
		{ "key", required_argument, "FILE", "its private key (PEM, unencrypted)" },
		{ NULL, 0, NULL, NULL },
	};
	struct ca_opts o = { 0 };
	struct eidctl_env env = { 0 };
	eid_buf cert, key;
	uint8_t kek[32];
	int rc, r;

	if ((rc = parse(ctl, "import", argc, argv, opts, &o)) != EIDCTL_CONTINUE)
		return rc;
	if (o.cert == NULL || o.key == NULL)
		return eidctl_usage(ctl, "--cert and --key are required");
	eid_buf_init(&cert, EID_X509_MAX);
	eid_buf_init_secret(&key, EID_X509_MAX);
	if ((rc = eidctl_read_file(ctl, o.cert, &cert)) != EIDCTL_CONTINUE ||
	    (rc = eidctl_read_file(ctl, o.key, &key)) != EIDCTL_CONTINUE ||
	    (rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE ||
	    (rc = eidctl_load_kek(ctl, &env.cfg, kek)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_ca_import(env.store, kek, (const char *)cert.data, cert.len,
			  (const char *)key.data, key.len);
	if (r == EID_EEXIST)
		rc = eidctl_fail(ctl, 0, "a CA exists already: it is never replaced");
	else if (r == EID_EMISMATCH)
		rc = eidctl_fail(ctl, 0, "the key does not belong to the certificate");
	else if (r == EID_EINVAL)
		rc = eidctl_fail(ctl, 0, "%s is not a CA certificate valid now", o.cert);
	else if (r != EID_OK)
		rc = eidctl_fail(ctl, r, "cannot import");
	else if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:b}", "imported", 1));
	else {
		printf("CA imported; see: eidctl ca show\n");
		rc = EIDCTL_EXIT_OK;
	}
out:
	eid_wipe(kek, sizeof(kek));
	eid_buf_free(&cert);
	eid_buf_free(&key);
	eidctl_env_close(&env);
	return rc;
}

/* Subject, serial, validity, fingerprint of the CA certificate. */
static json_t *ca_facts(X509 *x)
{
	char serial[EID_X509_SERIAL_HEX_MAX], nb_s[32], na_s[32], fp_s[65];
	uint8_t fp[32];
	uint64_t nb, na;
	eid_buf subject;
	json_t *o = NULL;

	eid_buf_init(&subject, EID_X509_DN_MAX * 4);
	if (eid_x509_name_text(X509_get_subject_name(x), &subject) != EID_OK ||
	    eid_buf_cstr(&subject) == NULL ||
	    eid_x509_serial_hex(X509_get0_serialNumber(x), serial) != EID_OK ||
	    eid_x509_validity(x, &nb, &na) != EID_OK ||
	    eid_x509_fingerprint(x, fp) != EID_OK)
		goto out;
	for (size_t i = 0; i < 32; i++)
		snprintf(fp_s + 2 * i, 3, "%02x", fp[i]);
	eidctl_time((int64_t)nb, nb_s);
	eidctl_time((int64_t)na, na_s);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "subject",
		      eid_buf_cstr(&subject), "serial", serial, "not_before", nb_s,
		      "not_after", na_s, "sha256_fingerprint", fp_s,
		      "not_before_unix", (json_int_t)nb, "not_after_unix",
		      (json_int_t)na);
out:
	eid_buf_free(&subject);
	return o;
}

static int ca_show(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "pem", no_argument, NULL,
		  "print the certificate in PEM (for openssl -CAfile)" },
		{ NULL, 0, NULL, NULL },
	};
	struct ca_opts o = { 0 };
	struct eidctl_env env = { 0 };
	eid_ca *ca = NULL;
	json_t *facts = NULL;
	eid_buf pem;
	int rc, r;

	if ((rc = parse(ctl, "show", argc, argv, opts, &o)) != EIDCTL_CONTINUE)
		return rc;
	eid_buf_init(&pem, EID_X509_MAX);
	if ((rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE)
		goto out;
	if ((rc = eidctl_load_ca(ctl, &env, NULL, &ca)) != EIDCTL_CONTINUE)
		goto out;
	if (o.pem) {
		if ((r = eid_x509_pem(eid_ca_cert(ca), &pem)) != EID_OK) {
			rc = eidctl_fail(ctl, r, "cannot encode");
			goto out;
		}
		rc = eidctl_write_file(ctl, "-", pem.data, pem.len);
		rc = rc == EIDCTL_CONTINUE ? EIDCTL_EXIT_OK : rc;
		goto out;
	}
	if ((facts = ca_facts(eid_ca_cert(ca))) == NULL ||
	    json_object_set_new(facts, "key", json_string(eid_ca_key_in_token(ca) ?
							  "pkcs11" : "sealed")) != 0) {
		rc = eidctl_fail(ctl, EID_ENOMEM, "cannot read the certificate");
		goto out;
	}
	if (ctl->json) {
		rc = eidctl_print_json(ctl, json_incref(facts));
		goto out;
	}
	printf("subject:     %s\nserial:      %s\nnot before:  %s\nnot after:   %s\n"
	       "sha256:      %s\nkey:         %s\n",
	       json_string_value(json_object_get(facts, "subject")),
	       json_string_value(json_object_get(facts, "serial")),
	       json_string_value(json_object_get(facts, "not_before")),
	       json_string_value(json_object_get(facts, "not_after")),
	       json_string_value(json_object_get(facts, "sha256_fingerprint")),
	       json_string_value(json_object_get(facts, "key")));
	rc = EIDCTL_EXIT_OK;
out:
	json_decref(facts);
	eid_buf_free(&pem);
	eid_ca_free(ca);
	eidctl_env_close(&env);
	return rc;
}

/* The CA with its key; prints why not. */
static int load_signing_ca(struct eidctl *ctl, struct eidctl_env *env,
			   eid_ca **ret_ca)
{
	uint8_t kek[32];
	int rc = eidctl_load_kek(ctl, &env->cfg, kek);

	if (rc == EIDCTL_CONTINUE)
		rc = eidctl_load_ca(ctl, env, kek, ret_ca);
	eid_wipe(kek, sizeof(kek));
	return rc;
}

static int ca_crl(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "out", required_argument, "FILE",
		  "write the DER CRL to FILE (default: PEM on stdout)" },
		{ NULL, 0, NULL, NULL },
	};
	struct ca_opts o = { 0 };
	struct eidctl_env env = { 0 };
	eid_ca *ca = NULL;
	uint64_t now;
	eid_buf der, pem;
	int rc, r;

	if ((rc = parse(ctl, "crl", argc, argv, opts, &o)) != EIDCTL_CONTINUE)
		return rc;
	eid_buf_init(&der, EID_STORE_MAX_VALUE);
	eid_buf_init(&pem, 2 * EID_STORE_MAX_VALUE);
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE ||
	    (rc = load_signing_ca(ctl, &env, &ca)) != EIDCTL_CONTINUE)
		goto out;
	now = eid_store_now(env.store);
	r = eid_ca_crl(env.store, ca, now, now + env.cfg.ca.crl_next_update, &der);
	if (r != EID_OK) {
		rc = eidctl_fail(ctl, r, "cannot build the CRL");
		goto out;
	}
	if (o.out != NULL) {
		rc = eidctl_write_file(ctl, o.out, der.data, der.len);
	} else if ((r = eid_x509_pem_encode("X509 CRL", der.data, der.len,
					    &pem)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "cannot encode");
	} else {
		rc = eidctl_write_file(ctl, "-", pem.data, pem.len);
	}
	if (rc == EIDCTL_CONTINUE)
		rc = EIDCTL_EXIT_OK;
out:
	eid_buf_free(&der);
	eid_buf_free(&pem);
	eid_ca_free(ca);
	eidctl_env_close(&env);
	return rc;
}

static int ca_revoke(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "citizen", required_argument, "ID", "the citizen's personal ID" },
		{ "reason", required_argument, "REASON",
		  "keyCompromise, affiliationChanged, superseded, "
		  "cessationOfOperation, privilegeWithdrawn or unspecified (default)" },
		{ NULL, 0, NULL, NULL },
	};
	struct ca_opts o = { 0 };
	struct eidctl_env env = { 0 };
	enum eid_crl_reason reason = EID_CRL_UNSPECIFIED;
	int rc, r;

	if ((rc = parse(ctl, "revoke", argc, argv, opts, &o)) != EIDCTL_CONTINUE)
		return rc;
	if (o.citizen == NULL)
		return eidctl_usage(ctl, "--citizen is required");
	if (o.reason != NULL && eid_crl_reason_from_name(o.reason, &reason) != EID_OK)
		return eidctl_usage(ctl, "unknown --reason '%s'", o.reason);
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE)
		goto out;
	r = eid_citizen_cert_revoke(env.store, o.citizen, reason,
				    eid_store_now(env.store));
	if (r == EID_ENOTFOUND)
		rc = eidctl_fail(ctl, 0, "%s has no current certificate", o.citizen);
	else if (r != EID_OK)
		rc = eidctl_fail(ctl, r, "cannot revoke");
	else if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s, s:s}", "citizen", o.citizen,
						      "reason", eid_crl_reason_name(reason)));
	else {
		printf("certificate of %s revoked (%s)\n", o.citizen,
		       eid_crl_reason_name(reason));
		rc = EIDCTL_EXIT_OK;
	}
out:
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_ca_commands[] = {
	{ "ca", "init", "[--alg ES256|RS3072] [--subject DN] [--days N] [--pkcs11]",
	  "create the citizen signing CA (never replaces one)", ca_init },
	{ "ca", "import", "--cert FILE --key FILE",
	  "install an existing CA certificate and key", ca_import },
	{ "ca", "show", "[--pem]",
	  "subject, serial, validity and fingerprint of the CA", ca_show },
	{ "ca", "crl", "[--out FILE]",
	  "issue a CRL of the revoked citizen certificates", ca_crl },
	{ "ca", "revoke", "--citizen ID [--reason REASON]",
	  "revoke a citizen's current signing certificate", ca_revoke },
	{ NULL, NULL, NULL, NULL, NULL },
};
