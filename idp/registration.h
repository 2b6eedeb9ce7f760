/* Level-1 self-service registration (Decree 69/2024): a citizen of 14 or
 * over gives their personal ID number, full name, date of birth, phone,
 * optional e-mail and a portrait; all of it must agree with the
 * population registry; a one-time code goes to the phone; the code and a
 * password chosen then create the active level-1 account.
 *
 * What a refusal tells:
 *  - EID_EMALFORMED: a field is not well-formed (which one is said: the
 *    format of what one typed is no secret);
 *  - EID_EMISMATCH: one generic refusal for an unknown ID, any field that
 *    differs from the registry, an ID that has an account already, and a
 *    revoked or expired card, so the reply never tells which;
 *  - EID_EPERM: under 14 (only said once every field matched): the
 *    guardian's flow;
 *  - EID_ELIMIT: too many attempts from the address or for the ID, or
 *    codes sent too often to the phone.
 * A phone number that belongs to another account is not refused: the
 * answer is the same as for success, and no code is sent (the phone's
 * owner knows; whoever enumerates numbers learns nothing).
 *
 * Names are compared in Unicode NFC (a name typed decomposed, as some
 * phone keyboards send it, matches the registry's precomposed one), after
 * collapsing white space (ASCII blanks, no-break and other Unicode spaces)
 * into one space and trimming both ends. */
#ifndef EID_REGISTRATION_H
#define EID_REGISTRATION_H

#include <stdint.h>

#include "crypto/buf.h"
#include "idp/accounts.h"
#include "idp/notify.h"
#include "idp/registry.h"

#define EID_REGISTRATION_ID_LEN 22 /* base64url of 16 random bytes */
#define EID_REGISTRATION_TTL 900
#define EID_PORTRAIT_MAX (200u * 1024)

/* What the citizen typed, checked for form (eid_registration_input_set). */
struct eid_registration_input {
	char personal_id[EID_PERSONAL_ID_LEN + 1];
	char full_name[EID_CITIZEN_NAME_MAX + 1];
	struct eid_date birthdate;
	char phone[EID_PHONE_MAX + 1]; /* E.164 */
	char email[EID_EMAIL_MAX + 1]; /* "" when none */
	eid_buf portrait;              /* JPEG bytes */
};

void eid_registration_input_init(struct eid_registration_input *in);
void eid_registration_input_free(struct eid_registration_input *in);

/* Set one field by its JSON and form name: personal_id, full_name,
 * birthdate (YYYY-MM-DD), phone, email, portrait (JPEG bytes; the JSON
 * API decodes base64 first).  EID_EMALFORMED with the reason in why for
 * a bad value or an unknown field. */
int eid_registration_input_set(struct eid_registration_input *in,
			       const char *field, const char *value,
			       size_t n, eid_buf *why);
/* Every required field is there (all but email). */
int eid_registration_input_complete(const struct eid_registration_input *in,
				    eid_buf *why);
/* A JSON object of string members with the names above (portrait in
 * base64, standard or URL alphabet, padding optional), at most
 * EID_REGISTRATION_JSON_MAX bytes; unknown or repeated members are
 * refused. */
#define EID_REGISTRATION_JSON_MAX (EID_PORTRAIT_MAX * 4 / 3 + 8192)
int eid_registration_input_from_json(const char *s, size_t n,
				     struct eid_registration_input *ret,
				     eid_buf *why);

/* A JPEG by its markers: FF D8 FF ... FF D9, at most EID_PORTRAIT_MAX. */
int eid_portrait_check(const void *p, size_t n);

/* A name as compared: Unicode NFC (idp/nfc.h), then white space
 * collapsed and trimmed (see above), appended to out.  EID_EMALFORMED for
 * text that is not UTF-8, EID_ETOOBIG past EID_NFC_INPUT_MAX or out's
 * cap (out unchanged then). */
int eid_name_normalize(const char *s, eid_buf *out);

/* What registration needs from the server. */
struct eid_registration_ctx {
	eid_store *store;
	const eid_registry *registry;
	const eid_notify *notify;
	const struct eid_account_policy *policy;
	uint64_t per_address_max; /* attempts per window; 0: no limit */
	uint64_t per_id_max;
	uint64_t window;          /* seconds */
};

struct eid_registration_result {
	char id[EID_REGISTRATION_ID_LEN + 1];
	int64_t expires_at;
	uint64_t retry_after; /* with EID_ELIMIT */
};

/* Check the request and open a pending registration (see the top).  remote
 * is the source address for the rate limit (may be NULL). */
int eid_registration_start(const struct eid_registration_ctx *ctx,
			   const struct eid_registration_input *in,
			   const char *remote, int64_t now,
			   struct eid_registration_result *ret, eid_buf *why);

/* Finish: the code sent to the phone and the password chosen.
 *   EID_OK         the active level-1 account exists (ret_personal_id,
 *                  13 bytes, may be NULL); audit registration.complete
 *   EID_ENOTFOUND  unknown or expired registration id
 *   EID_EINVAL     the password fails the policy (reason in why); the code
 *                  is not spent, the citizen may try another password
 *   EID_EAUTH, EID_EEXPIRED, EID_EREPLAY, EID_ELIMIT  from the code
 *   EID_EMISMATCH  the account cannot be created after all (the phone or
 *                  the ID was taken meanwhile)
 *   EID_ENETWORK   the registry is unavailable: asked before the code, so
 *                  the code is not spent and the registration stays
 *                  pending (eid_registration_start returns it too) */
int eid_registration_confirm(const struct eid_registration_ctx *ctx,
			     const char *id, const char *code,
			     const char *password, const char *remote,
			     int64_t now, char *ret_personal_id, eid_buf *why);

/* Count an attempt by who (a source address, a personal ID) for a flow
 * ("registration-addr", "reset-id"...) in EID_EPH_COUNTERS: EID_ELIMIT,
 * with *retry_after set, past max attempts within window seconds.  max 0
 * or an empty who: no limit. */
int eid_attempt_limit(eid_store *s, const char *kind, const char *who,
		      uint64_t max, uint64_t window, int64_t now,
		      uint64_t *retry_after);

/* The portrait stored with an account: SHA-256 (32 bytes) then the JPEG,
 * in EID_TABLE_PORTRAITS under the personal ID.  Appends the JPEG. */
int eid_portrait_get(eid_txn *t, const char *personal_id, eid_buf *out);

#endif
