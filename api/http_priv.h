/* Private to api/http*.c: the response a handler builds, and what the
 * server does with it.  Handlers only ever see it through http.h. */
#ifndef EID_API_HTTP_PRIV_H
#define EID_API_HTTP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "crypto/buf.h"

/* Headers a handler may set; a few more slots stay for the defaults. */
#define EID_HTTP_MAX_USER_HEADERS 32
#define EID_HTTP_MAX_HEADERS (EID_HTTP_MAX_USER_HEADERS + 8)
#define EID_HTTP_MAX_HEADER_NAME 64
#define EID_HTTP_MAX_HEADER_VALUE 4096
#define EID_HTTP_MAX_RESPONSE (8u * 1024 * 1024)

struct eid_http_kv {
	char *name;
	char *value;
};

struct eid_http_response {
	unsigned status;
	bool replied; /* a reply_* call succeeded */
	bool html;    /* the looser CSP applies */
	eid_buf body;
	struct eid_http_kv headers[EID_HTTP_MAX_HEADERS];
	size_t nheaders;
};

void eid_http_response_init(struct eid_http_response *res);
/* Drop status, body and headers (for the 500 that replaces a failure). */
void eid_http_response_reset(struct eid_http_response *res);
/* The value of a header already set, or NULL. */
const char *eid_http_response_header(const struct eid_http_response *res,
				     const char *name);
/* Add the security defaults the handler did not override, and the id. */
int eid_http_response_finish(struct eid_http_response *res,
			     const char *request_id);

/* Logging: one JSON object per line on the server's sink. */
struct eid_http_access {
	const char *id;
	const char *remote;
	const char *method;
	const char *path; /* never the query: it carries codes and tokens */
	unsigned status;  /* 0 when no response was sent */
	size_t bytes;
	double ms;
};

int eid_http_log_access(FILE *sink, const struct eid_http_access *a);
/* level "error"/"warn"; id and code optional (NULL, EID_OK). */
int eid_http_log_event(FILE *sink, const char *level, const char *id,
		       const char *msg, int code);

#endif
