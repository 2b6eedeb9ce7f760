/* Keys out of reach: the token-signing and CA private keys live in a
 * signer process, eidd's child, and the HTTP worker holds only their
 * public halves (docs/security.md, "Keys out of reach").
 *
 * The worker side (eid_sigproc) sends a sealed key blob to the child,
 * which unseals it with the KEK it holds and answers with the public key;
 * the worker gets an eid_key that signs by asking the child (SIGN with a
 * kid, an algorithm and a digest).  Its EVP_PKEY carries only the public
 * key, with an OpenSSL key method that forwards each signature, so
 * OpenSSL's X.509, CRL and OCSP code signs with it unchanged, as with a
 * PKCS#11 token's key (ES256 and RS256; PS256 goes through
 * eid_key_sign_digest, which JWS signing uses).
 *
 * Several channels, a socketpair each (eidd makes one per HTTP thread and
 * one per CPU more), each carrying one request at a time under its own
 * mutex: a request takes an idle channel, so it never waits behind
 * another thread's round trip while one is free.  Each channel is bound
 * to a CPU: the child serves the channels of one CPU from one thread
 * pinned there (a ppoll loop), and a worker thread takes an idle channel
 * of the CPU it runs on first, so that the child's answer is made on that
 * core, not by waking the other one (on a virtual machine, a wake-up of
 * another core costs more than the signature: docs/performance.md, "The
 * signer process").  When
 * the child is gone (or does not answer on any channel within
 * EID_SIGPROC_TIMEOUT_MS) every request fails with EID_EIO and
 * eid_sigproc_alive turns false for good: eidd then exits and its
 * supervisor restarts it with a fresh child. */
#ifndef EID_SIGNER_PROC_H
#define EID_SIGNER_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"

#define EID_SIGPROC_TIMEOUT_MS 5000
/* A GENERATE's answer may take this many such deadlines (an RSA key). */
#define EID_SIGPROC_GENERATE_WAITS 12
/* Keys the child holds at once; the least recently loaded goes first (a
 * keyring reload loads every key it uses again). */
#define EID_SIGPROC_KEYS_MAX 32
/* Channels between the worker and the child at most. */
#define EID_SIGPROC_CHANNELS_MAX 64
/* Citizens' keys (GENERATE, LOAD_SHORT) the child holds at once, in a
 * table of their own so that they never push a token-signing or CA key
 * out; the least recently loaded goes first.  Such a key is needed only
 * from its LOAD_SHORT to the signature that follows. */
#define EID_SIGPROC_SHORT_MAX 32

typedef struct eid_sigproc eid_sigproc;

/* The worker's ends of n socketpairs (1 to EID_SIGPROC_CHANNELS_MAX);
 * every fd is owned from here on (also on failure).  cpus[i] is the CPU
 * the child serves channel i on, -1 for none (cpus NULL: none at all). */
int eid_sigproc_new(const int *fds, const int *cpus, size_t n,
		    eid_sigproc **ret_sp);
/* Closes the sockets: the child sees EOF and exits.  Every key loaded
 * through sp must be freed first. */
void eid_sigproc_free(eid_sigproc *sp);
bool eid_sigproc_alive(eid_sigproc *sp);

/* Hand a sealed key (eid_key_seal's blob) to the child; the key returned
 * signs through it and has no private material here.  EID_EVERIFY for a
 * blob that does not open with the child's KEK; EID_EUNSUPPORTED for a
 * PKCS#11 reference (open those with eid_key_open); EID_EMISMATCH when
 * the public key answered is not the kid's. */
int eid_sigproc_load(eid_sigproc *sp, const uint8_t *blob, size_t len,
		     eid_key **ret_key);

/* The same for a citizen's key: the child keeps it among its short-lived
 * keys (EID_SIGPROC_SHORT_MAX). */
int eid_sigproc_load_short(eid_sigproc *sp, const uint8_t *blob, size_t len,
			   eid_key **ret_key);

/* A new key of alg, born in the child and sealed there under its KEK:
 * the sealed blob (appended to sealed, for the store) and a key that
 * signs through the child as eid_sigproc_load_short's does.  Nothing
 * private reaches the caller.  EID_EUNSUPPORTED for an alg we do not
 * sign with. */
int eid_sigproc_generate(eid_sigproc *sp, eid_alg alg, eid_buf *sealed,
			 eid_key **ret_key);

/* A signature over a digest with the child's key kid: DER ECDSA for EC,
 * the raw RSA signature otherwise.  EID_ENOTFOUND for an unknown kid,
 * EID_EMISMATCH for another alg or digest length than the key's (an EC
 * key also takes a SHA-384 or SHA-512 digest: a CMS signature hashes
 * with the digest the relying party chose). */
int eid_sigproc_sign(eid_sigproc *sp, const char *kid, eid_alg alg,
		     const uint8_t *digest, size_t digest_len, uint8_t *sig,
		     size_t sig_max, size_t *ret_len);

/* The child's loop: answer requests on the n channels fds (one keyring
 * for all) with keys sealed under kek until every channel is at EOF.
 * EID_OK then, EID_EIO when a socket fails (every channel is then shut
 * down).  Keys are freed (and so wiped) before it returns.  One thread
 * serves everything. */
int eid_sigproc_serve(const int *fds, size_t n, const uint8_t kek[32]);

/* The same with one thread per distinct CPU in cpus (cpus[i] for channel
 * i; -1 for no CPU in particular), each bound to its CPU.  The threads
 * are made first; then confine (unless NULL) runs with confine_arg, and
 * only when it returns EID_OK does any request get answered (a seccomp
 * filter installed there must cover every thread: tsync); otherwise its
 * error is returned. */
int eid_sigproc_serve_on(const int *fds, const int *cpus, size_t n,
			 const uint8_t kek[32], int (*confine)(void *),
			 void *confine_arg);

/* Internal (crypto/signer_pkey.c): an EVP_PKEY with pub's public key
 * whose signatures go to sp under kid.  pub is not consumed. */
int eid_sigproc_pkey(eid_sigproc *sp, EVP_PKEY *pub, const char *kid,
		     eid_alg alg, EVP_PKEY **ret_pkey);

#endif
