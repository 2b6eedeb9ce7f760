#include "idp/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "idp/audit.h"

#define DEVICE_FORMAT 1
#define KEY_MAX 40
#define REC_MAX 4096

void eid_device_clear(struct eid_device *d)
{
	if (d == NULL)
		return;
	json_decref(d->jwk);
	memset(d, 0, sizeof(*d));
}

int eid_device_check_jwk(const json_t *jwk,
			 char ret_jkt[EID_THUMBPRINT_LEN + 1])
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const char *alg = json_string_value(json_object_get(jwk, "alg"));
	eid_key *k = NULL;
	int r;

	if (!json_is_object(jwk))
		return EID_EMALFORMED;
	if (kty == NULL || strcmp(kty, "EC") != 0 || crv == NULL ||
	    strcmp(crv, "P-256") != 0 || (alg != NULL && strcmp(alg, "ES256")))
		return EID_EUNSUPPORTED;
	if ((r = eid_key_from_public_jwk(jwk, &k)) != EID_OK)
		return r;
	eid_key_free(k);
	return ret_jkt != NULL ? eid_jwk_thumbprint(jwk, ret_jkt) : EID_OK;
}

static void make_key(char out[KEY_MAX], char kind, const char *id)
{
	(void)snprintf(out, KEY_MAX, "%c:%s", kind, id);
}

static int put_record(eid_txn *t, const struct eid_device *d)
{
	char key[KEY_MAX], *text;
	json_t *o;
	int r;

	o = json_pack("{s:i, s:s, s:O, s:s, s:I, s:s, s:i, s:I}", "v",
		      DEVICE_FORMAT, "personal_id", d->personal_id, "jwk",
		      d->jwk, "jkt", d->jkt, "created", (json_int_t)d->created_at,
		      "status", d->active ? "active" : "ended", "level",
		      d->level, "ended", (json_int_t)d->ended_at);
	if (o == NULL)
		return EID_ENOMEM;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return EID_ENOMEM;
	make_key(key, 'd', d->id);
	r = eid_txn_put(t, EID_TABLE_DEVICES, key, strlen(key), text,
			strlen(text));
	free(text);
	return r;
}

static int copy_str(const json_t *o, const char *name, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, name));

	if (v == NULL || strlen(v) >= cap)
		return EID_EMALFORMED;
	memcpy(out, v, strlen(v) + 1);
	return EID_OK;
}

static int parse_record(const char *id, const eid_buf *b,
			struct eid_device *ret)
{
	struct eid_device d = { 0 };
	json_t *o = json_loadb((const char *)b->data, b->len, 0, NULL);
	const char *st;
	int r = EID_EMALFORMED;

	if (!json_is_object(o) || strlen(id) > EID_DEVICE_ID_LEN)
		goto out;
	memcpy(d.id, id, strlen(id) + 1);
	st = json_string_value(json_object_get(o, "status"));
	if (copy_str(o, "personal_id", d.personal_id, sizeof(d.personal_id)) ||
	    copy_str(o, "jkt", d.jkt, sizeof(d.jkt)) || st == NULL ||
	    !json_is_object(json_object_get(o, "jwk")))
		goto out;
	d.active = strcmp(st, "active") == 0;
	d.created_at = json_integer_value(json_object_get(o, "created"));
	d.ended_at = json_integer_value(json_object_get(o, "ended"));
	d.level = (int)json_integer_value(json_object_get(o, "level"));
	d.jwk = json_incref(json_object_get(o, "jwk"));
	*ret = d;
	r = EID_OK;
out:
	json_decref(o);
	return r;
}

int eid_device_get(eid_txn *t, const char *id, struct eid_device *ret)
{
	char key[KEY_MAX];
	eid_buf b;
	int r;

	if (id == NULL || strlen(id) == 0 || strlen(id) > EID_DEVICE_ID_LEN)
		return EID_ENOTFOUND;
	make_key(key, 'd', id);
	eid_buf_init(&b, REC_MAX);
	r = eid_txn_get(t, EID_TABLE_DEVICES, key, strlen(key), &b);
	if (r == EID_OK)
		r = parse_record(id, &b, ret);
	eid_buf_free(&b);
	return r;
}

int eid_device_active(eid_txn *t, const char *personal_id,
		      struct eid_device *ret)
{
	char key[KEY_MAX], id[EID_DEVICE_ID_LEN + 1];
	eid_buf b;
	int r;

	if (personal_id == NULL || strlen(personal_id) > 12)
		return EID_ENOTFOUND;
	make_key(key, 'p', personal_id);
	eid_buf_init(&b, EID_DEVICE_ID_LEN + 1);
	if ((r = eid_txn_get(t, EID_TABLE_DEVICES, key, strlen(key), &b)))
		goto out;
	if (b.len == 0 || b.len > EID_DEVICE_ID_LEN) {
		r = EID_EMALFORMED;
		goto out;
	}
	memcpy(id, b.data, b.len);
	id[b.len] = '\0';
	r = eid_device_get(t, id, ret);
	if (r == EID_OK && !ret->active) {
		eid_device_clear(ret);
		r = EID_ENOTFOUND;
	}
out:
	eid_buf_free(&b);
	return r;
}

/* Mark d ended and drop the account's pointer to it. */
static int end_device(eid_txn *t, struct eid_device *d, const char *actor,
		      int64_t now)
{
	char key[KEY_MAX];
	int r;

	d->active = false;
	d->ended_at = now;
	make_key(key, 'p', d->personal_id);
	if ((r = put_record(t, d)) != EID_OK ||
	    ((r = eid_txn_del(t, EID_TABLE_DEVICES, key, strlen(key))) !=
		     EID_OK &&
	     r != EID_ENOTFOUND))
		return r;
	return eid_audit_record(t, "device.end", actor, d->personal_id, NULL,
				json_pack("{s:s}", "device_id", d->id), now);
}

int eid_device_end(eid_txn *t, const char *personal_id, const char *actor,
		   int64_t now)
{
	struct eid_device d = { 0 };
	int r;

	if ((r = eid_device_active(t, personal_id, &d)) != EID_OK)
		return r;
	r = end_device(t, &d, actor, now);
	eid_device_clear(&d);
	return r;
}

static int new_id(char ret[EID_DEVICE_ID_LEN + 1])
{
	uint8_t raw[16];
	int r;

	if ((r = eid_random_bytes(raw, sizeof(raw))) == EID_OK)
		r = eid_b64url_encode_str(raw, sizeof(raw), ret,
					  EID_DEVICE_ID_LEN + 1);
	return r;
}

int eid_device_bind(eid_txn *t, const char *personal_id, const json_t *jwk,
		    int level, const char *remote, int64_t now,
		    struct eid_device *ret,
		    char ret_old_id[EID_DEVICE_ID_LEN + 1])
{
	struct eid_device d = { 0 }, old = { 0 };
	char key[KEY_MAX], actor[32];
	int r;

	ret_old_id[0] = '\0';
	if (personal_id == NULL || strlen(personal_id) != 12)
		return EID_EINVAL;
	if ((r = eid_device_check_jwk(jwk, d.jkt)) != EID_OK)
		return r;
	(void)snprintf(actor, sizeof(actor), "citizen:%s", personal_id);
	r = eid_device_active(t, personal_id, &old);
	if (r == EID_OK) {
		memcpy(ret_old_id, old.id, sizeof(old.id));
		r = end_device(t, &old, actor, now);
	} else if (r == EID_ENOTFOUND) {
		r = EID_OK;
	}
	if (r != EID_OK || (r = new_id(d.id)) != EID_OK)
		goto out;
	memcpy(d.personal_id, personal_id, 13);
	d.jwk = json_deep_copy(jwk);
	d.created_at = now;
	d.active = true;
	d.level = level;
	make_key(key, 'p', personal_id);
	if (d.jwk == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	if ((r = put_record(t, &d)) ||
	    (r = eid_txn_put(t, EID_TABLE_DEVICES, key, strlen(key), d.id,
			     strlen(d.id))) ||
	    (r = eid_audit_record(t, "device.bind", actor, personal_id, remote,
				  json_pack("{s:s, s:s, s:i}", "device_id",
					    d.id, "jkt", d.jkt, "level", level),
				  now)))
		goto out;
	*ret = d;
	memset(&d, 0, sizeof(d));
out:
	eid_device_clear(&d);
	eid_device_clear(&old);
	return r;
}

int eid_device_level_now(const struct eid_device *d, int account_level)
{
	return d->level == 2 && account_level == 2 ? 2 : 1;
}

int eid_device_raise_level(eid_txn *t, const char *id, int level)
{
	struct eid_device d = { 0 };
	int r;

	if ((r = eid_device_get(t, id, &d)) != EID_OK)
		return r;
	if (!d.active)
		r = EID_ESTATE;
	else if (d.level < level) {
		d.level = level;
		r = put_record(t, &d);
	}
	eid_device_clear(&d);
	return r;
}
