/* A file read from a card: every LDS parser gets the same bytes, and what
 * parses must encode to a file that parses back the same. */
#include <stdint.h>
#include <string.h>

#include "chip/lds.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void com(const uint8_t *data, size_t size)
{
	struct eid_lds_com c, back;
	eid_buf b;

	if (eid_lds_com_parse(data, size, &c) != EID_OK)
		return;
	eid_buf_init(&b, 4096);
	if (eid_lds_com_encode(&c, &b) != EID_OK ||
	    eid_lds_com_parse(b.data, b.len, &back) != EID_OK ||
	    strcmp(c.lds_version, back.lds_version) != 0 ||
	    strcmp(c.unicode_version, back.unicode_version) != 0 ||
	    c.ntags != back.ntags || memcmp(c.tags, back.tags, c.ntags) != 0)
		__builtin_trap();
	eid_buf_free(&b);
}

static void dg1(const uint8_t *data, size_t size)
{
	struct eid_mrz m, back;
	eid_buf b;

	if (eid_lds_dg1_parse(data, size, &m) != EID_OK)
		return;
	eid_buf_init(&b, 4096);
	if (eid_lds_dg1_encode(&m, &b) != EID_OK ||
	    eid_lds_dg1_parse(b.data, b.len, &back) != EID_OK ||
	    strcmp(m.docno, back.docno) != 0 ||
	    strcmp(m.primary, back.primary) != 0)
		__builtin_trap();
	eid_buf_free(&b);
}

static void dg2(const uint8_t *data, size_t size)
{
	struct eid_lds_dg2 d, back;
	eid_buf b;

	if (eid_lds_dg2_parse(data, size, &d) != EID_OK)
		return;
	eid_buf_init(&b, 2u << 20);
	if (eid_lds_dg2_encode(d.image, d.image_len, d.width, d.height, &b) !=
		    EID_OK ||
	    eid_lds_dg2_parse(b.data, b.len, &back) != EID_OK ||
	    back.type != d.type || back.image_len != d.image_len ||
	    memcmp(back.image, d.image, d.image_len) != 0)
		__builtin_trap();
	eid_buf_free(&b);
}

static void dg14(const uint8_t *data, size_t size)
{
	struct eid_lds_dg14 d;

	if (eid_lds_dg14_parse(data, size, &d) != EID_OK)
		return;
	if (d.security_infos == NULL || d.security_infos_len == 0)
		__builtin_trap();
	eid_lds_dg14_clear(&d);
}

static void dg15(const uint8_t *data, size_t size)
{
	EVP_PKEY *key = NULL, *back = NULL;
	eid_buf b;

	if (eid_lds_dg15_parse(data, size, &key) != EID_OK)
		return;
	eid_buf_init(&b, 65536);
	/* Some keys OpenSSL reads it may not write; those are not our bug. */
	if (eid_lds_dg15_encode(key, &b) == EID_OK &&
	    (eid_lds_dg15_parse(b.data, b.len, &back) != EID_OK ||
	     EVP_PKEY_eq(key, back) != 1))
		__builtin_trap();
	EVP_PKEY_free(back);
	EVP_PKEY_free(key);
	eid_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	com(data, size);
	dg1(data, size);
	dg2(data, size);
	dg14(data, size);
	dg15(data, size);
	return 0;
}
