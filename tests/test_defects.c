/* test_defects.c - what an attack and a review found, each reproduced:
 * contracts a host can break, the network's numbers and bodies, the
 * store's other files, and input that must never reach a record or a
 * terminal. Each test failed before its fix. */
#include "internal.h"
#include "internal.h" /* twice: the guard must cover the whole header */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *clinic, *out, *err;
static practlink_ctx *ctx;

#define run(...) pl_test_practlink(clinic, NULL, NULL, &out, &err, __VA_ARGS__, (char *)NULL)
#define expect_in pl_test_expect_in
#define expect_not_in pl_test_expect_not_in

static void setup(void)
{
	clinic = pl_test_clinic(NULL, 1);
	out = err = NULL;
	ctx = NULL;
}

static void teardown(void)
{
	practlink_free(ctx);
	pl_test_rmrf(clinic);
	free(clinic);
	free(out);
	free(err);
}

/* A context on the clinic, with the built modules. */
static practlink_ctx *open_ctx(void)
{
	char *path = pl_test_path(clinic, "practlink.conf");

	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	practlink_set_module_dir(ctx, pl_test_env("PL_MODULE_DIR"));
	ck_assert_msg(practlink_load_config(ctx, path) == PRACTLINK_OK, "%s",
		      practlink_errmsg(ctx));
	free(path);
	return ctx;
}

/* 4. The empty assist of an automatic link has nothing to finish. */
START_TEST(finishing_an_empty_assist)
{
	practlink_assist *a = NULL;

	pl_test_add(clinic, "p1");
	open_ctx();
	ck_assert_int_eq(practlink_assist_begin(ctx, "p1", NULL, 0, &a), PRACTLINK_OK);
	ck_assert_ptr_nonnull(a);
	ck_assert(!practlink_assist_needs_key(a));
	ck_assert_int_eq(practlink_assist_finish(ctx, a, "key", 3), PRACTLINK_USAGE);
	expect_in(practlink_errmsg(ctx), "waits for no key");
	practlink_assist_free(a);
}
END_TEST

/* 5. A caller's errno must not turn a refused folder into "none". */
START_TEST(stale_errno_is_not_read)
{
	char *dir = pl_test_path(clinic, "integrations.d");
	char *path = pl_test_path(clinic, "practlink.conf");

	ck_assert_int_eq(chmod(dir, 0775), 0);
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	errno = ENOENT;
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_CONFIG);
	expect_in(practlink_errmsg(ctx), "group-writable (mode 0775)");
	free(dir);
	free(path);
}
END_TEST

/* 6. An empty integrations.d: no integration, and no qsort of NULL. */
START_TEST(empty_integrations_folder)
{
	pl_test_unlink(clinic, "integrations.d/mock.conf");
	open_ctx();
	ck_assert_uint_eq(practlink_integration_count(ctx), 0);
}
END_TEST

static void count_outcome(void *arg, const practlink_outcome *o)
{
	(*(int *)arg)++;
}

/* 8. A host's struct is validated: a zeroed one runs nothing. */
START_TEST(zeroed_bulk_is_refused)
{
	practlink_bulk b = { 0 };
	int outcomes = 0;

	pl_test_add(clinic, "p1");
	open_ctx();
	b.done = count_outcome;
	b.done_arg = &outcomes;
	ck_assert_int_eq(practlink_bulk_run(ctx, &b), PRACTLINK_USAGE);
	expect_in(practlink_errmsg(ctx), "op 0 is none of");
	b.op = 99;
	ck_assert_int_eq(practlink_bulk_run(ctx, &b), PRACTLINK_USAGE);
	b.op = PRACTLINK_BULK_VERIFY;
	b.flags = 1u << 7;
	ck_assert_int_eq(practlink_bulk_run(ctx, &b), PRACTLINK_USAGE);
	expect_in(practlink_errmsg(ctx), "unknown flags 0x80");
	ck_assert_int_eq(outcomes, 0);
	ck_assert_int_eq(practlink_link(ctx, "p1", NULL, 1u << 5), PRACTLINK_USAGE);
	char *rec = pl_test_record(clinic, "p1");
	expect_not_in(rec, "\"linked\"");
	free(rec);
}
END_TEST

/* 21. An id that a listing would not show is never accepted. */
START_TEST(hidden_ids_are_refused)
{
	ck_assert_int_eq(run("practitioner", "add", ".hidden", "--first-name", "A", "--last-name",
			     "B", "--email", "a@b.c"),
			 64);
	expect_in(err, "beginning with a letter or a digit");
	ck_assert_int_eq(run("practitioner", "add", "-x", "--first-name", "A", "--last-name", "B",
			     "--email", "a@b.c"),
			 64);
	ck_assert_int_eq(practlink_id_is_valid("_x"), 0);
	ck_assert_int_eq(practlink_id_is_valid("x.y-z_1"), 1);
}
END_TEST

static Suite *defects_suite(void)
{
	Suite *s = suite_create("defects");
	TCase *tc = tcase_create("defects");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120 * pl_test_slow());
	tcase_add_test(tc, finishing_an_empty_assist);
	tcase_add_test(tc, stale_errno_is_not_read);
	tcase_add_test(tc, empty_integrations_folder);
	tcase_add_test(tc, zeroed_bulk_is_refused);
	tcase_add_test(tc, hidden_ids_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return pl_test_main(defects_suite());
}
