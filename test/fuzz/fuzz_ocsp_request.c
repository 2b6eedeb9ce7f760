/* Arbitrary bytes as an OCSP request to a CA-signed responder: nothing
 * may crash, leak or read out of bounds, and every input gets a response
 * (malformedRequest at worst).  The CA is fixed (a test key, below) so the
 * seeds' CertIDs name it and reach the status lookup. */
#define _GNU_SOURCE /* nftw */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>

#include "crypto/error.h"
#include "idp/ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A throwaway test CA (P-256, valid until 2126): never used elsewhere. */
static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIByTCCAW+gAwIBAgIUP2UuV6tY5UeV316GivDworlEKLMwCgYIKoZIzj0EAwIw\n"
	"MTELMAkGA1UEBhMCVk4xDDAKBgNVBAoMA2VpZDEUMBIGA1UEAwwLZWlkIEZ1enog\n"
	"Q0EwIBcNMjYxMTIyMjIwOTA1WhgPMjEyNjEwMjkyMjA5MDVaMDExCzAJBgNVBAYT\n"
	"AlZOMQwwCgYDVQQKDANlaWQxFDASBgNVBAMMC2VpZCBGdXp6IENBMFkwEwYHKoZI\n"
	"zj0CAQYIKoZIzj0DAQcDQgAEbXhXP1eRMyfOioRn4OU0f2FGrx58iLr2J8Nf0hx1\n"
	"be2m5SaplXlvYNnX0P2RTINEKN/bVVmAWAwe2LwIIYMlhKNjMGEwHQYDVR0OBBYE\n"
	"FMcQd6lDbIeHQxs6h4M85rYozt0aMB8GA1UdIwQYMBaAFMcQd6lDbIeHQxs6h4M8\n"
	"5rYozt0aMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49\n"
	"BAMCA0gAMEUCIE+5U49I8aKhYjs0I1wPUYV2P2YOhEqN/MP0taf+WQVXAiEAkdMU\n"
	"jTekj90K0r4D041bn8NlNZU/41OqA/jhrN8dbzI=\n"
	"-----END CERTIFICATE-----\n";
static const char key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBFEJUvaqBNpW17Ls\n"
	"4j6gdo5paoUD7lZ+ffRHeZiwUMihRANCAARteFc/V5EzJ86KhGfg5TR/YUavHnyI\n"
	"uvYnw1/SHHVt7ablJqmVeW9g2dfQ/ZFMg0Qo39tVWYBYDB7YvAghgyWE\n"
	"-----END PRIVATE KEY-----\n";

static const uint8_t kek[32] = { 0x5a };

/* One store and CA per process: a fuzzer calls the target millions of
 * times, and the state is only read by eid_ocsp_respond. */
static struct {
	char dir[64];
	eid_store *store;
	eid_ca *ca;
} fz;

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

static void fuzz_cleanup(void)
{
	eid_ca_free(fz.ca);
	eid_store_close(fz.store);
	nftw(fz.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int fuzz_init(void)
{
	snprintf(fz.dir, sizeof(fz.dir), "/tmp/eid-fuzz-ocsp-XXXXXX");
	if (mkdtemp(fz.dir) == NULL ||
	    eid_store_open(fz.dir, NULL, &fz.store) != EID_OK)
		return -1;
	atexit(fuzz_cleanup);
	if (eid_ca_import(fz.store, kek, ca_pem, sizeof(ca_pem) - 1, key_pem,
			  sizeof(key_pem) - 1) != EID_OK ||
	    eid_ca_load(fz.store, kek, "https://id.example.vn", &fz.ca) != EID_OK)
		return -1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p;
	OCSP_RESPONSE *resp;
	eid_buf out;

	if (fz.ca == NULL && fuzz_init() != 0)
		abort();
	eid_buf_init(&out, 64 * 1024);
	if (eid_ocsp_respond(fz.store, fz.ca, data, size, 1800000000, &out) != EID_OK)
		abort();
	/* Whatever came in, a well-formed OCSPResponse goes out. */
	p = out.data;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)out.len);
	if (resp == NULL || p != out.data + out.len)
		abort();
	OCSP_RESPONSE_free(resp);
	eid_buf_free(&out);
	return 0;
}
