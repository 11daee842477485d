/*
 * smtp_ext: extension keywords and EHLO reply parsing.
 */
#include "proto/smtp_ext.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const struct {
    unsigned bit;
    const char *name;
} ext_names[SMTP_EXT_COUNT] = {
    {SMTP_EXT_PIPELINING, "PIPELINING"},
    {SMTP_EXT_SIZE, "SIZE"},
    {SMTP_EXT_8BITMIME, "8BITMIME"},
    {SMTP_EXT_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES"},
    {SMTP_EXT_AUTH, "AUTH"},
};

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

/* Copies the next space-separated word of *p into w (cut to n - 1) and advances *p. */
static bool next_word(const char **p, char *w, size_t n)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s)
        return false;
    size_t len = strcspn(s, " ");
    size_t keep = len < n - 1 ? len : n - 1;
    memcpy(w, s, keep);
    w[keep] = '\0';
    *p = s + len;
    return true;
}

static void parse_auth_mechs(smtp_ehlo_info_t *info, const char *rest)
{
    char mech[64];
    while (next_word(&rest, mech, sizeof mech)) {
        if (str_casecmp(mech, "PLAIN") == 0)
            info->auth_mechs |= SMTP_AUTH_PLAIN;
        else if (str_casecmp(mech, "LOGIN") == 0)
            info->auth_mechs |= SMTP_AUTH_LOGIN;
    }
}

void smtp_ehlo_parse_keyword(smtp_ehlo_info_t *info, const char *line)
{
    char word[64];
    const char *rest = line;
    if (!next_word(&rest, word, sizeof word))
        return;
    unsigned bit = smtp_ext_from_name(word);
    info->extensions |= bit;
    if (bit == SMTP_EXT_SIZE) {
        char num[32];
        info->max_size = 0;
        if (next_word(&rest, num, sizeof num) && strspn(num, "0123456789") == strlen(num))
            info->max_size = strtoull(num, NULL, 10);
    } else if (bit == SMTP_EXT_AUTH) {
        parse_auth_mechs(info, rest);
    }
}
