/* The import row reader (CSV and JSON Lines) on arbitrary bytes, without a
 * store: every row either decodes to a record that passes the checks or is
 * refused with a reason, and reading always ends. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/registry_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW INT64_C(1748736000)

static void read_all(const uint8_t *data, size_t size,
		     enum eid_import_format format)
{
	struct eid_import_options opt = { .format = format,
					  .max_line = 4096,
					  .max_field = 512 };
	eid_import_reader *rd = NULL;
	struct eid_citizen c;
	uint64_t line, last = 0;
	eid_buf why;
	FILE *f;
	int r;

	f = fmemopen((void *)data, size, "r");
	if (f == NULL)
		return;
	eid_buf_init(&why, 1024);
	if (eid_import_reader_open(f, &opt, NOW, &rd, &why) != EID_OK)
		goto out;
	for (;;) {
		eid_buf_reset(&why);
		r = eid_import_reader_next(rd, &c, &line, &why);
		if (r == 1)
			break;
		/* rows come in file order and each is accounted for */
		if (line <= last || (r != EID_OK && why.len == 0))
			__builtin_trap();
		last = line;
		if (r == EID_OK &&
		    eid_citizen_check(&c, NOW, NULL) != EID_OK)
			__builtin_trap();
		if (r != EID_OK && !eid_import_row_error(r))
			break;
	}
out:
	eid_import_reader_close(rd);
	eid_buf_free(&why);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	read_all(data, size, EID_IMPORT_AUTO);
	read_all(data, size, EID_IMPORT_CSV);
	return 0;
}
