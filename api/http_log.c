/* Access and error lines for the HTTP server: one compact JSON object per
 * line, so a collector can parse them without guessing. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/http_priv.h"
#include "crypto/error.h"

#define LOG_MAX_FIELD 512

/* "2026-11-22T21:00:00.123Z" */
static json_t *log_timestamp(void)
{
	struct timespec ts;
	struct tm tm;
	char day[32], out[48];
	int n;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return NULL;
	n = snprintf(out, sizeof(out), "%s.%03ldZ", day, ts.tv_nsec / 1000000);
	if (n < 0 || (size_t)n >= sizeof(out))
		return NULL;
	return json_string(out);
}

/* Client-chosen text (path, method) as a JSON string: bytes outside
 * printable ASCII become %XX, so the line stays valid UTF-8 and one line,
 * and the field is cut at LOG_MAX_FIELD bytes. */
static json_t *log_text(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	eid_buf b;
	json_t *j = NULL;
	int r = EID_OK;

	eid_buf_init(&b, LOG_MAX_FIELD * 3);
	for (size_t i = 0; s != NULL && s[i] != '\0' && i < LOG_MAX_FIELD &&
			   r == EID_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '%')
			r = eid_buf_put_u8(&b, c);
		else
			r = eid_buf_printf(&b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	if (r == EID_OK)
		j = json_stringn((const char *)(b.len ? b.data : (uint8_t *)""),
				 b.len);
	eid_buf_free(&b);
	return j;
}

static int log_emit(FILE *sink, json_t *o)
{
	char *line;
	int r = EID_OK;

	line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6) |
				     JSON_PRESERVE_ORDER);
	if (line == NULL)
		return EID_ENOMEM;
	/* One fprintf call: stdio's lock keeps concurrent lines whole. */
	if (fprintf(sink, "%s\n", line) < 0 || fflush(sink) != 0)
		r = EID_EIO;
	free(line);
	return r;
}

int eid_http_log_access(FILE *sink, const struct eid_http_access *a)
{
	json_t *o = json_object();
	int r = EID_ENOMEM;

	if (o == NULL ||
	    json_object_set_new(o, "ts", log_timestamp()) != 0 ||
	    json_object_set_new(o, "id", json_string(a->id)) != 0 ||
	    json_object_set_new(o, "remote", json_string(a->remote)) != 0 ||
	    json_object_set_new(o, "method", log_text(a->method)) != 0 ||
	    json_object_set_new(o, "path", log_text(a->path)) != 0 ||
	    json_object_set_new(o, "status", json_integer(a->status)) != 0 ||
	    json_object_set_new(o, "bytes",
				json_integer((json_int_t)a->bytes)) != 0 ||
	    json_object_set_new(o, "ms", json_real(a->ms)) != 0)
		goto out;
	r = log_emit(sink, o);
out:
	json_decref(o);
	return r;
}

int eid_http_log_event(FILE *sink, const char *level, const char *id,
		       const char *msg, int code)
{
	json_t *o = json_object();
	int r = EID_ENOMEM;

	if (o == NULL ||
	    json_object_set_new(o, "ts", log_timestamp()) != 0 ||
	    json_object_set_new(o, "level", json_string(level)) != 0 ||
	    (id != NULL && json_object_set_new(o, "id", json_string(id)) != 0) ||
	    json_object_set_new(o, "msg", log_text(msg)) != 0 ||
	    (code != EID_OK &&
	     json_object_set_new(o, "error", json_string(eid_errname(code))) != 0))
		goto out;
	r = log_emit(sink, o);
out:
	json_decref(o);
	return r;
}
