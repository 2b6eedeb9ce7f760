/* Arbitrary bytes as a configuration file: nothing may crash, leak or read
 * out of bounds, and a failed load must leave the defaults intact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_config c;
	eid_buf err;
	char *text;
	int r;

	if (size > EID_CONFIG_MAX_FILE)
		return 0;
	/* The API takes a C string: copy into an exact NUL-terminated one. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (eid_config_defaults(&c) != EID_OK) {
		free(text);
		return 0;
	}
	eid_buf_init(&err, EID_CONFIG_ERR_MAX);
	r = eid_config_load_string(&c, "fuzz.conf", text, &err);
	/* Exactly one outcome: success and no message, or a message. */
	if ((r == EID_OK) != (err.len == 0))
		abort();
	if (r != EID_OK && c.server.issuer == NULL)
		abort();
	eid_buf_free(&err);
	eid_config_free(&c);
	free(text);
	return 0;
}
