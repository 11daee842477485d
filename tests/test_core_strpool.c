/* The string pool: copies that stay put while the pool grows, of any length. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/strpool.h"

static const size_t lengths[] = {0, 1, 7, 255, 256, 257, 1000, 70000};

/* Every copy keeps its bytes however many come after it, short or past a block's size. */
START_TEST(test_copies_stay)
{
    strpool_t pool = STRPOOL_INIT;
    enum { COUNT = 3000 };
    static char want[COUNT][32];
    static const char *got[COUNT];
    for (size_t i = 0; i < COUNT; i++) {
        snprintf(want[i], sizeof want[i], "<%zu.%zx@host%zu>", i, i * 7919, i % 13);
        got[i] = strpool_add_str(&pool, want[i]);
        ck_assert_str_eq(got[i], want[i]);
    }
    for (size_t i = 0; i < COUNT; i++)
        ck_assert_msg(strcmp(got[i], want[i]) == 0, "copy %zu: got %s, want %s", i, got[i],
                      want[i]);
    strpool_free(&pool);
    ck_assert_ptr_null(pool.blocks);
    /* usable again once freed */
    ck_assert_str_eq(strpool_add_str(&pool, "again"), "again");
    strpool_free(&pool);
}
END_TEST

/* A copy of s[0..len) stops at len and ends with a NUL, whatever s holds after. */
START_TEST(test_lengths)
{
    strpool_t pool = STRPOOL_INIT;
    size_t len = lengths[_i];
    static char src[70001];
    memset(src, 'x', sizeof src - 1);
    const char *before = strpool_add(&pool, "ab", 1);
    const char *copy = strpool_add(&pool, src, len);
    const char *after = strpool_add_str(&pool, "tail");
    ck_assert_uint_eq(strlen(copy), len);
    ck_assert(memcmp(copy, src, len) == 0);
    ck_assert_str_eq(before, "a");
    ck_assert_str_eq(after, "tail");
    strpool_free(&pool);
}
END_TEST

Suite *core_strpool_suite(void)
{
    Suite *s = suite_create("core_strpool");
    TCase *tc = tcase_create("strpool");
    tcase_add_test(tc, test_copies_stay);
    tcase_add_loop_test(tc, test_lengths, 0, (int)(sizeof lengths / sizeof lengths[0]));
    suite_add_tcase(s, tc);
    return s;
}
