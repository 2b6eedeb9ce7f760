#include "chiptest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include "chip/apdu.h"
#include "chip/tlv.h"
#include "crypto/error.h"

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;
		if (*s == ' ')
			continue;
		v = nibble(*s);
		assert_true(v >= 0);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_true(hi < 0);
	return n;
}

void hexbuf(const char *s, eid_buf *out)
{
	uint8_t *p;
	size_t cap = strlen(s) / 2 + 1;

	eid_buf_init(out, 1 << 20);
	assert_int_equal(eid_buf_reserve(out, cap, &p), EID_OK);
	eid_buf_truncate(out, hex(s, p, cap));
}

int fixed_random(void *ctx, uint8_t *p, size_t n)
{
	struct fixed_rnd *f = ctx;

	if (n > f->n - f->pos)
		return EID_ECRYPTO;
	memcpy(p, f->bytes + f->pos, n);
	f->pos += n;
	return EID_OK;
}

int script_transmit(void *card, const uint8_t *capdu, size_t n,
		    eid_buf *rapdu)
{
	struct script *s = card;
	eid_buf want;

	assert_true(s->pos < s->n);
	hexbuf(s->cmds[s->pos], &want);
	assert_int_equal(n, want.len);
	assert_memory_equal(capdu, want.data, n);
	eid_buf_free(&want);
	hexbuf(s->resps[s->pos], &want);
	assert_int_equal(eid_buf_put(rapdu, want.data, want.len), EID_OK);
	eid_buf_free(&want);
	s->pos++;
	return EID_OK;
}

static int put_sw(eid_buf *b, uint16_t sw)
{
	return eid_buf_put_u16be(b, sw);
}

/* READ BINARY: B0 with P1-P2 (or an SFI), B1 with DO'54' and DO'53'. */
static uint16_t sim_read(struct simcard *c, const struct eid_apdu *a,
			 eid_buf *data)
{
	size_t off, n, hdr = 0;
	struct eid_tlv t;

	if (a->ne > c->max_ne) {
		c->refused++;
		return 0x6700;
	}
	if (a->ins == 0xb0 && (a->p1 & 0x80)) {
		if ((a->p1 & 0x1f) != (c->fid & 0x1f))
			return 0x6a82;
		c->selected = true;
		off = a->p2;
	} else if (a->ins == 0xb0) {
		off = (size_t)a->p1 << 8 | a->p2;
	} else {
		assert_int_equal(eid_tlv_parse_exact(a->data, a->nc, &t), EID_OK);
		assert_int_equal(t.tag, 0x54);
		off = 0;
		for (size_t i = 0; i < t.len; i++)
			off = off << 8 | t.value[i];
		hdr = a->ne < 0x82 ? 2 : a->ne < 0x103 ? 3 : 4;
		c->b1_reads++;
	}
	if (!c->selected)
		return 0x6986;
	if (off >= c->file_len)
		return 0x6b00;
	n = a->ne - hdr;
	if (n > c->file_len - off)
		n = c->file_len - off;
	c->reads++;
	if (hdr > 0)
		assert_int_equal(eid_tlv_put(data, 0x53, c->file + off, n), EID_OK);
	else
		assert_int_equal(eid_buf_put(data, c->file + off, n), EID_OK);
	return 0x9000;
}

static uint16_t sim_process(struct simcard *c, const struct eid_apdu *a,
			    eid_buf *data)
{
	if (a->ins == 0xa4 && a->p1 == 0x04)
		return 0x9000;
	if (a->ins == 0xa4 && a->p1 == 0x02) {
		c->selected = a->nc == 2 &&
			      ((uint16_t)(a->data[0] << 8 | a->data[1])) == c->fid;
		return c->selected ? 0x9000 : 0x6a82;
	}
	if (a->ins == 0xb0 || a->ins == 0xb1)
		return sim_read(c, a, data);
	return 0x6d00;
}

int simcard_transmit(void *card, const uint8_t *capdu, size_t n,
		     eid_buf *rapdu)
{
	struct simcard *c = card;
	struct eid_apdu a, plain;
	eid_buf in, data;
	uint16_t sw;
	int r;

	eid_buf_init(&in, 1 << 17);
	eid_buf_init(&data, 1 << 17);
	assert_int_equal(eid_apdu_decode(capdu, n, &a), EID_OK);
	if (c->sm != NULL) {
		r = eid_sm_card_unprotect(c->sm, &a, &in, &plain);
		assert_int_equal(r, EID_OK);
	} else {
		plain = a;
	}
	sw = sim_process(c, &plain, &data);
	if (c->sm != NULL)
		r = eid_sm_card_protect(c->sm, plain.ins, data.data, data.len,
					sw, rapdu);
	else if ((r = eid_buf_put(rapdu, data.data, data.len)) == EID_OK)
		r = put_sw(rapdu, sw);
	eid_buf_free(&in);
	eid_buf_free(&data);
	return r;
}
