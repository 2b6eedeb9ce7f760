/* eidctl: the operators' and officers' command-line tool.
 *
 * Conventions every command keeps: `--data DIR` (same default as the
 * server), `--config FILE`, `--json` for machine-readable output, `--help`;
 * exit 0 on success, otherwise 1 with one line on stderr
 * ("eidctl: keys rotate: store is locked by ..."), 2 for a usage error. */
#ifndef EID_EIDCTL_H
#define EID_EIDCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/pkcs11.h"
#include "idp/config.h"

struct eidctl {
	const char *argv0;
	const char *command; /* "keys rotate", for messages */
	const char *data_dir;
	const char *config_path;
	bool json;
};

struct eidctl_command {
	const char *group;   /* "keys" */
	const char *name;    /* "rotate" */
	const char *args;    /* usage after the command words: "[--alg ALG]" */
	const char *summary; /* one line for --help */
	/* argv[0] is the command's last word; options are parsed by the
	 * command with eidctl_getopt. Returns the exit code. */
	int (*run)(struct eidctl *ctl, int argc, char **argv);
};

/* Command tables, one per group (tools/eidctl_<group>.c). */
extern const struct eidctl_command eidctl_keys_commands[];
extern const struct eidctl_command eidctl_token_commands[];
extern const struct eidctl_command eidctl_registry_commands[];
extern const struct eidctl_command eidctl_account_commands[];
extern const struct eidctl_command eidctl_officer_commands[];
extern const struct eidctl_command eidctl_audit_commands[];
extern const struct eidctl_command eidctl_client_commands[];
extern const struct eidctl_command eidctl_ca_commands[];
extern const struct eidctl_command eidctl_sign_commands[];
extern const struct eidctl_command eidctl_card_commands[];
extern const struct eidctl_command eidctl_chip_commands[];
extern const struct eidctl_command eidctl_csca_commands[];
/* A group whose entry has the name "" is also run as "GROUP [--opts]". */
extern const struct eidctl_command eidctl_outbox_commands[];

#define EIDCTL_EXIT_OK 0
#define EIDCTL_EXIT_FAIL 1
#define EIDCTL_EXIT_USAGE 2
/* Returned by the option parsers when the command should go on. */
#define EIDCTL_CONTINUE (-1)

/* Parse the command's options: the common ones (--data, --config, --json,
 * --help) are handled here; every other option is passed to on_opt (which
 * returns 0, or non-zero to reject it).  Returns EIDCTL_CONTINUE and sets
 * *ret_optind, or the exit code the command should return at once
 * (EIDCTL_EXIT_OK after printing --help, EIDCTL_EXIT_USAGE on bad usage). */
struct eidctl_opt {
	const char *name;
	int has_arg;     /* no_argument / required_argument */
	const char *arg; /* "ALG", for help */
	const char *help;
};
int eidctl_getopt(struct eidctl *ctl, const struct eidctl_command *cmd,
		  int argc, char **argv, const struct eidctl_opt *opts,
		  int (*on_opt)(struct eidctl *ctl, const char *name,
				const char *value, void *arg),
		  void *arg, int *ret_optind);

/* Print a failure as one line on stderr and return EIDCTL_EXIT_FAIL.
 * r is an EID_E... code (its message is appended) or 0 for none. */
int eidctl_fail(const struct eidctl *ctl, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Usage error: one line on stderr, returns EIDCTL_EXIT_USAGE. */
int eidctl_usage(const struct eidctl *ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

typedef struct eid_store eid_store;
typedef struct eid_txn eid_txn;

/* The configuration as eidd would see it: defaults, then --config, then
 * --data.  Prints the error and returns EIDCTL_EXIT_FAIL on failure. */
int eidctl_load_config(const struct eidctl *ctl, struct eid_config *ret_cfg);
/* Open the store in the configured data directory (read-only unless
 * write), which must exist already unless write. */
int eidctl_open_store(const struct eidctl *ctl, const struct eid_config *cfg,
		      bool write, eid_store **ret_store);
/* The key-encryption key as eidd finds it: [keys] kek_file, the
 * environment variable, or the demo key in DATA/kek. */
int eidctl_load_kek(const struct eidctl *ctl, const struct eid_config *cfg,
		    uint8_t ret_kek[32]);

/* The entry of a group's table by command name (NULL when absent). */
const struct eidctl_command *eidctl_find(const struct eidctl_command *table,
					 const char *name);

/* Options collected by name, for commands with many: pass
 * eidctl_collect as on_opt and a struct eidctl_values (opts set) as its
 * argument; a flag without a value is stored as "". */
#define EIDCTL_MAX_OPTS 48
struct eidctl_values {
	const struct eidctl_opt *opts;
	const char *v[EIDCTL_MAX_OPTS];
};
int eidctl_collect(struct eidctl *ctl, const char *name, const char *value,
		   void *arg);
/* The value of an option, NULL when not given. */
const char *eidctl_value(const struct eidctl_values *vals, const char *name);

/* Configuration and store for one command. */
struct eidctl_env {
	struct eid_config cfg;
	bool cfg_loaded;
	eid_store *store;
	eid_pkcs11 *p11; /* [pkcs11] token once opened; closed last */
};
/* Load the configuration and open the store: EIDCTL_CONTINUE, or the exit
 * code after printing why.  eidctl_env_close is needed either way. */
int eidctl_env_open(struct eidctl *ctl, struct eidctl_env *env, bool write);
void eidctl_env_close(struct eidctl_env *env);

/* Run fn in a write transaction of env's store and commit.  fn gets the
 * store's time and this process's actor, and may append a one-line reason
 * to why.  On failure prints the reason (or what and the error) and
 * returns EIDCTL_EXIT_FAIL; EIDCTL_CONTINUE on success. */
typedef int (*eidctl_write_fn)(eid_txn *t, int64_t now, const char *actor,
			       void *arg, eid_buf *why);
int eidctl_write(const struct eidctl *ctl, struct eidctl_env *env,
		 eidctl_write_fn fn, void *arg, const char *what);

/* For "GROUP COMMAND ID --opt ...": options are parsed up to the first
 * word that is not one, so move a leading ID behind the options. */
void eidctl_leading_arg_last(int argc, char **argv);

/* Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" ("-" for 0); returns out. */
#define EIDCTL_TIME_MAX 32
const char *eidctl_time(int64_t t, char out[EIDCTL_TIME_MAX]);

/* The audit actor of this process: "operator:<login name>". */
#define EIDCTL_ACTOR_MAX 96
void eidctl_actor(char ret[EIDCTL_ACTOR_MAX + 1]);

/* One line from stdin (without its line end), for --password-stdin: a
 * secret the caller frees with eid_free_secret_str.  Prints why and
 * returns EIDCTL_EXIT_FAIL or EIDCTL_EXIT_USAGE on failure. */
int eidctl_read_secret_line(const struct eidctl *ctl, char **ret_line);

/* Read a whole file into out, whose cap bounds it ("-": stdin).  Prints
 * the error and returns EIDCTL_EXIT_FAIL, or EIDCTL_CONTINUE. */
int eidctl_read_file(const struct eidctl *ctl, const char *path, eid_buf *out);
/* Write n bytes to path (created or replaced), or stdout for "-". */
int eidctl_write_file(const struct eidctl *ctl, const char *path,
		      const void *p, size_t n);

/* The citizen signing CA: with its private key when kek is given, else
 * the certificate only.  Prints why not and returns EIDCTL_EXIT_FAIL, or
 * EIDCTL_CONTINUE. */
typedef struct eid_ca eid_ca;
int eidctl_load_ca(const struct eidctl *ctl, struct eidctl_env *env,
		   const uint8_t *kek, eid_ca **ret_ca);
/* The [pkcs11] token of cfg into *ret_p11 (NULL when none is configured,
 * unless required: then that is an error).  Prints why and returns
 * EIDCTL_EXIT_FAIL on failure, or EIDCTL_CONTINUE. */
int eidctl_open_pkcs11(const struct eidctl *ctl, const struct eid_config *cfg,
		       bool required, eid_pkcs11 **ret_p11);
/* --since: YYYY-MM-DD (midnight UTC) or unix seconds, as milliseconds;
 * NULL is 0.  EID_EINVAL otherwise. */
int eidctl_parse_since(const char *s, uint64_t *ret_ms);

/* Print a JSON value (pretty) on stdout; steals the reference. */
int eidctl_print_json(const struct eidctl *ctl, json_t *v);

#endif
