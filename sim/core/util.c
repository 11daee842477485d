/*
 * util: allocation wrappers that abort on exhaustion, panic() for bugs, and
 * locale-independent string helpers.
 */
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static MS_NORETURN void out_of_memory(size_t n)
{
    fprintf(stderr, "mailsim: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *xaligned_alloc(size_t align, size_t n)
{
    size_t size = (n + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, size ? size : align);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        panic("xasprintf: bad format \"%s\"", fmt);
    char *s = xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, aq);
    va_end(aq);
    return s;
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mailsim: internal error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int str_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ra = (unsigned char)a[i], rb = (unsigned char)b[i];
        /* Equal octets need no folding: the common case costs one compare. */
        if (ra == rb) {
            if (ra == 0)
                return 0;
            continue;
        }
        int ca = ascii_lower(ra), cb = ascii_lower(rb);
        if (ca != cb)
            return ca - cb;
    }
    return 0;
}

int str_casecmp(const char *a, const char *b)
{
    return str_ncasecmp(a, b, SIZE_MAX);
}

bool str_has_prefix_ci(const char *s, const char *prefix)
{
    return str_ncasecmp(s, prefix, strlen(prefix)) == 0;
}

size_t str_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = xmalloc((lb + 1) * sizeof *row);
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

size_t str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (size == 0)
        return n;
    size_t m = n < size - 1 ? n : size - 1;
    memcpy(dst, src, m);
    dst[m] = '\0';
    return n;
}

size_t utf8_decode(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[0];
    size_t len;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    uint32_t v = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

size_t mem_line_end(const void *s, size_t i, size_t len, size_t *lf)
{
    const unsigned char *p = s;
    if (*lf == SIZE_MAX || *lf < i) {
        const unsigned char *nl = memchr(p + i, '\n', len - i);
        *lf = nl ? (size_t)(nl - p) : len;
    }
    const unsigned char *cr = memchr(p + i, '\r', *lf - i);
    return cr ? (size_t)(cr - p) : *lf;
}
