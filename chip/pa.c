#include "chip/pa.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "chip/signeddata.h"
#include "crypto/error.h"
#include "crypto/secret.h"

#define OID_CSCA_MASTER_LIST "2.23.136.1.1.2"

/* CscaMasterList ::= SEQUENCE { version CscaMasterListVersion,
 *                               certList SET OF Certificate } */
typedef struct {
	ASN1_INTEGER *version;
	STACK_OF(X509) *certs;
} CSCA_ML;

ASN1_SEQUENCE(CSCA_ML) = {
	ASN1_SIMPLE(CSCA_ML, version, ASN1_INTEGER),
	ASN1_SET_OF(CSCA_ML, certs, X509),
} static_ASN1_SEQUENCE_END(CSCA_ML)

struct eid_csca_store {
	X509_STORE *store;
	STACK_OF(X509_CRL) *crls;
};

int eid_csca_store_new(eid_csca_store **ret_store)
{
	struct eid_csca_store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return EID_ENOMEM;
	s->store = X509_STORE_new();
	s->crls = sk_X509_CRL_new_null();
	if (s->store == NULL || s->crls == NULL) {
		eid_csca_store_free(s);
		return EID_ENOMEM;
	}
	*ret_store = s;
	return EID_OK;
}

void eid_csca_store_free(eid_csca_store *store)
{
	if (store == NULL)
		return;
	X509_STORE_free(store->store);
	sk_X509_CRL_pop_free(store->crls, X509_CRL_free);
	free(store);
}

size_t eid_csca_store_count(const eid_csca_store *store)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store->store);

	return (size_t)sk_X509_OBJECT_num(objs);
}

int eid_csca_store_cert_der(const eid_csca_store *store, size_t i,
			    eid_buf *out)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store->store);
	unsigned char *der = NULL;
	X509 *x;
	int n, r;

	if (i >= (size_t)sk_X509_OBJECT_num(objs))
		return EID_ENOTFOUND;
	x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, (int)i));
	if (x == NULL)
		return EID_ENOTFOUND; /* a CRL */
	if ((n = i2d_X509(x, &der)) <= 0)
		return EID_ECRYPTO;
	r = eid_buf_put(out, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

/* Only CA certificates become anchors: partial chains are allowed (link
 * certificates from master lists are trusted as they stand), so a leaf in
 * the store would vouch for itself. */
static int add_cert(eid_csca_store *store, X509 *x)
{
	if (X509_check_ca(x) == 0)
		return EID_EINVAL;
	if (eid_csca_store_count(store) >= EID_CSCA_MAX_CERTS)
		return EID_ETOOBIG;
	if (!X509_STORE_add_cert(store->store, x)) {
		ERR_clear_error();
		return EID_ENOMEM;
	}
	return EID_OK;
}

int eid_csca_store_add_der(eid_csca_store *store, const uint8_t *p, size_t n)
{
	const unsigned char *q = p;
	X509 *x = NULL;
	int r = EID_EMALFORMED;

	if (store == NULL || p == NULL)
		return EID_EINVAL;
	if (n > EID_CSCA_MAX_FILE)
		return EID_ETOOBIG;
	x = d2i_X509(NULL, &q, (long)n);
	if (x != NULL && q == p + n)
		r = add_cert(store, x);
	X509_free(x);
	ERR_clear_error();
	return r;
}

int eid_csca_store_add_pem(eid_csca_store *store, const char *pem, size_t n)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	size_t added = 0;
	int r = EID_EINVAL;

	if (store == NULL || pem == NULL)
		goto out;
	r = EID_ETOOBIG;
	if (n > EID_CSCA_MAX_FILE)
		goto out;
	r = EID_ENOMEM;
	if ((bio = BIO_new_mem_buf(pem, (int)n)) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if ((r = add_cert(store, x)) != EID_OK)
			goto out;
		X509_free(x);
		x = NULL;
		added++;
	}
	r = added > 0 ? EID_OK : EID_EMALFORMED;
out:
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

static X509_CRL *decode_crl(const uint8_t *p, size_t n)
{
	const unsigned char *q = p;
	X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)n);
	BIO *bio;

	if (crl != NULL && q == p + n)
		return crl;
	X509_CRL_free(crl);
	if ((bio = BIO_new_mem_buf(p, (int)n)) == NULL)
		return NULL;
	crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return crl;
}

int eid_csca_store_add_crl(eid_csca_store *store, const uint8_t *p, size_t n)
{
	X509_CRL *crl;
	int r = EID_EMALFORMED;

	if (store == NULL || p == NULL)
		return EID_EINVAL;
	if (n > EID_CSCA_MAX_FILE)
		return EID_ETOOBIG;
	if ((crl = decode_crl(p, n)) != NULL) {
		r = EID_OK;
		if (!sk_X509_CRL_push(store->crls, crl)) {
			X509_CRL_free(crl);
			r = EID_ENOMEM;
		}
	}
	ERR_clear_error();
	return r;
}

/* A file of unknown kind: PEM certificates, a DER certificate, a CRL. */
static int add_blob(eid_csca_store *store, const eid_buf *b)
{
	int r = eid_csca_store_add_pem(store, (const char *)b->data, b->len);

	if (r == EID_EMALFORMED)
		r = eid_csca_store_add_der(store, b->data, b->len);
	if (r == EID_EMALFORMED)
		r = eid_csca_store_add_crl(store, b->data, b->len);
	return r;
}

static int read_file(const char *path, eid_buf *b)
{
	FILE *f = fopen(path, "rb");
	uint8_t chunk[4096];
	size_t got;
	int r = EID_OK;

	if (f == NULL)
		return EID_EIO;
	while (r == EID_OK && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		r = eid_buf_put(b, chunk, got);
	if (r == EID_OK && ferror(f))
		r = EID_EIO;
	fclose(f);
	return r;
}

static int load_entry(eid_csca_store *store, const char *dir,
		      const char *name, size_t *added, size_t *skipped)
{
	char path[4096];
	struct stat st;
	eid_buf b;
	int r;

	if (name[0] == '.')
		return EID_OK;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return EID_ETOOBIG;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return EID_OK;
	eid_buf_init(&b, EID_CSCA_MAX_FILE);
	r = read_file(path, &b);
	if (r == EID_OK)
		r = b.len > 0 ? add_blob(store, &b) : EID_EMALFORMED;
	eid_buf_free(&b);
	if (r == EID_EMALFORMED || r == EID_EINVAL || r == EID_ETOOBIG) {
		(*skipped)++;
		return EID_OK;
	}
	if (r == EID_OK)
		(*added)++;
	return r;
}

int eid_csca_store_load_dir(eid_csca_store *store, const char *dir,
			    size_t *ret_added, size_t *ret_skipped)
{
	size_t added = 0, skipped = 0;
	struct dirent *e;
	DIR *d;
	int r = EID_OK;

	if (store == NULL || dir == NULL)
		return EID_EINVAL;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? EID_ENOTFOUND : EID_EIO;
	while (r == EID_OK && (e = readdir(d)) != NULL)
		r = load_entry(store, dir, e->d_name, &added, &skipped);
	closedir(d);
	if (r != EID_OK)
		return r;
	if (ret_added != NULL)
		*ret_added = added;
	if (ret_skipped != NULL)
		*ret_skipped = skipped;
	return EID_OK;
}

/* ICAO 9303-12 lets CSCAs and DSCs carry explicit curve parameters (many
 * brainpool certificates do), which OpenSSL 3 refuses by default. */
static int accept_explicit_ec(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) ==
			   X509_V_ERR_EC_KEY_EXPLICIT_PARAMS)
		return 1;
	return ok;
}

/* The chain from cert to an anchor of the store at now.  With crls, the
 * leaf is also checked against them (and they against their issuer). */
static int verify_chain(const eid_csca_store *store, X509 *cert,
			STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls,
			time_t now, int *ret_err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
	int r = EID_ENOMEM;

	if (ctx == NULL ||
	    !X509_STORE_CTX_init(ctx, store->store, cert, untrusted))
		goto out;
	X509_STORE_CTX_set_verify_cb(ctx, accept_explicit_ec);
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(vp, now);
	if (crls != NULL) {
		flags |= X509_V_FLAG_CRL_CHECK;
		X509_STORE_CTX_set0_crls(ctx, crls);
	}
	X509_VERIFY_PARAM_set_flags(vp, flags);
	r = X509_verify_cert(ctx) == 1 ? EID_OK : EID_EVERIFY;
	*ret_err = X509_STORE_CTX_get_error(ctx);
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

static int parse_master_list(CMS_ContentInfo *cms, STACK_OF(X509) **ret)
{
	const unsigned char *p, *q;
	CSCA_ML *ml;
	size_t n;
	int r;

	if ((r = eid_signeddata_content(cms, &p, &n)) != EID_OK)
		return r;
	q = p;
	ml = (CSCA_ML *)ASN1_item_d2i(NULL, &q, (long)n,
				      ASN1_ITEM_rptr(CSCA_ML));
	r = EID_EMALFORMED;
	if (ml != NULL && q == p + n) {
		*ret = ml->certs;
		ml->certs = NULL;
		r = EID_OK;
	}
	ASN1_item_free((ASN1_VALUE *)ml, ASN1_ITEM_rptr(CSCA_ML));
	ERR_clear_error();
	return r;
}

/* The list's signature must hold; its signer is trusted only when it
 * chains to an anchor we already have. */
static int check_master_list(const eid_csca_store *store,
			     CMS_ContentInfo *cms, time_t now,
			     bool *ret_verified)
{
	STACK_OF(X509) *certs = NULL;
	CMS_SignerInfo *si;
	X509 *signer = NULL;
	int r, err;

	if ((r = eid_signeddata_signer(cms, &si, &signer)) != EID_OK)
		goto out;
	if ((r = eid_signeddata_verify(cms, NULL, 0)) != EID_OK)
		goto out;
	if ((certs = CMS_get1_certs(cms)) == NULL) {
		r = EID_ENOMEM;
		goto out;
	}
	r = verify_chain(store, signer, certs, NULL, now, &err);
	if (r != EID_OK && r != EID_EVERIFY)
		goto out;
	*ret_verified = r == EID_OK;
	r = EID_OK;
out:
	sk_X509_pop_free(certs, X509_free);
	X509_free(signer);
	return r;
}

int eid_csca_store_import_master_list(eid_csca_store *store,
				      const uint8_t *p, size_t n, time_t now,
				      bool require_verified,
				      size_t *ret_added, bool *ret_verified)
{
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *list = NULL;
	bool verified = false;
	size_t added = 0;
	int r = EID_EINVAL;

	if (store == NULL || p == NULL)
		goto out;
	r = EID_ETOOBIG;
	if (n > EID_CSCA_MAX_FILE)
		goto out;
	r = eid_signeddata_parse(p, n, OID_CSCA_MASTER_LIST, &cms);
	if (r != EID_OK)
		goto out;
	if ((r = check_master_list(store, cms, now, &verified)) != EID_OK)
		goto out;
	r = EID_EVERIFY;
	if (require_verified && !verified)
		goto out;
	if ((r = parse_master_list(cms, &list)) != EID_OK)
		goto out;
	for (int i = 0; i < sk_X509_num(list); i++) {
		r = add_cert(store, sk_X509_value(list, i));
		if (r == EID_EINVAL)
			continue; /* not a CA certificate: not an anchor */
		if (r != EID_OK)
			goto out;
		added++;
	}
	r = EID_OK;
	if (ret_added != NULL)
		*ret_added = added;
	if (ret_verified != NULL)
		*ret_verified = verified;
out:
	sk_X509_pop_free(list, X509_free);
	CMS_ContentInfo_free(cms);
	return r;
}

/* Passive Authentication. */

static void name_text(const X509_NAME *name, char *dst)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	dst[0] = '\0';
	if (bio == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		len = BIO_get_mem_data(bio, &data);
		if (len > 0)
			snprintf(dst, EID_PA_NAME_MAX, "%.*s", (int)len, data);
	}
	BIO_free(bio);
}

static void serial_text(X509 *x, char *dst)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(dst, EID_PA_NAME_MAX, "%s", hex != NULL ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
}

static void describe_dsc(X509 *dsc, struct eid_pa_report *rep)
{
	name_text(X509_get_subject_name(dsc), rep->dsc_subject);
	name_text(X509_get_issuer_name(dsc), rep->dsc_issuer);
	serial_text(dsc, rep->dsc_serial);
	ERR_clear_error();
}

static int check_signature(const eid_sod *sod, struct eid_pa_report *rep)
{
	int r = eid_signeddata_verify(eid_sod_cms(sod), rep->signature_reason,
				      sizeof(rep->signature_reason));

	rep->signature = r == EID_OK ? EID_PA_VALID : EID_PA_INVALID;
	return r == EID_EVERIFY ? EID_OK : r;
}

static int check_chain(const eid_csca_store *store, X509 *dsc, time_t now,
		       struct eid_pa_report *rep)
{
	int err, r = verify_chain(store, dsc, NULL, NULL, now, &err);

	if (r == EID_EVERIFY) {
		rep->chain = EID_PA_INVALID;
		snprintf(rep->chain_reason, sizeof(rep->chain_reason),
			 "DSC chain: %s", X509_verify_cert_error_string(err));
		return EID_OK;
	}
	if (r == EID_OK)
		rep->chain = EID_PA_VALID;
	return r;
}

/* The CRLs issued under the DSC's issuer name (borrowed). */
static int crls_for(const eid_csca_store *store, X509 *dsc,
		    STACK_OF(X509_CRL) **ret)
{
	const X509_NAME *issuer = X509_get_issuer_name(dsc);
	STACK_OF(X509_CRL) *out = sk_X509_CRL_new_null();

	if (out == NULL)
		return EID_ENOMEM;
	for (int i = 0; i < sk_X509_CRL_num(store->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(store->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), issuer) != 0)
			continue;
		if (!sk_X509_CRL_push(out, crl)) {
			sk_X509_CRL_free(out);
			return EID_ENOMEM;
		}
	}
	*ret = out;
	return EID_OK;
}

static int check_crl(const eid_csca_store *store, X509 *dsc, time_t now,
		     struct eid_pa_report *rep)
{
	STACK_OF(X509_CRL) *crls = NULL;
	int err, r;

	if (rep->chain != EID_PA_VALID)
		return EID_OK; /* nothing to look up a CRL for */
	if ((r = crls_for(store, dsc, &crls)) != EID_OK)
		return r;
	if (sk_X509_CRL_num(crls) > 0) {
		r = verify_chain(store, dsc, NULL, crls, now, &err);
		if (r == EID_OK)
			rep->crl = EID_PA_VALID;
		if (r == EID_EVERIFY) {
			rep->crl = EID_PA_INVALID;
			snprintf(rep->crl_reason, sizeof(rep->crl_reason),
				 "CRL check: %s",
				 X509_verify_cert_error_string(err));
			r = EID_OK;
		}
	}
	sk_X509_CRL_free(crls);
	return r;
}

static int hash_matches(const eid_sod *sod, const struct eid_dg_bytes *dg,
			const struct eid_sod_dg_hash *want, bool *ret_match)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen;

	if (!EVP_Digest(dg->data, dg->len, h, &hlen, eid_sod_hash_md(sod),
			NULL)) {
		ERR_clear_error();
		return EID_ECRYPTO;
	}
	*ret_match = eid_ct_equal_len(h, hlen, want->hash, want->hash_len);
	return EID_OK;
}

/* Index supplied data groups by number; refuse duplicates and strays. */
static int index_dgs(const struct eid_dg_bytes *dgs, size_t n_dgs,
		     const struct eid_dg_bytes *by_number[EID_SOD_MAX_DGS + 1])
{
	if (n_dgs > EID_SOD_MAX_DGS || (dgs == NULL && n_dgs > 0))
		return EID_EINVAL;
	for (size_t i = 0; i < n_dgs; i++) {
		int num = dgs[i].number;
		if (num < 1 || num > EID_SOD_MAX_DGS ||
		    by_number[num] != NULL ||
		    (dgs[i].data == NULL && dgs[i].len > 0))
			return EID_EINVAL;
		by_number[num] = &dgs[i];
	}
	return EID_OK;
}

static int dg_verdict(const eid_sod *sod, const struct eid_dg_bytes *dg,
		      int num, enum eid_pa_dg_verdict *ret)
{
	const struct eid_sod_dg_hash *want;
	bool match;
	int r;

	if (eid_sod_dg_find(sod, num, &want) != EID_OK) {
		*ret = EID_PA_DG_MISSING_FROM_SOD;
		return EID_OK;
	}
	if (dg == NULL) {
		*ret = EID_PA_DG_NOT_READ;
		return EID_OK;
	}
	if ((r = hash_matches(sod, dg, want, &match)) != EID_OK)
		return r;
	*ret = match ? EID_PA_DG_VALID : EID_PA_DG_INVALID;
	return EID_OK;
}

static void note_dg_failure(struct eid_pa_report *rep, int num,
			    enum eid_pa_dg_verdict v)
{
	if (v != EID_PA_DG_INVALID && v != EID_PA_DG_MISSING_FROM_SOD)
		return;
	rep->dg_hashes = EID_PA_INVALID;
	if (rep->dg_reason[0] != '\0')
		return; /* the first failure explains enough */
	snprintf(rep->dg_reason, sizeof(rep->dg_reason), "DG%d %s", num,
		 v == EID_PA_DG_INVALID ? "hash does not match the SOD" :
					  "is not listed in the SOD");
}

static int check_dgs(const eid_sod *sod, const struct eid_dg_bytes *dgs,
		     size_t n_dgs, struct eid_pa_report *rep)
{
	const struct eid_dg_bytes *by_number[EID_SOD_MAX_DGS + 1] = { NULL };
	const struct eid_sod_dg_hash *in_sod;
	enum eid_pa_dg_verdict v;
	int r;

	if ((r = index_dgs(dgs, n_dgs, by_number)) != EID_OK)
		return r;
	rep->dg_hashes = n_dgs > 0 ? EID_PA_VALID : EID_PA_NOT_CHECKED;
	for (int num = 1; num <= EID_SOD_MAX_DGS; num++) {
		if (by_number[num] == NULL &&
		    eid_sod_dg_find(sod, num, &in_sod) != EID_OK)
			continue;
		if ((r = dg_verdict(sod, by_number[num], num, &v)) != EID_OK)
			return r;
		rep->dgs[rep->n_dgs].number = num;
		rep->dgs[rep->n_dgs].verdict = v;
		rep->n_dgs++;
		note_dg_failure(rep, num, v);
	}
	return EID_OK;
}

int eid_pa_verify(const eid_csca_store *store, const eid_sod *sod,
		  const struct eid_dg_bytes *dgs, size_t n_dgs, time_t now,
		  struct eid_pa_report *report)
{
	struct eid_pa_report rep = {
		.overall = EID_PA_INVALID,
		.signature = EID_PA_NOT_CHECKED,
		.chain = EID_PA_NOT_CHECKED,
		.crl = EID_PA_NOT_CHECKED,
		.dg_hashes = EID_PA_NOT_CHECKED,
	};
	X509 *dsc;
	int r;

	if (store == NULL || sod == NULL || report == NULL)
		return EID_EINVAL;
	dsc = eid_sod_dsc(sod);
	describe_dsc(dsc, &rep);
	if ((r = check_dgs(sod, dgs, n_dgs, &rep)) != EID_OK ||
	    (r = check_signature(sod, &rep)) != EID_OK ||
	    (r = check_chain(store, dsc, now, &rep)) != EID_OK ||
	    (r = check_crl(store, dsc, now, &rep)) != EID_OK)
		return r;
	if (rep.signature == EID_PA_VALID && rep.chain == EID_PA_VALID &&
	    rep.crl != EID_PA_INVALID && rep.dg_hashes != EID_PA_INVALID)
		rep.overall = EID_PA_VALID;
	*report = rep;
	return rep.overall == EID_PA_VALID ? EID_OK : EID_EVERIFY;
}

const char *eid_pa_verdict_name(enum eid_pa_verdict v)
{
	switch (v) {
	case EID_PA_VALID:
		return "valid";
	case EID_PA_INVALID:
		return "invalid";
	case EID_PA_NOT_CHECKED:
		return "not_checked";
	}
	return "unknown";
}

const char *eid_pa_dg_verdict_name(enum eid_pa_dg_verdict v)
{
	switch (v) {
	case EID_PA_DG_VALID:
		return "valid";
	case EID_PA_DG_INVALID:
		return "invalid";
	case EID_PA_DG_NOT_READ:
		return "not_read";
	case EID_PA_DG_MISSING_FROM_SOD:
		return "missing_from_sod";
	}
	return "unknown";
}

static json_t *check_json(enum eid_pa_verdict v, const char *reason)
{
	if (reason[0] == '\0')
		return json_pack("{s:s}", "verdict", eid_pa_verdict_name(v));
	return json_pack("{s:s, s:s}", "verdict", eid_pa_verdict_name(v),
			 "reason", reason);
}

static json_t *dgs_json(const struct eid_pa_report *rep)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < rep->n_dgs; i++) {
		const struct eid_pa_dg_result *d = &rep->dgs[i];
		json_t *o = json_pack("{s:i, s:s}", "number", d->number,
				      "verdict",
				      eid_pa_dg_verdict_name(d->verdict));
		if (json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int eid_pa_report_to_json(const struct eid_pa_report *rep, json_t **ret_json)
{
	json_t *j;

	if (rep == NULL || ret_json == NULL)
		return EID_EINVAL;
	/* "o" steals each reference, also on failure, so nothing leaks. */
	j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:{s:s, s:s, s:s}, s:o}",
		      "overall", eid_pa_verdict_name(rep->overall),
		      "signature", check_json(rep->signature,
					      rep->signature_reason),
		      "chain", check_json(rep->chain, rep->chain_reason),
		      "crl", check_json(rep->crl, rep->crl_reason),
		      "dg_hashes", check_json(rep->dg_hashes, rep->dg_reason),
		      "dsc", "subject", rep->dsc_subject,
		      "issuer", rep->dsc_issuer, "serial", rep->dsc_serial,
		      "data_groups", dgs_json(rep));
	if (j == NULL)
		return EID_ENOMEM;
	*ret_json = j;
	return EID_OK;
}
