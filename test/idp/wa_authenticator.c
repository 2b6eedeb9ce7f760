#include "wa_authenticator.h"

#include <string.h>

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "crypto/jose.h"

#define FLAG_AT 0x40

static cbor_item_t *cint(int64_t v)
{
	return v >= 0 ? cbor_build_uint64((uint64_t)v) :
			cbor_build_negint64((uint64_t)(-1 - v));
}

static int add(cbor_item_t *m, cbor_item_t *k, cbor_item_t *v)
{
	return cbor_map_add(m, (struct cbor_pair){ .key = cbor_move(k),
						   .value = cbor_move(v) }) ?
		       0 :
		       -1;
}

static int put_item(eid_buf *out, cbor_item_t *it)
{
	unsigned char *p = NULL;
	size_t size = 0, n = cbor_serialize_alloc(it, &p, &size);
	int r = n > 0 ? eid_buf_put(out, p, n) : -1;

	free(p);
	return r;
}

static int cose_key(const struct wa_auth *a, eid_buf *out)
{
	cbor_item_t *m = cbor_new_definite_map(5);
	int r = -1;

	if (a->alg == -7) {
		uint8_t pt[65];
		size_t len = 0;

		if (!EVP_PKEY_get_octet_string_param(a->key,
						     OSSL_PKEY_PARAM_PUB_KEY,
						     pt, sizeof(pt), &len) ||
		    len != 65)
			goto out;
		if (add(m, cint(1), cint(2)) || add(m, cint(3), cint(-7)) ||
		    add(m, cint(-1), cint(1)) ||
		    add(m, cint(-2), cbor_build_bytestring(pt + 1, 32)) ||
		    add(m, cint(-3), cbor_build_bytestring(pt + 33, 32)))
			goto out;
	} else {
		BIGNUM *n = NULL, *e = NULL;
		uint8_t nb[512], eb[8];
		int nl, el;

		EVP_PKEY_get_bn_param(a->key, OSSL_PKEY_PARAM_RSA_N, &n);
		EVP_PKEY_get_bn_param(a->key, OSSL_PKEY_PARAM_RSA_E, &e);
		nl = n ? BN_bn2bin(n, nb) : -1;
		el = e ? BN_bn2bin(e, eb) : -1;
		BN_free(n);
		BN_free(e);
		if (nl <= 0 || el <= 0 || add(m, cint(1), cint(3)) ||
		    add(m, cint(3), cint(-257)) ||
		    add(m, cint(-1), cbor_build_bytestring(nb, (size_t)nl)) ||
		    add(m, cint(-2), cbor_build_bytestring(eb, (size_t)el)))
			goto out;
	}
	r = put_item(out, m);
out:
	cbor_decref(&m);
	return r;
}

static int make_cert(struct wa_auth *a, const char *ou)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	uint8_t der[18] = { 0x04, 16 };
	int ok;

	a->att_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	memcpy(der + 2, a->aaguid, 16);
	ok = c && n && v && a->att_key && X509_set_version(c, X509_VERSION_3) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(c), 1) &&
	     X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
					(const uint8_t *)"VN", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
					(const uint8_t *)"eid test", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC,
					(const uint8_t *)ou, -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const uint8_t *)"test authenticator",
					-1, -1, 0) &&
	     X509_set_subject_name(c, n) && X509_set_issuer_name(c, n) &&
	     X509_gmtime_adj(X509_getm_notBefore(c), 0) &&
	     X509_gmtime_adj(X509_getm_notAfter(c), 86400) &&
	     X509_set_pubkey(c, a->att_key);
	if (ok) {
		X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
					  "critical,CA:FALSE");
		ok = ext && X509_add_ext(c, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (ok) {
		ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);

		ok = oid && ASN1_OCTET_STRING_set(v, der, sizeof(der)) &&
		     (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, v)) &&
		     X509_add_ext(c, ext, -1);
		if (ok)
			X509_EXTENSION_free(ext);
		ASN1_OBJECT_free(oid);
	}
	ok = ok && X509_sign(c, a->att_key, EVP_sha256()) > 0;
	X509_NAME_free(n);
	ASN1_OCTET_STRING_free(v);
	if (!ok) {
		X509_free(c);
		return -1;
	}
	a->att_cert = c;
	return 0;
}

int wa_auth_new(struct wa_auth *a, int alg, const char *ou)
{
	memset(a, 0, sizeof(*a));
	a->alg = alg;
	a->key = alg == -7 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
			     EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (a->key == NULL || RAND_bytes(a->cred_id, sizeof(a->cred_id)) != 1 ||
	    RAND_bytes(a->aaguid, sizeof(a->aaguid)) != 1)
		return -1;
	return make_cert(a, ou != NULL ? ou : "Authenticator Attestation");
}

void wa_auth_free(struct wa_auth *a)
{
	EVP_PKEY_free(a->key);
	EVP_PKEY_free(a->att_key);
	X509_free(a->att_cert);
	memset(a, 0, sizeof(*a));
}

int wa_client_data(eid_buf *out, const char *type, const uint8_t *challenge,
		   size_t n, const char *origin)
{
	char ch[128];

	if (eid_b64url_encode_str(challenge, n, ch, sizeof(ch)) != 0)
		return -1;
	return eid_buf_printf(out,
			      "{\"type\":\"%s\",\"challenge\":\"%s\","
			      "\"origin\":\"%s\",\"crossOrigin\":false}",
			      type, ch, origin);
}

int wa_auth_data(const struct wa_auth *a, const char *rp_id, uint8_t flags,
		 eid_buf *out)
{
	uint8_t h[32];

	SHA256((const uint8_t *)rp_id, strlen(rp_id), h);
	if (eid_buf_put(out, h, 32) || eid_buf_put_u8(out, flags) ||
	    eid_buf_put_u32be(out, a->count))
		return -1;
	if (!(flags & FLAG_AT))
		return 0;
	if (eid_buf_put(out, a->aaguid, 16) ||
	    eid_buf_put_u16be(out, sizeof(a->cred_id)) ||
	    eid_buf_put(out, a->cred_id, sizeof(a->cred_id)))
		return -1;
	return cose_key(a, out);
}

static int sign(EVP_PKEY *key, const eid_buf *auth_data,
		const eid_buf *client_data, eid_buf *sig)
{
	uint8_t h[32], buf[1024];
	size_t n = sizeof(buf);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	eid_buf msg;
	int r = -1;

	eid_buf_init(&msg, 8192);
	SHA256(client_data->data, client_data->len, h);
	if (md && !eid_buf_put(&msg, auth_data->data, auth_data->len) &&
	    !eid_buf_put(&msg, h, 32) &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, buf, &n, msg.data, msg.len) == 1)
		r = eid_buf_put(sig, buf, n);
	EVP_MD_CTX_free(md);
	eid_buf_free(&msg);
	return r;
}

int wa_attestation(const struct wa_auth *a, enum wa_fmt fmt,
		   const char *rp_id, uint8_t flags, const eid_buf *client_data,
		   eid_buf *out)
{
	cbor_item_t *m = cbor_new_definite_map(3), *st = NULL;
	eid_buf ad, sig;
	int r = -1;

	eid_buf_init(&ad, 8192);
	eid_buf_init(&sig, 1024);
	if (wa_auth_data(a, rp_id, flags | FLAG_AT, &ad))
		goto out;
	if (fmt == WA_NONE) {
		st = cbor_new_definite_map(0);
	} else {
		int x5c = fmt == WA_PACKED_X5C;

		st = cbor_new_definite_map(x5c ? 3 : 2);
		if (sign(x5c ? a->att_key : a->key, &ad, client_data, &sig) ||
		    add(st, cbor_build_string("alg"),
			cint(x5c ? -7 : a->alg)) ||
		    add(st, cbor_build_string("sig"),
			cbor_build_bytestring(sig.data, sig.len)))
			goto out;
		if (x5c) {
			cbor_item_t *arr = cbor_new_definite_array(1);
			uint8_t *der = NULL;
			int n = i2d_X509(a->att_cert, &der);

			if (n <= 0 ||
			    !cbor_array_push(arr, cbor_move(cbor_build_bytestring(
							 der, (size_t)n))) ||
			    add(st, cbor_build_string("x5c"), arr)) {
				OPENSSL_free(der);
				goto out;
			}
			OPENSSL_free(der);
		}
	}
	if (add(m, cbor_build_string("fmt"),
		cbor_build_string(fmt == WA_NONE ? "none" : "packed")) ||
	    add(m, cbor_build_string("attStmt"), st))
		goto out;
	st = NULL;
	if (add(m, cbor_build_string("authData"),
		cbor_build_bytestring(ad.data, ad.len)))
		goto out;
	r = put_item(out, m);
out:
	if (st != NULL)
		cbor_decref(&st);
	cbor_decref(&m);
	eid_buf_free(&ad);
	eid_buf_free(&sig);
	return r;
}

int wa_assertion(struct wa_auth *a, const char *rp_id, uint8_t flags,
		 const eid_buf *client_data, eid_buf *ret_auth_data,
		 eid_buf *ret_sig)
{
	a->count++;
	if (wa_auth_data(a, rp_id, flags & ~FLAG_AT, ret_auth_data))
		return -1;
	return sign(a->key, ret_auth_data, client_data, ret_sig);
}
