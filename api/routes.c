/* Every endpoint the server answers, in one table. */
#include "api/app.h"
#include "api/html.h"
#include "api/selfservice.h"
#include "api/wellknown.h"
#include "idp/discovery.h"

static const struct eid_http_route routes[] = {
	{ "GET", "/healthz", false, eid_api_healthz },
	{ "GET", "/readyz", false, eid_api_readyz },
	{ "GET", EID_PATH_DISCOVERY, false, eid_api_discovery },
	{ "GET", EID_PATH_JWKS, false, eid_api_jwks },
	{ "GET", EID_HTML_CSS_PATH, false, eid_api_css },
	{ "POST", EID_PATH_REGISTRATIONS, false, eid_api_registration_start },
	{ "POST", EID_PATH_REGISTRATIONS "/", true,
	  eid_api_registration_confirm },
	{ "POST", EID_PATH_PASSWORD_RESETS, false,
	  eid_api_password_reset_start },
	{ "POST", EID_PATH_PASSWORD_RESETS "/", true,
	  eid_api_password_reset_confirm },
	{ "GET", EID_PATH_REGISTER_PAGE, false, eid_page_register },
	{ "POST", EID_PATH_REGISTER_PAGE, false, eid_page_register },
	{ "GET", EID_PATH_REGISTER_CONFIRM_PAGE, false,
	  eid_page_register_confirm },
	{ "POST", EID_PATH_REGISTER_CONFIRM_PAGE, false,
	  eid_page_register_confirm },
};

const struct eid_http_route *eid_api_routes(size_t *ret_n)
{
	*ret_n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
