/* SPDX-License-Identifier: MIT */
/* test_mock.c - mock.so, the test double: every operation, persistence
 * across instances and processes, determinism, and fault injection. */
#include "internal.h"
#include "testutil.h"

#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *clinic;
static practlink_ctx *ctx;

static void teardown(void)
{
	practlink_free(ctx);
	ctx = NULL;
	pl_test_rmrf(clinic);
	free(clinic);
	clinic = NULL;
}

/* A clinic whose mock has the given settings; returns an open instance. */
static pl_instance *open_mock(const char *settings)
{
	char *path;
	pl_instance *inst;
	pl_err err = { 0 };

	if (!clinic) {
		clinic = pl_test_clinic(settings, 1);
		path = pl_test_path(clinic, "practlink.conf");
		ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
		practlink_set_module_dir(ctx, pl_test_env("PL_MODULE_DIR"));
		ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
		free(path);
	}
	ck_assert_ptr_nonnull(pl_ctx_module(ctx, 0));
	ck_assert_msg(pl_instance_open(&ctx->env, pl_ctx_module(ctx, 0), &ctx->cfg->integ[0], &inst,
				       &err) == PRACTLINK_OK,
		      "%s", err.msg);
	return inst;
}

static practlink_secret *secret(const char *s)
{
	return pl_secret_new(s, strlen(s));
}

/* Counts the lines of calls.log that start with prefix. */
static int calls(const char *prefix)
{
	return pl_test_count_lines(clinic, "mock-state/calls.log", prefix);
}

/* Links p through every operation; returns the backend key. */
static practlink_secret *link_fully(pl_instance *inst, practlink_person *p, const char *pms)
{
	char uid[PRACTLINK_USER_ID_MAX];
	practlink_secret *key = secret(pms), *backend = NULL;

	ck_assert_int_eq(pl_instance_create_user(inst, p, uid), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_set_integration(inst, p, "juvonno"), PRACTLINK_OK);
	ck_assert_msg(pl_instance_exchange(inst, p, key, &backend) == PRACTLINK_OK, "%s",
		      inst->err.msg);
	pl_secret_free(key);
	return backend;
}

START_TEST(every_operation)
{
	pl_instance *inst = open_mock(NULL);
	practlink_person p = { "p1", "Ada", "Lovelace", "ada@example.org", NULL };
	char uid[PRACTLINK_USER_ID_MAX], uid2[PRACTLINK_USER_ID_MAX];
	practlink_secret *pms = secret("PmsKey0123456789abcdefghijKLMNOP"), *backend, *wrong;

	ck_assert_int_eq(pl_instance_find_user(inst, &p, uid), PRACTLINK_NO_USER);
	ck_assert_int_eq(pl_instance_create_user(inst, &p, uid), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_find_user(inst, &p, uid2), PRACTLINK_OK);
	ck_assert_str_eq(uid, uid2);
	/* The platform's emails are unique: a second user is refused. */
	ck_assert_int_eq(pl_instance_create_user(inst, &p, uid2), PRACTLINK_PROTOCOL);
	ck_assert_ptr_nonnull(strstr(inst->err.msg, "already exists"));

	/* No PMS chosen yet: the token cannot be entered. */
	ck_assert_int_eq(pl_instance_exchange(inst, &p, pms, &backend), PRACTLINK_AUTH);
	ck_assert_ptr_null(backend);
	ck_assert_int_eq(pl_instance_set_integration(inst, &p, "juvonno"), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_exchange(inst, &p, pms, &backend), PRACTLINK_OK);
	ck_assert_uint_ge(backend->len, 16);
	ck_assert_int_eq(pl_instance_verify(inst, &p, pms, backend), PRACTLINK_OK);

	wrong = secret("PmsKey0123456789abcdefghijKLMNOQ");
	ck_assert_int_eq(pl_instance_verify(inst, &p, wrong, backend), PRACTLINK_AUTH);
	ck_assert_int_eq(pl_instance_verify(inst, &p, pms, wrong), PRACTLINK_AUTH);
	ck_assert_int_eq(pl_instance_revoke(inst, &p), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_verify(inst, &p, pms, backend), PRACTLINK_AUTH);
	ck_assert_int_eq(calls("create_user p1 "), 1);
	ck_assert_int_eq(calls("exchange p1 "), 1);
	ck_assert_int_eq(calls("revoke p1 "), 1);
	pl_secret_free(pms);
	pl_secret_free(backend);
	pl_secret_free(wrong);
	pl_instance_close(inst);
}
END_TEST

START_TEST(bad_pms_key)
{
	pl_instance *inst = open_mock(NULL);
	practlink_person p = { "p1", "Ada", "Lovelace", "ada@example.org", NULL };
	char uid[PRACTLINK_USER_ID_MAX];
	practlink_secret *empty = secret(""), *spaced = secret("abc def"), *backend;

	ck_assert_int_eq(pl_instance_create_user(inst, &p, uid), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_set_integration(inst, &p, "juvonno"), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_exchange(inst, &p, empty, &backend), PRACTLINK_BAD_KEY);
	ck_assert_int_eq(pl_instance_exchange(inst, &p, spaced, &backend), PRACTLINK_BAD_KEY);
	pl_secret_free(empty);
	pl_secret_free(spaced);
	pl_instance_close(inst);
}
END_TEST

START_TEST(wrong_pms_name_fails_verify)
{
	pl_instance *inst = open_mock(NULL);
	practlink_person p = { "p1", "Ada", "Lovelace", "ada@example.org", NULL };
	practlink_secret *pms = secret("PmsKey0123456789abcdefghijKLMNOP"), *backend;
	char uid[PRACTLINK_USER_ID_MAX];

	ck_assert_int_eq(pl_instance_create_user(inst, &p, uid), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_set_integration(inst, &p, "cliniko"), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_exchange(inst, &p, pms, &backend), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_verify(inst, &p, pms, backend), PRACTLINK_AUTH);
	ck_assert_ptr_nonnull(strstr(inst->err.msg, "not integrated with juvonno"));
	pl_secret_free(pms);
	pl_secret_free(backend);
	pl_instance_close(inst);
}
END_TEST

START_TEST(persists_and_is_deterministic)
{
	pl_instance *a = open_mock(NULL), *b;
	practlink_person p = { "p1", "Ada", "Lovelace", "Ada@Example.org", NULL };
	practlink_person same = { "p1", "Ada", "Lovelace", "ada@example.org", NULL };
	practlink_secret *pms = secret("PmsKey0123456789abcdefghijKLMNOP");
	practlink_secret *k1 = link_fully(a, &p, pms->str), *k2;
	char uid[PRACTLINK_USER_ID_MAX];

	pl_instance_close(a);
	/* Another instance (another worker, or process) sees the same user. */
	b = open_mock(NULL);
	ck_assert_int_eq(pl_instance_find_user(b, &same, uid), PRACTLINK_OK);
	same.user_id = uid;
	ck_assert_int_eq(pl_instance_verify(b, &same, pms, k1), PRACTLINK_OK);
	/* The same PMS key again gives the same platform key. */
	ck_assert_int_eq(pl_instance_exchange(b, &same, pms, &k2), PRACTLINK_OK);
	ck_assert_str_eq(k1->str, k2->str);
	pl_secret_free(pms);
	pl_secret_free(k1);
	pl_secret_free(k2);
	pl_instance_close(b);
}
END_TEST

START_TEST(fail_step_with_status)
{
	pl_instance *inst = open_mock("fail_step = \"exchange\"; fail_status = \"AUTH\";");
	practlink_person p = { "p1", "Ada", "Lovelace", "ada@example.org", NULL };
	practlink_secret *pms = secret("PmsKey0123456789abcdefghijKLMNOP"), *backend;
	char uid[PRACTLINK_USER_ID_MAX];

	ck_assert_int_eq(pl_instance_create_user(inst, &p, uid), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_set_integration(inst, &p, "juvonno"), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_exchange(inst, &p, pms, &backend), PRACTLINK_AUTH);
	ck_assert_str_eq(inst->err.msg, "injected failure at exchange");
	ck_assert_int_eq(calls("exchange"), 0);
	pl_secret_free(pms);
	pl_instance_close(inst);
}
END_TEST

START_TEST(fail_open)
{
	char *path;
	pl_err err = { 0 };
	pl_instance *inst;

	clinic = pl_test_clinic("fail_step = \"open\";", 1);
	path = pl_test_path(clinic, "practlink.conf");
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	practlink_set_module_dir(ctx, pl_test_env("PL_MODULE_DIR"));
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_open(&ctx->env, pl_ctx_module(ctx, 0), &ctx->cfg->integ[0],
					  &inst, &err),
			 PRACTLINK_TRANSIENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "injected failure at open"));
	free(path);
}
END_TEST

/* How many of n find_user calls fail with the given settings. */
static int failures(const char *settings, int n)
{
	pl_instance *inst = open_mock(settings);
	practlink_person p = { "p1", "Ada", "Lovelace", "ada@example.org", NULL };
	char uid[PRACTLINK_USER_ID_MAX];
	int failed = 0;

	for (int i = 0; i < n; i++)
		if (pl_instance_find_user(inst, &p, uid) == PRACTLINK_TRANSIENT)
			failed++;
	pl_instance_close(inst);
	return failed;
}

START_TEST(fail_rate_is_seeded)
{
	int a = failures("fail_rate = 0.25; seed = 7;", 2000);
	int b = failures("fail_rate = 0.25; seed = 7;", 2000);

	/* The same seed draws the same failures; about a quarter of them. */
	ck_assert_int_eq(a, b);
	ck_assert_int_gt(a, 400);
	ck_assert_int_lt(a, 600);
	teardown();
	ck_assert_int_ne(failures("fail_rate = 0.25; seed = 8;", 2000), a);
	teardown();
	ck_assert_int_eq(failures("fail_rate = 0;", 200), 0);
	teardown();
	ck_assert_int_eq(failures("fail_rate = 1.0;", 200), 200);
}
END_TEST

START_TEST(latency_is_added)
{
	pl_instance *inst = open_mock("latency_ms = 30;");
	practlink_person p = { "p1", "Ada", "Lovelace", "ada@example.org", NULL };
	char uid[PRACTLINK_USER_ID_MAX];
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 3; i++)
		pl_instance_find_user(inst, &p, uid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* A floor, not a speed target: each call waits at least its latency. */
	ck_assert_int_ge((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 90);
	pl_instance_close(inst);
}
END_TEST

START_TEST(bad_settings)
{
	char *path;
	pl_err err = { 0 };
	pl_instance *inst;
	const char *cases[][2] = {
		{ "fail_status = \"NOPE\";", "fail_status \"NOPE\"" },
		{ "fail_status = \"OK\";", "not a failure status" },
		{ "fail_rate = 2.0;", "fail_rate must lie in 0..1" },
		{ "latency_ms = \"slow\";", "'mock.settings.latency_ms' must be a whole number" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		clinic = pl_test_clinic(cases[i][0], 1);
		path = pl_test_path(clinic, "practlink.conf");
		ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
		practlink_set_module_dir(ctx, pl_test_env("PL_MODULE_DIR"));
		ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
		ck_assert_int_eq(pl_instance_open(&ctx->env, pl_ctx_module(ctx, 0),
						  &ctx->cfg->integ[0], &inst, &err),
				 PRACTLINK_CONFIG);
		ck_assert_msg(strstr(err.msg, cases[i][1]), "'%s' lacks '%s'", err.msg,
			      cases[i][1]);
		free(path);
		teardown();
	}
}
END_TEST

/* Links practitioners first..first+n-1 through one instance. */
static void link_range(int first, int n)
{
	pl_instance *inst = open_mock(NULL);

	for (int i = first; i < first + n; i++) {
		char id[32], email[64];
		snprintf(id, sizeof id, "p%d", i);
		snprintf(email, sizeof email, "p%d@example.org", i);
		practlink_person p = { id, "A", "B", email, NULL };
		pl_secret_free(link_fully(inst, &p, "PmsKey0123456789abcdefghijKLMNOP"));
	}
	pl_instance_close(inst);
}

static void *link_thread(void *arg)
{
	link_range((int)(long)arg * 50, 50);
	return NULL;
}

START_TEST(many_workers_and_processes)
{
	pthread_t threads[4];
	pid_t kids[3];
	int status;

	pl_instance_close(open_mock(NULL)); /* make the clinic */
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			link_range(1000 + k * 50, 50);
			_exit(0);
		}
	}
	for (long t = 0; t < 4; t++)
		ck_assert_int_eq(pthread_create(&threads[t], NULL, link_thread, (void *)t), 0);
	for (int t = 0; t < 4; t++)
		pthread_join(threads[t], NULL);
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(waitpid(kids[k], &status, 0), kids[k]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(calls("create_user "), 350);
	ck_assert_int_eq(calls("exchange "), 350);
	/* Nothing was lost: every user verifies with its key. */
	pl_instance *inst = open_mock(NULL);
	practlink_person p = { "p1020", "A", "B", "p1020@example.org", NULL };
	practlink_secret *pms = secret("PmsKey0123456789abcdefghijKLMNOP"), *k;
	ck_assert_int_eq(pl_instance_exchange(inst, &p, pms, &k), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_verify(inst, &p, pms, k), PRACTLINK_OK);
	pl_secret_free(pms);
	pl_secret_free(k);
	pl_instance_close(inst);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mock");
	TCase *tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, every_operation);
	tcase_add_test(tc, bad_pms_key);
	tcase_add_test(tc, wrong_pms_name_fails_verify);
	tcase_add_test(tc, persists_and_is_deterministic);
	tcase_add_test(tc, fail_step_with_status);
	tcase_add_test(tc, fail_open);
	tcase_add_test(tc, fail_rate_is_seeded);
	tcase_add_test(tc, latency_is_added);
	tcase_add_test(tc, bad_settings);
	tcase_add_test(tc, many_workers_and_processes);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
