/* WebAuthn: client data, authenticator data, registration and assertion
 * checks (see webauthn.h).  Attestation statements: webauthn_attest.c. */
#include "idp/webauthn.h"

#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "crypto/buf.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"
#include "idp/webauthn_priv.h"

static int copy_str(json_t *o, const char *name, char *out, size_t cap)
{
	json_t *v = json_object_get(o, name);
	size_t n;

	if (!json_is_string(v))
		return EID_EMALFORMED;
	n = json_string_length(v);
	if (n >= cap || memchr(json_string_value(v), '\0', n) != NULL)
		return EID_EMALFORMED;
	memcpy(out, json_string_value(v), n + 1);
	return EID_OK;
}

int eid_wa_client_data_parse(const uint8_t *p, size_t n,
			     struct eid_wa_client_data *ret)
{
	struct eid_wa_client_data cd = { 0 };
	json_t *o = NULL, *ch, *co;
	eid_buf b;
	int r = EID_EMALFORMED;

	if (n > EID_WA_CLIENT_DATA_MAX)
		return EID_ETOOBIG;
	if (p == NULL || n == 0)
		return EID_EMALFORMED;
	eid_buf_init(&b, sizeof(cd.challenge));
	o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		goto out;
	if ((r = copy_str(o, "type", cd.type, sizeof(cd.type))) ||
	    (r = copy_str(o, "origin", cd.origin, sizeof(cd.origin))))
		goto out;
	ch = json_object_get(o, "challenge");
	r = EID_EMALFORMED;
	if (!json_is_string(ch) ||
	    eid_b64url_decode(json_string_value(ch), json_string_length(ch),
			      &b) != EID_OK || b.len == 0)
		goto out;
	memcpy(cd.challenge, b.data, b.len);
	cd.challenge_len = b.len;
	co = json_object_get(o, "crossOrigin");
	if (co != NULL && !json_is_boolean(co))
		goto out;
	cd.cross_origin = json_is_true(co);
	*ret = cd;
	r = EID_OK;
out:
	json_decref(o);
	eid_buf_free(&b);
	return r;
}

int eid_wa_auth_data_parse(const uint8_t *p, size_t n,
			   struct eid_wa_auth_data *ret)
{
	struct eid_wa_auth_data ad = { 0 };
	eid_rd rd = eid_rd_make(p, n);
	uint16_t idlen;
	size_t klen;
	EVP_PKEY *key = NULL;
	int r, alg;

	if (n > EID_WA_AUTH_DATA_MAX)
		return EID_ETOOBIG;
	if ((r = eid_rd_copy(&rd, ad.rp_id_hash, 32)) ||
	    (r = eid_rd_u8(&rd, &ad.flags)) ||
	    (r = eid_rd_u32be(&rd, &ad.sign_count)))
		return r;
	ad.attested = (ad.flags & EID_WA_FLAG_AT) != 0;
	if (ad.attested) {
		if ((r = eid_rd_copy(&rd, ad.aaguid, 16)) ||
		    (r = eid_rd_u16be(&rd, &idlen)))
			return r;
		if (idlen == 0 || idlen > EID_WA_CRED_ID_MAX)
			return EID_EMALFORMED;
		if ((r = eid_rd_copy(&rd, ad.cred_id, idlen)))
			return r;
		ad.cred_id_len = idlen;
		if ((r = eid_cose_key_parse(eid_rd_ptr(&rd), eid_rd_left(&rd),
					    &klen, &alg, &key)))
			return r;
		EVP_PKEY_free(key);
		ad.cose_key = eid_rd_ptr(&rd);
		ad.cose_key_len = klen;
		ad.cose_alg = alg;
		(void)eid_rd_skip(&rd, klen);
	}
	/* Extensions are a CBOR map we do not use; without ED nothing may
	 * follow. */
	if ((ad.flags & EID_WA_FLAG_ED) == 0 && eid_rd_left(&rd) != 0)
		return EID_EMALFORMED;
	if ((ad.flags & EID_WA_FLAG_ED) != 0 && eid_rd_left(&rd) == 0)
		return EID_ETRUNCATED;
	*ret = ad;
	return EID_OK;
}

int eid_wa_check_client_data(const struct eid_wa_expect *x, const char *type,
			     const uint8_t *p, size_t n)
{
	struct eid_wa_client_data cd;
	int r;

	if ((r = eid_wa_client_data_parse(p, n, &cd)) != EID_OK)
		return r;
	if (strcmp(cd.type, type) != 0 || strcmp(cd.origin, x->origin) != 0 ||
	    cd.cross_origin || cd.challenge_len != x->challenge_len ||
	    !eid_ct_equal(cd.challenge, x->challenge, x->challenge_len))
		return EID_EMISMATCH;
	return EID_OK;
}

int eid_wa_check_auth_data(const struct eid_wa_expect *x,
			   const struct eid_wa_auth_data *ad, bool need_uv)
{
	uint8_t h[32];

	SHA256((const uint8_t *)x->rp_id, strlen(x->rp_id), h);
	if (!eid_ct_equal(h, ad->rp_id_hash, sizeof(h)))
		return EID_EMISMATCH;
	if ((ad->flags & EID_WA_FLAG_UP) == 0)
		return EID_EAUTH;
	if (need_uv && (ad->flags & EID_WA_FLAG_UV) == 0)
		return EID_EAUTH;
	/* BS without BE is a contradiction (6.1.3). */
	if ((ad->flags & EID_WA_FLAG_BS) && !(ad->flags & EID_WA_FLAG_BE))
		return EID_EMALFORMED;
	return EID_OK;
}

int eid_wa_signed_data(const uint8_t *auth_data, size_t adlen,
		       const uint8_t *client_data, size_t cdlen, eid_buf *out)
{
	uint8_t h[32];
	int r;

	SHA256(client_data, cdlen, h);
	if ((r = eid_buf_put(out, auth_data, adlen)) == EID_OK)
		r = eid_buf_put(out, h, sizeof(h));
	return r;
}

int eid_wa_assert(const struct eid_wa_expect *x, const uint8_t *cose_key,
		  size_t cklen, const uint8_t *client_data, size_t cdlen,
		  const uint8_t *auth_data, size_t adlen, const uint8_t *sig,
		  size_t slen, uint8_t *ret_flags, uint32_t *ret_sign_count)
{
	struct eid_wa_auth_data ad;
	EVP_PKEY *key = NULL;
	size_t klen;
	eid_buf msg;
	int r, alg;

	if (slen > EID_WA_SIG_MAX)
		return EID_ETOOBIG;
	if (sig == NULL || slen == 0)
		return EID_EMALFORMED;
	eid_buf_init(&msg, EID_WA_AUTH_DATA_MAX + 32);
	if ((r = eid_wa_check_client_data(x, "webauthn.get", client_data,
					  cdlen)) ||
	    (r = eid_wa_auth_data_parse(auth_data, adlen, &ad)) ||
	    (r = eid_wa_check_auth_data(x, &ad, x->require_uv)))
		goto out;
	if ((r = eid_cose_key_parse(cose_key, cklen, &klen, &alg, &key)))
		goto out;
	if ((r = eid_wa_signed_data(auth_data, adlen, client_data, cdlen,
				    &msg)) ||
	    (r = eid_cose_verify(key, alg, msg.data, msg.len, sig, slen)))
		goto out;
	*ret_flags = ad.flags;
	*ret_sign_count = ad.sign_count;
out:
	EVP_PKEY_free(key);
	eid_buf_free(&msg);
	return r;
}

int eid_wa_register(const struct eid_wa_expect *x,
		    const uint8_t *client_data, size_t cdlen,
		    const uint8_t *att_obj, size_t aolen,
		    struct eid_wa_credential *ret)
{
	struct eid_wa_attestation att = { 0 };
	struct eid_wa_auth_data ad;
	char kind[EID_WA_ATTESTATION_MAX + 1];
	int r;

	if ((r = eid_wa_check_client_data(x, "webauthn.create", client_data,
					  cdlen)) ||
	    (r = eid_wa_attestation_parse(att_obj, aolen, &att)))
		goto out;
	if ((r = eid_wa_auth_data_parse(att.auth_data, att.auth_data_len,
					&ad)))
		goto out;
	if (!ad.attested) {
		r = EID_EMALFORMED;
		goto out;
	}
	if ((r = eid_wa_check_auth_data(x, &ad, true)) ||
	    (r = eid_wa_attestation_verify(&att, &ad, client_data, cdlen,
					   kind, sizeof(kind))))
		goto out;
	memcpy(ret->cred_id, ad.cred_id, ad.cred_id_len);
	ret->cred_id_len = ad.cred_id_len;
	memcpy(ret->cose_key, ad.cose_key, ad.cose_key_len);
	ret->cose_key_len = ad.cose_key_len;
	ret->alg = ad.cose_alg;
	memcpy(ret->attestation, kind, sizeof(kind));
	ret->flags = ad.flags;
	ret->sign_count = ad.sign_count;
	memcpy(ret->aaguid, ad.aaguid, sizeof(ad.aaguid));
out:
	eid_wa_attestation_clear(&att);
	return r;
}
