/* The signer process's requests (crypto/signer_wire.h) as the child reads
 * them: the input is a run of records, each a 2-byte big-endian length
 * and the record, sent over real SOCK_SEQPACKET socketpairs, the records
 * taking turns between two channels as worker threads do, to
 * eid_sigproc_serve with a fixed KEK.  Nothing may crash, leak or read
 * out of bounds, the child answers every record with a well-formed
 * answer, and a successful answer never carries more than a public key,
 * a signature, or a new key sealed under the KEK (which must open into
 * the key whose public half came with it).  The seeds LOAD (and
 * LOAD_SHORT) a key sealed under that KEK and SIGN with it, and GENERATE
 * keys, so the whole path is reached.  A GENERATE of an RSA key is parsed
 * but not sent: RSA-3072 generation takes the child up to a second, and
 * each input must stay fast. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/error.h"
#include "crypto/signer_proc.h"
#include "crypto/signer_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECORDS_MAX 8
#define CHANNELS 2

static const uint8_t kek[32] = { 0x5e };

/* A GENERATE answer: the blob opens under the KEK into the key whose
 * public half came with it. */
static bool generated_ok(const uint8_t *p, size_t len)
{
	struct eid_signer_gen gen;
	eid_key *key = NULL;
	bool ok;

	if (eid_signer_gen_parse(p, len, &gen) != EID_OK ||
	    eid_key_unseal(gen.blob, gen.blob_len, kek, &key) != EID_OK)
		return false;
	ok = strcmp(eid_key_kid(key), gen.pub.kid) == 0 &&
	     eid_key_alg(key) == gen.pub.alg;
	eid_key_free(key);
	return ok;
}

/* Each answer parses, on its request's channel, and so does a LOAD's
 * public key. */
static void check_answers(const int *fds, const uint8_t *const *req,
			  size_t n)
{
	static uint8_t in[EID_SIGNER_MSG_MAX + 1];
	struct eid_signer_resp resp;
	struct eid_signer_pub pub;
	ssize_t got;

	for (size_t i = 0; i < n; i++) {
		got = recv(fds[i % CHANNELS], in, sizeof(in), MSG_DONTWAIT);
		if (got <= 0 ||
		    eid_signer_resp_parse(in, (size_t)got, &resp) != EID_OK)
			__builtin_trap();
		if (resp.status == EID_OK &&
		    (req[i][1] == EID_SIGNER_LOAD ||
		     req[i][1] == EID_SIGNER_LOAD_SHORT) &&
		    eid_signer_pub_parse(resp.payload, resp.len, &pub) !=
			    EID_OK)
			__builtin_trap();
		if (resp.status == EID_OK && req[i][1] == EID_SIGNER_GENERATE &&
		    !generated_ok(resp.payload, resp.len))
			__builtin_trap();
		if (resp.status == EID_OK && req[i][1] == EID_SIGNER_SIGN &&
		    (resp.len == 0 || resp.len > 1024))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *req[RECORDS_MAX];
	struct eid_signer_req parsed;
	int worker[CHANNELS], child[CHANNELS], sv[2];
	size_t off = 0, n = 0, made, len;

	for (made = 0; made < CHANNELS; made++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
			goto out;
		worker[made] = sv[0];
		child[made] = sv[1];
	}
	while (n < RECORDS_MAX && off + 2 <= size) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len == 0 || len > size - off)
			break;
		/* The parser alone, then the child's whole path. */
		if (eid_signer_req_parse(data + off, len, &parsed) == EID_OK &&
		    parsed.op == EID_SIGNER_GENERATE &&
		    !eid_alg_info_get(parsed.alg)->ec) {
			off += len;
			continue;
		}
		if (len < 2 || send(worker[n % CHANNELS], data + off, len, 0) !=
				       (ssize_t)len)
			break;
		req[n++] = data + off;
		off += len;
	}
	for (size_t i = 0; i < CHANNELS; i++)
		shutdown(worker[i], SHUT_WR);
	if (eid_sigproc_serve(child, CHANNELS, kek) != EID_OK)
		__builtin_trap();
	check_answers(worker, req, n);
out:
	for (size_t i = 0; i < made; i++) {
		close(worker[i]);
		close(child[i]);
	}
	return 0;
}
