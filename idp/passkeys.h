/* Citizens' passkeys (WebAuthn credentials): storage, challenges and the
 * sign-in check.  The WebAuthn verification itself is idp/webauthn.h's.
 *
 * Records in the durable EID_TABLE_PASSKEYS table:
 *   "c:<id>"               {"v":1,"personal_id","cred_id","key","alg",
 *                           "count","be","bs","uv","aaguid","attestation",
 *                           "transports","name","created","last_used"}
 *   "p:<personal id>:<id>" "" (the account's passkeys, in id order)
 * where <id> is base64url(SHA-256(credential id)): a credential id may be
 * 1023 bytes, too long for a store key, and the id is what pages show and
 * post.  One "c:" key per credential id makes credential ids unique across
 * accounts (7.1 step 22).
 *
 * Challenges are 32 random bytes in the short-lived store under
 * "wa|<purpose>|<binding>" (the browser session's sid for registration,
 * the interaction id for sign-in): one outstanding per binding, taken
 * once, EID_PASSKEY_CHALLENGE_TTL seconds at most. */
#ifndef EID_PASSKEYS_H
#define EID_PASSKEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "idp/config.h"
#include "idp/store.h"
#include "idp/webauthn.h"

#define EID_PASSKEY_ID_LEN 43
#define EID_PASSKEY_NAME_MAX 64
#define EID_PASSKEY_TRANSPORTS_MAX 63
#define EID_PASSKEY_MAX_PER_ACCOUNT 10
#define EID_PASSKEY_CHALLENGE_TTL 300
#define EID_PASSKEY_USER_HANDLE_LEN 32
#define EID_PASSKEY_RP_ID_MAX 253

struct eid_passkey {
	char id[EID_PASSKEY_ID_LEN + 1];
	char personal_id[13];
	uint8_t cred_id[EID_WA_CRED_ID_MAX];
	size_t cred_id_len;
	uint8_t cose_key[EID_COSE_KEY_MAX];
	size_t cose_key_len;
	int alg;
	uint32_t sign_count;
	bool be, bs, uv;      /* backup eligible, backed up, verified at use */
	char aaguid[33];      /* hex */
	char attestation[EID_WA_ATTESTATION_MAX + 1];
	char transports[EID_PASSKEY_TRANSPORTS_MAX + 1]; /* "internal,hybrid" */
	char name[EID_PASSKEY_NAME_MAX + 1];
	int64_t created_at;
	int64_t last_used_at; /* 0: never */
};

/* The relying party: RP ID and origin from [webauthn], each defaulting
 * to the issuer's (host; scheme://host[:port]). */
struct eid_passkey_rp {
	char rp_id[EID_PASSKEY_RP_ID_MAX + 1];
	char origin[EID_WA_ORIGIN_MAX + 1];
};
int eid_passkey_rp(const struct eid_config *cfg, struct eid_passkey_rp *ret);

/* The WebAuthn user.id of an account: HMAC-SHA256(key, "webauthn|" ||
 * personal_id), so no ID number reaches an authenticator. */
int eid_passkey_user_handle(const uint8_t key[32], const char *personal_id,
			    uint8_t ret[EID_PASSKEY_USER_HANDLE_LEN]);

/* A new challenge for purpose ("create", "get") and binding, replacing
 * the binding's earlier one; and taking it (once): EID_ENOTFOUND when
 * there is none, it expired or was taken. */
int eid_passkey_challenge_new(eid_store *s, const char *purpose,
			      const char *binding, uint8_t ret[32]);
int eid_passkey_challenge_take(eid_store *s, const char *purpose,
			       const char *binding, uint8_t ret[32]);

/* Store a registered credential for the account (write txn).  name is
 * cut to EID_PASSKEY_NAME_MAX bytes (at a character boundary); transports
 * keeps only the known values.  EID_EEXIST when the credential id is
 * registered already (to anyone), EID_EFULL past
 * EID_PASSKEY_MAX_PER_ACCOUNT.  Audit: passkey.register. */
int eid_passkey_add(eid_txn *t, const char *personal_id,
		    const struct eid_wa_credential *c, const char *name,
		    const char *transports, const char *remote, int64_t now,
		    struct eid_passkey *ret);

/* Replace the stored record of pk (after a sign-in). */
int eid_passkey_put(eid_txn *t, const struct eid_passkey *pk);

/* By credential id, or by the id the pages use.  EID_ENOTFOUND. */
int eid_passkey_get(eid_txn *t, const uint8_t *cred_id, size_t len,
		    struct eid_passkey *ret);
int eid_passkey_get_id(eid_txn *t, const char *id, struct eid_passkey *ret);

/* Visit the account's passkeys in id order; fn returns EID_OK to go on. */
typedef int (*eid_passkey_visit_fn)(const struct eid_passkey *pk, void *arg);
int eid_passkey_list(eid_txn *t, const char *personal_id,
		     eid_passkey_visit_fn fn, void *arg);

/* Remove one of the account's passkeys.  EID_ENOTFOUND when id is not
 * one of its.  Audit: passkey.remove. */
int eid_passkey_remove(eid_txn *t, const char *personal_id, const char *id,
		       const char *actor, const char *remote, int64_t now);

/* A sign-in assertion as the browser sent it (raw bytes). */
struct eid_passkey_assertion {
	const uint8_t *cred_id;
	size_t cred_id_len;
	const uint8_t *client_data;
	size_t client_data_len;
	const uint8_t *auth_data;
	size_t auth_data_len;
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *user_handle; /* may be NULL (0 bytes) */
	size_t user_handle_len;
};

/* Who signed in, and what the sign-in is worth. */
struct eid_passkey_login {
	char personal_id[13];
	int account_level;
	int level;       /* 2 for a level-2 account with UV, else 1 */
	char amr[24];    /* space-separated RFC 8176 values */
};

/* Check a sign-in with challenge against the stored credential, in one
 * write transaction: the credential's account must be active and the
 * user handle (when sent) its; a level-2 account needs UV.  The sign
 * counter must grow unless both it and the stored one are 0; a
 * regression is recorded (audit passkey.counter_regression, committed)
 * and refused with EID_EREPLAY.  On success the counter, BS flag and
 * last use are stored (audit passkey.login).  Errors: EID_EAUTH for an
 * unknown credential or a wrong user handle, EID_ELOCKED / EID_ESTATE for
 * an account that is locked / not active, and eid_wa_assert's. */
int eid_passkey_authenticate(eid_store *s, const struct eid_passkey_rp *rp,
			     const uint8_t challenge[32],
			     const uint8_t handle_key[32],
			     const struct eid_passkey_assertion *a,
			     const char *remote, struct eid_passkey_login *ret);

#endif
