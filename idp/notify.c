/* The notification gateway's front and the outbox (see notify.h).
 *
 * Outbox keys are the time (8 bytes big-endian, unix seconds) and a
 * sequence number within that second (8 bytes), so a scan is in the order
 * of writing; values are compact JSON. */
#include "idp/notify.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"

#define KEY_LEN 16u
#define PRUNE_BATCH 64u
#define VALUE_MAX (4u * 1024)

static bool text_ok(const char *s, size_t max, bool newlines)
{
	size_t n;

	if (s == NULL || s[0] == '\0' || (n = strlen(s)) > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(newlines && c == '\n')) || c == 0x7f)
			return false;
	}
	return true;
}

void eid_notify_mask_phone(const char *phone, char *out, size_t cap)
{
	size_t n = strlen(phone), i;

	if (cap == 0)
		return;
	for (i = 0; i < n && i + 1 < cap; i++)
		out[i] = (i < 4 || i + 3 >= n) ? phone[i] : '*';
	out[i] = '\0';
}

int eid_notify_sms(const eid_notify *n, const char *phone, const char *text)
{
	if (n == NULL || n->send_sms == NULL ||
	    !text_ok(phone, EID_NOTIFY_SUBJECT_MAX, false) ||
	    !text_ok(text, EID_NOTIFY_TEXT_MAX, true))
		return EID_EINVAL;
	return n->send_sms(n->ctx, phone, text);
}

int eid_notify_email(const eid_notify *n, const char *address,
		     const char *subject, const char *text)
{
	if (n == NULL || n->send_email == NULL ||
	    !text_ok(address, EID_NOTIFY_SUBJECT_MAX, false) ||
	    !text_ok(subject, EID_NOTIFY_SUBJECT_MAX, false) ||
	    !text_ok(text, EID_NOTIFY_TEXT_MAX, true))
		return EID_EINVAL;
	return n->send_email(n->ctx, address, subject, text);
}

int eid_notify_push(const eid_notify *n, const char *device_id,
		    const char *title, const char *text)
{
	if (n == NULL || !text_ok(device_id, EID_NOTIFY_SUBJECT_MAX, false) ||
	    !text_ok(title, EID_NOTIFY_SUBJECT_MAX, false) ||
	    !text_ok(text, EID_NOTIFY_TEXT_MAX, true))
		return EID_EINVAL;
	if (n->send_push == NULL)
		return EID_EUNSUPPORTED;
	return n->send_push(n->ctx, device_id, title, text);
}

int eid_notify_start(eid_notify *n)
{
	if (n == NULL)
		return EID_EINVAL;
	return n->start != NULL ? n->start(n->ctx) : EID_OK;
}

void eid_notify_stop(eid_notify *n)
{
	if (n != NULL && n->stop != NULL)
		n->stop(n->ctx);
}

void eid_notify_close(eid_notify *n)
{
	if (n == NULL)
		return;
	if (n->close != NULL)
		n->close(n->ctx);
	memset(n, 0, sizeof(*n));
}

/* ---- the outbox table ---- */

/* After the last key: this second's next number (a clock that went back
 * keeps the last second, so the order holds). */
static int next_key(eid_txn *t, int64_t now, uint8_t key[KEY_LEN])
{
	eid_buf k, v;
	uint64_t sec = (uint64_t)now, seq = 0;
	int r;

	eid_buf_init(&k, EID_STORE_MAX_KEY);
	eid_buf_init(&v, EID_STORE_MAX_VALUE);
	r = eid_txn_last(t, EID_TABLE_OUTBOX, &k, &v);
	if (r == EID_OK && k.len == KEY_LEN && eid_be64_load(k.data) >= sec) {
		sec = eid_be64_load(k.data);
		seq = eid_be64_load(k.data + 8) + 1;
	}
	if (r == EID_ENOTFOUND || r == EID_OK) {
		eid_be64_store(key, sec);
		eid_be64_store(key + 8, seq);
		r = EID_OK;
	}
	eid_buf_free(&k);
	eid_buf_free(&v);
	return r;
}

int eid_outbox_append(eid_txn *t, int64_t now, const char *channel,
		      const char *to, const char *subject, const char *text)
{
	uint8_t key[KEY_LEN];
	json_t *o;
	char *v = NULL;
	int r;

	if (t == NULL || channel == NULL || to == NULL || text == NULL)
		return EID_EINVAL;
	if ((r = next_key(t, now, key)) != EID_OK)
		return r;
	o = json_pack("{s:I, s:s, s:s, s:s}", "time", (json_int_t)now,
		      "channel", channel, "to", to, "text", text);
	if (o != NULL && subject != NULL &&
	    json_object_set_new(o, "subject", json_string(subject)) != 0)
		r = EID_ENOMEM;
	if (o != NULL && r == EID_OK)
		v = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (v == NULL)
		return EID_ENOMEM;
	r = strlen(v) > VALUE_MAX ? EID_ETOOBIG :
				    eid_txn_put(t, EID_TABLE_OUTBOX, key,
						sizeof(key), v, strlen(v));
	eid_free_secret_str(v); /* it may hold a one-time code */
	return r;
}

static int64_t key_time(const void *key, size_t klen)
{
	return klen == KEY_LEN ? (int64_t)eid_be64_load(key) : INT64_MIN;
}

struct prune {
	int64_t cutoff;
	size_t max, n;
	uint8_t keys[PRUNE_BATCH][KEY_LEN];
};

static int collect_old(const void *key, size_t klen, const void *val,
		       size_t vlen, void *arg)
{
	struct prune *p = arg;

	(void)val;
	(void)vlen;
	if (p->n >= p->max || klen != KEY_LEN ||
	    key_time(key, klen) >= p->cutoff)
		return 1;
	memcpy(p->keys[p->n++], key, KEY_LEN);
	return EID_OK;
}

int eid_outbox_prune(eid_txn *t, int64_t cutoff, size_t max,
		     uint64_t *ret_removed)
{
	struct prune p = { .cutoff = cutoff,
			   .max = max < PRUNE_BATCH ? max : PRUNE_BATCH };
	int r = eid_txn_scan(t, EID_TABLE_OUTBOX, NULL, 0, collect_old, &p);

	for (size_t i = 0; r == EID_OK && i < p.n; i++)
		r = eid_txn_del(t, EID_TABLE_OUTBOX, p.keys[i], KEY_LEN);
	if (r == EID_OK && ret_removed != NULL)
		*ret_removed = p.n;
	return r;
}

struct scan {
	int64_t since;
	const char *to;
	eid_outbox_visit_fn fn;
	void *arg;
};

static int visit_msg(const void *key, size_t klen, const void *val,
		     size_t vlen, void *arg)
{
	struct scan *sc = arg;
	json_t *o;
	const char *to;
	int r = EID_OK;

	if (key_time(key, klen) < sc->since)
		return EID_OK;
	o = json_loadb(val, vlen, 0, NULL);
	if (o == NULL)
		return EID_EMALFORMED;
	to = json_string_value(json_object_get(o, "to"));
	if (sc->to == NULL || (to != NULL && strcmp(to, sc->to) == 0))
		r = sc->fn(o, sc->arg);
	json_decref(o);
	return r;
}

int eid_outbox_scan(eid_txn *t, int64_t since, const char *to,
		    eid_outbox_visit_fn fn, void *arg)
{
	struct scan sc = { since, to, fn, arg };

	if (t == NULL || fn == NULL)
		return EID_EINVAL;
	return eid_txn_scan(t, EID_TABLE_OUTBOX, NULL, 0, visit_msg, &sc);
}

/* ---- the outbox gateway ---- */

struct outbox {
	eid_store *store;
	uint64_t retention;
};

static int outbox_send(void *ctx, const char *channel, const char *to,
		       const char *subject, const char *text)
{
	struct outbox *ob = ctx;
	int64_t now = (int64_t)eid_store_now(ob->store);
	eid_txn *t = NULL;
	int r = eid_store_begin(ob->store, true, &t);

	if (r != EID_OK)
		return r;
	r = eid_outbox_prune(t, now - (int64_t)ob->retention, PRUNE_BATCH,
			     NULL);
	if (r == EID_OK)
		r = eid_outbox_append(t, now, channel, to, subject, text);
	if (r == EID_OK)
		return eid_txn_commit(t);
	eid_txn_abort(t);
	return r;
}

static int outbox_sms(void *ctx, const char *phone, const char *text)
{
	return outbox_send(ctx, "sms", phone, NULL, text);
}

static int outbox_email(void *ctx, const char *address, const char *subject,
			const char *text)
{
	return outbox_send(ctx, "email", address, subject, text);
}

static int outbox_push(void *ctx, const char *device_id, const char *title,
		       const char *text)
{
	return outbox_send(ctx, "push", device_id, title, text);
}

int eid_notify_open_outbox(eid_store *s, uint64_t retention,
			   eid_notify *ret)
{
	struct outbox *ob;

	if (s == NULL || ret == NULL || retention > INT64_MAX / 2)
		return EID_EINVAL;
	if ((ob = calloc(1, sizeof(*ob))) == NULL)
		return EID_ENOMEM;
	ob->store = s;
	ob->retention = retention;
	*ret = (eid_notify){ .send_sms = outbox_sms,
			     .send_email = outbox_email,
			     .close = free,
			     .ctx = ob,
			     .send_push = outbox_push };
	return EID_OK;
}
