/* SPDX-License-Identifier: MIT */
/* test_operator.c - practlink(1) as a new sysadmin meets it: options where
 * habit puts them, a message and a fitting hint for every failure, a cron
 * check that can be trusted, doctor failing when a link cannot work, keys
 * and rosters pasted from the real world, a terminal left as it was, and
 * --json on every command. */
#include "internal.h"
#include "testutil.h"

#include <cjson/cJSON.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static char *clinic, *out, *err;

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
}

#define run_with(in, ...) pl_test_practlink(clinic, NULL, in, &out, &err, __VA_ARGS__)
#define run(...) run_with(NULL, __VA_ARGS__, (char *)NULL)
#define expect_in pl_test_expect_in
#define expect_not_in pl_test_expect_not_in

/* Runs practlink with exactly these words: no --config first. */
static int run_bare(const char *first, ...)
{
	char *argv[40], prog[4200];
	const char *w;
	int argc = 0;
	va_list ap;

	snprintf(prog, sizeof prog, "%s/cli/practlink", pl_test_env("PL_BUILDDIR"));
	argv[argc++] = prog;
	va_start(ap, first);
	for (w = first; w && argc < 39; w = va_arg(ap, const char *))
		argv[argc++] = (char *)w;
	va_end(ap);
	argv[argc] = NULL;
	free(out);
	free(err);
	return pl_test_run(argv, NULL, &out, &err);
}

/* The clinic's config path and the built modules, for run_bare. */
static char *conf(void)
{
	static char path[4200];
	snprintf(path, sizeof path, "%s/practlink.conf", clinic);
	return path;
}

#define MODS pl_test_env("PL_MODULE_DIR")

/* How often frag occurs in text. */
static int count(const char *text, const char *frag)
{
	int n = 0;

	for (const char *at = text ? strstr(text, frag) : NULL; at; at = strstr(at + 1, frag))
		n++;
	return n;
}

/* Asserts that text is one JSON document, and returns it parsed. */
static cJSON *json(const char *text)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithOpts(text, &end, 0);

	ck_assert_msg(doc != NULL, "not JSON: %s", text);
	while (end && (*end == '\n' || *end == ' '))
		end++;
	ck_assert_msg(end && !*end, "more than one document: %s", text);
	return doc;
}

/* Asserts that a failure's JSON document names status and exit, and has a
 * message. */
static void expect_json_failure(const char *text, const char *status, int exit_code)
{
	cJSON *doc = json(text);

	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "status")), status);
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "exit")), exit_code);
	ck_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "message"))) > 0);
	ck_assert(cJSON_GetObjectItem(doc, "hint") != NULL);
	cJSON_Delete(doc);
}

/* Starts "practlink link A B" on a new pseudo-terminal; *master is its
 * other end. */
static pid_t on_terminal(int *master, const char *a, const char *b)
{
	pid_t pid = forkpty(master, NULL, NULL, NULL);

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char **argv = pl_test_practlink_words(clinic, "link", a, b, (char *)NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* --- 1. habits of git, systemctl, apt --------------------------------------- */

START_TEST(global_options_anywhere)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run_bare("status", "--json", "--config", conf(), "--module-dir", MODS,
				  (char *)NULL),
			 0);
	cJSON_Delete(json(out));
	ck_assert_int_eq(run_bare("link", "p1", "--config", conf(), "-q", "--module-dir", MODS,
				  (char *)NULL),
			 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run_bare("verify", "--all", "-q",
				  "--config="
				  "/nonexistent",
				  "--config", conf(), "--module-dir", MODS, (char *)NULL),
			 0);
	ck_assert_str_eq(out, "");
	/* A value that looks like a global option stays the option's value. */
	ck_assert_int_eq(run("practitioner", "add", "p2", "--first-name", "-v", "--last-name", "X",
			     "--email", "p2@clinic.example"),
			 0);
	ck_assert_int_eq(run("practitioner", "show", "p2"), 0);
	expect_in(out, "-v X");
}
END_TEST

START_TEST(help_for_a_command)
{
	ck_assert_int_eq(run_bare("help", "status", (char *)NULL), 0);
	expect_in(out, "usage: practlink status [ID] [-i INTEGRATION]");
	ck_assert_int_eq(run_bare("--help", "verify", (char *)NULL), 0);
	expect_in(out, "usage: practlink verify");
	ck_assert_int_eq(run_bare("help", (char *)NULL), 0);
	expect_in(out, "help [COMMAND]");
	ck_assert_int_eq(run_bare("help", "stats", (char *)NULL), 64);
	expect_in(err, "did you mean 'status'?");
}
END_TEST

START_TEST(suggests_the_nearest)
{
	ck_assert_int_eq(run("stauts"), 64);
	expect_in(err, "unknown command 'stauts'; did you mean 'status'?");
	ck_assert_int_eq(run("verfy", "--all"), 64);
	expect_in(err, "did you mean 'verify'?");
	ck_assert_int_eq(run("status", "--jsno"), 64);
	expect_in(err, "--jsno: unknown option; did you mean '--json'?");
	ck_assert_int_eq(run("link", "--dryrun", "p1"), 64);
	expect_in(err, "did you mean '--dry-run'?");
	ck_assert_int_eq(run("practitioner", "lst"), 64);
	expect_in(err, "did you mean 'list'?");
	/* Nothing near: no guess. */
	ck_assert_int_eq(run("zzzzzzzz"), 64);
	expect_not_in(err, "did you mean");
}
END_TEST

START_TEST(quiet_quiets_every_command)
{
	pl_test_write(clinic, "roster.csv", 0644,
		      "id,first_name,last_name,email\nr1,Ada,Lovelace,r1@clinic.example\n");
	char *roster = pl_test_path(clinic, "roster.csv");
	ck_assert_int_eq(run("-q", "practitioner", "import", roster), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run("-q", "practitioner", "add", "p1", "--first-name", "A", "--last-name",
			     "B", "--email", "p1@clinic.example"),
			 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run("-q", "link", "--all"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run("-q", "rotate", "p1"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run("-q", "unlink", "p1"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run("-q", "practitioner", "remove", "p1"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run("-q", "doctor"), 0);
	ck_assert_str_eq(out, "");
	free(roster);
}
END_TEST

/* --- 2. no empty message, ever ------------------------------------------------ */

/* Each failure status the mock can return from each step: every command
 * that meets it says something, with --json too. */
START_TEST(every_status_has_a_message)
{
	static const char *const steps[] = { "find_user", "exchange", "verify" };

	for (int s = 1; s < 64; s++) {
		const char *name = practlink_status_name((practlink_status)s);
		char settings[256];

		if (strcmp(name, "INTERNAL") == 0 && s != PRACTLINK_INTERNAL)
			break; /* past the end of the list */
		for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
			snprintf(settings, sizeof settings,
				 "fail_step = \"%s\"; fail_status = \"%s\";", steps[k], name);
			pl_test_rmrf(clinic);
			free(clinic);
			clinic = pl_test_clinic(settings, 1);
			pl_test_add(clinic, "p1");
			int rc = run("link", "p1");
			if (rc == 0)
				continue; /* verify's fault only shows on verify */
			/* (NO_USER from find_user is no failure: the user is made.) */
			ck_assert_msg(strncmp(err, "practlink: ", 11) == 0 && strlen(err) > 20 &&
					      err[11] != '\n',
				      "%s at %s: '%s'", name, steps[k], err);
			ck_assert_msg(!strstr(err, practlink_strerror((practlink_status)s)) ||
					      strstr(err, "injected"),
				      "%s at %s: only the status's words: '%s'", name, steps[k],
				      err);
			ck_assert_int_eq(run("--json", "link", "p1"), rc);
			cJSON *failure = json(out);
			expect_json_failure(
				out, cJSON_GetStringValue(cJSON_GetObjectItem(failure, "status")),
				rc);
			cJSON_Delete(failure);
			ck_assert_int_eq(run("--json", "link", "--all"), rc);
			cJSON *doc = json(out),
			      *f = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "failed"), 0);
			ck_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(f, "message"))));
			cJSON_Delete(doc);
			ck_assert_int_eq(run("--json", "status", "p1"), 0);
			doc = json(out);
			f = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "error");
			ck_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(f, "message"))));
			cJSON_Delete(doc);
		}
	}
}
END_TEST

/* A module that does not load, or refuses its settings: each command that
 * meets it gives doctor's sentence, once. */
START_TEST(module_failures_read_the_same_everywhere)
{
	pl_test_add(clinic, "p1");
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"rehabplatform\"; };\n");
	const char *const cmds[][4] = { { "link", "p1" },    { "verify", "p1" },
					{ "rotate", "p1" },  { "unlink", "p1" },
					{ "link", "--all" }, { "verify", "--all" } };
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		ck_assert_int_eq(run(cmds[i][0], cmds[i][1]), 69);
		ck_assert_msg(count(out, "rehabplatform.so: No such file") +
					      count(err, "rehabplatform.so: No such file") ==
				      1,
			      "%s %s: out '%s' err '%s'", cmds[i][0], cmds[i][1], out, err);
		ck_assert_int_eq(run("--json", cmds[i][0], cmds[i][1]), 69);
		expect_in(out, "rehabplatform.so: No such file");
		cJSON_Delete(json(out));
	}
	ck_assert_int_eq(run("doctor"), 69);
	expect_in(out, "rehabplatform.so: No such file");

	/* A setting of the wrong value: file, line and setting, never doubled. */
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\";\n"
		      "  settings = { state_dir = \"../s\";\n"
		      "    fail_rate = 7; }; };\n");
	ck_assert_int_eq(run("link", "p1"), 78);
	expect_in(err, "mock.conf:3: mock.settings: fail_rate must lie in 0..1");
	expect_not_in(err, "mock: mock:");
	ck_assert_int_eq(count(err, "fail_rate must lie"), 1);
	ck_assert_int_eq(run("doctor"), 78);
	expect_in(out, "mock.conf:3: mock.settings: fail_rate must lie in 0..1");
	/* Of the wrong type. */
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\";\n"
		      "  settings = { latency_ms = \"x\"; }; };\n");
	ck_assert_int_eq(run("verify", "--all"), 78);
	expect_in(out, "mock.conf:2: 'mock.settings.latency_ms' must be a whole number");
	/* A module whose open fails. */
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\";\n"
		      "  settings = { fail_step = \"open\"; fail_status = \"TRANSIENT\"; }; };\n");
	ck_assert_int_eq(run("link", "p1"), 75);
	expect_in(err, "injected failure at open");
}
END_TEST

START_TEST(unknown_module_settings_warn_once)
{
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\"; create_missing_users = true;\n"
		      "  settings = { state_dir = \"../s\";\n"
		      "    latncy_ms = 5; }; };\n");
	for (int i = 0; i < 4; i++) {
		char id[8];
		snprintf(id, sizeof id, "p%d", i);
		pl_test_add(clinic, id);
	}
	ck_assert_int_eq(run("link", "--all", "-j", "4"), 0);
	expect_in(err, "mock.conf:3: unknown setting 'mock.settings.latncy_ms' (ignored)");
	ck_assert_int_eq(count(err, "latncy_ms"), 1);
	/* The core's own setting in the group is known. */
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\";\n"
		      "  settings = { state_dir = \"../s\"; allow_insecure_http = false; }; };\n");
	ck_assert_int_eq(run("verify", "--all"), 0);
	expect_not_in(err, "unknown setting");
}
END_TEST

/* --- 3. hints that fit the cause ------------------------------------------------- */

START_TEST(hints_fit_the_cause)
{
	char *key = pl_test_path(clinic, "key");

	/* A weak PMS key is not a key copied with spaces. */
	pl_test_write(clinic, "key", 0600, "short1A\n");
	ck_assert_int_eq(run("practitioner", "add", "p1", "--first-name", "A", "--last-name", "B",
			     "--email", "a@b.c", "--pms-key-file", key),
			 65);
	expect_in(err, "too weak");
	expect_not_in(err, "without spaces");
	expect_in(err, "hint: give a stronger key, or none");
	/* A config open to others: the fix, not a line that is not named. */
	char *path = pl_test_path(clinic, "practlink.conf");
	ck_assert_int_eq(chmod(path, 0664), 0);
	ck_assert_int_eq(run("status"), 78);
	expect_in(err, "hint: run: chmod go-w ");
	expect_not_in(err, "line named");
	ck_assert_int_eq(chmod(path, 0644), 0);
	/* A store open to others, as root too: never "ask your administrator". */
	pl_test_add(clinic, "p2");
	char *store = pl_test_path(clinic, "store");
	ck_assert_int_eq(chmod(store, 0755), 0);
	ck_assert_int_eq(run("status"), 77);
	expect_not_in(err, "administrator");
	ck_assert_int_eq(chmod(store, 0700), 0);
	free(store);
	free(path);
	free(key);
}
END_TEST

START_TEST(ctrl_d_is_no_key_given)
{
	char screen[16384] = "";
	int master, status;
	pid_t pid;

	pl_test_add(clinic, "p1");
	pid = on_terminal(&master, "--assisted", "p1");
	ck_assert(pl_test_read_until(master, screen, sizeof screen, "Platform key (not shown"));
	ck_assert(write(master, "\x04", 1) == 1);
	pl_test_read_until(master, screen, sizeof screen, "hint:");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 65, "%s", screen);
	expect_in(screen, "no key given for p1");
	expect_not_in(screen, "wrong usage");
	close(master);
}
END_TEST

/* --- 4. a cron check to trust, and no store made by reading ------------------- */

/* Two enabled integrations on the mock, a and b. */
static void two_integrations(const char *b_settings)
{
	char text[512];

	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = false; module = \"mock\"; };\n");
	pl_test_write(clinic, "integrations.d/a.conf", 0644,
		      "a = { enabled = true; module = \"mock\"; create_missing_users = true;\n"
		      "  settings = { state_dir = \"../state-a\"; }; };\n");
	snprintf(text, sizeof text,
		 "b = { enabled = true; module = \"mock\"; create_missing_users = true;\n"
		 "  settings = { state_dir = \"../state-b\"; %s }; };\n",
		 b_settings);
	pl_test_write(clinic, "integrations.d/b.conf", 0644, text);
}

START_TEST(verify_all_checks_every_enabled_integration)
{
	two_integrations("");
	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	pl_test_add(clinic, "p3");
	ck_assert_int_eq(run("link", "p1", "-i", "a"), 0);
	ck_assert_int_eq(run("link", "p2", "-i", "b"), 0);
	/* No -i with two enabled: both are checked, the unlinked are not due. */
	ck_assert_int_eq(run("verify", "--all"), 0);
	expect_in(out, "6 practitioners: 4 unlinked 2 linked");
	expect_in(out, "by status: OK 6");
	ck_assert_int_eq(run("-q", "verify", "--all"), 0);
	ck_assert_str_eq(out, "");
	/* One link breaks: the run says which, and exits with its status. */
	two_integrations("fail_step = \"verify\"; fail_status = \"AUTH\";");
	ck_assert_int_eq(run("-q", "verify", "--all"), 77);
	expect_in(out, "p2 on b (AUTH): ");
	expect_not_in(out, "p1 on a (");
	/* Naming one practitioner on one integration: not linked is an error. */
	ck_assert_int_eq(run("verify", "p3", "-i", "a"), 67);
}
END_TEST

START_TEST(reading_never_creates_a_store)
{
	char *store = pl_test_path(clinic, "store");
	struct stat st;

	const char *const reads[][3] = { { "status", NULL },
					 { "verify", "--all" },
					 { "link", "--dry-run" },
					 { "practitioner", "list" } };
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		int rc = reads[i][1] && strcmp(reads[i][1], "--dry-run") == 0
				 ? run(reads[i][0], reads[i][1], "--all")
			 : reads[i][1] ? run(reads[i][0], reads[i][1])
				       : run(reads[i][0]);
		ck_assert_msg(rc == 78, "%s: %d", reads[i][0], rc);
		expect_in(err, "store: the store folder does not exist (store.path, ");
		expect_in(err, "practlink.conf:3)");
		ck_assert_int_eq(stat(store, &st), -1);
	}
	/* doctor says so, as a warning: a new clinic has no store yet. */
	ck_assert_int_eq(run("doctor"), 0);
	expect_in(out, "warn  store: ");
	expect_in(out, "store: not created yet");
	ck_assert_int_eq(stat(store, &st), -1);
	pl_test_add(clinic, "p1"); /* add makes it */
	ck_assert_int_eq(stat(store, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	free(store);
}
END_TEST

/* --- 5. doctor fails when a link cannot work -------------------------------------- */

START_TEST(doctor_fails_when_a_link_cannot_work)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("doctor"), 0);
	expect_in(out, "ok    integration mock: the mock platform answers");

	/* A record open to others. */
	char *rec = pl_test_path(clinic, "store/practitioners/p1.json");
	ck_assert_int_eq(chmod(rec, 0644), 0);
	ck_assert_int_eq(run("doctor"), 77);
	expect_in(out, "FAIL  store: 1 of 1 records in ");
	expect_in(out, "hint: run: chmod 600 ");
	ck_assert_int_eq(chmod(rec, 0600), 0);
	/* The store folder open to others. */
	char *store = pl_test_path(clinic, "store");
	ck_assert_int_eq(chmod(store, 0750), 0);
	ck_assert_int_eq(run("doctor"), 77);
	expect_in(out, "FAIL  store: ");
	expect_in(out, "open to others (mode 0750)");
	ck_assert_int_eq(chmod(store, 0700), 0);
	/* The platform does not answer. */
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\";\n"
		      "  settings = { state_dir = \"../mock-state\"; fail_step = \"probe\";\n"
		      "    fail_status = \"TRANSIENT\"; }; };\n");
	ck_assert_int_eq(run("doctor"), 75);
	expect_in(out, "FAIL  integration mock: mock: injected failure at probe");
	/* Every integration disabled. */
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = false; module = \"mock\"; };\n");
	ck_assert_int_eq(run("doctor"), 69);
	expect_in(out, "FAIL  integrations: none is enabled");
	free(store);
	free(rec);
}
END_TEST

START_TEST(doctor_suggests_commands_that_work)
{
	two_integrations("");
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("doctor", "p1"), 0);
	expect_in(out, "ready to link: practlink link p1 -i a");
	expect_in(out, "ready to link: practlink link p1 -i b");
	/* The suggestion runs. */
	ck_assert_int_eq(run("link", "p1", "-i", "a"), 0);
}
END_TEST

/* --- 6. copy and paste from the real world ------------------------------------------ */

#define GOOD_KEY "Canary0123456789abcdefXYZ0pqrs"

START_TEST(pasted_keys_lose_their_invisible_blanks)
{
	static const char *const blanks[] = { "\xc2\xa0",     "\xe2\x80\x8b", "\xe2\x80\x8d",
					      "\xef\xbb\xbf", "\xe2\x80\xaf", "\xe2\x80\x8c" };
	char *key = pl_test_path(clinic, "key"), text[128], id[8];

	for (size_t i = 0; i < sizeof blanks / sizeof blanks[0]; i++) {
		snprintf(text, sizeof text, "%s %s" GOOD_KEY "%s\t\n", blanks[i], blanks[i],
			 blanks[i]);
		pl_test_write(clinic, "key", 0600, text);
		snprintf(id, sizeof id, "k%zu", i);
		char email[32];
		snprintf(email, sizeof email, "%s@b.c", id);
		ck_assert_msg(run("practitioner", "add", id, "--first-name", "A", "--last-name",
				  "B", "--email", email, "--pms-key-file", key) == 0,
			      "blank %zu: %s", i, err);
		char *rec = pl_test_record(clinic, id);
		expect_in(rec, "\"pms_key\":\t\"" GOOD_KEY "\"");
		free(rec);
	}
	/* Anything else that is not ASCII, inside: refused with its place. */
	pl_test_write(clinic, "key", 0600,
		      "Canary0123456789\xc3\xa9"
		      "bcdefXYZ0pqrs\n");
	ck_assert_int_eq(run("practitioner", "add", "x1", "--first-name", "A", "--last-name", "B",
			     "--email", "a@b.c", "--pms-key-file", key),
			 65);
	expect_in(err, "a character that is not ASCII at character 17");
	pl_test_write(clinic, "key", 0600,
		      "Canary0123456789\xe2\x80\x8b"
		      "bcdefXYZ0pqrs\n");
	ck_assert_int_eq(run("practitioner", "add", "x2", "--first-name", "A", "--last-name", "B",
			     "--email", "a@b.c", "--pms-key-file", key),
			 65);
	expect_in(err, "an invisible space at character 17");
	free(key);
}
END_TEST

START_TEST(pms_key_pasted_back_is_named)
{
	char *path = pl_test_path(clinic, "backend-key");

	pl_test_add(clinic, "p1");
	char *rec = pl_test_record(clinic, "p1");
	const char *at = strstr(rec, "\"pms_key\":\t\"") + strlen("\"pms_key\":\t\"");
	char pms[64];
	snprintf(pms, sizeof pms, "%.*s\n", (int)strcspn(at, "\""), at);
	pl_test_write(clinic, "backend-key", 0600, pms);
	ck_assert_int_eq(run("link", "--assisted", "p1", "--backend-key-file", path), 65);
	expect_in(err, "the key given is the PMS key practlink showed, not the key mock generated");
	expect_in(err, "hint: paste the PMS key into the platform's PMS token field");
	free(rec);
	free(path);
}
END_TEST

START_TEST(rosters_from_spreadsheets)
{
	char *path = pl_test_path(clinic, "roster.csv");

	/* Excel's CSV UTF-8: a byte order mark and CRLF. */
	pl_test_write(clinic, "roster.csv", 0644,
		      "\xef\xbb\xbfid,first_name,last_name,email\r\n"
		      "r1,Zo\xc3\xab,Lovelace,r1@clinic.example\r\n"
		      "r2,Grace,Hopper,r2@clinic.example\r\n");
	ck_assert_int_eq(run("practitioner", "import", path), 0);
	expect_in(out, "imported 2 practitioners");
	/* The same roster again: unchanged, not an error. */
	ck_assert_int_eq(run("practitioner", "import", path), 0);
	expect_in(out, "imported 0 practitioners");
	expect_in(out, "2 unchanged");
	ck_assert_int_eq(run("--json", "practitioner", "import", path), 0);
	cJSON *doc = json(out);
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "unchanged")), 2);
	cJSON_Delete(doc);
	/* Each bad row says exactly what is wrong. */
	pl_test_write(clinic, "roster.csv", 0644,
		      "id,first_name,last_name,email\n"
		      "b1,Ada,,b1@clinic.example\n"
		      "b2,Ada,Lovelace,nobody.example\n"
		      "b3,Ada\xff,Lovelace,b3@clinic.example\n"
		      "b4,Ada\x1b]0;owned\x07,Lovelace,b4@clinic.example\n"
		      "b5,,Lovelace,b5@clinic.example\n"
		      "b6,Ada,Lovelace,\n");
	ck_assert_int_eq(run("practitioner", "import", path), 65);
	expect_in(err, "roster.csv:2: practitioner b1 has no last name; row skipped");
	expect_in(err, "roster.csv:3: the email address \"nobody.example\" of b2 has no '@'");
	expect_in(err, "roster.csv:4: the first name of b3 holds text that is not UTF-8 at byte 4");
	expect_in(err, "roster.csv:5: the first name of b4 holds a control character at byte 4");
	expect_in(err, "roster.csv:6: practitioner b5 has no first name");
	expect_in(err, "roster.csv:7: practitioner b6 has no email address");
	expect_not_in(err, "\x1b]0;");
	/* A missing file is 66. */
	ck_assert_int_eq(run("practitioner", "import", "/nonexistent/roster.csv"), 66);
	expect_in(err, "/nonexistent/roster.csv: No such file or directory");
	/* Every --json output is valid UTF-8: no record holds anything else. */
	ck_assert_int_eq(run("--json", "practitioner", "list"), 0);
	cJSON_Delete(json(out));
	expect_in(out, "Zo\xc3\xab");
	free(path);
}
END_TEST

/* --- 7. terminal hygiene ------------------------------------------------------------ */

/* practlink at the hidden prompt on a pseudo-terminal gets key (a byte
 * the terminal turns into a signal): it restores the terminal and exits. */
static void interrupt_at_prompt(const char *key, int want_exit)
{
	char screen[16384] = "";
	struct termios t;
	int master, status;
	pid_t pid;

	pid = on_terminal(&master, "--assisted", "p1");
	ck_assert(pl_test_read_until(master, screen, sizeof screen, "Platform key (not shown"));
	if (key)
		ck_assert(write(master, key, 1) == 1);
	else
		ck_assert_int_eq(kill(pid, SIGTERM), 0);
	pl_test_read_until(master, screen, sizeof screen, "interrupted");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == want_exit, "status %d: %s",
		      status, screen);
	expect_in(screen, "practlink: interrupted");
	/* Echo is back on the terminal it found. */
	ck_assert_int_eq(tcgetattr(master, &t), 0);
	ck_assert(t.c_lflag & ECHO);
	close(master);
}

START_TEST(interrupt_restores_the_terminal)
{
	pl_test_add(clinic, "p1");
	interrupt_at_prompt("\x03", 130); /* Ctrl-C */
	interrupt_at_prompt("\x1c", 131); /* Ctrl-\ */
	interrupt_at_prompt(NULL, 143);   /* SIGTERM */
	/* The link still waits for its key, whole. */
	ck_assert_int_eq(run("status", "p1"), 0);
	expect_in(out, "pending");
}
END_TEST

START_TEST(tables_line_up_and_sort)
{
	ck_assert_int_eq(run("practitioner", "add", "zed", "--first-name",
			     "\xe5\xb1\xb1\xe7\x94\xb0", "--last-name", "\xe5\xa4\xaa\xe9\x83\x8e",
			     "--email", "y@clinic.example"),
			 0);
	ck_assert_int_eq(run("practitioner", "add", "amy", "--first-name", "Zo\xc3\xab",
			     "--last-name", "Lovelace", "--email", "zoe@clinic.example"),
			 0);
	ck_assert_int_eq(run("practitioner", "list"), 0);
	/* Sorted by id; the full name; the email column starts at one place. */
	const char *amy = strstr(out, "amy "), *zed = strstr(out, "zed ");
	ck_assert(amy && zed && amy < zed);
	expect_in(out, "Zo\xc3\xab Lovelace");
	expect_in(out, "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e");
	/* "山田 太郎" is 9 columns, "Zoë Lovelace" 12: both padded to 12 + 2. */
	expect_in(out, "amy  Zo\xc3\xab Lovelace  zoe@");
	expect_in(out, "zed  \xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e     y@");
	ck_assert_int_eq(run("status"), 0);
	amy = strstr(out, "amy ");
	zed = strstr(out, "zed ");
	ck_assert(amy && zed && amy < zed);
}
END_TEST

START_TEST(show_gives_the_detail_without_a_key)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("link", "p1"), 0);
	char *rec = pl_test_record(clinic, "p1");
	const char *at = strstr(rec, "\"backend_key\":\t\"") + strlen("\"backend_key\":\t\"");
	char key[128];
	snprintf(key, sizeof key, "%.*s", (int)strcspn(at, "\""), at);
	ck_assert_int_eq(run("practitioner", "show", "p1"), 0);
	expect_in(out, "  id           p1\n");
	expect_in(out, "  name         Ada Lovelace\n");
	expect_in(out, "  created      20");
	expect_in(out, "mock:\n  state        linked\n");
	expect_in(out, "  user         u");
	expect_in(out, "  linked       20");
	expect_in(out, "  verified     20");
	char hint[64];
	snprintf(hint, sizeof hint, "  key          %s\n", key + strlen(key) - 4);
	expect_in(out, hint);
	expect_not_in(out, key);
	ck_assert_int_eq(run("practitioner", "show", "nobody"), 67);
	free(rec);
}
END_TEST

/* Names from a roster cannot drive the terminal. */
START_TEST(output_is_escaped)
{
	pl_test_add(clinic, "p1");
	/* A record edited by hand, with an escape in the name. */
	char *rec = pl_test_record(clinic, "p1");
	char *at = strstr(rec, "\"Ada\"");
	ck_assert_ptr_nonnull(at);
	char *edited;
	ck_assert(asprintf(&edited, "%.*s\"A\\u001b]0;owned\\u0007\"%s", (int)(at - rec), rec,
			   at + 5) > 0);
	pl_test_write(clinic, "store/practitioners/p1.json", 0600, edited);
	ck_assert_int_eq(run("practitioner", "list"), 0);
	expect_not_in(out, "\x1b");
	expect_in(out, "A\\x1b]0;owned\\x07 Lovelace");
	/* Every command that shows the name shows it escaped. */
	ck_assert_int_eq(run("practitioner", "show", "p1"), 0);
	expect_not_in(out, "\x1b");
	expect_in(out, "A\\x1b]0;owned\\x07 Lovelace");
	ck_assert_int_eq(run("doctor", "p1"), 0);
	expect_not_in(out, "\x1b");
	expect_in(out, "A\\x1b]0;owned\\x07 Lovelace");
	free(edited);
	free(rec);
}
END_TEST

/* --- 8. say what will happen; refuse what loses data ------------------------------- */

START_TEST(dry_run_lists_the_steps)
{
	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	ck_assert_int_eq(run("link", "p2"), 0);
	ck_assert_int_eq(run("link", "--dry-run", "--all"), 0);
	expect_in(out, "dry run: nothing is changed");
	expect_in(out, "p1: would link in 5 steps:");
	expect_in(out, "1. [automatic] find the user of p1@clinic.example on mock");
	expect_in(out, "[automatic] verify the pair of keys with mock");
	expect_in(out, "p2: linked already; nothing to do");
	ck_assert_int_eq(run("--json", "link", "--dry-run", "p1", "--assisted"), 0);
	cJSON_Delete(json(out));
	/* On a platform without the API, the steps are the operator's. */
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = false; module = \"mock\"; };\n");
	pl_test_write(clinic, "integrations.d/physitrack.conf", 0644,
		      "physitrack = { enabled = true; module = \"physitrack\";\n"
		      "  settings = { region = \"uk\"; }; };\n");
	ck_assert_int_eq(run("link", "--dry-run", "p1"), 0);
	expect_in(out, "p1: would link in 5 steps:");
	expect_in(out, "1. [by hand] In Physitrack:");
	expect_in(out, "2. [by hand] If Ada Lovelace is not listed: click + Add user");
	expect_in(out, "[automatic] verify the pair of keys with physitrack");
	/* Nothing changed. */
	char *rec = pl_test_record(clinic, "p1");
	expect_not_in(rec, "physitrack");
	free(rec);
}
END_TEST

START_TEST(remove_refuses_to_lose_a_link)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("link", "p1"), 0);
	ck_assert_int_eq(run("practitioner", "remove", "p1"), 64);
	expect_in(err, "p1 still has a link on mock");
	expect_in(err, "hint: unlink first");
	char *rec = pl_test_record(clinic, "p1");
	ck_assert_ptr_nonnull(rec);
	free(rec);
	ck_assert_int_eq(run("practitioner", "remove", "p1", "--force"), 0);
	expect_in(out, "removed p1");
	ck_assert_ptr_null(pl_test_record(clinic, "p1"));
	/* The platform was told: the mock's revoke ran. */
	ck_assert_int_eq(pl_test_count_lines(clinic, "mock-state/calls.log", "revoke"), 1);
}
END_TEST

START_TEST(unlink_says_and_repeats)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("unlink", "p1"), 0);
	expect_in(out, "p1: not linked");
	ck_assert_int_eq(run("--json", "unlink", "p1"), 0);
	cJSON_Delete(json(out));
	ck_assert_int_eq(run("unlink", "nobody"), 67);
}
END_TEST

START_TEST(failed_rotation_keeps_the_old_link)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("link", "p1"), 0);
	char *before = pl_test_record(clinic, "p1");
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\"; create_missing_users = true;\n"
		      "  settings = { state_dir = \"../mock-state\"; record_calls = true;\n"
		      "    fail_step = \"exchange\"; fail_status = \"TRANSIENT\"; }; };\n");
	ck_assert_int_eq(run("rotate", "p1"), 75);
	ck_assert_int_eq(run("status", "p1"), 0);
	expect_in(out, " linked ");
	expect_in(out, "rotation pending; old keys in use");
	ck_assert_int_eq(run("verify", "p1"), 0);
	free(before);
}
END_TEST

/* --- 9. a whole clinic on a platform without an exchange API ------------------------ */

START_TEST(bulk_on_a_manual_platform_says_how_once)
{
	for (int i = 0; i < 3; i++) {
		char id[8];
		snprintf(id, sizeof id, "p%d", i);
		pl_test_add(clinic, id);
	}
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = false; module = \"mock\"; };\n");
	pl_test_write(clinic, "integrations.d/physitrack.conf", 0644,
		      "physitrack = { enabled = true; module = \"physitrack\";\n"
		      "  settings = { region = \"uk\"; }; };\n");
	ck_assert_int_eq(run("link", "--all"), 64);
	ck_assert_int_eq(count(err, "cannot be linked unattended"), 1);
	expect_in(err, "--backend-keys FILE.csv");
	expect_in(err, "id,backend_key");
	expect_in(err, "--assisted");
	ck_assert_int_eq(run("--json", "link", "--all"), 64);
	expect_json_failure(out, "USAGE", 64);
}
END_TEST

/* Reads fd into buf until frag stands in buf past from, for 10 s at most. */
static bool wait_after(int fd, char *buf, size_t size, size_t from, const char *frag)
{
	size_t len = strlen(buf);

	for (int i = 0; i < 200 * pl_test_slow(); i++) {
		if (strstr(buf + from, frag))
			return true;
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, 50) == 1) {
			ssize_t n = read(fd, buf + len, size - 1 - len);
			if (n <= 0)
				return strstr(buf + from, frag) != NULL;
			len += (size_t)n;
			buf[len] = '\0';
		}
	}
	return false;
}

START_TEST(assisted_walks_through_the_clinic)
{
	char screen[32768] = "";
	int master, status;
	pid_t pid;

	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	pid = on_terminal(&master, "--all", "--assisted");
	/* Each prompt is waited for after what was answered: the terminal
	 * drops what is typed before a prompt. */
	ck_assert(wait_after(master, screen, sizeof screen, 0, "Platform key (not shown"));
	ck_assert(write(master, "wrong-key\n", 10) == 10);
	const char *p2 = NULL;
	ck_assert(wait_after(master, screen, sizeof screen, 0, "Link p2:"));
	p2 = strstr(screen, "Link p2:");
	ck_assert(wait_after(master, screen, sizeof screen, (size_t)(p2 - screen),
			     "Platform key (not shown"));
	ck_assert(write(master, "\x04", 1) == 1);
	wait_after(master, screen, sizeof screen, (size_t)(p2 - screen), "no key given");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "%s", screen);
	expect_in(screen, "Link p1: 4 steps to do by hand");
	expect_in(screen, "p1: verify on mock: ");
	expect_in(screen, "Link p2: 4 steps to do by hand");
	expect_in(screen, "no key given");
	close(master);
}
END_TEST

/* --- 10. --json everywhere ---------------------------------------------------------- */

START_TEST(json_on_every_command)
{
	char *key = pl_test_path(clinic, "key");
	pl_test_write(clinic, "key", 0600, GOOD_KEY "\n");
	pl_test_write(clinic, "roster.csv", 0644,
		      "id,first_name,last_name,email\nr1,Ada,Lovelace,r1@clinic.example\n");
	char *roster = pl_test_path(clinic, "roster.csv");

	ck_assert_int_eq(run("--json", "practitioner", "add", "p1", "--first-name", "A",
			     "--last-name", "B", "--email", "p1@clinic.example", "--pms-key-file",
			     key),
			 0);
	cJSON_Delete(json(out));
	expect_not_in(out, GOOD_KEY);
	ck_assert_int_eq(run("--json", "practitioner", "import", roster), 0);
	cJSON_Delete(json(out));
	const char *const ok[][3] = { { "link", "p1" },   { "verify", "p1" }, { "rotate", "p1" },
				      { "status", NULL }, { "doctor", NULL }, { "modules", NULL },
				      { "unlink", "p1" }, { "keygen", NULL } };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int rc = ok[i][1] ? run("--json", ok[i][0], ok[i][1]) : run("--json", ok[i][0]);
		ck_assert_msg(rc == 0, "%s: %d %s", ok[i][0], rc, err);
		cJSON_Delete(json(out));
	}
	ck_assert_int_eq(run("--json", "practitioner", "list"), 0);
	cJSON_Delete(json(out));
	ck_assert_int_eq(run("--json", "practitioner", "show", "p1"), 0);
	cJSON_Delete(json(out));
	ck_assert_int_eq(run("--json", "practitioner", "remove", "r1"), 0);
	cJSON_Delete(json(out));
	/* Failures: one document still. */
	ck_assert_int_eq(run("--json", "status", "nobody"), 67);
	expect_json_failure(out, "NOT_FOUND", 67);
	ck_assert_int_eq(run("--json", "rotate", "nobody"), 67);
	expect_json_failure(out, "NOT_FOUND", 67);
	ck_assert_int_eq(run("--json", "practitioner", "remove", "nobody"), 67);
	expect_json_failure(out, "NOT_FOUND", 67);
	ck_assert_int_eq(run("--json", "link"), 64);
	expect_json_failure(out, "USAGE", 64);
	ck_assert_int_eq(run("--json", "practitioner", "import", "/nonexistent.csv"), 66);
	expect_json_failure(out, "NO_INPUT", 66);
	ck_assert_int_eq(run("--json", "stauts"), 64);
	expect_json_failure(out, "USAGE", 64);
	free(roster);
	free(key);
}
END_TEST

/* --- metrics for Prometheus ---------------------------------------------------- */

/* The value of the first line of text that begins with name. */
static long long metric(const char *text, const char *name)
{
	const char *at = strstr(text, name);

	ck_assert_msg(at != NULL, "no %s in:\n%s", name, text);
	return atoll(at + strlen(name));
}

START_TEST(metrics_for_prometheus)
{
	char *path = pl_test_path(clinic, "metrics.prom"), cmd[4400];
	struct stat st;

	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	ck_assert_int_eq(run("link", "--all", "--metrics", path), 0);
	ck_assert_int_eq(run("verify", "--all", "--metrics", path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	char *text = pl_test_read(path);
	ck_assert_int_eq(metric(text, "practlink_links{integration=\"mock\",state=\"linked\"} "),
			 2);
	long long success =
		metric(text, "practlink_run_last_success_timestamp_seconds{command=\"verify\"} ");
	ck_assert_int_gt(success, 1700000000);
	ck_assert_int_gt(metric(text, "practlink_oldest_verified_timestamp_seconds{"
				      "integration=\"mock\"} "),
			 1700000000);
	expect_in(text, "# TYPE practlink_run_duration_seconds gauge");
	expect_not_in(text, "clinic.example");
	/* The format node_exporter reads: promtool says so. */
	snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
	ck_assert_msg(system(cmd) == 0, "promtool refused %s", path);
	free(text);
	/* A failed run: its failures, and the last success left as it was. */
	sleep(1);
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\";\n"
		      "  settings = { state_dir = \"../mock-state\"; fail_step = \"verify\";\n"
		      "    fail_status = \"AUTH\"; }; };\n");
	ck_assert_int_eq(run("verify", "--all", "--metrics", path), 77);
	text = pl_test_read(path);
	ck_assert_int_eq(
		metric(text, "practlink_run_failures{integration=\"mock\",status=\"AUTH\"} "), 2);
	ck_assert_int_eq(
		metric(text, "practlink_run_last_success_timestamp_seconds{command=\"verify\"} "),
		success);
	ck_assert_msg(system(cmd) == 0, "promtool refused %s", path);
	free(text);
	free(path);
}
END_TEST

/* --- 11. the fake server refuses what it does not know ------------------------------ */

START_TEST(fake_server_refuses_unknown_options)
{
	char prog[4200];

	snprintf(prog, sizeof prog, "%s/tests/practlink-fake-physitrack",
		 pl_test_env("PL_BUILDDIR"));
	char *bad_region[] = { prog, "--region", "mars", NULL };
	ck_assert_int_eq(pl_test_run(bad_region, NULL, &out, &err), 64);
	expect_in(err, "unknown region 'mars'");
	free(out);
	free(err);
	char *bad_fault[] = { prog, "--fault", "melt 3", NULL };
	ck_assert_int_eq(pl_test_run(bad_fault, NULL, &out, &err), 64);
	expect_in(err, "unknown fault 'melt 3'");
	free(out);
	free(err);
	char *help[] = { prog, "--help", NULL };
	ck_assert_int_eq(pl_test_run(help, NULL, &out, &err), 0);
	expect_in(out, "usage: practlink-fake-physitrack");
}
END_TEST

/* status --state: only the links in that state, in id order, as table or
 * JSON; an unknown state is a usage error. */
START_TEST(status_by_state)
{
	pl_test_add(clinic, "p2");
	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p3");
	ck_assert_int_eq(run("link", "p1", "p2"), 0);
	ck_assert_int_eq(run("status", "--state", "unlinked"), 0);
	expect_in(out, "p3 ");
	expect_not_in(out, "p1 ");
	expect_not_in(out, "p2 ");
	ck_assert_int_eq(run("status", "--state", "linked"), 0);
	ck_assert_ptr_nonnull(strstr(out, "p1 "));
	ck_assert_ptr_nonnull(strstr(out, "p2 "));
	ck_assert(strstr(out, "p1 ") < strstr(out, "p2 "));
	expect_not_in(out, "p3 ");
	ck_assert_int_eq(run("--json", "status", "--state", "failed"), 0);
	ck_assert_str_eq(out, "[]\n");
	ck_assert_int_eq(run("--json", "status", "--state", "unlinked"), 0);
	expect_in(out, "\"id\":\t\"p3\"");
	expect_not_in(out, "\"p1\"");
	ck_assert_int_eq(run("status", "--state", "broken"), 64);
	expect_in(err, "--state takes unlinked, pending, linked or failed, not 'broken'");
}
END_TEST

static Suite *operator_suite(void)
{
	Suite *s = suite_create("operator");
	TCase *tc = tcase_create("operator");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120 * pl_test_slow());
	tcase_add_test(tc, global_options_anywhere);
	tcase_add_test(tc, help_for_a_command);
	tcase_add_test(tc, suggests_the_nearest);
	tcase_add_test(tc, quiet_quiets_every_command);
	tcase_add_test(tc, every_status_has_a_message);
	tcase_add_test(tc, module_failures_read_the_same_everywhere);
	tcase_add_test(tc, unknown_module_settings_warn_once);
	tcase_add_test(tc, hints_fit_the_cause);
	tcase_add_test(tc, ctrl_d_is_no_key_given);
	tcase_add_test(tc, verify_all_checks_every_enabled_integration);
	tcase_add_test(tc, reading_never_creates_a_store);
	tcase_add_test(tc, doctor_fails_when_a_link_cannot_work);
	tcase_add_test(tc, doctor_suggests_commands_that_work);
	tcase_add_test(tc, pasted_keys_lose_their_invisible_blanks);
	tcase_add_test(tc, pms_key_pasted_back_is_named);
	tcase_add_test(tc, rosters_from_spreadsheets);
	tcase_add_test(tc, interrupt_restores_the_terminal);
	tcase_add_test(tc, tables_line_up_and_sort);
	tcase_add_test(tc, show_gives_the_detail_without_a_key);
	tcase_add_test(tc, output_is_escaped);
	tcase_add_test(tc, dry_run_lists_the_steps);
	tcase_add_test(tc, remove_refuses_to_lose_a_link);
	tcase_add_test(tc, unlink_says_and_repeats);
	tcase_add_test(tc, failed_rotation_keeps_the_old_link);
	tcase_add_test(tc, bulk_on_a_manual_platform_says_how_once);
	tcase_add_test(tc, assisted_walks_through_the_clinic);
	tcase_add_test(tc, json_on_every_command);
	tcase_add_test(tc, fake_server_refuses_unknown_options);
	tcase_add_test(tc, metrics_for_prometheus);
	tcase_add_test(tc, status_by_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return pl_test_main(operator_suite());
}
