#include "idp/cbor_util.h"

#include <string.h>

#include "crypto/buf.h"
#include "crypto/error.h"

/* The argument of an item's head (RFC 8949 3): EID_EMALFORMED for the
 * reserved values and for indefinite lengths, which we do not take. */
static int head(eid_rd *r, uint8_t *ret_major, uint64_t *ret_arg)
{
	uint8_t ib, u8;
	uint16_t u16;
	uint32_t u32;
	int rc;

	if ((rc = eid_rd_u8(r, &ib)) != EID_OK)
		return rc;
	*ret_major = ib >> 5;
	switch (ib & 0x1f) {
	case 24:
		rc = eid_rd_u8(r, &u8);
		*ret_arg = u8;
		return rc;
	case 25:
		rc = eid_rd_u16be(r, &u16);
		*ret_arg = u16;
		return rc;
	case 26:
		rc = eid_rd_u32be(r, &u32);
		*ret_arg = u32;
		return rc;
	case 27:
		return eid_rd_u64be(r, ret_arg);
	case 28: case 29: case 30: case 31:
		return EID_EMALFORMED;
	default:
		*ret_arg = ib & 0x1f;
		return EID_OK;
	}
}

/* Walk one item without building it: every count must fit in the bytes
 * left (each member takes at least one), nesting at most
 * EID_CBOR_MAX_DEPTH.  libcbor allocates what a map or array head
 * announces before reading its members, so it only sees walked input. */
static int walk(eid_rd *r, unsigned depth)
{
	uint8_t major;
	uint64_t arg, i;
	int rc;

	if (depth > EID_CBOR_MAX_DEPTH)
		return EID_EMALFORMED;
	if ((rc = head(r, &major, &arg)) != EID_OK)
		return rc;
	switch (major) {
	case 2: /* byte string */
	case 3: /* text string */
		return arg > eid_rd_left(r) ? EID_ETRUNCATED :
					      eid_rd_skip(r, (size_t)arg);
	case 4: /* array */
	case 5: /* map: twice as many items */
		if (arg > eid_rd_left(r) / (major == 5 ? 2 : 1))
			return EID_ETRUNCATED;
		if (major == 5)
			arg *= 2;
		for (i = 0; i < arg; i++)
			if ((rc = walk(r, depth + 1)) != EID_OK)
				return rc;
		return EID_OK;
	case 6: /* tag */
		return walk(r, depth + 1);
	default: /* integers, simple values, floats: the head is all */
		return EID_OK;
	}
}

int eid_cbor_load_prefix(const uint8_t *p, size_t n, size_t max,
			 cbor_item_t **ret, size_t *ret_len)
{
	struct cbor_load_result res;
	eid_rd r = eid_rd_make(p, n < max ? n : max);
	cbor_item_t *it;
	int rc;

	if (p == NULL || n == 0)
		return EID_EMALFORMED;
	if ((rc = walk(&r, 0)) != EID_OK)
		return rc == EID_ETRUNCATED && n > max ? EID_ETOOBIG :
							 EID_EMALFORMED;
	it = cbor_load(p, r.off, &res);
	if (it == NULL)
		return res.error.code == CBOR_ERR_MEMERROR ? EID_ENOMEM :
							     EID_EMALFORMED;
	if (res.read != r.off) {
		cbor_decref(&it);
		return EID_EMALFORMED;
	}
	*ret = it;
	*ret_len = res.read;
	return EID_OK;
}

int eid_cbor_load_all(const uint8_t *p, size_t n, size_t max,
		      cbor_item_t **ret)
{
	cbor_item_t *it = NULL;
	size_t len;
	int r;

	if (n > max)
		return EID_ETOOBIG;
	if ((r = eid_cbor_load_prefix(p, n, max, &it, &len)) != EID_OK)
		return r;
	if (len != n) {
		cbor_decref(&it);
		return EID_EMALFORMED;
	}
	*ret = it;
	return EID_OK;
}

int eid_cbor_int(const cbor_item_t *it, int64_t *ret)
{
	uint64_t v;

	if (it == NULL || !(cbor_isa_uint(it) || cbor_isa_negint(it)))
		return EID_EMALFORMED;
	v = cbor_get_int(it);
	if (v > INT64_MAX)
		return EID_EMALFORMED;
	/* A negative integer encodes -1 - v. */
	*ret = cbor_isa_uint(it) ? (int64_t)v : -1 - (int64_t)v;
	return EID_OK;
}

int eid_cbor_bytes(const cbor_item_t *it, const uint8_t **ret, size_t *ret_n)
{
	if (it == NULL || !cbor_isa_bytestring(it) ||
	    !cbor_bytestring_is_definite(it))
		return EID_EMALFORMED;
	*ret = cbor_bytestring_handle(it);
	*ret_n = cbor_bytestring_length(it);
	return EID_OK;
}

static bool key_is_int(const cbor_item_t *k, int64_t key)
{
	int64_t v;

	return eid_cbor_int(k, &v) == EID_OK && v == key;
}

static bool key_is_str(const cbor_item_t *k, const char *key)
{
	size_t n = strlen(key);

	return cbor_isa_string(k) && cbor_string_is_definite(k) &&
	       cbor_string_length(k) == n &&
	       memcmp(cbor_string_handle(k), key, n) == 0;
}

static int find(const cbor_item_t *m, int64_t ikey, const char *skey,
		cbor_item_t **ret)
{
	struct cbor_pair *pairs;
	cbor_item_t *found = NULL;
	size_t i, n;

	if (m == NULL || !cbor_isa_map(m) || !cbor_map_is_definite(m))
		return EID_EMALFORMED;
	pairs = cbor_map_handle(m);
	n = cbor_map_size(m);
	for (i = 0; i < n; i++) {
		bool hit = skey != NULL ? key_is_str(pairs[i].key, skey) :
					  key_is_int(pairs[i].key, ikey);

		if (!hit)
			continue;
		if (found != NULL)
			return EID_EMALFORMED;
		found = pairs[i].value;
	}
	*ret = found;
	return EID_OK;
}

int eid_cbor_map_find_int(const cbor_item_t *m, int64_t key,
			  cbor_item_t **ret)
{
	return find(m, key, NULL, ret);
}

int eid_cbor_map_find_str(const cbor_item_t *m, const char *key,
			  cbor_item_t **ret)
{
	return find(m, 0, key, ret);
}

int eid_cbor_map_int(const cbor_item_t *m, int64_t key, int64_t *ret)
{
	cbor_item_t *v = NULL;
	int r = eid_cbor_map_find_int(m, key, &v);

	return r != EID_OK ? r : eid_cbor_int(v, ret);
}

int eid_cbor_map_bytes(const cbor_item_t *m, int64_t key,
		       const uint8_t **ret, size_t *ret_n)
{
	cbor_item_t *v = NULL;
	int r = eid_cbor_map_find_int(m, key, &v);

	return r != EID_OK ? r : eid_cbor_bytes(v, ret, ret_n);
}
