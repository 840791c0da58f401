/* testutil.h - scratch folders, files and child processes for the tests. */
#ifndef PL_TESTUTIL_H
#define PL_TESTUTIL_H

#include <check.h>
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
/* An environment variable the test harness must set. */
const char *pl_test_env(const char *name);

/* Runs argv with stdin from in (NULL: /dev/null), capturing stdout and
 * stderr into *out and *err (freed by the caller; either may be NULL).
 * Returns the exit code, or 128 + the signal. */
int pl_test_run(char *const argv[], const char *in, char **out, char **err);

/*
 * A clinic in a new folder: practlink.conf (pms_name juvonno, the store in
 * store/) and integrations.d/mock.conf with the given settings body (may be
 * NULL) and enabled flag. The caller removes and frees it.
 */
char *pl_test_clinic(const char *mock_settings, int enabled);

/* The body of a check main(): runs the suite, returns the exit status. */
int pl_test_main(Suite *s);

/* Copies the file src to dst, then sets mode. */
void pl_test_copy(const char *src, const char *dst, mode_t mode);

#endif
