/* Remote signing requests (docs/signatures.md): a relying party asks a
 * citizen to sign a document hash, the citizen's e-ID app approves or
 * denies it once, and the relying party fetches the result.
 *
 * Requests live in the short-lived store (EID_EPH_SIGN), keyed by a
 * random id (22 base64url characters):
 *   "r" id          the request (JSON), kept until expires_at + KEEP
 *   "d" id          the decision, inserted once: of two racing decisions
 *                   one wins; kept as long as the request
 *   "o" id          the result (signature and certificate), same life
 *   "p" pid id      the citizen's pending index, until expires_at
 * A request past expires_at without a decision is "expired" (and cannot
 * be approved any more); it stays readable for EID_SIGNREQ_KEEP seconds
 * after, so the relying party learns the outcome. */
#ifndef EID_SIGNREQ_H
#define EID_SIGNREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "idp/clients.h"
#include "idp/cms_sign.h"
#include "idp/store.h"

#define EID_SIGNREQ_ID_LEN 22      /* base64url of 16 random bytes */
#define EID_SIGNREQ_DOC_MAX 128    /* characters of the document name */
#define EID_SIGNREQ_DOC_BYTES (4 * EID_SIGNREQ_DOC_MAX)
#define EID_SIGNREQ_HASH_MAX 64    /* SHA-512 */
#define EID_SIGNREQ_B64_MAX 87     /* base64url of 64 bytes, with the NUL */
#define EID_SIGNREQ_KEEP 3600      /* seconds readable after expires_at */
#define EID_SIGNREQ_DEFAULT_TTL 300

/* What the relying party asks (the body of POST /api/v1/sign/requests). */
struct eid_signreq_input {
	char personal_id[EID_PERSONAL_ID_LEN + 1];
	enum eid_digest digest;
	uint8_t hash[EID_SIGNREQ_HASH_MAX];
	size_t hash_len;
	char document[EID_SIGNREQ_DOC_BYTES + 1]; /* UTF-8 */
	char callback_uri[EID_CLIENT_URI_MAX + 1]; /* "" when none */
};

/* Check and copy the members of a request body: personal_id (12 digits),
 * hash (base64url, the length of hash_alg's digest), hash_alg ("sha256",
 * "sha384" or "sha512"), document_name (1..128 characters, no control
 * characters) and an optional callback_uri (https, or http on loopback;
 * whether the client registered it is the caller's check).  Another
 * member is refused.  EID_EMALFORMED with one line of reason in why (may
 * be NULL). */
int eid_signreq_parse(const json_t *body, struct eid_signreq_input *ret,
		      eid_buf *why);

enum eid_signreq_status {
	EID_SIGNREQ_PENDING,
	EID_SIGNREQ_SIGNED,
	EID_SIGNREQ_DENIED,
	EID_SIGNREQ_EXPIRED,
};

const char *eid_signreq_status_name(enum eid_signreq_status st);

struct eid_signreq {
	char id[EID_SIGNREQ_ID_LEN + 1];
	char client_id[EID_CLIENT_ID_MAX + 1];
	struct eid_signreq_input in;
	uint64_t created_at;
	uint64_t expires_at;
	enum eid_signreq_status status;
	bool decided;
	/* Approved; while the signature is not (yet) stored the status is
	 * pending before expires_at and expired after. */
	bool approved;
	uint64_t decided_at;
};

/* A new pending request of client_id, living ttl seconds. */
int eid_signreq_create(eid_store *s, const struct eid_signreq_input *in,
		       const char *client_id, uint64_t now, uint64_t ttl,
		       struct eid_signreq *ret);

/* The request and its status at now.  EID_ENOTFOUND when unknown, gone,
 * or the id is malformed. */
int eid_signreq_get(eid_store *s, const char *id, uint64_t now,
		    struct eid_signreq *ret);

/* Visit the citizen's pending requests (undecided, not expired) in id
 * order; the visitor follows eid_store_visit_fn's rules. */
typedef int (*eid_signreq_visit_fn)(const struct eid_signreq *r, void *arg);
int eid_signreq_pending(eid_store *s, const char *personal_id, uint64_t now,
			eid_signreq_visit_fn fn, void *arg);

/* The citizen's decision, taken once.  EID_ENOTFOUND: unknown or gone;
 * EID_EEXPIRED: past expires_at; EID_ESTATE: decided already. */
int eid_signreq_decide(eid_store *s, const char *id, bool approve,
		       uint64_t now);
/* Signing failed after an approval: the request is pending again, and
 * back in the citizen's list.  EID_ENOTFOUND when unknown or gone. */
int eid_signreq_undecide(eid_store *s, const char *id);
/* Store the signature (DER CMS) and the signer's certificate (DER) of an
 * approved request: its status becomes signed. */
int eid_signreq_finish(eid_store *s, const char *id, const uint8_t *cms,
		       size_t cms_len, const uint8_t *cert, size_t cert_len);
/* The stored result as {"signature", "certificate"} (standard base64 of
 * the DER); EID_ENOTFOUND before finish. */
int eid_signreq_result(eid_store *s, const char *id, json_t **ret);

/* The hash as base64url (what the app shows and binds in its JWS). */
int eid_signreq_hash_b64(const struct eid_signreq_input *in,
			 char ret[EID_SIGNREQ_B64_MAX]);

#endif
