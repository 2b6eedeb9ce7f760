/* The HTTP SMS gateway adapter and the choice made by [notify]. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/config.h"
#include "idp/httpc.h"
#include "idp/notify.h"
#include "idp/smsq.h"

#define REPLY_MAX (4u * 1024)
/* Queued, the worker retries (with backoff, until the message is too
 * old), so one POST is one try, and a short timeout bounds a shutdown. */
#define QUEUED_TIMEOUT_MS 5000

struct sms_http {
	struct eid_httpc client;
	eid_notify email; /* the outbox, or nothing */
	eid_smsq *queue;  /* NULL: SMS sent on the caller's thread */
};

static int status_error(long status)
{
	if (status >= 200 && status < 300)
		return EID_OK;
	if (status == 401 || status == 403)
		return EID_EPERM;
	if (status >= 500)
		return EID_ENETWORK;
	return EID_EMALFORMED;
}

/* The POST itself (on the queue's worker when queued). */
static int http_sms_now(void *ctx, const char *phone, const char *text)
{
	struct sms_http *h = ctx;
	json_t *o = json_pack("{s:s, s:s}", "to", phone, "text", text);
	char *body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	eid_buf reply;
	long status = 0;
	int r = EID_ENOMEM;

	json_decref(o);
	eid_buf_init(&reply, REPLY_MAX);
	if (body == NULL)
		goto out;
	r = eid_httpc_request(&h->client, h->client.url, "application/json",
			      body, strlen(body), &reply, &status);
	if (r == EID_OK)
		r = status_error(status);
out:
	eid_free_secret_str(body); /* it holds the code */
	eid_buf_free(&reply);
	return r;
}

static int http_sms(void *ctx, const char *phone, const char *text)
{
	struct sms_http *h = ctx;

	if (h->queue != NULL)
		return eid_smsq_enqueue(h->queue, phone, text);
	return http_sms_now(ctx, phone, text);
}

static int http_start(void *ctx)
{
	struct sms_http *h = ctx;

	return h->queue != NULL ? eid_smsq_start(h->queue) : EID_OK;
}

static void http_stop(void *ctx)
{
	struct sms_http *h = ctx;

	eid_smsq_stop(h->queue);
}

static int http_email(void *ctx, const char *address, const char *subject,
		      const char *text)
{
	struct sms_http *h = ctx;

	if (h->email.send_email == NULL)
		return EID_EUNSUPPORTED;
	return eid_notify_email(&h->email, address, subject, text);
}

static int http_push(void *ctx, const char *device_id, const char *title,
		     const char *text)
{
	struct sms_http *h = ctx;

	return eid_notify_push(&h->email, device_id, title, text);
}

static void http_close(void *ctx)
{
	struct sms_http *h = ctx;

	if (h == NULL)
		return;
	eid_smsq_close(h->queue); /* stops the worker before the client goes */
	eid_httpc_free(&h->client);
	eid_notify_close(&h->email);
	free(h);
}

int eid_notify_open_http(const struct eid_notify_http_options *opt,
			 eid_notify *ret)
{
	struct eid_httpc_options o;
	struct sms_http *h;
	int r;

	if (opt == NULL || ret == NULL)
		return EID_EINVAL;
	o = (struct eid_httpc_options){
		.url = opt->url,
		.bearer_token = opt->bearer_token,
		.ca_file = opt->ca_file,
		.connect_timeout_ms = opt->connect_timeout_ms,
		.timeout_ms = opt->timeout_ms,
		.max_retries = opt->max_retries,
		.backoff_ms = opt->backoff_ms,
		.max_response = REPLY_MAX,
		.allow_insecure_http = opt->allow_insecure_http,
	};
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return EID_ENOMEM;
	r = eid_httpc_init(&h->client, &o);
	if (r == EID_OK && opt->email_outbox != NULL)
		r = eid_notify_open_outbox(opt->email_outbox,
					   opt->outbox_retention, &h->email);
	if (r == EID_OK && opt->queue != NULL) {
		struct eid_smsq_options qo = {
			.queue_max = opt->queue_max,
			.max_age = opt->queue_max_age,
		};
		r = eid_smsq_open(opt->queue, &qo, http_sms_now, h, &h->queue);
	}
	if (r != EID_OK) {
		http_close(h);
		return r;
	}
	*ret = (eid_notify){ .send_sms = http_sms,
			     .send_email = http_email,
			     .close = http_close,
			     .ctx = h,
			     .send_push = http_push,
			     .start = http_start,
			     .stop = http_stop };
	return EID_OK;
}

int eid_notify_open_config(const struct eid_config *cfg, eid_store *s,
			   eid_notify *ret)
{
	const char *url = cfg->notify.sms_gateway_url;
	const char *tf = cfg->notify.sms_gateway_token_file;
	struct eid_notify_http_options o = {
		.url = url,
		.timeout_ms = QUEUED_TIMEOUT_MS,
		.email_outbox = s,
		.outbox_retention = cfg->notify.outbox_retention,
		.queue = s,
		.queue_max = (unsigned)cfg->notify.queue_max,
		.queue_max_age = cfg->notify.sms_max_age,
	};
	char *token = NULL;
	int r;

	if (url[0] == '\0')
		return eid_notify_open_outbox(s, cfg->notify.outbox_retention,
					      ret);
	if (tf[0] != '\0' && (r = eid_httpc_read_token(tf, false, &token, NULL)) != EID_OK)
		return r;
	o.bearer_token = token;
	o.allow_insecure_http = eid_httpc_loopback_http(url);
	r = eid_notify_open_http(&o, ret);
	eid_free_secret_str(token);
	return r;
}
