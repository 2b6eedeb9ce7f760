#include "idp/logout.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/audit.h"
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
	char *bearer; /* Authorization: Bearer; NULL: none */
	/* The audit of a failure; store NULL: none. */
	eid_store *audit_store;
	char *audit_event, *audit_subject;
	json_t *audit_details;
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
	eid_free_secret_str(j->bearer);
	free(j->audit_event);
	free(j->audit_subject);
	json_decref(j->audit_details);
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

/* The request headers of j: the JSON type, the bearer token.  NULL
 * with nothing to add, or when out of memory (*ret_r then set). */
static struct curl_slist *job_headers(const struct job *j, int *ret_r)
{
	struct curl_slist *hdr = NULL, *more;
	char *auth;
	size_t n;

	*ret_r = EID_OK;
	if (j->json &&
	    (hdr = curl_slist_append(NULL, "Content-Type: application/json")) ==
		    NULL)
		goto fail;
	if (j->bearer == NULL)
		return hdr;
	n = strlen("Authorization: Bearer ") + strlen(j->bearer) + 1;
	if ((auth = malloc(n)) == NULL)
		goto fail;
	snprintf(auth, n, "Authorization: Bearer %s", j->bearer);
	more = curl_slist_append(hdr, auth);
	eid_free_secret_str(auth);
	if (more == NULL)
		goto fail;
	return more;
fail:
	curl_slist_free_all(hdr);
	*ret_r = EID_ENOMEM;
	return NULL;
}

/* curl frees its copies without wiping: the bearer token is a secret. */
static void headers_free(struct curl_slist *hdr)
{
	for (struct curl_slist *l = hdr; l != NULL; l = l->next)
		eid_wipe(l->data, strlen(l->data));
	curl_slist_free_all(hdr);
}

/* One POST; true when the RP answered 200 or 204 (section 2.8; the
 * signing callback and the CIBA ping, 10.2, take the same answers).
 * *ret_status: the answer's status, 0 without one. */
static bool post_once(const struct eid_bcl_options *o, const struct job *j,
		      long *ret_status)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char *body = NULL;
	long status = 0;
	bool ok = false;
	int r;

	*ret_status = 0;
	if (h == NULL)
		return false;
	if ((body = job_body(h, j)) == NULL)
		goto out;
	if ((hdr = job_headers(j, &r)) == NULL && r != EID_OK)
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
			 j->bearer != NULL ? "eid CIBA ping" :
			 j->json	   ? "eid signing callback" :
					     "eid back-channel logout");
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK) {
		ok = status == 200 || status == 204;
		*ret_status = status;
	}
out:
	if (body != NULL)
		eid_free_secret_str(body);
	headers_free(hdr);
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

/* Every attempt failed: the audit entry the job asked for. */
static void audit_failure(const struct job *j, unsigned attempts,
			  long status)
{
	eid_txn *t = NULL;
	json_t *d;

	if (j->audit_store == NULL)
		return;
	d = j->audit_details != NULL ? json_deep_copy(j->audit_details) :
				       json_object();
	if (d == NULL || json_object_set_new(d, "uri", json_string(j->uri)) ||
	    json_object_set_new(d, "attempts", json_integer(attempts)) ||
	    json_object_set_new(d, "status", json_integer(status)) ||
	    eid_store_begin(j->audit_store, true, &t) != EID_OK) {
		json_decref(d);
		return;
	}
	if (eid_audit_record(t, j->audit_event, "eid", j->audit_subject, NULL,
			     d, (int64_t)eid_store_now(j->audit_store)) ==
	    EID_OK)
		(void)eid_txn_commit(t);
	else
		eid_txn_abort(t);
}

static void deliver(eid_bcl *q, struct job *j)
{
	unsigned pause = q->opt.backoff_ms, a;
	long status = 0;
	bool ok = false;

	for (a = 0; a < q->opt.attempts && !ok; a++) {
		if (a > 0) {
			bool stop;
			pthread_mutex_lock(&q->mu);
			stop = pause_or_stop(q, pause);
			pthread_mutex_unlock(&q->mu);
			if (stop)
				break;
			pause *= 2;
		}
		ok = post_once(&q->opt, j, &status);
	}
	if (!ok)
		audit_failure(j, a, status);
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

static struct job *job_new(const char *uri, const char *payload, bool json)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->uri = strdup(uri);
	j->token = strdup(payload);
	j->json = json;
	if (j->uri == NULL || j->token == NULL) {
		job_free(j);
		return NULL;
	}
	return j;
}

/* Queue j (taken in every case). */
static int enqueue_job(eid_bcl *q, struct job *j)
{
	int r = EID_OK;

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

static int enqueue(eid_bcl *q, const char *uri, const char *payload,
		   bool json)
{
	struct job *j;

	if (q == NULL || uri == NULL || payload == NULL)
		return EID_EINVAL;
	if ((j = job_new(uri, payload, json)) == NULL)
		return EID_ENOMEM;
	return enqueue_job(q, j);
}

int eid_bcl_enqueue(eid_bcl *q, const char *uri, const char *logout_token)
{
	return enqueue(q, uri, logout_token, false);
}

int eid_bcl_enqueue_json(eid_bcl *q, const char *uri, const char *json)
{
	return enqueue(q, uri, json, true);
}

static int set_audit(struct job *j, const struct eid_bcl_audit *fail)
{
	if (fail == NULL || fail->store == NULL)
		return EID_OK;
	if (fail->event == NULL)
		return EID_EINVAL;
	j->audit_store = fail->store;
	if ((j->audit_event = strdup(fail->event)) == NULL ||
	    (fail->subject != NULL &&
	     (j->audit_subject = strdup(fail->subject)) == NULL) ||
	    (fail->details != NULL &&
	     (j->audit_details = json_deep_copy(fail->details)) == NULL))
		return EID_ENOMEM;
	return EID_OK;
}

int eid_bcl_enqueue_bearer(eid_bcl *q, const char *uri, const char *json,
			   const char *bearer,
			   const struct eid_bcl_audit *fail)
{
	struct job *j;
	int r;

	if (q == NULL || uri == NULL || json == NULL || bearer == NULL ||
	    bearer[0] == '\0' || strpbrk(bearer, "\r\n") != NULL)
		return EID_EINVAL;
	if ((j = job_new(uri, json, true)) == NULL)
		return EID_ENOMEM;
	if ((j->bearer = strdup(bearer)) == NULL) {
		job_free(j);
		return EID_ENOMEM;
	}
	if ((r = set_audit(j, fail)) != EID_OK) {
		job_free(j);
		return r;
	}
	return enqueue_job(q, j);
}

void eid_bcl_get_stats(eid_bcl *q, struct eid_bcl_stats *ret)
{
	pthread_mutex_lock(&q->mu);
	*ret = q->stats;
	pthread_mutex_unlock(&q->mu);
}
