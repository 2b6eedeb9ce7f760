#define _GNU_SOURCE /* timegm */
#include "crypto/x509.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/error.h"
#include "crypto/secret.h"

#define URL_MAX 400

/* ---- CRL reasons ---- */

static const struct {
	enum eid_crl_reason reason;
	const char *name;
} reasons[] = {
	{ EID_CRL_UNSPECIFIED, "unspecified" },
	{ EID_CRL_KEY_COMPROMISE, "keyCompromise" },
	{ EID_CRL_CA_COMPROMISE, "cACompromise" },
	{ EID_CRL_AFFILIATION_CHANGED, "affiliationChanged" },
	{ EID_CRL_SUPERSEDED, "superseded" },
	{ EID_CRL_CESSATION_OF_OPERATION, "cessationOfOperation" },
	{ EID_CRL_CERTIFICATE_HOLD, "certificateHold" },
	{ EID_CRL_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn" },
	{ EID_CRL_AA_COMPROMISE, "aACompromise" },
};

const char *eid_crl_reason_name(enum eid_crl_reason r)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].reason == r)
			return reasons[i].name;
	return NULL;
}

int eid_crl_reason_from_name(const char *name, enum eid_crl_reason *ret)
{
	for (size_t i = 0; name && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i].name, name) == 0) {
			*ret = reasons[i].reason;
			return EID_OK;
		}
	return EID_EINVAL;
}

/* ---- names ---- */

static void trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* One "TYPE=VALUE" piece [s, e) added to name. */
static int name_add_piece(X509_NAME *name, const char *s, const char *e)
{
	char type[64], value[EID_X509_DN_MAX + 1];
	const char *eq = memchr(s, '=', (size_t)(e - s));
	const char *ts = s, *te = eq, *vs, *ve = e;

	if (eq == NULL)
		return EID_EMALFORMED;
	vs = eq + 1;
	trim(&ts, &te);
	trim(&vs, &ve);
	if (te == ts || ve == vs || (size_t)(te - ts) >= sizeof(type) ||
	    memchr(vs, '=', (size_t)(ve - vs)) != NULL ||
	    memchr(vs, '\\', (size_t)(ve - vs)) != NULL)
		return EID_EMALFORMED;
	memcpy(type, ts, (size_t)(te - ts));
	type[te - ts] = '\0';
	memcpy(value, vs, (size_t)(ve - vs));
	value[ve - vs] = '\0';
	if (OBJ_txt2nid(type) == NID_undef ||
	    X509_NAME_add_entry_by_txt(name, type, MBSTRING_UTF8,
				       (const unsigned char *)value, -1, -1,
				       0) != 1) {
		ERR_clear_error();
		return EID_EMALFORMED;
	}
	return EID_OK;
}

int eid_x509_name_parse(const char *dn, X509_NAME **ret_name)
{
	X509_NAME *name = NULL;
	const char *p, *end;
	int r = EID_EINVAL;

	if (dn == NULL || ret_name == NULL)
		return EID_EINVAL;
	if (strlen(dn) > EID_X509_DN_MAX)
		return EID_ETOOBIG;
	if ((name = X509_NAME_new()) == NULL)
		return EID_ENOMEM;
	end = dn + strlen(dn);
	for (p = dn; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		if ((r = name_add_piece(name, p, stop)) != EID_OK)
			goto out;
		p = stop + 1;
	}
	*ret_name = name;
	name = NULL;
	r = EID_OK;
out:
	X509_NAME_free(name);
	return r;
}

int eid_x509_name_attr(const X509_NAME *name, int nid, char *out, size_t len)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	int n, r = EID_EMALFORMED;

	if (i < 0)
		return EID_ENOTFOUND;
	n = ASN1_STRING_to_UTF8(&utf8,
				X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0) {
		ERR_clear_error();
		return EID_EMALFORMED;
	}
	if (memchr(utf8, '\0', (size_t)n) != NULL)
		goto out;
	r = EID_ETOOBIG;
	if ((size_t)n >= len)
		goto out;
	memcpy(out, utf8, (size_t)n);
	out[n] = '\0';
	r = EID_OK;
out:
	OPENSSL_free(utf8);
	return r;
}

int eid_x509_name_text(const X509_NAME *name, eid_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	int r = EID_ENOMEM;

	if (bio == NULL)
		return EID_ENOMEM;
	if (X509_NAME_print_ex(bio, name, 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB &
				       ~XN_FLAG_DN_REV) < 0)
		goto out;
	/* RFC 2253 separates with "," alone; ", " reads better. */
	n = BIO_get_mem_data(bio, &p);
	for (long i = 0; i < n; i++) {
		if ((r = eid_buf_put_u8(out, (uint8_t)p[i])) != EID_OK)
			goto out;
		if (p[i] == ',' && (i == 0 || p[i - 1] != '\\') &&
		    (r = eid_buf_put_u8(out, ' ')) != EID_OK)
			goto out;
	}
	r = EID_OK;
out:
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

/* ---- building certificates ---- */

static int random_serial(X509 *x)
{
	uint8_t b[EID_X509_SERIAL_LEN];
	BIGNUM *bn = NULL;
	int r = EID_ECRYPTO;

	if (eid_random_bytes(b, sizeof(b)) != EID_OK)
		return EID_ECRYPTO;
	b[0] = (uint8_t)((b[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		r = EID_OK;
	BN_free(bn);
	return r;
}

static int set_validity(X509 *x, uint64_t not_before, uint64_t not_after)
{
	if (not_after <= not_before || not_after > (uint64_t)INT64_MAX)
		return EID_EINVAL;
	if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) == NULL)
		return EID_ECRYPTO;
	return EID_OK;
}

/* One extension from OpenSSL's configuration syntax; value is always a
 * constant of ours, never outside text. */
static int add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	return ok ? EID_OK : EID_ECRYPTO;
}

/* Basic constraints and key usage (given), subject and authority key
 * identifiers: what every certificate of ours carries. */
static int add_basic_exts(X509 *x, X509 *issuer, const char *bc,
			  const char *ku)
{
	X509V3_CTX ctx;
	int r;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((r = add_conf_ext(x, &ctx, NID_basic_constraints, bc)) != EID_OK ||
	    (r = add_conf_ext(x, &ctx, NID_key_usage, ku)) != EID_OK ||
	    (r = add_conf_ext(x, &ctx, NID_subject_key_identifier,
			      "hash")) != EID_OK)
		return r;
	return add_conf_ext(x, &ctx, NID_authority_key_identifier,
			    "keyid:always");
}

static int sign_cert(X509 *x, EVP_PKEY *key)
{
	return X509_sign(x, key, EVP_sha256()) > 0 ? EID_OK : EID_ECRYPTO;
}

/* The fields every certificate of ours shares: version 3, a random serial,
 * the validity, the public key. */
static int cert_start(EVP_PKEY *pub, uint64_t not_before, uint64_t not_after,
		      X509 **ret_x)
{
	X509 *x = X509_new();
	int r = EID_ENOMEM;

	if (x == NULL)
		return EID_ENOMEM;
	r = EID_ECRYPTO;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_pubkey(x, pub) != 1)
		goto out;
	if ((r = random_serial(x)) != EID_OK ||
	    (r = set_validity(x, not_before, not_after)) != EID_OK)
		goto out;
	*ret_x = x;
	x = NULL;
out:
	X509_free(x);
	return r;
}

int eid_x509_ca_new(EVP_PKEY *key, const char *subject_dn,
		    uint64_t not_before, uint64_t not_after, X509 **ret_cert)
{
	X509_NAME *name = NULL;
	X509 *x = NULL;
	int r;

	if (key == NULL || subject_dn == NULL || ret_cert == NULL)
		return EID_EINVAL;
	if ((r = eid_x509_name_parse(subject_dn, &name)) != EID_OK ||
	    (r = cert_start(key, not_before, not_after, &x)) != EID_OK)
		goto out;
	r = EID_ECRYPTO;
	if (X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto out;
	if ((r = add_basic_exts(x, x, "critical,CA:TRUE,pathlen:0",
				"critical,keyCertSign,cRLSign")) != EID_OK ||
	    (r = sign_cert(x, key)) != EID_OK)
		goto out;
	*ret_cert = x;
	x = NULL;
out:
	ERR_clear_error();
	X509_NAME_free(name);
	X509_free(x);
	return r;
}

static bool url_ok(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > URL_MAX ||
	    (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (u[i] <= ' ' || u[i] > '~')
			return false;
	return true;
}

/* BASE + suffix as a URI GeneralName (BASE without a trailing '/'). */
static GENERAL_NAME *uri_name(const char *base, const char *suffix)
{
	char uri[URL_MAX + 32];
	size_t blen = strlen(base);
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	snprintf(uri, sizeof(uri), "%.*s%s", (int)blen, base, suffix);
	if (gn == NULL || s == NULL || ASN1_STRING_set(s, uri, -1) != 1) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(s);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, s);
	return gn;
}

static int add_crl_dp(X509 *x, const char *base)
{
	CRL_DIST_POINTS *cdp = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	GENERAL_NAME *gn = uri_name(base, "/ca/crl");
	int r = EID_ENOMEM;

	if (cdp == NULL || dp == NULL || gn == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL)
		goto out;
	dp->distpoint->type = 0; /* fullName */
	if (sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn) <= 0)
		goto out;
	gn = NULL;
	if (sk_DIST_POINT_push(cdp, dp) <= 0)
		goto out;
	dp = NULL;
	r = X509_add1_ext_i2d(x, NID_crl_distribution_points, cdp, 0,
			      X509V3_ADD_DEFAULT) == 1 ? EID_OK : EID_ECRYPTO;
out:
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(cdp);
	return r;
}

static int add_aia_ocsp(X509 *x, const char *base)
{
	AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
	ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
	GENERAL_NAME *gn = uri_name(base, "/ca/ocsp");
	int r = EID_ENOMEM;

	if (aia == NULL || ad == NULL || gn == NULL)
		goto out;
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(NID_ad_OCSP);
	GENERAL_NAME_free(ad->location);
	ad->location = gn;
	gn = NULL;
	if (sk_ACCESS_DESCRIPTION_push(aia, ad) <= 0)
		goto out;
	ad = NULL;
	r = X509_add1_ext_i2d(x, NID_info_access, aia, 0,
			      X509V3_ADD_DEFAULT) == 1 ? EID_OK : EID_ECRYPTO;
out:
	GENERAL_NAME_free(gn);
	ACCESS_DESCRIPTION_free(ad);
	AUTHORITY_INFO_ACCESS_free(aia);
	return r;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* C=VN, CN=<name> (UTF8String), serialNumber=<id> (PrintableString). */
static int citizen_name(const struct eid_x509_citizen *c, X509_NAME **ret)
{
	X509_NAME *name = NULL;
	ASN1_STRING *check = NULL;
	size_t idlen = strlen(c->personal_id);
	int r = EID_EINVAL;

	if (idlen != 12 || strspn(c->personal_id, "0123456789") != 12)
		return EID_EINVAL;
	if (c->full_name[0] == '\0')
		return EID_EINVAL;
	/* Valid UTF-8 only: the string is stored as given below. */
	if (ASN1_mbstring_copy(&check, (const unsigned char *)c->full_name, -1,
			       MBSTRING_UTF8, B_ASN1_UTF8STRING) < 0) {
		ERR_clear_error();
		return EID_EMALFORMED;
	}
	ASN1_STRING_free(check);
	if (utf8_chars(c->full_name) > EID_X509_CN_MAX_CHARS)
		return EID_ETOOBIG;
	r = EID_ENOMEM;
	if ((name = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_NID(name, NID_countryName,
				       V_ASN1_PRINTABLESTRING,
				       (const unsigned char *)"VN", 2, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
				       (const unsigned char *)c->full_name, -1,
				       -1, 0) != 1 ||
	    X509_NAME_add_entry_by_NID(name, NID_serialNumber,
				       V_ASN1_PRINTABLESTRING,
				       (const unsigned char *)c->personal_id,
				       12, -1, 0) != 1)
		goto out;
	*ret = name;
	name = NULL;
	r = EID_OK;
out:
	X509_NAME_free(name);
	return r;
}

static int citizen_exts(X509 *x, X509 *ca, const char *base)
{
	int r;

	if ((r = add_basic_exts(x, ca, "critical,CA:FALSE",
				"critical,digitalSignature,nonRepudiation")) != EID_OK ||
	    (r = add_crl_dp(x, base)) != EID_OK)
		return r;
	return add_aia_ocsp(x, base);
}

int eid_x509_citizen_new(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *pub,
			 const struct eid_x509_citizen *c, X509 **ret_cert)
{
	X509_NAME *name = NULL;
	uint64_t ca_nb, ca_na, not_after;
	X509 *x = NULL;
	int r;

	if (ca == NULL || ca_key == NULL || pub == NULL || c == NULL ||
	    c->personal_id == NULL || c->full_name == NULL ||
	    c->base_url == NULL || ret_cert == NULL || !url_ok(c->base_url))
		return EID_EINVAL;
	if ((r = eid_x509_validity(ca, &ca_nb, &ca_na)) != EID_OK)
		return r;
	not_after = c->not_after < ca_na ? c->not_after : ca_na;
	if (c->not_before < ca_nb || not_after <= c->not_before)
		return EID_EINVAL;
	if ((r = citizen_name(c, &name)) != EID_OK ||
	    (r = cert_start(pub, c->not_before, not_after, &x)) != EID_OK)
		goto out;
	r = EID_ECRYPTO;
	if (X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1)
		goto out;
	if ((r = citizen_exts(x, ca, c->base_url)) != EID_OK ||
	    (r = sign_cert(x, ca_key)) != EID_OK)
		goto out;
	*ret_cert = x;
	x = NULL;
out:
	ERR_clear_error();
	X509_NAME_free(name);
	X509_free(x);
	return r;
}

/* ---- CRLs ---- */

static int crl_add_entry(X509_CRL *crl, const struct eid_x509_revoked *e)
{
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *reason = NULL;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	int r = EID_ECRYPTO;

	if (rv == NULL || e->serial_len == 0 || e->serial_len > 20 ||
	    e->revoked_at > (uint64_t)INT64_MAX)
		goto out;
	if ((bn = BN_bin2bn(e->serial, (int)e->serial_len, NULL)) == NULL ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (t = ASN1_TIME_set(NULL, (time_t)e->revoked_at)) == NULL ||
	    X509_REVOKED_set_serialNumber(rv, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(rv, t) != 1)
		goto out;
	/* RFC 5280 5.3.1: unspecified is said by leaving the reason out. */
	if (e->reason != EID_CRL_UNSPECIFIED &&
	    ((reason = ASN1_ENUMERATED_new()) == NULL ||
	     ASN1_ENUMERATED_set(reason, (long)e->reason) != 1 ||
	     X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, reason, 0, 0) != 1))
		goto out;
	if (X509_CRL_add0_revoked(crl, rv) != 1)
		goto out;
	rv = NULL;
	r = EID_OK;
out:
	X509_REVOKED_free(rv);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(reason);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return r;
}

static int crl_header(X509_CRL *crl, X509 *ca, uint64_t crl_number,
		      uint64_t this_update, uint64_t next_update)
{
	ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)this_update);
	ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)next_update);
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509_EXTENSION *aki = NULL;
	X509V3_CTX ctx;
	int r = EID_ECRYPTO;

	if (tu == NULL || nu == NULL || num == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, tu) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, nu) != 1 ||
	    ASN1_INTEGER_set_uint64(num, crl_number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
				  "keyid:always");
	if (aki == NULL || X509_CRL_add_ext(crl, aki, -1) != 1)
		goto out;
	r = EID_OK;
out:
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	return r;
}

int eid_x509_crl_new(X509 *ca, EVP_PKEY *ca_key,
		     const struct eid_x509_revoked *list, size_t n,
		     uint64_t crl_number, uint64_t this_update,
		     uint64_t next_update, X509_CRL **ret_crl)
{
	X509_CRL *crl = NULL;
	int r = EID_EINVAL;

	if (ca == NULL || ca_key == NULL || (list == NULL && n > 0) ||
	    ret_crl == NULL || next_update <= this_update ||
	    next_update > (uint64_t)INT64_MAX)
		return EID_EINVAL;
	if ((crl = X509_CRL_new()) == NULL)
		return EID_ENOMEM;
	if ((r = crl_header(crl, ca, crl_number, this_update, next_update)) != EID_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((r = crl_add_entry(crl, &list[i])) != EID_OK)
			goto out;
	r = EID_ECRYPTO;
	if (X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, ca_key, EVP_sha256()) <= 0)
		goto out;
	*ret_crl = crl;
	crl = NULL;
	r = EID_OK;
out:
	ERR_clear_error();
	X509_CRL_free(crl);
	return r;
}

/* ---- encodings ---- */

/* i2d output of length n at der (freed here) appended to out. */
static int put_der(int n, unsigned char *der, eid_buf *out)
{
	int r = n > 0 ? eid_buf_put(out, der, (size_t)n) : EID_ECRYPTO;

	OPENSSL_free(der);
	ERR_clear_error();
	return r;
}

int eid_x509_der(X509 *cert, eid_buf *out)
{
	unsigned char *der = NULL;
	int n;

	if (cert == NULL || out == NULL)
		return EID_EINVAL;
	n = i2d_X509(cert, &der);
	return put_der(n, der, out);
}

int eid_x509_crl_der(X509_CRL *crl, eid_buf *out)
{
	unsigned char *der = NULL;
	int n;

	if (crl == NULL || out == NULL)
		return EID_EINVAL;
	n = i2d_X509_CRL(crl, &der);
	return put_der(n, der, out);
}

int eid_x509_pem_encode(const char *label, const uint8_t *der, size_t n,
			eid_buf *out)
{
	BIO *bio;
	char *p = NULL;
	long len;
	int r = EID_ECRYPTO;

	if (label == NULL || der == NULL || out == NULL || n > INT32_MAX)
		return EID_EINVAL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return EID_ENOMEM;
	if (PEM_write_bio(bio, label, "", der, (long)n) > 0 &&
	    (len = BIO_get_mem_data(bio, &p)) > 0)
		r = eid_buf_put(out, p, (size_t)len);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int eid_x509_pem(X509 *cert, eid_buf *out)
{
	eid_buf der;
	int r;

	eid_buf_init(&der, EID_X509_MAX);
	r = eid_x509_der(cert, &der);
	if (r == EID_OK)
		r = eid_x509_pem_encode("CERTIFICATE", der.data, der.len, out);
	eid_buf_free(&der);
	return r;
}

int eid_x509_from_der(const uint8_t *p, size_t n, X509 **ret_cert)
{
	const unsigned char *q = p;
	X509 *x;

	if (p == NULL || ret_cert == NULL)
		return EID_EINVAL;
	if (n == 0 || n > EID_X509_MAX)
		return EID_EMALFORMED;
	x = d2i_X509(NULL, &q, (long)n);
	ERR_clear_error();
	if (x == NULL || q != p + n) {
		X509_free(x);
		return EID_EMALFORMED;
	}
	*ret_cert = x;
	return EID_OK;
}

/* Refuses to prompt: an encrypted key is EID_EMALFORMED here. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* The first PEM object of its kind in pem[n]: a certificate or, when key,
 * an unencrypted private key. */
static int pem_read(const char *pem, size_t n, bool key, void **ret)
{
	BIO *bio;
	void *obj;

	if (pem == NULL || ret == NULL)
		return EID_EINVAL;
	if (n > EID_X509_MAX)
		return EID_ETOOBIG;
	if ((bio = BIO_new_mem_buf(pem, (int)n)) == NULL)
		return EID_ENOMEM;
	obj = key ? (void *)PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) :
		    (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (obj == NULL)
		return EID_EMALFORMED;
	*ret = obj;
	return EID_OK;
}

int eid_x509_from_pem(const char *pem, size_t n, X509 **ret_cert)
{
	return pem_read(pem, n, false, (void **)ret_cert);
}

int eid_x509_key_from_pem(const char *pem, size_t n, EVP_PKEY **ret_key)
{
	return pem_read(pem, n, true, (void **)ret_key);
}

int eid_x509_serial_bytes(const ASN1_INTEGER *serial, uint8_t ret[20],
			  size_t *ret_len)
{
	BIGNUM *bn;
	int n, r = EID_EMALFORMED;

	if (serial == NULL || ret == NULL || ret_len == NULL)
		return EID_EINVAL;
	if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL) {
		ERR_clear_error();
		return EID_EMALFORMED;
	}
	n = BN_num_bytes(bn);
	if (!BN_is_negative(bn) && !BN_is_zero(bn) && n > 0 && n <= 20 &&
	    BN_bn2bin(bn, ret) == n) {
		*ret_len = (size_t)n;
		r = EID_OK;
	}
	BN_free(bn);
	return r;
}

int eid_x509_serial_hex(const ASN1_INTEGER *serial,
			char ret_hex[EID_X509_SERIAL_HEX_MAX])
{
	uint8_t b[20];
	size_t n;
	int r;

	if (ret_hex == NULL)
		return EID_EINVAL;
	if ((r = eid_x509_serial_bytes(serial, b, &n)) != EID_OK)
		return r;
	eid_hex_encode(b, n, ret_hex);
	return EID_OK;
}

int eid_x509_fingerprint(X509 *cert, uint8_t ret[32])
{
	unsigned int n = 0;

	if (cert == NULL || ret == NULL)
		return EID_EINVAL;
	if (X509_digest(cert, EVP_sha256(), ret, &n) != 1 || n != 32) {
		ERR_clear_error();
		return EID_ECRYPTO;
	}
	return EID_OK;
}

int eid_x509_time(const ASN1_TIME *t, uint64_t *ret)
{
	struct tm tm;
	time_t v;

	if (t == NULL || ret == NULL)
		return EID_EINVAL;
	if (ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return EID_EMALFORMED;
	}
	v = timegm(&tm);
	if (v < 0)
		return EID_EMALFORMED;
	*ret = (uint64_t)v;
	return EID_OK;
}

int eid_x509_validity(const X509 *cert, uint64_t *ret_not_before,
		      uint64_t *ret_not_after)
{
	uint64_t nb, na;
	int r;

	if (cert == NULL || ret_not_before == NULL || ret_not_after == NULL)
		return EID_EINVAL;
	if ((r = eid_x509_time(X509_get0_notBefore(cert), &nb)) != EID_OK ||
	    (r = eid_x509_time(X509_get0_notAfter(cert), &na)) != EID_OK)
		return r;
	*ret_not_before = nb;
	*ret_not_after = na;
	return EID_OK;
}
