/*
 * The simulated TCP: handshake, bulk transfer under loss, refused and timed
 * out connects, half-close, crashes, callbacks that abort their own
 * connection, the receive window, TIME-WAIT and determinism.
 */
#include <check.h>
#include <inttypes.h>
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

static void rec_event(void *ctx, const trace_event_t *ev)
{
    rec_t *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
    }
    r->ev[r->n++] = trace_event_copy(ev);
}

static void rec_free(rec_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        trace_event_free_copy(r->ev[i]);
    free(r->ev);
}

/* Events of a kind, optionally at a host and with flags (NULL: any). */
static int rec_count(const rec_t *r, trace_kind_t kind, const char *host, const char *flags)
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

static const trace_event_t *rec_nth(const rec_t *r, trace_kind_t kind, int nth)
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
    const uint8_t *reply;
    size_t reply_len;
    sim_t *sim;
} app_t;

static void app_init(app_t *a, sim_t *sim)
{
    memset(a, 0, sizeof *a);
    a->error = -1;
    a->sim = sim;
    buf_init(&a->got);
}

static void note(app_t *a)
{
    if (a->ended)
        a->after_end++;
}

static void on_connected(tcp_conn_t *c, void *ctx)
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

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    app_t *a = ctx;
    note(a);
    buf_append(&a->got, data, len);
    if (a->abort_on_data) {
        tcp_abort(c);
        tcp_abort(c); /* twice is harmless */
        tcp_send(c, "x", 1);
        a->ended = true;
    }
}

static void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    app_t *a = ctx;
    note(a);
    a->peer_closed = true;
    if (a->reply)
        tcp_send(c, a->reply, a->reply_len);
    if (a->close_on_peer_closed)
        tcp_close(c);
}

static void on_closed(tcp_conn_t *c, void *ctx)
{
    app_t *a = ctx;
    note(a);
    a->closed = true;
    a->closed_at = sim_now(a->sim);
    a->ended = true;
}

static void on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
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

static void accept_into(tcp_conn_t *c, void *ctx)
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

static void world_init(world_t *w, uint64_t seed, bool trace)
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

static void world_free(world_t *w)
{
    net_free(w->net);
    sim_free(w->sim);
    rec_free(&w->rec);
    buf_free(&w->client.got);
    buf_free(&w->server.got);
}

static void world_connect(world_t *w)
{
    w->client.conn =
        tcp_connect(w->net, w->client_host, SERVER_ADDR, PORT, &app_callbacks, &w->client);
    ck_assert_ptr_nonnull(w->client.conn);
}

static void world_set_path(world_t *w, sim_time_t latency, uint64_t bps, double loss)
{
    path_props_t p = {latency, bps, loss, false};
    net_set_path(w->net, w->client_host, w->server_host, &p);
}

static uint8_t *pattern(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n);
    rng_t r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_next(&r);
    return p;
}

/* --- tests --------------------------------------------------------------------- */

START_TEST(test_handshake_is_syn_synack_ack)
{
    world_t w;
    world_init(&w, 1, true);
    world_connect(&w);
    sched_run_until(w.sim->sched, 5 * SIM_SEC);
    ck_assert(w.client.connected);
    ck_assert(w.server.connected);
    ck_assert_int_eq(tcp_conn_state(w.client.conn), TCP_ESTABLISHED);
    ck_assert_int_eq(tcp_conn_state(w.server.conn), TCP_ESTABLISHED);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_SEGMENT, NULL, NULL), 3);
    const char *want_flags[] = {"SYN", "SYN,ACK", "ACK"};
    const char *want_host[] = {"client.example", "server.example", "client.example"};
    const char *want_to[] = {"server.example", "client.example", "server.example"};
    const trace_event_t *seg[3];
    for (int i = 0; i < 3; i++) {
        seg[i] = rec_nth(&w.rec, TRACE_TCP_SEGMENT, i);
        ck_assert_msg(strcmp(seg[i]->flags, want_flags[i]) == 0, "segment %d: got %s, want %s", i,
                      seg[i]->flags, want_flags[i]);
        ck_assert_str_eq(seg[i]->host, want_host[i]);
        ck_assert_str_eq(seg[i]->from, want_host[i]);
        ck_assert_str_eq(seg[i]->to, want_to[i]);
        ck_assert_int_eq(seg[i]->port, PORT);
        ck_assert_int_eq(seg[i]->session, (int64_t)tcp_conn_id(w.client.conn));
        ck_assert_int_eq(seg[i]->len, 0);
        ck_assert_int_eq(seg[i]->window, NET_DEFAULT_WINDOW);
    }
    /* Sequence numbers: each side acknowledges the other's ISN plus one. */
    ck_assert_int_eq(seg[1]->ack, (seg[0]->seq + 1) & 0xffffffff);
    ck_assert_int_eq(seg[2]->seq, (seg[0]->seq + 1) & 0xffffffff);
    ck_assert_int_eq(seg[2]->ack, (seg[1]->seq + 1) & 0xffffffff);
    ck_assert_uint_eq(seg[0]->src_addr, CLIENT_ADDR);
    ck_assert_uint_eq(seg[0]->dst_addr, SERVER_ADDR);
    ck_assert_uint_eq(seg[0]->dst_port, PORT);
    ck_assert_uint_eq(seg[0]->src_port, tcp_conn_local_port(w.client.conn));
    ck_assert_uint_ge(seg[0]->src_port, 49152);
    /* Both ends share one id; the service port is the listener's. */
    ck_assert_uint_eq(tcp_conn_id(w.client.conn), tcp_conn_id(w.server.conn));
    ck_assert_uint_eq(tcp_conn_service_port(w.client.conn), PORT);
    ck_assert_uint_eq(tcp_conn_service_port(w.server.conn), PORT);
    ck_assert_ptr_eq(tcp_conn_remote(w.server.conn), w.client_host);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_CONNECT, "client.example", NULL), 1);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_ESTABLISHED, NULL, NULL), 2);
    const trace_event_t *est = rec_nth(&w.rec, TRACE_TCP_ESTABLISHED, 1);
    ck_assert_str_eq(est->from, "client.example");
    ck_assert_str_eq(est->to, "server.example");
    /* 10 ms each way: the client is connected after one round trip. */
    ck_assert_int_ge(w.client.connected_at, 20 * SIM_MS);
    ck_assert_int_lt(w.client.connected_at, 21 * SIM_MS);
    world_free(&w);
}
END_TEST

static const double transfer_loss[] = {0.0, 0.10, 0.30};

START_TEST(test_bulk_transfer_under_loss)
{
    const size_t size = 1000000;
    double loss = transfer_loss[_i];
    world_t w;
    world_init(&w, 42, false);
    world_set_path(&w, 10 * SIM_MS, 100000000, loss);
    w.server.close_on_peer_closed = true;
    uint8_t *data = pattern(size, 7);
    world_connect(&w);
    tcp_send(w.client.conn, data, size);
    tcp_shutdown(w.client.conn);
    sched_run(w.sim->sched);
    ck_assert_msg(w.server.got.len == size, "loss %.2f: got %zu bytes, want %zu", loss,
                  w.server.got.len, size);
    ck_assert_msg(memcmp(w.server.got.data, data, size) == 0, "loss %.2f: bytes differ", loss);
    ck_assert(w.server.peer_closed);
    ck_assert_msg(w.client.closed && w.server.closed, "loss %.2f: closed %d/%d, errors %d/%d", loss,
                  w.client.closed, w.server.closed, w.client.error, w.server.error);
    ck_assert_int_eq(w.client.error, -1);
    ck_assert_int_eq(w.server.error, -1);
    ck_assert_int_eq(w.client.after_end + w.server.after_end, 0);
    world_free(&w);
    free(data);
}
END_TEST

static int retransmits_seen;

static void count_retransmits(void *ctx, const trace_event_t *ev)
{
    if (ev->kind == TRACE_TCP_RETRANSMIT)
        retransmits_seen++;
}

START_TEST(test_loss_causes_retransmissions)
{
    world_t w;
    world_init(&w, 3, false);
    trace_subscribe(&w.sim->trace, count_retransmits, NULL);
    retransmits_seen = 0;
    world_set_path(&w, 10 * SIM_MS, 100000000, 0.10);
    uint8_t *data = pattern(200000, 1);
    world_connect(&w);
    tcp_send(w.client.conn, data, 200000);
    sched_run_until(w.sim->sched, 600 * SIM_SEC);
    tcp_stats_t st;
    tcp_conn_stats(w.client.conn, &st);
    ck_assert_uint_eq(w.server.got.len, 200000);
    ck_assert_uint_gt(st.retransmits, 0);
    ck_assert_int_eq((int)st.retransmits, retransmits_seen);
    ck_assert_uint_eq(st.bytes_acked, 200000);
    ck_assert_int_gt(st.srtt, 20 * SIM_MS);
    world_free(&w);
    free(data);
}
END_TEST

START_TEST(test_refused)
{
    world_t w;
    world_init(&w, 1, true);
    w.client.conn = tcp_connect(w.net, w.client_host, SERVER_ADDR, 9, &app_callbacks, &w.client);
    sched_run(w.sim->sched);
    ck_assert_int_eq(w.client.error, TCP_ERR_REFUSED);
    ck_assert(!w.client.connected);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_SEGMENT, NULL, NULL), 2);
    ck_assert_str_eq(rec_nth(&w.rec, TRACE_TCP_SEGMENT, 0)->flags, "SYN");
    const trace_event_t *rst = rec_nth(&w.rec, TRACE_TCP_SEGMENT, 1);
    ck_assert_str_eq(rst->flags, "RST,ACK");
    ck_assert_str_eq(rst->host, "server.example");
    ck_assert_int_eq(rst->port, 9);
    ck_assert_int_eq(rst->session, rec_nth(&w.rec, TRACE_TCP_SEGMENT, 0)->session);
    ck_assert_int_ne(rst->session, TRACE_NONE);
    ck_assert_int_eq(rst->ack, (rec_nth(&w.rec, TRACE_TCP_SEGMENT, 0)->seq + 1) & 0xffffffff);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_REFUSED, "client.example", NULL), 1);
    ck_assert_str_eq(tcp_error_name(TCP_ERR_REFUSED), "connection refused");
    world_free(&w);
}
END_TEST

START_TEST(test_connect_timeout_to_down_host)
{
    world_t w;
    world_init(&w, 1, true);
    net_host_down(w.net, w.server_host);
    world_connect(&w);
    sched_run(w.sim->sched);
    ck_assert_int_eq(w.client.error, TCP_ERR_TIMEOUT);
    /* 1 + 2 + 4 + 8 + 16 + 32 s */
    ck_assert_int_eq(w.client.error_at, 63 * SIM_SEC);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_SEGMENT, "client.example", "SYN"), 6);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_RETRANSMIT, "client.example", "SYN"), 5);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_DROP, "client.example", "SYN"), 6);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_TIMEOUT, "client.example", NULL), 1);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_HOST_DOWN, "server.example", NULL), 1);
    sim_time_t want_t[] = {0, 1, 3, 7, 15, 31};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(rec_nth(&w.rec, TRACE_TCP_SEGMENT, i)->t, want_t[i] * SIM_SEC);
    const trace_event_t *rt = rec_nth(&w.rec, TRACE_TCP_RETRANSMIT, 4);
    ck_assert_int_eq(rt->attempt, 5);
    world_free(&w);
}
END_TEST

START_TEST(test_connect_to_unknown_address_times_out)
{
    world_t w;
    world_init(&w, 1, true);
    w.client.conn = tcp_connect(w.net, w.client_host, 0xCB007101u, PORT, &app_callbacks, &w.client);
    ck_assert_ptr_null(tcp_conn_remote(w.client.conn));
    sched_run(w.sim->sched);
    ck_assert_int_eq(w.client.error, TCP_ERR_TIMEOUT);
    ck_assert_str_eq(rec_nth(&w.rec, TRACE_TCP_SEGMENT, 0)->to, "203.0.113.1");
    world_free(&w);
}
END_TEST

typedef struct state_log {
    char client[256], server[256];
} state_log_t;

static void log_state(const tcp_conn_t *c, tcp_state_t from, tcp_state_t to, void *ctx)
{
    state_log_t *l = ctx;
    char *s = tcp_conn_is_client(c) ? l->client : l->server;
    if (*s)
        strcat(s, " ");
    strcat(s, tcp_state_name(to));
}

START_TEST(test_half_close)
{
    static const char request[] = "all the data the client has";
    world_t w;
    world_init(&w, 5, true);
    state_log_t log = {{0}, {0}};
    tcp_set_state_observer(w.net, log_state, &log);
    uint8_t *reply = pattern(10000, 3);
    w.server.reply = reply;
    w.server.reply_len = 10000;
    w.server.close_on_peer_closed = true;
    world_connect(&w);
    tcp_send(w.client.conn, request, strlen(request));
    tcp_shutdown(w.client.conn);
    sched_run_until(w.sim->sched, 10 * SIM_SEC);
    /* The client shut its side down and still receives the reply. */
    ck_assert_str_eq(buf_cstr(&w.server.got), request);
    ck_assert(w.server.peer_closed);
    ck_assert_uint_eq(w.client.got.len, 10000);
    ck_assert_mem_eq(w.client.got.data, reply, 10000);
    ck_assert(w.client.peer_closed);
    ck_assert(w.client.closed);
    ck_assert(w.server.closed);
    ck_assert_str_eq(log.client, "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT");
    ck_assert_str_eq(log.server, "SYN-RECEIVED ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED");
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_SEGMENT, "client.example", "FIN,ACK"), 1);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_SEGMENT, "server.example", "FIN,ACK"), 1);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_CLOSE, NULL, NULL), 2);
    /* TIME-WAIT is a real state: it ends by its timer. */
    sched_run(w.sim->sched);
    ck_assert_str_eq(log.client, "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT CLOSED");
    ck_assert_int_ge(sim_now(w.sim), w.client.closed_at + 60 * SIM_SEC);
    world_free(&w);
    free(reply);
}
END_TEST

static void crash_server(void *arg)
{
    world_t *w = arg;
    net_host_crash(w->net, w->server_host);
}

static void revive_server(void *arg)
{
    world_t *w = arg;
    net_host_up(w->net, w->server_host);
}

START_TEST(test_crash_mid_transfer_peer_times_out)
{
    const size_t size = 1000000;
    world_t w;
    world_init(&w, 9, true);
    uint8_t *data = pattern(size, 2);
    world_connect(&w);
    tcp_send(w.client.conn, data, size);
    sched_at(w.sim->sched, 200 * SIM_MS, crash_server, &w);
    sched_run(w.sim->sched);
    ck_assert_int_eq(w.server.error, TCP_ERR_CRASH);
    ck_assert_int_eq(w.server.error_at, 200 * SIM_MS);
    ck_assert_uint_gt(w.server.got.len, 0);
    ck_assert_uint_lt(w.server.got.len, size);
    ck_assert_int_eq(w.client.error, TCP_ERR_RETRIES);
    /* Fifteen backed-off retransmissions take many minutes. */
    ck_assert_int_gt(w.client.error_at, 10 * SIM_MIN);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_HOST_CRASH, "server.example", NULL), 1);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_RETRANSMIT, "client.example", NULL), 15);
    /* The crashed side sent nothing once it crashed. */
    for (size_t i = 0; i < w.rec.n; i++) {
        const trace_event_t *e = w.rec.ev[i];
        if (e->kind == TRACE_TCP_SEGMENT && strcmp(e->host, "server.example") == 0)
            ck_assert_int_le(e->t, 200 * SIM_MS);
    }
    ck_assert_int_eq(w.client.after_end + w.server.after_end, 0);
    world_free(&w);
    free(data);
}
END_TEST

START_TEST(test_crash_then_up_peer_is_reset)
{
    const size_t size = 1000000;
    world_t w;
    world_init(&w, 9, true);
    uint8_t *data = pattern(size, 2);
    world_connect(&w);
    tcp_send(w.client.conn, data, size);
    sched_at(w.sim->sched, 200 * SIM_MS, crash_server, &w);
    sched_at(w.sim->sched, 5 * SIM_SEC, revive_server, &w);
    sched_run(w.sim->sched);
    ck_assert_int_eq(w.server.error, TCP_ERR_CRASH);
    ck_assert_int_eq(w.client.error, TCP_ERR_RESET);
    ck_assert_int_gt(w.client.error_at, 5 * SIM_SEC);
    ck_assert_int_lt(w.client.error_at, 20 * SIM_SEC);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_SEGMENT, "server.example", "RST"), 1);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_RESET, "client.example", NULL), 1);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_HOST_UP, "server.example", NULL), 1);
    world_free(&w);
    free(data);
}
END_TEST

START_TEST(test_down_then_up_connection_survives)
{
    const size_t size = 300000;
    world_t w;
    world_init(&w, 4, true);
    w.server.close_on_peer_closed = true;
    uint8_t *data = pattern(size, 5);
    world_connect(&w);
    tcp_send(w.client.conn, data, size);
    tcp_shutdown(w.client.conn);
    sched_run_until(w.sim->sched, 100 * SIM_MS);
    net_host_down(w.net, w.server_host);
    sched_run_until(w.sim->sched, 20 * SIM_SEC);
    ck_assert_uint_lt(w.server.got.len, size);
    net_host_up(w.net, w.server_host);
    sched_run(w.sim->sched);
    ck_assert_uint_eq(w.server.got.len, size);
    ck_assert_mem_eq(w.server.got.data, data, size);
    ck_assert(w.client.closed && w.server.closed);
    ck_assert_int_gt(rec_count(&w.rec, TRACE_TCP_DROP, NULL, NULL), 0);
    world_free(&w);
    free(data);
}
END_TEST

START_TEST(test_abort_inside_on_data)
{
    world_t w;
    world_init(&w, 1, true);
    w.server.abort_on_data = true;
    uint8_t *data = pattern(50000, 1);
    world_connect(&w);
    tcp_send(w.client.conn, data, 50000);
    sched_run(w.sim->sched);
    ck_assert_uint_gt(w.server.got.len, 0);
    ck_assert_uint_le(w.server.got.len, 1460);
    ck_assert_int_eq(w.server.after_end, 0);
    ck_assert_int_eq(w.server.error, -1);
    ck_assert(!w.server.closed);
    ck_assert_int_eq(w.client.error, TCP_ERR_RESET);
    /* The abort's RST, then one for each segment that was already on its way. */
    ck_assert_int_ge(rec_count(&w.rec, TRACE_TCP_SEGMENT, "server.example", "RST"), 1);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_RESET, "server.example", NULL), 1);
    world_free(&w);
    free(data);
}
END_TEST

START_TEST(test_abort_inside_on_connected_and_accept)
{
    world_t w;
    world_init(&w, 1, true);
    w.client.abort_on_connected = true;
    world_connect(&w);
    sched_run(w.sim->sched);
    ck_assert(w.client.connected);
    ck_assert_int_eq(w.client.after_end, 0);
    ck_assert_int_eq(w.server.error, TCP_ERR_RESET);

    world_t v;
    world_init(&v, 1, true);
    v.server.abort_on_accept = true;
    world_connect(&v);
    tcp_send(v.client.conn, "hello", 5);
    sched_run(v.sim->sched);
    ck_assert_int_eq(v.client.error, TCP_ERR_RESET);
    ck_assert_uint_eq(v.server.got.len, 0);
    world_free(&w);
    world_free(&v);
}
END_TEST

START_TEST(test_abort_from_outside)
{
    world_t w;
    world_init(&w, 1, true);
    world_connect(&w);
    sched_run_until(w.sim->sched, SIM_SEC);
    tcp_abort(w.client.conn);
    sched_run(w.sim->sched);
    ck_assert_int_eq(w.client.error, -1);
    ck_assert(!w.client.closed);
    ck_assert_int_eq(w.server.error, TCP_ERR_RESET);
    world_free(&w);
}
END_TEST

/* Data in flight never exceeds the window the receiver advertised. */
typedef struct window_check {
    int64_t highest_sent, highest_ack;
    int64_t max_flight;
    bool have_ack;
} window_check_t;

static void watch_window(void *ctx, const trace_event_t *ev)
{
    window_check_t *wc = ctx;
    if (ev->kind != TRACE_TCP_SEGMENT)
        return;
    if (strcmp(ev->host, "server.example") == 0 && strcmp(ev->flags, "ACK") == 0) {
        wc->highest_ack = ev->ack;
        wc->have_ack = true;
    } else if (strcmp(ev->host, "client.example") == 0 && ev->len > 0 && wc->have_ack) {
        if (ev->seq + ev->len > wc->highest_sent)
            wc->highest_sent = ev->seq + ev->len;
        int64_t flight = (wc->highest_sent - wc->highest_ack) & 0xffffffff;
        if (flight > wc->max_flight)
            wc->max_flight = flight;
    }
}

START_TEST(test_sender_respects_window)
{
    world_t w;
    world_init(&w, 1, false);
    net_set_window(w.net, 4000);
    window_check_t wc = {0};
    trace_subscribe(&w.sim->trace, watch_window, &wc);
    uint8_t *data = pattern(100000, 8);
    world_connect(&w);
    tcp_send(w.client.conn, data, 100000);
    sched_run_until(w.sim->sched, 60 * SIM_SEC);
    ck_assert_uint_eq(w.server.got.len, 100000);
    ck_assert_int_le(wc.max_flight, 4000);
    ck_assert_int_gt(wc.max_flight, 2 * 1460);
    world_free(&w);
    free(data);
}
END_TEST

START_TEST(test_mss_segmentation)
{
    world_t w;
    world_init(&w, 1, true);
    net_set_mss(w.net, 536);
    uint8_t *data = pattern(2000, 4);
    world_connect(&w);
    tcp_send(w.client.conn, data, 2000);
    sched_run_until(w.sim->sched, 5 * SIM_SEC);
    ck_assert_uint_eq(w.server.got.len, 2000);
    int64_t want[] = {536, 536, 536, 392};
    int k = 0;
    for (size_t i = 0; i < w.rec.n; i++) {
        const trace_event_t *e = w.rec.ev[i];
        if (e->kind == TRACE_TCP_SEGMENT && e->len > 0) {
            ck_assert_int_lt(k, 4);
            ck_assert_str_eq(e->flags, "PSH,ACK");
            ck_assert_int_eq(e->len, want[k]);
            ck_assert_uint_eq(e->payload_len, (size_t)want[k]);
            ck_assert_mem_eq(e->payload, data + 536 * k, (size_t)want[k]);
            k++;
        }
    }
    ck_assert_int_eq(k, 4);
    /* Cumulative ACKs: the last ACK from the server covers all 2000 bytes. */
    int64_t isn = rec_nth(&w.rec, TRACE_TCP_SEGMENT, 0)->seq;
    int64_t last_ack = -1;
    for (size_t i = 0; i < w.rec.n; i++)
        if (w.rec.ev[i]->kind == TRACE_TCP_SEGMENT &&
            strcmp(w.rec.ev[i]->host, "server.example") == 0)
            last_ack = w.rec.ev[i]->ack;
    ck_assert_int_eq(last_ack, (isn + 1 + 2000) & 0xffffffff);
    world_free(&w);
    free(data);
}
END_TEST

/* Several tcp_send calls in one callback leave as one segment. */
static void send_twice(tcp_conn_t *c, void *ctx)
{
    tcp_send(c, "220 ", 4);
    tcp_send(c, "ready\r\n", 7);
}

START_TEST(test_sends_in_one_callback_coalesce)
{
    world_t w;
    world_init(&w, 1, true);
    tcp_callbacks_t cb = app_callbacks;
    cb.on_connected = send_twice;
    w.client.conn = tcp_connect(w.net, w.client_host, SERVER_ADDR, PORT, &cb, &w.client);
    sched_run_until(w.sim->sched, 5 * SIM_SEC);
    ck_assert_str_eq(buf_cstr(&w.server.got), "220 ready\r\n");
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_SEGMENT, "client.example", "PSH,ACK"), 1);
    /* The handshake's ACK still left on its own, before the data. */
    ck_assert_str_eq(rec_nth(&w.rec, TRACE_TCP_SEGMENT, 2)->flags, "ACK");
    world_free(&w);
}
END_TEST

/* Runs a lossy transfer and hashes the formatted segment events. */
typedef struct hasher {
    uint64_t h;
    buf_t line;
    int64_t first_seq;
} hasher_t;

static void hash_event(void *ctx, const trace_event_t *ev)
{
    hasher_t *hs = ctx;
    if (ev->kind != TRACE_TCP_SEGMENT && ev->kind != TRACE_TCP_DROP &&
        ev->kind != TRACE_TCP_RETRANSMIT)
        return;
    if (hs->first_seq < 0)
        hs->first_seq = ev->seq;
    buf_reset(&hs->line);
    trace_format_text(ev, &hs->line);
    for (size_t i = 0; i < hs->line.len; i++)
        hs->h = (hs->h ^ hs->line.data[i]) * 0x100000001b3ULL;
}

static hasher_t traced_run(uint64_t seed)
{
    world_t w;
    world_init(&w, seed, false);
    hasher_t hs = {0xcbf29ce484222325ULL, BUF_INIT, -1};
    trace_subscribe(&w.sim->trace, hash_event, &hs);
    world_set_path(&w, 15 * SIM_MS, 10000000, 0.1);
    w.server.close_on_peer_closed = true;
    uint8_t *data = pattern(100000, 6);
    world_connect(&w);
    tcp_send(w.client.conn, data, 100000);
    tcp_shutdown(w.client.conn);
    sched_run(w.sim->sched);
    ck_assert_uint_eq(w.server.got.len, 100000);
    world_free(&w);
    buf_free(&hs.line);
    free(data);
    return hs;
}

START_TEST(test_same_seed_same_trace)
{
    hasher_t a = traced_run(11), b = traced_run(11), c = traced_run(12);
    ck_assert_msg(a.h == b.h, "same seed: %016" PRIx64 " vs %016" PRIx64, a.h, b.h);
    ck_assert_int_eq(a.first_seq, b.first_seq);
    ck_assert(a.h != c.h);
    ck_assert_msg(a.first_seq != c.first_seq, "another seed kept the ISN %" PRId64, a.first_seq);
}
END_TEST

START_TEST(test_listen_port_taken_and_unlisten)
{
    world_t w;
    world_init(&w, 1, true);
    ck_assert_int_eq(tcp_listen(w.net, w.server_host, PORT, accept_into, &w.server), -1);
    ck_assert(tcp_is_listening(w.net, w.server_host, PORT));
    tcp_unlisten(w.net, w.server_host, PORT);
    ck_assert(!tcp_is_listening(w.net, w.server_host, PORT));
    world_connect(&w);
    sched_run(w.sim->sched);
    ck_assert_int_eq(w.client.error, TCP_ERR_REFUSED);
    world_free(&w);
}
END_TEST

START_TEST(test_close_discards_later_data)
{
    world_t w;
    world_init(&w, 1, false);
    uint8_t *data = pattern(30000, 9);
    world_connect(&w);
    sched_run_until(w.sim->sched, SIM_SEC);
    /* The server closes at once; the client's data is acknowledged but not delivered. */
    tcp_close(w.server.conn);
    tcp_send(w.client.conn, data, 30000);
    w.client.close_on_peer_closed = true;
    sched_run(w.sim->sched);
    ck_assert_uint_eq(w.server.got.len, 0);
    ck_assert(w.server.closed);
    ck_assert(w.client.peer_closed);
    ck_assert(w.client.closed);
    ck_assert_int_eq(w.client.error, -1);
    world_free(&w);
    free(data);
}
END_TEST

START_TEST(test_orphan_gives_up_in_fin_wait_2)
{
    world_t w;
    world_init(&w, 1, false);
    state_log_t log = {{0}, {0}};
    tcp_set_state_observer(w.net, log_state, &log);
    world_connect(&w);
    sched_run_until(w.sim->sched, SIM_SEC);
    /* The client closes; the server never does. */
    tcp_close(w.client.conn);
    sched_run(w.sim->sched);
    ck_assert(w.server.peer_closed);
    ck_assert(!w.server.closed);
    ck_assert_int_eq(tcp_conn_state(w.server.conn), TCP_CLOSE_WAIT);
    ck_assert(w.client.closed);
    ck_assert_int_ge(w.client.closed_at, 60 * SIM_SEC);
    ck_assert_int_lt(w.client.closed_at, 62 * SIM_SEC);
    ck_assert_str_eq(log.client, "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSED");
    world_free(&w);
}
END_TEST

/* A callback that crashes its own host; inside the crash, another callback
 * opens a connection from the crashed host and aborts one the crash was
 * about to lose. */
typedef struct chaos {
    world_t *w;
    int data_calls;
    int spare_errors;
    tcp_conn_t *spare;
    tcp_conn_t *again;
} chaos_t;

static void chaos_on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    chaos_t *ch = ctx;
    if (err == TCP_ERR_CRASH && !ch->again) {
        ch->again = tcp_connect(ch->w->net, ch->w->server_host, CLIENT_ADDR, 7, NULL, NULL);
        tcp_abort(ch->spare);
    }
}

static void spare_on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    chaos_t *ch = ctx;
    ch->spare_errors++;
}

static void chaos_on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    chaos_t *ch = ctx;
    if (++ch->data_calls == 3)
        net_host_crash(ch->w->net, ch->w->server_host);
}

static void chaos_accept(tcp_conn_t *c, void *ctx)
{
    static const tcp_callbacks_t cb = {.on_data = chaos_on_data, .on_error = chaos_on_error};
    static const tcp_callbacks_t spare_cb = {.on_error = spare_on_error};
    chaos_t *ch = ctx;
    tcp_conn_set_callbacks(c, &cb, ctx);
    ch->spare = tcp_connect(ch->w->net, ch->w->server_host, CLIENT_ADDR, 8, &spare_cb, ch);
}

START_TEST(test_callback_crashes_its_own_host)
{
    world_t w;
    world_init(&w, 1, true);
    chaos_t ch = {.w = &w};
    ck_assert_int_eq(tcp_listen(w.net, w.server_host, 26, chaos_accept, &ch), 0);
    ck_assert_int_eq(tcp_listen(w.net, w.client_host, 8, accept_into, &w.server), 0);
    tcp_conn_t *c = tcp_connect(w.net, w.client_host, SERVER_ADDR, 26, &app_callbacks, &w.client);
    uint8_t *data = pattern(20000, 1);
    tcp_send(c, data, 20000);
    sched_run(w.sim->sched);
    ck_assert_int_eq(ch.data_calls, 3);
    ck_assert_ptr_nonnull(ch.spare);
    ck_assert_ptr_nonnull(ch.again);
    ck_assert_int_eq(ch.spare_errors, 0);
    ck_assert_int_eq(w.client.error, TCP_ERR_RETRIES);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_HOST_CRASH, "server.example", NULL), 1);
    /* The spare was still in SYN-SENT: aborting it sends nothing. Its SYN
     * reached the client, whose SYN,ACKs then went to a down host. */
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_SEGMENT, "server.example", "RST"), 0);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_RETRANSMIT, "client.example", "SYN,ACK"), 5);
    ck_assert(!w.server.connected);
    /* The new connection from the crashed (down) host timed out. */
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_TIMEOUT, "server.example", NULL), 1);
    world_free(&w);
    free(data);
}
END_TEST

START_TEST(test_net_free_with_open_connections)
{
    /* Freed mid-transfer: no callback runs, nothing leaks (ASan checks). */
    world_t w;
    world_init(&w, 1, true);
    uint8_t *data = pattern(100000, 9);
    world_connect(&w);
    tcp_send(w.client.conn, data, 100000);
    sched_run_until(w.sim->sched, 50 * SIM_MS);
    ck_assert_uint_gt(sched_pending(w.sim->sched), 0);
    world_free(&w);
    free(data);
}
END_TEST

Suite *net_tcp_suite(void)
{
    Suite *s = suite_create("net_tcp");
    TCase *tc = tcase_create("tcp");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_handshake_is_syn_synack_ack);
    tcase_add_loop_test(tc, test_bulk_transfer_under_loss, 0, 3);
    tcase_add_test(tc, test_loss_causes_retransmissions);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_connect_timeout_to_down_host);
    tcase_add_test(tc, test_connect_to_unknown_address_times_out);
    tcase_add_test(tc, test_half_close);
    tcase_add_test(tc, test_crash_mid_transfer_peer_times_out);
    tcase_add_test(tc, test_crash_then_up_peer_is_reset);
    tcase_add_test(tc, test_down_then_up_connection_survives);
    tcase_add_test(tc, test_abort_inside_on_data);
    tcase_add_test(tc, test_abort_inside_on_connected_and_accept);
    tcase_add_test(tc, test_abort_from_outside);
    tcase_add_test(tc, test_sender_respects_window);
    tcase_add_test(tc, test_mss_segmentation);
    tcase_add_test(tc, test_sends_in_one_callback_coalesce);
    tcase_add_test(tc, test_same_seed_same_trace);
    tcase_add_test(tc, test_listen_port_taken_and_unlisten);
    tcase_add_test(tc, test_close_discards_later_data);
    tcase_add_test(tc, test_orphan_gives_up_in_fin_wait_2);
    tcase_add_test(tc, test_callback_crashes_its_own_host);
    tcase_add_test(tc, test_net_free_with_open_connections);
    suite_add_tcase(s, tc);
    return s;
}
