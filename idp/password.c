#include "idp/password.h"

#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/config.h"

/* The most common passwords of the public breach lists (the top of the
 * SecLists and NCSC lists, with the Vietnamese favourites), lower case.
 * Most are shorter than the default minimum length, but a site may lower
 * it, and the long ones are what people type when told "12 characters". */
static const char *const common_passwords[] = {
	"123456", "password", "12345678", "qwerty", "123456789", "12345",
	"1234", "111111", "1234567", "dragon", "123123", "baseball",
	"abc123", "football", "monkey", "letmein", "696969", "shadow",
	"master", "666666", "qwertyuiop", "123321", "mustang", "1234567890",
	"michael", "654321", "superman", "1qaz2wsx", "7777777", "121212",
	"000000", "qazwsx", "123qwe", "killer", "trustno1", "jordan",
	"jennifer", "zxcvbnm", "asdfgh", "hunter", "buster", "soccer",
	"harley", "batman", "andrew", "tigger", "sunshine", "iloveyou",
	"2000", "charlie", "robert", "thomas", "hockey", "ranger", "daniel",
	"starwars", "klaster", "112233", "george", "computer", "michelle",
	"jessica", "pepper", "1111", "zxcvbn", "555555", "11111111",
	"131313", "freedom", "777777", "pass", "maggie", "159753",
	"aaaaaa", "ginger", "princess", "joshua", "cheese", "amanda",
	"summer", "love", "ashley", "nicole", "chelsea", "biteme",
	"matthew", "access", "yankees", "987654321", "dallas", "austin",
	"thunder", "taylor", "matrix", "password1", "password123",
	"welcome", "admin", "admin123", "qwerty123", "1q2w3e4r",
	"1q2w3e4r5t", "1q2w3e4r5t6y", "123456789012", "1234567890123",
	"qwertyuiop123", "qwerty123456", "password1234", "password12345",
	"passwordpassword", "iloveyou1234", "abcdefghijkl", "abcd12345678",
	"123456abcdef", "abc123456789", "qwertyuiopasdfghjkl",
	"1qaz2wsx3edc", "zaq12wsxcde3", "123456123456", "111111111111",
	"000000000000", "123123123123", "987654321000", "asdfghjkl123",
	"matkhau", "matkhau123", "matkhau123456", "anhyeuem", "anhyeuem123",
	"emyeuanh", "emyeuanh123", "vietnam", "vietnam123", "vietnam1234",
	"hanoi123456", "saigon123456", "123456aA@", "Aa@123456",
};

#define NCOMMON (sizeof(common_passwords) / sizeof(common_passwords[0]))

/* A constant salt for the dummy work: its output is thrown away. */
static const uint8_t dummy_salt[EID_PASSWORD_SALT_LEN] = "eid-dummy-salt!";

void eid_password_params_from_config(const struct eid_config *c,
				     struct eid_password_params *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->memory_kib = (uint32_t)c->passwords.memory_kib;
	ret->iterations = (uint32_t)c->passwords.iterations;
	ret->parallelism = (uint32_t)c->passwords.parallelism;
	ret->min_length = (uint32_t)c->passwords.min_length;
	ret->max_length = (uint32_t)c->passwords.max_length;
}

static void argon2_called(const struct eid_password_params *p)
{
	if (p->on_argon2 != NULL)
		p->on_argon2(p->hook_arg);
}

static int map_argon2(int a)
{
	if (a == ARGON2_OK)
		return EID_OK;
	if (a == ARGON2_MEMORY_ALLOCATION_ERROR)
		return EID_ENOMEM;
	if (a == ARGON2_VERIFY_MISMATCH)
		return EID_EAUTH;
	return EID_ECRYPTO;
}

int eid_password_hash(const struct eid_password_params *p, const char *pw,
		      size_t n, char ret_phc[EID_PASSWORD_PHC_MAX + 1])
{
	uint8_t salt[EID_PASSWORD_SALT_LEN];
	char phc[EID_PASSWORD_PHC_MAX + 1];
	size_t need;
	int r;

	if (p == NULL || pw == NULL || n > EID_PASSWORD_MAX_BYTES)
		return EID_EINVAL;
	need = argon2_encodedlen(p->iterations, p->memory_kib, p->parallelism,
				 EID_PASSWORD_SALT_LEN, EID_PASSWORD_HASH_LEN,
				 Argon2_id);
	if (need > sizeof(phc))
		return EID_EINVAL;
	if ((r = eid_random_bytes(salt, sizeof(salt))) != EID_OK)
		return r;
	argon2_called(p);
	r = map_argon2(argon2id_hash_encoded(p->iterations, p->memory_kib,
					     p->parallelism, pw, n, salt,
					     sizeof(salt), EID_PASSWORD_HASH_LEN,
					     phc, sizeof(phc)));
	if (r == EID_OK)
		memcpy(ret_phc, phc, sizeof(phc));
	eid_wipe(salt, sizeof(salt));
	eid_wipe(phc, sizeof(phc));
	return r;
}

/* Decimal digits up to the next non-digit; no overflow past 2^32-1. */
static const char *parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v = 0;
	const char *start = s;

	while (*s >= '0' && *s <= '9' && s - start < 10) {
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (s == start || v > UINT32_MAX || (*s >= '0' && *s <= '9'))
		return NULL;
	*ret = (uint32_t)v;
	return s;
}

/* The m, t, p of an Argon2id v19 PHC string; EID_EMALFORMED otherwise. */
static int phc_params(const char *phc, uint32_t *m, uint32_t *t, uint32_t *par)
{
	static const char head[] = "$argon2id$v=19$m=";
	const char *s;

	if (phc == NULL || strnlen(phc, EID_PASSWORD_PHC_MAX + 1) >
				   EID_PASSWORD_PHC_MAX ||
	    strncmp(phc, head, sizeof(head) - 1) != 0)
		return EID_EMALFORMED;
	s = parse_u32(phc + sizeof(head) - 1, m);
	if (s == NULL || strncmp(s, ",t=", 3) != 0)
		return EID_EMALFORMED;
	s = parse_u32(s + 3, t);
	if (s == NULL || strncmp(s, ",p=", 3) != 0)
		return EID_EMALFORMED;
	s = parse_u32(s + 3, par);
	if (s == NULL || *s != '$')
		return EID_EMALFORMED;
	return EID_OK;
}

int eid_password_verify_dummy(const struct eid_password_params *p,
			      const char *pw, size_t n)
{
	uint8_t out[EID_PASSWORD_HASH_LEN];
	int r;

	if (p == NULL || pw == NULL)
		return EID_EINVAL;
	if (n > EID_PASSWORD_MAX_BYTES)
		n = EID_PASSWORD_MAX_BYTES;
	argon2_called(p);
	r = map_argon2(argon2id_hash_raw(p->iterations, p->memory_kib,
					 p->parallelism, pw, n, dummy_salt,
					 sizeof(dummy_salt), out, sizeof(out)));
	eid_wipe(out, sizeof(out));
	return r == EID_OK ? EID_EAUTH : r;
}

int eid_password_verify(const struct eid_password_params *p,
			const char *phc, const char *pw, size_t n)
{
	uint32_t m, t, par;
	int r;

	if (p == NULL || pw == NULL)
		return EID_EINVAL;
	if (n > EID_PASSWORD_MAX_BYTES)
		return eid_password_verify_dummy(p, pw, n);
	if (phc_params(phc, &m, &t, &par) != EID_OK) {
		(void)eid_password_verify_dummy(p, pw, n);
		return EID_EMALFORMED;
	}
	argon2_called(p);
	r = map_argon2(argon2id_verify(phc, pw, n));
	/* A string that looked right but did not decode. */
	if (r == EID_ECRYPTO)
		r = EID_EMALFORMED;
	return r;
}

bool eid_password_needs_rehash(const char *phc,
			       const struct eid_password_params *p)
{
	uint32_t m, t, par;

	if (phc_params(phc, &m, &t, &par) != EID_OK)
		return true;
	return m != p->memory_kib || t != p->iterations ||
	       par != p->parallelism;
}

/* ---- policy ---- */

/* Count the code points of well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF) that holds no control character.
 * -1 otherwise. */
static long utf8_count(const unsigned char *s, size_t n)
{
	long count = 0;

	for (size_t i = 0; i < n; count++) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return -1;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return -1;
		}
		if (n - i < len)
			return -1;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return -1;
		i += len;
	}
	return count;
}

static bool few_distinct(const char *pw, size_t n)
{
	unsigned char seen[4] = { 0 };
	size_t distinct = 0;

	for (size_t i = 0; i < n && distinct < 4; i++) {
		bool dup = false;
		for (size_t k = 0; k < distinct; k++)
			dup |= seen[k] == (unsigned char)pw[i];
		if (!dup)
			seen[distinct++] = (unsigned char)pw[i];
	}
	return distinct < 4;
}

static bool is_common(const char *pw, size_t n)
{
	for (size_t i = 0; i < NCOMMON; i++)
		if (strlen(common_passwords[i]) == n &&
		    strncasecmp(common_passwords[i], pw, n) == 0)
			return true;
	return false;
}

static bool digits_contain(const char *digits, const char *needle)
{
	return needle != NULL && needle[0] != '\0' &&
	       strstr(digits, needle) != NULL;
}

/* Which personal number the password's digits (separators dropped)
 * contain, or NULL. */
static const char *contains_personal(const char *pw, size_t n,
				     const struct eid_password_context *ctx)
{
	char digits[EID_PASSWORD_MAX_BYTES + 1], d[3][9];
	const char *phone = NULL, *why = NULL;
	size_t k = 0;

	if (ctx == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (pw[i] >= '0' && pw[i] <= '9')
			digits[k++] = pw[i];
	digits[k] = '\0';
	if (ctx->phone != NULL && ctx->phone[0] == '+')
		phone = ctx->phone + (strncmp(ctx->phone, "+84", 3) == 0 ? 3 : 1);
	if (digits_contain(digits, ctx->personal_id))
		why = "must not contain the personal ID number";
	else if (digits_contain(digits, phone))
		why = "must not contain the phone number";
	else if (ctx->birthdate != NULL && ctx->birthdate->year != 0) {
		/* From "YYYY-MM-DD": the orders people write dates in. */
		static const char order[3][8] = {
			{ 8, 9, 5, 6, 0, 1, 2, 3 }, /* DDMMYYYY */
			{ 0, 1, 2, 3, 5, 6, 8, 9 }, /* YYYYMMDD */
			{ 5, 6, 8, 9, 0, 1, 2, 3 }, /* MMDDYYYY */
		};
		char iso[11];

		eid_date_format(ctx->birthdate, iso);
		for (int i = 0; i < 3 && why == NULL; i++) {
			for (int j = 0; j < 8; j++)
				d[i][j] = iso[(int)order[i][j]];
			d[i][8] = '\0';
			if (digits_contain(digits, d[i]))
				why = "must not contain the date of birth";
		}
	}
	eid_wipe(digits, sizeof(digits));
	return why;
}

int eid_password_check_policy(const struct eid_password_params *p,
			      const char *pw, size_t n,
			      const struct eid_password_context *ctx,
			      eid_buf *why)
{
	const char *reason = NULL;
	long len;

	if (p == NULL || pw == NULL)
		return EID_EINVAL;
	len = n > EID_PASSWORD_MAX_BYTES ?
		      -2 : utf8_count((const unsigned char *)pw, n);
	if (len == -2 || (len >= 0 && (unsigned long)len > p->max_length)) {
		if (why != NULL)
			(void)eid_buf_printf(why, "password is longer than %u "
					     "characters", p->max_length);
		return EID_EINVAL;
	}
	if (len < 0)
		reason = "password is not valid UTF-8 text, or holds control "
			 "characters";
	else if ((unsigned long)len < p->min_length) {
		if (why != NULL)
			(void)eid_buf_printf(why, "password is shorter than %u "
					     "characters", p->min_length);
		return EID_EINVAL;
	} else if (few_distinct(pw, n))
		reason = "password repeats too few different characters";
	else if (is_common(pw, n))
		reason = "password is one of the most common passwords";
	else
		reason = contains_personal(pw, n, ctx);
	if (reason == NULL)
		return EID_OK;
	if (why != NULL)
		(void)eid_buf_printf(why, "%s%s",
				     strncmp(reason, "must", 4) == 0 ?
					     "password " : "",
				     reason);
	return EID_EINVAL;
}
