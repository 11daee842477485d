/*
 * mime_parse: a message into a tree of parts (RFC 2045, RFC 2046 5.1). Each
 * entity is a header and a body; a multipart body is cut at its boundary
 * delimiter lines, found by jumping from line end to line end with memchr;
 * a message/rfc822 body is parsed again as a message. Nothing is copied but
 * header fields; the parts point into the caller's bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/codec.h"
#include "mail/mime.h"

typedef struct parser {
    const uint8_t *data;
    size_t parts; /* made so far, against MIME_PARTS_MAX */
} parser_t;

/* A boundary delimiter line found in a body (RFC 2046 5.1.1). */
typedef struct delimiter {
    size_t line;  /* where "--boundary" starts */
    size_t after; /* past its line end: where the next part starts */
    bool close;   /* "--boundary--" */
} delimiter_t;

static mime_part_t *parse_entity(parser_t *p, size_t start, size_t end, mime_part_t *parent);

/* A buffer's text as an owned C string; buf_steal alone leaves an empty one unterminated. */
static char *take_string(buf_t *b)
{
    buf_append(b, "", 0);
    return buf_steal(b, NULL);
}

/* Is there a delimiter line at q? Transport padding (spaces) may follow it. */
static bool delimiter_at(const uint8_t *data, size_t q, size_t end, const char *boundary,
                         size_t blen, delimiter_t *d)
{
    if (end - q < 2 + blen || data[q] != '-' || data[q + 1] != '-' ||
        memcmp(data + q + 2, boundary, blen) != 0)
        return false;
    size_t r = q + 2 + blen;
    d->close = end - r >= 2 && data[r] == '-' && data[r + 1] == '-';
    if (d->close)
        r += 2;
    while (r < end && (data[r] == ' ' || data[r] == '\t'))
        r++;
    if (r < end && data[r] == '\r' && r + 1 < end && data[r + 1] == '\n')
        r += 2;
    else if (r < end && data[r] == '\n')
        r++;
    else if (r < end && !d->close)
        return false; /* "--boundaryX": a longer boundary, or text */
    else if (r < end) {
        const uint8_t *nl = memchr(data + r, '\n', end - r); /* "--b--junk": still the end */
        r = nl ? (size_t)(nl - data) + 1 : end;
    }
    d->line = q;
    d->after = r;
    return true;
}

/* The first delimiter line at or after from (which is a line start). */
static bool find_delimiter(const uint8_t *data, size_t from, size_t end, const char *boundary,
                           delimiter_t *d)
{
    size_t blen = strlen(boundary);
    size_t q = from;
    while (q < end) {
        if (delimiter_at(data, q, end, boundary, blen, d))
            return true;
        const uint8_t *nl = memchr(data + q, '\n', end - q);
        if (!nl)
            return false;
        q = (size_t)(nl - data) + 1;
    }
    return false;
}

/* The CRLF before a delimiter belongs to it (RFC 2046 5.1.1): the part ends before. */
static size_t content_end(const uint8_t *data, size_t part_start, size_t line)
{
    if (line > part_start && data[line - 1] == '\n')
        line--;
    if (line > part_start && data[line - 1] == '\r')
        line--;
    return line;
}

static void add_child(mime_part_t *parent, mime_part_t *child)
{
    parent->children =
        xrealloc(parent->children, (parent->child_count + 1) * sizeof *parent->children);
    parent->children[parent->child_count++] = child;
}

/* Turns a multipart that cannot be split into a plain text leaf, as RFC 2046 5.1.1 advises. */
static void degrade_to_text(mime_part_t *part, unsigned defect)
{
    part->defects |= defect;
    free(part->type);
    free(part->subtype);
    part->type = xstrdup("text");
    part->subtype = xstrdup("plain");
}

static void parse_multipart(parser_t *p, mime_part_t *part)
{
    const char *boundary = mime_params_get(&part->params, "boundary");
    size_t start = part->body_offset, end = part->body_offset + part->body_len;
    delimiter_t d;
    if (!boundary || !*boundary || strlen(boundary) > MIME_BOUNDARY_MAX) {
        degrade_to_text(part, MIME_DEFECT_NO_BOUNDARY);
        return;
    }
    if (!find_delimiter(p->data, start, end, boundary, &d)) {
        degrade_to_text(part, MIME_DEFECT_BOUNDARY_NOT_FOUND);
        return;
    }
    while (!d.close) {
        size_t part_start = d.after;
        delimiter_t next;
        bool found = find_delimiter(p->data, part_start, end, boundary, &next);
        if (p->parts >= MIME_PARTS_MAX) {
            part->defects |= MIME_DEFECT_TOO_MANY_PARTS;
            return;
        }
        size_t stop = found ? content_end(p->data, part_start, next.line) : end;
        add_child(part, parse_entity(p, part_start, stop, part));
        if (!found) {
            part->defects |= MIME_DEFECT_NO_CLOSE_DELIMITER;
            return;
        }
        d = next;
    }
}

/* Lines of text: every LF ends one, and a last line without a line end counts too. */
static size_t count_lines(const uint8_t *s, size_t n)
{
    size_t lines = 0;
    const uint8_t *p = s, *end = s + n;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
    }
    return lines + (n > 0 && s[n - 1] != '\n');
}

static char *field_copy(const header_t *h, const char *name)
{
    const char *v = header_get(h, name);
    return v ? xstrdup(v) : NULL;
}

/* RFC 2045 5.2: no (readable) Content-Type means text/plain; charset=us-ascii. */
static void read_content_type(mime_part_t *part)
{
    const header_field_t *f = header_find(&part->header, "Content-Type");
    bool digest = part->parent && mime_part_is(part->parent, "multipart", "digest");
    if (f && mime_content_type_parse(f->value, f->value_len, true, &part->type, &part->subtype,
                                     &part->params) != 0) {
        part->defects |= part->subtype ? MIME_DEFECT_BAD_PARAMETER : MIME_DEFECT_BAD_CONTENT_TYPE;
    }
    if (!part->type || !part->subtype) {
        free(part->type);
        free(part->subtype);
        /* RFC 2046 5.1.5: in a digest the default is message/rfc822 */
        part->type = xstrdup(digest && !f ? "message" : "text");
        part->subtype = xstrdup(digest && !f ? "rfc822" : "plain");
    }
}

static void read_disposition(mime_part_t *part)
{
    const header_field_t *f = header_find(&part->header, "Content-Disposition");
    char *unused = NULL;
    if (f && mime_content_type_parse(f->value, f->value_len, false, &part->disposition, &unused,
                                     &part->disposition_params) != 0)
        part->defects |= MIME_DEFECT_BAD_PARAMETER;
    free(unused);
}

static void read_encoding(mime_part_t *part)
{
    const char *cte = header_get(&part->header, "Content-Transfer-Encoding");
    char *type = NULL, *unused = NULL;
    mime_params_t none = {NULL, 0, 0};
    if (cte)
        mime_content_type_parse(cte, strlen(cte), false, &type, &unused, &none);
    mime_params_free(&none);
    free(unused);
    part->encoding_name = type ? type : xstrdup("7bit");
    part->encoding = mime_encoding_lookup(part->encoding_name);
    if (part->encoding == MIME_ENC_UNKNOWN)
        part->defects |= MIME_DEFECT_UNKNOWN_ENCODING;
}

static void read_content_fields(mime_part_t *part)
{
    read_content_type(part);
    read_disposition(part);
    read_encoding(part);
    part->content_id = field_copy(&part->header, "Content-ID");
    part->language = field_copy(&part->header, "Content-Language");
    part->md5 = field_copy(&part->header, "Content-MD5");
    part->location = field_copy(&part->header, "Content-Location");
    buf_t description = BUF_INIT;
    if (header_get_decoded(&part->header, "Content-Description", &description))
        part->description = take_string(&description);
    buf_free(&description);
}

/* The body of a message/rfc822 part is a message only in an identity encoding (RFC 2046 5.2.1). */
static bool holds_message(const mime_part_t *part)
{
    return mime_part_is(part, "message", "rfc822") || mime_part_is(part, "message", "global");
}

static void parse_body(parser_t *p, mime_part_t *part)
{
    bool identity = part->encoding == MIME_ENC_7BIT || part->encoding == MIME_ENC_8BIT ||
                    part->encoding == MIME_ENC_BINARY;
    bool nests = mime_part_is(part, "multipart", NULL) || (holds_message(part) && identity);
    if (nests && part->depth >= MIME_DEPTH_MAX) {
        part->defects |= MIME_DEFECT_TOO_DEEP;
        nests = false;
    }
    if (nests && mime_part_is(part, "multipart", NULL)) {
        parse_multipart(p, part);
        if (mime_part_is(part, "multipart", NULL))
            return;
        nests = false; /* degraded to text/plain */
    }
    part->body_lines = count_lines(p->data + part->body_offset, part->body_len);
    if (nests && p->parts < MIME_PARTS_MAX)
        part->message =
            parse_entity(p, part->body_offset, part->body_offset + part->body_len, part);
}

static mime_part_t *parse_entity(parser_t *p, size_t start, size_t end, mime_part_t *parent)
{
    mime_part_t *part = xcalloc(1, sizeof *part);
    p->parts++;
    part->data = p->data;
    part->parent = parent;
    part->depth = parent ? parent->depth + 1 : 0;
    part->offset = start;
    header_init(&part->header);
    part->header_len = header_parse(p->data + start, end - start, &part->header);
    part->body_offset = start + part->header_len;
    part->body_len = end - part->body_offset;
    read_content_fields(part);
    parse_body(p, part);
    return part;
}

mime_part_t *mime_parse(const uint8_t *data, size_t len)
{
    static const uint8_t empty[1] = {0};
    parser_t p = {data ? data : empty, 0};
    return parse_entity(&p, 0, data ? len : 0, NULL);
}

void mime_free(mime_part_t *part)
{
    if (!part)
        return;
    for (size_t i = 0; i < part->child_count; i++)
        mime_free(part->children[i]);
    free(part->children);
    mime_free(part->message);
    header_free(&part->header);
    mime_params_free(&part->params);
    mime_params_free(&part->disposition_params);
    free(part->type);
    free(part->subtype);
    free(part->encoding_name);
    free(part->disposition);
    free(part->content_id);
    free(part->description);
    free(part->language);
    free(part->md5);
    free(part->location);
    free(part);
}
