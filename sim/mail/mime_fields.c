/*
 * mime_fields: the grammar of Content-Type and Content-Disposition values
 * (RFC 2045 5.1, RFC 2183): a type, then "; name=value" parameters, with
 * comments allowed between tokens, and RFC 2231's parameter continuations and
 * charset-tagged values ("filename*0*=utf-8''%CE%91; filename*1=.txt").
 */
#include <stdlib.h>
#include <string.h>

#include "mail/codec.h"
#include "mail/mime.h"

/* Raw parameters kept from one value; more are dropped (quadratic joining stays cheap). */
#define RAW_PARAMS_MAX 128
/* RFC 2231 3: sections numbered 0..N; more than this are dropped. */
#define SECTIONS_MAX 64

typedef struct raw_param {
    char *base;    /* the name before any "*", lower-cased */
    int section;   /* -1 when the name had no section number */
    bool extended; /* a trailing "*": charset'language'percent-encoded */
    char *value;
} raw_param_t;

typedef struct value_lexer {
    const char *s;
    size_t len;
    size_t pos;
    bool bad;
} value_lexer_t;

/* A buffer's text as an owned C string; buf_steal alone leaves an empty one unterminated. */
static char *take_string(buf_t *b)
{
    buf_append(b, "", 0);
    return buf_steal(b, NULL);
}

static char *lower_dup(const char *s, size_t n)
{
    char *out = xstrndup(s, n);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

/* RFC 2045 5.1 tspecials, plus whitespace and controls: what ends a token. */
static bool ends_token(char c)
{
    return (unsigned char)c <= ' ' || c == 127 || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static void skip_cfws(value_lexer_t *lx)
{
    int depth = 0;
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (depth > 0 && c == '\\' && lx->pos + 1 < lx->len) {
            lx->pos += 2;
            continue;
        }
        if (c == '(')
            depth++;
        else if (c == ')' && depth > 0)
            depth--;
        else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return;
        lx->pos++;
    }
    if (depth > 0)
        lx->bad = true;
}

static size_t token_length(const value_lexer_t *lx)
{
    size_t i = lx->pos;
    while (i < lx->len && !ends_token(lx->s[i]))
        i++;
    return i - lx->pos;
}

static char *read_quoted(value_lexer_t *lx)
{
    buf_t out = BUF_INIT;
    lx->pos++;
    while (lx->pos < lx->len && lx->s[lx->pos] != '"') {
        if (lx->s[lx->pos] == '\\' && lx->pos + 1 < lx->len)
            lx->pos++;
        buf_putc(&out, (unsigned char)lx->s[lx->pos++]);
    }
    if (lx->pos < lx->len)
        lx->pos++;
    else
        lx->bad = true;
    return take_string(&out);
}

/* An unquoted value runs to ";" or whitespace: "boundary=----=_Part_1" is common and wrong. */
static char *read_value(value_lexer_t *lx)
{
    if (lx->pos < lx->len && lx->s[lx->pos] == '"')
        return read_quoted(lx);
    size_t start = lx->pos;
    while (lx->pos < lx->len && lx->s[lx->pos] != ';' && lx->s[lx->pos] != ' ' &&
           lx->s[lx->pos] != '\t' && lx->s[lx->pos] != '\r' && lx->s[lx->pos] != '\n')
        lx->pos++;
    return xstrndup(lx->s + start, lx->pos - start);
}

static void skip_to_semicolon(value_lexer_t *lx)
{
    lx->bad = true;
    while (lx->pos < lx->len && lx->s[lx->pos] != ';')
        lx->pos++;
}

/* Splits "name*2*" into base, section and extended. */
static void raw_param_name(raw_param_t *p, const char *name, size_t n)
{
    const char *star = memchr(name, '*', n);
    p->section = -1;
    p->extended = false;
    if (!star) {
        p->base = lower_dup(name, n);
        return;
    }
    p->base = lower_dup(name, (size_t)(star - name));
    const char *rest = star + 1, *end = name + n;
    /* "name*" is extended; "name*2" a section; "name*2*" an extended section */
    p->extended = true;
    if (rest < end && *rest >= '0' && *rest <= '9') {
        int section = 0;
        while (rest < end && *rest >= '0' && *rest <= '9' && section < 100000)
            section = section * 10 + (*rest++ - '0');
        p->section = section;
        p->extended = rest < end && *rest == '*';
    }
}

/* One "; attribute = value" at lx->pos (just past the ";"); false when nothing was read. */
static bool read_param(value_lexer_t *lx, raw_param_t *p)
{
    skip_cfws(lx);
    size_t n = token_length(lx);
    if (n == 0) {
        if (lx->pos < lx->len)
            skip_to_semicolon(lx);
        return false;
    }
    const char *name = lx->s + lx->pos;
    lx->pos += n;
    skip_cfws(lx);
    if (lx->pos >= lx->len || lx->s[lx->pos] != '=') {
        skip_to_semicolon(lx);
        return false;
    }
    lx->pos++;
    skip_cfws(lx);
    raw_param_name(p, name, n);
    p->value = read_value(lx);
    return true;
}

static void params_add(mime_params_t *params, char *name, char *value)
{
    if (params->count == params->cap) {
        params->cap = params->cap ? params->cap * 2 : 4;
        params->items = xrealloc(params->items, params->cap * sizeof *params->items);
    }
    params->items[params->count].name = name;
    params->items[params->count].value = value;
    params->count++;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* RFC 2231 4: "charset'language'%XX..." (the prefix only on the first section). */
static void append_extended(const char *v, bool first, codec_charset_t *charset, buf_t *bytes)
{
    if (first) {
        const char *q1 = strchr(v, '\'');
        const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
        if (q2) {
            *charset = codec_charset_lookup(v, (size_t)(q1 - v));
            v = q2 + 1;
        }
    }
    for (; *v; v++) {
        int hi, lo;
        if (*v == '%' && (hi = hex_nibble(v[1])) >= 0 && (lo = hex_nibble(v[2])) >= 0) {
            buf_putc(bytes, hi << 4 | lo);
            v += 2;
        } else {
            buf_putc(bytes, (unsigned char)*v);
        }
    }
}

static const raw_param_t *find_section(const raw_param_t *raw, size_t n, const char *base,
                                       int section)
{
    for (size_t i = 0; i < n; i++)
        if (raw[i].section == section && raw[i].base[0] == base[0] &&
            strcmp(raw[i].base, base) == 0)
            return &raw[i];
    return NULL;
}

/* Joins every raw parameter named base into one UTF-8 value (RFC 2231 3, 4). */
static char *join_param(const raw_param_t *raw, size_t n, const char *base)
{
    codec_charset_t charset = CODEC_CHARSET_ASCII;
    buf_t bytes = BUF_INIT, out = BUF_INIT;
    const raw_param_t *single = find_section(raw, n, base, -1);
    const raw_param_t *first = find_section(raw, n, base, 0);
    if (first || (single && single->extended)) {
        for (int s = first ? 0 : -1; s < SECTIONS_MAX; s++) {
            const raw_param_t *p = first ? find_section(raw, n, base, s) : single;
            if (!p)
                break;
            if (p->extended)
                append_extended(p->value, s <= 0, &charset, &bytes);
            else
                buf_puts(&bytes, p->value);
            if (!first)
                break;
        }
        codec_charset_to_utf8(charset, bytes.data, bytes.len, &out);
    } else if (single) {
        /* not standard, but common: name="=?UTF-8?B?...?=" */
        codec_words_decode(single->value, strlen(single->value), &out);
    }
    buf_free(&bytes);
    return take_string(&out);
}

static void join_params(const raw_param_t *raw, size_t n, mime_params_t *params)
{
    for (size_t i = 0; i < n; i++) {
        if (mime_params_get(params, raw[i].base))
            continue;
        params_add(params, xstrdup(raw[i].base), join_param(raw, n, raw[i].base));
    }
}

/* Reads "type" or "type/subtype" at the lexer; false when there is no type. */
static bool read_type(value_lexer_t *lx, bool slash, char **type, char **subtype)
{
    skip_cfws(lx);
    size_t n = token_length(lx);
    if (n == 0)
        return false;
    *type = lower_dup(lx->s + lx->pos, n);
    lx->pos += n;
    if (!slash)
        return true;
    skip_cfws(lx);
    if (lx->pos < lx->len && lx->s[lx->pos] == '/') {
        lx->pos++;
        skip_cfws(lx);
        n = token_length(lx);
        if (n > 0)
            *subtype = lower_dup(lx->s + lx->pos, n);
        lx->pos += n;
    }
    if (!*subtype)
        lx->bad = true;
    return true;
}

int mime_content_type_parse(const char *value, size_t len, bool slash, char **type, char **subtype,
                            mime_params_t *params)
{
    value_lexer_t lx = {value, len, 0, false};
    *type = NULL;
    *subtype = NULL;
    if (!read_type(&lx, slash, type, subtype))
        return -1;
    raw_param_t raw[RAW_PARAMS_MAX];
    size_t n = 0;
    for (;;) {
        skip_cfws(&lx);
        if (lx.pos >= lx.len)
            break;
        if (lx.s[lx.pos] != ';') {
            skip_to_semicolon(&lx);
            continue;
        }
        lx.pos++;
        raw_param_t p;
        if (!read_param(&lx, &p))
            continue;
        if (n < RAW_PARAMS_MAX) {
            raw[n++] = p;
        } else {
            lx.bad = true;
            free(p.base);
            free(p.value);
        }
    }
    join_params(raw, n, params);
    for (size_t i = 0; i < n; i++) {
        free(raw[i].base);
        free(raw[i].value);
    }
    return lx.bad ? -1 : 0;
}

void mime_params_free(mime_params_t *params)
{
    for (size_t i = 0; i < params->count; i++) {
        free(params->items[i].name);
        free(params->items[i].value);
    }
    free(params->items);
    memset(params, 0, sizeof *params);
}

const char *mime_params_get(const mime_params_t *params, const char *name)
{
    for (size_t i = 0; i < params->count; i++)
        if (str_casecmp(params->items[i].name, name) == 0)
            return params->items[i].value;
    return NULL;
}

static const char *const encoding_names[] = {
    [MIME_ENC_7BIT] = "7bit",     [MIME_ENC_8BIT] = "8bit",
    [MIME_ENC_BINARY] = "binary", [MIME_ENC_QP] = "quoted-printable",
    [MIME_ENC_BASE64] = "base64", [MIME_ENC_UNKNOWN] = "x-unknown",
};

mime_encoding_t mime_encoding_lookup(const char *name)
{
    for (int e = MIME_ENC_7BIT; e < MIME_ENC_UNKNOWN; e++)
        if (str_casecmp(encoding_names[e], name) == 0)
            return (mime_encoding_t)e;
    return MIME_ENC_UNKNOWN;
}

const char *mime_encoding_name(mime_encoding_t encoding)
{
    return encoding_names[encoding];
}
