/* Decoded clients for the back-channel endpoints, through the record
 * cache (idp/rcache.h) that the server's context owns.
 *
 * Every authenticated request (/token, /par, /introspect, /revoke) and
 * every /userinfo loads its client, and decoding the stored JSON costs
 * more than the rest of a client_credentials request bar the signature.
 * The cache keeps a record's bytes beside its decoding; each read looks
 * the record up in its own transaction and takes the kept decoding only
 * when the stored bytes are the same, so a changed, disabled or deleted
 * client and a rotated secret are seen by the next request.  The decoded
 * form holds the salted secret hash, as the record does. */
#include "idp/clients.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"

static int strlist_copy(const struct eid_strlist *from, struct eid_strlist *to)
{
	to->v = NULL;
	to->n = 0;
	if (from->n == 0)
		return EID_OK;
	if ((to->v = calloc(from->n, sizeof(*to->v))) == NULL)
		return EID_ENOMEM;
	for (; to->n < from->n; to->n++)
		if ((to->v[to->n] = strdup(from->v[to->n])) == NULL)
			return EID_ENOMEM;
	return EID_OK;
}

/* A deep copy: the cache's form is shared by threads, a copy is not.  On
 * failure to is cleared. */
static int client_copy(const void *from_v, void *to_v)
{
	const struct eid_client *from = from_v;
	struct eid_client *to = to_v;

	*to = *from;
	to->redirect_uris = (struct eid_strlist){ 0 };
	to->post_logout_redirect_uris = (struct eid_strlist){ 0 };
	to->backchannel_logout_uri = NULL;
	to->ciba_notification_endpoint = NULL;
	to->jwks_uri = NULL;
	to->jwks = NULL;
	if (strlist_copy(&from->redirect_uris, &to->redirect_uris) ||
	    strlist_copy(&from->post_logout_redirect_uris,
			 &to->post_logout_redirect_uris) ||
	    eid_rcache_copy_str(from->backchannel_logout_uri,
				&to->backchannel_logout_uri) ||
	    eid_rcache_copy_str(from->ciba_notification_endpoint,
				&to->ciba_notification_endpoint) ||
	    eid_rcache_copy_str(from->jwks_uri, &to->jwks_uri) ||
	    (from->jwks != NULL &&
	     (to->jwks = json_deep_copy(from->jwks)) == NULL)) {
		eid_client_clear(to);
		return EID_ENOMEM;
	}
	return EID_OK;
}

static int client_decode_v(const void *raw, size_t n, void *ret)
{
	return eid_client_decode(raw, n, ret);
}

static void client_clear_v(void *v)
{
	eid_client_clear(v);
}

static const struct eid_rcache_type client_type = {
	.table = EID_TABLE_CLIENTS,
	.size = sizeof(struct eid_client),
	/* A client is about 600 bytes; inline keys and long URI lists make
	 * more, and those beyond this are decoded on every read. */
	.raw_max = 16384,
	.decode = client_decode_v,
	.copy = client_copy,
	.clear = client_clear_v,
};

int eid_client_cache_new(size_t entries, eid_rcache **ret_cache)
{
	return eid_rcache_new(&client_type, entries, ret_cache);
}

int eid_client_get_cached(eid_rcache *c, eid_store *s, const char *client_id,
			  struct eid_client *ret)
{
	size_t n = client_id != NULL ? strlen(client_id) : 0;
	eid_txn *t = NULL;
	int r;

	if (c == NULL)
		return eid_client_get(s, client_id, ret);
	if (s == NULL || ret == NULL)
		return EID_EINVAL;
	if (n == 0 || n > EID_CLIENT_ID_MAX)
		return EID_ENOTFOUND;
	if ((r = eid_store_begin(s, false, &t)) != EID_OK)
		return r;
	r = eid_rcache_get(c, t, client_id, n, ret);
	eid_txn_abort(t);
	return r;
}
