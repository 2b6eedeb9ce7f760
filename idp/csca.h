/* The CSCA store the server trusts: certificates kept in the durable table
 * EID_TABLE_CSCA, keyed by the SHA-256 of their DER (the record is the
 * DER), loaded into a chip/pa.h eid_csca_store for Passive
 * Authentication.  `eidctl csca import` writes them; eidd and
 * `eidctl chip read` read them. */
#ifndef EID_IDP_CSCA_H
#define EID_IDP_CSCA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip/pa.h"
#include "idp/store.h"

#define EID_CSCA_KEY_LEN 32 /* SHA-256 of the DER */

/* Save one certificate (DER) in a write transaction (a new one bumps the
 * store's CSCA generation, which tells eid_csca_cache to reload).  EID_EMALFORMED when
 * it is not exactly one X.509 certificate, EID_EINVAL when it is not a CA
 * certificate; ret_added (may be NULL) is false when it was there
 * already. */
int eid_csca_put(eid_txn *t, const uint8_t *der, size_t n, bool *ret_added);

/* Visit every stored certificate (DER borrowed for the call).  The visitor
 * returns EID_OK to go on or an error, which is returned. */
typedef int (*eid_csca_visit_fn)(const uint8_t *der, size_t n, void *arg);
int eid_csca_each(eid_txn *t, eid_csca_visit_fn fn, void *arg);

/* Add every stored certificate to store; ret_count (may be NULL) counts
 * them.  A record that does not parse is EID_EMALFORMED. */
int eid_csca_load(eid_txn *t, eid_csca_store *store, size_t *ret_count);

/* A new eid_csca_store holding every stored certificate (in its own read
 * transaction). */
int eid_csca_open(eid_store *s, eid_csca_store **ret_store,
		  size_t *ret_count);

/* The CSCA generation in a transaction: 0 until the first certificate. */
int eid_csca_generation(eid_txn *t, uint64_t *ret_gen);

/* What a server keeps: the trusted CSCAs in memory, reloaded when
 * `eidctl csca import` (in any process) changed the table.  Threads share
 * it: each verification acquires the current snapshot (one read
 * transaction to compare generations; a reload only after a change) and
 * releases it when done; a snapshot replaced meanwhile lives on until its
 * last user releases it. */
typedef struct eid_csca_cache eid_csca_cache;
typedef struct eid_csca_snap eid_csca_snap;

/* Load the current CSCAs (s is borrowed and must outlive the cache). */
int eid_csca_cache_new(eid_store *s, eid_csca_cache **ret_cache);
void eid_csca_cache_free(eid_csca_cache *c); /* after every release */
/* The current store (reloaded first when stale) and the reference to hand
 * back to eid_csca_cache_release. */
int eid_csca_cache_acquire(eid_csca_cache *c, const eid_csca_store **ret_store,
			   eid_csca_snap **ret_snap);
void eid_csca_cache_release(eid_csca_cache *c, eid_csca_snap *snap);

#endif
