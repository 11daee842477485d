/*
 * hugeheap: transparent huge pages for malloc's heap.
 *
 * A busy run keeps the state of a thousand connections, sessions and
 * engines hot at once: several megabytes in hundreds of thousands of small
 * objects. In 4 KB pages that is thousands of pages, more than the
 * processor's address-translation cache holds, so nearly every step of
 * every connection starts with a page-table walk. Linux maps memory marked
 * MADV_HUGEPAGE in 2 MB pages (transparent huge pages, in the "madvise"
 * mode that many distributions default to), but glibc's malloc marks its
 * heap only when the environment sets its glibc.malloc.hugetlb tunable.
 *
 * hugeheap_follow does it from inside: the first call asks malloc to grow
 * its heap in steps of HUGEHEAP_STEP, and every call marks what the heap
 * has grown by since the last one, so most of a step is marked before
 * anything touches it. It also keeps arrays below HUGEHEAP_MMAP_THRESHOLD
 * in the heap rather than in mappings of their own. Cheap enough to call
 * once per run loop. A hint
 * only: where the platform has no such thing, or under AddressSanitizer
 * (its own allocator), it does nothing; nothing a run computes depends on
 * it.
 */
#ifndef MAILSIM_CORE_HUGEHEAP_H
#define MAILSIM_CORE_HUGEHEAP_H

#include <stddef.h>

#define HUGEHEAP_PAGE ((size_t)2 << 20)
#define HUGEHEAP_STEP ((size_t)32 << 20)
/* Blocks at least this big are still mapped on their own (glibc's largest
 * automatic threshold). */
#define HUGEHEAP_MMAP_THRESHOLD ((size_t)32 << 20)

void hugeheap_follow(void);
/* Octets of heap marked so far (for tests; 0 where hugeheap does nothing). */
size_t hugeheap_marked(void);

#endif
