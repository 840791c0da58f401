/*
 * practlink.h - the host API: what a practice-management system, or the
 * practlink(1) command, calls to link its practitioners with exercise
 * platforms.
 *
 * The library never prints and never exits. Every call returns a
 * practlink_status; the message that goes with the last failure on a
 * context is practlink_errmsg(). A context is used by one thread at a time.
 */
#ifndef PRACTLINK_H
#define PRACTLINK_H

#include <stddef.h>

#include "practlink-module.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct practlink_ctx practlink_ctx;

/* Receives each log line at or above the context's level. msg never holds
 * a key. */
typedef void (*practlink_log_fn)(void *data, int level, const char *msg);

/* What a status means, its hint for the operator ("" when it has none), its
 * name ("AUTH") and practlink(1)'s exit code for it. Static strings; a value
 * outside the enum is treated as INTERNAL. */
const char *practlink_strerror(practlink_status status);
const char *practlink_hint(practlink_status status);
const char *practlink_status_name(practlink_status status);
int practlink_exit_code(practlink_status status);
/* The status named name ("AUTH"), or -1. */
int practlink_status_from_name(const char *name);

/* A new context with no configuration; free it with practlink_free(). */
practlink_status practlink_new(practlink_ctx **ctx);
void practlink_free(practlink_ctx *ctx);

/* Log lines at level or more urgent (level -1: the configuration's
 * log.level) go to fn, unless the configuration's log.target is "syslog":
 * then they go to syslog(3). With neither, they are dropped: the library
 * never writes to stdout or stderr itself. */
void practlink_set_log(practlink_ctx *ctx, int level, practlink_log_fn fn, void *data);

/* Overrides module_dir from the configuration (tests, --module-dir). */
practlink_status practlink_set_module_dir(practlink_ctx *ctx, const char *dir);

/*
 * Reads path (NULL: $PRACTLINK_CONFIG, else the built-in default) and the
 * integrations.d files it names. The new configuration replaces the old
 * one only when all of it parsed; on failure the context keeps what it had
 * and practlink_errmsg() names the file, line and setting.
 */
practlink_status practlink_load_config(practlink_ctx *ctx, const char *path);

/* The message of the last failure on ctx; "" when there was none. */
const char *practlink_errmsg(const practlink_ctx *ctx);

/* The configuration files read, main file first; NULL past the end. */
const char *practlink_config_file(const practlink_ctx *ctx, size_t i);
/* The module folder in use. */
const char *practlink_module_dir(const practlink_ctx *ctx);

typedef struct practlink_integration_info {
	const char *name;
	const char *module; /* the module's name, "physitrack" */
	const char *file;   /* the integrations.d file */
	int enabled;
	int create_missing_users;
	const char *module_path; /* module_dir/NAME.so */
	/* The module's state: OK, or why it cannot be used (load_error). */
	practlink_status load_status;
	const char *load_error;
	unsigned abi; /* the rest only when load_status is OK */
	const char *version;
	const char *description;
} practlink_integration_info;

/* How many integrations the configuration has. */
size_t practlink_integration_count(const practlink_ctx *ctx);
/* Describes integration i, loading its module if that has not been tried.
 * The strings stay valid until the next practlink_load_config(). */
practlink_status practlink_integration_get(practlink_ctx *ctx, size_t i,
					   practlink_integration_info *info);

/* Loads integration i's module and opens an instance with its settings,
 * as a link would: OK, or why not in practlink_errmsg(). */
practlink_status practlink_integration_check(practlink_ctx *ctx, size_t i);

/* The shortest PMS key practlink generates or accepts. */
#define PRACTLINK_PMS_KEY_MIN 30
/* Writes a new PMS key (upper and lower case letters and digits, from the
 * kernel's random source) of size - 1 characters into buf. size must be
 * at least PRACTLINK_PMS_KEY_MIN + 1. */
practlink_status practlink_keygen(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* PRACTLINK_H */
