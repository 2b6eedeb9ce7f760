/* Writes the seeds of the webauthn_attestation and webauthn_assertion
 * corpora with the test authenticator (test/idp/wa_authenticator.c), for
 * the fuzz targets' fixed RP, origin and challenge, so the good ones pass
 * every check:
 *   build/test/fuzz/gen_webauthn_seeds test/fuzz/corpus
 * Not run as a test: the committed seeds are its output (keys are fresh
 * each run). */
#include <stdio.h>
#include <string.h>

#include "fuzz_webauthn.h"
#include "idp/webauthn.h"
#include "wa_authenticator.h"

#define UP 0x01
#define UV 0x04
#define BE 0x08

static int write_seed(const char *dir, const char *corpus, const char *name,
		      const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, corpus, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f)) {
		fprintf(stderr, "gen_webauthn_seeds: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

/* What the targets expect; good seeds must pass it. */
static struct eid_wa_expect expect(void)
{
	static uint8_t ch[32];
	struct eid_wa_expect x = { FUZZ_WA_RP, FUZZ_WA_ORIGIN, ch, 32, true };

	memset(ch, FUZZ_WA_CHALLENGE_BYTE, sizeof(ch));
	return x;
}

static int client_data(eid_buf *cd, const char *type)
{
	uint8_t ch[32];

	memset(ch, FUZZ_WA_CHALLENGE_BYTE, sizeof(ch));
	return wa_client_data(cd, type, ch, sizeof(ch), FUZZ_WA_ORIGIN);
}

static int attestation(const char *dir, const char *name, int alg,
		       enum wa_fmt fmt)
{
	struct wa_auth a;
	eid_buf cd, ao;
	int r = 1;

	eid_buf_init(&cd, 4096);
	eid_buf_init(&ao, 16384);
	if (wa_auth_new(&a, alg, NULL) == 0 &&
	    client_data(&cd, "webauthn.create") == 0 &&
	    wa_attestation(&a, fmt, FUZZ_WA_RP, UP | UV, &cd, &ao) == 0) {
		struct eid_wa_expect x = expect();
		struct eid_wa_credential c;

		if (eid_wa_register(&x, cd.data, cd.len, ao.data, ao.len, &c))
			fprintf(stderr, "gen_webauthn_seeds: %s does not verify\n",
				name);
		else
			r = write_seed(dir, "webauthn_attestation", name, ao.data,
			       ao.len);
	}
	wa_auth_free(&a);
	eid_buf_free(&cd);
	eid_buf_free(&ao);
	return r;
}

/* u16be key length, COSE key, u16be authData length, authData, sig. */
static int assertion(const char *dir, const char *name, int alg,
		     uint8_t flags)
{
	struct wa_auth a;
	eid_buf cd, key, ad, sig, out;
	int r = 1;

	eid_buf_init(&cd, 4096);
	eid_buf_init(&key, 4096);
	eid_buf_init(&ad, 4096);
	eid_buf_init(&sig, 1024);
	eid_buf_init(&out, 8192);
	if (wa_auth_new(&a, alg, NULL) == 0 &&
	    wa_auth_data(&a, FUZZ_WA_RP, UP | 0x40, &key) == 0 &&
	    client_data(&cd, "webauthn.get") == 0 &&
	    wa_assertion(&a, FUZZ_WA_RP, flags, &cd, &ad, &sig) == 0) {
		/* The COSE key ends the attested credential data. */
		size_t off = 32 + 1 + 4 + 16 + 2 + sizeof(a.cred_id);
		struct eid_wa_expect x = expect();
		uint32_t count;
		uint8_t fl;

		x.require_uv = (flags & UV) != 0;
		if (eid_wa_assert(&x, key.data + off, key.len - off, cd.data,
				  cd.len, ad.data, ad.len, sig.data, sig.len,
				  &fl, &count))
			fprintf(stderr, "gen_webauthn_seeds: %s does not verify\n",
				name);
		else if (eid_buf_put_u16be(&out, (uint16_t)(key.len - off)) == 0 &&
		    eid_buf_put(&out, key.data + off, key.len - off) == 0 &&
		    eid_buf_put_u16be(&out, (uint16_t)ad.len) == 0 &&
		    eid_buf_put(&out, ad.data, ad.len) == 0 &&
		    eid_buf_put(&out, sig.data, sig.len) == 0)
			r = write_seed(dir, "webauthn_assertion", name,
				       out.data, out.len);
	}
	wa_auth_free(&a);
	eid_buf_free(&cd);
	eid_buf_free(&key);
	eid_buf_free(&ad);
	eid_buf_free(&sig);
	eid_buf_free(&out);
	return r;
}

int main(int argc, char **argv)
{
	static const char cd[] = FUZZ_WA_CLIENT_DATA("webauthn.get");
	const char *dir = argc > 1 ? argv[1] : "test/fuzz/corpus";
	int bad = 0;

	bad |= attestation(dir, "none-es256", -7, WA_NONE);
	bad |= attestation(dir, "packed-self-es256", -7, WA_PACKED_SELF);
	bad |= attestation(dir, "packed-self-rs256", -257, WA_PACKED_SELF);
	bad |= attestation(dir, "packed-x5c-es256", -7, WA_PACKED_X5C);
	bad |= assertion(dir, "es256-uv", -7, UP | UV);
	bad |= assertion(dir, "rs256-uv", -257, UP | UV);
	bad |= assertion(dir, "es256-no-uv-synced", -7, UP | BE);
	bad |= write_seed(dir, "webauthn_assertion", "client-data", cd,
			  sizeof(cd) - 1);
	return bad;
}
