/* SPDX-License-Identifier: MIT */
/* test_physitrack.c - physitrack.so and the HTTP core, through practlink(1),
 * against the fake Physitrack server on loopback: the assisted link, the
 * authentication rules, each fault the network can bring, and no key in
 * any output. */
#include "internal.h"
#include "testutil.h"

#include <poll.h>
#include <pty.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PMS_KEY "PmsKey0123456789abcdefghijKLMNOP"
#define PT_KEY "PtKeyCanary0123456789abcdef"
#define AU_PMS "PmsKey0123456789abcdefghijKLMNAU"
#define AU_KEY "PtKeyAustralia0123456789"

static char *clinic, *out, *err;
static pl_fake fake;

#define run_with(in, ...) pl_test_practlink(clinic, NULL, in, &out, &err, __VA_ARGS__)
#define run(...) run_with(NULL, __VA_ARGS__, (char *)NULL)
#define expect_in pl_test_expect_in
#define expect_not_in pl_test_expect_not_in

/* The clinic's physitrack integration, with settings and http options. */
static void configure(const char *pms_name, const char *settings, const char *http)
{
	char text[1024];

	snprintf(text, sizeof text,
		 "pms_name = \"%s\";\nstore = { path = \"store\"; };\nhttp = { %s };\n", pms_name,
		 http ? http : "timeout_ms = 4000; retries = 2;");
	pl_test_write(clinic, "practlink.conf", 0644, text);
	snprintf(text, sizeof text,
		 "physitrack = { enabled = true; module = \"physitrack\";\n"
		 "  settings = { allow_insecure_http = true; %s }; };\n",
		 settings);
	pl_test_write(clinic, "integrations.d/physitrack.conf", 0644, text);
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = false; module = \"mock\"; };\n");
}

static void region(const char *r)
{
	char settings[256];

	snprintf(settings, sizeof settings,
		 "region = \"%s\"; base_url = \"http://127.0.0.1:%u/{region}\";", r, fake.port);
	configure("juvonno", settings, NULL);
}

static void setup(void)
{
	clinic = pl_test_clinic(NULL, 1);
	out = err = NULL;
	pl_fake_start(&fake, "uk " PT_KEY " juvonno " PMS_KEY " 450\n"
			     "au " AU_KEY " juvonno " AU_PMS "\n"
			     "uk PtDirectKey0123456789 - -\n");
	region("uk");
}

static void teardown(void)
{
	pl_fake_stop(&fake);
	pl_test_rmrf(clinic);
	free(clinic);
	free(out);
	free(err);
}

/* Adds id with the given PMS key. */
static void add(const char *id, const char *pms_key)
{
	char *path = pl_test_path(clinic, "pms-key"), email[80];

	/* The first is ada@; each practitioner has an email of their own. */
	snprintf(email, sizeof email, "%s@clinic.example", strcmp(id, "p1") == 0 ? "ada" : id);
	pl_test_write(clinic, "pms-key", 0600, pms_key);
	ck_assert_int_eq(run("practitioner", "add", id, "--first-name", "Ada", "--last-name",
			     "Lovelace", "--email", email, "--pms-key-file", path),
			 0);
	free(path);
}

/* practlink link id, the operator's key read from a file holding key. */
static int link_with(const char *id, const char *key)
{
	char *path = pl_test_path(clinic, "backend-key");
	int rc;

	pl_test_write(clinic, "backend-key", 0600, key);
	rc = run("link", id, "--backend-key-file", path);
	free(path);
	return rc;
}

/* Asserts that id's record holds no platform key. */
static void nothing_kept(const char *id)
{
	char rel[64], *path, *rec;

	snprintf(rel, sizeof rel, "store/practitioners/%s.json", id);
	path = pl_test_path(clinic, rel);
	rec = pl_test_read(path);
	ck_assert_ptr_nonnull(rec);
	expect_in(rec, "\"backend_key\":\tnull");
	free(rec);
	free(path);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(assisted_link_verify_status_doctor)
{
	add("p1", PMS_KEY);
	ck_assert_int_eq(link_with("p1", "  " PT_KEY " \n"), 0); /* pasted with spaces */
	expect_in(out, "p1: linked");
	expect_in(err, "click + Add user");
	expect_in(err, "(unconfirmed)");
	expect_in(err, "choose Juvonno");
	expect_in(err, "PMS Token field");
	ck_assert_int_eq(run("verify", "p1"), 0);
	ck_assert_int_eq(run("status", "p1"), 0);
	expect_in(out, "p1 physitrack  linked ");
	expect_in(out, " cdef ");
	ck_assert_int_eq(run("doctor", "p1"), 0);
	expect_in(out, "ok    p1 on physitrack: linked, and the platform accepts the keys now");
	/* Every verification was the patient-free read. */
	ck_assert_int_ge(pl_fake_count(&fake, "requests /uk/api/v2/exercises"), 3);
	ck_assert_int_eq(pl_fake_count(&fake, "requests /uk/api/v2/clients"), 0);
	/* Unlinking is the operator's step too, in Physitrack's words. */
	ck_assert_int_eq(run("unlink", "p1"), 0);
	expect_in(out, "Integrate with: remove Juvonno");
}
END_TEST

START_TEST(rejected_keys)
{
	add("p1", PMS_KEY);
	ck_assert_int_eq(link_with("p1", "PtKeyWrong000\n"), 77);
	expect_in(err, "Physitrack rejected the keys (HTTP 401): Practitioner was not found");
	expect_in(err, "hint: make sure both keys were exchanged");
	nothing_kept("p1");

	add("p2", "PmsKey0123456789abcdefghijWRONG");
	ck_assert_int_eq(link_with("p2", PT_KEY), 77);
	nothing_kept("p2");

	/* A PMS name the platform does not know (Juvonno's is "juvonno"). */
	char settings[256];
	snprintf(settings, sizeof settings,
		 "region = \"uk\"; base_url = \"http://127.0.0.1:%u/{region}\";", fake.port);
	configure("cliniko", settings, NULL);
	add("p3", PMS_KEY);
	ck_assert_int_eq(link_with("p3", PT_KEY), 77);
	nothing_kept("p3");
}
END_TEST

START_TEST(another_region)
{
	add("p1", AU_PMS);
	ck_assert_int_eq(link_with("p1", AU_KEY), 77);
	expect_in(err, "the keys work on region 'au', not on 'uk'");
	/* The hint is the region's, not the generic one for refused keys. */
	expect_in(err, "hint: set region = \"au\" in this integration's settings");
	expect_not_in(err, "make sure both keys were exchanged");
	nothing_kept("p1");
	/* Linked on au, then the configuration says uk: doctor finds it. */
	region("au");
	ck_assert_int_eq(link_with("p1", AU_KEY), 0);
	region("uk");
	ck_assert_int_eq(run("doctor", "p1"), 77);
	expect_in(out, "FAIL  p1 on physitrack: ");
	expect_in(out, "the keys work on region 'au', not on 'uk'");
}
END_TEST

/* A 403 is access refused, with its own hint: not "the keys were typed
 * wrong". */
START_TEST(forbidden_is_not_a_wrong_key)
{
	add("p1", PMS_KEY);
	pl_fake_fault(&fake, "status 403 1");
	ck_assert_int_eq(link_with("p1", PT_KEY), 77);
	expect_in(err, "Physitrack refused access (HTTP 403: the practitioner's integration may be "
		       "off, or the account lacks API access)");
	expect_in(err, "hint: in Physitrack, check that the practitioner's integration");
	expect_not_in(err, "rejected the keys");
	nothing_kept("p1");
}
END_TEST

/* SIGTERM during verify --all -j 8 against a platform that never
 * answers: the requests in flight end, and practlink with them, at once,
 * not after http.timeout_ms. */
START_TEST(sigterm_ends_requests_in_flight)
{
	char region_settings[256];
	int status;

	snprintf(region_settings, sizeof region_settings,
		 "region = \"uk\"; base_url = \"http://127.0.0.1:%u/{region}\";", fake.port);
	configure("juvonno", region_settings, "timeout_ms = 60000; retries = 0;");
	for (int i = 0; i < 8; i++) {
		char id[8];
		snprintf(id, sizeof id, "s%d", i);
		add(id, PMS_KEY);
		ck_assert_int_eq(link_with(id, PT_KEY), 0);
	}
	long before = pl_fake_count(&fake, "requests /uk/api/v2/exercises");
	pl_fake_fault(&fake, "hang 8");
	pid_t pid = pl_test_spawn(
		pl_test_practlink_words(clinic, "verify", "--all", "-j", "8", (char *)NULL));
	/* Every worker has its request in flight. */
	for (int i = 0;
	     i < 200 && pl_fake_count(&fake, "requests /uk/api/v2/exercises") < before + 8; i++)
		usleep(50000);
	ck_assert_int_eq(pl_fake_count(&fake, "requests /uk/api/v2/exercises"), before + 8);
	long long t0 = now_ms();
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	long long took = now_ms() - t0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 143, "status %d", status);
	ck_assert_msg(took < 2000 * pl_test_slow(), "exit took %lld ms", took);
	printf("sigterm_ends_requests_in_flight: exit 143 %lld ms after SIGTERM\n", took);
	pl_fake_fault(&fake, "none");
}
END_TEST

/* A platform whose errors repeat the keys it was sent: the keys never
 * reach a message, the record, status or a log line. */
START_TEST(echoed_keys_are_withheld)
{
	add("p1", PMS_KEY);
	pl_fake_fault(&fake, "echo 10");
	char *path = pl_test_path(clinic, "backend-key");
	pl_test_write(clinic, "backend-key", 0600, PT_KEY);
	ck_assert_int_eq(run("-v", "link", "p1", "--backend-key-file", path), 77);
	expect_in(err, "bad key [key withheld]");
	expect_in(err, "pms key [key withheld] unknown");
	expect_not_in(err, PT_KEY);
	expect_not_in(err, PMS_KEY);
	ck_assert_int_eq(run("--json", "status", "p1"), 0);
	expect_not_in(out, PT_KEY);
	expect_not_in(out, PMS_KEY);
	char *rec = pl_test_record(clinic, "p1");
	expect_not_in(strstr(rec, "\"error\""), PT_KEY);
	expect_not_in(strstr(rec, "\"error\""), PMS_KEY);
	free(rec);
	free(path);
}
END_TEST

/* doctor: a base_url that is not a URL, and a platform that does not
 * answer, are failures before any key is tried. */
START_TEST(doctor_checks_the_address)
{
	char settings[256];

	add("p1", PMS_KEY);
	ck_assert_int_eq(run("doctor"), 0);
	expect_in(out, "Physitrack answers at http://127.0.0.1:");
	/* The README's placeholder left in. */
	configure("juvonno", "region = \"uk\"; base_url = \"http://127.0.0.1:N/{region}\";", NULL);
	ck_assert_int_eq(run("doctor"), 78);
	expect_in(out, "physitrack.conf:2: physitrack.settings: base_url "
		       "\"http://127.0.0.1:N/{region}\" is not a URL: the port \"N\" is not a "
		       "number");
	ck_assert_int_eq(run("link", "p1", "--backend-key-file", "/dev/null"), 78);
	expect_in(err, "is not a URL");
	/* Nothing listens there. */
	snprintf(settings, sizeof settings,
		 "region = \"uk\"; base_url = \"http://127.0.0.1:%u/{region}\";",
		 fake.port == 65535 ? 65534 : fake.port + 1);
	configure("juvonno", settings, "connect_timeout_ms = 500; timeout_ms = 1500; retries = 0;");
	ck_assert_int_eq(run("doctor"), 75);
	expect_in(out, "FAIL  integration physitrack: physitrack: ");
}
END_TEST

START_TEST(pt_direct_and_wrong_base)
{
	char settings[256];

	snprintf(settings, sizeof settings,
		 "auth = \"pt_direct\"; region = \"uk\"; base_url = "
		 "\"http://127.0.0.1:%u/{region}\";",
		 fake.port);
	configure("juvonno", settings, NULL);
	add("p1", PMS_KEY);
	ck_assert_int_eq(link_with("p1", "PtDirectKey0123456789"), 0);

	snprintf(settings, sizeof settings, "base_url = \"http://127.0.0.1:%u/moon\";", fake.port);
	configure("juvonno", settings, NULL);
	add("p2", PMS_KEY);
	ck_assert_int_eq(link_with("p2", PT_KEY), 78);
	expect_in(err, "(HTTP 404): check the region");

	configure("juvonno", "region = \"mars\";", NULL);
	ck_assert_int_eq(run("doctor"), 78);
	expect_in(out, "region \"mars\" is unknown");

	/* Plain HTTP goes to loopback only; nothing is sent elsewhere. */
	configure("juvonno", "base_url = \"http://physitrack.invalid/{region}\"; region = \"uk\";",
		  NULL);
	ck_assert_int_eq(link_with("p2", PT_KEY), 78);
	expect_in(err, "only https is allowed");
}
END_TEST

/* Each fault: its exit code, its hint, and nothing kept. */
START_TEST(faults)
{
	static const struct {
		const char *spec;
		int rc;
		const char *says;
		long requests;
	} cases[] = {
		{ "status 503 3", 75, "answered HTTP 503, still after retries", 3 },
		{ "status 500 1", 75, "answered HTTP 500", 1 },
		{ "retry-after 30 1", 75, "HTTP 429", 1 },
		{ "reset 3", 75, "Server returned nothing", 3 },
		{ "truncated 3", 75, "Transferred a partial file", 3 },
		{ "malformed 1", 76, "not the documented answer", 1 },
		{ "oversized 1 50000000", 76, "larger than 1048576 bytes", 1 },
		{ "redirect 1", 76, "redirect (HTTP 302), not followed", 1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char id[16];
		long before = pl_fake_count(&fake, "requests /uk/api/v2/exercises");
		long long t0 = now_ms();

		snprintf(id, sizeof id, "f%zu", i);
		add(id, PMS_KEY);
		pl_fake_fault(&fake, cases[i].spec);
		ck_assert_msg(link_with(id, PT_KEY) == cases[i].rc, "%s: %s", cases[i].spec, err);
		expect_in(err, cases[i].says);
		/* A Retry-After past the timeout says when to try again. */
		if (strncmp(cases[i].spec, "retry-after", 11) == 0)
			expect_in(err, "hint: try again after 30 seconds");
		else
			expect_in(err, practlink_hint(cases[i].rc == 75 ? PRACTLINK_TRANSIENT
									: PRACTLINK_PROTOCOL));
		nothing_kept(id);
		ck_assert_int_eq(pl_fake_count(&fake, "requests /uk/api/v2/exercises") - before,
				 cases[i].requests);
		/* A Retry-After beyond the timeout ends the wait at once. */
		if (strncmp(cases[i].spec, "retry-after", 11) == 0)
			ck_assert_int_lt(now_ms() - t0, 3000 * pl_test_slow());
		/* An oversized answer is refused as it arrives, not held. */
		if (strncmp(cases[i].spec, "oversized", 9) == 0 && pl_test_slow() == 1)
			ck_assert_int_lt(pl_test_last_maxrss_kib, 40 * 1024);
		pl_fake_fault(&fake, "none");
	}
	ck_assert_int_eq(pl_fake_count(&fake, "requests /_redirected"), 0);
}
END_TEST

START_TEST(retries_then_success)
{
	long long t0;

	add("p1", PMS_KEY);
	pl_fake_fault(&fake, "status 503 2");
	ck_assert_int_eq(link_with("p1", PT_KEY), 0);
	ck_assert_int_eq(pl_fake_count(&fake, "requests /uk/api/v2/exercises"), 3);

	add("p2", PMS_KEY);
	pl_fake_fault(&fake, "retry-after 1 1");
	t0 = now_ms();
	ck_assert_int_eq(link_with("p2", PT_KEY), 0);
	ck_assert_int_ge(now_ms() - t0, 1000); /* it waited as asked */
	ck_assert_int_eq(pl_fake_count(&fake, "requests /uk/api/v2/exercises"), 5);
}
END_TEST

START_TEST(hang_ends_at_the_timeout)
{
	char settings[256];
	long long t0;

	snprintf(settings, sizeof settings,
		 "region = \"uk\"; base_url = \"http://127.0.0.1:%u/{region}\";", fake.port);
	configure("juvonno", settings, "timeout_ms = 1500; retries = 1;");
	add("p1", PMS_KEY);
	pl_fake_fault(&fake, "hang 5");
	t0 = now_ms();
	ck_assert_int_eq(link_with("p1", PT_KEY), 75);
	ck_assert_int_lt(now_ms() - t0, 6000 * pl_test_slow());
	expect_in(err, "hint: the platform did not answer in time");
	nothing_kept("p1");
	pl_fake_fault(&fake, "none");
}
END_TEST

START_TEST(assisted_on_a_terminal)
{
	char screen[16384] = "";
	int master, status;
	pid_t pid;

	add("p1", PMS_KEY);
	pid = forkpty(&master, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char **argv = pl_test_practlink_words(clinic, "link", "p1", (char *)NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	ck_assert(pl_test_read_until(master, screen, sizeof screen, "Platform key (not shown"));
	/* The PMS key to paste is on the terminal, and only there. */
	expect_in(screen, "PMS key to paste: " PMS_KEY);
	ck_assert(write(master, PT_KEY "\n", strlen(PT_KEY) + 1) > 0);
	pl_test_read_until(master, screen, sizeof screen, "p1: linked");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", screen);
	expect_not_in(strstr(screen, "Platform key"), PT_KEY); /* not echoed */
	close(master);
}
END_TEST

START_TEST(no_key_in_any_output)
{
	char all[65536] = "", *audit, *path;

	add("p1", PMS_KEY);
	pl_test_write(clinic, "backend-key", 0600, "\n");
	path = pl_test_path(clinic, "backend-key");
	ck_assert_int_eq(run("-v", "link", "p1", "--backend-key-file", path), 65);
	strcat(all, err);
	pl_test_write(clinic, "backend-key", 0600, PT_KEY);
	ck_assert_int_eq(run("-v", "link", "p1", "--backend-key-file", path), 0);
	strcat(all, out);
	strcat(all, err);
	const char *const cmds[][2] = { { "verify", "p1" },
					{ "status", NULL },
					{ "doctor", "p1" } };
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		run("-v", cmds[i][0], cmds[i][1]);
		strncat(all, out, sizeof all - strlen(all) - 1);
		strncat(all, err, sizeof all - strlen(all) - 1);
		run("--json", cmds[i][0], cmds[i][1]);
		strncat(all, out, sizeof all - strlen(all) - 1);
	}
	expect_in(all, "GET http://127.0.0.1:"); /* -v shows requests ... */
	expect_not_in(all, PT_KEY);              /* ... never their keys */
	expect_not_in(all, PMS_KEY);
	free(path);
	path = pl_test_path(clinic, "store/audit.log");
	audit = pl_test_read(path);
	expect_not_in(audit, PT_KEY);
	expect_not_in(audit, PMS_KEY);
	free(audit);
	free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("physitrack");
	TCase *tc = tcase_create("physitrack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, assisted_link_verify_status_doctor);
	tcase_add_test(tc, rejected_keys);
	tcase_add_test(tc, another_region);
	tcase_add_test(tc, pt_direct_and_wrong_base);
	tcase_add_test(tc, forbidden_is_not_a_wrong_key);
	tcase_add_test(tc, doctor_checks_the_address);
	tcase_add_test(tc, echoed_keys_are_withheld);
	tcase_add_test(tc, sigterm_ends_requests_in_flight);
	tcase_add_test(tc, faults);
	tcase_add_test(tc, retries_then_success);
	tcase_add_test(tc, hang_ends_at_the_timeout);
	tcase_add_test(tc, assisted_on_a_terminal);
	tcase_add_test(tc, no_key_in_any_output);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
