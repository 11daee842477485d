/*
 * header: parse a header section into fields (RFC 5322 2.2), look fields up,
 * and write them back folded (RFC 5322 2.2.3, 2.1.1).
 */
#include "mail/header.h"

#include <stdlib.h>
#include <string.h>

#include "mail/codec.h"

void header_init(header_t *h)
{
    memset(h, 0, sizeof *h);
}

void header_free(header_t *h)
{
    for (size_t i = 0; i < h->count; i++) {
        free(h->fields[i].name);
        free(h->fields[i].value);
    }
    free(h->fields);
    memset(h, 0, sizeof *h);
}

static header_field_t *header_push(header_t *h)
{
    if (h->count == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->fields = xrealloc(h->fields, h->cap * sizeof *h->fields);
    }
    header_field_t *f = &h->fields[h->count++];
    memset(f, 0, sizeof *f);
    return f;
}

/* --- parsing ------------------------------------------------------------- */

/* The field being read: its name and its unfolded value so far. */
typedef struct field_reader {
    bool open;
    bool keep; /* false once past HEADER_FIELDS_MAX */
    size_t offset;
    size_t name_len;
    const uint8_t *name;
    buf_t value;
} field_reader_t;

static bool is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* Trims the value and stores the field in h. */
static void reader_close(field_reader_t *r, header_t *h, size_t end)
{
    if (!r->open)
        return;
    r->open = false;
    if (!r->keep) {
        buf_reset(&r->value);
        return;
    }
    size_t start = 0, stop = r->value.len;
    while (start < stop && is_wsp(r->value.data[start]))
        start++;
    while (stop > start && is_wsp(r->value.data[stop - 1]))
        stop--;
    header_field_t *f = header_push(h);
    f->name = xstrndup((const char *)r->name, r->name_len);
    f->value = xmalloc(stop - start + 1);
    memcpy(f->value, r->value.data + start, stop - start);
    f->value[stop - start] = '\0';
    f->value_len = stop - start;
    f->offset = r->offset;
    f->length = end - r->offset;
    buf_reset(&r->value);
}

static void reader_append(field_reader_t *r, header_t *h, const uint8_t *s, size_t n)
{
    if (!r->keep)
        return;
    if (r->value.len + n > HEADER_FIELD_MAX) {
        h->defects |= HEADER_DEFECT_FIELD_TOO_LONG;
        n = HEADER_FIELD_MAX - r->value.len;
    }
    buf_append(&r->value, s, n);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * How many of the 8 octets at p come before the first that is no name
 * octet (0x21..0x7e but ':'); 8 when all are. Each test below flags the
 * octets it looks for in their high bits; a borrow or carry can set a flag
 * only above an octet that is flagged itself, so the lowest flag is exact.
 */
static size_t name_octets_8(const uint8_t *p)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t x;
    memcpy(&x, p, sizeof x);
    uint64_t below = (x - 0x21 * ones) & ~x; /* under 0x21 */
    uint64_t above = (x + ones) | x;         /* over 0x7e */
    uint64_t y = x ^ (0x3a * ones);
    uint64_t colon = (y - ones) & ~y;        /* ':' */
    uint64_t bad = (below | above | colon) & high;
    return bad ? (size_t)__builtin_ctzll(bad) / 8 : 8;
}
#endif

/*
 * Length of the field name before the colon, or 0 when the line is no field:
 * RFC 5322 2.2 names are printable ASCII but ":"; obsolete syntax (4.5.1) lets
 * whitespace stand before the colon.
 */
static inline size_t field_name_length(const uint8_t *line, size_t n, size_t *colon)
{
    /* One look-up an octet: bit 1 of the digit for 0x21..0x7e but ':' (0x3a). */
    static const char name_octet[128] = "0000000000000000" "0000000000000000"
                                        "0111111111111111" "1111111111011111"
                                        "1111111111111111" "1111111111111111"
                                        "1111111111111111" "1111111111111110";
    size_t i = 0;
    bool ended = false;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Eight octets at a time while the line has them: every header line a server takes. */
    while (!ended && i + 8 <= n) {
        size_t k = name_octets_8(line + i);
        i += k;
        ended = k < 8;
    }
#endif
    while (!ended && i < n && line[i] < 128 && (name_octet[line[i]] & 1))
        i++;
    size_t name_len = i;
    while (i < n && is_wsp(line[i]))
        i++;
    if (name_len == 0 || i >= n || line[i] != ':')
        return 0;
    *colon = i;
    return name_len;
}

static bool has_8bit(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] & 0x80)
            return true;
    return false;
}

/* An mbox separator ("From alice@example Mon Sep  7 09:00:00 2026") is no field. */
static size_t skip_mbox_from(const uint8_t *data, size_t len, unsigned *defects)
{
    if (len < 5 || memcmp(data, "From ", 5) != 0)
        return 0;
    *defects |= HEADER_DEFECT_MBOX_FROM;
    const uint8_t *nl = memchr(data, '\n', len);
    return nl ? (size_t)(nl - data) + 1 : len;
}

/* One line of a header section: its text [start, content_end), and where the next begins. */
typedef struct header_line {
    size_t content_end;
    size_t next;
    bool bare_lf; /* ended in LF alone */
} header_line_t;

static inline header_line_t header_line_at(const uint8_t *data, size_t len, size_t pos)
{
    const uint8_t *nl = memchr(data + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - data) : len;
    header_line_t l = {end, nl ? end + 1 : len, false};
    if (end > pos && data[end - 1] == '\r')
        l.content_end--;
    else if (nl)
        l.bare_lf = true;
    return l;
}

/* Starts a field at line, or returns false when the line is no field. */
static bool reader_open(field_reader_t *r, header_t *h, const uint8_t *data, size_t start,
                        size_t content_end)
{
    size_t colon = 0;
    size_t name_len = field_name_length(data + start, content_end - start, &colon);
    if (name_len == 0)
        return false;
    r->open = true;
    r->keep = h->count < HEADER_FIELDS_MAX;
    if (!r->keep)
        h->defects |= HEADER_DEFECT_TOO_MANY_FIELDS;
    r->offset = start;
    r->name = data + start;
    r->name_len = name_len;
    reader_append(r, h, data + start + colon + 1, content_end - start - colon - 1);
    return true;
}

size_t header_parse(const uint8_t *data, size_t len, header_t *h)
{
    field_reader_t r = {false, true, 0, 0, NULL, BUF_INIT};
    size_t pos = skip_mbox_from(data, len, &h->defects);
    size_t body = len;
    bool ended = false;
    while (pos < len && !ended) {
        header_line_t l = header_line_at(data, len, pos);
        size_t next = l.next;
        size_t content_end = l.content_end;
        if (l.bare_lf)
            h->defects |= HEADER_DEFECT_BARE_LF;
        if (has_8bit(data + pos, content_end - pos))
            h->defects |= HEADER_DEFECT_8BIT;
        if (content_end == pos) { /* the empty line: the body follows */
            reader_close(&r, h, pos);
            body = next;
            ended = true;
        } else if (is_wsp(data[pos])) {
            if (r.open)
                reader_append(&r, h, data + pos, content_end - pos);
            else
                h->defects |= HEADER_DEFECT_STRAY_CONTINUATION;
            pos = next;
        } else {
            reader_close(&r, h, pos);
            if (!reader_open(&r, h, data, pos, content_end)) {
                h->defects |= HEADER_DEFECT_NO_COLON;
                body = pos;
                ended = true;
            }
            pos = next;
        }
    }
    if (!ended) {
        reader_close(&r, h, len);
        h->defects |= HEADER_DEFECT_NO_END;
    }
    buf_free(&r.value);
    return body;
}

/*
 * Appends one piece of a field's raw value (the rest of its first line, or a
 * continuation line) to out, where the value began at start: cut as
 * reader_append cuts, leading whitespace dropped as reader_close trims it.
 */
static void scan_value_piece(buf_t *out, size_t start, size_t *raw, const uint8_t *p, size_t n)
{
    if (*raw + n > HEADER_FIELD_MAX)
        n = HEADER_FIELD_MAX - *raw;
    *raw += n;
    if (out->len == start)
        while (n > 0 && is_wsp(*p)) {
            p++;
            n--;
        }
    buf_append(out, p, n);
}

/* The same reading as header_parse, stopping as soon as the first such field is whole. */
bool header_scan_value(const uint8_t *data, size_t len, const char *name, buf_t *out)
{
    unsigned defects = 0;
    size_t name_len = strlen(name);
    size_t pos = skip_mbox_from(data, len, &defects);
    size_t fields = 0, start = out->len, raw = 0;
    bool found = false;
    while (pos < len) {
        header_line_t l = header_line_at(data, len, pos);
        if (l.content_end == pos)
            break; /* the empty line */
        if (is_wsp(data[pos])) {
            if (found)
                scan_value_piece(out, start, &raw, data + pos, l.content_end - pos);
            pos = l.next;
            continue;
        }
        size_t colon = 0;
        size_t n = found ? 0 : field_name_length(data + pos, l.content_end - pos, &colon);
        if (n == 0)
            break; /* the next field, or a line that ends the header */
        /* Fields past HEADER_FIELDS_MAX are dropped by header_parse: not found there either. */
        /* Spelt as asked, the usual case, the name needs no folding. */
        if (fields++ < HEADER_FIELDS_MAX && n == name_len &&
            (memcmp(data + pos, name, n) == 0 ||
             str_ncasecmp((const char *)data + pos, name, n) == 0)) {
            found = true;
            scan_value_piece(out, start, &raw, data + pos + colon + 1,
                             l.content_end - pos - colon - 1);
        }
        pos = l.next;
    }
    if (!found)
        return false;
    while (out->len > start && is_wsp(out->data[out->len - 1]))
        out->len--;
    if (out->cap > 0)
        out->data[out->len] = '\0';
    return true;
}

/* --- lookup and building ------------------------------------------------- */

size_t header_index(const header_t *h, const char *name, size_t from)
{
    for (size_t i = from; i < h->count; i++)
        if (str_casecmp(h->fields[i].name, name) == 0)
            return i;
    return HEADER_NONE;
}

const header_field_t *header_find(const header_t *h, const char *name)
{
    size_t i = header_index(h, name, 0);
    return i == HEADER_NONE ? NULL : &h->fields[i];
}

const char *header_get(const header_t *h, const char *name)
{
    const header_field_t *f = header_find(h, name);
    return f ? f->value : NULL;
}

bool header_get_decoded(const header_t *h, const char *name, buf_t *out)
{
    const header_field_t *f = header_find(h, name);
    if (!f)
        return false;
    codec_words_decode(f->value, f->value_len, out);
    return true;
}

void header_add(header_t *h, const char *name, const char *value)
{
    header_field_t *f = header_push(h);
    f->name = xstrdup(name);
    f->value = xstrdup(value);
    f->value_len = strlen(value);
}

/* Free text as a field value: RFC 2047 words whose first fits the line after "Name: ". */
static void text_value(const char *name, const char *utf8, size_t len, buf_t *out)
{
    size_t used = strlen(name) + 2;
    codec_words_encode(utf8, len, used < HEADER_FOLD_AT ? HEADER_FOLD_AT - used : 0, out);
}

void header_add_text(header_t *h, const char *name, const char *utf8)
{
    buf_t encoded = BUF_INIT;
    text_value(name, utf8, strlen(utf8), &encoded);
    header_add(h, name, buf_cstr(&encoded));
    buf_free(&encoded);
}

void header_fold_text(const char *name, const char *utf8, buf_t *out)
{
    size_t len = strlen(utf8);
    if (!codec_words_needed(utf8, len)) { /* the words would be the text itself */
        header_fold(name, utf8, len, out);
        return;
    }
    buf_t encoded = BUF_INIT;
    text_value(name, utf8, len, &encoded);
    header_fold(name, buf_cstr(&encoded), encoded.len, out);
    buf_free(&encoded);
}

size_t header_remove(header_t *h, const char *name)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < h->count; i++) {
        if (str_casecmp(h->fields[i].name, name) == 0) {
            free(h->fields[i].name);
            free(h->fields[i].value);
            removed++;
        } else {
            h->fields[kept++] = h->fields[i];
        }
    }
    h->count = kept;
    return removed;
}

/* --- folding ------------------------------------------------------------- */

static bool is_fold_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Whether "Name: value" goes out as it is: it fits on one line (so no token
 * can cross the fold column), has no whitespace to trim at either end and no
 * CR or LF to blank. Most fields a user agent writes are like that.
 */
static bool fits_unfolded(size_t name_len, const char *value, size_t value_len)
{
    if (name_len + 2 + value_len > HEADER_FOLD_AT)
        return false;
    if (value_len == 0)
        return true;
    return !is_fold_space(value[0]) && !is_fold_space(value[value_len - 1]) &&
           !memchr(value, '\n', value_len) && !memchr(value, '\r', value_len);
}

void header_fold(const char *name, const char *value, size_t value_len, buf_t *out)
{
    size_t name_len = strlen(name);
    if (fits_unfolded(name_len, value, value_len)) {
        buf_reserve(out, name_len + value_len + 4);
        uint8_t *p = out->data + out->len;
        memcpy(p, name, name_len);
        p += name_len;
        *p++ = ':';
        *p++ = ' ';
        memcpy(p, value, value_len);
        p += value_len;
        *p++ = '\r';
        *p++ = '\n';
        *p = '\0';
        out->len = (size_t)(p - out->data);
        return;
    }
    buf_append(out, name, name_len);
    buf_append(out, ": ", 2);
    size_t column = name_len + 2;
    size_t i = 0;
    while (i < value_len && is_fold_space(value[i]))
        i++;
    bool line_has_word = false;
    while (i < value_len) {
        /* one token: whitespace, then a word */
        size_t ws = i;
        while (i < value_len && is_fold_space(value[i]))
            i++;
        size_t word = i;
        while (i < value_len && !is_fold_space(value[i]))
            i++;
        if (word == i)
            break; /* trailing whitespace */
        size_t token_len = i - ws;
        if (line_has_word && ws < word && column + token_len > HEADER_FOLD_AT) {
            buf_append(out, "\r\n", 2);
            column = 0;
        }
        for (size_t k = ws; k < word; k++)
            buf_putc(out, value[k] == '\t' ? '\t' : ' ');
        buf_append(out, value + word, i - word);
        column += token_len;
        line_has_word = true;
    }
    buf_append(out, "\r\n", 2);
}

void header_write(const header_t *h, buf_t *out)
{
    for (size_t i = 0; i < h->count; i++)
        header_fold(h->fields[i].name, h->fields[i].value, h->fields[i].value_len, out);
}

void header_unfold(const char *raw, size_t len, buf_t *out)
{
    size_t start = out->len;
    for (size_t i = 0; i < len; i++) {
        if (raw[i] == '\r' && i + 2 < len && raw[i + 1] == '\n' && is_wsp((uint8_t)raw[i + 2])) {
            i++;
            continue;
        }
        if (raw[i] == '\n' && i + 1 < len && is_wsp((uint8_t)raw[i + 1]))
            continue;
        buf_putc(out, (uint8_t)raw[i]);
    }
    size_t lead = start;
    while (lead < out->len && is_fold_space((char)out->data[lead]))
        lead++;
    memmove(out->data + start, out->data + lead, out->len - lead);
    out->len -= lead - start;
    while (out->len > start && is_fold_space((char)out->data[out->len - 1]))
        out->len--;
    if (out->cap > 0)
        out->data[out->len] = '\0';
}

static const char *const header_defect_names[] = {
    "line without colon", "8-bit octets",       "field too long", "too many fields",
    "no end of header",   "stray continuation", "bare LF",        "mbox From line",
};

void header_defects_describe(unsigned defects, buf_t *out)
{
    const char *sep = "";
    for (size_t i = 0; i < ARRAY_LEN(header_defect_names); i++) {
        if (defects & (1u << i)) {
            buf_printf(out, "%s%s", sep, header_defect_names[i]);
            sep = ", ";
        }
    }
}
