/* The key-encryption key (KEK) that seals signing keys at rest. */
#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "crypto/buf.h"
#include "crypto/error.h"
#include "crypto/jose.h"
#include "crypto/secret.h"

#define KEK_LEN 32
#define KEK_HEX_LEN 64
#define KEK_B64_LEN 43
/* The longest accepted text (64 hex + CRLF) and one byte to spot more. */
#define KEK_TEXT_MAX 67

static int kek_from_hex(const char *s, uint8_t kek[KEK_LEN])
{
	size_t n = 0;
	int ok;

	/* With sep 0 OPENSSL_hexstr2buf_ex takes plain digit pairs only. */
	ok = OPENSSL_hexstr2buf_ex(kek, KEK_LEN, &n, s, '\0');
	ERR_clear_error();
	return ok == 1 && n == KEK_LEN ? EID_OK : EID_EMALFORMED;
}

static int kek_from_b64(const char *s, uint8_t kek[KEK_LEN])
{
	eid_buf b;
	int r;

	eid_buf_init_secret(&b, KEK_LEN);
	r = eid_b64url_decode(s, KEK_B64_LEN, &b);
	if (r == EID_OK && b.len == KEK_LEN)
		memcpy(kek, b.data, KEK_LEN);
	else
		r = EID_EMALFORMED;
	eid_buf_free(&b);
	return r;
}

/* text[len] (not NUL-terminated) holds the KEK in one of its two forms. */
static int kek_parse(char *text, size_t len, uint8_t kek[KEK_LEN])
{
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (memchr(text, '\0', len) != NULL)
		return EID_EMALFORMED;
	text[len] = '\0';
	if (len == KEK_HEX_LEN)
		return kek_from_hex(text, kek);
	if (len == KEK_B64_LEN + 1 && text[KEK_B64_LEN] == '=')
		len = KEK_B64_LEN;
	if (len == KEK_B64_LEN)
		return kek_from_b64(text, kek);
	return EID_EMALFORMED;
}

int eid_kek_load(const char *file, const char *env_name, uint8_t ret_kek[32])
{
	char text[KEK_TEXT_MAX + 2];
	uint8_t kek[KEK_LEN];
	const char *env;
	size_t len = 0;
	int r = EID_ENOTFOUND;

	if (ret_kek == NULL)
		return EID_EINVAL;
	if (file != NULL)
		r = eid_secret_file_read(file, text, KEK_TEXT_MAX, &len);
	/* An empty variable counts as unset (`EID_KEK= eidd ...`). */
	if (r == EID_ENOTFOUND && env_name != NULL &&
	    (env = getenv(env_name)) != NULL && env[0] != '\0') {
		len = strnlen(env, KEK_TEXT_MAX + 1);
		r = EID_EMALFORMED;
		if (len <= KEK_TEXT_MAX) {
			memcpy(text, env, len);
			r = EID_OK;
		}
	}
	if (r != EID_OK)
		goto out;
	r = kek_parse(text, len, kek);
	if (r == EID_OK)
		memcpy(ret_kek, kek, KEK_LEN);
out:
	eid_wipe(text, sizeof(text));
	eid_wipe(kek, sizeof(kek));
	return r;
}

static int fsync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, r = EID_EIO;

	if (strlen(path) >= sizeof(copy))
		return EID_EINVAL;
	memcpy(copy, path, strlen(path) + 1);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return EID_EIO;
	if (fsync(fd) == 0)
		r = EID_OK;
	close(fd);
	return r;
}

int eid_kek_generate_file(const char *path)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t kek[KEK_LEN];
	char text[KEK_HEX_LEN + 1];
	int fd, r;

	if (path == NULL)
		return EID_EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return errno == EEXIST ? EID_EEXIST :
		       errno == EACCES ? EID_EPERM : EID_EIO;
	r = eid_random_bytes(kek, sizeof(kek));
	if (r != EID_OK)
		goto out;
	for (size_t i = 0; i < KEK_LEN; i++) {
		text[2 * i] = hex[kek[i] >> 4];
		text[2 * i + 1] = hex[kek[i] & 0x0f];
	}
	text[KEK_HEX_LEN] = '\n';
	r = EID_EIO;
	/* fchmod: the mode must not depend on what open() made of umask. */
	if (fchmod(fd, 0600) != 0 ||
	    eid_write_all(fd, text, sizeof(text)) != EID_OK || fsync(fd) != 0)
		goto out;
	r = EID_OK;
out:
	if (close(fd) != 0 && r == EID_OK)
		r = EID_EIO;
	if (r != EID_OK)
		unlink(path);
	else
		r = fsync_dir_of(path);
	eid_wipe(kek, sizeof(kek));
	eid_wipe(text, sizeof(text));
	return r;
}
