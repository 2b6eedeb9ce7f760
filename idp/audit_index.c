/* The per-citizen index of the audit trail and the history read through
 * it (idp/audit.h): one citizen's entries without walking the trail. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/audit.h"
#include "idp/audit_priv.h"
#include "idp/personal_id.h"

/* "<personal id>:<seq in 20 digits>": keys sort by citizen, then by seq. */
#define SEQ_DIGITS 20
#define INDEX_KEY_LEN (EID_PERSONAL_ID_LEN + 1 + SEQ_DIGITS)

/* The personal ID that s names after prefix, or NULL. */
static const char *citizen_of(const char *s, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (s == NULL || strncmp(s, prefix, plen) != 0)
		return NULL;
	s += plen;
	if (strlen(s) != EID_PERSONAL_ID_LEN)
		return NULL;
	for (size_t i = 0; i < EID_PERSONAL_ID_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return NULL;
	return s;
}

static void index_key(const char *pid, uint64_t seq,
		      char out[INDEX_KEY_LEN + 1])
{
	(void)snprintf(out, INDEX_KEY_LEN + 1, "%.12s:%020" PRIu64, pid, seq);
}

static int put_one(eid_txn *t, const char *pid, uint64_t seq)
{
	char key[INDEX_KEY_LEN + 1];
	uint8_t v[8];

	eid_audit_seq_key(seq, v);
	index_key(pid, seq, key);
	return eid_txn_put(t, EID_TABLE_AUDIT_INDEX, key, INDEX_KEY_LEN, v,
			   sizeof(v));
}

int eid_audit_index_put(eid_txn *t, const struct eid_audit_event *ev,
			uint64_t seq)
{
	const char *subject = citizen_of(ev->subject, "");
	const char *actor = citizen_of(ev->actor, "citizen:");
	int r = EID_OK;

	if (subject != NULL)
		r = put_one(t, subject, seq);
	if (r == EID_OK && actor != NULL &&
	    (subject == NULL || memcmp(subject, actor, EID_PERSONAL_ID_LEN)))
		r = put_one(t, actor, seq);
	return r;
}

struct history {
	eid_txn *t;
	uint64_t since_ms;
	size_t limit, n;
	bool more;
	eid_audit_visit_fn fn;
	void *arg;
};

static int history_one(const void *key, size_t klen, const void *val,
		       size_t vlen, void *arg)
{
	struct history *h = arg;
	const uint8_t *v = val;
	json_t *o = NULL;
	uint64_t seq = 0;
	int r;

	(void)key;
	if (klen != INDEX_KEY_LEN || vlen != 8)
		return EID_EMALFORMED;
	for (int i = 0; i < 8; i++)
		seq = (seq << 8) | v[i];
	if ((r = eid_audit_get(h->t, seq, &o)) != EID_OK)
		return r == EID_ENOTFOUND ? EID_EMALFORMED : r;
	if (eid_audit_entry_ts(o) < h->since_ms) {
		r = 1; /* newest first: the rest is older still */
	} else if (h->n == h->limit) {
		h->more = true;
		r = 1;
	} else {
		h->n++;
		r = h->fn(o, h->arg);
	}
	json_decref(o);
	return r;
}

int eid_audit_seq_parse(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == NULL || ret == NULL || n == 0 || n > SEQ_DIGITS || s[0] == '0')
		return EID_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return EID_EMALFORMED;
		v = v * 10 + d;
	}
	*ret = v;
	return EID_OK;
}

int eid_audit_history(eid_txn *t, const char *personal_id, uint64_t before,
		      uint64_t since_ms, size_t limit, eid_audit_visit_fn fn,
		      void *arg, bool *ret_more)
{
	struct history h = { .t = t, .since_ms = since_ms, .limit = limit,
			     .fn = fn, .arg = arg };
	char prefix[EID_PERSONAL_ID_LEN + 2], from[INDEX_KEY_LEN + 1];
	const char *pid = citizen_of(personal_id, "");
	int r;

	if (t == NULL || pid == NULL || fn == NULL || limit == 0 ||
	    limit > EID_AUDIT_HISTORY_MAX)
		return EID_EINVAL;
	(void)snprintf(prefix, sizeof(prefix), "%s:", pid);
	index_key(pid, before, from);
	r = eid_txn_scan_back(t, EID_TABLE_AUDIT_INDEX, prefix,
			      EID_PERSONAL_ID_LEN + 1, from,
			      before != 0 ? INDEX_KEY_LEN : 0, history_one, &h);
	if (r == EID_OK && ret_more != NULL)
		*ret_more = h.more;
	return r;
}

/* ---- rebuilding the index ---- */

static int reindex_one(eid_txn *t, const void *key, size_t klen,
		       const void *val, size_t vlen, void *arg)
{
	struct eid_audit_event ev = { 0 };
	const uint8_t *k = key;
	json_t *o = NULL;
	uint64_t seq = 0;
	int r;

	(void)arg;
	if (klen != 8)
		return EID_EMALFORMED;
	for (int i = 0; i < 8; i++)
		seq = (seq << 8) | k[i];
	if ((r = eid_audit_entry_json(val, vlen, &o)) != EID_OK)
		return r;
	ev.subject = json_string_value(json_object_get(o, "subject"));
	ev.actor = json_string_value(json_object_get(o, "actor"));
	r = eid_audit_index_put(t, &ev, seq);
	json_decref(o);
	return r;
}

int eid_audit_reindex(eid_store *s, size_t batch, uint64_t *ret_entries)
{
	return eid_store_walk_batched(s, EID_TABLE_AUDIT, batch, reindex_one,
				      NULL, ret_entries);
}
