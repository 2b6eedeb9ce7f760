#include "tools/chipupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "idp/jsonrec.h"

#define URL_MAX (EID_HTTPC_URL_MAX + 32)
#define RESPONSE_MAX (256u * 1024)

int eid_chipupload_open(const char *base, const char *bearer,
			const char *cookie, struct eid_httpc *ret)
{
	struct eid_httpc_options o = {
		.url = base, .bearer_token = bearer, .cookie = cookie,
		.timeout_ms = 30000, .max_response = RESPONSE_MAX,
		.allow_insecure_http = true,
	};

	return eid_httpc_init(ret, &o);
}

/* POST json to base + path; the answer parsed in ret (200 only). */
static int post(const struct eid_httpc *h, const char *path, const char *json,
		json_t **ret, char why[EID_CHIPUPLOAD_ERR_MAX])
{
	char url[URL_MAX];
	eid_buf body;
	long status = 0;
	json_t *o = NULL;
	const char *desc;
	int r;

	why[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", h->url, path);
	eid_buf_init(&body, RESPONSE_MAX);
	r = eid_httpc_request(h, url, "application/json", json, strlen(json),
			      &body, &status);
	if (r != EID_OK)
		goto out;
	o = json_loadb((const char *)body.data, body.len, 0, NULL);
	if (!json_is_object(o)) {
		snprintf(why, EID_CHIPUPLOAD_ERR_MAX, "HTTP %ld, not JSON",
			 status);
		r = EID_EMALFORMED;
		goto out;
	}
	if (status != 200) {
		desc = json_string_value(json_object_get(o,
							 "error_description"));
		snprintf(why, EID_CHIPUPLOAD_ERR_MAX, "HTTP %ld %s: %s", status,
			 json_string_value(json_object_get(o, "error")) ?: "?",
			 desc ? desc : "");
		r = status == 401 ? EID_EAUTH : status == 429 ? EID_ELIMIT
							     : EID_EINVAL;
		goto out;
	}
	*ret = o;
	o = NULL;
out:
	json_decref(o);
	eid_buf_free(&body);
	return r;
}

int eid_chipupload_parse_challenge(const json_t *o,
				   uint8_t ret_challenge[EID_AA_CHALLENGE_LEN],
				   char ret_id[EID_CHIPVERIFY_ID_LEN + 1])
{
	const char *id = json_string_value(json_object_get(o, "challenge_id"));
	const char *ch = json_string_value(json_object_get(o, "challenge"));
	eid_buf raw;
	int r = EID_EMALFORMED;

	eid_buf_init(&raw, EID_AA_CHALLENGE_LEN);
	if (id != NULL && ch != NULL && strlen(id) == EID_CHIPVERIFY_ID_LEN &&
	    eid_b64url_decode(ch, strlen(ch), &raw) == EID_OK &&
	    raw.len == EID_AA_CHALLENGE_LEN) {
		memcpy(ret_challenge, raw.data, EID_AA_CHALLENGE_LEN);
		memcpy(ret_id, id, EID_CHIPVERIFY_ID_LEN + 1);
		r = EID_OK;
	}
	eid_buf_free(&raw);
	return r;
}

int eid_chipupload_challenge(const struct eid_httpc *h,
			     uint8_t ret_challenge[EID_AA_CHALLENGE_LEN],
			     char ret_id[EID_CHIPVERIFY_ID_LEN + 1],
			     char why[EID_CHIPUPLOAD_ERR_MAX])
{
	json_t *o = NULL;
	int r;

	if ((r = post(h, "/chip/challenge", "{}", &o, why)) == EID_OK &&
	    (r = eid_chipupload_parse_challenge(o, ret_challenge, ret_id)) !=
		    EID_OK)
		snprintf(why, EID_CHIPUPLOAD_ERR_MAX,
			 "the challenge answer is malformed");
	json_decref(o);
	return r;
}

static int add_file(json_t *o, const char *name,
		    const struct eid_chip_file *f)
{
	return f->len == 0 ? EID_OK
			   : eid_jrec_set_b64url(o, name, f->data, f->len);
}

int eid_chipupload_body(const struct eid_chip_upload *up, json_t **ret)
{
	json_t *o = json_pack("{s:s}", "challenge_id", up->challenge_id);
	int r = o != NULL ? EID_OK : EID_ENOMEM;

	if (r == EID_OK && ((r = add_file(o, "sod", &up->sod)) ||
			    (r = add_file(o, "dg1", &up->dg1)) ||
			    (r = add_file(o, "dg2", &up->dg2)) ||
			    (r = add_file(o, "dg13", &up->dg13)) ||
			    (r = add_file(o, "dg14", &up->dg14)) ||
			    (r = add_file(o, "dg15", &up->dg15)) ||
			    (r = add_file(o, "aa_signature",
					  &up->aa_signature)))) {
		json_decref(o);
		return r;
	}
	if (r == EID_OK)
		*ret = o;
	return r;
}

int eid_chipupload_verify(const struct eid_httpc *h,
			  const struct eid_chip_upload *up,
			  json_t **ret_verdict,
			  char why[EID_CHIPUPLOAD_ERR_MAX])
{
	json_t *o = NULL;
	char *text = NULL;
	int r;

	why[0] = '\0';
	if ((r = eid_chipupload_body(up, &o)) == EID_OK &&
	    (text = json_dumps(o, JSON_COMPACT)) == NULL)
		r = EID_ENOMEM;
	if (r == EID_OK)
		r = post(h, "/chip/verify", text, ret_verdict, why);
	free(text);
	json_decref(o);
	return r;
}
