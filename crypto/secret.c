#include "crypto/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int eid_secret_file_read(const char *path, char *text, size_t cap,
			 size_t *ret_len)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, r = EID_EIO;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? EID_ENOTFOUND :
		       errno == EACCES ? EID_EPERM : EID_EIO;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode))
		goto out;
	r = EID_EPERM;
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		goto out;
	r = EID_EIO;
	do {
		n = read(fd, text + len, cap + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		len += (size_t)n;
	} while (n > 0 && len < cap + 1);
	r = EID_EMALFORMED;
	if (len > cap)
		goto out;
	*ret_len = len;
	r = EID_OK;
out:
	close(fd);
	return r;
}
