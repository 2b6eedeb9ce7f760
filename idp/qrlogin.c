#include "idp/qrlogin.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"

#define KEY_LEN 33 /* kind, SHA-256 of the handle */
#define REC_MAX 512

const char *eid_qr_status_name(enum eid_qr_status st)
{
	static const char *const names[] = { "pending", "approved", "denied",
					     "expired" };

	return (unsigned)st < 4 ? names[st] : "expired";
}

static bool handle_ok(const char *h)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	return h != NULL && strnlen(h, EID_QR_HANDLE_LEN + 1) ==
				    EID_QR_HANDLE_LEN &&
	       strspn(h, alpha) == EID_QR_HANDLE_LEN;
}

/* 'h': the handle's record; 'd': its decision. */
static int make_key(char kind, const char *handle, uint8_t key[KEY_LEN])
{
	if (!handle_ok(handle))
		return EID_ENOTFOUND;
	key[0] = (uint8_t)kind;
	return eid_sha256(handle, EID_QR_HANDLE_LEN, key + 1);
}

int eid_qr_create(eid_store *s, const char *interaction_id, uint64_t now,
		  char ret_handle[EID_QR_HANDLE_LEN + 1])
{
	uint8_t raw[32], key[KEY_LEN];
	int r;

	if (interaction_id == NULL ||
	    strlen(interaction_id) != EID_INTERACTION_ID_LEN)
		return EID_EINVAL;
	if ((r = eid_random_bytes(raw, sizeof(raw))) ||
	    (r = eid_b64url_encode_str(raw, sizeof(raw), ret_handle,
				       EID_QR_HANDLE_LEN + 1)) ||
	    (r = make_key('h', ret_handle, key)))
		goto out;
	r = eid_eph_put(s, EID_EPH_CHALLENGES, key, sizeof(key),
			interaction_id, EID_INTERACTION_ID_LEN,
			now + EID_QR_TTL);
out:
	eid_wipe(raw, sizeof(raw));
	return r;
}

static int parse_decision(const eid_buf *b, struct eid_qr *q)
{
	json_t *o = json_loadb((const char *)b->data, b->len, 0, NULL);
	const char *pid = json_string_value(json_object_get(o, "pid"));
	const char *dev = json_string_value(json_object_get(o, "dev"));
	int r = EID_EMALFORMED;

	if (!json_is_boolean(json_object_get(o, "ok")))
		goto out;
	q->status = json_is_true(json_object_get(o, "ok")) ? EID_QR_APPROVED :
							     EID_QR_DENIED;
	if (pid != NULL && strlen(pid) < sizeof(q->personal_id))
		memcpy(q->personal_id, pid, strlen(pid) + 1);
	if (dev != NULL && strlen(dev) < sizeof(q->device_id))
		memcpy(q->device_id, dev, strlen(dev) + 1);
	q->level = (int)json_integer_value(json_object_get(o, "level"));
	r = EID_OK;
out:
	json_decref(o);
	return r;
}

/* The decision of a handle: EID_ENOTFOUND when none yet. */
static int get_decision(eid_store *s, const char *handle, bool take,
			struct eid_qr *q)
{
	uint8_t key[KEY_LEN];
	eid_buf b;
	int r;

	if ((r = make_key('d', handle, key)) != EID_OK)
		return r;
	eid_buf_init(&b, REC_MAX);
	r = take ? eid_eph_take(s, EID_EPH_CHALLENGES, key, sizeof(key), &b) :
		   eid_eph_get(s, EID_EPH_CHALLENGES, key, sizeof(key), &b,
			       NULL);
	if (r == EID_OK)
		r = parse_decision(&b, q);
	eid_buf_free(&b);
	return r;
}

int eid_qr_get(eid_store *s, const char *handle, struct eid_qr *ret)
{
	struct eid_qr q = { 0 };
	uint8_t key[KEY_LEN];
	eid_buf b;
	int r;

	if ((r = make_key('h', handle, key)) != EID_OK)
		return r;
	eid_buf_init(&b, REC_MAX);
	if ((r = eid_eph_get(s, EID_EPH_CHALLENGES, key, sizeof(key), &b,
			     &q.expires_at)))
		goto out;
	if (b.len != EID_INTERACTION_ID_LEN) {
		r = EID_EMALFORMED;
		goto out;
	}
	memcpy(q.interaction, b.data, b.len);
	q.status = EID_QR_PENDING;
	r = get_decision(s, handle, false, &q);
	if (r == EID_ENOTFOUND)
		r = EID_OK;
	if (r == EID_OK)
		*ret = q;
out:
	eid_buf_free(&b);
	return r;
}

int eid_qr_decide(eid_store *s, const char *handle, bool approve,
		  const char *personal_id, const char *device_id, int level)
{
	struct eid_qr q = { 0 };
	uint8_t key[KEY_LEN];
	char *text = NULL;
	json_t *o;
	int r;

	if ((r = eid_qr_get(s, handle, &q)) != EID_OK)
		return r;
	if (q.status != EID_QR_PENDING)
		return EID_ESTATE;
	o = json_pack("{s:b, s:s, s:s, s:i}", "ok", approve, "pid",
		      personal_id != NULL ? personal_id : "", "dev",
		      device_id != NULL ? device_id : "", "level", level);
	if (o != NULL)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return EID_ENOMEM;
	(void)make_key('d', handle, key);
	/* Insert only: of two racing decisions, one wins. */
	r = eid_eph_put(s, EID_EPH_CHALLENGES, key, sizeof(key), text,
			strlen(text), q.expires_at + EID_QR_TAKE_GRACE);
	free(text);
	if (r == EID_EEXIST)
		return EID_ESTATE;
	/* The browser may take the decision a little after the handle's
	 * own end. */
	(void)make_key('h', handle, key);
	if (r == EID_OK)
		r = eid_eph_set(s, EID_EPH_CHALLENGES, key, sizeof(key),
				q.interaction, EID_INTERACTION_ID_LEN,
				q.expires_at + EID_QR_TAKE_GRACE);
	return r;
}

static bool same_interaction(const struct eid_qr *q, const char *id)
{
	return id != NULL &&
	       eid_ct_equal_len(q->interaction, strlen(q->interaction), id,
				strnlen(id, EID_INTERACTION_ID_LEN + 1));
}

int eid_qr_status(eid_store *s, const char *handle,
		  const char *interaction_id, enum eid_qr_status *ret)
{
	struct eid_qr q = { 0 };
	int r = eid_qr_get(s, handle, &q);

	if (r == EID_ENOTFOUND || r == EID_EMALFORMED) {
		*ret = EID_QR_EXPIRED;
		return EID_OK;
	}
	if (r != EID_OK)
		return r;
	if (!same_interaction(&q, interaction_id))
		return EID_EPERM;
	*ret = q.status;
	return EID_OK;
}

int eid_qr_take(eid_store *s, const char *handle, const char *interaction_id,
		struct eid_qr *ret)
{
	struct eid_qr q = { 0 };
	uint8_t key[KEY_LEN];
	int r;

	if ((r = eid_qr_get(s, handle, &q)) != EID_OK)
		return r == EID_EMALFORMED ? EID_ENOTFOUND : r;
	if (!same_interaction(&q, interaction_id))
		return EID_EPERM;
	if (q.status == EID_QR_PENDING)
		return EID_ESTATE;
	if ((r = get_decision(s, handle, true, &q)) != EID_OK)
		return r;
	(void)make_key('h', handle, key);
	(void)eid_eph_del(s, EID_EPH_CHALLENGES, key, sizeof(key));
	*ret = q;
	return EID_OK;
}
