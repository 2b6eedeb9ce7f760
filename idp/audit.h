/* The audit trail: an append-only, hash-chained log of security events in
 * the store.  Each entry's hash covers the previous entry's hash and the
 * entry's own bytes, and the chain's head (last sequence number and hash)
 * is kept beside it in the same transaction, so altering, removing or
 * reordering any entry, or cutting off the tail, is detected by
 * eid_audit_verify.  Publishing the head elsewhere from time to time
 * (`eidctl audit head`) anchors the chain against someone who can rewrite
 * the whole store. */
#ifndef EID_AUDIT_H
#define EID_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "idp/store.h"

#define EID_AUDIT_HASH_LEN 32

struct eid_audit_event {
	const char *type;    /* "login.success", "account.lock", ... */
	const char *actor;   /* "citizen:0010...", "officer:...", "operator", "system" */
	const char *subject; /* whom or what it concerns (may be NULL) */
	const char *remote;  /* source address (may be NULL) */
	json_t *details;     /* an object with event-specific fields (may be NULL; borrowed) */
};

/* Append an event inside the caller's write transaction, so the event and
 * the change it records commit together (or neither does).  The time is
 * the store's clock.  ret_seq (may be NULL) receives the entry number. */
int eid_audit_append(eid_txn *t, const struct eid_audit_event *ev,
		     uint64_t now_ms, uint64_t *ret_seq);

/* The same from parts, for the modules that record their changes: the
 * time in unix seconds, details (may be NULL) consumed in every case. */
int eid_audit_record(eid_txn *t, const char *type, const char *actor,
		     const char *subject, const char *remote, json_t *details,
		     int64_t now);

/* The head of the chain: number of entries and the last hash (all zero when
 * empty). */
int eid_audit_head(eid_txn *t, uint64_t *ret_seq,
		   uint8_t ret_hash[EID_AUDIT_HASH_LEN]);

/* Walk the whole chain.  EID_OK when intact; otherwise EID_EVERIFY with
 * ret_bad_seq set to the first entry that does not verify (0 when the head
 * record itself disagrees), and a one-line reason in ret_reason. */
int eid_audit_verify(eid_txn *t, uint64_t *ret_count, uint64_t *ret_bad_seq,
		     eid_buf *ret_reason);

/* Visit entries with sequence number >= from_seq and time >= since_ms, in
 * order, as parsed JSON objects (with "seq", "ts", "hash" and "prev" added).
 * The visitor owns nothing; return EID_OK to go on, 1 to stop. */
typedef int (*eid_audit_visit_fn)(json_t *entry, void *arg);
int eid_audit_scan(eid_txn *t, uint64_t from_seq, uint64_t since_ms,
		   eid_audit_visit_fn fn, void *arg);

/* One entry by its number, as eid_audit_scan gives it.  EID_ENOTFOUND
 * when absent. */
int eid_audit_get(eid_txn *t, uint64_t seq, json_t **ret);

/* ---- a citizen's history ---- */

/* Every entry about a citizen (subject a 12-digit personal ID, or actor
 * "citizen:<personal id>"; both when they differ) is indexed in
 * EID_TABLE_AUDIT_INDEX under "<personal id>:<seq, 20 digits>" in the
 * append's own transaction, so a citizen's history is read without
 * walking the trail. */
#define EID_AUDIT_HISTORY_MAX 100
/* Usage history is kept 5 years (Decree 69/2024): entries older are not
 * shown; they stay in the trail, whose chain must keep verifying. */
#define EID_AUDIT_RETENTION_SECONDS (1826ull * 86400) /* 5 years, a leap day */

/* Index every entry of the trail again (stores written before the index
 * existed), batch entries per write transaction; the index's puts are
 * idempotent.  *ret_entries (may be NULL): entries read. */
int eid_audit_reindex(eid_store *s, size_t batch, uint64_t *ret_entries);

/* A history cursor (?before=SEQ) of n bytes: a decimal entry number from
 * 1 to 2^64 - 1, digits only, no leading zero.  EID_EMALFORMED
 * otherwise. */
int eid_audit_seq_parse(const char *s, size_t n, uint64_t *ret);

/* Visit the entries about personal_id, newest first: numbers below
 * before (0: from the newest), times at or after since_ms, at most limit
 * (1..EID_AUDIT_HISTORY_MAX).  *ret_more (may be NULL) tells whether
 * older entries within since_ms remain.  The visitor follows
 * eid_audit_scan's rules. */
int eid_audit_history(eid_txn *t, const char *personal_id, uint64_t before,
		      uint64_t since_ms, size_t limit, eid_audit_visit_fn fn,
		      void *arg, bool *ret_more);

#endif
