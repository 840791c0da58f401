/* SPDX-License-Identifier: MIT */
/* test_cli.c - practlink(1) run as a sysadmin would: exit codes, and
 * messages that say what is wrong and where. */
#include "internal.h"
#include "testutil.h"

#include <stdarg.h>
#include <string.h>
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

#define run_in(dir, ...) pl_test_practlink(clinic, dir, NULL, &out, &err, __VA_ARGS__)
#define run(...) run_in(NULL, __VA_ARGS__, (char *)NULL)
#define expect_in pl_test_expect_in

START_TEST(version_and_help)
{
	ck_assert_int_eq(run("--version"), 0);
	expect_in(out, "practlink " PACKAGE_VERSION);
	ck_assert_int_eq(run("--help"), 0);
	expect_in(out, "modules");
	expect_in(out, "doctor");
	expect_in(out, "keygen");
	/* A command's help needs no configuration. */
	pl_test_unlink(clinic, "practlink.conf");
	ck_assert_int_eq(run("doctor", "--help"), 0);
	expect_in(out, "usage: practlink doctor");
	ck_assert_int_eq(run("modules", "--help"), 0);
	expect_in(out, "usage: practlink modules");
}
END_TEST

START_TEST(usage_errors)
{
	ck_assert_int_eq(run("frobnicate"), 64);
	expect_in(err, "unknown command 'frobnicate'");
	ck_assert_int_eq(run("keygen", "--bogus"), 64);
	expect_in(err, "--bogus: unknown option");
	ck_assert_int_eq(run("modules", "extra"), 64);
	expect_in(err, "unexpected argument 'extra'");
	ck_assert_int_eq(pl_test_practlink(clinic, NULL, NULL, &out, &err, (char *)NULL), 64);
}
END_TEST

START_TEST(modules_lists_each_module_or_why_not)
{
	pl_test_write(clinic, "integrations.d/physitrack.conf", 0644,
		      "physitrack = { enabled = false; module = \"physitrack\"; };\n");
	pl_test_write(clinic, "integrations.d/rehab.conf", 0644,
		      "rehab = { enabled = false; module = \"rehabplatform\"; };\n");
	ck_assert_int_eq(run("modules"), 69);
	expect_in(out, "mock             mock         2    " PACKAGE_VERSION);
	expect_in(out, "mock.so");
	expect_in(out, "physitrack       physitrack   2    " PACKAGE_VERSION);
	expect_in(out, "rehab            rehabplatform -    -        error: ");
	expect_in(out, "rehabplatform.so: No such file or directory");
	ck_assert_int_eq(run("--json", "modules"), 69);
	expect_in(out, "\"integration\":\t\"mock\"");
	expect_in(out, "\"abi\":\t2");
	expect_in(out, "\"error\":\tnull");
}
END_TEST

START_TEST(doctor_on_a_healthy_clinic)
{
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run("doctor"), 0);
	expect_in(out, "ok    config file: ");
	expect_in(out, "practlink.conf (mode 0644");
	expect_in(out, "ok    module_dir: ");
	expect_in(out, "ok    integration mock: enabled; module mock " PACKAGE_VERSION);
	ck_assert_ptr_null(strstr(out, "FAIL"));
}
END_TEST

START_TEST(doctor_names_what_to_fix)
{
	pl_test_add(clinic, "p1");
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = false; module = \"mock\"; };\n");
	pl_test_write(clinic, "integrations.d/rehab.conf", 0644,
		      "rehab = { enabled = true; module = \"rehabplatform\"; };\n");
	ck_assert_int_eq(run("doctor"), 69);
	expect_in(out, "warn  integration mock: disabled in ");
	expect_in(out, "hint: enable the clinic-wide integration first");
	expect_in(out, "FAIL  integration rehab: ");
	expect_in(out, "rehabplatform.so: No such file");
	expect_in(out, "hint: the module could not be loaded");
	ck_assert_int_eq(run("--json", "doctor"), 69);
	expect_in(out, "\"result\":\t\"FAIL\"");
	expect_in(out, "\"status\":\t\"MODULE\"");
}
END_TEST

START_TEST(doctor_reports_a_bad_config)
{
	char *path = pl_test_path(clinic, "practlink.conf");

	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(run("doctor"), 78);
	expect_in(out, "FAIL  configuration: ");
	expect_in(out, "world-writable (mode 0666)");
	expect_in(out, "hint: run: chmod go-w ");
	free(path);
}
END_TEST

/* The acceptance list of the foundation: each with its exit code and a
 * message a sysadmin understands. */
START_TEST(group_writable_config)
{
	char *path = pl_test_path(clinic, "practlink.conf");

	ck_assert_int_eq(chmod(path, 0664), 0);
	ck_assert_int_eq(run("modules"), 78);
	expect_in(err, "practlink.conf: group-writable (mode 0664); run: chmod go-w ");
	free(path);
}
END_TEST

START_TEST(symlinked_config)
{
	char *path = pl_test_path(clinic, "practlink.conf");
	char *real = pl_test_path(clinic, "elsewhere.conf");

	ck_assert_int_eq(rename(path, real), 0);
	ck_assert_int_eq(symlink(real, path), 0);
	ck_assert_int_eq(run("modules"), 78);
	expect_in(err, "practlink.conf: is a symbolic link; name the real file");
	free(path);
	free(real);
}
END_TEST

START_TEST(include_dot)
{
	pl_test_write(clinic, "practlink.conf", 0644, "pms_name = \"juvonno\";\n@include \".\"\n");
	ck_assert_int_eq(run("modules"), 78);
	expect_in(err, "practlink.conf:2: @include and other directives are not allowed");
}
END_TEST

START_TEST(setting_of_wrong_type)
{
	pl_test_write(clinic, "practlink.conf", 0644,
		      "pms_name = \"juvonno\";\nhttp = { retries = \"3\"; };\n");
	ck_assert_int_eq(run("modules"), 78);
	expect_in(err, "practlink.conf:2: 'http.retries' must be a whole number");
}
END_TEST

START_TEST(module_name_with_slash)
{
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = {\n  enabled = true;\n  module = \"../evil/mock\";\n};\n");
	ck_assert_int_eq(run("modules"), 78);
	expect_in(err, "mock.conf:3: 'mock.module' \"../evil/mock\" must be a bare module name");
}
END_TEST

START_TEST(module_in_world_writable_folder)
{
	char *mods = pl_test_path(clinic, "mods");
	char *src = pl_test_path(pl_test_env("PL_MODULE_DIR"), "mock.so");
	char *dst = pl_test_path(mods, "mock.so");

	ck_assert_int_eq(mkdir(mods, 0777), 0);
	ck_assert_int_eq(chmod(mods, 0777), 0);
	pl_test_copy(src, dst, 0644);
	pl_test_add(clinic, "p1");
	ck_assert_int_eq(run_in(mods, "modules", (char *)NULL), 69);
	expect_in(out, "mods: world-writable (mode 0777)");
	ck_assert_int_eq(run_in(mods, "doctor", (char *)NULL), 69);
	expect_in(out, "FAIL  integration mock: ");
	expect_in(out, "mods: world-writable (mode 0777)");
	free(mods);
	free(src);
	free(dst);
}
END_TEST

START_TEST(module_with_wrong_abi_or_no_symbol)
{
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"bad_abi\"; };\n");
	ck_assert_int_eq(run_in(pl_test_env("PL_TEST_MODULE_DIR"), "modules", (char *)NULL), 69);
	expect_in(out, "bad_abi.so: built for module ABI 43, this practlink speaks 2");
	pl_test_write(clinic, "integrations.d/mock.conf", 0644,
		      "mock = { enabled = true; module = \"no_symbol\"; };\n");
	ck_assert_int_eq(run_in(pl_test_env("PL_TEST_MODULE_DIR"), "modules", (char *)NULL), 69);
	expect_in(out, "no_symbol.so: does not export practlink_backend_v1");
}
END_TEST

START_TEST(missing_config)
{
	pl_test_unlink(clinic, "practlink.conf");
	ck_assert_int_eq(run("modules"), 78);
	expect_in(err, "practlink.conf: No such file or directory");
}
END_TEST

START_TEST(keygen)
{
	char first[64];

	ck_assert_int_eq(run("keygen"), 0);
	ck_assert_uint_eq(strlen(out), 41);
	ck_assert(pl_key_is_strong(out, 40));
	snprintf(first, sizeof first, "%s", out);
	ck_assert_int_eq(run("keygen"), 0);
	ck_assert_str_ne(first, out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, version_and_help);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, modules_lists_each_module_or_why_not);
	tcase_add_test(tc, doctor_on_a_healthy_clinic);
	tcase_add_test(tc, doctor_names_what_to_fix);
	tcase_add_test(tc, doctor_reports_a_bad_config);
	tcase_add_test(tc, group_writable_config);
	tcase_add_test(tc, symlinked_config);
	tcase_add_test(tc, include_dot);
	tcase_add_test(tc, setting_of_wrong_type);
	tcase_add_test(tc, module_name_with_slash);
	tcase_add_test(tc, module_in_world_writable_folder);
	tcase_add_test(tc, module_with_wrong_abi_or_no_symbol);
	tcase_add_test(tc, missing_config);
	tcase_add_test(tc, keygen);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
