/* One-time codes sent to a citizen's phone: 6 digits drawn uniformly from
 * the CSPRNG, stored only as a salted SHA-256 in EID_EPH_OTP under
 * (purpose, subject), valid EID_OTP_TTL seconds, good once.
 *
 * Rules:
 *  - at most EID_OTP_MAX_ATTEMPTS checks per code; the next one burns it
 *    (EID_ELIMIT from then on, until a new code is issued);
 *  - issuing is throttled per phone number: one code per
 *    EID_OTP_RESEND_INTERVAL seconds and EID_OTP_MAX_PER_HOUR an hour
 *    (EID_ELIMIT with the seconds to wait), whatever the purpose;
 *  - a new code for the same (purpose, subject) replaces the old one.
 *
 * The subject is what the code proves control of: a pending registration
 * id, a password-reset id, a session id for step-up.  Codes live in the
 * short-lived store, shared by every eidd node. */
#ifndef EID_OTP_H
#define EID_OTP_H

#include <stdint.h>

#include "idp/notify.h"
#include "idp/store.h"

#define EID_OTP_DIGITS 6
#define EID_OTP_TTL 300
#define EID_OTP_MAX_ATTEMPTS 5
#define EID_OTP_RESEND_INTERVAL 60
#define EID_OTP_MAX_PER_HOUR 5
#define EID_OTP_SUBJECT_MAX 128

enum eid_otp_purpose {
	EID_OTP_REGISTER,
	EID_OTP_RESET,
	EID_OTP_STEPUP,
	EID_OTP_DEVICE, /* binding the e-ID app's device key */
};

const char *eid_otp_purpose_name(enum eid_otp_purpose p);

/* Make a code for (purpose, subject), store its hash, and send it by SMS
 * to phone (E.164) through notify.  notify NULL stores a code and sends
 * nothing (the answer must look the same whether or not a message went
 * out; see registration).  EID_ELIMIT when the phone is throttled, with
 * *ret_retry_after (may be NULL) set; EID_EINVAL for a bad subject;
 * errors from the gateway (the code is then withdrawn). */
int eid_otp_issue(eid_store *s, enum eid_otp_purpose purpose,
		  const char *subject, const char *phone,
		  const eid_notify *notify, int64_t now,
		  uint64_t *ret_retry_after);

/* Check a code typed by the citizen (constant-time compare).
 *   EID_OK         right, and now used up
 *   EID_EAUTH      wrong (one attempt counted); also text that is not
 *                  six digits
 *   EID_ELIMIT     too many attempts: the code is burnt
 *   EID_EEXPIRED   right or wrong, the code is older than EID_OTP_TTL
 *   EID_EREPLAY    the code was already used
 *   EID_ENOTFOUND  no code for (purpose, subject) */
int eid_otp_check(eid_store *s, enum eid_otp_purpose purpose,
		  const char *subject, const char *code, int64_t now);

/* Withdraw the code of (purpose, subject), if any. */
int eid_otp_cancel(eid_store *s, enum eid_otp_purpose purpose,
		   const char *subject);

#endif
