/*
 * inspect: what Enter shows about a row. A message: its source as stored
 * and its MIME tree (RFC 2045-2046); an event: every field, and for a TCP
 * segment its header (RFC 9293 3.1) and the first bytes it carried; a
 * reply line: what its code means; a session: its whole transcript with
 * every reply explained; a queue entry and a host: what is known of them.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codes.h"
#include "core/util.h"
#include "mail/mime.h"
#include "net/net.h"
#include "node/server.h"
#include "text.h"
#include "view.h"

/* Source lines shown at most, so a large attachment cannot flood the screen. */
#define SOURCE_LINES_MAX 2000

static void inspect_source(const uint8_t *data, size_t len, tui_rows_t *out)
{
    size_t lines = 0, start = 0;
    for (size_t i = 0; i <= len && lines < SOURCE_LINES_MAX; i++) {
        if (i < len && data[i] != '\n')
            continue;
        size_t end = i;
        if (end > start && data[end - 1] == '\r')
            end--;
        if (i < len || end > start)
            tui_rows_add(out, TUI_TONE_NORMAL, "%.*s", (int)(end - start),
                         (const char *)data + start);
        start = i + 1;
        lines++;
    }
    if (lines >= SOURCE_LINES_MAX)
        tui_rows_add(out, TUI_TONE_DIM, "...");
}

static void inspect_part(const mime_part_t *p, const char *section, tui_rows_t *out)
{
    const char *name = mime_part_filename(p);
    const char *charset = mime_part_param(p, "charset");
    tui_rows_add(out, TUI_TONE_NORMAL, "%*s%s %s/%s%s%s %s %zu octets%s%s", (int)(2 * p->depth), "",
                 section[0] ? section : "-", p->type, p->subtype, charset ? "; charset=" : "",
                 charset ? charset : "", p->encoding_name, p->body_len, name ? " " : "",
                 name ? name : "");
    if (p->defects) {
        buf_t d = BUF_INIT;
        mime_defects_describe(p->defects, &d);
        tui_rows_add(out, TUI_TONE_BAD, "%*s! %s", (int)(2 * p->depth + 2), "", buf_cstr(&d));
        buf_free(&d);
    }
    for (size_t i = 0; i < p->child_count; i++) {
        char sub[64];
        snprintf(sub, sizeof sub, "%s%s%zu", section, section[0] ? "." : "", i + 1);
        inspect_part(p->children[i], sub, out);
    }
    if (p->message)
        inspect_part(p->message, section, out);
}

static void inspect_message(const tui_model_t *m, const tui_ref_t *ref, tui_rows_t *out)
{
    const char *lang = tui_model_lang(m), *host = NULL;
    store_t *st = tui_view_store_at(m, ref->index, &host);
    store_user_t *u = st && ref->sub < store_user_count(st) ? store_user_at(st, ref->sub) : NULL;
    store_folder_t *f =
        u && ref->folder < store_folder_count(u) ? store_folder_at(u, ref->folder) : NULL;
    const store_msg_t *msg = f ? store_msg_by_uid(f, (uint32_t)ref->id, NULL) : NULL;
    if (!msg) {
        tui_rows_add(out, TUI_TONE_DIM, "%s", tui_text(TUI_T_MESSAGE_GONE, lang));
        return;
    }
    buf_t flags = BUF_INIT;
    store_flags_format(&flags, store_msg_flags(msg));
    tui_rows_add(out, TUI_TONE_HEADING, "%s: %s %s %s uid %" PRIu32 " %zu octets %s",
                 tui_text(TUI_T_INSPECT_MESSAGE, lang), host, store_user_name(u),
                 store_folder_name(f), store_msg_uid(msg), store_msg_size(msg), buf_cstr(&flags));
    buf_free(&flags);
    tui_rows_add(out, TUI_TONE_HEADING, "%s", tui_text(TUI_T_INSPECT_MIME, lang));
    mime_part_t *root = mime_parse(store_msg_data(msg), store_msg_size(msg));
    inspect_part(root, "", out);
    mime_free(root);
    tui_rows_add(out, TUI_TONE_HEADING, "%s", tui_text(TUI_T_INSPECT_SOURCE, lang));
    inspect_source(store_msg_data(msg), store_msg_size(msg), out);
}

static void inspect_payload(const trace_event_t *ev, tui_rows_t *out)
{
    for (size_t off = 0; off < ev->payload_len; off += 16) {
        char hex[16 * 3 + 1] = "", text[17] = "";
        size_t n = ev->payload_len - off < 16 ? ev->payload_len - off : 16;
        for (size_t i = 0; i < n; i++) {
            uint8_t c = ev->payload[off + i];
            snprintf(hex + 3 * i, 4, "%02x ", c);
            text[i] = isprint(c) ? (char)c : '.';
        }
        text[n] = '\0';
        tui_rows_add(out, TUI_TONE_DIM, "%04zx  %-48s %s", off, hex, text);
    }
}

static void inspect_segment(const tui_model_t *m, const trace_event_t *ev, tui_rows_t *out)
{
    char src[16], dst[16];
    tui_rows_add(out, TUI_TONE_HEADING, "%s", tui_text(TUI_T_INSPECT_SEGMENT, tui_model_lang(m)));
    tui_rows_add(out, TUI_TONE_NORMAL, "source       %s:%u",
                 addr_format(ev->src_addr, src, sizeof src), (unsigned)ev->src_port);
    tui_rows_add(out, TUI_TONE_NORMAL, "destination  %s:%u",
                 addr_format(ev->dst_addr, dst, sizeof dst), (unsigned)ev->dst_port);
    tui_rows_add(out, TUI_TONE_NORMAL, "flags        %s", ev->flags ? ev->flags : "-");
    tui_rows_add(out, TUI_TONE_NORMAL, "seq          %" PRId64, ev->seq);
    tui_rows_add(out, TUI_TONE_NORMAL, "ack          %" PRId64, ev->ack);
    tui_rows_add(out, TUI_TONE_NORMAL, "window       %u", (unsigned)ev->window);
    tui_rows_add(out, TUI_TONE_NORMAL, "data length  %" PRId64, ev->len);
    if (ev->payload_len) {
        tui_rows_add(out, TUI_TONE_HEADING, "%s",
                     tui_text(TUI_T_INSPECT_PAYLOAD, tui_model_lang(m)));
        inspect_payload(ev, out);
    }
}

static void inspect_event(const tui_model_t *m, const tui_ref_t *ref, tui_rows_t *out)
{
    const trace_event_t *ev = tui_model_log_at(m, ref->index);
    if (!ev)
        return;
    buf_t b = BUF_INIT;
    tui_model_event_summary(m, ev, &b);
    tui_rows_add(out, TUI_TONE_HEADING, "%s: %s", tui_text(TUI_T_INSPECT_EVENT, tui_model_lang(m)),
                 trace_kind_name(ev->kind));
    for (size_t i = 0; trace_field_names[i]; i++) {
        trace_value_t v;
        if (!trace_event_field(ev, trace_field_names[i], &v) || v.type == TRACE_FIELD_ABSENT)
            continue;
        if (v.type == TRACE_FIELD_STRING)
            tui_rows_add(out, TUI_TONE_NORMAL, "%-10s %s", trace_field_names[i], v.s);
        else
            tui_rows_add(out, TUI_TONE_NORMAL, "%-10s %" PRId64, trace_field_names[i], v.i);
    }
    if (ev->kind == TRACE_TCP_SEGMENT || ev->kind == TRACE_TCP_DROP ||
        ev->kind == TRACE_TCP_RETRANSMIT)
        inspect_segment(m, ev, out);
    buf_free(&b);
}

static void inspect_line(const tui_model_t *m, const tui_session_t *s, size_t i, tui_rows_t *out)
{
    const char *lang = tui_model_lang(m);
    const tui_line_t *l = &s->lines[i];
    char clock[32], meaning[300];
    tui_rows_add(out, l->from_client ? TUI_TONE_CLIENT : TUI_TONE_SERVER, "%s %s: %s",
                 clock_format(l->t, clock, sizeof clock),
                 tui_text(l->from_client ? TUI_T_CLIENT_SAYS : TUI_T_SERVER_SAYS, lang), l->text);
    if (l->from_client)
        return;
    tui_rows_add(out, TUI_TONE_HEADING, "%s", tui_text(TUI_T_INSPECT_CODE, lang));
    if (tui_code_explain(s->proto, l->text, lang, meaning, sizeof meaning) == 0)
        tui_rows_add(out, TUI_TONE_NORMAL, "%s", meaning);
    else
        tui_rows_add(out, TUI_TONE_DIM, "%s", tui_text(TUI_T_CODE_UNKNOWN, lang));
}

static void inspect_session(const tui_model_t *m, const tui_session_t *s, tui_rows_t *out)
{
    char clock[32], port[24];
    tui_rows_add(out, TUI_TONE_HEADING, "#%" PRId64 " %s > %s:%" PRId64 " %s %s", s->id, s->client,
                 s->server, s->port, tui_view_service(s->port, port, sizeof port),
                 clock_format(s->opened, clock, sizeof clock));
    for (size_t i = 0; i < s->nlines; i++) {
        const tui_line_t *l = &s->lines[i];
        char meaning[300];
        tui_rows_add(out, l->from_client ? TUI_TONE_CLIENT : TUI_TONE_SERVER, "%s %s",
                     l->from_client ? "C:" : "S:", l->text);
        if (!l->from_client &&
            tui_code_explain(s->proto, l->text, tui_model_lang(m), meaning, sizeof meaning) == 0)
            tui_rows_add(out, TUI_TONE_DIM, "   = %s", meaning);
    }
}

static void inspect_queue(const tui_model_t *m, const tui_ref_t *ref, tui_rows_t *out)
{
    world_t *w = tui_model_world(m);
    queue_view_t q;
    if (ref->index >= world_server_count(w) ||
        !server_queue_at(world_server_at(w, ref->index), ref->sub, &q))
        return;
    char clock[32];
    buf_t b = BUF_INIT;
    tui_view_countdown(m, q.in_flight, q.next_attempt, &b);
    tui_rows_add(out, TUI_TONE_HEADING, "%s: %s", tui_text(TUI_T_INSPECT_QUEUE, tui_model_lang(m)),
                 server_host_name(world_server_at(w, ref->index)));
    tui_rows_add(out, TUI_TONE_NORMAL, "message       %s", q.message);
    tui_rows_add(out, TUI_TONE_NORMAL, "recipient     %s (%s)", q.recipient, q.domain);
    tui_rows_add(out, TUI_TONE_NORMAL, "attempts      %u", q.attempts);
    tui_rows_add(out, TUI_TONE_NORMAL, "queued at     %s",
                 clock_format(q.enqueued_at, clock, sizeof clock));
    tui_rows_add(out, TUI_TONE_NORMAL, "next attempt  %s (%s)",
                 clock_format(q.next_attempt, clock, sizeof clock), buf_cstr(&b));
    if (q.last_code || q.last_error)
        tui_rows_add(out, TUI_TONE_NORMAL, "last reply    %d %s", q.last_code,
                     q.last_error ? q.last_error : "");
    const char *meaning =
        q.last_code ? tui_smtp_code_meaning(q.last_code, tui_model_lang(m)) : NULL;
    if (meaning)
        tui_rows_add(out, TUI_TONE_DIM, "              %d: %s", q.last_code, meaning);
    buf_free(&b);
}

static void inspect_host(const tui_model_t *m, const tui_ref_t *ref, tui_rows_t *out)
{
    world_t *w = tui_model_world(m);
    net_t *net = world_net(w);
    if (ref->index >= net_host_count(net))
        return;
    host_t *h = net_host_at(net, ref->index);
    char addr[16];
    const char *lang = tui_model_lang(m);
    tui_text_id_t role = world_server_by_host(w, host_name(h))  ? TUI_T_ROLE_SERVER
                         : world_agent_by_host(w, host_name(h)) ? TUI_T_ROLE_CLIENT
                                                                : TUI_T_ROLE_OTHER;
    tui_rows_add(out, TUI_TONE_HEADING, "%s: %s %s (%s, %s)", tui_text(TUI_T_INSPECT_HOST, lang),
                 host_name(h), addr_format(host_addr(h), addr, sizeof addr), tui_text(role, lang),
                 tui_text(host_is_up(h) ? TUI_T_HOST_UP : TUI_T_HOST_DOWN, lang));
    mail_server_t *s = world_server_by_host(w, host_name(h));
    if (!s)
        return;
    const server_config_t *c = server_config(s);
    for (size_t i = 0; i < c->ndomains; i++)
        tui_rows_add(out, TUI_TONE_NORMAL, "domain      %s", c->domains[i]);
    uint16_t ports[] = {c->smtp_port, c->submission_port, c->pop3_port, c->imap_port};
    for (size_t i = 0; i < ARRAY_LEN(ports); i++) {
        char port[24];
        if (ports[i])
            tui_rows_add(out, TUI_TONE_NORMAL, "listens     %u %s", (unsigned)ports[i],
                         tui_view_service(ports[i], port, sizeof port));
    }
    tui_rows_add(out, TUI_TONE_NORMAL, "users       %zu", store_user_count(server_store(s)));
    tui_rows_add(out, TUI_TONE_NORMAL, "queue       %zu", server_queue_count(s));
}

void tui_inspect(const tui_model_t *m, const tui_ref_t *ref, tui_rows_t *out)
{
    const tui_session_t *s = NULL;
    switch (ref->kind) {
    case TUI_REF_NONE:
        break;
    case TUI_REF_HOST:
        inspect_host(m, ref, out);
        break;
    case TUI_REF_SESSION:
        s = tui_model_session_by_id(m, ref->id);
        if (s)
            inspect_session(m, s, out);
        break;
    case TUI_REF_LINE:
        s = tui_model_session_by_id(m, ref->id);
        if (s && ref->index < s->nlines)
            inspect_line(m, s, ref->index, out);
        break;
    case TUI_REF_QUEUE:
        inspect_queue(m, ref, out);
        break;
    case TUI_REF_MESSAGE:
        inspect_message(m, ref, out);
        break;
    case TUI_REF_EVENT:
        inspect_event(m, ref, out);
        break;
    }
    if (out->count == 0)
        tui_rows_add(out, TUI_TONE_DIM, "%s", tui_text(TUI_T_INSPECT_NOTHING, tui_model_lang(m)));
}
