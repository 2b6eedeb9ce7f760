/* Import speed: 200,000 generated citizens as CSV and as JSON Lines into a
 * fresh store, then the same CSV again (every row unchanged).  Prints
 * rows per second for each; the target is 100,000/s. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/error.h"
#include "idp/registry_import.h"

#define ROWS 200000u

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int generate(FILE *f, bool jsonl)
{
	size_t nprov;
	const struct eid_province *prov = eid_province_table(&nprov);

	if (!jsonl)
		fputs("personal_id,full_name,birthdate,sex,ethnicity,"
		      "place_of_origin,residence,card_number,card_issued,"
		      "card_expires\n", f);
	for (uint32_t i = 0; i < ROWS; i++) {
		enum eid_sex sex = (enum eid_sex)(i % 2);
		int year = 1940 + (int)(i % 80);
		char id[EID_PERSONAL_ID_LEN + 1];
		const char *place = prov[i % nprov].name;

		if (eid_personal_id_make(prov[i % nprov].code, sex, year, i,
					 id) != EID_OK)
			return -1;
		if (jsonl)
			fprintf(f, "{\"personal_id\":\"%s\",\"full_name\":"
				"\"Nguyễn Văn Thành %u\",\"birthdate\":"
				"\"%d-%02u-%02u\",\"sex\":\"%s\",\"ethnicity\":"
				"\"Kinh\",\"place_of_origin\":\"%s\","
				"\"residence\":\"Số %u, phường Bến Nghé, %s\","
				"\"card_number\":\"%s\",\"card_issued\":"
				"\"2021-04-10\",\"card_expires\":\"2046-04-10\"}\n",
				id, i, year, 1 + i % 12, 1 + i % 28,
				eid_sex_name(sex), place, i % 500, place, id);
		else
			fprintf(f, "%s,Nguyễn Văn Thành %u,%d-%02u-%02u,%s,Kinh,"
				"%s,\"Số %u, phường Bến Nghé, %s\",%s,"
				"2021-04-10,2046-04-10\n",
				id, i, year, 1 + i % 12, 1 + i % 28,
				eid_sex_name(sex), place, i % 500, place, id);
	}
	return ferror(f) ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

static int run(eid_store *s, FILE *f, const char *what)
{
	struct eid_import_options opt = { .now = 1748736000 };
	struct eid_import_report rep;
	double t0, dt;
	int r;

	rewind(f);
	t0 = seconds();
	r = eid_registry_import(s, f, &opt, &rep, NULL);
	dt = seconds() - t0;
	if (r != EID_OK || rep.read != ROWS || rep.rejected != 0) {
		fprintf(stderr, "%s: %s\n", what, eid_strerror(r));
		return 1;
	}
	printf("%-22s %u rows in %.3f s: %.0f rows/s (new %llu, unchanged %llu)\n",
	       what, ROWS, dt, ROWS / dt, (unsigned long long)rep.imported,
	       (unsigned long long)rep.unchanged);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/eid-bench-XXXXXX";
	eid_store *s = NULL;
	FILE *csv = tmpfile(), *jsonl = tmpfile();
	int bad = 1;

	if (csv == NULL || jsonl == NULL || mkdtemp(dir) == NULL ||
	    generate(csv, false) != 0 || generate(jsonl, true) != 0)
		goto out;
	if (eid_store_open(dir, NULL, &s) != EID_OK)
		goto out;
	bad = run(s, csv, "CSV, new records");
	bad |= run(s, csv, "CSV, unchanged");
	eid_store_close(s);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	s = NULL;
	if (mkdtemp(strcpy(dir, "/tmp/eid-bench-XXXXXX")) == NULL ||
	    eid_store_open(dir, NULL, &s) != EID_OK) {
		bad = 1;
		goto out;
	}
	bad |= run(s, jsonl, "JSON Lines, new");
out:
	eid_store_close(s);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (csv != NULL)
		fclose(csv);
	if (jsonl != NULL)
		fclose(jsonl);
	return bad;
}
