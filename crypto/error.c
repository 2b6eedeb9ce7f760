#include "crypto/error.h"

const char *eid_strerror(int r)
{
	switch (r) {
#define EID_ERROR_MSG(name, value, msg) \
	case (value):                   \
		return msg;
		EID_ERRORS(EID_ERROR_MSG)
#undef EID_ERROR_MSG
	}
	return "unknown error";
}

const char *eid_errname(int r)
{
	switch (r) {
#define EID_ERROR_NAME(name, value, msg) \
	case (value):                    \
		return #name;
		EID_ERRORS(EID_ERROR_NAME)
#undef EID_ERROR_NAME
	}
	return "EID_EUNKNOWN";
}
