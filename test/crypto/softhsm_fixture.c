#include "test/crypto/softhsm_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool softhsm_available(void)
{
	return access(SOFTHSM_MODULE, R_OK) == 0 &&
	       system("command -v softhsm2-util >/dev/null 2>&1") == 0;
}

static bool write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	return close(fd) == 0 && ok;
}

bool softhsm_setup(struct softhsm *h)
{
	char conf[PATH_MAX], text[PATH_MAX + 128], cmd[PATH_MAX + 256];

	snprintf(h->dir, sizeof(h->dir), "/tmp/eid-softhsm-XXXXXX");
	if (mkdtemp(h->dir) == NULL)
		return false;
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", h->dir);
	snprintf(text, sizeof(text),
		 "directories.tokendir = %s\nobjectstore.backend = file\n"
		 "log.level = ERROR\n", h->dir);
	snprintf(h->pin_file, sizeof(h->pin_file), "%s/pin", h->dir);
	snprintf(h->bad_pin_file, sizeof(h->bad_pin_file), "%s/badpin",
		 h->dir);
	if (!write_file(conf, text, 0600) ||
	    !write_file(h->pin_file, SOFTHSM_PIN "\n", 0600) ||
	    !write_file(h->bad_pin_file, "271828\n", 0600) ||
	    setenv("SOFTHSM2_CONF", conf, 1) != 0)
		return false;
	snprintf(cmd, sizeof(cmd),
		 "softhsm2-util --init-token --free --label %s --so-pin 12345678 "
		 "--pin %s >/dev/null", SOFTHSM_LABEL, SOFTHSM_PIN);
	return system(cmd) == 0;
}

void softhsm_teardown(struct softhsm *h)
{
	char cmd[PATH_MAX + 16];

	if (h->dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", h->dir);
}
