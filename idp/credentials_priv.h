/* Inside the credentials module: the record, shared by credentials.c and
 * credentials_check.c, never included elsewhere. */
#ifndef EID_CREDENTIALS_PRIV_H
#define EID_CREDENTIALS_PRIV_H

#include "crypto/seal.h"
#include "idp/credentials.h"

#define EID_CRED_FORMAT 1
#define EID_CRED_SEALED_LEN (EID_SEAL_OVERHEAD + EID_TOTP_SECRET_LEN)
#define EID_CRED_HASH_LEN 32

struct eid_cred_rec {
	bool has_totp;
	bool active;
	uint8_t sealed[EID_CRED_SEALED_LEN];
	uint64_t last_step;
	int64_t since;
	uint64_t failures;
	int64_t last_failure_at;
	unsigned n_recovery;
	uint8_t recovery[EID_RECOVERY_CODES][EID_CRED_HASH_LEN];
	uint64_t recovery_used;
};

/* EID_ENOTFOUND when the citizen has no record. */
int eid_cred_get(eid_txn *t, const char *personal_id, struct eid_cred_rec *ret);
int eid_cred_put(eid_txn *t, const char *personal_id,
		 const struct eid_cred_rec *c);
/* The TOTP secret out of c (which has one). */
int eid_cred_unseal(const struct eid_cred_keys *k, const char *personal_id,
		    const struct eid_cred_rec *c,
		    uint8_t ret_secret[EID_TOTP_SECRET_LEN]);
/* A fresh set of recovery codes into c (replacing the old) and ret. */
int eid_cred_recovery_new(const struct eid_cred_keys *k,
			  const char *personal_id, struct eid_cred_rec *c,
			  eid_recovery_code ret[EID_RECOVERY_CODES]);
/* The keyed hash of a typed recovery code (dashes, blanks and case do
 * not matter); EID_EMALFORMED when it cannot be one. */
int eid_cred_recovery_hash(const struct eid_cred_keys *k,
			   const char *personal_id, const char *code,
			   uint8_t ret[EID_CRED_HASH_LEN]);

#endif
