#include "crypto/totp.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/error.h"
#include "crypto/secret.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int eid_hotp(const uint8_t *key, size_t keylen, uint64_t counter,
	     unsigned digits, uint32_t *ret_code)
{
	static const uint32_t mod[] = { 1000000, 10000000, 100000000 };
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, off;
	uint32_t bin;
	int r = EID_ECRYPTO;

	if (key == NULL || keylen == 0 || keylen > EID_TOTP_SECRET_MAX ||
	    digits < 6 || digits > 8 || ret_code == NULL)
		return EID_EINVAL;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)counter;
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac,
		 &maclen) == NULL || maclen != 20)
		goto out;
	/* RFC 4226 5.3: dynamic truncation. */
	off = mac[19] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) |
	      ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
	      (uint32_t)mac[off + 3];
	*ret_code = bin % mod[digits - 6];
	r = EID_OK;
out:
	eid_wipe(mac, sizeof(mac));
	return r;
}

uint64_t eid_totp_step(uint64_t t)
{
	return t / EID_TOTP_PERIOD;
}

static int six_digits(const char *code, char out[EID_TOTP_DIGITS + 1])
{
	if (code == NULL || strlen(code) != EID_TOTP_DIGITS)
		return EID_EMALFORMED;
	for (size_t i = 0; i < EID_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return EID_EMALFORMED;
	memcpy(out, code, EID_TOTP_DIGITS + 1);
	return EID_OK;
}

int eid_totp_verify(const uint8_t *key, size_t keylen, const char *code,
		    uint64_t now, uint64_t last_step, uint64_t *ret_step)
{
	char typed[EID_TOTP_DIGITS + 1], want[16];
	uint64_t step = eid_totp_step(now), found = 0;
	bool matched = false;
	uint32_t v = 0;
	int r;

	if ((r = six_digits(code, typed)) != EID_OK)
		return r;
	/* Every candidate is computed and compared: the time taken does not
	 * say which step matched. */
	for (int d = -EID_TOTP_WINDOW; d <= EID_TOTP_WINDOW; d++) {
		uint64_t s = step + (uint64_t)(int64_t)d;

		if (d < 0 && step < (uint64_t)-d)
			continue;
		if ((r = eid_hotp(key, keylen, s, EID_TOTP_DIGITS, &v)) != EID_OK)
			goto out;
		(void)snprintf(want, sizeof(want), "%06u", (unsigned)v);
		if (eid_ct_equal(want, typed, EID_TOTP_DIGITS) && !matched) {
			found = s;
			matched = true;
		}
	}
	if (!matched)
		r = EID_EAUTH;
	else if (found <= last_step)
		r = EID_EREPLAY;
	else
		*ret_step = found;
out:
	eid_wipe(typed, sizeof(typed));
	eid_wipe(want, sizeof(want));
	eid_wipe(&v, sizeof(v));
	return r;
}

int eid_totp_generate(uint8_t ret_key[EID_TOTP_SECRET_LEN])
{
	return eid_random_bytes(ret_key, EID_TOTP_SECRET_LEN);
}

int eid_base32_encode(const void *p, size_t n, eid_buf *out)
{
	const uint8_t *in = p;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t start = out->len;
	int r = EID_OK;

	for (size_t i = 0; i < n && r == EID_OK; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5 && r == EID_OK) {
			bits -= 5;
			r = eid_buf_put_u8(out,
					   (uint8_t)b32_alphabet[(acc >> bits) & 31]);
		}
	}
	if (r == EID_OK && bits > 0)
		r = eid_buf_put_u8(out, (uint8_t)b32_alphabet[(acc << (5 - bits)) & 31]);
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	acc = 0;
	return r;
}

static int b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int eid_base32_decode(const char *s, size_t n, eid_buf *out)
{
	size_t start = out->len, chars = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	int r = EID_OK;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n && r == EID_OK; i++) {
		int v;

		if (s[i] == ' ' || s[i] == '-')
			continue;
		if ((v = b32_value(s[i])) < 0) {
			r = EID_EMALFORMED;
			break;
		}
		chars++;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			r = eid_buf_put_u8(out, (uint8_t)(acc >> bits));
		}
	}
	/* 1, 3 or 6 characters past a multiple of 8 cannot end a byte. */
	if (r == EID_OK && (chars % 8 == 1 || chars % 8 == 3 || chars % 8 == 6))
		r = EID_EMALFORMED;
	if (r != EID_OK)
		eid_buf_truncate(out, start);
	acc = 0;
	return r;
}
