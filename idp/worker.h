/* What the background threads of eidd (back-channel logout, card sweep,
 * SMS queue) share: each waits on a condition variable and stops when a
 * flag is set under its mutex. */
#ifndef EID_WORKER_H
#define EID_WORKER_H

#include <pthread.h>
#include <stdbool.h>

/* Set *stopping under mu, wake every waiter on cv, join thread. */
void eid_worker_stop(pthread_mutex_t *mu, pthread_cond_t *cv, bool *stopping,
		     pthread_t thread);

#endif
