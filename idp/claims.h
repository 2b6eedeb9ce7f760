/* Citizen claims (OIDC Core 5.1, 5.4, 5.5) from the registry record and
 * the account, by scope and by the "claims" request parameter.
 *
 *   profile  name, family_name, given_name, middle_name, birthdate, gender
 *   phone    phone_number, phone_number_verified
 *   email    email, email_verified
 *   address  address {formatted, country}
 *   citizen  personal_id, eid_level, nationality, place_of_origin
 *
 * A claim asked for by name in the claims request is released when its
 * scope is one the client may ask for (the consent page lists it); with
 * "value" or "values" it is released only when it has that value, so an
 * RP learns nothing beyond the match it asked about. */
#ifndef EID_CLAIMS_H
#define EID_CLAIMS_H

#include <stdbool.h>

#include <jansson.h>

#include "idp/accounts.h"
#include "idp/citizen.h"

#define EID_CLAIMS_REQUEST_MAX 4096 /* bytes of a claims request */

/* A Vietnamese full name: the family name is the first word, the given
 * name the last, the middle name what lies between ("Nguyễn Văn An":
 * Nguyễn / Văn / An; "Tôn Nữ Thị Hà": Tôn / Nữ Thị / Hà).  Words are
 * separated by blanks; a one-word name is a given name only. */
struct eid_name_parts {
	char family[EID_CITIZEN_NAME_MAX + 1];
	char middle[EID_CITIZEN_NAME_MAX + 1];
	char given[EID_CITIZEN_NAME_MAX + 1];
};

/* EID_EMALFORMED for a name without a word or longer than the cap. */
int eid_claims_split_name(const char *full_name,
			  struct eid_name_parts *ret);

/* The scope bit (EID_SCOPE_*) a user claim belongs to; 0 when it is not
 * one of ours. */
unsigned eid_claims_scope_of(const char *claim);

/* Bits of a space-separated scope string (RFC 6749 3.3: single spaces,
 * a repeated scope counts once).  EID_EUNSUPPORTED for a scope we do not
 * know, EID_EMALFORMED for an empty string or bad spacing. */
int eid_claims_scope_bits(const char *scope, unsigned *ret_bits);
/* The scope string of bits in a fixed order into out (cap 160 bytes is
 * enough for every scope). */
#define EID_SCOPE_STR_MAX 160
int eid_claims_scope_string(unsigned bits, char out[EID_SCOPE_STR_MAX]);

/* Check an OIDC claims request (a JSON object text of at most
 * EID_CLAIMS_REQUEST_MAX bytes, members "userinfo" and "id_token" each an
 * object of claim name -> null or {essential, value, values}).
 * EID_EMALFORMED otherwise; ret (may be NULL) gets the object. */
int eid_claims_request_parse(const char *text, json_t **ret);

struct eid_claims_input {
	const struct eid_citizen *citizen;
	const struct eid_account *account; /* NULL: no account claims */
	unsigned granted;  /* scope bits of the grant */
	unsigned allowed;  /* scope bits the client may ask for */
	const json_t *request; /* the claims request member for this target
				* ("userinfo" or "id_token"); NULL: none */
	bool by_scope;     /* release the granted scopes' claims (userinfo);
			    * the ID token carries only claims asked by name
			    * when an access token comes with it (OIDC 5.4) */
};

/* The user claims (without sub) as a new object. */
int eid_claims_build(const struct eid_claims_input *in, json_t **ret);

/* The names of every user claim, for discovery's claims_supported. */
extern const char *const eid_claims_names[];

#endif
