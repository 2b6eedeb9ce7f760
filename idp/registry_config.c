/* The server's registry from [registry]: the local table, or the remote
 * service behind a layer that turns every way the service can fail into
 * one answer, EID_ENETWORK: "the registry is unavailable". */
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"
#include "crypto/secret.h"
#include "idp/httpc.h"
#include "idp/registry.h"

struct remote {
	eid_registry http;
};

static int remote_lookup(void *ctx, const char *personal_id,
			 struct eid_citizen *ret)
{
	const struct remote *rm = ctx;
	struct eid_personal_id id;
	int r;

	/* Our caller's mistake, told apart from the service's. */
	if (eid_personal_id_parse(personal_id, &id) != EID_OK)
		return EID_EMALFORMED;
	r = eid_registry_lookup(&rm->http, personal_id, ret);
	if (r == EID_OK || r == EID_ENOTFOUND || r == EID_ENOMEM)
		return r;
	/* Timeouts, 5xx after the retries, 401/403, a body that is not a
	 * record or is another citizen's: nothing the citizen can act on. */
	return EID_ENETWORK;
}

static void remote_close(void *ctx)
{
	struct remote *rm = ctx;

	if (rm == NULL)
		return;
	eid_registry_close(&rm->http);
	free(rm);
}

/* The first line of [registry] bearer_token_file, refused when its group
 * or others may read it. */
static int read_token(const char *path, char **ret, eid_buf *why)
{
	eid_buf reason;
	int r;

	eid_buf_init(&reason, 256);
	r = eid_httpc_read_token(path, true, ret, &reason);
	if (r != EID_OK && why != NULL)
		(void)eid_buf_printf(why, "bearer_token_file %s",
				     eid_buf_cstr(&reason) ?
					     eid_buf_cstr(&reason) :
					     eid_strerror(r));
	eid_buf_free(&reason);
	return r;
}

static int open_remote(const struct eid_config *cfg, eid_registry *ret,
		       eid_buf *why)
{
	const char *tf = cfg->registry.bearer_token_file;
	struct eid_registry_http_options o = {
		.base_url = cfg->registry.url,
		.ca_file = cfg->registry.ca_file[0] ? cfg->registry.ca_file :
						      NULL,
		.connect_timeout_ms = (long)cfg->registry.connect_timeout,
		.timeout_ms = (long)cfg->registry.timeout,
		.max_retries = (unsigned)cfg->registry.retries,
		.backoff_ms = (long)cfg->registry.backoff,
		.allow_insecure_http = cfg->registry.allow_insecure_http,
	};
	struct remote *rm;
	char *token = NULL;
	int r;

	if (tf[0] != '\0' && (r = read_token(tf, &token, why)) != EID_OK)
		return r;
	o.bearer_token = token;
	if ((rm = calloc(1, sizeof(*rm))) == NULL) {
		eid_free_secret_str(token);
		return EID_ENOMEM;
	}
	r = eid_registry_open_http(&o, &rm->http);
	eid_free_secret_str(token); /* the client keeps its own copy */
	if (r != EID_OK) {
		free(rm);
		if (r == EID_ECONFIG && why != NULL)
			(void)eid_buf_printf(why, "url %s: not a usable "
					     "registry URL", o.base_url);
		return r;
	}
	*ret = (eid_registry){ .lookup = remote_lookup,
			       .close = remote_close, .ctx = rm };
	return EID_OK;
}

int eid_registry_open_config(const struct eid_config *cfg, eid_store *s,
			     size_t cache_entries, eid_registry *ret,
			     eid_buf *why)
{
	if (cfg == NULL || ret == NULL)
		return EID_EINVAL;
	if (strcmp(cfg->registry.source, "http") == 0)
		return open_remote(cfg, ret, why);
	if (strcmp(cfg->registry.source, "local") != 0) {
		if (why != NULL)
			(void)eid_buf_printf(why, "source %s: not local or http",
					     cfg->registry.source);
		return EID_ECONFIG;
	}
	if (s == NULL)
		return EID_EINVAL;
	return cache_entries > 0 ?
		       eid_registry_open_local_cached(s, cache_entries, ret) :
		       eid_registry_open_local(s, ret);
}
