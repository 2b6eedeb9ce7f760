/* A reader for one JSON object whose members are strings or null: the
 * shape of a registry import line (JSON Lines), read ten times faster
 * than through jansson, whose general lexer was three quarters of an
 * import's CPU time (docs/performance.md).  Strict RFC 8259: UTF-8
 * checked as jansson checks it, every escape decoded, surrogate pairs
 * joined, "\u0000" refused (jansson refuses it too without
 * JSON_ALLOW_NUL), nothing after the object but whitespace.  What it
 * accepts jansson accepts with the same members (the fuzz target
 * json_flat checks that); anything else is EID_EMALFORMED, and a caller
 * may hand such text to jansson for the exact reason. */
#ifndef EID_JSON_FLAT_H
#define EID_JSON_FLAT_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/buf.h"

struct eid_json_flat_member {
	const char *key; /* decoded, NUL-terminated, no NUL inside */
	size_t klen;
	const char *value; /* decoded, NUL-terminated; NULL for null */
	size_t vlen;
};

/* Called once per member, in order; a non-EID_OK return stops the parse
 * and is returned.  The member's bytes live in scratch until the next
 * member. */
typedef int (*eid_json_flat_fn)(const struct eid_json_flat_member *m,
				void *arg);

/* Read text (n bytes).  scratch holds the decoded key and value (its max
 * bounds them: EID_ETOOBIG past it).  Duplicate keys are the caller's to
 * refuse (fn sees every member). */
int eid_json_flat_parse(const char *text, size_t n, eid_buf *scratch,
			eid_json_flat_fn fn, void *arg);

#endif
