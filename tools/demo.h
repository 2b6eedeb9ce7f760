/* Demo data for `eidd --demo` and `tools/dev.sh run`: a few registry
 * citizens (and, as the features land, their accounts and a relying
 * party), written once and left alone afterwards. */
#ifndef EID_TOOLS_DEMO_H
#define EID_TOOLS_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/totp.h"
#include "idp/accounts.h"
#include "idp/credentials.h"
#include "idp/store.h"

/* The demo credentials (README, "Demo data"). */
#define EID_DEMO_PASSWORD "demo-password-2026"
#define EID_DEMO_OFFICER "officer1"
#define EID_DEMO_OFFICER_UNIT "CA-HN-HBT"
#define EID_DEMO_OFFICER_PASSWORD "officer-password-2026"

struct eid_demo_result {
	unsigned added;          /* records written */
	bool officer_created;    /* then officer_totp holds its secret */
	uint8_t officer_totp[EID_TOTP_SECRET_LEN];
};

/* Insert the demo records that are not there yet: three registry
 * citizens, active level-1 accounts for the two adults, and the officer
 * officer1.  ret (may be NULL) tells what was written; the caller wipes
 * the TOTP secret after showing it. */
int eid_demo_seed(eid_store *s, const struct eid_account_policy *pol,
		  const struct eid_cred_keys *k, int64_t now,
		  struct eid_demo_result *ret);

#endif
