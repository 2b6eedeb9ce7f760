/* The HTTP Basic client credentials (RFC 6749 2.3.1) on arbitrary bytes:
 * whatever is accepted is a non-empty id and a secret, both free of
 * control bytes and NULs, and nothing is written on a refusal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/client_auth.h"
#include "idp/clients.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clean(const eid_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] < 0x20 || b->data[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = malloc(size + 1);
	eid_buf id, secret;
	int r;

	if (header == NULL)
		return 0;
	memcpy(header, data, size);
	header[size] = '\0';
	eid_buf_init(&id, EID_CLIENT_ID_MAX * 3);
	eid_buf_init_secret(&secret, EID_CLIENT_SECRET_MAX * 3);
	r = eid_client_basic_decode(header, &id, &secret);
	if (r == EID_OK) {
		if (id.len == 0 || strlen((const char *)id.data) != id.len ||
		    strlen((const char *)secret.data) != secret.len)
			abort();
		clean(&id);
		clean(&secret);
	} else {
		/* A refusal may leave the id decoded (the secret failed
		 * after it), never a byte the decoder refuses. */
		clean(&id);
		clean(&secret);
	}
	eid_buf_free(&id);
	eid_buf_free(&secret);
	free(header);
	return 0;
}
