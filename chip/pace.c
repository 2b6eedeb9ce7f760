#include "chip/pace.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "chip/bac.h"
#include "chip/tlv.h"
#include "crypto/error.h"
#include "crypto/secret.h"

#define KDF_ENC 1
#define KDF_MAC 2
#define KDF_PI 3
#define TOKEN_LEN 8
#define SEED_MAX 20 /* SHA-1 of the MRZ information; a CAN is shorter */
/* The dynamic authentication data of one step: '7C' around one element
 * holding a public key at most. */
#define GA_DATA_MAX (EID_KA_ELEMENT_MAX + 16)
#define MSE_DATA_MAX (EID_OID_MAX + 16)

/* GENERAL AUTHENTICATE data object tags, in protocol order. */
#define DO_NONCE 0x80
#define DO_MAP_PCD 0x81
#define DO_MAP_IC 0x82
#define DO_EPH_PCD 0x83
#define DO_EPH_IC 0x84
#define DO_TOKEN_PCD 0x85
#define DO_TOKEN_IC 0x86

#define CLA_CHAIN 0x10
#define INS_MSE 0x22
#define INS_GA 0x86

/* ---- passwords ---- */

/* f(password): SHA-1 of the MRZ information, or the CAN's digits. */
static int pw_seed(enum eid_pace_pw type, const char *pw,
		   uint8_t seed[SEED_MAX], size_t *ret_len)
{
	size_t n;

	if (pw == NULL)
		return EID_EINVAL;
	if (type == EID_PACE_MRZ) {
		if (eid_bac_mrz_info_check(pw, &n) != EID_OK ||
		    EVP_Digest(pw, n, seed, NULL, EVP_sha1(), NULL) != 1)
			return EID_EINVAL;
		*ret_len = 20;
		return EID_OK;
	}
	if (type != EID_PACE_CAN)
		return EID_EINVAL;
	n = strnlen(pw, EID_PACE_CAN_MAX + 1);
	if (n == 0 || n > EID_PACE_CAN_MAX)
		return EID_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (pw[i] < '0' || pw[i] > '9')
			return EID_EINVAL;
	memcpy(seed, pw, n);
	*ret_len = n;
	return EID_OK;
}

int eid_pace_kpi(enum eid_pace_pw type, const char *pw, enum eid_sm_alg alg,
		 size_t keylen, struct eid_symkey *ret)
{
	uint8_t seed[SEED_MAX];
	size_t n = 0;
	int r;

	if ((r = pw_seed(type, pw, seed, &n)) == EID_OK)
		r = eid_smcrypto_kdf(alg, keylen, seed, n, KDF_PI, ret);
	eid_wipe(seed, sizeof(seed));
	return r;
}

/* ---- choosing a protocol ---- */

static bool runnable(const struct eid_pace_info *pi)
{
	bool ec = pi->param_id >= 8 && pi->param_id <= 18;
	bool dh = pi->param_id >= 0 && pi->param_id <= 2;

	return pi->mapping == EID_PACE_GM && pi->version == 2 &&
	       ((pi->ka == EID_KA_ECDH && ec) || (pi->ka == EID_KA_DH && dh));
}

/* Higher is better: ECDH over DH, then AES over 3DES, longer keys. */
static int rank(const struct eid_pace_info *pi)
{
	return (pi->ka == EID_KA_ECDH ? 100 : 0) +
	       (pi->alg == EID_SM_AES ? 50 : 0) + (int)pi->keylen;
}

static bool same_oid(const struct eid_oid *a, const struct eid_oid *b)
{
	return a->len == b->len && memcmp(a->v, b->v, a->len) == 0;
}

int eid_pace_choose(const struct eid_security_infos *si,
		    const struct eid_pace_info **ret_info,
		    bool *ret_ambiguous)
{
	const struct eid_pace_info *best = NULL;
	size_t same = 0;

	if (si == NULL || ret_info == NULL || ret_ambiguous == NULL)
		return EID_EINVAL;
	for (size_t i = 0; i < si->npace; i++)
		if (runnable(&si->pace[i]) &&
		    (best == NULL || rank(&si->pace[i]) > rank(best)))
			best = &si->pace[i];
	if (best == NULL)
		return EID_ENOTFOUND;
	for (size_t i = 0; i < si->npace; i++)
		same += same_oid(&si->pace[i].oid, &best->oid);
	*ret_info = best;
	*ret_ambiguous = same > 1;
	return EID_OK;
}

/* ---- one run, shared by both sides ---- */

struct pace_run {
	struct eid_pace_info info;
	eid_ka *ka;          /* the standardized domain */
	eid_ka *mapped;      /* the domain with G' */
	eid_ka_key *map_key; /* ours, for the mapping */
	eid_ka_key *eph_key; /* ours, on G' */
	struct eid_symkey kpi;
	struct eid_symkey ksenc, ksmac;
	uint8_t s[EID_SM_BLOCK_MAX];
	size_t slen;
	uint8_t peer_eph[EID_KA_ELEMENT_MAX];
	size_t peer_eph_len;
};

static void run_clear(struct pace_run *x)
{
	eid_ka_free(x->ka);
	eid_ka_free(x->mapped);
	eid_ka_key_free(x->map_key);
	eid_ka_key_free(x->eph_key);
	eid_wipe(x, sizeof(*x));
}

/* The domain and Kpi for info, from the password seed. */
static int run_start(struct pace_run *x, const struct eid_pace_info *info,
		     const uint8_t *seed, size_t seedlen)
{
	int r;

	memset(x, 0, sizeof(*x));
	x->info = *info;
	if (!runnable(info))
		return EID_EUNSUPPORTED;
	if ((r = eid_ka_new_standard(info->param_id, &x->ka)) != EID_OK)
		return r;
	x->slen = eid_smcrypto_block(info->alg);
	return eid_smcrypto_kdf(info->alg, info->keylen, seed, seedlen,
				KDF_PI, &x->kpi);
}

/* The nonce s <-> z = E(Kpi, s), CBC with a zero IV over one block. */
static int run_nonce(struct pace_run *x, bool enc, const uint8_t *in,
		     size_t n, uint8_t *out)
{
	if (in == NULL || n != x->slen)
		return EID_EMALFORMED;
	return eid_smcrypto_cbc(&x->kpi, NULL, enc, in, n, out);
}

/* H from the peer's mapping key, then G' = s*G + H. */
static int run_map(struct pace_run *x, const uint8_t *peer, size_t n)
{
	eid_buf h;
	int r;

	eid_buf_init_secret(&h, EID_KA_ELEMENT_MAX);
	r = eid_ka_shared_element(x->ka, x->map_key, peer, n, &h);
	if (r == EID_OK)
		r = eid_ka_map_generic(x->ka, x->s, x->slen, h.data, h.len,
				       &x->mapped);
	eid_buf_free(&h);
	return r;
}

/* K from the peer's ephemeral key on G', then KSenc and KSmac.  A peer
 * echoing our own key is refused (TR-03110 4.4). */
static int run_agree(struct pace_run *x, const uint8_t *peer, size_t n)
{
	size_t mine_len;
	const uint8_t *mine = eid_ka_key_public(x->eph_key, &mine_len);
	eid_buf k;
	int r = EID_EVERIFY;

	eid_buf_init_secret(&k, EID_KA_ELEMENT_MAX);
	if (peer == NULL || n > sizeof(x->peer_eph) ||
	    (n == mine_len && memcmp(peer, mine, n) == 0))
		goto out;
	if ((r = eid_ka_shared_secret(x->mapped, x->eph_key, peer, n,
				      &k)) != EID_OK ||
	    (r = eid_smcrypto_kdf(x->info.alg, x->info.keylen, k.data, k.len,
				  KDF_ENC, &x->ksenc)) != EID_OK ||
	    (r = eid_smcrypto_kdf(x->info.alg, x->info.keylen, k.data, k.len,
				  KDF_MAC, &x->ksmac)) != EID_OK)
		goto out;
	memcpy(x->peer_eph, peer, n);
	x->peer_eph_len = n;
out:
	eid_buf_free(&k);
	return r;
}

/* A fresh key for step 2 (in the standard domain) or step 3 (on G'); its
 * public half borrowed in ret. */
static int run_keygen(struct pace_run *x, bool mapping, eid_ka_random_fn rnd,
		      void *rnd_ctx, const uint8_t **ret, size_t *ret_len)
{
	eid_ka_key **k = mapping ? &x->map_key : &x->eph_key;
	int r = eid_ka_keygen(mapping ? x->ka : x->mapped, rnd, rnd_ctx, k);

	if (r == EID_OK)
		*ret = eid_ka_key_public(*k, ret_len);
	return r;
}

static int run_peer_key(struct pace_run *x, bool mapping, const uint8_t *peer,
			size_t n)
{
	return mapping ? run_map(x, peer, n) : run_agree(x, peer, n);
}

/* T = MAC(KSmac, '7F49' { '06' OID, '86' point | '84' y }): CMAC for AES,
 * the retail MAC over the padded data for 3DES. */
static int run_token(const struct eid_pace_info *info,
		     const struct eid_symkey *ksmac, const uint8_t *pk,
		     size_t n, uint8_t out[TOKEN_LEN])
{
	eid_buf inner, data;
	int r;

	eid_buf_init(&inner, GA_DATA_MAX);
	eid_buf_init(&data, GA_DATA_MAX + 16);
	if ((r = eid_tlv_put(&inner, 0x06, info->oid.v,
			     info->oid.len)) != EID_OK ||
	    (r = eid_tlv_put(&inner, info->ka == EID_KA_ECDH ? 0x86 : 0x84,
			     pk, n)) != EID_OK ||
	    (r = eid_tlv_put(&data, 0x7f49, inner.data, inner.len)) != EID_OK)
		goto out;
	if (info->alg == EID_SM_3DES &&
	    (r = eid_smcrypto_pad(&data,
				  eid_smcrypto_block(info->alg))) != EID_OK)
		goto out;
	r = eid_smcrypto_mac(ksmac, data.data, data.len, out);
out:
	eid_buf_free(&inner);
	eid_buf_free(&data);
	return r;
}

/* The token over our own ephemeral key (what the peer must send) or over
 * the peer's (what we send). */
static int run_token_for(const struct pace_run *x, bool own,
			 uint8_t out[TOKEN_LEN])
{
	size_t n = x->peer_eph_len;
	const uint8_t *pk = x->peer_eph;

	if (own)
		pk = eid_ka_key_public(x->eph_key, &n);
	return run_token(&x->info, &x->ksmac, pk, n, out);
}

static int run_session(const struct pace_run *x, eid_sm **ret_sm)
{
	uint8_t ssc[EID_SM_BLOCK_MAX] = { 0 };

	return eid_sm_new(x->info.alg, x->ksenc.key, x->ksmac.key,
			  x->info.keylen, ssc, x->slen, ret_sm);
}

/* '7C' { tag value }, or '7C' 00 when tag is 0. */
static int ga_put(eid_buf *out, uint8_t tag, const uint8_t *v, size_t n)
{
	eid_buf inner;
	int r = EID_OK;

	eid_buf_init(&inner, GA_DATA_MAX);
	if (tag != 0)
		r = eid_tlv_put(&inner, tag, v, n);
	if (r == EID_OK)
		r = eid_tlv_put(out, 0x7c, inner.data, inner.len);
	eid_buf_free(&inner);
	return r;
}

/* The value of the first element inside '7C', which must carry tag; more
 * elements after it only when more is set (the card may add its CA
 * references to its token). */
static int ga_get(const uint8_t *p, size_t n, uint8_t tag, bool more,
		  const uint8_t **ret_v, size_t *ret_len)
{
	struct eid_tlv outer, t;
	eid_rd r;
	int rc;

	if ((rc = eid_tlv_parse_exact(p, n, &outer)) != EID_OK)
		return rc;
	r = eid_rd_make(outer.value, outer.len);
	if (outer.tag != 0x7c || (rc = eid_tlv_read(&r, &t)) != EID_OK)
		return EID_EMALFORMED;
	if (t.tag != tag || (!more && eid_rd_left(&r) != 0))
		return EID_EMALFORMED;
	while (eid_rd_left(&r) > 0) {
		struct eid_tlv extra;
		if (eid_tlv_read(&r, &extra) != EID_OK)
			return EID_EMALFORMED;
	}
	*ret_v = t.value;
	*ret_len = t.len;
	return EID_OK;
}

/* ---- the terminal ---- */

static int mse_set_at(const struct eid_transport *t,
		      const struct eid_pace_params *p)
{
	uint8_t ref = (uint8_t)p->pw_type, id = (uint8_t)p->info->param_id;
	struct eid_apdu cmd = { .ins = INS_MSE, .p1 = 0xc1, .p2 = 0xa4 };
	struct eid_rapdu resp;
	eid_buf data;
	int r;

	eid_buf_init(&data, MSE_DATA_MAX);
	eid_rapdu_init(&resp, EID_APDU_SHORT_NE_MAX);
	if ((r = eid_tlv_put(&data, 0x80, p->info->oid.v,
			     p->info->oid.len)) != EID_OK ||
	    (r = eid_tlv_put(&data, 0x83, &ref, 1)) != EID_OK ||
	    (p->send_param_id &&
	     (r = eid_tlv_put(&data, 0x84, &id, 1)) != EID_OK))
		goto out;
	cmd.data = data.data;
	cmd.nc = data.len;
	if ((r = eid_card_transceive(t, &cmd, &resp)) != EID_OK)
		goto out;
	/* 63Cx: accepted, x tries of the password left. */
	if ((resp.sw & 0xfff0) == 0x63c0 && (resp.sw & 0x0f) != 0)
		r = EID_OK;
	else
		r = eid_sw_to_error(resp.sw);
out:
	eid_buf_free(&data);
	eid_rapdu_free(&resp);
	return r;
}

/* One GENERAL AUTHENTICATE; resp->data gets the answer's data.  A refusal
 * of the last step is the card's verdict on our token. */
static int ga_send(const struct eid_transport *t, const struct pace_run *x,
		   bool last, uint8_t tag, const uint8_t *v, size_t n,
		   struct eid_rapdu *resp)
{
	struct eid_apdu cmd = { .cla = last ? 0 : CLA_CHAIN, .ins = INS_GA };
	eid_buf data;
	int r;

	eid_buf_init(&data, GA_DATA_MAX);
	if ((r = ga_put(&data, tag, v, n)) != EID_OK)
		goto out;
	cmd.data = data.data;
	cmd.nc = data.len;
	/* 2048-bit DH keys do not fit short APDUs. */
	cmd.extended = eid_ka_public_len(x->ka) + 8 > EID_APDU_SHORT_NC_MAX;
	cmd.ne = cmd.extended ? EID_APDU_EXT_NE_MAX : EID_APDU_SHORT_NE_MAX;
	if ((r = eid_card_transceive(t, &cmd, resp)) != EID_OK)
		goto out;
	if (last && (resp->sw == 0x6982 || (resp->sw & 0xff00) == 0x6300))
		r = EID_EAUTH;
	else
		r = eid_sw_to_error(resp->sw);
out:
	eid_buf_free(&data);
	return r;
}

/* Send our element under out_tag, take the card's under in_tag. */
static int ga_step(const struct eid_transport *t, const struct pace_run *x,
		   bool last, uint8_t out_tag, const uint8_t *v, size_t n,
		   uint8_t in_tag, struct eid_rapdu *resp,
		   const uint8_t **ret_v, size_t *ret_len)
{
	int r = ga_send(t, x, last, out_tag, v, n, resp);

	if (r != EID_OK)
		return r;
	if (ga_get(resp->data.data, resp->data.len, in_tag, last, ret_v,
		   ret_len) != EID_OK)
		return EID_ECARD;
	return EID_OK;
}

static int term_nonce(const struct eid_transport *t, struct pace_run *x,
		      struct eid_rapdu *resp)
{
	const uint8_t *z;
	size_t n;
	int r;

	if ((r = ga_step(t, x, false, 0, NULL, 0, DO_NONCE, resp, &z,
			 &n)) != EID_OK)
		return r;
	if (n != x->slen)
		return EID_ECARD;
	return run_nonce(x, false, z, n, x->s);
}

/* Steps 2 and 3: send a fresh key (mapping, or ephemeral on G'), take
 * the card's in return. */
static int term_key_step(const struct eid_transport *t, struct pace_run *x,
			 const struct eid_pace_params *p, bool mapping,
			 struct eid_rapdu *resp)
{
	const uint8_t *mine, *peer;
	size_t mine_len, n;
	int r;

	if ((r = run_keygen(x, mapping, p->rnd, p->rnd_ctx, &mine,
			    &mine_len)) != EID_OK ||
	    (r = ga_step(t, x, false, mapping ? DO_MAP_PCD : DO_EPH_PCD, mine,
			 mine_len, mapping ? DO_MAP_IC : DO_EPH_IC, resp, &peer,
			 &n)) != EID_OK)
		return r;
	return run_peer_key(x, mapping, peer, n);
}

static int term_tokens(const struct eid_transport *t, struct pace_run *x,
		       struct eid_rapdu *resp)
{
	uint8_t mine[TOKEN_LEN], want[TOKEN_LEN];
	const uint8_t *theirs;
	size_t n;
	int r;

	if ((r = run_token_for(x, false, mine)) != EID_OK ||
	    (r = run_token_for(x, true, want)) != EID_OK ||
	    (r = ga_step(t, x, true, DO_TOKEN_PCD, mine, TOKEN_LEN,
			 DO_TOKEN_IC, resp, &theirs, &n)) != EID_OK)
		goto out;
	r = EID_EAUTH;
	if (n == TOKEN_LEN && eid_ct_equal(theirs, want, TOKEN_LEN))
		r = EID_OK;
out:
	eid_wipe(want, sizeof(want));
	return r;
}

int eid_pace_authenticate(const struct eid_transport *t,
			  const struct eid_pace_params *p, eid_sm **ret_sm)
{
	struct pace_run x;
	struct eid_rapdu resp;
	uint8_t seed[SEED_MAX];
	size_t seedlen = 0;
	int r;

	memset(&x, 0, sizeof(x));
	eid_rapdu_init(&resp, 2 * GA_DATA_MAX);
	if (t == NULL || p == NULL || p->info == NULL || ret_sm == NULL) {
		r = EID_EINVAL;
		goto out;
	}
	if ((r = pw_seed(p->pw_type, p->pw, seed, &seedlen)) != EID_OK ||
	    (r = run_start(&x, p->info, seed, seedlen)) != EID_OK ||
	    (r = mse_set_at(t, p)) != EID_OK ||
	    (r = term_nonce(t, &x, &resp)) != EID_OK ||
	    (r = term_key_step(t, &x, p, true, &resp)) != EID_OK ||
	    (r = term_key_step(t, &x, p, false, &resp)) != EID_OK ||
	    (r = term_tokens(t, &x, &resp)) != EID_OK)
		goto out;
	r = run_session(&x, ret_sm);
out:
	eid_wipe(seed, sizeof(seed));
	eid_rapdu_free(&resp);
	run_clear(&x);
	return r;
}

/* ---- the card ---- */

enum card_state {
	CARD_IDLE,   /* waiting for MSE:Set AT */
	CARD_READY,  /* step 1 next */
	CARD_NONCE,  /* step 2 next */
	CARD_MAPPED, /* step 3 next */
	CARD_KEYS,   /* step 4 next */
};

struct eid_pace_card {
	struct eid_pace_info infos[EID_SI_MAX];
	size_t ninfos;
	uint8_t seed[2][SEED_MAX]; /* by password reference - 1 */
	size_t seed_len[2];        /* 0: that password is not offered */
	eid_ka_random_fn rnd;
	void *rnd_ctx;
	enum card_state state;
	struct pace_run run;
};

int eid_pace_card_new(const struct eid_pace_card_config *cfg,
		      eid_pace_card **ret_card)
{
	eid_pace_card *c = NULL;
	int r = EID_EINVAL;

	if (cfg == NULL || ret_card == NULL || cfg->infos == NULL ||
	    cfg->ninfos == 0 || cfg->ninfos > EID_SI_MAX)
		goto out;
	r = EID_ENOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	memcpy(c->infos, cfg->infos, cfg->ninfos * sizeof(cfg->infos[0]));
	c->ninfos = cfg->ninfos;
	c->rnd = cfg->rnd;
	c->rnd_ctx = cfg->rnd_ctx;
	if ((cfg->mrz_info != NULL &&
	     (r = pw_seed(EID_PACE_MRZ, cfg->mrz_info, c->seed[0],
			  &c->seed_len[0])) != EID_OK) ||
	    (cfg->can != NULL &&
	     (r = pw_seed(EID_PACE_CAN, cfg->can, c->seed[1],
			  &c->seed_len[1])) != EID_OK))
		goto out;
	*ret_card = c;
	c = NULL;
	r = EID_OK;
out:
	eid_pace_card_free(c);
	return r;
}

static void card_reset(eid_pace_card *c)
{
	run_clear(&c->run);
	c->state = CARD_IDLE;
}

void eid_pace_card_free(eid_pace_card *c)
{
	if (c == NULL)
		return;
	run_clear(&c->run);
	eid_free_secret(c, sizeof(*c));
}

/* The one-byte value of a '83' or '84' element. */
static int byte_of(const struct eid_tlv *t, int *ret)
{
	if (t->len != 1)
		return EID_EMALFORMED;
	*ret = t->value[0];
	return EID_OK;
}

/* '80' OID, '83' password reference, '84' parameter id (optional). */
static int parse_set_at(const uint8_t *data, size_t n, struct eid_oid *oid,
			int *ret_pw, int *ret_param)
{
	eid_rd r = eid_rd_make(data, n);
	struct eid_tlv t;
	int rc;

	*ret_param = -1;
	if ((rc = eid_tlv_read(&r, &t)) != EID_OK || t.tag != 0x80 ||
	    t.len == 0 || t.len > EID_OID_MAX)
		return EID_EMALFORMED;
	memcpy(oid->v, t.value, t.len);
	oid->len = t.len;
	if (eid_tlv_read(&r, &t) != EID_OK || t.tag != 0x83 ||
	    byte_of(&t, ret_pw) != EID_OK)
		return EID_EMALFORMED;
	if (eid_rd_left(&r) > 0 &&
	    (eid_tlv_read(&r, &t) != EID_OK || t.tag != 0x84 ||
	     byte_of(&t, ret_param) != EID_OK))
		return EID_EMALFORMED;
	return eid_rd_left(&r) == 0 ? EID_OK : EID_EMALFORMED;
}

int eid_pace_card_set_at(eid_pace_card *c, const uint8_t *data, size_t n)
{
	const struct eid_pace_info *info = NULL;
	struct eid_oid oid;
	int pw, param, r;

	if (c == NULL)
		return EID_EINVAL;
	card_reset(c);
	if ((r = parse_set_at(data, n, &oid, &pw, &param)) != EID_OK)
		return r;
	for (size_t i = 0; i < c->ninfos && info == NULL; i++)
		if (same_oid(&c->infos[i].oid, &oid) &&
		    (param < 0 || c->infos[i].param_id == param))
			info = &c->infos[i];
	if (info == NULL || (pw != EID_PACE_MRZ && pw != EID_PACE_CAN) ||
	    c->seed_len[pw - 1] == 0)
		return EID_ENOTFOUND;
	if ((r = run_start(&c->run, info, c->seed[pw - 1],
			   c->seed_len[pw - 1])) != EID_OK) {
		card_reset(c);
		return r;
	}
	c->state = CARD_READY;
	return EID_OK;
}

/* Step 1: a fresh nonce, sent encrypted. */
static int card_nonce(eid_pace_card *c, eid_buf *resp)
{
	struct pace_run *x = &c->run;
	uint8_t z[EID_SM_BLOCK_MAX];
	int r;

	if ((r = eid_ka_random(c->rnd, c->rnd_ctx, x->s, x->slen)) != EID_OK ||
	    (r = run_nonce(x, true, x->s, x->slen, z)) != EID_OK)
		return r;
	return ga_put(resp, DO_NONCE, z, x->slen);
}

/* Steps 2 and 3: our fresh key (mapping, or ephemeral on G'), then what
 * the terminal's key gives. */
static int card_key_step(eid_pace_card *c, bool mapping, const uint8_t *peer,
			 size_t n, eid_buf *resp)
{
	const uint8_t *mine;
	size_t len;
	int r;

	if ((r = run_keygen(&c->run, mapping, c->rnd, c->rnd_ctx, &mine,
			    &len)) != EID_OK ||
	    (r = run_peer_key(&c->run, mapping, peer, n)) != EID_OK)
		return r;
	return ga_put(resp, mapping ? DO_MAP_IC : DO_EPH_IC, mine, len);
}

/* Step 4: check the terminal's token, answer ours, open the session. */
static int card_tokens(eid_pace_card *c, const uint8_t *token, size_t n,
		       eid_buf *resp, eid_sm **ret_sm)
{
	struct pace_run *x = &c->run;
	uint8_t want[TOKEN_LEN], mine[TOKEN_LEN];
	eid_sm *sm = NULL;
	int r;

	if ((r = run_token_for(x, true, want)) != EID_OK)
		goto out;
	r = EID_EAUTH;
	if (n != TOKEN_LEN || !eid_ct_equal(token, want, TOKEN_LEN))
		goto out;
	if ((r = run_token_for(x, false, mine)) != EID_OK ||
	    (r = run_session(x, &sm)) != EID_OK ||
	    (r = ga_put(resp, DO_TOKEN_IC, mine, TOKEN_LEN)) != EID_OK)
		goto out;
	*ret_sm = sm;
	sm = NULL;
out:
	eid_sm_free(sm);
	eid_wipe(want, sizeof(want));
	return r;
}

/* The tag the terminal's data must carry in each state. */
static uint8_t card_expects(enum card_state s)
{
	static const uint8_t tags[] = {
		[CARD_NONCE] = DO_MAP_PCD,
		[CARD_MAPPED] = DO_EPH_PCD,
		[CARD_KEYS] = DO_TOKEN_PCD,
	};

	return s >= CARD_NONCE && s <= CARD_KEYS ? tags[s] : 0;
}

static int card_step(eid_pace_card *c, const uint8_t *data, size_t n,
		     eid_buf *resp, eid_sm **ret_sm)
{
	const uint8_t *v = NULL;
	size_t len = 0;
	struct eid_tlv t;
	int r;

	if (c->state == CARD_READY) {
		/* Step 1 carries an empty '7C'. */
		if (eid_tlv_parse_exact(data, n, &t) != EID_OK ||
		    t.tag != 0x7c || t.len != 0)
			return EID_EMALFORMED;
		return card_nonce(c, resp);
	}
	if ((r = ga_get(data, n, card_expects(c->state), false, &v,
			&len)) != EID_OK)
		return r;
	if (c->state == CARD_NONCE || c->state == CARD_MAPPED)
		return card_key_step(c, c->state == CARD_NONCE, v, len, resp);
	return card_tokens(c, v, len, resp, ret_sm);
}

int eid_pace_card_general_authenticate(eid_pace_card *c, uint8_t cla,
				       const uint8_t *data, size_t n,
				       eid_buf *resp, eid_sm **ret_sm)
{
	bool last;
	int r = EID_ESTATE;

	if (c == NULL || resp == NULL || ret_sm == NULL)
		return EID_EINVAL;
	last = c->state == CARD_KEYS;
	if (c->state == CARD_IDLE ||
	    ((cla & CLA_CHAIN) != 0) == last)
		goto out;
	if ((r = card_step(c, data, n, resp, ret_sm)) != EID_OK)
		goto out;
	if (last) {
		card_reset(c);
		return EID_OK;
	}
	c->state = (enum card_state)(c->state + 1);
	return EID_OK;
out:
	card_reset(c);
	return r;
}
