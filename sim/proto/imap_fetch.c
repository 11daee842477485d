/*
 * imap_fetch: FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2): the data items
 * and macros parsed into a list, then written for each message: FLAGS,
 * INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE, UID, the
 * RFC822 forms, and BODY[section]<partial> with HEADER, HEADER.FIELDS (.NOT),
 * TEXT, MIME and part numbers. BODY[...] without .PEEK sets \Seen.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"
#include "proto/imap_server_int.h"

typedef enum fetch_kind {
    FA_FLAGS,
    FA_INTERNALDATE,
    FA_RFC822_SIZE,
    FA_ENVELOPE,
    FA_BODY,
    FA_BODYSTRUCTURE,
    FA_UID,
    FA_RFC822,
    FA_RFC822_HEADER,
    FA_RFC822_TEXT,
    FA_SECTION,
} fetch_kind_t;

typedef enum section_text {
    SECT_ALL,
    SECT_HEADER,
    SECT_FIELDS,
    SECT_FIELDS_NOT,
    SECT_TEXT,
    SECT_MIME,
} section_text_t;

typedef struct fetch_att {
    fetch_kind_t kind;
    bool peek;
    char part[64]; /* "1.2", or "" for the message itself */
    section_text_t text;
    char **fields;
    size_t field_count;
    bool partial;
    uint32_t origin, count;
    char *label; /* the name in the response: "BODY[HEADER.FIELDS (From)]<0>" */
} fetch_att_t;

struct imap_fetch {
    fetch_att_t *atts;
    size_t count;
    bool sets_seen;
    bool needs_mime;
};

static const struct {
    const char *name;
    fetch_kind_t kind;
} simple_atts[] = {
    {"FLAGS", FA_FLAGS},
    {"INTERNALDATE", FA_INTERNALDATE},
    {"RFC822.SIZE", FA_RFC822_SIZE},
    {"ENVELOPE", FA_ENVELOPE},
    {"BODY", FA_BODY},
    {"BODYSTRUCTURE", FA_BODYSTRUCTURE},
    {"UID", FA_UID},
    {"RFC822", FA_RFC822},
    {"RFC822.HEADER", FA_RFC822_HEADER},
    {"RFC822.TEXT", FA_RFC822_TEXT},
};

void imap_fetch_free(imap_fetch_t *f)
{
    for (size_t i = 0; i < f->count; i++) {
        for (size_t k = 0; k < f->atts[i].field_count; k++)
            free(f->atts[i].fields[k]);
        free(f->atts[i].fields);
        free(f->atts[i].label);
    }
    free(f->atts);
    free(f);
}

static fetch_att_t *add_att(imap_fetch_t *f, fetch_kind_t kind)
{
    f->atts = xrealloc(f->atts, (f->count + 1) * sizeof *f->atts);
    fetch_att_t *a = &f->atts[f->count++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    if (kind == FA_RFC822 || kind == FA_RFC822_TEXT)
        f->sets_seen = true;
    if (kind == FA_ENVELOPE || kind == FA_BODY || kind == FA_BODYSTRUCTURE ||
        kind == FA_RFC822_HEADER || kind == FA_RFC822_TEXT)
        f->needs_mime = true;
    return a;
}

static bool fail(imap_parser_t *ps, const char *why)
{
    ps->error = why;
    return false;
}

/* A data item's name: letters, digits and dots ("BODY.PEEK", "RFC822.SIZE"). */
static size_t item_name(imap_parser_t *ps, char *out, size_t n)
{
    size_t len = 0;
    while (ps->p < ps->end && (isalnum(*ps->p) || *ps->p == '.') && len + 1 < n)
        out[len++] = (char)toupper(*ps->p++);
    out[len] = '\0';
    return len;
}

static bool parse_field_list(imap_parser_t *ps, fetch_att_t *a, buf_t *label)
{
    buf_t name = BUF_INIT;
    bool ok = imap_parse_sp(ps) && imap_parse_char(ps, '(');
    buf_puts(label, " (");
    while (ok) {
        ok = imap_parse_astring(ps, &name) && strlen(buf_cstr(&name)) == name.len;
        if (!ok)
            break;
        a->fields = xrealloc(a->fields, (a->field_count + 1) * sizeof *a->fields);
        a->fields[a->field_count++] = xstrdup(buf_cstr(&name));
        buf_printf(label, "%s%s", a->field_count > 1 ? " " : "", buf_cstr(&name));
        if (imap_parse_char(ps, ')'))
            break;
        ok = imap_parse_sp(ps);
    }
    buf_puts(label, ")");
    buf_free(&name);
    return ok || fail(ps, "HEADER.FIELDS (name ...) was expected");
}

/* section = "[" [section-spec] "]"; the label gets the spec as written. */
static bool parse_section(imap_parser_t *ps, fetch_att_t *a, buf_t *label)
{
    size_t plen = 0;
    while (ps->p < ps->end && isdigit(*ps->p)) {
        uint32_t n;
        if (!imap_parse_number(ps, true, &n))
            return false;
        int w = snprintf(a->part + plen, sizeof a->part - plen, "%s%u", plen ? "." : "", n);
        if (w < 0 || (size_t)w >= sizeof a->part - plen)
            return fail(ps, "section number too long");
        plen += (size_t)w;
        if (!imap_parse_char(ps, '.'))
            break;
    }
    buf_puts(label, a->part);
    char word[32];
    bool dot = plen > 0 && ps->p[-1] == '.';
    if (item_name(ps, word, sizeof word) == 0) {
        if (dot)
            return fail(ps, "a section part must not end with a dot");
        a->text = SECT_ALL;
    } else if (strcmp(word, "HEADER") == 0) {
        a->text = SECT_HEADER;
    } else if (strcmp(word, "HEADER.FIELDS") == 0) {
        a->text = SECT_FIELDS;
    } else if (strcmp(word, "HEADER.FIELDS.NOT") == 0) {
        a->text = SECT_FIELDS_NOT;
    } else if (strcmp(word, "TEXT") == 0) {
        a->text = SECT_TEXT;
    } else if (strcmp(word, "MIME") == 0 && plen > 0) {
        a->text = SECT_MIME;
    } else {
        return fail(ps, "unknown section (HEADER, HEADER.FIELDS, TEXT, MIME or part numbers)");
    }
    if (word[0])
        buf_printf(label, "%s%s", plen ? "." : "", word);
    if ((a->text == SECT_FIELDS || a->text == SECT_FIELDS_NOT) && !parse_field_list(ps, a, label))
        return false;
    return imap_parse_char(ps, ']') || fail(ps, "a section must end with ]");
}

static bool parse_body_section(imap_parser_t *ps, imap_fetch_t *f, bool peek)
{
    fetch_att_t *a = add_att(f, FA_SECTION);
    a->peek = peek;
    f->needs_mime = true;
    if (!peek)
        f->sets_seen = true;
    buf_t label = BUF_INIT;
    buf_puts(&label, "BODY[");
    bool ok = parse_section(ps, a, &label);
    buf_puts(&label, "]");
    if (ok && imap_parse_char(ps, '<')) {
        /* RFC 3501 6.4.5: <origin.count>; the response names only the origin. */
        ok = imap_parse_number(ps, false, &a->origin) && imap_parse_char(ps, '.') &&
             imap_parse_number(ps, true, &a->count) && imap_parse_char(ps, '>');
        if (!ok)
            ps->error = "a partial is <origin.count>";
        a->partial = true;
        buf_printf(&label, "<%u>", a->origin);
    }
    a->label = buf_steal(&label, NULL);
    return ok;
}

static bool parse_att(imap_parser_t *ps, imap_fetch_t *f)
{
    char name[32];
    if (item_name(ps, name, sizeof name) == 0)
        return fail(ps, "a FETCH data item was expected");
    if (imap_parse_peek(ps) == '[' && (!strcmp(name, "BODY") || !strcmp(name, "BODY.PEEK"))) {
        ps->p++;
        return parse_body_section(ps, f, strcmp(name, "BODY.PEEK") == 0);
    }
    for (size_t i = 0; i < ARRAY_LEN(simple_atts); i++) {
        if (strcmp(name, simple_atts[i].name) == 0) {
            add_att(f, simple_atts[i].kind);
            return true;
        }
    }
    return fail(ps, "unknown FETCH data item");
}

static bool parse_macro(imap_parser_t *ps, imap_fetch_t *f)
{
    const uint8_t *save = ps->p;
    char name[16];
    item_name(ps, name, sizeof name);
    /* RFC 3501 6.4.5: the macros, which stand alone. */
    static const fetch_kind_t fast[] = {FA_FLAGS, FA_INTERNALDATE, FA_RFC822_SIZE, FA_ENVELOPE,
                                        FA_BODY};
    size_t n = !strcmp(name, "FAST") ? 3 : !strcmp(name, "ALL") ? 4 : !strcmp(name, "FULL") ? 5 : 0;
    if (n == 0) {
        ps->p = save;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        add_att(f, fast[i]);
    return true;
}

bool imap_parse_fetch(imap_parser_t *ps, imap_args_t *a)
{
    if (!imap_parse_sp(ps) || !imap_parse_seqset(ps, &a->set) || !imap_parse_sp(ps))
        return false;
    imap_fetch_t *f = xcalloc(1, sizeof *f);
    a->fetch = f;
    /* RFC 3501 6.4.8: UID FETCH always reports the UID. */
    if (a->uid)
        add_att(f, FA_UID);
    if (imap_parse_char(ps, '(')) {
        do {
            if (!parse_att(ps, f))
                return false;
        } while (imap_parse_char(ps, ' '));
        return imap_parse_char(ps, ')') || fail(ps, "a FETCH list must end with )");
    }
    return parse_macro(ps, f) || parse_att(ps, f);
}

/* --- writing ------------------------------------------------------------ */

/* The header fields of part named (or, with not, not named) in a, then the empty line. */
static void header_fields(const mime_part_t *part, const fetch_att_t *a, bool not, buf_t *out)
{
    for (size_t i = 0; i < part->header.count; i++) {
        const header_field_t *hf = &part->header.fields[i];
        bool named = false;
        for (size_t k = 0; k < a->field_count && !named; k++)
            named = str_casecmp(hf->name, a->fields[k]) == 0;
        if (named != not )
            buf_append(out, part->data + part->offset + hf->offset, hf->length);
    }
    buf_append(out, "\r\n", 2);
}

/* The bytes a section names: *data and *len, or false for NIL (no such part). */
static bool section_bytes(const mime_part_t *root, const fetch_att_t *a, buf_t *tmp,
                          const uint8_t **data, size_t *len)
{
    const mime_part_t *p = mime_part_section(root, a->part);
    if (!p)
        return false;
    if (a->part[0] && a->text != SECT_ALL && a->text != SECT_MIME) {
        /* RFC 3501 6.4.5: HEADER and TEXT after a part number are of an embedded message. */
        if (!mime_part_is(p, "message", "rfc822") || !p->message)
            return false;
        p = p->message;
    }
    switch (a->text) {
    case SECT_ALL:
        *data = a->part[0] ? mime_part_body(p) : p->data;
        *len = a->part[0] ? p->body_len : p->offset + p->header_len + p->body_len;
        return true;
    case SECT_HEADER:
    case SECT_MIME:
        *data = p->data + p->offset;
        *len = p->header_len;
        return true;
    case SECT_TEXT:
        *data = mime_part_body(p);
        *len = p->body_len;
        return true;
    case SECT_FIELDS:
    case SECT_FIELDS_NOT:
        header_fields(p, a, a->text == SECT_FIELDS_NOT, tmp);
        *data = tmp->data;
        *len = tmp->len;
        return true;
    }
    return false;
}

static void write_section(imap_resp_t *r, const mime_part_t *root, const fetch_att_t *a)
{
    buf_t tmp = BUF_INIT;
    const uint8_t *data = NULL;
    size_t len = 0;
    imap_resp_printf(r, "%s ", a->label);
    if (!section_bytes(root, a, &tmp, &data, &len)) {
        imap_resp_printf(r, "NIL");
    } else {
        if (a->partial) {
            size_t from = a->origin < len ? a->origin : len;
            size_t n = len - from < a->count ? len - from : a->count;
            data += from;
            len = n;
        }
        imap_resp_literal(r, data ? data : (const uint8_t *)"", len);
    }
    buf_free(&tmp);
}

static void write_att(imap_server_t *s, imap_resp_t *r, uint32_t i, const store_msg_t *m,
                      const mime_part_t *root, const fetch_att_t *a)
{
    char date[IMAP_DATE_MAX];
    const uint8_t *data = store_msg_data(m);
    switch (a->kind) {
    case FA_FLAGS:
        imap_resp_printf(r, "FLAGS ");
        imap_view_flags(s, i, m, r);
        return;
    case FA_INTERNALDATE:
        imap_resp_printf(r, "INTERNALDATE \"%s\"",
                         imap_date_format(store_msg_internal_date(m), date));
        return;
    case FA_RFC822_SIZE:
        imap_resp_printf(r, "RFC822.SIZE %zu", store_msg_size(m));
        return;
    case FA_ENVELOPE:
        imap_resp_printf(r, "ENVELOPE ");
        imap_write_envelope(r, &root->header);
        return;
    case FA_BODY:
    case FA_BODYSTRUCTURE:
        imap_resp_printf(r, "%s ", a->kind == FA_BODY ? "BODY" : "BODYSTRUCTURE");
        imap_write_body(r, root, a->kind == FA_BODYSTRUCTURE);
        return;
    case FA_UID:
        imap_resp_printf(r, "UID %u", store_msg_uid(m));
        return;
    case FA_RFC822:
        imap_resp_printf(r, "RFC822 ");
        imap_resp_literal(r, data, store_msg_size(m));
        return;
    case FA_RFC822_HEADER:
        imap_resp_printf(r, "RFC822.HEADER ");
        imap_resp_literal(r, data, root->header_len);
        return;
    case FA_RFC822_TEXT:
        imap_resp_printf(r, "RFC822.TEXT ");
        imap_resp_literal(r, mime_part_body(root), root->body_len);
        return;
    case FA_SECTION:
        write_section(r, root, a);
        return;
    }
}

static void fetch_one(imap_server_t *s, const imap_fetch_t *f, uint32_t i, buf_t *out)
{
    const store_msg_t *m = imap_view_msg(s, i);
    bool add_flags = false;
    /* RFC 3501 6.4.5: BODY[...] and RFC822(.TEXT) set \Seen, which FETCH then reports. */
    if (f->sets_seen && !s->view.read_only && !(store_msg_flags(m) & STORE_FLAG_SEEN)) {
        store_flags_change(s->view.folder, store_msg_uid(m), STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL,
                           0);
        m = imap_view_msg(s, i);
        add_flags = true;
        for (size_t k = 0; k < f->count; k++)
            add_flags &= f->atts[k].kind != FA_FLAGS;
    }
    mime_part_t *root = f->needs_mime ? mime_parse(store_msg_data(m), store_msg_size(m)) : NULL;
    imap_resp_t *r = &s->resp;
    imap_resp_reset(r);
    imap_resp_printf(r, "* %u FETCH (", i + 1);
    for (size_t k = 0; k < f->count; k++) {
        if (k)
            imap_resp_printf(r, " ");
        write_att(s, r, i, m, root, &f->atts[k]);
    }
    if (add_flags) {
        imap_resp_printf(r, " FLAGS ");
        imap_view_flags(s, i, m, r);
    }
    imap_resp_printf(r, ")");
    imap_resp_send(s, r, out, "*", "FETCH");
    if (root)
        mime_free(root);
}

void imap_apply_fetch(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    uint32_t *idx;
    size_t n;
    if (!imap_view_resolve(s, &a->set, a->uid, &idx, &n)) {
        imap_result_set(res, "BAD", "Invalid message sequence number: there are %u messages",
                        s->view.count);
        return;
    }
    bool gone = false;
    for (size_t k = 0; k < n; k++) {
        if (imap_view_msg(s, idx[k]))
            fetch_one(s, a->fetch, idx[k], out);
        else
            gone = true;
    }
    free(idx);
    /* RFC 2180 4.1.3: a message another session expunged cannot be fetched any more. */
    if (gone)
        imap_result_set(res, "NO",
                        "[EXPUNGEISSUED] Some of the requested messages no longer exist");
    else
        imap_result_set(res, "OK", "%sFETCH completed", a->uid ? "UID " : "");
}
