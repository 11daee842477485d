/*
 * address: parse and write RFC 5322 3.4 address lists. The lexer turns the
 * field text into words (atoms, quoted strings, domain literals) and
 * specials, dropping comments (RFC 5322 3.2.2); the parser reads mailboxes
 * and groups from that, forgiving what real mail gets wrong.
 */
#include "mail/address.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/codec.h"

typedef enum token_kind {
    TOKEN_WORD,    /* an atom (dots included) or a domain literal */
    TOKEN_QUOTED,  /* a quoted string, unescaped */
    TOKEN_SPECIAL, /* one of < > @ , ; : */
} token_kind_t;

typedef struct token {
    token_kind_t kind;
    char special;
    bool space_before; /* whitespace or a comment stood before it */
    char *text;        /* owned; NULL for specials */
    char *comment;     /* the comment right after it, if any; owned */
} token_t;

typedef struct lexer {
    const char *s;
    size_t len;
    size_t pos;
    bool bad;
    token_t *tokens;
    size_t count;
    size_t cap;
} lexer_t;

void addr_list_init(addr_list_t *list)
{
    memset(list, 0, sizeof *list);
}

void addr_list_free(addr_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].name_raw);
        free(list->items[i].local);
        free(list->items[i].domain);
        free(list->items[i].address);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* A buffer's text as an owned C string; buf_steal alone leaves an empty one unterminated. */
static char *take_string(buf_t *b)
{
    buf_append(b, "", 0);
    return buf_steal(b, NULL);
}

/* --- lexer --------------------------------------------------------------- */

static bool is_special(char c)
{
    return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Atom text (RFC 5322 3.2.3) plus "." and 8-bit octets (raw UTF-8 names):
 * every octet over 31 but DEL, space, the specials <>@,;: and "()[]\.
 * One bit per ASCII octet, as this runs for every character of an address.
 */
static bool is_atom_char(char c)
{
    static const uint64_t ascii_atom[2] = {UINT64_C(0xa3ffecfa00000000),
                                           UINT64_C(0x7fffffffc7fffffe)};
    unsigned char u = (unsigned char)c;
    return u >= 128 || (ascii_atom[u >> 6] >> (u & 63) & 1);
}

static token_t *lexer_push(lexer_t *lx, token_kind_t kind, bool space_before)
{
    if (lx->count == lx->cap) {
        lx->cap = lx->cap ? lx->cap * 2 : 16;
        lx->tokens = xrealloc(lx->tokens, lx->cap * sizeof *lx->tokens);
    }
    token_t *t = &lx->tokens[lx->count++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->space_before = space_before;
    return t;
}

/* Reads a quoted string or comment body up to close; backslash quotes a character. */
static char *lex_delimited(lexer_t *lx, char close, bool nests)
{
    buf_t text = BUF_INIT;
    int depth = 1;
    lx->pos++;
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos++];
        if (c == '\\' && lx->pos < lx->len) {
            buf_putc(&text, (unsigned char)lx->s[lx->pos++]);
            continue;
        }
        if (nests && c == '(')
            depth++;
        if (c == close && --depth == 0)
            return take_string(&text);
        if (c != '\r' && c != '\n')
            buf_putc(&text, (unsigned char)c);
    }
    lx->bad = true; /* unclosed */
    return take_string(&text);
}

static void lex_comment(lexer_t *lx)
{
    char *comment = lex_delimited(lx, ')', true);
    if (lx->count > 0 && !lx->tokens[lx->count - 1].comment)
        lx->tokens[lx->count - 1].comment = comment;
    else
        free(comment);
}

static void lex_literal(lexer_t *lx, bool space)
{
    size_t start = lx->pos;
    const char *close = memchr(lx->s + start, ']', lx->len - start);
    size_t end = close ? (size_t)(close - lx->s) + 1 : lx->len;
    if (!close)
        lx->bad = true;
    lexer_push(lx, TOKEN_WORD, space)->text = xstrndup(lx->s + start, end - start);
    lx->pos = end;
}

static void lex_all(lexer_t *lx)
{
    bool space = false;
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (is_space(c)) {
            space = true;
            lx->pos++;
        } else if (c == '(') {
            lex_comment(lx);
            space = true;
        } else if (c == '"') {
            char *text = lex_delimited(lx, '"', false);
            lexer_push(lx, TOKEN_QUOTED, space)->text = text;
            space = false;
        } else if (c == '[') {
            lex_literal(lx, space);
            space = false;
        } else if (is_special(c)) {
            lexer_push(lx, TOKEN_SPECIAL, space)->special = c;
            lx->pos++;
            space = false;
        } else if (is_atom_char(c)) {
            size_t start = lx->pos;
            while (lx->pos < lx->len && is_atom_char(lx->s[lx->pos]))
                lx->pos++;
            lexer_push(lx, TOKEN_WORD, space)->text = xstrndup(lx->s + start, lx->pos - start);
            space = false;
        } else {
            lx->bad = true; /* a stray ")", "]", "\\" or control character */
            lx->pos++;
        }
    }
}

static void lexer_free(lexer_t *lx)
{
    for (size_t i = 0; i < lx->count; i++) {
        free(lx->tokens[i].text);
        free(lx->tokens[i].comment);
    }
    free(lx->tokens);
}

/* --- parser -------------------------------------------------------------- */

static bool is_special_token(const lexer_t *lx, size_t i, char c)
{
    return i < lx->count && lx->tokens[i].kind == TOKEN_SPECIAL && lx->tokens[i].special == c;
}

/* Joins words from..to; with spaces where the text had them (a phrase) or none (an address). */
static char *join_words(const lexer_t *lx, size_t from, size_t to, bool spaced)
{
    buf_t out = BUF_INIT;
    for (size_t i = from; i < to; i++) {
        if (lx->tokens[i].kind == TOKEN_SPECIAL)
            continue;
        if (spaced && out.len > 0 && lx->tokens[i].space_before)
            buf_putc(&out, ' ');
        buf_puts(&out, lx->tokens[i].text);
    }
    if (out.len == 0) {
        buf_free(&out);
        return NULL;
    }
    return take_string(&out);
}

static addr_t *list_push(addr_list_t *list, addr_kind_t kind)
{
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 4;
        list->items = xrealloc(list->items, list->cap * sizeof *list->items);
    }
    addr_t *a = &list->items[list->count++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    return a;
}

/* Sets name_raw and its decoded form; takes raw. */
static void set_name(addr_t *a, char *raw)
{
    a->name_raw = raw;
    if (!raw)
        return;
    buf_t decoded = BUF_INIT;
    codec_words_decode(raw, strlen(raw), &decoded);
    a->name = take_string(&decoded);
}

/* Does the local part need quoting to be an addr-spec (RFC 5322 3.4.1 dot-atom)? */
static bool local_needs_quotes(const char *local)
{
    if (!*local || local[0] == '.' || local[strlen(local) - 1] == '.' || strstr(local, ".."))
        return true;
    for (const char *p = local; *p; p++)
        if (!is_atom_char(*p))
            return true;
    return false;
}

static void set_address(addr_t *a, char *local, char *domain)
{
    a->local = local ? local : xstrdup("");
    a->domain = domain;
    buf_t spec = BUF_INIT;
    if (local_needs_quotes(a->local)) {
        buf_putc(&spec, '"');
        for (const char *p = a->local; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_putc(&spec, '\\');
            buf_putc(&spec, *p);
        }
        buf_putc(&spec, '"');
    } else {
        buf_puts(&spec, a->local);
    }
    if (domain)
        buf_printf(&spec, "@%s", domain);
    a->address = take_string(&spec);
}

/* The end of the run of words starting at i (the first special or the end). */
static size_t words_end(const lexer_t *lx, size_t i)
{
    while (i < lx->count && lx->tokens[i].kind != TOKEN_SPECIAL)
        i++;
    return i;
}

/* "<" [obs-route] local "@" domain ">": i is just past "<"; returns the index past ">". */
static size_t parse_angle(lexer_t *lx, size_t i, addr_t *a)
{
    /* RFC 5322 4.4: an obsolete route "@a,@b:" before the address is ignored */
    size_t colon = i;
    while (colon < lx->count && !is_special_token(lx, colon, '>') &&
           !is_special_token(lx, colon, ':'))
        colon++;
    if (is_special_token(lx, i, '@') && is_special_token(lx, colon, ':'))
        i = colon + 1;
    size_t at = words_end(lx, i);
    char *local = join_words(lx, i, at, false);
    char *domain = NULL;
    size_t end = at;
    if (is_special_token(lx, at, '@')) {
        end = words_end(lx, at + 1);
        domain = join_words(lx, at + 1, end, false);
    }
    if (!domain)
        lx->bad = true;
    set_address(a, local, domain);
    if (!is_special_token(lx, end, '>')) {
        lx->bad = true;
        while (end < lx->count && !is_special_token(lx, end, '>') &&
               !is_special_token(lx, end, ','))
            end++;
    }
    return is_special_token(lx, end, '>') ? end + 1 : end;
}

/* A bare addr-spec: words i..at are the local part; returns the index past the domain. */
static size_t parse_addr_spec(lexer_t *lx, size_t i, size_t at, addr_t *a)
{
    size_t end = words_end(lx, at + 1);
    char *domain = join_words(lx, at + 1, end, false);
    if (!domain)
        lx->bad = true;
    set_address(a, join_words(lx, i, at, false), domain);
    /* "alice@example (Alice)": the comment names the mailbox */
    const char *comment = end > 0 ? lx->tokens[end - 1].comment : NULL;
    if (comment && *comment)
        set_name(a, xstrdup(comment));
    return end;
}

/* Reads one entry starting at word i; returns the index where the next begins. */
static size_t parse_entry(lexer_t *lx, size_t i, addr_list_t *list, bool *in_group)
{
    size_t j = words_end(lx, i);
    if (is_special_token(lx, j, ':') && !*in_group) {
        set_name(list_push(list, ADDR_GROUP_START), join_words(lx, i, j, true));
        *in_group = true;
        return j + 1;
    }
    if (is_special_token(lx, j, '<')) {
        addr_t *a = list_push(list, ADDR_MAILBOX);
        set_name(a, join_words(lx, i, j, true));
        return parse_angle(lx, j + 1, a);
    }
    if (is_special_token(lx, j, '@'))
        return parse_addr_spec(lx, i, j, list_push(list, ADDR_MAILBOX));
    if (j > i) { /* a word with no "@": a local name only */
        lx->bad = true;
        set_address(list_push(list, ADDR_MAILBOX), join_words(lx, i, j, false), NULL);
        return j;
    }
    lx->bad = true; /* a special where an address should start */
    return j + 1;
}

int addr_list_parse(const char *value, size_t len, addr_list_t *list)
{
    lexer_t lx = {value, len, 0, false, NULL, 0, 0};
    lex_all(&lx);
    bool in_group = false;
    size_t i = 0;
    while (i < lx.count) {
        if (is_special_token(&lx, i, ',')) {
            i++;
        } else if (is_special_token(&lx, i, ';')) {
            if (in_group)
                list_push(list, ADDR_GROUP_END);
            else
                lx.bad = true;
            in_group = false;
            i++;
        } else {
            i = parse_entry(&lx, i, list, &in_group);
        }
    }
    if (in_group) { /* "team: a@x" with no ";" */
        list_push(list, ADDR_GROUP_END);
        lx.bad = true;
    }
    lexer_free(&lx);
    return lx.bad ? -1 : 0;
}

size_t addr_list_mailbox_count(const addr_list_t *list)
{
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++)
        n += list->items[i].kind == ADDR_MAILBOX;
    return n;
}

size_t addr_list_mailbox_at(const addr_list_t *list, size_t n)
{
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].kind == ADDR_MAILBOX && n-- == 0)
            return i;
    return list->count;
}

void addr_list_add(addr_list_t *list, const char *name, const char *local, const char *domain)
{
    addr_t *a = list_push(list, ADDR_MAILBOX);
    if (name) {
        a->name = xstrdup(name);
        a->name_raw = xstrdup(name);
    }
    set_address(a, xstrdup(local), domain ? xstrdup(domain) : NULL);
}

/*
 * The octets of a plain address, one row of the string per 16: 1 an atom
 * character but the dot, 2 the dot, 0 neither. Octets over 127 are atom
 * characters, as is_atom_char has it.
 */
static const char plain_octet[257] =
    "0000000000000000" /* 0x00 */
    "0000000000000000" /* 0x10 */
    "0101111100110121" /*  !"#$%&'()*+,-./ */
    "1111111111000101" /* 0123456789:;<=>? */
    "0111111111111111" /* @A-O */
    "1111111111100011" /* P-Z[\]^_ */
    "1111111111111111" /* `a-o */
    "1111111111111110" /* p-z{|}~ DEL */
    "1111111111111111" /* 0x80 */
    "1111111111111111"
    "1111111111111111"
    "1111111111111111"
    "1111111111111111"
    "1111111111111111"
    "1111111111111111"
    "1111111111111111" /* 0xf0 */;

bool addr_spec_is_plain(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    /*
     * One pass. The local part, up to the first "@" (not an atom character),
     * is a dot-atom (RFC 5322 3.2.3): runs of atom characters, one dot
     * between two.
     */
    for (;;) {
        const unsigned char *run = p;
        while (p < end && plain_octet[*p] == '1')
            p++;
        if (p == run || p == end)
            return false;
        if (*p == '@')
            break;
        if (*p != '.')
            return false;
        p++;
    }
    /* what local_needs_quotes lets pass; the domain is one word of atom characters */
    if (++p == end)
        return false;
    while (p < end && plain_octet[*p] != '0')
        p++;
    return p == end;
}

int addr_field_value(const char *const *values, size_t count, buf_t *out)
{
    bool plain = true;
    for (size_t i = 0; i < count && plain; i++)
        plain = !values[i] || addr_spec_is_plain(values[i], strlen(values[i]));
    if (plain) { /* each a single mailbox without a name: joined as addr_list_format joins */
        bool first = true;
        for (size_t i = 0; i < count; i++) {
            if (!values[i])
                continue;
            if (!first)
                buf_append(out, ", ", 2);
            buf_puts(out, values[i]);
            first = false;
        }
        return 0;
    }
    int rc = 0;
    addr_list_t list;
    addr_list_init(&list);
    for (size_t i = 0; i < count; i++)
        if (values[i] && addr_list_parse(values[i], strlen(values[i]), &list) != 0)
            rc = -1;
    addr_list_format(&list, out);
    addr_list_free(&list);
    return rc;
}

/* --- writing ------------------------------------------------------------- */

/* A display name as a phrase (RFC 5322 3.2.5): atoms, a quoted string, or RFC 2047 words. */
static void format_phrase(const char *name, buf_t *out)
{
    size_t len = strlen(name);
    if (codec_words_needed(name, len)) {
        codec_words_encode(name, len, 0, out);
        return;
    }
    bool plain = len > 0;
    for (const char *p = name; *p; p++)
        if (!is_atom_char(*p) && *p != ' ')
            plain = false;
    if (plain && !strchr(name, '.') && name[0] != ' ' && name[len - 1] != ' ') {
        buf_puts(out, name);
        return;
    }
    buf_putc(out, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_putc(out, '\\');
        buf_putc(out, (unsigned char)*p);
    }
    buf_putc(out, '"');
}

void addr_format_mailbox(const addr_t *a, buf_t *out)
{
    if (a->name && *a->name) {
        format_phrase(a->name, out);
        buf_printf(out, " <%s>", a->address ? a->address : "");
    } else {
        buf_puts(out, a->address ? a->address : "");
    }
}

void addr_list_format(const addr_list_t *list, buf_t *out)
{
    bool need_comma = false;
    for (size_t i = 0; i < list->count; i++) {
        const addr_t *a = &list->items[i];
        switch (a->kind) {
        case ADDR_MAILBOX:
            if (need_comma)
                buf_append(out, ", ", 2);
            else if (i > 0 && list->items[i - 1].kind == ADDR_GROUP_START)
                buf_putc(out, ' ');
            addr_format_mailbox(a, out);
            need_comma = true;
            break;
        case ADDR_GROUP_START:
            if (need_comma)
                buf_append(out, ", ", 2);
            format_phrase(a->name ? a->name : "", out);
            buf_putc(out, ':');
            need_comma = false;
            break;
        case ADDR_GROUP_END:
            buf_putc(out, ';');
            need_comma = true;
            break;
        }
    }
}
