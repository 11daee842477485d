/*
 * mime_build: write MIME entities (RFC 2045, RFC 2046): a text part in the
 * lightest transfer encoding that is safe for it, an attachment in base64
 * (RFC 2183 disposition, RFC 2231 for file names that are not ASCII), and a
 * multipart around other entities with a boundary made from a seed and a
 * counter, never from randomness.
 */
#include <stdio.h>
#include <string.h>

#include "mail/codec.h"
#include "mail/eightbit.h"
#include "mail/header.h"
#include "mail/mime.h"

/* RFC 5322 2.1.1: a line is at most 998 characters without its CRLF. */
#define LINE_OCTETS_MAX 998

/* Room for n more bytes and the NUL, without a call when there is room already. */
static uint8_t *room_for(buf_t *out, size_t n, size_t hint)
{
    if (out->cap - out->len < n + 1)
        buf_reserve(out, n > hint ? n : hint);
    return out->data + out->len;
}

/*
 * put_text_lines for text without CR: a line ends only at an LF, found by one
 * search a line, and the line goes out with its CRLF in one piece. The room
 * is checked once a line and the output's end kept in a local.
 */
static size_t put_lf_lines(const char *p, const char *end, buf_t *out, bool *dot_line)
{
    size_t longest = 0;
    bool dots = false;
    uint8_t *w = out->data + out->len, *limit = out->data + out->cap;
    for (;;) {
        const char *stop = memchr(p, '\n', (size_t)(end - p));
        if (!stop)
            stop = end;
        size_t n = (size_t)(stop - p);
        if (n > longest)
            longest = n;
        dots |= n > 0 && *p == '.';
        if ((size_t)(limit - w) < n + 3) {
            out->len = (size_t)(w - out->data);
            buf_reserve(out, n + 2 + (size_t)(end - stop) + (size_t)(end - stop) / 32);
            w = out->data + out->len;
            limit = out->data + out->cap;
        }
        memcpy(w, p, n);
        w[n] = '\r';
        w[n + 1] = '\n';
        w += n + 2;
        if (stop + 1 >= end)
            break;
        p = stop + 1;
    }
    *w = '\0';
    out->len = (size_t)(w - out->data);
    *dot_line = dots;
    return longest;
}

/*
 * Appends text with every line end (CRLF, bare LF, bare CR) made CRLF, and a
 * CRLF after a last line that has none (an empty text is one empty line).
 * Each line is copied in one piece. Returns the longest line's length, line
 * end not counted; *dot_line tells whether a line starts with a dot.
 */
static size_t put_text_lines(const char *text, size_t len, buf_t *out, bool *dot_line)
{
    const char *end = text + len;
    room_for(out, len + 2, len + len / 32 + 2);
    /* Without any CR (most text), a line ends only at an LF. */
    if (!memchr(text, '\r', len))
        return put_lf_lines(text, end, out, dot_line);
    size_t longest = 0, lf = SIZE_MAX;
    bool dots = false;
    const char *p = text;
    do {
        const char *stop = text + mem_line_end(text, (size_t)(p - text), len, &lf);
        size_t n = (size_t)(stop - p);
        if (n > longest)
            longest = n;
        dots |= n > 0 && *p == '.';
        uint8_t *w = room_for(out, n + 2, n + 2 + (size_t)(end - stop));
        memcpy(w, p, n);
        w[n] = '\r';
        w[n + 1] = '\n';
        w[n + 2] = '\0';
        out->len += n + 2;
        if (stop == end)
            break;
        p = stop + 1 + (*stop == '\r' && stop + 1 < end && stop[1] == '\n');
    } while (p < end);
    *dot_line = dots;
    return longest;
}

/* Appends s[0..n) at *w and moves *w past it. */
static void put_bytes(uint8_t **w, const char *s, size_t n)
{
    memcpy(*w, s, n);
    *w += n;
}

static void put_text_fields(buf_t *out, const char *subtype, mime_encoding_t enc)
{
    static const char type[] = "Content-Type: text/";
    static const char charset[] = "; charset=utf-8\r\nContent-Transfer-Encoding: ";
    const char *encoding = mime_encoding_name(enc);
    if (!subtype)
        subtype = "plain";
    size_t subtype_len = strlen(subtype), encoding_len = strlen(encoding);
    /* one reservation, then straight copies: every text part has these two fields */
    uint8_t *w = room_for(out, sizeof type + subtype_len + sizeof charset + encoding_len + 4, 0);
    put_bytes(&w, type, sizeof type - 1);
    put_bytes(&w, subtype, subtype_len);
    put_bytes(&w, charset, sizeof charset - 1);
    put_bytes(&w, encoding, encoding_len);
    put_bytes(&w, "\r\n\r\n", 4);
    *w = '\0';
    out->len = (size_t)(w - out->data);
}

/* A subtype that keeps the Content-Type line plain ASCII, free of line ends. */
static bool subtype_plain(const char *subtype)
{
    for (const unsigned char *p = (const unsigned char *)subtype; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return false;
    return true;
}

void mime_write_text_shaped(buf_t *out, const char *subtype, const char *text, size_t len,
                            bool allow_8bit, mime_shape_t *shape)
{
    if (len == 0)
        text = ""; /* NULL with no length is no text */
    /* ascii: no NUL and no octet over 127; line ends added or changed do not alter that */
    bool ascii = eightbit_is_ascii_text((const uint8_t *)text, len);
    size_t start = out->len;
    bool dot_line;
    *shape = (mime_shape_t){false, false};
    if (ascii || allow_8bit) {
        put_text_fields(out, subtype, ascii ? MIME_ENC_7BIT : MIME_ENC_8BIT);
        if (put_text_lines(text, len, out, &dot_line) <= LINE_OCTETS_MAX) {
            bool plain = subtype_plain(subtype ? subtype : "plain");
            *shape = (mime_shape_t){ascii && plain, !dot_line && plain};
            return;
        }
        out->len = start; /* a line too long for 7bit or 8bit: quoted-printable after all */
        out->data[start] = '\0';
    }
    buf_t body = BUF_INIT;
    put_text_lines(text, len, &body, &dot_line);
    put_text_fields(out, subtype, MIME_ENC_QP);
    codec_qp_encode(body.data, body.len, true, out);
    buf_free(&body);
}

void mime_write_text(buf_t *out, const char *subtype, const char *text, size_t len, bool allow_8bit)
{
    mime_shape_t shape;
    mime_write_text_shaped(out, subtype, text, len, allow_8bit, &shape);
}

static void put_quoted(buf_t *out, const char *s)
{
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(out, '\\');
        if (*s != '\r' && *s != '\n')
            buf_putc(out, (unsigned char)*s);
    }
    buf_putc(out, '"');
}

/* RFC 2231 4: filename*=UTF-8''%CE%91... (attribute-char stays as it is). */
static void put_extended(buf_t *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_puts(out, "UTF-8''");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p);
        if (plain && *p) {
            buf_putc(out, *p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(out, esc, 3);
        }
    }
}

void mime_write_attachment(buf_t *out, const mime_attachment_t *attachment)
{
    const char *type =
        attachment->content_type ? attachment->content_type : "application/octet-stream";
    const char *name = attachment->filename ? attachment->filename : "attachment";
    bool plain_name = !codec_words_needed(name, strlen(name));
    buf_t value = BUF_INIT;
    buf_printf(&value, "%s; name=", type);
    if (plain_name) {
        put_quoted(&value, name);
    } else { /* not standard in a parameter, but what most readers look for */
        buf_putc(&value, '"');
        codec_words_encode(name, strlen(name), 0, &value);
        buf_putc(&value, '"');
    }
    header_fold("Content-Type", buf_cstr(&value), value.len, out);
    buf_reset(&value);
    buf_puts(&value, plain_name ? "attachment; filename=" : "attachment; filename*=");
    if (plain_name)
        put_quoted(&value, name);
    else
        put_extended(&value, name);
    header_fold("Content-Disposition", buf_cstr(&value), value.len, out);
    buf_free(&value);
    buf_puts(out, "Content-Transfer-Encoding: base64\r\n\r\n");
    codec_base64_encode(attachment->data, attachment->len, true, out);
}

static bool contains(const buf_t *hay, const char *needle, size_t n)
{
    if (n == 0 || hay->len < n)
        return false;
    const uint8_t *p = hay->data, *end = hay->data + hay->len - n + 1;
    while (p < end && (p = memchr(p, needle[0], (size_t)(end - p))) != NULL) {
        if (memcmp(p, needle, n) == 0)
            return true;
        p++;
    }
    return false;
}

void mime_boundary_make(uint64_t seed, uint64_t counter, const buf_t *parts, size_t count,
                        char *out, size_t out_size)
{
    for (unsigned attempt = 0;; attempt++) {
        if (attempt == 0)
            snprintf(out, out_size, "=_mailsim_%llx_%llu", (unsigned long long)seed,
                     (unsigned long long)counter);
        else
            snprintf(out, out_size, "=_mailsim_%llx_%llu.%u", (unsigned long long)seed,
                     (unsigned long long)counter, attempt);
        bool clash = false;
        for (size_t i = 0; i < count && !clash; i++)
            clash = contains(&parts[i], out, strlen(out));
        if (!clash)
            return;
    }
}

void mime_write_multipart(buf_t *out, const char *subtype, const buf_t *parts, size_t count,
                          uint64_t seed, uint64_t counter)
{
    char boundary[MIME_BOUNDARY_MAX + 1];
    mime_boundary_make(seed, counter, parts, count, boundary, sizeof boundary);
    buf_t value = BUF_INIT;
    buf_printf(&value, "multipart/%s; boundary=\"%s\"", subtype, boundary);
    header_fold("Content-Type", buf_cstr(&value), value.len, out);
    buf_free(&value);
    /* RFC 2046 5.1.1: the preamble is what a reader without MIME shows */
    buf_puts(out, "\r\nThis is a multi-part message in MIME format.\r\n");
    for (size_t i = 0; i < count; i++) {
        buf_printf(out, "\r\n--%s\r\n", boundary);
        buf_append(out, parts[i].data, parts[i].len);
    }
    buf_printf(out, "\r\n--%s--\r\n", boundary);
}
