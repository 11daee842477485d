/*
 * view: rows, and the views of the network, the transcript, the log and
 * the narration (queues and mailboxes are in view_store.c).
 */
#include "view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "core/util.h"
#include "net/net.h"
#include "node/agent.h"
#include "node/server.h"
#include "text.h"

void tui_rows_init(tui_rows_t *r)
{
    memset(r, 0, sizeof *r);
}

void tui_rows_reset(tui_rows_t *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->items[i].text);
    r->count = 0;
}

void tui_rows_free(tui_rows_t *r)
{
    tui_rows_reset(r);
    free(r->items);
    tui_rows_init(r);
}

tui_row_t *tui_rows_add(tui_rows_t *r, tui_tone_t tone, const char *fmt, ...)
{
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->items = xrealloc(r->items, r->cap * sizeof *r->items);
    }
    buf_t b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    tui_row_t *row = &r->items[r->count++];
    row->text = buf_steal(&b, NULL);
    if (!row->text)
        row->text = xstrdup("");
    row->tone = tone;
    row->ref = (tui_ref_t){TUI_REF_NONE, 0, 0, 0, 0};
    return row;
}

const char *tui_view_service(int64_t port, char *buf, size_t n)
{
    switch (port) {
    case 25:
        return "SMTP";
    case 587:
        return "submission";
    case 110:
        return "POP3";
    case 143:
        return "IMAP";
    default:
        snprintf(buf, n, "port %" PRId64, port);
        return buf;
    }
}

static tui_text_id_t conn_state_text(tui_conn_state_t s)
{
    switch (s) {
    case TUI_CONN_CONNECTING:
        return TUI_T_CONN_CONNECTING;
    case TUI_CONN_OPEN:
        return TUI_T_CONN_OPEN;
    case TUI_CONN_CLOSED:
        return TUI_T_CONN_CLOSED;
    case TUI_CONN_RESET:
        return TUI_T_CONN_RESET;
    case TUI_CONN_REFUSED:
        return TUI_T_CONN_REFUSED;
    case TUI_CONN_TIMEOUT:
        return TUI_T_CONN_TIMEOUT;
    }
    return TUI_T_CONN_CLOSED;
}

static tui_tone_t conn_tone(tui_conn_state_t s)
{
    switch (s) {
    case TUI_CONN_CONNECTING:
        return TUI_TONE_NORMAL;
    case TUI_CONN_OPEN:
        return TUI_TONE_GOOD;
    case TUI_CONN_CLOSED:
        return TUI_TONE_DIM;
    case TUI_CONN_RESET:
    case TUI_CONN_REFUSED:
    case TUI_CONN_TIMEOUT:
        return TUI_TONE_BAD;
    }
    return TUI_TONE_NORMAL;
}

static bool conn_is_open(tui_conn_state_t s)
{
    return s == TUI_CONN_CONNECTING || s == TUI_CONN_OPEN;
}

/* Closed connections shown below the open ones, most recent first. */
#define CLOSED_SHOWN 8

static void view_connection(const tui_model_t *m, const tui_session_t *s, tui_rows_t *out)
{
    char port[24];
    /* Service and state first: they still show when a narrow pane clips the row. */
    tui_row_t *row =
        tui_rows_add(out, conn_tone(s->state), " #%" PRId64 " %s %s: %s > %s", s->id,
                     tui_view_service(s->port, port, sizeof port),
                     tui_text(conn_state_text(s->state), tui_model_lang(m)), s->client, s->server);
    row->ref = (tui_ref_t){TUI_REF_SESSION, 0, 0, 0, s->id};
}

void tui_view_network(const tui_model_t *m, tui_rows_t *out)
{
    const char *lang = tui_model_lang(m);
    net_t *net = world_net(tui_model_world(m));
    for (size_t i = 0; i < net_host_count(net); i++) {
        host_t *h = net_host_at(net, i);
        char addr[16];
        bool up = host_is_up(h);
        tui_row_t *row = tui_rows_add(out, up ? TUI_TONE_NORMAL : TUI_TONE_BAD, "%-4s %s %s",
                                      tui_text(up ? TUI_T_HOST_UP : TUI_T_HOST_DOWN, lang),
                                      host_name(h), addr_format(host_addr(h), addr, sizeof addr));
        row->ref = (tui_ref_t){TUI_REF_HOST, i, 0, 0, 0};
    }
    tui_rows_add(out, TUI_TONE_HEADING, "%s", tui_text(TUI_T_CONNECTIONS, lang));
    size_t n = tui_model_session_count(m), shown = 0;
    for (size_t i = 0; i < n; i++) {
        const tui_session_t *s = tui_model_session_at(m, i);
        if (conn_is_open(s->state)) {
            view_connection(m, s, out);
            shown++;
        }
    }
    size_t closed = 0;
    for (size_t i = n; i-- > 0 && closed < CLOSED_SHOWN;) {
        const tui_session_t *s = tui_model_session_at(m, i);
        if (!conn_is_open(s->state)) {
            view_connection(m, s, out);
            closed++;
        }
    }
    if (shown + closed == 0)
        tui_rows_add(out, TUI_TONE_DIM, " %s", tui_text(TUI_T_NO_CONNECTIONS, lang));
    if (tui_model_notice_count(m)) {
        tui_rows_add(out, TUI_TONE_HEADING, "%s", tui_text(TUI_T_NOTES, lang));
        for (size_t i = 0; i < tui_model_notice_count(m); i++)
            tui_rows_add(out, TUI_TONE_BAD, " %s", tui_model_notice_at(m, i));
    }
}

void tui_view_transcript(const tui_model_t *m, bool explain, tui_rows_t *out)
{
    const char *lang = tui_model_lang(m);
    const tui_session_t *s = tui_model_transcript_session(m);
    if (!s) {
        tui_rows_add(out, TUI_TONE_DIM, "%s", tui_text(TUI_T_NO_SESSION, lang));
        return;
    }
    char port[24];
    tui_row_t *head = tui_rows_add(
        out, TUI_TONE_HEADING, "#%" PRId64 " %s > %s %s (%s)", s->id, s->client, s->server,
        tui_view_service(s->port, port, sizeof port), tui_text(conn_state_text(s->state), lang));
    head->ref = (tui_ref_t){TUI_REF_SESSION, 0, 0, 0, s->id};
    if (s->nlines == 0)
        tui_rows_add(out, TUI_TONE_DIM, "%s", tui_text(TUI_T_NO_LINES, lang));
    for (size_t i = 0; i < s->nlines; i++) {
        const tui_line_t *l = &s->lines[i];
        tui_row_t *row = tui_rows_add(out, l->from_client ? TUI_TONE_CLIENT : TUI_TONE_SERVER,
                                      "%s %s", l->from_client ? "C:" : "S:", l->text);
        row->ref = (tui_ref_t){TUI_REF_LINE, i, 0, 0, s->id};
        char meaning[300];
        if (explain && !l->from_client &&
            tui_code_explain(s->proto, l->text, lang, meaning, sizeof meaning) == 0)
            tui_rows_add(out, TUI_TONE_DIM, "   = %s", meaning)->ref = row->ref;
    }
}

void tui_view_log(const tui_model_t *m, size_t first, size_t count, tui_rows_t *out)
{
    size_t n = tui_model_log_count(m);
    buf_t line = BUF_INIT;
    for (size_t i = first; i < n && i < first + count; i++) {
        const trace_event_t *ev = tui_model_log_at(m, i);
        buf_reset(&line);
        tui_model_event_summary(m, ev, &line);
        tui_tone_t tone = TUI_TONE_NORMAL;
        if (ev->kind == TRACE_WALKTHROUGH_STEP)
            tone = TUI_TONE_STEP;
        else if (ev->kind == TRACE_TCP_SEGMENT)
            tone = TUI_TONE_DIM;
        else if (ev->kind == TRACE_SMTP_COMMAND || ev->kind == TRACE_POP3_COMMAND ||
                 ev->kind == TRACE_IMAP_COMMAND)
            tone = TUI_TONE_CLIENT;
        else if (ev->kind == TRACE_SMTP_REPLY || ev->kind == TRACE_POP3_REPLY ||
                 ev->kind == TRACE_IMAP_RESPONSE)
            tone = TUI_TONE_SERVER;
        else if (ev->kind == TRACE_TCP_DROP || ev->kind == TRACE_HOST_DOWN ||
                 ev->kind == TRACE_HOST_CRASH || ev->kind == TRACE_QUEUE_BOUNCE ||
                 ev->kind == TRACE_QUEUE_DEFER || ev->kind == TRACE_TCP_RESET ||
                 ev->kind == TRACE_TCP_REFUSED || ev->kind == TRACE_TCP_TIMEOUT)
            tone = TUI_TONE_BAD;
        tui_row_t *row = tui_rows_add(out, tone, "%s", buf_cstr(&line));
        row->ref = (tui_ref_t){TUI_REF_EVENT, i, 0, 0, 0};
    }
    buf_free(&line);
}

void tui_view_narration(const tui_model_t *m, buf_t *out)
{
    const char *lang = tui_model_lang(m);
    int64_t step = tui_model_step_current(m);
    int64_t last = tui_model_step_last(m);
    const char *text = step ? tui_model_step_text(m, step) : NULL;
    if (text) {
        buf_printf(out, "%s %" PRId64 " %s %" PRId64 ": %s", tui_text(TUI_T_STEP, lang), step,
                   tui_text(TUI_T_OF, lang), last, text);
        return;
    }
    const char *title = scenario_text_get(&tui_model_scenario(m)->title, lang);
    buf_printf(out, "%s: %s", title ? title : tui_model_scenario(m)->id,
               tui_text(tui_model_live(m) ? TUI_T_LIVE_START
                        : last            ? TUI_T_START_HINT
                                          : TUI_T_NO_STEPS,
                        lang));
}

char *tui_view_dump(const tui_model_t *m)
{
    buf_t b = BUF_INIT;
    tui_rows_t rows;
    tui_rows_init(&rows);
    char clock[32];
    buf_printf(&b, "time %s events %" PRIu64 "\n",
               clock_format(tui_model_now(m), clock, sizeof clock), tui_model_events(m));
    tui_view_narration(m, &b);
    buf_putc(&b, '\n');
    void (*views[])(const tui_model_t *, tui_rows_t *) = {tui_view_network, tui_view_queues,
                                                          tui_view_mailboxes};
    for (size_t v = 0; v < ARRAY_LEN(views) + 2; v++) {
        tui_rows_reset(&rows);
        if (v < ARRAY_LEN(views))
            views[v](m, &rows);
        else if (v == ARRAY_LEN(views))
            tui_view_transcript(m, true, &rows);
        else
            tui_view_log(m, 0, tui_model_log_count(m), &rows);
        for (size_t i = 0; i < rows.count; i++)
            buf_printf(&b, "%d %s\n", (int)rows.items[i].tone, rows.items[i].text);
        buf_puts(&b, "--\n");
    }
    tui_rows_free(&rows);
    return buf_steal(&b, NULL);
}
