/* pcsc-lite transport: the way every Linux reader, contact or NFC, is
 * reached.  Failures map to EID_ETRANSPORT (no service, reader trouble),
 * EID_ENOTFOUND (no reader, no card) or EID_ETIMEOUT; the PC/SC code and
 * its message are kept in an eid_pcsc_err for the caller to show. */
#ifndef EID_PCSC_H
#define EID_PCSC_H

#include "chip/transport.h"

struct eid_pcsc_err {
	long rv;       /* the SCARD_E_... / SCARD_W_... code, 0 when none */
	char msg[128]; /* pcsc_stringify_error() text, NUL-terminated */
};

/* The names of the readers pcscd knows, as a NULL-terminated array the
 * caller frees with eid_pcsc_free_readers.  EID_ENOTFOUND when there is no
 * reader; EID_ETRANSPORT when pcscd cannot be reached.  err (may be NULL)
 * is filled on failure. */
int eid_pcsc_list_readers(char ***ret_readers, struct eid_pcsc_err *err);
void eid_pcsc_free_readers(char **readers);

/* Wait up to timeout_ms for a card in reader (NULL: the first reader),
 * connect to it shared with T=0 or T=1, and fill ret_t; eid_transport_close
 * disconnects and releases the context.  EID_ETIMEOUT when no card came. */
int eid_pcsc_connect(const char *reader, unsigned timeout_ms,
		     struct eid_transport *ret_t, struct eid_pcsc_err *err);

#endif
