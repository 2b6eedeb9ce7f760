/* Reading an eMRTD: SELECT the application and its files, READ BINARY a
 * whole file in the largest chunks the card accepts, all through secure
 * messaging once a session is set.  Counts every APDU and byte exchanged
 * (the numbers the read-time budget is judged by). */
#ifndef EID_READER_H
#define EID_READER_H

#include <stddef.h>
#include <stdint.h>

#include "chip/sm.h"
#include "chip/transport.h"

/* File identifiers (ICAO 9303 Part 10); the short file identifier is the
 * low byte for every one of these. */
#define EID_FID_CARD_ACCESS 0x011c /* in the MF, read before the applet */
#define EID_FID_COM 0x011e
#define EID_FID_DG1 0x0101
#define EID_FID_DG2 0x0102
#define EID_FID_DG13 0x010d
#define EID_FID_DG14 0x010e
#define EID_FID_DG15 0x010f
#define EID_FID_SOD 0x011d

/* A short-APDU chunk that fits a 256-byte SM response with 3DES and AES:
 * 223 data bytes pad to 224, + DO'87' header 4 + DO'99' 4 + DO'8E' 10.
 * Under 3DES (8-byte blocks) 231 bytes pad to 232 and still fit: the
 * reader's default chunk follows the session's cipher (0xE7 or 0xDF). */
#define EID_READ_CHUNK_SM 0xdf
#define EID_READ_FILE_MAX (1u << 20)

struct eid_reader_opts {
	size_t max_chunk; /* first READ BINARY size to try: <= 256 short,
			   * up to 65536 uses extended length; 0: the
			   * largest short read the secure messaging
			   * session fits in 256 bytes (0xE7 under 3DES,
			   * 0xDF under AES; 0xDF before any session) */
	size_t max_file;  /* largest file accepted; 0: EID_READ_FILE_MAX */
	/* First read only the tag and length (4 bytes), as the ICAO 9303-11
	 * worked example does; by default the first read takes a whole
	 * chunk, so a file costs the fewest READ BINARYs the chunk allows. */
	bool header_first;
};

struct eid_reader_stats {
	unsigned long apdus;     /* command APDUs sent, GET RESPONSE too */
	unsigned long bytes_out; /* command bytes sent */
	unsigned long bytes_in;  /* response bytes received */
	unsigned long selects;   /* SELECT commands (of an application or EF) */
	unsigned long reads;     /* READ BINARY commands (B0 and B1) */
	/* Bytes on the wire beyond the plain commands and responses: what
	 * secure messaging added (DO'87', DO'97', DO'99', DO'8E', padding,
	 * and any GET RESPONSE a protected answer needed). */
	unsigned long sm_overhead;
};

typedef struct eid_reader eid_reader;

/* A reader over t (borrowed; it must outlive the reader).  opts may be
 * NULL for the defaults. */
int eid_reader_new(const struct eid_transport *t,
		   const struct eid_reader_opts *opts, eid_reader **ret_reader);
/* Frees the secure messaging session too; safe on NULL. */
void eid_reader_free(eid_reader *rd);

/* The transport as the reader sees it: plain, but counted.  Run BAC (or
 * PACE) over this one so its APDUs count too. */
const struct eid_transport *eid_reader_transport(eid_reader *rd);
/* From now on every command goes through sm, which the reader owns. */
void eid_reader_set_sm(eid_reader *rd, eid_sm *sm);

void eid_reader_stats(const eid_reader *rd, struct eid_reader_stats *ret);
/* The chunk size the reader has learnt the card accepts. */
size_t eid_reader_chunk(const eid_reader *rd);

/* One command through SM when set; resp->sw is the card's (protected)
 * status, EID_OK meaning only that the exchange itself worked. */
int eid_reader_transmit(eid_reader *rd, const struct eid_apdu *cmd,
			struct eid_rapdu *resp);

int eid_reader_select_aid(eid_reader *rd, const uint8_t *aid, size_t len);
/* SELECT the eMRTD application, AID A0000002471001. */
int eid_reader_select_emrtd(eid_reader *rd);
/* SELECT an EF by file identifier (P1 02, no FCI). */
int eid_reader_select_ef(eid_reader *rd, uint16_t fid);

/* Read the whole of the file fid into out (reset first): selected by
 * SELECT when use_sfi is false, else by the short file identifier in the
 * first READ BINARY.  The first 4 bytes give the TLV length; the rest is
 * read in chunks, stepping down on 6700, 6282, 6Bxx and 6Cxx, with READ
 * BINARY B1 for offsets past 0x7FFF.  EID_ETOOBIG past max_file. */
int eid_reader_read_file(eid_reader *rd, uint16_t fid, bool use_sfi,
			 eid_buf *out);

#endif
