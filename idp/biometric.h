/* The face match of self-service level 2 (journey 3): the portrait the
 * card carries (DG2, JPEG or JPEG 2000) against a selfie the citizen's
 * app takes.  We do not match faces ourselves: an external biometric
 * service does, behind this interface.  Two implementations:
 *
 *  - none (the default): refuses every match with EID_EUNSUPPORTED, "no
 *    biometric service is configured";
 *  - http: POST application/json
 *      {"portrait": base64url, "portrait_type": "image/jpeg"|"image/jp2",
 *       "selfie": base64url}
 *    to [biometric] url with "Authorization: Bearer" the first line of
 *    [biometric] token_file (mode 0600), TLS verified (plain http only to
 *    loopback), [biometric] timeout_ms, no retry (a match is not a lookup
 *    to repeat blindly), at most EID_BIOMETRIC_ANSWER_MAX bytes back; the
 *    answer, 200 with {"match": bool, "score": number in [0, 1]}.
 *
 * The decision is ours: a match needs the service's "match": true AND a
 * score of at least [biometric] threshold hundredths. */
#ifndef EID_BIOMETRIC_H
#define EID_BIOMETRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct eid_config;

#define EID_BIOMETRIC_IMAGE_MAX (512u * 1024)  /* one image */
#define EID_BIOMETRIC_ANSWER_MAX 4096u

struct eid_biometric_verdict {
	bool match;   /* our decision */
	double score; /* the service's, in [0, 1] */
};

struct eid_biometric_image {
	const uint8_t *data;
	size_t len;
	const char *type; /* "image/jpeg", "image/jp2" */
};

typedef struct eid_biometric {
	const char *name; /* "none", "http" */
	int (*match)(void *ctx, const struct eid_biometric_image *portrait,
		     const struct eid_biometric_image *selfie,
		     struct eid_biometric_verdict *ret);
	void (*close)(void *ctx);
	void *ctx;
} eid_biometric;

/* Match portrait against selfie.  EID_OK with the verdict (look at
 * ret->match), or: EID_EINVAL for an empty or oversized image,
 * EID_EUNSUPPORTED when no service is configured, EID_ETIMEOUT,
 * EID_ENETWORK (unreachable, or a 5xx), EID_EPERM (401/403: our
 * credential), EID_EMALFORMED (another status or an answer outside the
 * contract). */
int eid_biometric_match(const eid_biometric *b,
			const struct eid_biometric_image *portrait,
			const struct eid_biometric_image *selfie,
			struct eid_biometric_verdict *ret);
/* Safe on NULL and on a closed one. */
void eid_biometric_close(eid_biometric *b);

void eid_biometric_open_none(eid_biometric *ret);

struct eid_biometric_http_options {
	const char *url;
	const char *bearer_token; /* NULL: none */
	unsigned threshold;       /* hundredths, 0 to 100 */
	long timeout_ms;
	bool allow_insecure_http; /* a service on loopback (tests) */
};
int eid_biometric_open_http(const struct eid_biometric_http_options *o,
			    eid_biometric *ret);

/* What the [biometric] section asks for.  EID_ECONFIG for an unknown
 * service, an http service without a URL, or a token file that cannot be
 * read or that others may read. */
int eid_biometric_open_config(const struct eid_config *cfg,
			      eid_biometric *ret);

/* The service's answer (n bytes at p, outside data) judged against
 * threshold (hundredths).  EID_EMALFORMED unless it is a JSON object with
 * a boolean "match" and a number "score" in [0, 1]. */
int eid_biometric_parse_answer(const uint8_t *p, size_t n, unsigned threshold,
			       struct eid_biometric_verdict *ret);

#endif
