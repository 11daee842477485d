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

/* Line ends made CRLF: bare LF and bare CR become CRLF. Appends to out. */
static void normalise_line_ends(const char *text, size_t len, buf_t *out)
{
    buf_reserve(out, len + len / 32 + 2);
    size_t lf = SIZE_MAX;
    for (size_t i = 0; i < len;) {
        size_t end = mem_line_end(text, i, len, &lf);
        buf_append(out, text + i, end - i); /* the run up to the line end, at once */
        if (end == len)
            return;
        buf_append(out, "\r\n", 2);
        if (text[end] == '\r' && end + 1 < len && text[end + 1] == '\n')
            end++;
        i = end + 1;
    }
}

typedef struct text_shape {
    bool ascii;
    size_t longest_line;
} text_shape_t;

/* Octets between LFs, CRs not counted; ascii: no NUL and no octet over 127. */
static text_shape_t text_shape(const uint8_t *s, size_t len)
{
    text_shape_t shape = {eightbit_is_7bit(s, len) && !memchr(s, 0, len), 0};
    for (const uint8_t *p = s, *end = s + len; p < end;) {
        const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *stop = lf ? lf : end;
        size_t line = (size_t)(stop - p);
        for (const uint8_t *cr = p; (cr = memchr(cr, '\r', (size_t)(stop - cr))) != NULL; cr++)
            line--;
        if (line > shape.longest_line)
            shape.longest_line = line;
        if (!lf)
            break;
        p = lf + 1;
    }
    return shape;
}

void mime_write_text(buf_t *out, const char *subtype, const char *text, size_t len, bool allow_8bit)
{
    buf_t body = BUF_INIT;
    normalise_line_ends(text, len, &body);
    if (body.len < 2 || body.data[body.len - 1] != '\n')
        buf_append(&body, "\r\n", 2);
    text_shape_t shape = text_shape(body.data, body.len);
    mime_encoding_t enc = MIME_ENC_7BIT;
    if (shape.longest_line > LINE_OCTETS_MAX || (!shape.ascii && !allow_8bit))
        enc = MIME_ENC_QP;
    else if (!shape.ascii)
        enc = MIME_ENC_8BIT;
    buf_printf(out, "Content-Type: text/%s; charset=utf-8\r\n", subtype ? subtype : "plain");
    buf_printf(out, "Content-Transfer-Encoding: %s\r\n\r\n", mime_encoding_name(enc));
    if (enc == MIME_ENC_QP)
        codec_qp_encode(body.data, body.len, true, out);
    else
        buf_append(out, body.data, body.len);
    buf_free(&body);
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
