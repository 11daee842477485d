/* Big blocks: aligned to their size, every octet usable, each its own. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "core/bigblock.h"

START_TEST(test_blocks_aligned_and_apart)
{
    enum { COUNT = 4 };
    uint8_t *b[COUNT];
    for (size_t i = 0; i < COUNT; i++) {
        b[i] = bigblock_alloc();
        ck_assert_ptr_nonnull(b[i]);
        ck_assert_uint_eq((uintptr_t)b[i] % BIGBLOCK_SIZE, 0);
        memset(b[i], (int)('a' + i), BIGBLOCK_SIZE);
    }
    /* No block shares an octet with another: each still holds its own pattern, first to last. */
    for (size_t i = 0; i < COUNT; i++) {
        ck_assert_uint_eq(b[i][0], 'a' + i);
        ck_assert_uint_eq(b[i][BIGBLOCK_SIZE / 2], 'a' + i);
        ck_assert_uint_eq(b[i][BIGBLOCK_SIZE - 1], 'a' + i);
        for (size_t j = 0; j < COUNT; j++)
            if (j != i)
                ck_assert(b[j] + BIGBLOCK_SIZE <= b[i] || b[i] + BIGBLOCK_SIZE <= b[j]);
    }
    for (size_t i = 0; i < COUNT; i++)
        bigblock_free(b[i]);
    bigblock_free(NULL); /* nothing, as free(NULL) */
}
END_TEST

Suite *core_bigblock_suite(void)
{
    Suite *s = suite_create("core_bigblock");
    TCase *tc = tcase_create("bigblock");
    tcase_add_test(tc, test_blocks_aligned_and_apart);
    suite_add_tcase(s, tc);
    return s;
}
