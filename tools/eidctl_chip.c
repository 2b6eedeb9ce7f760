/* eidctl chip readers|read|verify|bac-keys: reading and verifying chip ID
 * cards through PC/SC (chip/), for officers and for diagnostics. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chip/aa.h"
#include "chip/bac.h"
#include "chip/ca.h"
#include "chip/cardaccess.h"
#include "chip/dg13.h"
#include "chip/lds.h"
#include "chip/mrz.h"
#include "chip/pa.h"
#include "chip/pace.h"
#include "chip/pcsc.h"
#include "chip/reader.h"
#include "chip/sod.h"
#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/config.h"
#include "idp/csca.h"
#include "tools/chipread.h"
#include "tools/chipupload.h"
#include "tools/eidctl.h"

static const struct eidctl_command *cmd_of(const char *name)
{
	return eidctl_find(eidctl_chip_commands, name);
}

#define chip_files eid_chipread_files
#define N_FILES EID_CHIPREAD_NFILES
#define FILE_SOD EID_CHIPREAD_SOD
#define FILE_DG1 EID_CHIPREAD_DG1
#define FILE_DG13 EID_CHIPREAD_DG13
#define chip_doc eid_chipread_doc
#define doc_init eid_chipread_doc_init
#define doc_free eid_chipread_doc_free

/* ---- JSON ---- */

static json_t *mrz_json(const struct eid_mrz *m)
{
	char dob[11] = "", exp[11] = "";
	struct tm tm;
	time_t now = time(NULL);
	int year = gmtime_r(&now, &tm) ? tm.tm_year + 1900 : 2025;
	char sex[2] = { m->sex, '\0' };

	(void)eid_mrz_date_iso(m->dob, year, 0, dob);
	(void)eid_mrz_date_iso(m->expiry, year, 50, exp);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			 "s:s, s:s}",
			 "format", m->format == EID_MRZ_TD1 ? "TD1" : "TD3",
			 "document_code", m->doc_code, "issuer", m->issuer,
			 "document_number", m->docno, "personal_id",
			 m->personal_id, "birthdate", dob, "sex", sex,
			 "expiry", exp, "nationality", m->nationality,
			 "primary_identifier", m->primary,
			 "secondary_identifier", m->secondary,
			 "optional_data", m->optional1);
}

/* "mrz" and "dg13" from the files given; a file that does not parse is
 * reported, not fatal (Passive Authentication says whether to trust it). */
static void add_identity(json_t *out, const struct chip_doc *d)
{
	struct eid_mrz m;
	struct eid_dg13 *d13;
	json_t *j = NULL;
	int r;

	if (d->f[FILE_DG1].len > 0) {
		r = eid_lds_dg1_parse(d->f[FILE_DG1].data, d->f[FILE_DG1].len,
				      &m);
		j = r == EID_OK ? mrz_json(&m)
				: json_pack("{s:s}", "error", eid_strerror(r));
		json_object_set_new(out, "mrz", j);
		j = NULL;
	}
	if (d->f[FILE_DG13].len == 0 || (d13 = malloc(sizeof(*d13))) == NULL)
		return;
	r = eid_dg13_parse(d->f[FILE_DG13].data, d->f[FILE_DG13].len, d13);
	if (r == EID_OK && eid_dg13_to_json(d13, &j) == EID_OK)
		json_object_set_new(out, "dg13", j);
	else
		json_object_set_new(out, "dg13", json_pack("{s:s}", "error",
							   eid_strerror(r)));
	free(d13);
}

/* ---- Passive Authentication ---- */

static int load_csca(struct eidctl *ctl, const char *dir,
		     eid_csca_store **ret)
{
	struct eidctl_env env = { 0 };
	eid_csca_store *s = NULL;
	size_t n = 0;
	int rc, r;

	if (dir != NULL) {
		if ((r = eid_csca_store_new(&s)) != EID_OK ||
		    (r = eid_csca_store_load_dir(s, dir, &n, NULL)) != EID_OK) {
			eid_csca_store_free(s);
			return eidctl_fail(ctl, r, "CSCA directory %s", dir);
		}
		*ret = s;
		return EIDCTL_CONTINUE;
	}
	if ((rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE)
		return rc;
	r = eid_csca_open(env.store, &s, &n);
	eidctl_env_close(&env);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "CSCA store");
	*ret = s;
	return EIDCTL_CONTINUE;
}

/* Verdict "valid" or "invalid" of Passive Authentication over d; the
 * report (or why there is none) into out as "passive_authentication". */
static bool passive_auth(const eid_csca_store *store,
			 const struct chip_doc *d, json_t *out)
{
	struct eid_dg_bytes dgs[N_FILES];
	struct eid_pa_report *rep = calloc(1, sizeof(*rep));
	eid_sod *sod = NULL;
	json_t *j = NULL;
	size_t n = 0;
	bool ok = false;
	int r;

	for (size_t i = 0; i < N_FILES; i++)
		if (chip_files[i].dg > 0 && d->f[i].len > 0)
			dgs[n++] = (struct eid_dg_bytes){ chip_files[i].dg,
							  d->f[i].data,
							  d->f[i].len };
	if (rep == NULL)
		r = EID_ENOMEM;
	else if ((r = eid_sod_parse(d->f[FILE_SOD].data, d->f[FILE_SOD].len,
				    &sod)) == EID_OK)
		r = eid_pa_verify(store, sod, dgs, n, time(NULL), rep);
	if ((r == EID_OK || r == EID_EVERIFY) &&
	    eid_pa_report_to_json(rep, &j) == EID_OK) {
		ok = r == EID_OK;
		json_object_set_new(out, "passive_authentication", j);
	} else {
		j = json_pack("{s:s, s:s}", "overall", "invalid", "reason",
			      eid_strerror(r));
		json_object_set_new(out, "passive_authentication", j);
	}
	eid_sod_free(sod);
	free(rep);
	return ok;
}

/* ---- reading a card ---- */

struct read_args {
	const char *mrz_info;
	const char *can;
	const char *reader;
	const char *out;
	const char *csca;
	const char *max_read;
	const char *upload;
	const char *bearer;
	const char *cookie;
};

static void read_args_from(const struct eidctl_values *v,
			   struct read_args *a)
{
	a->mrz_info = eidctl_value(v, "mrz-info");
	a->can = eidctl_value(v, "can");
	a->reader = eidctl_value(v, "reader");
	a->out = eidctl_value(v, "out");
	a->csca = eidctl_value(v, "csca");
	a->max_read = eidctl_value(v, "max-read");
	a->upload = eidctl_value(v, "upload");
	a->bearer = eidctl_value(v, "bearer");
	a->cookie = eidctl_value(v, "cookie");
}

/* ---- --upload: the server verifies ---- */

/* The AA challenge: the server's with --upload, else a random one. */
static int get_challenge(struct eidctl *ctl, const struct read_args *a,
			 struct eid_httpc *h,
			 uint8_t challenge[EID_AA_CHALLENGE_LEN],
			 char id[EID_CHIPVERIFY_ID_LEN + 1])
{
	char why[EID_CHIPUPLOAD_ERR_MAX];
	int r;

	if (a->upload == NULL)
		return eid_random_bytes(challenge, EID_AA_CHALLENGE_LEN) ==
				       EID_OK
			       ? EIDCTL_CONTINUE
			       : eidctl_fail(ctl, EID_ECRYPTO, "challenge");
	if ((r = eid_chipupload_open(a->upload, a->bearer, a->cookie, h)))
		return eidctl_usage(ctl, "--upload: an http(s) URL; --bearer "
					 "TOKEN or --cookie NAME=VALUE");
	r = eid_chipupload_challenge(h, challenge, id, why);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "%s/chip/challenge%s%s", h->url,
				   why[0] ? ": " : "", why);
	return EIDCTL_CONTINUE;
}

/* POST the document and the card's signature; the server's verdict goes
 * to out as "server_verdict".  ret_valid is the server's "valid". */
static int upload(struct eidctl *ctl, const struct eid_httpc *h,
		  const struct eid_chipread *cr, const char *id, json_t *out,
		  bool *ret_valid)
{
	struct eid_chip_upload up;
	char why[EID_CHIPUPLOAD_ERR_MAX];
	json_t *v = NULL;
	int r;

	eid_chipread_upload(cr, id, &up);
	r = eid_chipupload_verify(h, &up, &v, why);
	if (r != EID_OK)
		return eidctl_fail(ctl, r, "%s/chip/verify%s%s", h->url,
				   why[0] ? ": " : "", why);
	*ret_valid = json_is_true(json_object_get(v, "valid"));
	json_object_set_new(out, "server_verdict", v);
	return EIDCTL_CONTINUE;
}

static int write_files(struct eidctl *ctl, const char *dir,
		       const struct chip_doc *d)
{
	char path[4096];
	FILE *f;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return eidctl_fail(ctl, EID_EIO, "--out %s", dir);
	for (size_t i = 0; i < N_FILES; i++) {
		bool ok;

		if (d->f[i].len == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s.bin", dir,
			 chip_files[i].name);
		if ((f = fopen(path, "we")) == NULL)
			return eidctl_fail(ctl, EID_EIO, "%s", path);
		ok = fwrite(d->f[i].data, 1, d->f[i].len, f) == d->f[i].len;
		if (fclose(f) != 0 || !ok)
			return eidctl_fail(ctl, EID_EIO, "%s", path);
	}
	return EIDCTL_CONTINUE;
}

/* Print the document and the overall verdict; exit 0 only when valid. */
static int finish(struct eidctl *ctl, json_t *out, bool pa_ok, const char *aa,
		  const char *ca)
{
	const char *verdict = !pa_ok || strcmp(aa, "invalid") == 0 ||
					      strcmp(ca, "invalid") == 0
				      ? "invalid"
			      : strcmp(aa, "valid") == 0 ? "valid"
							 : "incomplete";
	int rc;

	json_object_set_new(out, "verdict", json_string(verdict));
	rc = eidctl_print_json(ctl, out);
	if (rc != EIDCTL_EXIT_OK || strcmp(verdict, "valid") == 0)
		return rc;
	return eidctl_fail(ctl, 0, "verdict %s (passive authentication %s, "
				   "active authentication %s, chip "
				   "authentication %s)",
			   verdict, pa_ok ? "valid" : "invalid", aa, ca);
}

struct read_session {
	struct eid_chipread cr;
	eid_csca_store *csca;
	json_t *out;
	struct eid_httpc http; /* --upload */
};

static void session_close(struct read_session *s)
{
	eid_chipread_close(&s->cr);
	eid_csca_store_free(s->csca);
	json_decref(s->out);
	eid_httpc_free(&s->http);
}

/* A chipread failure as eidctl reports it. */
static int chipread_fail(struct eidctl *ctl, const struct eid_chipread_err *e)
{
	if (e->usage)
		return eidctl_usage(ctl, "%s", e->msg);
	return eidctl_fail(ctl, e->r, "%s", e->msg);
}

static int parse_read_args(struct eidctl *ctl, const struct read_args *a,
			   struct eid_chipread *cr)
{
	struct eid_chipread_err e = { 0 };

	if ((a->mrz_info == NULL) == (a->can == NULL))
		return eidctl_usage(ctl, "give one of --mrz-info and --can");
	if ((a->bearer != NULL || a->cookie != NULL) && a->upload == NULL)
		return eidctl_usage(ctl, "--bearer and --cookie go with "
					 "--upload");
	if (a->bearer != NULL && a->cookie != NULL)
		return eidctl_usage(ctl, "give --bearer or --cookie, not both");
	if (eid_chipread_keys(cr, a->mrz_info, (char *)a->can, a->max_read,
			      &e) != EID_OK)
		return chipread_fail(ctl, &e);
	return EIDCTL_CONTINUE;
}

static void add_stats(json_t *out, eid_reader *rd)
{
	struct eid_reader_stats st;

	eid_reader_stats(rd, &st);
	json_object_set_new(out, "apdus", json_integer((json_int_t)st.apdus));
	json_object_set_new(out, "bytes",
			    json_integer((json_int_t)(st.bytes_in +
						      st.bytes_out)));
	json_object_set_new(out, "bytes_in",
			    json_integer((json_int_t)st.bytes_in));
	json_object_set_new(out, "bytes_out",
			    json_integer((json_int_t)st.bytes_out));
}

/* "setup": what opening the card cost (EF.CardAccess, PACE or BAC, the
 * application's SELECT), before any file is read. */
static int add_setup_stats(json_t *out, eid_reader *rd)
{
	json_t *setup = json_object();

	if (setup == NULL)
		return EID_ENOMEM;
	add_stats(setup, rd);
	return json_object_set_new(out, "setup", setup) == 0 ? EID_OK
							     : EID_ENOMEM;
}

static int chip_read(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "mrz-info", required_argument, "DOCNO+DOB+EXPIRY",
		  "BAC with the MRZ information (dates YYMMDD)" },
		{ "can", required_argument, "CAN",
		  "PACE with the card access number" },
		{ "reader", required_argument, "N",
		  "reader index (see chip readers) or name" },
		{ "out", required_argument, "DIR",
		  "write each file read to DIR" },
		{ "csca", required_argument, "DIR",
		  "trusted CSCAs from DIR (default: the data directory's "
		  "store)" },
		{ "max-read", required_argument, "N",
		  "first READ BINARY size (default 231 under 3DES, 223 "
		  "under AES; > 256: extended length)" },
		{ "upload", required_argument, "URL",
		  "AA over URL/chip/challenge, then POST to URL/chip/verify "
		  "and print the server's verdict" },
		{ "bearer", required_argument, "TOKEN",
		  "--upload with this access token" },
		{ "cookie", required_argument, "NAME=VALUE",
		  "--upload with this session cookie" },
		{ NULL, 0, NULL, NULL },
	};
	struct eidctl_values vals = { .opts = opts };
	struct read_args a = { 0 };
	struct read_session s = { .out = json_object() };
	struct eid_chipread_err e = { 0 };
	json_t *read = json_array(), *stats = json_object();
	uint8_t challenge[EID_AA_CHALLENGE_LEN];
	char challenge_id[EID_CHIPVERIFY_ID_LEN + 1] = "";
	const char *aa, *ca;
	bool pa_ok, server_ok = false;
	int optind_ = 0, rc, r;

	eid_chipread_init(&s.cr);
	rc = eidctl_getopt(ctl, cmd_of("read"), argc, argv, opts,
			   eidctl_collect, &vals, &optind_);
	read_args_from(&vals, &a);
	if (rc == EIDCTL_CONTINUE && optind_ < argc)
		rc = eidctl_usage(ctl, "unexpected argument '%s'",
				  argv[optind_]);
	if (rc != EIDCTL_CONTINUE ||
	    (rc = parse_read_args(ctl, &a, &s.cr)) != EIDCTL_CONTINUE ||
	    (rc = load_csca(ctl, a.csca, &s.csca)) != EIDCTL_CONTINUE)
		goto out;
	if (s.out == NULL || read == NULL || stats == NULL) {
		rc = eidctl_fail(ctl, EID_ENOMEM, "output");
		goto out;
	}
	if (eid_chipread_open(&s.cr, a.reader, &e) != EID_OK) {
		rc = chipread_fail(ctl, &e);
		goto out;
	}
	json_object_set_new(s.out, "pace_offered",
			    json_boolean(s.cr.pace_offered));
	json_object_set_new(s.out, "access_control",
			    json_string(s.cr.access_control));
	if ((r = add_setup_stats(s.out, s.cr.rd)) != EID_OK ||
	    (r = eid_chipread_read_files(&s.cr, read, stats)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "reading the card");
		goto out;
	}
	json_object_set_new(s.out, "read_size",
			    json_integer((json_int_t)eid_reader_chunk(s.cr.rd)));
	json_object_set_new(s.out, "files_read", read);
	json_object_set_new(s.out, "file_stats", stats);
	read = stats = NULL;
	if ((rc = get_challenge(ctl, &a, &s.http, challenge, challenge_id)) !=
	    EIDCTL_CONTINUE)
		goto out;
	ca = eid_chipread_chip_auth(&s.cr);
	aa = eid_chipread_active_auth(&s.cr, challenge);
	add_stats(s.out, s.cr.rd);
	if (a.out != NULL &&
	    (rc = write_files(ctl, a.out, &s.cr.doc)) != EIDCTL_CONTINUE)
		goto out;
	add_identity(s.out, &s.cr.doc);
	pa_ok = passive_auth(s.csca, &s.cr.doc, s.out);
	json_object_set_new(s.out, "active_authentication", json_string(aa));
	json_object_set_new(s.out, "chip_authentication", json_string(ca));
	if (a.upload != NULL &&
	    (rc = upload(ctl, &s.http, &s.cr, challenge_id, s.out,
			 &server_ok)) != EIDCTL_CONTINUE)
		goto out;
	if (a.upload != NULL && !server_ok)
		pa_ok = false; /* the server's word is final */
	rc = finish(ctl, s.out, pa_ok, aa, ca);
	s.out = NULL;
out:
	json_decref(read);
	json_decref(stats);
	session_close(&s);
	return rc;
}

/* ---- verify, readers, bac-keys ---- */

struct verify_args {
	const char *path[N_FILES];
	const char *csca;
};

static int verify_opt(struct eidctl *ctl, const char *name,
		      const char *value, void *arg)
{
	struct verify_args *a = arg;

	(void)ctl;
	if (strcmp(name, "csca") == 0) {
		a->csca = value;
		return 0;
	}
	for (size_t i = 1; i < N_FILES; i++)
		if (strcmp(name, chip_files[i].name) == 0) {
			a->path[i] = value;
			return 0;
		}
	return 1;
}

static int chip_verify(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "sod", required_argument, "FILE", "EF.SOD (required)" },
		{ "dg1", required_argument, "FILE", "DG1 (required)" },
		{ "dg2", required_argument, "FILE", "DG2" },
		{ "dg13", required_argument, "FILE", "DG13" },
		{ "dg14", required_argument, "FILE", "DG14" },
		{ "dg15", required_argument, "FILE", "DG15" },
		{ "csca", required_argument, "DIR",
		  "trusted CSCAs from DIR (default: the data directory's "
		  "store)" },
		{ NULL, 0, NULL, NULL },
	};
	struct verify_args a = { 0 };
	struct chip_doc d;
	eid_csca_store *csca = NULL;
	json_t *out = json_object();
	int optind_ = 0, rc;
	bool pa_ok;

	doc_init(&d);
	rc = eidctl_getopt(ctl, cmd_of("verify"), argc, argv, opts, verify_opt,
			   &a, &optind_);
	if (rc == EIDCTL_CONTINUE && (optind_ < argc || !a.path[FILE_SOD] ||
				      !a.path[FILE_DG1]))
		rc = eidctl_usage(ctl, "--sod and --dg1 are required");
	for (size_t i = 1; rc == EIDCTL_CONTINUE && i < N_FILES; i++)
		if (a.path[i] != NULL)
			rc = eidctl_read_file(ctl, a.path[i], &d.f[i]);
	if (rc != EIDCTL_CONTINUE ||
	    (rc = load_csca(ctl, a.csca, &csca)) != EIDCTL_CONTINUE)
		goto out;
	if (out == NULL) {
		rc = eidctl_fail(ctl, EID_ENOMEM, "output");
		goto out;
	}
	add_identity(out, &d);
	pa_ok = passive_auth(csca, &d, out);
	json_object_set_new(out, "verdict", json_string(pa_ok ? "valid"
							       : "invalid"));
	rc = eidctl_print_json(ctl, out);
	out = NULL;
	if (rc == EIDCTL_EXIT_OK && !pa_ok)
		rc = eidctl_fail(ctl, 0, "passive authentication failed");
out:
	json_decref(out);
	eid_csca_store_free(csca);
	doc_free(&d);
	return rc;
}

static int chip_readers(struct eidctl *ctl, int argc, char **argv)
{
	struct eid_pcsc_err err = { 0 };
	char **readers = NULL;
	json_t *arr;
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, cmd_of("readers"), argc, argv, NULL, NULL, NULL,
			   &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	r = eid_pcsc_list_readers(&readers, &err);
	if (r == EID_ENOTFOUND) {
		readers = NULL;
	} else if (r != EID_OK) {
		return eidctl_fail(ctl, 0, "cannot reach pcscd: %s (is it "
					   "running? start it with `systemctl "
					   "start pcscd`)",
				   err.msg[0] ? err.msg : eid_strerror(r));
	}
	if (ctl->json) {
		arr = json_array();
		for (size_t i = 0; arr && readers && readers[i]; i++)
			json_array_append_new(arr, json_pack("{s:I, s:s}",
				"index", (json_int_t)i, "name", readers[i]));
		rc = eidctl_print_json(ctl, arr);
	} else {
		for (size_t i = 0; readers && readers[i]; i++)
			printf("%zu  %s\n", i, readers[i]);
		if (readers == NULL)
			printf("no readers\n");
		rc = EIDCTL_EXIT_OK;
	}
	eid_pcsc_free_readers(readers);
	return rc;
}

static int chip_bac_keys(struct eidctl *ctl, int argc, char **argv)
{
	char kenc[2 * EID_BAC_KEY_LEN + 1], kmac[2 * EID_BAC_KEY_LEN + 1];
	eid_buf info;
	const char *s;
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, cmd_of("bac-keys"), argc, argv, NULL, NULL,
			   NULL, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (argc - optind_ != 1)
		return eidctl_usage(ctl, "expected MRZINFO (or "
					 "DOCNO+DOB+EXPIRY)");
	eid_buf_init_secret(&info, EID_BAC_MRZ_INFO_MAX + 1);
	r = eid_chipread_mrz_info(argv[optind_], &info);
	if (r != EID_OK || (s = eid_buf_cstr(&info)) == NULL ||
	    eid_bac_keys_hex(s, kenc, kmac) != EID_OK) {
		rc = eidctl_usage(ctl, "MRZINFO: 24 to 40 characters with "
				       "valid check digits, or "
				       "DOCNO+YYMMDD+YYMMDD");
		goto out;
	}
	if (ctl->json)
		rc = eidctl_print_json(ctl, json_pack("{s:s, s:s, s:s}",
						      "mrz_info", s, "kenc",
						      kenc, "kmac", kmac));
	else {
		printf("MRZ information %s\nKenc %s\nKmac %s\n", s, kenc, kmac);
		rc = EIDCTL_EXIT_OK;
	}
out:
	eid_wipe(kenc, sizeof(kenc));
	eid_wipe(kmac, sizeof(kmac));
	eid_buf_free(&info);
	return rc;
}

const struct eidctl_command eidctl_chip_commands[] = {
	{ "chip", "readers", "", "list the PC/SC readers", chip_readers },
	{ "chip", "read",
	  "(--mrz-info DOCNO+DOB+EXPIRY | --can CAN) [--reader N] [--out DIR] "
	  "[--csca DIR] [--max-read N] [--upload URL [--bearer TOKEN | "
	  "--cookie NAME=VALUE]]",
	  "read a chip ID card and verify it (JSON)", chip_read },
	{ "chip", "verify",
	  "--sod F --dg1 F [--dg2 F] [--dg13 F] [--dg14 F] [--dg15 F] "
	  "[--csca DIR]",
	  "Passive Authentication of files read elsewhere", chip_verify },
	{ "chip", "bac-keys", "MRZINFO",
	  "print the BAC keys Kenc and Kmac (diagnostics)", chip_bac_keys },
	{ NULL, NULL, NULL, NULL, NULL },
};
