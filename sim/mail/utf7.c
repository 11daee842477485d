/*
 * utf7: modified UTF-7 (RFC 3501 5.1.3) to and from UTF-8. Both directions
 * validate strictly, so a name that decodes also encodes back to the same
 * bytes, and the store never holds a name it could not show.
 */
#include "mail/utf7.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"

static const char b64_letters[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static bool is_direct(unsigned char c)
{
    /* RFC 3501 5.1.3: 0x20-0x25 and 0x27-0x7e represent themselves. */
    return c >= 0x20 && c <= 0x7e;
}

static int b64_value(unsigned char c)
{
    const char *p = (c != 0) ? strchr(b64_letters, c) : NULL;
    return p ? (int)(p - b64_letters) : -1;
}

/* Decodes one UTF-8 sequence; returns its length, or 0 when it is not valid. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    uint32_t v;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        v = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        v = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        v = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min_for_len[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

static void utf8_put(buf_t *out, uint32_t cp)
{
    if (cp < 0x80) {
        buf_putc(out, (int)cp);
    } else if (cp < 0x800) {
        buf_putc(out, (int)(0xc0 | (cp >> 6)));
        buf_putc(out, (int)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_putc(out, (int)(0xe0 | (cp >> 12)));
        buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
        buf_putc(out, (int)(0x80 | (cp & 0x3f)));
    } else {
        buf_putc(out, (int)(0xf0 | (cp >> 18)));
        buf_putc(out, (int)(0x80 | ((cp >> 12) & 0x3f)));
        buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
        buf_putc(out, (int)(0x80 | (cp & 0x3f)));
    }
}

/* The base64 side of the encoder: bits waiting to fill a 6-bit letter. */
typedef struct b64_writer {
    uint32_t bits;
    unsigned nbits;
    bool open;
} b64_writer_t;

static void b64_put_unit(buf_t *out, b64_writer_t *w, uint32_t unit)
{
    if (!w->open) {
        buf_putc(out, '&');
        w->open = true;
    }
    w->bits = (w->bits << 16) | unit;
    w->nbits += 16;
    while (w->nbits >= 6) {
        w->nbits -= 6;
        buf_putc(out, b64_letters[(w->bits >> w->nbits) & 0x3f]);
    }
    w->bits &= (1u << w->nbits) - 1;
}

static void b64_close(buf_t *out, b64_writer_t *w)
{
    if (!w->open)
        return;
    if (w->nbits > 0)
        buf_putc(out, b64_letters[(w->bits << (6 - w->nbits)) & 0x3f]);
    buf_putc(out, '-');
    *w = (b64_writer_t){0, 0, false};
}

static char *fail(buf_t *out, const char **error, const char *why)
{
    buf_free(out);
    if (error)
        *error = why;
    return NULL;
}

char *utf7_encode(const char *utf8, const char **error)
{
    buf_t out = BUF_INIT;
    b64_writer_t w = {0, 0, false};
    const unsigned char *s = (const unsigned char *)utf8;
    buf_reserve(&out, strlen(utf8) + 1);
    buf_puts(&out, ""); /* a NUL even when the result is empty */
    while (*s) {
        uint32_t cp;
        size_t n = utf8_next(s, &cp);
        if (n == 0)
            return fail(&out, error, "not valid UTF-8");
        s += n;
        if (cp < 0x80 && is_direct((unsigned char)cp)) {
            b64_close(&out, &w);
            buf_putc(&out, (int)cp);
            if (cp == '&')
                buf_putc(&out, '-');
        } else if (cp < 0x10000) {
            b64_put_unit(&out, &w, cp);
        } else {
            /* RFC 2781 2.1: a surrogate pair for planes above the BMP. */
            cp -= 0x10000;
            b64_put_unit(&out, &w, 0xd800 | (cp >> 10));
            b64_put_unit(&out, &w, 0xdc00 | (cp & 0x3ff));
        }
    }
    b64_close(&out, &w);
    return buf_steal(&out, NULL);
}

/* The base64 side of the decoder: one shifted run, "&...-". */
typedef struct b64_reader {
    uint32_t bits;
    unsigned nbits;
    uint32_t high; /* a high surrogate waiting for its low half, or 0 */
} b64_reader_t;

/* Takes one UTF-16 unit; returns NULL or the reason it is not acceptable. */
static const char *b64_take_unit(buf_t *out, b64_reader_t *r, uint32_t unit)
{
    if (r->high) {
        if (unit < 0xdc00 || unit > 0xdfff)
            return "high surrogate without its low half";
        utf8_put(out, 0x10000 + ((r->high - 0xd800) << 10) + (unit - 0xdc00));
        r->high = 0;
        return NULL;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
        r->high = unit;
        return NULL;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff)
        return "low surrogate without its high half";
    if (unit == 0)
        return "U+0000 in a name";
    if (unit < 0x80 && is_direct((unsigned char)unit))
        return "printable ASCII written in base64";
    utf8_put(out, unit);
    return NULL;
}

/* Decodes the run after "&" up to its "-"; *pos moves past the "-". */
static const char *b64_run(buf_t *out, const unsigned char *s, size_t *pos)
{
    b64_reader_t r = {0, 0, 0};
    size_t i = *pos;
    for (; s[i] != '-'; i++) {
        if (s[i] == 0)
            return "base64 run not closed with \"-\"";
        int v = b64_value(s[i]);
        if (v < 0)
            return "not a modified base64 letter";
        r.bits = (r.bits << 6) | (uint32_t)v;
        r.nbits += 6;
        if (r.nbits >= 16) {
            r.nbits -= 16;
            const char *why = b64_take_unit(out, &r, (r.bits >> r.nbits) & 0xffff);
            if (why)
                return why;
            r.bits &= (1u << r.nbits) - 1;
        }
    }
    /* RFC 2152: at most 5 zero bits of padding end a run. */
    if (r.nbits >= 6 || r.bits != 0)
        return "leftover bits at the end of a base64 run";
    if (r.high)
        return "high surrogate without its low half";
    *pos = i + 1;
    return NULL;
}

char *utf7_decode(const char *mutf7, const char **error)
{
    buf_t out = BUF_INIT;
    const unsigned char *s = (const unsigned char *)mutf7;
    bool after_run = false;
    size_t i = 0;
    buf_reserve(&out, strlen(mutf7) + 1);
    buf_puts(&out, ""); /* a NUL even when the result is empty */
    while (s[i]) {
        if (!is_direct(s[i]))
            return fail(&out, error, "byte outside printable US-ASCII");
        if (s[i] != '&') {
            buf_putc(&out, s[i++]);
            after_run = false;
            continue;
        }
        if (s[i + 1] == '-') {
            buf_putc(&out, '&');
            i += 2;
            after_run = false;
            continue;
        }
        /* RFC 3501 5.1.3: "-&" inside base64 is a null shift, not permitted. */
        if (after_run)
            return fail(&out, error, "two base64 runs back to back");
        i++;
        const char *why = b64_run(&out, s, &i);
        if (why)
            return fail(&out, error, why);
        after_run = true;
    }
    return buf_steal(&out, NULL);
}
