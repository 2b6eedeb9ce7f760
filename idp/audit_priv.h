/* Inside the audit module: shared by audit.c and audit_index.c, never
 * included elsewhere. */
#ifndef EID_AUDIT_PRIV_H
#define EID_AUDIT_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/audit.h"

/* A stored entry (prev hash, hash, JSON) as JSON with "prev" and "hash"
 * added; EID_EMALFORMED when damaged. */
int eid_audit_entry_json(const void *val, size_t vlen, json_t **ret);
/* The entry's time in unix milliseconds (checked by the parse). */
uint64_t eid_audit_entry_ts(const json_t *entry);
/* The 8-byte big-endian key of entry seq. */
void eid_audit_seq_key(uint64_t seq, uint8_t out[8]);
/* Index entry seq under each citizen it concerns (write txn t). */
int eid_audit_index_put(eid_txn *t, const struct eid_audit_event *ev,
			uint64_t seq);

#endif
