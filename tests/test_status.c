/* SPDX-License-Identifier: MIT */
/* test_status.c - the tables generated from practlink-status.def. */
#include "internal.h"
#include "testutil.h"

#include <string.h>

/* DESIGN's table of statuses and exit codes. */
static const struct {
	practlink_status st;
	const char *name;
	int exit_code;
} expected[] = {
	{ PRACTLINK_OK, "OK", 0 },
	{ PRACTLINK_USAGE, "USAGE", 64 },
	{ PRACTLINK_BAD_KEY, "BAD_KEY", 65 },
	{ PRACTLINK_NOT_FOUND, "NOT_FOUND", 67 },
	{ PRACTLINK_NO_USER, "NO_USER", 67 },
	{ PRACTLINK_DISABLED, "DISABLED", 69 },
	{ PRACTLINK_MODULE, "MODULE", 69 },
	{ PRACTLINK_INTERNAL, "INTERNAL", 70 },
	{ PRACTLINK_STORE, "STORE", 74 },
	{ PRACTLINK_TRANSIENT, "TRANSIENT", 75 },
	{ PRACTLINK_PROTOCOL, "PROTOCOL", 76 },
	{ PRACTLINK_PERMISSION, "PERMISSION", 77 },
	{ PRACTLINK_AUTH, "AUTH", 77 },
	{ PRACTLINK_CONFIG, "CONFIG", 78 },
};

START_TEST(table_matches_design)
{
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		ck_assert_str_eq(practlink_status_name(expected[i].st), expected[i].name);
		ck_assert_int_eq(practlink_exit_code(expected[i].st), expected[i].exit_code);
		ck_assert_int_eq(practlink_status_from_name(expected[i].name), expected[i].st);
		ck_assert(strlen(practlink_strerror(expected[i].st)) > 0);
		/* Every failure the operator can act on carries a hint. */
		if (expected[i].st != PRACTLINK_OK && expected[i].st != PRACTLINK_USAGE &&
		    expected[i].st != PRACTLINK_INTERNAL)
			ck_assert(strlen(practlink_hint(expected[i].st)) > 0);
	}
}
END_TEST

START_TEST(seed_hints)
{
	/* The seed's troubleshooting, word for word where it matters. */
	ck_assert_ptr_nonnull(strstr(practlink_hint(PRACTLINK_BAD_KEY), "without spaces"));
	ck_assert_ptr_nonnull(strstr(practlink_hint(PRACTLINK_DISABLED), "clinic-wide"));
	ck_assert_ptr_nonnull(strstr(practlink_hint(PRACTLINK_PERMISSION), "staff profiles"));
	ck_assert_ptr_nonnull(strstr(practlink_hint(PRACTLINK_AUTH), "both keys"));
	ck_assert_ptr_nonnull(strstr(practlink_hint(PRACTLINK_NO_USER), "on the platform first"));
}
END_TEST

START_TEST(outside_the_enum_is_internal)
{
	ck_assert_int_eq(pl_status_check(999), PRACTLINK_INTERNAL);
	ck_assert_int_eq(pl_status_check(-1), PRACTLINK_INTERNAL);
	ck_assert_int_eq(pl_status_check(PRACTLINK_AUTH), PRACTLINK_AUTH);
	ck_assert_str_eq(practlink_status_name((practlink_status)999), "INTERNAL");
	ck_assert_int_eq(practlink_exit_code((practlink_status)-5), 70);
	ck_assert_int_eq(practlink_status_from_name("NOPE"), -1);
}
END_TEST

START_TEST(err_set_formats)
{
	pl_err err = { 0 };

	ck_assert_int_eq(pl_err_set(&err, PRACTLINK_STORE, "%s: %d", "x", 7), PRACTLINK_STORE);
	ck_assert_int_eq(err.status, PRACTLINK_STORE);
	ck_assert_str_eq(err.msg, "x: 7");
	ck_assert_int_eq(pl_err_set(NULL, PRACTLINK_AUTH, "ignored"), PRACTLINK_AUTH);
}
END_TEST

/* The version a host compiles against, and the one it runs with. */
START_TEST(versions_agree)
{
	char num[16];

	ck_assert_str_eq(practlink_version(), PACKAGE_VERSION);
	snprintf(num, sizeof num, "%d.%d.%d", PRACTLINK_VERSION_NUM >> 16,
		 (PRACTLINK_VERSION_NUM >> 8) & 0xff, PRACTLINK_VERSION_NUM & 0xff);
	ck_assert_str_eq(num, PACKAGE_VERSION);
	ck_assert_int_eq(PRACTLINK_ID_MAX, 65);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("status");

	tcase_add_test(tc, table_matches_design);
	tcase_add_test(tc, seed_hints);
	tcase_add_test(tc, outside_the_enum_is_internal);
	tcase_add_test(tc, err_set_formats);
	tcase_add_test(tc, versions_agree);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
