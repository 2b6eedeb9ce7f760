/* Trust material from outside (a downloaded master list, CRL or CSCA
 * file): every CSCA-store entry point on the same bytes. */
#include <stdint.h>
#include <time.h>

/* A fixed moment keeps replays deterministic. */

#include "chip/pa.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eid_csca_store *s = NULL;
	size_t added = 0;
	bool verified = true;

	if (eid_csca_store_new(&s) != EID_OK)
		__builtin_trap();
	/* An empty store vouches for nobody. */
	if (eid_csca_store_import_master_list(s, data, size, (time_t)1767225600,
					      false, &added, &verified) ==
		    EID_OK &&
	    verified)
		__builtin_trap();
	(void)eid_csca_store_add_der(s, data, size);
	(void)eid_csca_store_add_pem(s, (const char *)data, size);
	(void)eid_csca_store_add_crl(s, data, size);
	eid_csca_store_free(s);
	return 0;
}
