#include "key_fixture.h"

#include <stdlib.h>

#include "crypto/error.h"

const eid_alg fixture_algs[3] = { EID_ALG_ES256, EID_ALG_RS256,
				  EID_ALG_PS256 };

int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	*state = f;
	for (int i = 0; i < 3; i++)
		if (eid_key_generate(fixture_algs[i], &f->keys[i]) != EID_OK)
			return -1;
	return 0;
}

int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; f != NULL && i < 3; i++)
		eid_key_free(f->keys[i]);
	free(f);
	return 0;
}
