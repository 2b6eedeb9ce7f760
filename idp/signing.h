/* The token-signing keyring (one line of keys per algorithm: keys of
 * different algorithms sign side by side, each superseded only by the next
 * key of its own algorithm).  Keys live sealed in the store (table "keys"),
 * and each key's life is a timeline computed from three instants:
 *
 *   created_at    published in JWKS from here on ("pending")
 *   activates_at  signs from here ("active") until it is superseded by the
 *                 next key to activate, or retired by the operator
 *   + retire_after after it stops signing it stays published ("retired"),
 *                 so tokens it signed still verify; then it is gone
 *                 ("expired") and may be deleted.
 *
 * So a rotation publishes the new key before it signs (publish_delay) and
 * keeps the old one published until its tokens have expired.  A key that
 * was superseded never signs again.  Every change bumps a generation
 * number in the store, which the running server watches, so `eidctl keys`
 * acts on a running eidd without a restart. */
#ifndef EID_SIGNING_H
#define EID_SIGNING_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/keys.h"
#include "crypto/signer_proc.h"
#include "idp/store.h"

#define EID_KID_MAX 64
/* Slots for per-algorithm state: every eid_alg value is below this. */
#define EID_ALG_SLOTS 8

enum eid_key_state {
	EID_KEY_PENDING,  /* published, not yet signing */
	EID_KEY_ACTIVE,   /* the one signing key */
	EID_KEY_RETIRED,  /* no longer signs, still published */
	EID_KEY_EXPIRED,  /* neither: may be deleted */
};

struct eid_key_info {
	char kid[EID_KID_MAX + 1];
	eid_alg alg;
	uint64_t created_at;
	uint64_t activates_at;
	uint64_t retired_at;      /* set by the operator; 0: not retired */
	uint64_t signs_until;     /* 0: open-ended */
	uint64_t published_until; /* 0: open-ended */
	enum eid_key_state state; /* at the time asked */
	bool in_token;            /* the private key is in the PKCS#11 token */
};

const char *eid_key_state_name(enum eid_key_state s);

/* When no key of this algorithm signs now and none is pending (first
 * start, or the first client asking for RS256/PS256 ID tokens), generate
 * one that signs at once (nothing has been signed with that algorithm yet,
 * so there is nothing to publish ahead of).  ret_created (may be NULL)
 * says whether it did. */
int eid_signing_ensure(eid_store *s, const uint8_t kek[32], eid_alg alg,
		       uint64_t now, bool *ret_created);
/* The same with the key generated and sealed in the signer process
 * (crypto/signer_proc.h): the private key is never in this process. */
int eid_signing_ensure_remote(eid_store *s, eid_sigproc *sp, eid_alg alg,
			      uint64_t now, bool *ret_created);

/* Generate a new key, published now, signing from now + publish_delay.
 * Deletes keys that have expired.  ret_kid gets the new kid. */
int eid_signing_rotate(eid_store *s, const uint8_t kek[32], eid_alg alg,
		       uint64_t now, uint64_t publish_delay,
		       uint64_t retire_after, char ret_kid[EID_KID_MAX + 1]);

/* The same with the key generated in p11's token (crypto/pkcs11.h): the
 * store keeps only a reference (label, kid, public key).  p11 NULL is
 * eid_signing_rotate. */
int eid_signing_rotate_pkcs11(eid_store *s, const uint8_t kek[32],
			      eid_pkcs11 *p11, eid_alg alg, uint64_t now,
			      uint64_t publish_delay, uint64_t retire_after,
			      char ret_kid[EID_KID_MAX + 1]);

/* Stop a key from signing now (it stays published for retire_after).
 * EID_ENOTFOUND for an unknown kid; EID_ESTATE when it is the only key
 * that signs now (rotate with no delay first), or already retired. */
int eid_signing_retire(eid_store *s, const char *kid, uint64_t now,
		       uint64_t retire_after);

/* Every key with its timeline as of now (oldest activation first). */
int eid_signing_list(eid_store *s, uint64_t now, uint64_t retire_after,
		     struct eid_key_info **ret_keys, size_t *ret_n);

/* The running server's view: keys unsealed once and kept, reloaded when
 * the generation changes (checked at most once a second) or a key's
 * timeline crosses an instant.  Thread-safe. */
typedef struct eid_signer eid_signer;

int eid_signer_open(eid_store *s, const uint8_t kek[32],
		    uint64_t retire_after, eid_signer **ret_signer);
/* The same when some keys may live in p11's token (NULL: none may; a key
 * in a token then fails with EID_ESTATE).  p11 must outlive the signer. */
int eid_signer_open_pkcs11(eid_store *s, const uint8_t kek[32],
			   eid_pkcs11 *p11, uint64_t retire_after,
			   eid_signer **ret_signer);
/* The same with the sealed keys opened by the signer process
 * (crypto/signer_proc.h), PKCS#11 references here through p11 (may be
 * NULL); this keyring holds no KEK and no private key.  sp must outlive
 * the signer. */
int eid_signer_open_remote(eid_store *s, eid_sigproc *sp, eid_pkcs11 *p11,
			   uint64_t retire_after, eid_signer **ret_signer);
void eid_signer_close(eid_signer *sg);

/* Sign claims with the primary algorithm's key active now: a compact JWS
 * with alg, kid and typ (NULL: none) in the header.  EID_ESTATE when no
 * key of that algorithm signs now. */
int eid_signer_sign(eid_signer *sg, const char *typ, const json_t *claims,
		    char **ret_compact);
/* The same with the active key of a given algorithm (relying parties that
 * registered RS256 or PS256 ID tokens); EID_ESTATE when none signs. */
int eid_signer_sign_alg(eid_signer *sg, eid_alg alg, const char *typ,
			const json_t *claims, char **ret_compact);
/* The same over a payload the caller wrote (the claims' JSON text, see
 * crypto/json_write.h): the protected header is written and the bytes
 * signed directly (crypto/jws_write.h), without a jansson object. */
int eid_signer_sign_payload(eid_signer *sg, const char *typ,
			    const void *payload, size_t len,
			    char **ret_compact);
/* The algorithm eid_signer_sign uses (default ES256; eidd sets the
 * configured [keys] algorithm). */
void eid_signer_set_primary(eid_signer *sg, eid_alg alg);

/* The JWKS document (public keys only) as JSON text, and the number of
 * seconds it stays valid (for Cache-Control). */
int eid_signer_jwks(eid_signer *sg, char **ret_json, uint64_t *ret_max_age);

/* Verify a JWS made by one of our published keys. */
int eid_signer_verify(eid_signer *sg, const char *compact, size_t len,
		      json_t **ret_header, json_t **ret_claims);

/* True when a key signs now (for /readyz). */
bool eid_signer_ready(eid_signer *sg);

#endif
