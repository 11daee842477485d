/*
 * view_store: the queues and the mailboxes, read from the world: each
 * server's queue entries with their attempts and countdowns; each store's
 * users, folders and messages with their flags, and what POP3 removed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/header.h"
#include "node/agent.h"
#include "node/server.h"
#include "text.h"
#include "view.h"

/* Messages listed per folder: the most recent ones. */
#define MESSAGES_SHOWN 30

void tui_view_countdown(const tui_model_t *m, bool in_flight, sim_time_t next, buf_t *out)
{
    const char *lang = tui_model_lang(m);
    sim_time_t left = next - tui_model_now(m);
    if (in_flight) {
        buf_puts(out, tui_text(TUI_T_QUEUE_SENDING, lang));
        return;
    }
    if (left <= 0) {
        buf_puts(out, tui_text(TUI_T_QUEUE_DUE, lang));
        return;
    }
    /* Whole seconds once a second or more is left: a countdown, not a clock. */
    if (left >= SIM_SEC)
        left = (left + SIM_SEC - 1) / SIM_SEC * SIM_SEC;
    char d[40];
    buf_printf(out, "%s %s", tui_text(TUI_T_QUEUE_NEXT_IN, lang),
               duration_format(left, d, sizeof d));
}

void tui_view_queues(const tui_model_t *m, tui_rows_t *out)
{
    const char *lang = tui_model_lang(m);
    world_t *w = tui_model_world(m);
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < world_server_count(w); i++) {
        mail_server_t *s = world_server_at(w, i);
        size_t n = server_queue_count(s);
        if (n == 0) {
            tui_rows_add(out, TUI_TONE_HEADING, "%s: %s", server_host_name(s),
                         tui_text(TUI_T_QUEUE_EMPTY, lang));
            continue;
        }
        tui_rows_add(out, TUI_TONE_HEADING, "%s: %zu %s", server_host_name(s), n,
                     tui_text(TUI_T_QUEUE_WAITING, lang));
        queue_view_t q;
        for (size_t j = 0; server_queue_at(s, j, &q); j++) {
            buf_reset(&b);
            tui_view_countdown(m, q.in_flight, q.next_attempt, &b);
            tui_row_t *row = tui_rows_add(out, TUI_TONE_NORMAL, " %s > %s", q.message, q.recipient);
            row->ref = (tui_ref_t){TUI_REF_QUEUE, i, j, 0, 0};
            if (q.last_code)
                buf_printf(&b, ", %s %d", tui_text(TUI_T_QUEUE_LAST, lang), q.last_code);
            if (q.last_error && *q.last_error)
                buf_printf(&b, "%s %s", q.last_code ? "" : ",", q.last_error);
            row = tui_rows_add(out, TUI_TONE_DIM, "   %s %u, %s", tui_text(TUI_T_QUEUE_TRY, lang),
                               q.attempts, buf_cstr(&b));
            row->ref = (tui_ref_t){TUI_REF_QUEUE, i, j, 0, 0};
        }
    }
    buf_free(&b);
}

size_t tui_view_store_count(const tui_model_t *m)
{
    world_t *w = tui_model_world(m);
    size_t n = world_server_count(w);
    for (size_t i = 0; i < world_agent_count(w); i++)
        if (agent_local_store(world_agent_at(w, i)))
            n++;
    return n;
}

store_t *tui_view_store_at(const tui_model_t *m, size_t i, const char **host)
{
    world_t *w = tui_model_world(m);
    if (i < world_server_count(w)) {
        *host = server_host_name(world_server_at(w, i));
        return server_store(world_server_at(w, i));
    }
    i -= world_server_count(w);
    for (size_t a = 0; a < world_agent_count(w); a++) {
        user_agent_t *ua = world_agent_at(w, a);
        if (!agent_local_store(ua))
            continue;
        if (i-- == 0) {
            *host = agent_host_name(ua);
            return agent_local_store(ua);
        }
    }
    return NULL;
}

/* The Subject with RFC 2047 words decoded, into out. */
static void message_subject(const store_msg_t *msg, buf_t *out)
{
    header_t h;
    header_init(&h);
    header_parse(store_msg_data(msg), store_msg_size(msg), &h);
    if (!header_get_decoded(&h, "Subject", out))
        buf_puts(out, "-");
    header_free(&h);
}

static void view_message(const store_msg_t *msg, size_t store, size_t user, size_t folder,
                         tui_rows_t *out)
{
    buf_t flags = BUF_INIT, subject = BUF_INIT;
    store_flags_format(&flags, store_msg_flags(msg));
    message_subject(msg, &subject);
    const char *label = store_msg_label(msg);
    tui_row_t *row =
        tui_rows_add(out, TUI_TONE_NORMAL, "   %" PRIu32 " %s%s%s %zuB \"%s\"", store_msg_uid(msg),
                     label ? label : "", label ? " " : "", flags.len ? buf_cstr(&flags) : "-",
                     store_msg_size(msg), buf_cstr(&subject));
    row->ref = (tui_ref_t){TUI_REF_MESSAGE, store, user, folder, store_msg_uid(msg)};
    buf_free(&flags);
    buf_free(&subject);
}

/* A folder's line: "  INBOX: 1 message", or after its user's name when prefix is given. */
static void view_folder(const tui_model_t *m, const char *prefix, store_folder_t *f, size_t store,
                        size_t user, size_t folder, tui_rows_t *out)
{
    const char *lang = tui_model_lang(m);
    uint32_t n = store_folder_msg_count(f);
    if (n == 0) {
        tui_rows_add(out, TUI_TONE_NORMAL, "%s%s: %s", prefix, store_folder_name(f),
                     tui_text(TUI_T_MAILBOX_EMPTY, lang));
        return;
    }
    tui_rows_add(out, TUI_TONE_NORMAL, "%s%s: %" PRIu32 " %s", prefix, store_folder_name(f), n,
                 tui_text(n == 1 ? TUI_T_MESSAGE : TUI_T_MESSAGES, lang));
    uint32_t first = n > MESSAGES_SHOWN ? n - MESSAGES_SHOWN + 1 : 1;
    if (first > 1)
        tui_rows_add(out, TUI_TONE_DIM, "   ... %" PRIu32, first - 1);
    for (uint32_t seq = first; seq <= n; seq++)
        view_message(store_msg_by_seq(f, seq), store, user, folder, out);
}

static void view_removed(const tui_model_t *m, const char *host, const char *user, tui_rows_t *out)
{
    char clock[32];
    for (size_t i = 0; i < tui_model_removed_count(m); i++) {
        const tui_removed_t *r = tui_model_removed_at(m, i);
        if (strcmp(r->host, host) != 0 || str_casecmp(r->user, user) != 0)
            continue;
        tui_rows_add(out, TUI_TONE_DIM, "  %s: %s %" PRId64 "%s%s%s %s",
                     tui_text(r->pop3 ? TUI_T_REMOVED_POP3 : TUI_T_REMOVED_IMAP, tui_model_lang(m)),
                     r->folder, r->uid, r->message ? " (" : "", r->message ? r->message : "",
                     r->message ? ")" : "", clock_format(r->t, clock, sizeof clock));
    }
}

void tui_view_mailboxes(const tui_model_t *m, tui_rows_t *out)
{
    world_t *w = tui_model_world(m);
    for (size_t si = 0; si < tui_view_store_count(m); si++) {
        const char *host = NULL;
        store_t *st = tui_view_store_at(m, si, &host);
        if (si < world_server_count(w))
            tui_rows_add(out, TUI_TONE_HEADING, "%s", host);
        else
            tui_rows_add(out, TUI_TONE_HEADING, "%s (%s)", host,
                         tui_text(TUI_T_FETCHED, tui_model_lang(m)));
        for (size_t ui = 0; ui < store_user_count(st); ui++) {
            store_user_t *u = store_user_at(st, ui);
            const char *display = store_user_display_name(u);
            char *name = strcmp(display, store_user_name(u)) != 0
                             ? xasprintf(" %s (%s)", store_user_name(u), display)
                             : xasprintf(" %s", store_user_name(u));
            /* One folder (a POP3 user's INBOX) shares its user's line. */
            if (store_folder_count(u) == 1) {
                char *prefix = xasprintf("%s ", name);
                view_folder(m, prefix, store_folder_at(u, 0), si, ui, 0, out);
                free(prefix);
            } else {
                tui_rows_add(out, TUI_TONE_NORMAL, "%s", name);
                for (size_t fi = 0; fi < store_folder_count(u); fi++)
                    view_folder(m, "  ", store_folder_at(u, fi), si, ui, fi, out);
            }
            free(name);
            view_removed(m, host, store_user_name(u), out);
        }
    }
}
