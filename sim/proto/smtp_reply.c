/*
 * smtp_reply: building, formatting and assembling SMTP replies.
 */
#include "proto/smtp_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Copies s into dst[0..size), cut to size - 1 octets as snprintf would. */
static void copy_cut(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size)
        n = size - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The output of smtp_reply_vformat: dst[0..size) with the untruncated length in len. */
typedef struct text_out {
    char *dst;
    size_t size, len;
} text_out_t;

static void text_put(text_out_t *t, const char *s, size_t n)
{
    if (t->len + 1 < t->size) {
        size_t room = t->size - 1 - t->len;
        memcpy(t->dst + t->len, s, n < room ? n : room);
    }
    t->len += n;
}

static void text_put_unsigned(text_out_t *t, unsigned long long v)
{
    char digits[24];
    size_t i = sizeof digits;
    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    text_put(t, digits + i, sizeof digits - i);
}

static void text_put_signed(text_out_t *t, long long v)
{
    if (v < 0) {
        text_put(t, "-", 1);
        text_put_unsigned(t, 0ull - (unsigned long long)v);
    } else {
        text_put_unsigned(t, (unsigned long long)v);
    }
}

/*
 * The conversions SMTP texts use (%s %d %u %llu %zu %%), done by hand; any
 * other makes the whole format go to vsnprintf. Returns false, with ap
 * partly consumed, when it met one.
 */
static bool vformat_simple(text_out_t *t, const char *fmt, va_list *ap)
{
    for (const char *p = fmt;;) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            text_put(t, p, strlen(p));
            return true;
        }
        text_put(t, p, (size_t)(pct - p));
        p = pct + 2;
        switch (pct[1]) {
        case 's': {
            const char *s = va_arg(*ap, const char *);
            if (!s)
                s = "(null)"; /* as glibc prints it */
            text_put(t, s, strlen(s));
            break;
        }
        case 'd':
            text_put_signed(t, va_arg(*ap, int));
            break;
        case 'u':
            text_put_unsigned(t, va_arg(*ap, unsigned));
            break;
        case '%':
            text_put(t, "%", 1);
            break;
        case 'z':
            if (pct[2] != 'u')
                return false;
            text_put_unsigned(t, va_arg(*ap, size_t));
            p++;
            break;
        case 'l':
            if (pct[2] != 'l' || pct[3] != 'u')
                return false;
            text_put_unsigned(t, va_arg(*ap, unsigned long long));
            p += 2;
            break;
        default:
            return false;
        }
    }
}

size_t smtp_reply_vformat(char *dst, size_t size, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    text_out_t t = {dst, size, 0};
    bool simple = vformat_simple(&t, fmt, &aq);
    va_end(aq);
    if (!simple) {
        int n = vsnprintf(dst, size, fmt, ap);
        return n < 0 ? 0 : (size_t)n;
    }
    if (size)
        dst[t.len < size ? t.len : size - 1] = '\0';
    return t.len;
}

void smtp_reply_vset(smtp_reply_t *r, int code, const char *enhanced, const char *fmt, va_list ap)
{
    /* Not zeroed: the text is 1 KB and only its first NUL-terminated part is read. */
    r->code = code;
    copy_cut(r->enhanced, sizeof r->enhanced, enhanced ? enhanced : "");
    smtp_reply_vformat(r->text, sizeof r->text, fmt, ap);
}

void smtp_reply_set(smtp_reply_t *r, int code, const char *enhanced, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    smtp_reply_vset(r, code, enhanced, fmt, ap);
    va_end(ap);
}

void smtp_reply_set_text(smtp_reply_t *r, int code, const char *enhanced, const char *text)
{
    r->code = code;
    copy_cut(r->enhanced, sizeof r->enhanced, enhanced ? enhanced : "");
    copy_cut(r->text, sizeof r->text, text);
}

smtp_reply_t smtp_reply_vmake(int code, const char *enhanced, const char *fmt, va_list ap)
{
    smtp_reply_t r;
    smtp_reply_vset(&r, code, enhanced, fmt, ap);
    return r;
}

smtp_reply_t smtp_reply_make(int code, const char *enhanced, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    smtp_reply_t r;
    smtp_reply_vset(&r, code, enhanced, fmt, ap);
    va_end(ap);
    return r;
}

const char *smtp_reply_enhanced_or_default(const smtp_reply_t *r, char *buf, size_t n)
{
    if (r->enhanced[0])
        return r->enhanced;
    snprintf(buf, n, "%d.0.0", smtp_reply_class(r));
    return buf;
}

void smtp_reply_write_line(int code, const char *enh, size_t elen, bool last, const char *text,
                          size_t len, buf_t *out, smtp_line_fn on_line, void *ctx)
{
    size_t start = out->len;
    size_t need = 4 + elen + 1 + len + 2;
    if (code < 0 || code > 999) {
        buf_printf(out, "%03d%c", code, last ? ' ' : '-');
        buf_reserve(out, need);
    } else {
        /* buf_reserve keeps room for a NUL past the bytes: the same test, without the call. */
        if (out->cap - out->len <= need)
            buf_reserve(out, need);
        uint8_t *h = out->data + out->len;
        unsigned tens = (unsigned)code / 10;
        h[0] = (uint8_t)('0' + tens / 10);
        h[1] = (uint8_t)('0' + tens % 10);
        h[2] = (uint8_t)('0' + (unsigned)code - tens * 10);
        h[3] = last ? ' ' : '-';
        out->len += 4;
    }
    uint8_t *p = out->data + out->len;
    if (elen) {
        memcpy(p, enh, elen);
        p += elen;
        if (len)
            *p++ = ' ';
    }
    memcpy(p, text, len);
    /* A CR from a hook's text would end the line early on the wire. */
    uint8_t *end = p + len;
    for (uint8_t *cr = p; len && (cr = memchr(cr, '\r', (size_t)(end - cr))) != NULL;)
        *cr++ = ' ';
    out->len = (size_t)(end - out->data);
    if (on_line) {
        *end = '\0';
        on_line(ctx, LINE_SERVER_TO_CLIENT, NULL, code, (const char *)out->data + start);
    }
    end[0] = '\r';
    end[1] = '\n';
    end[2] = '\0';
    out->len += 2;
}

void smtp_reply_write(int code, const char *enhanced, const char *text, size_t len, buf_t *out,
                      smtp_line_fn on_line, void *ctx)
{
    size_t elen = enhanced ? strlen(enhanced) : 0;
    for (const char *nl; (nl = memchr(text, '\n', len)) != NULL;) {
        smtp_reply_write_line(code, enhanced, elen, false, text, (size_t)(nl - text), out, on_line, ctx);
        len -= (size_t)(nl - text) + 1;
        text = nl + 1;
    }
    smtp_reply_write_line(code, enhanced, elen, true, text, len, out, on_line, ctx);
}

/* RFC 3463 2: enhanced codes exist for success, transient and permanent only. */
static bool class_has_enhanced(int code)
{
    int cls = code / 100;
    return cls == 2 || cls == 4 || cls == 5;
}

void smtp_reply_format_text(int code, const char *enhanced_code, bool enhanced, const char *text,
                            size_t len, buf_t *out, smtp_line_fn on_line, void *ctx)
{
    char dflt[SMTP_ENHANCED_MAX] = {(char)('0' + code / 100), '.', '0', '.', '0', '\0'};
    const char *enh = NULL;
    if (enhanced && class_has_enhanced(code))
        enh = enhanced_code && enhanced_code[0] ? enhanced_code : dflt;
    smtp_reply_write(code, enh, text, len, out, on_line, ctx);
}

void smtp_reply_format(const smtp_reply_t *r, bool enhanced, buf_t *out, smtp_line_fn on_line,
                       void *ctx)
{
    smtp_reply_format_text(r->code, r->enhanced, enhanced, r->text, strlen(r->text), out, on_line,
                           ctx);
}

/* isdigit without the locale table: reply lines are ASCII. */
static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') <= 9;
}

bool smtp_reply_parse_line(const char *line, size_t len, int *code, bool *more, const char **text)
{
    if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]))
        return false;
    /* RFC 5321 4.2: the first digit is 2..5; 1yz is unused in SMTP. */
    if (line[0] < '2' || line[0] > '5')
        return false;
    *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (len == 3) {
        *more = false;
        *text = line + 3;
        return true;
    }
    if (line[3] != ' ' && line[3] != '-')
        return false;
    *more = line[3] == '-';
    *text = line + 4;
    return true;
}

/* Length of a leading "d.ddd.ddd" of class cls followed by a space or the end; 0 if none. */
static size_t enhanced_prefix(const char *t, int cls)
{
    if (t[0] != '0' + cls || t[1] != '.')
        return 0;
    size_t i = 2;
    for (int part = 0; part < 2; part++) {
        size_t digits = 0;
        while (is_digit(t[i]) && digits < 3) {
            i++;
            digits++;
        }
        if (digits == 0)
            return 0;
        if (part == 0 && t[i++] != '.')
            return 0;
    }
    return t[i] == ' ' || t[i] == '\0' ? i : 0;
}

static void append_text(smtp_reply_asm_t *a, bool separate, const char *text, size_t len)
{
    smtp_reply_t *r = &a->reply;
    size_t have = a->text_len;
    size_t room = sizeof r->text - 1 - have;
    if (separate && room) {
        r->text[have++] = '\n';
        room--;
    }
    if (len > room)
        len = room;
    memcpy(r->text + have, text, len);
    r->text[have + len] = '\0';
    a->text_len = have + len;
}

void smtp_reply_asm_init(smtp_reply_asm_t *a)
{
    /* Field by field: the reply's 1 KB text needs only its first octet cleared. */
    a->reply.code = 0;
    a->reply.enhanced[0] = '\0';
    a->reply.text[0] = '\0';
    a->started = false;
    a->lines = 0;
    a->text_len = 0;
    a->enhanced_len = 0;
}

smtp_reply_asm_status_t smtp_reply_asm_add(smtp_reply_asm_t *a, const char *line, size_t len)
{
    int code;
    bool more;
    const char *text;
    if (!smtp_reply_parse_line(line, len, &code, &more, &text)) {
        smtp_reply_asm_init(a);
        return SMTP_ASM_BAD;
    }
    return smtp_reply_asm_add_parsed(a, code, more, text, len - (size_t)(text - line));
}

smtp_reply_asm_status_t smtp_reply_asm_add_parsed(smtp_reply_asm_t *a, int code, bool more,
                                                  const char *text, size_t tlen)
{
    if (a->started && code != a->reply.code) {
        smtp_reply_asm_init(a);
        return SMTP_ASM_BAD;
    }
    if (!a->started) {
        smtp_reply_asm_init(a);
        a->started = true;
        a->reply.code = code;
        size_t e = enhanced_prefix(text, code / 100);
        if (e && e < sizeof a->reply.enhanced) {
            memcpy(a->reply.enhanced, text, e);
            a->reply.enhanced[e] = '\0';
            a->enhanced_len = e;
        }
    }
    size_t elen = a->enhanced_len;
    if (elen && tlen >= elen && memcmp(text, a->reply.enhanced, elen) == 0 &&
        (tlen == elen || text[elen] == ' ')) {
        text += elen < tlen ? elen + 1 : elen;
        tlen -= elen < tlen ? elen + 1 : elen;
    }
    append_text(a, a->lines > 0, text, tlen);
    a->lines++;
    if (more)
        return SMTP_ASM_MORE;
    a->started = false;
    return SMTP_ASM_DONE;
}

smtp_reply_asm_status_t smtp_reply_asm_line(smtp_reply_asm_t *a, const char *line, size_t len,
                                            smtp_reply_t *out)
{
    smtp_reply_asm_status_t st = smtp_reply_asm_add(a, line, len);
    if (st == SMTP_ASM_DONE) {
        out->code = a->reply.code;
        memcpy(out->enhanced, a->reply.enhanced, sizeof out->enhanced);
        memcpy(out->text, a->reply.text, a->text_len + 1);
        smtp_reply_asm_init(a);
    }
    return st;
}
