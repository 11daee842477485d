/*
 * mime: questions asked of a parsed part tree (type, parameters, file name,
 * IMAP section numbers, defects) and decoding a part's body into bytes or
 * UTF-8 text.
 */
#include "mail/mime.h"

#include <stdlib.h>
#include <string.h>

#include "mail/codec.h"

const uint8_t *mime_part_body(const mime_part_t *part)
{
    return part->data + part->body_offset;
}

bool mime_part_is(const mime_part_t *part, const char *type, const char *subtype)
{
    return str_casecmp(part->type, type) == 0 &&
           (!subtype || str_casecmp(part->subtype, subtype) == 0);
}

const char *mime_part_param(const mime_part_t *part, const char *name)
{
    return mime_params_get(&part->params, name);
}

const char *mime_part_disposition_param(const mime_part_t *part, const char *name)
{
    return mime_params_get(&part->disposition_params, name);
}

const char *mime_part_filename(const mime_part_t *part)
{
    const char *name = mime_part_disposition_param(part, "filename");
    return name ? name : mime_part_param(part, "name");
}

unsigned mime_tree_defects(const mime_part_t *part)
{
    unsigned defects = part->defects;
    for (size_t i = 0; i < part->child_count; i++)
        defects |= mime_tree_defects(part->children[i]);
    if (part->message)
        defects |= mime_tree_defects(part->message);
    return defects;
}

size_t mime_tree_count(const mime_part_t *part)
{
    size_t n = 1;
    for (size_t i = 0; i < part->child_count; i++)
        n += mime_tree_count(part->children[i]);
    if (part->message)
        n += mime_tree_count(part->message);
    return n;
}

static const char *const mime_defect_names[] = {
    "multipart without boundary",
    "boundary not found",
    "no close delimiter",
    "nested too deep",
    "too many parts",
    "bad content type",
    "unknown transfer encoding",
    "bad parameter",
};

void mime_defects_describe(unsigned defects, buf_t *out)
{
    const char *sep = "";
    for (size_t i = 0; i < ARRAY_LEN(mime_defect_names); i++) {
        if (defects & (1u << i)) {
            buf_printf(out, "%s%s", sep, mime_defect_names[i]);
            sep = ", ";
        }
    }
}

/* Reads one section number; false at anything but digits ending in "." or the end. */
static bool read_section_number(const char **s, size_t *n)
{
    const char *p = *s;
    size_t v = 0;
    if (*p < '1' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9' && v < 1000000)
        v = v * 10 + (size_t)(*p++ - '0');
    if (*p == '.')
        p++;
    else if (*p != '\0')
        return false;
    *s = p;
    *n = v;
    return true;
}

const mime_part_t *mime_part_section(const mime_part_t *root, const char *section)
{
    const mime_part_t *cur = root;
    bool is_message = true; /* cur is a message (root or embedded), not a body part */
    const char *s = section ? section : "";
    while (*s) {
        size_t n;
        if (!read_section_number(&s, &n))
            return NULL;
        if (mime_part_is(cur, "multipart", NULL) && cur->child_count > 0) {
            if (n > cur->child_count)
                return NULL;
            cur = cur->children[n - 1];
        } else if (!is_message || n != 1) {
            return NULL; /* RFC 3501 6.4.5: a single-part message has only part 1 */
        }
        is_message = false;
        if (*s && cur->message) {
            cur = cur->message;
            is_message = true;
        }
    }
    return cur;
}

int mime_part_decode(const mime_part_t *part, buf_t *out)
{
    const uint8_t *body = mime_part_body(part);
    switch (part->encoding) {
    case MIME_ENC_BASE64:
        return codec_base64_decode(body, part->body_len, out);
    case MIME_ENC_QP:
        return codec_qp_decode(body, part->body_len, out);
    case MIME_ENC_7BIT:
    case MIME_ENC_8BIT:
    case MIME_ENC_BINARY:
    case MIME_ENC_UNKNOWN:
        buf_append(out, body, part->body_len);
        return 0;
    }
    return 0;
}

int mime_part_text(const mime_part_t *part, buf_t *out)
{
    buf_t bytes = BUF_INIT;
    int rc = mime_part_decode(part, &bytes);
    const char *charset = mime_part_param(part, "charset");
    codec_charset_t cs =
        charset ? codec_charset_lookup(charset, strlen(charset)) : CODEC_CHARSET_ASCII;
    if (codec_charset_to_utf8(cs, bytes.data, bytes.len, out) != 0 && rc == 0)
        rc = 1;
    buf_free(&bytes);
    return rc;
}
