/* Big blocks: aligned to their size, every octet usable, each its own. */
#include <check.h>
#include <stdbool.h>
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

/* A block given back serves the next taker, up to BIGBLOCK_KEEP of them;
 * under AddressSanitizer none is kept. */
START_TEST(test_blocks_kept)
{
    enum { EXTRA = 3 };
    size_t before = bigblock_kept();
    uint8_t *b[BIGBLOCK_KEEP + EXTRA];
    for (size_t i = 0; i < BIGBLOCK_KEEP + EXTRA; i++) {
        b[i] = bigblock_alloc();
        ck_assert_ptr_nonnull(b[i]);
        b[i][BIGBLOCK_SIZE - 1] = (uint8_t)i;
    }
    ck_assert_uint_eq(bigblock_kept(), 0); /* whatever was kept was taken first */
#if defined(__SANITIZE_ADDRESS__)
    const bool keeps = false;
#else
    const bool keeps = true;
#endif
    bigblock_free(b[0]);
    ck_assert_uint_eq(bigblock_kept(), keeps ? 1 : 0);
    uint8_t *again = bigblock_alloc();
    if (keeps)
        ck_assert_ptr_eq(again, b[0]); /* the same block, still mapped and writable */
    again[0] = 1;
    b[0] = again;
    ck_assert_uint_eq(bigblock_kept(), 0);
    for (size_t i = 0; i < BIGBLOCK_KEEP + EXTRA; i++)
        bigblock_free(b[i]);
    /* at most BIGBLOCK_KEEP stay; the rest went back to the system */
    ck_assert_uint_eq(bigblock_kept(), keeps ? BIGBLOCK_KEEP : 0);
    ck_assert_uint_le(before, BIGBLOCK_KEEP);
}
END_TEST

Suite *core_bigblock_suite(void)
{
    Suite *s = suite_create("core_bigblock");
    TCase *tc = tcase_create("bigblock");
    tcase_add_test(tc, test_blocks_aligned_and_apart);
    tcase_add_test(tc, test_blocks_kept);
    suite_add_tcase(s, tc);
    return s;
}
