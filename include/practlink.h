/* SPDX-License-Identifier: MIT */
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

/* This header's version, as a number to compare (0xMMmmpp: 0.1.0 is
 * 0x000100), and the library's at run time. */
#define PRACTLINK_VERSION_NUM 0x000100
const char *practlink_version(void);

/* A practitioner's id fits in this many bytes, the NUL included. */
#define PRACTLINK_ID_MAX 65

typedef struct practlink_ctx practlink_ctx;

/* Receives each log line at or above the context's level. msg never holds
 * a key, and is valid only during the call. During practlink_bulk_run the
 * function is called from the workers' threads, several at once: it must
 * be safe to call so (practlink(1)'s writes one line to stderr). */
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
/* What to do about the last failure on ctx: a hint chosen by its cause
 * when practlink knows one, else practlink_hint() of its status. Static
 * or owned by ctx: valid until the next call on ctx. */
const char *practlink_errhint(const practlink_ctx *ctx);

/* The configuration files read, main file first; NULL past the end. */
const char *practlink_config_file(const practlink_ctx *ctx, size_t i);
/* The module folder in use. */
const char *practlink_module_dir(const practlink_ctx *ctx);
/* The files store's folder (store.path), or NULL when the host handed its
 * own store or no configuration is loaded. */
const char *practlink_store_path(const practlink_ctx *ctx);

/* Structs a host hands in begin with their size, set by the host
 * (sizeof, as it was built): fields are only ever appended, and the
 * library reads or writes only what that size covers. */
typedef struct practlink_integration_info {
	size_t size; /* sizeof(practlink_integration_info), set by the caller */
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
	/* Whether the module links with no one's help: it can find the user,
	 * set the integration and exchange the keys. */
	int automatic;
	/* isolate = true: the module runs in practlink-module-host, and the
	 * version, ABI and path above are exec.so's, which speaks to it. */
	int isolated;
} practlink_integration_info;

/* How many integrations the configuration has. */
size_t practlink_integration_count(const practlink_ctx *ctx);
/* Integration i's name, without loading its module; NULL past the end. */
const char *practlink_integration_name(const practlink_ctx *ctx, size_t i);
/* Describes integration i, loading its module if that has not been tried,
 * into info (whose size the caller set). The strings stay valid until the
 * next practlink_load_config(). */
practlink_status practlink_integration_get(practlink_ctx *ctx, size_t i,
					   practlink_integration_info *info);

/* Loads integration i's module and opens an instance with its settings,
 * as a link would: OK, or why not in practlink_errmsg(). */
practlink_status practlink_integration_check(practlink_ctx *ctx, size_t i);
/* Whether integration i's platform answers, with a cheap request that
 * needs no practitioner's keys, where its module offers one: OK with a
 * sentence in buf ("" when the module has no probe), or why not. */
practlink_status practlink_integration_probe(practlink_ctx *ctx, size_t i, char *buf, size_t size);

/* --- the store ---------------------------------------------------------- */

/*
 * Where practitioners and their links persist. The built-in "files" store
 * keeps one JSON record per practitioner; a host hands its own (its
 * database) with practlink_set_store(). A record is opaque text that the
 * core writes and reads back; it holds keys, so the host keeps it as safe
 * as its own secrets. Every operation may be called from several threads
 * at once. On failure an operation writes a message naming what failed
 * (never a key) into err, err_size bytes.
 */
typedef struct practlink_store_ops {
	unsigned version; /* PRACTLINK_STORE_OPS_VERSION */
	/* id's record into *text (malloc'd, NUL-terminated, freed by the core)
	 * and *len; NOT_FOUND when there is none. */
	practlink_status (*get)(void *data, const char *id, char **text, size_t *len, char *err,
				size_t err_size);
	/* Writes id's record atomically and durably: OK only once it is on
	 * disk. flags: PRACTLINK_STORE_CREATE fails with USAGE if id has a
	 * record; PRACTLINK_STORE_LAZY may skip the flush to disk (the change
	 * is a timestamp a crash may lose, never a key or a link). */
	practlink_status (*put)(void *data, const char *id, const char *text, size_t len,
				unsigned flags, char *err, size_t err_size);
	/* Removes id's record; NOT_FOUND when there is none. */
	practlink_status (*remove)(void *data, const char *id, char *err, size_t err_size);
	/* Calls each with every id, in any order, until each returns non-OK;
	 * returns that status, or OK. */
	practlink_status (*list)(void *data, practlink_status (*each)(void *arg, const char *id),
				 void *arg, char *err, size_t err_size);
	/* Excludes other writers of id, threads and processes alike, until
	 * unlock is called with the *token it set. */
	practlink_status (*lock)(void *data, const char *id, void **token, char *err,
				 size_t err_size);
	void (*unlock)(void *data, void *token);
	/* Appends one line of the audit trail (JSON, never a key). Version 1
	 * stores only: it cannot say that it failed. */
	void (*audit)(void *data, const char *line);
	void (*close)(void *data);
	/* Version 2: appends one line of the audit trail, OK only once it is
	 * written; used instead of audit when set. */
	practlink_status (*audit_line)(void *data, const char *line, char *err, size_t err_size);
	/* Version 3: lock, without waiting: TRANSIENT at once when another
	 * thread or process holds id's lock. Bulk runs take practitioners
	 * with it, so that several runs on one store split the work; a store
	 * without it is locked with lock, and runs take turns instead. */
	practlink_status (*trylock)(void *data, const char *id, void **token, char *err,
				    size_t err_size);
} practlink_store_ops;
/* 2 added audit_line, 3 trylock; tables of versions 1 and 2 are still
 * taken. */
#define PRACTLINK_STORE_OPS_VERSION 3
enum {
	PRACTLINK_STORE_CREATE = 1 << 0,
	PRACTLINK_STORE_LAZY = 1 << 1,
};

/* How many audit lines this context could not write (a full disk, say):
 * the operations stand, but the trail lacks them. */
size_t practlink_audit_failures(const practlink_ctx *ctx);

/* Removes what writers killed mid-write left in the files store
 * (temporary records, which may hold keys); *removed says how many. A
 * host's own store has nothing of the kind: OK, 0. */
practlink_status practlink_store_clean(practlink_ctx *ctx, size_t *removed);

/* Replaces the configured store with ops and data, which the context
 * closes when done. */
practlink_status practlink_set_store(practlink_ctx *ctx, const practlink_store_ops *ops,
				     void *data);

/* --- practitioners --------------------------------------------------------- */

/* Whether id is a valid practitioner id: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
int practlink_id_is_valid(const char *id);

/*
 * Adds practitioner p (id, names, email) with a PMS key: pms_key (len
 * bytes, from outside: normalised, BAD_KEY if unusable) or, when NULL, a
 * new one. USAGE when id has a record already.
 */
practlink_status practlink_practitioner_add(practlink_ctx *ctx, const practlink_person *p,
					    const char *pms_key, size_t len);
/* practlink_practitioner_add for a roster that may be imported again: a
 * practitioner already in the store with the same names, email (and PMS
 * key, when one is given) is left as it is, OK with *unchanged set; one
 * that differs is USAGE naming the fields. */
practlink_status practlink_practitioner_import(practlink_ctx *ctx, const practlink_person *p,
					       const char *pms_key, size_t len, int *unchanged);
/*
 * A large import: between begin and commit, the practitioners that
 * practlink_practitioner_import creates in the built-in store are written
 * whole but made durable together, a batch of 512 at a time (one flush of
 * the disk for the batch, not two for each), instead of one by one. An
 * import is durable once commit returns OK; a crash at any moment leaves
 * each record absent or whole, and importing the same rows again
 * completes it. commit says how many could not be kept (STORE, the first
 * reason in practlink_errmsg); *failed, when not NULL, gets that number.
 * practlink_free without commit drops what was not yet on disk, as a
 * crash would. A host's store is written row by row as before.
 */
practlink_status practlink_import_begin(practlink_ctx *ctx);
practlink_status practlink_import_commit(practlink_ctx *ctx, size_t *failed);
practlink_status practlink_practitioner_remove(practlink_ctx *ctx, const char *id);
/* Calls each with every practitioner's id, in byte order of id, until it
 * returns non-OK. Memory does not grow with the store: past 65,536 ids
 * they are sorted through temporary files ($TMPDIR). */
practlink_status practlink_practitioner_each(practlink_ctx *ctx,
					     practlink_status (*each)(void *arg, const char *id),
					     void *arg);
/* The practitioner whose PMS key is key (len bytes), as a webhook's token
 * names it: its id into id (65 bytes), or NOT_FOUND. */
practlink_status practlink_find_by_pms_key(practlink_ctx *ctx, const char *key, size_t len,
					   char id[PRACTLINK_ID_MAX]);

/* --- links ------------------------------------------------------------------ */

typedef struct practlink_assist practlink_assist;

/* One practitioner on one integration, as status shows it. Strings stay
 * valid until the callback returns. Times are Unix seconds, 0 for never. */
typedef struct practlink_link_info {
	const char *id;
	const char *first_name;
	const char *last_name;
	const char *email;
	const char *integration;
	const char *state;   /* "unlinked", "pending", "linked", "failed" */
	const char *user_id; /* NULL when unknown */
	long long linked_at;
	long long verified_at;
	const char *key_hint;   /* the backend key's last four characters, or NULL */
	practlink_status error; /* OK when the last attempt did not fail */
	const char *error_message;
	const char *error_step;
	const char *error_hint; /* what to do about error ("" with none) */
	long long created_at;   /* when the practitioner was added */
	int rotation_pending;   /* a rotation is unfinished: the old keys are in use */
	int unlink_pending;     /* an unlink is unfinished: run it again */
} practlink_link_info;

/* Calls each for practitioner id (NULL: every one, in byte order of id) on
 * every integration (or only on integration when not NULL), until each
 * returns non-OK. */
practlink_status practlink_status_each(practlink_ctx *ctx, const char *id, const char *integration,
				       practlink_status (*each)(void *arg,
								const practlink_link_info *info),
				       void *arg);

/* What practlink_link does. */
enum {
	PRACTLINK_LINK_DRY_RUN = 1 << 0, /* check every precondition, change nothing */
};

/*
 * Links practitioner id on integration (NULL: the one enabled
 * integration), following the manual procedure step by step. Resumes an
 * earlier attempt; never creates a second platform user; a linked
 * practitioner is left as it is. A module that lacks a step's operation
 * makes the link assisted: MANUAL is not a status, so practlink_link then
 * fails with USAGE and says to use practlink_assist_begin().
 */
practlink_status practlink_link(practlink_ctx *ctx, const char *id, const char *integration,
				unsigned flags);
/* What practlink_link would do, changing nothing: in *plan (free it with
 * practlink_assist_free) each step in order, automatic or by hand
 * (practlink_assist_automatic), in the module's words for the latter; no
 * steps for a practitioner who is linked already. Fails as the link would
 * on what can be checked without changing anything. */
practlink_status practlink_link_plan(practlink_ctx *ctx, const char *id, const char *integration,
				     practlink_assist **plan);
/* Revokes the link on the platform and forgets the backend key. When the
 * module leaves the revocation to the operator, *manual (if not NULL) gets
 * the steps to show; free it with practlink_assist_free(). */
practlink_status practlink_unlink(practlink_ctx *ctx, const char *id, const char *integration,
				  practlink_assist **manual);
/* Proves the stored link with a real request to the platform; records
 * when it last worked or why it failed. */
practlink_status practlink_verify(practlink_ctx *ctx, const char *id, const char *integration);
/* A new PMS key, exchanged again and verified; the old one stays in use if
 * any step fails. */
practlink_status practlink_rotate(practlink_ctx *ctx, const char *id, const char *integration);

/* After a failed verify, asks the module to look further (another region
 * that knows the keys, say) and writes what it found into buf ("" when it
 * has nothing to add). */
practlink_status practlink_diagnose(practlink_ctx *ctx, const char *id, const char *integration,
				    char *buf, size_t size);

/* --- assisted linking: the steps a person does by hand -------------------- */

enum {
	PRACTLINK_ASSIST_MANUAL = 1 << 0, /* leave every platform step to the operator */
	PRACTLINK_ASSIST_ROTATE = 1 << 1, /* with a new PMS key: a rotation */
};

/*
 * Starts an assisted link of id on integration: runs the steps the module
 * can do, and returns in *out the ones left to the operator, in the
 * module's words, and the PMS key to paste (persisted first, so that a
 * crash loses nothing). When nothing is left to do by hand, the link is
 * complete and *out has no steps. Free *out with practlink_assist_free().
 */
practlink_status practlink_assist_begin(practlink_ctx *ctx, const char *id, const char *integration,
					unsigned flags, practlink_assist **out);
size_t practlink_assist_count(const practlink_assist *a);
/* Step i's words, and its name ("exchange"). */
const char *practlink_assist_text(const practlink_assist *a, size_t i);
const char *practlink_assist_step(const practlink_assist *a, size_t i);
/* The PMS key to show the operator: for the operator's eyes only. */
const char *practlink_assist_pms_key(const practlink_assist *a);
/* In a plan, whether step i runs through the module (1) or is the
 * operator's (0). */
int practlink_assist_automatic(const practlink_assist *a, size_t i);
/* Whether the operator must hand back the platform's key. */
int practlink_assist_needs_key(const practlink_assist *a);
/* Normalises the key the operator typed (len bytes), verifies it with the
 * platform, and persists the link only if it works. */
practlink_status practlink_assist_finish(practlink_ctx *ctx, practlink_assist *a,
					 const char *backend_key, size_t len);
void practlink_assist_free(practlink_assist *a);

/* --- a whole clinic at once ----------------------------------------------- */

enum {
	PRACTLINK_BULK_LINK = 1,  /* link (automatic modules) */
	PRACTLINK_BULK_VERIFY,    /* verify */
	PRACTLINK_BULK_LINK_KEYS, /* finish assisted links with keys from the source */
};

/* One practitioner's outcome in a bulk run. state is the link's state
 * afterwards ("linked", "failed", ...); line is the source's line, or 0. */
typedef struct practlink_outcome {
	const char *id;
	size_t line;
	practlink_status status;
	const char *message; /* "" on success */
	const char *state;
	const char *integration;
	const char *hint; /* what to do about a failure: its cause's, or the status's */
	/* Done elsewhere: another run (another process, another host) did
	 * this after this run began - verified or linked it - so this one
	 * left it as it was. */
	int elsewhere;
} practlink_outcome;

typedef struct practlink_bulk {
	size_t size; /* sizeof(practlink_bulk), set by the caller */
	unsigned op; /* PRACTLINK_BULK_* */
	/* NULL: the one enabled integration; for VERIFY, every enabled one,
	 * where a link never made is not due (OK, state "unlinked"), as it is
	 * for the whole store (next NULL) on any integration. */
	const char *integration;
	unsigned jobs;  /* workers; 0: a default */
	unsigned flags; /* PRACTLINK_LINK_DRY_RUN */
	/* The practitioners: from next (called from one thread at a time;
	 * returns 0 at the end; key is set for LINK_KEYS and freed by the core),
	 * or, when next is NULL, every practitioner in the store. */
	int (*next)(void *arg, char id[PRACTLINK_ID_MAX], char **key, size_t *line);
	void *next_arg;
	/* Called once per practitioner, one call at a time. */
	void (*done)(void *arg, const practlink_outcome *outcome);
	void *done_arg;
} practlink_bulk;

/*
 * Runs op over many practitioners with jobs workers, each with its own
 * module instance and HTTP handle; connections, DNS and TLS sessions are
 * shared. Practitioners are streamed: memory does not grow with the
 * clinic. Returns the worst status of any practitioner, or the reason the
 * run could not start. practlink_bulk_stop() ends it early.
 */
practlink_status practlink_bulk_run(practlink_ctx *ctx, const practlink_bulk *bulk);
/* Stops the run: no new practitioner is taken, and requests in flight end
 * within a tenth of a second (their practitioners fail TRANSIENT, nothing
 * half-written). Safe to call from a signal handler or another thread. The
 * workers block SIGINT and SIGTERM, so a handler for them runs on the
 * thread that called practlink_bulk_run. */
void practlink_bulk_stop(practlink_ctx *ctx);

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
