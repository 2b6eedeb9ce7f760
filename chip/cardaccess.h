/* SecurityInfos (ICAO 9303 Part 11, section 9.2; BSI TR-03110): the SET
 * that EF.CardAccess holds as it is, and DG14 inside its tag '6E'.  What a
 * chip announces there: PACE (PACEInfo, PACEDomainParameterInfo), Chip
 * Authentication (ChipAuthenticationInfo and its public key) and Active
 * Authentication (ActiveAuthenticationInfo).  Parsed as strict DER through
 * a bounded cursor; SecurityInfos of other protocols are counted and
 * skipped, as the standard asks. */
#ifndef EID_CARDACCESS_H
#define EID_CARDACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip/smcrypto.h"
#include "crypto/buf.h"

/* The largest OID value we keep, the most infos of one kind and the
 * largest file we parse. */
#define EID_OID_MAX 32
#define EID_SI_MAX 8
#define EID_CARDACCESS_MAX (16 * 1024)

enum eid_ka_type {
	EID_KA_DH = 1,
	EID_KA_ECDH = 2,
};

enum eid_pace_mapping {
	EID_PACE_GM = 1,  /* generic mapping */
	EID_PACE_IM = 2,  /* integrated mapping */
	EID_PACE_CAM = 3, /* chip authentication mapping */
};

/* A protocol OID, as the value bytes of its DER encoding. */
struct eid_oid {
	uint8_t v[EID_OID_MAX];
	size_t len;
};

/* PACEInfo: id-PACE-{DH,ECDH}-{GM,IM,CAM}-{3DES-CBC-CBC,AES-CBC-CMAC-*}. */
struct eid_pace_info {
	struct eid_oid oid;
	enum eid_ka_type ka;
	enum eid_pace_mapping mapping;
	enum eid_sm_alg alg;
	size_t keylen;  /* 16 (3DES, AES-128), 24, 32 */
	long version;   /* 2 */
	int param_id;   /* standardized domain parameters; -1 when absent */
};

/* PACEDomainParameterInfo: proprietary domain parameters. */
struct eid_pace_dp_info {
	enum eid_ka_type ka;
	const uint8_t *alg_id; /* the AlgorithmIdentifier, borrowed DER */
	size_t alg_id_len;
	int param_id;          /* -1 when absent */
};

/* ChipAuthenticationInfo: id-CA-{DH,ECDH}-{3DES-CBC-CBC,AES-*}. */
struct eid_ca_info {
	struct eid_oid oid;
	enum eid_ka_type ka;
	enum eid_sm_alg alg;
	size_t keylen;
	long version;  /* 1 or 2 */
	long key_id;   /* -1 when absent */
};

/* ChipAuthenticationPublicKeyInfo: id-PK-{DH,ECDH} and the chip's key. */
struct eid_ca_pubkey_info {
	enum eid_ka_type ka;
	const uint8_t *spki; /* SubjectPublicKeyInfo, borrowed DER */
	size_t spki_len;
	long key_id;         /* -1 when absent */
};

/* ActiveAuthenticationInfo: the ECDSA signature algorithm's OID. */
struct eid_aa_info {
	long version;
	struct eid_oid sig_alg;
};

struct eid_security_infos {
	struct eid_pace_info pace[EID_SI_MAX];
	size_t npace;
	struct eid_pace_dp_info pace_dp[EID_SI_MAX];
	size_t npace_dp;
	struct eid_ca_info ca[EID_SI_MAX];
	size_t nca;
	struct eid_ca_pubkey_info ca_pk[EID_SI_MAX];
	size_t nca_pk;
	struct eid_aa_info aa;
	bool has_aa;
	size_t nother; /* SecurityInfos of protocols not listed above */
};

/* Parse a SecurityInfos SET (EF.CardAccess as read; DG14's content, see
 * eid_lds_dg14_parse).  What ret borrows points into p.  EID_EMALFORMED for
 * DER that is not strict (long-form short lengths, non-minimal integers,
 * trailing bytes), EID_ETOOBIG past EID_CARDACCESS_MAX or more than
 * EID_SI_MAX infos of a kind.  A protocol OID this code does not know (a
 * later PACE mapping, a cipher to come) counts in nother. */
int eid_security_infos_parse(const uint8_t *p, size_t n,
			     struct eid_security_infos *ret);

/* Fill a PACEInfo (version 2) for generic mapping from its parts: the OID
 * follows from ka, alg and keylen.  EID_EINVAL for a combination without
 * an OID. */
int eid_pace_info_set(struct eid_pace_info *info, enum eid_ka_type ka,
		      enum eid_sm_alg alg, size_t keylen, int param_id);

/* Fill a ChipAuthenticationInfo (version 1, no keyId) from its parts. */
int eid_ca_info_set(struct eid_ca_info *info, enum eid_ka_type ka,
		    enum eid_sm_alg alg, size_t keylen);

/* EF.CardAccess for a card image: the SET of these PACEInfos. */
int eid_cardaccess_encode(const struct eid_pace_info *infos, size_t n,
			  eid_buf *out);

#endif
