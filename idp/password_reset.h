/* Password reset through the phone: the citizen gives their personal ID
 * number and phone number; when they belong to one active account a
 * one-time code (EID_OTP_RESET) goes to the phone.  The answer is the same
 * either way (a reset id; no code is sent when nothing matches), so the
 * form tells nobody which IDs or phones have accounts.  The code and a new
 * password then replace the password and end every session, code and
 * token of the account.  Shares the registration context (store, gateway,
 * policy, rate limits). */
#ifndef EID_PASSWORD_RESET_H
#define EID_PASSWORD_RESET_H

#include "idp/registration.h"

#define EID_RESET_ID_LEN EID_REGISTRATION_ID_LEN
#define EID_RESET_TTL 900

/* EID_OK with ret->id (whether or not a code went out); EID_EMALFORMED
 * for a bad ID or phone (reason in why); EID_ELIMIT (rate limits, the
 * phone's resend throttle). */
int eid_password_reset_start(const struct eid_registration_ctx *ctx,
			     const char *personal_id, const char *phone,
			     const char *remote, int64_t now,
			     struct eid_registration_result *ret,
			     eid_buf *why);

/* EID_OK: password replaced, sessions ended (audit password.reset);
 * EID_EINVAL: the policy refuses the password (the code is not spent);
 * EID_ENOTFOUND: unknown or expired reset; EID_EAUTH, EID_EEXPIRED,
 * EID_EREPLAY, EID_ELIMIT from the code. */
int eid_password_reset_confirm(const struct eid_registration_ctx *ctx,
			       const char *id, const char *code,
			       const char *password, const char *remote,
			       int64_t now, eid_buf *why);

#endif
