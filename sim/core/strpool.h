/*
 * strpool: strings kept until their owner goes, packed in blocks. A world's
 * message labels and an agent's outcome names are many short strings that
 * are never freed one by one; a pool gives each a copy without a malloc of
 * its own, and frees them all at once.
 */
#ifndef MAILSIM_CORE_STRPOOL_H
#define MAILSIM_CORE_STRPOOL_H

#include <stddef.h>

typedef struct strpool_block strpool_block_t;

typedef struct strpool {
    strpool_block_t *blocks; /* the newest first; the pool owns them */
} strpool_t;

#define STRPOOL_INIT {NULL}

/* A NUL-terminated copy of s[0..len), owned by the pool, valid until strpool_free. */
const char *strpool_add(strpool_t *p, const char *s, size_t len);
/* The same for a C string. */
const char *strpool_add_str(strpool_t *p, const char *s);
/* Frees every copy; the pool is empty and usable again. */
void strpool_free(strpool_t *p);

#endif
