/* aa_answer: a test card's answers to POST /chip/challenge, for the
 * benchmark's /chip/verify row (tools/bench/prepare.mjs chip).
 *
 *   aa_answer IMAGE < CHALLENGES > ANSWERS
 *
 * IMAGE is a card image from `eidctl card issue` (chip/cardimage.h).
 * CHALLENGES holds one "CHALLENGE_ID CHALLENGE" per line, the two members
 * of a /chip/challenge answer (the challenge base64url, 8 bytes).
 * ANSWERS gets, first, the card's files as the JSON members of a
 * /chip/verify body ("sod":"...","dg1":"...", base64url, every one of
 * EF.SOD, DG1, DG2, DG13, DG14 and DG15 the card holds), then one
 * "CHALLENGE_ID SIGNATURE" line per challenge: the card's Active
 * Authentication signature, base64url, made as eid-vcard's INTERNAL
 * AUTHENTICATE makes it (chip/aa.h's card side, the image's AA key).
 * Exit 0, or 1 with one line on stderr. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "chip/aa.h"
#include "chip/cardimage.h"
#include "chip/reader.h"
#include "crypto/buf.h"
#include "crypto/error.h"
#include "crypto/jose.h"

#define ID_MAX 64
#define LINE_MAX_LEN 256

static const struct {
	const char *name;
	uint16_t fid;
} files[] = {
	{ "sod", EID_FID_SOD },	  { "dg1", EID_FID_DG1 },
	{ "dg2", EID_FID_DG2 },	  { "dg13", EID_FID_DG13 },
	{ "dg14", EID_FID_DG14 }, { "dg15", EID_FID_DG15 },
};

static int fail(const char *what, int r)
{
	fprintf(stderr, "aa_answer: %s: %s\n", what, eid_strerror(r));
	return 1;
}

/* "sod":"...","dg1":"...",... on one line. */
static int print_files(const struct eid_cardimage *img)
{
	eid_buf line;
	int r = EID_OK;

	eid_buf_init(&line, 2 * EID_CARDIMAGE_MAX);
	for (size_t i = 0; r == EID_OK && i < sizeof(files) / sizeof(files[0]);
	     i++) {
		const eid_buf *f = eid_cardimage_file(img, files[i].fid);
		if (f == NULL)
			continue;
		if (line.len > 0)
			r = eid_buf_put_str(&line, ",");
		if (r == EID_OK)
			r = eid_buf_put_str(&line, "\"");
		if (r == EID_OK)
			r = eid_buf_put_str(&line, files[i].name);
		if (r == EID_OK)
			r = eid_buf_put_str(&line, "\":\"");
		if (r == EID_OK)
			r = eid_b64url_encode(f->data, f->len, &line);
		if (r == EID_OK)
			r = eid_buf_put_str(&line, "\"");
	}
	if (r == EID_OK && printf("%.*s\n", (int)line.len, line.data) < 0)
		r = EID_EIO;
	eid_buf_free(&line);
	return r;
}

/* An id as the server makes them: base64url characters only. */
static int check_id(const char *id, size_t n)
{
	if (n == 0 || n > ID_MAX)
		return EID_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return EID_EINVAL;
	}
	return EID_OK;
}

/* One "CHALLENGE_ID CHALLENGE" line in, "CHALLENGE_ID SIGNATURE" out. */
static int answer(EVP_PKEY *key, char *line)
{
	char *sp = strchr(line, ' ');
	size_t n = strcspn(line, "\r\n");
	eid_buf ch, sig, b64;
	int r;

	line[n] = '\0';
	if (sp == NULL || check_id(line, (size_t)(sp - line)) != EID_OK)
		return EID_EINVAL;
	eid_buf_init(&ch, EID_AA_CHALLENGE_LEN);
	eid_buf_init(&sig, EID_AA_MAX_SIG);
	eid_buf_init(&b64, 2 * EID_AA_MAX_SIG);
	r = eid_b64url_decode(sp + 1, strlen(sp + 1), &ch);
	if (r == EID_OK && ch.len != EID_AA_CHALLENGE_LEN)
		r = EID_EINVAL;
	if (r == EID_OK)
		r = eid_aa_sign(key, ch.data, NULL, &sig);
	if (r == EID_OK)
		r = eid_b64url_encode(sig.data, sig.len, &b64);
	if (r == EID_OK &&
	    printf("%.*s %.*s\n", (int)(sp - line), line, (int)b64.len,
		   b64.data) < 0)
		r = EID_EIO;
	eid_buf_free(&ch);
	eid_buf_free(&sig);
	eid_buf_free(&b64);
	return r;
}

int main(int argc, char **argv)
{
	struct eid_cardimage img;
	char line[LINE_MAX_LEN];
	EVP_PKEY *key = NULL;
	unsigned long n = 0;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: aa_answer IMAGE < CHALLENGES\n");
		return 2;
	}
	eid_cardimage_init(&img);
	if ((r = eid_cardimage_load(argv[1], &img)) != EID_OK)
		return fail(argv[1], r);
	r = eid_cardimage_key(&img.aa_key, &key);
	if (r == EID_OK && key == NULL)
		r = EID_ENOTFOUND;
	if (r != EID_OK) {
		eid_cardimage_clear(&img);
		return fail("the card's Active Authentication key", r);
	}
	r = print_files(&img);
	while (r == EID_OK && fgets(line, sizeof(line), stdin) != NULL) {
		n++;
		if (strchr(line, '\n') == NULL && !feof(stdin))
			r = EID_ETOOBIG;
		else if (line[0] != '\n')
			r = answer(key, line);
	}
	if (r == EID_OK && (ferror(stdin) || fflush(stdout) != 0))
		r = EID_EIO;
	EVP_PKEY_free(key);
	eid_cardimage_clear(&img);
	if (r != EID_OK) {
		char what[64];
		if (n == 0)
			snprintf(what, sizeof(what), "the card's files");
		else
			snprintf(what, sizeof(what), "challenge line %lu", n);
		return fail(what, r);
	}
	return 0;
}
