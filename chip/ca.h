/* Chip Authentication (ICAO 9303 Part 11, section 6.2): the terminal sends
 * an ephemeral public key in the domain of the chip's static key from
 * DG14; both sides derive K from it and the static key, and restart secure
 * messaging with KSenc = KDF(K, 1), KSmac = KDF(K, 2) and SSC 0.  3DES
 * protocols use MSE:Set KAT, AES ones MSE:Set AT and GENERAL
 * AUTHENTICATE.
 *
 * Nothing in the exchange itself proves the chip holds the private key:
 * the proof is that its next secure messaging response verifies under the
 * new keys.  So the caller reads a file after eid_ca_authenticate, and an
 * EID_EVERIFY there means a cloned chip. */
#ifndef EID_CA_H
#define EID_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "chip/cardaccess.h"
#include "chip/ka.h"
#include "chip/reader.h"
#include "chip/sm.h"

struct eid_ca_params {
	const struct eid_ca_info *info; /* protocol, and keyId when not -1 */
	EVP_PKEY *chip_key;             /* the public key from DG14 */
	eid_ka_random_fn rnd;           /* NULL: the CSPRNG */
	void *rnd_ctx;
};

/* Terminal side, through rd's current session (after BAC or PACE); on
 * success rd runs on the new session.  EID_EINVAL when the key's type does
 * not match info->ka; the card's status words map as eid_sw_to_error. */
int eid_ca_authenticate(eid_reader *rd, const struct eid_ca_params *p);

/* ---- the card's side, for the virtual card (no I/O) ----
 * Each takes the plain data of a command that arrived under the current
 * session; the card answers it under that session and only then switches
 * to *ret_sm. */

/* MSE:Set AT (P1-P2 41A4): '80' must name info's protocol, '84' (key id)
 * is optional.  EID_ENOTFOUND for another protocol, EID_EMALFORMED for bad
 * data. */
int eid_ca_card_set_at(const struct eid_ca_info *info, const uint8_t *data,
		       size_t n);

/* MSE:Set KAT (P1-P2 41A6): '91' the terminal's key, '84' optional. */
int eid_ca_card_set_kat(EVP_PKEY *chip_key, const struct eid_ca_info *info,
			const uint8_t *data, size_t n, eid_sm **ret_sm);

/* GENERAL AUTHENTICATE: '7C' { '80' the terminal's key }; appends the
 * (empty) '7C' answer to resp. */
int eid_ca_card_general_authenticate(EVP_PKEY *chip_key,
				     const struct eid_ca_info *info,
				     const uint8_t *data, size_t n,
				     eid_buf *resp, eid_sm **ret_sm);

#endif
