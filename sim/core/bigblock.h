/*
 * bigblock: memory in blocks of BIGBLOCK_SIZE (2 MB), aligned to their size
 * and marked for huge pages where the platform has them, so the kernel maps
 * a whole block with one fault instead of 512. For what a run makes by the
 * ten thousand and keeps: message bodies, connection structs. Under
 * AddressSanitizer the blocks come from its heap instead, so that a block
 * nobody frees is reported as a leak.
 */
#ifndef MAILSIM_CORE_BIGBLOCK_H
#define MAILSIM_CORE_BIGBLOCK_H

#include <stddef.h>

#define BIGBLOCK_SIZE ((size_t)2 << 20)
/*
 * Blocks given back are kept, up to this many (128 MB), for the next
 * bigblock_alloc: a process that runs world after world (mailsim run with
 * several files, the TUI's restart, the tests) reuses the memory the last
 * one mapped, instead of a fresh block's page fault and the kernel's
 * zeroing of it. Beyond that they go back to the system.
 */
#define BIGBLOCK_KEEP 64u

/* A block of BIGBLOCK_SIZE octets aligned to BIGBLOCK_SIZE, its contents
 * unspecified; NULL when the system has no memory to give. */
void *bigblock_alloc(void);
/* Gives back a block from bigblock_alloc (NULL: nothing): kept for the
 * next bigblock_alloc (see BIGBLOCK_KEEP), or unmapped. */
void bigblock_free(void *block);

/* Blocks kept for reuse now (for tests; always 0 under AddressSanitizer,
 * where blocks go back to its heap at once, so that it sees their use after
 * free). */
size_t bigblock_kept(void);

#endif
