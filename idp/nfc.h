/* Unicode Normalization Form C (UAX #15) for names and other text from
 * outside: the registry, the registration form, the card's DG13.  The same
 * name typed precomposed ("ễ", U+1EC5) or decomposed ("e", U+0302 U+0303,
 * as some phone keyboards send it) has one NFC form, so text is stored and
 * compared as NFC.  libunistring does the work. */
#ifndef EID_NFC_H
#define EID_NFC_H

#include <stddef.h>

#include "crypto/buf.h"

/* Longest input taken (bytes); every caller's text is shorter. */
#define EID_NFC_INPUT_MAX 4096

/* The NFC form of the UTF-8 text s[n] appended to out.  EID_EMALFORMED
 * for bytes that are not UTF-8 or a NUL; EID_ETOOBIG for n over
 * EID_NFC_INPUT_MAX or a result over out's cap (out is unchanged then);
 * EID_ENOMEM. */
int eid_nfc(const char *s, size_t n, eid_buf *out);

#endif
