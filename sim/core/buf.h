/*
 * buf: a growable byte buffer. The buffer owns its bytes; buf_free releases
 * them. data is always NUL-terminated past len (when cap > 0), so a buffer of
 * text can be read as a C string with buf_cstr.
 */
#ifndef MAILSIM_CORE_BUF_H
#define MAILSIM_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h"

typedef struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} buf_t;

#define BUF_INIT {NULL, 0, 0}

void buf_init(buf_t *b);
void buf_free(buf_t *b);
/* Keeps the memory, forgets the contents. */
static inline void buf_reset(buf_t *b);
/* Makes room for at least extra more bytes. */
static inline void buf_reserve(buf_t *b, size_t extra);
static inline void buf_append(buf_t *b, const void *data, size_t n);
static inline void buf_putc(buf_t *b, int c);
static inline void buf_puts(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) MS_PRINTF(2, 3);
void buf_vprintf(buf_t *b, const char *fmt, va_list ap);
/* Drops the first n bytes (all of them when n >= len). */
void buf_consume(buf_t *b, size_t n);
/* The contents as a C string ("" for an empty buffer); valid until the next change. */
const char *buf_cstr(const buf_t *b);
/* Hands the bytes to the caller (who frees them) and empties the buffer. */
char *buf_steal(buf_t *b, size_t *len_out);

/* The growing paths of the inline functions below. */
void buf_reserve_grow(buf_t *b, size_t extra);
void buf_append_grow(buf_t *b, const void *data, size_t n);

/* Inline: most calls add a few bytes to a buffer that has room, and a call
 * cost more than the copy. With room, len + n + 1 <= cap. */
static inline void buf_reserve(buf_t *b, size_t extra)
{
    if (extra >= b->cap - b->len)
        buf_reserve_grow(b, extra);
}

static inline void buf_append(buf_t *b, const void *data, size_t n)
{
    if (n >= b->cap - b->len) {
        buf_append_grow(b, data, n);
        return;
    }
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void buf_reset(buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static inline void buf_puts(buf_t *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

static inline void buf_putc(buf_t *b, int c)
{
    if (b->cap - b->len < 2)
        buf_reserve_grow(b, 1);
    b->data[b->len++] = (uint8_t)c;
    b->data[b->len] = '\0';
}

#endif
