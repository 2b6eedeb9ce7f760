/* The second factor: what a citizen types at the step-up (a TOTP code or
 * a recovery code) against an enrolled record, and a stored credentials
 * record read back (the store is a seam: another backend may hand us
 * anything).  A typed code is refused or accepted, never more; a record
 * is read or refused as malformed. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/totp.h"
#include "fuzz_tmpstore.h"
#include "idp/credentials.h"

#define PID "001090012345"
#define RAW "001090012346"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t kek[32] = { 0x42 };
/* Never throttled: every input reaches the check. */
static const struct eid_lockout_params lp = {
	.max_failures = UINT32_MAX, .base_delay = 1, .max_delay = 1,
	.per_address_max = 1, .per_address_window = 1,
};
static struct eid_cred_keys keys;

static void enroll(eid_store *s)
{
	eid_recovery_code codes[EID_RECOVERY_CODES];
	uint8_t secret[EID_TOTP_SECRET_LEN];
	char code[8];
	uint32_t v;
	eid_txn *t = NULL;

	if (eid_cred_keys_derive(kek, &keys) != EID_OK ||
	    eid_store_begin(s, true, &t) != EID_OK ||
	    eid_cred_totp_begin(t, &keys, PID, (int64_t)FUZZ_NOW, secret) ||
	    eid_hotp(secret, sizeof(secret), eid_totp_step(FUZZ_NOW) - 1, 6,
		     &v) != EID_OK)
		abort();
	snprintf(code, sizeof(code), "%06u", (unsigned)v);
	if (eid_cred_totp_confirm(t, &keys, &lp, PID, code, (int64_t)FUZZ_NOW,
				  "citizen:" PID, codes) != EID_OK ||
	    eid_txn_commit(t) != EID_OK)
		abort();
}

static void typed(eid_store *s, const char *code)
{
	eid_txn *t = NULL;
	int r;

	if (eid_store_begin(s, true, &t) != EID_OK)
		abort();
	r = eid_cred_check(t, &keys, &lp, PID, code, (int64_t)FUZZ_NOW,
			   "203.0.113.5", NULL, NULL);
	/* Aborted: each input meets the same record. */
	eid_txn_abort(t);
	if (r != EID_OK && r != EID_EAUTH)
		__builtin_trap();
}

static void stored(eid_store *s, const uint8_t *data, size_t size)
{
	struct eid_cred_status st;
	eid_txn *t = NULL;
	int r;

	if (eid_store_begin(s, true, &t) != EID_OK)
		abort();
	if (size > 0 &&
	    eid_txn_put(t, EID_TABLE_CREDENTIALS, RAW, 12, data, size) != EID_OK)
		abort();
	r = eid_cred_status(t, RAW, &st);
	if (r != EID_OK && r != EID_EMALFORMED && r != EID_EUNSUPPORTED)
		__builtin_trap();
	if (r == EID_OK && st.recovery_left > EID_RECOVERY_CODES)
		__builtin_trap();
	eid_txn_abort(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	eid_store *s = fuzz_store();
	char *code;

	if (!ready) {
		enroll(s);
		ready = true;
	}
	if ((code = malloc(size + 1)) == NULL)
		return 0;
	memcpy(code, data, size);
	code[size] = '\0';
	typed(s, code);
	free(code);
	stored(s, data, size);
	return 0;
}
