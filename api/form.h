/* application/x-www-form-urlencoded bodies and URL query strings.
 *
 * Both arrive from outside, so the parser is strict and bounded: at most
 * EID_FORM_MAX_PAIRS pairs and EID_FORM_MAX_BYTES of input; a malformed
 * escape ("%zz", "%4"), an escaped NUL ("%00"), invalid UTF-8 after
 * decoding, or an empty name ("=x") rejects the whole input with
 * EID_EMALFORMED.  Empty segments ("a=1&&b=2", a trailing '&') are
 * skipped, as WHATWG URL does.  A name without '=' has the value "".
 *
 * Pairs keep their order, and a lookup reports a repeated name: OAuth 2.0
 * (RFC 6749 section 3.1) requires refusing a request whose parameters
 * repeat, so the caller must be able to tell. */
#ifndef EID_API_FORM_H
#define EID_API_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/buf.h"

#define EID_FORM_MAX_PAIRS 256
#define EID_FORM_MAX_BYTES (64u * 1024)

typedef struct eid_form eid_form;

/* Parse len bytes at in (not NUL-terminated; NULL with len 0 is an empty
 * form).  EID_ETOOBIG over the caps, EID_EMALFORMED as above. */
int eid_form_parse(const char *in, size_t len, eid_form **ret_form);
/* Safe on NULL. */
void eid_form_free(eid_form *f);

/* Number of pairs; 0 for NULL. */
size_t eid_form_count(const eid_form *f);
/* The i-th pair, borrowed until eid_form_free.  EID_ENOTFOUND past the end. */
int eid_form_pair(const eid_form *f, size_t i, const char **ret_name,
		  const char **ret_value);
/* How many pairs carry this name (0 for a NULL form). */
size_t eid_form_occurrences(const eid_form *f, const char *name);
/* The value of the only pair named name.  EID_ENOTFOUND when absent,
 * EID_EINVAL when the name appears more than once. */
int eid_form_get(const eid_form *f, const char *name, const char **ret_value);

/* Append "name=value" percent-encoded per RFC 3986 (unreserved characters
 * kept, everything else %XX, space as %20), preceded by '&' unless the
 * buffer is empty or already ends in '?' or '&'.  An empty name is
 * EID_EINVAL.  On failure the buffer is unchanged. */
int eid_form_encode_append(eid_buf *b, const char *name, const char *value);
/* Start a redirect URL: append base, then '?' or '&' depending on whether
 * base already has a query.  A base holding a fragment ('#') or a CR/LF
 * is EID_EINVAL (RFC 6749 section 3.1.2 forbids fragments). */
int eid_form_url_begin(eid_buf *b, const char *base);

/* True when the n bytes at p are well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool eid_form_utf8_valid(const void *p, size_t n);

#endif
