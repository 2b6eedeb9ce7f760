#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/error.h"
#include "idp/registry.h"
#include "tmpstore.h"
#include "idp/registry_import.h"

/* 2025-06-01T00:00:00Z */
#define NOW INT64_C(1748736000)

#define HEADER "personal_id,full_name,birthdate,sex\n"
#define ROW_A "079203000001,Trần Văn An,2003-12-31,male\n"
#define ROW_B "001185012345,Nguyễn Thị Lan,1985-03-14,female\n"

/* ---- helpers ---- */

struct rejection {
	uint64_t line;
	int err;
	char reason[160];
};

struct rejections {
	struct rejection r[16];
	size_t n;
	int answer; /* what the callback returns */
};

static int collect(uint64_t line, int err, const char *reason, void *arg)
{
	struct rejections *rs = arg;

	if (rs->n < 16) {
		rs->r[rs->n].line = line;
		rs->r[rs->n].err = err;
		snprintf(rs->r[rs->n].reason, sizeof(rs->r[rs->n].reason),
			 "%s", reason);
		rs->n++;
	}
	return rs->answer;
}

static FILE *text_file(const char *s)
{
	FILE *f = fmemopen((void *)s, strlen(s), "r");

	assert_non_null(f);
	return f;
}

/* Read every row of s; returns how many decoded, rejections in rs. */
static size_t read_rows(const char *s, enum eid_import_format format,
			struct rejections *rs, struct eid_citizen *last)
{
	struct eid_import_options opt = { .format = format };
	eid_import_reader *rd = NULL;
	struct eid_citizen c;
	size_t ok = 0;
	uint64_t line;
	eid_buf why;
	FILE *f = text_file(s);
	int r;

	eid_buf_init(&why, 1024);
	assert_int_equal(eid_import_reader_open(f, &opt, NOW, &rd, &why),
			 EID_OK);
	while ((r = eid_import_reader_next(rd, &c, &line, &why)) != 1) {
		if (r == EID_OK) {
			ok++;
			if (last != NULL)
				*last = c;
		} else {
			assert_true(eid_import_row_error(r));
			collect(line, r, eid_buf_cstr(&why), rs);
		}
		eid_buf_reset(&why);
	}
	eid_import_reader_close(rd);
	eid_buf_free(&why);
	fclose(f);
	return ok;
}

static void expect_rejection(const struct rejections *rs, size_t i,
			     uint64_t line, int err, const char *reason)
{
	assert_true(i < rs->n);
	if (rs->r[i].line != line || rs->r[i].err != err ||
	    strcmp(rs->r[i].reason, reason) != 0)
		fail_msg("rejection %zu: line %llu %s \"%s\"", i,
			 (unsigned long long)rs->r[i].line,
			 eid_errname(rs->r[i].err), rs->r[i].reason);
}

/* ---- the reader ---- */

static void test_csv_quoting(void **state)
{
	struct rejections rs = { 0 };
	struct eid_citizen c;
	const char *in =
		"\xef\xbb\xbfpersonal_id,full_name,birthdate,sex,residence\r\n"
		"079203000001,\"Trần, \"\"An\"\"\",2003-12-31,male,\"\"\r\n"
		"001185012345,B,1985-03-14,female,\"two\r\nlines\"\r\n"
		"001185012346,C,1985-03-14,female,\"x\"y\n"
		"001185012347,C\"x,1985-03-14,female,\n"
		"001185012348,C,1985-03-14,female\n"
		"\r\n"
		"001185012349,\"\",1985-03-14,female,\n"
		"001185012350,D,1985-03-14,female,\"a,b\"\n"
		"001185012351,\"open,1985-03-14,female,\n";

	assert_int_equal(read_rows(in, EID_IMPORT_AUTO, &rs, &c), 2);
	assert_string_equal(c.residence, "a,b");
	assert_int_equal(rs.n, 6);
	/* the quoted line break is read through (lines 3 and 4) and then
	 * refused as a control character in the value */
	expect_rejection(&rs, 0, 3, EID_EMALFORMED,
			 "residence: contains a control character");
	expect_rejection(&rs, 1, 5, EID_EMALFORMED,
			 "text after a closing quote");
	expect_rejection(&rs, 2, 6, EID_EMALFORMED,
			 "quote inside an unquoted value");
	expect_rejection(&rs, 3, 7, EID_EMALFORMED,
			 "4 values where the header has 5 columns");
	expect_rejection(&rs, 4, 9, EID_EMALFORMED, "full_name: required");
	expect_rejection(&rs, 5, 11, EID_EMALFORMED,
			 "unterminated quoted value");
}

static void test_csv_first_row_and_escapes(void **state)
{
	struct rejections rs = { 0 };
	struct eid_citizen c;

	assert_int_equal(read_rows("personal_id,full_name,birthdate,sex\n"
				   "079203000001,\"Trần, \"\"An\"\"\","
				   "2003-12-31,male",
				   EID_IMPORT_CSV, &rs, &c), 1);
	assert_string_equal(c.full_name, "Trần, \"An\"");
	assert_int_equal(rs.n, 0);
	/* quoted header names, other column order, optional columns */
	assert_int_equal(read_rows("\"sex\",birthdate,full_name,personal_id,"
				   "card_status,nationality\r\n"
				   "female,1985-03-14,B,001185012345,"
				   "revoked,LAO\r\n",
				   EID_IMPORT_AUTO, &rs, &c), 1);
	assert_int_equal(c.card_status, EID_CARD_REVOKED);
	assert_string_equal(c.nationality, "LAO");
}

static void test_jsonl(void **state)
{
	struct rejections rs = { 0 };
	struct eid_citizen c;
	const char *in =
		"\xef\xbb\xbf{\"personal_id\":\"079203000001\",\"full_name\":"
		"\"A\",\"birthdate\":\"2003-12-31\",\"sex\":\"male\"}\n"
		"\n"
		"not json\n"
		"{\"personal_id\":\"079203000001\",\"full_name\":\"A\","
		"\"birthdate\":\"2003-12-31\",\"sex\":\"male\",\"x\":\"1\"}\r\n"
		"{\"personal_id\":\"001185012345\",\"full_name\":\"B\","
		"\"birthdate\":\"1985-03-14\",\"sex\":\"female\"}\r\n";

	assert_int_equal(read_rows(in, EID_IMPORT_AUTO, &rs, &c), 2);
	assert_string_equal(c.personal_id, "001185012345");
	assert_int_equal(rs.n, 2);
	expect_rejection(&rs, 0, 3, EID_EMALFORMED,
			 "invalid JSON: '[' or '{' expected near 'not' "
			 "(column 3)");
	expect_rejection(&rs, 1, 4, EID_EMALFORMED, "unknown field \"x\"");
}

static void expect_bad_header(const char *in, enum eid_import_format fmt,
			      const char *reason)
{
	struct eid_import_options opt = { .format = fmt };
	eid_import_reader *rd = NULL;
	eid_buf why;
	FILE *f = text_file(in);

	eid_buf_init(&why, 256);
	assert_int_equal(eid_import_reader_open(f, &opt, NOW, &rd, &why),
			 EID_EMALFORMED);
	assert_null(rd);
	assert_string_equal(eid_buf_cstr(&why), reason);
	eid_buf_free(&why);
	fclose(f);
}

static void test_bad_headers(void **state)
{
	expect_bad_header("personal_id,full_name,nickname\n", EID_IMPORT_AUTO,
			  "unknown column \"nickname\"");
	expect_bad_header("personal_id,full_name,birthdate,sex,sex\n",
			  EID_IMPORT_AUTO, "column \"sex\" appears twice");
	expect_bad_header("personal_id,full_name,sex\n", EID_IMPORT_AUTO,
			  "missing column \"birthdate\"");
	expect_bad_header("", EID_IMPORT_CSV, "no header row");
	expect_bad_header("{\"personal_id\":1}\n", EID_IMPORT_CSV,
			  "header: quote inside an unquoted value");
	expect_bad_header("\"personal_id\"x,full_name\n", EID_IMPORT_AUTO,
			  "header: text after a closing quote");
}

static void test_caps(void **state)
{
	struct eid_import_options opt = { .max_line = 80, .max_field = 20 };
	eid_import_reader *rd = NULL;
	struct eid_citizen c;
	uint64_t line = 0;
	eid_buf why;
	char in[512];
	FILE *f;

	snprintf(in, sizeof(in), HEADER
		 "079203000001,%s,2003-12-31,male\n"
		 "079203000001,%s,2003-12-31,male\n" ROW_B,
		 "aaaaaaaaaaaaaaaaaaaaa", /* 21 bytes */
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		 "bbbbbbbbbbbbbbbbbbbbbbb");
	f = text_file(in);
	eid_buf_init(&why, 256);
	assert_int_equal(eid_import_reader_open(f, &opt, NOW, &rd, &why),
			 EID_OK);
	assert_int_equal(eid_import_reader_next(rd, &c, &line, &why),
			 EID_ETOOBIG);
	assert_int_equal(line, 2);
	assert_string_equal(eid_buf_cstr(&why), "value longer than 20 bytes");
	eid_buf_reset(&why);
	assert_int_equal(eid_import_reader_next(rd, &c, &line, &why),
			 EID_ETOOBIG);
	assert_int_equal(line, 3);
	assert_string_equal(eid_buf_cstr(&why), "row longer than 80 bytes");
	/* the next row is read normally */
	assert_int_equal(eid_import_reader_next(rd, &c, &line, &why), EID_OK);
	assert_int_equal(line, 4);
	assert_int_equal(eid_import_reader_next(rd, &c, &line, &why), 1);
	eid_import_reader_close(rd);
	eid_buf_free(&why);
	fclose(f);
}

/* ---- the import into a store ---- */

static int run_import(struct tmpstore *fx, const char *in, bool dry_run,
		      struct rejections *rs, struct eid_import_report *rep)
{
	struct eid_import_options opt = { .dry_run = dry_run,
					  .on_reject = collect, .arg = rs };
	FILE *f = text_file(in);
	int r;

	memset(rep, 0xff, sizeof(*rep));
	r = eid_registry_import(fx->store, f, &opt, rep, NULL);
	fclose(f);
	return r;
}

static uint64_t registry_count(struct tmpstore *fx)
{
	eid_txn *t = NULL;
	uint64_t n = 0;

	assert_int_equal(eid_store_begin(fx->store, false, &t), EID_OK);
	assert_int_equal(eid_txn_count(t, EID_TABLE_REGISTRY, &n), EID_OK);
	eid_txn_abort(t);
	return n;
}

static void expect_report(const struct eid_import_report *rep, uint64_t read,
			  uint64_t imported, uint64_t updated,
			  uint64_t unchanged, uint64_t rejected)
{
	assert_int_equal(rep->read, read);
	assert_int_equal(rep->imported, imported);
	assert_int_equal(rep->updated, updated);
	assert_int_equal(rep->unchanged, unchanged);
	assert_int_equal(rep->rejected, rejected);
}

static void test_import_one_bad_row(void **state)
{
	struct tmpstore *fx = *state;
	struct rejections rs = { 0 };
	struct eid_import_report rep;
	struct eid_citizen c;
	eid_txn *t = NULL;

	assert_int_equal(run_import(fx, HEADER ROW_A
				    "003185012345,X,1985-03-14,female\n"
				    ROW_B, false, &rs, &rep), EID_OK);
	expect_report(&rep, 3, 2, 0, 0, 1);
	assert_int_equal(rs.n, 1);
	expect_rejection(&rs, 0, 3, EID_EMALFORMED,
			 "personal_id: personal ID has unknown province "
			 "code 003");
	assert_int_equal(registry_count(fx), 2);

	assert_int_equal(eid_store_begin(fx->store, false, &t), EID_OK);
	assert_int_equal(eid_registry_get(t, "001185012345", &c), EID_OK);
	assert_string_equal(c.full_name, "Nguyễn Thị Lan");
	assert_int_equal(c.updated_at, NOW); /* stamped by the import */
	assert_int_equal(eid_registry_get(t, "003185012345", &c),
			 EID_EMALFORMED);
	eid_txn_abort(t);
}

static void test_import_idempotent_and_updates(void **state)
{
	struct tmpstore *fx = *state;
	struct rejections rs = { 0 };
	struct eid_import_report rep;
	struct eid_citizen c;
	eid_txn *t = NULL;

	assert_int_equal(run_import(fx, HEADER ROW_A ROW_B, false, &rs, &rep),
			 EID_OK);
	expect_report(&rep, 2, 2, 0, 0, 0);
	assert_int_equal(run_import(fx, HEADER ROW_A ROW_B, false, &rs, &rep),
			 EID_OK);
	expect_report(&rep, 2, 0, 0, 2, 0);
	/* the same records as JSON Lines are the same records */
	assert_int_equal(run_import(fx,
		"{\"personal_id\":\"079203000001\",\"full_name\":\"Trần Văn An\","
		"\"birthdate\":\"2003-12-31\",\"sex\":\"male\","
		"\"nationality\":\"VNM\",\"updated_at\":\"2030-01-01T00:00:00Z\"}\n",
		false, &rs, &rep), EID_OK);
	expect_report(&rep, 1, 0, 0, 1, 0);
	/* a changed field replaces the record */
	assert_int_equal(run_import(fx, HEADER ROW_A
				    "001185012345,Nguyễn Thị Hoa,1985-03-14,"
				    "female\n", false, &rs, &rep), EID_OK);
	expect_report(&rep, 2, 0, 1, 1, 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(eid_store_begin(fx->store, false, &t), EID_OK);
	assert_int_equal(eid_registry_get(t, "001185012345", &c), EID_OK);
	assert_string_equal(c.full_name, "Nguyễn Thị Hoa");
	eid_txn_abort(t);
	assert_int_equal(registry_count(fx), 2);
}

/* Names are stored as NFC: a file with them decomposed imports the same
 * records (unchanged on a second import of the precomposed file). */
static void test_import_stores_nfc(void **state)
{
	struct tmpstore *fx = *state;
	struct rejections rs = { 0 };
	struct eid_import_report rep;
	struct eid_citizen c;
	eid_txn *t = NULL;

	assert_int_equal(run_import(fx, HEADER "001185012345,Nguye\xcc\x82"
				    "\xcc\x83n Thi\xcc\xa3 Lan,1985-03-14,"
				    "female\n", false, &rs, &rep), EID_OK);
	expect_report(&rep, 1, 1, 0, 0, 0);
	assert_int_equal(eid_store_begin(fx->store, false, &t), EID_OK);
	assert_int_equal(eid_registry_get(t, "001185012345", &c), EID_OK);
	assert_string_equal(c.full_name, "Nguyễn Thị Lan");
	eid_txn_abort(t);
	assert_int_equal(run_import(fx, HEADER ROW_B, false, &rs, &rep), EID_OK);
	expect_report(&rep, 1, 0, 0, 1, 0);
}

static void test_import_duplicate_in_file(void **state)
{
	struct tmpstore *fx = *state;
	struct rejections rs = { 0 };
	struct eid_import_report rep;

	assert_int_equal(run_import(fx, HEADER ROW_A ROW_B
				    "079203000001,Trần Văn Bình,2003-12-31,"
				    "male\n", false, &rs, &rep), EID_OK);
	expect_report(&rep, 3, 2, 0, 0, 1);
	expect_rejection(&rs, 0, 4, EID_EEXIST,
			 "personal_id: 079203000001 repeats line 2");
}

static void test_import_dry_run(void **state)
{
	struct tmpstore *fx = *state;
	struct rejections rs = { 0 };
	struct eid_import_report rep;

	assert_int_equal(run_import(fx, HEADER ROW_A, false, &rs, &rep),
			 EID_OK);
	assert_int_equal(run_import(fx, HEADER ROW_A ROW_B
				    "001185012345,B,1985-03-14,male\n",
				    true, &rs, &rep), EID_OK);
	expect_report(&rep, 3, 1, 0, 1, 1);
	expect_rejection(&rs, 0, 4, EID_EMISMATCH,
			 "personal_id: encodes sex female, sex says male");
	assert_int_equal(registry_count(fx), 1);
}

static void test_import_all_or_nothing(void **state)
{
	struct tmpstore *fx = *state;
	struct rejections rs = { .answer = EID_EPERM };
	struct eid_import_report rep;
	eid_buf why;
	FILE *f;

	/* the callback stops the import at the bad row: nothing is kept */
	assert_int_equal(run_import(fx, HEADER ROW_A "bad,row\n" ROW_B, false,
				    &rs, &rep), EID_EPERM);
	assert_int_equal(rep.read, UINT64_MAX); /* report untouched */
	assert_int_equal(registry_count(fx), 0);

	/* a bad header fails the whole file up front */
	eid_buf_init(&why, 256);
	f = text_file("personal_id,full_name,birthdate,sex,shoe_size\n" ROW_A);
	assert_int_equal(eid_registry_import(fx->store, f,
		&(struct eid_import_options){ 0 }, &rep, &why),
		EID_EMALFORMED);
	assert_string_equal(eid_buf_cstr(&why),
			    "unknown column \"shoe_size\"");
	fclose(f);
	eid_buf_free(&why);
	assert_int_equal(registry_count(fx), 0);

	/* an empty file imports nothing, successfully */
	assert_int_equal(run_import(fx, "", false, &rs, &rep), EID_OK);
	expect_report(&rep, 0, 0, 0, 0, 0);
}

/* How many wards the registry lists for guardian_id. */
static size_t ward_count(struct tmpstore *fx, const char *guardian_id)
{
	char ids[4][EID_PERSONAL_ID_LEN + 1];
	eid_txn *t = NULL;
	size_t n = 0;

	assert_int_equal(eid_store_begin(fx->store, false, &t), EID_OK);
	assert_int_equal(eid_registry_wards(t, guardian_id, ids, 4, &n),
			 EID_OK);
	eid_txn_abort(t);
	return n;
}

#define GUARDED_HEADER "personal_id,full_name,birthdate,sex,guardian_id\n"
#define GUARDIAN_1 "001060000001"
#define GUARDIAN_2 "001185012345"

/* The guardian index follows the imported record: a new guardian is
 * listed, the one it replaces is not any more, a record without one
 * leaves none; an import stopped half-way changes neither. */
static void test_import_guardian_index(void **state)
{
	struct tmpstore *fx = *state;
	struct rejections rs = { 0 };
	struct eid_import_report rep;

	assert_int_equal(run_import(fx, GUARDED_HEADER
				    "079203000001,Trần Văn An,2003-12-31,male,"
				    GUARDIAN_1 "\n", false, &rs, &rep), EID_OK);
	expect_report(&rep, 1, 1, 0, 0, 0);
	assert_int_equal(ward_count(fx, GUARDIAN_1), 1);
	assert_int_equal(ward_count(fx, GUARDIAN_2), 0);

	assert_int_equal(run_import(fx, GUARDED_HEADER
				    "079203000001,Trần Văn An,2003-12-31,male,"
				    GUARDIAN_2 "\n", false, &rs, &rep), EID_OK);
	expect_report(&rep, 1, 0, 1, 0, 0);
	assert_int_equal(ward_count(fx, GUARDIAN_1), 0);
	assert_int_equal(ward_count(fx, GUARDIAN_2), 1);

	/* stopped at the bad second row: the first row's change is undone */
	rs.answer = EID_EPERM;
	assert_int_equal(run_import(fx, GUARDED_HEADER
				    "079203000001,Trần Văn An,2003-12-31,male,"
				    GUARDIAN_1 "\nbad,row\n", false, &rs, &rep),
			 EID_EPERM);
	assert_int_equal(ward_count(fx, GUARDIAN_1), 0);
	assert_int_equal(ward_count(fx, GUARDIAN_2), 1);
	rs.answer = EID_OK;

	assert_int_equal(run_import(fx, HEADER ROW_A, false, &rs, &rep),
			 EID_OK);
	expect_report(&rep, 1, 0, 1, 0, 0);
	assert_int_equal(ward_count(fx, GUARDIAN_1), 0);
	assert_int_equal(ward_count(fx, GUARDIAN_2), 0);
}

/* A failed import leaves a store that had records exactly as it was:
 * the records, updated or not, and their count. */
static void test_import_failure_keeps_store(void **state)
{
	struct tmpstore *fx = *state;
	struct rejections rs = { 0 };
	struct eid_import_report rep;
	struct eid_citizen c;
	eid_txn *t = NULL;

	assert_int_equal(run_import(fx, HEADER ROW_A ROW_B, false, &rs, &rep),
			 EID_OK);
	rs.answer = EID_EPERM;
	assert_int_equal(run_import(fx, HEADER
				    "079203000001,Trần Văn Bình,2003-12-31,"
				    "male\n"
				    "036090000123,Lê Văn Cường,1990-05-05,male\n"
				    "bad,row\n", false, &rs, &rep), EID_EPERM);
	assert_int_equal(registry_count(fx), 2);
	assert_int_equal(eid_store_begin(fx->store, false, &t), EID_OK);
	assert_int_equal(eid_registry_get(t, "079203000001", &c), EID_OK);
	assert_string_equal(c.full_name, "Trần Văn An");
	assert_int_equal(eid_registry_get(t, "036090000123", &c),
			 EID_ENOTFOUND);
	eid_txn_abort(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_csv_first_row_and_escapes),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_caps),
		cmocka_unit_test_setup_teardown(test_import_one_bad_row,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(
			test_import_idempotent_and_updates, tmpstore_setup,
			tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_import_stores_nfc,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_import_duplicate_in_file,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_import_dry_run,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_import_all_or_nothing,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_import_guardian_index,
						tmpstore_setup,
						tmpstore_teardown),
		cmocka_unit_test_setup_teardown(test_import_failure_keeps_store,
						tmpstore_setup,
						tmpstore_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
