/* eidctl as an operator runs it: the built binary (path in argv[1]) in a
 * fresh data directory, without a shell, each command with --json and its
 * output parsed. */
#define _GNU_SOURCE
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#define ID "001090012345"
#define OUT_MAX (64 * 1024)

static const char *eidctl_path;

struct fx {
	char dir[64];
	char data[96];
	char config[96];
};

/* Run eidctl with args (NULL-terminated), feeding input (may be NULL) on
 * stdin; stdout into out.  Returns the exit status. */
static int run(const struct fx *f, const char *input, char *out,
	       const char *const *args)
{
	const char *bin = eidctl_path;
	char *argv[32];
	int in_pipe[2], out_pipe[2], status = -1;
	size_t n = 0, k = 0;
	ssize_t got;
	pid_t pid;

	assert_non_null(bin);
	argv[k++] = (char *)bin;
	argv[k++] = (char *)"--data";
	argv[k++] = (char *)f->data;
	argv[k++] = (char *)"--config";
	argv[k++] = (char *)f->config;
	for (size_t i = 0; args[i] != NULL && k < 31; i++)
		argv[k++] = (char *)args[i];
	argv[k] = NULL;
	assert_int_equal(pipe(in_pipe), 0);
	assert_int_equal(pipe(out_pipe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in_pipe[0], 0);
		dup2(out_pipe[1], 1);
		close(in_pipe[1]);
		close(out_pipe[0]);
		execv(bin, argv);
		_exit(127);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	if (input != NULL)
		assert_int_equal(write(in_pipe[1], input, strlen(input)),
				 (ssize_t)strlen(input));
	close(in_pipe[1]);
	while ((got = read(out_pipe[0], out + n, OUT_MAX - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(out_pipe[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run, expect the exit code, and parse stdout as JSON. */
static json_t *run_json(const struct fx *f, const char *input, int want,
			const char *const *args)
{
	static char out[OUT_MAX];
	json_error_t err;
	json_t *j;

	assert_int_equal(run(f, input, out, args), want);
	j = json_loads(out, 0, &err);
	if (j == NULL)
		fail_msg("not JSON: %s (%s)", out, err.text);
	return j;
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	assert_non_null(v);
	return v;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	FILE *c;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/eid-eidctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/eid.conf", f->dir);
	/* Cheap Argon2 for the test; the rest as shipped. */
	c = fopen(f->config, "w");
	assert_non_null(c);
	fputs("[passwords]\nmemory_kib = 64\niterations = 1\n", c);
	fclose(c);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void add_citizen(const struct fx *f)
{
	const char *const add[] = {
		"registry", "add", "--json", "--personal-id", ID,
		"--full-name", "Nguyễn Văn An", "--birthdate", "1990-03-15",
		"--sex", "male", "--card-expires", "2099-03-15",
		"--residence", "12 Phố Huế, Hà Nội", NULL
	};
	json_t *j = run_json(f, NULL, 0, add);

	assert_string_equal(str(j, "personal_id"), ID);
	assert_true(json_is_true(json_object_get(j, "added")));
	json_decref(j);
}

static void test_registry_add_show(void **state)
{
	const struct fx *f = *state;
	const char *const show[] = { "registry", "show", ID, "--json", NULL };
	const char *const bad[] = { "registry", "add", "--personal-id", ID,
				    "--full-name", "X", "--birthdate",
				    "1990-03-15", "--sex", "female", NULL };
	char out[OUT_MAX];
	json_t *j;

	add_citizen(f);
	j = run_json(f, NULL, 0, show);
	assert_string_equal(str(j, "full_name"), "Nguyễn Văn An");
	assert_string_equal(str(j, "residence"), "12 Phố Huế, Hà Nội");
	json_decref(j);
	/* The ID says male: refused. */
	assert_int_equal(run(f, NULL, out, bad), 1);
}

static void test_account_lifecycle(void **state)
{
	const struct fx *f = *state;
	const char *const create[] = { "account", "create", "--json",
				       "--personal-id", ID, "--phone",
				       "0912345678", "--password-stdin", NULL };
	const char *const lock[] = { "account", "lock", ID, "--reason",
				     "lost_device", "--json", NULL };
	const char *const unlock[] = { "account", "unlock", ID, "--json", NULL };
	const char *const verify[] = { "audit", "verify", "--json", NULL };
	char out[OUT_MAX];
	json_t *j;

	add_citizen(f);
	/* A weak password is refused and nothing is written. */
	assert_int_equal(run(f, "password1234\n", out, create), 1);
	j = run_json(f, "a quiet river at dawn\n", 0, create);
	assert_string_equal(str(j, "phone"), "+84912345678");
	assert_string_equal(str(j, "status"), "active");
	assert_null(json_object_get(j, "password"));
	json_decref(j);
	/* One account per citizen. */
	assert_int_equal(run(f, "a quiet river at dawn\n", out, create), 1);
	j = run_json(f, NULL, 0, lock);
	assert_string_equal(str(j, "status"), "locked");
	assert_string_equal(str(j, "lock_reason"), "lost_device");
	assert_true(strncmp(str(j, "locked_by"), "operator:", 9) == 0);
	json_decref(j);
	j = run_json(f, NULL, 0, unlock);
	assert_string_equal(str(j, "status"), "active");
	json_decref(j);
	assert_int_equal(run(f, NULL, out, unlock), 1);
	j = run_json(f, NULL, 0, verify);
	assert_true(json_is_true(json_object_get(j, "intact")));
	/* registry.put, account.create, account.lock, account.unlock */
	assert_int_equal(json_integer_value(json_object_get(j, "entries")), 4);
	json_decref(j);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry_add_show, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_account_lifecycle, setup,
						teardown),
	};
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-EIDCTL\n", argv[0]);
		return 2;
	}
	eidctl_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
