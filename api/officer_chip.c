/* The card read of an activation case, sent by the reader at the
 * officer's desk (`eidctl chip read --upload
 * <server>/officer/activation/<case> --cookie eid_officer=...`):
 *   POST /officer/activation/<case>/chip/challenge
 *   POST /officer/activation/<case>/chip/verify
 * and, for a minor's case, the guardian's own card (`--upload
 * <server>/officer/activation/<case>/guardian`):
 *   POST /officer/activation/<case>/guardian/chip/challenge
 *   POST /officer/activation/<case>/guardian/chip/verify
 * The same JSON bodies and answers as POST /chip/challenge and /chip/verify
 * (api/chip.h), but the challenge is bound to the officer
 * ("officer:<id>") and the verdict is recorded in the case, which then
 * shows it field by field.  JSON only (a cross-site form cannot send it),
 * and the officer cookie is SameSite=Strict. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/chip.h"
#include "api/console.h"
#include "api/selfservice.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/activation.h"
#include "idp/chipverify.h"
#include "idp/csca.h"

#define REPLIED 1

static int refuse(struct eid_http_response *res, unsigned status,
		  const char *error, const char *what)
{
	int r = eid_ss_error(res, status, error, what, 0);

	return r == EID_OK ? REPLIED : r;
}

/* Is the case waiting for this read: the citizen's card, or (guardian)
 * the guardian's card of a minor's case? */
static bool waiting(const struct eid_activation *c, bool guardian)
{
	if (!guardian)
		return c->state == EID_ACTIVATION_STARTED;
	return c->guardian == EID_AGUARDIAN_WAITING &&
	       (c->state == EID_ACTIVATION_STARTED ||
		c->state == EID_ACTIVATION_CHIP_OK ||
		c->state == EID_ACTIVATION_BIRTH_OK);
}

/* The officer, the case (waiting for its read) and a JSON body. */
static int admit(struct eid_app *app, struct eid_http_request *req,
		 struct eid_http_response *res, const char *action,
		 bool guardian, struct eid_officer_session *os,
		 char case_id[EID_ACTIVATION_ID_LEN + 1])
{
	const char *ct = eid_http_header(req, "Content-Type");
	struct eid_activation c;
	eid_txn *t = NULL;
	int r;

	if (eid_ss_path_id(eid_http_path(req), EID_PATH_OFFICER_ACTIVATION,
			   action, case_id, EID_ACTIVATION_ID_LEN + 1) != EID_OK)
		return refuse(res, 404, "not_found", "no such activation case");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
		return refuse(res, 415, "invalid_request",
			      "the body must be application/json");
	r = eid_officer_session_lookup(app->store,
				       eid_http_cookie(req, EID_OFFICER_COOKIE),
				       eid_store_now(app->store), os);
	if (r == EID_ENOTFOUND)
		return refuse(res, 401, "login_required",
			      "an officer session (cookie eid_officer) is required");
	if (r != EID_OK || (r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_activation_get(t, case_id, &c);
	eid_txn_abort(t);
	if (r == EID_ENOTFOUND || r == EID_EMALFORMED)
		return refuse(res, 404, "not_found", "no such activation case");
	if (r != EID_OK)
		return r;
	if (!eid_activation_may_access(&c, os->officer_id, os->unit, os->role)) {
		r = eid_console_case_denied(app, req, os, c.id, action);
		return r == EID_OK ? refuse(res, 403, "access_denied",
					    "the case belongs to another "
					    "officer or unit") : r;
	}
	if (!waiting(&c, guardian))
		return refuse(res, 409, "invalid_state",
			      guardian ? "the case is not waiting for a "
					 "guardian's card read" :
					 "the case is not waiting for a card read");
	return EID_OK;
}

static int challenge(struct eid_app *app, struct eid_http_request *req,
		     struct eid_http_response *res, bool guardian)
{
	struct eid_officer_session os;
	char case_id[EID_ACTIVATION_ID_LEN + 1], binding[EID_ACTOR_MAX + 1];
	int r;

	if ((r = admit(app, req, res,
		       guardian ? "guardian/chip/challenge" : "chip/challenge",
		       guardian, &os, case_id)) != EID_OK)
		return r;
	r = eid_api_chip_reply_challenge(
		res, app, eid_console_actor(&os, binding, sizeof(binding)));
	eid_wipe(&os, sizeof(os));
	return r;
}

int eid_console_case_citizen(struct eid_app *app, const char *case_id,
			     bool *ret_minor, struct eid_citizen *ret)
{
	struct eid_activation c;
	eid_txn *t = NULL;
	int r;

	if ((r = eid_store_begin(app->store, false, &t)) != EID_OK)
		return r;
	r = eid_activation_get(t, case_id, &c);
	eid_txn_abort(t);
	if (r != EID_OK)
		return r;
	if (ret_minor != NULL && (*ret_minor = c.guardian_id[0] != '\0'))
		return EID_OK;
	return eid_registry_lookup(&app->registry, c.personal_id, ret);
}

static int record(struct eid_app *app, const struct eid_officer_session *os,
		  const char *case_id, bool guardian,
		  const struct eid_chip_verdict *v, struct eid_activation *ret)
{
	struct eid_activation_chip *chip = malloc(sizeof(*chip));
	struct eid_citizen cz;
	eid_txn *t = NULL;
	int r = EID_ENOMEM;

	if (chip == NULL)
		return r;
	eid_activation_chip_from_verdict(v, chip);
	r = guardian ? EID_OK : eid_console_case_citizen(app, case_id, NULL, &cz);
	if (r == EID_OK)
		r = eid_store_begin(app->store, true, &t);
	if (r == EID_OK && guardian)
		r = eid_activation_record_guardian_chip(
			t, case_id, os->officer_id, os->unit, os->role, chip,
			(int64_t)eid_store_now(app->store), ret);
	else if (r == EID_OK)
		r = eid_activation_record_chip(t, case_id, &cz, os->officer_id,
					       os->unit, os->role, chip,
					       (int64_t)eid_store_now(app->store),
					       ret);
	if (r == EID_OK) {
		r = eid_txn_commit(t);
		t = NULL;
	}
	eid_txn_abort(t);
	free(chip);
	return r;
}

static int run(struct eid_app *app, struct eid_http_response *res,
	       const struct eid_officer_session *os, const char *case_id,
	       bool guardian, const struct eid_chip_upload *up,
	       struct eid_chip_verdict *v)
{
	char binding[EID_ACTOR_MAX + 1];
	const eid_csca_store *csca = NULL;
	eid_csca_snap *snap = NULL;
	struct eid_activation c;
	json_t *j = NULL, *cj = NULL;
	int r;

	if ((r = eid_csca_cache_acquire(app->csca, &csca, &snap)) != EID_OK)
		return r;
	r = eid_chipverify_run(app->store, csca, up,
			       eid_console_actor(os, binding, sizeof(binding)),
			       eid_store_now(app->store), v);
	eid_csca_cache_release(app->csca, snap);
	if (r == EID_EREPLAY || r == EID_EEXPIRED || r == EID_EPERM)
		return refuse(res, 400, "invalid_challenge",
			      "the challenge is unknown, used, expired or "
			      "not this officer's");
	if (r == EID_EINVAL)
		return refuse(res, 400, "invalid_request",
			      "a file is missing or too large");
	if (r != EID_OK || (r = record(app, os, case_id, guardian, v, &c)) != EID_OK ||
	    (r = eid_chipverify_verdict_to_json(v, &j)) != EID_OK ||
	    (r = eid_activation_to_json(&c, &cj)) != EID_OK)
		goto out;
	json_object_set_new(j, "case", cj);
	cj = NULL;
	r = eid_http_reply_json(res, 200, j);
out:
	json_decref(cj);
	json_decref(j);
	return r;
}

static int verify(struct eid_app *app, struct eid_http_request *req,
		  struct eid_http_response *res, bool guardian)
{
	struct eid_officer_session os;
	char case_id[EID_ACTIVATION_ID_LEN + 1];
	struct eid_chip_body *body = malloc(sizeof(*body));
	struct eid_chip_verdict *v = malloc(sizeof(*v));
	const char *member = "";
	const void *p;
	size_t n = 0;
	int r = EID_ENOMEM;

	if (body == NULL || v == NULL)
		goto out;
	eid_chip_body_init(body);
	if ((r = admit(app, req, res,
		       guardian ? "guardian/chip/verify" : "chip/verify",
		       guardian, &os, case_id)) != EID_OK)
		goto clear;
	p = eid_http_body(req, &n);
	r = eid_chip_body_parse(p != NULL ? p : "", n, body, &member);
	if (r == EID_OK)
		r = run(app, res, &os, case_id, guardian, &body->up, v);
	else if (r != EID_ENOMEM)
		r = refuse(res, r == EID_ETOOBIG ? 413 : 400, "invalid_request",
			   "the body must be a JSON object of base64url files "
			   "and challenge_id");
	eid_wipe(&os, sizeof(os));
clear:
	eid_chip_body_clear(body);
out:
	free(body);
	free(v);
	return r;
}

int eid_api_officer_chip(struct eid_http_request *req,
			 struct eid_http_response *res, void *arg)
{
	const char *path = eid_http_path(req);
	size_t n = strlen(path);
	bool guardian = strstr(path, "/guardian/chip/") != NULL;
	int r;

	if (n > 10 && strcmp(path + n - 10, "/challenge") == 0)
		r = challenge(arg, req, res, guardian);
	else
		r = verify(arg, req, res, guardian);
	return r == REPLIED ? EID_OK : r;
}
