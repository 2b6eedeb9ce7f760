/* The signer process's wire format (docs/security.md, "Keys out of reach").
 *
 * eidd's HTTP worker and its signer child talk over a SOCK_SEQPACKET
 * socketpair: one record is one message, so there is no stream to
 * resynchronise.  Four requests, nothing that returns private material:
 *
 *   LOAD  u8 version (1) | u8 op (1) | u16 len | sealed key blob
 *         -> u8 alg | u8 kid_len | kid | SubjectPublicKeyInfo DER
 *   SIGN  u8 version (1) | u8 op (2) | u8 alg | u8 kid_len | kid |
 *         u8 digest_len | digest
 *         -> the signature (DER ECDSA-Sig-Value for EC, raw for RSA)
 *   GENERATE  u8 version (1) | u8 op (3) | u8 alg
 *         -> u16 blob_len | the new key sealed under the KEK |
 *            the public half as LOAD answers it
 *   LOAD_SHORT  as LOAD with op 4: a citizen's key, kept apart from the
 *         token-signing and CA keys (crypto/signer_proc.h)
 *
 * Every answer is  u8 version (1) | u8 status | u16 len | payload,
 * status 0 for success, else the negated EID_E... code (payload empty).
 * Every length is bounded and must account for the whole record. */
#ifndef EID_SIGNER_WIRE_H
#define EID_SIGNER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"
#include "crypto/keys.h"

#define EID_SIGNER_VERSION 1
#define EID_SIGNER_KID_MAX 128
#define EID_SIGNER_DIGEST_MAX 64
#define EID_SIGNER_PAYLOAD_MAX EID_KEY_SEAL_MAX
/* The largest record either side sends or accepts. */
#define EID_SIGNER_MSG_MAX (EID_SIGNER_PAYLOAD_MAX + 16)

enum eid_signer_op {
	EID_SIGNER_LOAD = 1,
	EID_SIGNER_SIGN = 2,
	EID_SIGNER_GENERATE = 3,
	EID_SIGNER_LOAD_SHORT = 4,
};

/* A parsed request; pointers borrow from the record. */
struct eid_signer_req {
	enum eid_signer_op op;
	const uint8_t *blob; /* LOAD, LOAD_SHORT */
	size_t blob_len;
	eid_alg alg;         /* SIGN, GENERATE */
	char kid[EID_SIGNER_KID_MAX + 1];
	const uint8_t *digest;
	size_t digest_len;
};

/* A parsed answer; payload borrows from the record. */
struct eid_signer_resp {
	int status; /* EID_OK or an EID_E... code */
	const uint8_t *payload;
	size_t len;
};

/* The public half a LOAD answers with; spki borrows. */
struct eid_signer_pub {
	eid_alg alg;
	char kid[EID_SIGNER_KID_MAX + 1];
	const uint8_t *spki;
	size_t spki_len;
};

int eid_signer_req_load(const uint8_t *blob, size_t len, eid_buf *out);
int eid_signer_req_load_short(const uint8_t *blob, size_t len, eid_buf *out);
int eid_signer_req_generate(eid_alg alg, eid_buf *out);
int eid_signer_req_sign(const char *kid, eid_alg alg, const uint8_t *digest,
			size_t digest_len, eid_buf *out);
/* EID_EMALFORMED for a bad version, op, length or trailing bytes;
 * EID_ETOOBIG for a record over EID_SIGNER_MSG_MAX. */
int eid_signer_req_parse(const uint8_t *msg, size_t len,
			 struct eid_signer_req *ret);

int eid_signer_resp_put(int status, const uint8_t *payload, size_t len,
			eid_buf *out);
int eid_signer_resp_parse(const uint8_t *msg, size_t len,
			  struct eid_signer_resp *ret);

int eid_signer_pub_put(eid_alg alg, const char *kid, const uint8_t *spki,
		       size_t spki_len, eid_buf *out);
int eid_signer_pub_parse(const uint8_t *p, size_t len,
			 struct eid_signer_pub *ret);

/* GENERATE's answer: the sealed blob, then the public half (pub_put's
 * record); blob and pub borrow from p. */
struct eid_signer_gen {
	const uint8_t *blob;
	size_t blob_len;
	struct eid_signer_pub pub;
};

int eid_signer_gen_put(const uint8_t *blob, size_t blob_len, eid_alg alg,
		       const char *kid, const uint8_t *spki, size_t spki_len,
		       eid_buf *out);
int eid_signer_gen_parse(const uint8_t *p, size_t len,
			 struct eid_signer_gen *ret);

#endif
