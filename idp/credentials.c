/* A citizen's second factor: the record, enrollment and removal (see
 * credentials.h); the checks of typed codes are in credentials_check.c. */
#include "idp/credentials.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/kdf.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/citizen.h"
#include "idp/credentials_priv.h"
#include "idp/jsonrec.h"
#include "idp/officers.h"
#include "idp/personal_id.h"

#define RECORD_MAX 4096
#define SEALED_B64_MAX 96
#define AAD_MAX 64

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int eid_cred_keys_derive(const uint8_t kek[32], struct eid_cred_keys *ret)
{
	struct eid_cred_keys k;
	int r;

	if ((r = eid_kek_derive(kek, "eid totp seal v1", k.seal,
				sizeof(k.seal))) == EID_OK &&
	    (r = eid_kek_derive(kek, "eid recovery v1", k.recovery,
				sizeof(k.recovery))) == EID_OK)
		*ret = k;
	eid_wipe(&k, sizeof(k));
	return r;
}

static bool valid_id(const char *personal_id)
{
	return personal_id != NULL &&
	       strlen(personal_id) == EID_PERSONAL_ID_LEN &&
	       strspn(personal_id, "0123456789") == EID_PERSONAL_ID_LEN;
}

/* ---- the record ---- */

static json_t *recovery_array(const struct eid_cred_rec *c)
{
	char hex[2 * EID_CRED_HASH_LEN + 1];
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < c->n_recovery; i++) {
		eid_hex_encode(c->recovery[i], EID_CRED_HASH_LEN, hex);
		if (json_array_append_new(a, json_string(hex)) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

int eid_cred_put(eid_txn *t, const char *personal_id,
		 const struct eid_cred_rec *c)
{
	char sealed[SEALED_B64_MAX] = "";
	json_t *j, *rec = recovery_array(c);
	char *text = NULL;
	int r = EID_OK;

	if (rec == NULL)
		return EID_ENOMEM;
	if (c->has_totp)
		r = eid_b64url_encode_str(c->sealed, sizeof(c->sealed), sealed,
					  sizeof(sealed));
	if (r != EID_OK) {
		json_decref(rec);
		return r;
	}
	j = json_pack("{s:i, s:s, s:b, s:I, s:I, s:I, s:I, s:o, s:I}",
		      "v", EID_CRED_FORMAT, "totp", sealed, "active",
		      c->active, "last_step", (json_int_t)c->last_step,
		      "since", (json_int_t)c->since, "failures",
		      (json_int_t)c->failures, "last_failure_at",
		      (json_int_t)c->last_failure_at, "recovery", rec,
		      "recovery_used", (json_int_t)c->recovery_used);
	if (j != NULL)
		text = eid_jrec_dump(j);
	json_decref(j);
	if (text == NULL)
		return EID_ENOMEM;
	r = eid_txn_put(t, EID_TABLE_CREDENTIALS, personal_id,
			strlen(personal_id), text, strlen(text));
	free(text);
	return r;
}

static int read_sealed(json_t *j, struct eid_cred_rec *c)
{
	char text[SEALED_B64_MAX];
	eid_buf b;
	int r;

	if ((r = eid_jrec_text(j, "totp", text, sizeof(text))) != EID_OK)
		return r;
	c->has_totp = text[0] != '\0';
	if (!c->has_totp)
		return EID_OK;
	eid_buf_init(&b, EID_CRED_SEALED_LEN);
	r = eid_b64url_decode(text, strlen(text), &b);
	if (r == EID_OK && b.len != EID_CRED_SEALED_LEN)
		r = EID_EMALFORMED;
	if (r == EID_OK)
		memcpy(c->sealed, b.data, EID_CRED_SEALED_LEN);
	eid_buf_free(&b);
	return r;
}

static int read_recovery(json_t *j, struct eid_cred_rec *c)
{
	json_t *a = json_object_get(j, "recovery"), *v;
	size_t i, n;

	if (!json_is_array(a) || json_array_size(a) > EID_RECOVERY_CODES)
		return EID_EMALFORMED;
	json_array_foreach(a, i, v) {
		const char *hex = json_string_value(v);

		if (hex == NULL ||
		    eid_hex_decode(hex, strlen(hex), c->recovery[i],
				   EID_CRED_HASH_LEN, &n) != EID_OK ||
		    n != EID_CRED_HASH_LEN)
			return EID_EMALFORMED;
	}
	c->n_recovery = (unsigned)json_array_size(a);
	return EID_OK;
}

static int read_fields(json_t *j, struct eid_cred_rec *c)
{
	int64_t v = 0, step = 0, failures = 0, used = 0;
	json_t *active = json_object_get(j, "active");

	if (eid_jrec_int(j, "v", &v) != EID_OK)
		return EID_EMALFORMED;
	if (v != EID_CRED_FORMAT)
		return EID_EUNSUPPORTED;
	if (!json_is_boolean(active) ||
	    eid_jrec_int(j, "last_step", &step) ||
	    eid_jrec_int(j, "since", &c->since) ||
	    eid_jrec_int(j, "failures", &failures) ||
	    eid_jrec_int(j, "last_failure_at", &c->last_failure_at) ||
	    eid_jrec_int(j, "recovery_used", &used) || step < 0 ||
	    failures < 0 || used < 0)
		return EID_EMALFORMED;
	c->active = json_is_true(active);
	c->last_step = (uint64_t)step;
	c->failures = (uint64_t)failures;
	c->recovery_used = (uint64_t)used;
	if (read_sealed(j, c) != EID_OK || read_recovery(j, c) != EID_OK)
		return EID_EMALFORMED;
	return EID_OK;
}

int eid_cred_get(eid_txn *t, const char *personal_id, struct eid_cred_rec *ret)
{
	struct eid_cred_rec c;
	json_t *j = NULL;
	eid_buf v;
	int r;

	if (t == NULL || ret == NULL)
		return EID_EINVAL;
	if (!valid_id(personal_id))
		return EID_ENOTFOUND;
	memset(&c, 0, sizeof(c));
	eid_buf_init(&v, RECORD_MAX);
	r = eid_txn_get(t, EID_TABLE_CREDENTIALS, personal_id,
			strlen(personal_id), &v);
	if (r == EID_OK) {
		j = json_loadb((const char *)v.data, v.len,
			       JSON_REJECT_DUPLICATES, NULL);
		r = json_is_object(j) ? read_fields(j, &c) : EID_EMALFORMED;
	}
	if (r == EID_OK)
		*ret = c;
	json_decref(j);
	eid_buf_free(&v);
	eid_wipe(&c, sizeof(c));
	return r;
}

int eid_cred_status(eid_txn *t, const char *personal_id,
		    struct eid_cred_status *ret)
{
	struct eid_cred_rec c;
	int r = eid_cred_get(t, personal_id, &c);

	if (r == EID_ENOTFOUND) {
		memset(ret, 0, sizeof(*ret));
		return EID_OK;
	}
	if (r != EID_OK)
		return r;
	ret->totp_pending = c.has_totp && !c.active;
	ret->totp_active = c.has_totp && c.active;
	ret->recovery_left = c.n_recovery;
	ret->recovery_used = c.recovery_used;
	ret->failures = c.failures;
	ret->last_failure_at = c.last_failure_at;
	eid_wipe(&c, sizeof(c));
	return EID_OK;
}

/* ---- the TOTP secret ---- */

static int seal_aad(const char *personal_id, char out[AAD_MAX])
{
	int n = snprintf(out, AAD_MAX, "eid totp v1|%s", personal_id);

	return n > 0 && n < AAD_MAX ? n : -1;
}

int eid_cred_unseal(const struct eid_cred_keys *k, const char *personal_id,
		    const struct eid_cred_rec *c,
		    uint8_t ret_secret[EID_TOTP_SECRET_LEN])
{
	char aad[AAD_MAX];
	int n = seal_aad(personal_id, aad);

	if (n < 0 || !c->has_totp)
		return EID_EINVAL;
	return eid_unseal(k->seal, aad, (size_t)n, c->sealed,
			  sizeof(c->sealed), ret_secret, EID_TOTP_SECRET_LEN);
}

static int seal_secret(const struct eid_cred_keys *k, const char *personal_id,
		       const uint8_t secret[EID_TOTP_SECRET_LEN],
		       struct eid_cred_rec *c)
{
	char aad[AAD_MAX];
	int n = seal_aad(personal_id, aad), r;
	eid_buf b;

	if (n < 0)
		return EID_EINVAL;
	eid_buf_init(&b, EID_CRED_SEALED_LEN);
	r = eid_seal(k->seal, aad, (size_t)n, secret, EID_TOTP_SECRET_LEN, &b);
	if (r == EID_OK)
		memcpy(c->sealed, b.data, EID_CRED_SEALED_LEN);
	eid_buf_free(&b);
	return r;
}

int eid_cred_totp_begin(eid_txn *t, const struct eid_cred_keys *k,
			const char *personal_id, int64_t now,
			uint8_t ret_secret[EID_TOTP_SECRET_LEN])
{
	uint8_t secret[EID_TOTP_SECRET_LEN];
	struct eid_cred_rec c;
	int r = eid_cred_get(t, personal_id, &c);

	if (r == EID_ENOTFOUND) {
		memset(&c, 0, sizeof(c));
		r = valid_id(personal_id) ? EID_OK : EID_EINVAL;
	}
	if (r != EID_OK)
		return r;
	if (c.has_totp && c.active) {
		r = EID_ESTATE;
	} else if (c.has_totp) {
		r = eid_cred_unseal(k, personal_id, &c, secret);
	} else if ((r = eid_totp_generate(secret)) == EID_OK &&
		   (r = seal_secret(k, personal_id, secret, &c)) == EID_OK) {
		c.has_totp = true;
		c.since = now;
		r = eid_cred_put(t, personal_id, &c);
	}
	if (r == EID_OK)
		memcpy(ret_secret, secret, EID_TOTP_SECRET_LEN);
	eid_wipe(secret, sizeof(secret));
	eid_wipe(&c, sizeof(c));
	return r;
}

/* ---- recovery codes ---- */

/* Upper case, no dashes or blanks: EID_RECOVERY_CHARS of base32. */
static int recovery_normalize(const char *code, char out[EID_RECOVERY_CHARS])
{
	size_t n = 0;

	for (const char *p = code; *p != '\0'; p++) {
		char ch = *p;

		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch == '\0' || strchr(b32, ch) == NULL ||
		    n == EID_RECOVERY_CHARS)
			return EID_EMALFORMED;
		out[n++] = ch;
	}
	return n == EID_RECOVERY_CHARS ? EID_OK : EID_EMALFORMED;
}

int eid_cred_recovery_hash(const struct eid_cred_keys *k,
			   const char *personal_id, const char *code,
			   uint8_t ret[EID_CRED_HASH_LEN])
{
	/* personal ID "|" code */
	char msg[EID_PERSONAL_ID_LEN + 1 + EID_RECOVERY_CHARS];
	unsigned int len = 0;
	int r;

	if (!valid_id(personal_id) || code == NULL)
		return EID_EINVAL;
	memcpy(msg, personal_id, EID_PERSONAL_ID_LEN);
	msg[EID_PERSONAL_ID_LEN] = '|';
	if ((r = recovery_normalize(code, msg + EID_PERSONAL_ID_LEN + 1)) ==
	    EID_OK)
		r = HMAC(EVP_sha256(), k->recovery, sizeof(k->recovery),
			 (const unsigned char *)msg, sizeof(msg), ret,
			 &len) != NULL && len == EID_CRED_HASH_LEN ?
			    EID_OK : EID_ECRYPTO;
	eid_wipe(msg, sizeof(msg));
	return r;
}

int eid_cred_recovery_new(const struct eid_cred_keys *k,
			  const char *personal_id, struct eid_cred_rec *c,
			  eid_recovery_code ret[EID_RECOVERY_CODES])
{
	eid_recovery_code codes[EID_RECOVERY_CODES];
	int r = EID_OK;

	for (unsigned i = 0; i < EID_RECOVERY_CODES && r == EID_OK; i++) {
		char *s = codes[i];

		for (unsigned j = 0, o = 0; j < EID_RECOVERY_CHARS && r == EID_OK; j++) {
			unsigned long v = 0;

			if (j == EID_RECOVERY_CHARS / 2)
				s[o++] = '-';
			r = eid_random_uniform(32, &v);
			s[o++] = b32[v];
		}
		s[EID_RECOVERY_CODE_LEN] = '\0';
		if (r == EID_OK)
			r = eid_cred_recovery_hash(k, personal_id, s,
						   c->recovery[i]);
	}
	if (r == EID_OK) {
		c->n_recovery = EID_RECOVERY_CODES;
		c->recovery_used = 0;
		memcpy(ret, codes, sizeof(codes));
	}
	eid_wipe(codes, sizeof(codes));
	return r;
}

int eid_cred_recovery_regenerate(eid_txn *t, const struct eid_cred_keys *k,
				 const char *personal_id, int64_t now,
				 const char *actor,
				 eid_recovery_code ret_codes[EID_RECOVERY_CODES])
{
	eid_recovery_code codes[EID_RECOVERY_CODES];
	struct eid_cred_rec c;
	int r = eid_cred_get(t, personal_id, &c);

	if (r == EID_ENOTFOUND)
		return EID_ESTATE;
	if (r != EID_OK)
		return r;
	if (!c.has_totp || !c.active)
		r = EID_ESTATE;
	else if ((r = eid_cred_recovery_new(k, personal_id, &c, codes)) ==
		 EID_OK &&
		 (r = eid_cred_put(t, personal_id, &c)) == EID_OK)
		r = eid_audit_record(t, "recovery.regenerate", actor,
				     personal_id, NULL, NULL, now);
	if (r == EID_OK)
		memcpy(ret_codes, codes, sizeof(codes));
	eid_wipe(codes, sizeof(codes));
	eid_wipe(&c, sizeof(c));
	return r;
}

int eid_cred_remove(eid_txn *t, const char *personal_id, const char *event,
		    const char *actor, json_t *details, int64_t now)
{
	struct eid_cred_rec c;
	int r = eid_cred_get(t, personal_id, &c);

	if (r == EID_OK) {
		eid_wipe(&c, sizeof(c));
		r = eid_txn_del(t, EID_TABLE_CREDENTIALS, personal_id,
				strlen(personal_id));
	}
	if (r != EID_OK) {
		json_decref(details);
		return r;
	}
	return eid_audit_record(t, event, actor, personal_id, NULL, details,
				now);
}

int eid_cred_totp_reset(eid_txn *t, const char *personal_id,
			const char *actor, const char *checked,
			const char *unit, int64_t now)
{
	size_t n = checked != NULL ?
			   strnlen(checked, EID_CRED_CHECK_NOTE_MAX + 1) : 0;
	json_t *d;

	if (n == 0 || n > EID_CRED_CHECK_NOTE_MAX ||
	    eid_text_problem(checked, n) != NULL)
		return EID_EMALFORMED;
	d = json_pack("{s:s, s:s*}", "identity_check", checked, "unit", unit);
	if (d == NULL)
		return EID_ENOMEM;
	return eid_cred_remove(t, personal_id, "totp.reset", actor, d, now);
}

int eid_cred_totp_uri(const char *issuer, const char *personal_id,
		      const uint8_t secret[EID_TOTP_SECRET_LEN], eid_buf *out)
{
	/* The same Key URI Format as the officers' authenticators. */
	return eid_officer_totp_uri(issuer, personal_id, secret, out);
}
