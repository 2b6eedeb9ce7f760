/* Without pcscd (meson points the client at a socket that does not
 * exist), the PC/SC calls fail cleanly with the library's message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/pcsc.h"
#include "crypto/error.h"

static void test_list_without_service(void **state)
{
	struct eid_pcsc_err err = { 0 };
	char **readers = NULL;
	int r = eid_pcsc_list_readers(&readers, &err);

	assert_int_equal(r, EID_ETRANSPORT);
	assert_null(readers);
	assert_int_not_equal(err.rv, 0);
	assert_true(strlen(err.msg) > 0);
	eid_pcsc_free_readers(NULL);
}

static void test_connect_without_service(void **state)
{
	struct eid_pcsc_err err = { 0 };
	struct eid_transport t = { 0 };

	assert_int_equal(eid_pcsc_connect(NULL, 10, &t, &err), EID_ETRANSPORT);
	assert_null(t.transmit);
	assert_true(strlen(err.msg) > 0);
	assert_int_equal(eid_pcsc_connect("No Such Reader 00 00", 10, &t, NULL),
			 EID_ETRANSPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_without_service),
		cmocka_unit_test(test_connect_without_service),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
