/* Differential target for crypto/json_write: any JSON text jansson
 * accepts must be written by eid_json_dumps byte for byte as json_dumps
 * writes it (compact, insertion order), and read back equal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/json_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	if (theirs != NULL) {
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
