/* The virtual card's command handler as eid-vcard feeds it: the input is
 * a run of vpcd messages (2-byte big-endian length, payload), each handed
 * to eid_vcard_vpcd_message.  An odd first byte runs BAC first (with fixed
 * randomness), so the secure-messaging paths see the fuzzer's bytes too. */
#include <stdint.h>
#include <string.h>

#include "chip/bac.h"
#include "chip/cardimage.h"
#include "chip/reader.h"
#include "chip/vcard.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MRZ_INFO "L898902C<369080619406236"

static int fixed_random(void *ctx, uint8_t *p, size_t n)
{
	(void)ctx;
	memset(p, 0x5a, n);
	return EID_OK;
}

static void image(struct eid_cardimage *img)
{
	static const uint8_t dg1[] = { 0x61, 0x04, 0x5f, 0x1f, 0x01, 0x41 };
	static const uint8_t access[] = { 0x31, 0x00 };

	eid_cardimage_init(img);
	memcpy(img->mrz_info, MRZ_INFO, sizeof(MRZ_INFO));
	img->access = EID_CARD_ACCESS_PACE_BAC;
	img->max_read = 0x1000;
	img->extended = true;
	(void)eid_cardimage_set_file(img, EID_FID_DG1, dg1, sizeof(dg1));
	(void)eid_cardimage_set_file(img, EID_FID_SOD, dg1, sizeof(dg1));
	(void)eid_cardimage_set_file(img, EID_FID_CARD_ACCESS, access,
				     sizeof(access));
}

static void run_bac(eid_vcard *vc)
{
	struct eid_transport t;
	struct eid_bac_keys k;
	uint8_t sel[] = { 0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0, 0x00, 0x00,
			  0x02, 0x47, 0x10, 0x01 };
	eid_buf resp;
	eid_sm *sm = NULL;

	eid_buf_init(&resp, 1 << 17);
	(void)eid_vcard_process(vc, sel, sizeof(sel), &resp);
	eid_transport_init_callback(&t, eid_vcard_transmit, vc);
	if (eid_bac_keys_from_mrz_info(MRZ_INFO, &k) == EID_OK &&
	    eid_bac_authenticate(&t, &k, fixed_random, NULL, &sm) != EID_OK)
		__builtin_trap();
	eid_sm_free(sm);
	eid_bac_keys_wipe(&k);
	eid_buf_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eid_cardimage img;
	eid_vcard *vc = NULL;
	eid_buf reply;
	size_t off = 1;
	bool has;

	if (size < 1)
		return 0;
	image(&img);
	if (eid_vcard_new(&img, fixed_random, NULL, &vc) != EID_OK)
		__builtin_trap();
	if (data[0] & 1)
		run_bac(vc);
	eid_buf_init(&reply, 1 << 17);
	while (size - off >= 2) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (n > size - off)
			n = size - off;
		eid_buf_reset(&reply);
		if (eid_vcard_vpcd_message(vc, data + off, n, &reply, &has) ==
			    EID_OK &&
		    has && n > 1 && reply.len < 2)
			__builtin_trap(); /* every APDU gets a status word */
		off += n;
	}
	eid_buf_free(&reply);
	eid_vcard_free(vc);
	eid_cardimage_clear(&img);
	return 0;
}
