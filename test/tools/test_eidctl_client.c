/* The built eidctl binary: client add/show/list/update/disable/delete with
 * --json, in a fresh data directory. */
#define _GNU_SOURCE
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

struct fx {
	char dir[64];
	const char *eidctl;
};

static const char *eidctl_path;

/* Run eidctl --data DIR --json ARGS with stdin from input (may be NULL);
 * the exit status, and stdout parsed as JSON into *ret_out (may be NULL). */
static int run(struct fx *fx, const char *input, json_t **ret_out,
	       const char *args)
{
	char cmd[2048], out[65536];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s%s%s | '%s' --data '%s' --json %s",
		 input ? "printf '%s\\n' '" : "true", input ? input : "",
		 input ? "'" : "", fx->eidctl, fx->dir, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	if (ret_out != NULL)
		*ret_out = json_loads(out, 0, NULL);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/eid-ctl-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->eidctl = eidctl_path;
	*state = fx;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void test_lifecycle(void **state)
{
	struct fx *fx = *state;
	json_t *o = NULL;
	char *dump;

	assert_int_equal(run(fx, NULL, &o, "client add --id portal "
			     "--name 'C\xe1\xbb\x95ng DVC' --grant "
			     "authorization_code --grant refresh_token "
			     "--redirect-uri https://portal.example/cb "
			     "--scope 'openid profile' --scope citizen "
			     "--subject-type pairwise --require-par "
			     "--access-token-ttl 120"), 0);
	assert_non_null(o);
	assert_int_equal(strlen(str(o, "client_secret")), 43);
	assert_string_equal(str(o, "sector_identifier"), "portal.example");
	assert_string_equal(str(o, "scope"), "openid profile citizen");
	assert_true(json_is_true(json_object_get(o, "require_par")));
	json_decref(o);
	/* show: never a secret or its hash. */
	assert_int_equal(run(fx, NULL, &o, "client show portal"), 0);
	dump = json_dumps(o, 0);
	assert_null(strstr(dump, "secret_hash"));
	assert_null(strstr(dump, "secret_salt"));
	assert_null(strstr(dump, "\"client_secret\""));
	free(dump);
	assert_int_equal(json_integer_value(json_object_get(
				 o, "access_token_ttl")), 120);
	json_decref(o);
	/* A secret from stdin is not echoed back. */
	assert_int_equal(run(fx, "0123456789abcdef0123456789abcdef", &o,
			     "client add --id batch --name Batch "
			     "--grant client_credentials --auth-method "
			     "client_secret_post --secret-stdin"), 0);
	assert_null(json_object_get(o, "client_secret"));
	json_decref(o);
	assert_int_equal(run(fx, NULL, &o, "client list"), 0);
	assert_int_equal(json_array_size(o), 2);
	assert_string_equal(str(json_array_get(o, 0), "client_id"), "batch");
	assert_null(json_object_get(json_array_get(o, 1), "secret_hash"));
	json_decref(o);
	/* update: the ID first or last, repeatable flags replace the list. */
	assert_int_equal(run(fx, NULL, &o, "client update portal "
			     "--redirect-uri https://portal.example/a "
			     "--redirect-uri https://portal.example/b "
			     "--name Portal"), 0);
	assert_int_equal(json_array_size(json_object_get(o, "redirect_uris")),
			 2);
	assert_string_equal(str(o, "name"), "Portal");
	assert_string_equal(str(o, "sector_identifier"), "portal.example");
	json_decref(o);
	assert_int_equal(run(fx, NULL, &o, "client disable portal"), 0);
	json_decref(o);
	assert_int_equal(run(fx, NULL, &o, "client show portal"), 0);
	assert_string_equal(str(o, "status"), "disabled");
	json_decref(o);
	assert_int_equal(run(fx, NULL, &o, "client delete portal"), 0);
	assert_string_equal(str(o, "result"), "deleted");
	json_decref(o);
	assert_int_equal(run(fx, NULL, NULL, "client show portal 2>/dev/null"),
			 1);
}

static void test_refusals(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, NULL, NULL, "client add --id x --name y "
			     "--redirect-uri http://rp.example/cb 2>/dev/null"),
			 1);
	assert_int_equal(run(fx, NULL, NULL, "client add --id x --name y "
			     "--access-token-ttl soon 2>/dev/null"), 2);
	assert_int_equal(run(fx, NULL, NULL, "client add --id x --name y "
			     "--grant implicit --redirect-uri "
			     "https://rp.example/cb 2>/dev/null"), 1);
	assert_int_equal(run(fx, NULL, NULL,
			     "client update 2>/dev/null"), 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s EIDCTL\n", argv[0]);
		return 2;
	}
	eidctl_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
