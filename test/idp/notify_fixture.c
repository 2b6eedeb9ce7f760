#include "notify_fixture.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/error.h"

static int fake_sms(void *ctx, const char *phone, const char *text)
{
	struct fake_notify *f = ctx;

	if (f->fail != EID_OK)
		return f->fail;
	snprintf(f->phone, sizeof(f->phone), "%s", phone);
	snprintf(f->text, sizeof(f->text), "%s", text);
	f->sent++;
	return EID_OK;
}

void fake_notify_init(struct fake_notify *f, eid_notify *ret)
{
	memset(f, 0, sizeof(*f));
	*ret = (eid_notify){ fake_sms, NULL, NULL, f };
}

void fake_notify_code(const struct fake_notify *f, char out[7])
{
	const char *p = f->text;

	while (*p && !isdigit((unsigned char)*p))
		p++;
	assert_true(strlen(p) >= 6);
	memcpy(out, p, 6);
	out[6] = '\0';
}
