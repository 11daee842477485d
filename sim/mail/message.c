/*
 * message: build a message from a user agent's pieces (RFC 5322 3.6 fields,
 * a MIME body), and stamp it with trace fields on its way (RFC 5321 4.4).
 */
#include "mail/message.h"

#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/eightbit.h"
#include "mail/header.h"

/* Appends n bytes of s at *pos, cut as snprintf cuts: out keeps room for its NUL. */
static void put_cut(char *out, size_t size, size_t *pos, const char *s, size_t n)
{
    size_t room = *pos < size ? size - 1 - *pos : 0;
    if (n > room)
        n = room;
    memcpy(out + *pos, s, n);
    *pos += n;
}

/* Digits of v in base (10 or 16, lower case), written backwards from end; returns the first. */
static char *put_digits(char *end, uint64_t v, unsigned base)
{
    static const char digits[] = "0123456789abcdef";
    do {
        *--end = digits[v % base];
        v /= base;
    } while (v);
    return end;
}

char *message_id_make(uint64_t counter, uint64_t seed, const char *host, char *out, size_t size)
{
    /* "<%llu.%llx@%s>" by hand: every message an agent sends gets one */
    if (size == 0)
        return out;
    char head[48], *end = head + sizeof head;
    char *p = put_digits(end, seed, 16);
    *--p = '.';
    p = put_digits(p, counter, 10);
    *--p = '<';
    size_t pos = 0;
    put_cut(out, size, &pos, p, (size_t)(end - p));
    put_cut(out, size, &pos, "@", 1);
    if (!host || !*host)
        host = "localhost";
    put_cut(out, size, &pos, host, strlen(host));
    put_cut(out, size, &pos, ">", 1);
    out[pos] = '\0';
    return out;
}

/*
 * Writes an address field: the lists in values parsed and written back as one
 * value (nothing when that is empty); -1 if any was malformed. A lone plain
 * address is written as it stands, which is what parsing it gives.
 */
static int write_address_field(const char *name, const char *const *values, size_t count,
                               buf_t *out)
{
    if (count == 0)
        return 0;
    if (count == 1 && values[0] && addr_spec_is_plain(values[0], strlen(values[0]))) {
        header_fold(name, values[0], strlen(values[0]), out);
        return 0;
    }
    buf_t text = BUF_INIT;
    int rc = addr_field_value(values, count, &text);
    if (text.len > 0)
        header_fold(name, buf_cstr(&text), text.len, out);
    buf_free(&text);
    return rc;
}

static void write_plain_field(const char *name, const char *value, buf_t *out)
{
    header_fold(name, value, strlen(value), out);
}

void message_field_memo_free(message_field_memo_t *memo)
{
    free(memo->value);
    buf_free(&memo->field);
    *memo = (message_field_memo_t){0};
}

/* Writes the field of value to out; returns 0, or -1 when the value was not read cleanly. */
typedef int (*field_writer_t)(const char *value, buf_t *out);

static int write_from_value(const char *value, buf_t *out)
{
    return write_address_field("From", &value, 1, out);
}

static int write_to_value(const char *value, buf_t *out)
{
    return write_address_field("To", &value, 1, out);
}

static int write_subject_value(const char *value, buf_t *out)
{
    header_fold_text("Subject", value, out);
    return 0;
}

/* A field through memo: the bytes kept when they were written from the same value. */
static int write_memo_field(message_field_memo_t *memo, const char *value, field_writer_t write,
                            buf_t *out)
{
    if (!memo)
        return write(value, out);
    if (!memo->value || strcmp(memo->value, value) != 0) {
        free(memo->value);
        memo->value = xstrdup(value);
        buf_reset(&memo->field);
        memo->rc = write(value, &memo->field);
    }
    buf_append(out, memo->field.data, memo->field.len);
    return memo->rc;
}

/* The fields straight into out, folded, in the order message.h gives. */
static int write_header(const message_spec_t *spec, buf_t *out)
{
    char date_text[MESSAGE_DATE_MAX], id[256];
    /* A date is short, with no space at either end: it goes unfolded, written directly. */
    const char *date = date_text;
    size_t date_len;
    if (spec->date_memo) {
        date = message_date_memo_format(spec->date_memo, spec->date, spec->tz_minutes, &date_len);
    } else {
        message_date_format(spec->date, spec->tz_minutes, date_text, sizeof date_text);
        date_len = strlen(date_text);
    }
    buf_reserve(out, 6 + date_len + 2);
    memcpy(out->data + out->len, "Date: ", 6);
    memcpy(out->data + out->len + 6, date, date_len);
    memcpy(out->data + out->len + 6 + date_len, "\r\n", 3);
    out->len += 6 + date_len + 2;
    int rc = spec->from ? write_memo_field(spec->from_memo, spec->from, write_from_value, out) : 0;
    /* A memo holds one value: a To of several is written as it is. */
    if (spec->to_count == 1 && spec->to[0] ? write_memo_field(spec->to_memo, spec->to[0],
                                                              write_to_value, out) != 0
                                           : write_address_field("To", spec->to, spec->to_count,
                                                                 out) != 0)
        rc = -1;
    if (write_address_field("Cc", spec->cc, spec->cc_count, out) != 0)
        rc = -1;
    if (write_address_field("Reply-To", &spec->reply_to, spec->reply_to ? 1 : 0, out) != 0)
        rc = -1;
    if (spec->subject)
        write_memo_field(spec->subject_memo, spec->subject, write_subject_value, out);
    write_plain_field("Message-ID",
                      spec->message_id
                          ? spec->message_id
                          : message_id_make(spec->counter, spec->seed, spec->host, id, sizeof id),
                      out);
    for (size_t i = 0; i < spec->field_count; i++)
        header_fold_text(spec->fields[i].name, spec->fields[i].value, out);
    buf_append(out, "MIME-Version: 1.0\r\n", 19);
    return rc;
}

/*
 * The text, or text and html as multipart/alternative (RFC 2046 5.1.4);
 * *shape is known only for the text alone.
 */
static void build_text_entity(const message_spec_t *spec, const char *text, size_t text_len,
                              buf_t *out, mime_shape_t *shape)
{
    if (!spec->html) {
        mime_write_text_shaped(out, "plain", text, text_len, spec->allow_8bit, shape);
        return;
    }
    buf_t parts[2] = {BUF_INIT, BUF_INIT};
    mime_write_text(&parts[0], "plain", text, text_len, spec->allow_8bit);
    mime_write_text(&parts[1], "html", spec->html, strlen(spec->html), spec->allow_8bit);
    mime_write_multipart(out, "alternative", parts, 2, spec->seed, spec->counter * 2 + 1);
    buf_free(&parts[0]);
    buf_free(&parts[1]);
}

/* The body entity: the text alone, or multipart/mixed with the attachments (RFC 2046 5.1.3). */
static void build_body(const message_spec_t *spec, const char *text, size_t text_len, buf_t *out,
                       mime_shape_t *shape)
{
    *shape = (mime_shape_t){false, false};
    if (spec->attachment_count == 0) {
        build_text_entity(spec, text, text_len, out, shape);
        return;
    }
    size_t count = spec->attachment_count + 1;
    buf_t *parts = xcalloc(count, sizeof *parts);
    mime_shape_t unused;
    build_text_entity(spec, text, text_len, &parts[0], &unused);
    for (size_t i = 0; i < spec->attachment_count; i++)
        mime_write_attachment(&parts[i + 1], &spec->attachments[i]);
    mime_write_multipart(out, "mixed", parts, count, spec->seed, spec->counter * 2);
    for (size_t i = 0; i < count; i++)
        buf_free(&parts[i]);
    free(parts);
}

/*
 * Whether the header write_header wrote has no line that starts with a dot.
 * header_fold starts each field with its name and each folded line with a
 * space, and blanks the CR and LF in a value; only a caller's field name can
 * hold a dot first or a line end.
 */
static bool header_dot_safe(const message_spec_t *spec)
{
    for (size_t i = 0; i < spec->field_count; i++) {
        const char *name = spec->fields[i].name;
        if (name[0] == '.' || strpbrk(name, "\r\n"))
            return false;
    }
    return true;
}

message_text_t *message_text_hold(message_text_t *t)
{
    shared_hold(&t->shared);
    return t;
}

void message_text_release(message_text_t *t)
{
    if (t)
        shared_release(&t->shared);
}

static void text_block_drop(shared_t *s)
{
    free((char *)s - offsetof(message_text_t, shared));
}

/* A block of one reference holding entity[0..len), the final dot and a NUL after it. */
static message_text_t *text_block_new(const uint8_t *entity, size_t len, mime_shape_t shape)
{
    message_text_t *t = xmalloc(sizeof *t + len + 4);
    t->shared = (shared_t){1, text_block_drop};
    t->len = len;
    t->shape = shape;
    memcpy(t->data, entity, len);
    memcpy(t->data + len, ".\r\n", 4);
    return t;
}

void message_text_memo_free(message_text_memo_t *memo)
{
    free(memo->text);
    message_text_release(memo->entity);
    *memo = (message_text_memo_t){0};
}

/*
 * Whether memo holds the entity of text: the same octets up to and with the
 * NUL, compared, not recognised by their address. strncmp stops at the first
 * difference or NUL, so it reads no octet past the end of either string, and
 * its one pass both compares and measures.
 */
static bool text_memo_holds(const message_text_memo_t *memo, const char *text, bool allow_8bit)
{
    return memo->text && memo->allow_8bit == allow_8bit &&
           strncmp(memo->text, text, memo->text_len + 1) == 0;
}

/*
 * Keeps entity[0..len), written from text[0..text_len), unless the text is
 * too long to keep. A new block: the old one may be held by messages still
 * in flight, and stays as it is for them.
 */
static void text_memo_keep(message_text_memo_t *memo, const char *text, size_t text_len,
                           bool allow_8bit, const uint8_t *entity, size_t len, mime_shape_t shape)
{
    if (text_len > MESSAGE_TEXT_MEMO_MAX) {
        message_text_memo_free(memo);
        return;
    }
    if (memo->text_cap < text_len + 1) {
        memo->text_cap = text_len + 1;
        memo->text = xrealloc(memo->text, memo->text_cap);
    }
    memcpy(memo->text, text, text_len + 1);
    memo->text_len = text_len;
    memo->allow_8bit = allow_8bit;
    message_text_release(memo->entity);
    memo->entity = text_block_new(entity, len, shape);
}

/*
 * message_build_shaped, and with pieces non-NULL message_build_pieces: the
 * memo's entity is then referenced in *pieces instead of appended.
 */
static int build(const message_spec_t *spec, buf_t *out, message_text_t **pieces,
                 mime_shape_t *shape)
{
    const char *text = spec->text ? spec->text : "";
    /* Only a text alone is kept: it is the whole body, and its shape is the body's. */
    message_text_memo_t *memo =
        spec->text_memo && !spec->html && spec->attachment_count == 0 ? spec->text_memo : NULL;
    bool kept = memo && text_memo_holds(memo, text, spec->allow_8bit);
    size_t text_len = kept ? memo->text_len : strlen(text);
    size_t start = out->len;
    /*
     * The whole message in one allocation when it is plain text: the header
     * and line ends; the header alone when the entity goes as a piece.
     */
    size_t body_room = kept && pieces ? 0 : kept ? memo->entity->len : text_len + text_len / 32;
    buf_reserve(out, body_room + 1024);
    int rc = write_header(spec, out);
    size_t header_len = out->len - start;
    mime_shape_t body;
    if (!kept) {
        size_t body_start = out->len;
        build_body(spec, text, text_len, out, &body); /* its Content-* fields end the header */
        if (memo) {
            text_memo_keep(memo, text, text_len, spec->allow_8bit, out->data + body_start,
                           out->len - body_start, body);
            kept = memo->entity != NULL;
            if (kept && pieces) { /* the entity goes as the memo's block, not as these bytes */
                out->len = body_start;
                out->data[out->len] = '\0';
            }
        }
    } else {
        body = memo->entity->shape;
        if (!pieces)
            buf_append(out, memo->entity->data, memo->entity->len);
    }
    if (pieces)
        *pieces = kept ? message_text_hold(memo->entity) : NULL;
    /* The header is short: scanned, not reasoned about, for its 8-bit octets. */
    shape->seven_bit = body.seven_bit && eightbit_is_7bit(out->data + start, header_len);
    shape->dot_safe = body.dot_safe && header_dot_safe(spec);
    return rc;
}

int message_build_shaped(const message_spec_t *spec, buf_t *out, mime_shape_t *shape)
{
    return build(spec, out, NULL, shape);
}

int message_build_pieces(const message_spec_t *spec, buf_t *out, message_text_t **text,
                         mime_shape_t *shape)
{
    return build(spec, out, text, shape);
}

int message_build(const message_spec_t *spec, buf_t *out)
{
    mime_shape_t shape;
    return message_build_shaped(spec, out, &shape);
}

/* --- trace fields -------------------------------------------------------- */

/* The pieces of a Received value, in order: what message_received_value writes. */
#define RECEIVED_PIECES_MAX 19

typedef struct received_pieces {
    const char *text[RECEIVED_PIECES_MAX];
    size_t len[RECEIVED_PIECES_MAX];
    size_t count, total;
    uint32_t named; /* bit i: piece i is a caller's string, not one of the literals */
    size_t by;   /* the piece ") by " */
    size_t tail; /* the piece " for <", or "; " when there is no such clause */
    char date[MESSAGE_DATE_MAX];
} received_pieces_t;

_Static_assert(RECEIVED_PIECES_MAX <= 32, "a bit of named for each piece");

static void piece(received_pieces_t *p, const char *text, size_t len)
{
    p->text[p->count] = text;
    p->len[p->count++] = len;
    p->total += len;
}

static void piece_str(received_pieces_t *p, const char *text)
{
    p->named |= UINT32_C(1) << p->count;
    piece(p, text, strlen(text));
}

#define PIECE_LIT(p, lit) piece((p), (lit), sizeof(lit) - 1)

static void received_pieces(const message_received_t *r, received_pieces_t *p)
{
    p->count = p->total = 0;
    p->named = 0;
    PIECE_LIT(p, "from ");
    piece_str(p, r->helo && *r->helo ? r->helo : "unknown");
    PIECE_LIT(p, " (");
    if (r->client_host && *r->client_host) {
        piece_str(p, r->client_host);
        PIECE_LIT(p, " ");
    }
    PIECE_LIT(p, "[");
    piece_str(p, r->client_addr ? r->client_addr : "unknown");
    PIECE_LIT(p, "]");
    p->by = p->count;
    PIECE_LIT(p, ") by ");
    piece_str(p, r->by_host ? r->by_host : "localhost");
    PIECE_LIT(p, " with ");
    piece_str(p, r->protocol ? r->protocol : "ESMTP");
    if (r->id && *r->id) {
        PIECE_LIT(p, " id ");
        piece_str(p, r->id);
    }
    p->tail = p->count;
    if (r->for_rcpt && *r->for_rcpt) {
        PIECE_LIT(p, " for <");
        piece_str(p, r->for_rcpt);
        PIECE_LIT(p, ">");
    }
    PIECE_LIT(p, "; "); /* the tail when there is no recipient */
    piece_str(p, r->date ? r->date
                         : message_date_format(r->time, r->tz_minutes, p->date, sizeof p->date));
}

/* Copies pieces [from, to) to dst; returns the end. */
static uint8_t *put_pieces(const received_pieces_t *p, size_t from, size_t to, uint8_t *dst)
{
    for (size_t i = from; i < to; i++) {
        memcpy(dst, p->text[i], p->len[i]);
        dst += p->len[i];
    }
    return dst;
}

void message_received_value(const message_received_t *r, buf_t *out)
{
    /* Plain copies into room made once: this runs for every message a server takes. */
    received_pieces_t p;
    received_pieces(r, &p);
    buf_reserve(out, p.total);
    out->len = (size_t)(put_pieces(&p, 0, p.count, out->data + out->len) - out->data);
    out->data[out->len] = '\0';
}

void message_prepend_field(buf_t *message, const char *name, const char *value)
{
    buf_t out = BUF_INIT;
    header_fold(name, value, strlen(value), &out);
    buf_append(&out, message->data, message->len);
    buf_free(message);
    *message = out;
}

/* Puts CRLF at offset at of b, moving what follows (and the NUL) along. */
static void insert_crlf(buf_t *b, size_t at)
{
    buf_reserve(b, 2);
    memmove(b->data + at + 2, b->data + at, b->len - at + 1);
    b->data[at] = '\r';
    b->data[at + 1] = '\n';
    b->len += 2;
}

/*
 * Whether the line breaks of message_write_received fall at the pieces that
 * hold them: the first ") by " is that piece when nothing before it holds a
 * ')', and the first " for <" (or "; ") after it is that piece when nothing
 * between holds a '<' or a ';'. The literals between hold none of them:
 * only the caller's strings are searched.
 */
static bool breaks_at_pieces(const received_pieces_t *p)
{
    for (size_t i = 0; i < p->by; i++)
        if ((p->named >> i & 1) && memchr(p->text[i], ')', p->len[i]))
            return false;
    for (size_t i = p->by + 1; i < p->tail; i++)
        if ((p->named >> i & 1) &&
            (memchr(p->text[i], '<', p->len[i]) || memchr(p->text[i], ';', p->len[i])))
            return false;
    return true;
}

/*
 * The layout most servers use, one clause a line, so that unfolding gives
 * back message_received_value exactly:
 *   Received: from HELO (HOST [ADDR])
 *    by HOST with ESMTP id ID
 *    for <RCPT>; DATE
 * (without a recipient, "id ID;" ends the second line). The line breaks go
 * where the first ") by " and the first " for <" (or "; ") after it are in
 * the value; when a name holds such text, the value is searched for them.
 */
void message_write_received(const message_received_t *r, buf_t *out)
{
    received_pieces_t p;
    received_pieces(r, &p);
    if (breaks_at_pieces(&p)) {
        /* Each piece copied once, the line breaks put in on the way. */
        buf_reserve(out, 10 + p.total + 6); /* and buf's room for a NUL */
        uint8_t *d = out->data + out->len;
        memcpy(d, "Received: ", 10);
        d = put_pieces(&p, 0, p.by, d + 10);
        memcpy(d, ")\r\n by ", 7);
        d = put_pieces(&p, p.by + 1, p.tail, d + 7);
        bool semicolon = p.text[p.tail][0] == ';';
        if (semicolon) {
            memcpy(d, ";\r\n ", 4);
            d += 4;
        } else {
            memcpy(d, "\r\n", 2);
            d = put_pieces(&p, p.tail, p.tail + 1, d + 2);
        }
        d = put_pieces(&p, p.tail + 1, p.count, d);
        memcpy(d, "\r\n", 3);
        out->len = (size_t)(d + 2 - out->data);
        return;
    }
    size_t start = out->len;
    buf_reserve(out, 256);
    buf_append(out, "Received: ", 10);
    message_received_value(r, out);
    const char *text = (const char *)out->data + start + 10;
    const char *by = strstr(text, ") by ");
    const char *tail = by ? strstr(by, r->for_rcpt && *r->for_rcpt ? " for <" : "; ") : NULL;
    if (!by || !tail) {
        char *value = xstrdup(text);
        out->len = start;
        header_fold("Received", value, strlen(value), out);
        free(value);
        return;
    }
    if (*tail == ';')
        tail++;
    size_t by_at = (size_t)(by - (const char *)out->data) + 1;
    size_t tail_at = (size_t)(tail - (const char *)out->data);
    insert_crlf(out, tail_at); /* the later one first: by_at stays where it was */
    insert_crlf(out, by_at);
    buf_append(out, "\r\n", 2);
}

void message_prepend_received(buf_t *message, const message_received_t *r)
{
    buf_t out = BUF_INIT;
    buf_reserve(&out, 256 + message->len);
    message_write_received(r, &out);
    buf_append(&out, message->data, message->len);
    buf_free(message);
    *message = out;
}

void message_prepend_return_path(buf_t *message, const char *reverse_path)
{
    buf_t value = BUF_INIT;
    buf_printf(&value, "<%s>", reverse_path ? reverse_path : "");
    message_prepend_field(message, "Return-Path", buf_cstr(&value));
    buf_free(&value);
}
