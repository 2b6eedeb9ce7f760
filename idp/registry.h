/* The citizen registry: where the IdP learns who exists.  Callers look
 * citizens up through an eid_registry, an adapter with two
 * implementations: the local store (the default: records imported into
 * EID_TABLE_REGISTRY) and an HTTP client for a remote registry service.
 * Tests may fill the struct with their own functions. */
#ifndef EID_REGISTRY_H
#define EID_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/buf.h"
#include "idp/citizen.h"
#include "idp/config.h"
#include "idp/store.h"

typedef struct eid_registry {
	/* EID_OK with *ret set; EID_ENOTFOUND; EID_EMALFORMED for an
	 * invalid personal ID; other errors from the backend. */
	int (*lookup)(void *ctx, const char *personal_id,
		      struct eid_citizen *ret);
	void (*close)(void *ctx); /* frees ctx; may be NULL */
	void *ctx;
} eid_registry;

int eid_registry_lookup(const eid_registry *reg, const char *personal_id,
			struct eid_citizen *ret);
/* Release the adapter's resources; the struct may then be reused. */
void eid_registry_close(eid_registry *reg);

/* ---- the local store ---- */

/* Insert or replace a record, keyed by its personal ID, in a write
 * transaction of the caller's.  The record must pass eid_citizen_check
 * (without a clock): EID_EMALFORMED / EID_EMISMATCH otherwise. */
int eid_registry_put(eid_txn *t, const struct eid_citizen *c);
/* Read a record.  EID_ENOTFOUND when absent, EID_EMALFORMED for an invalid
 * ID or a damaged record. */
int eid_registry_get(eid_txn *t, const char *personal_id,
		     struct eid_citizen *ret);
/* Keep the guardian index in step with c, before c replaces the stored
 * record old (NULL when there is none).  eid_registry_put does it; bulk
 * writers, which have read the stored record already, call it themselves. */
int eid_registry_guardian_index(eid_txn *t, const struct eid_citizen *c,
				const struct eid_citizen *old);
/* Build the guardian index from every record (stores from before it),
 * batch records per write transaction; idempotent.  *ret_records (may
 * be NULL): records read. */
int eid_registry_reindex_guardians(eid_store *s, size_t batch,
				   uint64_t *ret_records);
/* The citizens whose registry record names guardian_id as their guardian
 * (an index kept by eid_registry_put), at most max, in ID order. */
int eid_registry_wards(eid_txn *t, const char *guardian_id,
		       char (*ret_ids)[EID_PERSONAL_ID_LEN + 1], size_t max,
		       size_t *ret_n);
/* The same with the stored bytes (eid_citizen_pack form) appended to out. */
int eid_registry_get_raw(eid_txn *t, const char *personal_id, eid_buf *out);

/* An adapter reading the store (each lookup in its own read
 * transaction).  The store must outlive the adapter. */
int eid_registry_open_local(eid_store *s, eid_registry *ret);
/* The same, through a cache of entries decoded records (idp/rcache.h):
 * a lookup takes the decoded record when the stored bytes are the same.
 * The server's registry: the token paths look the same citizens up on
 * every request.  eid_registry_close frees the cache. */
int eid_registry_open_local_cached(eid_store *s, size_t entries,
				   eid_registry *ret);

/* ---- HTTP ---- */

struct eid_registry_http_options {
	const char *base_url;     /* GET {base_url}/citizens/{personal_id} */
	const char *bearer_token; /* Authorization: Bearer ...; NULL: none */
	const char *ca_file;      /* trust anchors; NULL: the system's */
	long connect_timeout_ms;  /* 0: 3000 */
	long timeout_ms;          /* whole request; 0: 10000 */
	unsigned max_retries;     /* after the first try, on 5xx/timeout */
	long backoff_ms;          /* first wait, doubled each retry; 0: 200 */
	size_t max_response;      /* bytes of body; 0: 64 KiB */
	/* Plain http:// is refused unless this is set (tests on loopback). */
	bool allow_insecure_http;
};

/* An adapter calling a remote registry.  TLS peer and host verification
 * are always on.  A 200 body must be a citizen JSON object for the ID
 * asked (EID_EMISMATCH otherwise); 404: EID_ENOTFOUND; 401 and 403:
 * EID_EPERM; 5xx after the
 * retries: EID_ENETWORK; timeouts: EID_ETIMEOUT; a body over the cap:
 * EID_ETOOBIG; another status or a bad body: EID_EMALFORMED.
 * EID_ECONFIG for bad options. */
int eid_registry_open_http(const struct eid_registry_http_options *opt,
			   eid_registry *ret);

/* ---- the server's choice ---- */

/* The registry [registry] source names.  local: the store s, through a
 * cache of cache_entries decoded records (0: none).  http: the service
 * at [registry] url with its bearer token file (refused when its group or
 * others may read it), trust anchors, timeouts, retries and back-off;
 * every failure of the service (a timeout, a 5xx after the retries, 401
 * or 403, a body that is not the record asked for, one over the cap) is
 * EID_ENETWORK: "the registry is unavailable, try again later", which
 * callers tell the citizen and never take for "no such citizen" or "card
 * revoked".  EID_ENOTFOUND and EID_EMALFORMED (an invalid personal ID)
 * keep their meaning.  No answer of the service is cached.  EID_ECONFIG
 * with one line for the operator appended to why (may be NULL). */
int eid_registry_open_config(const struct eid_config *cfg, eid_store *s,
			     size_t cache_entries, eid_registry *ret,
			     eid_buf *why);

#endif
