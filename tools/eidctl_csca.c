/* eidctl csca import|list: the CSCA certificates Passive Authentication
 * trusts (idp/csca.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "chip/pa.h"
#include "crypto/error.h"
#include "idp/csca.h"
#include "tools/eidctl.h"

static const struct eidctl_command *cmd_of(const char *name)
{
	return eidctl_find(eidctl_csca_commands, name);
}

struct import_count {
	size_t added;
	size_t present;
};

static int put_one(eid_txn *t, const uint8_t *der, size_t n,
		   struct import_count *c)
{
	bool added = false;
	int r = eid_csca_put(t, der, n, &added);

	if (r == EID_OK)
		*(added ? &c->added : &c->present) += 1;
	return r;
}

/* Every certificate of a PEM text; EID_ENOTFOUND when there is none. */
static int import_pem(eid_txn *t, const eid_buf *file, struct import_count *c)
{
	BIO *bio = BIO_new_mem_buf(file->data, (int)file->len);
	unsigned char *der = NULL;
	size_t seen = 0;
	X509 *x;
	int r = EID_OK, n;

	if (bio == NULL)
		return EID_ENOMEM;
	while (r == EID_OK && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		seen++;
		n = i2d_X509(x, &der);
		r = n > 0 ? put_one(t, der, (size_t)n, c) : EID_ECRYPTO;
		OPENSSL_free(der);
		der = NULL;
		X509_free(x);
	}
	BIO_free(bio);
	return r == EID_OK && seen == 0 ? EID_ENOTFOUND : r;
}

/* A master list: verified against the CSCAs stored already (unless
 * allow_unverified), then every certificate in it saved. */
static int import_master_list(eid_txn *t, const eid_buf *file,
			      bool allow_unverified, struct import_count *c,
			      bool *ret_verified)
{
	eid_csca_store *store = NULL;
	eid_buf der;
	size_t added = 0;
	int r;

	eid_buf_init(&der, EID_CSCA_MAX_FILE);
	if ((r = eid_csca_store_new(&store)) != EID_OK ||
	    (r = eid_csca_load(t, store, NULL)) != EID_OK ||
	    (r = eid_csca_store_import_master_list(store, file->data, file->len,
						   time(NULL),
						   !allow_unverified, &added,
						   ret_verified)) != EID_OK)
		goto out;
	for (size_t i = 0; r == EID_OK && i < eid_csca_store_count(store);
	     i++) {
		eid_buf_reset(&der);
		r = eid_csca_store_cert_der(store, i, &der);
		if (r == EID_OK)
			r = put_one(t, der.data, der.len, c);
		else if (r == EID_ENOTFOUND)
			r = EID_OK; /* a CRL */
	}
out:
	eid_buf_free(&der);
	eid_csca_store_free(store);
	return r;
}

static int import_file(eid_txn *t, const eid_buf *file, bool allow_unverified,
		       struct import_count *c, const char **ret_kind)
{
	bool verified = false;
	int r;

	*ret_kind = "certificate";
	if ((r = import_pem(t, file, c)) != EID_ENOTFOUND)
		return r;
	if ((r = put_one(t, file->data, file->len, c)) != EID_EMALFORMED)
		return r;
	r = import_master_list(t, file, allow_unverified, c, &verified);
	*ret_kind = verified ? "master list (verified)"
			     : "master list (NOT verified)";
	return r;
}

static int allow_opt(struct eidctl *ctl, const char *name, const char *value,
		     void *arg)
{
	(void)ctl;
	(void)value;
	if (strcmp(name, "allow-unverified") != 0)
		return 1;
	*(bool *)arg = true;
	return 0;
}

static int csca_import(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "allow-unverified", no_argument, NULL,
		  "take a master list whose signer does not chain to a stored "
		  "CSCA" },
		{ NULL, 0, NULL, NULL },
	};
	struct import_count c = { 0 };
	struct eidctl_env env = { 0 };
	const char *kind = "";
	bool allow = false;
	eid_txn *t = NULL;
	eid_buf file;
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, cmd_of("import"), argc, argv, opts, allow_opt,
			   &allow, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected one FILE");
	eid_buf_init(&file, EID_CSCA_MAX_FILE);
	if ((rc = eidctl_read_file(ctl, argv[optind_], &file)) !=
	    EIDCTL_CONTINUE)
		goto out;
	if ((rc = eidctl_env_open(ctl, &env, true)) != EIDCTL_CONTINUE)
		goto out;
	if ((r = eid_store_begin(env.store, true, &t)) == EID_OK &&
	    (r = import_file(t, &file, allow, &c, &kind)) == EID_OK) {
		r = eid_txn_commit(t); /* frees t either way */
		t = NULL;
	}
	if (r != EID_OK) {
		rc = eidctl_fail(ctl, r, "cannot import %s", argv[optind_]);
		goto out;
	}
	if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s, s:I, s:I}", "kind",
						      kind, "added",
						      (json_int_t)c.added,
						      "already_present",
						      (json_int_t)c.present));
	else {
		printf("%s: %zu CSCA certificate(s) added, %zu already "
		       "present\n", kind, c.added, c.present);
		rc = EIDCTL_EXIT_OK;
	}
out:
	eid_txn_abort(t);
	eid_buf_free(&file);
	eidctl_env_close(&env);
	return rc;
}

static void asn1_time_iso(const ASN1_TIME *a, char out[32])
{
	struct tm tm;

	if (ASN1_TIME_to_tm(a, &tm) != 1 ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "-");
}

static json_t *cert_json(const uint8_t *der, size_t n)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)n);
	char subject[256] = "", from[32], to[32], fp[65], *serial = NULL;
	uint8_t md[32];
	BIGNUM *bn = NULL;
	json_t *j = NULL;

	if (x == NULL || EVP_Digest(der, n, md, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(fp + 2 * i, 3, "%02x", md[i]);
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	asn1_time_iso(X509_get0_notBefore(x), from);
	asn1_time_iso(X509_get0_notAfter(x), to);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	serial = bn != NULL ? BN_bn2hex(bn) : NULL;
	j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "subject", subject,
		      "serial", serial ? serial : "", "not_before", from,
		      "not_after", to, "sha256", fp);
out:
	OPENSSL_free(serial);
	BN_free(bn);
	X509_free(x);
	return j;
}

static int list_one(const uint8_t *der, size_t n, void *arg)
{
	json_t *j = cert_json(der, n);

	if (j == NULL)
		return EID_EMALFORMED;
	return json_array_append_new(arg, j) == 0 ? EID_OK : EID_ENOMEM;
}

static int csca_list(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_env env = { 0 };
	json_t *arr = json_array(), *e;
	eid_txn *t = NULL;
	int optind_ = 0, rc, r;
	size_t i;

	rc = eidctl_getopt(ctl, cmd_of("list"), argc, argv, NULL, NULL, NULL,
			   &optind_);
	if (rc != EIDCTL_CONTINUE || optind_ < argc) {
		json_decref(arr);
		return rc != EIDCTL_CONTINUE ? rc
			: eidctl_usage(ctl, "unexpected argument");
	}
	if ((rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE)
		goto out;
	if (arr == NULL || (r = eid_store_begin(env.store, false, &t)) ||
	    (r = eid_csca_each(t, list_one, arr))) {
		rc = eidctl_fail(ctl, arr ? r : EID_ENOMEM, "cannot list");
		goto out;
	}
	if (ctl->json) {
		rc = eidctl_print_json(ctl, arr);
		arr = NULL;
		goto out;
	}
	json_array_foreach(arr, i, e)
		printf("%s\n  serial %s, valid %s to %s\n  sha256 %s\n",
		       json_string_value(json_object_get(e, "subject")),
		       json_string_value(json_object_get(e, "serial")),
		       json_string_value(json_object_get(e, "not_before")),
		       json_string_value(json_object_get(e, "not_after")),
		       json_string_value(json_object_get(e, "sha256")));
	if (json_array_size(arr) == 0)
		printf("no CSCA certificates (add some with "
		       "`eidctl csca import`)\n");
	rc = EIDCTL_EXIT_OK;
out:
	eid_txn_abort(t);
	json_decref(arr);
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_csca_commands[] = {
	{ "csca", "import", "FILE [--allow-unverified]",
	  "trust CSCA certificates: PEM/DER certificates or an ICAO "
	  "master list",
	  csca_import },
	{ "csca", "list", "", "list the trusted CSCA certificates", csca_list },
	{ NULL, NULL, NULL, NULL, NULL },
};
