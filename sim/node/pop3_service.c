/*
 * pop3_service: a mail server's POP3 service (port 110), on the shared
 * service frame. Each connection gets a POP3 server engine whose maildrop
 * hooks sit on the store's maildrop view (RFC 1939: deletions only at QUIT,
 * a lock per maildrop, nothing deleted when the connection breaks). Every
 * command and response is traced as pop3.command / pop3.reply, the password
 * included: POP3 sends it in clear, which is the lecture's point.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node/node_private.h"
#include "node/service.h"
#include "proto/pop3_server.h"

typedef struct pop3_session {
    service_conn_t *sc;
    mail_server_t *server;
    pop3_server_t *engine;
    store_maildrop_id_t maildrop;
    bool open;
    char uidl[STORE_UIDL_SIZE];
} pop3_session_t;

static bool hook_password(void *ctx, const char *user, const char *password)
{
    pop3_session_t *ps = ctx;
    store_user_t *u = store_find_user(ps->server->store, user);
    return u && store_user_check_password(u, password);
}

static const char *hook_secret(void *ctx, const char *user)
{
    pop3_session_t *ps = ctx;
    store_user_t *u = store_find_user(ps->server->store, user);
    return u ? store_user_password(u) : NULL;
}

static pop3_open_result_t hook_open(void *ctx, const char *user)
{
    pop3_session_t *ps = ctx;
    store_user_t *u = store_find_user(ps->server->store, user);
    if (!u)
        return POP3_OPEN_FAILED;
    switch (store_maildrop_open(ps->server->store, u, &ps->maildrop)) {
    case STORE_OK:
        ps->open = true;
        return POP3_OPEN_OK;
    case STORE_LOCKED:
        return POP3_OPEN_LOCKED;
    default:
        return POP3_OPEN_FAILED;
    }
}

static void hook_stat(void *ctx, pop3_maildrop_stat_t *out)
{
    pop3_session_t *ps = ctx;
    store_maildrop_stat_t st = {0, 0, 0};
    store_maildrop_stat(ps->server->store, ps->maildrop, &st);
    *out = (pop3_maildrop_stat_t){st.messages, st.live, st.live_octets};
}

static pop3_msg_status_t msg_status(store_err_t err)
{
    switch (err) {
    case STORE_OK: return POP3_MSG_OK;
    case STORE_MSG_DELETED: return POP3_MSG_DELETED;
    default: return POP3_MSG_NONE;
    }
}

static pop3_msg_status_t hook_message(void *ctx, uint32_t n, pop3_msg_info_t *out)
{
    pop3_session_t *ps = ctx;
    store_maildrop_msg_t m;
    store_err_t err = store_maildrop_msg(ps->server->store, ps->maildrop, n, &m);
    if (err == STORE_OK || err == STORE_MSG_DELETED) {
        memcpy(ps->uidl, m.uidl, sizeof ps->uidl);
        *out = (pop3_msg_info_t){m.size, ps->uidl, m.data, m.size};
    }
    return msg_status(err);
}

static pop3_msg_status_t hook_dele(void *ctx, uint32_t n)
{
    pop3_session_t *ps = ctx;
    return msg_status(store_maildrop_delete(ps->server->store, ps->maildrop, n));
}

static void hook_rset(void *ctx)
{
    pop3_session_t *ps = ctx;
    store_maildrop_reset(ps->server->store, ps->maildrop);
}

static bool hook_commit(void *ctx, uint32_t *deleted)
{
    pop3_session_t *ps = ctx;
    ps->open = false;
    return store_maildrop_commit(ps->server->store, ps->maildrop, deleted) == STORE_OK;
}

static void hook_rollback(void *ctx)
{
    pop3_session_t *ps = ctx;
    if (ps->open)
        store_maildrop_rollback(ps->server->store, ps->maildrop);
    ps->open = false;
}

static void on_line(void *ctx, line_dir_t dir, const char *verb, const char *status,
                    const char *line)
{
    pop3_session_t *ps = ctx;
    world_t *w = ps->server->world;
    tcp_conn_t *conn = service_conn_tcp(ps->sc);
    if (!trace_enabled(&w->sim->trace) || !conn)
        return;
    bool command = dir == LINE_CLIENT_TO_SERVER;
    trace_event_t ev;
    trace_event_init(&ev, sim_now(w->sim), command ? TRACE_POP3_COMMAND : TRACE_POP3_REPLY,
                     ps->server->host_name);
    const char *client = service_conn_client(ps->sc);
    ev.from = command ? client : ps->server->host_name;
    ev.to = command ? ps->server->host_name : client;
    ev.port = tcp_conn_service_port(conn);
    ev.session = (int64_t)tcp_conn_id(conn);
    ev.line = line;
    if (command)
        ev.verb = verb;
    else
        ev.status = status;
    node_emit(w, &ev);
}

static void *pop3_open(service_conn_t *sc, void *arg, buf_t *out)
{
    mail_server_t *s = service_conn_server(sc);
    pop3_session_t *ps = xcalloc(1, sizeof *ps);
    ps->sc = sc;
    ps->server = s;
    char stamp[256];
    tcp_conn_t *conn = service_conn_tcp(sc);
    pop3_timestamp_format(stamp, sizeof stamp, conn ? tcp_conn_id(conn) : 0,
                          (uint64_t)sim_now(s->world->sim), s->host_name);
    pop3_server_config_t cfg = {.hostname = s->host_name, .timestamp = stamp};
    pop3_server_hooks_t hooks = {
        .ctx = ps,
        .check_password = hook_password,
        .apop_secret = hook_secret,
        .open_maildrop = hook_open,
        .stat = hook_stat,
        .message = hook_message,
        .dele = hook_dele,
        .rset = hook_rset,
        .commit = hook_commit,
        .rollback = hook_rollback,
        .on_line = on_line,
    };
    ps->engine = pop3_server_new(&cfg, &hooks);
    pop3_server_start(ps->engine, out);
    return ps;
}

static void pop3_feed(void *engine, const uint8_t *data, size_t len, buf_t *out)
{
    pop3_server_feed(((pop3_session_t *)engine)->engine, data, len, out);
}

static void pop3_timeout(void *engine, buf_t *out)
{
    pop3_server_timeout(((pop3_session_t *)engine)->engine, out);
}

static bool pop3_wants_close(const void *engine)
{
    return pop3_server_wants_close(((const pop3_session_t *)engine)->engine);
}

static void pop3_lost(void *engine)
{
    pop3_server_connection_lost(((pop3_session_t *)engine)->engine);
}

static void pop3_free(void *engine)
{
    pop3_session_t *ps = engine;
    pop3_server_free(ps->engine); /* rolls back a maildrop still open */
    free(ps);
}

static const service_ops_t pop3_ops = {
    .idle_timeout = POP3_SERVER_IDLE_TIMEOUT,
    .open = pop3_open,
    .feed = pop3_feed,
    .timeout = pop3_timeout,
    .wants_close = pop3_wants_close,
    .lost = pop3_lost,
    .free = pop3_free,
};

void pop3_service_listen(mail_server_t *s)
{
    service_listen(s, s->cfg.pop3_port, &pop3_ops, NULL);
}
