/* SPDX-License-Identifier: MIT */
/* cli.h - what practlink(1)'s files share. */
#ifndef PL_CLI_H
#define PL_CLI_H

#include "config.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "practlink.h"

#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct opts {
	const char *config;
	const char *module_dir;
	bool json;
	int verbosity; /* -1 quiet, 0, 1 verbose */
};

struct command {
	const char *name;
	int (*run)(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
	const char *usage;
	const char *help;
};

/* The command running, for usage messages; the global options. */
extern const struct command *cli_command;
extern struct opts cli_opts;
/* Whether a JSON document went to stdout already: a failure after it
 * prints no second one. */
extern bool cli_json_printed;

/* Reports ctx's last error (or the status's text) and its hint on stderr,
 * and with --json as one document on stdout; returns the exit code. */
int cli_fail(practlink_ctx *ctx, practlink_status st);
/* The same for a failure the command found itself. */
int cli_fail_with(practlink_status st, const char *msg, const char *hint);
/* Reports a usage error and the command's usage; returns 64. */
int cli_usage(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Prints to stdout unless -q or --json: what went well. */
void cli_say(const char *fmt, ...) CLI_PRINTF(1, 2);
/* The name of names nearest to word, when it looks like a typo of it. */
const char *cli_nearest(const char *word, const char *const *names, size_t n);
/* Writes text (from a roster, a record, the network) to f with anything
 * a terminal would act on (ESC, CR, BEL, other controls, invalid UTF-8)
 * shown escaped as \xHH. */
void cli_put_text(FILE *f, const char *text);
/* How many columns text takes on a terminal (UTF-8, wide characters). */
size_t cli_width(const char *text);
/* Prints text to stdout escaped as cli_put_text, padded to width columns. */
void cli_put_cell(const char *text, size_t width);
/* Parses the command's options with getopt_long; the caller loops until -1.
 * Returns '?' after reporting an unknown option. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Prints doc as JSON on stdout and frees it. */
void cli_print_json(cJSON *doc);
/* A JSON array printed an item at a time, none held: cli_stream_item
 * prints and frees each; cli_stream_end closes it ([] when empty). */
struct cli_stream {
	size_t n;
};
void cli_stream_item(struct cli_stream *s, cJSON *item);
void cli_stream_end(struct cli_stream *s);
/* The worse of two statuses, by exit code. */
practlink_status cli_worse(practlink_status a, practlink_status b);
/* t as RFC 3339 UTC, or "-" for 0, into buf. */
const char *cli_time(long long t, char buf[32]);

/* The commands. */
int cmd_modules(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
int cmd_doctor(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
int cmd_keygen(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
int cmd_practitioner(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
int cmd_link(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
int cmd_unlink(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
int cmd_verify(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
int cmd_rotate(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);
int cmd_status(practlink_ctx *ctx, const struct opts *o, int argc, char **argv);

/* metrics.c: how many practitioners a run failed, on one integration with
 * one status. */
struct cli_failure_count {
	char integration[PRACTLINK_ID_MAX];
	practlink_status status;
	size_t count;
};
/* Writes path, atomically (mode 0644): the links by integration and state
 * as the store has them now, the run's failures, when command last
 * succeeded (now if ok, else as the file said), how long it took, and the
 * oldest verification by integration. Returns 0, or the exit code after
 * saying why not. */
int cli_metrics_write(practlink_ctx *ctx, const char *path, const char *command,
		      const struct cli_failure_count *failures, size_t n_failures, bool ok,
		      double seconds);

/* bulk.c: runs spec over ids (n_ids of them), the rows of keys_csv, or
 * the whole store (ids and keys_csv NULL), with a progress bar on a
 * terminal and a summary; SIGINT and SIGTERM stop it cleanly (exit 130,
 * 143). Returns the exit code. */
int cli_bulk(practlink_ctx *ctx, const struct opts *o, const practlink_bulk *spec, char **ids,
	     size_t n_ids, const char *keys_csv, const char *metrics);

/* secrets.c: keys in and out, never through argv. */
/* Reads a key from path ("-": standard input) into buf; the file must be
 * closed to others. Returns the length, or minus the exit code after
 * reporting why. */
long cli_read_key_file(const char *path, char *buf, size_t size);
/* The terminal, or NULL when there is none. */
FILE *cli_tty(void);
/* Prompts on the terminal and reads a line without echo. Returns the
 * length, -1 when there is no terminal or input ended, or minus the exit
 * code (130, 131, 143) after Ctrl-C, Ctrl-\ or SIGTERM, with the terminal
 * as it was and "interrupted" said. */
long cli_read_hidden(FILE *tty, const char *prompt, char *buf, size_t size);

/* csv.c: reads path, calling row for each record after the header with
 * its line number and fields; problem, when not NULL, says why the row
 * cannot be used (a NUL byte). header names the
 * columns expected first; optional ones may follow. Returns 0, or the exit
 * code after reporting a file that cannot be read or whose header is
 * wrong (66 for a file that is not there). */
typedef void (*cli_csv_row)(void *arg, size_t line, size_t n, char **fields, const char *problem);
/* secret names a column of keys: a file whose header has it must pass the
 * checks of a key file (not a symlink, regular, yours, closed to others). */
int cli_csv_read(const char *path, const char *const *header, size_t required, size_t optional,
		 const char *secret, cli_csv_row row, void *arg);

#endif
