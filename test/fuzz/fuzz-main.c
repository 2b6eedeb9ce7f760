/* Replays fuzz inputs without libFuzzer: each argument is a file or a
 * directory of files, each fed once to LLVMFuzzerTestOneInput.  This is how
 * every corpus runs as an ordinary test (and under the sanitizers) in CI. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (4u * 1024 * 1024)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "fuzz-main: %s: cannot open\n", path);
		return 1;
	}
	data = malloc(FUZZ_MAX_INPUT);
	if (data == NULL) {
		fclose(f);
		return 1;
	}
	n = fread(data, 1, FUZZ_MAX_INPUT, f);
	fclose(f);
	/* A heap copy of exactly n bytes lets ASan catch reads past the end. */
	{
		uint8_t *exact = malloc(n > 0 ? n : 1);
		if (exact == NULL) {
			free(data);
			return 1;
		}
		memcpy(exact, data, n);
		free(data);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	return 0;
}

static int run_path(const char *path, unsigned *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int bad = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz-main: %s: no such file\n", path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	d = opendir(path);
	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL) {
		char sub[4096];
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
				     e->d_name) >= sizeof(sub)) {
			bad = 1;
			continue;
		}
		bad |= run_path(sub, count);
	}
	closedir(d);
	return bad;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= run_path(argv[i], &count);
	printf("fuzz-main: replayed %u inputs\n", count);
	if (count == 0) {
		fprintf(stderr, "fuzz-main: no inputs given\n");
		return 1;
	}
	return bad;
}
