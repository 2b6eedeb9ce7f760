#include "chip/ca.h"

#include <string.h>

#include "chip/tlv.h"
#include "crypto/error.h"
#include "crypto/secret.h"

#define KDF_ENC 1
#define KDF_MAC 2
#define INS_MSE 0x22
#define INS_GA 0x86
#define MSE_DATA_MAX (EID_KA_ELEMENT_MAX + 16)

/* The new session from K = KA(our key, the peer's). */
static int ca_session(const eid_ka *ka, const eid_ka_key *k,
		      const uint8_t *peer, size_t n,
		      const struct eid_ca_info *info, eid_sm **ret_sm)
{
	uint8_t ssc[EID_SM_BLOCK_MAX] = { 0 };
	struct eid_symkey enc, mac;
	eid_buf secret;
	int r;

	memset(&enc, 0, sizeof(enc));
	memset(&mac, 0, sizeof(mac));
	eid_buf_init_secret(&secret, EID_KA_ELEMENT_MAX);
	if ((r = eid_ka_shared_secret(ka, k, peer, n, &secret)) != EID_OK ||
	    (r = eid_smcrypto_kdf(info->alg, info->keylen, secret.data,
				  secret.len, KDF_ENC, &enc)) != EID_OK ||
	    (r = eid_smcrypto_kdf(info->alg, info->keylen, secret.data,
				  secret.len, KDF_MAC, &mac)) != EID_OK)
		goto out;
	r = eid_sm_new(info->alg, enc.key, mac.key, info->keylen, ssc,
		       eid_smcrypto_block(info->alg), ret_sm);
out:
	eid_buf_free(&secret);
	eid_symkey_wipe(&enc);
	eid_symkey_wipe(&mac);
	return r;
}

static bool key_matches(EVP_PKEY *key, const struct eid_ca_info *info)
{
	int type = EVP_PKEY_get_base_id(key);

	if (info->ka == EID_KA_ECDH)
		return type == EVP_PKEY_EC;
	return type == EVP_PKEY_DH || type == EVP_PKEY_DHX;
}

/* '84' with the key id, when there is one. */
static int put_key_id(eid_buf *b, long key_id)
{
	uint8_t v[4];
	size_t n = 0;

	if (key_id < 0)
		return EID_OK;
	if (key_id > 0xffffff)
		return EID_EINVAL;
	for (long k = key_id; n == 0 || k > 0; k >>= 8)
		n++;
	for (size_t i = 0; i < n; i++)
		v[n - 1 - i] = (uint8_t)(key_id >> (8 * i));
	return eid_tlv_put(b, 0x84, v, n);
}

/* ---- the terminal ---- */

static int send_command(eid_reader *rd, uint8_t ins, uint8_t p1, uint8_t p2,
			const eid_buf *data, bool le)
{
	struct eid_apdu cmd = { .ins = ins, .p1 = p1, .p2 = p2,
				.data = data->data, .nc = data->len,
				.ne = le ? EID_APDU_SHORT_NE_MAX : 0 };
	struct eid_rapdu resp;
	int r;

	eid_rapdu_init(&resp, EID_APDU_SHORT_NE_MAX);
	if ((r = eid_reader_transmit(rd, &cmd, &resp)) == EID_OK)
		r = eid_sw_to_error(resp.sw);
	eid_rapdu_free(&resp);
	return r;
}

/* 3DES: MSE:Set KAT { '91' key, '84' key id }. */
static int term_kat(eid_reader *rd, const struct eid_ca_info *info,
		    const uint8_t *pk, size_t n)
{
	eid_buf data;
	int r;

	eid_buf_init(&data, MSE_DATA_MAX);
	if ((r = eid_tlv_put(&data, 0x91, pk, n)) == EID_OK &&
	    (r = put_key_id(&data, info->key_id)) == EID_OK)
		r = send_command(rd, INS_MSE, 0x41, 0xa6, &data, false);
	eid_buf_free(&data);
	return r;
}

/* AES: MSE:Set AT { '80' OID, '84' key id }, then GENERAL AUTHENTICATE
 * '7C' { '80' key }. */
static int term_at_ga(eid_reader *rd, const struct eid_ca_info *info,
		      const uint8_t *pk, size_t n)
{
	eid_buf data, inner;
	int r;

	eid_buf_init(&data, MSE_DATA_MAX);
	eid_buf_init(&inner, MSE_DATA_MAX);
	if ((r = eid_tlv_put(&data, 0x80, info->oid.v,
			     info->oid.len)) != EID_OK ||
	    (r = put_key_id(&data, info->key_id)) != EID_OK ||
	    (r = send_command(rd, INS_MSE, 0x41, 0xa4, &data, false)) != EID_OK)
		goto out;
	eid_buf_reset(&data);
	if ((r = eid_tlv_put(&inner, 0x80, pk, n)) != EID_OK ||
	    (r = eid_tlv_put(&data, 0x7c, inner.data, inner.len)) != EID_OK)
		goto out;
	r = send_command(rd, INS_GA, 0x00, 0x00, &data, true);
out:
	eid_buf_free(&data);
	eid_buf_free(&inner);
	return r;
}

int eid_ca_authenticate(eid_reader *rd, const struct eid_ca_params *p)
{
	eid_ka *ka = NULL;
	eid_ka_key *eph = NULL;
	eid_sm *sm = NULL;
	eid_buf chip_pub;
	const uint8_t *pk;
	size_t n;
	int r = EID_EINVAL;

	eid_buf_init(&chip_pub, EID_KA_ELEMENT_MAX);
	if (rd == NULL || p == NULL || p->info == NULL || p->chip_key == NULL ||
	    !key_matches(p->chip_key, p->info))
		goto out;
	if ((r = eid_ka_new_from_pkey(p->chip_key, &ka)) != EID_OK ||
	    (r = eid_ka_pkey_public(ka, p->chip_key, &chip_pub)) != EID_OK ||
	    (r = eid_ka_keygen(ka, p->rnd, p->rnd_ctx, &eph)) != EID_OK ||
	    (r = ca_session(ka, eph, chip_pub.data, chip_pub.len, p->info,
			    &sm)) != EID_OK)
		goto out;
	pk = eid_ka_key_public(eph, &n);
	if (p->info->alg == EID_SM_3DES)
		r = term_kat(rd, p->info, pk, n);
	else
		r = term_at_ga(rd, p->info, pk, n);
	if (r != EID_OK)
		goto out;
	eid_reader_set_sm(rd, sm);
	sm = NULL;
out:
	eid_sm_free(sm);
	eid_ka_key_free(eph);
	eid_ka_free(ka);
	eid_buf_free(&chip_pub);
	return r;
}

/* ---- the card ---- */

/* The new session from the terminal's key and our static key. */
static int card_agree(EVP_PKEY *chip_key, const struct eid_ca_info *info,
		      const uint8_t *pk, size_t n, eid_sm **ret_sm)
{
	eid_ka *ka = NULL;
	eid_ka_key *k = NULL;
	int r = EID_EINVAL;

	if (chip_key == NULL || info == NULL || ret_sm == NULL ||
	    !key_matches(chip_key, info))
		goto out;
	if ((r = eid_ka_new_from_pkey(chip_key, &ka)) != EID_OK ||
	    (r = eid_ka_key_from_pkey(ka, chip_key, &k)) != EID_OK)
		goto out;
	r = ca_session(ka, k, pk, n, info, ret_sm);
out:
	eid_ka_key_free(k);
	eid_ka_free(ka);
	return r;
}

/* The first element, which must carry tag; then at most a '84' key id. */
static int take_first(const uint8_t *data, size_t n, uint8_t tag,
		      struct eid_tlv *ret)
{
	eid_rd r = eid_rd_make(data, n);
	struct eid_tlv t, id;

	if (eid_tlv_read(&r, &t) != EID_OK || t.tag != tag)
		return EID_EMALFORMED;
	if (eid_rd_left(&r) > 0 &&
	    (eid_tlv_read(&r, &id) != EID_OK || id.tag != 0x84 ||
	     id.len == 0 || id.len > 3))
		return EID_EMALFORMED;
	if (eid_rd_left(&r) != 0)
		return EID_EMALFORMED;
	*ret = t;
	return EID_OK;
}

int eid_ca_card_set_at(const struct eid_ca_info *info, const uint8_t *data,
		       size_t n)
{
	struct eid_tlv oid;
	int r;

	if (info == NULL)
		return EID_EINVAL;
	if ((r = take_first(data, n, 0x80, &oid)) != EID_OK)
		return r;
	if (oid.len != info->oid.len ||
	    memcmp(oid.value, info->oid.v, oid.len) != 0)
		return EID_ENOTFOUND;
	return EID_OK;
}

int eid_ca_card_set_kat(EVP_PKEY *chip_key, const struct eid_ca_info *info,
			const uint8_t *data, size_t n, eid_sm **ret_sm)
{
	struct eid_tlv pk;
	int r;

	if ((r = take_first(data, n, 0x91, &pk)) != EID_OK)
		return r;
	return card_agree(chip_key, info, pk.value, pk.len, ret_sm);
}

int eid_ca_card_general_authenticate(EVP_PKEY *chip_key,
				     const struct eid_ca_info *info,
				     const uint8_t *data, size_t n,
				     eid_buf *resp, eid_sm **ret_sm)
{
	struct eid_tlv outer, pk;
	eid_sm *sm = NULL;
	int r;

	if (resp == NULL)
		return EID_EINVAL;
	if (eid_tlv_parse_exact(data, n, &outer) != EID_OK ||
	    outer.tag != 0x7c ||
	    eid_tlv_parse_exact(outer.value, outer.len, &pk) != EID_OK ||
	    pk.tag != 0x80)
		return EID_EMALFORMED;
	if ((r = card_agree(chip_key, info, pk.value, pk.len, &sm)) != EID_OK)
		return r;
	if ((r = eid_tlv_put(resp, 0x7c, NULL, 0)) != EID_OK) {
		eid_sm_free(sm);
		return r;
	}
	*ret_sm = sm;
	return EID_OK;
}
