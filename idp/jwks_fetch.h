/* Relying parties' public keys (private_key_jwt): a JWK Set parsed key by
 * key, given inline at registration or fetched from the client's jwks_uri
 * with libcurl and cached in the ephemeral store, so every eidd node
 * shares one cache and one refetch budget. */
#ifndef EID_JWKS_FETCH_H
#define EID_JWKS_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/buf.h"
#include "crypto/keys.h"
#include "idp/store.h"

#define EID_JWKS_MAX (64u * 1024) /* bytes of a fetched key set */
#define EID_JWKS_KEYS_MAX 32      /* keys in one set */

/* Cache lifetime bounds for Cache-Control: max-age (seconds). */
#define EID_JWKS_TTL_DEFAULT 300
#define EID_JWKS_TTL_MIN 60
#define EID_JWKS_TTL_MAX 3600
/* At most one fetch of a URI per this many seconds when a kid is missing
 * from the cached set, or after a failed fetch. */
#define EID_JWKS_REFETCH_INTERVAL 30

typedef struct eid_keyset eid_keyset;

/* The signature keys of a JWK Set ({"keys":[...]}).  Each key goes
 * through eid_key_from_public_jwk; keys for another use or of a type we do
 * not verify with (EID_EUNSUPPORTED) are skipped.
 *   EID_EMALFORMED  not a key set, or a key that is malformed or does not
 *                   fit its alg
 *   EID_EINVAL      a key with private members
 *   EID_ETOOBIG     more than EID_JWKS_KEYS_MAX keys
 *   EID_ENOTFOUND   no signature key left
 * A reason naming the key ("key 2: ...") is appended to why (may be NULL). */
int eid_keyset_from_json(const json_t *jwks, eid_keyset **ret_set,
			 eid_buf *why);
void eid_keyset_free(eid_keyset *set); /* NULL is fine */
size_t eid_keyset_count(const eid_keyset *set);
/* The keys, for eid_jws_verify; borrowed from the set. */
const eid_key *const *eid_keyset_keys(const eid_keyset *set);
/* The key with this kid, or NULL. */
const eid_key *eid_keyset_find(const eid_keyset *set, const char *kid);

struct eid_jwks_options {
	uint64_t connect_timeout_ms; /* 0: 3000 */
	uint64_t timeout_ms;         /* whole transfer; 0: 5000 */
};

/* Fetch uri (https, or http on a loopback host) once, without the cache:
 * no redirects followed, at most EID_JWKS_MAX bytes, status 200 only.
 * ret_ttl is the cache lifetime the response allows (max-age within
 * [EID_JWKS_TTL_MIN, EID_JWKS_TTL_MAX], else EID_JWKS_TTL_DEFAULT).
 *   EID_EMALFORMED a URI that is not allowed, or a body that is not JSON
 *   EID_ETOOBIG    a larger body
 *   EID_ETIMEOUT   a timeout
 *   EID_ENETWORK   no connection, TLS failure, or a status other than 200
 * plus the errors of eid_keyset_from_json. */
int eid_jwks_fetch(const char *uri, const struct eid_jwks_options *opt,
		   eid_keyset **ret_set, uint64_t *ret_ttl);

/* The key set of uri through the cache (opt may be NULL).  A cached set is
 * used while fresh; when kid is not NULL and not in it, the set is fetched
 * again, but at most once per EID_JWKS_REFETCH_INTERVAL, so a stream of
 * assertions with made-up kids cannot make us hammer the relying party:
 * within the interval the cached set is returned as it is (the caller
 * finds no key).  After a failed fetch, EID_ELIMIT until the interval has
 * passed. */
int eid_jwks_get(eid_store *s, const char *uri, const char *kid,
		 const struct eid_jwks_options *opt, eid_keyset **ret_set);

/* The cache lifetime for a Cache-Control header value (NULL: none). */
uint64_t eid_jwks_ttl_from_cache_control(const char *value);

#endif
