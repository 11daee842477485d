/*
 * smtp_auth: the base64 of SMTP AUTH responses (on the mail codec) and the
 * SASL PLAIN message.
 */
#include "proto/smtp_auth.h"

#include <string.h>

#include "core/util.h"
#include "mail/codec.h"

void smtp_auth_b64_encode(const uint8_t *in, size_t len, buf_t *out)
{
    codec_base64_encode(in, len, false, out);
}

/*
 * RFC 4954 4: a response is one base64 string, "=" for an empty one. The
 * codec skips white space as MIME allows; an AUTH response may not hold any,
 * and padding only ends it.
 */
bool smtp_auth_b64_decode(const char *s, buf_t *out)
{
    size_t len = strlen(s);
    if (len == 1 && s[0] == '=')
        return true;
    const char *pad = strchr(s, '=');
    if (len % 4 != 0 || strpbrk(s, " \t\r\n") || (pad && (size_t)(pad - s) < len - 2))
        return false;
    size_t start = out->len;
    if (codec_base64_decode((const uint8_t *)s, len, out) != 0) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        return false;
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
