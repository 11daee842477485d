/*
 * imap_search: SEARCH and UID SEARCH (RFC 3501 6.4.4): every search key of
 * RFC 3501, sequence and UID sets, NOT, OR and parenthesised groups, parsed
 * into a tree and tried on each message. Strings match as case-insensitive
 * substrings of decoded text: header values with their RFC 2047 words
 * decoded, and text parts with their transfer encoding and charset undone.
 * Case folding covers ASCII, Latin-1, Greek and Cyrillic.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/codec.h"
#include "mail/message.h"
#include "mail/mime.h"
#include "proto/imap_server_int.h"

/* Nesting of NOT, OR and groups past this is refused, so input cannot exhaust the stack. */
#define SEARCH_DEPTH_MAX 64

typedef enum skey_kind {
    SK_AND,
    SK_OR,
    SK_NOT,
    SK_FLAG,   /* n: STORE_FLAG_* bit that must be set */
    SK_NOFLAG, /* n: bit that must be clear */
    SK_RECENT,
    SK_KEYWORD,
    SK_HEADER, /* field, str */
    SK_BODY,
    SK_TEXT,
    SK_BEFORE,
    SK_ON,
    SK_SINCE,
    SK_SENTBEFORE,
    SK_SENTON,
    SK_SENTSINCE,
    SK_LARGER,
    SK_SMALLER,
    SK_SEQ,
    SK_UID,
} skey_kind_t;

typedef struct skey {
    skey_kind_t kind;
    uint32_t n;
    int64_t day;
    char *field;
    char *str; /* case-folded */
    size_t str_len;
    imap_seqset_t set;
    struct skey *kids;
    size_t kid_count;
} skey_t;

struct imap_search {
    skey_t root; /* an AND of the keys given */
    bool bad_charset;
};

/* --- case folding ------------------------------------------------------- */

static uint32_t fold_cp(uint32_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7))
        return c + 0x20;
    if ((c >= 0x391 && c <= 0x3a9 && c != 0x3a2) || (c >= 0x410 && c <= 0x42f))
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40f)
        return c + 0x50;
    switch (c) {
    case 0x386:
        return 0x3ac; /* Ά ά */
    case 0x388:
        return 0x3ad;
    case 0x389:
        return 0x3ae;
    case 0x38a:
        return 0x3af;
    case 0x38c:
        return 0x3cc;
    case 0x38e:
        return 0x3cd;
    case 0x38f:
        return 0x3ce;
    case 0x3c2:
        return 0x3c3; /* final sigma matches sigma */
    default:
        return c;
    }
}

static void put_utf8(buf_t *out, uint32_t c)
{
    uint8_t b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (uint8_t)c, n = 1;
    } else if (c < 0x800) {
        b[0] = (uint8_t)(0xc0 | c >> 6), b[1] = (uint8_t)(0x80 | (c & 0x3f)), n = 2;
    } else if (c < 0x10000) {
        b[0] = (uint8_t)(0xe0 | c >> 12), b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        b[2] = (uint8_t)(0x80 | (c & 0x3f)), n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | c >> 18), b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
        b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f)), b[3] = (uint8_t)(0x80 | (c & 0x3f)), n = 4;
    }
    buf_append(out, b, n);
}

/* Appends text case-folded; bytes that are not UTF-8 are copied as they are. */
static void fold_append(buf_t *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t n = utf8_decode(text + i, len - i, &c);
        if (n == 0) {
            buf_putc(out, text[i++]);
            continue;
        }
        put_utf8(out, fold_cp(c));
        i += n;
    }
}

static bool contains(const buf_t *hay, const skey_t *k)
{
    if (k->str_len == 0)
        return true;
    if (hay->len < k->str_len)
        return false;
    for (size_t i = 0; i + k->str_len <= hay->len; i++)
        if (hay->data[i] == (uint8_t)k->str[0] && memcmp(hay->data + i, k->str, k->str_len) == 0)
            return true;
    return false;
}

/* --- parsing ------------------------------------------------------------ */

static void skey_free(skey_t *k)
{
    for (size_t i = 0; i < k->kid_count; i++)
        skey_free(&k->kids[i]);
    free(k->kids);
    free(k->field);
    free(k->str);
    imap_seqset_free(&k->set);
}

void imap_search_free(imap_search_t *q)
{
    skey_free(&q->root);
    free(q);
}

static skey_t *add_kid(skey_t *parent, skey_kind_t kind)
{
    parent->kids = xrealloc(parent->kids, (parent->kid_count + 1) * sizeof *parent->kids);
    skey_t *k = &parent->kids[parent->kid_count++];
    memset(k, 0, sizeof *k);
    k->kind = kind;
    return k;
}

static bool fail(imap_parser_t *ps, const char *why)
{
    ps->error = why;
    return false;
}

static bool parse_string_arg(imap_parser_t *ps, skey_t *k)
{
    buf_t s = BUF_INIT, folded = BUF_INIT;
    bool ok = imap_parse_sp(ps) && imap_parse_astring(ps, &s);
    if (ok) {
        fold_append(&folded, (const char *)s.data, s.len);
        k->str_len = folded.len;
        k->str = xstrndup((const char *)folded.data ? (const char *)folded.data : "", folded.len);
    }
    buf_free(&s);
    buf_free(&folded);
    return ok;
}

static const struct {
    const char *name;
    skey_kind_t kind;
    uint32_t n;
} flag_keys[] = {
    {"ANSWERED", SK_FLAG, STORE_FLAG_ANSWERED},   {"DELETED", SK_FLAG, STORE_FLAG_DELETED},
    {"DRAFT", SK_FLAG, STORE_FLAG_DRAFT},         {"FLAGGED", SK_FLAG, STORE_FLAG_FLAGGED},
    {"SEEN", SK_FLAG, STORE_FLAG_SEEN},           {"UNANSWERED", SK_NOFLAG, STORE_FLAG_ANSWERED},
    {"UNDELETED", SK_NOFLAG, STORE_FLAG_DELETED}, {"UNDRAFT", SK_NOFLAG, STORE_FLAG_DRAFT},
    {"UNFLAGGED", SK_NOFLAG, STORE_FLAG_FLAGGED}, {"UNSEEN", SK_NOFLAG, STORE_FLAG_SEEN},
};

static const struct {
    const char *name;
    skey_kind_t kind;
} date_keys[] = {
    {"BEFORE", SK_BEFORE},         {"ON", SK_ON},         {"SINCE", SK_SINCE},
    {"SENTBEFORE", SK_SENTBEFORE}, {"SENTON", SK_SENTON}, {"SENTSINCE", SK_SENTSINCE},
};

static const char *const header_keys[] = {"BCC", "CC", "FROM", "SUBJECT", "TO"};

static bool parse_key(imap_parser_t *ps, skey_t *parent, int depth);

static bool parse_named_key(imap_parser_t *ps, skey_t *parent, const char *w, int depth)
{
    for (size_t i = 0; i < ARRAY_LEN(flag_keys); i++)
        if (strcmp(w, flag_keys[i].name) == 0)
            return add_kid(parent, flag_keys[i].kind)->n = flag_keys[i].n, true;
    for (size_t i = 0; i < ARRAY_LEN(date_keys); i++) {
        if (strcmp(w, date_keys[i].name) == 0) {
            skey_t *k = add_kid(parent, date_keys[i].kind);
            sim_time_t t;
            if (!imap_parse_sp(ps) || !imap_parse_date(ps, &t))
                return false;
            k->day = imap_day_of(t);
            return true;
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(header_keys); i++) {
        if (strcmp(w, header_keys[i]) == 0) {
            skey_t *k = add_kid(parent, SK_HEADER);
            k->field = xstrdup(header_keys[i]);
            return parse_string_arg(ps, k);
        }
    }
    if (strcmp(w, "ALL") == 0)
        return add_kid(parent, SK_AND), true;
    if (strcmp(w, "RECENT") == 0)
        return add_kid(parent, SK_RECENT), true;
    if (strcmp(w, "NEW") == 0) {
        /* RFC 3501 6.4.4: NEW is RECENT UNSEEN. */
        skey_t *k = add_kid(parent, SK_AND);
        add_kid(k, SK_RECENT);
        add_kid(k, SK_NOFLAG)->n = STORE_FLAG_SEEN;
        return true;
    }
    if (strcmp(w, "OLD") == 0)
        return add_kid(add_kid(parent, SK_NOT), SK_RECENT), true;
    if (strcmp(w, "BODY") == 0 || strcmp(w, "TEXT") == 0)
        return parse_string_arg(ps, add_kid(parent, w[0] == 'B' ? SK_BODY : SK_TEXT));
    if (strcmp(w, "HEADER") == 0) {
        skey_t *k = add_kid(parent, SK_HEADER);
        buf_t name = BUF_INIT;
        bool ok = imap_parse_sp(ps) && imap_parse_astring(ps, &name);
        k->field = xstrdup(buf_cstr(&name));
        buf_free(&name);
        return ok && parse_string_arg(ps, k);
    }
    if (strcmp(w, "KEYWORD") == 0 || strcmp(w, "UNKEYWORD") == 0) {
        skey_t *k = add_kid(w[0] == 'K' ? parent : add_kid(parent, SK_NOT), SK_KEYWORD);
        buf_t kw = BUF_INIT;
        bool ok = imap_parse_sp(ps) && imap_parse_atom(ps, &kw);
        k->field = xstrdup(buf_cstr(&kw));
        buf_free(&kw);
        return ok;
    }
    if (strcmp(w, "LARGER") == 0 || strcmp(w, "SMALLER") == 0) {
        skey_t *k = add_kid(parent, w[0] == 'L' ? SK_LARGER : SK_SMALLER);
        return imap_parse_sp(ps) && imap_parse_number(ps, false, &k->n);
    }
    if (strcmp(w, "UID") == 0)
        return imap_parse_sp(ps) && imap_parse_seqset(ps, &add_kid(parent, SK_UID)->set);
    if (strcmp(w, "NOT") == 0)
        return imap_parse_sp(ps) && parse_key(ps, add_kid(parent, SK_NOT), depth + 1);
    if (strcmp(w, "OR") == 0) {
        skey_t *k = add_kid(parent, SK_OR);
        return imap_parse_sp(ps) && parse_key(ps, k, depth + 1) && imap_parse_sp(ps) &&
               parse_key(ps, k, depth + 1);
    }
    return fail(ps, "unknown search key");
}

static bool parse_key(imap_parser_t *ps, skey_t *parent, int depth)
{
    if (depth > SEARCH_DEPTH_MAX)
        return fail(ps, "search keys nested too deep");
    int c = imap_parse_peek(ps);
    if (c == '(') {
        ps->p++;
        skey_t *group = add_kid(parent, SK_AND);
        do {
            if (!parse_key(ps, group, depth + 1))
                return false;
        } while (imap_parse_char(ps, ' '));
        return imap_parse_char(ps, ')') || fail(ps, "a search group must end with )");
    }
    if ((c >= '0' && c <= '9') || c == '*')
        return imap_parse_seqset(ps, &add_kid(parent, SK_SEQ)->set);
    buf_t word = BUF_INIT;
    bool ok = imap_parse_atom(ps, &word);
    for (size_t i = 0; i < word.len; i++)
        if (word.data[i] >= 'a' && word.data[i] <= 'z')
            word.data[i] -= 32;
    ok = ok ? parse_named_key(ps, parent, buf_cstr(&word), depth)
            : fail(ps, "a search key was expected");
    buf_free(&word);
    return ok;
}

bool imap_parse_search(imap_parser_t *ps, imap_args_t *a)
{
    imap_search_t *q = xcalloc(1, sizeof *q);
    q->root.kind = SK_AND;
    a->search = q;
    if (!imap_parse_sp(ps))
        return false;
    const uint8_t *save = ps->p;
    buf_t word = BUF_INIT;
    if (imap_parse_atom(ps, &word) && str_casecmp(buf_cstr(&word), "CHARSET") == 0) {
        bool ok = imap_parse_sp(ps) && imap_parse_astring(ps, &word) && imap_parse_sp(ps);
        q->bad_charset = str_casecmp(buf_cstr(&word), "UTF-8") != 0 &&
                         str_casecmp(buf_cstr(&word), "US-ASCII") != 0;
        if (!ok) {
            buf_free(&word);
            return false;
        }
    } else {
        ps->p = save;
    }
    buf_free(&word);
    do {
        if (!parse_key(ps, &q->root, 0))
            return false;
    } while (imap_parse_char(ps, ' '));
    return true;
}

/* --- matching ----------------------------------------------------------- */

typedef struct search_ctx {
    imap_server_t *s;
    uint32_t i; /* view index */
    const store_msg_t *m;
    mime_part_t *root; /* parsed on first need */
} search_ctx_t;

static mime_part_t *ctx_root(search_ctx_t *c)
{
    if (!c->root)
        c->root = mime_parse(store_msg_data(c->m), store_msg_size(c->m));
    return c->root;
}

static bool header_match(const header_t *h, const char *field, const skey_t *k)
{
    bool found = false;
    buf_t decoded = BUF_INIT, folded = BUF_INIT;
    for (size_t i = 0; i < h->count && !found; i++) {
        const header_field_t *f = &h->fields[i];
        if (field && str_casecmp(f->name, field) != 0)
            continue;
        buf_reset(&decoded);
        buf_reset(&folded);
        if (!field)
            buf_printf(&decoded, "%s: ", f->name);
        codec_words_decode(f->value, f->value_len, &decoded);
        fold_append(&folded, (const char *)decoded.data, decoded.len);
        found = contains(&folded, k);
    }
    buf_free(&decoded);
    buf_free(&folded);
    return found;
}

static bool body_match(const mime_part_t *p, const skey_t *k)
{
    if (p->message)
        return header_match(&p->message->header, NULL, k) || body_match(p->message, k);
    if (p->child_count > 0) {
        for (size_t i = 0; i < p->child_count; i++)
            if (body_match(p->children[i], k))
                return true;
        return false;
    }
    if (!mime_part_is(p, "text", NULL))
        return false;
    buf_t text = BUF_INIT, folded = BUF_INIT;
    mime_part_text(p, &text);
    fold_append(&folded, (const char *)text.data, text.len);
    bool found = contains(&folded, k);
    buf_free(&text);
    buf_free(&folded);
    return found;
}

/* The day of the Date field as written, whatever its zone (RFC 3501 6.4.4); false if none. */
static bool sent_day(search_ctx_t *c, int64_t *day)
{
    const char *date = header_get(&ctx_root(c)->header, "Date");
    if (!date)
        return false;
    const char *p = strchr(date, ',') ? strchr(date, ',') + 1 : date;
    char *end;
    long d = strtol(p, &end, 10);
    while (*end == ' ')
        end++;
    unsigned m = strlen(end) >= 3 ? imap_month_parse(end) : 0;
    long y = m ? strtol(end + 3, NULL, 10) : 0;
    if (m && d >= 1 && d <= 31 && y > 0) {
        *day = imap_days_from_civil(y < 50 ? y + 2000 : y < 1000 ? y + 1900 : y, m, (unsigned)d);
        return true;
    }
    sim_time_t t;
    if (message_date_parse(date, &t) != 0)
        return false;
    *day = imap_day_of(t);
    return true;
}

static bool match(const skey_t *k, search_ctx_t *c);

static bool match_day(const skey_t *k, int64_t day)
{
    if (k->kind == SK_BEFORE || k->kind == SK_SENTBEFORE)
        return day < k->day;
    if (k->kind == SK_ON || k->kind == SK_SENTON)
        return day == k->day;
    return day >= k->day; /* SINCE, SENTSINCE */
}

static bool match(const skey_t *k, search_ctx_t *c)
{
    const imap_view_t *v = &c->s->view;
    int64_t day;
    switch (k->kind) {
    case SK_AND:
        for (size_t i = 0; i < k->kid_count; i++)
            if (!match(&k->kids[i], c))
                return false;
        return true;
    case SK_OR:
        return match(&k->kids[0], c) || match(&k->kids[1], c);
    case SK_NOT:
        return !match(&k->kids[0], c);
    case SK_FLAG:
        return (store_msg_flags(c->m) & k->n) != 0;
    case SK_NOFLAG:
        return (store_msg_flags(c->m) & k->n) == 0;
    case SK_RECENT:
        return v->msgs[c->i].recent;
    case SK_KEYWORD:
        return store_msg_has_keyword(c->m, k->field);
    case SK_HEADER:
        return header_match(&ctx_root(c)->header, k->field, k);
    case SK_BODY:
        return body_match(ctx_root(c), k);
    case SK_TEXT:
        return header_match(&ctx_root(c)->header, NULL, k) || body_match(ctx_root(c), k);
    case SK_BEFORE:
    case SK_ON:
    case SK_SINCE:
        return match_day(k, imap_day_of(store_msg_internal_date(c->m)));
    case SK_SENTBEFORE:
    case SK_SENTON:
    case SK_SENTSINCE:
        return sent_day(c, &day) && match_day(k, day);
    case SK_LARGER:
        return store_msg_size(c->m) > k->n;
    case SK_SMALLER:
        return store_msg_size(c->m) < k->n;
    case SK_SEQ:
        return imap_seqset_contains(&k->set, c->i + 1, v->count);
    case SK_UID:
        return imap_seqset_contains(&k->set, v->msgs[c->i].uid,
                                    v->count ? v->msgs[v->count - 1].uid : 0);
    }
    return false;
}

void imap_apply_search(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    if (a->search->bad_charset) {
        /* RFC 3501 6.4.4: NO with the charsets that are supported. */
        imap_result_set(res, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
        return;
    }
    imap_resp_t *r = &s->resp;
    imap_resp_reset(r);
    imap_resp_printf(r, "* SEARCH");
    for (uint32_t i = 0; i < s->view.count; i++) {
        search_ctx_t c = {s, i, imap_view_msg(s, i), NULL};
        /* A message another session expunged matches nothing. */
        if (!c.m)
            continue;
        if (match(&a->search->root, &c))
            imap_resp_printf(r, " %u", a->uid ? s->view.msgs[i].uid : i + 1);
        if (c.root)
            mime_free(c.root);
    }
    imap_resp_send(s, r, out, "*", "SEARCH");
    imap_result_set(res, "OK", "%sSEARCH completed", a->uid ? "UID " : "");
}
