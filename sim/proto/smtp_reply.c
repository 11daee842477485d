/*
 * smtp_reply: building, formatting and assembling SMTP replies.
 */
#include "proto/smtp_reply.h"

#include <ctype.h>
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

smtp_reply_t smtp_reply_vmake(int code, const char *enhanced, const char *fmt, va_list ap)
{
    smtp_reply_t r = {.code = code};
    copy_cut(r.enhanced, sizeof r.enhanced, enhanced ? enhanced : "");
    /* Most replies are a fixed text or one "%s": no need for the printf machinery. */
    if (strcmp(fmt, "%s") == 0)
        copy_cut(r.text, sizeof r.text, va_arg(ap, const char *));
    else if (!strchr(fmt, '%'))
        copy_cut(r.text, sizeof r.text, fmt);
    else
        vsnprintf(r.text, sizeof r.text, fmt, ap);
    return r;
}

smtp_reply_t smtp_reply_make(int code, const char *enhanced, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    smtp_reply_t r = smtp_reply_vmake(code, enhanced, fmt, ap);
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

static void format_one(const smtp_reply_t *r, const char *enh, bool last, const char *text,
                       size_t len, buf_t *out, smtp_line_fn on_line, void *ctx)
{
    size_t start = out->len;
    if (r->code >= 0 && r->code <= 999) {
        char head[4] = {(char)('0' + r->code / 100), (char)('0' + r->code / 10 % 10),
                        (char)('0' + r->code % 10), last ? ' ' : '-'};
        buf_append(out, head, sizeof head);
    } else {
        buf_printf(out, "%03d%c", r->code, last ? ' ' : '-');
    }
    if (enh) {
        buf_puts(out, enh);
        if (len)
            buf_putc(out, ' ');
    }
    /* A CR from a hook's text would end the line early on the wire. */
    for (const char *cr; len && (cr = memchr(text, '\r', len)) != NULL;) {
        buf_append(out, text, (size_t)(cr - text));
        buf_putc(out, ' ');
        len -= (size_t)(cr - text) + 1;
        text = cr + 1;
    }
    buf_append(out, text, len);
    if (on_line)
        on_line(ctx, LINE_SERVER_TO_CLIENT, NULL, r->code, (const char *)out->data + start);
    buf_append(out, "\r\n", 2);
}

void smtp_reply_format(const smtp_reply_t *r, bool enhanced, buf_t *out, smtp_line_fn on_line,
                       void *ctx)
{
    char dflt[SMTP_ENHANCED_MAX];
    int cls = smtp_reply_class(r);
    /* RFC 3463 2: enhanced codes exist for success, transient and permanent only. */
    const char *enh = NULL;
    if (enhanced && (cls == 2 || cls == 4 || cls == 5))
        enh = smtp_reply_enhanced_or_default(r, dflt, sizeof dflt);
    const char *p = r->text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            format_one(r, enh, true, p, strlen(p), out, on_line, ctx);
            return;
        }
        format_one(r, enh, false, p, (size_t)(nl - p), out, on_line, ctx);
        p = nl + 1;
    }
}

bool smtp_reply_parse_line(const char *line, size_t len, int *code, bool *more, const char **text)
{
    if (len < 3)
        return false;
    for (int i = 0; i < 3; i++)
        if (!isdigit((unsigned char)line[i]))
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
        while (isdigit((unsigned char)t[i]) && digits < 3) {
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

static void append_text(smtp_reply_t *r, bool separate, const char *text, size_t len)
{
    size_t have = strlen(r->text);
    size_t room = sizeof r->text - 1 - have;
    if (separate && room) {
        r->text[have++] = '\n';
        room--;
    }
    if (len > room)
        len = room;
    memcpy(r->text + have, text, len);
    r->text[have + len] = '\0';
}

void smtp_reply_asm_init(smtp_reply_asm_t *a)
{
    memset(a, 0, sizeof *a);
}

smtp_reply_asm_status_t smtp_reply_asm_line(smtp_reply_asm_t *a, const char *line, size_t len,
                                            smtp_reply_t *out)
{
    int code;
    bool more;
    const char *text;
    if (!smtp_reply_parse_line(line, len, &code, &more, &text) ||
        (a->started && code != a->reply.code)) {
        smtp_reply_asm_init(a);
        return SMTP_ASM_BAD;
    }
    size_t tlen = len - (size_t)(text - line);
    if (!a->started) {
        a->started = true;
        a->reply.code = code;
        size_t e = enhanced_prefix(text, code / 100);
        if (e && e < sizeof a->reply.enhanced) {
            memcpy(a->reply.enhanced, text, e);
            a->reply.enhanced[e] = '\0';
        }
    }
    size_t elen = strlen(a->reply.enhanced);
    if (elen && tlen >= elen && memcmp(text, a->reply.enhanced, elen) == 0 &&
        (tlen == elen || text[elen] == ' ')) {
        text += elen < tlen ? elen + 1 : elen;
        tlen -= elen < tlen ? elen + 1 : elen;
    }
    append_text(&a->reply, a->lines > 0, text, tlen);
    a->lines++;
    if (more)
        return SMTP_ASM_MORE;
    *out = a->reply;
    smtp_reply_asm_init(a);
    return SMTP_ASM_DONE;
}
