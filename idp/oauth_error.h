/* An OAuth error as the back-channel logic reports it: the RFC 6749
 * error code and a description, both static strings of RFC 6749 NQSCHAR
 * text (no '"' or '\\'), so the api/ layer can send them as they are. */
#ifndef EID_OAUTH_ERROR_H
#define EID_OAUTH_ERROR_H

struct eid_oauth_error {
	const char *error;       /* "invalid_grant", ...; NULL: none */
	const char *description; /* NULL: none */
};

/* Fill e (may be NULL) and return r, so a check reads
 *   return eid_oauth_fail(err, "invalid_grant", "code expired", r); */
static inline int eid_oauth_fail(struct eid_oauth_error *e, const char *error,
				 const char *description, int r)
{
	if (e != NULL) {
		e->error = error;
		e->description = description;
	}
	return r;
}

#endif
