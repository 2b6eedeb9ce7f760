/* Writes seed files made by our own encoders into the fuzz corpora, so
 * every corpus starts from valid encodings:
 *   build/test/fuzz/gen_seeds test/fuzz/corpus
 * Not run as a test: the committed seeds are its output. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "chip/dg13.h"
#include "chip/lds.h"
#include "crypto/error.h"

#define VN_MRZ "IDVNM2010014956001201001495<<<" \
	       "9001011M3001019VNM<<<<<<<<<<<7" \
	       "NGUYEN<<VAN<ANH<<<<<<<<<<<<<<<"

static int write_seed(const char *dir, const char *name, const eid_buf *b)
{
	char path[1024];
	FILE *f;
	int ok;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return 1;
	if ((f = fopen(path, "wb")) == NULL)
		return 1;
	ok = fwrite(b->data, 1, b->len, f) == b->len;
	return (fclose(f) == 0 && ok) ? 0 : 1;
}

static int lds_seeds(const char *root)
{
	char dir[1024];
	struct eid_lds_com com = { "0107", "040000", { 0x61, 0x75, 0x6d, 0x6f },
				   4 };
	struct eid_mrz m;
	uint8_t jpeg[64] = { 0xff, 0xd8, 0xff, 0xe0 };
	EVP_PKEY *ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(1024);
	eid_buf b;
	int bad = 0;

	snprintf(dir, sizeof(dir), "%s/lds", root);
	eid_buf_init(&b, 1 << 20);
	bad |= eid_lds_com_encode(&com, &b) || write_seed(dir, "com", &b);
	eid_buf_reset(&b);
	bad |= eid_mrz_parse(VN_MRZ, 90, &m) || eid_lds_dg1_encode(&m, &b) ||
	       write_seed(dir, "dg1-vn", &b);
	eid_buf_reset(&b);
	bad |= eid_lds_dg2_encode(jpeg, sizeof(jpeg), 32, 48, &b) ||
	       write_seed(dir, "dg2-jpeg", &b);
	eid_buf_reset(&b);
	bad |= eid_lds_dg14_encode_ca(ec, &b) || write_seed(dir, "dg14-ec", &b);
	eid_buf_reset(&b);
	bad |= eid_lds_dg15_encode(ec, &b) || write_seed(dir, "dg15-ec", &b);
	eid_buf_reset(&b);
	bad |= eid_lds_dg15_encode(rsa, &b) || write_seed(dir, "dg15-rsa", &b);
	eid_buf_free(&b);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	return bad;
}

static int dg13_seeds(const char *root)
{
	static struct eid_dg13 d;
	char dir[1024];
	eid_buf b;
	int bad = 0;

	snprintf(dir, sizeof(dir), "%s/dg13", root);
	strcpy(d.personal_id, "001201001495");
	strcpy(d.full_name, "Nguy\xe1\xbb\x85n V\xc4\x83n \xc3\x81nh");
	strcpy(d.birthdate, "1990-01-01");
	strcpy(d.sex, "Nam");
	strcpy(d.nationality, "Vi\xe1\xbb\x87t Nam");
	strcpy(d.ethnicity, "Kinh");
	strcpy(d.religion, "Kh\xc3\xb4ng");
	strcpy(d.place_of_origin, "H\xc3\xa0 N\xe1\xbb\x99i");
	strcpy(d.residence, "S\xe1\xbb\x91 1, Ph\xc6\xb0\xe1\xbb\x9dng 2");
	strcpy(d.card_issued, "2021-04-15");
	strcpy(d.card_expires, "2030-01-01");
	strcpy(d.father_name, "Nguy\xe1\xbb\x85n V\xc4\x83n B");
	strcpy(d.mother_name, "Tr\xe1\xba\xa7n Th\xe1\xbb\x8b C");
	strcpy(d.old_personal_id, "012345678");
	eid_buf_init(&b, 1 << 20);
	bad |= eid_dg13_encode(&d, &b) || write_seed(dir, "full", &b);
	memset(&d, 0, sizeof(d));
	strcpy(d.full_name, "A");
	strcpy(d.birthdate, "1950");
	strcpy(d.spouse_name, "B");
	eid_buf_reset(&b);
	bad |= eid_dg13_encode(&d, &b) || write_seed(dir, "minimal", &b);
	eid_buf_free(&b);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds CORPUS-DIR\n");
		return 2;
	}
	bad |= lds_seeds(argv[1]);
	bad |= dg13_seeds(argv[1]);
	return bad ? 1 : 0;
}
