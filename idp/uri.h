/* The URI rules of client registration (RFC 6749 3.1.2, RFC 8252 7,
 * OIDC Registration 2), on libcurl's URL parser. */
#ifndef EID_URI_H
#define EID_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/buf.h"

#define EID_URI_MAX 2048

enum eid_uri_kind {
	/* https, or http on a loopback host (127.0.0.1, [::1], localhost):
	 * back-channel logout, jwks_uri. */
	EID_URI_WEB,
	/* EID_URI_WEB, or a private-use scheme of a native app in reverse
	 * domain form ("vn.gov.app:/callback"): redirect URIs. */
	EID_URI_REDIRECT,
};

/* EID_OK when uri (NUL-terminated) follows the rules of kind: absolute,
 * at most EID_URI_MAX bytes, printable ASCII without spaces, the scheme in
 * lower case, no fragment, no user name or password.  Otherwise
 * EID_EMALFORMED with a reason appended to why (may be NULL). */
int eid_uri_check(const char *uri, enum eid_uri_kind kind, eid_buf *why);

/* The host of an http(s) URI, lower case and without brackets, into
 * ret_host (cap bytes with the NUL).  EID_ENOTFOUND for a private-use
 * scheme (no host), EID_EMALFORMED for a bad URI, EID_ETOOBIG. */
int eid_uri_host(const char *uri, char *ret_host, size_t cap);

/* True for the loopback host names of RFC 8252 8.3 as curl reports them. */
bool eid_uri_host_is_loopback(const char *host);

#endif
