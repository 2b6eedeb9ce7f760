#include "idp/ocsp.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "crypto/error.h"
#include "crypto/x509.h"

/* CertID hash algorithms we answer for (SHA-1 is what most clients still
 * send: RFC 6960 allows it for CertIDs, where it only names the issuer). */
static const EVP_MD *certid_md(const ASN1_OBJECT *obj)
{
	switch (OBJ_obj2nid(obj)) {
	case NID_sha1:
		return EVP_sha1();
	case NID_sha256:
		return EVP_sha256();
	case NID_sha384:
		return EVP_sha384();
	case NID_sha512:
		return EVP_sha512();
	}
	return NULL;
}

static int put_response(OCSP_RESPONSE *resp, eid_buf *out)
{
	unsigned char *der = NULL;
	int n = resp ? i2d_OCSP_RESPONSE(resp, &der) : -1;
	int r = n > 0 ? eid_buf_put(out, der, (size_t)n) : EID_ECRYPTO;

	OPENSSL_free(der);
	return r;
}

/* An OCSPResponse without a body: malformedRequest, internalError... */
static int respond_status(int status, eid_buf *out)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
	int r = put_response(resp, out);

	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return r;
}

/* True when id names our CA as issuer. */
static bool ours(const eid_ca *ca, OCSP_CERTID *id, ASN1_INTEGER *serial,
		 ASN1_OBJECT *md_obj)
{
	const EVP_MD *md = certid_md(md_obj);
	OCSP_CERTID *mine;
	bool same;

	if (md == NULL)
		return false;
	mine = OCSP_cert_id_new(md, X509_get_subject_name(eid_ca_cert(ca)),
				X509_get0_pubkey_bitstr(eid_ca_cert(ca)),
				serial);
	same = mine != NULL && OCSP_id_issuer_cmp(mine, id) == 0;
	OCSP_CERTID_free(mine);
	return same;
}

static int answer_one(eid_store *s, const eid_ca *ca, OCSP_BASICRESP *bs,
		      OCSP_CERTID *id, ASN1_TIME *thisupd, ASN1_TIME *nextupd)
{
	ASN1_OCTET_STRING *name_hash, *key_hash;
	ASN1_OBJECT *md_obj;
	ASN1_INTEGER *serial;
	ASN1_TIME *revtime = NULL;
	struct eid_cert_status st;
	int status = V_OCSP_CERTSTATUS_UNKNOWN;
	int reason = OCSP_REVOKED_STATUS_NOSTATUS;
	uint8_t sb[20];
	size_t sn;
	int r = EID_OK;

	OCSP_id_get0_info(&name_hash, &md_obj, &key_hash, &serial, id);
	if (ours(ca, id, serial, md_obj) &&
	    eid_x509_serial_bytes(serial, sb, &sn) == EID_OK) {
		r = eid_ca_cert_status(s, sb, sn, &st);
		if (r == EID_OK && !st.revoked) {
			status = V_OCSP_CERTSTATUS_GOOD;
		} else if (r == EID_OK) {
			status = V_OCSP_CERTSTATUS_REVOKED;
			if (st.reason != EID_CRL_UNSPECIFIED)
				reason = (int)st.reason;
			if ((revtime = ASN1_TIME_set(NULL, (time_t)st.revoked_at)) == NULL)
				r = EID_ENOMEM;
		} else if (r == EID_ENOTFOUND) {
			r = EID_OK;
		}
	}
	if (r == EID_OK &&
	    OCSP_basic_add1_status(bs, id, status, reason, revtime, thisupd,
				   nextupd) == NULL)
		r = EID_ECRYPTO;
	ASN1_TIME_free(revtime);
	return r;
}

/* The signed BasicOCSPResponse for a parsed request. */
static int respond(eid_store *s, const eid_ca *ca, OCSP_REQUEST *req,
		   uint64_t now, eid_buf *out)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp = NULL;
	ASN1_TIME *thisupd = ASN1_TIME_set(NULL, (time_t)now);
	ASN1_TIME *nextupd = ASN1_TIME_set(NULL, (time_t)(now + EID_OCSP_VALIDITY));
	int n = OCSP_request_onereq_count(req);
	bool signed_ok;
	int r = EID_ENOMEM;

	if (bs == NULL || thisupd == NULL || nextupd == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		OCSP_ONEREQ *one = OCSP_request_onereq_get0(req, i);
		r = answer_one(s, ca, bs, OCSP_onereq_get0_id(one), thisupd, nextupd);
		if (r != EID_OK)
			goto out;
	}
	r = EID_ECRYPTO;
	if (OCSP_copy_nonce(bs, req) <= 0)
		goto out;
	eid_key_lock(eid_ca_key(ca));
	signed_ok = OCSP_basic_sign(bs, eid_ca_cert(ca), eid_ca_pkey(ca),
				    EVP_sha256(), NULL,
				    OCSP_NOCERTS | OCSP_RESPID_KEY) == 1;
	eid_key_unlock(eid_ca_key(ca));
	if (!signed_ok ||
	    (resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL)
		goto out;
	r = put_response(resp, out);
out:
	ERR_clear_error();
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	return r;
}

/* True when req is the DER encoding of r, byte for byte.  RFC 6960 asks
 * for DER; a BER or oddly tagged request that OpenSSL parses may not
 * survive being copied into the response (its CertID is re-encoded), so
 * anything that does not round-trip is a malformed request, not our
 * internal error. */
static bool is_der(OCSP_REQUEST *r, const uint8_t *req, size_t len)
{
	unsigned char *der = NULL;
	int n = i2d_OCSP_REQUEST(r, &der);
	bool same = n > 0 && (size_t)n == len && memcmp(der, req, len) == 0;

	OPENSSL_free(der);
	return same;
}

int eid_ocsp_respond(eid_store *s, const eid_ca *ca, const uint8_t *req,
		     size_t len, uint64_t now, eid_buf *ret_response)
{
	const unsigned char *p = req;
	OCSP_REQUEST *r = NULL;
	int n, rc;

	if (s == NULL || ca == NULL || ret_response == NULL ||
	    now > (uint64_t)INT64_MAX - EID_OCSP_VALIDITY)
		return EID_EINVAL;
	if (eid_ca_pkey(ca) == NULL)
		return EID_ESTATE;
	if (req == NULL || len == 0 || len > EID_OCSP_REQUEST_MAX)
		return respond_status(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
				      ret_response);
	r = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	n = r ? OCSP_request_onereq_count(r) : 0;
	if (r == NULL || p != req + len || n <= 0 || n > EID_OCSP_MAX_IDS ||
	    !is_der(r, req, len))
		rc = respond_status(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
				    ret_response);
	else
		rc = respond(s, ca, r, now, ret_response);
	OCSP_REQUEST_free(r);
	ERR_clear_error();
	return rc;
}
