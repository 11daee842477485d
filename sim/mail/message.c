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

/* The From field, from the memo when it was written from the same value. */
static int write_from(const message_spec_t *spec, buf_t *out)
{
    message_field_memo_t *memo = spec->from_memo;
    if (!memo || !spec->from)
        return write_address_field("From", &spec->from, spec->from ? 1 : 0, out);
    if (!memo->value || strcmp(memo->value, spec->from) != 0) {
        free(memo->value);
        memo->value = xstrdup(spec->from);
        buf_reset(&memo->field);
        memo->rc = write_address_field("From", &spec->from, 1, &memo->field);
    }
    buf_append(out, memo->field.data, memo->field.len);
    return memo->rc;
}

/* The fields straight into out, folded, in the order message.h gives. */
static int write_header(const message_spec_t *spec, buf_t *out)
{
    char date[MESSAGE_DATE_MAX], id[256];
    /* A date is short, with no space at either end: it goes unfolded, written directly. */
    message_date_format(spec->date, spec->tz_minutes, date, sizeof date);
    size_t date_len = strlen(date);
    buf_reserve(out, 6 + date_len + 2);
    memcpy(out->data + out->len, "Date: ", 6);
    memcpy(out->data + out->len + 6, date, date_len);
    memcpy(out->data + out->len + 6 + date_len, "\r\n", 3);
    out->len += 6 + date_len + 2;
    int rc = write_from(spec, out);
    if (write_address_field("To", spec->to, spec->to_count, out) != 0)
        rc = -1;
    if (write_address_field("Cc", spec->cc, spec->cc_count, out) != 0)
        rc = -1;
    if (write_address_field("Reply-To", &spec->reply_to, spec->reply_to ? 1 : 0, out) != 0)
        rc = -1;
    if (spec->subject)
        header_fold_text("Subject", spec->subject, out);
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

int message_build_shaped(const message_spec_t *spec, buf_t *out, mime_shape_t *shape)
{
    const char *text = spec->text ? spec->text : "";
    size_t text_len = strlen(text);
    size_t start = out->len;
    /* the whole message in one allocation when it is plain text: the header and line ends */
    buf_reserve(out, text_len + text_len / 32 + 1024);
    int rc = write_header(spec, out);
    size_t header_len = out->len - start;
    mime_shape_t body;
    build_body(spec, text, text_len, out, &body); /* its Content-* fields end the header */
    /* The header is short: scanned, not reasoned about, for its 8-bit octets. */
    shape->seven_bit = body.seven_bit && eightbit_is_7bit(out->data + start, header_len);
    shape->dot_safe = body.dot_safe && header_dot_safe(spec);
    return rc;
}

int message_build(const message_spec_t *spec, buf_t *out)
{
    mime_shape_t shape;
    return message_build_shaped(spec, out, &shape);
}

/* --- trace fields -------------------------------------------------------- */

void message_received_value(const message_received_t *r, buf_t *out)
{
    char date[MESSAGE_DATE_MAX];
    /* Plain appends, not printf: this runs for every message a server takes. */
    buf_puts(out, "from ");
    buf_puts(out, r->helo && *r->helo ? r->helo : "unknown");
    buf_puts(out, " (");
    if (r->client_host && *r->client_host) {
        buf_puts(out, r->client_host);
        buf_putc(out, ' ');
    }
    buf_putc(out, '[');
    buf_puts(out, r->client_addr ? r->client_addr : "unknown");
    buf_puts(out, "]) by ");
    buf_puts(out, r->by_host ? r->by_host : "localhost");
    buf_puts(out, " with ");
    buf_puts(out, r->protocol ? r->protocol : "ESMTP");
    if (r->id && *r->id) {
        buf_puts(out, " id ");
        buf_puts(out, r->id);
    }
    if (r->for_rcpt && *r->for_rcpt) {
        buf_puts(out, " for <");
        buf_puts(out, r->for_rcpt);
        buf_putc(out, '>');
    }
    buf_puts(out, "; ");
    buf_puts(out, message_date_format(r->time, r->tz_minutes, date, sizeof date));
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
 * The layout most servers use, one clause a line, so that unfolding gives
 * back message_received_value exactly:
 *   Received: from HELO (HOST [ADDR])
 *    by HOST with ESMTP id ID
 *    for <RCPT>; DATE
 * The value is written in place and the line ends put in after, so the
 * field costs no buffer of its own.
 */
void message_write_received(const message_received_t *r, buf_t *out)
{
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
