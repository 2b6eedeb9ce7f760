/* Self-service level 2 from the citizen's app (journey 3; idp/level2_self.h):
 *   POST /api/v1/me/level2/challenge  the Active Authentication challenge,
 *                                     bound to the device ("device:<id>")
 *   POST /api/v1/me/level2            the card read and a selfie
 * Both take the EID-Device authorization of the account's bound device
 * (api/device.h) and JSON (a cross-site form cannot send it); uploads are
 * limited per account.  The card read goes through the officer's checks
 * (chipverify, then activation's DG13 rules), then the face match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app_level2.h"
#include "api/chip.h"
#include "api/oauth.h"
#include "api/device.h"
#include "api/selfservice.h"
#include "chip/lds.h"
#include "crypto/error.h"
#include "idp/activation.h"
#include "idp/chipverify.h"
#include "idp/csca.h"
#include "idp/level2_self.h"
#include "idp/registration.h"

#define BINDING_SIZE (EID_CHIPVERIFY_BINDING_MAX + 1)
#define WHY_MAX 160

static int refuse(struct eid_http_response *res, unsigned status,
		  const char *error, const char *what)
{
	int r = eid_ss_error(res, status, error, what, 0);

	return r == EID_OK ? EID_API_REPLIED : r;
}

/* The bound device of an active level-1 account, and a JSON body. */
static int admit(struct eid_app *app, struct eid_http_request *req,
		 struct eid_http_response *res, struct eid_device *d,
		 char binding[BINDING_SIZE])
{
	const char *ct = eid_http_header(req, "Content-Type");
	eid_txn *t = NULL;
	eid_buf why;
	bool done;
	int r;

	if ((r = eid_app_device_auth(app, req, res, d, &done)) != EID_OK || done)
		return r != EID_OK ? r : EID_API_REPLIED;
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
		return refuse(res, 415, "invalid_request",
			      "the body must be application/json");
	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	eid_buf_init(&why, WHY_MAX);
	r = eid_level2_self_admit(t, d->personal_id, &why);
	eid_txn_abort(t);
	if (r == EID_ESTATE)
		r = refuse(res, 409, "invalid_state", eid_buf_cstr(&why));
	eid_buf_free(&why);
	if (r == EID_OK)
		snprintf(binding, BINDING_SIZE, "device:%s", d->id);
	return r;
}

int eid_api_app_level2_challenge(struct eid_http_request *req,
				 struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_device d = { 0 };
	char binding[BINDING_SIZE];
	int r = admit(app, req, res, &d, binding);

	if (r == EID_OK)
		r = eid_api_chip_reply_challenge(res, app, binding);
	eid_device_clear(&d);
	return r == EID_API_REPLIED ? EID_OK : r;
}

/* 429 past EID_L2S_RATE_MAX uploads per account and window. */
static int rate_limit(struct eid_app *app, struct eid_http_response *res,
		      const char *personal_id)
{
	uint64_t retry = 0;
	int r = eid_attempt_limit(app->store, "level2self", personal_id,
				  EID_L2S_RATE_MAX, EID_L2S_RATE_WINDOW,
				  (int64_t)eid_store_now(app->store), &retry);

	if (r != EID_ELIMIT)
		return r;
	r = eid_ss_error(res, 429, "slow_down",
			 "too many level-2 attempts for this account", retry);
	return r == EID_OK ? EID_API_REPLIED : r;
}

/* chipverify's refusals that reach no verdict. */
static int run_error(struct eid_http_response *res, int r)
{
	if (r == EID_EREPLAY || r == EID_EEXPIRED || r == EID_EPERM)
		return refuse(res, 400, "invalid_challenge",
			      "the challenge is unknown, already used, "
			      "expired or not this device's");
	if (r == EID_EINVAL)
		return refuse(res, 400, "invalid_request",
			      "a file is missing or too large");
	return r;
}

/* Verify the card read and judge it against the registry into in. */
static int check_chip(struct eid_app *app, struct eid_http_response *res,
		      const struct eid_chip_upload *up, const char *binding,
		      struct eid_level2_self *in, struct eid_activation *judged)
{
	struct eid_chip_verdict *v = malloc(sizeof(*v));
	struct eid_activation_chip *chip = malloc(sizeof(*chip));
	const eid_csca_store *csca = NULL;
	eid_csca_snap *snap = NULL;
	int r = EID_ENOMEM;

	if (v == NULL || chip == NULL)
		goto out;
	if ((r = eid_csca_cache_acquire(app->csca, &csca, &snap)) != EID_OK)
		goto out;
	r = eid_chipverify_run(app->store, csca, up, binding,
			       eid_store_now(app->store), v);
	eid_csca_cache_release(app->csca, snap);
	if (r != EID_OK) {
		r = run_error(res, r);
		goto out;
	}
	eid_activation_chip_from_verdict(v, chip);
	r = eid_activation_judge_chip(&app->registry, in->personal_id, chip,
				      judged);
	if (r == EID_ENETWORK) {
		r = eid_ss_registry_unavailable(res);
		goto out;
	}
	in->judged = judged;
out:
	free(chip);
	free(v);
	return r;
}

/* The face match when the chip passed: DG2's portrait against the
 * selfie. */
static void face_match(struct eid_app *app, const struct eid_chip_upload *up,
		       const eid_buf *selfie, struct eid_level2_self *in)
{
	struct eid_lds_dg2 dg2;
	struct eid_biometric_image portrait, face;

	if (in->judged->state != EID_ACTIVATION_CHIP_OK || up->dg2.len == 0 ||
	    eid_lds_dg2_parse(up->dg2.data, up->dg2.len, &dg2) != EID_OK)
		return;
	in->has_portrait = true;
	portrait = (struct eid_biometric_image){
		dg2.image, dg2.image_len,
		dg2.type == EID_IMAGE_JP2 ? "image/jp2" : "image/jpeg"
	};
	face = (struct eid_biometric_image){ selfie->data, selfie->len,
					     "image/jpeg" };
	in->biometric_run = true;
	in->biometric_rc = eid_biometric_match(&app->biometric, &portrait,
					       &face, &in->bio);
}

static int record(struct eid_app *app, struct eid_http_request *req,
		  struct eid_http_response *res, struct eid_level2_self *in)
{
	enum eid_l2s_check c = EID_L2S_ACCOUNT;
	eid_txn *t = NULL;
	json_t *o = NULL;
	int r;

	in->remote = eid_http_remote(req);
	if ((r = eid_store_begin(app->store, true, &t)) != EID_OK)
		return r;
	r = eid_level2_self_record(t, in, (int64_t)eid_store_now(app->store),
				   &c);
	if (r == EID_OK) {
		r = eid_txn_commit(t);
		t = NULL;
	}
	eid_txn_abort(t);
	if (r != EID_OK)
		return r;
	if (c == EID_L2S_OK)
		eid_app_notify_citizen(
			app, in->personal_id,
			"eID: tai khoan cua ban da len muc 2 bang the can cuoc "
			"gan chip. / eID: your account is now level 2 with "
			"your chip ID card. Not you? Lock your account.");
	o = eid_level2_self_verdicts(in, c);
	if (o != NULL &&
	    json_object_set_new(o, "level", json_integer(c == EID_L2S_OK ? 2 : 1)))
		goto nomem;
	if (o == NULL)
		return EID_ENOMEM;
	if (c != EID_L2S_OK &&
	    (json_object_set_new(o, "error", json_string("access_denied")) ||
	     json_object_set_new(o, "error_description",
				 json_string(eid_level2_self_check_text(c)))))
		goto nomem;
	r = eid_http_reply_json(res, c == EID_L2S_OK ? 200
				: c == EID_L2S_BIOMETRIC_ERROR ? 503 : 403,
				o);
	json_decref(o);
	return r;
nomem:
	json_decref(o);
	return EID_ENOMEM;
}

/* The card's files (the body of POST /chip/verify) and the selfie. */
static int parse_upload(struct eid_http_request *req,
			struct eid_http_response *res, struct eid_chip_body *body,
			eid_buf *selfie)
{
	const char *member = "";
	const void *p;
	size_t n = 0;
	char desc[96];
	int r;

	p = eid_http_body(req, &n);
	p = p != NULL ? p : "";
	r = eid_chip_body_parse(p, n, body, &member);
	if (r == EID_OK && (r = eid_level2_self_selfie(p, n, selfie)) != EID_OK)
		member = "selfie";
	if (r == EID_OK || r == EID_ENOMEM)
		return r;
	snprintf(desc, sizeof(desc), "%s: %s", member[0] ? member : "body",
		 r == EID_EINVAL    ? "missing"
		 : r == EID_ETOOBIG ? "too large"
				    : "malformed");
	return refuse(res, r == EID_ETOOBIG ? 413 : 400, "invalid_request", desc);
}

int eid_api_app_level2(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	struct eid_chip_body *body = malloc(sizeof(*body));
	struct eid_activation *judged = malloc(sizeof(*judged));
	struct eid_device d = { 0 };
	struct eid_level2_self in = { 0 };
	char binding[BINDING_SIZE];
	eid_buf selfie;
	int r = EID_ENOMEM;

	eid_buf_init(&selfie, EID_BIOMETRIC_IMAGE_MAX);
	if (body == NULL || judged == NULL)
		goto out;
	eid_chip_body_init(body);
	if ((r = admit(app, req, res, &d, binding)) != EID_OK ||
	    (r = rate_limit(app, res, d.personal_id)) != EID_OK)
		goto clear;
	if ((r = parse_upload(req, res, body, &selfie)) != EID_OK)
		goto clear;
	in.personal_id = d.personal_id;
	in.device_id = d.id;
	if ((r = check_chip(app, res, &body->up, binding, &in, judged)) ==
	    EID_OK) {
		face_match(app, &body->up, &selfie, &in);
		r = record(app, req, res, &in);
	}
clear:
	eid_chip_body_clear(body);
out:
	eid_device_clear(&d);
	eid_buf_free(&selfie);
	free(body);
	free(judged);
	return r == EID_API_REPLIED ? EID_OK : r;
}
