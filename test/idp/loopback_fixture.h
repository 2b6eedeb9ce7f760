/* A libmicrohttpd server on 127.0.0.1 for the tests of our HTTP clients
 * (registry, SMS gateway, biometric service): an ephemeral port, a thread
 * per connection. */
#ifndef EID_TEST_LOOPBACK_FIXTURE_H
#define EID_TEST_LOOPBACK_FIXTURE_H

#include <microhttpd.h>

/* Start serving with handler and cls as MHD_start_daemon takes them; the
 * handler may calloc per-request state into *con_cls, which is freed when
 * the request ends.  The port goes to *ret_port.  Fails the test on
 * error; stop with MHD_stop_daemon. */
struct MHD_Daemon *loopback_start(MHD_AccessHandlerCallback handler,
				  void *cls, unsigned *ret_port);

#endif
