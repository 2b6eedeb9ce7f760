#include "chip/pcsc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "crypto/error.h"

struct pcsc_card {
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	SCARD_IO_REQUEST pci;
};

static int pcsc_error(LONG rv, struct eid_pcsc_err *err)
{
	if (err != NULL) {
		err->rv = (long)rv;
		snprintf(err->msg, sizeof(err->msg), "%s",
			 pcsc_stringify_error(rv));
	}
	switch (rv) {
	case SCARD_E_TIMEOUT:
		return EID_ETIMEOUT;
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_REMOVED_CARD:
		return EID_ENOTFOUND;
	default:
		return EID_ETRANSPORT;
	}
}

/* Split pcsc-lite's multi-string (names separated by NULs, ending in an
 * empty name) into a NULL-terminated array. */
static int split_multistring(const char *ms, DWORD len, char ***ret)
{
	size_t n = 0, i = 0;
	char **v = NULL;
	int r = EID_ENOMEM;

	for (DWORD off = 0; off < len && ms[off] != '\0';
	     off += (DWORD)strnlen(ms + off, len - off) + 1)
		n++;
	if (n == 0)
		return EID_ENOTFOUND;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		goto out;
	for (DWORD off = 0; i < n; i++) {
		size_t l = strnlen(ms + off, len - off);
		if ((v[i] = strndup(ms + off, l)) == NULL)
			goto out;
		off += (DWORD)l + 1;
	}
	*ret = v;
	v = NULL;
	r = EID_OK;
out:
	eid_pcsc_free_readers(v);
	return r;
}

static int list_in(SCARDCONTEXT ctx, char ***ret, struct eid_pcsc_err *err)
{
	DWORD len = SCARD_AUTOALLOCATE;
	LPSTR ms = NULL;
	LONG rv;
	int r;

	rv = SCardListReaders(ctx, NULL, (LPSTR)&ms, &len);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_error(rv, err);
	r = split_multistring(ms, len, ret);
	SCardFreeMemory(ctx, ms);
	return r;
}

int eid_pcsc_list_readers(char ***ret_readers, struct eid_pcsc_err *err)
{
	SCARDCONTEXT ctx;
	LONG rv;
	int r;

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_error(rv, err);
	r = list_in(ctx, ret_readers, err);
	SCardReleaseContext(ctx);
	return r;
}

void eid_pcsc_free_readers(char **readers)
{
	if (readers == NULL)
		return;
	for (size_t i = 0; readers[i] != NULL; i++)
		free(readers[i]);
	free(readers);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Other state changes (a reader appearing, a card leaving) wake us too:
 * keep waiting for a card until the deadline. */
static int wait_card(SCARDCONTEXT ctx, const char *reader, unsigned timeout_ms,
		     struct eid_pcsc_err *err)
{
	SCARD_READERSTATE st = { .szReader = reader,
				 .dwCurrentState = SCARD_STATE_UNAWARE };
	uint64_t deadline = now_ms() + timeout_ms, now;
	LONG rv;

	/* The first call reports the current state without waiting. */
	rv = SCardGetStatusChange(ctx, 0, &st, 1);
	while (rv == SCARD_S_SUCCESS && !(st.dwEventState & SCARD_STATE_PRESENT)) {
		if ((now = now_ms()) >= deadline)
			return pcsc_error(SCARD_E_TIMEOUT, err);
		st.dwCurrentState = st.dwEventState;
		rv = SCardGetStatusChange(ctx, (DWORD)(deadline - now), &st, 1);
	}
	return rv == SCARD_S_SUCCESS ? EID_OK : pcsc_error(rv, err);
}

static int pcsc_transmit(void *vctx, const uint8_t *capdu, size_t n,
			 eid_buf *rapdu)
{
	struct pcsc_card *c = vctx;
	uint8_t *dst;
	DWORD len = EID_RAPDU_MAX;
	LONG rv;
	int r;

	if (n > EID_APDU_MAX_ENCODED)
		return EID_EINVAL;
	if ((r = eid_buf_reserve(rapdu, EID_RAPDU_MAX, &dst)) != EID_OK)
		return r;
	rv = SCardTransmit(c->card, &c->pci, capdu, (DWORD)n, NULL, dst, &len);
	if (rv != SCARD_S_SUCCESS) {
		eid_buf_truncate(rapdu, rapdu->len - EID_RAPDU_MAX);
		return pcsc_error(rv, NULL);
	}
	eid_buf_truncate(rapdu, rapdu->len - EID_RAPDU_MAX + len);
	return EID_OK;
}

static void pcsc_close(void *vctx)
{
	struct pcsc_card *c = vctx;

	if (c == NULL)
		return;
	if (c->card != 0)
		SCardDisconnect(c->card, SCARD_LEAVE_CARD);
	SCardReleaseContext(c->ctx);
	free(c);
}

static int connect_card(struct pcsc_card *c, const char *reader,
			unsigned timeout_ms, struct eid_pcsc_err *err)
{
	DWORD proto = 0;
	LONG rv;
	int r;

	if ((r = wait_card(c->ctx, reader, timeout_ms, err)) != EID_OK)
		return r;
	rv = SCardConnect(c->ctx, reader, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->card,
			  &proto);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_error(rv, err);
	c->pci = proto == SCARD_PROTOCOL_T0 ? *SCARD_PCI_T0 : *SCARD_PCI_T1;
	return EID_OK;
}

int eid_pcsc_connect(const char *reader, unsigned timeout_ms,
		     struct eid_transport *ret_t, struct eid_pcsc_err *err)
{
	struct pcsc_card *c;
	char **names = NULL;
	LONG rv;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return EID_ENOMEM;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
	if (rv != SCARD_S_SUCCESS) {
		free(c);
		return pcsc_error(rv, err);
	}
	if (reader == NULL) {
		if ((r = list_in(c->ctx, &names, err)) != EID_OK)
			goto out;
		reader = names[0];
	}
	if ((r = connect_card(c, reader, timeout_ms, err)) != EID_OK)
		goto out;
	ret_t->transmit = pcsc_transmit;
	ret_t->close = pcsc_close;
	ret_t->ctx = c;
	c = NULL;
out:
	eid_pcsc_free_readers(names);
	pcsc_close(c);
	return r;
}
