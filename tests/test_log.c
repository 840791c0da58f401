/* SPDX-License-Identifier: MIT */
/* test_log.c - levels, the host's callback, and level names. */
#include "internal.h"
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct seen {
	int count;
	int level;
	char last[256];
};

static void collect(void *data, int level, const char *msg)
{
	struct seen *s = data;

	s->count++;
	s->level = level;
	snprintf(s->last, sizeof s->last, "%s", msg);
}

START_TEST(filters_by_level)
{
	struct seen s = { 0 };
	pl_log log = { PRACTLINK_LOG_WARNING, collect, &s, false };

	pl_log_msg(&log, PRACTLINK_LOG_INFO, "quiet %d", 1);
	ck_assert_int_eq(s.count, 0);
	pl_log_msg(&log, PRACTLINK_LOG_ERR, "loud %d", 2);
	ck_assert_int_eq(s.count, 1);
	ck_assert_int_eq(s.level, PRACTLINK_LOG_ERR);
	ck_assert_str_eq(s.last, "loud 2");
	log.level = PRACTLINK_LOG_DEBUG;
	pl_log_msg(&log, PRACTLINK_LOG_DEBUG, "detail");
	ck_assert_int_eq(s.count, 2);
}
END_TEST

START_TEST(no_sink_drops)
{
	pl_log log = { PRACTLINK_LOG_DEBUG, NULL, NULL, false };
	char path[] = "/tmp/practlink-log.XXXXXX";
	int fd = mkstemp(path), saved_out = dup(1), saved_err = dup(2);
	struct stat st;

	/* Nothing to call and no syslog: the library stays silent, never
	 * falling back to the host's stdout or stderr. */
	ck_assert_int_ge(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	pl_log_msg(&log, PRACTLINK_LOG_ERR, "dropped");
	pl_log_msg(NULL, PRACTLINK_LOG_ERR, "dropped");
	fflush(NULL);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
	close(saved_out);
	close(saved_err);
	unlink(path);
}
END_TEST

START_TEST(level_names)
{
	ck_assert_int_eq(pl_log_level_from_name("debug"), PRACTLINK_LOG_DEBUG);
	ck_assert_int_eq(pl_log_level_from_name("error"), PRACTLINK_LOG_ERR);
	ck_assert_int_eq(pl_log_level_from_name("loud"), -1);
	ck_assert_str_eq(pl_log_level_name(PRACTLINK_LOG_WARNING), "warning");
}
END_TEST

START_TEST(context_log_level_from_host)
{
	struct seen s = { 0 };
	practlink_ctx *ctx;

	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	practlink_set_log(ctx, PRACTLINK_LOG_ERR, collect, &s);
	pl_log_msg(&ctx->log, PRACTLINK_LOG_WARNING, "below");
	pl_log_msg(&ctx->log, PRACTLINK_LOG_ERR, "at");
	ck_assert_int_eq(s.count, 1);
	practlink_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, filters_by_level);
	tcase_add_test(tc, no_sink_drops);
	tcase_add_test(tc, level_names);
	tcase_add_test(tc, context_log_level_from_host);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
