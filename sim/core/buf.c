/*
 * buf: growable byte buffer with geometric growth and a NUL kept past the end.
 * Appending to a buffer with room is inline (buf.h); growing is here.
 */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(buf_t *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reserve_grow(buf_t *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        panic("buf_reserve: size overflow");
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    bool fresh = b->data == NULL;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    if (fresh)
        b->data[0] = '\0';
}

void buf_append_grow(buf_t *b, const void *data, size_t n)
{
    buf_reserve_grow(b, n);
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0)
        panic("buf_printf: bad format \"%s\"", fmt);
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
    } else {
        buf_reserve(b, (size_t)n);
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, aq);
        b->len += (size_t)n;
    }
    va_end(aq);
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_consume(buf_t *b, size_t n)
{
    if (n >= b->len) {
        buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

const char *buf_cstr(const buf_t *b)
{
    return b->data ? (const char *)b->data : "";
}

char *buf_steal(buf_t *b, size_t *len_out)
{
    if (!b->data)
        buf_reserve(b, 0);
    char *s = (char *)b->data;
    if (len_out)
        *len_out = b->len;
    buf_init(b);
    return s;
}
