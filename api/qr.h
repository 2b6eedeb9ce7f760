/* QR codes as inline SVG (libqrencode's matrix, no image files): for the
 * activation code on the officer's screen, and any other code a page
 * shows.  Error correction level M, the smallest version that fits, a
 * quiet zone of 4 modules. */
#ifndef EID_API_QR_H
#define EID_API_QR_H

#include "crypto/buf.h"

#define EID_QR_QUIET 4

/* Append <svg ...> drawing text (UTF-8, at most 1024 bytes, encoded as
 * 8-bit data) to out; ret_modules (may be NULL) gets the symbol's width in
 * modules without the quiet zone.  EID_EINVAL for empty or too long text. */
int eid_qr_svg(const char *text, eid_buf *out, int *ret_modules);

#endif
