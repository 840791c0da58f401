/* SPDX-License-Identifier: MIT */
/* test_scale.c - polite at scale: a run's workers share one pace per
 * integration, never faster than http.max_rate, and slow down together
 * when the platform answers 429, so that a rate-limited platform sees
 * few refusals and every practitioner is still verified. (How close to
 * the ideal time is make bench's to measure, not a test's.) */
#include "internal.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static char *clinic, *out, *err;
static pl_fake fake;

#define run(...) pl_test_practlink(clinic, NULL, NULL, &out, &err, __VA_ARGS__, (char *)NULL)

/* n practitioners linked on physitrack (bench000000...), the fake
 * server knowing their keys, and http settings as given. */
static void clinic_of(int n, const char *http)
{
	char count[16], *store, *state, *text, *mkstore;

	clinic = pl_test_tmpdir();
	store = pl_test_path(clinic, "store");
	state = pl_test_path(clinic, "fake.state");
	mkstore = pl_test_path(pl_test_env("PL_BUILDDIR"), "bench/mkstore");
	snprintf(count, sizeof count, "%d", n);
	char *argv[] = { mkstore, store, count, "bench", state, NULL };
	ck_assert_int_eq(pl_test_run(argv, NULL, NULL, NULL), 0);
	text = pl_test_read(state);
	pl_fake_start(&fake, text);
	free(text);
	ck_assert(asprintf(&text,
			   "pms_name = \"juvonno\";\nstore = { path = \"store\"; };\n"
			   "http = { timeout_ms = 60000; %s };\n",
			   http) > 0);
	pl_test_write(clinic, "practlink.conf", 0644, text);
	free(text);
	ck_assert(asprintf(&text,
			   "bench = { enabled = true; module = \"physitrack\";\n"
			   "  settings = { region = \"uk\"; base_url = "
			   "\"http://127.0.0.1:%u/{region}\"; allow_insecure_http = true; }; };\n",
			   fake.port) > 0);
	pl_test_write(clinic, "integrations.d/bench.conf", 0644, text);
	free(text);
	free(mkstore);
	free(state);
	free(store);
}

static void teardown(void)
{
	pl_fake_stop(&fake);
	pl_test_rmrf(clinic);
	free(clinic);
	free(out);
	free(err);
	clinic = out = err = NULL;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 2,000 verifications on 32 workers against a platform that answers 200
 * a second: every one verified, fewer than 5% of requests refused. */
START_TEST(a_rate_limited_platform)
{
	struct timespec t0;
	long refused, asked;
	double took;

	clinic_of(2000, "");
	pl_fake_fault(&fake, "ratelimit 200/s");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(run("-q", "verify", "--all", "-j", "32") == 0, "%s%s", out, err);
	took = seconds_since(&t0);
	refused = pl_fake_count(&fake, "ratelimited");
	asked = pl_fake_count(&fake, "requests /uk/api/v2/exercises");
	ck_assert_int_ge(asked, 2000);
	ck_assert_msg(refused * 20 < asked, "%ld of %ld requests refused", refused, asked);
	/* Not a measure of speed (make bench has it), only of not stalling:
	 * 10 s is the platform's own limit. */
	ck_assert_msg(took < 30.0 * pl_test_slow(), "took %.1f s", took);
	printf("a_rate_limited_platform: 2000 verified in %.1f s, %ld of %ld requests "
	       "refused\n",
	       took, refused, asked);
}
END_TEST

/* http.max_rate = 100: 300 verifications take 3 s at the least, however
 * fast the platform and the machine. */
START_TEST(never_faster_than_max_rate)
{
	struct timespec t0;
	double took;

	clinic_of(300, "max_rate = 100;");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(run("-q", "verify", "--all", "-j", "32") == 0, "%s%s", out, err);
	took = seconds_since(&t0);
	ck_assert_msg(took >= 2.9, "300 requests at 100 a second took only %.2f s", took);
	ck_assert_int_eq(pl_fake_count(&fake, "ratelimited"), 0);
}
END_TEST

static practlink_status note_id(void *arg, const char *id)
{
	char ***ids = arg;

	**ids = strdup(id);
	(*ids)++;
	return PRACTLINK_OK;
}

/* Every id once, in byte order, whether the ids fit one run or are
 * merged from several through temporary files. */
START_TEST(ids_in_order_in_runs)
{
	static const size_t runs[] = { 65536, 100, 7 };
	char *path, *ids[1000], **next;
	practlink_ctx *ctx;

	clinic_of(1000, "");
	path = pl_test_path(clinic, "practlink.conf");
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
		pl_sort_run_ids = runs[r];
		next = ids;
		ck_assert_int_eq(practlink_practitioner_each(ctx, note_id, &next), PRACTLINK_OK);
		ck_assert_int_eq(next - ids, 1000);
		for (int i = 0; i < 1000; i++) {
			char want[32];
			snprintf(want, sizeof want, "bench%06d", i);
			ck_assert_str_eq(ids[i], want);
			free(ids[i]);
		}
	}
	pl_sort_run_ids = 65536;
	practlink_free(ctx);
	free(path);
}
END_TEST

/* A setting out of range is refused with its file and line. */
START_TEST(max_rate_is_checked)
{
	clinic_of(1, "max_rate = -1;");
	ck_assert_int_eq(run("status"), 78);
	pl_test_expect_in(err, "practlink.conf:3: 'http.max_rate'");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scale");
	TCase *tc = tcase_create("scale");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_rate_limited_platform);
	tcase_add_test(tc, never_faster_than_max_rate);
	tcase_add_test(tc, max_rate_is_checked);
	tcase_add_test(tc, ids_in_order_in_runs);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
