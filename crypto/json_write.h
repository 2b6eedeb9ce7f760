/* Compact JSON text from a jansson value, written straight into a bounded
 * buffer.  The same text json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
 * gives (object members in insertion order, "\/" not escaped), at a
 * fraction of the cost: jansson writes through a callback per run of
 * characters, which made serialising a token response cost as much as
 * hashing it (docs/performance.md).  Strings from jansson are valid UTF-8
 * already; bytes below 0x20, '"' and '\\' are escaped as jansson does. */
#ifndef EID_JSON_WRITE_H
#define EID_JSON_WRITE_H

#include <jansson.h>

#include "crypto/buf.h"

/* Maximum nesting written; deeper values are EID_ETOOBIG (jansson itself
 * stops at 2048 when parsing). */
#define EID_JSON_WRITE_DEPTH 64

/* Append v's compact text to out.  EID_EINVAL for NULL or a value jansson
 * would not write (a NaN or infinite real), EID_ETOOBIG past out's max
 * or EID_JSON_WRITE_DEPTH, EID_ENOMEM.  On failure out may hold a part. */
int eid_json_write(const json_t *v, eid_buf *out);

/* The same as a malloc'd NUL-terminated string (free()), NULL on failure:
 * a drop-in for json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY). */
char *eid_json_dumps(const json_t *v);

#endif
