/* One-time codes (see otp.h).
 *
 * Short-lived entries, keyed by "<kind>|<purpose>|<subject>":
 *   c  the code: salt (16) | SHA-256(salt | purpose | subject | code) (32)
 *      | expiry (8, big-endian); kept an hour past its expiry so a late
 *      attempt is told "expired" rather than "unknown"
 *   a  the attempts counter
 *   u  the used counter: the first right check to bump it wins
 * and in EID_EPH_COUNTERS, per phone, "otp-gap|PHONE" (one per interval)
 * and "otp-hour|PHONE" (a count per hour). */
#include "idp/otp.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define REC_LEN (SALT_LEN + HASH_LEN + 8)
#define KEEP_AFTER 3600
#define KEY_MAX (EID_OTP_SUBJECT_MAX + 32)
#define PHONE_KEY_MAX 64

static const char *const purpose_names[] = { "register", "reset", "stepup",
					       "device" };
#define NPURPOSES (sizeof(purpose_names) / sizeof(purpose_names[0]))

const char *eid_otp_purpose_name(enum eid_otp_purpose p)
{
	return (unsigned)p < NPURPOSES ? purpose_names[p] : "unknown";
}

static int make_key(char kind, enum eid_otp_purpose p, const char *subject,
		    char out[KEY_MAX])
{
	size_t n;

	if (subject == NULL || (unsigned)p >= NPURPOSES || subject[0] == '\0' ||
	    (n = strlen(subject)) > EID_OTP_SUBJECT_MAX ||
	    memchr(subject, '|', n) != NULL)
		return EID_EINVAL;
	(void)snprintf(out, KEY_MAX, "%c|%s|%s", kind, purpose_names[p],
		       subject);
	return EID_OK;
}

static int code_hash(const uint8_t salt[SALT_LEN], enum eid_otp_purpose p,
		     const char *subject, const char *code,
		     uint8_t ret[HASH_LEN])
{
	eid_buf b;
	int r;

	eid_buf_init_secret(&b, 512);
	if ((r = eid_buf_put(&b, salt, SALT_LEN)) == EID_OK)
		r = eid_buf_printf(&b, "%s|%s|%s", purpose_names[p], subject,
				   code);
	if (r == EID_OK)
		r = eid_sha256(b.data, b.len, ret);
	eid_buf_free(&b);
	return r;
}

/* The per-phone throttle: one code per interval, a few an hour. */
static int throttle(eid_store *s, const char *phone, int64_t now,
		    uint64_t *ret_wait)
{
	char key[PHONE_KEY_MAX];
	uint64_t exp = 0, count = 0;
	eid_buf dummy;
	int r;

	*ret_wait = 0;
	(void)snprintf(key, sizeof(key), "otp-gap|%s", phone);
	r = eid_eph_put(s, EID_EPH_COUNTERS, key, strlen(key), "1", 1,
			(uint64_t)now + EID_OTP_RESEND_INTERVAL);
	if (r == EID_EEXIST) {
		eid_buf_init(&dummy, 16);
		if (eid_eph_get(s, EID_EPH_COUNTERS, key, strlen(key), &dummy,
				&exp) == EID_OK && exp > (uint64_t)now)
			*ret_wait = exp - (uint64_t)now;
		eid_buf_free(&dummy);
		return EID_ELIMIT;
	}
	if (r != EID_OK)
		return r;
	(void)snprintf(key, sizeof(key), "otp-hour|%s", phone);
	r = eid_eph_incr(s, EID_EPH_COUNTERS, key, strlen(key),
			 (uint64_t)now + 3600, &count);
	if (r == EID_OK && count > EID_OTP_MAX_PER_HOUR) {
		*ret_wait = EID_OTP_RESEND_INTERVAL;
		r = EID_ELIMIT;
	}
	return r;
}

/* A fresh code as six digits. */
static int new_code(char out[EID_OTP_DIGITS + 1])
{
	unsigned long v = 0;
	int r = eid_random_uniform(1000000ul, &v);

	if (r == EID_OK)
		(void)snprintf(out, EID_OTP_DIGITS + 1, "%06lu", v);
	v = 0;
	return r;
}

static int message(enum eid_otp_purpose p, const char *code, char *out,
		   size_t n)
{
	static const char *const what[] = { "dang ky tai khoan",
					    "dat lai mat khau", "xac thuc",
					    "lien ket thiet bi" };
	int w = snprintf(out, n,
			 "eID: %s la ma %s cua ban, hieu luc %d phut. "
			 "Khong chia se ma nay cho bat ky ai. / "
			 "Your eID code: %s (valid %d minutes).",
			 code, what[p], EID_OTP_TTL / 60, code,
			 EID_OTP_TTL / 60);

	return w > 0 && (size_t)w < n ? EID_OK : EID_EINTERNAL;
}

static int store_code(eid_store *s, enum eid_otp_purpose p,
		      const char *subject, const char *code, int64_t now)
{
	char key[KEY_MAX];
	uint8_t rec[REC_LEN];
	uint64_t exp = (uint64_t)now + EID_OTP_TTL;
	int r;

	if ((r = eid_random_bytes(rec, SALT_LEN)) != EID_OK ||
	    (r = code_hash(rec, p, subject, code, rec + SALT_LEN)) != EID_OK)
		goto out;
	eid_be64_store(rec + SALT_LEN + HASH_LEN, exp);
	(void)make_key('c', p, subject, key);
	if ((r = eid_eph_set(s, EID_EPH_OTP, key, strlen(key), rec,
			     sizeof(rec), exp + KEEP_AFTER)) != EID_OK)
		goto out;
	for (const char *k = "au"; *k && r == EID_OK; k++) {
		(void)make_key(*k, p, subject, key);
		r = eid_eph_del(s, EID_EPH_OTP, key, strlen(key));
		if (r == EID_ENOTFOUND)
			r = EID_OK;
	}
out:
	eid_wipe(rec, sizeof(rec));
	return r;
}

int eid_otp_issue(eid_store *s, enum eid_otp_purpose purpose,
		  const char *subject, const char *phone,
		  const eid_notify *notify, int64_t now,
		  uint64_t *ret_retry_after)
{
	char key[KEY_MAX], code[EID_OTP_DIGITS + 1] = "";
	char text[EID_NOTIFY_TEXT_MAX];
	uint64_t wait = 0;
	int r;

	if (s == NULL || phone == NULL || phone[0] == '\0' ||
	    strlen(phone) > 32 || make_key('c', purpose, subject, key) != EID_OK)
		return EID_EINVAL;
	text[0] = '\0';
	if ((r = throttle(s, phone, now, &wait)) != EID_OK) {
		if (ret_retry_after != NULL)
			*ret_retry_after = wait;
		goto out;
	}
	if ((r = new_code(code)) != EID_OK ||
	    (r = store_code(s, purpose, subject, code, now)) != EID_OK ||
	    notify == NULL)
		goto out;
	if ((r = message(purpose, code, text, sizeof(text))) == EID_OK)
		r = eid_notify_sms(notify, phone, text);
	if (r != EID_OK)
		(void)eid_otp_cancel(s, purpose, subject);
out:
	eid_wipe(code, sizeof(code));
	eid_wipe(text, sizeof(text));
	return r;
}

static bool six_digits(const char *code)
{
	if (code == NULL || strlen(code) != EID_OTP_DIGITS)
		return false;
	for (int i = 0; i < EID_OTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return true;
}

/* Bump a counter of the code's; *ret_count gets its new value. */
static int bump(eid_store *s, char kind, enum eid_otp_purpose p,
		const char *subject, uint64_t exp, uint64_t *ret_count)
{
	char key[KEY_MAX];

	(void)make_key(kind, p, subject, key);
	return eid_eph_incr(s, EID_EPH_OTP, key, strlen(key), exp, ret_count);
}

static bool used(eid_store *s, enum eid_otp_purpose p, const char *subject)
{
	char key[KEY_MAX];
	eid_buf b;
	bool u;

	eid_buf_init(&b, 64);
	(void)make_key('u', p, subject, key);
	u = eid_eph_get(s, EID_EPH_OTP, key, strlen(key), &b, NULL) == EID_OK;
	eid_buf_free(&b);
	return u;
}

/* The stored record's hash matches the typed code. */
static int code_matches(const eid_buf *rec, enum eid_otp_purpose p,
			const char *subject, const char *code, bool *ret)
{
	uint8_t h[HASH_LEN];
	int r = EID_OK;

	*ret = false;
	if (six_digits(code) &&
	    (r = code_hash(rec->data, p, subject, code, h)) == EID_OK)
		*ret = eid_ct_equal(h, rec->data + SALT_LEN, HASH_LEN);
	eid_wipe(h, sizeof(h));
	return r;
}

int eid_otp_check(eid_store *s, enum eid_otp_purpose purpose,
		  const char *subject, const char *code, int64_t now)
{
	char key[KEY_MAX];
	eid_buf rec;
	uint64_t exp, n = 0;
	bool ok = false;
	int r;

	if (s == NULL || make_key('c', purpose, subject, key) != EID_OK)
		return EID_EINVAL;
	eid_buf_init_secret(&rec, REC_LEN);
	r = eid_eph_get(s, EID_EPH_OTP, key, strlen(key), &rec, NULL);
	if (r == EID_OK && rec.len != REC_LEN)
		r = EID_EMALFORMED;
	if (r != EID_OK)
		goto out;
	exp = eid_be64_load(rec.data + SALT_LEN + HASH_LEN);
	if (used(s, purpose, subject)) {
		r = EID_EREPLAY;
		goto out;
	}
	if ((r = bump(s, 'a', purpose, subject, exp + KEEP_AFTER, &n)) != EID_OK)
		goto out;
	if (n > EID_OTP_MAX_ATTEMPTS) {
		r = EID_ELIMIT;
		goto out;
	}
	if ((uint64_t)now >= exp) {
		r = EID_EEXPIRED;
		goto out;
	}
	if ((r = code_matches(&rec, purpose, subject, code, &ok)) != EID_OK)
		goto out;
	if (!ok) {
		r = EID_EAUTH;
		goto out;
	}
	/* Two right answers at once: only the first to count wins. */
	if ((r = bump(s, 'u', purpose, subject, exp + KEEP_AFTER, &n)) == EID_OK &&
	    n > 1)
		r = EID_EREPLAY;
out:
	eid_buf_free(&rec);
	return r;
}

int eid_otp_cancel(eid_store *s, enum eid_otp_purpose purpose,
		   const char *subject)
{
	char key[KEY_MAX];
	int r;

	if (s == NULL || make_key('c', purpose, subject, key) != EID_OK)
		return EID_EINVAL;
	r = eid_eph_del(s, EID_EPH_OTP, key, strlen(key));
	return r == EID_ENOTFOUND ? EID_OK : r;
}
