/* Differential target for idp/json_flat: whatever it accepts, jansson
 * (JSON_REJECT_DUPLICATES, as the registry import uses it) accepts with
 * the same members and values; a duplicate key seen by the callback is
 * the caller's to refuse, so such input only has to parse in both. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/error.h"
#include "idp/json_flat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct collect {
	json_t *obj;
	int dup;
};

static int add(const struct eid_json_flat_member *m, void *arg)
{
	struct collect *c = arg;
	json_t *v;

	if (strlen(m->key) != m->klen ||
	    (m->value != NULL && strlen(m->value) != m->vlen))
		abort(); /* no NUL may come through */
	if (json_object_get(c->obj, m->key) != NULL)
		c->dup = 1;
	v = m->value == NULL ? json_null() : json_stringn(m->value, m->vlen);
	if (v == NULL)
		abort(); /* jansson refuses the bytes: not valid UTF-8 */
	json_object_set_new(c->obj, m->key, v);
	return EID_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collect c = { json_object(), 0 };
	eid_buf scratch;
	json_t *theirs;
	int r;

	eid_buf_init(&scratch, 1u << 16);
	r = eid_json_flat_parse((const char *)data, size, &scratch, add, &c);
	eid_buf_free(&scratch);
	if (r == EID_OK) {
		theirs = json_loadb((const char *)data, size,
				    c.dup ? 0 : JSON_REJECT_DUPLICATES, NULL);
		if (theirs == NULL || (!c.dup && !json_equal(theirs, c.obj)))
			abort();
		json_decref(theirs);
	}
	json_decref(c.obj);
	return 0;
}
