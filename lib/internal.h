/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what libpractlink's files share. Nothing here is ABI.
 * Internal names are pl_<area>_<verb>; file-static helpers are unprefixed.
 */
#ifndef PL_INTERNAL_H
#define PL_INTERNAL_H

#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "practlink.h"

#define PL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* The shortest host-handed structs this library takes: as they were when
 * their size field came. Fields appended since are read only when the
 * caller's size covers them. */
#define PL_END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define PL_INTEGRATION_INFO_MIN PL_END_OF(practlink_integration_info, automatic)
#define PL_BULK_MIN PL_END_OF(practlink_bulk, done_arg)
#define PL_HIDDEN __attribute__((visibility("hidden")))

/* Preconditions, one line each: a broken contract is the caller's bug. */
#define return_val_if_fail(expr, val)                                                              \
	do {                                                                                       \
		if (!(expr))                                                                       \
			return (val);                                                              \
	} while (0)

/* A status and the message that explains it, filled by whoever failed. */
typedef struct pl_err {
	practlink_status status;
	char msg[1024];
	char hint[512]; /* what to do about this cause; "": the status's hint */
} pl_err;

/* A link's state, as stored and as status shows it. */
typedef enum pl_state {
	PL_UNLINKED,
	PL_PENDING, /* started, waiting for the operator */
	PL_LINKED,
	PL_FAILED,
} pl_state;

/* Records status and message in err (which may be NULL); returns status. */
practlink_status pl_err_set(pl_err *err, practlink_status status, const char *fmt, ...)
	PL_PRINTF(3, 4);
practlink_status pl_err_setv(pl_err *err, practlink_status status, const char *fmt, va_list ap)
	PL_PRINTF(3, 0);
/* Sets the hint of the failure just recorded in err: what to do about this
 * cause, when the status's own hint would not fit. Returns err's status. */
practlink_status pl_err_hint(pl_err *err, const char *fmt, ...) PL_PRINTF(2, 3);
/* The hint for err: its own, else its status's. */
const char *pl_err_hint_of(const pl_err *err);

/* status.c: a status from outside (a module) clamped into the enum. */
practlink_status pl_status_check(int status);

/* secret.c */
practlink_secret *pl_secret_new(const char *data, size_t len);
/* Replaces every copy of key (8 characters or more) in text, a buffer of
 * size bytes, with a mark: words from the network may echo a key. */
void pl_redact(char *text, size_t size, const practlink_secret *key);
void pl_secret_wipe(practlink_secret *secret);
void pl_secret_free(practlink_secret *secret);
/* Whether s (len bytes) meets the PMS key rules: long enough, only ASCII
 * letters and digits, at least one upper, one lower case letter and one
 * digit. */
bool pl_key_is_strong(const char *s, size_t len);

/* log.c */
typedef struct pl_log {
	int level;
	practlink_log_fn fn;
	void *data;
	bool syslog; /* with no fn: send to syslog(3) */
} pl_log;
void pl_log_msg(const pl_log *log, int level, const char *fmt, ...) PL_PRINTF(3, 4);
void pl_log_msgv(const pl_log *log, int level, const char *fmt, va_list ap) PL_PRINTF(3, 0);
/* The level named name ("info"), or -1; and the reverse. */
int pl_log_level_from_name(const char *name);
const char *pl_log_level_name(int level);

/* file.c: files practlink trusts only once they pass these checks. */
/* Checks that st, the result of fstat on path, is a regular file (or a
 * folder when dir), owned by root or the invoking user, and writable by
 * nobody else. On failure the message names path and mode. */
practlink_status pl_file_check(const struct stat *st, const char *path, bool dir,
			       practlink_status fail, pl_err *err);
/* Opens path (relative to dirfd, or AT_FDCWD) without following a final
 * symlink and checks it with pl_file_check. Returns the descriptor, or -1
 * with errno the open's error, or 0 when the file opened but was refused. */
int pl_file_open_trusted(int dirfd, const char *path, const char *shown, bool dir,
			 practlink_status fail, pl_err *err);
/* Reads the whole of fd, at most max bytes, into a NUL-terminated buffer
 * the caller frees; *len_out (if not NULL) gets its length, which a NUL
 * byte in the file makes differ from strlen. */
practlink_status pl_file_read_all(int fd, const char *path, size_t max, char **out, size_t *len_out,
				  pl_err *err);
/* Checks every folder above path, as named and as resolved, up to /:
 * owned by root or the user, and writable by others only when sticky and
 * the entry below is root's or the user's. A folder anyone may write
 * lets anyone swap what is below it. fail is the status to report. */
practlink_status pl_path_check_ancestors(const char *path, practlink_status fail, pl_err *err);
/* path resolved against base when relative; the caller frees it. */
char *pl_path_resolve(const char *base, const char *path);
/* The folder part of path ("." when it has none); the caller frees it. */
char *pl_path_dirname(const char *path);

/* Whether s is a bare name matching [a-z0-9_-]{1,64}. */
bool pl_name_is_bare(const char *s);

/* config.c ---------------------------------------------------------------- */
#include <libconfig.h>

typedef struct pl_http_conf {
	long long connect_timeout_ms;
	long long timeout_ms;
	long long retries;
	long long max_response_bytes;
	long long max_rate; /* requests a second per integration; 0: none */
	char *ca_file;      /* NULL: the system's */
	char *proxy;        /* NULL: none */
} pl_http_conf;

typedef struct pl_integration {
	char *name;
	char *module;
	char *file; /* the integrations.d file it came from */
	char *dir;  /* that file's folder, for relative paths in settings */
	int line;
	bool enabled;
	bool create_missing_users;
	config_t *cf;               /* the file's parse tree, owned */
	config_setting_t *settings; /* the module's own group, or NULL */
	/* isolate = true: the module runs in practlink-module-host, through
	 * exec.so, whose settings (program, timeout_ms) are host_settings. */
	bool isolate;
	config_t *host_cf;
	config_setting_t *host_settings;
	bool settings_checked; /* unknown settings warned about (ctx->lock) */
} pl_integration;

typedef struct pl_config {
	char *pms_name;
	char *module_dir;
	char *module_host; /* practlink-module-host, for isolated modules */
	char *integrations_dir;
	char *store_type;
	char *store_path;
	char *store_where; /* "FILE:LINE" of store.path, or "default, FILE" */
	pl_http_conf http;
	int log_level;
	bool log_syslog;
	pl_integration *integ;
	size_t n_integ;
	char **files; /* every file read, the main one first */
	size_t n_files;
} pl_config;

/* Parses path and its integrations into a new config the caller frees with
 * pl_config_free. Warnings go to log. Nothing is returned on failure. */
practlink_status pl_config_load(const char *path, const pl_log *log, pl_config **out, pl_err *err);
void pl_config_free(pl_config *cfg);

/* loader.c ---------------------------------------------------------------- */
typedef struct pl_module {
	char *name;
	char *path;
	void *dl;
	int fd;                      /* the descriptor it was loaded from */
	practlink_backend table;     /* the module's table as this core knows it */
	const practlink_backend *be; /* &table */
} pl_module;

/* Loads dir/NAME.so after checking the name, the folder and the file, and
 * then the table the module exports. The caller unloads it. */
practlink_status pl_module_load(const char *dir, const char *name, pl_module **out, pl_err *err);
void pl_module_unload(pl_module *mod);

/* instance.c -------------------------------------------------------------- */
/* One open instance of a module for one worker, with the services table
 * the module sees. */
struct pl_http;

/* What an instance is handed by whoever opens it: the log, the HTTP
 * policy, the run's stop flag, a lock for what instances share, and the
 * HTTP share, made on first use by its owner. An instance knows nothing
 * else of the context. */
typedef struct pl_env {
	const pl_log *log;
	const pl_http_conf *http; /* NULL: no HTTP (tests) */
	const char *pms_name;
	atomic_int *stop;
	pthread_mutex_t *lock;
	struct pl_http_share *(*share)(void *owner, pl_err *err);
	/* The pace of integration ig's requests in this run; NULL: none. */
	struct pl_pacer *(*pacer)(void *owner, const struct pl_integration *ig);
	void *owner;
	const char *config_file; /* the main file, and the module folder: */
	const char *module_dir;  /* for a module's helper to find them */
	bool in_host;            /* practlink-module-host: isolate nothing */
} pl_env;

typedef struct pl_instance {
	practlink_services svc; /* first: the module's svc is the instance */
	const pl_env *env;      /* NULL: no HTTP, no log (tests) */
	struct pl_http *http;   /* made on the module's first request */
	const pl_module *mod;
	const pl_integration *ig;
	const pl_log *log;
	void *handle;       /* the module's own instance */
	const char *step;   /* the step under way, for log prefixes */
	pl_err err;         /* what the module said of its last failure */
	long long deadline; /* one budget for all of an operation's requests, or 0 */
	/* The keys of the operation under way, withheld from its words. */
	const practlink_secret *flight[2];
	/* The settings the module read while opening: the rest are unknown.
	 * Copies: a name may live in the module's memory (exec.so's). */
	char *read[32];
	size_t n_read;
	bool opening;
	bool isolated; /* exec.so running the module in practlink-module-host */
} pl_instance;

/* Opens mod for integration ig in env (NULL: no HTTP, no log; tests). */
practlink_status pl_instance_open(const pl_env *env, const pl_module *mod, const pl_integration *ig,
				  pl_instance **out, pl_err *err);
void pl_instance_close(pl_instance *inst);
/* The name of a step ("exchange"), for messages. */
const char *pl_step_name(practlink_step step);

/* context.c --------------------------------------------------------------- */
struct pl_loaded {
	bool tried;
	pl_module *mod;
	pl_err err;
};

/* What one worker thread holds: its own module instances and error. */
typedef struct pl_worker {
	practlink_ctx *ctx;
	pl_instance **inst; /* one per integration, opened on first use */
	size_t n_inst;
	pl_err err;
	pl_state state; /* the link's state when the last job ended */
	/* Bulk runs: take practitioners without waiting for their lock
	 * (busy: the job did nothing, for later), and leave what was done
	 * since the run began (elsewhere: the job did nothing, done). */
	bool try_lock, busy, elsewhere;
	long long since; /* when the run began, pl_wall_ms() */
} pl_worker;

struct pl_key_index;
struct pl_record;

struct practlink_ctx {
	pl_err err;
	pl_log log;
	bool log_level_set; /* the host chose a level: the config's does not apply */
	char *module_dir;   /* the host's override, or NULL */
	char *active_module_dir;
	pl_config *cfg;
	pl_env env;               /* what instances are handed, once cfg is there */
	struct pl_loaded *loaded; /* one per integration */
	const practlink_store_ops *store;
	void *store_data;
	bool store_is_host;     /* handed in by the host: kept across reloads */
	bool in_host;           /* practlink-module-host: isolate nothing */
	struct pl_batch *batch; /* practlink_import_begin: creations made durable together */
	/* Puts what the batch staged on disk: a lookup that cannot confirm a
	 * hit in the store asks, in case the hit is staged. */
	void (*flush)(practlink_ctx *ctx);
	pl_worker *main; /* the worker of the single-practitioner calls */
	struct pl_key_index *key_index;
	/* Told of each record saved (the key index, once built): the store
	 * calls up through this, never by name. */
	void (*on_save)(practlink_ctx *ctx, const char *id, const struct pl_record *rec);
	struct pl_http_share *http_share;
	struct pl_pacer **pacers; /* one per integration, made on first use */
	pthread_mutex_t lock;     /* guards what workers make on first use */
	/* Set by practlink_bulk_stop (a signal handler may call it): workers
	 * take no new practitioner, and requests in flight end (http.c). A
	 * lock-free atomic int is safe in a handler. */
	atomic_int bulk_stop;
	char audit_user[64];          /* who runs this, looked up once */
	atomic_size_t audit_failures; /* audit lines that could not be written */
};

/* The module of integration i, loading it on first use; NULL when it cannot
 * be loaded, with the reason in ctx->err. */
const pl_module *pl_ctx_module(practlink_ctx *ctx, size_t i);

/* The module's operations, called through the core: the step is set for
 * log prefixes, the status clamped into the enum, and on failure
 * inst->err.msg says why (the module's words, or the status's). An
 * operation the module lacks must not be called. */
practlink_status pl_instance_find_user(pl_instance *inst, const practlink_person *p,
				       char user_id[PRACTLINK_USER_ID_MAX]);
practlink_status pl_instance_create_user(pl_instance *inst, const practlink_person *p,
					 char user_id[PRACTLINK_USER_ID_MAX]);
practlink_status pl_instance_set_integration(pl_instance *inst, const practlink_person *p,
					     const char *pms_name);
practlink_status pl_instance_exchange(pl_instance *inst, const practlink_person *p,
				      const practlink_secret *pms_key,
				      practlink_secret **backend_key);
practlink_status pl_instance_revoke(pl_instance *inst, const practlink_person *p);
practlink_status pl_instance_probe(pl_instance *inst, char *buf, size_t size);
/* Whether the instance has an operation for step (the table's, and the
 * module's offers() when it has one). */
bool pl_instance_offers(const pl_instance *inst, practlink_step step);
practlink_status pl_instance_verify(pl_instance *inst, const practlink_person *p,
				    const practlink_secret *pms_key,
				    const practlink_secret *backend_key);

/* store_files.c ------------------------------------------------------------ */
/* Opens the files store under path: a 0700 folder holding
 * practitioners/ID.json (0600), audit.log and a lock file. The folder
 * itself is made only with create; without, a missing one is CONFIG. */
practlink_status pl_store_files_open(const char *path, bool create, const practlink_store_ops **ops,
				     void **data, pl_err *err);
/* Whether id may name a record. */
bool pl_id_valid(const char *id);
/* Removes the temporary files writers killed mid-write left behind (they
 * may hold keys), each under its id's lock; *removed says how many. */
practlink_status pl_store_files_clean(void *data, size_t *removed, pl_err *err);
/* Batched creation, for imports. stage writes id's record whole under its
 * temporary name, not yet on disk (USAGE when id has a record); publish
 * puts every staged record on disk with one syncfs, then gives each its
 * name (link: a record made meanwhile is kept) and flushes the folder
 * once; each[i] says how ids[i] went. A crash before publish leaves
 * temporary files only; during it, some records, each whole. */
practlink_status pl_store_files_stage(void *data, const char *id, const char *text, size_t len,
				      pl_err *err);
practlink_status pl_store_files_publish(void *data, char (*ids)[PRACTLINK_ID_MAX], size_t n,
					practlink_status *each, pl_err *err);
/* Whether id has a temporary file: staged, or left by a killed writer. */
bool pl_store_files_staged(void *data, const char *id);

/* record.c ----------------------------------------------------------------- */

typedef struct pl_link {
	char *integration;
	pl_state state;
	char *user_id;                     /* NULL until known */
	practlink_secret *backend_key;     /* NULL until exchanged */
	practlink_secret *pending_pms_key; /* a rotation's new key, until verified */
	long long linked_at, verified_at, updated_at;
	/* linked_at and verified_at in milliseconds, when the record has them
	 * (0 otherwise): concurrent runs tell by them what another did since. */
	long long linked_ms, verified_ms;
	bool rotation_pending;  /* a rotation started or failed: the old keys are in use */
	bool unlink_pending;    /* an unlink started and did not finish */
	practlink_status error; /* OK: the last attempt did not fail */
	char *error_step;
	char *error_message;
	char *error_hint; /* NULL: the status's hint */
} pl_link;

typedef struct pl_record {
	char *id;
	char *first_name;
	char *last_name;
	char *email;
	practlink_secret *pms_key;
	long long created_at;
	pl_link *links;
	size_t n_links;
} pl_record;

/* Parses a record's text (path names it in messages). STORE on anything
 * but a well-formed record of id. */
practlink_status pl_record_parse(const char *text, size_t len, const char *id, pl_record **out,
				 pl_err *err);
/* The record as text, NUL-terminated; the caller wipes and frees it. */
char *pl_record_format(const pl_record *rec);
/* Wipes the keys and frees. */
void pl_record_free(pl_record *rec);
/* rec's link on integration; with create, a new unlinked one if absent. */
pl_link *pl_record_link(pl_record *rec, const char *integration, bool create);
void pl_record_drop_link(pl_record *rec, const char *integration);
const char *pl_state_name(pl_state state);
/* time.c: now, in Unix seconds; t as RFC 3339 UTC into buf (21 bytes);
 * and such a text back, or -1 when it is not one. */
long long pl_now(void);
void pl_time_format(long long t, char buf[32]);
long long pl_time_parse(const char *s);
/* Wall-clock milliseconds, and RFC 3339 with them: 2026-01-31T12:00:00.250Z;
 * pl_time_parse_ms takes either form, -1 for neither. */
long long pl_wall_ms(void);
void pl_time_format_ms(long long ms, char buf[32]);
long long pl_time_parse_ms(const char *s);
/* secret.c: a key from outside, normalised: surrounding white space
 * removed; inner white space, control characters or nothing left are
 * BAD_KEY. */
practlink_status pl_key_normalise(const char *in, size_t len, const char *what,
				  practlink_secret **out, pl_err *err);
/* json.c: whether JSON text (len bytes) nests no deeper than max, strings
 * aside: checked before cJSON, whose own limit is far deeper. */
bool pl_json_depth_ok(const char *text, size_t len, int max);
/* secret.c: compares two secrets in time independent of where they
 * differ. */
bool pl_secret_equal(const practlink_secret *a, const practlink_secret *b);

/* The store, opened on first use. Only commands that add practitioners
 * create it (pl_ctx_store_create): one that reads never leaves a store
 * behind at a mistyped path. */
practlink_status pl_ctx_store(practlink_ctx *ctx, pl_err *err);
practlink_status pl_ctx_store_create(practlink_ctx *ctx, pl_err *err);
/* The index of integration name (NULL: the one enabled integration). */
practlink_status pl_ctx_integration(practlink_ctx *ctx, const char *name, size_t *index,
				    pl_err *err);
/* The worker of the single-practitioner calls, made on first use. */
pl_worker *pl_ctx_main(practlink_ctx *ctx);
/* For the host API's calls: clears ctx's last error, and finds the
 * context's worker and (ix not NULL) integration, or says why not. */
practlink_status pl_api_prepare(practlink_ctx *ctx, const char *integration, size_t *ix,
				pl_worker **w);
/* Copies a failure of worker w to ctx's last error; returns st. */
practlink_status pl_api_done(practlink_ctx *ctx, pl_worker *w, practlink_status st);

/* worker.c: a worker's module instances. */
pl_worker *pl_worker_new(practlink_ctx *ctx);
void pl_worker_free(pl_worker *w);
/* The worker's instance of integration ix, opened on first use. */
practlink_status pl_worker_instance(pl_worker *w, size_t ix, pl_instance **out);

/* store.c: records through the store, with messages that say where. */
practlink_status pl_store_load(practlink_ctx *ctx, const char *id, pl_record **out, pl_err *err);
practlink_status pl_store_save(practlink_ctx *ctx, const pl_record *rec, unsigned flags,
			       pl_err *err);
/* Calls each with every id in the store, until it returns non-OK. */
/* pl_store_each in byte order of id, in memory that does not grow with
 * the store (sorted.c): runs of pl_sort_run_ids ids (65,536; tests make
 * it small), merged through temporary files when there are several. */
extern size_t pl_sort_run_ids;
practlink_status pl_store_each_sorted(practlink_ctx *ctx,
				      practlink_status (*each)(void *, const char *), void *arg,
				      pl_err *err);
practlink_status pl_store_each(practlink_ctx *ctx, practlink_status (*each)(void *, const char *),
			       void *arg, pl_err *err);
practlink_status pl_store_lock(practlink_ctx *ctx, const char *id, void **token, pl_err *err);
/* pl_store_lock without waiting: *busy, and TRANSIENT, when another holds
 * it (a store without trylock waits instead). */
practlink_status pl_store_trylock(practlink_ctx *ctx, const char *id, void **token, bool *busy,
				  pl_err *err);
void pl_store_unlock(practlink_ctx *ctx, void *token);
/* One audit line: who did what to whom, and how it ended. Never a key.
 * A line that cannot be written is counted, warned about once per
 * context, and said in err (may be NULL); returns STORE then, else OK. */
practlink_status pl_audit(practlink_ctx *ctx, const char *action, const char *id,
			  const char *integration, practlink_status status, pl_err *err);

/* keyindex.c: practitioners by PMS key, and by email. */
void pl_key_index_free(struct pl_key_index *index);
/* Tells the index that id's record is now rec (NULL: removed). */
void pl_key_index_note(practlink_ctx *ctx, const char *id, const pl_record *rec);
/* The practitioner other than not_id (may be NULL) whose email is email,
 * trimmed and in any case: OK with its id, or NOT_FOUND. Practitioners a
 * concurrent process adds after the index was built are not seen. */
practlink_status pl_find_by_email(practlink_ctx *ctx, const char *email, const char *not_id,
				  char id[65]);
/* Whether two emails are the same address: trimmed, in any case. */
bool pl_email_same(const char *a, const char *b);

/* link.c ------------------------------------------------------------------- */
/* The link of one practitioner on integration ix by worker w, as
 * practlink_link describes; errors in w->err. */
practlink_status pl_link_run(pl_worker *w, const char *id, size_t ix, unsigned flags);
practlink_status pl_verify_run(pl_worker *w, const char *id, size_t ix);
practlink_status pl_assist_begin(pl_worker *w, const char *id, size_t ix, unsigned flags,
				 practlink_assist **out);
practlink_status pl_assist_finish(pl_worker *w, practlink_assist *a, const char *typed, size_t len);
practlink_status pl_rotate_run(pl_worker *w, const char *id, size_t ix);
/* The steps a link of id would take, each automatic or by hand; none for
 * a linked practitioner. Changes nothing. */
practlink_status pl_link_plan(pl_worker *w, const char *id, size_t ix, practlink_assist **out);
practlink_status pl_unlink_run(pl_worker *w, const char *id, size_t ix, practlink_assist **manual);
/* The size of an assist, for an empty one made elsewhere. */
size_t pl_assist_size(void);

/* http.c ------------------------------------------------------------------- */
typedef struct pl_http_share pl_http_share;
typedef struct pl_http pl_http;
/* What every worker of a context shares: connections, DNS, TLS sessions. */
practlink_status pl_http_share_new(pl_http_share **out, pl_err *err);
void pl_http_share_free(pl_http_share *share);
/* One worker's client, under conf's policy. A request in flight, or its
 * back-off, ends within a tenth of a second of *stop turning non-zero
 * (stop may be NULL: nothing stops it but its timeout). */
/* pacer.c ------------------------------------------------------------------ */
/* One integration's pace, shared by the workers of a run (see pacer.c). */
typedef struct pl_pacer pl_pacer;
pl_pacer *pl_pacer_new(double max_rate);
void pl_pacer_free(pl_pacer *p);
/* When the next request may go (pl_now_us() time); its slot is taken. */
long long pl_pacer_turn(pl_pacer *p);
/* Tells the pacer how a request was answered; true when the platform
 * asked to slow down (429, 503): every worker now waits, and the request
 * may be sent again at its next turn. */
bool pl_pacer_answered(pl_pacer *p, long code, long long retry_after_s, const pl_log *log,
		       const char *url);
long long pl_now_us(void);

/* pacer: NULL for no pacing. */
practlink_status pl_http_new(pl_http_share *share, const pl_http_conf *conf, const pl_log *log,
			     pl_pacer *pacer, bool allow_insecure, const atomic_int *stop,
			     pl_http **out, pl_err *err);
/* Ends requests at deadline_ms (CLOCK_MONOTONIC milliseconds; 0: none)
 * as well as at their own timeout: one budget for several requests. */
void pl_http_set_deadline(pl_http *h, long long deadline_ms);
/* Now, on the clock deadlines are on. */
long long pl_now_ms(void);
void pl_http_free(pl_http *h);
/* One exchange: OK when an answer arrived, whatever its code. */
practlink_status pl_http_request(pl_http *h, const practlink_http_request *req,
				 practlink_http_response *resp, pl_err *err);
/* The context's share, made on first use (any thread). */
pl_http_share *pl_ctx_http_share(practlink_ctx *ctx, pl_err *err);
practlink_status pl_diagnose_run(pl_worker *w, const char *id, size_t ix, char *buf, size_t size);

#endif /* PL_INTERNAL_H */
