/*
 * smtp_service: the SMTP (port 25) and submission (port 587) services of a
 * mail server. Each accepted TCP connection gets an SMTP server engine; this
 * file carries bytes between the two, keeps the 5-minute idle timer, traces
 * every command and reply, and answers the engine's hooks from the store
 * and the relay policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/header.h"
#include "mail/message.h"
#include "net/tcp.h"
#include "node/node_private.h"

struct smtp_session {
    smtp_session_t *next;
    smtp_session_t **pprev; /* the pointer to this one: unlinking is O(1) with 1,000 sessions */
    mail_server_t *server;
    tcp_conn_t *conn;
    smtp_server_t *engine;
    bool submission;
    sched_id_t idle_timer;
    sim_time_t last_activity; /* the idle timer fires 5 minutes after this */
    char *client_name;
    buf_t out;
};

typedef struct listener {
    mail_server_t *server;
    bool submission;
} listener_t;

static void session_unlink(smtp_session_t *ss)
{
    *ss->pprev = ss->next;
    if (ss->next)
        ss->next->pprev = ss->pprev;
}

static void session_free(smtp_session_t *ss)
{
    sched_cancel(ss->server->world->sim->sched, ss->idle_timer);
    session_unlink(ss);
    smtp_server_free(ss->engine);
    buf_free(&ss->out);
    free(ss->client_name);
    free(ss);
}

static void session_flush(smtp_session_t *ss)
{
    if (ss->out.len && ss->conn) {
        tcp_send(ss->conn, ss->out.data, ss->out.len);
        buf_reset(&ss->out);
    }
    if (ss->conn && smtp_server_wants_close(ss->engine)) {
        tcp_close(ss->conn);
    }
}

/*
 * The idle timer is not moved on every chunk of input: that would leave one
 * cancelled event per chunk in the scheduler's heap for five minutes. It
 * stays put; when it fires early it re-arms for the time still left.
 */
static void on_idle(void *arg)
{
    smtp_session_t *ss = arg;
    sched_t *sched = ss->server->world->sim->sched;
    sim_time_t due = ss->last_activity + SMTP_SERVER_IDLE_TIMEOUT;
    if (sched_now(sched) < due) {
        ss->idle_timer = sched_at(sched, due, on_idle, ss);
        return;
    }
    ss->idle_timer = 0;
    smtp_server_timeout(ss->engine, &ss->out);
    session_flush(ss);
}

static void arm_idle(smtp_session_t *ss)
{
    sched_t *sched = ss->server->world->sim->sched;
    ss->last_activity = sched_now(sched);
    if (!ss->idle_timer)
        ss->idle_timer = sched_after(sched, SMTP_SERVER_IDLE_TIMEOUT, on_idle, ss);
}

/*
 * Traces one command or reply line as smtp.command / smtp.reply, at the
 * server: a command goes from the client to the server, a reply back.
 */
static void on_line(void *ctx, line_dir_t dir, const char *verb, int code, const char *line)
{
    smtp_session_t *ss = ctx;
    world_t *w = ss->server->world;
    if (!trace_enabled(&w->sim->trace) || !ss->conn)
        return;
    trace_event_t ev;
    bool command = dir == LINE_CLIENT_TO_SERVER;
    trace_event_init(&ev, sim_now(w->sim), command ? TRACE_SMTP_COMMAND : TRACE_SMTP_REPLY,
                     ss->server->host_name);
    ev.from = command ? ss->client_name : ss->server->host_name;
    ev.to = command ? ss->server->host_name : ss->client_name;
    ev.port = tcp_conn_service_port(ss->conn);
    ev.session = (int64_t)tcp_conn_id(ss->conn);
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

static smtp_reply_t hook_check_recipient(void *ctx, const char *address, const char *auth_user)
{
    smtp_session_t *ss = ctx;
    mail_server_t *s = ss->server;
    const char *domain = address_domain(address);
    if (!*domain)
        return smtp_reply_make(550, "5.1.3", "Bad recipient address syntax");
    if (server_hosts_domain(s, domain)) {
        store_user_t *u = server_find_recipient(s, address);
        if (!u)
            return smtp_reply_make(550, "5.1.1", "<%s>: Recipient address rejected: no such user",
                                   address);
        if (store_user_quota(u) && store_user_used(u) >= store_user_quota(u))
            return smtp_reply_make(552, "5.2.2", "<%s>: Mailbox full", address);
        return smtp_reply_make(250, "2.1.5", "Ok");
    }
    if (!server_relay_allowed(s, domain, auth_user))
        return smtp_reply_make(554, "5.7.1", "<%s>: Relay access denied", address);
    return smtp_reply_make(250, "2.1.5", "Ok");
}

/* The Message-ID field of a message, copied, or NULL. */
static char *find_message_id(const uint8_t *data, size_t len)
{
    header_t h;
    header_init(&h);
    header_parse(data, len, &h);
    const char *v = header_get(&h, "Message-ID");
    char *id = v ? xstrdup(v) : NULL;
    header_free(&h);
    return id;
}

static smtp_reply_t hook_accept_message(void *ctx, const smtp_envelope_t *env, const uint8_t *data,
                                        size_t len)
{
    smtp_session_t *ss = ctx;
    mail_server_t *s = ss->server;
    world_t *w = s->world;
    char *msgid = find_message_id(data, len);
    char label_buf[64];
    const char *label = msgid ? world_label_for(w, msgid) : NULL;
    if (!label) {
        snprintf(label_buf, sizeof label_buf, "%s#%llu", s->host_name,
                 (unsigned long long)s->next_queue_id);
        label = label_buf;
    }
    char qid[32];
    snprintf(qid, sizeof qid, "%08llX", (unsigned long long)s->next_queue_id++);
    char addr[32];
    addr_format(tcp_conn_remote_addr(ss->conn), addr, sizeof addr);
    message_received_t rcv = {
        .helo = env->helo,
        .client_host = ss->client_name,
        .client_addr = addr,
        .by_host = s->host_name,
        .protocol = env->auth_user ? "ESMTPSA" : "ESMTP",
        .id = qid,
        .for_rcpt = env->nrecipients == 1 ? env->recipients[0] : NULL,
        .time = sim_now(w->sim),
    };
    buf_t stamped = BUF_INIT;
    buf_append(&stamped, data, len);
    message_prepend_received(&stamped, &rcv);
    mail_msg_t *msg = mail_msg_new(label, env->reverse_path, stamped.data, stamped.len);
    buf_free(&stamped);
    free(msgid);
    server_take_message(s, msg, env->recipients, env->nrecipients);
    mail_msg_unref(msg);
    return smtp_reply_make(250, "2.0.0", "Ok: queued as %s", qid);
}

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    smtp_session_t *ss = ctx;
    arm_idle(ss);
    smtp_server_feed(ss->engine, data, len, &ss->out);
    session_flush(ss);
}

static void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}

static void on_gone(tcp_conn_t *c, void *ctx)
{
    session_free(ctx);
}

static void on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    session_free(ctx);
}

static const tcp_callbacks_t session_callbacks = {
    .on_data = on_data,
    .on_peer_closed = on_peer_closed,
    .on_closed = on_gone,
    .on_error = on_error,
};

static void on_accept(tcp_conn_t *c, void *ctx)
{
    listener_t *l = ctx;
    mail_server_t *s = l->server;
    smtp_session_t *ss = xcalloc(1, sizeof *ss);
    ss->server = s;
    ss->conn = c;
    ss->submission = l->submission;
    host_t *peer = tcp_conn_remote(c);
    ss->client_name = xstrdup(peer ? host_name(peer) : "unknown");
    smtp_server_config_t cfg;
    smtp_server_config_default(&cfg);
    cfg.hostname = s->host_name;
    cfg.extensions = s->cfg.extensions;
    cfg.submission = l->submission;
    cfg.max_size = s->cfg.max_size;
    smtp_server_hooks_t hooks = {
        .ctx = ss,
        .authenticate = hook_authenticate,
        .check_recipient = hook_check_recipient,
        .accept_message = hook_accept_message,
        .on_line = on_line,
    };
    ss->engine = smtp_server_new(&cfg, &hooks);
    ss->next = s->sessions;
    if (ss->next)
        ss->next->pprev = &ss->next;
    ss->pprev = &s->sessions;
    s->sessions = ss;
    tcp_conn_set_callbacks(c, &session_callbacks, ss);
    arm_idle(ss);
    smtp_server_start(ss->engine, &ss->out);
    session_flush(ss);
}

void smtp_service_listen(mail_server_t *s)
{
    /* The listeners live as long as the server: two per server, kept in static storage of the server. */
    if (s->cfg.smtp_port) {
        listener_t *l = xcalloc(1, sizeof *l);
        l->server = s;
        tcp_listen(s->world->net, s->host, s->cfg.smtp_port, on_accept, l);
        s->listeners[s->nlisteners++] = l;
    }
    if (s->cfg.submission_port) {
        listener_t *l = xcalloc(1, sizeof *l);
        l->server = s;
        l->submission = true;
        tcp_listen(s->world->net, s->host, s->cfg.submission_port, on_accept, l);
        s->listeners[s->nlisteners++] = l;
    }
}

void smtp_service_free(mail_server_t *s)
{
    while (s->sessions) {
        smtp_session_t *ss = s->sessions;
        ss->conn = NULL;
        session_free(ss);
    }
    for (size_t i = 0; i < s->nlisteners; i++)
        free(s->listeners[i]);
    s->nlisteners = 0;
}

void smtp_service_crash(mail_server_t *s)
{
    /* net_host_crash already failed every connection, which freed its session. */
    while (s->sessions) {
        smtp_session_t *ss = s->sessions;
        tcp_abort(ss->conn);
        ss->conn = NULL;
        session_free(ss);
    }
}
