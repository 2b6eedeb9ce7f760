/* PACE version 2 with the generic mapping (ICAO 9303 Part 11, section 4.4;
 * BSI TR-03110): MSE:Set AT, then four chained GENERAL AUTHENTICATE
 * commands (encrypted nonce, mapping, key agreement, mutual authentication
 * tokens), ending in a secure messaging session with SSC 0.  ECDH and DH,
 * 3DES and AES; the password is the MRZ information or the CAN.
 *
 * Written on OpenSSL (chip/ka.h) rather than OpenPACE's EAC_CTX: the
 * worked examples need every random draw injectable (OpenPACE draws from
 * RAND_bytes inside PACE_STEP*), the virtual card needs the card's side as
 * pure steps over command data, and OpenPACE wants a process-wide
 * EAC_init() that a library should not impose.  The protocol is a few
 * hundred lines on top of the shared key agreement.
 *
 * The card's half is here too, for the virtual card: a state machine fed
 * with MSE:Set AT and GENERAL AUTHENTICATE data, with no I/O. */
#ifndef EID_PACE_H
#define EID_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip/cardaccess.h"
#include "chip/ka.h"
#include "chip/sm.h"
#include "chip/smcrypto.h"
#include "chip/transport.h"

/* Password references of MSE:Set AT. */
enum eid_pace_pw {
	EID_PACE_MRZ = 1,
	EID_PACE_CAN = 2,
};

/* The MRZ information is as for BAC (24 to 40 characters with their check
 * digits); a CAN is 1 to 16 digits (6 on the Vietnamese card). */
#define EID_PACE_CAN_MAX 16

/* Kpi = KDF(f(password), 3): SHA-1 of the MRZ information, or the CAN as
 * it is, for alg and keylen.  EID_EINVAL for a password of the wrong form. */
int eid_pace_kpi(enum eid_pace_pw type, const char *pw, enum eid_sm_alg alg,
		 size_t keylen, struct eid_symkey *ret);

/* The best protocol among those si offers that this code runs: generic
 * mapping, version 2, standardized parameters; ECDH before DH, AES before
 * 3DES.  ret_ambiguous is set when another PACEInfo shares its OID (the
 * terminal must then name the parameters in MSE:Set AT).  EID_ENOTFOUND
 * when none fits. */
int eid_pace_choose(const struct eid_security_infos *si,
		    const struct eid_pace_info **ret_info,
		    bool *ret_ambiguous);

struct eid_pace_params {
	const struct eid_pace_info *info; /* protocol and parameter id */
	enum eid_pace_pw pw_type;
	const char *pw;                   /* MRZ information or CAN */
	bool send_param_id;               /* add '84' to MSE:Set AT */
	eid_ka_random_fn rnd;             /* NULL: the CSPRNG */
	void *rnd_ctx;
};

/* Terminal side over t (plain APDUs).  EID_EAUTH when the card refuses our
 * token (a wrong password) or its token does not verify; EID_EVERIFY for
 * an invalid public key from the card; EID_ECARD for other statuses and
 * malformed answers; EID_EUNSUPPORTED for a protocol other than generic
 * mapping or parameters that are not standardized. */
int eid_pace_authenticate(const struct eid_transport *t,
			  const struct eid_pace_params *p, eid_sm **ret_sm);

/* ---- the card's side ---- */

typedef struct eid_pace_card eid_pace_card;

struct eid_pace_card_config {
	const struct eid_pace_info *infos; /* what EF.CardAccess offers */
	size_t ninfos;
	const char *can;      /* NULL: PACE with the CAN refused */
	const char *mrz_info; /* NULL: PACE with the MRZ refused */
	eid_ka_random_fn rnd; /* NULL: the CSPRNG */
	void *rnd_ctx;
};

/* A card; the passwords are kept only as their hashes/copies in wiped
 * memory, the config itself is not referenced afterwards (rnd_ctx is). */
int eid_pace_card_new(const struct eid_pace_card_config *cfg,
		      eid_pace_card **ret_card);
void eid_pace_card_free(eid_pace_card *c);

/* MSE:Set AT (P1-P2 C1A4) data: '80' protocol OID, '83' password
 * reference, '84' parameter id (needed when infos hold the OID twice).
 * Starts a new run.  EID_ENOTFOUND for a protocol or password the card
 * does not offer, EID_EMALFORMED for bad data (the card answers 6A80). */
int eid_pace_card_set_at(eid_pace_card *c, const uint8_t *data, size_t n);

/* One GENERAL AUTHENTICATE (INS 86): cla is the command's class byte
 * (steps 1 to 3 must chain, bit 0x10; step 4 must not), data its '7C'
 * dynamic authentication data.  The response data ('7C' ...) is appended
 * to resp.  After step 4 ret_sm receives the card's session.  EID_EAUTH
 * when the terminal's token does not verify (the card answers 6300);
 * EID_ESTATE out of order (6985); EID_EMALFORMED or EID_EVERIFY for bad
 * data (6A80).  Any error ends the run. */
int eid_pace_card_general_authenticate(eid_pace_card *c, uint8_t cla,
				       const uint8_t *data, size_t n,
				       eid_buf *resp, eid_sm **ret_sm);

#endif
