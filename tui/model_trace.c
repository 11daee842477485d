/*
 * model_trace: what the model learns from the trace bus. Every event goes
 * into the log (a bounded copy); tcp.* events move a session's connection
 * state; protocol lines join their session's transcript; mailbox.delete and
 * mailbox.expunge record what a mailbox lost; walkthrough.step records the
 * step reached.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "model_private.h"

#define GROW(arr, n, cap, first)                                                                   \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? (cap)*2 : (first);                                                     \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));                                        \
        }                                                                                          \
    } while (0)

static void session_free(tui_session_t *s)
{
    for (size_t i = 0; i < s->nlines; i++)
        free(s->lines[i].text);
    free(s->lines);
    free(s->client);
    free(s->server);
    free(s);
}

void model_trace_clear(tui_model_t *m)
{
    for (size_t i = 0; i < m->nsessions; i++)
        session_free(m->sessions[i]);
    m->nsessions = 0;
    for (size_t i = 0; i < m->nremoved; i++) {
        tui_removed_t *r = &m->removed[i];
        free(r->host);
        free(r->user);
        free(r->folder);
        free(r->message);
    }
    m->nremoved = 0;
    for (size_t i = 0; i < m->nlog; i++)
        trace_event_free_copy(m->log[i]);
    m->nlog = 0;
    m->nshown = 0;
}

void model_notice(void *ctx, const char *line)
{
    tui_model_t *m = ctx;
    GROW(m->notices, m->nnotices, m->capnotices, 8);
    m->notices[m->nnotices++] = xstrdup(line);
}

/* The oldest half goes once the log holds twice what it keeps. */
static void log_trim(tui_model_t *m)
{
    if (m->nlog < 2 * TUI_LOG_KEEP)
        return;
    size_t drop = m->nlog - TUI_LOG_KEEP;
    for (size_t i = 0; i < drop; i++)
        trace_event_free_copy(m->log[i]);
    memmove(m->log, m->log + drop, (m->nlog - drop) * sizeof *m->log);
    m->nlog -= drop;
    model_log_refilter(m);
}

static void log_add(tui_model_t *m, const trace_event_t *ev)
{
    trace_event_t shallow = *ev;
    if (shallow.payload_len > TUI_PAYLOAD_KEEP)
        shallow.payload_len = TUI_PAYLOAD_KEEP;
    GROW(m->log, m->nlog, m->caplog, 1024);
    m->log[m->nlog++] = trace_event_copy(&shallow);
    if (model_log_passes(m, m->log[m->nlog - 1])) {
        GROW(m->shown, m->nshown, m->capshown, 1024);
        m->shown[m->nshown++] = m->nlog - 1;
    }
    log_trim(m);
}

static tui_session_t *session_find(const tui_model_t *m, int64_t id)
{
    /* Recent sessions are the ones spoken about: search from the end. */
    for (size_t i = m->nsessions; i-- > 0;)
        if (m->sessions[i]->id == id)
            return m->sessions[i];
    return NULL;
}

static tui_session_t *session_get(tui_model_t *m, const trace_event_t *ev)
{
    if (ev->session == TRACE_NONE)
        return NULL;
    tui_session_t *s = session_find(m, ev->session);
    if (s)
        return s;
    s = xcalloc(1, sizeof *s);
    s->id = ev->session;
    s->client = xstrdup(ev->from ? ev->from : "?");
    s->server = xstrdup(ev->to ? ev->to : "?");
    s->port = ev->port;
    s->state = TUI_CONN_CONNECTING;
    s->opened = ev->t;
    GROW(m->sessions, m->nsessions, m->capsessions, 16);
    m->sessions[m->nsessions++] = s;
    return s;
}

/* A connection that ended stays ended; the second side's close says nothing new. */
static void session_set_state(tui_session_t *s, tui_conn_state_t to)
{
    switch (s->state) {
    case TUI_CONN_CONNECTING:
    case TUI_CONN_OPEN:
        s->state = to;
        break;
    case TUI_CONN_CLOSED:
    case TUI_CONN_RESET:
    case TUI_CONN_REFUSED:
    case TUI_CONN_TIMEOUT:
        break;
    }
}

static void session_line(tui_model_t *m, tui_session_t *s, const trace_event_t *ev,
                         const char *proto, bool from_client)
{
    if (!s || !ev->line)
        return;
    s->proto = proto;
    GROW(s->lines, s->nlines, s->cap, 16);
    s->lines[s->nlines++] = (tui_line_t){ev->t, from_client, xstrdup(ev->line)};
    m->latest_session = s->id;
}

static void removed_add(tui_model_t *m, const trace_event_t *ev, bool pop3)
{
    GROW(m->removed, m->nremoved, m->capremoved, 8);
    tui_removed_t *r = &m->removed[m->nremoved++];
    r->t = ev->t;
    r->pop3 = pop3;
    r->host = xstrdup(ev->host ? ev->host : "");
    r->user = xstrdup(ev->user ? ev->user : "");
    r->folder = xstrdup(ev->folder ? ev->folder : "INBOX");
    r->message = ev->message ? xstrdup(ev->message) : NULL;
    r->uid = ev->uid;
}

static void step_reached(tui_model_t *m, int64_t step)
{
    m->step_current = step;
    for (size_t i = 0; i < m->nsteps_seen; i++)
        if (m->steps_seen[i] == step)
            return;
    GROW(m->steps_seen, m->nsteps_seen, m->capsteps, 8);
    m->steps_seen[m->nsteps_seen++] = step;
}

static void hear_session(tui_model_t *m, const trace_event_t *ev)
{
    tui_session_t *s = session_get(m, ev);
    if (!s)
        return;
    switch (ev->kind) {
    case TRACE_TCP_ESTABLISHED:
        session_set_state(s, TUI_CONN_OPEN);
        break;
    case TRACE_TCP_CLOSE:
        session_set_state(s, TUI_CONN_CLOSED);
        break;
    case TRACE_TCP_RESET:
        session_set_state(s, TUI_CONN_RESET);
        break;
    case TRACE_TCP_REFUSED:
        session_set_state(s, TUI_CONN_REFUSED);
        break;
    case TRACE_TCP_TIMEOUT:
        session_set_state(s, TUI_CONN_TIMEOUT);
        break;
    case TRACE_SMTP_COMMAND:
    case TRACE_POP3_COMMAND:
    case TRACE_IMAP_COMMAND:
        session_line(m, s, ev,
                     ev->kind == TRACE_SMTP_COMMAND   ? "smtp"
                     : ev->kind == TRACE_POP3_COMMAND ? "pop3"
                                                      : "imap",
                     true);
        break;
    case TRACE_SMTP_REPLY:
    case TRACE_POP3_REPLY:
    case TRACE_IMAP_RESPONSE:
        session_line(m, s, ev,
                     ev->kind == TRACE_SMTP_REPLY   ? "smtp"
                     : ev->kind == TRACE_POP3_REPLY ? "pop3"
                                                    : "imap",
                     false);
        break;
    default:
        break;
    }
}

void model_trace_hear(void *ctx, const trace_event_t *ev)
{
    tui_model_t *m = ctx;
    log_add(m, ev);
    switch (ev->kind) {
    case TRACE_MAILBOX_DELETE:
        removed_add(m, ev, true);
        break;
    case TRACE_MAILBOX_EXPUNGE:
        removed_add(m, ev, false);
        break;
    case TRACE_WALKTHROUGH_STEP:
        step_reached(m, ev->step);
        break;
    default:
        hear_session(m, ev);
        break;
    }
}

size_t tui_model_session_count(const tui_model_t *m)
{
    return m->nsessions;
}

const tui_session_t *tui_model_session_at(const tui_model_t *m, size_t i)
{
    return i < m->nsessions ? m->sessions[i] : NULL;
}

const tui_session_t *tui_model_session_by_id(const tui_model_t *m, int64_t id)
{
    return session_find(m, id);
}

const tui_session_t *tui_model_transcript_session(const tui_model_t *m)
{
    const tui_session_t *s = NULL;
    if (m->selected_session)
        s = session_find(m, m->selected_session);
    if (!s && m->latest_session)
        s = session_find(m, m->latest_session);
    return s;
}

void tui_model_select_session(tui_model_t *m, int64_t id)
{
    m->selected_session = id;
}

int64_t tui_model_selected_session(const tui_model_t *m)
{
    return m->selected_session;
}

size_t tui_model_removed_count(const tui_model_t *m)
{
    return m->nremoved;
}

const tui_removed_t *tui_model_removed_at(const tui_model_t *m, size_t i)
{
    return i < m->nremoved ? &m->removed[i] : NULL;
}
