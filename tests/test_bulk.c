/* SPDX-License-Identifier: MIT */
/* test_bulk.c - a whole clinic at once through practlink(1): concurrent
 * runs with failures, a run stopped by a signal and resumed, connection
 * reuse, the progress bar and the summary. */
#include "internal.h"
#include "testutil.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *clinic, *out, *err;

#define run(...) pl_test_practlink(clinic, NULL, NULL, &out, &err, __VA_ARGS__, (char *)NULL)
#define expect_in pl_test_expect_in

static void teardown(void)
{
	pl_test_rmrf(clinic);
	free(clinic);
	free(out);
	free(err);
	clinic = out = err = NULL;
}

/* A roster of n practitioners, imported; with pms keys when keyed. */
static void roster(int n, bool keyed)
{
	size_t cap = 128 + (size_t)n * 128, len;
	char *csv = malloc(cap), *path;

	len = (size_t)snprintf(csv, cap, "id,first_name,last_name,email%s\n",
			       keyed ? ",pms_key" : "");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(
			csv + len, cap - len, "b%03d,Ada,Lovelace,b%03d@clinic.example%s%s%03d\n",
			i, i, keyed ? "," : "", keyed ? "PmsKey0123456789abcdefghijKLM" : "",
			keyed ? i : 0);
	if (!keyed) /* the format above left a stray number: cut it */
		for (char *c = csv; (c = strstr(c, ".example")); c += 8)
			memmove(c + 8, c + 11, strlen(c + 11) + 1);
	pl_test_write(clinic, "roster.csv", keyed ? 0600 : 0644, csv);
	path = pl_test_path(clinic, "roster.csv");
	ck_assert_msg(run("practitioner", "import", path) == 0, "%s", err);
	free(path);
	free(csv);
}

static void set_mock(const char *settings)
{
	char text[512];

	snprintf(text, sizeof text,
		 "mock = { enabled = true; module = \"mock\"; create_missing_users = true;\n"
		 "  settings = { state_dir = \"../mock-state\"; record_calls = true; %s }; };\n",
		 settings);
	pl_test_write(clinic, "integrations.d/mock.conf", 0644, text);
}

static int calls(const char *prefix)
{
	return pl_test_count_lines(clinic, "mock-state/calls.log", prefix);
}

START_TEST(failures_then_the_rest)
{
	clinic = pl_test_clinic("fail_rate = 0.1; seed = 11; fail_status = \"TRANSIENT\";", 1);
	roster(60, false);
	ck_assert_int_eq(run("link", "--all", "-j", "8"), 75);
	expect_in(out, "60 practitioners: ");
	expect_in(out, "by status: OK ");
	expect_in(out, "TRANSIENT ");
	expect_in(out, "failed:\n");
	expect_in(out, "hint: the platform did not answer in time; try again");
	int first = pl_test_linked(clinic, "b", 60);
	ck_assert_int_gt(first, 10);
	ck_assert_int_lt(first, 60);

	set_mock("");
	ck_assert_int_eq(run("--json", "link", "--all", "-j", "8"), 0);
	expect_in(out, "\"total\":\t60");
	expect_in(out, "\"linked\":\t60");
	expect_in(out, "\"failed\":\t[]");
	ck_assert_int_eq(pl_test_linked(clinic, "b", 60), 60);
	for (int i = 0; i < 60; i++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "create_user b%03d ", i);
		ck_assert_int_eq(calls(prefix), 1);
	}
	ck_assert_int_eq(run("-q", "verify", "--all", "-j", "4"), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

/* How many links the audit trail has seen end, well or not. */
static int links_audited(void)
{
	char *path = pl_test_path(clinic, "store/audit.log"), *text = pl_test_read(path);
	int n = 0;

	for (const char *at = text; at && (at = strstr(at, "\"action\":\"link\"")); at++)
		n++;
	free(text);
	free(path);
	return n;
}

/* Runs practlink link --all, signals it once `after` more links have
 * ended (whatever the machine's speed), and waits for it. */
static int interrupt_after(int sig, int after)
{
	char **argv = pl_test_practlink_words(clinic, "link", "--all", "-j", "4", (char *)NULL);
	int status, before = links_audited();
	pid_t pid = pl_test_spawn(argv);

	for (int i = 0; i < 6000 && links_audited() < before + after; i++) {
		struct timespec ts = { 0, 5000000L };
		nanosleep(&ts, NULL);
	}
	ck_assert_int_eq(kill(pid, sig), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "status %d", status);
	return WEXITSTATUS(status);
}

START_TEST(interrupted_and_resumed)
{
	clinic = pl_test_clinic("latency_ms = 10;", 1);
	roster(120, false);
	ck_assert_int_eq(interrupt_after(SIGTERM, 10), 143);
	int first = pl_test_linked(clinic, "b", 120); /* every record parses */
	ck_assert_int_gt(first, 0);
	ck_assert_int_lt(first, 120);
	ck_assert_int_eq(interrupt_after(SIGINT, 10), 130);
	ck_assert_int_eq(run("link", "--all", "-j", "8"), 0);
	ck_assert_int_eq(pl_test_linked(clinic, "b", 120), 120);
	for (int i = 0; i < 120; i++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "create_user b%03d ", i);
		ck_assert_int_eq(calls(prefix), 1);
	}
}
END_TEST

START_TEST(connections_are_reused)
{
	pl_fake fake;
	size_t cap = 64 * 200;
	char *state = malloc(cap), *keys = malloc(cap), *path, conf[512];
	size_t sl = 0, kl = 0;

	clinic = pl_test_clinic(NULL, 0);
	kl = (size_t)snprintf(keys, cap, "id,backend_key\n");
	for (int i = 0; i < 40; i++) {
		sl += (size_t)snprintf(state + sl, cap - sl,
				       "uk PtKey%03d juvonno PmsKey0123456789abcdefghijKLM%03d\n",
				       i, i);
		kl += (size_t)snprintf(keys + kl, cap - kl, "b%03d,PtKey%03d\n", i, i);
	}
	pl_fake_start(&fake, state);
	snprintf(conf, sizeof conf,
		 "physitrack = { enabled = true; module = \"physitrack\";\n"
		 "  settings = { region = \"uk\"; base_url = \"http://127.0.0.1:%u/{region}\";\n"
		 "    allow_insecure_http = true; }; };\n",
		 fake.port);
	pl_test_write(clinic, "integrations.d/physitrack.conf", 0644, conf);
	roster(40, true);
	pl_test_write(clinic, "keys.csv", 0600, keys);
	path = pl_test_path(clinic, "keys.csv");
	ck_assert_msg(run("link", "--backend-keys", path, "-j", "8") == 0, "%s", out);
	long before = pl_fake_count(&fake, "connections");
	ck_assert_int_eq(run("verify", "--all", "-j", "8"), 0);
	expect_in(out, "40 practitioners: 40 linked");
	/* Less the connection that asks for the count. */
	long opened = pl_fake_count(&fake, "connections") - before - 1;
	ck_assert_int_ge(opened, 1);
	ck_assert_int_le(opened, 8);
	ck_assert_int_eq(pl_fake_count(&fake, "requests /uk/api/v2/exercises"), 80);
	pl_fake_stop(&fake);
	free(state);
	free(keys);
	free(path);
}
END_TEST

START_TEST(progress_on_a_terminal_only)
{
	char screen[16384] = "";
	int master, status;
	pid_t pid;

	clinic = pl_test_clinic("latency_ms = 5;", 1);
	roster(30, false);
	pid = forkpty(&master, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char **argv =
			pl_test_practlink_words(clinic, "link", "--all", "-j", "2", (char *)NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = { master, POLLIN, 0 };
		size_t len = strlen(screen);
		if (poll(&p, 1, 10000 * pl_test_slow()) <= 0 || len + 1 >= sizeof screen)
			break;
		ssize_t n = read(master, screen + len, sizeof screen - len - 1);
		if (n <= 0)
			break;
		screen[len + (size_t)n] = '\0';
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(master);
	expect_in(screen, "] 30/30  ");
	expect_in(screen, "/s");
	expect_in(screen, "30 practitioners: 30 linked");
	/* Piped, or with -q: nothing but the summary. */
	ck_assert_int_eq(run("verify", "--all"), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(run("-q", "verify", "--all"), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

/* How many lines "OP bNNN ..." calls.log has; every one names one of
 * b000..b(n-1), and each of them at least once, and exactly once when
 * once. */
static int each_of(const char *op, int n, bool once)
{
	int total = 0;
	char *path = pl_test_path(clinic, "mock-state/calls.log"), *text = pl_test_read(path);
	int *seen = calloc((size_t)n, sizeof *seen);
	size_t len = strlen(op);

	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (strncmp(line, op, len) == 0 && line[len] == ' ' && line[len + 1] == 'b') {
			int i = atoi(line + len + 2);
			ck_assert_msg(i >= 0 && i < n, "%s: %.30s", op, line);
			seen[i]++;
			total++;
		}
		line = nl ? nl + 1 : NULL;
	}
	for (int i = 0; i < n; i++)
		ck_assert_msg(once ? seen[i] == 1 : seen[i] >= 1, "%s b%03d: %d times", op, i,
			      seen[i]);
	free(seen);
	free(text);
	free(path);
	return total;
}

/* Three runs started together on one store: each practitioner is done
 * once, by one of them. */
static void three_at_once(const char *what)
{
	char **argv = pl_test_practlink_words(clinic, what, "--all", "-j", "16", (char *)NULL);
	pid_t pid[3];
	int status;

	for (int i = 0; i < 3; i++)
		pid[i] = pl_test_spawn(argv);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d", what,
			      status);
	}
}

START_TEST(concurrent_runs_split_the_work)
{
	clinic = pl_test_clinic(NULL, 1);
	roster(3000, false);
	three_at_once("link");
	each_of("create_user", 3000, true);
	each_of("exchange", 3000, true);
	/* About 3,000 verifications in all (under 4,500 here), not 9,000: what one run verified
	 * before another began (they start milliseconds apart), the other
	 * verifies again. */
	pl_test_write(clinic, "mock-state/calls.log", 0600, "");
	three_at_once("verify");
	int verified = each_of("verify", 3000, false);
	printf("concurrent_runs_split_the_work: 3 x verify --all of 3000: %d verifications\n",
	       verified);
	ck_assert_msg(verified < 4500, "%d verifications for 3000 practitioners", verified);
}
END_TEST

/* A link another run verified after this one began is left alone, and
 * the summary counts it: here, one whose record says it was verified at a
 * time still to come. */
START_TEST(done_elsewhere_is_counted)
{
	char *rec, *at, *end;

	clinic = pl_test_clinic(NULL, 1);
	roster(3, false);
	ck_assert_int_eq(run("link", "--all"), 0);
	rec = pl_test_record(clinic, "b001");
	ck_assert_ptr_nonnull(at = strstr(rec, "\"verified_at\":\t\""));
	at += strlen("\"verified_at\":\t\"");
	ck_assert_ptr_nonnull(end = strchr(at, '"'));
	ck_assert_int_eq((int)(end - at), 24); /* milliseconds kept */
	memcpy(at, "2099-01-01T00:00:00.000Z", 24);
	pl_test_write(clinic, "store/practitioners/b001.json", 0600, rec);
	pl_test_write(clinic, "mock-state/calls.log", 0600, "");
	ck_assert_int_eq(run("verify", "--all"), 0);
	expect_in(out, "3 practitioners: 3 linked");
	expect_in(out, "done elsewhere: 1 (another run did them after this one began)");
	ck_assert_int_eq(calls("verify b001 "), 0);
	ck_assert_int_eq(calls("verify b000 "), 1);
	ck_assert_int_eq(run("--json", "verify", "--all"), 0);
	expect_in(out, "\"done_elsewhere\":\t1");
	free(rec);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bulk");
	TCase *tc = tcase_create("bulk");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, failures_then_the_rest);
	tcase_add_test(tc, interrupted_and_resumed);
	tcase_add_test(tc, connections_are_reused);
	tcase_add_test(tc, progress_on_a_terminal_only);
	tcase_add_test(tc, concurrent_runs_split_the_work);
	tcase_add_test(tc, done_elsewhere_is_counted);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
