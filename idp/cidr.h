/* Address lists such as [server] trusted_proxies: IPv4 and IPv6 addresses
 * and CIDR blocks ("10.0.0.0/8, ::1, 192.0.2.7"), separated by commas or
 * blanks.  A v4-mapped IPv6 address (::ffff:10.1.2.3) matches as IPv4. */
#ifndef EID_CIDR_H
#define EID_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EID_CIDR_MAX 64u

struct eid_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
};

struct eid_cidr_list {
	struct eid_cidr v[EID_CIDR_MAX];
	size_t n;
};

/* EID_OK (an empty text is an empty list), EID_EMALFORMED for anything
 * that is not a numeric address or block, EID_ETOOBIG beyond
 * EID_CIDR_MAX entries.  ret_list is set only on success. */
int eid_cidr_list_parse(const char *text, struct eid_cidr_list *ret_list);

/* True when the numeric address text (as getnameinfo makes it) lies in
 * one of the blocks; false for anything unparsable. */
bool eid_cidr_list_match(const struct eid_cidr_list *l, const char *addr);

#endif
