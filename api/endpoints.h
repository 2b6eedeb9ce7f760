/* The back-channel endpoint handlers (one file each). */
#ifndef EID_API_ENDPOINTS_H
#define EID_API_ENDPOINTS_H

#include "api/http.h"

int eid_api_token(struct eid_http_request *req, struct eid_http_response *res,
		  void *app);
int eid_api_par(struct eid_http_request *req, struct eid_http_response *res,
		void *app);
int eid_api_bc_authorize(struct eid_http_request *req,
			 struct eid_http_response *res, void *app);
int eid_api_userinfo(struct eid_http_request *req,
		     struct eid_http_response *res, void *app);
int eid_api_introspect(struct eid_http_request *req,
		       struct eid_http_response *res, void *app);
int eid_api_revoke(struct eid_http_request *req,
		   struct eid_http_response *res, void *app);

#endif
