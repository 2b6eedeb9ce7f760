/* Reading a chip ID card through PC/SC for an upload to the server: the
 * reader, PACE (CAN or MRZ) or BAC, the files, Chip Authentication and
 * Active Authentication over a challenge.  Shared by `eidctl chip read`
 * (the officer's desk) and `eid-app read-chip` (the citizen's phone): the
 * programs print; this code fills a message in struct eid_chipread_err. */
#ifndef EID_TOOLS_CHIPREAD_H
#define EID_TOOLS_CHIPREAD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "chip/aa.h"
#include "chip/bac.h"
#include "chip/pace.h"
#include "chip/reader.h"
#include "crypto/buf.h"
#include "idp/chipverify.h"

/* The files a read takes, in reading order, and their names on disk and
 * in JSON output. */
struct eid_chipread_file {
	const char *name;
	uint16_t fid;
	int dg; /* 0: not a data group */
};
enum {
	EID_CHIPREAD_COM, EID_CHIPREAD_DG1, EID_CHIPREAD_DG2,
	EID_CHIPREAD_DG13, EID_CHIPREAD_DG14, EID_CHIPREAD_DG15,
	EID_CHIPREAD_SOD, EID_CHIPREAD_NFILES
};
extern const struct eid_chipread_file eid_chipread_files[EID_CHIPREAD_NFILES];

/* The files of one document; an empty buffer: not read / not given. */
struct eid_chipread_doc {
	eid_buf f[EID_CHIPREAD_NFILES];
};
void eid_chipread_doc_init(struct eid_chipread_doc *d);
void eid_chipread_doc_free(struct eid_chipread_doc *d);

#define EID_CHIPREAD_ERR_MAX 256

/* What went wrong: r (0 when msg says it all), msg, and whether it was
 * the caller's arguments. */
struct eid_chipread_err {
	int r;
	bool usage;
	char msg[EID_CHIPREAD_ERR_MAX];
};

struct eid_chipread {
	struct eid_transport t;
	eid_reader *rd;
	struct eid_chipread_doc doc;
	struct eid_bac_keys keys;
	eid_buf mrz_info;               /* for PACE with the MRZ */
	char can[EID_PACE_CAN_MAX + 1]; /* "" without one */
	struct eid_reader_opts ro;
	bool pace_offered;
	const char *access_control;     /* "PACE" or "BAC" once open */
	eid_buf aa_sig;                 /* the card's answer to the challenge */
};

void eid_chipread_init(struct eid_chipread *s);
/* Closes the card and wipes the keys. */
void eid_chipread_close(struct eid_chipread *s);

/* "DOCNO+YYMMDD+YYMMDD" through eid_mrz_info_build, or the MRZ
 * information itself, into out. */
int eid_chipread_mrz_info(const char *arg, eid_buf *out);

/* The access keys: exactly one of mrz_info and can (the CAN is copied
 * and the argument wiped: /proc/PID/cmdline would show it otherwise);
 * max_read (may be NULL) the first READ BINARY size, 8 to 65536.
 * EID_EINVAL with e->usage set. */
int eid_chipread_keys(struct eid_chipread *s, const char *mrz_info,
		      char *can, const char *max_read,
		      struct eid_chipread_err *e);

/* Connect to reader (its index in the PC/SC list, or its name; NULL: the
 * first) and open the eMRTD application with PACE when the card offers
 * it, else BAC. */
int eid_chipread_open(struct eid_chipread *s, const char *reader,
		      struct eid_chipread_err *e);

/* Read every file there is; read (may be NULL) gets their names, stats
 * (may be NULL) their sizes and APDUs.  EID_ENOTFOUND without SOD and
 * DG1. */
int eid_chipread_read_files(struct eid_chipread *s, json_t *read, json_t *stats);

/* "valid", "invalid" or "not_supported" (no DG14 key). */
const char *eid_chipread_chip_auth(struct eid_chipread *s);
/* "valid", "invalid" or "not_supported" (no DG15); the card's signature
 * of challenge goes to s->aa_sig. */
const char *eid_chipread_active_auth(struct eid_chipread *s,
				     const uint8_t challenge[EID_AA_CHALLENGE_LEN]);

/* The upload of what was read (borrowing s) for challenge_id. */
void eid_chipread_upload(const struct eid_chipread *s,
			 const char *challenge_id, struct eid_chip_upload *ret);

#endif
