/*
 * imap_body: what FETCH writes about a message's structure: ENVELOPE (RFC
 * 3501 7.4.2), and BODY and BODYSTRUCTURE (RFC 3501 7.4.2 and the body
 * grammar of section 9) from the MIME tree of mail/mime.h, with the address
 * lists of mail/address.h. Strings go out as the header wrote them (RFC 2047
 * words stay encoded; the client decodes them).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/header.h"
#include "mail/mime.h"
#include "proto/imap_server_int.h"

static void upper_string(imap_resp_t *r, const char *s)
{
    char *u = xstrdup(s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    imap_resp_string(r, u, strlen(u));
    free(u);
}

static void write_address(imap_resp_t *r, const addr_t *a)
{
    imap_resp_append(r, "(", 1);
    switch (a->kind) {
    case ADDR_MAILBOX:
        imap_resp_nstring(r, a->name_raw);
        imap_resp_append(r, " NIL ", 5);
        imap_resp_nstring(r, a->local ? a->local : "");
        imap_resp_append(r, " ", 1);
        /* A host of NIL would mark a group; an address without a domain gets "". */
        imap_resp_nstring(r, a->domain ? a->domain : "");
        break;
    case ADDR_GROUP_START:
        /* RFC 3501 7.4.2: a group starts with the group name as the mailbox and no host. */
        imap_resp_append(r, "NIL NIL ", 8);
        imap_resp_nstring(r, a->name_raw ? a->name_raw : a->name ? a->name : "");
        imap_resp_append(r, " NIL", 4);
        break;
    case ADDR_GROUP_END:
        imap_resp_append(r, "NIL NIL NIL NIL", 15);
        break;
    }
    imap_resp_append(r, ")", 1);
}

/* The address list of a field, or NIL when the field is absent or empty. */
static bool write_addresses(imap_resp_t *r, const header_t *h, const char *field)
{
    const header_field_t *f = header_find(h, field);
    if (!f)
        return false;
    addr_list_t list;
    addr_list_init(&list);
    addr_list_parse(f->value, f->value_len, &list);
    if (list.count == 0) {
        addr_list_free(&list);
        return false;
    }
    imap_resp_append(r, "(", 1);
    for (size_t i = 0; i < list.count; i++)
        write_address(r, &list.items[i]);
    imap_resp_append(r, ")", 1);
    addr_list_free(&list);
    return true;
}

static void write_field(imap_resp_t *r, const header_t *h, const char *field)
{
    const header_field_t *f = header_find(h, field);
    if (f)
        imap_resp_string(r, f->value, f->value_len);
    else
        imap_resp_append(r, "NIL", 3);
}

void imap_write_envelope(imap_resp_t *r, const header_t *h)
{
    imap_resp_append(r, "(", 1);
    write_field(r, h, "Date");
    imap_resp_append(r, " ", 1);
    write_field(r, h, "Subject");
    const char *lists[] = {"From", "Sender", "Reply-To", "To", "Cc", "Bcc"};
    for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
        imap_resp_append(r, " ", 1);
        if (write_addresses(r, h, lists[i]))
            continue;
        /* RFC 3501 7.4.2: Sender and Reply-To default to From. */
        if ((i == 1 || i == 2) && write_addresses(r, h, "From"))
            continue;
        imap_resp_append(r, "NIL", 3);
    }
    imap_resp_append(r, " ", 1);
    write_field(r, h, "In-Reply-To");
    imap_resp_append(r, " ", 1);
    write_field(r, h, "Message-ID");
    imap_resp_append(r, ")", 1);
}

/* body-fld-param: ("NAME" "value" ...) or NIL; text parts get the default charset. */
static void write_params(imap_resp_t *r, const mime_params_t *p, bool text)
{
    bool charset = !text || mime_params_get(p, "charset");
    if (p->count == 0 && charset) {
        imap_resp_append(r, "NIL", 3);
        return;
    }
    imap_resp_append(r, "(", 1);
    for (size_t i = 0; i < p->count; i++) {
        if (i)
            imap_resp_append(r, " ", 1);
        upper_string(r, p->items[i].name);
        imap_resp_append(r, " ", 1);
        imap_resp_nstring(r, p->items[i].value);
    }
    /* RFC 2045 5.2: text without a charset is US-ASCII. */
    if (!charset)
        imap_resp_printf(r, "%s\"CHARSET\" \"US-ASCII\"", p->count ? " " : "");
    imap_resp_append(r, ")", 1);
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc. */
static void write_disposition(imap_resp_t *r, const mime_part_t *part)
{
    if (part->disposition) {
        imap_resp_append(r, "(", 1);
        upper_string(r, part->disposition);
        imap_resp_append(r, " ", 1);
        write_params(r, &part->disposition_params, false);
        imap_resp_append(r, ")", 1);
    } else {
        imap_resp_append(r, "NIL", 3);
    }
    imap_resp_append(r, " ", 1);
    imap_resp_nstring(r, part->language);
    imap_resp_append(r, " ", 1);
    imap_resp_nstring(r, part->location);
}

static void write_multipart(imap_resp_t *r, const mime_part_t *part, bool extended)
{
    imap_resp_append(r, "(", 1);
    for (size_t i = 0; i < part->child_count; i++)
        imap_write_body(r, part->children[i], extended);
    imap_resp_append(r, " ", 1);
    upper_string(r, part->subtype);
    if (extended) {
        /* body-ext-mpart: body-fld-param SP body-fld-dsp SP body-fld-lang SP body-fld-loc */
        imap_resp_append(r, " ", 1);
        write_params(r, &part->params, false);
        imap_resp_append(r, " ", 1);
        write_disposition(r, part);
    }
    imap_resp_append(r, ")", 1);
}

/* What stands for an embedded message that was not parsed (nested too deep). */
static void write_empty_message(imap_resp_t *r)
{
    imap_resp_printf(r, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
                        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)");
}

static void write_single(imap_resp_t *r, const mime_part_t *part, bool extended)
{
    bool text = mime_part_is(part, "text", NULL);
    imap_resp_append(r, "(", 1);
    upper_string(r, part->type);
    imap_resp_append(r, " ", 1);
    upper_string(r, part->subtype);
    /* body-fields: param SP id SP desc SP enc SP octets */
    imap_resp_append(r, " ", 1);
    write_params(r, &part->params, text);
    imap_resp_append(r, " ", 1);
    imap_resp_nstring(r, part->content_id);
    imap_resp_append(r, " ", 1);
    imap_resp_nstring(r, header_get(&part->header, "Content-Description"));
    imap_resp_append(r, " ", 1);
    upper_string(r, part->encoding_name);
    imap_resp_printf(r, " %zu", part->body_len);
    if (mime_part_is(part, "message", "rfc822")) {
        /* body-type-msg: SP envelope SP body SP body-fld-lines */
        imap_resp_append(r, " ", 1);
        if (part->message) {
            imap_write_envelope(r, &part->message->header);
            imap_resp_append(r, " ", 1);
            imap_write_body(r, part->message, extended);
        } else {
            write_empty_message(r);
        }
        imap_resp_printf(r, " %zu", part->body_lines);
    } else if (text) {
        imap_resp_printf(r, " %zu", part->body_lines);
    }
    if (extended) {
        /* body-ext-1part: body-fld-md5 SP body-fld-dsp SP body-fld-lang SP body-fld-loc */
        imap_resp_append(r, " ", 1);
        imap_resp_nstring(r, part->md5);
        imap_resp_append(r, " ", 1);
        write_disposition(r, part);
    }
    imap_resp_append(r, ")", 1);
}

void imap_write_body(imap_resp_t *r, const mime_part_t *part, bool extended)
{
    if (mime_part_is(part, "multipart", NULL) && part->child_count > 0)
        write_multipart(r, part, extended);
    else
        write_single(r, part, extended);
}
