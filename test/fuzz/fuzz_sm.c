/* Secure messaging input from outside: the bytes as a protected response
 * to a fixed session (ICAO 9303-11 D.4's keys, at the SSC of its second
 * response), and as a protected command to the card's side of the same
 * session.  Nothing may be decrypted or accepted without the MAC. */
#include <stdint.h>
#include <string.h>

#include "chip/sm.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t ksenc[16] = { 0x97, 0x9e, 0xc1, 0x3b, 0x1c, 0xbf,
				   0xe9, 0xdc, 0xd0, 0x1a, 0xb0, 0xfe,
				   0xd3, 0x07, 0xea, 0xe5 };
static const uint8_t ksmac[16] = { 0xf1, 0xcb, 0x1f, 0x1f, 0xb5, 0xad,
				   0xf2, 0x08, 0x80, 0x6b, 0x89, 0xdc,
				   0x57, 0x9d, 0xc1, 0xf8 };
static const uint8_t ssc_resp[8] = { 0x88, 0x70, 0x22, 0x12,
				     0x0c, 0x06, 0xc2, 0x29 };
static const uint8_t ssc_cmd[8] = { 0x88, 0x70, 0x22, 0x12,
				    0x0c, 0x06, 0xc2, 0x26 };

static eid_sm *fixed_session(const uint8_t ssc[8])
{
	eid_sm *sm = NULL;

	if (eid_sm_new(EID_SM_3DES, ksenc, ksmac, 16, ssc, 8, &sm) != EID_OK)
		__builtin_trap();
	return sm;
}

static void response(const uint8_t *data, size_t size)
{
	struct eid_rapdu_view v;
	struct eid_rapdu in, out;
	eid_sm *sm;

	if (eid_rapdu_parse(data, size, &v) != EID_OK)
		return;
	sm = fixed_session(ssc_resp);
	eid_rapdu_init(&in, 1 << 16);
	eid_rapdu_init(&out, 1 << 16);
	if (eid_buf_put(&in.data, v.data, v.len) == EID_OK) {
		in.sw = v.sw;
		(void)eid_sm_unprotect(sm, &in, &out);
	}
	eid_rapdu_free(&in);
	eid_rapdu_free(&out);
	eid_sm_free(sm);
}

static void command(const uint8_t *data, size_t size)
{
	struct eid_apdu a, plain;
	eid_buf body;
	eid_sm *sm;

	if (eid_apdu_decode(data, size, &a) != EID_OK)
		return;
	sm = fixed_session(ssc_cmd);
	eid_buf_init(&body, 1 << 16);
	(void)eid_sm_card_unprotect(sm, &a, &body, &plain);
	eid_buf_free(&body);
	eid_sm_free(sm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	response(data, size);
	command(data, size);
	return 0;
}
