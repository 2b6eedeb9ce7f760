#include "idp/biometric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/config.h"
#include "idp/httpc.h"
#include "idp/jsonrec.h"


int eid_biometric_match(const eid_biometric *b,
			const struct eid_biometric_image *portrait,
			const struct eid_biometric_image *selfie,
			struct eid_biometric_verdict *ret)
{
	if (b == NULL || b->match == NULL || portrait == NULL ||
	    selfie == NULL || ret == NULL)
		return EID_EINVAL;
	if (portrait->len == 0 || portrait->len > EID_BIOMETRIC_IMAGE_MAX ||
	    selfie->len == 0 || selfie->len > EID_BIOMETRIC_IMAGE_MAX ||
	    portrait->type == NULL || selfie->type == NULL)
		return EID_EINVAL;
	return b->match(b->ctx, portrait, selfie, ret);
}

void eid_biometric_close(eid_biometric *b)
{
	if (b == NULL)
		return;
	if (b->close != NULL)
		b->close(b->ctx);
	memset(b, 0, sizeof(*b));
}

/* ---- none ---- */

static int none_match(void *ctx, const struct eid_biometric_image *portrait,
		      const struct eid_biometric_image *selfie,
		      struct eid_biometric_verdict *ret)
{
	(void)ctx;
	(void)portrait;
	(void)selfie;
	(void)ret;
	return EID_EUNSUPPORTED;
}

void eid_biometric_open_none(eid_biometric *ret)
{
	*ret = (eid_biometric){ .name = "none", .match = none_match };
}

/* ---- the answer ---- */

int eid_biometric_parse_answer(const uint8_t *p, size_t n, unsigned threshold,
			       struct eid_biometric_verdict *ret)
{
	json_t *o, *m, *s;
	double score;
	int r = EID_EMALFORMED;

	if (p == NULL || n == 0 || n > EID_BIOMETRIC_ANSWER_MAX)
		return EID_EMALFORMED;
	o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	m = json_object_get(o, "match");
	s = json_object_get(o, "score");
	if (json_is_object(o) && json_is_boolean(m) && json_is_number(s)) {
		score = json_number_value(s);
		if (score >= 0.0 && score <= 1.0) {
			ret->score = score;
			/* compared in hundredths: 0.8 is 80 whatever the
			 * binary rounding of the two */
			ret->match = json_is_true(m) &&
				     (unsigned)(score * 100.0 + 1e-9) >=
					     threshold;
			r = EID_OK;
		}
	}
	json_decref(o);
	return r;
}

/* ---- http ---- */

struct http_ctx {
	struct eid_httpc h;
	unsigned threshold;
};

static int status_error(long status)
{
	if (status == 401 || status == 403)
		return EID_EPERM;
	return status >= 500 ? EID_ENETWORK : EID_EMALFORMED;
}

static int http_match(void *arg, const struct eid_biometric_image *portrait,
		      const struct eid_biometric_image *selfie,
		      struct eid_biometric_verdict *ret)
{
	struct http_ctx *c = arg;
	json_t *o = json_pack("{s:s}", "portrait_type", portrait->type);
	char *text = NULL;
	long status = 0;
	eid_buf body;
	int r = o != NULL ? EID_OK : EID_ENOMEM;

	eid_buf_init(&body, EID_BIOMETRIC_ANSWER_MAX);
	if (r == EID_OK &&
	    ((r = eid_jrec_set_b64url(o, "portrait", portrait->data,
				      portrait->len)) != EID_OK ||
	     (r = eid_jrec_set_b64url(o, "selfie", selfie->data,
				      selfie->len)) != EID_OK))
		goto out;
	if (r == EID_OK && (text = json_dumps(o, JSON_COMPACT)) == NULL)
		r = EID_ENOMEM;
	if (r == EID_OK)
		r = eid_httpc_request(&c->h, c->h.url, "application/json", text,
				      strlen(text), &body, &status);
	if (r == EID_ETOOBIG)
		r = EID_EMALFORMED;
	if (r == EID_OK && status != 200)
		r = status_error(status);
	if (r == EID_OK)
		r = eid_biometric_parse_answer(body.data, body.len,
					       c->threshold, ret);
out:
	free(text);
	json_decref(o);
	eid_buf_free(&body);
	return r;
}

static void http_close(void *arg)
{
	struct http_ctx *c = arg;

	if (c == NULL)
		return;
	eid_httpc_free(&c->h);
	free(c);
}

int eid_biometric_open_http(const struct eid_biometric_http_options *o,
			    eid_biometric *ret)
{
	struct eid_httpc_options ho = {
		.url = o->url,
		.bearer_token = o->bearer_token,
		.connect_timeout_ms = o->timeout_ms < 3000 ? o->timeout_ms : 3000,
		.timeout_ms = o->timeout_ms,
		.max_retries = 0,
		.max_response = EID_BIOMETRIC_ANSWER_MAX,
		.allow_insecure_http = o->allow_insecure_http,
	};
	struct http_ctx *c;
	int r;

	if (o->url == NULL || o->url[0] == '\0' || o->threshold > 100 ||
	    o->timeout_ms <= 0)
		return EID_ECONFIG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return EID_ENOMEM;
	c->threshold = o->threshold;
	if ((r = eid_httpc_init(&c->h, &ho)) != EID_OK) {
		http_close(c);
		return r;
	}
	*ret = (eid_biometric){ .name = "http", .match = http_match,
				.close = http_close, .ctx = c };
	return EID_OK;
}

int eid_biometric_open_config(const struct eid_config *cfg,
			      eid_biometric *ret)
{
	const char *svc = cfg->biometric.service;
	const char *tf = cfg->biometric.token_file;
	struct eid_biometric_http_options o = {
		.url = cfg->biometric.url,
		.threshold = (unsigned)cfg->biometric.threshold,
		.timeout_ms = (long)cfg->biometric.timeout_ms,
		.allow_insecure_http = eid_httpc_loopback_http(cfg->biometric.url),
	};
	char *token = NULL;
	int r;

	if (strcmp(svc, "none") == 0) {
		eid_biometric_open_none(ret);
		return EID_OK;
	}
	if (strcmp(svc, "http") != 0)
		return EID_ECONFIG;
	if (tf[0] != '\0' &&
	    (r = eid_httpc_read_token(tf, true, &token, NULL)) != EID_OK)
		return r;
	o.bearer_token = token;
	r = eid_biometric_open_http(&o, ret);
	eid_free_secret_str(token);
	return r;
}
