/* Private keys in a PKCS#11 token (an HSM; SoftHSM2 in tests), so that
 * the CA and token-signing private keys never sit in the server's memory.
 *
 * Two doors into the same module, each for what it does well:
 *   - libp11 turns a private key object into an EVP_PKEY whose signing
 *     calls go to the token (C_Sign), so OpenSSL's JWS, X.509, CRL, OCSP
 *     and CMS code signs with it unchanged;
 *   - key generation and the attribute check call the module's function
 *     list directly (C_GenerateKeyPair, C_GetAttributeValue), because
 *     libp11 0.4.12 generates only RSA keys, and only with its own
 *     template.  Our template makes every private key CKA_TOKEN,
 *     CKA_PRIVATE, CKA_SENSITIVE and not CKA_EXTRACTABLE.
 *
 * Thread safety: a PKCS#11 session must not be used by two threads at
 * once, and libp11's own locking differs between versions, so every token
 * operation (generation, lookup, and each signature made with one of its
 * keys: eid_key_lock) takes this handle's mutex.  Signatures are therefore
 * serialised per token: the HSM's own throughput is the bound anyway.
 *
 * A handle must outlive every key loaded from it.  A process opens one
 * handle per module: C_Initialize and C_Finalize act on the whole process,
 * so closing a handle (also a failed open) ends every other handle's
 * sessions on that module. */
#ifndef EID_PKCS11_H
#define EID_PKCS11_H

#include <stdbool.h>

#include "crypto/keys.h"

typedef struct eid_pkcs11 eid_pkcs11;

/* Longest label we give or accept (PKCS#11 token labels are 32 bytes;
 * object labels are free, ours are "eid-" and 32 hex digits). */
#define EID_PKCS11_LABEL_MAX 64

/* Load the module (a path to a .so), find the token by its label, log in
 * as the user with the PIN in pin_file (mode 0600 like the KEK file; one
 * line, at most 255 bytes).  The PIN is wiped once used.
 *   EID_EIO        the module does not load or is no PKCS#11 module
 *   EID_ENOTFOUND  no token with that label (or the PIN file is missing)
 *   EID_EPERM      the PIN file is open to group or others
 *   EID_EAUTH      the token refused the PIN
 *   EID_EMALFORMED an empty or over-long PIN file */
int eid_pkcs11_open(const char *module, const char *token_label,
		    const char *pin_file, eid_pkcs11 **ret_p11);
/* Safe on NULL.  Every key loaded from p11 must be freed first. */
void eid_pkcs11_close(eid_pkcs11 *p11);

/* Generate a key pair in the token for alg (ES256: P-256; RS256: RSA-3072)
 * under a new random label, and load it.  EID_EUNSUPPORTED for another
 * alg; EID_ECRYPTO when the token refuses. */
int eid_pkcs11_generate(eid_pkcs11 *p11, eid_alg alg, eid_key **ret_key);
/* Load the private key labelled label as a key of alg.  EID_ENOTFOUND
 * when the token has no such private key; EID_EPERM when the object is
 * extractable or not sensitive (we refuse to sign with a key that could
 * have left the token); EID_EMISMATCH when its type does not fit alg. */
int eid_pkcs11_load(eid_pkcs11 *p11, const char *label, eid_alg alg,
		    eid_key **ret_key);

/* The private key object's protection: CKA_SENSITIVE and CKA_EXTRACTABLE
 * as the token reports them.  EID_ENOTFOUND for an unknown label. */
int eid_pkcs11_key_flags(eid_pkcs11 *p11, const char *label,
			 bool *ret_sensitive, bool *ret_extractable);

/* The token's mutex, taken around each operation on one of its keys. */
void eid_pkcs11_lock(eid_pkcs11 *p11);
void eid_pkcs11_unlock(eid_pkcs11 *p11);

#endif
