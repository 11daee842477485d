/*
 * model_log: the event log's filter (by host, by kind, by words) and the
 * one-line summary of an event that the log pane shows and words match.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "model_private.h"
#include "net/net.h"
#include "text.h"

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void model_filter_free(tui_filter_t *f)
{
    free(f->text);
    strv_free(f->hosts, f->nhosts);
    strv_free(f->kinds, f->nkinds);
    strv_free(f->no_kinds, f->nno_kinds);
    strv_free(f->words, f->nwords);
    memset(f, 0, sizeof *f);
}

static void strv_push(char ***v, size_t *n, const char *s, size_t len)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = xstrndup(s, len);
}

static bool is_segment(trace_kind_t k)
{
    return k == TRACE_TCP_SEGMENT || k == TRACE_TCP_DROP || k == TRACE_TCP_RETRANSMIT;
}

static bool prefix_ci(const char *s, const char *prefix)
{
    return s && str_has_prefix_ci(s, prefix);
}

static bool kind_in(trace_kind_t kind, char *const *prefixes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (prefix_ci(trace_kind_name(kind), prefixes[i]))
            return true;
    return false;
}

/* Case-insensitive (ASCII) substring search. */
static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (str_ncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

bool model_log_passes(const tui_model_t *m, const trace_event_t *ev)
{
    const tui_filter_t *f = &m->filter;
    if (m->hide_segments && is_segment(ev->kind))
        return false;
    if (f->nkinds && !kind_in(ev->kind, f->kinds, f->nkinds))
        return false;
    if (f->nno_kinds && kind_in(ev->kind, f->no_kinds, f->nno_kinds))
        return false;
    bool host_ok = f->nhosts == 0;
    for (size_t i = 0; i < f->nhosts && !host_ok; i++)
        host_ok = prefix_ci(ev->host, f->hosts[i]) || prefix_ci(ev->from, f->hosts[i]) ||
                  prefix_ci(ev->to, f->hosts[i]);
    if (!host_ok)
        return false;
    if (f->nwords == 0)
        return true;
    buf_t line = BUF_INIT;
    tui_model_event_summary(m, ev, &line);
    bool ok = true;
    for (size_t i = 0; i < f->nwords && ok; i++)
        ok = contains_ci(buf_cstr(&line), f->words[i]);
    buf_free(&line);
    return ok;
}

void model_log_refilter(tui_model_t *m)
{
    m->nshown = 0;
    if (m->capshown < m->nlog) {
        m->capshown = m->nlog;
        m->shown = xrealloc(m->shown, m->capshown * sizeof *m->shown);
    }
    for (size_t i = 0; i < m->nlog; i++)
        if (model_log_passes(m, m->log[i]))
            m->shown[m->nshown++] = i;
}

static bool some_kind_starts(const char *prefix, size_t len)
{
    for (int k = 0; k < TRACE_KIND_COUNT; k++)
        if (str_ncasecmp(trace_kind_name((trace_kind_t)k), prefix, len) == 0)
            return true;
    return false;
}

static bool some_host_starts(const tui_model_t *m, const char *prefix, size_t len)
{
    net_t *net = world_net(m->w);
    for (size_t i = 0; i < net_host_count(net); i++)
        if (str_ncasecmp(host_name(net_host_at(net, i)), prefix, len) == 0)
            return true;
    return false;
}

/* kind=a,b: each name must begin some kind. */
static bool parse_kinds(const char *v, size_t len, char ***out, size_t *n, char *err, size_t errlen)
{
    while (len > 0) {
        size_t one = 0;
        while (one < len && v[one] != ',')
            one++;
        if (one == 0 || !some_kind_starts(v, one)) {
            snprintf(err, errlen,
                     "no event kind starts with \"%.*s\" (smtp, tcp.segment, queue...)", (int)one,
                     v);
            return false;
        }
        strv_push(out, n, v, one);
        v += one;
        len -= one;
        if (len > 0) {
            v++;
            len--;
        }
    }
    return true;
}

static bool parse_word(const tui_model_t *m, tui_filter_t *f, const char *w, size_t len, char *err,
                       size_t errlen)
{
    if (len > 5 && str_ncasecmp(w, "host=", 5) == 0) {
        if (!some_host_starts(m, w + 5, len - 5)) {
            snprintf(err, errlen, "no host is named \"%.*s\"", (int)(len - 5), w + 5);
            return false;
        }
        strv_push(&f->hosts, &f->nhosts, w + 5, len - 5);
        return true;
    }
    if (len > 5 && str_ncasecmp(w, "kind=", 5) == 0)
        return parse_kinds(w + 5, len - 5, &f->kinds, &f->nkinds, err, errlen);
    if (len > 6 && str_ncasecmp(w, "-kind=", 6) == 0)
        return parse_kinds(w + 6, len - 6, &f->no_kinds, &f->nno_kinds, err, errlen);
    strv_push(&f->words, &f->nwords, w, len);
    return true;
}

bool tui_model_set_filter(tui_model_t *m, const char *text, char *err, size_t errlen)
{
    tui_filter_t f = {0};
    f.text = xstrdup(text ? text : "");
    const char *p = f.text;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len && !parse_word(m, &f, p, len, err, errlen)) {
            model_filter_free(&f);
            return false;
        }
        p += len;
    }
    model_filter_free(&m->filter);
    m->filter = f;
    model_log_refilter(m);
    return true;
}

const char *tui_model_filter(const tui_model_t *m)
{
    return m->filter.text ? m->filter.text : "";
}

void tui_model_set_hide_segments(tui_model_t *m, bool hide)
{
    m->hide_segments = hide;
    model_log_refilter(m);
}

bool tui_model_hide_segments(const tui_model_t *m)
{
    return m->hide_segments;
}

size_t tui_model_log_count(const tui_model_t *m)
{
    return m->nshown;
}

const trace_event_t *tui_model_log_at(const tui_model_t *m, size_t i)
{
    return i < m->nshown ? m->log[m->shown[i]] : NULL;
}

size_t tui_model_log_total(const tui_model_t *m)
{
    return m->nlog;
}

/* ---- summaries ------------------------------------------------------------ */

static void put_num(buf_t *out, const char *name, int64_t v)
{
    if (v != TRACE_NONE)
        buf_printf(out, " %s=%" PRId64, name, v);
}

static void put_str(buf_t *out, const char *name, const char *v)
{
    if (v)
        buf_printf(out, " %s=%s", name, v);
}

static void summary_tcp(const trace_event_t *ev, buf_t *out)
{
    buf_printf(out, " %s > %s:%" PRId64, ev->from ? ev->from : "?", ev->to ? ev->to : "?",
               ev->port == TRACE_NONE ? 0 : ev->port);
    if (ev->flags)
        buf_printf(out, " [%s]", ev->flags);
    put_num(out, "seq", ev->seq);
    put_num(out, "ack", ev->ack);
    put_num(out, "len", ev->len);
    if (ev->text)
        buf_printf(out, " %s", ev->text);
}

static void summary_fields(const trace_event_t *ev, buf_t *out)
{
    put_str(out, "message", ev->message);
    put_str(out, "to", ev->recipient);
    put_str(out, "user", ev->user);
    put_str(out, "folder", ev->folder);
    put_num(out, "uid", ev->uid);
    put_num(out, "attempt", ev->attempt);
    put_num(out, "code", ev->code);
    put_str(out, "name", ev->name);
    put_str(out, "type", ev->type);
    if (ev->line)
        buf_printf(out, " | %s", ev->line);
    if (ev->text)
        buf_printf(out, " | %s", ev->text);
}

void tui_model_event_summary(const tui_model_t *m, const trace_event_t *ev, buf_t *out)
{
    char clock[32];
    clock_format(ev->t, clock, sizeof clock);
    buf_printf(out, "%s %s %s", clock, ev->host ? ev->host : "-", trace_kind_name(ev->kind));
    switch (ev->kind) {
    case TRACE_TCP_CONNECT:
    case TRACE_TCP_ESTABLISHED:
    case TRACE_TCP_REFUSED:
    case TRACE_TCP_TIMEOUT:
    case TRACE_TCP_CLOSE:
    case TRACE_TCP_RESET:
    case TRACE_TCP_SEGMENT:
    case TRACE_TCP_DROP:
    case TRACE_TCP_RETRANSMIT:
        summary_tcp(ev, out);
        break;
    case TRACE_SMTP_COMMAND:
    case TRACE_POP3_COMMAND:
    case TRACE_IMAP_COMMAND:
        buf_printf(out, " C: %s", ev->line ? ev->line : "");
        break;
    case TRACE_SMTP_REPLY:
    case TRACE_POP3_REPLY:
    case TRACE_IMAP_RESPONSE:
        buf_printf(out, " S: %s", ev->line ? ev->line : "");
        break;
    case TRACE_WALKTHROUGH_STEP: {
        const char *say = tui_model_step_text(m, ev->step);
        buf_printf(out, " %s %" PRId64 ": %s", tui_text(TUI_T_STEP, m->lang), ev->step,
                   say ? say : (ev->text ? ev->text : ""));
        break;
    }
    default:
        summary_fields(ev, out);
        break;
    }
}
