/*
 * smtp_addr: path, mailbox and parameter syntax of RFC 5321 4.1.2.
 */
#include "proto/smtp_addr.h"

#include <ctype.h>
#include <string.h>

#include "core/util.h"

/* Octet classes, one table look-up per octet instead of isalnum and strchr. */
enum { CLASS_LETDIG = 1, CLASS_ATEXT = 2, CLASS_LITERAL = 4 };

#define LETDIG_ROW(c) [c] = CLASS_LETDIG | CLASS_ATEXT | CLASS_LITERAL
static const unsigned char octet_class[256] = {
    /* RFC 5321 4.1.2 Let-dig: ALPHA / DIGIT */
    LETDIG_ROW('0'),
    LETDIG_ROW('1'),
    LETDIG_ROW('2'),
    LETDIG_ROW('3'),
    LETDIG_ROW('4'),
    LETDIG_ROW('5'),
    LETDIG_ROW('6'),
    LETDIG_ROW('7'),
    LETDIG_ROW('8'),
    LETDIG_ROW('9'),
    LETDIG_ROW('A'),
    LETDIG_ROW('B'),
    LETDIG_ROW('C'),
    LETDIG_ROW('D'),
    LETDIG_ROW('E'),
    LETDIG_ROW('F'),
    LETDIG_ROW('G'),
    LETDIG_ROW('H'),
    LETDIG_ROW('I'),
    LETDIG_ROW('J'),
    LETDIG_ROW('K'),
    LETDIG_ROW('L'),
    LETDIG_ROW('M'),
    LETDIG_ROW('N'),
    LETDIG_ROW('O'),
    LETDIG_ROW('P'),
    LETDIG_ROW('Q'),
    LETDIG_ROW('R'),
    LETDIG_ROW('S'),
    LETDIG_ROW('T'),
    LETDIG_ROW('U'),
    LETDIG_ROW('V'),
    LETDIG_ROW('W'),
    LETDIG_ROW('X'),
    LETDIG_ROW('Y'),
    LETDIG_ROW('Z'),
    LETDIG_ROW('a'),
    LETDIG_ROW('b'),
    LETDIG_ROW('c'),
    LETDIG_ROW('d'),
    LETDIG_ROW('e'),
    LETDIG_ROW('f'),
    LETDIG_ROW('g'),
    LETDIG_ROW('h'),
    LETDIG_ROW('i'),
    LETDIG_ROW('j'),
    LETDIG_ROW('k'),
    LETDIG_ROW('l'),
    LETDIG_ROW('m'),
    LETDIG_ROW('n'),
    LETDIG_ROW('o'),
    LETDIG_ROW('p'),
    LETDIG_ROW('q'),
    LETDIG_ROW('r'),
    LETDIG_ROW('s'),
    LETDIG_ROW('t'),
    LETDIG_ROW('u'),
    LETDIG_ROW('v'),
    LETDIG_ROW('w'),
    LETDIG_ROW('x'),
    LETDIG_ROW('y'),
    LETDIG_ROW('z'),
    /* RFC 5322 3.2.3 atext: the specials besides letters and digits */
    ['!'] = CLASS_ATEXT,
    ['#'] = CLASS_ATEXT,
    ['$'] = CLASS_ATEXT,
    ['%'] = CLASS_ATEXT,
    ['&'] = CLASS_ATEXT,
    ['\''] = CLASS_ATEXT,
    ['*'] = CLASS_ATEXT,
    ['+'] = CLASS_ATEXT,
    ['-'] = CLASS_ATEXT | CLASS_LITERAL,
    ['/'] = CLASS_ATEXT,
    ['='] = CLASS_ATEXT,
    ['?'] = CLASS_ATEXT,
    ['^'] = CLASS_ATEXT,
    ['_'] = CLASS_ATEXT,
    ['`'] = CLASS_ATEXT,
    ['{'] = CLASS_ATEXT,
    ['|'] = CLASS_ATEXT,
    ['}'] = CLASS_ATEXT,
    ['~'] = CLASS_ATEXT,
    /* what an address literal may hold besides letters and digits (checked loosely) */
    ['.'] = CLASS_LITERAL,
    [':'] = CLASS_LITERAL,
};
#undef LETDIG_ROW

/* Past ASCII, isalnum decides as before: the TUI runs in the user's locale. */
static inline bool octet_is(unsigned char c, unsigned cls)
{
    return (octet_class[c] & cls) != 0 || (c >= 0x80 && isalnum(c));
}

/* RFC 5322 3.2.3 atext. */
static bool is_atext(int c)
{
    return octet_is((unsigned char)c, CLASS_ATEXT);
}

static bool dot_string_valid(const char *s, size_t len)
{
    bool atom_start = true;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (atom_start)
                return false;
            atom_start = true;
        } else if (is_atext((unsigned char)s[i])) {
            atom_start = false;
        } else {
            return false;
        }
    }
    return len > 0 && !atom_start;
}

/* Quoted-string of RFC 5321 4.1.2: printable ASCII, with backslash pairs. */
static bool quoted_string_valid(const char *s, size_t len)
{
    if (len < 2 || s[0] != '"' || s[len - 1] != '"')
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 2 < len) {
            i++;
            c = (unsigned char)s[i];
        } else if (c == '"' || c == '\\') {
            return false;
        }
        if (c < 32 || c > 126)
            return false;
    }
    return true;
}

bool smtp_domain_valid(const char *d, size_t len)
{
    if (len == 0 || len > SMTP_DOMAIN_MAX)
        return false;
    if (d[0] == '[') {
        /* address-literal: checked loosely, the simulator routes by name */
        if (d[len - 1] != ']' || len < 3)
            return false;
        for (size_t i = 1; i + 1 < len; i++)
            if (!octet_is((unsigned char)d[i], CLASS_LITERAL))
                return false;
        return true;
    }
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-')
                return false;
            label = 0;
        } else if (octet_is(c, CLASS_LETDIG) || (c == '-' && label > 0)) {
            label++;
        } else {
            return false;
        }
    }
    return label > 0 && d[len - 1] != '-';
}

/*
 * Octet classes of the usual mailbox, ASCII only: ATEXT is RFC 5322 3.2.3
 * atext, LETDIG RFC 5321 4.1.2 Let-dig, LABEL a domain label's octet
 * (Let-dig or "-"). One row of the string per 16 octets, each a digit whose
 * low three bits are the classes. Octets over 127 are past the string: 0.
 */
enum { PLAIN_ATEXT = 1, PLAIN_LETDIG = 2, PLAIN_LABEL = 4 };
static const char plain_class[256] = "0000000000000000" /* 0x00 */
                                     "0000000000000000" /* 0x10 */
                                     "0101111100110501" /*  !"#$%&'()*+,-./ */
                                     "7777777777000101" /* 0123456789:;<=>? */
                                     "0777777777777777" /* @A-O */
                                     "7777777777700011" /* P-Z[\]^_ */
                                     "1777777777777777" /* `a-o */
                                     "7777777777711110" /* p-z{|}~ DEL */;

static inline bool plain_is(unsigned char c, unsigned cls)
{
    return (unsigned)plain_class[c] & cls;
}

/*
 * The usual mailbox at the start of m (smtp_mailbox_plain's, without its
 * NUL): its length, when the octet after it is end; 0 otherwise.
 */
static size_t plain_before(const char *m, char end)
{
    /* The NUL ends every loop below: it is in no class. */
    const unsigned char *p = (const unsigned char *)m;
    /* the local part: atoms of atext, one dot between two */
    for (;;) {
        const unsigned char *atom = p;
        while (plain_is(*p, PLAIN_ATEXT))
            p++;
        if (p == atom)
            return 0;
        if (*p == '@')
            break;
        if (*p != '.')
            return 0;
        p++;
    }
    size_t local = (size_t)(p - (const unsigned char *)m);
    /* the domain: labels of letters, digits and hyphens, none first or last */
    for (p++;;) {
        const unsigned char *label = p;
        while (plain_is(*p, PLAIN_LABEL))
            p++;
        if (p == label || *label == '-' || p[-1] == '-')
            return 0;
        if (*p != '.')
            break;
        p++;
    }
    size_t len = (size_t)(p - (const unsigned char *)m);
    if (*p != (unsigned char)end || local > SMTP_LOCAL_MAX || len - local - 1 > SMTP_DOMAIN_MAX ||
        len + 2 > SMTP_PATH_MAX)
        return 0;
    return len;
}

size_t smtp_mailbox_plain(const char *m)
{
    return plain_before(m, '\0');
}

/* Where the '>' closing the path is, skipping a quoted local part. */
static const char *find_close(const char *s)
{
    /* Before the first '"' nothing is quoted: the first '>' closes, found by strpbrk. */
    const char *first = strpbrk(s, "\">");
    if (!first || *first == '>')
        return first;
    bool quoted = false;
    for (const char *p = first; *p; p++) {
        if (quoted && *p == '\\' && p[1]) {
            p++;
        } else if (*p == '"') {
            quoted = !quoted;
        } else if (!quoted && *p == '>') {
            return p;
        }
    }
    return NULL;
}

/* RFC 5321 4.1.1.3: a source route "@a,@b:" is accepted and ignored. */
static const char *skip_route(const char *s, const char *end)
{
    if (s >= end || *s != '@')
        return s;
    const char *colon = memchr(s, ':', (size_t)(end - s));
    return colon ? colon + 1 : NULL;
}

static smtp_path_status_t mailbox_check(const char *m, size_t len, const char **why)
{
    if (smtp_mailbox_plain(m) == len)
        return SMTP_PATH_OK;
    const char *at = NULL;
    for (size_t i = len; i > 0; i--)
        if (m[i - 1] == '@') {
            at = m + i - 1;
            break;
        }
    if (!at) {
        *why = "the address has no @domain";
        return SMTP_PATH_SYNTAX;
    }
    size_t local = (size_t)(at - m), dom = len - local - 1;
    if (local > SMTP_LOCAL_MAX || dom > SMTP_DOMAIN_MAX) {
        *why = "the address is too long (RFC 5321 4.5.3.1)";
        return SMTP_PATH_TOO_LONG;
    }
    if (!dot_string_valid(m, local) && !quoted_string_valid(m, local)) {
        *why = "the local part is not valid";
        return SMTP_PATH_SYNTAX;
    }
    if (!smtp_domain_valid(at + 1, dom)) {
        *why = "the domain is not valid";
        return SMTP_PATH_SYNTAX;
    }
    return SMTP_PATH_OK;
}

smtp_path_status_t smtp_path_parse_len(const char *s, bool allow_null, bool allow_postmaster,
                                       char *addr, size_t *addr_len, const char **rest,
                                       const char **why)
{
    addr[0] = '\0';
    *addr_len = 0;
    /*
     * The usual path, "<" a plain mailbox ">", in one pass: no '"' or '>'
     * comes before its '>', no route before its atext, and as a plain
     * mailbox (or postmaster, which is one) it passes the full check.
     */
    size_t plain = s[0] == '<' ? plain_before(s + 1, '>') : 0;
    if (plain) {
        memcpy(addr, s + 1, plain);
        addr[plain] = '\0';
        *addr_len = plain;
        *rest = s + plain + 2;
        return SMTP_PATH_OK;
    }
    const char *close = s[0] == '<' ? find_close(s + 1) : NULL;
    if (!close) {
        *why = "the address must be in angle brackets: <user@domain>";
        return SMTP_PATH_SYNTAX;
    }
    const char *m = skip_route(s + 1, close);
    if (!m) {
        *why = "the source route is not valid";
        return SMTP_PATH_SYNTAX;
    }
    size_t len = (size_t)(close - m);
    if ((size_t)(close - s) + 1 > SMTP_PATH_MAX) {
        *why = "the path is too long (RFC 5321 4.5.3.1.3)";
        return SMTP_PATH_TOO_LONG;
    }
    memcpy(addr, m, len);
    addr[len] = '\0';
    *addr_len = len; /* s is a string: no NUL before its '>' */
    *rest = close + 1;
    if (len == 0 && allow_null)
        return SMTP_PATH_OK;
    if (len == 0) {
        *why = "the null path <> is not allowed here";
        return SMTP_PATH_SYNTAX;
    }
    if (allow_postmaster && smtp_path_is_postmaster(addr))
        return SMTP_PATH_OK;
    smtp_path_status_t st = mailbox_check(addr, len, why);
    if (st != SMTP_PATH_OK) {
        addr[0] = '\0';
        *addr_len = 0;
    }
    return st;
}

smtp_path_status_t smtp_path_parse(const char *s, bool allow_null, bool allow_postmaster,
                                   char *addr, const char **rest, const char **why)
{
    size_t len;
    return smtp_path_parse_len(s, allow_null, allow_postmaster, addr, &len, rest, why);
}

bool smtp_path_is_postmaster(const char *addr)
{
    return str_casecmp(addr, "postmaster") == 0;
}

static bool copy_word(char *dst, size_t n, const char *src, size_t len)
{
    if (len >= n)
        return false;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

int smtp_param_next(const char **p, smtp_param_t *out)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s) {
        *p = s;
        return 0;
    }
    /* The word and its '=' in one pass: parameters are short. */
    size_t len = 0;
    const char *eq = NULL;
    for (; s[len] && s[len] != ' '; len++)
        if (s[len] == '=' && !eq)
            eq = s + len;
    *p = s + len;
    size_t klen = eq ? (size_t)(eq - s) : len;
    /* Both strings empty, no value: what a cleared struct reads as, without clearing 160 octets. */
    out->keyword[0] = '\0';
    out->value[0] = '\0';
    out->has_value = false;
    /* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
    if (klen == 0 || !octet_is((unsigned char)s[0], CLASS_LETDIG))
        return -1;
    for (size_t i = 0; i < klen; i++)
        if (!octet_is((unsigned char)s[i], CLASS_LETDIG) && s[i] != '-')
            return -1;
    if (!copy_word(out->keyword, sizeof out->keyword, s, klen))
        return -1;
    if (!eq)
        return 1;
    size_t vlen = len - klen - 1;
    out->has_value = true;
    if (vlen == 0 || !copy_word(out->value, sizeof out->value, eq + 1, vlen))
        return -1;
    return 1;
}
