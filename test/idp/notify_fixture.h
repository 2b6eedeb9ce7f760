/* A notification gateway for tests: remembers the last SMS and can be
 * told to fail. */
#ifndef EID_TEST_NOTIFY_FIXTURE_H
#define EID_TEST_NOTIFY_FIXTURE_H

#include "idp/notify.h"

struct fake_notify {
	char phone[32];
	char text[EID_NOTIFY_TEXT_MAX + 1];
	unsigned sent;
	int fail; /* returned by send_sms when not EID_OK */
};

/* A gateway over f (which must outlive it). */
void fake_notify_init(struct fake_notify *f, eid_notify *ret);
/* The six-digit code in the last message, into out (7 bytes). */
void fake_notify_code(const struct fake_notify *f, char out[7]);

#endif
