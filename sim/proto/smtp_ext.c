/*
 * smtp_ext: extension keywords and EHLO reply parsing.
 */
#include "proto/smtp_ext.h"

#include <string.h>

#include "core/util.h"

#define EXT_NAME(bit, name)                                                                        \
    {                                                                                              \
        bit, name, sizeof(name) - 1                                                                \
    }
static const struct {
    unsigned bit;
    const char *name;
    size_t len;
} ext_names[SMTP_EXT_COUNT] = {
    EXT_NAME(SMTP_EXT_PIPELINING, "PIPELINING"),
    EXT_NAME(SMTP_EXT_SIZE, "SIZE"),
    EXT_NAME(SMTP_EXT_8BITMIME, "8BITMIME"),
    EXT_NAME(SMTP_EXT_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES"),
    EXT_NAME(SMTP_EXT_AUTH, "AUTH"),
};
#undef EXT_NAME

const char *smtp_ext_name(unsigned ext)
{
    for (size_t i = 0; i < ARRAY_LEN(ext_names); i++)
        if (ext_names[i].bit == ext)
            return ext_names[i].name;
    return NULL;
}

unsigned smtp_ext_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(ext_names); i++)
        if (str_casecmp(ext_names[i].name, name) == 0)
            return ext_names[i].bit;
    return 0;
}

/* The next space-separated word at *p: its start in *w, its length returned (0: none). */
static size_t next_word(const char **p, const char **w)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    const char *e = s + strcspn(s, " ");
    *w = s;
    *p = e;
    return (size_t)(e - s);
}

/* w[0..len) is name, in any case. */
static bool word_is(const char *w, size_t len, const char *name)
{
    return strlen(name) == len && str_ncasecmp(w, name, len) == 0;
}

static unsigned ext_from_word(const char *w, size_t len)
{
    for (size_t i = 0; i < ARRAY_LEN(ext_names); i++)
        /* Servers write keywords in capitals: one memcmp, then the case-blind compare. */
        if (ext_names[i].len == len && (memcmp(w, ext_names[i].name, len) == 0 ||
                                        str_ncasecmp(w, ext_names[i].name, len) == 0))
            return ext_names[i].bit;
    return 0;
}

static void parse_auth_mechs(smtp_ehlo_info_t *info, const char *rest)
{
    const char *mech;
    for (size_t len; (len = next_word(&rest, &mech)) > 0;) {
        if (word_is(mech, len, "PLAIN"))
            info->auth_mechs |= SMTP_AUTH_PLAIN;
        else if (word_is(mech, len, "LOGIN"))
            info->auth_mechs |= SMTP_AUTH_LOGIN;
    }
}

/*
 * RFC 1870 4: the SIZE number. Only its first 31 digits count, and a number
 * too large for 64 bits is the largest there is, as strtoull has it.
 */
static uint64_t parse_size(const char *num, size_t len)
{
    if (len > 31)
        len = 31;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)num[i] - '0';
        if (d > 9)
            return 0;
        /* v * 10 + d overflows exactly when this holds: no division a digit */
        bool over = v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10);
        v = over ? UINT64_MAX : v * 10 + d;
    }
    return v;
}

void smtp_ehlo_parse_keyword(smtp_ehlo_info_t *info, const char *line)
{
    const char *rest = line, *word;
    size_t len = next_word(&rest, &word);
    if (!len)
        return;
    unsigned bit = ext_from_word(word, len);
    info->extensions |= bit;
    if (bit == SMTP_EXT_SIZE) {
        const char *num;
        size_t n = next_word(&rest, &num);
        info->max_size = parse_size(num, n);
    } else if (bit == SMTP_EXT_AUTH) {
        parse_auth_mechs(info, rest);
    }
}
