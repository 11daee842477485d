/*
 * test_net_world: the harness the net tests share: a recorder of trace
 * events, an application that logs its callbacks (and can misbehave on
 * purpose), and a world of one client host and one server host.
 */
#ifndef MAILSIM_TESTS_NET_WORLD_H
#define MAILSIM_TESTS_NET_WORLD_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/rng.h"
#include "core/sim.h"
#include "core/trace.h"
#include "net/net.h"
#include "net/tcp.h"

#define CLIENT_ADDR 0xC0000201u /* 192.0.2.1 */
#define SERVER_ADDR 0xC6336414u /* 198.51.100.20 */
#define PORT 25

/* --- a recorder of trace events ---------------------------------------------- */

typedef struct rec {
    trace_event_t **ev;
    size_t n, cap;
} rec_t;

static inline void rec_event(void *ctx, const trace_event_t *ev)
{
    rec_t *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
    }
    r->ev[r->n++] = trace_event_copy(ev);
}

static inline void rec_free(rec_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        trace_event_free_copy(r->ev[i]);
    free(r->ev);
}

/* Events of a kind, optionally at a host and with flags (NULL: any). */
static inline int rec_count(const rec_t *r, trace_kind_t kind, const char *host, const char *flags)
{
    int n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const trace_event_t *e = r->ev[i];
        if (e->kind == kind && (!host || strcmp(e->host, host) == 0) &&
            (!flags || (e->flags && strcmp(e->flags, flags) == 0)))
            n++;
    }
    return n;
}

static inline const trace_event_t *rec_nth(const rec_t *r, trace_kind_t kind, int nth)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->ev[i]->kind == kind && nth-- == 0)
            return r->ev[i];
    return NULL;
}

/* --- an application at each end ---------------------------------------------- */

typedef struct app {
    tcp_conn_t *conn;
    buf_t got;
    bool connected, peer_closed, closed;
    int error; /* -1: none */
    sim_time_t connected_at, error_at, closed_at;
    int after_end; /* callbacks that came after the last one: must stay 0 */
    bool ended;
    /* behaviour */
    bool close_on_peer_closed;
    bool abort_on_data, abort_on_connected, abort_on_accept;
    bool echo; /* answers what arrives with a part of it, at once */
    const uint8_t *reply;
    size_t reply_len;
    sim_t *sim;
} app_t;

static inline void app_init(app_t *a, sim_t *sim)
{
    memset(a, 0, sizeof *a);
    a->error = -1;
    a->sim = sim;
    buf_init(&a->got);
}

static inline void note(app_t *a)
{
    if (a->ended)
        a->after_end++;
}

static inline void on_connected(tcp_conn_t *c, void *ctx)
{
    app_t *a = ctx;
    note(a);
    a->connected = true;
    a->connected_at = sim_now(a->sim);
    if (a->abort_on_connected) {
        tcp_abort(c);
        a->ended = true;
    }
}

static inline void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    app_t *a = ctx;
    note(a);
    buf_append(&a->got, data, len);
    if (a->echo)
        tcp_send(c, data, len / 3 + 1);
    if (a->abort_on_data) {
        tcp_abort(c);
        tcp_abort(c); /* twice is harmless */
        tcp_send(c, "x", 1);
        a->ended = true;
    }
}

static inline void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    app_t *a = ctx;
    note(a);
    a->peer_closed = true;
    if (a->reply)
        tcp_send(c, a->reply, a->reply_len);
    if (a->close_on_peer_closed)
        tcp_close(c);
}

static inline void on_closed(tcp_conn_t *c, void *ctx)
{
    app_t *a = ctx;
    note(a);
    a->closed = true;
    a->closed_at = sim_now(a->sim);
    a->ended = true;
}

static inline void on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    app_t *a = ctx;
    note(a);
    a->error = (int)err;
    a->error_at = sim_now(a->sim);
    a->ended = true;
}

static const tcp_callbacks_t app_callbacks = {
    .on_connected = on_connected,
    .on_data = on_data,
    .on_peer_closed = on_peer_closed,
    .on_closed = on_closed,
    .on_error = on_error,
};

static inline void accept_into(tcp_conn_t *c, void *ctx)
{
    app_t *a = ctx;
    a->conn = c;
    a->connected = true;
    a->connected_at = sim_now(a->sim);
    if (a->abort_on_accept) {
        tcp_abort(c);
        a->ended = true;
        return;
    }
    tcp_conn_set_callbacks(c, &app_callbacks, a);
}

/* --- the world: a client host and a server host -------------------------------- */

typedef struct world {
    sim_t *sim;
    net_t *net;
    host_t *client_host, *server_host;
    rec_t rec;
    app_t client, server;
} world_t;

static inline void world_init(world_t *w, uint64_t seed, bool trace)
{
    memset(w, 0, sizeof *w);
    w->sim = sim_new(seed);
    w->net = net_new(w->sim);
    w->client_host = net_host_add(w->net, "client.example", CLIENT_ADDR);
    w->server_host = net_host_add(w->net, "server.example", SERVER_ADDR);
    ck_assert_ptr_nonnull(w->client_host);
    ck_assert_ptr_nonnull(w->server_host);
    if (trace)
        trace_subscribe(&w->sim->trace, rec_event, &w->rec);
    app_init(&w->client, w->sim);
    app_init(&w->server, w->sim);
    ck_assert_int_eq(tcp_listen(w->net, w->server_host, PORT, accept_into, &w->server), 0);
}

static inline void world_free(world_t *w)
{
    net_free(w->net);
    sim_free(w->sim);
    rec_free(&w->rec);
    buf_free(&w->client.got);
    buf_free(&w->server.got);
}

static inline void world_connect(world_t *w)
{
    w->client.conn =
        tcp_connect(w->net, w->client_host, SERVER_ADDR, PORT, &app_callbacks, &w->client);
    ck_assert_ptr_nonnull(w->client.conn);
}

static inline void world_set_path(world_t *w, sim_time_t latency, uint64_t bps, double loss)
{
    path_props_t p = {latency, bps, loss, false};
    net_set_path(w->net, w->client_host, w->server_host, &p);
}

static inline uint8_t *pattern(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n);
    rng_t r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_next(&r);
    return p;
}

#endif
