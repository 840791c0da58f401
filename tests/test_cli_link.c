/* SPDX-License-Identifier: MIT */
/* test_cli_link.c - the link workflow through practlink(1): every verb,
 * exit codes and hints, rosters, assisted links on a pseudo-terminal, and
 * no key in any output. */
#include "internal.h"
#include "testutil.h"

#include <poll.h>
#include <pty.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CANARY "CanaryPmsKey0123456789abcdefXYZ"

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

/* The value of "name": "..." in a record's text (the first one). */
static char *field_of(const char *text, const char *name)
{
	char pat[64];
	const char *at;

	snprintf(pat, sizeof pat, "\"%s\":\t\"", name);
	at = strstr(text, pat);
	ck_assert_ptr_nonnull(at);
	at += strlen(pat);
	return strndup(at, strcspn(at, "\""));
}

START_TEST(practitioner_verbs)
{
	ck_assert_int_eq(run("practitioner", "add", "p1", "--first-name", "Ada", "--last-name",
			     "Lovelace", "--email", "p1@clinic.example"),
			 0);
	expect_in(out, "added p1 (Ada Lovelace) with a new PMS key");
	ck_assert_int_eq(run("practitioner", "list"), 0);
	expect_in(out, "p1 ");
	expect_in(out, "mock=unlinked");
	ck_assert_int_eq(run("--json", "practitioner", "show", "p1"), 0);
	expect_in(out, "\"email\":\t\"p1@clinic.example\"");
	ck_assert_int_eq(run("practitioner", "show", "nobody"), 67);
	expect_in(err, "no practitioner 'nobody'");
	ck_assert_int_eq(run("practitioner", "add", "p1", "--first-name", "A", "--last-name", "B",
			     "--email", "a@b.c"),
			 64);
	expect_in(err, "exists already");
	ck_assert_int_eq(run("practitioner", "add", "p2", "--first-name", "A"), 64);
	ck_assert_int_eq(run("practitioner", "remove", "p1"), 0);
	ck_assert_int_eq(run("practitioner", "remove", "p1"), 67);
	ck_assert_int_eq(run("practitioner", "frob"), 64);
}
END_TEST

START_TEST(pms_key_from_a_file)
{
	pl_test_write(clinic, "key", 0600, "  " CANARY " \n");
	char *key = pl_test_path(clinic, "key");
	ck_assert_int_eq(run("practitioner", "add", "p1", "--first-name", "A", "--last-name", "B",
			     "--email", "a@b.c", "--pms-key-file", key),
			 0);
	char *rec = pl_test_record(clinic, "p1");
	expect_in(rec, "\"pms_key\":\t\"" CANARY "\"");
	free(rec);
	/* A key file others can read is refused, and says why. */
	ck_assert_int_eq(chmod(key, 0644), 0);
	ck_assert_int_eq(run("practitioner", "add", "p2", "--first-name", "A", "--last-name", "B",
			     "--email", "a@b.c", "--pms-key-file", key),
			 64);
	expect_in(err, "closed to others (mode 0644)");
	/* From standard input, with an inner space: BAD_KEY. */
	ck_assert_int_eq(run_with("Canary Pms0123456789abcdefXYZ0\n", "practitioner", "add", "p3",
				  "--first-name", "A", "--last-name", "B", "--email", "a@b.c",
				  "--pms-key-file", "-", (char *)NULL),
			 65);
	expect_in(err, "hint: the key was not entered correctly");
	free(key);
}
END_TEST

START_TEST(roster_import_reports_bad_rows)
{
	pl_test_write(clinic, "roster.csv", 0600,
		      "id,first_name,last_name,email,pms_key\n"
		      "r1,Ada,Lovelace,ada@clinic.example,\n"
		      "bad id,Grace,Hopper,grace@clinic.example,\n"
		      "r3,Alan,Turing,alan@clinic.example," CANARY "\n"
		      "r4,Edsger,Dijkstra\n"
		      "\"r5\",\"Barbara\",\"Liskov, Dr\",barbara@clinic.example,\n"
		      "r6,Donald,Knuth,donald@clinic.example,weak\n"
		      "r1,Ada,Again,ada2@clinic.example,\n");
	char *path = pl_test_path(clinic, "roster.csv");
	ck_assert_int_eq(run("practitioner", "import", path), 65);
	expect_in(out, "imported 3 practitioners");
	expect_in(out, "4 rows skipped");
	expect_in(err, "roster.csv:3: 'bad id' is not a practitioner id");
	expect_in(err, "roster.csv:5: expected 4 or 5 fields, found 3");
	expect_in(err, "roster.csv:7: the PMS key of r6 is too weak");
	expect_in(err, "roster.csv:8: r1 is in the store already, with another last_name email");
	expect_not_in(err, CANARY);
	ck_assert_int_eq(run("practitioner", "show", "r5"), 0);
	expect_in(out, "id           r5\n");
	expect_in(out, "name         Barbara Liskov, Dr\n");
	pl_test_write(clinic, "roster.csv", 0644, "name,email\nx,y\n");
	ck_assert_int_eq(run("practitioner", "import", path), 64);
	expect_in(err, "roster.csv:1: the header must be id,first_name,last_name,email,[pms_key]");
	free(path);
}
END_TEST

START_TEST(link_status_verify_unlink_rotate)
{
	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	ck_assert_int_eq(run("link", "p1"), 0);
	expect_in(out, "p1: linked");
	ck_assert_int_eq(run("status"), 0);
	expect_in(out, "p1 mock        linked ");
	expect_in(out, "p2 mock        unlinked ");
	ck_assert_int_eq(run("--json", "status", "p1"), 0);
	expect_in(out, "\"id\":\t\"p1\"");
	expect_in(out, "\"integration\":\t\"mock\"");
	expect_in(out, "\"state\":\t\"linked\"");
	expect_in(out, "\"user_id\":\t\"u");
	expect_in(out, "\"linked_at\":\t\"20");
	expect_in(out, "\"verified_at\":\t\"20");
	expect_in(out, "\"key_hint\":\t\"");
	expect_in(out, "\"error\":\tnull");
	ck_assert_int_eq(run("--json", "status", "p2"), 0);
	expect_in(out, "\"user_id\":\tnull");
	expect_in(out, "\"key_hint\":\tnull");

	/* The health check: a practitioner never linked is not due. */
	ck_assert_int_eq(run("verify", "--all"), 0);
	expect_in(out, "2 practitioners: 1 unlinked 1 linked");
	expect_in(out, "by status: OK 2");
	ck_assert_int_eq(run("verify", "p2"), 67);
	expect_in(out, "p2 (NOT_LINKED): p2 is not linked on mock");
	expect_in(out, "hint: link the practitioner first");
	ck_assert_int_eq(run("verify", "p1"), 0);
	ck_assert_int_eq(run("rotate", "p1"), 0);
	expect_in(out, "new PMS key exchanged and verified");
	ck_assert_int_eq(run("unlink", "p1"), 0);
	expect_in(out, "p1: unlinked");
	ck_assert_int_eq(run("verify", "p1"), 67);
	expect_in(out, "hint: link the practitioner first");
	ck_assert_int_eq(run("link", "--all"), 0);
	expect_in(out, "2 practitioners: 2 linked");
	ck_assert_int_eq(run("link", "--dry-run", "p1"), 0);
	ck_assert_int_eq(run("link"), 64);
	ck_assert_int_eq(run("link", "p1", "--all"), 64);
}
END_TEST

START_TEST(failures_give_status_exit_and_hint)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("link", "nobody"), 67);
	expect_in(err, "no practitioner 'nobody'");
	expect_in(err, "hint: no such practitioner in the store");

	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = false; module = \"mock\"; };\n");
	ck_assert_int_eq(run("link", "p1", "-i", "mock"), 69);
	expect_in(err, "integration mock is disabled");
	expect_in(err, "hint: enable the clinic-wide integration first (enabled = true");

	pl_test_write(
		clinic, "integrations.d/mock.conf", 0644,
		"mock = { enabled = true; module = \"mock\"; create_missing_users = true;\n"
		"  settings = { state_dir = \"../mock-state\"; fail_step = \"exchange\"; }; };\n");
	ck_assert_int_eq(run("link", "p1"), 75);
	expect_in(err, "p1: exchange on mock: injected failure at exchange");
	expect_in(err, "hint: the platform did not answer in time; try again (nothing was lost)");
	ck_assert_int_eq(run("status", "p1"), 0);
	expect_in(out, "failed");
	expect_in(out, "TRANSIENT");

	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"mock\"; create_missing_users = false;\n"
		      "  settings = { state_dir = \"../mock-state2\"; }; };\n");
	ck_assert_int_eq(run("link", "p1"), 67);
	expect_in(err, "hint: create the practitioner on the platform first");

	pl_test_write(clinic, "store/practitioners/p1.json", 0600, "not json");
	ck_assert_int_eq(run("link", "p1"), 74);
	expect_in(err, "store/practitioners/p1.json: record of 'p1' is not valid JSON");
	char *rec = pl_test_record(clinic, "p1");
	ck_assert_str_eq(rec, "not json");
	free(rec);
}
END_TEST

START_TEST(doctor_for_a_practitioner)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("doctor", "p1"), 0);
	expect_in(out, "ok    practitioner p1: Ada Lovelace <p1@clinic.example>");
	expect_in(out, "ok    p1 on mock: unlinked; ready to link: practlink link p1");
	ck_assert_int_eq(run("link", "p1"), 0);
	ck_assert_int_eq(run("doctor", "p1"), 0);
	expect_in(out, "ok    p1 on mock: linked, and the platform accepts the keys now");
	ck_assert_int_eq(run("doctor", "ghost"), 67);
	expect_in(out, "FAIL  practitioner ghost: no practitioner 'ghost'");
}
END_TEST

/* No key shows anywhere: not at -v, not in status or --json, not in the
 * audit trail. */
START_TEST(no_secret_in_any_output)
{
	char *rec, *backend, *audit, *path, all[65536] = "";

	pl_test_write(clinic, "key", 0600, CANARY "\n");
	path = pl_test_path(clinic, "key");
	ck_assert_int_eq(run("-v", "practitioner", "add", "p1", "--first-name", "A", "--last-name",
			     "B", "--email", "a@b.c", "--pms-key-file", path),
			 0);
	strcat(all, out);
	strcat(all, err);
	const char *const cmds[][3] = {
		{ "link", "p1", NULL },          { "status", NULL, NULL },
		{ "verify", "p1", NULL },        { "rotate", "p1", NULL },
		{ "doctor", "p1", NULL },        { "practitioner", "show", "p1" },
		{ "practitioner", "list", NULL }
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		run("-v", cmds[i][0], cmds[i][1], cmds[i][2]);
		strncat(all, out, sizeof all - strlen(all) - 1);
		strncat(all, err, sizeof all - strlen(all) - 1);
		run("--json", cmds[i][0], cmds[i][1], cmds[i][2]);
		strncat(all, out, sizeof all - strlen(all) - 1);
	}
	rec = pl_test_record(clinic, "p1");
	backend = field_of(rec, "backend_key");
	char *pms = field_of(rec, "pms_key"); /* rotated: a new one */
	free(path);
	path = pl_test_path(clinic, "store/audit.log");
	audit = pl_test_read(path);
	ck_assert_ptr_nonnull(audit);
	expect_in(all, "linked");
	expect_not_in(all, CANARY);
	expect_not_in(all, backend);
	expect_not_in(all, pms);
	expect_not_in(audit, CANARY);
	expect_not_in(audit, backend);
	expect_not_in(audit, pms);
	expect_in(audit, "\"action\":\"rotate\"");
	free(rec);
	free(backend);
	free(pms);
	free(audit);
	free(path);
}
END_TEST

/* The operator's part of an assisted link on the mock platform: what a
 * person does in the platform's web app, done here through the module. */
static char *operator_exchange(const char *id, const char *pms_key)
{
	char *path = pl_test_path(clinic, "practlink.conf"), email[64], uid[PRACTLINK_USER_ID_MAX];
	practlink_person p = { id, "Ada", "Lovelace", email, NULL };
	practlink_secret *pms = pl_secret_new(pms_key, strlen(pms_key)), *key;
	practlink_ctx *ctx;
	pl_instance *inst;
	pl_err e;
	char *copy;

	snprintf(email, sizeof email, "%s@clinic.example", id);
	practlink_new(&ctx);
	practlink_set_module_dir(ctx, pl_test_env("PL_MODULE_DIR"));
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	ck_assert_int_eq(
		pl_instance_open(&ctx->env, pl_ctx_module(ctx, 0), &ctx->cfg->integ[0], &inst, &e),
		PRACTLINK_OK);
	if (pl_instance_find_user(inst, &p, uid) != PRACTLINK_OK)
		ck_assert_int_eq(pl_instance_create_user(inst, &p, uid), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_set_integration(inst, &p, "juvonno"), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_exchange(inst, &p, pms, &key), PRACTLINK_OK);
	copy = strdup(key->str);
	pl_secret_free(key);
	pl_secret_free(pms);
	pl_instance_close(inst);
	practlink_free(ctx);
	free(path);
	return copy;
}

START_TEST(assisted_with_a_key_file)
{
	char *rec, *pms, *key, text[256], *path;

	pl_test_add(clinic, "p1");
	rec = pl_test_record(clinic, "p1");
	pms = field_of(rec, "pms_key");
	key = operator_exchange("p1", pms);
	snprintf(text, sizeof text, " %s  \n", key);
	pl_test_write(clinic, "backend-key", 0600, text);
	path = pl_test_path(clinic, "backend-key");
	/* No terminal: the steps are shown, the PMS key is not. */
	ck_assert_int_eq(run("link", "--assisted", "p1", "--backend-key-file", path), 0);
	expect_in(err, "4 steps to do by hand");
	expect_in(err, "the PMS key is shown only on a terminal");
	expect_not_in(err, pms);
	expect_in(out, "p1: linked");
	free(rec);
	rec = pl_test_record(clinic, "p1");
	expect_in(rec, key);
	ck_assert_int_eq(run("verify", "p1"), 0);

	/* A wrong key is refused with the seed's hint, and not kept. */
	pl_test_add(clinic, "p2");
	pl_test_write(clinic, "backend-key", 0600, "mkWRONG\n");
	ck_assert_int_eq(run("link", "--assisted", "p2", "--backend-key-file", path), 77);
	expect_in(err, "hint: make sure both keys were exchanged");
	free(rec);
	rec = pl_test_record(clinic, "p2");
	expect_not_in(rec, "mkWRONG");
	free(rec);
	free(pms);
	free(key);
	free(path);
}
END_TEST

START_TEST(backend_keys_csv)
{
	char *rec, *pms, *key, *csv, *path;

	pl_test_add(clinic, "p1");
	pl_test_add(clinic, "p2");
	rec = pl_test_record(clinic, "p1");
	pms = field_of(rec, "pms_key");
	key = operator_exchange("p1", pms);
	ck_assert(asprintf(&csv, "id,backend_key\np1, %s \np2,mkWRONG\nghost,x\nonly-one\n", key) >
		  0);
	pl_test_write(clinic, "keys.csv", 0600, csv);
	path = pl_test_path(clinic, "keys.csv");
	ck_assert_int_eq(run("link", "--backend-keys", path), 77);
	expect_in(out, "4 practitioners: ");
	expect_in(out, " 1 linked");
	expect_in(out, "keys.csv:3: p2 (AUTH): ");
	expect_in(out, "keys.csv:4: ghost (NOT_FOUND): ");
	expect_in(out, "keys.csv:5: only-one (USAGE): expected two fields, id,backend_key");
	expect_not_in(err, key);
	expect_not_in(out, key);
	free(rec);
	free(pms);
	free(key);
	free(csv);
	free(path);
}
END_TEST

START_TEST(assisted_on_a_terminal)
{
	char screen[16384] = "", *pms, *key, line[256];
	int master, status;
	pid_t pid;

	pl_test_add(clinic, "p1");
	pid = forkpty(&master, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char **argv =
			pl_test_practlink_words(clinic, "link", "--assisted", "p1", (char *)NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	ck_assert(pl_test_read_until(master, screen, sizeof screen, "Platform key (not shown"));
	const char *at = strstr(screen, "PMS key to paste: ");
	ck_assert_ptr_nonnull(at);
	at += strlen("PMS key to paste: ");
	pms = strndup(at, strcspn(at, "\r\n"));
	ck_assert_uint_ge(strlen(pms), 30);
	key = operator_exchange("p1", pms);
	snprintf(line, sizeof line, "%s\n", key);
	ck_assert(write(master, line, strlen(line)) == (ssize_t)strlen(line));
	pl_test_read_until(master, screen, sizeof screen, "p1: linked");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", screen);
	expect_in(screen, "p1: linked");
	/* The typed key was not echoed. */
	expect_not_in(strstr(screen, "Platform key"), key);
	close(master);
	free(pms);
	free(key);
}
END_TEST

START_TEST(two_processes_at_once)
{
	pid_t kids[2];
	int status;

	for (int i = 0; i < 10; i++) {
		char id[8];
		snprintf(id, sizeof id, "q%d", i);
		pl_test_add(clinic, id);
	}
	for (int k = 0; k < 2; k++) {
		if ((kids[k] = fork()) == 0) {
			int rc = k == 0 ? run("link", "q0", "q1", "q2", "q3", "q4")
					: run("link", "q5", "q6", "q7", "q8", "q9");
			_exit(rc);
		}
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(kids[k], &status, 0), kids[k]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(run("status"), 0);
	for (int i = 0; i < 10; i++) {
		char frag[64];
		snprintf(frag, sizeof frag, "q%d mock        linked", i);
		expect_in(out, frag);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_link");
	TCase *tc = tcase_create("cli_link");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, practitioner_verbs);
	tcase_add_test(tc, pms_key_from_a_file);
	tcase_add_test(tc, roster_import_reports_bad_rows);
	tcase_add_test(tc, link_status_verify_unlink_rotate);
	tcase_add_test(tc, failures_give_status_exit_and_hint);
	tcase_add_test(tc, doctor_for_a_practitioner);
	tcase_add_test(tc, no_secret_in_any_output);
	tcase_add_test(tc, assisted_with_a_key_file);
	tcase_add_test(tc, backend_keys_csv);
	tcase_add_test(tc, assisted_on_a_terminal);
	tcase_add_test(tc, two_processes_at_once);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
