/* Differential target for crypto/json_write: any JSON text jansson
 * accepts must be written by eid_json_dumps byte for byte as json_dumps
 * writes it (compact, insertion order), and read back equal; except that
 * our writer refuses, by design, values nested EID_JSON_WRITE_DEPTH deep
 * or more (jansson reads up to 2048), and must refuse exactly those. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/json_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The nesting level of v's deepest value (v itself is level 0). */
static unsigned deepest(const json_t *v)
{
	unsigned most = 0, d;
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, m)
			if ((d = 1 + deepest(m)) > most)
				most = d;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if ((d = 1 + deepest(m)) > most)
				most = d;
	}
	return most;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size,
			       JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	json_t *back;
	char *ours, *theirs;

	if (v == NULL)
		return 0;
	ours = eid_json_dumps(v);
	theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (deepest(v) >= EID_JSON_WRITE_DEPTH) {
		if (ours != NULL)
			abort();
	} else if (theirs != NULL) {
		if (ours == NULL || strcmp(ours, theirs) != 0)
			abort();
		back = json_loads(ours, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (back == NULL || !json_equal(back, v))
			abort();
		json_decref(back);
	}
	free(ours);
	free(theirs);
	json_decref(v);
	return 0;
}
