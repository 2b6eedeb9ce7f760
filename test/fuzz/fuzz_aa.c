/* Active Authentication answers from a card: arbitrary signatures against
 * fixed DG15 keys.  Input: one selector byte (bit 0: RSA or ECDSA; bits
 * 1-3: the ECDSA hash), the 8-byte challenge, then the signature.  The
 * corpus holds valid answers made with the matching private keys. */
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "chip/aa.h"
#include "crypto/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rsa_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCgLOqDKYF61bbSG77ssFRxa3Mj\n"
	"r6GbZgkz5GRD+esBDRUw5jp6yJ1z9zU2xGXLWnLnCkhAyIKYw+LO/+h71LdtRhhI\n"
	"0/7/hUEhM//ewL/xcbFLb3m1C3dgztUV5uO5xHV0zI+o3PYCZxPNPCseq5GY56HV\n"
	"+zgQv4jyE0lXzmDBFwIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static const char ec_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhHL27AL08Ju51xeZvTLfIpClqcZa\n"
	"kvo64Df3RtrcJmySBSYLfugNz0powt1K1/6kxHdTbL11qswsSzqf1JsN0Q==\n"
	"-----END PUBLIC KEY-----\n";

static EVP_PKEY *load(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key = bio != NULL ?
		PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return key;
}

static const EVP_MD *md_of(uint8_t sel)
{
	const EVP_MD *mds[] = { NULL, EVP_sha1(), EVP_sha224(), EVP_sha256(),
				EVP_sha384(), EVP_sha512(), EVP_md5(), NULL };

	return mds[(sel >> 1) & 7];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *key;
	int r;

	if (size < 1 + EID_AA_CHALLENGE_LEN)
		return 0;
	key = load((data[0] & 1) ? ec_pub : rsa_pub);
	if (key == NULL)
		__builtin_trap();
	r = eid_aa_verify(key, data + 1, data + 1 + EID_AA_CHALLENGE_LEN,
			  size - 1 - EID_AA_CHALLENGE_LEN, md_of(data[0]));
	if (r != EID_OK && r != EID_EVERIFY && r != EID_EUNSUPPORTED)
		__builtin_trap();
	EVP_PKEY_free(key);
	return 0;
}
