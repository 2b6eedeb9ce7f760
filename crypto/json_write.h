/* Compact JSON text from a jansson value, written straight into a bounded
 * buffer.  The same text json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
 * gives (object members in insertion order, "\/" not escaped), at a
 * fraction of the cost: jansson writes through a callback per run of
 * characters, which made serialising a token response cost as much as
 * hashing it (docs/performance.md).  Strings from jansson are valid UTF-8
 * already; bytes below 0x20, '"' and '\\' are escaped as jansson does. */
#ifndef EID_JSON_WRITE_H
#define EID_JSON_WRITE_H

#include <stdbool.h>
#include <stdint.h>

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

/* Writing an object member by member, for the few documents on a hot path
 * (an access token's claims, the token response) that would otherwise be
 * built as jansson objects only to be written out again.  The text is the
 * same as eid_json_write of the object built in the same order.
 *
 *   eid_json_open(out);                          {
 *   eid_json_member_str(out, "iss", iss);        "iss":"..."
 *   eid_json_member_u64(out, "iat", now);        ,"iat":123
 *   eid_json_member_open(out, "cnf");            ,"cnf":{
 *   ...
 *   eid_json_close(out);                         }
 *
 * A member is preceded by a comma unless it is the first of its object
 * (the byte before it is the '{').  Names are the caller's constants and
 * are written as they are; a string value that is not well-formed UTF-8 is
 * EID_EINVAL, as jansson's json_string refuses it.  A NULL value writes
 * nothing (an optional claim left out). */
int eid_json_open(eid_buf *out);
int eid_json_close(eid_buf *out);
int eid_json_member_open(eid_buf *out, const char *name);
int eid_json_member_str(eid_buf *out, const char *name, const char *value);
int eid_json_member_u64(eid_buf *out, const char *name, uint64_t value);

/* True when the n bytes at p are well-formed UTF-8 (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF). */
bool eid_utf8_valid(const void *p, size_t n);

#endif
