#define _GNU_SOURCE /* timegm */
#include "idp/ca.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/pkcs11.h"
#include "crypto/secret.h"
#include "idp/audit.h"

#define RECORD_MAX (64u * 1024)
#define DAY 86400u
#define VN_UTC_OFFSET (7 * 3600)
#define REVOKED_MAX 1000000u /* entries in one CRL */

static const char ca_key[] = "ca";
static const char crl_number_key[] = "crl_number";

struct eid_ca {
	X509 *cert;
	eid_key *key; /* NULL: public only */
	bool key_in_token; /* the record is a PKCS#11 token reference */
	char *issuer_url;
	/* Set by eid_ca_load_remote: citizens' keys are made, sealed and
	 * opened in this signer process, never here. */
	eid_sigproc *sp;
};

struct eid_citizen_cert {
	X509 *cert;
	eid_key *key;
	char serial[EID_X509_SERIAL_HEX_MAX];
	bool created;
};

/* ---- JSON records ---- */

static int record_get(eid_txn *t, enum eid_table tb, const char *key,
		      json_t **ret)
{
	eid_buf v;
	json_t *o;
	int r;

	eid_buf_init(&v, RECORD_MAX);
	r = eid_txn_get(t, tb, key, strlen(key), &v);
	if (r == EID_OK) {
		o = json_loadb((const char *)v.data, v.len,
			       JSON_REJECT_DUPLICATES, NULL);
		if (o == NULL || !json_is_object(o)) {
			json_decref(o);
			r = EID_EMALFORMED;
		} else {
			*ret = o;
		}
	}
	eid_buf_free(&v);
	return r;
}

/* Steals o. */
static int record_put(eid_txn *t, enum eid_table tb, const char *key,
		      json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int r = EID_ENOMEM;

	if (s != NULL)
		r = eid_txn_put(t, tb, key, strlen(key), s, strlen(s));
	free(s);
	json_decref(o);
	return r;
}

/* A base64url member of o decoded into out. */
static int member_b64(const json_t *o, const char *name, eid_buf *out)
{
	const json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		return EID_EMALFORMED;
	return eid_b64url_decode(json_string_value(v), json_string_length(v),
				 out);
}

/* Sets o[name] to the base64url text of p[n]. */
static int set_b64(json_t *o, const char *name, const uint8_t *p, size_t n)
{
	eid_buf b;
	int r;

	eid_buf_init(&b, RECORD_MAX);
	r = eid_b64url_encode(p, n, &b);
	if (r == EID_OK &&
	    json_object_set_new(o, name, json_stringn((const char *)b.data,
						      b.len)) != 0)
		r = EID_ENOMEM;
	eid_buf_free(&b);
	return r;
}

static uint64_t member_u64(const json_t *o, const char *name)
{
	json_int_t v = json_integer_value(json_object_get(o, name));

	return v > 0 ? (uint64_t)v : 0;
}

/* A certificate stored base64url in o[name]. */
static int member_cert(const json_t *o, const char *name, X509 **ret)
{
	eid_buf der;
	int r;

	eid_buf_init(&der, EID_X509_MAX);
	r = member_b64(o, name, &der);
	if (r == EID_OK)
		r = eid_x509_from_der(der.data, der.len, ret);
	eid_buf_free(&der);
	return r;
}

static int set_cert(json_t *o, const char *name, X509 *x)
{
	eid_buf der;
	int r;

	eid_buf_init(&der, EID_X509_MAX);
	r = eid_x509_der(x, &der);
	if (r == EID_OK)
		r = set_b64(o, name, der.data, der.len);
	eid_buf_free(&der);
	return r;
}

static int set_sealed(json_t *o, const eid_key *key, const uint8_t kek[32])
{
	eid_buf sealed;
	int r;

	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	r = eid_key_seal(key, kek, &sealed);
	if (r == EID_OK)
		r = set_b64(o, "sealed", sealed.data, sealed.len);
	eid_buf_free(&sealed);
	return r;
}

/* The key in o["sealed"]: unsealed (by the signer process when sp is
 * set), or loaded from p11 when the record is a token reference
 * (*ret_in_token says which; ret may be NULL to learn only that). */
static int member_open(const json_t *o, const uint8_t kek[32],
		       eid_pkcs11 *p11, eid_sigproc *sp, eid_key **ret,
		       bool *ret_in_token)
{
	eid_buf sealed;
	int r;

	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	r = member_b64(o, "sealed", &sealed);
	if (r == EID_OK)
		*ret_in_token = eid_key_blob_in_token(sealed.data, sealed.len);
	if (r == EID_OK && ret != NULL && sp != NULL && !*ret_in_token)
		r = eid_sigproc_load(sp, sealed.data, sealed.len, ret);
	else if (r == EID_OK && ret != NULL)
		r = eid_key_open(sealed.data, sealed.len, kek, p11, ret);
	eid_buf_free(&sealed);
	return r;
}

static int member_unseal(const json_t *o, const uint8_t kek[32],
			 eid_pkcs11 *p11, eid_key **ret, bool *ret_in_token)
{
	return member_open(o, kek, p11, NULL, ret, ret_in_token);
}

/* A citizen's key from its record: in the signer process sp when set,
 * among its short-lived keys; else unsealed here with kek.  Citizens'
 * keys are always sealed: no token here. */
static int citizen_key_open(const json_t *o, const uint8_t kek[32],
			    eid_sigproc *sp, eid_key **ret)
{
	eid_buf sealed;
	bool in_token;
	int r;

	if (sp == NULL)
		return member_unseal(o, kek, NULL, ret, &in_token);
	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	r = member_b64(o, "sealed", &sealed);
	if (r == EID_OK)
		r = eid_sigproc_load_short(sp, sealed.data, sealed.len, ret);
	eid_buf_free(&sealed);
	return r;
}

/* A new citizen's key (ECDSA P-256) and its sealed form: born and sealed
 * in the signer process sp when set, else here under kek. */
static int citizen_key_new(const uint8_t kek[32], eid_sigproc *sp,
			   eid_buf *sealed, eid_key **ret)
{
	eid_key *key = NULL;
	int r;

	if (sp != NULL)
		return eid_sigproc_generate(sp, EID_ALG_ES256, sealed, ret);
	if ((r = eid_key_generate(EID_ALG_ES256, &key)) != EID_OK)
		return r;
	if ((r = eid_key_seal(key, kek, sealed)) != EID_OK) {
		eid_key_free(key);
		return r;
	}
	*ret = key;
	return EID_OK;
}

static int audit(eid_txn *t, const char *type, const char *subject,
		 json_t *details, uint64_t now)
{
	struct eid_audit_event ev = { .type = type, .actor = "system",
				      .subject = subject, .details = details };
	int r = details ? eid_audit_append(t, &ev, now * 1000, NULL) :
			  EID_ENOMEM;

	json_decref(details);
	return r;
}

/* ---- the CA ---- */

void eid_ca_free(eid_ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	eid_key_free(ca->key);
	free(ca->issuer_url);
	free(ca);
}

X509 *eid_ca_cert(const eid_ca *ca)
{
	return ca ? ca->cert : NULL;
}

EVP_PKEY *eid_ca_pkey(const eid_ca *ca)
{
	return ca && ca->key ? eid_key_pkey(ca->key) : NULL;
}

const eid_key *eid_ca_key(const eid_ca *ca)
{
	return ca ? ca->key : NULL;
}

bool eid_ca_key_in_token(const eid_ca *ca)
{
	return ca != NULL && ca->key_in_token;
}

static int fingerprint_hex(X509 *x, char out[65])
{
	uint8_t fp[32];
	int r = eid_x509_fingerprint(x, fp);

	if (r == EID_OK)
		eid_hex_encode(fp, sizeof(fp), out);
	return r;
}

/* Store a new CA, refusing to replace one. */
static int ca_store(eid_store *s, const uint8_t kek[32], X509 *cert,
		    const eid_key *key, const char *event)
{
	eid_txn *t = NULL;
	json_t *o = json_pack("{s:i}", "v", 1), *old = NULL;
	char fp[65];
	int r;

	if (o == NULL)
		return EID_ENOMEM;
	if ((r = set_cert(o, "cert", cert)) != EID_OK ||
	    (r = set_sealed(o, key, kek)) != EID_OK ||
	    (r = fingerprint_hex(cert, fp)) != EID_OK ||
	    (r = eid_store_begin(s, true, &t)) != EID_OK)
		goto out;
	r = record_get(t, EID_TABLE_CA, ca_key, &old);
	if (r != EID_ENOTFOUND) {
		r = r == EID_OK ? EID_EEXIST : r;
		goto out;
	}
	r = record_put(t, EID_TABLE_CA, ca_key, o);
	o = NULL;
	if (r != EID_OK ||
	    (r = audit(t, event, "ca", json_pack("{s:s}", "sha256", fp),
		       eid_store_now(s))) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	eid_txn_abort(t);
	json_decref(old);
	json_decref(o);
	return r;
}

int eid_ca_init(eid_store *s, const uint8_t kek[32], eid_alg alg,
		const char *subject, unsigned validity_days)
{
	return eid_ca_init_pkcs11(s, kek, NULL, alg, subject, validity_days);
}

int eid_ca_init_pkcs11(eid_store *s, const uint8_t kek[32], eid_pkcs11 *p11,
		       eid_alg alg, const char *subject, unsigned validity_days)
{
	uint64_t now;
	eid_key *key = NULL;
	X509 *cert = NULL;
	int r;

	if (s == NULL || kek == NULL || subject == NULL ||
	    validity_days == 0 || validity_days > EID_CA_MAX_DAYS)
		return EID_EINVAL;
	if (alg != EID_ALG_ES256 && alg != EID_ALG_RS256)
		return EID_EUNSUPPORTED;
	now = eid_store_now(s);
	r = p11 != NULL ? eid_pkcs11_generate(p11, alg, &key) :
			  eid_key_generate(alg, &key);
	if (r != EID_OK)
		goto out;
	eid_key_lock(key);
	r = eid_x509_ca_new(eid_key_pkey(key), subject, now,
			    now + (uint64_t)validity_days * DAY, &cert);
	eid_key_unlock(key);
	if (r != EID_OK)
		goto out;
	r = ca_store(s, kek, cert, key, "ca.init");
out:
	X509_free(cert);
	eid_key_free(key);
	return r;
}

/* An imported certificate must be a CA that signs certificates and CRLs
 * and is valid now. */
static int check_ca_cert(X509 *cert, uint64_t now)
{
	uint32_t flags = X509_get_extension_flags(cert);
	uint64_t nb, na;
	int r;

	if (!(flags & EXFLAG_CA) ||
	    ((flags & EXFLAG_KUSAGE) &&
	     !(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN)))
		return EID_EINVAL;
	if ((r = eid_x509_validity(cert, &nb, &na)) != EID_OK)
		return r;
	return nb <= now && now < na ? EID_OK : EID_EINVAL;
}

int eid_ca_import(eid_store *s, const uint8_t kek[32], const char *cert_pem,
		  size_t cert_len, const char *key_pem, size_t key_len)
{
	EVP_PKEY *pkey = NULL;
	eid_key *key = NULL;
	X509 *cert = NULL;
	int r;

	if (s == NULL || kek == NULL || cert_pem == NULL || key_pem == NULL)
		return EID_EINVAL;
	if ((r = eid_x509_from_pem(cert_pem, cert_len, &cert)) != EID_OK ||
	    (r = eid_x509_key_from_pem(key_pem, key_len, &pkey)) != EID_OK ||
	    (r = check_ca_cert(cert, eid_store_now(s))) != EID_OK)
		goto out;
	r = EID_EMISMATCH;
	if (X509_check_private_key(cert, pkey) != 1)
		goto out;
	if ((r = eid_key_from_pkey(pkey, &key)) != EID_OK)
		goto out;
	r = ca_store(s, kek, cert, key, "ca.import");
out:
	ERR_clear_error();
	X509_free(cert);
	EVP_PKEY_free(pkey);
	eid_key_free(key);
	return r;
}

/* kek and sp NULL: certificate only. */
static int ca_read(eid_store *s, const uint8_t kek[32], eid_pkcs11 *p11,
		   eid_sigproc *sp, eid_ca *ca)
{
	eid_txn *t = NULL;
	json_t *o = NULL;
	int r;

	if ((r = eid_store_begin(s, false, &t)) != EID_OK ||
	    (r = record_get(t, EID_TABLE_CA, ca_key, &o)) != EID_OK ||
	    (r = member_cert(o, "cert", &ca->cert)) != EID_OK)
		goto out;
	if ((r = member_open(o, kek, p11, sp,
			     kek != NULL || sp != NULL ? &ca->key : NULL,
			     &ca->key_in_token)) != EID_OK)
		goto out;
	if (ca->key != NULL) {
		r = EID_EVERIFY;
		if (X509_check_private_key(ca->cert,
					   eid_key_pkey(ca->key)) != 1)
			goto out;
	}
	r = EID_OK;
out:
	ERR_clear_error();
	json_decref(o);
	eid_txn_abort(t);
	return r;
}

static int ca_open(eid_store *s, const uint8_t kek[32], eid_pkcs11 *p11,
		   eid_sigproc *sp, const char *url, eid_ca **ret_ca)
{
	eid_ca *ca;
	int r;

	if (s == NULL || ret_ca == NULL)
		return EID_EINVAL;
	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		return EID_ENOMEM;
	r = ca_read(s, kek, p11, sp, ca);
	if (r == EID_OK && url != NULL && (ca->issuer_url = strdup(url)) == NULL)
		r = EID_ENOMEM;
	ca->sp = sp;
	if (r != EID_OK) {
		eid_ca_free(ca);
		return r;
	}
	*ret_ca = ca;
	return EID_OK;
}

int eid_ca_load(eid_store *s, const uint8_t kek[32], const char *issuer_url,
		eid_ca **ret_ca)
{
	return eid_ca_load_pkcs11(s, kek, NULL, issuer_url, ret_ca);
}

int eid_ca_load_pkcs11(eid_store *s, const uint8_t kek[32], eid_pkcs11 *p11,
		       const char *issuer_url, eid_ca **ret_ca)
{
	if (kek == NULL)
		return EID_EINVAL;
	return ca_open(s, kek, p11, NULL, issuer_url, ret_ca);
}

int eid_ca_load_remote(eid_store *s, eid_sigproc *sp, eid_pkcs11 *p11,
		       const char *issuer_url, eid_ca **ret_ca)
{
	if (sp == NULL)
		return EID_EINVAL;
	return ca_open(s, NULL, p11, sp, issuer_url, ret_ca);
}

int eid_ca_load_public(eid_store *s, eid_ca **ret_ca)
{
	return ca_open(s, NULL, NULL, NULL, NULL, ret_ca);
}

/* ---- citizens' certificates ---- */

void eid_citizen_cert_free(eid_citizen_cert *cc)
{
	if (cc == NULL)
		return;
	X509_free(cc->cert);
	eid_key_free(cc->key);
	free(cc);
}

X509 *eid_citizen_cert_x509(const eid_citizen_cert *cc)
{
	return cc->cert;
}

EVP_PKEY *eid_citizen_cert_pkey(const eid_citizen_cert *cc)
{
	return eid_key_pkey(cc->key);
}

const char *eid_citizen_cert_serial(const eid_citizen_cert *cc)
{
	return cc->serial;
}

bool eid_citizen_cert_created(const eid_citizen_cert *cc)
{
	return cc->created;
}

static void key_name(char *out, size_t len, char kind, const char *id)
{
	snprintf(out, len, "%c:%s", kind, id);
}

/* The last second of the card's expiry day in Vietnam; 0 for none. */
static uint64_t card_end(const struct eid_citizen *c)
{
	struct tm tm = { 0 };
	time_t t;

	if (c->card_expires.year == 0)
		return 0;
	tm.tm_year = c->card_expires.year - 1900;
	tm.tm_mon = c->card_expires.month - 1;
	tm.tm_mday = c->card_expires.day;
	tm.tm_hour = 23;
	tm.tm_min = 59;
	tm.tm_sec = 59;
	t = timegm(&tm);
	return t > VN_UTC_OFFSET ? (uint64_t)t - VN_UTC_OFFSET : 0;
}

static int status_decode(const json_t *o, struct eid_cert_status *ret)
{
	const char *id = json_string_value(json_object_get(o, "personal_id"));
	const char *reason = json_string_value(json_object_get(o, "reason"));
	struct eid_cert_status st = { 0 };

	if (id == NULL || strlen(id) != EID_PERSONAL_ID_LEN)
		return EID_EMALFORMED;
	memcpy(st.personal_id, id, EID_PERSONAL_ID_LEN + 1);
	st.not_after = member_u64(o, "not_after");
	st.revoked_at = member_u64(o, "revoked_at");
	st.revoked = st.revoked_at != 0;
	if (st.revoked &&
	    eid_crl_reason_from_name(reason ? reason : "", &st.reason) != EID_OK)
		return EID_EMALFORMED;
	*ret = st;
	return EID_OK;
}

/* Mark serial's record revoked, and audit it (inside t). */
static int mark_revoked(eid_txn *t, const char *serial,
			const char *personal_id, enum eid_crl_reason reason,
			uint64_t now)
{
	char skey[EID_X509_SERIAL_HEX_MAX + 2], subject[EID_PERSONAL_ID_LEN + 9];
	json_t *o = NULL;
	int r;

	key_name(skey, sizeof(skey), 's', serial);
	if ((r = record_get(t, EID_TABLE_CERTS, skey, &o)) != EID_OK)
		return r;
	if (json_object_set_new(o, "revoked_at", json_integer((json_int_t)now)) != 0 ||
	    json_object_set_new(o, "reason",
				json_string(eid_crl_reason_name(reason))) != 0) {
		json_decref(o);
		return EID_ENOMEM;
	}
	if ((r = record_put(t, EID_TABLE_CERTS, skey, o)) != EID_OK)
		return r;
	snprintf(subject, sizeof(subject), "citizen:%s", personal_id);
	return audit(t, "sign.cert.revoke", subject,
		     json_pack("{s:s, s:s}", "serial", serial, "reason",
			       eid_crl_reason_name(reason)), now);
}

/* The citizen's current certificate when it can still sign: good, not
 * expired, and in the citizen's present name.  EID_ENOTFOUND when a new
 * one is needed (a good one in an old name is revoked as superseded). */
static int current_get(eid_txn *t, const uint8_t kek[32], eid_sigproc *sp,
		       const struct eid_citizen *c, uint64_t now,
		       eid_citizen_cert *cc)
{
	char ckey[EID_PERSONAL_ID_LEN + 3], skey[EID_X509_SERIAL_HEX_MAX + 2];
	char cn[EID_CITIZEN_NAME_MAX + 1];
	struct eid_cert_status st;
	json_t *cur = NULL, *rec = NULL;
	const char *serial;
	int r;

	key_name(ckey, sizeof(ckey), 'c', c->personal_id);
	if ((r = record_get(t, EID_TABLE_CERTS, ckey, &cur)) != EID_OK)
		goto out;
	r = EID_EMALFORMED;
	serial = json_string_value(json_object_get(cur, "serial"));
	if (serial == NULL || strlen(serial) >= EID_X509_SERIAL_HEX_MAX)
		goto out;
	key_name(skey, sizeof(skey), 's', serial);
	if ((r = record_get(t, EID_TABLE_CERTS, skey, &rec)) != EID_OK ||
	    (r = status_decode(rec, &st)) != EID_OK ||
	    (r = member_cert(rec, "cert", &cc->cert)) != EID_OK)
		goto out;
	r = EID_ENOTFOUND;
	if (st.revoked || st.not_after <= now)
		goto out;
	if (eid_x509_name_attr(X509_get_subject_name(cc->cert), NID_commonName,
			       cn, sizeof(cn)) != EID_OK ||
	    strcmp(cn, c->full_name) != 0) {
		if ((r = mark_revoked(t, serial, c->personal_id,
				      EID_CRL_SUPERSEDED, now)) == EID_OK)
			r = EID_ENOTFOUND;
		goto out;
	}
	if ((r = citizen_key_open(cur, kek, sp, &cc->key)) != EID_OK)
		goto out;
	memcpy(cc->serial, serial, strlen(serial) + 1);
	r = EID_OK;
out:
	if (r != EID_OK) {
		X509_free(cc->cert);
		cc->cert = NULL;
	}
	json_decref(cur);
	json_decref(rec);
	return r;
}

/* The validity of a new certificate; EID_EEXPIRED when nothing is left. */
static int new_validity(const eid_ca *ca, const struct eid_citizen *c,
			uint64_t now, struct eid_x509_citizen *x)
{
	uint64_t nb, na, end = now + (uint64_t)EID_CITIZEN_CERT_DAYS * DAY;
	uint64_t card = card_end(c);
	int r;

	if ((r = eid_x509_validity(ca->cert, &nb, &na)) != EID_OK)
		return r;
	if (card != 0 && card < end)
		end = card;
	if (na < end)
		end = na;
	if (end <= now || now < nb)
		return EID_EEXPIRED;
	x->not_before = now;
	x->not_after = end;
	return EID_OK;
}

/* Both records of a freshly issued certificate (sealed: its key's
 * sealed blob), and its audit event. */
static int issued_put(eid_txn *t, const eid_buf *sealed,
		      const struct eid_citizen *c, const eid_citizen_cert *cc,
		      uint64_t now, uint64_t not_after)
{
	char ckey[EID_PERSONAL_ID_LEN + 3], skey[EID_X509_SERIAL_HEX_MAX + 2];
	char subject[EID_PERSONAL_ID_LEN + 9];
	json_t *rec = json_pack("{s:i, s:s, s:I, s:I, s:I}", "v", 1,
				"personal_id", c->personal_id, "issued_at",
				(json_int_t)now, "not_after",
				(json_int_t)not_after, "revoked_at",
				(json_int_t)0);
	json_t *cur = json_pack("{s:i, s:s}", "v", 1, "serial", cc->serial);
	int r = EID_ENOMEM;

	if (rec == NULL || cur == NULL)
		goto out;
	if ((r = set_cert(rec, "cert", cc->cert)) != EID_OK ||
	    (r = set_b64(cur, "sealed", sealed->data, sealed->len)) != EID_OK)
		goto out;
	key_name(skey, sizeof(skey), 's', cc->serial);
	key_name(ckey, sizeof(ckey), 'c', c->personal_id);
	if ((r = record_put(t, EID_TABLE_CERTS, skey, rec)) != EID_OK) {
		rec = NULL;
		goto out;
	}
	rec = NULL;
	r = record_put(t, EID_TABLE_CERTS, ckey, cur);
	cur = NULL;
	if (r != EID_OK)
		goto out;
	snprintf(subject, sizeof(subject), "citizen:%s", c->personal_id);
	r = audit(t, "sign.cert.issue", subject,
		  json_pack("{s:s, s:I}", "serial", cc->serial, "not_after",
			    (json_int_t)not_after), now);
out:
	json_decref(rec);
	json_decref(cur);
	return r;
}

static int issue_new(eid_txn *t, const uint8_t kek[32], const eid_ca *ca,
		     const struct eid_citizen *c, uint64_t now,
		     eid_citizen_cert *cc)
{
	struct eid_x509_citizen x = { .personal_id = c->personal_id,
				      .full_name = c->full_name,
				      .base_url = ca->issuer_url };
	uint64_t nb, na;
	eid_buf sealed;
	int r;

	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	if ((r = new_validity(ca, c, now, &x)) != EID_OK ||
	    (r = citizen_key_new(kek, ca->sp, &sealed, &cc->key)) != EID_OK)
		goto out;
	eid_key_lock(ca->key);
	r = eid_x509_citizen_new(ca->cert, eid_key_pkey(ca->key),
				 eid_key_pkey(cc->key), &x, &cc->cert);
	eid_key_unlock(ca->key);
	if (r != EID_OK ||
	    (r = eid_x509_serial_hex(X509_get0_serialNumber(cc->cert),
				     cc->serial)) != EID_OK ||
	    (r = eid_x509_validity(cc->cert, &nb, &na)) != EID_OK)
		goto out;
	cc->created = true;
	r = issued_put(t, &sealed, c, cc, now, na);
out:
	eid_buf_free(&sealed);
	return r;
}

int eid_citizen_cert_ensure(eid_store *s, const uint8_t kek[32],
			    const eid_ca *ca, const struct eid_citizen *c,
			    uint64_t now, eid_citizen_cert **ret_cert)
{
	eid_citizen_cert *cc = NULL;
	eid_txn *t = NULL;
	uint64_t card = 0;
	int r;

	if (s == NULL || ca == NULL || (kek == NULL && ca->sp == NULL) ||
	    c == NULL || ret_cert == NULL)
		return EID_EINVAL;
	if (ca->key == NULL || ca->issuer_url == NULL)
		return EID_ESTATE;
	if (c->card_status != EID_CARD_VALID)
		return EID_EPERM;
	card = card_end(c);
	if (c->card_expires.year != 0 && card <= now)
		return EID_EEXPIRED;
	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return EID_ENOMEM;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK)
		goto out;
	r = current_get(t, kek, ca->sp, c, now, cc);
	if (r == EID_ENOTFOUND)
		r = issue_new(t, kek, ca, c, now, cc);
	if (r != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
	if (r != EID_OK)
		goto out;
	*ret_cert = cc;
	cc = NULL;
out:
	eid_txn_abort(t);
	eid_citizen_cert_free(cc);
	return r;
}

int eid_citizen_cert_revoke(eid_store *s, const char *personal_id,
			    enum eid_crl_reason reason, uint64_t now)
{
	char ckey[EID_PERSONAL_ID_LEN + 3];
	const char *serial;
	json_t *cur = NULL;
	eid_txn *t = NULL;
	int r;

	if (s == NULL || personal_id == NULL ||
	    strlen(personal_id) != EID_PERSONAL_ID_LEN ||
	    eid_crl_reason_name(reason) == NULL)
		return EID_EINVAL;
	key_name(ckey, sizeof(ckey), 'c', personal_id);
	if ((r = eid_store_begin(s, true, &t)) != EID_OK ||
	    (r = record_get(t, EID_TABLE_CERTS, ckey, &cur)) != EID_OK)
		goto out;
	r = EID_EMALFORMED;
	serial = json_string_value(json_object_get(cur, "serial"));
	if (serial == NULL || strlen(serial) >= EID_X509_SERIAL_HEX_MAX)
		goto out;
	/* The sealed key goes with the binding: it never signs again. */
	if ((r = mark_revoked(t, serial, personal_id, reason, now)) != EID_OK ||
	    (r = eid_txn_del(t, EID_TABLE_CERTS, ckey, strlen(ckey))) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	json_decref(cur);
	eid_txn_abort(t);
	return r;
}

int eid_ca_cert_status(eid_store *s, const uint8_t *serial, size_t len,
		       struct eid_cert_status *ret)
{
	char skey[EID_X509_SERIAL_HEX_MAX + 2];
	json_t *o = NULL;
	eid_txn *t = NULL;
	int r;

	if (s == NULL || serial == NULL || ret == NULL)
		return EID_EINVAL;
	if (len == 0 || len > 20)
		return EID_ENOTFOUND;
	skey[0] = 's';
	skey[1] = ':';
	eid_hex_encode(serial, len, skey + 2);
	if ((r = eid_store_begin(s, false, &t)) != EID_OK ||
	    (r = record_get(t, EID_TABLE_CERTS, skey, &o)) != EID_OK)
		goto out;
	r = status_decode(o, ret);
out:
	json_decref(o);
	eid_txn_abort(t);
	return r;
}

/* ---- CRL ---- */

struct revoked_list {
	struct eid_x509_revoked *v;
	size_t n, alloc;
};

static int collect_revoked(const void *key, size_t klen, const void *val,
			   size_t vlen, void *arg)
{
	struct revoked_list *l = arg;
	struct eid_cert_status st;
	struct eid_x509_revoked *e;
	json_t *o;
	int r;

	if (klen < 3)
		return EID_EMALFORMED;
	o = json_loadb(val, vlen, JSON_REJECT_DUPLICATES, NULL);
	r = o ? status_decode(o, &st) : EID_EMALFORMED;
	json_decref(o);
	if (r != EID_OK || !st.revoked)
		return r;
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 64;
		if (na > REVOKED_MAX)
			return EID_ETOOBIG;
		if ((e = realloc(l->v, na * sizeof(*e))) == NULL)
			return EID_ENOMEM;
		l->v = e;
		l->alloc = na;
	}
	e = &l->v[l->n];
	if ((r = eid_hex_decode((const char *)key + 2, klen - 2, e->serial,
				sizeof(e->serial), &e->serial_len)) != EID_OK ||
	    e->serial_len == 0)
		return EID_EMALFORMED;
	e->revoked_at = st.revoked_at;
	e->reason = st.reason;
	l->n++;
	return EID_OK;
}

/* The next CRL number, stored (8 bytes big-endian) inside t. */
static int next_crl_number(eid_txn *t, uint64_t *ret)
{
	eid_buf v;
	uint64_t n = 0;
	eid_rd rd;
	int r;

	eid_buf_init(&v, 8);
	r = eid_txn_get(t, EID_TABLE_CA, crl_number_key,
			sizeof(crl_number_key) - 1, &v);
	if (r == EID_OK) {
		rd = eid_rd_make(v.data, v.len);
		if (v.len != 8 || eid_rd_u64be(&rd, &n) != EID_OK)
			r = EID_EMALFORMED;
	} else if (r == EID_ENOTFOUND) {
		r = EID_OK;
	}
	eid_buf_reset(&v);
	n++;
	if (r == EID_OK && (r = eid_buf_put_u64be(&v, n)) == EID_OK)
		r = eid_txn_put(t, EID_TABLE_CA, crl_number_key,
				sizeof(crl_number_key) - 1, v.data, v.len);
	if (r == EID_OK)
		*ret = n;
	eid_buf_free(&v);
	return r;
}

int eid_ca_crl(eid_store *s, const eid_ca *ca, uint64_t now,
	       uint64_t next_update, eid_buf *ret_der)
{
	struct revoked_list l = { 0 };
	X509_CRL *crl = NULL;
	eid_txn *t = NULL;
	uint64_t number;
	size_t start = ret_der ? ret_der->len : 0;
	int r;

	if (s == NULL || ca == NULL || ret_der == NULL || next_update <= now)
		return EID_EINVAL;
	if (ca->key == NULL)
		return EID_ESTATE;
	if ((r = eid_store_begin(s, true, &t)) != EID_OK ||
	    (r = eid_txn_scan(t, EID_TABLE_CERTS, "s:", 2, collect_revoked,
			      &l)) != EID_OK ||
	    (r = next_crl_number(t, &number)) != EID_OK)
		goto out;
	eid_key_lock(ca->key);
	r = eid_x509_crl_new(ca->cert, eid_key_pkey(ca->key), l.v, l.n, number,
			     now, next_update, &crl);
	eid_key_unlock(ca->key);
	if (r != EID_OK || (r = eid_x509_crl_der(crl, ret_der)) != EID_OK)
		goto out;
	r = eid_txn_commit(t);
	t = NULL;
out:
	if (r != EID_OK)
		eid_buf_truncate(ret_der, start);
	X509_CRL_free(crl);
	free(l.v);
	eid_txn_abort(t);
	return r;
}
