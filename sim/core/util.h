/*
 * util: the two kinds of fatal (out of memory, broken invariant) and small
 * string helpers shared by every layer.
 *
 * xmalloc and friends never return NULL: they abort on exhaustion. panic()
 * marks a bug, never bad input; bad input is a return code and a message.
 */
#ifndef MAILSIM_CORE_UTIL_H
#define MAILSIM_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define MS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MS_NORETURN __attribute__((noreturn))
#else
#define MS_PRINTF(a, b)
#define MS_NORETURN
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* n bytes (rounded up to a multiple of align, a power of two) at an address
 * that is a multiple of align; free() frees them. */
void *xaligned_alloc(size_t align, size_t n);
/* The caller frees the copy. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Formats into a fresh string; the caller frees it. */
char *xasprintf(const char *fmt, ...) MS_PRINTF(1, 2);

/* A broken invariant: prints "mailsim: internal error: ..." and aborts. */
MS_NORETURN void panic(const char *fmt, ...) MS_PRINTF(1, 2);

/* ASCII-only case folding, independent of the locale. */
int str_casecmp(const char *a, const char *b);
int str_ncasecmp(const char *a, const char *b, size_t n);
bool str_has_prefix_ci(const char *s, const char *prefix);
/* Copies at most size-1 bytes of src and a NUL (size > 0); returns strlen(src). */
size_t str_copy(char *dst, size_t size, const char *src);
/*
 * Decodes one UTF-8 character at s (at most n bytes) into *cp and returns its
 * length, or 0 when the bytes are not valid UTF-8 (RFC 3629 4: no overlong
 * forms, no surrogates, nothing past U+10FFFF). n must be at least 1.
 */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/*
 * Where the line that starts at i of s (len bytes) ends: its CR or LF, or
 * len. *lf remembers the next LF (start it at SIZE_MAX), so a text of lone
 * CRs is not searched to its end once per line.
 */
size_t mem_line_end(const void *s, size_t i, size_t len, size_t *lf);
/* Levenshtein distance, for "did you mean" suggestions. */
size_t str_edit_distance(const char *a, const char *b);

#endif
