/* Reading whole files from a simulated card: APDU counts for short and
 * extended reads, the step-down on 6700, the short file identifier, READ
 * BINARY B1 past 0x7FFF, and all of it through secure messaging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/reader.h"
#include "chiptest.h"
#include "crypto/error.h"
#include "crypto/secret.h"


static uint8_t *make_file(size_t total)
{
	uint8_t *f = test_malloc(total);

	assert_true(total >= 0x100 + 4 && total - 4 <= 0xffff);
	assert_int_equal(eid_random_bytes(f, total), EID_OK);
	f[0] = 0x77; /* EF.SOD's tag; any one-byte tag will do */
	f[1] = 0x82;
	f[2] = (uint8_t)((total - 4) >> 8);
	f[3] = (uint8_t)(total - 4);
	return f;
}

static size_t ceil_div(size_t a, size_t b)
{
	return (a + b - 1) / b;
}

struct run {
	size_t file_len;
	size_t card_max;   /* the card's largest Ne */
	size_t reader_max; /* the reader's first chunk; 0: the default */
	bool sm, sfi;
	bool aes; /* with sm: AES-128 rather than 3DES */
};

/* Read the file and return the APDUs it took; checks the content. */
static unsigned long read_through(const struct run *run, struct simcard *card,
				  size_t *ret_chunk)
{
	uint8_t *file = make_file(run->file_len);
	struct eid_reader_opts opts = { .max_chunk = run->reader_max };
	struct eid_transport t;
	struct eid_reader_stats st;
	eid_reader *rd = NULL;
	eid_buf out;

	*card = (struct simcard){ .file = file, .file_len = run->file_len,
				  .fid = EID_FID_SOD, .max_ne = run->card_max };
	eid_transport_init_callback(&t, simcard_transmit, card);
	assert_int_equal(eid_reader_new(&t, &opts, &rd), EID_OK);
	if (run->sm) {
		enum eid_sm_alg alg = run->aes ? EID_SM_AES : EID_SM_3DES;
		size_t ssc_len = run->aes ? 16 : 8;
		uint8_t k[16], ssc[16] = { 0 };
		eid_sm *term = NULL;
		assert_int_equal(eid_random_bytes(k, sizeof(k)), EID_OK);
		assert_int_equal(eid_sm_new(alg, k, k, 16, ssc, ssc_len, &term), EID_OK);
		assert_int_equal(eid_sm_new(alg, k, k, 16, ssc, ssc_len, &card->sm), EID_OK);
		eid_reader_set_sm(rd, term);
	}
	eid_buf_init(&out, 1 << 20);
	assert_int_equal(eid_reader_read_file(rd, EID_FID_SOD, run->sfi, &out), EID_OK);
	assert_int_equal(out.len, run->file_len);
	assert_memory_equal(out.data, file, run->file_len);
	eid_reader_stats(rd, &st);
	*ret_chunk = eid_reader_chunk(rd);
	eid_buf_free(&out);
	eid_reader_free(rd);
	eid_sm_free(card->sm);
	card->sm = NULL;
	test_free(file);
	return st.apdus;
}

static void test_short_reads(void **state)
{
	struct run run = { 20000, 0xdf, 0xdf, false, false };
	struct simcard card;
	size_t chunk;

	/* SELECT, then the file in 0xDF chunks: the fewest there can be. */
	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + ceil_div(20000, 0xdf));
	assert_int_equal(card.refused, 0);
	assert_int_equal(chunk, 0xdf);
}

static void test_step_down_on_6700(void **state)
{
	struct run run = { 20000, 0xdf, 0xe7, false, false };
	struct simcard card;
	size_t chunk;

	/* One 6700 for 0xE7, then 0xDF for the rest of the file. */
	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + 1 + ceil_div(20000, 0xdf));
	assert_int_equal(card.refused, 1);
	assert_int_equal(chunk, 0xdf);

	/* A card that takes only 0x40: 0xE7 -> 0xDF -> 0x6F -> 0x37. */
	run.card_max = 0x40;
	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + 3 + ceil_div(20000, 0x37));
	assert_int_equal(card.refused, 3);
	assert_int_equal(chunk, 0x37);
}

static void test_extended_reads(void **state)
{
	struct run run = { 20000, 65536, 0x1000, false, false };
	struct simcard card;
	size_t chunk;

	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + ceil_div(20000, 0x1000));
	/* The same under secure messaging: no extra APDUs. */
	run.sm = true;
	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + ceil_div(20000, 0x1000));
}

static void test_secure_messaging_and_sfi(void **state)
{
	struct run run = { 20000, 0xdf, 0xdf, true, false };
	struct simcard card;
	size_t chunk;

	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + ceil_div(20000, 0xdf));
	/* The short file identifier saves the SELECT. */
	run.sfi = true;
	assert_int_equal(read_through(&run, &card, &chunk),
			 ceil_div(20000, 0xdf));
	run.sm = false;
	assert_int_equal(read_through(&run, &card, &chunk),
			 ceil_div(20000, 0xdf));
}

/* Without a chunk given, the reader takes the largest short read whose
 * protected answer fits 256 bytes: 0xE7 under 3DES (231 bytes pad to
 * 232, + 18), 0xDF under AES (223 pad to 224). */
static void test_sm_default_chunk(void **state)
{
	struct run run = { 20000, 256, 0, true, false, false };
	struct simcard card;
	size_t chunk;

	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + ceil_div(20000, 0xe7));
	assert_int_equal(chunk, 0xe7);
	assert_int_equal(card.refused, 0);
	run.aes = true;
	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + ceil_div(20000, 0xdf));
	assert_int_equal(chunk, 0xdf);
	/* A card that refuses 0xE7 costs one APDU: 0xDF from then on. */
	run = (struct run){ 20000, 0xdf, 0, true, false, false };
	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + 1 + ceil_div(20000, 0xdf));
	assert_int_equal(chunk, 0xdf);
	/* Without secure messaging the default stays 0xDF. */
	run = (struct run){ 20000, 256, 0, false, false, false };
	assert_int_equal(read_through(&run, &card, &chunk),
			 1 + ceil_div(20000, 0xdf));
}

static void test_odd_ins_past_0x7fff(void **state)
{
	struct run run = { 40000, 65536, 0x1000, false, false };
	struct simcard card;
	size_t chunk;

	read_through(&run, &card, &chunk);
	assert_true(card.b1_reads > 0);
	/* And with short chunks through secure messaging (DO'85'). */
	run = (struct run){ 40000, 0xdf, 0xdf, true, false };
	read_through(&run, &card, &chunk);
	assert_true(card.b1_reads > 0);
}

static void test_limits(void **state)
{
	uint8_t *file = make_file(20000);
	struct eid_reader_opts opts = { .max_file = 10000 };
	struct simcard card = { .file = file, .file_len = 20000,
				.fid = EID_FID_DG2, .max_ne = 0xdf };
	struct eid_transport t;
	eid_reader *rd = NULL;
	eid_buf out;

	eid_transport_init_callback(&t, simcard_transmit, &card);
	assert_int_equal(eid_reader_new(&t, &opts, &rd), EID_OK);
	eid_buf_init(&out, 1 << 20);
	assert_int_equal(eid_reader_read_file(rd, EID_FID_DG2, false, &out), EID_ETOOBIG);
	assert_int_equal(out.len, 0);
	assert_int_equal(eid_reader_read_file(rd, EID_FID_DG1, false, &out), EID_ENOTFOUND);
	assert_int_equal(eid_reader_select_emrtd(rd), EID_OK);
	eid_buf_free(&out);
	eid_reader_free(rd);
	opts.max_chunk = 65537;
	assert_int_equal(eid_reader_new(&t, &opts, &rd), EID_EINVAL);
	test_free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_reads),
		cmocka_unit_test(test_step_down_on_6700),
		cmocka_unit_test(test_extended_reads),
		cmocka_unit_test(test_secure_messaging_and_sfi),
		cmocka_unit_test(test_sm_default_chunk),
		cmocka_unit_test(test_odd_ins_past_0x7fff),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
