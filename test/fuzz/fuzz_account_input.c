/* What a citizen types at registration: phone number, e-mail address,
 * password.  Normalised values must normalise to themselves; the policy
 * must decide without crashing and give a reason for every refusal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_phone(const char *s)
{
	char p[EID_PHONE_MAX + 1], again[EID_PHONE_MAX + 1];

	if (eid_phone_normalize(s, p) == EID_OK &&
	    (eid_phone_normalize(p, again) != EID_OK || strcmp(p, again) != 0))
		__builtin_trap();
}

static void check_email(const char *s)
{
	char e[EID_EMAIL_MAX + 1], again[EID_EMAIL_MAX + 1];

	if (eid_email_normalize(s, e) == EID_OK &&
	    (eid_email_normalize(e, again) != EID_OK || strcmp(e, again) != 0))
		__builtin_trap();
}

static void check_policy(const uint8_t *data, size_t size)
{
	static const struct eid_date birth = { 1990, 3, 15 };
	const struct eid_password_params p = {
		.memory_kib = 8, .iterations = 1, .parallelism = 1,
		.min_length = 12, .max_length = 128,
	};
	const struct eid_password_context ctx = {
		.personal_id = "001090012345",
		.phone = "+84912345678",
		.birthdate = &birth,
	};
	eid_buf why;
	int r;

	eid_buf_init(&why, 256);
	r = eid_password_check_policy(&p, (const char *)data, size, &ctx, &why);
	if (r != EID_OK && (r != EID_EINVAL || why.len == 0))
		__builtin_trap();
	eid_buf_free(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_phone(s);
	check_email(s);
	check_policy(data, size);
	free(s);
	return 0;
}
