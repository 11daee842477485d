/*
 * smtp_service: the SMTP (port 25) and submission (port 587) services of a
 * mail server, on the shared service frame (service.h), which carries the
 * bytes and keeps the 5-minute idle timer. This file gives each connection
 * an SMTP server engine (an ended session's, made new, when there is one),
 * traces every command and reply, and answers the engine's hooks from the
 * store and the relay policy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/header.h"
#include "mail/message.h"
#include "net/tcp.h"
#include "node/node_private.h"

#include "node/service.h"

/* One SMTP session: the engine and the connection it serves. */
typedef struct smtp_session {
    service_conn_t *sc;
    mail_server_t *server;
    smtp_server_t *engine;
    buf_t scratch; /* the Received field and Message-ID of the message being taken */
    /* The body the text of the message being received goes into (hook_data_room), or NULL. */
    store_body_t *room;
    uint8_t *room_data; /* where its text starts */
    size_t host_len;    /* strlen(server->host_name) */
} smtp_session_t;

/*
 * What a body reserved at DATA keeps in front of the text beyond the
 * Return-Path and the client's names in Received: its fixed words, the
 * client's address, the queue id and the date. And what it keeps after the
 * text for the label (a Message-ID, or the host and queue id). A head or
 * label that does not fit only costs the copy it was to save.
 */
#define RECEIVED_ROOM 160
#define LABEL_ROOM 128

static void room_drop(smtp_session_t *ss)
{
    store_body_unref(ss->room);
    ss->room = NULL;
}

/*
 * Traces one command or reply line as smtp.command / smtp.reply, at the
 * server: a command goes from the client to the server, a reply back.
 */
static void on_line(void *ctx, line_dir_t dir, const char *verb, int code, const char *line)
{
    smtp_session_t *ss = ctx;
    world_t *w = ss->server->world;
    tcp_conn_t *conn = service_conn_tcp(ss->sc);
    if (!trace_enabled(&w->sim->trace) || !conn)
        return;
    trace_event_t ev;
    bool command = dir == LINE_CLIENT_TO_SERVER;
    trace_event_init(&ev, sim_now(w->sim), command ? TRACE_SMTP_COMMAND : TRACE_SMTP_REPLY,
                     ss->server->host_name);
    const char *client = service_conn_client(ss->sc);
    ev.from = command ? client : ss->server->host_name;
    ev.to = command ? ss->server->host_name : client;
    ev.port = tcp_conn_service_port(conn);
    ev.session = (int64_t)tcp_conn_id(conn);
    ev.line = line;
    if (command)
        ev.verb = verb;
    else
        ev.code = code;
    node_emit(w, &ev);
}

static bool hook_authenticate(void *ctx, const char *user, const char *password)
{
    smtp_session_t *ss = ctx;
    store_user_t *u = store_find_user(ss->server->store, user);
    return u && store_user_check_password(u, password);
}

/* "250 2.1.5 Ok", as smtp_reply_set_text makes it: a recipient taken, for every RCPT. */
static void reply_ok(smtp_reply_t *r)
{
    r->code = 250;
    memcpy(r->enhanced, "2.1.5", 6);
    memcpy(r->text, "Ok", 3);
}

static void hook_check_recipient(void *ctx, const char *address, const char *auth_user,
                                 smtp_reply_t *r)
{
    smtp_session_t *ss = ctx;
    mail_server_t *s = ss->server;
    const char *domain = address_domain(address);
    if (!*domain) {
        smtp_reply_set_text(r, 550, "5.1.3", "Bad recipient address syntax");
        return;
    }
    /* A recipient found before has a hosted domain: its user, without the domain check. */
    store_user_t *known = server_known_recipient(s, address);
    if (known || server_hosts_domain(s, domain)) {
        store_user_t *u = known ? known : server_find_recipient(s, address);
        if (!u)
            smtp_reply_set(r, 550, "5.1.1", "<%s>: Recipient address rejected: no such user",
                           address);
        else if (store_user_quota(u) && store_user_used(u) >= store_user_quota(u))
            smtp_reply_set(r, 552, "5.2.2", "<%s>: Mailbox full", address);
        else
            reply_ok(r);
        return;
    }
    if (!server_relay_allowed(s, domain, auth_user))
        smtp_reply_set(r, 554, "5.7.1", "<%s>: Relay access denied", address);
    else
        reply_ok(r);
}

/* The middle of s's Received fields for r's by_host and protocol: made the first time. */
static const received_middle_t *received_middle(mail_server_t *s, const message_received_t *r)
{
    const char *by = r->by_host ? r->by_host : "localhost";
    const char *proto = r->protocol ? r->protocol : "ESMTP";
    received_middle_t *m = NULL;
    for (size_t i = 0; i < ARRAY_LEN(s->received_middle) && !m; i++) {
        received_middle_t *slot = &s->received_middle[i];
        if (!slot->by_host || (slot->by_host == by && slot->protocol == proto))
            m = slot;
    }
    if (!m) /* a third pairing: the last slot is made again */
        m = &s->received_middle[ARRAY_LEN(s->received_middle) - 1];
    if (m->by_host == by && m->protocol == proto)
        return m;
    free(m->text);
    buf_t t = BUF_INIT;
    buf_append(&t, "])\r\n by ", 8);
    buf_puts(&t, by);
    buf_append(&t, " with ", 6);
    buf_puts(&t, proto);
    buf_append(&t, " id ", 4);
    /* message_write_received breaks the line at the first '<' or ';' past " by ". */
    *m = (received_middle_t){by, proto, !strpbrk(by, "<;") && !strpbrk(proto, "<;"), t.len,
                             (char *)t.data};
    return m;
}

/* Where a string of the client's goes: its length, and false when it holds a ')'. */
static bool clean_part(const char *text, size_t *len)
{
    *len = strlen(text);
    return !memchr(text, ')', *len);
}

void smtp_service_write_received(mail_server_t *s, const message_received_t *r, size_t date_len,
                                 buf_t *out)
{
    const char *helo = r->helo && *r->helo ? r->helo : "unknown";
    const char *host = r->client_host && *r->client_host ? r->client_host : NULL;
    const char *addr = r->client_addr ? r->client_addr : "unknown";
    const char *rcpt = r->for_rcpt && *r->for_rcpt ? r->for_rcpt : NULL;
    const received_middle_t *mid = received_middle(s, r);
    size_t helo_len, host_len = 0, addr_len, id_len = r->id ? strlen(r->id) : 0;
    size_t rcpt_len = rcpt ? strlen(rcpt) : 0;
    /* A ')' before the " by " or a '<' or ';' in the id moves a line break: the general path. */
    if (!mid->usable || id_len == 0 || !clean_part(helo, &helo_len) ||
        (host && !clean_part(host, &host_len)) || !clean_part(addr, &addr_len) ||
        strpbrk(r->id, "<;")) {
        message_write_received(r, out);
        return;
    }
    /* "Received: from HELO (HOST [ADDR" MIDDLE ID, then " for <RCPT>; " or ";", then DATE. */
    size_t total = 15 + helo_len + 2 + (host ? host_len + 1 : 0) + 1 + addr_len + mid->len +
                   id_len + (rcpt ? 8 + rcpt_len + 3 : 4) + date_len + 2;
    buf_reserve(out, total);
    char *d = (char *)out->data + out->len;
    memcpy(d, "Received: from ", 15);
    d += 15;
    memcpy(d, helo, helo_len);
    d += helo_len;
    memcpy(d, " (", 2);
    d += 2;
    if (host) {
        memcpy(d, host, host_len);
        d[host_len] = ' ';
        d += host_len + 1;
    }
    *d++ = '[';
    memcpy(d, addr, addr_len);
    d += addr_len;
    memcpy(d, mid->text, mid->len);
    d += mid->len;
    memcpy(d, r->id, id_len);
    d += id_len;
    if (rcpt) {
        memcpy(d, "\r\n for <", 8);
        memcpy(d + 8, rcpt, rcpt_len);
        d += 8 + rcpt_len;
        memcpy(d, ">; ", 3);
        d += 3;
    } else {
        memcpy(d, ";\r\n ", 4);
        d += 4;
    }
    memcpy(d, r->date, date_len);
    memcpy(d + date_len, "\r\n", 3);
    out->len += total;
}

/*
 * At DATA: the text goes straight into the body it will be stored in, with
 * room in front for Return-Path and Received (known only at the end) and
 * after it for the label, so that it is not copied again at the end. Only
 * when the client declared its size (RFC 1870) and that is no more than
 * a body cut from a block: a message without SIZE, or bigger than it said,
 * is kept by the engine and copied as before.
 */
static uint8_t *hook_data_room(void *ctx, const smtp_envelope_t *env, uint64_t declared_size,
                               size_t *cap)
{
    smtp_session_t *ss = ctx;
    room_drop(ss);
    if (declared_size == 0 || declared_size > STORE_BODY_BIG)
        return NULL;
    const char *client = service_conn_client(ss->sc);
    size_t head = 17 + strlen(env->reverse_path) + strlen(env->helo) +
                  (client ? strlen(client) : 0) + ss->host_len +
                  (env->nrecipients == 1 ? strlen(env->recipients[0]) : 0) + RECEIVED_ROOM;
    /* A message for other servers only is gone once relayed: its body is cut apart. */
    store_body_life_t life = STORE_BODY_PASSES;
    for (size_t i = 0; i < env->nrecipients && life == STORE_BODY_PASSES; i++)
        if (server_keeps(ss->server, env->recipients[i]))
            life = STORE_BODY_STAYS;
    ss->room = store_body_reserve(head, (size_t)declared_size + 1 + LABEL_ROOM, life,
                                  &ss->room_data);
    *cap = (size_t)declared_size;
    return ss->room_data;
}

/*
 * The message as every local mailbox will store it, in one allocation:
 * Return-Path (RFC 5321 4.4), this hop's Received field, then the data
 * (already there when it came into the room hook_data_room gave).
 * msg, borrowed, points into it past the Return-Path; local deliveries
 * share it, and a queued copy of msg too.
 */
static void message_taken(smtp_session_t *ss, const smtp_envelope_t *env, const uint8_t *data,
                          size_t len, const char *label, size_t received_len, mail_msg_t *msg)
{
    char small[SERVER_RETURN_PATH_SMALL];
    buf_t big = BUF_INIT;
    size_t rp_len = server_return_path_field(env->reverse_path, small, sizeof small, &big);
    size_t head = rp_len + received_len;
    uint8_t *p;
    store_body_t *body;
    if (ss->room && data == ss->room_data && store_body_finish(ss->room, head, len, label, &p)) {
        body = ss->room;
        ss->room = NULL;
    } else {
        body = store_body_new(head + len, label, &p);
        if (len)
            memcpy(p + head, data, len);
        room_drop(ss);
    }
    memcpy(p, big.data ? big.data : (const uint8_t *)small, rp_len);
    memcpy(p + rp_len, ss->scratch.data, received_len);
    buf_free(&big);
    mail_msg_borrow_body(msg, label, env->reverse_path, body, rp_len);
}

static void hook_accept_message(void *ctx, const smtp_envelope_t *env, const uint8_t *data,
                                size_t len, smtp_reply_t *r)
{
    smtp_session_t *ss = ctx;
    mail_server_t *s = ss->server;
    world_t *w = s->world;
    uint64_t queue_id = s->next_queue_id++;
    char qid[SERVER_QUEUE_ID_MAX];
    server_queue_id_format(queue_id, qid);
    char addr[32];
    tcp_conn_t *conn = service_conn_tcp(ss->sc);
    addr_format(conn ? tcp_conn_remote_addr(conn) : 0, addr, sizeof addr);
    sim_time_t now = sim_now(w->sim);
    size_t date_len;
    const char *date = message_date_memo_format(&s->received_date, now, 0, &date_len);
    message_received_t rcv = {
        .helo = env->helo,
        .client_host = service_conn_client(ss->sc),
        .client_addr = addr,
        .by_host = s->host_name,
        .protocol = env->auth_user ? "ESMTPSA" : "ESMTP",
        .id = qid,
        .for_rcpt = env->nrecipients == 1 ? env->recipients[0] : NULL,
        .time = now,
        .date = date,
    };
    /*
     * The session's scratch buffer: the Received field, then the Message-ID
     * after it (written last, so a label that points into it stays put).
     */
    buf_t *scratch = &ss->scratch;
    buf_reset(scratch);
    smtp_service_write_received(s, &rcv, date_len, scratch);
    size_t received_len = scratch->len;
    const char *label = NULL;
    if (header_scan_value(data, len, "Message-ID", scratch))
        label = world_label_for(w, (const char *)scratch->data + received_len);
    char label_buf[64];
    if (!label) {
        snprintf(label_buf, sizeof label_buf, "%s#%llu", s->host_name,
                 (unsigned long long)queue_id);
        label = label_buf;
    }
    mail_msg_t msg;
    message_taken(ss, env, data, len, label, received_len, &msg);
    server_take_message(s, &msg, env->recipients, env->nrecipients);
    /* Borrowed, msg was kept by nobody: what mail_msg_unref would do is drop the body. */
    store_body_unref(msg.body);
    r->code = 250;
    memcpy(r->enhanced, "2.0.0", 6);
    memcpy(r->text, "Ok: queued as ", 14);
    memcpy(r->text + 14, qid, strlen(qid) + 1);
}

/*
 * Whether anyone hears smtp.command and smtp.reply, told to the engine before
 * each call that may send or read lines: with nobody listening, it makes
 * no trace calls at all.
 */
static smtp_server_t *engine_traced(smtp_session_t *ss)
{
    smtp_server_trace_lines(ss->engine, trace_enabled(&ss->server->world->sim->trace));
    return ss->engine;
}

static void *smtp_open(service_conn_t *sc, void *arg, buf_t *out)
{
    mail_server_t *s = service_conn_server(sc);
    smtp_session_t *ss = xcalloc(1, sizeof *ss);
    ss->sc = sc;
    ss->server = s;
    ss->host_len = strlen(s->host_name);
    smtp_server_config_t cfg;
    smtp_server_config_default(&cfg);
    cfg.hostname = s->host_name;
    cfg.extensions = s->cfg.extensions;
    cfg.submission = arg != NULL;
    cfg.max_size = s->cfg.max_size;
    cfg.max_recipients = s->cfg.max_recipients;
    /* every engine of a port has this configuration: they share its replies */
    struct smtp_server_replies **shared = &s->smtp_replies[arg != NULL];
    if (!*shared)
        *shared = smtp_server_replies_new();
    cfg.replies = *shared;
    smtp_server_hooks_t hooks = {
        .ctx = ss,
        .authenticate = hook_authenticate,
        .check_recipient = hook_check_recipient,
        .data_room = hook_data_room,
        .accept_message = hook_accept_message,
        .on_line = on_line,
    };
    ss->engine = smtp_server_new(&cfg, &hooks);
    smtp_server_start(engine_traced(ss), out);
    return ss;
}

/* An ended session's engine and struct, for the next connection to the same port. */
static void *smtp_reopen(void *engine, service_conn_t *sc, buf_t *out)
{
    smtp_session_t *ss = engine;
    ss->sc = sc;
    smtp_server_reuse(ss->engine);
    room_drop(ss);
    smtp_server_start(engine_traced(ss), out);
    return ss;
}

static void smtp_feed(void *engine, const uint8_t *data, size_t len, buf_t *out)
{
    smtp_server_feed(engine_traced(engine), data, len, out);
}

static void smtp_timeout(void *engine, buf_t *out)
{
    smtp_server_timeout(engine_traced(engine), out);
}

static bool smtp_wants_close(const void *engine)
{
    return smtp_server_wants_close(((const smtp_session_t *)engine)->engine);
}

static void smtp_free(void *engine)
{
    smtp_session_t *ss = engine;
    smtp_server_free(ss->engine);
    room_drop(ss);
    buf_free(&ss->scratch);
    free(ss);
}

/* Two turns before a data arrival, the engine's lines; the turn before,
 * what they point to. */
static void smtp_warm(const void *engine, unsigned ahead)
{
    if (ahead == 2)
        smtp_server_prefetch(((const smtp_session_t *)engine)->engine);
    else
        smtp_server_prefetch_deep(((const smtp_session_t *)engine)->engine);
}

static const service_ops_t smtp_ops = {
    .idle_timeout = SMTP_SERVER_IDLE_TIMEOUT,
    .open = smtp_open,
    .feed = smtp_feed,
    .timeout = smtp_timeout,
    .wants_close = smtp_wants_close,
    .free = smtp_free,
    .reopen = smtp_reopen,
    .warm = smtp_warm,
};

void smtp_service_listen(mail_server_t *s)
{
    static int submission_marker;
    service_listen(s, s->cfg.smtp_port, &smtp_ops, NULL);
    service_listen(s, s->cfg.submission_port, &smtp_ops, &submission_marker);
}
