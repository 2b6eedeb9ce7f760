#include "idp/registry_import.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/registry.h"

/* ---- the import ---- */

/* Personal IDs met so far in this file, with the line of each: an open
 * addressing table of 12-digit numbers (stored plus one; 0 is empty). */
struct seen {
	uint64_t *ids;
	uint64_t *lines;
	size_t cap; /* a power of two */
	size_t count;
};

static uint64_t id_number(const char *digits)
{
	uint64_t v = 0;

	for (size_t i = 0; i < EID_PERSONAL_ID_LEN; i++)
		v = v * 10 + (uint64_t)(digits[i] - '0');
	return v + 1;
}

static size_t seen_slot(const struct seen *s, uint64_t key)
{
	size_t i = (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 20);

	for (i &= s->cap - 1; s->ids[i] != 0 && s->ids[i] != key;
	     i = (i + 1) & (s->cap - 1))
		;
	return i;
}

static int seen_grow(struct seen *s)
{
	struct seen n = { NULL, NULL, s->cap ? s->cap * 2 : 1024, s->count };

	n.ids = calloc(n.cap, sizeof(*n.ids));
	n.lines = calloc(n.cap, sizeof(*n.lines));
	if (n.ids == NULL || n.lines == NULL) {
		free(n.ids);
		free(n.lines);
		return EID_ENOMEM;
	}
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;
		if (s->ids[i] == 0)
			continue;
		j = seen_slot(&n, s->ids[i]);
		n.ids[j] = s->ids[i];
		n.lines[j] = s->lines[i];
	}
	free(s->ids);
	free(s->lines);
	*s = n;
	return EID_OK;
}

/* Record the ID at line; *ret_first is 0 when new, else the line where the
 * ID was met first. */
static int seen_add(struct seen *s, const char *digits, uint64_t line,
		    uint64_t *ret_first)
{
	uint64_t key = id_number(digits);
	size_t i;
	int r;

	if (2 * (s->count + 1) > s->cap) {
		r = seen_grow(s);
		if (r != EID_OK)
			return r;
	}
	i = seen_slot(s, key);
	if (s->ids[i] == key) {
		*ret_first = s->lines[i];
		return EID_OK;
	}
	s->ids[i] = key;
	s->lines[i] = line;
	s->count++;
	*ret_first = 0;
	return EID_OK;
}

static void seen_free(struct seen *s)
{
	free(s->ids);
	free(s->lines);
}

struct import {
	eid_txn *txn;
	const struct eid_import_options *opt;
	int64_t now;
	struct seen seen;
	eid_buf packed;   /* the row's record */
	eid_buf stored;   /* the record already in the store */
	eid_buf why;      /* the current row's reason */
	struct eid_import_report rep;
};

static int reject(struct import *im, uint64_t line, int err)
{
	const char *text = eid_buf_cstr(&im->why);

	im->rep.rejected++;
	if (im->opt->on_reject == NULL)
		return EID_OK;
	return im->opt->on_reject(line, err, text != NULL ? text : "",
				  im->opt->arg);
}

/* Compare with what the store holds, then write when different. */
static int store_row(struct import *im, struct eid_citizen *c)
{
	struct eid_citizen old;
	bool found;
	int r;

	if (c->updated_at == 0)
		c->updated_at = im->now;
	eid_buf_reset(&im->packed);
	eid_buf_reset(&im->stored);
	r = eid_citizen_pack(c, &im->packed);
	if (r != EID_OK)
		return r;
	r = eid_registry_get_raw(im->txn, c->personal_id, &im->stored);
	if (r == EID_OK && im->stored.len == im->packed.len &&
	    memcmp(im->stored.data + EID_CITIZEN_PACK_HEADER,
		   im->packed.data + EID_CITIZEN_PACK_HEADER,
		   im->packed.len - EID_CITIZEN_PACK_HEADER) == 0) {
		im->rep.unchanged++;
		return EID_OK;
	}
	if (r != EID_OK && r != EID_ENOTFOUND)
		return r;
	found = r == EID_OK;
	if (found)
		im->rep.updated++;
	else
		im->rep.imported++;
	if (im->opt->dry_run)
		return EID_OK;
	/* the record replaced, read above: its guardian leaves the index */
	if (found && (r = eid_citizen_unpack(im->stored.data, im->stored.len,
					     &old)) != EID_OK)
		return r;
	r = eid_registry_guardian_index(im->txn, c, found ? &old : NULL);
	if (r != EID_OK)
		return r;
	return eid_txn_put(im->txn, EID_TABLE_REGISTRY, c->personal_id,
			   EID_PERSONAL_ID_LEN, im->packed.data,
			   im->packed.len);
}

static int import_row(struct import *im, struct eid_citizen *c,
		      uint64_t line)
{
	uint64_t first;
	int r;

	r = seen_add(&im->seen, c->personal_id, line, &first);
	if (r != EID_OK)
		return r;
	if (first != 0) {
		(void)eid_buf_printf(&im->why,
				     "personal_id: %s repeats line %llu",
				     c->personal_id,
				     (unsigned long long)first);
		return reject(im, line, EID_EEXIST);
	}
	return store_row(im, c);
}

static int import_all(struct import *im, eid_import_reader *rd)
{
	struct eid_citizen c;
	uint64_t line;
	int r;

	for (;;) {
		eid_buf_reset(&im->why);
		r = eid_import_reader_next(rd, &c, &line, &im->why);
		if (r == 1)
			return EID_OK;
		if (r == EID_OK) {
			im->rep.read++;
			r = import_row(im, &c, line);
		} else if (eid_import_row_error(r)) {
			im->rep.read++;
			r = reject(im, line, r);
		}
		if (r != EID_OK)
			return r;
	}
}

int eid_registry_import(eid_store *s, FILE *in,
			const struct eid_import_options *opt,
			struct eid_import_report *ret_report, eid_buf *why)
{
	struct import im;
	eid_import_reader *rd = NULL;
	int r;

	if (s == NULL || in == NULL || opt == NULL)
		return EID_EINVAL;
	memset(&im, 0, sizeof(im));
	im.opt = opt;
	im.now = opt->now != 0 ? opt->now : (int64_t)eid_store_now(s);
	eid_buf_init(&im.packed, EID_IMPORT_MAX_LINE);
	eid_buf_init(&im.stored, EID_IMPORT_MAX_LINE);
	eid_buf_init(&im.why, 1024);
	r = eid_import_reader_open(in, opt, im.now, &rd, why);
	if (r != EID_OK)
		goto out;
	r = eid_store_begin(s, !opt->dry_run, &im.txn);
	if (r != EID_OK)
		goto out;
	r = import_all(&im, rd);
	if (r != EID_OK) {
		if (r == EID_EIO && why != NULL)
			(void)eid_buf_put_str(why, "cannot read the input");
		goto out;
	}
	if (!opt->dry_run) {
		r = eid_txn_commit(im.txn);
		im.txn = NULL;
		if (r != EID_OK)
			goto out;
	}
	*ret_report = im.rep;
out:
	eid_txn_abort(im.txn);
	eid_import_reader_close(rd);
	seen_free(&im.seen);
	eid_buf_free(&im.packed);
	eid_buf_free(&im.stored);
	eid_buf_free(&im.why);
	return r;
}
