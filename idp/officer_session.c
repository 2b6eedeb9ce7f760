#include "idp/officer_session.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/jsonrec.h"

#define RECORD_MAX 1024
#define KEY_LEN 33 /* 'o' || SHA-256(cookie) */

static int record_key(const char *cookie, uint8_t key[KEY_LEN])
{
	size_t n = cookie ? strlen(cookie) : 0;

	if (n != EID_OFFICER_TOKEN_LEN)
		return EID_ENOTFOUND;
	for (size_t i = 0; i < n; i++) {
		char c = cookie[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return EID_ENOTFOUND;
	}
	key[0] = 'o';
	return eid_sha256(cookie, n, key + 1);
}

static int random_token(char out[EID_OFFICER_TOKEN_LEN + 1])
{
	uint8_t raw[32];
	int r = eid_random_bytes(raw, sizeof(raw));

	if (r == EID_OK)
		r = eid_b64url_encode_str(raw, sizeof(raw), out,
					  EID_OFFICER_TOKEN_LEN + 1);
	eid_wipe(raw, sizeof(raw));
	return r;
}

static uint64_t expiry(const struct eid_officer_session *os)
{
	uint64_t idle = os->last_seen + EID_OFFICER_SESSION_IDLE;
	uint64_t max = os->created_at + EID_OFFICER_SESSION_MAX;

	return idle < max ? idle : max;
}

static int encode(const struct eid_officer_session *os, eid_buf *out)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "v",
			      1, "id", os->officer_id, "unit", os->unit,
			      "role", eid_officer_role_name(os->role), "csrf",
			      os->csrf, "ca", (json_int_t)os->created_at,
			      "ls", (json_int_t)os->last_seen, "ip",
			      os->remote);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int r = s ? eid_buf_put_str(out, s) : EID_ENOMEM;

	if (s != NULL)
		eid_free_secret_str(s);
	json_decref(o);
	return r;
}

static int decode(const void *p, size_t n, struct eid_officer_session *ret)
{
	json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	char role[16];
	int64_t v = 0, ca = 0, ls = 0;
	int r = EID_EMALFORMED;

	if (o == NULL || eid_jrec_int(o, "v", &v) || v != 1 ||
	    eid_jrec_text(o, "id", ret->officer_id, sizeof(ret->officer_id)) ||
	    eid_jrec_text(o, "unit", ret->unit, sizeof(ret->unit)) ||
	    eid_jrec_text(o, "role", role, sizeof(role)) ||
	    eid_officer_role_parse(role, &ret->role) ||
	    eid_jrec_text(o, "csrf", ret->csrf, sizeof(ret->csrf)) ||
	    eid_jrec_text(o, "ip", ret->remote, sizeof(ret->remote)) ||
	    eid_jrec_int(o, "ca", &ca) || eid_jrec_int(o, "ls", &ls) ||
	    ca < 0 || ls < ca)
		goto out;
	ret->created_at = (uint64_t)ca;
	ret->last_seen = (uint64_t)ls;
	r = EID_OK;
out:
	if (o != NULL)
		eid_jrec_wipe(o, "csrf");
	json_decref(o);
	return r;
}

static int save(eid_store *s, const uint8_t key[KEY_LEN],
		const struct eid_officer_session *os, bool create)
{
	eid_buf rec;
	int r;

	eid_buf_init_secret(&rec, RECORD_MAX);
	r = encode(os, &rec);
	if (r == EID_OK)
		r = (create ? eid_eph_put : eid_eph_set)(
			s, EID_EPH_SESSIONS, key, KEY_LEN, rec.data, rec.len,
			expiry(os));
	eid_buf_free(&rec);
	return r;
}

int eid_officer_session_create(eid_store *s, const struct eid_officer *o,
			       const char *remote, uint64_t now,
			       char ret_cookie[EID_OFFICER_TOKEN_LEN + 1],
			       struct eid_officer_session *ret)
{
	struct eid_officer_session os;
	char cookie[EID_OFFICER_TOKEN_LEN + 1];
	uint8_t key[KEY_LEN];
	int r = EID_EINVAL;

	memset(&os, 0, sizeof(os));
	if (s == NULL || o == NULL || o->status != EID_OFFICER_ACTIVE)
		goto out;
	snprintf(os.officer_id, sizeof(os.officer_id), "%s", o->id);
	snprintf(os.unit, sizeof(os.unit), "%s", o->unit);
	snprintf(os.remote, sizeof(os.remote), "%s", remote ? remote : "");
	os.role = o->role;
	os.created_at = os.last_seen = now;
	if ((r = random_token(os.csrf)) != EID_OK ||
	    (r = random_token(cookie)) != EID_OK ||
	    (r = record_key(cookie, key)) != EID_OK ||
	    (r = save(s, key, &os, true)) != EID_OK)
		goto out;
	memcpy(ret_cookie, cookie, sizeof(cookie));
	if (ret != NULL)
		*ret = os;
out:
	eid_wipe(cookie, sizeof(cookie));
	eid_wipe(&os, sizeof(os));
	return r;
}

int eid_officer_session_lookup(eid_store *s, const char *cookie, uint64_t now,
			       struct eid_officer_session *ret)
{
	struct eid_officer_session os;
	uint8_t key[KEY_LEN];
	eid_buf rec;
	int r;

	memset(&os, 0, sizeof(os));
	eid_buf_init_secret(&rec, RECORD_MAX);
	if ((r = record_key(cookie, key)) != EID_OK ||
	    (r = eid_eph_get(s, EID_EPH_SESSIONS, key, KEY_LEN, &rec,
			     NULL)) != EID_OK ||
	    (r = decode(rec.data, rec.len, &os)) != EID_OK)
		goto out;
	if (now >= expiry(&os)) {
		r = EID_ENOTFOUND;
		goto out;
	}
	if (now >= os.last_seen + EID_OFFICER_SESSION_TOUCH) {
		os.last_seen = now;
		if ((r = save(s, key, &os, false)) != EID_OK)
			goto out;
	}
	*ret = os;
out:
	eid_wipe(&os, sizeof(os));
	eid_buf_free(&rec);
	return r == EID_EMALFORMED ? EID_ENOTFOUND : r;
}

int eid_officer_session_end(eid_store *s, const char *cookie)
{
	uint8_t key[KEY_LEN];
	int r = record_key(cookie, key);

	if (r == EID_OK)
		r = eid_eph_del(s, EID_EPH_SESSIONS, key, KEY_LEN);
	return r;
}

int eid_officer_session_actor(const struct eid_officer_session *os,
			      char *out, size_t cap)
{
	int n = snprintf(out, cap, "officer:%s", os->officer_id);

	return n < 0 || (size_t)n >= cap ? EID_ETOOBIG : EID_OK;
}
