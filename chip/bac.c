#include "chip/bac.h"

#include <string.h>

#include <openssl/evp.h>

#include "crypto/error.h"
#include "crypto/secret.h"

#define BAC_S_LEN 32    /* RND.A || RND.B || K.A */
#define BAC_SEED_LEN 16 /* Kseed and K.IFD xor K.IC */
#define KDF_ENC 1
#define KDF_MAC 2

int eid_bac_random(void *ctx, uint8_t *p, size_t n)
{
	(void)ctx;
	return eid_random_bytes(p, n);
}

/* The value of an MRZ character in a check digit: digits as themselves,
 * A..Z as 10..35, the filler '<' as 0; -1 for anything else. */
static int mrz_char_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return c == '<' ? 0 : -1;
}

/* ICAO 9303 Part 3, 4.9: the sum of the character values weighted 7, 3, 1
 * repeating, modulo 10.  -1 when a character is not in the MRZ set.  (The
 * MRZ parser in chip/mrz has its own; this one only guards BAC input.) */
static int mrz_check_digit(const char *s, size_t n)
{
	static const int weight[3] = { 7, 3, 1 };
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int v = mrz_char_value(s[i]);
		if (v < 0)
			return -1;
		sum += v * weight[i % 3];
	}
	return sum % 10;
}

static bool field_ok(const char *s, size_t n, char cd)
{
	int d = mrz_check_digit(s, n);

	return d >= 0 && cd >= '0' && cd <= '9' && d == cd - '0';
}

/* Document number (9 characters or more) and check digit, then date of
 * birth and date of expiry with theirs: read from the end, so a long
 * document number just shifts the start. */
int eid_bac_mrz_info_check(const char *s, size_t *ret_len)
{
	size_t n = strnlen(s, EID_BAC_MRZ_INFO_MAX + 1), doc;

	if (n < EID_BAC_MRZ_INFO_MIN || n > EID_BAC_MRZ_INFO_MAX)
		return EID_EINVAL;
	if (mrz_check_digit(s, n) < 0)
		return EID_EINVAL;
	doc = n - 15;
	if (!field_ok(s, doc, s[doc]) || !field_ok(s + n - 14, 6, s[n - 8]) ||
	    !field_ok(s + n - 7, 6, s[n - 1]))
		return EID_EINVAL;
	*ret_len = n;
	return EID_OK;
}

/* Kenc and Kmac from a 16-byte seed (Kseed, or K.IFD xor K.IC). */
static int keys_from_seed(const uint8_t seed[BAC_SEED_LEN],
			  struct eid_symkey *enc, struct eid_symkey *mac)
{
	int r = eid_smcrypto_kdf(EID_SM_3DES, EID_BAC_KEY_LEN, seed,
				 BAC_SEED_LEN, KDF_ENC, enc);

	if (r == EID_OK)
		r = eid_smcrypto_kdf(EID_SM_3DES, EID_BAC_KEY_LEN, seed,
				     BAC_SEED_LEN, KDF_MAC, mac);
	return r;
}

int eid_bac_keys_from_mrz_info(const char *mrz_info,
			       struct eid_bac_keys *ret_keys)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	struct eid_symkey enc, mac;
	size_t n;
	int r;

	if (mrz_info == NULL || (r = eid_bac_mrz_info_check(mrz_info, &n)) != EID_OK)
		return EID_EINVAL;
	r = EID_ECRYPTO;
	if (EVP_Digest(mrz_info, n, md, &mdlen, EVP_sha1(), NULL) != 1)
		goto out;
	/* Kseed is the first 16 bytes of SHA-1(MRZ information). */
	if ((r = keys_from_seed(md, &enc, &mac)) != EID_OK)
		goto out;
	memcpy(ret_keys->kenc, enc.key, EID_BAC_KEY_LEN);
	memcpy(ret_keys->kmac, mac.key, EID_BAC_KEY_LEN);
out:
	eid_wipe(md, sizeof(md));
	eid_symkey_wipe(&enc);
	eid_symkey_wipe(&mac);
	return r;
}

void eid_bac_keys_wipe(struct eid_bac_keys *k)
{
	eid_wipe(k, sizeof(*k));
}

static void to_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int eid_bac_keys_hex(const char *mrz_info, char ret_kenc[2 * EID_BAC_KEY_LEN + 1],
		     char ret_kmac[2 * EID_BAC_KEY_LEN + 1])
{
	struct eid_bac_keys k;
	int r = eid_bac_keys_from_mrz_info(mrz_info, &k);

	if (r != EID_OK)
		return r;
	to_hex(k.kenc, EID_BAC_KEY_LEN, ret_kenc);
	to_hex(k.kmac, EID_BAC_KEY_LEN, ret_kmac);
	eid_bac_keys_wipe(&k);
	return EID_OK;
}

/* E = 3DES-CBC(Kenc, S) and M = MAC(Kmac, pad(E)): out is E || M. */
static int auth_seal(const struct eid_bac_keys *keys,
		     const uint8_t s[BAC_S_LEN], uint8_t out[EID_BAC_AUTH_LEN])
{
	struct eid_symkey enc, mac;
	uint8_t padded[BAC_S_LEN + 8] = { 0 };
	int r;

	if ((r = eid_symkey_set(&enc, EID_SM_3DES, keys->kenc, EID_BAC_KEY_LEN)) != EID_OK ||
	    (r = eid_symkey_set(&mac, EID_SM_3DES, keys->kmac, EID_BAC_KEY_LEN)) != EID_OK)
		goto out;
	if ((r = eid_smcrypto_cbc(&enc, NULL, true, s, BAC_S_LEN, out)) != EID_OK)
		goto out;
	memcpy(padded, out, BAC_S_LEN);
	padded[BAC_S_LEN] = 0x80;
	r = eid_smcrypto_mac(&mac, padded, sizeof(padded), out + BAC_S_LEN);
out:
	eid_symkey_wipe(&enc);
	eid_symkey_wipe(&mac);
	return r;
}

/* Check M against E in constant time, then decrypt E into s. */
static int auth_open(const struct eid_bac_keys *keys,
		     const uint8_t in[EID_BAC_AUTH_LEN], uint8_t s[BAC_S_LEN])
{
	struct eid_symkey enc, mac;
	uint8_t padded[BAC_S_LEN + 8] = { 0 }, m[EID_SM_MAC_LEN];
	int r;

	if ((r = eid_symkey_set(&enc, EID_SM_3DES, keys->kenc, EID_BAC_KEY_LEN)) != EID_OK ||
	    (r = eid_symkey_set(&mac, EID_SM_3DES, keys->kmac, EID_BAC_KEY_LEN)) != EID_OK)
		goto out;
	memcpy(padded, in, BAC_S_LEN);
	padded[BAC_S_LEN] = 0x80;
	if ((r = eid_smcrypto_mac(&mac, padded, sizeof(padded), m)) != EID_OK)
		goto out;
	r = EID_EAUTH;
	if (!eid_ct_equal(m, in + BAC_S_LEN, EID_SM_MAC_LEN))
		goto out;
	r = eid_smcrypto_cbc(&enc, NULL, false, in, BAC_S_LEN, s);
out:
	eid_symkey_wipe(&enc);
	eid_symkey_wipe(&mac);
	eid_wipe(m, sizeof(m));
	return r;
}

/* Session keys from K.IFD xor K.IC; SSC = the low halves of RND.IC and
 * RND.IFD. */
static int open_session(const uint8_t *kifd, const uint8_t *kic,
			const uint8_t *rnd_ic, const uint8_t *rnd_ifd,
			eid_sm **ret_sm)
{
	uint8_t seed[BAC_SEED_LEN], ssc[8];
	struct eid_symkey enc, mac;
	int r;

	for (size_t i = 0; i < BAC_SEED_LEN; i++)
		seed[i] = kifd[i] ^ kic[i];
	memcpy(ssc, rnd_ic + 4, 4);
	memcpy(ssc + 4, rnd_ifd + 4, 4);
	if ((r = keys_from_seed(seed, &enc, &mac)) == EID_OK)
		r = eid_sm_new(EID_SM_3DES, enc.key, mac.key, EID_BAC_KEY_LEN,
			       ssc, sizeof(ssc), ret_sm);
	eid_wipe(seed, sizeof(seed));
	eid_wipe(ssc, sizeof(ssc));
	eid_symkey_wipe(&enc);
	eid_symkey_wipe(&mac);
	return r;
}

/* Send cmd and take exactly len bytes of answer (EID_ECARD otherwise).
 * 6300 from EXTERNAL AUTHENTICATE means the card's MAC check of our
 * cryptogram failed, a wrong MRZ: EID_EAUTH. */
static int exchange_fixed(const struct eid_transport *t,
			  const struct eid_apdu *cmd, uint8_t *out, size_t len)
{
	struct eid_rapdu resp;
	int r;

	eid_rapdu_init(&resp, len);
	if ((r = eid_card_transceive(t, cmd, &resp)) != EID_OK)
		goto out;
	r = resp.sw == 0x6300 ? EID_EAUTH : eid_sw_to_error(resp.sw);
	if (r != EID_OK)
		goto out;
	r = EID_ECARD;
	if (resp.data.len != len)
		goto out;
	memcpy(out, resp.data.data, len);
	r = EID_OK;
out:
	eid_rapdu_free(&resp);
	return r;
}

static int get_challenge(const struct eid_transport *t,
			 uint8_t rnd_ic[EID_BAC_RND_LEN])
{
	struct eid_apdu cmd = { .ins = 0x84, .ne = EID_BAC_RND_LEN };

	return exchange_fixed(t, &cmd, rnd_ic, EID_BAC_RND_LEN);
}

static int external_authenticate(const struct eid_transport *t,
				 const uint8_t in[EID_BAC_AUTH_LEN],
				 uint8_t out[EID_BAC_AUTH_LEN])
{
	struct eid_apdu cmd = { .ins = 0x82, .data = in,
				.nc = EID_BAC_AUTH_LEN, .ne = EID_BAC_AUTH_LEN };

	return exchange_fixed(t, &cmd, out, EID_BAC_AUTH_LEN);
}

/* The terminal's secrets: RND.IFD || RND.IC || K.IFD, then the card's
 * answer R = RND.IC || RND.IFD || K.IC. */
struct bac_ifd {
	uint8_t s[BAC_S_LEN];
	uint8_t r[BAC_S_LEN];
	uint8_t msg[EID_BAC_AUTH_LEN];
};

int eid_bac_authenticate(const struct eid_transport *t,
			 const struct eid_bac_keys *keys, eid_bac_random_fn rnd,
			 void *rnd_ctx, eid_sm **ret_sm)
{
	struct bac_ifd x;
	uint8_t *rnd_ifd = x.s, *rnd_ic = x.s + 8, *kifd = x.s + 16;
	int r;

	if ((r = get_challenge(t, rnd_ic)) != EID_OK ||
	    (r = rnd(rnd_ctx, rnd_ifd, EID_BAC_RND_LEN)) != EID_OK ||
	    (r = rnd(rnd_ctx, kifd, EID_BAC_KEY_LEN)) != EID_OK ||
	    (r = auth_seal(keys, x.s, x.msg)) != EID_OK ||
	    (r = external_authenticate(t, x.msg, x.msg)) != EID_OK ||
	    (r = auth_open(keys, x.msg, x.r)) != EID_OK)
		goto out;
	r = EID_EAUTH;
	if (!eid_ct_equal(x.r, rnd_ic, EID_BAC_RND_LEN) ||
	    !eid_ct_equal(x.r + 8, rnd_ifd, EID_BAC_RND_LEN))
		goto out;
	r = open_session(kifd, x.r + 16, rnd_ic, rnd_ifd, ret_sm);
out:
	eid_wipe(&x, sizeof(x));
	return r;
}

int eid_bac_card_authenticate(const struct eid_bac_keys *keys,
			      const uint8_t rnd_ic[EID_BAC_RND_LEN],
			      const uint8_t *data, size_t len,
			      eid_bac_random_fn rnd, void *rnd_ctx,
			      eid_buf *resp, eid_sm **ret_sm)
{
	struct bac_ifd x; /* s: what the terminal sent; r: our answer */
	eid_sm *sm = NULL;
	int r = EID_EMALFORMED;

	if (data == NULL || len != EID_BAC_AUTH_LEN)
		goto out;
	if ((r = auth_open(keys, data, x.s)) != EID_OK)
		goto out;
	r = EID_EAUTH;
	if (!eid_ct_equal(x.s + 8, rnd_ic, EID_BAC_RND_LEN))
		goto out;
	memcpy(x.r, rnd_ic, EID_BAC_RND_LEN);
	memcpy(x.r + 8, x.s, EID_BAC_RND_LEN);
	if ((r = rnd(rnd_ctx, x.r + 16, EID_BAC_KEY_LEN)) != EID_OK ||
	    (r = auth_seal(keys, x.r, x.msg)) != EID_OK ||
	    (r = open_session(x.s + 16, x.r + 16, rnd_ic, x.s, &sm)) != EID_OK ||
	    (r = eid_buf_put(resp, x.msg, sizeof(x.msg))) != EID_OK)
		goto out;
	*ret_sm = sm;
	sm = NULL;
out:
	eid_sm_free(sm);
	eid_wipe(&x, sizeof(x));
	return r;
}
