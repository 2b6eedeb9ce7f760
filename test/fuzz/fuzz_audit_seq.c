/* History cursors (?before=SEQ): whatever parses prints back as the same
 * digits. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char again[32];
	uint64_t seq = 0;

	if (eid_audit_seq_parse((const char *)data, size, &seq) != EID_OK)
		return 0;
	if (seq == 0 ||
	    snprintf(again, sizeof(again), "%" PRIu64, seq) != (int)size ||
	    memcmp(again, data, size) != 0)
		__builtin_trap();
	return 0;
}
