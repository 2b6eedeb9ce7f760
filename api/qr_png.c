/* A minimal PNG encoder for QR codes: one IHDR (8-bit greyscale), one
 * IDAT compressed with zlib's compress2, IEND; CRCs by zlib's crc32.
 * libpng would do the same with a far larger surface and setjmp-based
 * error handling; a QR image needs none of its features. */
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <zlib.h>

#include "api/qr.h"
#include "crypto/error.h"

#define QUIET 4
#define SCALE_MAX 16u

static int chunk(eid_buf *out, const char type[4], const uint8_t *p,
		 size_t n)
{
	uLong crc = crc32(0L, (const Bytef *)type, 4);
	int r;

	if (n > 0)
		crc = crc32(crc, p, (uInt)n);
	if ((r = eid_buf_put_u32be(out, (uint32_t)n)) ||
	    (r = eid_buf_put(out, type, 4)) ||
	    (n > 0 && (r = eid_buf_put(out, p, n))))
		return r;
	return eid_buf_put_u32be(out, (uint32_t)crc);
}

/* The raw scanlines: a filter byte 0, then one byte per pixel. */
static uint8_t *raster(const QRcode *q, unsigned scale, size_t *ret_len,
		       unsigned *ret_side)
{
	unsigned w = (unsigned)q->width, side = (w + 2 * QUIET) * scale;
	size_t row = (size_t)side + 1, len = row * side;
	uint8_t *img = malloc(len);

	if (img == NULL)
		return NULL;
	memset(img, 0xff, len);
	for (unsigned y = 0; y < side; y++) {
		uint8_t *line = img + (size_t)y * row;
		unsigned my = y / scale;

		line[0] = 0;
		if (my < QUIET || my >= w + QUIET)
			continue;
		for (unsigned x = 0; x < side; x++) {
			unsigned mx = x / scale;

			if (mx >= QUIET && mx < w + QUIET &&
			    (q->data[(my - QUIET) * w + (mx - QUIET)] & 1))
				line[1 + x] = 0;
		}
	}
	*ret_len = len;
	*ret_side = side;
	return img;
}

static int png_from(const QRcode *q, unsigned scale, eid_buf *out)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
					0x1a, '\n' };
	uint8_t ihdr[13] = { 0 }, *img, *z = NULL;
	size_t len = 0;
	unsigned side = 0;
	uLongf zlen;
	int r = EID_ENOMEM;

	if ((img = raster(q, scale, &len, &side)) == NULL)
		return EID_ENOMEM;
	zlen = compressBound((uLong)len);
	if ((z = malloc(zlen)) == NULL)
		goto out;
	if (compress2(z, &zlen, img, (uLong)len, 9) != Z_OK) {
		r = EID_EINTERNAL;
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		ihdr[i] = (uint8_t)(side >> (24 - 8 * i));
		ihdr[4 + i] = ihdr[i];
	}
	ihdr[8] = 8; /* bit depth; colour type 0 (grey), no interlace */
	if ((r = eid_buf_put(out, sig, sizeof(sig))) ||
	    (r = chunk(out, "IHDR", ihdr, sizeof(ihdr))) ||
	    (r = chunk(out, "IDAT", z, zlen)))
		goto out;
	r = chunk(out, "IEND", NULL, 0);
out:
	free(img);
	free(z);
	return r;
}

int eid_qr_png(const char *text, unsigned scale, eid_buf *out)
{
	QRcode *q;
	int r;

	if (text == NULL || text[0] == '\0' || scale == 0 || scale > SCALE_MAX)
		return EID_EINVAL;
	if ((q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M)) == NULL)
		return EID_ETOOBIG;
	r = png_from(q, scale, out);
	QRcode_free(q);
	return r;
}
