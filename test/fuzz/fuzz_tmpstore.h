/* One store for a fuzz process, in a fresh directory under /tmp, opened on
 * first use and removed at exit, with a clock fixed at FUZZ_NOW so that
 * committed seeds stay inside their time windows.  Includers define
 * _GNU_SOURCE before any header (for nftw). */
#ifndef EID_FUZZ_TMPSTORE_H
#define EID_FUZZ_TMPSTORE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/error.h"
#include "idp/store.h"

#define FUZZ_NOW 1748736000ull /* 2025-06-01T00:00:00Z */

static char fuzz_store_dir[64];
static eid_store *fuzz_store_handle;

static inline uint64_t fuzz_clock(void *arg)
{
	(void)arg;
	return FUZZ_NOW;
}

static inline int fuzz_rm(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fuzz_store_cleanup(void)
{
	eid_store_close(fuzz_store_handle);
	fuzz_store_handle = NULL;
	nftw(fuzz_store_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static inline eid_store *fuzz_store(void)
{
	struct eid_store_options so = { .now = fuzz_clock };

	if (fuzz_store_handle != NULL)
		return fuzz_store_handle;
	snprintf(fuzz_store_dir, sizeof(fuzz_store_dir), "/tmp/eid-fuzz-XXXXXX");
	if (mkdtemp(fuzz_store_dir) == NULL ||
	    eid_store_open(fuzz_store_dir, &so, &fuzz_store_handle) != EID_OK)
		abort();
	atexit(fuzz_store_cleanup);
	return fuzz_store_handle;
}

#endif
