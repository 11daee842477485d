/*
 * smtp_auth: base64 and the SASL PLAIN message for SMTP AUTH.
 */
#include "proto/smtp_auth.h"

#include <string.h>

#include "core/util.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void smtp_auth_b64_encode(const uint8_t *in, size_t len, buf_t *out)
{
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        buf_putc(out, b64_alphabet[(v >> 18) & 63]);
        buf_putc(out, b64_alphabet[(v >> 12) & 63]);
        buf_putc(out, i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=');
        buf_putc(out, i + 2 < len ? b64_alphabet[v & 63] : '=');
    }
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64_alphabet, c) : NULL;
    return p ? (int)(p - b64_alphabet) : -1;
}

bool smtp_auth_b64_decode(const char *s, buf_t *out)
{
    size_t len = strlen(s);
    if (len == 1 && s[0] == '=')
        return true;
    if (len % 4 != 0)
        return false;
    size_t start = out->len;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = s[i + k];
            bool last_group = i + 4 == len;
            if (c == '=' && last_group && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                v[k] = 0;
                pad++;
            } else if ((v[k] = b64_value(c)) < 0 || pad) {
                out->len = start;
                return false;
            }
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        buf_putc(out, (int)(w >> 16) & 0xff);
        if (pad < 2)
            buf_putc(out, (int)(w >> 8) & 0xff);
        if (pad < 1)
            buf_putc(out, (int)w & 0xff);
    }
    return true;
}

bool smtp_auth_plain_split(const uint8_t *msg, size_t len, char **user, char **password)
{
    const uint8_t *nul1 = memchr(msg, '\0', len);
    if (!nul1)
        return false;
    const uint8_t *authc = nul1 + 1;
    size_t rest = len - (size_t)(authc - msg);
    const uint8_t *nul2 = memchr(authc, '\0', rest);
    if (!nul2)
        return false;
    size_t zlen = (size_t)(nul1 - msg), clen = (size_t)(nul2 - authc);
    size_t plen = rest - clen - 1;
    if (clen == 0 || memchr(nul2 + 1, '\0', plen))
        return false;
    if (zlen && (zlen != clen || memcmp(msg, authc, clen) != 0))
        return false;
    *user = xstrndup((const char *)authc, clen);
    *password = xstrndup((const char *)nul2 + 1, plen);
    return true;
}

void smtp_auth_plain_encode(const char *user, const char *password, buf_t *out)
{
    buf_t raw = BUF_INIT;
    buf_putc(&raw, '\0');
    buf_puts(&raw, user);
    buf_putc(&raw, '\0');
    buf_puts(&raw, password);
    smtp_auth_b64_encode(raw.data, raw.len, out);
    buf_free(&raw);
}
