#include "crypto/secret.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/error.h"

void eid_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void eid_free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	eid_wipe(p, n);
	free(p);
}

void eid_free_secret_str(char *s)
{
	if (s == NULL)
		return;
	eid_free_secret(s, strlen(s));
}

bool eid_ct_equal(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return true;
	return CRYPTO_memcmp(a, b, n) == 0;
}

bool eid_ct_equal_len(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return false;
	return eid_ct_equal(a, b, alen);
}

int eid_random_bytes(void *p, size_t n)
{
	if (n == 0)
		return EID_OK;
	if (p == NULL || n > (size_t)INT32_MAX)
		return EID_EINVAL;
	if (RAND_bytes(p, (int)n) != 1)
		return EID_ECRYPTO;
	return EID_OK;
}

int eid_random_uniform(unsigned long bound, unsigned long *ret_value)
{
	unsigned long v, limit;
	int r;

	if (bound == 0 || ret_value == NULL)
		return EID_EINVAL;
	/* Reject the top sliver of the range so every value is equally likely. */
	limit = (unsigned long)-1 - ((unsigned long)-1 % bound);
	do {
		r = eid_random_bytes(&v, sizeof(v));
		if (r != EID_OK)
			return r;
	} while (v >= limit);
	*ret_value = v % bound;
	return EID_OK;
}
