/* SPDX-License-Identifier: MIT */
/* testutil.h - scratch folders, files and child processes for the tests. */
#ifndef PL_TESTUTIL_H
#define PL_TESTUTIL_H

#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/types.h>

/* A new empty folder under $TMPDIR; the caller frees the name. */
char *pl_test_tmpdir(void);
/* Removes path and everything below it. */
void pl_test_rmrf(const char *path);
/* Writes text to dir/rel (making the folders between), then sets mode. */
void pl_test_write(const char *dir, const char *rel, mode_t mode, const char *text);
/* dir/rel, formatted; the caller frees it. */
char *pl_test_path(const char *dir, const char *rel);
/* Removes the file dir/rel. */
void pl_test_unlink(const char *dir, const char *rel);
/* The whole of path, NUL-terminated; the caller frees it. NULL if absent. */
char *pl_test_read(const char *path);
/* How many lines of dir/rel begin with prefix (0 if it is missing). */
int pl_test_count_lines(const char *dir, const char *rel, const char *prefix);
/* An environment variable the test harness must set. */
const char *pl_test_env(const char *name);

/* Runs argv with stdin from in (NULL: /dev/null), capturing stdout and
 * stderr into *out and *err (freed by the caller; either may be NULL).
 * Returns the exit code, or 128 + the signal. */
int pl_test_run(char *const argv[], const char *in, char **out, char **err);

/* argv for practlink(1) on clinic's practlink.conf with module_dir (NULL:
 * the built modules), then the words of ap up to a NULL. Static storage:
 * valid until the next call. */
char **pl_test_practlink_argv(const char *clinic, const char *module_dir, va_list ap);
/* pl_test_practlink_argv with the words given here, up to a NULL. */
char **pl_test_practlink_words(const char *clinic, ...);
/* Starts argv with its output thrown away; returns its pid. */
pid_t pl_test_spawn(char **argv);
/* Reads fd into buf (appending, NUL-terminated) until frag has arrived,
 * for 10 s at most; returns whether it did. */
int pl_test_read_until(int fd, char *buf, size_t size, const char *frag);
/* How many of the practitioners PREFIX000..PREFIX(n-1) are linked on
 * mock in clinic; asserts that every record parses. */
int pl_test_linked(const char *clinic, const char *prefix, int n);
/* Runs practlink(1) so, with stdin from in; frees *out and *err, then
 * sets them to what it printed. Returns the exit code. */
int pl_test_practlink(const char *clinic, const char *module_dir, const char *in, char **out,
		      char **err, ...);
/* Adds practitioner id (Ada Lovelace, id@clinic.example) to clinic with
 * practlink(1), asserting that it worked. */
void pl_test_add(const char *clinic, const char *id);
/* The text of id's record in clinic's store; NULL if there is none. */
char *pl_test_record(const char *clinic, const char *id);
/* Asserts that text holds frag, or does not. */
void pl_test_expect_in(const char *text, const char *frag);
void pl_test_expect_not_in(const char *text, const char *frag);

/*
 * A clinic in a new folder: practlink.conf (pms_name juvonno, the store in
 * store/) and integrations.d/mock.conf with the given settings body (may be
 * NULL) and enabled flag. The caller removes and frees it.
 */
char *pl_test_clinic(const char *mock_settings, int enabled);

/* The fake Physitrack server, started on a free loopback port. */
typedef struct pl_fake {
	pid_t pid;
	unsigned port;
} pl_fake;
/* Starts it with practitioners from state (lines as its --state file). */
void pl_fake_start(pl_fake *f, const char *state);
/* Stops it, and asserts that it stopped cleanly. */
void pl_fake_stop(pl_fake *f);
/* Sets its fault for the next requests (see practlink-fake-physitrack). */
void pl_fake_fault(pl_fake *f, const char *spec);
/* A line of its stats: "requests /api/v2/exercises", "connections". */
long pl_fake_count(pl_fake *f, const char *what);

/* How much slower than usual the tests run: 10 under make
 * check-valgrind, else 1. Time limits in tests are multiplied by it. */
int pl_test_slow(void);

/* The peak resident memory of the last child pl_test_run waited for. */
extern long pl_test_last_maxrss_kib;

/* The body of a check main(): runs the suite, returns the exit status. */
int pl_test_main(Suite *s);

/* Copies the file src to dst, then sets mode. */
void pl_test_copy(const char *src, const char *dst, mode_t mode);

#endif
