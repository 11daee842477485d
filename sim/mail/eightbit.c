/*
 * eightbit: 7-bit checks and the 8BITMIME downgrade (RFC 6152 3). The
 * downgrade walks the part tree in order, copying the original bytes between
 * the parts it rewrites, so untouched parts stay byte for byte as they were.
 */
#include "mail/eightbit.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mail/address.h"
#include "mail/codec.h"
#include "mail/header.h"
#include "mail/mime.h"

static uint64_t load64(const uint8_t *p)
{
    uint64_t word;
    memcpy(&word, p, sizeof word);
    return word;
}

size_t eightbit_first_8bit(const uint8_t *data, size_t len)
{
    const uint64_t high = UINT64_C(0x8080808080808080);
    size_t i = 0;
    /* 32 octets at a time, then 8: any high bit in the words means look closer */
    for (; i + 32 <= len; i += 32)
        if ((load64(data + i) | load64(data + i + 8) | load64(data + i + 16) |
             load64(data + i + 24)) &
            high)
            break;
    for (; i + 8 <= len; i += 8)
        if (load64(data + i) & high)
            break;
    /* the last few octets as the word that ends the data, when there is one */
    if (i < len && len >= 8 && i + 8 > len && !(load64(data + len - 8) & high))
        return len;
    for (; i < len; i++)
        if (data[i] & 0x80)
            return i;
    return len;
}

bool eightbit_is_7bit(const uint8_t *data, size_t len)
{
    return eightbit_first_8bit(data, len) == len;
}

#if defined(__SSE2__)
/* Whether the 64 octets at p are all 1..127: as signed octets, all above 0. */
static bool ascii_text_64(const uint8_t *p)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i a = _mm_cmpgt_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), zero);
    __m128i b = _mm_cmpgt_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), zero);
    __m128i c = _mm_cmpgt_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), zero);
    __m128i d = _mm_cmpgt_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), zero);
    return _mm_movemask_epi8(_mm_and_si128(_mm_and_si128(a, b), _mm_and_si128(c, d))) == 0xffff;
}
#endif

bool eightbit_is_ascii_text(const uint8_t *data, size_t len)
{
#if defined(__SSE2__)
    if (len >= 64) {
        size_t i = 0;
        for (; i + 64 <= len; i += 64)
            if (!ascii_text_64(data + i))
                return false;
        /* the rest as the 64 octets that end the data */
        return i == len || ascii_text_64(data + len - 64);
    }
#endif
    return eightbit_is_7bit(data, len) && !memchr(data, 0, len);
}

typedef struct downgrade {
    const uint8_t *data;
    size_t cursor; /* original bytes before this are already written */
    buf_t *out;
    eightbit_result_t result;
} downgrade_t;

static void copy_to(downgrade_t *dg, size_t pos)
{
    if (pos > dg->cursor)
        buf_append(dg->out, dg->data + dg->cursor, pos - dg->cursor);
    if (pos > dg->cursor)
        dg->cursor = pos;
}

static bool is_address_field(const char *name)
{
    static const char *const names[] = {"From",      "To",         "Cc",           "Bcc",
                                        "Reply-To",  "Sender",     "Resent-From",  "Resent-To",
                                        "Resent-Cc", "Resent-Bcc", "Resent-Sender"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (str_casecmp(name, names[i]) == 0)
            return true;
    return false;
}

static bool is_text_field(const char *name)
{
    return str_casecmp(name, "Subject") == 0 || str_casecmp(name, "Comments") == 0 ||
           str_casecmp(name, "Content-Description") == 0 || str_has_prefix_ci(name, "X-");
}

/* Writes one field of part: as it was, or re-encoded when it holds raw UTF-8 and can be. */
static void write_field(downgrade_t *dg, const mime_part_t *part, const header_field_t *f)
{
    const uint8_t *raw = dg->data + part->offset + f->offset;
    bool plain = eightbit_is_7bit((const uint8_t *)f->value, f->value_len);
    if (!plain && is_address_field(f->name)) {
        addr_list_t list;
        addr_list_init(&list);
        addr_list_parse(f->value, f->value_len, &list);
        buf_t value = BUF_INIT;
        addr_list_format(&list, &value);
        header_fold(f->name, buf_cstr(&value), value.len, dg->out);
        buf_free(&value);
        addr_list_free(&list);
        dg->result.fields_encoded++;
    } else if (!plain && is_text_field(f->name)) {
        buf_t value = BUF_INIT;
        codec_words_encode(f->value, f->value_len, 0, &value);
        header_fold(f->name, buf_cstr(&value), value.len, dg->out);
        buf_free(&value);
        dg->result.fields_encoded++;
    } else {
        buf_append(dg->out, raw, f->length);
        if (f->length == 0 || raw[f->length - 1] != '\n')
            buf_append(dg->out, "\r\n", 2); /* the header's last line had no line end */
    }
}

/* Writes part's header again, with a new Content-Transfer-Encoding when cte is not NULL. */
static void rewrite_header(downgrade_t *dg, const mime_part_t *part, const char *cte)
{
    copy_to(dg, part->offset);
    for (size_t i = 0; i < part->header.count; i++) {
        const header_field_t *f = &part->header.fields[i];
        if (cte && str_casecmp(f->name, "Content-Transfer-Encoding") == 0)
            continue;
        write_field(dg, part, f);
    }
    /* a message without MIME-Version is not MIME (RFC 2045 4): the new encoding needs it */
    bool is_message = !part->parent || part->parent->message == part;
    if (cte && is_message && !header_find(&part->header, "MIME-Version"))
        buf_puts(dg->out, "MIME-Version: 1.0\r\n");
    if (cte)
        buf_printf(dg->out, "Content-Transfer-Encoding: %s\r\n", cte);
    buf_append(dg->out, "\r\n", 2);
    dg->cursor = part->body_offset;
}

/* True when every CR and LF in s stands in a CRLF pair: text mode then gives it back exactly. */
static bool crlf_only(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
            return false;
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            return false;
    }
    return true;
}

static void convert_leaf(downgrade_t *dg, const mime_part_t *part)
{
    bool text = mime_part_is(part, "text", NULL);
    rewrite_header(dg, part, text ? "quoted-printable" : "base64");
    buf_t decoded = BUF_INIT;
    mime_part_decode(part, &decoded);
    if (text)
        codec_qp_encode(decoded.data, decoded.len, crlf_only(decoded.data, decoded.len), dg->out);
    else
        codec_base64_encode(decoded.data, decoded.len, true, dg->out);
    buf_free(&decoded);
    dg->cursor = part->body_offset + part->body_len;
    dg->result.parts_converted++;
}

static void downgrade_part(downgrade_t *dg, const mime_part_t *part)
{
    bool header_8bit = (part->header.defects & HEADER_DEFECT_8BIT) != 0;
    bool container = mime_part_is(part, "multipart", NULL) || part->message;
    if (container) {
        /* RFC 2046 5.1.1, 5.2.1: a composite is labelled by what it holds, 7bit once converted */
        bool relabel = part->encoding == MIME_ENC_8BIT || part->encoding == MIME_ENC_BINARY;
        if (header_8bit || relabel)
            rewrite_header(dg, part, relabel ? "7bit" : NULL);
        for (size_t i = 0; i < part->child_count; i++)
            downgrade_part(dg, part->children[i]);
        if (part->message)
            downgrade_part(dg, part->message);
        return;
    }
    if (!eightbit_is_7bit(mime_part_body(part), part->body_len))
        convert_leaf(dg, part);
    else if (header_8bit)
        rewrite_header(dg, part, NULL);
}

eightbit_result_t eightbit_downgrade(const uint8_t *data, size_t len, buf_t *out)
{
    downgrade_t dg = {data, 0, out, {0, 0, true}};
    size_t start = out->len;
    mime_part_t *root = mime_parse(data, len);
    downgrade_part(&dg, root);
    copy_to(&dg, len);
    mime_free(root);
    dg.result.clean = out->len == start || eightbit_is_7bit(out->data + start, out->len - start);
    return dg.result;
}
