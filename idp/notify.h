/* The notification gateway: how the IdP reaches a citizen (one-time codes
 * by SMS, notices by e-mail, push messages to the bound e-ID app).  An interface with two implementations:
 *
 *  - the outbox (the default): every message is appended to the durable
 *    EID_TABLE_OUTBOX table (time, channel, recipient, text) and kept for
 *    a configurable time; `eidctl outbox` lists it (operators relaying
 *    messages by hand, tests reading codes);
 *  - an HTTP SMS gateway: POST {"to": "+84...", "text": "..."} as JSON to a
 *    configured URL with a bearer token (libcurl, TLS verified, timeouts,
 *    retries on 5xx only: a timed-out POST may have been sent).  E-mail
 *    still goes to the outbox.  As [notify] configures it, an SMS is only
 *    queued (idp/smsq.h) and a worker thread, started with the server,
 *    delivers it: a slow gateway never holds a request.
 *
 * Implementations must be safe to call from several threads at once. */
#ifndef EID_NOTIFY_H
#define EID_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/store.h"

struct eid_config;

#define EID_NOTIFY_TEXT_MAX 1024u   /* bytes of one message */
#define EID_NOTIFY_SUBJECT_MAX 200u

typedef struct eid_notify {
	int (*send_sms)(void *ctx, const char *phone, const char *text);
	int (*send_email)(void *ctx, const char *address, const char *subject,
			  const char *text);
	void (*close)(void *ctx); /* frees ctx; may be NULL */
	void *ctx;
	/* A push message to the app of a bound device (to: the device id);
	 * NULL: EID_EUNSUPPORTED.  Both gateways put it in the outbox (the
	 * "push" channel) until a push service is connected here. */
	int (*send_push)(void *ctx, const char *device_id, const char *title,
			 const char *text);
	/* The delivery worker, if the implementation has one; may be NULL. */
	int (*start)(void *ctx);
	void (*stop)(void *ctx);
} eid_notify;

/* Send through the gateway.  EID_EINVAL for NULL or empty arguments, a
 * text over EID_NOTIFY_TEXT_MAX or with bytes below 0x20 other than '\n';
 * otherwise the implementation's answer. */
int eid_notify_sms(const eid_notify *n, const char *phone, const char *text);
/* "+84912345678" -> "+849*****678" into out (cap bytes with the NUL):
 * enough for an operator or an officer to match a complaint, not the
 * whole number. */
void eid_notify_mask_phone(const char *phone, char *out, size_t cap);
int eid_notify_email(const eid_notify *n, const char *address,
		     const char *subject, const char *text);
int eid_notify_push(const eid_notify *n, const char *device_id,
		    const char *title, const char *text);
/* Start and stop the implementation's delivery worker (nothing to do for
 * the outbox).  Stop returns after the delivery in flight. */
int eid_notify_start(eid_notify *n);
void eid_notify_stop(eid_notify *n);
/* Release the implementation; the struct may be reused.  Safe on NULL. */
void eid_notify_close(eid_notify *n);

/* ---- the outbox ---- */

/* Messages older than retention (seconds) are removed as new ones are
 * appended.  The store must outlive the gateway. */
int eid_notify_open_outbox(eid_store *s, uint64_t retention,
			   eid_notify *ret);

/* Append one message in the caller's write transaction (the outbox's own
 * sends use their own).  channel: "sms", "email" or "push"; subject may be NULL. */
int eid_outbox_append(eid_txn *t, int64_t now, const char *channel,
		      const char *to, const char *subject, const char *text);
/* Remove messages from before cutoff (unix seconds), at most max of them;
 * *ret_removed (may be NULL) counts them. */
int eid_outbox_prune(eid_txn *t, int64_t cutoff, size_t max,
		     uint64_t *ret_removed);

/* Visit messages at or after since (unix seconds), oldest first, as JSON
 * objects {"time", "channel", "to", "subject"?, "text"} (borrowed for the
 * call).  to (may be NULL) keeps only one recipient.  The visitor returns
 * EID_OK to go on, 1 to stop, or an error. */
typedef int (*eid_outbox_visit_fn)(const json_t *msg, void *arg);
int eid_outbox_scan(eid_txn *t, int64_t since, const char *to,
		    eid_outbox_visit_fn fn, void *arg);

/* ---- the HTTP SMS gateway ---- */

struct eid_notify_http_options {
	const char *url;          /* https:// */
	const char *bearer_token; /* NULL: none */
	const char *ca_file;      /* NULL: the system's trust anchors */
	long connect_timeout_ms;  /* 0: 3000 */
	long timeout_ms;          /* 0: 10000 */
	unsigned max_retries;     /* on 5xx */
	long backoff_ms;          /* 0: 200 */
	bool allow_insecure_http; /* tests on loopback */
	eid_store *email_outbox;  /* where e-mail goes; NULL: EID_EUNSUPPORTED */
	uint64_t outbox_retention;
	/* Queue SMS in this store (idp/smsq.h) instead of sending them on the
	 * caller's thread; NULL: send at once. */
	eid_store *queue;
	unsigned queue_max;
	uint64_t queue_max_age;
};

/* 2xx: EID_OK; 401/403: EID_EPERM; 5xx after the retries: EID_ENETWORK;
 * timeouts: EID_ETIMEOUT; another status: EID_EMALFORMED.  EID_ECONFIG
 * for bad options.  Queued: EID_OK once in the queue, EID_EBUSY when it
 * is full (the worker then meets the answers above). */
int eid_notify_open_http(const struct eid_notify_http_options *opt,
			 eid_notify *ret);

/* The gateway the [notify] section asks for: the outbox when
 * sms_gateway_url is empty, else the HTTP gateway, queued (queue_max,
 * sms_max_age), with the token read from sms_gateway_token_file (one
 * line).  EID_ECONFIG when the URL or
 * the token file is bad. */
int eid_notify_open_config(const struct eid_config *cfg, eid_store *s,
			   eid_notify *ret);

#endif
