#include "idp/claims.h"

#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/clients.h"
#include "idp/personal_id.h"

/* ---- names ---- */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *word_end(const char *p)
{
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	return p;
}

static void copy_span(char *dst, const char *p, size_t n)
{
	memcpy(dst, p, n);
	dst[n] = '\0';
}

int eid_claims_split_name(const char *full_name, struct eid_name_parts *ret)
{
	const char *first, *first_end, *last = NULL, *p, *mid_end = NULL;
	size_t words = 0;

	if (full_name == NULL || ret == NULL ||
	    strnlen(full_name, EID_CITIZEN_NAME_MAX + 1) > EID_CITIZEN_NAME_MAX)
		return EID_EMALFORMED;
	first = skip_blanks(full_name);
	first_end = word_end(first);
	for (p = first; *p != '\0'; p = skip_blanks(word_end(p))) {
		if (words > 0)
			mid_end = word_end(last);
		last = p;
		words++;
	}
	if (words == 0)
		return EID_EMALFORMED;
	memset(ret, 0, sizeof(*ret));
	copy_span(ret->given, last, (size_t)(word_end(last) - last));
	if (words == 1)
		return EID_OK;
	copy_span(ret->family, first, (size_t)(first_end - first));
	if (words > 2) {
		/* The middle words as the record writes them. */
		const char *m = skip_blanks(first_end);

		copy_span(ret->middle, m, (size_t)(mid_end - m));
	}
	return EID_OK;
}

/* ---- scopes ---- */

int eid_claims_scope_bits(const char *scope, unsigned *ret_bits)
{
	unsigned bits = 0, bit;
	const char *p, *e;
	int r;

	if (scope == NULL || ret_bits == NULL || scope[0] == '\0')
		return EID_EMALFORMED;
	for (p = scope;; p = e + 1) {
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		if (e == p)
			return EID_EMALFORMED; /* leading, trailing, double */
		if ((r = eid_client_scope_from_name(p, (size_t)(e - p),
						    &bit)) != EID_OK)
			return EID_EUNSUPPORTED;
		bits |= bit;
		if (*e == '\0')
			break;
	}
	*ret_bits = bits;
	return EID_OK;
}

int eid_claims_scope_string(unsigned bits, char out[EID_SCOPE_STR_MAX])
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned bit = 1; bit != 0 && bit <= bits; bit <<= 1) {
		const char *name;
		int w;

		if (!(bits & bit) || (name = eid_client_scope_name(bit)) == NULL)
			continue;
		w = snprintf(out + n, EID_SCOPE_STR_MAX - n, "%s%s",
			     n > 0 ? " " : "", name);
		if (w < 0 || (size_t)w >= EID_SCOPE_STR_MAX - n)
			return EID_ETOOBIG;
		n += (size_t)w;
	}
	return EID_OK;
}

/* ---- the claims request ---- */

static int check_claim_spec(const json_t *spec)
{
	const char *k;
	json_t *v;

	if (json_is_null(spec))
		return EID_OK;
	if (!json_is_object(spec))
		return EID_EMALFORMED;
	json_object_foreach((json_t *)spec, k, v) {
		if (strcmp(k, "essential") == 0 && !json_is_boolean(v))
			return EID_EMALFORMED;
		if (strcmp(k, "values") == 0 && !json_is_array(v))
			return EID_EMALFORMED;
	}
	return EID_OK;
}

int eid_claims_request_parse(const char *text, json_t **ret)
{
	json_t *o = NULL, *member, *spec;
	const char *k, *name;
	int r = EID_EMALFORMED;

	if (text == NULL ||
	    strnlen(text, EID_CLAIMS_REQUEST_MAX + 1) > EID_CLAIMS_REQUEST_MAX)
		return text == NULL ? EID_EMALFORMED : EID_ETOOBIG;
	o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		goto out;
	json_object_foreach(o, k, member) {
		if (strcmp(k, "userinfo") != 0 && strcmp(k, "id_token") != 0)
			continue; /* OIDC Core 5.5: ignore what we do not use */
		if (!json_is_object(member))
			goto out;
		json_object_foreach(member, name, spec)
			if (check_claim_spec(spec) != EID_OK)
				goto out;
	}
	r = EID_OK;
	if (ret != NULL) {
		*ret = o;
		o = NULL;
	}
out:
	json_decref(o);
	return r;
}

/* ---- building ---- */

typedef json_t *(*claim_fn)(const struct eid_claims_input *in,
			    const struct eid_name_parts *n);

static json_t *text_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : NULL;
}

static json_t *c_name(const struct eid_claims_input *in,
		      const struct eid_name_parts *n)
{
	(void)n;
	return text_or_null(in->citizen->full_name);
}

static json_t *c_family(const struct eid_claims_input *in,
			const struct eid_name_parts *n)
{
	(void)in;
	return text_or_null(n->family);
}

static json_t *c_given(const struct eid_claims_input *in,
		       const struct eid_name_parts *n)
{
	(void)in;
	return text_or_null(n->given);
}

static json_t *c_middle(const struct eid_claims_input *in,
			const struct eid_name_parts *n)
{
	(void)in;
	return text_or_null(n->middle);
}

static json_t *c_birthdate(const struct eid_claims_input *in,
			   const struct eid_name_parts *n)
{
	char d[11];

	(void)n;
	if (in->citizen->birthdate.year == 0)
		return NULL;
	eid_date_format(&in->citizen->birthdate, d);
	return json_string(d);
}

static json_t *c_gender(const struct eid_claims_input *in,
			const struct eid_name_parts *n)
{
	(void)n;
	return in->citizen->has_sex ?
		       json_string(eid_sex_name(in->citizen->sex)) : NULL;
}

static json_t *c_phone(const struct eid_claims_input *in,
		       const struct eid_name_parts *n)
{
	(void)n;
	return in->account != NULL ? text_or_null(in->account->phone) : NULL;
}

/* The phone number was checked when the account was made (one number per
 * account, Decree 69/2024); the e-mail address is not verified. */
static json_t *c_phone_verified(const struct eid_claims_input *in,
				const struct eid_name_parts *n)
{
	(void)n;
	return in->account != NULL && in->account->phone[0] != '\0' ?
		       json_true() : NULL;
}

static json_t *c_email(const struct eid_claims_input *in,
		       const struct eid_name_parts *n)
{
	(void)n;
	return in->account != NULL ? text_or_null(in->account->email) : NULL;
}

static json_t *c_email_verified(const struct eid_claims_input *in,
				const struct eid_name_parts *n)
{
	(void)n;
	return in->account != NULL && in->account->email[0] != '\0' ?
		       json_false() : NULL;
}

static json_t *c_address(const struct eid_claims_input *in,
			 const struct eid_name_parts *n)
{
	(void)n;
	if (in->citizen->residence[0] == '\0')
		return NULL;
	return json_pack("{s:s,s:s}", "formatted", in->citizen->residence,
			 "country", "VN");
}

static json_t *c_personal_id(const struct eid_claims_input *in,
			     const struct eid_name_parts *n)
{
	(void)n;
	return text_or_null(in->citizen->personal_id);
}

static json_t *c_level(const struct eid_claims_input *in,
		       const struct eid_name_parts *n)
{
	(void)n;
	return in->account != NULL ? json_integer(in->account->level) : NULL;
}

static json_t *c_nationality(const struct eid_claims_input *in,
			     const struct eid_name_parts *n)
{
	(void)n;
	return text_or_null(in->citizen->nationality);
}

static json_t *c_origin(const struct eid_claims_input *in,
			const struct eid_name_parts *n)
{
	(void)n;
	return text_or_null(in->citizen->place_of_origin);
}

static const struct {
	const char *name;
	unsigned scope;
	claim_fn fn;
} claims[] = {
	{ "name", EID_SCOPE_PROFILE, c_name },
	{ "family_name", EID_SCOPE_PROFILE, c_family },
	{ "given_name", EID_SCOPE_PROFILE, c_given },
	{ "middle_name", EID_SCOPE_PROFILE, c_middle },
	{ "birthdate", EID_SCOPE_PROFILE, c_birthdate },
	{ "gender", EID_SCOPE_PROFILE, c_gender },
	{ "phone_number", EID_SCOPE_PHONE, c_phone },
	{ "phone_number_verified", EID_SCOPE_PHONE, c_phone_verified },
	{ "email", EID_SCOPE_EMAIL, c_email },
	{ "email_verified", EID_SCOPE_EMAIL, c_email_verified },
	{ "address", EID_SCOPE_ADDRESS, c_address },
	{ "personal_id", EID_SCOPE_CITIZEN, c_personal_id },
	{ "eid_level", EID_SCOPE_CITIZEN, c_level },
	{ "nationality", EID_SCOPE_CITIZEN, c_nationality },
	{ "place_of_origin", EID_SCOPE_CITIZEN, c_origin },
};

#define NCLAIMS (sizeof(claims) / sizeof(claims[0]))

const char *const eid_claims_names[] = {
	"name", "family_name", "given_name", "middle_name", "birthdate",
	"gender", "phone_number", "phone_number_verified", "email",
	"email_verified", "address", "personal_id", "eid_level",
	"nationality", "place_of_origin", NULL,
};

unsigned eid_claims_scope_of(const char *claim)
{
	for (size_t i = 0; claim != NULL && i < NCLAIMS; i++)
		if (strcmp(claims[i].name, claim) == 0)
			return claims[i].scope;
	return 0;
}

/* A claim asked with value or values is released only when it matches. */
static bool value_fits(const json_t *spec, const json_t *v)
{
	const json_t *want, *one;
	size_t i;

	if (!json_is_object(spec))
		return true;
	if ((want = json_object_get(spec, "value")) != NULL)
		return json_equal(want, v);
	if ((want = json_object_get(spec, "values")) != NULL) {
		json_array_foreach(want, i, one)
			if (json_equal(one, v))
				return true;
		return false;
	}
	return true;
}

/* Whether the claim at index i goes out, and with which request spec. */
static bool wanted(const struct eid_claims_input *in, size_t i,
		   const json_t **ret_spec)
{
	const json_t *spec = NULL;

	if (in->request != NULL)
		spec = json_object_get(in->request, claims[i].name);
	*ret_spec = spec;
	if (spec != NULL && (in->allowed & claims[i].scope))
		return true;
	return in->by_scope && (in->granted & claims[i].scope);
}

int eid_claims_build(const struct eid_claims_input *in, json_t **ret)
{
	struct eid_name_parts names;
	const json_t *spec;
	json_t *o, *v;
	int r = EID_ENOMEM;

	if (in == NULL || in->citizen == NULL || ret == NULL)
		return EID_EINVAL;
	if (eid_claims_split_name(in->citizen->full_name, &names) != EID_OK)
		memset(&names, 0, sizeof(names));
	if ((o = json_object()) == NULL)
		return EID_ENOMEM;
	for (size_t i = 0; i < NCLAIMS; i++) {
		if (!wanted(in, i, &spec) ||
		    (v = claims[i].fn(in, &names)) == NULL)
			continue;
		if (!value_fits(spec, v)) {
			json_decref(v);
			continue;
		}
		if (json_object_set_new(o, claims[i].name, v) != 0)
			goto out;
	}
	*ret = o;
	o = NULL;
	r = EID_OK;
out:
	json_decref(o);
	return r;
}
