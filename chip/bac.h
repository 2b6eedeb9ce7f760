/* Basic Access Control (ICAO 9303 Part 11, section 4.3): document basic
 * access keys from the MRZ information, then mutual authentication with
 * GET CHALLENGE and EXTERNAL AUTHENTICATE, ending in a 3DES secure
 * messaging session.  The card's half is here too, for the virtual card. */
#ifndef EID_BAC_H
#define EID_BAC_H

#include <stddef.h>
#include <stdint.h>

#include "chip/sm.h"
#include "chip/transport.h"

#define EID_BAC_KEY_LEN 16
#define EID_BAC_RND_LEN 8
/* E_IFD || M_IFD and E_IC || M_IC. */
#define EID_BAC_AUTH_LEN 40
/* Document numbers longer than 9 characters continue in the optional data
 * of the MRZ; 24 is the usual length of the MRZ information. */
#define EID_BAC_MRZ_INFO_MIN 24
#define EID_BAC_MRZ_INFO_MAX 40

struct eid_bac_keys {
	uint8_t kenc[EID_BAC_KEY_LEN];
	uint8_t kmac[EID_BAC_KEY_LEN];
};

/* Randomness the protocol draws (RND.IFD, K.IFD; RND.IC, K.IC); tests pass
 * a function that replays the worked example.  EID_OK or an error. */
typedef int (*eid_bac_random_fn)(void *ctx, uint8_t *p, size_t n);
/* The CSPRNG (eid_random_bytes); ctx is unused. */
int eid_bac_random(void *ctx, uint8_t *p, size_t n);

/* EID_OK, with its length, when mrz_info is 24 to 40 characters of
 * [0-9A-Z<] with three valid check digits (PACE's MRZ password too);
 * EID_EINVAL otherwise. */
int eid_bac_mrz_info_check(const char *mrz_info, size_t *ret_len);

/* Kenc and Kmac from the MRZ information: document number, check digit,
 * date of birth, check digit, date of expiry, check digit (e.g.
 * "L898902C<369080619406236").  EID_EINVAL unless it is 24 to 40
 * characters of [0-9A-Z<] with three valid check digits. */
int eid_bac_keys_from_mrz_info(const char *mrz_info,
			       struct eid_bac_keys *ret_keys);
void eid_bac_keys_wipe(struct eid_bac_keys *k);

/* The same keys as upper-case hex strings, for `eidctl chip bac-keys`. */
int eid_bac_keys_hex(const char *mrz_info, char ret_kenc[2 * EID_BAC_KEY_LEN + 1],
		     char ret_kmac[2 * EID_BAC_KEY_LEN + 1]);

/* Terminal side: mutual authentication over t (plain APDUs).  EID_EAUTH
 * when the card rejects us (6300) or its answer does not verify; EID_ECARD
 * for another status or an answer of the wrong size. */
int eid_bac_authenticate(const struct eid_transport *t,
			 const struct eid_bac_keys *keys, eid_bac_random_fn rnd,
			 void *rnd_ctx, eid_sm **ret_sm);

/* Card side: given the RND.IC it answered to GET CHALLENGE and the
 * EXTERNAL AUTHENTICATE data (E_IFD || M_IFD), verify the terminal, append
 * E_IC || M_IC to resp and open the card's session.  EID_EAUTH when the
 * terminal does not verify (the card answers 6300). */
int eid_bac_card_authenticate(const struct eid_bac_keys *keys,
			      const uint8_t rnd_ic[EID_BAC_RND_LEN],
			      const uint8_t *data, size_t len,
			      eid_bac_random_fn rnd, void *rnd_ctx,
			      eid_buf *resp, eid_sm **ret_sm);

#endif
