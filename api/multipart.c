/* multipart/form-data (see multipart.h). */
#include "api/multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto/error.h"

static bool bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c) != NULL;
}

int eid_multipart_boundary(const char *ct,
			   char out[EID_MULTIPART_BOUNDARY_MAX + 1])
{
	static const char type[] = "multipart/form-data";
	const char *p;
	size_t n = 0;
	bool quoted;

	if (ct == NULL || strncasecmp(ct, type, sizeof(type) - 1) != 0)
		return EID_EUNSUPPORTED;
	p = ct + sizeof(type) - 1;
	while (*p == ' ' || *p == ';')
		p++;
	if (strncasecmp(p, "boundary=", 9) != 0)
		return EID_EMALFORMED;
	p += 9;
	quoted = *p == '"';
	p += quoted;
	while (p[n] && bchar(p[n]) && (quoted || p[n] != ' ') &&
	       n <= EID_MULTIPART_BOUNDARY_MAX)
		n++;
	if (n == 0 || n > EID_MULTIPART_BOUNDARY_MAX || p[n - 1] == ' ')
		return EID_EMALFORMED;
	if (quoted ? p[n] != '"' : (p[n] != '\0' && p[n] != ';'))
		return EID_EMALFORMED;
	memcpy(out, p, n);
	out[n] = '\0';
	return EID_OK;
}

/* The next occurrence of needle in [p, end), or NULL. */
static const char *find(const char *p, const char *end, const char *needle,
			size_t nl)
{
	while ((size_t)(end - p) >= nl) {
		const char *q = memchr(p, needle[0], (size_t)(end - p) - nl + 1);

		if (q == NULL)
			return NULL;
		if (memcmp(q, needle, nl) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

/* A quoted parameter value ("name", "filename") of a disposition line,
 * copied into out (cap bytes with the NUL).  EID_ENOTFOUND when absent. */
static int param(const char *line, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key), n = 0;
	const char *p = line;

	for (;;) {
		p = strstr(p, key);
		if (p == NULL)
			return EID_ENOTFOUND;
		if ((p == line || p[-1] == ' ' || p[-1] == ';') && p[kl] == '=')
			break;
		p += kl;
	}
	p += kl + 1;
	if (*p++ != '"')
		return EID_EMALFORMED;
	while (p[n] && p[n] != '"') {
		if ((unsigned char)p[n] < 0x20 || p[n] == '\\' || n + 1 >= cap)
			return EID_EMALFORMED;
		n++;
	}
	if (p[n] != '"')
		return EID_EMALFORMED;
	memcpy(out, p, n);
	out[n] = '\0';
	return EID_OK;
}

static int header_line(struct eid_multipart_part *part, const char *line,
		       bool *seen_disp)
{
	static const char disp[] = "content-disposition:";
	static const char ctype[] = "content-type:";
	const char *v;
	int r;

	if (strncasecmp(line, disp, sizeof(disp) - 1) == 0) {
		v = line + sizeof(disp) - 1;
		while (*v == ' ')
			v++;
		if (*seen_disp || strncasecmp(v, "form-data", 9) != 0 ||
		    (v[9] != ';' && v[9] != '\0'))
			return EID_EMALFORMED;
		*seen_disp = true;
		if ((r = param(v, "name", part->name, sizeof(part->name))) !=
			    EID_OK || part->name[0] == '\0')
			return EID_EMALFORMED;
		r = param(v, "filename", part->filename, sizeof(part->filename));
		return r == EID_ENOTFOUND ? EID_OK : r;
	}
	if (strncasecmp(line, ctype, sizeof(ctype) - 1) == 0) {
		v = line + sizeof(ctype) - 1;
		while (*v == ' ')
			v++;
		if (strlen(v) >= sizeof(part->content_type) ||
		    part->content_type[0] != '\0')
			return EID_EMALFORMED;
		strcpy(part->content_type, v);
		return EID_OK;
	}
	return strchr(line, ':') != NULL && line[0] != ' ' && line[0] != '\t' ?
		       EID_OK : EID_EMALFORMED;
}

/* The headers of one part, from p up to the blank line; *ret_body gets
 * where the content starts. */
static int part_headers(struct eid_multipart_part *part, const char *p,
			const char *end, const char **ret_body)
{
	char line[EID_MULTIPART_MAX_LINE + 1];
	bool seen = false;
	int r;

	for (unsigned n = 0;; n++) {
		const char *eol = find(p, end, "\r\n", 2);
		size_t len;

		if (eol == NULL || n > EID_MULTIPART_MAX_HEADERS)
			return EID_EMALFORMED;
		len = (size_t)(eol - p);
		if (len == 0) {
			*ret_body = eol + 2;
			return seen ? EID_OK : EID_EMALFORMED;
		}
		if (len > EID_MULTIPART_MAX_LINE || memchr(p, '\0', len) != NULL)
			return EID_EMALFORMED;
		memcpy(line, p, len);
		line[len] = '\0';
		if ((r = header_line(part, line, &seen)) != EID_OK)
			return r;
		p = eol + 2;
	}
}

int eid_multipart_parse(const char *boundary, const void *body, size_t len,
			struct eid_multipart *ret)
{
	char delim[EID_MULTIPART_BOUNDARY_MAX + 5];
	const char *p = body, *end = (const char *)body + len;
	size_t dl;
	int r;

	if (boundary == NULL || ret == NULL || (body == NULL && len > 0) ||
	    strlen(boundary) == 0 || strlen(boundary) > EID_MULTIPART_BOUNDARY_MAX)
		return EID_EINVAL;
	memset(ret, 0, sizeof(*ret));
	dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	/* The first delimiter has no CRLF before it (no preamble taken). */
	if (len < dl - 2 || memcmp(p, delim + 2, dl - 2) != 0)
		return EID_EMALFORMED;
	p += dl - 2;
	for (;;) {
		struct eid_multipart_part *part;
		const char *data, *next;

		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return end - p == 2 || (end - p == 4 && p[2] == '\r' &&
						p[3] == '\n') ?
				       EID_OK : EID_EMALFORMED;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return EID_EMALFORMED;
		if (ret->count >= EID_MULTIPART_MAX_PARTS)
			return EID_ETOOBIG;
		part = &ret->parts[ret->count];
		if ((r = part_headers(part, p + 2, end, &data)) != EID_OK)
			return r;
		if ((next = find(data, end, delim, dl)) == NULL)
			return EID_EMALFORMED;
		part->data = data;
		part->len = (size_t)(next - data);
		ret->count++;
		p = next + dl;
	}
}

int eid_multipart_get(const struct eid_multipart *m, const char *name,
		      const struct eid_multipart_part **ret)
{
	const struct eid_multipart_part *found = NULL;

	for (size_t i = 0; i < m->count; i++) {
		if (strcmp(m->parts[i].name, name) != 0)
			continue;
		if (found != NULL)
			return EID_EINVAL;
		found = &m->parts[i];
	}
	if (found == NULL)
		return EID_ENOTFOUND;
	*ret = found;
	return EID_OK;
}
