#include "idp/devgrant.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/opaque.h"

#define TAG_DEVICE 'D'
#define TAG_USER 'U'
#define TAG_DECISION 'A'
#define TAG_REDEEMED 'R'
#define CODE_RANDOM 32
#define REC_MAX (8u * 1024)
#define DECISION_MAX EID_GRANT_MAX
/* Fresh user codes tried before giving up on collisions. */
#define USER_CODE_TRIES 8

/* ---- user codes ---- */

int eid_devgrant_user_code_normalise(const char *in,
				     char ret[EID_DEVGRANT_USER_CODE_LEN + 1])
{
	char out[EID_DEVGRANT_USER_CODE_LEN + 1];
	size_t n = 0;

	if (in == NULL)
		return EID_EMALFORMED;
	for (size_t i = 0; in[i] != '\0'; i++) {
		char c = in[i];
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (n == EID_DEVGRANT_USER_CODE_LEN || c == '\0' ||
		    strchr(EID_DEVGRANT_ALPHABET, c) == NULL)
			return EID_EMALFORMED;
		out[n++] = c;
	}
	if (n != EID_DEVGRANT_USER_CODE_LEN)
		return EID_EMALFORMED;
	out[n] = '\0';
	memcpy(ret, out, sizeof(out));
	return EID_OK;
}

void eid_devgrant_user_code_show(const char *code,
				 char ret[EID_DEVGRANT_USER_CODE_SHOWN + 1])
{
	memcpy(ret, code, 4);
	ret[4] = '-';
	memcpy(ret + 5, code + 4, 4);
	ret[9] = '\0';
}

/* 8 letters, each uniform over the 20 (bytes of 240 and more are drawn
 * again, so no letter is more likely than another). */
static int user_code_new(char ret[EID_DEVGRANT_USER_CODE_LEN + 1])
{
	static const char alpha[] = EID_DEVGRANT_ALPHABET;
	uint8_t rnd[32];
	size_t n = 0;
	int r = EID_OK;

	while (n < EID_DEVGRANT_USER_CODE_LEN && r == EID_OK) {
		if ((r = eid_random_bytes(rnd, sizeof(rnd))) != EID_OK)
			break;
		for (size_t i = 0; i < sizeof(rnd) &&
				   n < EID_DEVGRANT_USER_CODE_LEN; i++)
			if (rnd[i] < 240)
				ret[n++] = alpha[rnd[i] % 20];
	}
	ret[EID_DEVGRANT_USER_CODE_LEN] = '\0';
	eid_wipe(rnd, sizeof(rnd));
	return r;
}

/* ---- the stored record ---- */

static int record_text(const struct eid_devgrant *d, char **ret)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:i, s:s, s:I, s:I, s:I}",
			      "client_id", d->client_id, "scope", d->scope,
			      "scopes", (json_int_t)d->scopes, "acr_level",
			      d->acr_level, "user_code", d->user_code,
			      "interval", (json_int_t)d->interval,
			      "last_poll", (json_int_t)d->last_poll, "exp",
			      (json_int_t)d->expires_at);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (text == NULL)
		return EID_ENOMEM;
	*ret = text;
	return EID_OK;
}

static int copy_str(const json_t *o, const char *name, char *out, size_t max)
{
	const char *v = json_string_value(json_object_get(o, name));

	if (v == NULL || strlen(v) >= max)
		return EID_EMALFORMED;
	memcpy(out, v, strlen(v) + 1);
	return EID_OK;
}

static int record_parse(const eid_buf *b, struct eid_devgrant *ret)
{
	json_t *o = json_loadb((const char *)b->data, b->len, 0, NULL);
	struct eid_devgrant d = { 0 };
	json_int_t scopes, acr, interval, last, exp;
	int r = EID_EMALFORMED;

	if (json_unpack(o, "{s:I, s:i, s:I, s:I, s:I}", "scopes", &scopes,
			"acr_level", &acr, "interval", &interval, "last_poll",
			&last, "exp", &exp) != 0 ||
	    scopes < 0 || interval < 0 || last < 0 || exp < 0)
		goto out;
	if ((r = copy_str(o, "client_id", d.client_id,
			  sizeof(d.client_id))) ||
	    (r = copy_str(o, "scope", d.scope, sizeof(d.scope))) ||
	    (r = copy_str(o, "user_code", d.user_code, sizeof(d.user_code))))
		goto out;
	d.scopes = (unsigned)scopes;
	d.acr_level = (int)acr;
	d.interval = (uint64_t)interval;
	d.last_poll = (uint64_t)last;
	d.expires_at = (uint64_t)exp;
	*ret = d;
out:
	json_decref(o);
	return r;
}

static int record_put(eid_store *s, const uint8_t key[EID_OPAQUE_KEY_LEN],
		      const struct eid_devgrant *d, bool insert)
{
	char *text = NULL;
	int r;

	if ((r = record_text(d, &text)) != EID_OK)
		return r;
	r = (insert ? eid_eph_put : eid_eph_set)(
		s, EID_EPH_CODES, key, EID_OPAQUE_KEY_LEN, text, strlen(text),
		d->expires_at + EID_DEVGRANT_GRACE);
	free(text);
	return r;
}

static int record_get(eid_store *s, const uint8_t key[EID_OPAQUE_KEY_LEN],
		      struct eid_devgrant *ret)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, REC_MAX);
	if ((r = eid_eph_get(s, EID_EPH_CODES, key, EID_OPAQUE_KEY_LEN, &b,
			     NULL)) == EID_OK)
		r = record_parse(&b, ret);
	eid_buf_free(&b);
	return r;
}

/* ---- start ---- */

int eid_devgrant_start(eid_store *s, const char *client_id, const char *scope,
		       unsigned scopes, int acr_level, uint64_t now,
		       uint64_t ttl, uint64_t interval,
		       char ret_device_code[EID_DEVGRANT_CODE_LEN + 1],
		       char ret_user_code[EID_DEVGRANT_USER_CODE_LEN + 1])
{
	struct eid_devgrant d = { 0 };
	uint8_t dkey[EID_OPAQUE_KEY_LEN], ukey[EID_OPAQUE_KEY_LEN];
	char code[EID_DEVGRANT_CODE_LEN + 1];
	int r = EID_EEXIST;

	if (s == NULL || client_id == NULL || scope == NULL || ttl == 0 ||
	    strlen(client_id) >= sizeof(d.client_id) ||
	    strlen(scope) >= sizeof(d.scope))
		return EID_EINVAL;
	memcpy(d.client_id, client_id, strlen(client_id) + 1);
	memcpy(d.scope, scope, strlen(scope) + 1);
	d.scopes = scopes;
	d.acr_level = acr_level;
	d.interval = interval;
	d.expires_at = now + ttl;
	if ((r = eid_opaque_random(CODE_RANDOM, code, sizeof(code))) ||
	    (r = eid_opaque_key(TAG_DEVICE, code, EID_DEVGRANT_CODE_LEN,
				dkey)))
		goto out;
	/* A user code names one live request: draw again on a collision. */
	r = EID_EEXIST;
	for (int i = 0; i < USER_CODE_TRIES && r == EID_EEXIST; i++) {
		if ((r = user_code_new(d.user_code)) != EID_OK ||
		    (r = eid_opaque_key(TAG_USER, d.user_code,
					EID_DEVGRANT_USER_CODE_LEN, ukey)))
			break;
		r = eid_eph_put(s, EID_EPH_CODES, ukey, sizeof(ukey), dkey,
				sizeof(dkey), d.expires_at);
	}
	if (r != EID_OK || (r = record_put(s, dkey, &d, true)) != EID_OK)
		goto out;
	memcpy(ret_device_code, code, sizeof(code));
	memcpy(ret_user_code, d.user_code, sizeof(d.user_code));
out:
	eid_wipe(code, sizeof(code));
	return r;
}

/* ---- the citizen's side ---- */

/* The 'D' key of a live, undecided user code. */
static int user_code_device_key(eid_store *s, const char *user_code,
				uint8_t ret_dkey[EID_OPAQUE_KEY_LEN])
{
	uint8_t ukey[EID_OPAQUE_KEY_LEN];
	eid_buf b;
	int r;

	if (user_code == NULL ||
	    strnlen(user_code, EID_DEVGRANT_USER_CODE_LEN + 1) !=
		    EID_DEVGRANT_USER_CODE_LEN)
		return EID_ENOTFOUND;
	if ((r = eid_opaque_key(TAG_USER, user_code,
				EID_DEVGRANT_USER_CODE_LEN, ukey)) != EID_OK)
		return r;
	eid_buf_init(&b, EID_OPAQUE_KEY_LEN);
	r = eid_eph_get(s, EID_EPH_CODES, ukey, sizeof(ukey), &b, NULL);
	if (r == EID_OK && (b.len != EID_OPAQUE_KEY_LEN ||
			    b.data[0] != TAG_DEVICE))
		r = EID_EMALFORMED;
	if (r == EID_OK)
		memcpy(ret_dkey, b.data, EID_OPAQUE_KEY_LEN);
	eid_buf_free(&b);
	return r;
}

int eid_devgrant_by_user_code(eid_store *s, const char *user_code,
			      struct eid_devgrant *ret)
{
	struct eid_devgrant d;
	uint8_t dkey[EID_OPAQUE_KEY_LEN];
	int r;

	if ((r = user_code_device_key(s, user_code, dkey)) != EID_OK ||
	    (r = record_get(s, dkey, &d)) != EID_OK)
		return r;
	if (d.expires_at <= eid_store_now(s) ||
	    strcmp(d.user_code, user_code) != 0)
		return EID_ENOTFOUND;
	*ret = d;
	return EID_OK;
}

static int decision_text(bool approve, const struct eid_grant *g,
			 char **ret)
{
	json_t *o = json_pack("{s:b}", "ok", approve), *gj = NULL;
	char *text = NULL;
	int r = EID_ENOMEM;

	if (o == NULL)
		return r;
	if (approve) {
		struct eid_grant copy = *g;
		/* The id the grant will have when the token endpoint
		 * records it. */
		if ((r = eid_grant_new_id(copy.id)) != EID_OK ||
		    (r = eid_grant_to_json(&copy, &gj)) != EID_OK)
			goto out;
		r = EID_ENOMEM;
		if (json_object_set_new(o, "grant", gj) != 0)
			goto out;
	}
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	r = strlen(text) <= DECISION_MAX ? EID_OK : EID_ETOOBIG;
	if (r == EID_OK)
		*ret = text;
	else
		free(text);
out:
	json_decref(o);
	return r;
}

int eid_devgrant_decide(eid_store *s, const char *user_code, bool approve,
			const struct eid_grant *g)
{
	struct eid_devgrant d;
	uint8_t dkey[EID_OPAQUE_KEY_LEN], akey[EID_OPAQUE_KEY_LEN];
	uint8_t ukey[EID_OPAQUE_KEY_LEN];
	char *text = NULL;
	int r;

	if (approve && g == NULL)
		return EID_EINVAL;
	if ((r = user_code_device_key(s, user_code, dkey)) != EID_OK ||
	    (r = record_get(s, dkey, &d)) != EID_OK)
		return r;
	if (d.expires_at <= eid_store_now(s))
		return EID_ENOTFOUND;
	if ((r = decision_text(approve, g, &text)) != EID_OK)
		return r;
	memcpy(akey, dkey, sizeof(akey));
	akey[0] = TAG_DECISION;
	/* Insert only: of two racing decisions, one wins. */
	r = eid_eph_put(s, EID_EPH_CODES, akey, sizeof(akey), text,
			strlen(text), d.expires_at + EID_DEVGRANT_GRACE);
	free(text);
	if (r == EID_EEXIST)
		return EID_ESTATE;
	if (r == EID_OK &&
	    eid_opaque_key(TAG_USER, user_code, EID_DEVGRANT_USER_CODE_LEN,
			   ukey) == EID_OK)
		(void)eid_eph_del(s, EID_EPH_CODES, ukey, sizeof(ukey));
	return r;
}

/* ---- the device's side ---- */

/* The decision, taken (single use).  EID_ENOTFOUND when none yet. */
static int decision_take(eid_store *s, const uint8_t akey[EID_OPAQUE_KEY_LEN],
			 bool *ret_ok, struct eid_grant *ret_grant)
{
	json_t *o = NULL;
	eid_buf b;
	int r;

	eid_buf_init(&b, DECISION_MAX);
	if ((r = eid_eph_take(s, EID_EPH_CODES, akey, EID_OPAQUE_KEY_LEN,
			      &b)) != EID_OK)
		goto out;
	o = json_loadb((const char *)b.data, b.len, 0, NULL);
	r = EID_EMALFORMED;
	if (!json_is_boolean(json_object_get(o, "ok")))
		goto out;
	*ret_ok = json_is_true(json_object_get(o, "ok"));
	r = *ret_ok ? eid_grant_from_json(json_object_get(o, "grant"),
					   ret_grant) :
		      EID_OK;
out:
	json_decref(o);
	eid_buf_free(&b);
	return r;
}

static bool decided(eid_store *s, const uint8_t akey[EID_OPAQUE_KEY_LEN])
{
	eid_buf b;
	int r;

	eid_buf_init(&b, DECISION_MAX);
	r = eid_eph_get(s, EID_EPH_CODES, akey, EID_OPAQUE_KEY_LEN, &b, NULL);
	eid_buf_free(&b);
	return r == EID_OK;
}

/* The decision is in: take it, and leave only the redeemed mark. */
static int finish(eid_store *s, const uint8_t dkey[EID_OPAQUE_KEY_LEN],
		  const struct eid_devgrant *d, struct eid_grant *ret_grant)
{
	uint8_t key[EID_OPAQUE_KEY_LEN];
	struct eid_grant g = { 0 };
	bool ok = false;
	int r;

	memcpy(key, dkey, sizeof(key));
	key[0] = TAG_DECISION;
	r = decision_take(s, key, &ok, &g);
	if (r == EID_ENOTFOUND)
		return EID_EREPLAY; /* a racing poll took it */
	if (r != EID_OK)
		return r;
	key[0] = TAG_REDEEMED;
	if ((r = eid_eph_set(s, EID_EPH_CODES, key, sizeof(key), "", 0,
			     d->expires_at + EID_DEVGRANT_GRACE)) != EID_OK ||
	    (r = eid_eph_del(s, EID_EPH_CODES, dkey, EID_OPAQUE_KEY_LEN)) !=
		    EID_OK) {
		eid_grant_clear(&g);
		return r;
	}
	if (!ok)
		return EID_EPERM;
	*ret_grant = g;
	return EID_OK;
}

int eid_devgrant_poll(eid_store *s, const char *device_code,
		      const char *client_id, uint64_t now,
		      struct eid_grant *ret_grant)
{
	struct eid_devgrant d;
	uint8_t dkey[EID_OPAQUE_KEY_LEN], key[EID_OPAQUE_KEY_LEN];
	bool early;
	eid_buf b;
	int r;

	if (eid_opaque_check(device_code, EID_DEVGRANT_CODE_LEN) != EID_OK)
		return EID_EMALFORMED;
	if ((r = eid_opaque_key(TAG_DEVICE, device_code,
				EID_DEVGRANT_CODE_LEN, dkey)) != EID_OK)
		return r;
	r = record_get(s, dkey, &d);
	if (r == EID_ENOTFOUND) {
		memcpy(key, dkey, sizeof(key));
		key[0] = TAG_REDEEMED;
		eid_buf_init(&b, 1);
		if (eid_eph_get(s, EID_EPH_CODES, key, sizeof(key), &b,
				NULL) == EID_OK)
			r = EID_EREPLAY;
		eid_buf_free(&b);
	}
	if (r != EID_OK)
		return r;
	if (client_id == NULL ||
	    !eid_ct_equal_len(d.client_id, strlen(d.client_id), client_id,
			      strlen(client_id)))
		return EID_EMISMATCH;
	if (d.expires_at <= now)
		return EID_EEXPIRED;
	memcpy(key, dkey, sizeof(key));
	key[0] = TAG_DECISION;
	if (decided(s, key))
		return finish(s, dkey, &d, ret_grant);
	early = d.last_poll != 0 && now < d.last_poll + d.interval;
	if (early)
		d.interval += EID_DEVGRANT_SLOW_DOWN;
	d.last_poll = now;
	if ((r = record_put(s, dkey, &d, false)) != EID_OK)
		return r;
	return early ? EID_ELIMIT : EID_ESTATE;
}
