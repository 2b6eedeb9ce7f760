/* JWS texts no signer of ours would make (alg none, HS256, duplicate
 * members, a header naming another key), for tests and seed generators. */
#ifndef EID_TEST_JWS_FIXTURE_H
#define EID_TEST_JWS_FIXTURE_H

/* base64url(hdr) "." base64url(payload) "." sig, from JSON texts and a
 * signature text as given.  malloc'd; NULL on failure. */
char *jws_fixture_raw(const char *hdr, const char *payload, const char *sig);

#endif
