/* SPDX-License-Identifier: MIT */
/* test_config.c - practlink.conf and integrations.d: every error names the
 * file, the line and the setting, and a failed load changes nothing. */
#include "internal.h"
#include "testutil.h"

#include <string.h>
#include <unistd.h>

static char *dir;
static char warnings[4096];

static void collect(void *data, int level, const char *msg)
{
	strncat(warnings, msg, sizeof warnings - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static void setup(void)
{
	dir = pl_test_clinic(NULL, 1);
	warnings[0] = '\0';
}

static void teardown(void)
{
	pl_test_rmrf(dir);
	free(dir);
}

/* Loads dir/practlink.conf into a fresh context; returns it for checks. */
static practlink_status load(practlink_ctx **ctx)
{
	char *path = pl_test_path(dir, "practlink.conf");
	practlink_status st;

	ck_assert_int_eq(practlink_new(ctx), PRACTLINK_OK);
	practlink_set_log(*ctx, PRACTLINK_LOG_DEBUG, collect, NULL);
	st = practlink_load_config(*ctx, path);
	free(path);
	return st;
}

/* Expects the load to fail with status and a message holding each of the
 * NULL-terminated fragments. */
static void expect_failure(practlink_status status, ...)
{
	practlink_ctx *ctx;
	const char *frag;
	va_list ap;

	ck_assert_int_eq(load(&ctx), status);
	va_start(ap, status);
	while ((frag = va_arg(ap, const char *)))
		ck_assert_msg(strstr(practlink_errmsg(ctx), frag), "'%s' lacks '%s'",
			      practlink_errmsg(ctx), frag);
	va_end(ap);
	ck_assert_uint_eq(practlink_integration_count(ctx), 0);
	practlink_free(ctx);
}

START_TEST(valid_clinic_loads)
{
	practlink_ctx *ctx;
	char *expect;

	ck_assert_int_eq(load(&ctx), PRACTLINK_OK);
	ck_assert_str_eq(ctx->cfg->pms_name, "juvonno");
	/* Relative paths resolve against the file's folder. */
	expect = pl_test_path(dir, "store");
	ck_assert_str_eq(ctx->cfg->store_path, expect);
	free(expect);
	expect = pl_test_path(dir, "integrations.d");
	ck_assert_str_eq(ctx->cfg->integrations_dir, expect);
	free(expect);
	ck_assert_str_eq(ctx->cfg->module_dir, MODULEDIR);
	ck_assert_int_eq(ctx->cfg->http.timeout_ms, 15000);
	ck_assert_int_eq(ctx->cfg->http.retries, 3);
	ck_assert_uint_eq(practlink_integration_count(ctx), 1);
	ck_assert_str_eq(ctx->cfg->integ[0].name, "mock");
	ck_assert(ctx->cfg->integ[0].enabled);
	ck_assert(ctx->cfg->integ[0].create_missing_users);
	ck_assert_ptr_nonnull(practlink_config_file(ctx, 1));
	ck_assert_ptr_null(practlink_config_file(ctx, 2));
	ck_assert_str_eq(warnings, "");
	practlink_free(ctx);
}
END_TEST

START_TEST(shipped_configs_load)
{
	/* The shipped files are valid; physitrack and mock, in name order. */
	char *path = pl_test_path(pl_test_env("PL_SRCDIR"), "conf/practlink.conf.in");
	practlink_ctx *ctx;

	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	practlink_set_log(ctx, PRACTLINK_LOG_DEBUG, collect, NULL);
	ck_assert_msg(practlink_load_config(ctx, path) == PRACTLINK_OK, "%s",
		      practlink_errmsg(ctx));
	ck_assert_uint_eq(practlink_integration_count(ctx), 2);
	ck_assert_str_eq(ctx->cfg->integ[0].name, "mock");
	ck_assert_str_eq(ctx->cfg->integ[1].name, "physitrack");
	ck_assert(!ctx->cfg->integ[1].enabled);
	free(path);
	practlink_free(ctx);
}
END_TEST

START_TEST(group_writable_file)
{
	char *path = pl_test_path(dir, "practlink.conf");

	ck_assert_int_eq(chmod(path, 0664), 0);
	expect_failure(PRACTLINK_CONFIG, path, "group-writable (mode 0664)", "chmod go-w", NULL);
	free(path);
}
END_TEST

START_TEST(world_writable_integration)
{
	char *path = pl_test_path(dir, "integrations.d/mock.conf");

	ck_assert_int_eq(chmod(path, 0646), 0);
	expect_failure(PRACTLINK_CONFIG, "mock.conf", "world-writable (mode 0646)", NULL);
	free(path);
}
END_TEST

START_TEST(writable_integrations_folder)
{
	char *path = pl_test_path(dir, "integrations.d");

	ck_assert_int_eq(chmod(path, 0777), 0);
	expect_failure(PRACTLINK_CONFIG, "integrations.d", "world-writable (mode 0777)", NULL);
	free(path);
}
END_TEST

START_TEST(owned_by_another_user)
{
	char *path = pl_test_path(dir, "practlink.conf");

	if (geteuid() != 0) {
		free(path);
		return; /* only root can give a file away */
	}
	ck_assert_int_eq(chown(path, 4242, 4242), 0);
	expect_failure(PRACTLINK_CONFIG, path, "owned by uid 4242", NULL);
	free(path);
}
END_TEST

START_TEST(symlink_refused)
{
	char *real = pl_test_path(dir, "real.conf");
	char *path = pl_test_path(dir, "practlink.conf");

	ck_assert_int_eq(rename(path, real), 0);
	ck_assert_int_eq(symlink(real, path), 0);
	expect_failure(PRACTLINK_CONFIG, path, "symbolic link", NULL);
	free(real);
	free(path);
}
END_TEST

START_TEST(include_refused_and_survived)
{
	/* libconfig 1.5 would exit() the whole process on this line. */
	pl_test_write(dir, "practlink.conf", 0644, "pms_name = \"juvonno\";\n@include \".\"\n");
	expect_failure(PRACTLINK_CONFIG, "practlink.conf:2:", "@include", NULL);
	pl_test_write(dir, "integrations.d/mock.conf", 0644,
		      "  @include \"/etc/passwd\"\nmock = { module = \"mock\"; };\n");
	pl_test_write(dir, "practlink.conf", 0644, "pms_name = \"juvonno\";\n");
	expect_failure(PRACTLINK_CONFIG, "mock.conf:1:", "@include", NULL);
}
END_TEST

START_TEST(wrong_type)
{
	pl_test_write(dir, "practlink.conf", 0644, "# a comment\n\npms_name = 42;\n");
	expect_failure(PRACTLINK_CONFIG, "practlink.conf:3:", "'pms_name' must be a string", NULL);
	pl_test_write(dir, "practlink.conf", 0644,
		      "pms_name = \"juvonno\";\nhttp = {\n  timeout_ms = \"fast\";\n};\n");
	expect_failure(PRACTLINK_CONFIG, "practlink.conf:3:", "'http.timeout_ms' must be a whole",
		       NULL);
	pl_test_write(dir, "practlink.conf", 0644, "pms_name = \"juvonno\";\n");
	pl_test_write(dir, "integrations.d/mock.conf", 0644,
		      "mock = {\n  enabled = \"yes\";\n  module = \"mock\";\n};\n");
	expect_failure(PRACTLINK_CONFIG, "mock.conf:2:", "'mock.enabled' must be true or false",
		       NULL);
}
END_TEST

START_TEST(syntax_error_names_line)
{
	pl_test_write(dir, "practlink.conf", 0644, "pms_name = \"juvonno\";\nstore = {\n");
	expect_failure(PRACTLINK_CONFIG, "practlink.conf:", "syntax error", NULL);
}
END_TEST

START_TEST(bad_values)
{
	pl_test_write(dir, "practlink.conf", 0644, "pms_name = \"Juvonno PMS\";\n");
	expect_failure(PRACTLINK_CONFIG, "practlink.conf:1:", "lower case", NULL);
	pl_test_write(dir, "practlink.conf", 0644, "store = { path = \"x\"; };\n");
	expect_failure(PRACTLINK_CONFIG, "'pms_name' is missing", NULL);
	pl_test_write(dir, "practlink.conf", 0644,
		      "pms_name = \"juvonno\";\nlog = { level = \"loud\"; };\n");
	expect_failure(PRACTLINK_CONFIG, "practlink.conf:2:", "'log.level' \"loud\"", NULL);
	pl_test_write(dir, "practlink.conf", 0644,
		      "pms_name = \"juvonno\";\nhttp = { retries = -1; };\n");
	expect_failure(PRACTLINK_CONFIG,
		       "practlink.conf:2:", "'http.retries' must be a whole number from 0 to 20",
		       NULL);
	pl_test_write(dir, "practlink.conf", 0644,
		      "pms_name = \"juvonno\";\nstore = { type = \"ldap\"; };\n");
	expect_failure(PRACTLINK_CONFIG, "'store.type' \"ldap\"", NULL);
}
END_TEST

START_TEST(module_must_be_bare)
{
	pl_test_write(dir, "integrations.d/mock.conf", 0644,
		      "mock = {\n  enabled = true;\n  module = \"../../tmp/evil\";\n};\n");
	expect_failure(PRACTLINK_CONFIG, "mock.conf:3:", "bare module name", NULL);
	pl_test_write(dir, "integrations.d/mock.conf", 0644,
		      "mock = {\n  module = \"mock.so\";\n};\n");
	expect_failure(PRACTLINK_CONFIG, "mock.conf:2:", "bare module name", NULL);
	pl_test_write(dir, "integrations.d/mock.conf", 0644, "mock = { enabled = true; };\n");
	expect_failure(PRACTLINK_CONFIG, "mock.conf:1:", "'mock.module' is missing", NULL);
}
END_TEST

START_TEST(group_named_after_file)
{
	pl_test_write(dir, "integrations.d/mock.conf", 0644, "other = { module = \"mock\"; };\n");
	expect_failure(PRACTLINK_CONFIG, "group is named 'other' but the file is 'mock.conf'",
		       NULL);
	pl_test_write(dir, "integrations.d/mock.conf", 0644,
		      "mock = { module = \"mock\"; };\nmore = { module = \"mock\"; };\n");
	expect_failure(PRACTLINK_CONFIG, "exactly one group", NULL);
}
END_TEST

START_TEST(unknown_settings_warn)
{
	practlink_ctx *ctx;

	pl_test_write(dir, "practlink.conf", 0644,
		      "pms_name = \"juvonno\";\ncolour = \"blue\";\nhttp = { speed = 3; };\n");
	ck_assert_int_eq(load(&ctx), PRACTLINK_OK);
	ck_assert_ptr_nonnull(strstr(warnings, "practlink.conf:2: unknown setting 'colour'"));
	ck_assert_ptr_nonnull(strstr(warnings, "practlink.conf:3: unknown setting 'http.speed'"));
	practlink_free(ctx);
}
END_TEST

START_TEST(name_order_and_other_files_skipped)
{
	practlink_ctx *ctx;

	pl_test_write(dir, "integrations.d/alpha.conf", 0644, "alpha = { module = \"mock\"; };\n");
	pl_test_write(dir, "integrations.d/zeta.conf", 0644, "zeta = { module = \"mock\"; };\n");
	pl_test_write(dir, "integrations.d/notes.txt", 0644, "not a config\n");
	pl_test_write(dir, "integrations.d/.hidden.conf", 0644, "broken {\n");
	ck_assert_int_eq(load(&ctx), PRACTLINK_OK);
	ck_assert_uint_eq(practlink_integration_count(ctx), 3);
	ck_assert_str_eq(ctx->cfg->integ[0].name, "alpha");
	ck_assert_str_eq(ctx->cfg->integ[1].name, "mock");
	ck_assert_str_eq(ctx->cfg->integ[2].name, "zeta");
	ck_assert(!ctx->cfg->integ[0].enabled); /* off unless switched on */
	practlink_free(ctx);
}
END_TEST

START_TEST(failed_reload_keeps_the_old)
{
	practlink_ctx *ctx;
	char *path = pl_test_path(dir, "practlink.conf");

	ck_assert_int_eq(load(&ctx), PRACTLINK_OK);
	/* The main file is fine but an integration is broken: nothing changes. */
	pl_test_write(dir, "practlink.conf", 0644, "pms_name = \"cliniko\";\n");
	pl_test_write(dir, "integrations.d/zz.conf", 0644, "zz = { module = 7; };\n");
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_CONFIG);
	ck_assert_str_eq(ctx->cfg->pms_name, "juvonno");
	ck_assert_uint_eq(practlink_integration_count(ctx), 1);
	pl_test_unlink(dir, "integrations.d/zz.conf");
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	ck_assert_str_eq(ctx->cfg->pms_name, "cliniko");
	free(path);
	practlink_free(ctx);
}
END_TEST

START_TEST(missing_file)
{
	char *path = pl_test_path(dir, "practlink.conf");

	unlink(path);
	expect_failure(PRACTLINK_CONFIG, path, "No such file", NULL);
	free(path);
}
END_TEST

START_TEST(environment_names_the_file)
{
	char *path = pl_test_path(dir, "practlink.conf");
	practlink_ctx *ctx;

	setenv("PRACTLINK_CONFIG", path, 1);
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	ck_assert_int_eq(practlink_load_config(ctx, NULL), PRACTLINK_OK);
	ck_assert_str_eq(practlink_config_file(ctx, 0), path);
	unsetenv("PRACTLINK_CONFIG");
	practlink_free(ctx);
	free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_clinic_loads);
	tcase_add_test(tc, shipped_configs_load);
	tcase_add_test(tc, group_writable_file);
	tcase_add_test(tc, world_writable_integration);
	tcase_add_test(tc, writable_integrations_folder);
	tcase_add_test(tc, owned_by_another_user);
	tcase_add_test(tc, symlink_refused);
	tcase_add_test(tc, include_refused_and_survived);
	tcase_add_test(tc, wrong_type);
	tcase_add_test(tc, syntax_error_names_line);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, module_must_be_bare);
	tcase_add_test(tc, group_named_after_file);
	tcase_add_test(tc, unknown_settings_warn);
	tcase_add_test(tc, name_order_and_other_files_skipped);
	tcase_add_test(tc, failed_reload_keeps_the_old);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, environment_names_the_file);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
