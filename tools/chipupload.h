/* `eidctl chip read --upload URL`: the client side of POST /chip/challenge
 * and POST /chip/verify (api/chip.h), over libcurl (idp/httpc.h); its
 * body and challenge helpers serve `eid-app read-chip` too. */
#ifndef EID_TOOLS_CHIPUPLOAD_H
#define EID_TOOLS_CHIPUPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chip/aa.h"
#include "idp/chipverify.h"
#include "idp/httpc.h"

#define EID_CHIPUPLOAD_ERR_MAX 256

/* A client for the server at base (http:// allowed: tests and a console on
 * the same host), with a bearer token or a cookie ("NAME=VALUE"). */
int eid_chipupload_open(const char *base, const char *bearer,
			const char *cookie, struct eid_httpc *ret);

/* POST base/chip/challenge.  EID_EAUTH / EID_ELIMIT / EID_EINVAL for 401,
 * 429 and other refusals (the server's error_description in why),
 * EID_EMALFORMED for an answer that is not what the endpoint returns. */
int eid_chipupload_challenge(const struct eid_httpc *h,
			     uint8_t ret_challenge[EID_AA_CHALLENGE_LEN],
			     char ret_id[EID_CHIPVERIFY_ID_LEN + 1],
			     char why[EID_CHIPUPLOAD_ERR_MAX]);

/* The challenge_id and challenge members of a challenge answer (also the
 * app's POST /api/v1/me/level2/challenge).  EID_EMALFORMED. */
int eid_chipupload_parse_challenge(const json_t *o,
				   uint8_t ret_challenge[EID_AA_CHALLENGE_LEN],
				   char ret_id[EID_CHIPVERIFY_ID_LEN + 1]);

/* The JSON body of an upload: challenge_id and the files in base64url
 * (what POST /chip/verify and POST /api/v1/me/level2 take). */
int eid_chipupload_body(const struct eid_chip_upload *up, json_t **ret);

/* POST base/chip/verify with up (base64url members); the server's verdict
 * (a JSON object) in ret_verdict.  Errors as for the challenge. */
int eid_chipupload_verify(const struct eid_httpc *h,
			  const struct eid_chip_upload *up,
			  json_t **ret_verdict,
			  char why[EID_CHIPUPLOAD_ERR_MAX]);

#endif
