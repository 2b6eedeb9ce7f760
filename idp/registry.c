#include "idp/registry.h"

#include <stdlib.h>

#include "crypto/error.h"

/* A packed record is a few hundred bytes; this bounds a damaged one. */
#define RECORD_MAX (16u * 1024)

int eid_registry_lookup(const eid_registry *reg, const char *personal_id,
			struct eid_citizen *ret)
{
	if (reg == NULL || reg->lookup == NULL || personal_id == NULL)
		return EID_EINVAL;
	return reg->lookup(reg->ctx, personal_id, ret);
}

void eid_registry_close(eid_registry *reg)
{
	if (reg == NULL)
		return;
	if (reg->close != NULL)
		reg->close(reg->ctx);
	reg->lookup = NULL;
	reg->close = NULL;
	reg->ctx = NULL;
}

int eid_registry_put(eid_txn *t, const struct eid_citizen *c)
{
	eid_buf rec;
	int r;

	r = eid_citizen_check(c, EID_CITIZEN_NO_CLOCK, NULL);
	if (r != EID_OK)
		return r;
	eid_buf_init(&rec, RECORD_MAX);
	r = eid_citizen_pack(c, &rec);
	if (r == EID_OK)
		r = eid_txn_put(t, EID_TABLE_REGISTRY, c->personal_id,
				EID_PERSONAL_ID_LEN, rec.data, rec.len);
	eid_buf_free(&rec);
	return r;
}

int eid_registry_get_raw(eid_txn *t, const char *personal_id, eid_buf *out)
{
	struct eid_personal_id id;
	int r;

	r = eid_personal_id_parse(personal_id, &id);
	if (r != EID_OK)
		return r;
	return eid_txn_get(t, EID_TABLE_REGISTRY, id.digits,
			   EID_PERSONAL_ID_LEN, out);
}

int eid_registry_get(eid_txn *t, const char *personal_id,
		     struct eid_citizen *ret)
{
	eid_buf rec;
	int r;

	eid_buf_init(&rec, RECORD_MAX);
	r = eid_registry_get_raw(t, personal_id, &rec);
	if (r == EID_OK)
		r = eid_citizen_unpack(rec.data, rec.len, ret);
	eid_buf_free(&rec);
	return r;
}

static int local_lookup(void *ctx, const char *personal_id,
			struct eid_citizen *ret)
{
	eid_txn *t = NULL;
	int r;

	r = eid_store_begin(ctx, false, &t);
	if (r != EID_OK)
		return r;
	r = eid_registry_get(t, personal_id, ret);
	eid_txn_abort(t);
	return r;
}

int eid_registry_open_local(eid_store *s, eid_registry *ret)
{
	if (s == NULL || ret == NULL)
		return EID_EINVAL;
	ret->lookup = local_lookup;
	ret->close = NULL; /* the store belongs to the caller */
	ret->ctx = s;
	return EID_OK;
}
