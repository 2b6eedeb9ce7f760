#ifndef EID_API_WELLKNOWN_H
#define EID_API_WELLKNOWN_H

#include "api/http.h"

int eid_api_healthz(struct eid_http_request *req,
		    struct eid_http_response *res, void *app);
int eid_api_readyz(struct eid_http_request *req,
		   struct eid_http_response *res, void *app);
int eid_api_discovery(struct eid_http_request *req,
		      struct eid_http_response *res, void *app);
int eid_api_jwks(struct eid_http_request *req, struct eid_http_response *res,
		 void *app);

int eid_api_css(struct eid_http_request *req, struct eid_http_response *res,
		void *app);

#endif
