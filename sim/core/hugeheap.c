/* hugeheap: see hugeheap.h. The heap's end is read with sbrk(0), which
 * glibc answers from its own record, without a system call. */
#include "core/hugeheap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__linux__) && defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(MADV_HUGEPAGE)
#define HUGEHEAP_ON 1
#endif
#endif

#if HUGEHEAP_ON
static bool set_up;
static uintptr_t start, marked_to; /* [start, marked_to) is marked */

static uintptr_t page_down(uintptr_t a)
{
    return a & ~(uintptr_t)(HUGEHEAP_PAGE - 1);
}

void hugeheap_follow(void)
{
    if (!set_up) {
        set_up = true;
        /* Grow in big steps, and do not give a step back as soon as the top
         * of the heap is free again (it would come back unmarked). */
        mallopt(M_TOP_PAD, (int)HUGEHEAP_STEP);
        mallopt(M_TRIM_THRESHOLD, (int)(2 * HUGEHEAP_STEP));
        /* Setting those fixes malloc's mmap threshold at 128 KB: every
         * bigger array (the scheduler's slots, the connection table, a
         * mailbox's index) would be mapped afresh, page fault by page fault,
         * at every growth and by every new world. From the heap, it is in
         * huge pages, and memory a world gave back serves the next. */
        mallopt(M_MMAP_THRESHOLD, (int)HUGEHEAP_MMAP_THRESHOLD);
        start = marked_to = page_down((uintptr_t)sbrk(0) + HUGEHEAP_PAGE - 1);
        /* Make the first step now, so that it is marked before use. */
        free(malloc(64 * 1024));
    }
    uintptr_t end = page_down((uintptr_t)sbrk(0));
    if (end < marked_to) { /* the heap shrank: what grows again is new to mark */
        marked_to = end > start ? end : start;
        return;
    }
    if (end == marked_to)
        return;
    (void)madvise((void *)marked_to, end - marked_to, MADV_HUGEPAGE);
    marked_to = end;
}

size_t hugeheap_marked(void)
{
    return (size_t)(marked_to - start);
}
#else
void hugeheap_follow(void)
{
}

size_t hugeheap_marked(void)
{
    return 0;
}
#endif
