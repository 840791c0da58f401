/* SPDX-License-Identifier: MIT */
/* test_loader.c - a module is loaded only when its name, folder, file and
 * table all check out; one that fails leaves the others working. */
#include "internal.h"
#include "testutil.h"

#include <string.h>
#include <unistd.h>

static char *dir;

static void setup(void)
{
	dir = pl_test_tmpdir();
}

static void teardown(void)
{
	pl_test_rmrf(dir);
	free(dir);
}

/* Loads name from folder, expecting status and a message holding frag. */
static void expect(const char *folder, const char *name, practlink_status status, const char *frag)
{
	pl_module *mod = NULL;
	pl_err err = { 0 };

	ck_assert_int_eq(pl_module_load(folder, name, &mod, &err), status);
	if (status != PRACTLINK_OK) {
		ck_assert_ptr_null(mod);
		ck_assert_msg(strstr(err.msg, frag), "'%s' lacks '%s'", err.msg, frag);
	}
	pl_module_unload(mod);
}

/* A private copy of mock.so in dir/mods, with the given modes. */
static char *copy_mock(mode_t dir_mode, mode_t file_mode)
{
	char *mods = pl_test_path(dir, "mods");
	char *src = pl_test_path(pl_test_env("PL_MODULE_DIR"), "mock.so");
	char *dst = pl_test_path(mods, "mock.so");

	ck_assert_int_eq(mkdir(mods, 0755), 0);
	pl_test_copy(src, dst, file_mode);
	ck_assert_int_eq(chmod(mods, dir_mode), 0);
	free(src);
	free(dst);
	return mods;
}

START_TEST(loads_mock)
{
	pl_module *mod;
	pl_err err = { 0 };

	ck_assert_int_eq(pl_module_load(pl_test_env("PL_MODULE_DIR"), "mock", &mod, &err),
			 PRACTLINK_OK);
	ck_assert_str_eq(mod->be->name, "mock");
	ck_assert_uint_eq(mod->be->abi, PRACTLINK_MODULE_ABI);
	ck_assert_ptr_nonnull(strstr(mod->path, "/mock.so"));
	pl_module_unload(mod);
}
END_TEST

START_TEST(two_modules_are_two_modules)
{
	pl_module *a, *b;
	pl_err err = { 0 };

	/* Each is loaded through /proc/self/fd/N: a number reused for the
	 * second must not hand back the first. */
	ck_assert_int_eq(pl_module_load(pl_test_env("PL_MODULE_DIR"), "mock", &a, &err),
			 PRACTLINK_OK);
	ck_assert_int_eq(pl_module_load(pl_test_env("PL_MODULE_DIR"), "physitrack", &b, &err),
			 PRACTLINK_OK);
	ck_assert_str_eq(a->be->name, "mock");
	ck_assert_str_eq(b->be->name, "physitrack");
	pl_module_unload(a);
	pl_module_unload(b);
}
END_TEST

START_TEST(wrong_abi)
{
	expect(pl_test_env("PL_TEST_MODULE_DIR"), "bad_abi", PRACTLINK_MODULE,
	       "bad_abi.so: built for module ABI 43, this practlink speaks 2");
}
END_TEST

START_TEST(missing_symbol)
{
	expect(pl_test_env("PL_TEST_MODULE_DIR"), "no_symbol", PRACTLINK_MODULE,
	       "no_symbol.so: does not export practlink_backend_v1");
}
END_TEST

START_TEST(name_mismatch)
{
	expect(pl_test_env("PL_TEST_MODULE_DIR"), "bad_name", PRACTLINK_MODULE,
	       "calls itself 'mock' but was loaded as 'bad_name'");
}
END_TEST

START_TEST(names_are_never_paths)
{
	const char *bad[] = { "../mock", "/usr/lib/evil", "mock.so",     "Mock",
			      "",        "a b",           "x/../../mock" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect(pl_test_env("PL_MODULE_DIR"), bad[i], PRACTLINK_MODULE, "not a bare name");
}
END_TEST

/* ABI 2's tables grow: one built before probe was appended loads, with
 * probe NULL to the core; one built with an operation this core does not
 * know loads, and that operation is left out. */
START_TEST(shorter_and_longer_tables)
{
	const char *tests = pl_test_env("PL_TEST_MODULE_DIR");
	pl_module *mod = NULL;
	pl_err err = { 0 };

	ck_assert_int_eq(pl_module_load(tests, "short", &mod, &err), PRACTLINK_OK);
	ck_assert_ptr_null(mod->be->probe);
	ck_assert_ptr_nonnull(mod->be->verify);
	ck_assert_uint_eq(mod->be->size, sizeof(practlink_backend));
	pl_module_unload(mod);
	ck_assert_int_eq(pl_module_load(tests, "long", &mod, &err), PRACTLINK_OK);
	ck_assert_ptr_nonnull(mod->be->probe);
	char buf[64];
	ck_assert_int_eq(mod->be->probe(NULL, buf, sizeof buf), PRACTLINK_OK);
	ck_assert_str_eq(buf, "long answers");
	pl_module_unload(mod);
	ck_assert_int_eq(pl_module_load(tests, "tiny", &mod, &err), PRACTLINK_MODULE);
	ck_assert_ptr_nonnull(strstr(err.msg, "its table is 8 bytes, shorter than any of ABI 2"));
}
END_TEST

START_TEST(world_writable_folder)
{
	char *mods = copy_mock(0777, 0644);

	expect(mods, "mock", PRACTLINK_MODULE, "world-writable (mode 0777)");
	ck_assert_int_eq(chmod(mods, 0775), 0);
	expect(mods, "mock", PRACTLINK_MODULE, "group-writable (mode 0775)");
	/* The sticky bit does not make a folder open to all safe either; and
	 * such a folder (/tmp) is never to be closed with chmod. */
	ck_assert_int_eq(chmod(mods, 01777), 0);
	expect(mods, "mock", PRACTLINK_MODULE, "a folder open to everyone (mode 1777");
	{
		pl_module *mod = NULL;
		pl_err err = { 0 };
		ck_assert_int_eq(pl_module_load(mods, "mock", &mod, &err), PRACTLINK_MODULE);
		ck_assert_ptr_null(strstr(err.msg, "chmod"));
		ck_assert_ptr_nonnull(strstr(err.hint, "use a folder only root can write"));
	}
	ck_assert_int_eq(chmod(mods, 0755), 0);
	expect(mods, "mock", PRACTLINK_OK, NULL);
	free(mods);
}
END_TEST

START_TEST(writable_module_file)
{
	char *mods = copy_mock(0755, 0666);

	expect(mods, "mock", PRACTLINK_MODULE, "mock.so: world-writable (mode 0666)");
	free(mods);
}
END_TEST

START_TEST(symlinked_module)
{
	char *mods = pl_test_path(dir, "mods");
	char *link = pl_test_path(mods, "mock.so");
	char *target = pl_test_path(pl_test_env("PL_MODULE_DIR"), "mock.so");

	ck_assert_int_eq(mkdir(mods, 0755), 0);
	ck_assert_int_eq(symlink(target, link), 0);
	expect(mods, "mock", PRACTLINK_MODULE, "symbolic link");
	free(mods);
	free(link);
	free(target);
}
END_TEST

START_TEST(module_of_another_owner)
{
	char *mods = copy_mock(0755, 0644);
	char *file = pl_test_path(mods, "mock.so");

	if (geteuid() == 0) {
		ck_assert_int_eq(chown(file, 4242, 4242), 0);
		expect(mods, "mock", PRACTLINK_MODULE, "owned by uid 4242");
		ck_assert_int_eq(chown(file, 0, 0), 0);
		ck_assert_int_eq(chown(mods, 4242, 4242), 0);
		expect(mods, "mock", PRACTLINK_MODULE, "owned by uid 4242");
	}
	free(file);
	free(mods);
}
END_TEST

START_TEST(missing_and_garbage)
{
	expect(dir, "ghost", PRACTLINK_MODULE, "ghost.so: No such file or directory");
	pl_test_write(dir, "junk.so", 0644, "not an ELF file\n");
	expect(dir, "junk", PRACTLINK_MODULE, "junk.so: cannot be loaded");
	expect("/nonexistent-practlink", "mock", PRACTLINK_MODULE, "/nonexistent-practlink");
}
END_TEST

START_TEST(status_outside_enum_is_internal)
{
	pl_module *mod;
	pl_instance *inst;
	pl_err err = { 0 };
	pl_integration ig = { .name = "bad_status", .module = "bad_status", .file = "x.conf" };
	practlink_person p = { .id = "p1" };

	ck_assert_int_eq(
		pl_module_load(pl_test_env("PL_TEST_MODULE_DIR"), "bad_status", &mod, &err),
		PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_open(NULL, mod, &ig, &inst, &err), PRACTLINK_OK);
	ck_assert_int_eq(pl_instance_verify(inst, &p, NULL, NULL), PRACTLINK_INTERNAL);
	ck_assert_str_eq(inst->err.msg, "internal error");
	pl_instance_close(inst);
	pl_module_unload(mod);
}
END_TEST

START_TEST(one_faulty_module_leaves_others_working)
{
	char *clinic = pl_test_clinic(NULL, 1);
	char *path = pl_test_path(clinic, "practlink.conf");
	practlink_integration_info in = { .size = sizeof in };
	practlink_ctx *ctx;

	pl_test_write(clinic, "integrations.d/alpha.conf", 0644,
		      "alpha = { enabled = true; module = \"bad_abi\"; };\n");
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	practlink_set_module_dir(ctx, pl_test_env("PL_MODULE_DIR"));
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	ck_assert_uint_eq(practlink_integration_count(ctx), 2);

	ck_assert_int_eq(practlink_integration_get(ctx, 0, &in), PRACTLINK_OK);
	ck_assert_str_eq(in.name, "alpha");
	ck_assert_int_eq(in.load_status, PRACTLINK_MODULE);
	ck_assert_ptr_nonnull(strstr(in.load_error, "bad_abi.so: No such file"));
	ck_assert_int_eq(practlink_integration_check(ctx, 0), PRACTLINK_MODULE);

	ck_assert_int_eq(practlink_integration_get(ctx, 1, &in), PRACTLINK_OK);
	ck_assert_str_eq(in.name, "mock");
	ck_assert_int_eq(in.load_status, PRACTLINK_OK);
	ck_assert_str_eq(in.version, PACKAGE_VERSION);
	ck_assert_msg(practlink_integration_check(ctx, 1) == PRACTLINK_OK, "%s",
		      practlink_errmsg(ctx));
	practlink_free(ctx);
	pl_test_rmrf(clinic);
	free(clinic);
	free(path);
}
END_TEST

START_TEST(module_dir_from_environment)
{
	char *clinic = pl_test_clinic(NULL, 1);
	char *path = pl_test_path(clinic, "practlink.conf");
	practlink_ctx *ctx;

	setenv("PRACTLINK_MODULE_DIR", pl_test_env("PL_MODULE_DIR"), 1);
	ck_assert_int_eq(practlink_new(&ctx), PRACTLINK_OK);
	ck_assert_int_eq(practlink_load_config(ctx, path), PRACTLINK_OK);
	ck_assert_str_eq(practlink_module_dir(ctx), pl_test_env("PL_MODULE_DIR"));
	ck_assert_int_eq(practlink_integration_check(ctx, 0), PRACTLINK_OK);
	unsetenv("PRACTLINK_MODULE_DIR");
	practlink_free(ctx);
	pl_test_rmrf(clinic);
	free(clinic);
	free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, loads_mock);
	tcase_add_test(tc, two_modules_are_two_modules);
	tcase_add_test(tc, wrong_abi);
	tcase_add_test(tc, missing_symbol);
	tcase_add_test(tc, name_mismatch);
	tcase_add_test(tc, names_are_never_paths);
	tcase_add_test(tc, world_writable_folder);
	tcase_add_test(tc, shorter_and_longer_tables);
	tcase_add_test(tc, writable_module_file);
	tcase_add_test(tc, symlinked_module);
	tcase_add_test(tc, module_of_another_owner);
	tcase_add_test(tc, missing_and_garbage);
	tcase_add_test(tc, status_outside_enum_is_internal);
	tcase_add_test(tc, one_faulty_module_leaves_others_working);
	tcase_add_test(tc, module_dir_from_environment);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
