/* The issuing CA's public services: its certificate, its CRL and the OCSP
 * responder (RFC 6960 over HTTP POST, RFC 5019 style), for relying parties
 * that verify citizens' signatures. */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/ca.h"
#include "crypto/error.h"
#include "crypto/x509.h"
#include "idp/ca.h"
#include "idp/ocsp.h"

/* OCSP requests are small; a larger body is not one. */
#define OCSP_REQUEST_MAX 8192
#define CA_DER_MAX (64u * 1024)
#define CRL_MAX (4u * 1024 * 1024)

static int no_ca(struct eid_http_response *res)
{
	return eid_http_reply_oauth_error(res, 404, "not_found",
					  "no signing CA is configured");
}

int eid_api_ca_cert(struct eid_http_request *req,
		    struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	eid_buf der;
	int r;

	(void)req;
	if (app->ca == NULL)
		return no_ca(res);
	eid_buf_init(&der, CA_DER_MAX);
	r = eid_x509_der(eid_ca_cert(app->ca), &der);
	if (r == EID_OK)
		r = eid_http_reply_bytes(res, 200, "application/pkix-cert",
					 der.data, der.len);
	if (r == EID_OK)
		r = eid_http_set_header(res, "Cache-Control", "public, max-age=86400");
	eid_buf_free(&der);
	return r;
}

int eid_api_ca_crl(struct eid_http_request *req,
		   struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	uint64_t now = eid_store_now(app->store);
	uint64_t next = app->cfg->ca.crl_next_update;
	char cache[48];
	eid_buf der;
	int r;

	(void)req;
	if (app->ca == NULL)
		return no_ca(res);
	eid_buf_init(&der, CRL_MAX);
	r = eid_ca_crl(app->store, app->ca, now, now + next, &der);
	if (r == EID_OK)
		r = eid_http_reply_bytes(res, 200, "application/pkix-crl",
					 der.data, der.len);
	/* Caches may keep it for a fraction of its life, so a revocation is
	 * seen well before nextUpdate. */
	snprintf(cache, sizeof(cache), "public, max-age=%llu",
		 (unsigned long long)(next / 10));
	if (r == EID_OK)
		r = eid_http_set_header(res, "Cache-Control", cache);
	eid_buf_free(&der);
	return r;
}

int eid_api_ca_ocsp(struct eid_http_request *req,
		    struct eid_http_response *res, void *arg)
{
	struct eid_app *app = arg;
	const char *ctype = eid_http_header(req, "Content-Type");
	const void *body;
	size_t n = 0;
	eid_buf out;
	int r;

	if (app->ca == NULL)
		return no_ca(res);
	body = eid_http_body(req, &n);
	if (ctype == NULL || strcmp(ctype, "application/ocsp-request") != 0)
		return eid_http_reply_oauth_error(res, 415, "invalid_request",
						  "Content-Type must be "
						  "application/ocsp-request");
	if (n == 0 || n > OCSP_REQUEST_MAX)
		return eid_http_reply_oauth_error(res, 400, "invalid_request",
						  "missing or oversized OCSP request");
	eid_buf_init(&out, 64u * 1024);
	/* Malformed requests get an OCSP malformedRequest answer, not an
	 * HTTP error: that is what OCSP clients understand. */
	r = eid_ocsp_respond(app->store, app->ca, body, n,
			     eid_store_now(app->store), &out);
	if (r == EID_OK)
		r = eid_http_reply_bytes(res, 200, "application/ocsp-response",
					 out.data, out.len);
	eid_buf_free(&out);
	return r;
}
