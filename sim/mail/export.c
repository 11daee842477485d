/*
 * export: .eml (RFC 5322 bytes) and mboxrd folders. The mboxrd rule: on
 * writing, a line matching ">*From " gains a ">"; on reading, a line matching
 * ">+From " loses one; so any message survives the round trip.
 */
#include "mail/export.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mail/message.h"

void export_eml(const uint8_t *data, size_t len, buf_t *out)
{
    buf_reserve(out, len + 2);
    out->data[out->len] = 0; /* buf_reserve leaves a fresh buffer unterminated */
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t stop = end > pos && data[end - 1] == '\r' ? end - 1 : end;
        buf_append(out, data + pos, stop - pos);
        if (nl)
            buf_append(out, "\r\n", 2);
        pos = nl ? end + 1 : len;
    }
}

/* Does the line (without its line end) match ">*From "? */
static bool is_from_line(const uint8_t *line, size_t n, size_t min_quotes)
{
    size_t i = 0;
    while (i < n && line[i] == '>')
        i++;
    return i >= min_quotes && n - i >= 5 && memcmp(line + i, "From ", 5) == 0;
}

/* The separator names the sender as one word: whitespace would end it early. */
static void put_sender(const char *sender, buf_t *out)
{
    if (!sender || !*sender) {
        buf_puts(out, "MAILER-DAEMON");
        return;
    }
    for (const char *p = sender; *p; p++)
        buf_putc(out, *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ? '_' : *p);
}

static void mbox_write_one(const export_message_t *m, buf_t *out)
{
    char date[MESSAGE_DATE_MAX];
    buf_puts(out, "From ");
    put_sender(m->envelope_sender, out);
    buf_printf(out, " %s\n", message_date_format_ctime(m->time, date, sizeof date));
    size_t pos = 0;
    while (pos < m->len) {
        const uint8_t *nl = memchr(m->data + pos, '\n', m->len - pos);
        size_t end = nl ? (size_t)(nl - m->data) : m->len;
        size_t stop = nl && end > pos && m->data[end - 1] == '\r' ? end - 1 : end;
        if (is_from_line(m->data + pos, stop - pos, 0))
            buf_putc(out, '>');
        buf_append(out, m->data + pos, stop - pos);
        buf_putc(out, '\n');
        pos = nl ? end + 1 : m->len;
    }
    buf_putc(out, '\n');
}

void export_mbox(const export_message_t *messages, size_t count, buf_t *out)
{
    for (size_t i = 0; i < count; i++)
        mbox_write_one(&messages[i], out);
}

/* --- reading ------------------------------------------------------------- */

static export_mbox_entry_t *list_push(export_mbox_list_t *list, const uint8_t *line, size_t n)
{
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 4;
        list->items = xrealloc(list->items, list->cap * sizeof *list->items);
    }
    export_mbox_entry_t *e = &list->items[list->count++];
    const uint8_t *word = line + 5, *end = line + n;
    const uint8_t *space = memchr(word, ' ', (size_t)(end - word));
    e->sender = xstrndup((const char *)word, (size_t)((space ? space : end) - word));
    buf_init(&e->message);
    return e;
}

/* The empty line the writer put after the message is no part of it. */
static void finish_entry(export_mbox_entry_t *e)
{
    buf_t *m = &e->message;
    if (m->len >= 2 && m->data[m->len - 1] == '\n' && (m->len == 2 || m->data[m->len - 3] == '\n'))
        m->len -= 2;
    if (m->cap > 0)
        m->data[m->len] = '\0';
}

int export_mbox_read(const uint8_t *data, size_t len, export_mbox_list_t *list)
{
    export_mbox_entry_t *cur = NULL;
    bool stray = false;
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        const uint8_t *line = data + pos;
        size_t n = end > pos && data[end - 1] == '\r' ? end - pos - 1 : end - pos;
        pos = nl ? end + 1 : len;
        if (n >= 5 && memcmp(line, "From ", 5) == 0) {
            if (cur)
                finish_entry(cur);
            cur = list_push(list, line, n);
            continue;
        }
        if (!cur) {
            stray = true;
            continue;
        }
        if (is_from_line(line, n, 1)) { /* mboxrd: take one ">" away */
            line++;
            n--;
        }
        buf_append(&cur->message, line, n);
        buf_append(&cur->message, "\r\n", 2);
    }
    if (cur)
        finish_entry(cur);
    return stray ? -1 : 0;
}

void export_mbox_list_free(export_mbox_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].sender);
        buf_free(&list->items[i].message);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}
