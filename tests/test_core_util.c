/*
 * core/util: the allocators that never fail.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Aligned as asked, for sizes that are and are not a multiple of the
 * alignment (rounded up: every octet of the rounded size is usable, which
 * ASan checks), zero included; free() frees it. */
START_TEST(test_xaligned_alloc)
{
    static const size_t aligns[] = {16, 64, 4096};
    static const size_t sizes[] = {0, 1, 63, 64, 65, 1000, 4096, 5000};
    for (size_t i = 0; i < sizeof aligns / sizeof *aligns; i++)
        for (size_t j = 0; j < sizeof sizes / sizeof *sizes; j++) {
            size_t a = aligns[i], n = sizes[j];
            uint8_t *p = xaligned_alloc(a, n);
            ck_assert_ptr_nonnull(p);
            ck_assert_uint_eq((uintptr_t)p % a, 0);
            size_t rounded = n ? (n + a - 1) / a * a : a;
            memset(p, 0xA5, rounded);
            ck_assert_uint_eq(p[rounded - 1], 0xA5);
            free(p);
        }
}
END_TEST

Suite *core_util_suite(void)
{
    Suite *s = suite_create("core_util");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_xaligned_alloc);
    suite_add_tcase(s, tc);
    return s;
}
