/* QR codes for pages: libqrencode's matrix rendered as SVG (inline in a
 * page) or PNG (at its own URL). */
#ifndef EID_API_QR_H
#define EID_API_QR_H

#include "crypto/buf.h"

/* text as an SVG element (error correction M, 4-module quiet zone),
 * appended to out.  EID_EINVAL for NULL or empty text, EID_ETOOBIG when it
 * does not fit a QR code or out. */
int eid_qr_svg(const char *text, eid_buf *out);

/* text as a PNG image (8-bit greyscale, scale pixels per module),
 * appended to out. */
int eid_qr_png(const char *text, unsigned scale, eid_buf *out);

#endif
