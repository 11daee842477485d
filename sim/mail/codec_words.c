/*
 * codec_words: RFC 2047 encoded words ("=?UTF-8?B?zpPOtc65zrE=?=") for
 * non-ASCII text in header fields, and the charsets they and text bodies
 * arrive in, converted to UTF-8.
 */
#include <string.h>

#include "mail/codec.h"

/* --- charsets ------------------------------------------------------------ */

static const struct {
    const char *name;
    codec_charset_t charset;
} charset_names[] = {
    {"utf-8", CODEC_CHARSET_UTF8},        {"utf8", CODEC_CHARSET_UTF8},
    {"us-ascii", CODEC_CHARSET_ASCII},    {"ascii", CODEC_CHARSET_ASCII},
    {"iso-8859-1", CODEC_CHARSET_LATIN1}, {"iso8859-1", CODEC_CHARSET_LATIN1},
    {"latin1", CODEC_CHARSET_LATIN1},     {"iso-8859-7", CODEC_CHARSET_GREEK},
    {"iso8859-7", CODEC_CHARSET_GREEK},   {"greek", CODEC_CHARSET_GREEK},
    {"iso-ir-126", CODEC_CHARSET_GREEK},  {"elot_928", CODEC_CHARSET_GREEK},
};

codec_charset_t codec_charset_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_LEN(charset_names); i++) {
        const char *known = charset_names[i].name;
        if (strlen(known) == len && str_ncasecmp(known, name, len) == 0)
            return charset_names[i].charset;
    }
    return CODEC_CHARSET_UNKNOWN;
}

/* ISO-8859-7:2003, octets 0xA0..0xFF; 0xFFFD where the charset has a hole. */
static const uint16_t greek_high[96] = {
    0x00A0, 0x2018, 0x2019, 0x00A3, 0x20AC, 0x20AF, 0x00A6, 0x00A7, 0x00A8, 0x00A9, 0x037A, 0x00AB,
    0x00AC, 0x00AD, 0xFFFD, 0x2015, 0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x0384, 0x0385, 0x0386, 0x00B7,
    0x0388, 0x0389, 0x038A, 0x00BB, 0x038C, 0x00BD, 0x038E, 0x038F, 0x0390, 0x0391, 0x0392, 0x0393,
    0x0394, 0x0395, 0x0396, 0x0397, 0x0398, 0x0399, 0x039A, 0x039B, 0x039C, 0x039D, 0x039E, 0x039F,
    0x03A0, 0x03A1, 0xFFFD, 0x03A3, 0x03A4, 0x03A5, 0x03A6, 0x03A7, 0x03A8, 0x03A9, 0x03AA, 0x03AB,
    0x03AC, 0x03AD, 0x03AE, 0x03AF, 0x03B0, 0x03B1, 0x03B2, 0x03B3, 0x03B4, 0x03B5, 0x03B6, 0x03B7,
    0x03B8, 0x03B9, 0x03BA, 0x03BB, 0x03BC, 0x03BD, 0x03BE, 0x03BF, 0x03C0, 0x03C1, 0x03C2, 0x03C3,
    0x03C4, 0x03C5, 0x03C6, 0x03C7, 0x03C8, 0x03C9, 0x03CA, 0x03CB, 0x03CC, 0x03CD, 0x03CE, 0xFFFD,
};

static void put_utf8(buf_t *out, uint32_t cp)
{
    if (cp < 0x80) {
        buf_putc(out, (int)cp);
    } else if (cp < 0x800) {
        buf_putc(out, (int)(0xC0 | cp >> 6));
        buf_putc(out, (int)(0x80 | (cp & 0x3F)));
    } else {
        buf_putc(out, (int)(0xE0 | cp >> 12));
        buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(out, (int)(0x80 | (cp & 0x3F)));
    }
}

int codec_charset_to_utf8(codec_charset_t charset, const uint8_t *in, size_t len, buf_t *out)
{
    switch (charset) {
    case CODEC_CHARSET_UTF8:
    case CODEC_CHARSET_ASCII:
        buf_append(out, in, len);
        return 0;
    case CODEC_CHARSET_UNKNOWN:
        buf_append(out, in, len);
        return 1;
    case CODEC_CHARSET_LATIN1:
        for (size_t i = 0; i < len; i++)
            put_utf8(out, in[i]);
        return 0;
    case CODEC_CHARSET_GREEK:
        for (size_t i = 0; i < len; i++)
            put_utf8(out, in[i] < 0xA0 ? in[i] : greek_high[in[i] - 0xA0]);
        return 0;
    }
    return 1;
}

size_t codec_utf8_seq_len(uint8_t lead)
{
    if (lead >= 0xF0 && lead <= 0xF7)
        return 4;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 3;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    return 1;
}

/* --- encoding words ------------------------------------------------------ */

bool codec_words_needed(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)text[i];
        if (c >= 0x80 || (c < 32 && c != '\t') || c == 127)
            return true;
        if (c == '=' && i + 1 < len && text[i + 1] == '?')
            return true;
    }
    return false;
}

/* RFC 2047 5 (3): characters that stand for themselves in a Q word anywhere. */
static bool q_literal(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
           c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t q_cost(uint8_t c)
{
    return q_literal(c) || c == ' ' ? 1 : 3;
}

/* Q when most of the text is plain ASCII (readable on the wire), else B. */
static bool prefer_q(const uint8_t *s, size_t len)
{
    size_t q = 0;
    for (size_t i = 0; i < len; i++)
        q += q_cost(s[i]);
    return q <= (len + 2) / 3 * 4;
}

/* Encoded length of n bytes as a word payload. */
static size_t payload_cost(bool q, const uint8_t *s, size_t n)
{
    if (!q)
        return (n + 2) / 3 * 4;
    size_t cost = 0;
    for (size_t i = 0; i < n; i++)
        cost += q_cost(s[i]);
    return cost;
}

static void put_q_payload(const uint8_t *s, size_t n, buf_t *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            buf_putc(out, '_');
        } else if (q_literal(s[i])) {
            buf_putc(out, s[i]);
        } else {
            char esc[3] = {'=', hex[s[i] >> 4], hex[s[i] & 15]};
            buf_append(out, esc, 3);
        }
    }
}

void codec_words_encode(const char *utf8, size_t len, size_t first_line_room, buf_t *out)
{
    const uint8_t *s = (const uint8_t *)utf8;
    if (!codec_words_needed(utf8, len)) {
        buf_append(out, utf8, len);
        return;
    }
    bool q = prefer_q(s, len);
    const char *prefix = q ? "=?UTF-8?Q?" : "=?UTF-8?B?";
    size_t overhead = strlen(prefix) + 2;
    size_t limit = first_line_room >= overhead + 4 && first_line_room < CODEC_WORD_MAX
                       ? first_line_room
                       : CODEC_WORD_MAX;
    size_t pos = 0;
    while (pos < len) {
        /* take whole UTF-8 characters while the word stays within its limit */
        size_t take = 0;
        while (pos + take < len) {
            size_t step = codec_utf8_seq_len(s[pos + take]);
            if (pos + take + step > len)
                step = len - pos - take;
            if (take > 0 && overhead + payload_cost(q, s + pos, take + step) > limit)
                break;
            take += step;
        }
        if (pos > 0)
            buf_putc(out, ' ');
        buf_puts(out, prefix);
        if (q)
            put_q_payload(s + pos, take, out);
        else
            codec_base64_encode(s + pos, take, false, out);
        buf_append(out, "?=", 2);
        pos += take;
        limit = CODEC_WORD_MAX;
    }
}

/* --- decoding words ------------------------------------------------------ */

typedef struct encoded_word {
    const char *charset;
    size_t charset_len;
    char encoding; /* 'B' or 'Q' */
    const char *text;
    size_t text_len;
    size_t total_len; /* from "=?" to "?=" inclusive */
} encoded_word_t;

/*
 * Recognises "=?charset?e?text?=" at in[0]; false when it is not one. *dead
 * marks where an earlier search for the closing "?=" met whitespace or the
 * end: a search starting before it fails the same way, so it is not repeated
 * (else a field full of "=?x?B?" would take quadratic time).
 */
static bool word_scan(const char *in, size_t len, const char **dead, encoded_word_t *w)
{
    if (len < 8 || in[0] != '=' || in[1] != '?')
        return false;
    size_t i = 2;
    while (i < len && in[i] != '?' && in[i] != ' ' && i < 2 + 64)
        i++;
    if (i >= len || in[i] != '?' || i == 2 || i + 3 >= len || in[i + 2] != '?')
        return false;
    w->charset = in + 2;
    w->charset_len = i - 2;
    /* RFC 2231 5: a language may follow the charset: "UTF-8*el" */
    const char *star = memchr(w->charset, '*', w->charset_len);
    if (star)
        w->charset_len = (size_t)(star - w->charset);
    char e = in[i + 1];
    w->encoding = e == 'b' || e == 'B' ? 'B' : e == 'q' || e == 'Q' ? 'Q' : 0;
    if (!w->encoding)
        return false;
    size_t start = i + 3;
    if (in + start < *dead)
        return false;
    for (size_t j = start; j + 1 < len; j++) {
        if (in[j] == ' ' || in[j] == '\t' || in[j] == '\r' || in[j] == '\n') {
            *dead = in + j;
            return false;
        }
        if (in[j] == '?' && in[j + 1] == '=') {
            w->text = in + start;
            w->text_len = j - start;
            w->total_len = j + 2;
            return true;
        }
    }
    *dead = in + len;
    return false;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

static bool q_decode(const char *s, size_t n, buf_t *out)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '_') {
            buf_putc(out, ' ');
        } else if (c == '=') {
            int hi = i + 1 < n ? hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                buf_putc(out, hi << 4 | lo);
                i += 2;
            } else {
                ok = false;
                buf_putc(out, '=');
            }
        } else {
            buf_putc(out, c);
        }
    }
    return ok;
}

/* Bytes of adjacent words in one charset, converted together (a character may straddle two). */
typedef struct word_run {
    buf_t bytes;
    codec_charset_t charset;
    bool open;
} word_run_t;

static void run_flush(word_run_t *run, buf_t *out)
{
    if (run->open)
        codec_charset_to_utf8(run->charset, run->bytes.data, run->bytes.len, out);
    buf_reset(&run->bytes);
    run->open = false;
}

static bool is_lwsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decodes one word into the run; false when its payload was bad. */
static bool run_add(word_run_t *run, const encoded_word_t *w, buf_t *out)
{
    codec_charset_t cs = codec_charset_lookup(w->charset, w->charset_len);
    if (run->open && run->charset != cs)
        run_flush(run, out);
    run->open = true;
    run->charset = cs;
    if (w->encoding == 'B')
        return codec_base64_decode((const uint8_t *)w->text, w->text_len, &run->bytes) == 0;
    return q_decode(w->text, w->text_len, &run->bytes);
}

int codec_words_decode(const char *in, size_t len, buf_t *out)
{
    bool bad = false;
    word_run_t run = {BUF_INIT, CODEC_CHARSET_UTF8, false};
    const char *dead = in;
    size_t i = 0;
    while (i < len) {
        encoded_word_t w;
        if (in[i] == '=' && word_scan(in + i, len - i, &dead, &w)) {
            if (!run_add(&run, &w, out))
                bad = true;
            i += w.total_len;
            /* RFC 2047 6.2: whitespace between adjacent encoded words is ignored */
            size_t j = i;
            while (j < len && is_lwsp(in[j]))
                j++;
            if (j > i && j < len && word_scan(in + j, len - j, &dead, &w))
                i = j;
            continue;
        }
        run_flush(&run, out);
        if (in[i] == '=' && i + 1 < len && in[i + 1] == '?')
            bad = true; /* looked like a word but was not one */
        buf_putc(out, (uint8_t)in[i]);
        i++;
    }
    run_flush(&run, out);
    buf_free(&run.bytes);
    return bad ? -1 : 0;
}
