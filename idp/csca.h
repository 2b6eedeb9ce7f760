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

/* Save one certificate (DER) in a write transaction.  EID_EMALFORMED when
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

#endif
