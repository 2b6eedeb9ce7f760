/* gen_citizens: N valid registry citizens for the scale benchmarks.
 *
 *   gen_citizens --data DIR --count N [--batch B] [--map-mb M]
 *       write them straight into the store in DIR, B per write
 *       transaction (default 100000)
 *   gen_citizens --jsonl FILE --count N     the same records as JSON Lines
 *   gen_citizens --csv FILE --count N       ... as CSV with a header row
 *                                           (for `eidctl registry import`)
 *
 * Record i is the same in all three forms, so a file imported into one
 * store and the records written into another hold the same data.  Prints
 * one line: "generated N citizens in T s: R/s".  Exit 0, or 1 with one
 * line on stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/buf.h"
#include "crypto/error.h"
#include "idp/citizen.h"
#include "idp/personal_id.h"
#include "idp/registry.h"
#include "idp/store.h"

#define DEFAULT_BATCH 100000u
#define MAX_COUNT 60000000ull /* 60 provinces' worth of unique serials */
#define UPDATED_AT 1748736000 /* 2025-06-01: fixed, so runs compare */

enum out_kind { OUT_STORE, OUT_JSONL, OUT_CSV };

struct opts {
	enum out_kind kind;
	const char *target;
	uint64_t count;
	uint64_t batch;
	uint64_t map_mb;
};

static const char *const family[] = { "Nguyễn", "Trần", "Lê", "Phạm",
				       "Hoàng", "Huỳnh", "Phan", "Vũ",
				       "Võ", "Đặng", "Bùi", "Đỗ" };
static const char *const middle[] = { "Văn", "Thị", "Minh", "Ngọc",
				       "Đức", "Thu", "Quang", "Hồng" };
static const char *const given[] = { "An", "Bình", "Châu", "Dũng", "Giang",
				      "Hà", "Hải", "Hương", "Khang", "Lan",
				      "Linh", "Nam", "Phương", "Quân", "Thảo",
				      "Tuấn" };

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Record i: (province, serial) is unique for i < MAX_COUNT, which makes
 * the personal ID unique whatever the sex and year. */
static int make_citizen(uint64_t i, struct eid_citizen *c, eid_buf *why)
{
	size_t nprov;
	const struct eid_province *prov = eid_province_table(&nprov);
	const struct eid_province *p = &prov[(i / 1000000u) % nprov];
	enum eid_sex sex = (enum eid_sex)((i / 3u) % 2u);
	int year = 1940 + (int)((i * 7u) % 80u);
	int r;

	eid_citizen_init(c);
	r = eid_personal_id_make(p->code, sex, year, (uint32_t)(i % 1000000u),
				 c->personal_id);
	if (r != EID_OK)
		return r;
	memcpy(c->card_number, c->personal_id, sizeof(c->card_number));
	snprintf(c->full_name, sizeof(c->full_name), "%s %s %s",
		 family[i % COUNT_OF(family)],
		 sex == EID_SEX_FEMALE ? "Thị" : middle[i % COUNT_OF(middle)],
		 given[(i / 7u) % COUNT_OF(given)]);
	c->birthdate = (struct eid_date){ year, 1 + (int)(i % 12u),
					  1 + (int)(i % 28u) };
	c->sex = sex;
	c->has_sex = true;
	snprintf(c->ethnicity, sizeof(c->ethnicity), "Kinh");
	snprintf(c->place_of_origin, sizeof(c->place_of_origin), "%s", p->name);
	snprintf(c->residence, sizeof(c->residence), "Số %u, đường %u, %s",
		 (unsigned)(i % 500u) + 1, (unsigned)(i % 97u) + 1, p->name);
	c->card_issued = (struct eid_date){ 2021, 4, 10 };
	c->card_expires = (struct eid_date){ 2046, 4, 10 };
	c->updated_at = UPDATED_AT;
	return eid_citizen_check(c, EID_CITIZEN_NO_CLOCK, why);
}

static int write_store(const struct opts *o)
{
	struct eid_store_options so = { .map_size = o->map_mb << 20 };
	struct eid_citizen c;
	eid_store *s = NULL;
	eid_txn *t = NULL;
	eid_buf why;
	int r;

	eid_buf_init(&why, 256);
	if ((r = eid_store_open(o->target, &so, &s)) != EID_OK)
		goto out;
	for (uint64_t i = 0; i < o->count; i++) {
		if (t == NULL && (r = eid_store_begin(s, true, &t)) != EID_OK)
			goto out;
		if ((r = make_citizen(i, &c, &why)) != EID_OK ||
		    (r = eid_registry_put(t, &c)) != EID_OK)
			goto out;
		if ((i + 1) % o->batch == 0 || i + 1 == o->count) {
			r = eid_txn_commit(t);
			t = NULL;
			if (r != EID_OK)
				goto out;
		}
	}
	r = EID_OK;
out:
	if (r != EID_OK && why.len > 0)
		fprintf(stderr, "gen_citizens: %s\n", eid_buf_cstr(&why));
	eid_txn_abort(t);
	eid_store_close(s);
	eid_buf_free(&why);
	return r;
}

/* One CSV value, always quoted (RFC 4180: a quote doubles). */
static int csv_value(FILE *f, const char *v, bool last)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	fputc('"', f);
	fputc(last ? '\n' : ',', f);
	return ferror(f) ? EID_EIO : EID_OK;
}

static int write_csv_row(FILE *f, const struct eid_citizen *c)
{
	char birth[11], issued[11], expires[11];
	const char *values[10];
	size_t n = 0;
	int r = EID_OK;

	eid_date_format(&c->birthdate, birth);
	eid_date_format(&c->card_issued, issued);
	eid_date_format(&c->card_expires, expires);
	values[n++] = c->personal_id;
	values[n++] = c->full_name;
	values[n++] = birth;
	values[n++] = eid_sex_name(c->sex);
	values[n++] = c->ethnicity;
	values[n++] = c->place_of_origin;
	values[n++] = c->residence;
	values[n++] = c->card_number;
	values[n++] = issued;
	values[n++] = expires;
	for (size_t k = 0; k < n && r == EID_OK; k++)
		r = csv_value(f, values[k], k + 1 == n);
	return r;
}

static int write_file(const struct opts *o)
{
	struct eid_citizen c;
	eid_buf line, why;
	FILE *f;
	int r = EID_OK;

	f = fopen(o->target, "w");
	if (f == NULL) {
		fprintf(stderr, "gen_citizens: %s: %s\n", o->target,
			strerror(errno));
		return EID_EIO;
	}
	eid_buf_init(&line, EID_CITIZEN_JSON_MAX);
	eid_buf_init(&why, 256);
	if (o->kind == OUT_CSV)
		fputs("personal_id,full_name,birthdate,sex,ethnicity,"
		      "place_of_origin,residence,card_number,card_issued,"
		      "card_expires\n", f);
	for (uint64_t i = 0; i < o->count && r == EID_OK; i++) {
		if ((r = make_citizen(i, &c, &why)) != EID_OK)
			break;
		if (o->kind == OUT_CSV) {
			r = write_csv_row(f, &c);
			continue;
		}
		eid_buf_reset(&line);
		if ((r = eid_citizen_format_json(&c, &line)) == EID_OK &&
		    fwrite(line.data, 1, line.len, f) != line.len)
			r = EID_EIO;
		if (r == EID_OK && fputc('\n', f) == EOF)
			r = EID_EIO;
	}
	if (fclose(f) != 0 && r == EID_OK)
		r = EID_EIO;
	if (r != EID_OK && why.len > 0)
		fprintf(stderr, "gen_citizens: %s\n", eid_buf_cstr(&why));
	eid_buf_free(&line);
	eid_buf_free(&why);
	return r;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max,
		     uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min ||
	    v > max)
		return EID_EINVAL;
	*ret = v;
	return EID_OK;
}

static int usage(void)
{
	fputs("usage: gen_citizens (--data DIR [--batch B] [--map-mb M] | "
	      "--jsonl FILE | --csv FILE) --count N\n", stderr);
	return 2;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	bool have_count = false;

	*o = (struct opts){ .batch = DEFAULT_BATCH };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return EID_EINVAL;
		i++;
		if (strcmp(a, "--data") == 0 || strcmp(a, "--jsonl") == 0 ||
		    strcmp(a, "--csv") == 0) {
			if (o->target != NULL)
				return EID_EINVAL;
			o->target = v;
			o->kind = a[2] == 'd' ? OUT_STORE
				  : a[2] == 'j' ? OUT_JSONL : OUT_CSV;
		} else if (strcmp(a, "--count") == 0) {
			if (parse_u64(v, 1, MAX_COUNT, &o->count) != EID_OK)
				return EID_EINVAL;
			have_count = true;
		} else if (strcmp(a, "--batch") == 0) {
			if (parse_u64(v, 1, MAX_COUNT, &o->batch) != EID_OK)
				return EID_EINVAL;
		} else if (strcmp(a, "--map-mb") == 0) {
			if (parse_u64(v, 1, 1ull << 22, &o->map_mb) != EID_OK)
				return EID_EINVAL;
		} else {
			return EID_EINVAL;
		}
	}
	return o->target != NULL && have_count ? EID_OK : EID_EINVAL;
}

int main(int argc, char **argv)
{
	struct opts o;
	double t0, dt;
	int r;

	if (parse_args(argc, argv, &o) != EID_OK)
		return usage();
	t0 = seconds();
	r = o.kind == OUT_STORE ? write_store(&o) : write_file(&o);
	dt = seconds() - t0;
	if (r != EID_OK) {
		fprintf(stderr, "gen_citizens: %s: %s\n", o.target,
			eid_strerror(r));
		return 1;
	}
	printf("generated %llu citizens in %.3f s: %.0f/s\n",
	       (unsigned long long)o.count, dt, (double)o.count / dt);
	return 0;
}
