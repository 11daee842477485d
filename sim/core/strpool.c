/*
 * strpool: blocks that double from 256 octets to 64 KB as the pool grows,
 * so a pool of a few strings stays small and a large one makes few blocks.
 * A string too long for the next block gets one its size. The rest of a
 * block that a string did not fit is left unused.
 */
#include "core/strpool.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define BLOCK_FIRST 256
#define BLOCK_MAX (64 * 1024)

struct strpool_block {
    strpool_block_t *next;
    size_t used, cap;
    char text[];
};

const char *strpool_add(strpool_t *p, const char *s, size_t len)
{
    strpool_block_t *b = p->blocks;
    if (!b || b->cap - b->used < len + 1) {
        size_t cap = b ? b->cap * 2 : BLOCK_FIRST;
        if (cap > BLOCK_MAX)
            cap = BLOCK_MAX;
        if (cap < len + 1)
            cap = len + 1;
        strpool_block_t *nb = xmalloc(sizeof *nb + cap);
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        p->blocks = b = nb;
    }
    char *copy = b->text + b->used;
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    b->used += len + 1;
    return copy;
}

const char *strpool_add_str(strpool_t *p, const char *s)
{
    return strpool_add(p, s, strlen(s));
}

void strpool_free(strpool_t *p)
{
    while (p->blocks) {
        strpool_block_t *b = p->blocks;
        p->blocks = b->next;
        free(b);
    }
}
