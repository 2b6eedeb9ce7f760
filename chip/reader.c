#include "chip/reader.h"

#include <stdlib.h>
#include <string.h>

#include "chip/tlv.h"
#include "crypto/error.h"

#define INS_SELECT 0xa4
#define INS_READ_BINARY 0xb0
#define INS_READ_BINARY_ODD 0xb1
#define B0_OFFSET_MAX 0x7fff
#define HEADER_READ 4   /* a one-byte tag and a length of up to 82 xx xx */
#define CHUNK_MIN 8     /* stepping down below this is pointless */
#define TAG_ODD_DATA 0x53
#define TAG_ODD_OFFSET 0x54

static const uint8_t emrtd_aid[] = { 0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };

struct eid_reader {
	const struct eid_transport *inner;
	struct eid_transport counted;
	eid_sm *sm;
	size_t chunk;
	bool chunk_auto; /* no chunk given and none learnt: follow the SM */
	size_t max_file;
	bool header_first;
	struct eid_reader_stats stats;
};

static int counting_transmit(void *ctx, const uint8_t *capdu, size_t n,
			     eid_buf *rapdu)
{
	struct eid_reader *rd = ctx;
	int r = eid_transport_transmit(rd->inner, capdu, n, rapdu);

	rd->stats.apdus++;
	rd->stats.bytes_out += n;
	if (r == EID_OK)
		rd->stats.bytes_in += rapdu->len;
	return r;
}

int eid_reader_new(const struct eid_transport *t,
		   const struct eid_reader_opts *opts, eid_reader **ret_reader)
{
	struct eid_reader *rd;
	size_t chunk = opts != NULL ? opts->max_chunk : 0;
	size_t max_file = opts != NULL ? opts->max_file : 0;

	if (t == NULL || chunk > EID_APDU_EXT_NE_MAX)
		return EID_EINVAL;
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return EID_ENOMEM;
	rd->inner = t;
	rd->counted.transmit = counting_transmit;
	rd->counted.ctx = rd;
	rd->chunk = chunk != 0 ? chunk : EID_READ_CHUNK_SM;
	rd->chunk_auto = chunk == 0;
	rd->max_file = max_file != 0 ? max_file : EID_READ_FILE_MAX;
	rd->header_first = opts != NULL && opts->header_first;
	*ret_reader = rd;
	return EID_OK;
}

void eid_reader_free(eid_reader *rd)
{
	if (rd == NULL)
		return;
	eid_sm_free(rd->sm);
	free(rd);
}

const struct eid_transport *eid_reader_transport(eid_reader *rd)
{
	return &rd->counted;
}

/* The largest READ BINARY answer whose protected response still fits a
 * short response (256 bytes): the data padded to the cipher's block (at
 * least one byte of padding) in DO'87' (tag, two length bytes and the
 * padding-content indicator: 4), DO'99' (4) and DO'8E' (10). */
static size_t sm_short_chunk(const eid_sm *sm)
{
	size_t block = eid_sm_block_size(sm);

	return (EID_APDU_SHORT_NE_MAX - 4 - 4 - 10) / block * block - 1;
}

void eid_reader_set_sm(eid_reader *rd, eid_sm *sm)
{
	eid_sm_free(rd->sm);
	rd->sm = sm;
	if (sm != NULL && rd->chunk_auto)
		rd->chunk = sm_short_chunk(sm);
}

void eid_reader_stats(const eid_reader *rd, struct eid_reader_stats *ret)
{
	*ret = rd->stats;
}

size_t eid_reader_chunk(const eid_reader *rd)
{
	return rd->chunk;
}

/* Count what secure messaging added to one exchange: the wire bytes
 * (wire, from the counters) beyond the plain command and answer. */
static int count_sm_overhead(eid_reader *rd, const struct eid_apdu *cmd,
			     const struct eid_rapdu *resp, unsigned long wire)
{
	eid_buf plain;
	unsigned long n;
	int r;

	eid_buf_init(&plain, EID_APDU_MAX_ENCODED);
	if ((r = eid_apdu_encode(cmd, &plain)) == EID_OK) {
		n = (unsigned long)(plain.len + resp->data.len + 2);
		rd->stats.sm_overhead += wire > n ? wire - n : 0;
	}
	eid_buf_free(&plain);
	return r;
}

static int transmit_sm(eid_reader *rd, const struct eid_apdu *cmd,
		       struct eid_rapdu *resp)
{
	unsigned long before = rd->stats.bytes_in + rd->stats.bytes_out;
	struct eid_apdu pcmd;
	struct eid_rapdu raw;
	eid_buf body;
	int r;

	eid_buf_init(&body, EID_APDU_EXT_NC_MAX);
	eid_rapdu_init(&raw, EID_RAPDU_MAX);
	if ((r = eid_sm_protect(rd->sm, cmd, &body, &pcmd)) != EID_OK ||
	    (r = eid_card_transceive(&rd->counted, &pcmd, &raw)) != EID_OK ||
	    (r = eid_sm_unprotect(rd->sm, &raw, resp)) != EID_OK)
		goto out;
	r = count_sm_overhead(rd, cmd, resp,
			      rd->stats.bytes_in + rd->stats.bytes_out -
				      before);
out:
	eid_buf_free(&body);
	eid_rapdu_free(&raw);
	return r;
}

int eid_reader_transmit(eid_reader *rd, const struct eid_apdu *cmd,
			struct eid_rapdu *resp)
{
	if (rd->sm != NULL)
		return transmit_sm(rd, cmd, resp);
	return eid_card_transceive(&rd->counted, cmd, resp);
}

/* A command whose answer carries no data we keep: judged by its SW. */
static int command_status(eid_reader *rd, const struct eid_apdu *cmd)
{
	struct eid_rapdu resp;
	int r;

	eid_rapdu_init(&resp, EID_APDU_SHORT_NE_MAX);
	if ((r = eid_reader_transmit(rd, cmd, &resp)) == EID_OK)
		r = eid_sw_to_error(resp.sw);
	eid_rapdu_free(&resp);
	return r;
}

int eid_reader_select_aid(eid_reader *rd, const uint8_t *aid, size_t len)
{
	struct eid_apdu cmd = { .ins = INS_SELECT, .p1 = 0x04, .p2 = 0x0c,
				.data = aid, .nc = len };

	if (aid == NULL || len == 0 || len > 16)
		return EID_EINVAL;
	rd->stats.selects++;
	return command_status(rd, &cmd);
}

int eid_reader_select_emrtd(eid_reader *rd)
{
	return eid_reader_select_aid(rd, emrtd_aid, sizeof(emrtd_aid));
}

int eid_reader_select_ef(eid_reader *rd, uint16_t fid)
{
	uint8_t id[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	struct eid_apdu cmd = { .ins = INS_SELECT, .p1 = 0x02, .p2 = 0x0c,
				.data = id, .nc = sizeof(id) };

	rd->stats.selects++;
	return command_status(rd, &cmd);
}

/* DO'53' holds the data of READ BINARY B1; its header takes up to 4 of
 * the Ne bytes. */
static size_t odd_header_len(size_t n)
{
	return n < 0x80 ? 2 : n < 0x100 ? 3 : 4;
}

/* READ BINARY B1 names the offset in DO'54' (offsets past 0x7FFF). */
static int odd_offset_do(size_t off, eid_buf *b)
{
	uint8_t be[3] = { (uint8_t)(off >> 16), (uint8_t)(off >> 8),
			  (uint8_t)off };
	size_t nb = off > 0xffff ? 3 : 2;

	return eid_tlv_put(b, TAG_ODD_OFFSET, be + sizeof(be) - nb, nb);
}

/* The data of a READ BINARY answer: as is for B0, inside DO'53' for B1. */
static int take_read_data(const struct eid_apdu *cmd,
			  const struct eid_rapdu *resp, size_t want,
			  eid_buf *out)
{
	struct eid_tlv t;
	int r;

	if (cmd->ins != INS_READ_BINARY_ODD || resp->data.len == 0)
		return resp->data.len <= want
			       ? eid_buf_put(out, resp->data.data, resp->data.len)
			       : EID_EMALFORMED;
	r = eid_tlv_parse_exact(resp->data.data, resp->data.len, &t);
	if (r != EID_OK)
		return r;
	if (t.tag != TAG_ODD_DATA || t.len > want)
		return EID_EMALFORMED;
	return eid_buf_put(out, t.value, t.len);
}

/* One READ BINARY of up to want bytes at off, appended to out; sfi >= 0
 * selects the file by short identifier (at offset 0). */
static int read_once(eid_reader *rd, int sfi, size_t off, size_t want,
		     eid_buf *out, uint16_t *ret_sw)
{
	struct eid_apdu cmd = { .ins = INS_READ_BINARY, .ne = want };
	struct eid_rapdu resp;
	eid_buf offdo;
	int r;

	eid_buf_init(&offdo, 8);
	eid_rapdu_init(&resp, want + odd_header_len(want));
	if (sfi >= 0) {
		cmd.p1 = (uint8_t)(0x80 | sfi);
		cmd.p2 = (uint8_t)off;
	} else if (off <= B0_OFFSET_MAX) {
		cmd.p1 = (uint8_t)(off >> 8);
		cmd.p2 = (uint8_t)off;
	} else {
		if ((r = odd_offset_do(off, &offdo)) != EID_OK)
			goto out;
		cmd.ins = INS_READ_BINARY_ODD;
		cmd.data = offdo.data;
		cmd.nc = offdo.len;
		cmd.ne = want + odd_header_len(want);
	}
	rd->stats.reads++;
	if ((r = eid_reader_transmit(rd, &cmd, &resp)) != EID_OK ||
	    (r = take_read_data(&cmd, &resp, want, out)) != EID_OK)
		goto out;
	*ret_sw = resp.sw;
out:
	eid_buf_free(&offdo);
	eid_rapdu_free(&resp);
	return r;
}

/* The card refused the length: learn a smaller chunk.  6Cxx names the
 * length; otherwise fall to the SM-safe 0xDF, then halve. */
static int step_down(eid_reader *rd, uint16_t sw, size_t want)
{
	size_t next;

	if ((sw >> 8) == 0x6c)
		next = (sw & 0xff) == 0 ? 256 : (sw & 0xff);
	else if (sw == EID_SW_WRONG_LENGTH || sw == EID_SW_EOF_WARNING ||
		 (sw >> 8) == 0x6b)
		next = want > EID_READ_CHUNK_SM ? EID_READ_CHUNK_SM : want / 2;
	else
		return eid_sw_to_error(sw);
	if (next >= want || next < CHUNK_MIN)
		return EID_ECARD;
	rd->chunk = next;
	rd->chunk_auto = false;
	return EID_OK;
}

/* Read at least one byte at off (at most want), stepping down as needed. */
static int read_chunk(eid_reader *rd, int sfi, size_t off, size_t want,
		      eid_buf *out)
{
	size_t before = out->len;
	uint16_t sw = 0;
	int r;

	for (;;) {
		size_t n = want < rd->chunk ? want : rd->chunk;
		if ((r = read_once(rd, sfi, off, n, out, &sw)) != EID_OK)
			return r;
		if (out->len > before &&
		    (sw == EID_SW_OK || sw == EID_SW_EOF_WARNING))
			return EID_OK;
		eid_buf_truncate(out, before);
		if (sw == EID_SW_OK)
			return EID_ECARD; /* no data and no complaint */
		if ((r = step_down(rd, sw, n)) != EID_OK)
			return r;
	}
}

/* Tag and length of the element that starts the file: its total size. */
static int tlv_total(const uint8_t *p, size_t n, size_t *ret)
{
	size_t i = 1, len = 0, nlen;

	if (n < 2)
		return EID_ETRUNCATED;
	if ((p[0] & 0x1f) == 0x1f)
		while (i < n && (p[i++] & 0x80))
			;
	if (i >= n)
		return EID_ETRUNCATED;
	if (p[i] < 0x80) {
		*ret = i + 1 + p[i];
		return EID_OK;
	}
	nlen = p[i] & 0x7f;
	if (nlen == 0 || nlen > 3)
		return EID_EMALFORMED;
	if (i + 1 + nlen > n)
		return EID_ETRUNCATED;
	for (size_t k = 0; k < nlen; k++)
		len = (len << 8) | p[i + 1 + k];
	*ret = i + 1 + nlen + len;
	return EID_OK;
}

int eid_reader_read_file(eid_reader *rd, uint16_t fid, bool use_sfi,
			 eid_buf *out)
{
	int sfi = use_sfi ? (fid & 0x1f) : -1;
	size_t total;
	int r;

	eid_buf_reset(out);
	if (!use_sfi && (r = eid_reader_select_ef(rd, fid)) != EID_OK)
		return r;
	/* Unless told to read the tag and length alone, the first read takes
	 * a whole chunk: a file that fits costs one READ BINARY, and a long
	 * one the fewest the chunk size allows (cards answer a short file
	 * with what there is, 9000 or 6282). */
	if ((r = read_chunk(rd, sfi, 0, rd->header_first ? HEADER_READ
							 : rd->chunk,
			    out)) != EID_OK)
		return r;
	if ((r = tlv_total(out->data, out->len, &total)) != EID_OK)
		goto out;
	r = EID_ETOOBIG;
	if (total > rd->max_file || total > out->max)
		goto out;
	r = EID_EMALFORMED;
	if (out->len > total)
		goto out;
	r = EID_OK;
	/* The SFI read selected the file; offsets go through P1-P2 now. */
	while (r == EID_OK && out->len < total)
		r = read_chunk(rd, -1, out->len, total - out->len, out);
out:
	if (r != EID_OK)
		eid_buf_reset(out);
	return r;
}
