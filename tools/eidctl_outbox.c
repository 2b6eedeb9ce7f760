/* eidctl outbox: the messages the outbox gateway kept (see idp/notify.h). */
#include <stdio.h>
#include <string.h>

#include "crypto/error.h"
#include "idp/accounts.h"
#include "idp/notify.h"
#include "tools/eidctl.h"

struct listing {
	const struct eidctl *ctl;
	json_t *all; /* with --json */
};

static int print_msg(const json_t *msg, void *arg)
{
	struct listing *l = arg;
	char when[EIDCTL_TIME_MAX];

	if (l->all != NULL)
		return json_array_append(l->all, (json_t *)msg) == 0 ? EID_OK :
									EID_ENOMEM;
	printf("%s  %-5s %-16s %s\n",
	       eidctl_time(json_integer_value(json_object_get(msg, "time")),
			   when),
	       json_string_value(json_object_get(msg, "channel")),
	       json_string_value(json_object_get(msg, "to")),
	       json_string_value(json_object_get(msg, "text")));
	return EID_OK;
}

static int outbox_list(struct eidctl *ctl, int argc, char **argv)
{
	static const struct eidctl_opt opts[] = {
		{ "since", required_argument, "DATE",
		  "only messages from then on (YYYY-MM-DD or unix seconds)" },
		{ "phone", required_argument, "PHONE",
		  "only messages to this phone number (any written form)" },
		{ NULL, 0, NULL, NULL },
	};
	struct eidctl_values vals = { .opts = opts };
	struct eidctl_env env = { 0 };
	struct listing l = { .ctl = ctl };
	char phone[EID_PHONE_MAX + 1];
	const char *to = NULL;
	uint64_t since = 0;
	eid_txn *t = NULL;
	int optind_ = 0, rc, r;

	rc = eidctl_getopt(ctl, eidctl_find(eidctl_outbox_commands, ""), argc,
			   argv, opts, eidctl_collect, &vals, &optind_);
	if (rc != EIDCTL_CONTINUE)
		return rc;
	if (optind_ < argc)
		return eidctl_usage(ctl, "unexpected argument '%s'", argv[optind_]);
	if (eidctl_parse_since(eidctl_value(&vals, "since"), &since) != EID_OK)
		return eidctl_usage(ctl, "--since takes YYYY-MM-DD or unix seconds");
	if (eidctl_value(&vals, "phone") != NULL) {
		if (eid_phone_normalize(eidctl_value(&vals, "phone"), phone) !=
		    EID_OK)
			return eidctl_usage(ctl, "--phone: not a phone number");
		to = phone;
	}
	if ((rc = eidctl_env_open(ctl, &env, false)) != EIDCTL_CONTINUE)
		goto out;
	if (ctl->json && (l.all = json_array()) == NULL) {
		rc = eidctl_fail(ctl, EID_ENOMEM, "outbox");
		goto out;
	}
	if ((r = eid_store_begin(env.store, false, &t)) == EID_OK)
		r = eid_outbox_scan(t, (int64_t)(since / 1000), to, print_msg, &l);
	eid_txn_abort(t);
	if (r != EID_OK) {
		rc = eidctl_fail(ctl, r, "outbox");
		goto out;
	}
	rc = EIDCTL_EXIT_OK;
	if (l.all != NULL) {
		rc = eidctl_print_json(ctl, l.all);
		l.all = NULL;
	}
out:
	json_decref(l.all);
	eidctl_env_close(&env);
	return rc;
}

const struct eidctl_command eidctl_outbox_commands[] = {
	{ "outbox", "", "[--since DATE] [--phone PHONE]",
	  "list the messages kept by the outbox gateway (oldest first)",
	  outbox_list },
	{ NULL, NULL, NULL, NULL, NULL },
};
