/* Machine Readable Zone (ICAO 9303 Parts 3-5): TD1 (ID cards, 3 x 30) and
 * TD3 (passports, 2 x 44).  The parser verifies every check digit; the
 * encoder computes them.  Text fields are returned with fillers turned
 * into spaces and trailing fillers dropped. */
#ifndef EID_MRZ_H
#define EID_MRZ_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/buf.h"

#define EID_MRZ_TD1_LEN 90 /* 3 lines of 30 */
#define EID_MRZ_TD3_LEN 88 /* 2 lines of 44 */
/* Nine characters in the document-number field, up to 13 more in the TD1
 * optional data when the number is longer (Part 5, note j). */
#define EID_MRZ_DOCNO_MAX 22

enum eid_mrz_format {
	EID_MRZ_TD1 = 1,
	EID_MRZ_TD3 = 3,
};

struct eid_mrz {
	enum eid_mrz_format format;
	char doc_code[3];    /* "I", "ID", "P" */
	char issuer[4];      /* issuing state, "VNM" */
	char docno[EID_MRZ_DOCNO_MAX + 1];
	char dob[7];         /* YYMMDD */
	char sex;            /* 'M', 'F' or 'X' (unspecified) */
	char expiry[7];      /* YYMMDD */
	char nationality[4];
	/* TD1: line 1 optional data (after a long document number's tail);
	 * TD3: the personal number. */
	char optional1[16];
	char optional2[12];  /* TD1: line 2 optional data; TD3: unused */
	char primary[40];    /* surname(s), fillers as spaces */
	char secondary[40];  /* given names, fillers as spaces */
	/* Vietnamese cards: the 12-digit personal ID opening optional1 whose
	 * last 9 digits are the document number; "" otherwise. */
	char personal_id[13];
};

/* The check digit (weights 7,3,1) of n MRZ characters [0-9A-Z<].
 * EID_EMALFORMED for any other character. */
int eid_mrz_check_digit(const char *s, size_t n, char *ret);

/* Parse an MRZ: 90 or 88 characters in one run (as DG1 stores it), or the
 * lines separated by "\n" or "\r\n".  EID_EMALFORMED for wrong line
 * lengths, characters outside [0-9A-Z<], bad dates or sex; EID_EVERIFY when
 * a check digit does not match; EID_ETOOBIG past 200 bytes. */
int eid_mrz_parse(const char *s, size_t n, struct eid_mrz *ret);

/* Encode m as TD1 (90 characters, no newlines) / TD3 (88) appended to out.
 * Names longer than the line are truncated; spaces become fillers.
 * EID_EINVAL for characters outside [0-9A-Z< ] or bad dates,
 * EID_ETOOBIG for fields that do not fit. */
int eid_mrz_encode_td1(const struct eid_mrz *m, eid_buf *out);
int eid_mrz_encode_td3(const struct eid_mrz *m, eid_buf *out);
/* Either of the two, after m->format. */
int eid_mrz_encode(const struct eid_mrz *m, eid_buf *out);

/* The "MRZ information" keyed into BAC and PACE (Part 11, 9.7.1):
 * document number padded with '<' to at least 9, its check digit, the
 * date of birth and its check digit, the expiry and its check digit. */
int eid_mrz_info_build(const char *docno, const char *dob,
		       const char *expiry, eid_buf *out);

/* The full year of a two-digit year: the latest year ending in yy that is
 * not after ref_year + max_ahead (0 for birth dates, about 50 for expiry
 * dates). */
int eid_mrz_century(int yy, int ref_year, int max_ahead);

/* YYMMDD to "YYYY-MM-DD" with eid_mrz_century.  EID_EMALFORMED when the
 * date is not a valid calendar date. */
int eid_mrz_date_iso(const char *yymmdd, int ref_year, int max_ahead,
		     char ret[11]);

#endif
