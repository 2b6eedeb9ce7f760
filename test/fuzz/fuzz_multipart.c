/* The multipart/form-data parser on arbitrary bytes: the first line is the
 * Content-Type header value, the rest the body.  Whatever it accepts must
 * lie inside the body and look up consistently. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/multipart.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct eid_multipart m;
	char ct[256], boundary[EID_MULTIPART_BOUNDARY_MAX + 1];
	const uint8_t *nl = memchr(data, '\n', size);
	const struct eid_multipart_part *p;
	size_t hl;

	if (nl == NULL || (hl = (size_t)(nl - data)) >= sizeof(ct))
		return 0;
	memcpy(ct, data, hl);
	ct[hl] = '\0';
	if (eid_multipart_boundary(ct, boundary) != EID_OK)
		return 0;
	if (eid_multipart_parse(boundary, nl + 1, size - hl - 1, &m) != EID_OK)
		return 0;
	for (size_t i = 0; i < m.count; i++) {
		const char *d = m.parts[i].data;

		if (d < (const char *)nl + 1 ||
		    d + m.parts[i].len > (const char *)data + size ||
		    m.parts[i].name[0] == '\0')
			abort();
		if (eid_multipart_get(&m, m.parts[i].name, &p) == EID_ENOTFOUND)
			abort();
	}
	return 0;
}
