/* One error space for the whole project: 0 is success, every failure is a
 * negative EID_E... code.  Library code returns these and never prints;
 * the caller decides what to tell whom. */
#ifndef EID_ERROR_H
#define EID_ERROR_H

/* X(name, value, message): one line per error so the enum and the message
 * table can never drift apart. */
#define EID_ERRORS(X)                                                        \
	X(EID_OK, 0, "success")                                              \
	X(EID_EINTERNAL, -1, "internal error")                               \
	X(EID_ENOMEM, -2, "out of memory")                                   \
	X(EID_EINVAL, -3, "invalid argument")                                \
	X(EID_EMALFORMED, -4, "malformed input")                             \
	X(EID_ETOOBIG, -5, "input exceeds its size limit")                   \
	X(EID_ETRUNCATED, -6, "input is truncated")                          \
	X(EID_ENOTFOUND, -7, "not found")                                    \
	X(EID_EEXIST, -8, "already exists")                                  \
	X(EID_EIO, -9, "input/output error")                                 \
	X(EID_ECRYPTO, -10, "cryptographic operation failed")                \
	X(EID_EVERIFY, -11, "verification failed")                           \
	X(EID_ESTORE, -12, "store error")                                    \
	X(EID_ESCHEMA, -13, "store schema version mismatch")                 \
	X(EID_ECONFIG, -14, "invalid configuration")                         \
	X(EID_EPERM, -15, "permission denied")                               \
	X(EID_EEXPIRED, -16, "expired")                                      \
	X(EID_EREPLAY, -17, "already used")                                  \
	X(EID_ELOCKED, -18, "locked")                                        \
	X(EID_EAUTH, -19, "authentication failed")                           \
	X(EID_ECARD, -20, "card returned an error status")                   \
	X(EID_ETRANSPORT, -21, "card transport error")                       \
	X(EID_EUNSUPPORTED, -22, "not supported")                            \
	X(EID_ELIMIT, -23, "rate limit exceeded")                            \
	X(EID_EFULL, -24, "storage is full")                                 \
	X(EID_ESTATE, -25, "operation not allowed in the current state")     \
	X(EID_ETIMEOUT, -26, "timed out")                                    \
	X(EID_ENETWORK, -27, "network error")                                \
	X(EID_EMISMATCH, -28, "data does not match")                         \
	X(EID_EBUSY, -29, "busy, try again later")

enum eid_error {
#define EID_ERROR_ENUM(name, value, msg) name = (value),
	EID_ERRORS(EID_ERROR_ENUM)
#undef EID_ERROR_ENUM
};

/* A static, human-readable message for an EID_E... code (never NULL). */
const char *eid_strerror(int r);

/* The symbolic name ("EID_EINVAL") of a code, for logs and JSON output. */
const char *eid_errname(int r);

#endif
