/* Bulk import of citizen records into the registry, from JSON Lines (one
 * citizen object per line) or CSV (RFC 4180, a header row of field names,
 * CRLF or LF).  A UTF-8 byte order mark is skipped.  Every row is checked
 * as eid_citizen_check does; rejected rows are reported (line and reason)
 * and never written; the valid rows are written in one write transaction
 * that commits at the end, so a failed import leaves nothing behind.
 * Importing the same file twice changes nothing. */
#ifndef EID_REGISTRY_IMPORT_H
#define EID_REGISTRY_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/buf.h"
#include "idp/citizen.h"
#include "idp/store.h"

enum eid_import_format {
	EID_IMPORT_AUTO = 0, /* JSON Lines when the first line starts with '{' */
	EID_IMPORT_JSONL,
	EID_IMPORT_CSV,
};

#define EID_IMPORT_MAX_LINE (64u * 1024) /* bytes of one row */
#define EID_IMPORT_MAX_FIELD (4u * 1024) /* bytes of one CSV value */

/* Called for each rejected row: line is where the row starts (1-based,
 * the CSV header being line 1), err the EID_E... code, reason one line.
 * Return EID_OK to go on; a negative code stops the import, which then
 * writes nothing and returns that code. */
typedef int (*eid_import_reject_fn)(uint64_t line, int err,
				    const char *reason, void *arg);

struct eid_import_options {
	enum eid_import_format format;
	bool dry_run;      /* validate and count, write nothing */
	size_t max_line;   /* 0: EID_IMPORT_MAX_LINE */
	size_t max_field;  /* 0: EID_IMPORT_MAX_FIELD */
	/* Clock for "not in the future" and for updated_at of rows without
	 * one; 0: the store's clock. */
	int64_t now;
	eid_import_reject_fn on_reject; /* may be NULL */
	void *arg;
};

struct eid_import_report {
	uint64_t read;      /* rows read (blank lines and the header aside) */
	uint64_t imported;  /* new records */
	uint64_t updated;   /* records that replaced a different one */
	uint64_t unchanged; /* records identical to the stored one */
	uint64_t rejected;
};

/* Import everything from in.  A problem with the file as a whole (a CSV
 * header with an unknown, repeated or missing column: EID_EMALFORMED; a
 * read error: EID_EIO) or with the store fails the import, with a reason
 * appended to why (may be NULL).  The report is set only on success. */
int eid_registry_import(eid_store *s, FILE *in,
			const struct eid_import_options *opt,
			struct eid_import_report *ret_report, eid_buf *why);

/* The row reader underneath, usable without a store. */
typedef struct eid_import_reader eid_import_reader;

/* Reads the CSV header (or detects the format).  EID_EMALFORMED with a
 * reason for a bad header, EID_EIO for a read error. */
int eid_import_reader_open(FILE *in, const struct eid_import_options *opt,
			   int64_t now, eid_import_reader **ret_reader,
			   eid_buf *why);
/* The next row.  EID_OK with *ret set; 1 at the end of input; a row error
 * (EID_EMALFORMED, EID_EMISMATCH, EID_ETOOBIG) with the reason in why,
 * after which reading may go on; EID_EIO or EID_ENOMEM, after which it may
 * not.  *ret_line is set in both the first and the row-error case. */
int eid_import_reader_next(eid_import_reader *r, struct eid_citizen *ret,
			   uint64_t *ret_line, eid_buf *why);
/* True for the codes after which eid_import_reader_next may be called
 * again. */
bool eid_import_row_error(int r);
enum eid_import_format eid_import_reader_format(const eid_import_reader *r);
void eid_import_reader_close(eid_import_reader *r);

#endif
