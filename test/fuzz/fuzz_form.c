/* The form/query parser on arbitrary bytes: whatever it accepts must look
 * up consistently and survive an encode/parse round trip unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/form.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const eid_form *f)
{
	const char *name, *value, *again;
	eid_form *g = NULL;
	eid_buf b;

	eid_buf_init(&b, 3 * EID_FORM_MAX_BYTES + 2 * EID_FORM_MAX_PAIRS);
	for (size_t i = 0; eid_form_pair(f, i, &name, &value) == EID_OK; i++)
		if (eid_form_encode_append(&b, name, value) != EID_OK)
			abort();
	/* Encoding can triple the size: only re-parse what fits the cap. */
	if (b.len <= EID_FORM_MAX_BYTES) {
		if (eid_form_parse((const char *)b.data, b.len, &g) != EID_OK ||
		    eid_form_count(g) != eid_form_count(f))
			abort();
		for (size_t i = 0; eid_form_pair(f, i, &name, &value) == EID_OK; i++) {
			if (eid_form_pair(g, i, NULL, &again) != EID_OK ||
			    strcmp(value, again) != 0)
				abort();
		}
	}
	eid_form_free(g);
	eid_buf_free(&b);
}

static void check_lookups(const eid_form *f)
{
	const char *name, *value, *got;
	size_t n;
	int r;

	for (size_t i = 0; eid_form_pair(f, i, &name, &value) == EID_OK; i++) {
		if (!eid_form_utf8_valid(name, strlen(name)) ||
		    !eid_form_utf8_valid(value, strlen(value)) || name[0] == '\0')
			abort();
		n = eid_form_occurrences(f, name);
		r = eid_form_get(f, name, &got);
		if ((n == 1 && r != EID_OK) || (n > 1 && r != EID_EINVAL) || n == 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eid_form *f = NULL;

	if (eid_form_parse((const char *)data, size, &f) != EID_OK)
		return 0;
	if (eid_form_count(f) > EID_FORM_MAX_PAIRS)
		abort();
	check_lookups(f);
	round_trip(f);
	eid_form_free(f);
	return 0;
}
