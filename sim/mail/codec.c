/*
 * codec: base64 (RFC 4648 4, RFC 2045 6.8) and quoted-printable (RFC 2045
 * 6.7) for message bodies. RFC 2047 words and charsets are in codec_words.c.
 */
#include "mail/codec.h"

#include <string.h>

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char hex_upper[] = "0123456789ABCDEF";

void codec_base64_encode(const uint8_t *in, size_t len, bool wrap, buf_t *out)
{
    size_t groups = (len + 2) / 3;
    buf_reserve(out, groups * 4 + (groups / 19 + 1) * 2);
    out->data[out->len] = 0; /* buf_reserve leaves a fresh buffer unterminated */
    size_t column = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (n > 2)
            v |= in[i + 2];
        char quad[4] = {base64_alphabet[(v >> 18) & 63], base64_alphabet[(v >> 12) & 63],
                        n > 1 ? base64_alphabet[(v >> 6) & 63] : '=',
                        n > 2 ? base64_alphabet[v & 63] : '='};
        buf_append(out, quad, 4);
        column += 4;
        if (wrap && column >= CODEC_LINE_MAX) {
            buf_append(out, "\r\n", 2);
            column = 0;
        }
    }
    if (wrap && column > 0)
        buf_append(out, "\r\n", 2);
}

/* -1 for a character outside the alphabet. */
static int base64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static bool is_space_or_eol(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Writes what a partial group of count sextets holds; returns false if it holds nothing whole. */
static bool base64_flush(uint32_t acc, int count, buf_t *out)
{
    if (count == 2)
        buf_putc(out, (int)((acc >> 4) & 0xff));
    if (count == 3) {
        buf_putc(out, (int)((acc >> 10) & 0xff));
        buf_putc(out, (int)((acc >> 2) & 0xff));
    }
    return count != 1;
}

int codec_base64_decode(const uint8_t *in, size_t len, buf_t *out)
{
    bool bad = false;
    uint32_t acc = 0;
    int count = 0;   /* sextets in acc */
    int padding = 0; /* "=" seen in the current group */
    buf_reserve(out, len / 4 * 3 + 3);
    out->data[out->len] = 0; /* buf_reserve leaves a fresh buffer unterminated */
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        if (is_space_or_eol(c))
            continue;
        if (c == '=') {
            if (count < 2)
                bad = true;
            padding++;
            continue;
        }
        int v = base64_value(c);
        if (v < 0) {
            bad = true;
            continue;
        }
        if (padding > 0) {
            /* data after padding: finish the padded group, start a new one */
            if (!base64_flush(acc, count, out) || count + padding != 4)
                bad = true;
            acc = 0;
            count = 0;
            padding = 0;
        }
        acc = acc << 6 | (uint32_t)v;
        if (++count == 4) {
            uint8_t three[3] = {(uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc};
            buf_append(out, three, 3);
            acc = 0;
            count = 0;
        }
    }
    if (count > 0) {
        if (!base64_flush(acc, count, out) || count + padding != 4)
            bad = true;
    } else if (padding > 0) {
        bad = true;
    }
    return bad ? -1 : 0;
}

/* --- quoted-printable ---------------------------------------------------- */

typedef struct qp_writer {
    buf_t *out;
    size_t column;
} qp_writer_t;

/* RFC 2045 6.7 rule 5: at most 76 characters, counting the "=" of a soft break. */
static void qp_put(qp_writer_t *w, const char *token, size_t n)
{
    if (w->column + n > CODEC_LINE_MAX - 1) {
        buf_append(w->out, "=\r\n", 3);
        w->column = 0;
    }
    buf_append(w->out, token, n);
    w->column += n;
}

static void qp_put_escaped(qp_writer_t *w, uint8_t c)
{
    char token[3] = {'=', hex_upper[c >> 4], hex_upper[c & 15]};
    qp_put(w, token, 3);
}

/* Length of the line break starting at i in text mode (CRLF or bare LF), else 0. */
static size_t qp_line_break(const uint8_t *in, size_t len, size_t i)
{
    if (in[i] == '\n')
        return 1;
    if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
        return 2;
    return 0;
}

void codec_qp_encode(const uint8_t *in, size_t len, bool text, buf_t *out)
{
    qp_writer_t w = {out, 0};
    buf_reserve(out, len + len / 8 + 8);
    out->data[out->len] = 0; /* buf_reserve leaves a fresh buffer unterminated */
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        size_t eol = text ? qp_line_break(in, len, i) : 0;
        if (eol > 0) {
            buf_append(out, "\r\n", 2);
            w.column = 0;
            i += eol - 1;
            continue;
        }
        if (c == ' ' || c == '\t') {
            /* rule 3: whitespace at the end of a line would be lost in transit */
            bool at_end = i + 1 == len || (text && qp_line_break(in, len, i + 1) > 0);
            if (at_end)
                qp_put_escaped(&w, c);
            else
                qp_put(&w, (const char *)&in[i], 1);
        } else if (c >= 33 && c <= 126 && c != '=') {
            qp_put(&w, (const char *)&in[i], 1);
        } else {
            qp_put_escaped(&w, c);
        }
    }
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes one line's content (no line end, trailing whitespace already cut). */
static bool qp_decode_line(const uint8_t *line, size_t n, buf_t *out, bool *soft)
{
    bool bad = false;
    *soft = false;
    for (size_t i = 0; i < n; i++) {
        if (line[i] != '=') {
            buf_putc(out, line[i]);
            continue;
        }
        if (i + 1 == n) {
            *soft = true;
            break;
        }
        int hi = hex_value(line[i + 1]);
        int lo = i + 2 < n ? hex_value(line[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
            buf_putc(out, hi << 4 | lo);
            i += 2;
        } else {
            bad = true; /* RFC 2045 6.7 note 1: keep the "=" as it is */
            buf_putc(out, '=');
        }
    }
    return !bad;
}

int codec_qp_decode(const uint8_t *in, size_t len, buf_t *out)
{
    bool bad = false;
    size_t pos = 0;
    buf_reserve(out, len);
    out->data[out->len] = 0; /* buf_reserve leaves a fresh buffer unterminated */
    while (pos < len) {
        const uint8_t *nl = memchr(in + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - in) : len;
        size_t n = end - pos;
        while (n > 0 &&
               (in[pos + n - 1] == '\r' || in[pos + n - 1] == ' ' || in[pos + n - 1] == '\t'))
            n--;
        bool soft;
        if (!qp_decode_line(in + pos, n, out, &soft))
            bad = true;
        if (nl && !soft)
            buf_append(out, "\r\n", 2);
        pos = nl ? end + 1 : len;
    }
    return bad ? -1 : 0;
}
