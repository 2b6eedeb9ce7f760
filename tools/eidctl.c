/* eidctl entry point: finds the command and hands it its arguments. */
#include "tools/eidctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/error.h"

#ifndef EID_VERSION
#define EID_VERSION "unknown"
#endif

/* Every group's table; each ends with a zeroed entry. */
static const struct eidctl_command *const groups[] = {
	eidctl_keys_commands,
	eidctl_token_commands,
	eidctl_registry_commands,
	eidctl_account_commands,
	eidctl_officer_commands,
	eidctl_audit_commands,
	eidctl_client_commands,
	eidctl_ca_commands,
	eidctl_sign_commands,
	eidctl_card_commands,
	eidctl_chip_commands,
	eidctl_csca_commands,
	eidctl_outbox_commands,
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static void print_commands(FILE *f, const char *only_group)
{
	for (size_t g = 0; g < NGROUPS; g++) {
		for (const struct eidctl_command *c = groups[g]; c->group; c++) {
			if (only_group && strcmp(only_group, c->group) != 0)
				continue;
			fprintf(f, "  %s %s %s\n      %s\n", c->group, c->name,
				c->args ? c->args : "", c->summary);
		}
	}
}

static void print_usage(FILE *f, const char *argv0, const char *group)
{
	fprintf(f,
		"usage: %s [--data DIR] [--config FILE] [--json] COMMAND [ARGS]\n"
		"\n"
		"Common options (also accepted after the command):\n"
		"  --data DIR      data directory (default: the config's store.data_dir, \"var\")\n"
		"  --config FILE   read settings (data_dir, key-encryption key) from FILE\n"
		"  --json          machine-readable output\n"
		"  --help          this text, or a command's own\n"
		"\nCommands:\n",
		argv0);
	print_commands(f, group);
}

static const struct eidctl_command *find_command(const char *group,
						 const char *name,
						 bool *ret_group_known)
{
	*ret_group_known = false;
	for (size_t g = 0; g < NGROUPS; g++) {
		for (const struct eidctl_command *c = groups[g]; c->group; c++) {
			if (strcmp(c->group, group) != 0)
				continue;
			*ret_group_known = true;
			if (name != NULL && strcmp(c->name, name) == 0)
				return c;
		}
	}
	return NULL;
}

/* Leading common options (before the command words). */
static int parse_leading(struct eidctl *ctl, int argc, char **argv, int *i)
{
	while (*i < argc && argv[*i][0] == '-') {
		const char *a = argv[*i];
		if (strcmp(a, "--json") == 0) {
			ctl->json = true;
		} else if (strcmp(a, "--data") == 0 || strcmp(a, "--config") == 0) {
			if (*i + 1 >= argc)
				return eidctl_usage(ctl, "%s needs a value", a);
			if (a[2] == 'd')
				ctl->data_dir = argv[*i + 1];
			else
				ctl->config_path = argv[*i + 1];
			(*i)++;
		} else if (strncmp(a, "--data=", 7) == 0) {
			ctl->data_dir = a + 7;
		} else if (strncmp(a, "--config=", 9) == 0) {
			ctl->config_path = a + 9;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_usage(stdout, ctl->argv0, NULL);
			return EIDCTL_EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("eidctl %s\n", EID_VERSION);
			return EIDCTL_EXIT_OK;
		} else {
			return eidctl_usage(ctl, "unknown option '%s'", a);
		}
		(*i)++;
	}
	return EIDCTL_CONTINUE;
}

int main(int argc, char **argv)
{
	struct eidctl ctl = { .argv0 = "eidctl" };
	const struct eidctl_command *cmd;
	char command[128];
	bool group_known;
	int i = 1, r;

	r = parse_leading(&ctl, argc, argv, &i);
	if (r != EIDCTL_CONTINUE)
		return r;
	if (i >= argc) {
		print_usage(stderr, ctl.argv0, NULL);
		return EIDCTL_EXIT_USAGE;
	}
	cmd = find_command(argv[i], i + 1 < argc ? argv[i + 1] : NULL,
			   &group_known);
	if (cmd == NULL && (i + 1 >= argc || (argv[i + 1][0] == '-' &&
					      strcmp(argv[i + 1], "--help") != 0)) &&
	    (cmd = find_command(argv[i], "", &group_known)) != NULL) {
		/* The group's only command: it sees argv from the group word. */
		snprintf(command, sizeof(command), "%s", cmd->group);
		ctl.command = command;
		return cmd->run(&ctl, argc - i, argv + i);
	}
	if (cmd == NULL) {
		bool help = i + 1 < argc && strcmp(argv[i + 1], "--help") == 0;

		if (!group_known)
			return eidctl_usage(&ctl, "unknown command '%s' (see --help)",
					    argv[i]);
		if (i + 1 < argc && !help)
			return eidctl_usage(&ctl, "unknown command '%s %s' (see %s --help)",
					    argv[i], argv[i + 1], argv[i]);
		print_usage(help ? stdout : stderr, ctl.argv0, argv[i]);
		return help ? EIDCTL_EXIT_OK : EIDCTL_EXIT_USAGE;
	}
	snprintf(command, sizeof(command), "%s %s", cmd->group, cmd->name);
	ctl.command = command;
	/* The command sees argv starting at its last word. */
	return cmd->run(&ctl, argc - (i + 1), argv + i + 1);
}
