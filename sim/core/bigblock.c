/* bigblock: 2 MB-aligned blocks, mapped as huge pages where the kernel lets us,
 * and kept for reuse when given back. */
#include "core/bigblock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define BIGBLOCK_FROM_HEAP 1
#endif

#if !defined(BIGBLOCK_FROM_HEAP)
/* Blocks given back and kept for the next taker, linked through their first
 * octets: a block mapped again would cost a page fault and the kernel's
 * zeroing of all 2 MB. */
static void *kept;
static size_t nkept;
#endif

void *bigblock_alloc(void)
{
#if defined(BIGBLOCK_FROM_HEAP)
    return aligned_alloc(BIGBLOCK_SIZE, BIGBLOCK_SIZE);
#else
    if (kept) {
        void *p = kept;
        memcpy(&kept, p, sizeof kept);
        nkept--;
        return p;
    }
    /* Twice the size, then the ends cut off: what is left is aligned. */
    uint8_t *raw = mmap(NULL, 2 * BIGBLOCK_SIZE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t at = ((uintptr_t)raw + BIGBLOCK_SIZE - 1) & ~(uintptr_t)(BIGBLOCK_SIZE - 1);
    size_t lead = at - (uintptr_t)raw;
    if (lead)
        munmap(raw, lead);
    munmap((uint8_t *)at + BIGBLOCK_SIZE, BIGBLOCK_SIZE - lead);
    void *p = (void *)at;
#if defined(MADV_HUGEPAGE)
    /* Advice only: without transparent huge pages the block is mapped page by page. */
    madvise(p, BIGBLOCK_SIZE, MADV_HUGEPAGE);
#endif
    return p;
#endif
}

void bigblock_free(void *block)
{
    if (!block)
        return;
#if defined(BIGBLOCK_FROM_HEAP)
    free(block);
#else
    if (nkept < BIGBLOCK_KEEP) {
        memcpy(block, &kept, sizeof kept);
        kept = block;
        nkept++;
        return;
    }
    munmap(block, BIGBLOCK_SIZE);
#endif
}

size_t bigblock_kept(void)
{
#if defined(BIGBLOCK_FROM_HEAP)
    return 0;
#else
    return nkept;
#endif
}
