/*
 * hugeheap: the heap that malloc grows while a run goes on is marked for
 * huge pages, as /proc/self/smaps tells; under AddressSanitizer, whose
 * allocator has no such heap, nothing is marked.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hugeheap.h"

#if !defined(__SANITIZE_ADDRESS__)
/* Whether the mapping that holds p is advised for huge pages ("hg" in its VmFlags). */
static bool advised_huge(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    bool inside = false, found = false, huge = false;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = a >= lo && a < hi;
            found = found || inside;
            continue;
        }
        if (inside && strncmp(line, "VmFlags:", 8) == 0)
            huge = strstr(line, " hg") != NULL;
    }
    fclose(f);
    ck_assert(found);
    return huge;
}
#endif

START_TEST(test_heap_growth_is_marked)
{
    enum { CHUNKS = 4000, SIZE = 16 * 1024 }; /* 64 MB in chunks malloc takes from its heap */
    hugeheap_follow();
    size_t before = hugeheap_marked();
    static void *chunk[CHUNKS];
    for (size_t i = 0; i < CHUNKS; i++) {
        chunk[i] = malloc(SIZE);
        ck_assert_ptr_nonnull(chunk[i]);
        memset(chunk[i], (int)i, SIZE);
    }
    hugeheap_follow();
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer's allocator is not glibc's heap: hugeheap leaves it alone. */
    ck_assert_uint_eq(before, 0);
    ck_assert_uint_eq(hugeheap_marked(), 0);
#else
    ck_assert_uint_ge(hugeheap_marked(), before + (size_t)CHUNKS * SIZE / 2);
    ck_assert_uint_eq(hugeheap_marked() % HUGEHEAP_PAGE, 0);
    /* A chunk made late in the run lies in memory marked for huge pages.
     * Not the very last: the heap's top page is marked only once the heap
     * grows past it, and the top may end anywhere after the last chunk (the
     * heap grows by what keeps 32 MB free at that moment), so the last
     * chunks can lie in it. One more than a huge page below the last is
     * below the top page, whatever the addresses of this run. */
    enum { LATE = CHUNKS - 2 - HUGEHEAP_PAGE / SIZE };
    ck_assert(advised_huge(chunk[LATE]));
    ck_assert(advised_huge(chunk[CHUNKS / 2]));
#endif
    for (size_t i = 0; i < CHUNKS; i++)
        free(chunk[i]);
}
END_TEST

/* An array of a megabyte or more, grown as the scheduler's slots or a
 * mailbox's index grow, comes from the heap too, not from a mapping of its
 * own (which every new world would fault in afresh). */
START_TEST(test_big_arrays_in_heap)
{
    hugeheap_follow();
    size_t n = 1024 * 1024;
    uint8_t *a = malloc(n);
    ck_assert_ptr_nonnull(a);
    memset(a, 0x5a, n);
    for (; n < (size_t)8 << 20; n *= 2) {
        a = realloc(a, 2 * n);
        ck_assert_ptr_nonnull(a);
        memset(a + n, 0x5a, n);
    }
#if defined(__SANITIZE_ADDRESS__)
    ck_assert_uint_eq(hugeheap_marked(), 0);
#else
    /* below the heap's top: in the heap (mappings lie far above it) */
    ck_assert((uintptr_t)a + n <= (uintptr_t)sbrk(0));
#endif
    ck_assert_uint_eq(a[n - 1], 0x5a);
    free(a);
}
END_TEST

Suite *core_hugeheap_suite(void)
{
    Suite *s = suite_create("core_hugeheap");
    TCase *tc = tcase_create("hugeheap");
    tcase_add_test(tc, test_heap_growth_is_marked);
    tcase_add_test(tc, test_big_arrays_in_heap);
    suite_add_tcase(s, tc);
    return s;
}
