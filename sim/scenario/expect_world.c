/*
 * expect_world: judging the checks that read the world when they are judged:
 * the messages in a user's folder (mailbox) and the rows of a server's queue
 * (queue). A mailbox check that finds too few also says where the mail is:
 * still queued somewhere, bounced, or removed from the folder.
 */
#include <inttypes.h>
#include <string.h>

#include "core/util.h"
#include "mail/address.h"
#include "mail/codec.h"
#include "mail/header.h"
#include "mail/mime.h"
#include "node/server.h"
#include "scenario/expect_private.h"

/* ---- mailbox filters ---------------------------------------------------- */

static bool subject_is(const header_t *h, const char *want)
{
    buf_t b = BUF_INIT;
    header_get_decoded(h, "Subject", &b); /* absent: the empty subject */
    bool ok = strcmp(buf_cstr(&b), want) == 0;
    buf_free(&b);
    return ok;
}

static bool from_is(const header_t *h, const char *want)
{
    const header_field_t *f = header_find(h, "From");
    if (!f)
        return false;
    addr_list_t list;
    addr_list_init(&list);
    addr_list_parse(f->value, f->value_len, &list);
    bool ok = false;
    for (size_t i = 0; i < list.count && !ok; i++)
        ok = list.items[i].kind == ADDR_MAILBOX && list.items[i].address &&
             str_casecmp(list.items[i].address, want) == 0;
    addr_list_free(&list);
    return ok;
}

/* Any field of that name (in any case) whose decoded value is want. */
static bool header_is(const header_t *h, const scenario_header_t *want)
{
    buf_t b = BUF_INIT;
    bool ok = false;
    for (size_t i = header_index(h, want->name, 0); i != HEADER_NONE && !ok;
         i = header_index(h, want->name, i + 1)) {
        buf_reset(&b);
        codec_words_decode(h->fields[i].value, h->fields[i].value_len, &b);
        ok = b.len == strlen(want->value) && memcmp(buf_cstr(&b), want->value, b.len) == 0;
    }
    buf_free(&b);
    return ok;
}

static bool bytes_contain(const buf_t *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return true;
    for (size_t i = 0; i + n <= hay->len; i++)
        if (hay->data[i] == (uint8_t)needle[0] && memcmp(hay->data + i, needle, n) == 0)
            return true;
    return false;
}

/* Within the decoded text of any text part, attached messages' parts included. */
static bool part_contains(const mime_part_t *p, const char *needle)
{
    for (size_t i = 0; i < p->child_count; i++)
        if (part_contains(p->children[i], needle))
            return true;
    if (p->message)
        return part_contains(p->message, needle);
    if (p->child_count || !mime_part_is(p, "text", NULL))
        return false;
    buf_t text = BUF_INIT;
    mime_part_text(p, &text);
    bool ok = bytes_contain(&text, needle);
    buf_free(&text);
    return ok;
}

static bool header_filters_hold(const scenario_mailbox_check_t *mc, const header_t *h)
{
    if (mc->subject && !subject_is(h, mc->subject))
        return false;
    if (mc->from && !from_is(h, mc->from))
        return false;
    for (size_t i = 0; i < mc->nheaders; i++)
        if (!header_is(h, &mc->headers[i]))
            return false;
    return true;
}

/* The cheap filters first: the label needs no parsing, the body the most. */
static bool msg_matches(const scenario_mailbox_check_t *mc, const store_msg_t *m)
{
    if (mc->message) {
        const char *label = store_msg_label(m);
        if (!label || strcmp(label, mc->message) != 0)
            return false;
    }
    const uint8_t *data = store_msg_data(m);
    size_t size = store_msg_size(m);
    if (mc->subject || mc->from || mc->nheaders) {
        header_t h;
        header_init(&h);
        header_parse(data, size, &h);
        bool ok = header_filters_hold(mc, &h);
        header_free(&h);
        if (!ok)
            return false;
    }
    if (mc->body_contains) {
        mime_part_t *root = mime_parse(data, size);
        bool ok = part_contains(root, mc->body_contains);
        mime_free(root);
        return ok;
    }
    return true;
}

static bool has_filters(const scenario_mailbox_check_t *mc)
{
    return mc->subject || mc->from || mc->message || mc->nheaders || mc->body_contains;
}

/* ' with subject "Γεια σου", From alice@alice.example, body containing "x"'. */
static void put_mail_filters(const scenario_mailbox_check_t *mc, buf_t *out)
{
    const char *sep = " with ";
    if (mc->subject) {
        buf_printf(out, "%ssubject ", sep);
        expect_put_quoted(mc->subject, out);
        sep = ", ";
    }
    if (mc->from) {
        buf_printf(out, "%sFrom %s", sep, mc->from);
        sep = ", ";
    }
    if (mc->message) {
        buf_printf(out, "%smessage ", sep);
        expect_put_quoted(mc->message, out);
        sep = ", ";
    }
    for (size_t i = 0; i < mc->nheaders; i++) {
        buf_printf(out, "%sheader %s ", sep, mc->headers[i].name);
        expect_put_quoted(mc->headers[i].value, out);
        sep = ", ";
    }
    if (mc->body_contains) {
        buf_printf(out, "%sbody containing ", sep);
        expect_put_quoted(mc->body_contains, out);
    }
}

/* ---- where the mail is -------------------------------------------------- */

static const char *local_part(const char *address, size_t *len)
{
    const char *at = strrchr(address, '@');
    *len = at ? (size_t)(at - address) : strlen(address);
    return address;
}

bool expect_mail_concerns(const expect_item_t *it, const trace_event_t *ev)
{
    const scenario_mailbox_check_t *mc = &it->spec->u.mailbox;
    if (mc->message && (!ev->message || strcmp(ev->message, mc->message) != 0))
        return false;
    if (ev->kind == TRACE_QUEUE_BOUNCE)
        return ev->recipient && str_casecmp(ev->recipient, mc->user) == 0;
    /* mailbox.delete, mailbox.expunge: the store names its user without the domain. */
    if (!ev->user || !ev->folder || !ev->host || str_casecmp(ev->folder, mc->folder) != 0)
        return false;
    size_t n;
    const char *local = local_part(mc->user, &n);
    bool same_user = str_casecmp(ev->user, mc->user) == 0 ||
                     (strlen(ev->user) == n && str_ncasecmp(ev->user, local, n) == 0);
    if (!same_user)
        return false;
    mail_server_t *s = world_server_for_domain(it->engine->w, mc->user);
    return s && str_casecmp(server_host_name(s), ev->host) == 0;
}

/* "next attempt at 1h30m (attempt 2, last error: 421 ...)". */
static void put_row_state(const queue_view_t *v, buf_t *out)
{
    if (v->in_flight) {
        buf_puts(out, "being tried now");
    } else {
        buf_puts(out, "next attempt at ");
        expect_put_time(v->next_attempt, out);
    }
    if (v->attempts == 0) {
        buf_puts(out, " (not tried yet)");
        return;
    }
    buf_printf(out, " (attempt %u", v->attempts);
    if (v->last_error && *v->last_error)
        buf_printf(out, ", last error: %s", v->last_error);
    buf_putc(out, ')');
}

static bool row_is_for(const scenario_mailbox_check_t *mc, const queue_view_t *v)
{
    if (!v->recipient || str_casecmp(v->recipient, mc->user) != 0)
        return false;
    return !mc->message || (v->message && strcmp(v->message, mc->message) == 0);
}

/* "; it is still queued at HOST, next attempt at ..." for the first row found. */
static bool put_queued(const expect_item_t *it, buf_t *out)
{
    world_t *w = it->engine->w;
    for (size_t i = 0; i < world_server_count(w); i++) {
        mail_server_t *s = world_server_at(w, i);
        queue_view_t v;
        for (size_t r = 0; server_queue_at(s, r, &v); r++) {
            if (!row_is_for(&it->spec->u.mailbox, &v))
                continue;
            buf_printf(out, "; it is still queued at %s, ", server_host_name(s));
            put_row_state(&v, out);
            return true;
        }
    }
    return false;
}

static bool put_bounced(const expect_item_t *it, buf_t *out)
{
    const trace_event_t *b = it->note.bounce;
    if (!b)
        return false;
    buf_printf(out, "; it bounced at %s at ", b->host ? b->host : "a server");
    expect_put_time(b->t, out);
    if (b->text)
        buf_printf(out, " (%s)", b->text);
    buf_puts(out, " and a bounce went back to the sender");
    return true;
}

static void put_whereabouts(const expect_item_t *it, uint64_t found, uint64_t total, buf_t *out)
{
    const scenario_mailbox_check_t *mc = &it->spec->u.mailbox;
    bool said = false;
    if (has_filters(mc) && total > found) {
        uint64_t other = total - found;
        buf_printf(out, "; %" PRIu64 " other %s there %s not match", other,
                   expect_noun(other, "message", "messages"), other == 1 ? "does" : "do");
        said = true;
    }
    if (put_queued(it, out))
        said = true;
    else if (put_bounced(it, out))
        said = true;
    if (it->note.removed) {
        buf_printf(out, "; %" PRIu64 " %s removed from that folder, the first at ",
                   it->note.removed, it->note.removed == 1 ? "message was" : "messages were");
        expect_put_time(it->note.first_removed, out);
        said = true;
    }
    if (!said)
        buf_puts(out, "; it is not queued at any server and no bounce for it was seen");
}

/* ---- mailbox ------------------------------------------------------------ */

/* The user's folder, or NULL with the reason why in out. */
static store_folder_t *find_folder(const expect_item_t *it, buf_t *why)
{
    const scenario_mailbox_check_t *mc = &it->spec->u.mailbox;
    mail_server_t *s = world_server_for_domain(it->engine->w, mc->user);
    if (!s) {
        const char *at = strrchr(mc->user, '@');
        buf_printf(why, "; no server hosts %s", at ? at + 1 : mc->user);
        return NULL;
    }
    store_user_t *u = store_find_user(server_store(s), mc->user);
    if (!u) {
        buf_printf(why, "; %s has no user %s", server_host_name(s), mc->user);
        return NULL;
    }
    store_folder_t *f = store_folder_find(u, mc->folder);
    if (!f || !store_folder_exists(f) || !store_folder_selectable(f)) {
        buf_printf(why, "; %s has no folder %s", mc->user, mc->folder);
        return NULL;
    }
    return f;
}

bool expect_judge_mailbox(expect_item_t *it, buf_t *out)
{
    const scenario_mailbox_check_t *mc = &it->spec->u.mailbox;
    const scenario_count_t *c = &it->spec->count;
    buf_t why = BUF_INIT;
    store_folder_t *f = find_folder(it, &why);
    uint64_t found = 0, total = f ? store_folder_msg_count(f) : 0;
    for (uint32_t seq = 1; seq <= total; seq++)
        if (msg_matches(mc, store_msg_by_seq(f, seq)))
            found++;
    bool passed = expect_count_holds(c, found);
    if (passed) {
        buf_printf(out, "found %" PRIu64 " %s in %s %s", found,
                   expect_noun(found, "message", "messages"), mc->user, mc->folder);
        put_mail_filters(mc, out);
        expect_put_by(it, out);
        buf_putc(out, ' ');
        expect_put_want_range(c, out);
    } else {
        buf_puts(out, "expected ");
        bool plural = expect_put_want(c, out);
        buf_printf(out, " %s in %s %s", plural ? "messages" : "message", mc->user, mc->folder);
        put_mail_filters(mc, out);
        expect_put_by(it, out);
        buf_printf(out, ", found %" PRIu64, found);
    }
    buf_append(out, why.data, why.len);
    buf_free(&why);
    if (!passed && found < (uint64_t)c->min)
        put_whereabouts(it, found, total, out);
    return passed;
}

/* ---- queue -------------------------------------------------------------- */

static bool queue_row_matches(const scenario_queue_check_t *qc, const queue_view_t *v)
{
    if (qc->message && (!v->message || strcmp(v->message, qc->message) != 0))
        return false;
    return !qc->recipient || (v->recipient && str_casecmp(v->recipient, qc->recipient) == 0);
}

/* "queue entries for roberto@roberto.example of message "m1" at mail.alice.example". */
static void put_queue_noun(const scenario_queue_check_t *qc, bool plural, buf_t *out)
{
    buf_puts(out, plural ? "queue entries" : "queue entry");
    if (qc->recipient)
        buf_printf(out, " for %s", qc->recipient);
    if (qc->message) {
        buf_puts(out, " of message ");
        expect_put_quoted(qc->message, out);
    }
    buf_printf(out, " at %s", qc->host);
}

bool expect_judge_queue(expect_item_t *it, buf_t *out)
{
    const scenario_queue_check_t *qc = &it->spec->u.queue;
    const scenario_count_t *c = &it->spec->count;
    mail_server_t *s = world_server_by_host(it->engine->w, qc->host);
    uint64_t found = 0;
    queue_view_t first = {0}, v;
    for (size_t r = 0; s && server_queue_at(s, r, &v); r++) {
        if (!queue_row_matches(qc, &v))
            continue;
        if (found++ == 0)
            first = v;
    }
    bool passed = expect_count_holds(c, found);
    if (passed) {
        buf_printf(out, "found %" PRIu64 " ", found);
        put_queue_noun(qc, found != 1, out);
        expect_put_by(it, out);
        buf_putc(out, ' ');
        expect_put_want_range(c, out);
    } else {
        buf_puts(out, "expected ");
        bool plural = expect_put_want(c, out);
        buf_putc(out, ' ');
        put_queue_noun(qc, plural, out);
        expect_put_by(it, out);
        buf_printf(out, ", found %" PRIu64, found);
        if (found) {
            buf_printf(out, ": %s for %s, ", first.message ? first.message : "a message",
                       first.recipient ? first.recipient : "someone");
            put_row_state(&first, out);
            if (found > 1)
                buf_printf(out, ", and %" PRIu64 " more", found - 1);
        }
    }
    if (!s)
        buf_printf(out, "; there is no server %s", qc->host);
    return passed;
}
