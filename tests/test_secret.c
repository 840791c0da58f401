/* SPDX-License-Identifier: MIT */
/* test_secret.c - secrets are copied, wiped, and keys generated well. */
#include "internal.h"
#include "testutil.h"

#include <string.h>

START_TEST(secret_copies_and_wipes)
{
	char src[] = "s3cretKEY";
	practlink_secret *s = pl_secret_new(src, strlen(src));

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->len, 9);
	ck_assert_str_eq(s->str, "s3cretKEY");
	ck_assert_ptr_ne(s->str, src);
	pl_secret_wipe(s);
	for (size_t i = 0; i < 9; i++)
		ck_assert_int_eq(s->str[i], 0);
	pl_secret_free(s);
	pl_secret_free(NULL);
}
END_TEST

START_TEST(strong_key_rules)
{
	ck_assert(pl_key_is_strong("abcdefghijABCDEFGHIJ0123456789", 30));
	/* 29 characters is too short. */
	ck_assert(!pl_key_is_strong("abcdefghijABCDEFGHIJ012345678", 29));
	ck_assert(!pl_key_is_strong("abcdefghijabcdefghij0123456789", 30)); /* no upper */
	ck_assert(!pl_key_is_strong("ABCDEFGHIJABCDEFGHIJ0123456789", 30)); /* no lower */
	ck_assert(!pl_key_is_strong("abcdefghijABCDEFGHIJabcdefghij", 30)); /* no digit */
	ck_assert(!pl_key_is_strong("abcdefghijABCDEFGHIJ012345678-", 30));
	ck_assert(!pl_key_is_strong("abcdefghijABCDEFGHIJ01234 6789", 30));
}
END_TEST

START_TEST(keygen_meets_the_rules)
{
	char a[41], b[41];
	int seen[128] = { 0 };

	for (int i = 0; i < 500; i++) {
		ck_assert_int_eq(practlink_keygen(a, sizeof a), PRACTLINK_OK);
		ck_assert_uint_eq(strlen(a), 40);
		ck_assert(pl_key_is_strong(a, 40));
		for (int j = 0; j < 40; j++)
			seen[(unsigned char)a[j]]++;
	}
	/* 20,000 draws from 62 characters: every one of them turns up. */
	for (const char *c = "AZaz09Mm5"; *c; c++)
		ck_assert_int_gt(seen[(unsigned char)*c], 0);
	ck_assert_int_eq(practlink_keygen(b, sizeof b), PRACTLINK_OK);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(practlink_keygen(a, PRACTLINK_PMS_KEY_MIN), PRACTLINK_USAGE);
	ck_assert_int_eq(practlink_keygen(a, PRACTLINK_PMS_KEY_MIN + 1), PRACTLINK_OK);
	ck_assert_uint_eq(strlen(a), PRACTLINK_PMS_KEY_MIN);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("secret");

	tcase_add_test(tc, secret_copies_and_wipes);
	tcase_add_test(tc, strong_key_rules);
	tcase_add_test(tc, keygen_meets_the_rules);
	suite_add_tcase(s, tc);
	return pl_test_main(s);
}
