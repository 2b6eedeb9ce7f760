#include "api/qr.h"

#include <string.h>

#include <qrencode.h>

#include "crypto/error.h"

#define QUIET 4

static int encode(const char *text, QRcode **ret)
{
	if (text == NULL || text[0] == '\0')
		return EID_EINVAL;
	*ret = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	return *ret != NULL ? EID_OK : EID_ETOOBIG;
}

/* One path of unit squares, one per dark module. */
int eid_qr_svg(const char *text, eid_buf *out)
{
	QRcode *q = NULL;
	int r, w, side;

	if ((r = encode(text, &q)) != EID_OK)
		return r;
	w = q->width;
	side = w + 2 * QUIET;
	r = eid_buf_printf(out,
			   "<svg xmlns=\"http://www.w3.org/2000/svg\" "
			   "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
			   "shape-rendering=\"crispEdges\" role=\"img\" "
			   "class=\"qr\"><rect width=\"%d\" height=\"%d\" "
			   "fill=\"#fff\"/><path fill=\"#000\" d=\"",
			   side, side, side * 5, side * 5, side, side);
	for (int y = 0; r == EID_OK && y < w; y++)
		for (int x = 0; r == EID_OK && x < w; x++)
			if (q->data[y * w + x] & 1)
				r = eid_buf_printf(out, "M%d %dh1v1h-1z",
						   x + QUIET, y + QUIET);
	if (r == EID_OK)
		r = eid_buf_put_str(out, "\"/></svg>");
	QRcode_free(q);
	return r;
}
