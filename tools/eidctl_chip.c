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
#include "tools/chipupload.h"
#include "tools/eidctl.h"

#define CONNECT_TIMEOUT_MS 5000

static const struct eidctl_command *cmd_of(const char *name)
{
	return eidctl_find(eidctl_chip_commands, name);
}

/* The files a read takes, in reading order, and their names on disk and
 * in the JSON output. */
static const struct chip_file {
	const char *name;
	uint16_t fid;
	int dg; /* 0: not a data group */
} chip_files[] = {
	{ "com", EID_FID_COM, 0 },   { "dg1", EID_FID_DG1, 1 },
	{ "dg2", EID_FID_DG2, 2 },   { "dg13", EID_FID_DG13, 13 },
	{ "dg14", EID_FID_DG14, 14 }, { "dg15", EID_FID_DG15, 15 },
	{ "sod", EID_FID_SOD, 0 },
};
#define N_FILES (sizeof(chip_files) / sizeof(chip_files[0]))
#define FILE_SOD (N_FILES - 1)
#define FILE_DG1 1
#define FILE_DG13 3
#define FILE_DG14 4
#define FILE_DG15 5

struct chip_doc {
	eid_buf f[N_FILES]; /* empty: not read / not given */
};

static void doc_init(struct chip_doc *d)
{
	for (size_t i = 0; i < N_FILES; i++)
		eid_buf_init(&d->f[i], EID_READ_FILE_MAX);
}

static void doc_free(struct chip_doc *d)
{
	for (size_t i = 0; i < N_FILES; i++)
		eid_buf_free(&d->f[i]);
}

/* ---- MRZ information ---- */

/* "DOCNO+YYMMDD+YYMMDD" through eid_mrz_info_build, or the MRZ information
 * itself. */
static int mrz_info_arg(const char *arg, eid_buf *out)
{
	char docno[EID_MRZ_DOCNO_MAX + 1], dob[7], exp[7];
	const char *p1 = strchr(arg, '+');
	const char *p2 = p1 != NULL ? strchr(p1 + 1, '+') : NULL;

	if (p1 == NULL)
		return eid_buf_put_str(out, arg);
	if (p2 == NULL || strchr(p2 + 1, '+') != NULL ||
	    (size_t)(p1 - arg) > EID_MRZ_DOCNO_MAX || p2 - p1 - 1 != 6 ||
	    strlen(p2 + 1) != 6)
		return EID_EINVAL;
	memcpy(docno, arg, (size_t)(p1 - arg));
	docno[p1 - arg] = '\0';
	memcpy(dob, p1 + 1, 6);
	dob[6] = '\0';
	memcpy(exp, p2 + 1, 7);
	return eid_mrz_info_build(docno, dob, exp, out);
}

static int mrz_keys(const char *arg, struct eid_bac_keys *ret)
{
	eid_buf info;
	const char *s;
	int r;

	eid_buf_init_secret(&info, EID_BAC_MRZ_INFO_MAX + 1);
	r = mrz_info_arg(arg, &info);
	if (r == EID_OK)
		r = (s = eid_buf_cstr(&info)) == NULL
			    ? EID_EINVAL : eid_bac_keys_from_mrz_info(s, ret);
	eid_buf_free(&info);
	return r == EID_OK ? EID_OK : EID_EINVAL;
}

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

static int pcsc_fail(struct eidctl *ctl, int r, const struct eid_pcsc_err *e,
		     const char *what)
{
	if (r == EID_ETRANSPORT && e->rv != 0)
		return eidctl_fail(ctl, 0, "%s: %s (is pcscd running? start it "
					   "with `systemctl start pcscd`)",
				   what, e->msg);
	return eidctl_fail(ctl, r, "%s%s%s", what, e->msg[0] ? ": " : "",
			   e->msg);
}

/* Connect to reader N (an index into the reader list) or the first. */
static int connect_reader(struct eidctl *ctl, const char *index,
			  struct eid_transport *ret_t)
{
	struct eid_pcsc_err err = { 0 };
	char **readers = NULL, *end = NULL;
	unsigned long n = 0;
	size_t count = 0;
	int r, rc = EIDCTL_CONTINUE;

	if ((r = eid_pcsc_list_readers(&readers, &err)) != EID_OK)
		return pcsc_fail(ctl, r, &err, "no readers");
	while (readers[count] != NULL)
		count++;
	if (index != NULL)
		n = strtoul(index, &end, 10);
	if (index != NULL && (*end != '\0' || n >= count)) {
		rc = eidctl_usage(ctl, "--reader: 0 to %zu (see chip readers)",
				  count - 1);
		goto out;
	}
	if ((r = eid_pcsc_connect(readers[n], CONNECT_TIMEOUT_MS, ret_t, &err)))
		rc = pcsc_fail(ctl, r, &err, r == EID_ETIMEOUT
				       ? "no card in the reader" : "connect");
out:
	eid_pcsc_free_readers(readers);
	return rc;
}

/* PACE as EF.CardAccess offers it (the best protocol we run), then the
 * eMRTD application under its session.  EID_EUNSUPPORTED when no offered
 * protocol is one we run. */
static int access_pace(eid_reader *rd, const eid_buf *card_access,
		       enum eid_pace_pw type, const char *pw)
{
	struct eid_security_infos *si = calloc(1, sizeof(*si));
	struct eid_pace_params p = { .pw_type = type, .pw = pw };
	eid_sm *sm = NULL;
	int r = EID_ENOMEM;

	if (si == NULL)
		goto out;
	if ((r = eid_security_infos_parse(card_access->data, card_access->len,
					  si)) != EID_OK)
		goto out;
	r = eid_pace_choose(si, &p.info, &p.send_param_id);
	if (r == EID_ENOTFOUND)
		r = EID_EUNSUPPORTED;
	if (r != EID_OK ||
	    (r = eid_pace_authenticate(eid_reader_transport(rd), &p, &sm)))
		goto out;
	eid_reader_set_sm(rd, sm);
	r = eid_reader_select_emrtd(rd);
out:
	free(si);
	return r;
}

static int access_bac(eid_reader *rd, const struct eid_bac_keys *keys)
{
	eid_sm *sm = NULL;
	int r;

	if ((r = eid_reader_select_emrtd(rd)) != EID_OK)
		return r;
	r = eid_bac_authenticate(eid_reader_transport(rd), keys,
				 eid_bac_random, NULL, &sm);
	if (r == EID_OK)
		eid_reader_set_sm(rd, sm);
	return r;
}

/* Read every file there is; per file, its size and the APDUs it took
 * (SELECT included) go to stats. */
static int read_files(eid_reader *rd, struct chip_doc *d, json_t *read,
		      json_t *stats)
{
	struct eid_reader_stats before, after;
	int r;

	for (size_t i = 0; i < N_FILES; i++) {
		eid_reader_stats(rd, &before);
		r = eid_reader_read_file(rd, chip_files[i].fid, false,
					 &d->f[i]);
		if (r == EID_ENOTFOUND)
			continue;
		if (r != EID_OK)
			return r;
		eid_reader_stats(rd, &after);
		json_array_append_new(read, json_string(chip_files[i].name));
		json_object_set_new(stats, chip_files[i].name, json_pack(
			"{s:I, s:I, s:I}", "size", (json_int_t)d->f[i].len,
			"apdus", (json_int_t)(after.apdus - before.apdus),
			"bytes", (json_int_t)(after.bytes_in + after.bytes_out -
					      before.bytes_in -
					      before.bytes_out)));
	}
	return d->f[FILE_SOD].len > 0 && d->f[FILE_DG1].len > 0
		       ? EID_OK : EID_ENOTFOUND;
}

/* "valid", "invalid" or "not_supported" (no DG15) of the card's answer
 * to challenge, which goes to sig (for the server) when the card gave
 * one. */
static const char *active_auth(eid_reader *rd, const struct chip_doc *d,
			       const uint8_t challenge[EID_AA_CHALLENGE_LEN],
			       eid_buf *sig)
{
	struct eid_apdu cmd = { .ins = 0x88, .data = challenge,
				.nc = EID_AA_CHALLENGE_LEN, .ne = 256 };
	struct eid_rapdu resp;
	EVP_PKEY *key = NULL;
	const char *v = "invalid";

	if (d->f[FILE_DG15].len == 0)
		return "not_supported";
	eid_rapdu_init(&resp, EID_AA_MAX_SIG + 64);
	if (eid_lds_dg15_parse(d->f[FILE_DG15].data, d->f[FILE_DG15].len,
			       &key) == EID_OK &&
	    eid_reader_transmit(rd, &cmd, &resp) == EID_OK &&
	    resp.sw == EID_SW_OK &&
	    eid_buf_put(sig, resp.data.data, resp.data.len) == EID_OK &&
	    eid_aa_verify(key, challenge, resp.data.data, resp.data.len,
			  NULL) == EID_OK)
		v = "valid";
	EVP_PKEY_free(key);
	eid_rapdu_free(&resp);
	return v;
}

/* Chip Authentication with DG14's key ("not_supported" without one),
 * proved by the next secure messaging answer: EF.COM read again under the
 * new keys. */
static const char *chip_auth(eid_reader *rd, const struct chip_doc *d)
{
	struct eid_lds_dg14 dg14 = { 0 };
	struct eid_security_infos *si = calloc(1, sizeof(*si));
	struct eid_ca_params p = { 0 };
	const char *v = "not_supported";
	eid_buf com;

	eid_buf_init(&com, EID_READ_FILE_MAX);
	if (si == NULL || d->f[FILE_DG14].len == 0 ||
	    eid_lds_dg14_parse(d->f[FILE_DG14].data, d->f[FILE_DG14].len,
			       &dg14) != EID_OK ||
	    eid_security_infos_parse(dg14.security_infos,
				     dg14.security_infos_len, si) != EID_OK ||
	    si->nca == 0 || dg14.ca_key == NULL)
		goto out;
	p.info = &si->ca[0];
	p.chip_key = dg14.ca_key;
	v = eid_ca_authenticate(rd, &p) == EID_OK &&
			    eid_reader_read_file(rd, EID_FID_COM, false,
						 &com) == EID_OK
		    ? "valid" : "invalid";
out:
	eid_buf_free(&com);
	eid_lds_dg14_clear(&dg14);
	free(si);
	return v;
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

static struct eid_chip_file doc_file(const struct chip_doc *d, size_t i)
{
	return (struct eid_chip_file){ d->f[i].data, d->f[i].len };
}

/* POST the document and the card's signature; the server's verdict goes
 * to out as "server_verdict".  ret_valid is the server's "valid". */
static int upload(struct eidctl *ctl, const struct eid_httpc *h,
		  const struct chip_doc *d, const eid_buf *sig, const char *id,
		  json_t *out, bool *ret_valid)
{
	struct eid_chip_upload up = {
		.sod = doc_file(d, FILE_SOD), .dg1 = doc_file(d, FILE_DG1),
		.dg2 = doc_file(d, 2), .dg13 = doc_file(d, FILE_DG13),
		.dg14 = doc_file(d, FILE_DG14), .dg15 = doc_file(d, FILE_DG15),
		.aa_signature = { sig->data, sig->len }, .challenge_id = id,
	};
	char why[EID_CHIPUPLOAD_ERR_MAX];
	json_t *v = NULL;
	int r = eid_chipupload_verify(h, &up, &v, why);

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
	struct eid_transport t;
	eid_reader *rd;
	eid_csca_store *csca;
	struct chip_doc doc;
	struct eid_bac_keys keys;
	eid_buf mrz_info; /* for PACE with the MRZ */
	char can[EID_PACE_CAN_MAX + 1];
	json_t *out;
	struct eid_httpc http; /* --upload */
	eid_buf aa_sig;
};

static void session_close(struct read_session *s)
{
	eid_reader_free(s->rd);
	eid_transport_close(&s->t);
	eid_csca_store_free(s->csca);
	doc_free(&s->doc);
	eid_bac_keys_wipe(&s->keys);
	eid_buf_free(&s->mrz_info);
	eid_wipe(s->can, sizeof(s->can));
	json_decref(s->out);
	eid_httpc_free(&s->http);
	eid_buf_free(&s->aa_sig);
}

/* Keep the CAN in the session only (wiped at its end), not in argv, where
 * /proc/PID/cmdline would show it for as long as the read takes. */
static void take_can(const char *arg, char can[EID_PACE_CAN_MAX + 1])
{
	size_t n = strlen(arg);

	memcpy(can, arg, n + 1);
	eid_wipe((char *)arg, n);
}

static int parse_read_args(struct eidctl *ctl, const struct read_args *a,
			   struct eid_reader_opts *opts,
			   struct eid_bac_keys *keys, eid_buf *mrz_info,
			   char can[EID_PACE_CAN_MAX + 1])
{
	char *end = NULL;

	if ((a->mrz_info == NULL) == (a->can == NULL))
		return eidctl_usage(ctl, "give one of --mrz-info and --can");
	if ((a->bearer != NULL || a->cookie != NULL) && a->upload == NULL)
		return eidctl_usage(ctl, "--bearer and --cookie go with "
					 "--upload");
	if (a->bearer != NULL && a->cookie != NULL)
		return eidctl_usage(ctl, "give --bearer or --cookie, not both");
	if (a->can != NULL && (strlen(a->can) == 0 ||
			       strlen(a->can) > EID_PACE_CAN_MAX ||
			       strspn(a->can, "0123456789") != strlen(a->can)))
		return eidctl_usage(ctl, "--can: the card access number, 1 to "
					 "%d digits", EID_PACE_CAN_MAX);
	if (a->can != NULL)
		take_can(a->can, can);
	if (a->mrz_info != NULL &&
	    (mrz_keys(a->mrz_info, keys) != EID_OK ||
	     mrz_info_arg(a->mrz_info, mrz_info) != EID_OK ||
	     eid_buf_cstr(mrz_info) == NULL))
		return eidctl_usage(ctl, "--mrz-info: DOCNO+YYMMDD+YYMMDD "
					 "(document number, birth, expiry)");
	if (a->max_read != NULL) {
		opts->max_chunk = strtoul(a->max_read, &end, 0);
		if (*end != '\0' || opts->max_chunk < 8 ||
		    opts->max_chunk > EID_APDU_EXT_NE_MAX)
			return eidctl_usage(ctl, "--max-read: 8 to 65536");
	}
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

/* Connect and read EF.CardAccess (in the MF: it tells whether the card
 * offers PACE; *ret_r is EID_OK or EID_ENOTFOUND).  Just after a card
 * change pcscd may still hold the old card's state (a transport error on
 * the first command): then wait a moment and connect again. */
static int open_card(struct eidctl *ctl, const struct read_args *a,
		     const struct eid_reader_opts *ro, struct read_session *s,
		     eid_buf *card_access, int *ret_r)
{
	const struct timespec settle = { 0, 300 * 1000 * 1000 };
	int rc, r = EID_ETRANSPORT;

	for (int attempt = 0; attempt < 3 && r == EID_ETRANSPORT; attempt++) {
		if (attempt > 0)
			nanosleep(&settle, NULL);
		eid_reader_free(s->rd);
		s->rd = NULL;
		eid_transport_close(&s->t);
		rc = connect_reader(ctl, a->reader, &s->t);
		if (rc != EIDCTL_CONTINUE)
			return rc;
		if ((r = eid_reader_new(&s->t, ro, &s->rd)) != EID_OK)
			return eidctl_fail(ctl, r, "reader");
		r = eid_reader_read_file(s->rd, EID_FID_CARD_ACCESS, false,
					 card_access);
	}
	if (r != EID_OK && r != EID_ENOTFOUND)
		return eidctl_fail(ctl, r, "reading EF.CardAccess");
	*ret_r = r;
	return EIDCTL_CONTINUE;
}

/* PACE when the card offers it (card_access not NULL), with the CAN or
 * the MRZ information; BAC when it does not, or when it offers only PACE
 * protocols we do not run.  "access_control" says which ran. */
static int access_control(struct eidctl *ctl, const struct read_args *a,
			  struct read_session *s, const eid_buf *card_access)
{
	const char *ac = "PACE";
	int r = EID_EUNSUPPORTED;

	if (card_access != NULL)
		r = a->can != NULL
			    ? access_pace(s->rd, card_access, EID_PACE_CAN,
					  s->can)
			    : access_pace(s->rd, card_access, EID_PACE_MRZ,
					  eid_buf_cstr(&s->mrz_info));
	if (r == EID_EAUTH)
		return eidctl_fail(ctl, r, "PACE failed: the card refused the "
					   "%s", a->can != NULL
					   ? "CAN (check the 6 digits printed "
					     "on the card)"
					   : "MRZ information (check document "
					     "number, birth and expiry dates)");
	if (r != EID_OK && r != EID_EUNSUPPORTED)
		return eidctl_fail(ctl, r, "PACE");
	if (r == EID_EUNSUPPORTED) {
		ac = "BAC";
		if (a->mrz_info == NULL)
			return eidctl_fail(ctl, 0, "the card offers no PACE we "
						   "run, and BAC needs "
						   "--mrz-info (a CAN cannot "
						   "open it)");
		r = access_bac(s->rd, &s->keys);
	}
	if (r != EID_OK)
		return eidctl_fail(ctl, r, r == EID_EAUTH
				   ? "BAC failed: the card refused the MRZ "
				     "information (check document number, "
				     "birth and expiry dates)"
				   : "BAC");
	json_object_set_new(s->out, "access_control", json_string(ac));
	return EIDCTL_CONTINUE;
}

static int chip_read(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "mrz-info", required_argument, "DOCNO+DOB+EXPIRY",
		  "BAC with the MRZ information (dates YYMMDD)" },
		{ "can", required_argument, "CAN",
		  "PACE with the card access number" },
		{ "reader", required_argument, "N",
		  "reader index (see chip readers)" },
		{ "out", required_argument, "DIR",
		  "write each file read to DIR" },
		{ "csca", required_argument, "DIR",
		  "trusted CSCAs from DIR (default: the data directory's "
		  "store)" },
		{ "max-read", required_argument, "N",
		  "first READ BINARY size (default 223; > 256: extended "
		  "length)" },
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
	struct eid_reader_opts ro = { 0 };
	struct read_session s = { .out = json_object() };
	json_t *read = json_array(), *stats = json_object();
	eid_buf card_access;
	uint8_t challenge[EID_AA_CHALLENGE_LEN];
	char challenge_id[EID_CHIPVERIFY_ID_LEN + 1] = "";
	const char *aa, *ca;
	bool pa_ok, server_ok = false;
	int optind_ = 0, rc, r = EID_ENOTFOUND;

	doc_init(&s.doc);
	eid_buf_init_secret(&s.mrz_info, EID_BAC_MRZ_INFO_MAX + 1);
	eid_buf_init(&s.aa_sig, EID_AA_MAX_SIG + 64);
	eid_buf_init(&card_access, EID_READ_FILE_MAX);
	rc = eidctl_getopt(ctl, cmd_of("read"), argc, argv, opts,
			   eidctl_collect, &vals, &optind_);
	read_args_from(&vals, &a);
	if (rc == EIDCTL_CONTINUE && optind_ < argc)
		rc = eidctl_usage(ctl, "unexpected argument '%s'",
				  argv[optind_]);
	if (rc != EIDCTL_CONTINUE ||
	    (rc = parse_read_args(ctl, &a, &ro, &s.keys, &s.mrz_info,
				  s.can)) !=
		    EIDCTL_CONTINUE ||
	    (rc = load_csca(ctl, a.csca, &s.csca)) != EIDCTL_CONTINUE)
		goto out;
	if (s.out == NULL || read == NULL || stats == NULL) {
		rc = eidctl_fail(ctl, EID_ENOMEM, "output");
		goto out;
	}
	if ((rc = open_card(ctl, &a, &ro, &s, &card_access, &r)) !=
	    EIDCTL_CONTINUE)
		goto out;
	json_object_set_new(s.out, "pace_offered", json_boolean(r == EID_OK));
	if ((rc = access_control(ctl, &a, &s, r == EID_OK ? &card_access
							   : NULL)) !=
	    EIDCTL_CONTINUE)
		goto out;
	if ((r = read_files(s.rd, &s.doc, read, stats)) != EID_OK) {
		rc = eidctl_fail(ctl, r, "reading the card");
		goto out;
	}
	json_object_set_new(s.out, "files_read", read);
	json_object_set_new(s.out, "file_stats", stats);
	read = stats = NULL;
	if ((rc = get_challenge(ctl, &a, &s.http, challenge, challenge_id)) !=
	    EIDCTL_CONTINUE)
		goto out;
	ca = chip_auth(s.rd, &s.doc);
	aa = active_auth(s.rd, &s.doc, challenge, &s.aa_sig);
	add_stats(s.out, s.rd);
	if (a.out != NULL &&
	    (rc = write_files(ctl, a.out, &s.doc)) != EIDCTL_CONTINUE)
		goto out;
	add_identity(s.out, &s.doc);
	pa_ok = passive_auth(s.csca, &s.doc, s.out);
	json_object_set_new(s.out, "active_authentication", json_string(aa));
	json_object_set_new(s.out, "chip_authentication", json_string(ca));
	if (a.upload != NULL &&
	    (rc = upload(ctl, &s.http, &s.doc, &s.aa_sig, challenge_id, s.out,
			 &server_ok)) != EIDCTL_CONTINUE)
		goto out;
	if (a.upload != NULL && !server_ok)
		pa_ok = false; /* the server's word is final */
	rc = finish(ctl, s.out, pa_ok, aa, ca);
	s.out = NULL;
out:
	eid_buf_free(&card_access);
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
	r = mrz_info_arg(argv[optind_], &info);
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
