/* The HTTP registry adapter: GET {base_url}/citizens/{personal_id}. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/httpc.h"
#include "idp/registry.h"

/* Immutable after open, so one adapter serves several threads. */
struct http_ctx {
	struct eid_httpc client;
};

static void http_close(void *p)
{
	struct http_ctx *h = p;

	if (h == NULL)
		return;
	eid_httpc_free(&h->client);
	free(h);
}

static int build_url(const struct http_ctx *h, const char *id, eid_buf *url)
{
	int r = eid_buf_printf(url, "%s/citizens/%s", h->client.url, id);

	if (r == EID_OK && eid_buf_cstr(url) == NULL)
		r = EID_ENOMEM;
	return r;
}

static int decode_reply(long status, const eid_buf *body, const char *id,
			struct eid_citizen *ret)
{
	struct eid_citizen c;
	int r;

	if (status == 404)
		return EID_ENOTFOUND;
	if (status == 401 || status == 403)
		return EID_EPERM;
	if (status >= 500)
		return EID_ENETWORK;
	if (status != 200)
		return EID_EMALFORMED;
	r = eid_citizen_parse_json((const char *)body->data, body->len,
				   (int64_t)time(NULL), &c, NULL);
	if (r != EID_OK)
		return r == EID_ETOOBIG ? r : EID_EMALFORMED;
	if (strcmp(c.personal_id, id) != 0)
		return EID_EMISMATCH;
	*ret = c;
	return EID_OK;
}

static int http_lookup(void *ctx, const char *personal_id,
		       struct eid_citizen *ret)
{
	const struct http_ctx *h = ctx;
	struct eid_personal_id id;
	eid_buf url, body;
	long status = 0;
	int r;

	eid_buf_init(&url, EID_HTTPC_URL_MAX);
	eid_buf_init(&body, h->client.max_response);
	r = eid_personal_id_parse(personal_id, &id);
	if (r != EID_OK)
		goto out;
	r = build_url(h, id.digits, &url);
	if (r != EID_OK)
		goto out;
	r = eid_httpc_request(&h->client, eid_buf_cstr(&url), NULL, NULL, 0,
			      &body, &status);
	if (r != EID_OK)
		goto out;
	r = decode_reply(status, &body, id.digits, ret);
out:
	eid_buf_free(&url);
	eid_buf_free(&body);
	return r;
}

int eid_registry_open_http(const struct eid_registry_http_options *opt,
			   eid_registry *ret)
{
	struct eid_httpc_options o;
	struct http_ctx *h = NULL;
	int r;

	if (opt == NULL || ret == NULL)
		return EID_EINVAL;
	o = (struct eid_httpc_options){
		.url = opt->base_url,
		.bearer_token = opt->bearer_token,
		.ca_file = opt->ca_file,
		.connect_timeout_ms = opt->connect_timeout_ms,
		.timeout_ms = opt->timeout_ms,
		.max_retries = opt->max_retries,
		.backoff_ms = opt->backoff_ms,
		.max_response = opt->max_response,
		.allow_insecure_http = opt->allow_insecure_http,
		.retry_timeouts = true,
	};
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return EID_ENOMEM;
	r = eid_httpc_init(&h->client, &o);
	if (r != EID_OK) {
		free(h);
		return r;
	}
	ret->lookup = http_lookup;
	ret->close = http_close;
	ret->ctx = h;
	return EID_OK;
}
