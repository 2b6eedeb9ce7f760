/* Attestation statements (WebAuthn 8.2 "packed", 8.7 "none").  For x5c
 * the leaf certificate's requirements (8.2.1) are checked and its key
 * verifies the signature; the chain to a root is not checked (see
 * webauthn.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "crypto/error.h"
#include "crypto/x509.h"
#include "idp/cbor_util.h"
#include "idp/webauthn_priv.h"

#define X5C_MAX 5
#define CERT_MAX 4096u
/* id-fido-gen-ce-aaguid */
#define OID_FIDO_AAGUID "1.3.6.1.4.1.45724.1.1.4"

int eid_wa_attestation_parse(const uint8_t *p, size_t n,
			     struct eid_wa_attestation *ret)
{
	struct eid_wa_attestation att = { 0 };
	cbor_item_t *fmt = NULL, *ad = NULL;
	size_t len;
	int r;

	if ((r = eid_cbor_load_all(p, n, EID_WA_ATT_OBJ_MAX, &att.root)))
		return r;
	if ((r = eid_cbor_map_find_str(att.root, "fmt", &fmt)) ||
	    (r = eid_cbor_map_find_str(att.root, "attStmt", &att.stmt)) ||
	    (r = eid_cbor_map_find_str(att.root, "authData", &ad)))
		goto out;
	r = EID_EMALFORMED;
	if (fmt == NULL || !cbor_isa_string(fmt) ||
	    !cbor_string_is_definite(fmt) || att.stmt == NULL ||
	    !cbor_isa_map(att.stmt) || !cbor_map_is_definite(att.stmt))
		goto out;
	len = cbor_string_length(fmt);
	if (len == 0 || len >= sizeof(att.fmt) ||
	    memchr(cbor_string_handle(fmt), '\0', len) != NULL)
		goto out;
	memcpy(att.fmt, cbor_string_handle(fmt), len);
	if ((r = eid_cbor_bytes(ad, &att.auth_data, &att.auth_data_len)))
		goto out;
	*ret = att;
	att.root = NULL;
out:
	if (att.root != NULL)
		cbor_decref(&att.root);
	return r;
}

void eid_wa_attestation_clear(struct eid_wa_attestation *att)
{
	if (att->root != NULL)
		cbor_decref(&att->root);
	memset(att, 0, sizeof(*att));
}

static bool has_name_entry(X509_NAME *name, int nid, const char *want)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	ASN1_STRING *s;

	if (i < 0)
		return false;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	if (s == NULL || ASN1_STRING_length(s) <= 0)
		return false;
	return want == NULL ||
	       ((size_t)ASN1_STRING_length(s) == strlen(want) &&
		memcmp(ASN1_STRING_get0_data(s), want, strlen(want)) == 0);
}

/* 8.2.1: version 3; subject C, O, OU "Authenticator Attestation", CN;
 * not a CA; an AAGUID extension, when present, not critical and equal to
 * the authenticator data's. */
static int check_leaf(X509 *cert, const uint8_t aaguid[16])
{
	X509_NAME *sub = X509_get_subject_name(cert);
	ASN1_OBJECT *oid = NULL;
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *v;
	int i, r = EID_EVERIFY;

	if (X509_get_version(cert) != X509_VERSION_3 || sub == NULL ||
	    !has_name_entry(sub, NID_countryName, NULL) ||
	    !has_name_entry(sub, NID_organizationName, NULL) ||
	    !has_name_entry(sub, NID_organizationalUnitName,
			    "Authenticator Attestation") ||
	    !has_name_entry(sub, NID_commonName, NULL) ||
	    (X509_get_extension_flags(cert) & EXFLAG_CA) != 0)
		return r;
	if ((oid = OBJ_txt2obj(OID_FIDO_AAGUID, 1)) == NULL)
		return EID_ENOMEM;
	i = X509_get_ext_by_OBJ(cert, oid, -1);
	ASN1_OBJECT_free(oid);
	if (i < 0)
		return EID_OK;
	ext = X509_get_ext(cert, i);
	v = X509_EXTENSION_get_data(ext);
	/* The value is an OCTET STRING holding the 16 bytes. */
	if (X509_EXTENSION_get_critical(ext) || v == NULL ||
	    ASN1_STRING_length(v) != 18 ||
	    ASN1_STRING_get0_data(v)[0] != 0x04 ||
	    ASN1_STRING_get0_data(v)[1] != 16 ||
	    memcmp(ASN1_STRING_get0_data(v) + 2, aaguid, 16) != 0)
		return r;
	return EID_OK;
}

/* The leaf of x5c (an array of 1 to X5C_MAX DER certificates). */
static int x5c_leaf(const cbor_item_t *x5c, X509 **ret)
{
	const uint8_t *der;
	size_t n, i, len;
	int r;

	if (!cbor_isa_array(x5c) || !cbor_array_is_definite(x5c))
		return EID_EMALFORMED;
	n = cbor_array_size(x5c);
	if (n == 0 || n > X5C_MAX)
		return EID_EMALFORMED;
	for (i = 0; i < n; i++) {
		r = eid_cbor_bytes(cbor_array_handle(x5c)[i], &der, &len);
		if (r != EID_OK)
			return r;
		if (len == 0 || len > CERT_MAX)
			return EID_EMALFORMED;
	}
	(void)eid_cbor_bytes(cbor_array_handle(x5c)[0], &der, &len);
	r = eid_x509_from_der(der, len, ret);
	return r == EID_OK ? EID_OK : EID_EMALFORMED;
}

static int packed(const struct eid_wa_attestation *att,
		  const struct eid_wa_auth_data *ad, const uint8_t *client_data,
		  size_t cdlen, char *kind, size_t cap)
{
	cbor_item_t *x5c = NULL, *a = NULL, *s = NULL;
	const uint8_t *sig;
	size_t slen, klen;
	int64_t alg;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	eid_buf msg;
	int r, kalg;

	eid_buf_init(&msg, EID_WA_AUTH_DATA_MAX + 32);
	if ((r = eid_cbor_map_find_str(att->stmt, "x5c", &x5c)) ||
	    (r = eid_cbor_map_find_str(att->stmt, "alg", &a)) ||
	    (r = eid_cbor_map_find_str(att->stmt, "sig", &s)) ||
	    (r = eid_cbor_int(a, &alg)) || (r = eid_cbor_bytes(s, &sig, &slen)))
		goto out;
	if (slen == 0 || slen > EID_WA_SIG_MAX) {
		r = EID_EMALFORMED;
		goto out;
	}
	if ((r = eid_wa_signed_data(att->auth_data, att->auth_data_len,
				    client_data, cdlen, &msg)))
		goto out;
	if (x5c == NULL) {
		/* Self attestation: the credential key signs, with its own
		 * algorithm. */
		if ((r = eid_cose_key_parse(ad->cose_key, ad->cose_key_len,
					    &klen, &kalg, &key)))
			goto out;
		if (alg != kalg) {
			r = EID_EVERIFY;
			goto out;
		}
		r = eid_cose_verify(key, kalg, msg.data, msg.len, sig, slen);
		if (r == EID_OK)
			r = snprintf(kind, cap, "packed-self") < (int)cap ?
				    EID_OK : EID_EINTERNAL;
		goto out;
	}
	if (alg != EID_COSE_ES256 && alg != EID_COSE_RS256) {
		r = EID_EUNSUPPORTED;
		goto out;
	}
	if ((r = x5c_leaf(x5c, &cert)) || (r = check_leaf(cert, ad->aaguid)))
		goto out;
	if ((key = X509_get_pubkey(cert)) == NULL) {
		r = EID_EVERIFY;
		goto out;
	}
	r = eid_cose_verify(key, (int)alg, msg.data, msg.len, sig, slen);
	if (r == EID_EUNSUPPORTED)
		r = EID_EVERIFY; /* alg does not fit the certificate's key */
	if (r == EID_OK)
		r = snprintf(kind, cap, "packed-x5c") < (int)cap ? EID_OK :
								  EID_EINTERNAL;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	eid_buf_free(&msg);
	return r;
}

int eid_wa_attestation_verify(const struct eid_wa_attestation *att,
			      const struct eid_wa_auth_data *ad,
			      const uint8_t *client_data, size_t cdlen,
			      char *kind, size_t cap)
{
	if (strcmp(att->fmt, "none") == 0) {
		if (cbor_map_size(att->stmt) != 0)
			return EID_EMALFORMED;
		return snprintf(kind, cap, "none") < (int)cap ? EID_OK :
								EID_EINTERNAL;
	}
	if (strcmp(att->fmt, "packed") == 0)
		return packed(att, ad, client_data, cdlen, kind, cap);
	return EID_EUNSUPPORTED;
}
