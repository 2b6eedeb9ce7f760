#ifndef EID_API_CA_H
#define EID_API_CA_H

#include "api/http.h"

#define EID_PATH_CA_CERT "/ca/cert"
#define EID_PATH_CA_CRL "/ca/crl"
#define EID_PATH_CA_OCSP "/ca/ocsp"

int eid_api_ca_cert(struct eid_http_request *req,
		    struct eid_http_response *res, void *app);
int eid_api_ca_crl(struct eid_http_request *req,
		   struct eid_http_response *res, void *app);
int eid_api_ca_ocsp(struct eid_http_request *req,
		    struct eid_http_response *res, void *app);

#endif
