/* Address lists: parsing and matching (idp/cidr.h). */
#include "idp/cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/error.h"

/* Longest item: an IPv6 address with "/128". */
#define ITEM_MAX (INET6_ADDRSTRLEN + 4)

/* A numeric address; v4-mapped IPv6 becomes IPv4. */
static bool parse_addr(const char *s, struct eid_cidr *c)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };
	uint8_t a6[16];

	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, s, c->addr) == 1) {
		c->family = AF_INET;
		c->bits = 32;
		return true;
	}
	if (inet_pton(AF_INET6, s, a6) != 1)
		return false;
	if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
		c->family = AF_INET;
		memcpy(c->addr, a6 + 12, 4);
		c->bits = 32;
		return true;
	}
	c->family = AF_INET6;
	memcpy(c->addr, a6, 16);
	c->bits = 128;
	return true;
}

static bool parse_bits(const char *s, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max)
		return false;
	*ret = v;
	return true;
}

static int parse_item(const char *p, size_t n, struct eid_cidr *ret)
{
	char item[ITEM_MAX + 1];
	char *slash;
	struct eid_cidr c;
	unsigned bits;

	if (n > ITEM_MAX)
		return EID_EMALFORMED;
	memcpy(item, p, n);
	item[n] = '\0';
	slash = strchr(item, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!parse_addr(item, &c))
		return EID_EMALFORMED;
	if (slash != NULL) {
		if (!parse_bits(slash + 1, c.bits, &bits))
			return EID_EMALFORMED;
		/* ::ffff:a.b.c.d/120 is a.b.c.d/24 */
		if (c.family == AF_INET && strchr(item, ':') != NULL) {
			if (bits < 96)
				return EID_EMALFORMED;
			bits -= 96;
		}
		c.bits = bits;
	}
	*ret = c;
	return EID_OK;
}

int eid_cidr_list_parse(const char *text, struct eid_cidr_list *ret_list)
{
	static const char seps[] = ", \t";
	struct eid_cidr_list *l = NULL;
	const char *p = text;
	size_t n;
	int r = EID_EINVAL;

	if (text == NULL || ret_list == NULL)
		goto out;
	r = EID_ENOMEM;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto out;
	r = EID_OK;
	for (p += strspn(p, seps); *p != '\0' && r == EID_OK;
	     p += strspn(p, seps)) {
		n = strcspn(p, seps);
		if (l->n == EID_CIDR_MAX)
			r = EID_ETOOBIG;
		else
			r = parse_item(p, n, &l->v[l->n++]);
		p += n;
	}
	if (r == EID_OK)
		*ret_list = *l;
out:
	free(l);
	return r;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool eid_cidr_list_match(const struct eid_cidr_list *l, const char *addr)
{
	struct eid_cidr a;

	if (l == NULL || addr == NULL || l->n == 0 || !parse_addr(addr, &a))
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].family == a.family &&
		    prefix_equal(l->v[i].addr, a.addr, l->v[i].bits))
			return true;
	return false;
}
