#include "idp/hsm.h"

#include "crypto/error.h"

int eid_hsm_open(const struct eid_config *cfg, eid_pkcs11 **ret_p11,
		 eid_buf *why)
{
	const char *m = cfg->pkcs11.module, *label = cfg->pkcs11.token_label;
	const char *pin = cfg->pkcs11.pin_file;
	int r;

	*ret_p11 = NULL;
	if (m[0] == '\0')
		return EID_OK;
	r = eid_pkcs11_open(m, label, pin, ret_p11);
	switch (r) {
	case EID_OK:
		return EID_OK;
	case EID_EIO:
		(void)eid_buf_printf(why, "PKCS#11 module %s: cannot load it, "
				     "or it is no PKCS#11 module", m);
		break;
	case EID_ENOTFOUND:
		(void)eid_buf_printf(why, "PKCS#11: no token labelled '%s' in "
				     "%s, or no PIN file %s", label, m, pin);
		break;
	case EID_EPERM:
		(void)eid_buf_printf(why, "PKCS#11 pin_file %s: readable by "
				     "group or others (chmod 600 %s)", pin, pin);
		break;
	case EID_EAUTH:
		(void)eid_buf_printf(why, "PKCS#11 token '%s': the PIN in %s "
				     "was refused", label, pin);
		break;
	case EID_EMALFORMED:
		(void)eid_buf_printf(why, "PKCS#11 pin_file %s: empty, or "
				     "longer than 255 bytes", pin);
		break;
	default:
		(void)eid_buf_printf(why, "PKCS#11 token '%s': %s", label,
				     eid_strerror(r));
	}
	return r;
}

const char *eid_hsm_key_why(int r)
{
	switch (r) {
	case EID_ESTATE:
		return "a key lives in a PKCS#11 token, but no [pkcs11] token "
		       "is configured";
	case EID_EMISMATCH:
		return "a key recorded in the store is missing from the "
		       "PKCS#11 token (or another key has its label)";
	case EID_EPERM:
		return "a key in the PKCS#11 token is extractable or not "
		       "sensitive: refused";
	default:
		return NULL;
	}
}
