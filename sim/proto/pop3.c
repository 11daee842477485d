/*
 * pop3: the helpers both POP3 engines use: status lines, response codes,
 * message numbers and the APOP digest.
 */
#include "proto/pop3.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

static pop3_status_t status_word(const char *line, const char *word, pop3_status_t st,
                                 const char **text)
{
    size_t n = strlen(word);
    if (strncmp(line, word, n) != 0 || (line[n] != '\0' && line[n] != ' '))
        return POP3_STATUS_BAD;
    if (text)
        *text = line[n] ? line + n + 1 : "";
    return st;
}

pop3_status_t pop3_status_parse(const char *line, const char **text)
{
    if (text)
        *text = "";
    if (line[0] == '+')
        return status_word(line, "+OK", POP3_STATUS_OK, text);
    if (line[0] == '-')
        return status_word(line, "-ERR", POP3_STATUS_ERR, text);
    return POP3_STATUS_BAD;
}

bool pop3_has_resp_code(const char *text, const char *code)
{
    size_t n = strlen(code);
    if (text[0] != '[' || str_ncasecmp(text + 1, code, n) != 0)
        return false;
    return text[1 + n] == ']' || text[1 + n] == '/';
}

bool pop3_parse_number(const char *s, size_t len, uint32_t *out)
{
    if (len == 0 || len > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

void pop3_apop_digest(const char *timestamp, const char *secret, char out[MD5_HEX_SIZE])
{
    md5_ctx_t ctx;
    uint8_t digest[MD5_DIGEST_SIZE];
    md5_init(&ctx);
    md5_update(&ctx, timestamp, strlen(timestamp));
    md5_update(&ctx, secret, strlen(secret));
    md5_final(&ctx, digest);
    md5_to_hex(digest, out);
}

bool pop3_greeting_timestamp(const char *text, char *out, size_t n)
{
    for (const char *open = strchr(text, '<'); open; open = strchr(open + 1, '<')) {
        size_t len = strcspn(open + 1, "<> ");
        if (open[1 + len] != '>' || !memchr(open + 1, '@', len))
            continue;
        if (len + 3 > n)
            return false;
        memcpy(out, open, len + 2);
        out[len + 2] = '\0';
        return true;
    }
    return false;
}

void pop3_timestamp_format(char *out, size_t n, uint64_t a, uint64_t b, const char *host)
{
    snprintf(out, n, "<%llu.%llu@%s>", (unsigned long long)a, (unsigned long long)b,
             host && host[0] ? host : "localhost");
}
