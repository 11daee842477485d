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

/* A block of BIGBLOCK_SIZE octets aligned to BIGBLOCK_SIZE, its contents
 * unspecified; NULL when the system has no memory to give. */
void *bigblock_alloc(void);
/* Gives back a block from bigblock_alloc (NULL: nothing). */
void bigblock_free(void *block);

#endif
