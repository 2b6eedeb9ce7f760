#include "tools/chipread.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chip/ca.h"
#include "chip/cardaccess.h"
#include "chip/lds.h"
#include "chip/mrz.h"
#include "chip/pcsc.h"
#include "crypto/error.h"
#include "crypto/secret.h"

#define CONNECT_TIMEOUT_MS 5000

const struct eid_chipread_file eid_chipread_files[EID_CHIPREAD_NFILES] = {
	{ "com", EID_FID_COM, 0 },   { "dg1", EID_FID_DG1, 1 },
	{ "dg2", EID_FID_DG2, 2 },   { "dg13", EID_FID_DG13, 13 },
	{ "dg14", EID_FID_DG14, 14 }, { "dg15", EID_FID_DG15, 15 },
	{ "sod", EID_FID_SOD, 0 },
};

static int fail(struct eid_chipread_err *e, int r, bool usage,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct eid_chipread_err *e, int r, bool usage,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->r = r;
	e->usage = usage;
	return r != 0 ? r : EID_EINVAL;
}

void eid_chipread_doc_init(struct eid_chipread_doc *d)
{
	for (size_t i = 0; i < EID_CHIPREAD_NFILES; i++)
		eid_buf_init(&d->f[i], EID_READ_FILE_MAX);
}

void eid_chipread_doc_free(struct eid_chipread_doc *d)
{
	for (size_t i = 0; i < EID_CHIPREAD_NFILES; i++)
		eid_buf_free(&d->f[i]);
}

void eid_chipread_init(struct eid_chipread *s)
{
	memset(s, 0, sizeof(*s));
	eid_chipread_doc_init(&s->doc);
	eid_buf_init_secret(&s->mrz_info, EID_BAC_MRZ_INFO_MAX + 1);
	eid_buf_init(&s->aa_sig, EID_AA_MAX_SIG + 64);
}

void eid_chipread_close(struct eid_chipread *s)
{
	eid_reader_free(s->rd);
	s->rd = NULL;
	eid_transport_close(&s->t);
	eid_chipread_doc_free(&s->doc);
	eid_bac_keys_wipe(&s->keys);
	eid_buf_free(&s->mrz_info);
	eid_wipe(s->can, sizeof(s->can));
	eid_buf_free(&s->aa_sig);
}

/* ---- the access keys ---- */

int eid_chipread_mrz_info(const char *arg, eid_buf *out)
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

int eid_chipread_keys(struct eid_chipread *s, const char *mrz_info,
		      char *can, const char *max_read,
		      struct eid_chipread_err *e)
{
	char *end = NULL;
	const char *info;

	if ((mrz_info == NULL) == (can == NULL))
		return fail(e, 0, true, "give one of --mrz-info and --can");
	if (can != NULL && (strlen(can) == 0 ||
			    strlen(can) > EID_PACE_CAN_MAX ||
			    strspn(can, "0123456789") != strlen(can)))
		return fail(e, 0, true, "--can: the card access number, 1 to "
					"%d digits", EID_PACE_CAN_MAX);
	if (can != NULL) {
		memcpy(s->can, can, strlen(can) + 1);
		eid_wipe(can, strlen(can));
	}
	if (mrz_info != NULL &&
	    (eid_chipread_mrz_info(mrz_info, &s->mrz_info) != EID_OK ||
	     (info = eid_buf_cstr(&s->mrz_info)) == NULL ||
	     eid_bac_keys_from_mrz_info(info, &s->keys) != EID_OK))
		return fail(e, 0, true, "--mrz-info: DOCNO+YYMMDD+YYMMDD "
					"(document number, birth, expiry)");
	if (max_read != NULL) {
		s->ro.max_chunk = strtoul(max_read, &end, 0);
		if (*end != '\0' || s->ro.max_chunk < 8 ||
		    s->ro.max_chunk > EID_APDU_EXT_NE_MAX)
			return fail(e, 0, true, "--max-read: 8 to 65536");
	}
	return EID_OK;
}

/* ---- the reader ---- */

static int pcsc_fail(struct eid_chipread_err *e, int r,
		     const struct eid_pcsc_err *pe, const char *what)
{
	if (r == EID_ETRANSPORT && pe->rv != 0) {
		fail(e, 0, false, "%s: %s (is pcscd running? start it with "
				  "`systemctl start pcscd`)", what, pe->msg);
		return r;
	}
	return fail(e, r, false, "%s%s%s", what, pe->msg[0] ? ": " : "",
		    pe->msg);
}

/* Which of count readers: an index, or a name. */
static int pick_reader(char **readers, size_t count, const char *reader,
		       size_t *ret)
{
	char *end = NULL;
	unsigned long n;

	if (reader == NULL) {
		*ret = 0;
		return EID_OK;
	}
	n = strtoul(reader, &end, 10);
	if (reader[0] != '\0' && *end == '\0' && n < count) {
		*ret = n;
		return EID_OK;
	}
	for (size_t i = 0; i < count; i++)
		if (strcmp(readers[i], reader) == 0) {
			*ret = i;
			return EID_OK;
		}
	return EID_ENOTFOUND;
}

static int connect_reader(const char *reader, struct eid_transport *ret_t,
			  struct eid_chipread_err *e)
{
	struct eid_pcsc_err err = { 0 };
	char **readers = NULL;
	size_t count = 0, n = 0;
	int r;

	if ((r = eid_pcsc_list_readers(&readers, &err)) != EID_OK)
		return pcsc_fail(e, r, &err, "no readers");
	while (readers[count] != NULL)
		count++;
	if (pick_reader(readers, count, reader, &n) != EID_OK)
		r = fail(e, 0, true, "--reader: 0 to %zu or a reader's name "
				     "(see chip readers)", count - 1);
	else if ((r = eid_pcsc_connect(readers[n], CONNECT_TIMEOUT_MS, ret_t,
				       &err)))
		pcsc_fail(e, r, &err, r == EID_ETIMEOUT ? "no card in the reader"
							: "connect");
	eid_pcsc_free_readers(readers);
	return r;
}

/* Connect and read EF.CardAccess (in the MF: it tells whether the card
 * offers PACE; *ret_r is EID_OK or EID_ENOTFOUND).  Just after a card
 * change pcscd may still hold the old card's state (a transport error on
 * the first command): then wait a moment and connect again. */
static int open_card(struct eid_chipread *s, const char *reader,
		     eid_buf *card_access, int *ret_r,
		     struct eid_chipread_err *e)
{
	const struct timespec settle = { 0, 300 * 1000 * 1000 };
	int rc, r = EID_ETRANSPORT;

	for (int attempt = 0; attempt < 3 && r == EID_ETRANSPORT; attempt++) {
		if (attempt > 0)
			nanosleep(&settle, NULL);
		eid_reader_free(s->rd);
		s->rd = NULL;
		eid_transport_close(&s->t);
		if ((rc = connect_reader(reader, &s->t, e)) != EID_OK)
			return rc;
		if ((r = eid_reader_new(&s->t, &s->ro, &s->rd)) != EID_OK)
			return fail(e, r, false, "reader");
		r = eid_reader_read_file(s->rd, EID_FID_CARD_ACCESS, false,
					 card_access);
	}
	if (r != EID_OK && r != EID_ENOTFOUND)
		return fail(e, r, false, "reading EF.CardAccess");
	*ret_r = r;
	return EID_OK;
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

/* PACE when the card offers it (card_access not NULL), with the CAN or
 * the MRZ information; BAC when it does not, or when it offers only PACE
 * protocols we do not run. */
static int access_control(struct eid_chipread *s, const eid_buf *card_access,
			  struct eid_chipread_err *e)
{
	bool can = s->can[0] != '\0';
	int r = EID_EUNSUPPORTED;

	s->access_control = "PACE";
	if (card_access != NULL)
		r = can ? access_pace(s->rd, card_access, EID_PACE_CAN, s->can)
			: access_pace(s->rd, card_access, EID_PACE_MRZ,
				      eid_buf_cstr(&s->mrz_info));
	if (r == EID_EAUTH)
		return fail(e, r, false, "PACE failed: the card refused the %s",
			    can ? "CAN (check the 6 digits printed on the card)"
				: "MRZ information (check document number, "
				  "birth and expiry dates)");
	if (r != EID_OK && r != EID_EUNSUPPORTED)
		return fail(e, r, false, "PACE");
	if (r == EID_EUNSUPPORTED) {
		s->access_control = "BAC";
		if (can)
			return fail(e, 0, false, "the card offers no PACE we "
						 "run, and BAC needs "
						 "--mrz-info (a CAN cannot "
						 "open it)");
		r = access_bac(s->rd, &s->keys);
	}
	if (r != EID_OK)
		return fail(e, r, false, "%s", r == EID_EAUTH
			    ? "BAC failed: the card refused the MRZ "
			      "information (check document number, birth "
			      "and expiry dates)"
			    : "BAC");
	return EID_OK;
}

int eid_chipread_open(struct eid_chipread *s, const char *reader,
		      struct eid_chipread_err *e)
{
	eid_buf card_access;
	int r, found = EID_ENOTFOUND;

	eid_buf_init(&card_access, EID_READ_FILE_MAX);
	r = open_card(s, reader, &card_access, &found, e);
	if (r == EID_OK) {
		s->pace_offered = found == EID_OK;
		r = access_control(s, s->pace_offered ? &card_access : NULL, e);
	}
	eid_buf_free(&card_access);
	return r;
}

/* ---- the files and the chip's proofs ---- */

/* What reading one file of size bytes cost, from the reader's counters
 * before and after. */
static json_t *file_stats(size_t size, const struct eid_reader_stats *b,
			  const struct eid_reader_stats *a)
{
	return json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I}", "size", (json_int_t)size,
		"apdus", (json_int_t)(a->apdus - b->apdus), "selects",
		(json_int_t)(a->selects - b->selects), "reads",
		(json_int_t)(a->reads - b->reads), "bytes",
		(json_int_t)(a->bytes_in + a->bytes_out - b->bytes_in -
			     b->bytes_out),
		"sm_overhead", (json_int_t)(a->sm_overhead - b->sm_overhead));
}

int eid_chipread_read_files(struct eid_chipread *s, json_t *read, json_t *stats)
{
	struct eid_reader_stats before, after;
	struct eid_chipread_doc *d = &s->doc;
	int r;

	for (size_t i = 0; i < EID_CHIPREAD_NFILES; i++) {
		eid_reader_stats(s->rd, &before);
		r = eid_reader_read_file(s->rd, eid_chipread_files[i].fid, false,
					 &d->f[i]);
		if (r == EID_ENOTFOUND)
			continue;
		if (r != EID_OK)
			return r;
		eid_reader_stats(s->rd, &after);
		if (read != NULL)
			json_array_append_new(
				read, json_string(eid_chipread_files[i].name));
		if (stats != NULL)
			json_object_set_new(stats, eid_chipread_files[i].name,
					    file_stats(d->f[i].len, &before,
						       &after));
	}
	return d->f[EID_CHIPREAD_SOD].len > 0 && d->f[EID_CHIPREAD_DG1].len > 0
		       ? EID_OK : EID_ENOTFOUND;
}

const char *eid_chipread_active_auth(struct eid_chipread *s,
				     const uint8_t challenge[EID_AA_CHALLENGE_LEN])
{
	const eid_buf *dg15 = &s->doc.f[EID_CHIPREAD_DG15];
	struct eid_apdu cmd = { .ins = 0x88, .data = challenge,
				.nc = EID_AA_CHALLENGE_LEN, .ne = 256 };
	struct eid_rapdu resp;
	EVP_PKEY *key = NULL;
	const char *v = "invalid";

	if (dg15->len == 0)
		return "not_supported";
	eid_rapdu_init(&resp, EID_AA_MAX_SIG + 64);
	if (eid_lds_dg15_parse(dg15->data, dg15->len, &key) == EID_OK &&
	    eid_reader_transmit(s->rd, &cmd, &resp) == EID_OK &&
	    resp.sw == EID_SW_OK &&
	    eid_buf_put(&s->aa_sig, resp.data.data, resp.data.len) == EID_OK &&
	    eid_aa_verify(key, challenge, resp.data.data, resp.data.len,
			  NULL) == EID_OK)
		v = "valid";
	EVP_PKEY_free(key);
	eid_rapdu_free(&resp);
	return v;
}

/* Chip Authentication with DG14's key, proved by the next secure
 * messaging answer: EF.COM read again under the new keys. */
const char *eid_chipread_chip_auth(struct eid_chipread *s)
{
	const eid_buf *f14 = &s->doc.f[EID_CHIPREAD_DG14];
	struct eid_lds_dg14 dg14 = { 0 };
	struct eid_security_infos *si = calloc(1, sizeof(*si));
	struct eid_ca_params p = { 0 };
	const char *v = "not_supported";
	eid_buf com;

	eid_buf_init(&com, EID_READ_FILE_MAX);
	if (si == NULL || f14->len == 0 ||
	    eid_lds_dg14_parse(f14->data, f14->len, &dg14) != EID_OK ||
	    eid_security_infos_parse(dg14.security_infos,
				     dg14.security_infos_len, si) != EID_OK ||
	    si->nca == 0 || dg14.ca_key == NULL)
		goto out;
	p.info = &si->ca[0];
	p.chip_key = dg14.ca_key;
	v = eid_ca_authenticate(s->rd, &p) == EID_OK &&
			    eid_reader_read_file(s->rd, EID_FID_COM, false,
						 &com) == EID_OK
		    ? "valid" : "invalid";
out:
	eid_buf_free(&com);
	eid_lds_dg14_clear(&dg14);
	free(si);
	return v;
}

static struct eid_chip_file file_of(const struct eid_chipread *s, size_t i)
{
	return (struct eid_chip_file){ s->doc.f[i].data, s->doc.f[i].len };
}

void eid_chipread_upload(const struct eid_chipread *s,
			 const char *challenge_id, struct eid_chip_upload *ret)
{
	*ret = (struct eid_chip_upload){
		.sod = file_of(s, EID_CHIPREAD_SOD),
		.dg1 = file_of(s, EID_CHIPREAD_DG1),
		.dg2 = file_of(s, EID_CHIPREAD_DG2),
		.dg13 = file_of(s, EID_CHIPREAD_DG13),
		.dg14 = file_of(s, EID_CHIPREAD_DG14),
		.dg15 = file_of(s, EID_CHIPREAD_DG15),
		.aa_signature = { s->aa_sig.data, s->aa_sig.len },
		.challenge_id = challenge_id,
	};
}
