/* multipart/form-data bodies (RFC 7578), strict and bounded, for the web
 * forms that upload a file (the registration portrait) without
 * JavaScript.
 *
 * Accepted: a boundary parameter of 1 to 70 characters (quoted or not);
 * parts separated by CRLF "--boundary", the last closed by "--"; each part
 * with at most EID_MULTIPART_MAX_HEADERS header lines of at most
 * EID_MULTIPART_MAX_LINE bytes, a Content-Disposition: form-data with a
 * name (and optionally a filename), an optional Content-Type; at most
 * EID_MULTIPART_MAX_PARTS parts.  Anything else (a missing closing
 * delimiter, a header without a colon, a repeated or missing disposition,
 * folded headers, control bytes in names) is EID_EMALFORMED.  Values are
 * borrowed from the body: they are bytes, not NUL-terminated. */
#ifndef EID_API_MULTIPART_H
#define EID_API_MULTIPART_H

#include <stddef.h>

#define EID_MULTIPART_MAX_PARTS 32
#define EID_MULTIPART_MAX_HEADERS 8
#define EID_MULTIPART_MAX_LINE 1024
#define EID_MULTIPART_NAME_MAX 64
#define EID_MULTIPART_BOUNDARY_MAX 70

struct eid_multipart_part {
	char name[EID_MULTIPART_NAME_MAX + 1];
	char filename[EID_MULTIPART_NAME_MAX * 4 + 1]; /* "" when none */
	char content_type[EID_MULTIPART_NAME_MAX + 1]; /* "" when none */
	const char *data; /* borrowed from the body */
	size_t len;
};

struct eid_multipart {
	struct eid_multipart_part parts[EID_MULTIPART_MAX_PARTS];
	size_t count;
};

/* The boundary of a Content-Type header value ("multipart/form-data;
 * boundary=..."), into out.  EID_EUNSUPPORTED for another media type,
 * EID_EMALFORMED for a bad or missing boundary. */
int eid_multipart_boundary(const char *content_type,
			   char out[EID_MULTIPART_BOUNDARY_MAX + 1]);

/* Parse a body.  EID_ETOOBIG past EID_MULTIPART_MAX_PARTS. */
int eid_multipart_parse(const char *boundary, const void *body, size_t len,
			struct eid_multipart *ret);

/* The only part with this name; EID_ENOTFOUND, or EID_EINVAL when the
 * name is repeated. */
int eid_multipart_get(const struct eid_multipart *m, const char *name,
		      const struct eid_multipart_part **ret);

#endif
