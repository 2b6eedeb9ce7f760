/* eidctl card issue: a test card image for a registry citizen, served by
 * eid-vcard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chip/cardimage.h"
#include "crypto/error.h"
#include "idp/config.h"
#include "idp/registry.h"
#include "tools/cardissue.h"
#include "tools/eidctl.h"

struct issue_args {
	const char *citizen;
	const char *out;
	const char *pki;
	const char *fault;
	const char *aa;
	const char *max_read;
	const char *face_bytes;
	bool extended;
};

static const struct eidctl_opt issue_opts[] = {
	{ "citizen", required_argument, "ID", "registry personal ID" },
	{ "out", required_argument, "IMAGE", "card image to write" },
	{ "pki", required_argument, "DIR",
	  "test CSCA and DSC (default: DATA/test-pki, made on first use)" },
	{ "fault", required_argument, "FAULT",
	  "tampered-dg1, tampered-dg13, wrong-sod-signer, expired-dsc, "
	  "no-dg15 or bac-only" },
	{ "aa", required_argument, "rsa|ec",
	  "Active Authentication key (default rsa, 2048 bits)" },
	{ "max-read", required_argument, "N",
	  "largest READ BINARY the card answers (default 256)" },
	{ "extended", no_argument, NULL, "accept extended-length APDUs" },
	{ "face-bytes", required_argument, "N",
	  "pad the face JPEG to N bytes (read-size measurements)" },
	{ NULL, 0, NULL, NULL },
};

static void issue_args_from(const struct eidctl_values *v,
			    struct issue_args *a)
{
	a->citizen = eidctl_value(v, "citizen");
	a->out = eidctl_value(v, "out");
	a->pki = eidctl_value(v, "pki");
	a->fault = eidctl_value(v, "fault");
	a->aa = eidctl_value(v, "aa");
	a->max_read = eidctl_value(v, "max-read");
	a->face_bytes = eidctl_value(v, "face-bytes");
	a->extended = eidctl_value(v, "extended") != NULL;
}

static bool parse_size(const char *s, size_t min, size_t max, size_t *ret)
{
	char *end = NULL;
	unsigned long v;

	if (s == NULL)
		return true;
	if (s[0] < '0' || s[0] > '9')
		return false;
	v = strtoul(s, &end, 0);
	if (*end != '\0' || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

/* Options into issue options; a usage error's exit code, or CONTINUE. */
static int issue_options(struct eidctl *ctl, const struct issue_args *a,
			 struct eid_card_issue_opts *o)
{
	o->now = time(NULL);
	o->aa_key = EID_ISSUER_KEY_RSA2048;
	if (a->citizen == NULL || a->out == NULL)
		return eidctl_usage(ctl, "--citizen and --out are required");
	if (a->fault && eid_card_fault_parse(a->fault, &o->fault) != EID_OK)
		return eidctl_usage(ctl, "--fault: tampered-dg1, "
					 "tampered-dg13, wrong-sod-signer, "
					 "expired-dsc, no-dg15 or bac-only");
	if (a->aa && strcmp(a->aa, "ec") == 0)
		o->aa_key = EID_ISSUER_KEY_P256;
	else if (a->aa && strcmp(a->aa, "rsa") != 0)
		return eidctl_usage(ctl, "--aa: rsa or ec");
	o->extended = a->extended;
	if (!parse_size(a->max_read, 1, a->extended ? 65536 : 256,
			&o->max_read))
		return eidctl_usage(ctl, "--max-read: 1 to 256 (65536 with "
					 "--extended)");
	if (!parse_size(a->face_bytes, 0, 200000, &o->face_bytes))
		return eidctl_usage(ctl, "--face-bytes: 0 to 200000");
	return EIDCTL_CONTINUE;
}

static int lookup(struct eidctl *ctl, eid_store *store, const char *id,
		  struct eid_citizen *ret)
{
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(store, false, &t)) != EID_OK)
		return eidctl_fail(ctl, r, "store");
	r = eid_registry_get(t, id, ret);
	eid_txn_abort(t);
	if (r == EID_ENOTFOUND)
		return eidctl_fail(ctl, 0, "no citizen %s in the registry", id);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "citizen %s", id);
	return EIDCTL_CONTINUE;
}

static int report_issued(struct eidctl *ctl, const struct issue_args *a,
			 const struct eid_cardimage *img, const char *pki_dir,
			 bool pki_created)
{
	if (ctl->json)
		return eidctl_print_json(ctl, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:b}", "image", a->out,
			"mrz_info", img->mrz_info, "can", img->can, "fault",
			a->fault ? a->fault : "none", "pki", pki_dir,
			"pki_created", pki_created));
	printf("card for %s written to %s\n  MRZ information %s, CAN %s%s%s\n",
	       a->citizen, a->out, img->mrz_info, img->can,
	       a->fault ? ", fault " : "", a->fault ? a->fault : "");
	if (pki_created)
		printf("  new test PKI in %s (import csca.pem with "
		       "`eidctl csca import`)\n", pki_dir);
	return EIDCTL_EXIT_OK;
}

static int card_issue(struct eidctl *ctl, int argc, char **argv)
{
	struct eidctl_values vals = { .opts = issue_opts };
	struct issue_args a = { 0 };
	struct eid_card_issue_opts o = { 0 };
	struct eidctl_env env = { 0 };
	struct eid_test_pki pki = { 0 };
	struct eid_cardimage img;
	struct eid_citizen c;
	char pki_dir[4096];
	bool created = false;
	int optind_ = 0, rc, r;

	eid_cardimage_init(&img);
	rc = eidctl_getopt(ctl, eidctl_find(eidctl_card_commands, "issue"),
			   argc, argv, issue_opts, eidctl_collect, &vals,
			   &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	issue_args_from(&vals, &a);
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'",
				    argv[optind_]);
	if ((rc = issue_options(ctl, &a, &o)) != EIDCTL_CONTINUE)
		return rc;
	if ((rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE ||
	    (rc = lookup(ctl, env.store, a.citizen, &c)) != EIDCTL_CONTINUE)
		goto out;
	snprintf(pki_dir, sizeof(pki_dir), "%s/test-pki",
		 env.cfg.store.data_dir);
	if (a.pki != NULL)
		snprintf(pki_dir, sizeof(pki_dir), "%s", a.pki);
	if ((r = eid_test_pki_open(pki_dir, &pki, &created)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "test PKI in %s", pki_dir);
		goto out;
	}
	if ((r = eid_card_issue(&c, &pki, &o, &img)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "cannot issue the card");
		goto out;
	}
	if ((r = eid_cardimage_save(&img, a.out)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "cannot write %s", a.out);
		goto out;
	}
	rc = report_issued(ctl, &a, &img, pki_dir, created);
out:
	eid_cardimage_clear(&img);
	eid_test_pki_close(&pki);
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_card_commands[] = {
	{ "card", "issue",
	  "--citizen ID --out IMAGE [--pki DIR] [--fault FAULT] [--aa rsa|ec] "
	  "[--max-read N] [--extended] [--face-bytes N]",
	  "make a test card image for a registry citizen (for eid-vcard)",
	  card_issue },
	{ NULL, NULL, NULL, NULL, NULL },
};
