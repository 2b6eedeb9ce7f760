/* Passkey records, challenges and the relying party's identity (see
 * passkeys.h).  The sign-in check is passkey_login.c. */
#include "idp/passkeys.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/audit.h"
#include "idp/jsonrec.h"

#define KEY_MAX 80
#define RECORD_MAX 8192u
#define CHALLENGE_KEY_MAX 96

static const char *const known_transports[] = {
	"usb", "nfc", "ble", "internal", "hybrid", "smart-card", NULL,
};

/* ---- the relying party ---- */

static int url_part(CURLU *u, CURLUPart part, char **ret)
{
	return curl_url_get(u, part, ret, 0) == CURLUE_OK ? EID_OK :
							    EID_ENOTFOUND;
}

/* scheme://host[:port] of the issuer, and its host. */
static int issuer_origin(const char *issuer, struct eid_passkey_rp *ret)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int r = EID_ECONFIG, n;

	if (u == NULL)
		return EID_ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, issuer, 0) != CURLUE_OK ||
	    url_part(u, CURLUPART_SCHEME, &scheme) ||
	    url_part(u, CURLUPART_HOST, &host))
		goto out;
	(void)url_part(u, CURLUPART_PORT, &port);
	/* Origins and RP IDs compare in lower case. */
	for (char *c = host; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	n = snprintf(ret->origin, sizeof(ret->origin), "%s://%s%s%s", scheme,
		     host, port != NULL ? ":" : "", port != NULL ? port : "");
	if (n < 0 || (size_t)n >= sizeof(ret->origin) ||
	    strlen(host) >= sizeof(ret->rp_id))
		goto out;
	memcpy(ret->rp_id, host, strlen(host) + 1);
	r = EID_OK;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

int eid_passkey_rp(const struct eid_config *cfg, struct eid_passkey_rp *ret)
{
	struct eid_passkey_rp rp;
	int r;

	if ((r = issuer_origin(cfg->server.issuer, &rp)) != EID_OK)
		return r;
	if (cfg->webauthn.rp_id[0] != '\0') {
		if (strlen(cfg->webauthn.rp_id) >= sizeof(rp.rp_id))
			return EID_ECONFIG;
		memcpy(rp.rp_id, cfg->webauthn.rp_id,
		       strlen(cfg->webauthn.rp_id) + 1);
	}
	if (cfg->webauthn.origin[0] != '\0') {
		if (strlen(cfg->webauthn.origin) >= sizeof(rp.origin))
			return EID_ECONFIG;
		memcpy(rp.origin, cfg->webauthn.origin,
		       strlen(cfg->webauthn.origin) + 1);
	}
	*ret = rp;
	return EID_OK;
}

int eid_passkey_user_handle(const uint8_t key[32], const char *personal_id,
			    uint8_t ret[EID_PASSKEY_USER_HANDLE_LEN])
{
	char msg[32];
	unsigned len = 0;
	int n = snprintf(msg, sizeof(msg), "webauthn|%s", personal_id);

	if (n < 0 || (size_t)n >= sizeof(msg))
		return EID_EINVAL;
	if (HMAC(EVP_sha256(), key, 32, (const uint8_t *)msg, (size_t)n, ret,
		 &len) == NULL || len != EID_PASSKEY_USER_HANDLE_LEN)
		return EID_ECRYPTO;
	return EID_OK;
}

/* ---- challenges ---- */

static int challenge_key(const char *purpose, const char *binding,
			 char out[CHALLENGE_KEY_MAX])
{
	int n = snprintf(out, CHALLENGE_KEY_MAX, "wa|%s|%s", purpose, binding);

	return n > 0 && n < CHALLENGE_KEY_MAX ? EID_OK : EID_EINVAL;
}

int eid_passkey_challenge_new(eid_store *s, const char *purpose,
			      const char *binding, uint8_t ret[32])
{
	char k[CHALLENGE_KEY_MAX];
	uint8_t c[32];
	int r;

	if ((r = challenge_key(purpose, binding, k)) ||
	    (r = eid_random_bytes(c, sizeof(c))))
		return r;
	r = eid_eph_set(s, EID_EPH_CHALLENGES, k, strlen(k), c, sizeof(c),
			eid_store_now(s) + EID_PASSKEY_CHALLENGE_TTL);
	if (r == EID_OK)
		memcpy(ret, c, sizeof(c));
	eid_wipe(c, sizeof(c));
	return r;
}

int eid_passkey_challenge_take(eid_store *s, const char *purpose,
			       const char *binding, uint8_t ret[32])
{
	char k[CHALLENGE_KEY_MAX];
	eid_buf b;
	int r;

	if ((r = challenge_key(purpose, binding, k)) != EID_OK)
		return r;
	eid_buf_init_secret(&b, 32);
	r = eid_eph_take(s, EID_EPH_CHALLENGES, k, strlen(k), &b);
	if (r == EID_OK && b.len != 32)
		r = EID_ENOTFOUND;
	if (r == EID_OK)
		memcpy(ret, b.data, 32);
	eid_buf_free(&b);
	return r;
}

/* ---- records ---- */

static int id_of(const uint8_t *cred_id, size_t len,
		 char ret[EID_PASSKEY_ID_LEN + 1])
{
	uint8_t h[32];

	SHA256(cred_id, len, h);
	return eid_b64url_encode_str(h, sizeof(h), ret,
				     EID_PASSKEY_ID_LEN + 1);
}

static int bytes_member(json_t *o, const char *name, uint8_t *out,
			size_t cap, size_t *ret_len)
{
	json_t *v = json_object_get(o, name);
	eid_buf b;
	int r;

	if (!json_is_string(v))
		return EID_EMALFORMED;
	eid_buf_init(&b, cap);
	r = eid_b64url_decode(json_string_value(v), json_string_length(v), &b);
	if (r == EID_OK) {
		memcpy(out, b.data, b.len);
		*ret_len = b.len;
	}
	eid_buf_free(&b);
	return r == EID_OK ? EID_OK : EID_EMALFORMED;
}

static int from_json(json_t *o, struct eid_passkey *pk)
{
	int64_t alg, count;
	int r;

	memset(pk, 0, sizeof(*pk));
	if ((r = eid_jrec_text(o, "personal_id", pk->personal_id,
			       sizeof(pk->personal_id))) ||
	    (r = bytes_member(o, "cred_id", pk->cred_id, sizeof(pk->cred_id),
			      &pk->cred_id_len)) ||
	    (r = bytes_member(o, "key", pk->cose_key, sizeof(pk->cose_key),
			      &pk->cose_key_len)) ||
	    (r = eid_jrec_int(o, "alg", &alg)) ||
	    (r = eid_jrec_int(o, "count", &count)) ||
	    (r = eid_jrec_text(o, "aaguid", pk->aaguid, sizeof(pk->aaguid))) ||
	    (r = eid_jrec_text(o, "attestation", pk->attestation,
			       sizeof(pk->attestation))) ||
	    (r = eid_jrec_text(o, "transports", pk->transports,
			       sizeof(pk->transports))) ||
	    (r = eid_jrec_text(o, "name", pk->name, sizeof(pk->name))) ||
	    (r = eid_jrec_int(o, "created", &pk->created_at)) ||
	    (r = eid_jrec_int(o, "last_used", &pk->last_used_at)))
		return r;
	if (count < 0 || count > UINT32_MAX)
		return EID_EMALFORMED;
	pk->alg = (int)alg;
	pk->sign_count = (uint32_t)count;
	pk->be = json_is_true(json_object_get(o, "be"));
	pk->bs = json_is_true(json_object_get(o, "bs"));
	pk->uv = json_is_true(json_object_get(o, "uv"));
	return id_of(pk->cred_id, pk->cred_id_len, pk->id);
}

static json_t *to_json(const struct eid_passkey *pk)
{
	eid_buf cid, key;
	json_t *o = NULL;

	eid_buf_init(&cid, 2 * EID_WA_CRED_ID_MAX);
	eid_buf_init(&key, 2 * EID_COSE_KEY_MAX);
	if (eid_b64url_encode(pk->cred_id, pk->cred_id_len, &cid) == EID_OK &&
	    eid_b64url_encode(pk->cose_key, pk->cose_key_len, &key) ==
		    EID_OK &&
	    eid_buf_cstr(&cid) != NULL && eid_buf_cstr(&key) != NULL)
		o = json_pack("{s:i, s:s, s:s, s:s, s:i, s:I, s:b, s:b, s:b, "
			      "s:s, s:s, s:s, s:s, s:I, s:I}",
			      "v", 1, "personal_id", pk->personal_id,
			      "cred_id", eid_buf_cstr(&cid), "key",
			      eid_buf_cstr(&key), "alg", pk->alg, "count",
			      (json_int_t)pk->sign_count, "be", pk->be, "bs",
			      pk->bs, "uv", pk->uv, "aaguid", pk->aaguid,
			      "attestation", pk->attestation, "transports",
			      pk->transports, "name", pk->name, "created",
			      (json_int_t)pk->created_at, "last_used",
			      (json_int_t)pk->last_used_at);
	eid_buf_free(&cid);
	eid_buf_free(&key);
	return o;
}

int eid_passkey_put(eid_txn *t, const struct eid_passkey *pk)
{
	char k[KEY_MAX];
	json_t *o = to_json(pk);
	char *text = o != NULL ? eid_jrec_dump(o) : NULL;
	int r = EID_ENOMEM;

	json_decref(o);
	if (text == NULL)
		return r;
	snprintf(k, sizeof(k), "c:%s", pk->id);
	r = eid_txn_put(t, EID_TABLE_PASSKEYS, k, strlen(k), text,
			strlen(text));
	free(text);
	return r;
}

int eid_passkey_get_id(eid_txn *t, const char *id, struct eid_passkey *ret)
{
	char k[KEY_MAX];
	json_t *o = NULL;
	eid_buf b;
	int r;

	if (strlen(id) != EID_PASSKEY_ID_LEN)
		return EID_ENOTFOUND;
	snprintf(k, sizeof(k), "c:%s", id);
	eid_buf_init(&b, RECORD_MAX);
	if ((r = eid_txn_get(t, EID_TABLE_PASSKEYS, k, strlen(k), &b)))
		goto out;
	r = EID_EMALFORMED;
	o = json_loadb((const char *)b.data, b.len, 0, NULL);
	if (json_is_object(o))
		r = from_json(o, ret);
out:
	json_decref(o);
	eid_buf_free(&b);
	return r;
}

int eid_passkey_get(eid_txn *t, const uint8_t *cred_id, size_t len,
		    struct eid_passkey *ret)
{
	char id[EID_PASSKEY_ID_LEN + 1];
	int r;

	if (len == 0 || len > EID_WA_CRED_ID_MAX)
		return EID_ENOTFOUND;
	if ((r = id_of(cred_id, len, id)) != EID_OK)
		return r;
	return eid_passkey_get_id(t, id, ret);
}

struct count_arg {
	unsigned n;
};

static int count_one(const void *key, size_t klen, const void *val,
		     size_t vlen, void *arg)
{
	(void)key, (void)klen, (void)val, (void)vlen;
	((struct count_arg *)arg)->n++;
	return EID_OK;
}

static int index_key(const char *pid, const char *id, char out[KEY_MAX])
{
	int n = snprintf(out, KEY_MAX, "p:%s:%s", pid, id);

	return n > 0 && n < KEY_MAX ? EID_OK : EID_EINVAL;
}

/* Only known transports, comma-separated, in the given order. */
static void clean_transports(const char *in, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	while (in != NULL && *in != '\0') {
		size_t n = strcspn(in, ",");

		for (int i = 0; known_transports[i] != NULL; i++) {
			const char *t = known_transports[i];

			if (strlen(t) == n && memcmp(t, in, n) == 0 &&
			    used + n + 2 <= cap) {
				used += (size_t)snprintf(out + used, cap - used,
							 "%s%s",
							 used ? "," : "", t);
			}
		}
		in += n;
		if (*in == ',')
			in++;
	}
}

/* At most cap-1 bytes of s, not cutting a UTF-8 sequence, no controls. */
static void clean_name(const char *s, char *out, size_t cap)
{
	json_t *j;
	size_t n = 0;

	for (; s != NULL && s[n] != '\0' && n + 1 < cap; n++)
		out[n] = (unsigned char)s[n] < 0x20 ? ' ' : s[n];
	while (n > 0 && n + 1 >= cap && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	out[n] = '\0';
	/* Not UTF-8 (the form gives bytes): no name rather than a record
	 * that cannot be stored as JSON. */
	if ((j = json_string(out)) == NULL)
		out[0] = '\0';
	json_decref(j);
}

int eid_passkey_add(eid_txn *t, const char *personal_id,
		    const struct eid_wa_credential *c, const char *name,
		    const char *transports, const char *remote, int64_t now,
		    struct eid_passkey *ret)
{
	struct eid_passkey pk = { 0 };
	struct count_arg ca = { 0 };
	char k[KEY_MAX], prefix[KEY_MAX], actor[32];
	eid_buf b;
	int r;

	if (strlen(personal_id) >= sizeof(pk.personal_id) ||
	    c->cred_id_len == 0)
		return EID_EINVAL;
	memcpy(pk.personal_id, personal_id, strlen(personal_id) + 1);
	if ((r = id_of(c->cred_id, c->cred_id_len, pk.id)) != EID_OK)
		return r;
	snprintf(k, sizeof(k), "c:%s", pk.id);
	eid_buf_init(&b, RECORD_MAX);
	r = eid_txn_get(t, EID_TABLE_PASSKEYS, k, strlen(k), &b);
	eid_buf_free(&b);
	if (r == EID_OK)
		return EID_EEXIST;
	if (r != EID_ENOTFOUND)
		return r;
	snprintf(prefix, sizeof(prefix), "p:%s:", personal_id);
	if ((r = eid_txn_scan(t, EID_TABLE_PASSKEYS, prefix, strlen(prefix),
			      count_one, &ca)))
		return r;
	if (ca.n >= EID_PASSKEY_MAX_PER_ACCOUNT)
		return EID_EFULL;
	memcpy(pk.cred_id, c->cred_id, c->cred_id_len);
	pk.cred_id_len = c->cred_id_len;
	memcpy(pk.cose_key, c->cose_key, c->cose_key_len);
	pk.cose_key_len = c->cose_key_len;
	pk.alg = c->alg;
	pk.sign_count = c->sign_count;
	pk.be = (c->flags & EID_WA_FLAG_BE) != 0;
	pk.bs = (c->flags & EID_WA_FLAG_BS) != 0;
	pk.uv = (c->flags & EID_WA_FLAG_UV) != 0;
	eid_hex_encode(c->aaguid, sizeof(c->aaguid), pk.aaguid);
	memcpy(pk.attestation, c->attestation, sizeof(pk.attestation));
	clean_transports(transports, pk.transports, sizeof(pk.transports));
	clean_name(name, pk.name, sizeof(pk.name));
	pk.created_at = now;
	if ((r = index_key(personal_id, pk.id, k)) ||
	    (r = eid_passkey_put(t, &pk)) ||
	    (r = eid_txn_put(t, EID_TABLE_PASSKEYS, k, strlen(k), "", 0)))
		return r;
	snprintf(actor, sizeof(actor), "citizen:%s", personal_id);
	r = eid_audit_record(t, "passkey.register", actor, personal_id, remote,
			     json_pack("{s:s, s:s, s:s, s:b, s:b, s:s}", "passkey",
				       pk.id, "aaguid", pk.aaguid, "attestation",
				       pk.attestation, "backup_eligible", pk.be,
				       "backed_up", pk.bs, "attestation_trust",
				       "not checked"),
			     now);
	if (r == EID_OK && ret != NULL)
		*ret = pk;
	return r;
}

struct list_arg {
	eid_txn *t;
	size_t skip; /* length of "p:<personal id>:" */
	eid_passkey_visit_fn fn;
	void *arg;
};

static int list_one(const void *key, size_t klen, const void *val,
		    size_t vlen, void *arg)
{
	struct list_arg *la = arg;
	char id[EID_PASSKEY_ID_LEN + 1];
	struct eid_passkey pk;
	int r;

	(void)val, (void)vlen;
	if (klen != la->skip + EID_PASSKEY_ID_LEN)
		return EID_EMALFORMED;
	memcpy(id, (const char *)key + la->skip, EID_PASSKEY_ID_LEN);
	id[EID_PASSKEY_ID_LEN] = '\0';
	if ((r = eid_passkey_get_id(la->t, id, &pk)) == EID_OK)
		r = la->fn(&pk, la->arg);
	eid_wipe(&pk, sizeof(pk));
	return r;
}

int eid_passkey_list(eid_txn *t, const char *personal_id,
		     eid_passkey_visit_fn fn, void *arg)
{
	char prefix[KEY_MAX];
	struct list_arg la = { t, 0, fn, arg };
	int n = snprintf(prefix, sizeof(prefix), "p:%s:", personal_id);

	if (n < 0 || (size_t)n >= sizeof(prefix))
		return EID_EINVAL;
	la.skip = (size_t)n;
	return eid_txn_scan(t, EID_TABLE_PASSKEYS, prefix, (size_t)n, list_one,
			    &la);
}

int eid_passkey_remove(eid_txn *t, const char *personal_id, const char *id,
		       const char *actor, const char *remote, int64_t now)
{
	struct eid_passkey pk;
	char k[KEY_MAX];
	int r;

	if ((r = eid_passkey_get_id(t, id, &pk)) != EID_OK)
		return r;
	if (strcmp(pk.personal_id, personal_id) != 0)
		return EID_ENOTFOUND;
	snprintf(k, sizeof(k), "c:%s", pk.id);
	if ((r = eid_txn_del(t, EID_TABLE_PASSKEYS, k, strlen(k))) ||
	    (r = index_key(personal_id, pk.id, k)) ||
	    (r = eid_txn_del(t, EID_TABLE_PASSKEYS, k, strlen(k))))
		return r;
	return eid_audit_record(t, "passkey.remove", actor, personal_id,
				remote, json_pack("{s:s}", "passkey", pk.id),
				now);
}
