#include "idp/session.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"

#define RECORD_MAX 1024
#define MAX_SESSIONS_LISTED 256

/* Record key: 'c' || SHA-256(cookie).  Index key: 'u' || pid || sid. */
#define REC_KEY_LEN 33
#define IDX_KEY_LEN (1 + 12 + EID_SESSION_SID_LEN)

static bool is_b64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool valid_pid(const char *pid)
{
	if (pid == NULL || strlen(pid) != 12)
		return false;
	for (size_t i = 0; i < 12; i++)
		if (pid[i] < '0' || pid[i] > '9')
			return false;
	return true;
}

static int record_key(const char *cookie, uint8_t key[REC_KEY_LEN])
{
	if (cookie == NULL || strlen(cookie) != EID_SESSION_TOKEN_LEN ||
	    !is_b64url(cookie, EID_SESSION_TOKEN_LEN))
		return EID_ENOTFOUND;
	key[0] = 'c';
	return eid_sha256(cookie, EID_SESSION_TOKEN_LEN, key + 1);
}

static void index_key(const char *pid, const char *sid,
		      uint8_t key[IDX_KEY_LEN])
{
	key[0] = 'u';
	memcpy(key + 1, pid, 12);
	memcpy(key + 13, sid, EID_SESSION_SID_LEN);
}

/* n random bytes as base64url into out (out_cap >= encoded length + 1). */
static int random_token(size_t n, char *out, size_t out_cap)
{
	uint8_t raw[32];
	eid_buf b;
	int r;

	if (n > sizeof(raw))
		return EID_EINVAL;
	eid_buf_init_secret(&b, out_cap - 1);
	r = eid_random_bytes(raw, n);
	if (r == EID_OK)
		r = eid_b64url_encode(raw, n, &b);
	if (r == EID_OK) {
		memcpy(out, b.data, b.len);
		out[b.len] = '\0';
	}
	eid_wipe(raw, sizeof(raw));
	eid_buf_free(&b);
	return r;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap)
		return EID_EMALFORMED;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return EID_OK;
}

static int encode(const struct eid_session *ses, eid_buf *out)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:s, s:s}",
			      "v", 1, "sid", ses->sid, "pid", ses->personal_id,
			      "lvl", ses->level, "amr", ses->amr, "at",
			      (json_int_t)ses->auth_time, "ca",
			      (json_int_t)ses->created_at, "ea",
			      (json_int_t)ses->expires_at, "csrf", ses->csrf,
			      "ip", ses->remote);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int r = s ? eid_buf_put_str(out, s) : EID_ENOMEM;

	if (s != NULL)
		eid_free_secret_str(s);
	json_decref(o);
	return r;
}

static int decode(const void *p, size_t n, struct eid_session *ret)
{
	json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	const char *sid, *pid, *amr, *csrf, *ip;
	json_int_t v, at, ca, ea;
	int lvl, r = EID_EMALFORMED;
	struct eid_session ses;

	memset(&ses, 0, sizeof(ses));
	if (o == NULL ||
	    json_unpack(o, "{s:I, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:s, s:s}",
			"v", &v, "sid", &sid, "pid", &pid, "lvl", &lvl, "amr",
			&amr, "at", &at, "ca", &ca, "ea", &ea, "csrf", &csrf,
			"ip", &ip) != 0 ||
	    v != 1 || at < 0 || ca < 0 || ea < 0 || (lvl != 1 && lvl != 2))
		goto out;
	if (copy_str(ses.sid, sizeof(ses.sid), sid) != EID_OK ||
	    copy_str(ses.personal_id, sizeof(ses.personal_id), pid) != EID_OK ||
	    copy_str(ses.amr, sizeof(ses.amr), amr) != EID_OK ||
	    copy_str(ses.csrf, sizeof(ses.csrf), csrf) != EID_OK ||
	    copy_str(ses.remote, sizeof(ses.remote), ip) != EID_OK)
		goto out;
	ses.level = lvl;
	ses.auth_time = (uint64_t)at;
	ses.created_at = (uint64_t)ca;
	ses.expires_at = (uint64_t)ea;
	*ret = ses;
	r = EID_OK;
out:
	json_decref(o);
	eid_wipe(&ses, sizeof(ses));
	return r;
}

int eid_session_create(eid_store *s, const char *personal_id, int level,
		       const char *amr, const char *remote, uint64_t now,
		       uint64_t ttl, char ret_cookie[EID_SESSION_TOKEN_LEN + 1],
		       struct eid_session *ret)
{
	char cookie[EID_SESSION_TOKEN_LEN + 1];
	uint8_t rkey[REC_KEY_LEN], ikey[IDX_KEY_LEN];
	struct eid_session ses;
	eid_buf rec;
	int r;

	if (!valid_pid(personal_id) || (level != 1 && level != 2) || ttl == 0)
		return EID_EINVAL;
	memset(&ses, 0, sizeof(ses));
	eid_buf_init_secret(&rec, RECORD_MAX);
	if ((r = copy_str(ses.personal_id, sizeof(ses.personal_id), personal_id)) ||
	    (r = copy_str(ses.amr, sizeof(ses.amr), amr)) ||
	    (r = copy_str(ses.remote, sizeof(ses.remote), remote)))
		goto out;
	ses.level = level;
	ses.auth_time = ses.created_at = now;
	ses.expires_at = now + ttl;
	if ((r = random_token(16, ses.sid, sizeof(ses.sid))) != EID_OK ||
	    (r = random_token(32, ses.csrf, sizeof(ses.csrf))) != EID_OK ||
	    (r = random_token(32, cookie, sizeof(cookie))) != EID_OK ||
	    (r = record_key(cookie, rkey)) != EID_OK ||
	    (r = encode(&ses, &rec)) != EID_OK)
		goto out;
	index_key(personal_id, ses.sid, ikey);
	/* The index first: a session without an index entry could not be
	 * ended by "end all"; an index entry without a session is harmless. */
	if ((r = eid_eph_put(s, EID_EPH_SESSIONS, ikey, sizeof(ikey), rkey + 1,
			     32, ses.expires_at)) != EID_OK ||
	    (r = eid_eph_put(s, EID_EPH_SESSIONS, rkey, sizeof(rkey), rec.data,
			     rec.len, ses.expires_at)) != EID_OK)
		goto out;
	memcpy(ret_cookie, cookie, sizeof(cookie));
	if (ret != NULL)
		*ret = ses;
out:
	eid_wipe(cookie, sizeof(cookie));
	eid_wipe(&ses, sizeof(ses));
	eid_buf_free(&rec);
	return r;
}

static int lookup_key(eid_store *s, const uint8_t rkey[REC_KEY_LEN],
		      struct eid_session *ret, uint64_t *ret_expires)
{
	eid_buf rec;
	int r;

	eid_buf_init_secret(&rec, RECORD_MAX);
	r = eid_eph_get(s, EID_EPH_SESSIONS, rkey, REC_KEY_LEN, &rec, ret_expires);
	if (r == EID_OK)
		r = decode(rec.data, rec.len, ret);
	eid_buf_free(&rec);
	return r;
}

int eid_session_lookup(eid_store *s, const char *cookie, struct eid_session *ret)
{
	uint8_t rkey[REC_KEY_LEN];
	int r = record_key(cookie, rkey);

	if (r != EID_OK)
		return r;
	return lookup_key(s, rkey, ret, NULL);
}

static bool amr_has(const char *amr, const char *m)
{
	size_t n = strlen(m);

	for (const char *p = amr; (p = strstr(p, m)) != NULL; p += n)
		if ((p == amr || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

int eid_session_raise(eid_store *s, const char *cookie, int level,
		      const char *amr_add, uint64_t now)
{
	uint8_t rkey[REC_KEY_LEN];
	struct eid_session ses;
	uint64_t expires = 0;
	eid_buf rec;
	int r;

	if ((level != 1 && level != 2) || amr_add == NULL)
		return EID_EINVAL;
	if ((r = record_key(cookie, rkey)) != EID_OK ||
	    (r = lookup_key(s, rkey, &ses, &expires)) != EID_OK)
		return r;
	eid_buf_init_secret(&rec, RECORD_MAX);
	if (level > ses.level)
		ses.level = level;
	ses.auth_time = now;
	if (!amr_has(ses.amr, amr_add)) {
		size_t len = strlen(ses.amr), add = strlen(amr_add);
		if (len + 1 + add >= sizeof(ses.amr)) {
			r = EID_ETOOBIG;
			goto out;
		}
		if (len > 0)
			ses.amr[len++] = ' ';
		memcpy(ses.amr + len, amr_add, add + 1);
	}
	if ((r = encode(&ses, &rec)) == EID_OK)
		r = eid_eph_set(s, EID_EPH_SESSIONS, rkey, sizeof(rkey),
				rec.data, rec.len, expires);
out:
	eid_wipe(&ses, sizeof(ses));
	eid_buf_free(&rec);
	return r;
}

/* Delete a session record and its index entry. */
static int end_key(eid_store *s, const uint8_t rkey[REC_KEY_LEN])
{
	uint8_t ikey[IDX_KEY_LEN];
	struct eid_session ses;
	int r = lookup_key(s, rkey, &ses, NULL);

	if (r != EID_OK)
		return r;
	r = eid_eph_del(s, EID_EPH_SESSIONS, rkey, REC_KEY_LEN);
	index_key(ses.personal_id, ses.sid, ikey);
	if (r == EID_OK) {
		int r2 = eid_eph_del(s, EID_EPH_SESSIONS, ikey, sizeof(ikey));
		r = r2 == EID_ENOTFOUND ? EID_OK : r2;
	}
	eid_wipe(&ses, sizeof(ses));
	return r;
}

int eid_session_end(eid_store *s, const char *cookie)
{
	uint8_t rkey[REC_KEY_LEN];
	int r = record_key(cookie, rkey);

	return r != EID_OK ? r : end_key(s, rkey);
}

int eid_session_end_sid(eid_store *s, const char *personal_id,
			const char *sid)
{
	uint8_t ikey[IDX_KEY_LEN], rkey[REC_KEY_LEN];
	eid_buf v;
	int r;

	if (!valid_pid(personal_id) || sid == NULL ||
	    strlen(sid) != EID_SESSION_SID_LEN)
		return EID_ENOTFOUND;
	index_key(personal_id, sid, ikey);
	eid_buf_init(&v, 32);
	r = eid_eph_get(s, EID_EPH_SESSIONS, ikey, sizeof(ikey), &v, NULL);
	if (r == EID_OK && v.len != 32)
		r = EID_EMALFORMED;
	if (r == EID_OK) {
		rkey[0] = 'c';
		memcpy(rkey + 1, v.data, 32);
		r = end_key(s, rkey);
	}
	eid_buf_free(&v);
	return r;
}

struct collect {
	uint8_t keys[MAX_SESSIONS_LISTED][REC_KEY_LEN];
	size_t n;
};

static int collect_one(const void *key, size_t klen, const void *val,
		       size_t vlen, void *arg)
{
	struct collect *c = arg;

	(void)key;
	(void)klen;
	if (vlen != 32)
		return EID_OK;
	if (c->n >= MAX_SESSIONS_LISTED)
		return 1;
	c->keys[c->n][0] = 'c';
	memcpy(c->keys[c->n] + 1, val, 32);
	c->n++;
	return EID_OK;
}

static int collect_sessions(eid_store *s, const char *personal_id,
			    struct collect *c)
{
	uint8_t prefix[13];

	if (!valid_pid(personal_id))
		return EID_EINVAL;
	prefix[0] = 'u';
	memcpy(prefix + 1, personal_id, 12);
	c->n = 0;
	return eid_eph_scan(s, EID_EPH_SESSIONS, prefix, sizeof(prefix),
			    collect_one, c);
}

int eid_session_end_all(eid_store *s, const char *personal_id,
			unsigned *ret_ended)
{
	struct collect *c = calloc(1, sizeof(*c));
	unsigned ended = 0;
	int r;

	if (c == NULL)
		return EID_ENOMEM;
	/* More than the cap: go round again until none is left. */
	do {
		if ((r = collect_sessions(s, personal_id, c)) != EID_OK)
			break;
		for (size_t i = 0; i < c->n && r == EID_OK; i++) {
			r = end_key(s, c->keys[i]);
			if (r == EID_OK)
				ended++;
			else if (r == EID_ENOTFOUND)
				r = EID_OK;
		}
	} while (r == EID_OK && c->n == MAX_SESSIONS_LISTED);
	free(c);
	if (r == EID_OK && ret_ended != NULL)
		*ret_ended = ended;
	return r;
}

int eid_session_list(eid_store *s, const char *personal_id,
		     eid_session_visit_fn fn, void *arg)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct eid_session ses;
	int r;

	if (c == NULL)
		return EID_ENOMEM;
	r = collect_sessions(s, personal_id, c);
	for (size_t i = 0; i < c->n && r == EID_OK; i++) {
		r = lookup_key(s, c->keys[i], &ses, NULL);
		if (r == EID_ENOTFOUND) {
			r = EID_OK;
			continue;
		}
		if (r == EID_OK)
			r = fn(&ses, arg);
		r = r > 0 ? 1 : r;
	}
	eid_wipe(&ses, sizeof(ses));
	free(c);
	return r < 0 ? r : EID_OK;
}
