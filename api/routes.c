/* Every endpoint the server answers, in one table. */
#include "api/app_level2.h"
#include "api/app.h"
#include "api/ca.h"
#include "api/console.h"
#include "api/chip.h"
#include "api/device.h"
#include "api/device_grant.h"
#include "api/flow.h"
#include "api/front.h"
#include "api/endpoints.h"
#include "api/html.h"
#include "api/passkey.h"
#include "api/selfservice.h"
#include "api/sign.h"
#include "api/wellknown.h"
#include "idp/discovery.h"

static const struct eid_http_route routes[] = {
	{ "GET", "/healthz", false, eid_api_healthz },
	{ "GET", "/readyz", false, eid_api_readyz },
	{ "GET", EID_PATH_DISCOVERY, false, eid_api_discovery },
	{ "GET", EID_PATH_JWKS, false, eid_api_jwks },
	{ "GET", EID_HTML_CSS_PATH, false, eid_api_css },
	{ "GET", EID_PATH_CA_CERT, false, eid_api_ca_cert },
	{ "GET", EID_PATH_CA_CRL, false, eid_api_ca_crl },
	{ "POST", EID_PATH_CA_OCSP, false, eid_api_ca_ocsp },
	{ "GET", EID_PATH_AUTHORIZE, false, eid_api_authorize },
	{ "POST", EID_PATH_AUTHORIZE, false, eid_api_authorize },
	{ "GET", EID_PATH_LOGIN, false, eid_api_login_page },
	{ "POST", EID_PATH_LOGIN, false, eid_api_login_post },
	{ "GET", EID_PATH_LOGIN_OTP, false, eid_api_stepup_page },
	{ "POST", EID_PATH_LOGIN_OTP, false, eid_api_stepup_post },
	{ "GET", EID_PATH_CONSENT, false, eid_api_consent_page },
	{ "POST", EID_PATH_CONSENT, false, eid_api_consent_post },
	{ "GET", EID_PATH_END_SESSION, false, eid_api_end_session },
	{ "POST", EID_PATH_END_SESSION, false, eid_api_end_session },
	{ "POST", EID_PATH_TOKEN, false, eid_api_token },
	{ "POST", EID_PATH_PAR, false, eid_api_par },
	{ "POST", EID_PATH_BC_AUTHORIZE, false, eid_api_bc_authorize },
	{ "GET", EID_PATH_USERINFO, false, eid_api_userinfo },
	{ "POST", EID_PATH_USERINFO, false, eid_api_userinfo },
	{ "POST", EID_PATH_INTROSPECT, false, eid_api_introspect },
	{ "POST", EID_PATH_REVOKE, false, eid_api_revoke },
	{ "POST", EID_PATH_DEVICE_AUTHORIZATION, false,
	  eid_api_device_authorization },
	{ "GET", EID_PATH_DEVICE, false, eid_page_device },
	{ "POST", EID_PATH_DEVICE, false, eid_page_device },
	{ "GET", EID_PATH_DEVICE_QR, false, eid_page_device_qr },
	{ "POST", EID_PATH_REGISTRATIONS, false, eid_api_registration_start },
	{ "POST", EID_PATH_REGISTRATIONS "/", true,
	  eid_api_registration_confirm },
	{ "POST", EID_PATH_PASSWORD_RESETS, false,
	  eid_api_password_reset_start },
	{ "POST", EID_PATH_PASSWORD_RESETS "/", true,
	  eid_api_password_reset_confirm },
	{ "POST", EID_PATH_CHIP_CHALLENGE, false, eid_api_chip_challenge },
	{ "POST", EID_PATH_CHIP_VERIFY, false, eid_api_chip_verify },
	{ "GET", EID_PATH_REGISTER_PAGE, false, eid_page_register },
	{ "POST", EID_PATH_REGISTER_PAGE, false, eid_page_register },
	{ "GET", EID_PATH_REGISTER_CONFIRM_PAGE, false,
	  eid_page_register_confirm },
	{ "POST", EID_PATH_REGISTER_CONFIRM_PAGE, false,
	  eid_page_register_confirm },
	{ "GET", EID_PATH_LOGIN_QR_PNG, false, eid_api_login_qr_png },
	{ "GET", EID_PATH_LOGIN_QR_STATUS, false, eid_api_login_qr_status },
	{ "POST", EID_PATH_LOGIN_QR, false, eid_api_login_qr_post },
	{ "GET", EID_PATH_QR_JS, false, eid_api_qr_js },
	{ "GET", EID_PATH_QR, true, eid_page_qr_handle },
	{ "GET", EID_PATH_DEVICE_NONCE, false, eid_api_device_nonce },
	{ "GET", EID_PATH_DEVICE_CURRENT, false, eid_api_device_current },
	{ "POST", EID_PATH_DEVICES, false, eid_api_device_bind },
	{ "POST", EID_PATH_DEVICES "/", true, eid_api_device_confirm },
	{ "POST", EID_PATH_APP_LEVEL2_CHALLENGE, false,
	  eid_api_app_level2_challenge },
	{ "POST", EID_PATH_APP_LEVEL2, false, eid_api_app_level2 },
	{ "GET", EID_PATH_APP_QR, true, eid_api_app_qr },
	{ "POST", EID_PATH_APP_QR, true, eid_api_app_qr },
	{ "POST", EID_PATH_SIGN_REQUESTS, false, eid_api_sign_create },
	{ "GET", EID_PATH_SIGN_REQUEST, true, eid_api_sign_get },
	{ "POST", EID_PATH_SIGN_REQUEST, true, eid_api_sign_decide },
	{ "GET", EID_PATH_SIGN_PENDING, false, eid_api_sign_pending },
	{ "POST", EID_PATH_SIGN_VERIFY, false, eid_api_sign_verify },
	{ "GET", EID_PATH_APP_CIBA, false, eid_api_app_ciba_list },
	{ "GET", EID_PATH_APP_CIBA "/", true, eid_api_app_ciba },
	{ "POST", EID_PATH_APP_CIBA "/", true, eid_api_app_ciba },
	/* officer console, level-2 activation, the citizen's account */
	{ "GET", EID_PATH_OFFICER, false, eid_page_officer_home },
	{ "GET", EID_PATH_OFFICER_LOGIN, false, eid_page_officer_login },
	{ "POST", EID_PATH_OFFICER_LOGIN, false, eid_page_officer_login },
	{ "POST", EID_PATH_OFFICER_LOGOUT, false, eid_page_officer_logout },
	{ "GET", EID_PATH_OFFICER_CITIZEN, false, eid_page_officer_citizen },
	{ "POST", EID_PATH_OFFICER_ACCOUNT, false, eid_page_officer_account },
	{ "GET", EID_PATH_OFFICER_ACTIVATION, false,
	  eid_page_officer_activation },
	{ "POST", EID_PATH_OFFICER_ACTIVATION_START, false,
	  eid_page_officer_activation_start },
	{ "POST", EID_PATH_OFFICER_ACTIVATION_ATTEST, false,
	  eid_page_officer_activation_attest },
	{ "POST", EID_PATH_OFFICER_ACTIVATION_BIRTH, false,
	  eid_page_officer_activation_birth },
	{ "POST", EID_PATH_OFFICER_ACTIVATION "/", true, eid_api_officer_chip },
	{ "GET", EID_PATH_ACTIVATE, false, eid_page_activate },
	{ "POST", EID_PATH_ACTIVATE, false, eid_page_activate },
	{ "GET", EID_PATH_ACCOUNT, false, eid_page_account },
	{ "POST", EID_PATH_ACCOUNT_SESSION_END, false,
	  eid_page_account_session_end },
	{ "POST", EID_PATH_ACCOUNT_LOCK, false, eid_page_account_lock },
	{ "POST", EID_PATH_ACCOUNT_MINOR, false, eid_page_account_minor },
	{ "POST", EID_PATH_ACCOUNT_CONSENT_REVOKE, false,
	  eid_page_account_consent_revoke },
	{ "POST", EID_PATH_ACCOUNT_TOTP, false, eid_page_account_totp },
	{ "POST", EID_PATH_ACCOUNT_TOTP_CONFIRM, false,
	  eid_page_account_totp_confirm },
	{ "POST", EID_PATH_ACCOUNT_TOTP_DISABLE, false,
	  eid_page_account_totp_disable },
	{ "POST", EID_PATH_ACCOUNT_RECOVERY, false, eid_page_account_recovery },
	{ "POST", EID_PATH_ACCOUNT_PASSWORD, false, eid_page_account_password },
	{ "GET", EID_PATH_ME_HISTORY, false, eid_api_me_history },
	/* passkeys */
	{ "GET", EID_PATH_PASSKEY_JS, false, eid_api_passkey_js },
	{ "POST", EID_PATH_ACCOUNT_PASSKEY_OPTIONS, false,
	  eid_api_account_passkey_options },
	{ "POST", EID_PATH_ACCOUNT_PASSKEYS, false,
	  eid_page_account_passkey_add },
	{ "POST", EID_PATH_ACCOUNT_PASSKEY_REMOVE, false,
	  eid_page_account_passkey_remove },
	{ "POST", EID_PATH_LOGIN_PASSKEY_OPTIONS, false,
	  eid_api_login_passkey_options },
	{ "POST", EID_PATH_LOGIN_PASSKEY, false, eid_api_login_passkey },
};

const struct eid_http_route *eid_api_routes(size_t *ret_n)
{
	*ret_n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
