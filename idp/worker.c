/* See worker.h. */
#include "idp/worker.h"

void eid_worker_stop(pthread_mutex_t *mu, pthread_cond_t *cv, bool *stopping,
		     pthread_t thread)
{
	pthread_mutex_lock(mu);
	*stopping = true;
	pthread_cond_broadcast(cv);
	pthread_mutex_unlock(mu);
	pthread_join(thread, NULL);
}
