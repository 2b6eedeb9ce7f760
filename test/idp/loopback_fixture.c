#include "loopback_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
		 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

struct MHD_Daemon *loopback_start(MHD_AccessHandlerCallback handler,
				  void *cls, unsigned *ret_port)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
		0, NULL, NULL, handler, cls, MHD_OPTION_NOTIFY_COMPLETED, done,
		NULL, MHD_OPTION_END);

	assert_non_null(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	*ret_port = (unsigned)info->port;
	return d;
}
