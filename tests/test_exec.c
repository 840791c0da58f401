/* SPDX-License-Identifier: MIT */
/* test_exec.c - exec.so's faults are the program's, never the core's:
 * a program that hangs, crashes, exits, floods or answers garbage or out
 * of order costs one operation a status, is restarted for the next, and
 * never leaks a key; the program is checked as a module is, and runs with
 * a cleared environment; and C modules isolated in practlink-module-host
 * (isolate = true) fail the same way. (The mock suites run unchanged
 * against exec.so and mockplatform.py in tests/exec.sh.) */
#include "internal.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *clinic, *out, *err, *mods;

#define run(...) pl_test_practlink(clinic, NULL, NULL, &out, &err, __VA_ARGS__, (char *)NULL)
#define expect_in pl_test_expect_in
#define expect_not_in pl_test_expect_not_in

/* Whether practlink said frag, on stdout (a run's summary) or stderr. */
static void says(const char *frag)
{
	ck_assert_msg((out && strstr(out, frag)) || (err && strstr(err, frag)),
		      "'%s' and '%s' lack '%s'", out, err, frag);
}

static const char pms_key[] = "PmsKey0123456789abcdef";
static const char backend_key[] = "PlatformKey0123456789";

static void setup(void)
{
	clinic = pl_test_clinic(NULL, 1);
	out = err = NULL;
}

static void teardown(void)
{
	pl_test_rmrf(clinic);
	free(clinic);
	free(out);
	free(err);
	free(mods);
	mods = NULL;
}

/* The clinic's one integration on exec.so running program with args. */
static void set_program(const char *program, const char *args, int timeout_ms)
{
	char *text;

	ck_assert(
		asprintf(&text,
			 "mock = { enabled = true; module = \"exec\";\n"
			 "  settings = { program = \"%s\"; args = \"%s\"; timeout_ms = %d; }; };\n",
			 program, args, timeout_ms) > 0);
	pl_test_write(clinic, "integrations.d/mock.conf", 0644, text);
	free(text);
}

static void set_faults(const char *args, int timeout_ms)
{
	char *program = pl_test_path(pl_test_env("PL_SRCDIR"), "tests/exec-faults.py");

	set_program(program, args, timeout_ms);
	free(program);
}

/* Practitioners p1..pn, linked with keys typed in by hand. */
static void linked(int n)
{
	char *keys = pl_test_path(clinic, "keys.csv"), *rows = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&rows, &size);

	fputs("id,backend_key\n", f);
	for (int i = 1; i <= n; i++) {
		char id[16];
		snprintf(id, sizeof id, "p%d", i);
		pl_test_add(clinic, id);
		fprintf(f, "%s,%s\n", id, backend_key);
	}
	fclose(f);
	pl_test_write(clinic, "keys.csv", 0600, rows);
	set_faults("ok", 5000);
	ck_assert_msg(run("link", "--all", "--backend-keys", keys) == 0, "%s%s", out, err);
	free(rows);
	free(keys);
}

START_TEST(a_fault_costs_the_operation_a_status)
{
	static const struct {
		const char *mode;
		int exit;
		const char *says;
	} faults[] = {
		{ "crash", 69, "was killed by signal 11 (Segmentation fault) during verify" },
		{ "exit", 69, "exited with status 3 during verify" },
		{ "garbage", 76,
		  "answered verify with a line of 16 bytes that is not a JSON object" },
		{ "flood", 76, "wrote more than 65536 bytes without a newline during verify" },
		{ "order", 76, "answered out of order: request 3 (verify)" },
		{ "status", 76,
		  "answered verify with status \"SPLENDID\", which practlink does not know" },
		{ "noverify", 69, "does not offer verify, which every backend must" },
		{ "protocol", 69, "speaks another protocol than practlink-exec 1" },
	};

	linked(1);
	for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
		set_faults(faults[i].mode, 5000);
		ck_assert_msg(run("verify", "p1") == faults[i].exit, "%s: %s%s", faults[i].mode,
			      out, err);
		says(faults[i].says);
	}
	/* Nothing the program did reached the record. */
	char *rec = pl_test_record(clinic, "p1");
	expect_in(rec, "\"state\":\t\"linked\"");
	free(rec);
}
END_TEST

/* Whether pid is gone: no such process, or a zombie no one reaped yet. */
static bool gone(pid_t pid)
{
	char path[64], *stat;
	bool dead;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(stat = pl_test_read(path)))
		return true;
	dead = strstr(stat, ") Z ") != NULL;
	free(stat);
	return dead;
}

START_TEST(a_hang_is_killed_with_its_process_group)
{
	char *pidfile = pl_test_path(clinic, "child.pid"), *args, *text;
	pid_t child = 0;

	linked(1);
	ck_assert(asprintf(&args, "hang %s", pidfile) > 0);
	set_faults(args, 2000 * pl_test_slow()); /* room for python to start on a busy machine */
	ck_assert_int_eq(run("verify", "p1"), 75);
	says("did not answer verify within");
	says("ms; killed");
	text = pl_test_read(pidfile);
	ck_assert_ptr_nonnull(text);
	child = (pid_t)atoi(text);
	ck_assert_int_gt(child, 1);
	/* The program's own child went with it: the whole group is killed. */
	for (int i = 0; i < 200 && !gone(child); i++)
		usleep(10000);
	ck_assert_msg(gone(child), "the program's child %d outlived it", (int)child);
	free(text);
	free(args);
	free(pidfile);
}
END_TEST

START_TEST(a_crash_costs_one_practitioner_not_the_run)
{
	char *marker = pl_test_path(clinic, "crashed"), *args;

	linked(3);
	ck_assert(asprintf(&args, "once %s", marker) > 0);
	set_faults(args, 5000);
	/* One worker, one program: it crashes on the first practitioner and
	 * is started again for the next two. */
	ck_assert_int_eq(run("verify", "--all", "-j", "1"), 69);
	expect_in(out, "3 practitioners: 3 linked");
	expect_in(out, "by status: OK 2");
	expect_in(out, "MODULE 1");
	expect_in(out, "was killed by signal 11");
	free(args);
	free(marker);
}
END_TEST

START_TEST(keys_never_leave_the_socket)
{
	linked(1);
	set_faults("echo", 5000);
	ck_assert_int_eq(run("-v", "verify", "p1"), 77);
	says("refused [key withheld] and [key withheld]");
	expect_in(err, "the keys were [key withheld] and [key withheld]");
	expect_not_in(err, pms_key);
	expect_not_in(err, backend_key);
	expect_not_in(out, backend_key);
}
END_TEST

START_TEST(a_cleared_environment_and_no_other_descriptor)
{
	linked(1);
	set_faults("env", 5000);
	ck_assert_int_eq(run("verify", "p1"), 77);
	/* 3 is the folder the program lists its descriptors with. */
	says("env=LC_ALL,PATH,PRACTLINK_EXEC_PROTOCOL,PRACTLINK_INTEGRATION argc=2 "
	     "fds=[0, 1, 2, 3]");
}
END_TEST

START_TEST(stderr_is_logged_and_capped)
{
	linked(1);
	set_faults("stderr", 5000);
	ck_assert_int_eq(run("-v", "verify", "p1"), 0);
	says("faults: line 0\n");
	says("faults: line 63\n");
	expect_not_in(err, "faults: line 64\n");
	says("more than 64 lines on stderr; the rest are not logged");
}
END_TEST

START_TEST(the_program_is_checked_as_a_module_is)
{
	char *faults = pl_test_path(pl_test_env("PL_SRCDIR"), "tests/exec-faults.py");
	char *copy = pl_test_path(clinic, "faults.py"), *link = pl_test_path(clinic, "link.py");

	pl_test_add(clinic, "p1");
	set_program("tests/exec-faults.py", "ok", 5000);
	ck_assert_int_eq(run("doctor"), 78);
	expect_in(out, "must be an absolute path");

	ck_assert_int_eq(symlink(faults, link), 0);
	set_program(link, "ok", 5000);
	ck_assert_int_eq(run("doctor"), 78);
	expect_in(out, "is not a regular file (a symbolic link: name its target)");

	pl_test_copy(faults, copy, 0775);
	set_program(copy, "ok", 5000);
	ck_assert_int_eq(run("doctor"), 77);
	expect_in(out, "is owned or writable by someone else");
	ck_assert_int_eq(chmod(copy, 0755), 0);
	ck_assert_msg(run("doctor") == 0, "%s", out);

	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"exec\"; settings = { }; };\n");
	ck_assert_int_eq(run("doctor"), 78);
	expect_in(out, "settings.program is missing");
	free(faults);
	free(copy);
	free(link);
}
END_TEST

/* SIGTERM ends a run whose program hangs now, not at its timeout. */
START_TEST(cancelled_with_the_run)
{
	char *pidfile = pl_test_path(clinic, "child.pid"), *args;
	char **argv;
	struct timespec t0, t1;
	int status;
	pid_t pid;

	linked(1);
	ck_assert(asprintf(&args, "hang %s", pidfile) > 0);
	set_faults(args, 600000);
	argv = pl_test_practlink_words(clinic, "verify", "--all", (char *)NULL);
	pid = pl_test_spawn(argv);
	for (int i = 0; i < 1000 && access(pidfile, F_OK) != 0; i++)
		usleep(10000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 143, "status %d", status);
	/* A bound on correctness, not speed: far below the 600 s timeout. */
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 60);
	free(args);
	free(pidfile);
}
END_TEST

/* Copies module NAME.so from dir into the clinic's module folder. */
static void module_from(const char *dir, const char *name)
{
	char *file, *src, *dst;

	ck_assert(asprintf(&file, "%s.so", name) > 0);
	src = pl_test_path(dir, file);
	dst = pl_test_path(mods, file);
	mkdir(mods, 0755);
	pl_test_copy(src, dst, 0755);
	free(dst);
	free(src);
	free(file);
}

/* The clinic's integration on the C module NAME, isolated: the module
 * and exec.so in the clinic's own module folder. */
static void isolate(const char *module, const char *settings)
{
	char *text, *host = pl_test_path(pl_test_env("PL_BUILDDIR"), "cli/practlink-module-host");
	const char *from = strcmp(module, "mock") == 0 ? "PL_MODULE_DIR" : "PL_TEST_MODULE_DIR";
	/* Short for the module that hangs; long for the others, which under
	 * ASan spend a while writing their crash report. */
	int timeout_ms = (strcmp(module, "hanging") == 0 ? 500 : 10000) * pl_test_slow();

	free(mods);
	mods = pl_test_path(clinic, "mods");
	module_from(pl_test_env("PL_MODULE_DIR"), "exec");
	module_from(pl_test_env(from), module);
	ck_assert(asprintf(&text,
			   "pms_name = \"juvonno\";\nstore = { path = \"store\"; };\n"
			   "module_host = \"%s\";\n",
			   host) > 0);
	pl_test_write(clinic, "practlink.conf", 0644, text);
	free(text);
	ck_assert(
		asprintf(&text,
			 "mock = { enabled = true; module = \"%s\"; create_missing_users = true;\n"
			 "  isolate = true; isolate_timeout_ms = %d; settings = { %s }; };\n",
			 module, timeout_ms, settings) > 0);
	pl_test_write(clinic, "integrations.d/mock.conf", 0644, text);
	free(text);
	free(host);
}

#define run_isolated(...)                                                                          \
	pl_test_practlink(clinic, mods, NULL, &out, &err, __VA_ARGS__, (char *)NULL)

START_TEST(an_isolated_module_serves_every_step)
{
	for (int i = 1; i <= 3; i++) {
		char id[8];
		snprintf(id, sizeof id, "p%d", i);
		pl_test_add(clinic, id);
	}
	isolate("mock", "state_dir = \"../mock-state\"; record_calls = true;");
	ck_assert_msg(run_isolated("link", "--all") == 0, "%s%s", out, err);
	expect_in(out, "3 practitioners: 3 linked");
	ck_assert_int_eq(pl_test_count_lines(clinic, "mock-state/calls.log", "exchange "), 3);
	ck_assert_msg(run_isolated("rotate", "p2") == 0, "%s%s", out, err);
	ck_assert_msg(run_isolated("unlink", "p3") == 0, "%s%s", out, err);
	ck_assert_int_eq(run_isolated("verify", "--all"), 0);
	ck_assert_msg(run_isolated("doctor") == 0, "%s", out);
	expect_in(out, "the mock platform answers");
	ck_assert_int_eq(run_isolated("modules"), 0);
	expect_in(out, "/exec.so (isolated: through practlink-module-host)");
}
END_TEST

START_TEST(an_isolated_module_that_ends_badly)
{
	static const struct {
		const char *module;
		int exit;
		const char *says;
	} cases[] = {
		{ "crashing", 69, "was killed by signal 11 (Segmentation fault) during verify" },
		{ "aborting", 69, "was killed by signal 6 (Aborted) during verify" },
		/* exit() in a module: the host's guard, never the status chosen */
		{ "exiting", 69, "exited with status 70 during verify" },
		{ "hanging", 75, "did not answer verify within" },
	};
	char *keys = pl_test_path(clinic, "keys.csv");
	const char *sanitizers = getenv("PL_SANITIZER_FLAGS");

	for (int i = 1; i <= 3; i++) {
		char id[8];
		snprintf(id, sizeof id, "p%d", i);
		pl_test_add(clinic, id);
	}
	pl_test_write(clinic, "keys.csv", 0600,
		      "id,backend_key\np1,PlatformKey0123456789\np2,PlatformKey0123456789\n"
		      "p3,PlatformKey0123456789\n");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		isolate(cases[i].module, "");
		int rc = run_isolated("link", "--all", "--backend-keys", keys);
		ck_assert_msg(rc == cases[i].exit, "%s: %d: %s%s", cases[i].module, rc, out, err);
		/* The run went on to its summary: every practitioner has a status. */
		expect_in(out, "3 practitioners: 3 pending");
		/* Under ASan, a SIGSEGV is ASan's report and exit(1). */
		if (sanitizers && *sanitizers && strcmp(cases[i].module, "crashing") == 0)
			expect_in(out, "exited with status 1 during verify");
		else
			expect_in(out, cases[i].says);
		for (int p = 1; p <= 3; p++) {
			char id[8];
			snprintf(id, sizeof id, "p%d", p);
			char *rec = pl_test_record(clinic, id);
			expect_not_in(rec, "\"state\":\t\"linked\"");
			free(rec);
		}
	}
	free(keys);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("exec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_fault_costs_the_operation_a_status);
	tcase_add_test(tc, a_hang_is_killed_with_its_process_group);
	tcase_add_test(tc, a_crash_costs_one_practitioner_not_the_run);
	tcase_add_test(tc, keys_never_leave_the_socket);
	tcase_add_test(tc, a_cleared_environment_and_no_other_descriptor);
	tcase_add_test(tc, stderr_is_logged_and_capped);
	tcase_add_test(tc, the_program_is_checked_as_a_module_is);
	tcase_add_test(tc, cancelled_with_the_run);
	tcase_add_test(tc, an_isolated_module_serves_every_step);
	tcase_add_test(tc, an_isolated_module_that_ends_badly);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
