/* eid-app: the command-line citizen app (a reference client of
 * docs/app-api.md).
 *
 *   eid-app --server URL --state FILE [--pin-stdin] COMMAND ...
 *     register --personal-id N --name NAME --birthdate YYYY-MM-DD
 *              --phone P [--email E] [--portrait FILE]
 *     register-confirm --id ID --code C --password-stdin
 *     bind-device --personal-id N --password-stdin [--code C]
 *     approve QR_URL_OR_HANDLE [--deny]
 *     pending
 *     approve-ciba ID [--deny]
 *     read-chip (--mrz-info DOCNO+YYMMDD+YYMMDD | --can CAN)
 *               [--reader N|NAME] --selfie FILE
 *     status
 *
 * Secrets come from standard input, one line each, in this order: the PIN
 * (with --pin-stdin; otherwise asked on the terminal), the password (with
 * --password-stdin), then the SMS code when --code is not given. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "tools/chipread.h"
#include "tools/chipupload.h"
#include "tools/eid_app.h"

#define LINE_MAX_ 1024
#define BODY_MAX (1024u * 1024)
#define PORTRAIT_MAX (200u * 1024)

struct app {
	const char *server, *state_path;
	bool pin_stdin, password_stdin, deny;
	const char *personal_id, *code, *name, *birthdate, *phone, *email,
		*portrait, *id, *mrz_info, *reader, *selfie;
	char *can;
	json_t *state;  /* the state file, or NULL */
	eid_key *key;   /* the device key, once unlocked */
	char pin[LINE_MAX_];
};

struct reply {
	long status;
	json_t *body; /* NULL when not JSON */
};

/* ---- input ---- */

static int read_line(const char *what, char *out, size_t cap)
{
	size_t n;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "%s: ", what);
	if (fgets(out, (int)cap, stdin) == NULL) {
		fprintf(stderr, "eid-app: no %s on standard input\n", what);
		return EID_EINVAL;
	}
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return n > 0 ? EID_OK : EID_EINVAL;
}

static int get_pin(struct app *a)
{
	char *p;

	if (a->pin[0] != '\0')
		return EID_OK;
	if (a->pin_stdin)
		return read_line("PIN", a->pin, sizeof(a->pin));
	if ((p = getpass("PIN: ")) == NULL || strlen(p) >= sizeof(a->pin))
		return EID_EINVAL;
	memcpy(a->pin, p, strlen(p) + 1);
	eid_wipe(p, strlen(p));
	return a->pin[0] != '\0' ? EID_OK : EID_EINVAL;
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	eid_buf *b = arg;

	return eid_buf_put(b, p, size * n) == EID_OK ? size * n : 0;
}

/* method path [body] [authorization]: the reply's status and JSON. */
static int http(struct app *a, const char *method, const char *path,
		const json_t *body, const char *auth, struct reply *ret)
{
	struct curl_slist *h = NULL;
	char url[2048], *text = NULL, hdr[EID_JWS_MAX + 64];
	CURL *c = curl_easy_init();
	eid_buf b;
	int r = EID_EIO;

	ret->status = 0;
	ret->body = NULL;
	if (c == NULL)
		return EID_ENOMEM;
	eid_buf_init(&b, BODY_MAX);
	(void)snprintf(url, sizeof(url), "%s%s", a->server, path);
	h = curl_slist_append(h, "Accept: application/json");
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	}
	if (auth != NULL) {
		(void)snprintf(hdr, sizeof(hdr), "Authorization: EID-Device %s",
			       auth);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->status);
		ret->body = json_loadb((const char *)b.data, b.len, 0, NULL);
		r = EID_OK;
	} else {
		fprintf(stderr, "eid-app: cannot reach %s\n", url);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(text);
	eid_buf_free(&b);
	return r;
}

/* Say what the server refused and return EID_EPERM. */
static int refused(const char *what, const struct reply *rp)
{
	const char *e = json_string_value(json_object_get(rp->body, "error"));
	const char *d = json_string_value(
		json_object_get(rp->body, "error_description"));

	fprintf(stderr, "eid-app: %s: HTTP %ld %s%s%s\n", what, rp->status,
		e != NULL ? e : "", d != NULL ? ": " : "", d != NULL ? d : "");
	return EID_EPERM;
}

/* ---- device JWS ---- */

static int device_jws(struct app *a, const eid_key *key, const char *iss,
		      const char *path, char **ret)
{
	struct reply rp;
	uint8_t raw[16];
	char jti[32], aud[2048];
	json_t *c;
	int r;

	if ((r = http(a, "GET", "/api/v1/devices/nonce", NULL, NULL, &rp)))
		return r;
	if (rp.status != 200 ||
	    !json_is_string(json_object_get(rp.body, "nonce"))) {
		r = refused("nonce", &rp);
		goto out;
	}
	if ((r = eid_random_bytes(raw, sizeof(raw))) ||
	    (r = eid_b64url_encode_str(raw, sizeof(raw), jti, sizeof(jti))))
		goto out;
	(void)snprintf(aud, sizeof(aud), "%s%s", a->server, path);
	c = json_pack("{s:s, s:s, s:I, s:s, s:O}", "iss", iss, "aud", aud,
		      "iat", (json_int_t)time(NULL), "jti", jti, "nonce",
		      json_object_get(rp.body, "nonce"));
	r = c != NULL ? eid_jws_sign(key, "eid-device+jwt", c, ret) :
			EID_ENOMEM;
	json_decref(c);
out:
	json_decref(rp.body);
	return r;
}

/* A device-authenticated call. */
static int device_call(struct app *a, const char *method, const char *path,
		       const json_t *body, struct reply *ret)
{
	const char *dev = json_string_value(json_object_get(a->state,
							    "device_id"));
	char *jws = NULL;
	int r;

	if (dev == NULL || a->key == NULL) {
		fprintf(stderr, "eid-app: no device bound (bind-device first)\n");
		return EID_ESTATE;
	}
	if ((r = device_jws(a, a->key, dev, path, &jws)) == EID_OK)
		r = http(a, method, path, body, jws, ret);
	free(jws);
	return r;
}

/* ---- state ---- */

static int state_load(struct app *a)
{
	json_error_t e;
	const char *dev;
	int r;

	if (access(a->state_path, F_OK) != 0) {
		fprintf(stderr, "eid-app: %s: no state (bind-device first)\n",
			a->state_path);
		return EID_ENOTFOUND;
	}
	if ((a->state = json_load_file(a->state_path, 0, &e)) == NULL ||
	    (dev = json_string_value(json_object_get(a->state,
						     "device_id"))) == NULL) {
		fprintf(stderr, "eid-app: %s: not a state file\n", a->state_path);
		return EID_EMALFORMED;
	}
	if ((r = get_pin(a)) != EID_OK)
		return r;
	r = eid_app_key_unseal(json_object_get(a->state, "key"), a->pin, dev,
			       &a->key);
	if (r == EID_EVERIFY)
		fprintf(stderr, "eid-app: wrong PIN\n");
	return r;
}

static int state_save(struct app *a, const char *personal_id,
		      const char *device_id, const eid_key *key)
{
	json_t *sealed = NULL, *o;
	char *text;
	eid_buf b;
	int r;

	if ((r = eid_app_key_seal(key, a->pin, device_id, &sealed)) != EID_OK)
		return r;
	o = json_pack("{s:i, s:s, s:s, s:s, s:o}", "v", 1, "server", a->server,
		      "personal_id", personal_id, "device_id", device_id, "key",
		      sealed);
	text = o != NULL ? json_dumps(o, JSON_INDENT(1)) : NULL;
	json_decref(o);
	if (text == NULL)
		return EID_ENOMEM;
	eid_buf_init(&b, BODY_MAX);
	if ((r = eid_buf_put_str(&b, text)) == EID_OK)
		r = eid_buf_write_file(&b, a->state_path, 0600);
	eid_buf_free(&b);
	free(text);
	return r;
}

/* ---- commands ---- */

static int bind_confirm(struct app *a, const eid_key *key, const char *bid,
			const char *code)
{
	char path[256], *jws = NULL;
	struct reply rp = { 0 };
	json_t *body = json_pack("{s:s}", "code", code);
	const char *dev, *pid;
	int r;

	(void)snprintf(path, sizeof(path), "/api/v1/devices/%s/confirm", bid);
	if ((r = device_jws(a, key, bid, path, &jws)) ||
	    (r = http(a, "POST", path, body, jws, &rp)))
		goto out;
	dev = json_string_value(json_object_get(rp.body, "device_id"));
	pid = json_string_value(json_object_get(rp.body, "personal_id"));
	if (rp.status != 201 || dev == NULL || pid == NULL) {
		r = refused("bind-device", &rp);
		goto out;
	}
	if ((r = state_save(a, pid, dev, key)) == EID_OK)
		printf("device_id %s\nlevel %lld\n", dev,
		       json_integer_value(json_object_get(rp.body, "level")));
out:
	json_decref(body);
	json_decref(rp.body);
	free(jws);
	return r;
}

static int cmd_bind(struct app *a)
{
	char pw[LINE_MAX_], code[32];
	struct reply rp = { 0 };
	json_t *jwk = NULL, *body = NULL;
	eid_key *key = NULL;
	const char *bid;
	int r;

	if (a->personal_id == NULL || !a->password_stdin) {
		fprintf(stderr, "eid-app: bind-device needs --personal-id and "
				"--password-stdin\n");
		return EID_EINVAL;
	}
	if ((r = get_pin(a)) ||
	    (r = read_line("password", pw, sizeof(pw))) ||
	    (r = eid_key_generate(EID_ALG_ES256, &key)) ||
	    (r = eid_key_public_jwk(key, &jwk)))
		goto out;
	body = json_pack("{s:s, s:s, s:O}", "personal_id", a->personal_id,
			 "password", pw, "jwk", jwk);
	if ((r = http(a, "POST", "/api/v1/devices", body, NULL, &rp)))
		goto out;
	bid = json_string_value(json_object_get(rp.body, "binding_id"));
	if (rp.status != 202 || bid == NULL) {
		r = refused("bind-device", &rp);
		goto out;
	}
	printf("binding_id %s\ncode sent to the registered phone\n", bid);
	fflush(stdout);
	if (a->code == NULL &&
	    (r = read_line("SMS code", code, sizeof(code))) != EID_OK)
		goto out;
	r = bind_confirm(a, key, bid, a->code != NULL ? a->code : code);
out:
	eid_wipe(pw, sizeof(pw));
	eid_wipe(code, sizeof(code));
	if (body != NULL)
		json_object_del(body, "password");
	json_decref(body);
	json_decref(jwk);
	json_decref(rp.body);
	eid_key_free(key);
	return r;
}

/* The handle: the last path segment of a QR URL, or the argument. */
static const char *handle_of(const char *arg)
{
	const char *s = strrchr(arg, '/');

	return s != NULL ? s + 1 : arg;
}

static void show_request(const json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "client_name"));
	const char *scope = json_string_value(json_object_get(o, "scope"));
	json_t *claims = json_object_get(o, "claims");
	char *ct = claims != NULL ? json_dumps(claims, JSON_COMPACT) : NULL;

	printf("client %s\nscope %s\n", name != NULL ? name : "?",
	       scope != NULL ? scope : "");
	if (ct != NULL)
		printf("claims %s\n", ct);
	printf("level %lld\n",
	       json_integer_value(json_object_get(o, "acr_level")));
	if (json_is_string(json_object_get(o, "binding_message")))
		printf("binding_message %s\n",
		       json_string_value(json_object_get(o, "binding_message")));
	free(ct);
}

/* A string member, or "" (for printing). */
static const char *str_of(const json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));

	return v != NULL ? v : "";
}

/* Show what path asks (GET), then send the decision (POST). */
static int decide_at(struct app *a, const char *path, const char *what)
{
	struct reply rp = { 0 }, rp2 = { 0 };
	json_t *body = NULL;
	int r;

	if ((r = state_load(a)) ||
	    (r = device_call(a, "GET", path, NULL, &rp)))
		goto out;
	if (rp.status != 200) {
		r = refused(what, &rp);
		goto out;
	}
	show_request(rp.body);
	body = json_pack("{s:s}", "decision", a->deny ? "deny" : "approve");
	if ((r = device_call(a, "POST", path, body, &rp2)))
		goto out;
	if (rp2.status != 200) {
		r = refused(what, &rp2);
		goto out;
	}
	printf("%s\n", json_string_value(json_object_get(rp2.body, "status")));
out:
	json_decref(body);
	json_decref(rp.body);
	json_decref(rp2.body);
	return r;
}

static int cmd_approve(struct app *a, const char *arg)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "/api/v1/qr/%s", handle_of(arg));
	return decide_at(a, path, "approve");
}

static int cmd_approve_ciba(struct app *a, const char *id)
{
	char path[256];

	if (strlen(id) > 64) {
		fprintf(stderr, "eid-app: approve-ciba: not a request id\n");
		return EID_EINVAL;
	}
	(void)snprintf(path, sizeof(path), "/api/v1/ciba/%s", id);
	return decide_at(a, path, "approve-ciba");
}

/* The kinds of requests waiting for the citizen: each is listed by its
 * endpoint and decided with its command.  A new kind (e.g. signing
 * requests) is one more line. */
static const struct pending_kind {
	const char *kind, *path, *command;
} pending_kinds[] = {
	{ "ciba", "/api/v1/ciba", "approve-ciba" },
};

/* One line per request: kind, id, who asks, then what the request says. */
static void show_pending(const struct pending_kind *k, const json_t *o)
{
	printf("%s %s %s \"%s\" scope=\"%s\" level=%lld expires_in=%lld "
	       "binding_message=\"%s\"\n", k->kind, str_of(o, "id"),
	       k->command, str_of(o, "client_name"), str_of(o, "scope"),
	       json_integer_value(json_object_get(o, "acr_level")),
	       json_integer_value(json_object_get(o, "expires_in")),
	       str_of(o, "binding_message"));
}

static int cmd_pending(struct app *a)
{
	struct reply rp = { 0 };
	json_t *v;
	size_t i, n = 0;
	int r;

	if ((r = state_load(a)))
		return r;
	for (size_t k = 0;
	     r == EID_OK && k < sizeof(pending_kinds) / sizeof(pending_kinds[0]);
	     k++) {
		if ((r = device_call(a, "GET", pending_kinds[k].path, NULL,
				     &rp)))
			break;
		if (rp.status != 200)
			r = refused("pending", &rp);
		json_array_foreach(json_object_get(rp.body, "requests"), i, v) {
			show_pending(&pending_kinds[k], v);
			n++;
		}
		json_decref(rp.body);
		rp.body = NULL;
	}
	if (r == EID_OK && n == 0)
		printf("nothing pending\n");
	return r;
}

static int cmd_status(struct app *a)
{
	struct reply rp = { 0 };
	char *t;
	int r;

	if ((r = state_load(a)) ||
	    (r = device_call(a, "GET", "/api/v1/devices/current", NULL, &rp)))
		goto out;
	if (rp.status != 200) {
		r = refused("status", &rp);
		goto out;
	}
	if ((t = json_dumps(rp.body, JSON_INDENT(2))) != NULL)
		printf("%s\n", t);
	free(t);
out:
	json_decref(rp.body);
	return r;
}

static int add_portrait(json_t *o, const char *path)
{
	eid_buf f, b;
	int r;

	eid_buf_init(&f, PORTRAIT_MAX);
	eid_buf_init(&b, PORTRAIT_MAX * 2);
	if ((r = eid_buf_read_file(&f, path)) == EID_OK &&
	    (r = eid_b64url_encode(f.data, f.len, &b)) == EID_OK)
		r = json_object_set_new(o, "portrait",
					json_stringn((const char *)b.data,
						     b.len)) == 0 ? EID_OK :
								    EID_ENOMEM;
	eid_buf_free(&f);
	eid_buf_free(&b);
	return r;
}

static int cmd_register(struct app *a)
{
	struct reply rp = { 0 };
	json_t *o;
	int r;

	if (a->personal_id == NULL || a->name == NULL || a->birthdate == NULL ||
	    a->phone == NULL) {
		fprintf(stderr, "eid-app: register needs --personal-id, --name, "
				"--birthdate and --phone\n");
		return EID_EINVAL;
	}
	o = json_pack("{s:s, s:s, s:s, s:s}", "personal_id", a->personal_id,
		      "full_name", a->name, "birthdate", a->birthdate, "phone",
		      a->phone);
	if (o == NULL)
		return EID_ENOMEM;
	if (a->email != NULL)
		json_object_set_new(o, "email", json_string(a->email));
	if ((a->portrait == NULL || (r = add_portrait(o, a->portrait)) == 0) &&
	    (r = http(a, "POST", "/api/v1/registrations", o, NULL, &rp)) == 0) {
		if (rp.status != 202)
			r = refused("register", &rp);
		else
			printf("registration_id %s\n",
			       json_string_value(json_object_get(
				       rp.body, "registration_id")));
	}
	json_decref(o);
	json_decref(rp.body);
	return r;
}

static int cmd_register_confirm(struct app *a)
{
	char pw[LINE_MAX_], path[256];
	struct reply rp = { 0 };
	json_t *o = NULL;
	int r;

	if (a->id == NULL || a->code == NULL || !a->password_stdin) {
		fprintf(stderr, "eid-app: register-confirm needs --id, --code "
				"and --password-stdin\n");
		return EID_EINVAL;
	}
	if ((r = read_line("password", pw, sizeof(pw))) != EID_OK)
		return r;
	(void)snprintf(path, sizeof(path), "/api/v1/registrations/%s/confirm",
		       a->id);
	o = json_pack("{s:s, s:s}", "code", a->code, "password", pw);
	if ((r = http(a, "POST", path, o, NULL, &rp)) == EID_OK)
		r = rp.status / 100 == 2 ? (printf("registered\n"), EID_OK) :
					   refused("register-confirm", &rp);
	eid_wipe(pw, sizeof(pw));
	json_decref(o);
	json_decref(rp.body);
	return r;
}

/* ---- read-chip: self-service level 2 ---- */

/* The card, opened and read (PC/SC), with what went wrong printed. */
static int read_card(struct app *a, struct eid_chipread *cr)
{
	struct eid_chipread_err e = { 0 };
	int r;

	if ((r = eid_chipread_keys(cr, a->mrz_info, a->can, NULL, &e)) ||
	    (r = eid_chipread_open(cr, a->reader, &e))) {
		fprintf(stderr, "eid-app: read-chip: %s%s%s\n", e.msg,
			e.r != 0 ? ": " : "", e.r != 0 ? eid_strerror(e.r) : "");
		return EID_EINVAL;
	}
	if ((r = eid_chipread_read_files(cr, NULL, NULL)) != EID_OK)
		fprintf(stderr, "eid-app: read-chip: reading the card: %s\n",
			eid_strerror(r));
	return r;
}

/* The server's challenge, answered by the card. */
static int answer_challenge(struct app *a, struct eid_chipread *cr,
			    char id[EID_CHIPVERIFY_ID_LEN + 1])
{
	uint8_t ch[EID_AA_CHALLENGE_LEN];
	json_t *empty = json_object();
	struct reply rp = { 0 };
	int r;

	r = empty != NULL ? device_call(a, "POST", "/api/v1/me/level2/challenge",
					empty, &rp)
			  : EID_ENOMEM;
	if (r == EID_OK && rp.status != 200)
		r = refused("read-chip: challenge", &rp);
	else if (r == EID_OK &&
		 (r = eid_chipupload_parse_challenge(rp.body, ch, id)) != EID_OK)
		fprintf(stderr, "eid-app: read-chip: a malformed challenge\n");
	if (r == EID_OK) {
		(void)eid_chipread_chip_auth(cr);
		(void)eid_chipread_active_auth(cr, ch);
	}
	json_decref(empty);
	json_decref(rp.body);
	return r;
}

/* The upload: the card's files, its signature and the selfie. */
static int upload_body(const struct eid_chipread *cr, const char *id,
		       const char *selfie_path, json_t **ret)
{
	struct eid_chip_upload up;
	eid_buf f, b;
	int r;

	eid_chipread_upload(cr, id, &up);
	eid_buf_init(&f, PORTRAIT_MAX);
	eid_buf_init(&b, PORTRAIT_MAX * 2);
	if ((r = eid_buf_read_file(&f, selfie_path)) != EID_OK) {
		fprintf(stderr, "eid-app: --selfie %s: %s (a JPEG of at most "
				"%u KiB)\n", selfie_path, eid_strerror(r),
			PORTRAIT_MAX / 1024);
		r = EID_EINVAL;
	}
	if (r == EID_OK && (r = eid_b64url_encode(f.data, f.len, &b)) == EID_OK &&
	    (r = eid_chipupload_body(&up, ret)) == EID_OK &&
	    json_object_set_new(*ret, "selfie",
				json_stringn((const char *)b.data, b.len)) != 0)
		r = EID_ENOMEM;
	eid_buf_free(&f);
	eid_buf_free(&b);
	return r;
}

static int cmd_read_chip(struct app *a)
{
	struct eid_chipread cr;
	char id[EID_CHIPVERIFY_ID_LEN + 1];
	struct reply rp = { 0 };
	json_t *body = NULL;
	char *t;
	int r;

	if (a->selfie == NULL || (a->mrz_info == NULL) == (a->can == NULL)) {
		fprintf(stderr, "eid-app: read-chip needs --mrz-info or --can, "
				"and --selfie\n");
		return EID_EINVAL;
	}
	eid_chipread_init(&cr);
	if ((r = state_load(a)) || (r = read_card(a, &cr)) ||
	    (r = answer_challenge(a, &cr, id)) ||
	    (r = upload_body(&cr, id, a->selfie, &body)) ||
	    (r = device_call(a, "POST", "/api/v1/me/level2", body, &rp)))
		goto out;
	/* The verdicts, also of a refusal: which check failed. */
	if (rp.body != NULL && (t = json_dumps(rp.body, JSON_INDENT(2)))) {
		printf("%s\n", t);
		free(t);
	}
	if (rp.status != 200)
		r = refused("read-chip", &rp);
out:
	json_decref(body);
	json_decref(rp.body);
	eid_chipread_close(&cr);
	return r;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fputs("usage: eid-app --server URL --state FILE [--pin-stdin] COMMAND\n"
	      "  register --personal-id N --name NAME --birthdate YYYY-MM-DD "
	      "--phone P [--email E] [--portrait FILE]\n"
	      "  register-confirm --id ID --code C --password-stdin\n"
	      "  bind-device --personal-id N --password-stdin [--code C]\n"
	      "  approve QR_URL_OR_HANDLE [--deny]\n"
	      "  pending\n"
	      "  approve-ciba ID [--deny]\n"
	      "  read-chip (--mrz-info DOCNO+YYMMDD+YYMMDD | --can CAN) "
	      "[--reader N|NAME] --selfie FILE\n"
	      "  status\n",
	      f);
}

static int parse(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'f' },
		{ "pin-stdin", no_argument, NULL, 'P' },
		{ "password-stdin", no_argument, NULL, 'W' },
		{ "personal-id", required_argument, NULL, 'n' },
		{ "code", required_argument, NULL, 'c' },
		{ "deny", no_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'N' },
		{ "birthdate", required_argument, NULL, 'b' },
		{ "phone", required_argument, NULL, 'p' },
		{ "email", required_argument, NULL, 'e' },
		{ "portrait", required_argument, NULL, 'i' },
		{ "id", required_argument, NULL, 'I' },
		{ "mrz-info", required_argument, NULL, 'M' },
		{ "can", required_argument, NULL, 'C' },
		{ "reader", required_argument, NULL, 'R' },
		{ "selfie", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->server = optarg; break;
		case 'f': a->state_path = optarg; break;
		case 'P': a->pin_stdin = true; break;
		case 'W': a->password_stdin = true; break;
		case 'n': a->personal_id = optarg; break;
		case 'c': a->code = optarg; break;
		case 'd': a->deny = true; break;
		case 'N': a->name = optarg; break;
		case 'b': a->birthdate = optarg; break;
		case 'p': a->phone = optarg; break;
		case 'e': a->email = optarg; break;
		case 'i': a->portrait = optarg; break;
		case 'I': a->id = optarg; break;
		case 'M': a->mrz_info = optarg; break;
		case 'C': a->can = optarg; break;
		case 'R': a->reader = optarg; break;
		case 'S': a->selfie = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return EID_EINVAL;
		}
	}
	return a->server != NULL && a->state_path != NULL && optind < argc ?
		       EID_OK :
		       EID_EINVAL;
}

static int run(struct app *a, int argc, char **argv)
{
	const char *cmd = argv[optind];

	if (strcmp(cmd, "bind-device") == 0)
		return cmd_bind(a);
	if (strcmp(cmd, "approve") == 0 && optind + 1 < argc)
		return cmd_approve(a, argv[optind + 1]);
	if (strcmp(cmd, "approve-ciba") == 0 && optind + 1 < argc)
		return cmd_approve_ciba(a, argv[optind + 1]);
	if (strcmp(cmd, "pending") == 0)
		return cmd_pending(a);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(a);
	if (strcmp(cmd, "read-chip") == 0)
		return cmd_read_chip(a);
	if (strcmp(cmd, "register") == 0)
		return cmd_register(a);
	if (strcmp(cmd, "register-confirm") == 0)
		return cmd_register_confirm(a);
	usage(stderr);
	return EID_EINVAL;
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	int r;

	/* Options may follow the command (getopt permutes). */
	if (parse(&a, argc, argv) != EID_OK) {
		usage(stderr);
		return 2;
	}
	while (strlen(a.server) > 0 && a.server[strlen(a.server) - 1] == '/')
		((char *)a.server)[strlen(a.server) - 1] = '\0';
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = run(&a, argc, argv);
	curl_global_cleanup();
	eid_wipe(a.pin, sizeof(a.pin));
	eid_key_free(a.key);
	json_decref(a.state);
	if (r != EID_OK && r != EID_EPERM && r != EID_EINVAL)
		fprintf(stderr, "eid-app: %s\n", eid_strerror(r));
	return r == EID_OK ? 0 : 1;
}
