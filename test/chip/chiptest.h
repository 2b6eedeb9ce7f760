/* Helpers shared by the chip tests: hex literals, a scripted card that
 * checks every command against a published transcript, and a simulated
 * eMRTD holding one file (plain or behind card-side secure messaging). */
#ifndef EID_TEST_CHIPTEST_H
#define EID_TEST_CHIPTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip/sm.h"
#include "crypto/buf.h"

/* Decode hex (spaces ignored) into out; aborts the test on bad input.
 * Returns the byte count. */
size_t hex(const char *s, uint8_t *out, size_t cap);
/* The same into a fresh buffer the caller frees with eid_buf_free. */
void hexbuf(const char *s, eid_buf *out);

/* Randomness replayed from fixed bytes: the published keys and nonces of
 * the worked examples.  EID_ECRYPTO once they run out. */
struct fixed_rnd {
	uint8_t bytes[256];
	size_t n, pos;
};
int fixed_random(void *ctx, uint8_t *p, size_t n);

/* A card that expects exactly cmds[i] and answers resps[i]. */
struct script {
	const char *const *cmds;
	const char *const *resps;
	size_t n;
	size_t pos;
};
int script_transmit(void *card, const uint8_t *capdu, size_t n,
		    eid_buf *rapdu);

/* One file behind SELECT / READ BINARY (B0, SFI, B1). */
struct simcard {
	const uint8_t *file;
	size_t file_len;
	uint16_t fid;
	size_t max_ne;    /* larger Ne: 6700 */
	eid_sm *sm;       /* card-side session; NULL: plain */
	bool selected;
	unsigned reads, b1_reads, refused;
};
int simcard_transmit(void *card, const uint8_t *capdu, size_t n,
		     eid_buf *rapdu);

#endif
