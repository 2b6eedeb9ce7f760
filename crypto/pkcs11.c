#include "crypto/pkcs11.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "crypto/error.h"
#include "crypto/secret.h"

#define PIN_MAX 255
#define ID_LEN 16
#define RSA_BITS 3072

struct eid_pkcs11 {
	pthread_mutex_t lock;
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot;            /* the token's slot, in slots */
	void *dl;                     /* our reference to the same module */
	CK_FUNCTION_LIST_PTR fn;
	CK_SESSION_HANDLE session;    /* ours: generation, attributes */
	bool session_open;
};

void eid_pkcs11_lock(eid_pkcs11 *p11)
{
	pthread_mutex_lock(&p11->lock);
}

void eid_pkcs11_unlock(eid_pkcs11 *p11)
{
	pthread_mutex_unlock(&p11->lock);
}

void eid_pkcs11_close(eid_pkcs11 *p11)
{
	if (p11 == NULL)
		return;
	if (p11->session_open)
		p11->fn->C_CloseSession(p11->session);
	if (p11->slots != NULL)
		PKCS11_release_all_slots(p11->ctx, p11->slots, p11->nslots);
	if (p11->ctx != NULL) {
		PKCS11_CTX_unload(p11->ctx); /* C_Finalize */
		PKCS11_CTX_free(p11->ctx);
	}
	if (p11->dl != NULL)
		dlclose(p11->dl);
	pthread_mutex_destroy(&p11->lock);
	free(p11);
}

/* The PIN: the file's one line without its line end, NUL-terminated. */
static int pin_read(const char *pin_file, char pin[PIN_MAX + 3])
{
	size_t len = 0;
	int r = eid_secret_file_read(pin_file, pin, PIN_MAX + 1, &len);

	if (r != EID_OK)
		return r;
	if (len > 0 && pin[len - 1] == '\n')
		len--;
	if (len > 0 && pin[len - 1] == '\r')
		len--;
	if (len == 0 || len > PIN_MAX || memchr(pin, '\0', len) != NULL ||
	    memchr(pin, '\n', len) != NULL)
		return EID_EMALFORMED;
	pin[len] = '\0';
	return EID_OK;
}

static PKCS11_SLOT *slot_by_label(eid_pkcs11 *p11, const char *label)
{
	for (unsigned int i = 0; i < p11->nslots; i++) {
		PKCS11_TOKEN *t = p11->slots[i].token;

		if (t != NULL && t->initialized && t->label != NULL &&
		    strcmp(t->label, label) == 0)
			return &p11->slots[i];
	}
	return NULL;
}

/* Our own door into the module: the library and its function list.
 * Loaded before libp11 loads it (dlopen counts references, both get the
 * same library), so a bad path fails here quietly (libp11 would print the
 * loader's message on stderr). */
static int module_open(eid_pkcs11 *p11, const char *module)
{
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);

	p11->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (p11->dl == NULL)
		return EID_EIO;
	*(void **)&get_list = dlsym(p11->dl, "C_GetFunctionList");
	if (get_list == NULL || get_list(&p11->fn) != CKR_OK || p11->fn == NULL)
		return EID_EIO;
	return EID_OK;
}

/* A read-write session of our own on the token, once libp11 initialised
 * the module and logged in: it shares that login (login state is per
 * application, not per session). */
static int session_open(eid_pkcs11 *p11)
{
	CK_SLOT_ID id = PKCS11_get_slotid_from_slot(p11->slot);

	if (p11->fn->C_OpenSession(id, CKF_SERIAL_SESSION | CKF_RW_SESSION,
				   NULL, NULL, &p11->session) != CKR_OK)
		return EID_EIO;
	p11->session_open = true;
	return EID_OK;
}

int eid_pkcs11_open(const char *module, const char *token_label,
		    const char *pin_file, eid_pkcs11 **ret_p11)
{
	eid_pkcs11 *p11;
	char pin[PIN_MAX + 3];
	int r;

	if (module == NULL || token_label == NULL || pin_file == NULL ||
	    ret_p11 == NULL)
		return EID_EINVAL;
	p11 = calloc(1, sizeof(*p11));
	if (p11 == NULL)
		return EID_ENOMEM;
	if (pthread_mutex_init(&p11->lock, NULL) != 0) {
		free(p11);
		return EID_EINTERNAL;
	}
	if ((r = pin_read(pin_file, pin)) != EID_OK ||
	    (r = module_open(p11, module)) != EID_OK)
		goto out;
	r = EID_ENOMEM;
	if ((p11->ctx = PKCS11_CTX_new()) == NULL)
		goto out;
	r = EID_EIO;
	if (PKCS11_CTX_load(p11->ctx, module) != 0) {
		PKCS11_CTX_free(p11->ctx);
		p11->ctx = NULL;
		goto out;
	}
	if (PKCS11_enumerate_slots(p11->ctx, &p11->slots, &p11->nslots) != 0)
		goto out;
	r = EID_ENOTFOUND;
	if ((p11->slot = slot_by_label(p11, token_label)) == NULL)
		goto out;
	r = EID_EIO;
	if (PKCS11_open_session(p11->slot, 0) != 0)
		goto out;
	r = EID_EAUTH;
	if (PKCS11_login(p11->slot, 0, pin) != 0)
		goto out;
	if ((r = session_open(p11)) != EID_OK)
		goto out;
	*ret_p11 = p11;
	p11 = NULL;
out:
	ERR_clear_error();
	eid_wipe(pin, sizeof(pin));
	eid_pkcs11_close(p11);
	return r;
}

/* ---- keys ---- */

static PKCS11_KEY *key_by_label(eid_pkcs11 *p11, const char *label)
{
	PKCS11_KEY *keys = NULL;
	unsigned int n = 0;

	/* Enumerated afresh each time: eidctl may have added a key since. */
	if (PKCS11_enumerate_keys(p11->slot->token, &keys, &n) != 0)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		if (keys[i].isPrivate && keys[i].label != NULL &&
		    strcmp(keys[i].label, label) == 0)
			return &keys[i];
	return NULL;
}

/* The private key object by label through our own session. */
static int object_by_label(eid_pkcs11 *p11, const char *label,
			   CK_OBJECT_HANDLE *ret_obj)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE obj[2];
	CK_ULONG n = 0;
	CK_RV rv;

	if (p11->fn->C_FindObjectsInit(p11->session, tmpl, 2) != CKR_OK)
		return EID_EIO;
	rv = p11->fn->C_FindObjects(p11->session, obj, 2, &n);
	p11->fn->C_FindObjectsFinal(p11->session);
	if (rv != CKR_OK)
		return EID_EIO;
	if (n == 0)
		return EID_ENOTFOUND;
	if (n > 1)
		return EID_EEXIST; /* a label must name one key */
	*ret_obj = obj[0];
	return EID_OK;
}

static int flags_locked(eid_pkcs11 *p11, const char *label,
			bool *ret_sensitive, bool *ret_extractable)
{
	CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
	CK_ATTRIBUTE attrs[] = {
		{ CKA_SENSITIVE, &sensitive, sizeof(sensitive) },
		{ CKA_EXTRACTABLE, &extractable, sizeof(extractable) },
	};
	CK_OBJECT_HANDLE obj;
	int r = object_by_label(p11, label, &obj);

	if (r != EID_OK)
		return r;
	if (p11->fn->C_GetAttributeValue(p11->session, obj, attrs, 2) !=
	    CKR_OK)
		return EID_EIO;
	*ret_sensitive = sensitive == CK_TRUE;
	*ret_extractable = extractable == CK_TRUE;
	return EID_OK;
}

int eid_pkcs11_key_flags(eid_pkcs11 *p11, const char *label,
			 bool *ret_sensitive, bool *ret_extractable)
{
	int r;

	if (p11 == NULL || label == NULL || ret_sensitive == NULL ||
	    ret_extractable == NULL)
		return EID_EINVAL;
	eid_pkcs11_lock(p11);
	r = flags_locked(p11, label, ret_sensitive, ret_extractable);
	eid_pkcs11_unlock(p11);
	return r;
}

/* The public key as a provider-native EVP_PKEY (through its DER), so the
 * thumbprint and JWK code reads it like any other public key. */
static int public_native(EVP_PKEY *pub, EVP_PKEY **ret)
{
	unsigned char *der = NULL, *p;
	const unsigned char *q;
	EVP_PKEY *out;
	int len = i2d_PUBKEY(pub, NULL);

	if (len <= 0 || (der = OPENSSL_malloc((size_t)len)) == NULL)
		return EID_ECRYPTO;
	p = der;
	q = der;
	out = i2d_PUBKEY(pub, &p) == len ? d2i_PUBKEY(NULL, &q, len) : NULL;
	OPENSSL_free(der);
	if (out == NULL)
		return EID_ECRYPTO;
	*ret = out;
	return EID_OK;
}

static int load_locked(eid_pkcs11 *p11, const char *label, eid_alg alg,
		       eid_key **ret_key)
{
	EVP_PKEY *priv = NULL, *native = NULL;
	bool sensitive, extractable;
	PKCS11_KEY *k;
	int r;

	if ((r = flags_locked(p11, label, &sensitive, &extractable)) != EID_OK)
		return r;
	if (!sensitive || extractable)
		return EID_EPERM;
	if ((k = key_by_label(p11, label)) == NULL)
		return EID_ENOTFOUND;
	r = EID_ECRYPTO;
	/* The handle carries the public half (libp11 reads it from the
	 * token's public key object). */
	priv = PKCS11_get_private_key(k);
	if (priv == NULL || (r = public_native(priv, &native)) != EID_OK)
		goto out;
	r = eid_key_from_token(priv, native, alg, label, p11, ret_key);
	priv = NULL;
	native = NULL;
out:
	EVP_PKEY_free(priv);
	EVP_PKEY_free(native);
	return r;
}

int eid_pkcs11_load(eid_pkcs11 *p11, const char *label, eid_alg alg,
		    eid_key **ret_key)
{
	int r;

	if (p11 == NULL || label == NULL || ret_key == NULL ||
	    strlen(label) == 0 || strlen(label) > EID_PKCS11_LABEL_MAX)
		return EID_EINVAL;
	eid_pkcs11_lock(p11);
	r = load_locked(p11, label, alg, ret_key);
	eid_pkcs11_unlock(p11);
	ERR_clear_error();
	return r;
}

/* DER of the OID prime256v1 (1.2.840.10045.3.1.7), the CKA_EC_PARAMS. */
static const CK_BYTE p256_params[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};
static const CK_BYTE rsa_exponent[] = { 0x01, 0x00, 0x01 };

static int generate_locked(eid_pkcs11 *p11, const eid_alg_info *info,
			   const char *label, const CK_BYTE id[ID_LEN])
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = RSA_BITS;
	CK_MECHANISM mech = {
		info->ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN,
		NULL, 0,
	};
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, (void *)id, ID_LEN },
		info->ec ? (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)p256_params,
					   sizeof(p256_params) } :
			   (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits,
					   sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)rsa_exponent,
		  sizeof(rsa_exponent) },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, (void *)id, ID_LEN },
	};
	CK_OBJECT_HANDLE hpub, hpriv;
	/* The exponent is an RSA attribute only. */
	CK_ULONG npub = info->ec ? 5 : 6;

	if (p11->fn->C_GenerateKeyPair(p11->session, &mech, pub, npub, priv,
				       sizeof(priv) / sizeof(priv[0]), &hpub,
				       &hpriv) != CKR_OK)
		return EID_ECRYPTO;
	return EID_OK;
}

int eid_pkcs11_generate(eid_pkcs11 *p11, eid_alg alg, eid_key **ret_key)
{
	const eid_alg_info *info = eid_alg_info_get(alg);
	CK_BYTE id[ID_LEN];
	char label[5 + 2 * ID_LEN];
	int r;

	if (p11 == NULL || ret_key == NULL)
		return EID_EINVAL;
	/* PS256 would need the token's PSS mechanism through libp11: not
	 * offered until it is tested against a real HSM. */
	if (info == NULL || (alg != EID_ALG_ES256 && alg != EID_ALG_RS256))
		return EID_EUNSUPPORTED;
	if ((r = eid_random_bytes(id, sizeof(id))) != EID_OK)
		return r;
	memcpy(label, "eid-", 4);
	eid_hex_encode(id, sizeof(id), label + 4);
	eid_pkcs11_lock(p11);
	r = generate_locked(p11, info, label, id);
	if (r == EID_OK)
		r = load_locked(p11, label, alg, ret_key);
	eid_pkcs11_unlock(p11);
	ERR_clear_error();
	return r;
}
