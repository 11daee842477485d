/*
 * agent_conn: what a user agent's client sessions share, the mirror of the
 * server side's service frame: one TCP connection to a server, bytes carried
 * between it and a protocol client engine (the session's ops), the
 * watchdog that gives up on a silent server, and the end of the session
 * however it comes (the engine finished, the peer closed, the connection
 * broke, the server went quiet, the world was freed).
 */
#include <stdlib.h>

#include "core/util.h"
#include "net/tcp.h"
#include "node/node_private.h"

void agent_conn_flush(agent_conn_t *ac)
{
    if (ac->conn && ac->out.len) {
        tcp_send(ac->conn, ac->out.data, ac->out.len);
        buf_reset(&ac->out);
    }
    if (ac->conn && ac->ops->done(ac))
        tcp_close(ac->conn);
}

static void conn_dispose(agent_task_t *t)
{
    agent_conn_t *ac = (agent_conn_t *)t;
    watchdog_stop(&ac->silence);
    buf_free(&ac->out);
    ac->ops->free(ac);
}

void agent_conn_end(agent_conn_t *ac)
{
    tcp_conn_t *c = ac->conn;
    ac->conn = NULL;
    if (c)
        tcp_abort(c);
    ac->ops->lost(ac); /* the engine reports what was left unanswered */
    agent_task_remove(&ac->task);
    conn_dispose(&ac->task);
}

static void on_silence(void *arg)
{
    agent_conn_t *ac = arg;
    if (ac->ops->silence && ac->ops->silence(ac))
        return;
    agent_conn_end(ac);
}

void agent_conn_watch(agent_conn_t *ac)
{
    watchdog_start(&ac->silence, ac->agent->world->sim->sched, CLIENT_SILENCE_TIMEOUT, on_silence,
                   ac);
}

static void on_connected(tcp_conn_t *c, void *ctx)
{
    agent_conn_watch(ctx);
}

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    agent_conn_t *ac = ctx;
    watchdog_touch(&ac->silence);
    ac->ops->feed(ac, data, len, &ac->out);
    agent_conn_flush(ac);
}

static void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}

static void on_gone(agent_conn_t *ac)
{
    ac->conn = NULL; /* the net frees the connection after this callback */
    agent_conn_end(ac);
}

static void on_closed(tcp_conn_t *c, void *ctx)
{
    on_gone(ctx);
}

static void on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    on_gone(ctx);
}

static const tcp_callbacks_t conn_callbacks = {
    .on_connected = on_connected,
    .on_data = on_data,
    .on_peer_closed = on_peer_closed,
    .on_closed = on_closed,
    .on_error = on_error,
};

void agent_conn_open(agent_conn_t *ac, user_agent_t *a, const agent_conn_ops_t *ops, host_t *to,
                     uint16_t port)
{
    ac->agent = a;
    ac->ops = ops;
    agent_task_add(a, &ac->task, conn_dispose);
    ac->conn = tcp_connect(a->world->net, a->host, host_addr(to), port, &conn_callbacks, ac);
}

void agent_emit_result(user_agent_t *a, const char *text)
{
    world_t *w = a->world;
    if (!trace_enabled(&w->sim->trace))
        return;
    trace_event_t ev;
    trace_event_init(&ev, sim_now(w->sim), TRACE_USER_RESULT, a->host_name);
    ev.user = a->user;
    ev.text = text;
    node_emit(w, &ev);
}
