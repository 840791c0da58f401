/* SPDX-License-Identifier: MIT */
/* test_hostile.c - a hostile world: SIGKILL at random moments, disks that
 * fail each write in turn, loose permissions and foreign owners, and keys
 * looked for where they must not be. */
#include "internal.h"
#include "testutil.h"

#include <cjson/cJSON.h>

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CANARY "CanaryHostile0123456789abcdefXYZ"

static char *clinic, *out, *err;

#define run(...) pl_test_practlink(clinic, NULL, NULL, &out, &err, __VA_ARGS__, (char *)NULL)
#define expect_in pl_test_expect_in
#define expect_not_in pl_test_expect_not_in

static void teardown(void)
{
	pl_test_rmrf(clinic);
	free(clinic);
	free(out);
	free(err);
	clinic = out = err = NULL;
}

/* Two processes rotating the same practitioners, and a third verifying
 * them with eight workers, all at once, on a platform that hands out a new
 * key at each exchange: the per-practitioner lock is all that keeps the
 * store's keys the platform's. Without it, this test fails (AUTH). */
START_TEST(the_lock_keeps_store_and_platform_agreeing)
{
	char id[8];
	pid_t kids[3];
	int status;

	clinic = pl_test_clinic("random_keys = true; latency_ms = 2;", 1);
	for (int i = 0; i < 8; i++) {
		snprintf(id, sizeof id, "r%d", i);
		pl_test_add(clinic, id);
	}
	ck_assert_int_eq(run("link", "--all"), 0);
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			int bad = 0;
			for (int round = 0; round < 4; round++)
				for (int i = 0; i < 8; i++) {
					char **argv;
					snprintf(id, sizeof id, "r%d", (i + k * 3) % 8);
					argv = k == 2 ? pl_test_practlink_words(clinic, "verify",
										"--all", "-j", "8",
										(char *)NULL)
						      : pl_test_practlink_words(clinic, "rotate",
										id, (char *)NULL);
					pid_t pid = pl_test_spawn(argv);
					int st;
					waitpid(pid, &st, 0);
					/* A verify may meet a rotation half-way (AUTH on the
					 * old keys is the platform's word); the final check
					 * below is the one that counts. */
					bad += k < 2 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
				}
			_exit(bad ? 1 : 0);
		}
	}
	for (int k = 0; k < 3; k++)
		ck_assert_int_eq(waitpid(kids[k], &status, 0), kids[k]);
	/* Every practitioner's keys are the platform's. */
	ck_assert_msg(run("verify", "--all") == 0, "%s", out);
	expect_in(out, "8 practitioners: 8 linked");
}
END_TEST

/* verify patches verified_at's digits in place: a patch torn by a crash
 * mixes digits, and such a time is read as unknown, never as a corrupt
 * record. And status shows no more of a key than its last four. */
START_TEST(torn_timestamps_and_key_hints)
{
	clinic = pl_test_clinic(NULL, 1);
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("link", "p1"), 0);
	char *rec = pl_test_record(clinic, "p1");
	char *at = strstr(rec, "\"verified_at\":\t\"");
	ck_assert_ptr_nonnull(at);
	at += strlen("\"verified_at\":\t\"");
	memcpy(at, "2026-19-39T29:69:99Z", 20); /* digits only, as a torn patch */
	pl_test_write(clinic, "store/practitioners/p1.json", 0600, rec);
	ck_assert_int_eq(run("--json", "status", "p1"), 0);
	expect_in(out, "\"verified_at\":\tnull");
	expect_in(out, "\"state\":\t\"linked\"");
	/* The key: its last four characters, and no longer piece of it. */
	const char *k = strstr(rec, "\"backend_key\":\t\"") + strlen("\"backend_key\":\t\"");
	size_t len = strcspn(k, "\"");
	ck_assert_uint_ge(len, 8);
	char piece[8];
	snprintf(piece, 5, "%.4s", k + len - 4);
	expect_in(out, piece);
	for (size_t i = 0; i + 5 <= len; i++) {
		snprintf(piece, 6, "%.5s", k + i);
		ck_assert_msg(!strstr(out, piece), "status shows '%s' of the key", piece);
	}
	ck_assert_int_eq(run("status"), 0);
	for (size_t i = 0; i + 5 <= len; i++) {
		snprintf(piece, 6, "%.5s", k + i);
		ck_assert_msg(!strstr(out, piece), "status shows '%s' of the key", piece);
	}
	free(rec);
}
END_TEST

/* The clinic's roster.csv of n practitioners, k000 on; its path. */
static char *roster_of(int n)
{
	size_t cap = (size_t)n * 64 + 64, len;
	char *roster = malloc(cap), *path;

	len = (size_t)snprintf(roster, cap, "id,first_name,last_name,email\n");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(roster + len, cap - len,
					"k%03d,Ada,Lovelace,k%03d@c.example\n", i, i);
	pl_test_write(clinic, "roster.csv", 0644, roster);
	path = pl_test_path(clinic, "roster.csv");
	free(roster);
	return path;
}

START_TEST(killed_at_random_moments)
{
	char *path;
	int kills = 0, status;

	clinic = pl_test_clinic("latency_ms = 1;", 1);
	path = roster_of(200);
	ck_assert_int_eq(run("practitioner", "import", path), 0);
	srand(20261128);
	for (int i = 0; i < 60; i++) {
		struct timespec ts = { 0, (2 + rand() % 40) * 1000000L };
		pid_t pid = pl_test_spawn(
			pl_test_practlink_words(clinic, "link", "--all", "-j", "4", (char *)NULL));
		nanosleep(&ts, NULL);
		kills += kill(pid, SIGKILL) == 0;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		pl_test_linked(clinic, "k", 200); /* every record still parses */
	}
	ck_assert_int_ge(kills, 50);
	ck_assert_int_eq(run("link", "--all"), 0);
	ck_assert_int_eq(pl_test_linked(clinic, "k", 200), 200);
	for (int i = 0; i < 200; i++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "create_user k%03d ", i);
		/* A kill may fall between the platform's create and its log
		 * line, so at most one; a second create would be refused by
		 * the platform and fail the run above. */
		ck_assert_int_le(pl_test_count_lines(clinic, "mock-state/calls.log", prefix), 1);
	}
	free(path);
}
END_TEST

/* An import of 1,500 in batches, killed at random moments: each record is
 * absent or whole, and importing again completes it, counting what was
 * there as unchanged. */
START_TEST(an_import_killed_at_random_moments)
{
	char *path;
	int status, present;

	clinic = pl_test_clinic(NULL, 1);
	path = roster_of(1500);
	srand(20261129);
	for (int i = 0; i < 12; i++) {
		struct timespec ts = { 0, (5 + rand() % 60) * 1000000L };
		pid_t pid = pl_test_spawn(pl_test_practlink_words(clinic, "practitioner", "import",
								  path, (char *)NULL));
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	}
	/* Whatever is there parses, and holds what the roster says. */
	present = 0;
	for (int i = 0; i < 1500; i++) {
		char id[16], *rec;
		snprintf(id, sizeof id, "k%03d", i);
		if (!(rec = pl_test_record(clinic, id)))
			continue;
		present++;
		cJSON *j = cJSON_Parse(rec);
		ck_assert_msg(j != NULL, "%s: '%s' does not parse", id, rec);
		ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")), id);
		cJSON_Delete(j);
		free(rec);
	}
	printf("an_import_killed_at_random_moments: %d of 1500 there after 12 kills\n", present);
	ck_assert_int_eq(run("practitioner", "import", path), 0);
	char counts[64];
	snprintf(counts, sizeof counts, "imported %d practitioner", 1500 - present);
	expect_in(out, counts);
	if (present) {
		snprintf(counts, sizeof counts, "; %d unchanged", present);
		expect_in(out, counts);
	}
	ck_assert_int_eq(run("practitioner", "list", "--ids"), 0);
	/* k000..k999, then k1000..k1499, a line each. */
	ck_assert_int_eq((int)strlen(out), 1000 * 5 + 500 * 6);
	free(path);
}
END_TEST

/* Each of the store's writes fails in turn: STORE, the path named, the
 * old record intact, and never a success. */
START_TEST(a_failing_disk)
{
	static const struct {
		const char *call;
		const char *says;
	} cases[] = {
		{ "open", "cannot create" },
		{ "write", "cannot write: No space left on device" },
		{ "fsync", "cannot flush to disk" },
		{ "rename", "cannot replace" },
	};
	char *shim = pl_test_path(pl_test_env("PL_TEST_MODULE_DIR"), "failwrite.so");

	clinic = pl_test_clinic(NULL, 1);
	pl_test_add(clinic, "p1");
	char *before = pl_test_record(clinic, "p1");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		setenv("LD_PRELOAD", shim, 1);
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
		setenv("PL_FAIL", cases[i].call, 1);
		setenv("PL_FAIL_MATCH", "/store/practitioners", 1);
		int rc = run("link", "p1");
		unsetenv("LD_PRELOAD");
		unsetenv("PL_FAIL");
		ck_assert_msg(rc == 74, "%s: exit %d: %s", cases[i].call, rc, err);
		expect_in(err, "/store/practitioners/");
		expect_in(err, cases[i].says);
		expect_in(err, "hint: check the store folder");
		char *after = pl_test_record(clinic, "p1");
		ck_assert_str_eq(after, before);
		free(after);
	}
	/* The disk healed: the link completes. */
	ck_assert_int_eq(run("link", "p1"), 0);
	free(before);
	free(shim);
}
END_TEST

START_TEST(loose_permissions_and_foreign_owners)
{
	char *store, *rec, *key;

	clinic = pl_test_clinic(NULL, 1);
	pl_test_add(clinic, "p1");
	store = pl_test_path(clinic, "store");
	ck_assert_int_eq(chmod(store, 0755), 0);
	ck_assert_int_eq(run("status"), 77);
	expect_in(err, "store: open to others (mode 0755)");
	ck_assert_int_eq(chmod(store, 0700), 0);

	rec = pl_test_path(clinic, "store/practitioners/p1.json");
	ck_assert_int_eq(chmod(rec, 0640), 0);
	ck_assert_int_eq(run("link", "p1"), 77);
	expect_in(err, "p1.json: readable or writable by others (mode 0640)");
	ck_assert_int_eq(chmod(rec, 0600), 0);

	pl_test_write(clinic, "key", 0600, CANARY "\n");
	key = pl_test_path(clinic, "key");
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(rec, 4242, 4242), 0);
		ck_assert_int_eq(run("link", "p1"), 77);
		expect_in(err, "p1.json: owned by uid 4242");
		ck_assert_int_eq(chown(rec, 0, 0), 0);

		ck_assert_int_eq(chown(store, 4242, 4242), 0);
		ck_assert_int_eq(run("status"), 77);
		expect_in(err, "store: owned by uid 4242");
		ck_assert_int_eq(chown(store, 0, 0), 0);

		ck_assert_int_eq(chown(key, 4242, 4242), 0);
		ck_assert_int_eq(run("practitioner", "add", "p2", "--first-name", "A",
				     "--last-name", "B", "--email", "a@b.c", "--pms-key-file", key),
				 64);
		expect_in(err, "key: owned by uid 4242");
	}
	ck_assert_int_eq(run("link", "p1"), 0);
	free(store);
	free(rec);
	free(key);
}
END_TEST

START_TEST(no_key_in_proc_or_store_fields)
{
	char *key, proc[64], *text, *rec;
	pid_t pid;
	int status;

	clinic = pl_test_clinic("latency_ms = 150;", 1);
	pl_test_write(clinic, "key", 0600, CANARY "\n");
	key = pl_test_path(clinic, "key");
	ck_assert_int_eq(run("practitioner", "add", "p1", "--first-name", "Ada", "--last-name",
			     "Lovelace", "--email", "ada@c.example", "--pms-key-file", key),
			 0);
	pid = pl_test_spawn(pl_test_practlink_words(clinic, "-v", "link", "p1", (char *)NULL));
	/* Once practlink has set itself up (its core limit is 0), look at it
	 * while it works: the link takes 5 x 150 ms. */
	snprintf(proc, sizeof proc, "/proc/%d/limits", (int)pid);
	bool closed = false;
	for (int i = 0; i < 1000 * pl_test_slow() && !closed; i++) {
		struct timespec ts = { 0, 2000000L };
		text = pl_test_read(proc);
		closed = text && strstr(text, "Max core file size        0                    0");
		free(text);
		if (!closed)
			nanosleep(&ts, NULL);
	}
	ck_assert_msg(closed, "practlink did not turn core dumps off");
	const char *files[] = { "cmdline", "environ" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(proc, sizeof proc, "/proc/%d/%s", (int)pid, files[i]);
		text = pl_test_read(proc);
		ck_assert_ptr_nonnull(text);
		expect_not_in(text, CANARY);
		free(text);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The record's other fields hold no key. */
	rec = pl_test_record(clinic, "p1");
	pl_record *r;
	pl_err e;
	ck_assert_int_eq(pl_record_parse(rec, strlen(rec), "p1", &r, &e), PRACTLINK_OK);
	const char *fields[] = { r->id,    r->first_name,       r->last_name,
				 r->email, r->links[0].user_id, r->links[0].integration };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		expect_not_in(fields[i], CANARY);
		expect_not_in(fields[i], r->links[0].backend_key->str);
	}
	pl_record_free(r);
	free(rec);
	free(key);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, killed_at_random_moments);
	tcase_add_test(tc, an_import_killed_at_random_moments);
	tcase_add_test(tc, torn_timestamps_and_key_hints);
	tcase_add_test(tc, the_lock_keeps_store_and_platform_agreeing);
	tcase_add_test(tc, a_failing_disk);
	tcase_add_test(tc, loose_permissions_and_foreign_owners);
	tcase_add_test(tc, no_key_in_proc_or_store_fields);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
