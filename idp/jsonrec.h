/* Reading fixed-size records out of stored JSON objects: the accounts and
 * officers tables share these. */
#ifndef EID_JSONREC_H
#define EID_JSONREC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Copy a string member into dst (cap bytes with the NUL): EID_EMALFORMED
 * when absent, not a string, too long or holding a NUL. */
int eid_jrec_text(json_t *o, const char *name, char *dst, size_t cap);
/* An integer member; EID_EMALFORMED when absent or not an integer. */
int eid_jrec_int(json_t *o, const char *name, int64_t *ret);
/* Overwrite a string member's bytes in jansson's copy (a secret that
 * would otherwise linger in freed memory). */
void eid_jrec_wipe(json_t *o, const char *name);
/* Set member name of o to the base64url (no padding) of n bytes at p.
 * EID_ENOMEM. */
int eid_jrec_set_b64url(json_t *o, const char *name, const void *p, size_t n);
/* Compact JSON text with sorted keys, malloc'd; NULL when out of memory. */
char *eid_jrec_dump(const json_t *o);

#endif
