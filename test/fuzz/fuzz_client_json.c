/* The stored client record decoder on arbitrary bytes: whatever decodes
 * must encode and decode again to the same output, and the public JSON of
 * it must never carry the secret hash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/clients.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct eid_client *c)
{
	struct eid_client back;
	eid_buf a, b;
	json_t *pub = NULL;

	eid_buf_init(&a, EID_CLIENT_JSON_MAX * 2);
	eid_buf_init(&b, EID_CLIENT_JSON_MAX * 2);
	if (eid_client_encode(c, &a) != EID_OK ||
	    eid_client_decode(a.data, a.len, &back) != EID_OK)
		__builtin_trap();
	if (eid_client_encode(&back, &b) != EID_OK || a.len != b.len ||
	    memcmp(a.data, b.data, a.len) != 0)
		__builtin_trap();
	if (eid_client_to_json(&back, &pub) != EID_OK ||
	    json_object_get(pub, "secret_hash") != NULL)
		__builtin_trap();
	json_decref(pub);
	eid_client_clear(&back);
	eid_buf_free(&a);
	eid_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_client c;

	if (eid_client_decode(data, size, &c) == EID_OK) {
		(void)eid_client_redirect_allowed(&c, "https://rp.example/cb");
		(void)eid_client_check_secret(&c, "x", 1);
		round_trip(&c);
		eid_client_clear(&c);
	}
	return 0;
}
