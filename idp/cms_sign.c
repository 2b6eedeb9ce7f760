/* CAdES-BES over a hash.  CMS_sign() wants the content, which we never
 * see, so the SignerInfo is built by hand: an empty detached SignedData
 * (CMS_sign with CMS_PARTIAL), CMS_add1_signer with CMS_PARTIAL (signed
 * attributes initialised, nothing signed yet), our four signed attributes,
 * then CMS_SignerInfo_sign over them.  No CMS_final: there is no content
 * to digest, the message-digest attribute is the hash we were given. */
#define _GNU_SOURCE
#include "idp/cms_sign.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/x509v3.h>

#include "crypto/error.h"
#include "crypto/x509.h"
#include "idp/audit.h"

static const struct digest_info {
	enum eid_digest d;
	const char *name, *alt;
	int nid;
	size_t len;
} digests[] = {
	{ EID_DIGEST_SHA256, "sha256", "sha-256", NID_sha256, 32 },
	{ EID_DIGEST_SHA384, "sha384", "sha-384", NID_sha384, 48 },
	{ EID_DIGEST_SHA512, "sha512", "sha-512", NID_sha512, 64 },
};

#define NDIGESTS (sizeof(digests) / sizeof(digests[0]))

static const struct digest_info *digest_get(enum eid_digest d)
{
	for (size_t i = 0; i < NDIGESTS; i++)
		if (digests[i].d == d)
			return &digests[i];
	return NULL;
}

int eid_digest_from_name(const char *name, enum eid_digest *ret)
{
	for (size_t i = 0; name != NULL && i < NDIGESTS; i++)
		if (strcasecmp(name, digests[i].name) == 0 ||
		    strcasecmp(name, digests[i].alt) == 0) {
			*ret = digests[i].d;
			return EID_OK;
		}
	return EID_EUNSUPPORTED;
}

const char *eid_digest_name(enum eid_digest d)
{
	const struct digest_info *i = digest_get(d);

	return i ? i->name : NULL;
}

size_t eid_digest_len(enum eid_digest d)
{
	const struct digest_info *i = digest_get(d);

	return i ? i->len : 0;
}

/* ---- signing ---- */

/* ESS signing-certificate-v2 with the SHA-256 of the signer's certificate
 * (the RFC 5035 default, so the algorithm is left out) and its issuer and
 * serial. */
static int add_signing_cert_v2(CMS_SignerInfo *si, X509 *signer)
{
	ESS_SIGNING_CERT_V2 *sc = NULL;
	ASN1_STRING *seq = NULL;
	unsigned char *der = NULL;
	int n, r = EID_ECRYPTO;

	sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), signer, NULL, 1);
	if (sc == NULL || (n = i2d_ESS_SIGNING_CERT_V2(sc, &der)) <= 0 ||
	    (seq = ASN1_STRING_new()) == NULL ||
	    ASN1_STRING_set(seq, der, n) != 1 ||
	    CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2,
					V_ASN1_SEQUENCE, seq, -1) != 1)
		goto out;
	r = EID_OK;
out:
	ASN1_STRING_free(seq);
	OPENSSL_free(der);
	ESS_SIGNING_CERT_V2_free(sc);
	return r;
}

static int add_attributes(CMS_SignerInfo *si, X509 *signer,
			  const uint8_t *hash, size_t len, uint64_t t)
{
	ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)t);
	int r = EID_ECRYPTO;

	/* signingTime is UTCTime up to 2049 (RFC 5652 11.3), as
	 * ASN1_TIME_set makes it. */
	if (when == NULL ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType,
					V_ASN1_OBJECT,
					OBJ_nid2obj(NID_pkcs7_data), -1) != 1 ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
					V_ASN1_OCTET_STRING, hash,
					(int)len) != 1 ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
					ASN1_STRING_type(when), when, -1) != 1)
		goto out;
	r = add_signing_cert_v2(si, signer);
out:
	ASN1_TIME_free(when);
	return r;
}

int eid_cms_sign_hash(X509 *signer, EVP_PKEY *key, X509 *ca_cert,
		      enum eid_digest d, const uint8_t *hash, size_t hash_len,
		      uint64_t signing_time, eid_buf *out)
{
	const unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
	const struct digest_info *di = digest_get(d);
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	unsigned char *der = NULL;
	int n, r = EID_EINVAL;

	if (signer == NULL || key == NULL || hash == NULL || out == NULL ||
	    signing_time > (uint64_t)INT64_MAX)
		return EID_EINVAL;
	if (di == NULL)
		return EID_EUNSUPPORTED;
	if (hash_len != di->len)
		return EID_EINVAL;
	r = EID_ECRYPTO;
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    CMS_set_detached(cms, 1) != 1 ||
	    (si = CMS_add1_signer(cms, signer, key,
				  EVP_get_digestbynid(di->nid),
				  flags | CMS_NOSMIMECAP)) == NULL ||
	    (ca_cert != NULL && CMS_add1_cert(cms, ca_cert) != 1))
		goto out;
	if ((r = add_attributes(si, signer, hash, hash_len, signing_time)) != EID_OK)
		goto out;
	r = EID_ECRYPTO;
	if (CMS_SignerInfo_sign(si) != 1 ||
	    (n = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		goto out;
	r = eid_buf_put(out, der, (size_t)n);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	return r;
}

static int audit_signing(eid_store *s, const struct eid_citizen *c,
			 const eid_citizen_cert *cc,
			 const struct eid_sign_request *req, uint64_t now)
{
	char subject[EID_PERSONAL_ID_LEN + 1], hash[2 * 64 + 1];
	struct eid_audit_event ev = { .type = req->audit_type,
				      .actor = req->actor,
				      .remote = req->remote,
				      .subject = subject };
	eid_txn *t = NULL;
	int r = EID_ENOMEM;

	snprintf(subject, sizeof(subject), "%s", c->personal_id);
	eid_hex_encode(req->hash, req->hash_len, hash);
	ev.details = json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "serial",
			       eid_citizen_cert_serial(cc), "digest",
			       eid_digest_name(req->digest), "hash", hash,
			       "document", req->document, "client",
			       req->client_id);
	if (ev.details == NULL)
		goto out;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK ||
	    (r = eid_audit_append(t, &ev, now * 1000, NULL)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	eid_txn_abort(t);
	json_decref(ev.details);
	return r;
}

int eid_cms_sign_citizen(eid_store *s, const uint8_t kek[32],
			 const eid_ca *ca, const struct eid_citizen *c,
			 const struct eid_sign_request *req, uint64_t now,
			 eid_buf *out)
{
	eid_citizen_cert *cc = NULL;
	eid_buf sig;
	int r;

	if (s == NULL || c == NULL || req == NULL || out == NULL ||
	    req->hash == NULL || req->audit_type == NULL ||
	    req->actor == NULL)
		return EID_EINVAL;
	if (eid_digest_len(req->digest) == 0)
		return EID_EUNSUPPORTED;
	if (req->hash_len != eid_digest_len(req->digest))
		return EID_EINVAL;
	eid_buf_init(&sig, EID_CMS_MAX);
	if ((r = eid_citizen_cert_ensure(s, kek, ca, c, now, &cc)) != EID_OK ||
	    (r = eid_cms_sign_hash(eid_citizen_cert_x509(cc),
				   eid_citizen_cert_pkey(cc), eid_ca_cert(ca),
				   req->digest, req->hash, req->hash_len, now,
				   &sig)) != EID_OK ||
	    (r = audit_signing(s, c, cc, req, now)) != EID_OK)
		goto out;
	r = eid_buf_put(out, sig.data, sig.len);
out:
	eid_buf_free(&sig);
	eid_citizen_cert_free(cc);
	return r;
}

/* ---- verification ---- */

/* One verification in progress. */
struct vstate {
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	STACK_OF(X509) *certs;
	X509 *signer; /* borrowed from certs */
	const struct digest_info *di;
	eid_buf *why;
	struct eid_cms_report rep;
};

static int fail(struct vstate *v, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct vstate *v, int r, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (v->why != NULL)
		(void)eid_buf_put_str(v->why, line);
	ERR_clear_error();
	return r;
}

static int v_parse(struct vstate *v, const uint8_t *sig, size_t len)
{
	const unsigned char *p = sig;
	ASN1_OCTET_STRING **content;

	if (len == 0 || len > EID_CMS_MAX)
		return fail(v, EID_EMALFORMED, "signature empty or over %u bytes",
			    EID_CMS_MAX);
	v->cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (v->cms == NULL || p != sig + len)
		return fail(v, EID_EMALFORMED, "not a DER CMS ContentInfo");
	if (OBJ_obj2nid(CMS_get0_type(v->cms)) != NID_pkcs7_signed ||
	    OBJ_obj2nid(CMS_get0_eContentType(v->cms)) != NID_pkcs7_data)
		return fail(v, EID_EMALFORMED, "not a SignedData over id-data");
	content = CMS_get0_content(v->cms);
	if (content == NULL || *content != NULL)
		return fail(v, EID_EMALFORMED, "not a detached signature");
	return EID_OK;
}

static int v_signer(struct vstate *v)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(v->cms);
	X509_ALGOR *dig = NULL;

	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1)
		return fail(v, EID_EMALFORMED, "not exactly one signer");
	v->si = sk_CMS_SignerInfo_value(sis, 0);
	v->certs = CMS_get1_certs(v->cms);
	for (int i = 0; v->certs && i < sk_X509_num(v->certs); i++)
		if (CMS_SignerInfo_cert_cmp(v->si, sk_X509_value(v->certs, i)) == 0) {
			v->signer = sk_X509_value(v->certs, i);
			break;
		}
	if (v->signer == NULL)
		return fail(v, EID_EMALFORMED, "the signer's certificate is not included");
	CMS_SignerInfo_set1_signer_cert(v->si, v->signer);
	CMS_SignerInfo_get0_algs(v->si, NULL, NULL, &dig, NULL);
	for (size_t i = 0; dig != NULL && i < NDIGESTS; i++)
		if (OBJ_obj2nid(dig->algorithm) == digests[i].nid)
			v->di = &digests[i];
	if (v->di == NULL)
		return fail(v, EID_EUNSUPPORTED, "digest is not SHA-256, -384 or -512");
	v->rep.digest = v->di->d;
	if (CMS_signed_get_attr_count(v->si) <= 0)
		return fail(v, EID_EMALFORMED, "no signed attributes");
	if (CMS_SignerInfo_verify(v->si) != 1)
		return fail(v, EID_EVERIFY, "the signature does not verify");
	return EID_OK;
}

/* The single value of a signed attribute, of the given type. */
static void *signed_attr(struct vstate *v, int nid, int type)
{
	return CMS_signed_get0_data_by_OBJ(v->si, OBJ_nid2obj(nid), -3, type);
}

static int v_digest(struct vstate *v, const struct eid_cms_content *c)
{
	ASN1_OCTET_STRING *md = signed_attr(v, NID_pkcs9_messageDigest,
					    V_ASN1_OCTET_STRING);
	uint8_t h[EVP_MAX_MD_SIZE];
	const uint8_t *want = c->hash;
	unsigned int n = 0;

	if (md == NULL)
		return fail(v, EID_EMALFORMED, "no single message-digest attribute");
	if (c->data != NULL) {
		if (EVP_Digest(c->data, c->len, h, &n,
			       EVP_get_digestbynid(v->di->nid), NULL) != 1)
			return fail(v, EID_ECRYPTO, "cannot hash the content");
		want = h;
	} else if (c->digest != v->di->d || c->hash_len != v->di->len) {
		return fail(v, EID_EMISMATCH, "the signature is over a %s hash",
			    v->di->name);
	}
	if ((size_t)ASN1_STRING_length(md) != v->di->len ||
	    memcmp(ASN1_STRING_get0_data(md), want, v->di->len) != 0)
		return fail(v, EID_EMISMATCH, "the content does not match the signature");
	return EID_OK;
}

static int v_time(struct vstate *v, uint64_t now)
{
	ASN1_TIME *t = signed_attr(v, NID_pkcs9_signingTime, V_ASN1_UTCTIME);

	if (t == NULL)
		t = signed_attr(v, NID_pkcs9_signingTime, V_ASN1_GENERALIZEDTIME);
	ERR_clear_error();
	if (t == NULL || eid_x509_time(t, &v->rep.signing_time) != EID_OK)
		return fail(v, EID_EMALFORMED, "no single signing-time attribute");
	if (v->rep.signing_time > now + EID_CMS_CLOCK_SKEW)
		return fail(v, EID_EVERIFY, "signing time is in the future");
	return EID_OK;
}

static int v_ess(struct vstate *v)
{
	ASN1_STRING *seq = signed_attr(v, NID_id_smime_aa_signingCertificateV2,
				       V_ASN1_SEQUENCE);
	ESS_SIGNING_CERT_V2 *sc = NULL;
	const unsigned char *p;
	STACK_OF(X509) *chain = NULL;
	int r = EID_EVERIFY;

	if (seq == NULL)
		return fail(v, EID_EMALFORMED, "no signing-certificate-v2 attribute");
	p = ASN1_STRING_get0_data(seq);
	sc = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(seq));
	if (sc == NULL || p != ASN1_STRING_get0_data(seq) + ASN1_STRING_length(seq)) {
		r = fail(v, EID_EMALFORMED, "bad signing-certificate-v2 attribute");
		goto out;
	}
	if ((chain = sk_X509_new_null()) == NULL || sk_X509_push(chain, v->signer) <= 0) {
		r = EID_ENOMEM;
		goto out;
	}
	if (OSSL_ESS_check_signing_certs(NULL, sc, chain, 1) != 1) {
		r = fail(v, EID_EVERIFY, "signing-certificate-v2 names another certificate");
		goto out;
	}
	r = EID_OK;
out:
	sk_X509_free(chain);
	ESS_SIGNING_CERT_V2_free(sc);
	return r;
}

/* The signer's certificate chains to ca's at the signing time. */
static int v_chain(struct vstate *v, const eid_ca *ca)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int r = EID_ENOMEM;

	if (st == NULL || ctx == NULL ||
	    X509_STORE_add_cert(st, eid_ca_cert(ca)) != 1 ||
	    X509_STORE_CTX_init(ctx, st, v->signer, v->certs) != 1)
		goto out;
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(vp, (time_t)v->rep.signing_time);
	/* An imported CA under a national root is still our anchor. */
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) != 1) {
		r = fail(v, EID_EVERIFY, "certificate: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	r = EID_OK;
	if (!(X509_get_key_usage(v->signer) & KU_NON_REPUDIATION))
		r = fail(v, EID_EVERIFY, "certificate is not for signatures");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return r;
}

static int v_status(struct vstate *v, eid_store *s)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(v->signer);
	struct eid_cert_status st;
	uint8_t serial[20];
	size_t n;
	int r;

	if (eid_x509_serial_bytes(sn, serial, &n) != EID_OK ||
	    eid_x509_serial_hex(sn, v->rep.serial) != EID_OK)
		return fail(v, EID_EVERIFY, "bad certificate serial");
	r = eid_ca_cert_status(s, serial, n, &st);
	if (r == EID_ENOTFOUND)
		return fail(v, EID_EVERIFY, "certificate %s is not in the CA's records",
			    v->rep.serial);
	if (r != EID_OK)
		return r;
	if (st.revoked && st.revoked_at <= v->rep.signing_time)
		return fail(v, EID_EVERIFY, "certificate %s was revoked (%s) before signing",
			    v->rep.serial, eid_crl_reason_name(st.reason));
	v->rep.revoked = st.revoked;
	v->rep.revoked_at = st.revoked_at;
	v->rep.revocation_reason = st.reason;
	return EID_OK;
}

static int v_identity(struct vstate *v)
{
	X509_NAME *subj = X509_get_subject_name(v->signer);
	eid_buf issuer;
	int r;

	if (eid_x509_name_attr(subj, NID_commonName, v->rep.signer_name,
			       sizeof(v->rep.signer_name)) != EID_OK ||
	    eid_x509_name_attr(subj, NID_serialNumber, v->rep.personal_id,
			       sizeof(v->rep.personal_id)) != EID_OK)
		return fail(v, EID_EVERIFY, "the certificate names no citizen");
	eid_buf_init(&issuer, EID_X509_DN_MAX);
	r = eid_x509_name_text(X509_get_issuer_name(v->signer), &issuer);
	if (r == EID_OK && eid_buf_cstr(&issuer) != NULL)
		snprintf(v->rep.issuer, sizeof(v->rep.issuer), "%s",
			 eid_buf_cstr(&issuer));
	eid_buf_free(&issuer);
	return r;
}

int eid_cms_verify(eid_store *s, const eid_ca *ca, const uint8_t *sig,
		   size_t len, const struct eid_cms_content *content,
		   uint64_t now, struct eid_cms_report *ret_report,
		   eid_buf *why)
{
	struct vstate v = { .why = why };
	int r;

	if (s == NULL || ca == NULL || sig == NULL || content == NULL ||
	    ret_report == NULL || (content->data == NULL && content->hash == NULL))
		return EID_EINVAL;
	if ((r = v_parse(&v, sig, len)) != EID_OK ||
	    (r = v_signer(&v)) != EID_OK ||
	    (r = v_digest(&v, content)) != EID_OK ||
	    (r = v_time(&v, now)) != EID_OK ||
	    (r = v_ess(&v)) != EID_OK ||
	    (r = v_chain(&v, ca)) != EID_OK ||
	    (r = v_status(&v, s)) != EID_OK ||
	    (r = v_identity(&v)) != EID_OK)
		goto out;
	*ret_report = v.rep;
out:
	ERR_clear_error();
	sk_X509_pop_free(v.certs, X509_free);
	CMS_ContentInfo_free(v.cms);
	return r;
}

int eid_cms_signer_cert(const uint8_t *sig, size_t len, eid_buf *out)
{
	struct vstate v = { 0 };
	unsigned char *der = NULL;
	int n, r;

	if (sig == NULL || out == NULL)
		return EID_EINVAL;
	if ((r = v_parse(&v, sig, len)) != EID_OK ||
	    (r = v_signer(&v)) != EID_OK)
		goto out;
	r = EID_ECRYPTO;
	if ((n = i2d_X509(v.signer, &der)) > 0)
		r = eid_buf_put(out, der, (size_t)n);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	sk_X509_pop_free(v.certs, X509_free);
	CMS_ContentInfo_free(v.cms);
	return r;
}

static void rfc3339(uint64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "-");
}

int eid_cms_report_json(const struct eid_cms_report *r, json_t **ret)
{
	char st[32], rt[32];
	json_t *o;

	if (r == NULL || ret == NULL)
		return EID_EINVAL;
	rfc3339(r->signing_time, st);
	o = json_pack("{s:b, s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:I, s:s, s:b}",
		      "valid", 1, "signer", "name", r->signer_name,
		      "personal_id", r->personal_id, "certificate", "serial",
		      r->serial, "issuer", r->issuer, "digest",
		      eid_digest_name(r->digest), "signing_time",
		      (json_int_t)r->signing_time, "signing_time_text", st,
		      "revoked", r->revoked);
	if (o != NULL && r->revoked) {
		rfc3339(r->revoked_at, rt);
		if (json_object_set_new(o, "revoked_at",
					json_integer((json_int_t)r->revoked_at)) != 0 ||
		    json_object_set_new(o, "revoked_at_text", json_string(rt)) != 0 ||
		    json_object_set_new(o, "revocation_reason",
					json_string(eid_crl_reason_name(
						r->revocation_reason))) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	if (o == NULL)
		return EID_ENOMEM;
	*ret = o;
	return EID_OK;
}
