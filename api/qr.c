#include "api/qr.h"

#include <string.h>

#include <qrencode.h>

#include "crypto/error.h"

#define TEXT_MAX 1024

/* One path for every dark module: a browser draws it in one go. */
static int draw(const QRcode *q, eid_buf *out)
{
	int side = q->width + 2 * EID_QR_QUIET;
	int r = eid_buf_printf(out,
			       "<svg xmlns=\"http://www.w3.org/2000/svg\" "
			       "class=\"qr\" viewBox=\"0 0 %d %d\" "
			       "width=\"%d\" height=\"%d\" role=\"img\" "
			       "shape-rendering=\"crispEdges\">"
			       "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
			       "<path fill=\"#000\" d=\"",
			       side, side, side * 6, side * 6, side, side);

	for (int y = 0; r == EID_OK && y < q->width; y++)
		for (int x = 0; r == EID_OK && x < q->width; x++)
			if (q->data[y * q->width + x] & 1)
				r = eid_buf_printf(out, "M%d %dh1v1h-1z",
						   x + EID_QR_QUIET,
						   y + EID_QR_QUIET);
	if (r == EID_OK)
		r = eid_buf_put_str(out, "\"/></svg>");
	return r;
}

int eid_qr_svg(const char *text, eid_buf *out, int *ret_modules)
{
	size_t n = text != NULL ? strlen(text) : 0;
	size_t old = out->len;
	QRcode *q;
	int r;

	if (n == 0 || n > TEXT_MAX)
		return EID_EINVAL;
	q = QRcode_encodeData((int)n, (const unsigned char *)text, 0,
			      QR_ECLEVEL_M);
	if (q == NULL)
		return EID_ENOMEM;
	r = draw(q, out);
	if (r == EID_OK && ret_modules != NULL)
		*ret_modules = q->width;
	if (r != EID_OK)
		eid_buf_truncate(out, old);
	QRcode_free(q);
	return r;
}
