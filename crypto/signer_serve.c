/* The signer process's loop (crypto/signer_proc.h): the only place where
 * the sealed token-signing, CA and citizens' keys are opened, and where
 * new ones are made and sealed, when [keys] signer = process.  It waits
 * on every channel at once (ppoll), reads one request record from each
 * that has one, answers it there, and holds its keys in a small table
 * until the worker has closed every channel. */
#define _GNU_SOURCE /* ppoll */
#include "crypto/signer_proc.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto/error.h"
#include "crypto/signer_wire.h"

#define SIG_MAX 1024 /* RSA-8192 */

struct slot {
	eid_key *key;
	uint64_t used; /* load order: the smallest goes first */
};

struct table {
	struct slot s[EID_SIGPROC_KEYS_MAX];
	/* Citizens' keys (GENERATE, LOAD_SHORT): their own slots, so that
	 * many citizens signing never push a token or CA key out. */
	struct slot brief[EID_SIGPROC_SHORT_MAX];
	uint64_t clock;
};

static eid_key *slots_find(struct slot *s, size_t n, const char *kid)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].key != NULL && strcmp(eid_key_kid(s[i].key), kid) == 0)
			return s[i].key;
	return NULL;
}

static eid_key *table_find(struct table *t, const char *kid)
{
	eid_key *key = slots_find(t->s, EID_SIGPROC_KEYS_MAX, kid);

	return key != NULL ? key :
			     slots_find(t->brief, EID_SIGPROC_SHORT_MAX, kid);
}

/* The slot for kid among s[n]: its own, else a free one, else the least
 * recently loaded. */
static size_t table_slot(const struct slot *s, size_t n, const char *kid)
{
	size_t pick = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i].key != NULL && strcmp(eid_key_kid(s[i].key), kid) == 0)
			return i;
	for (size_t i = 0; i < n; i++) {
		if (s[i].key == NULL)
			return i;
		if (s[i].used < s[pick].used)
			pick = i;
	}
	return pick;
}

static void table_put(struct table *t, eid_key *key, bool brief)
{
	struct slot *s = brief ? t->brief : t->s;
	size_t i = table_slot(s, brief ? EID_SIGPROC_SHORT_MAX :
					 EID_SIGPROC_KEYS_MAX,
			      eid_key_kid(key));

	eid_key_free(s[i].key);
	s[i].key = key;
	s[i].used = ++t->clock;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < EID_SIGPROC_KEYS_MAX; i++)
		eid_key_free(t->s[i].key);
	for (size_t i = 0; i < EID_SIGPROC_SHORT_MAX; i++)
		eid_key_free(t->brief[i].key);
}

static int do_load(struct table *t, const struct eid_signer_req *req,
		   const uint8_t kek[32], eid_buf *ans)
{
	unsigned char *der = NULL;
	eid_key *key = NULL;
	int len, r;

	if (eid_key_blob_in_token(req->blob, req->blob_len))
		return EID_EUNSUPPORTED;
	if ((r = eid_key_unseal(req->blob, req->blob_len, kek, &key)) != EID_OK)
		return r;
	len = i2d_PUBKEY(eid_key_pkey(key), &der);
	if (len <= 0) {
		ERR_clear_error();
		eid_key_free(key);
		return EID_ECRYPTO;
	}
	r = eid_signer_pub_put(eid_key_alg(key), eid_key_kid(key), der,
			       (size_t)len, ans);
	OPENSSL_free(der);
	if (r != EID_OK) {
		eid_key_free(key);
		return r;
	}
	table_put(t, key, req->op == EID_SIGNER_LOAD_SHORT);
	return EID_OK;
}

/* A new key, sealed here: the blob and the public half go back, the key
 * stays among the short-lived ones (a token key made at start-up is
 * LOADed again with the keyring). */
static int do_generate(struct table *t, const struct eid_signer_req *req,
		       const uint8_t kek[32], eid_buf *ans)
{
	unsigned char *der = NULL;
	eid_key *key = NULL;
	eid_buf sealed;
	int len, r;

	eid_buf_init(&sealed, EID_KEY_SEAL_MAX);
	if ((r = eid_key_generate(req->alg, &key)) != EID_OK ||
	    (r = eid_key_seal(key, kek, &sealed)) != EID_OK)
		goto out;
	r = EID_ECRYPTO;
	if ((len = i2d_PUBKEY(eid_key_pkey(key), &der)) <= 0)
		goto out;
	r = eid_signer_gen_put(sealed.data, sealed.len, eid_key_alg(key),
			       eid_key_kid(key), der, (size_t)len, ans);
	if (r == EID_OK) {
		table_put(t, key, true);
		key = NULL;
	}
out:
	ERR_clear_error();
	OPENSSL_free(der);
	eid_key_free(key);
	eid_buf_free(&sealed);
	return r;
}

/* For a digest of another length than the algorithm's own: ECDSA also
 * signs SHA-384's and SHA-512's (it signs the digest alone, cut to the
 * curve's size, whichever hash made it; a citizen's CMS may use them). */
static const EVP_MD *other_md(const eid_alg_info *info, size_t len)
{
	if (!info->ec)
		return NULL;
	return len == 48 ? EVP_sha384() : len == 64 ? EVP_sha512() : NULL;
}

static int do_sign(struct table *t, const struct eid_signer_req *req,
		   eid_buf *ans)
{
	const eid_alg_info *info = eid_alg_info_get(req->alg);
	eid_key *key = table_find(t, req->kid);
	EVP_PKEY_CTX *ctx = NULL;
	const EVP_MD *md = NULL;
	uint8_t sig[SIG_MAX];
	size_t len = sizeof(sig);
	int r = EID_ECRYPTO;

	if (key == NULL)
		return EID_ENOTFOUND;
	if (info == NULL || eid_key_alg(key) != req->alg ||
	    eid_key_sign_ctx(key) == NULL ||
	    (req->digest_len != info->md_len &&
	     (md = other_md(info, req->digest_len)) == NULL))
		return EID_EMISMATCH;
	/* The algorithm's own digest: a copy of the context the key was
	 * prepared with (digest and padding; crypto/keys.c): no provider
	 * look-up per signature.  An EC key's other digest: a context of
	 * its own. */
	if (md == NULL)
		ctx = EVP_PKEY_CTX_dup(eid_key_sign_ctx(key));
	else if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eid_key_pkey(key),
						   NULL)) != NULL &&
		 (EVP_PKEY_sign_init(ctx) != 1 ||
		  EVP_PKEY_CTX_set_signature_md(ctx, md) != 1))
		goto out;
	if (ctx == NULL ||
	    EVP_PKEY_sign(ctx, sig, &len, req->digest, req->digest_len) != 1)
		goto out;
	r = eid_buf_put(ans, sig, len);
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int dispatch(struct table *t, const struct eid_signer_req *req,
		    const uint8_t kek[32], eid_buf *ans)
{
	switch (req->op) {
	case EID_SIGNER_LOAD:
	case EID_SIGNER_LOAD_SHORT:
		return do_load(t, req, kek, ans);
	case EID_SIGNER_SIGN:
		return do_sign(t, req, ans);
	case EID_SIGNER_GENERATE:
		return do_generate(t, req, kek, ans);
	}
	return EID_EMALFORMED;
}

/* The answer to one record (an error answer for a bad one). */
static int answer(struct table *t, const uint8_t *msg, size_t len,
		  const uint8_t kek[32], eid_buf *out)
{
	struct eid_signer_req req;
	eid_buf ans;
	int r;

	eid_buf_init(&ans, EID_SIGNER_PAYLOAD_MAX);
	r = eid_signer_req_parse(msg, len, &req);
	if (r == EID_OK)
		r = dispatch(t, &req, kek, &ans);
	eid_buf_reset(out);
	if (r == EID_OK)
		r = eid_signer_resp_put(EID_OK, ans.data, ans.len, out);
	else
		r = eid_signer_resp_put(r, NULL, 0, out);
	eid_buf_free(&ans);
	return r;
}

/* One record read from fd and answered there; *eof set when the worker
 * has closed it. */
static int serve_one(struct table *t, int fd, const uint8_t kek[32],
		     eid_buf *out, bool *eof)
{
	uint8_t in[EID_SIGNER_MSG_MAX + 1];
	ssize_t n;

	do
		n = read(fd, in, sizeof(in));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		*eof = true;
	if (n <= 0)
		return n == 0 ? EID_OK : EID_EIO;
	if (answer(t, in, (size_t)n, kek, out) != EID_OK ||
	    write(fd, out->data, out->len) != (ssize_t)out->len)
		return EID_EIO;
	return EID_OK;
}

int eid_sigproc_serve(const int *fds, size_t n, const uint8_t kek[32])
{
	struct pollfd pfd[EID_SIGPROC_CHANNELS_MAX];
	size_t live = n; /* channels not yet at EOF */
	struct table t;
	eid_buf out;
	bool eof;
	int r = EID_OK;

	if (fds == NULL || n == 0 || n > EID_SIGPROC_CHANNELS_MAX)
		return EID_EINVAL;
	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	memset(&t, 0, sizeof(t));
	eid_buf_init(&out, EID_SIGNER_MSG_MAX);
	while (r == EID_OK && live > 0) {
		if (ppoll(pfd, (nfds_t)n, NULL, NULL) < 0) {
			r = errno == EINTR ? EID_OK : EID_EIO;
			continue;
		}
		for (size_t i = 0; r == EID_OK && i < n; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			eof = false;
			r = serve_one(&t, pfd[i].fd, kek, &out, &eof);
			if (eof) {
				pfd[i].fd = -1; /* ppoll skips it from now on */
				live--;
			}
		}
	}
	table_free(&t);
	eid_buf_free(&out);
	return r;
}
