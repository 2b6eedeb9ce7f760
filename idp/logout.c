#include "idp/logout.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/opaque.h"
#include "idp/worker.h"

#define JTI_RANDOM 16
#define FORM_MAX (64u * 1024)

int eid_logout_token_issue(eid_signer *sg, const char *issuer,
			   const char *client_id, const char *sub,
			   const char *sid, uint64_t now, char **ret_jwt)
{
	char jti[32];
	json_t *c = NULL;
	int r;

	if (sg == NULL || issuer == NULL || client_id == NULL ||
	    ret_jwt == NULL || (sub == NULL && sid == NULL))
		return EID_EINVAL;
	if ((r = eid_opaque_random(JTI_RANDOM, jti, sizeof(jti))) != EID_OK)
		return r;
	c = json_pack("{s:s, s:s, s:I, s:I, s:s, s:{s:{}}}", "iss", issuer,
		      "aud", client_id, "iat", (json_int_t)now, "exp",
		      (json_int_t)(now + EID_LOGOUT_TOKEN_TTL), "jti", jti,
		      "events", EID_LOGOUT_EVENT);
	if (c == NULL)
		return EID_ENOMEM;
	r = EID_ENOMEM;
	if ((sub != NULL && json_object_set_new(c, "sub", json_string(sub))) ||
	    (sid != NULL && json_object_set_new(c, "sid", json_string(sid))))
		goto out;
	r = eid_signer_sign(sg, EID_LOGOUT_TYP, c, ret_jwt);
out:
	json_decref(c);
	return r;
}

/* ---- the worker ---- */

struct job {
	struct job *next;
	char *uri;
	char *token; /* the logout token, or with json the whole body */
	bool json;
};

struct eid_bcl {
	struct eid_bcl_options opt;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	struct job *head, *tail;
	unsigned queued;
	bool stopping;
	struct eid_bcl_stats stats;
};

static void job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->uri);
	eid_free_secret_str(j->token);
	free(j);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The body of a job: logout_token=TOKEN (form encoded), or the JSON. */
static char *job_body(CURL *h, const struct job *j)
{
	char *field, *form = NULL;
	size_t n;

	if (j->json)
		return strdup(j->token);
	if ((field = curl_easy_escape(h, j->token, 0)) == NULL)
		return NULL;
	n = strlen("logout_token=") + strlen(field) + 1;
	if (n <= FORM_MAX && (form = malloc(n)) != NULL)
		snprintf(form, n, "logout_token=%s", field);
	curl_free(field);
	return form;
}

/* One POST; true when the RP answered 200 or 204 (section 2.8; the
 * signing callback takes the same answers). */
static bool post_once(const struct eid_bcl_options *o, const struct job *j)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char *body = NULL;
	long status = 0;
	bool ok = false;

	if (h == NULL)
		return false;
	if ((body = job_body(h, j)) == NULL)
		goto out;
	if (j->json &&
	    (hdr = curl_slist_append(NULL, "Content-Type: application/json")) ==
		    NULL)
		goto out;
	curl_easy_setopt(h, CURLOPT_URL, j->uri);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_USERAGENT,
			 j->json ? "eid signing callback" :
				   "eid back-channel logout");
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
		ok = status == 200 || status == 204;
out:
	if (body != NULL)
		eid_free_secret_str(body);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return ok;
}

/* Wait ms unless the queue is stopping; true when it is.  Called with
 * the lock held. */
static bool pause_or_stop(eid_bcl *q, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!q->stopping &&
	       pthread_cond_timedwait(&q->cv, &q->mu, &until) != ETIMEDOUT)
		;
	return q->stopping;
}

static void deliver(eid_bcl *q, struct job *j)
{
	unsigned pause = q->opt.backoff_ms;
	bool ok = false;

	for (unsigned a = 0; a < q->opt.attempts && !ok; a++) {
		if (a > 0) {
			bool stop;
			pthread_mutex_lock(&q->mu);
			stop = pause_or_stop(q, pause);
			pthread_mutex_unlock(&q->mu);
			if (stop)
				break;
			pause *= 2;
		}
		ok = post_once(&q->opt, j);
	}
	pthread_mutex_lock(&q->mu);
	if (ok)
		q->stats.delivered++;
	else
		q->stats.failed++;
	pthread_mutex_unlock(&q->mu);
}

static void *worker(void *arg)
{
	eid_bcl *q = arg;

	for (;;) {
		struct job *j;
		pthread_mutex_lock(&q->mu);
		while (!q->stopping && q->head == NULL)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stopping) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		j = q->head;
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->queued--;
		pthread_mutex_unlock(&q->mu);
		deliver(q, j);
		job_free(j);
	}
}

int eid_bcl_start(const struct eid_bcl_options *opt, eid_bcl **ret)
{
	eid_bcl *q;

	if (ret == NULL)
		return EID_EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return EID_ENOMEM;
	if (opt != NULL)
		q->opt = *opt;
	if (q->opt.queue_max == 0)
		q->opt.queue_max = EID_BCL_QUEUE_MAX;
	if (q->opt.attempts == 0)
		q->opt.attempts = EID_BCL_ATTEMPTS;
	if (q->opt.connect_ms == 0)
		q->opt.connect_ms = 2000;
	if (q->opt.timeout_ms == 0)
		q->opt.timeout_ms = 5000;
	if (q->opt.backoff_ms == 0)
		q->opt.backoff_ms = 500;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->thread, NULL, worker, q) != 0) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return EID_EINTERNAL;
	}
	*ret = q;
	return EID_OK;
}

void eid_bcl_stop(eid_bcl *q)
{
	struct job *j;

	if (q == NULL)
		return;
	eid_worker_stop(&q->mu, &q->cv, &q->stopping, q->thread);
	while ((j = q->head) != NULL) {
		q->head = j->next;
		job_free(j);
	}
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static int enqueue(eid_bcl *q, const char *uri, const char *payload,
		   bool json)
{
	struct job *j;
	int r = EID_OK;

	if (q == NULL || uri == NULL || payload == NULL)
		return EID_EINVAL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return EID_ENOMEM;
	j->uri = strdup(uri);
	j->token = strdup(payload);
	j->json = json;
	if (j->uri == NULL || j->token == NULL) {
		job_free(j);
		return EID_ENOMEM;
	}
	pthread_mutex_lock(&q->mu);
	if (q->stopping || q->queued >= q->opt.queue_max) {
		q->stats.dropped++;
		r = q->stopping ? EID_ESTATE : EID_EFULL;
	} else {
		if (q->tail != NULL)
			q->tail->next = j;
		else
			q->head = j;
		q->tail = j;
		q->queued++;
		pthread_cond_signal(&q->cv);
		j = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	job_free(j);
	return r;
}

int eid_bcl_enqueue(eid_bcl *q, const char *uri, const char *logout_token)
{
	return enqueue(q, uri, logout_token, false);
}

int eid_bcl_enqueue_json(eid_bcl *q, const char *uri, const char *json)
{
	return enqueue(q, uri, json, true);
}

void eid_bcl_get_stats(eid_bcl *q, struct eid_bcl_stats *ret)
{
	pthread_mutex_lock(&q->mu);
	*ret = q->stats;
	pthread_mutex_unlock(&q->mu);
}
