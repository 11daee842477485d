/*
 * The simulated TCP when things go wrong: refused and timed-out connects,
 * hosts that go down or crash mid-transfer, and callbacks that abort their
 * own connection or crash their own host (run under ASan by make check).
 */
#include <stdio.h>

#include "test_net_world.h"

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

/*
 * Untraced, segments take the short way, which reads the hosts' states
 * from the net's bits, not from the hosts: a host far down the list (past
 * the first word of bits) that goes down loses what is sent to it, and so
 * does one whose own host is down; once up again, retransmission delivers.
 */
START_TEST(test_down_hosts_untraced)
{
    enum { N = 130 };
    sim_t *sim = sim_new(3);
    net_t *net = net_new(sim);
    host_t *h[N];
    for (uint32_t i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "h%u.example", i);
        h[i] = net_host_add(net, name, 0x0A000001u + i);
        ck_assert_ptr_nonnull(h[i]);
    }
    app_t client, server;
    app_init(&client, sim);
    app_init(&server, sim);
    ck_assert_int_eq(tcp_listen(net, h[N - 1], PORT, accept_into, &server), 0);
    client.conn = tcp_connect(net, h[0], 0x0A000001u + N - 1, PORT, &app_callbacks, &client);
    sched_run_until(sim->sched, SIM_SEC);
    ck_assert(client.connected);
    for (int sender = 0; sender <= 1; sender++) {
        host_t *down = sender ? h[0] : h[N - 1];
        size_t before = server.got.len;
        net_host_down(net, down);
        tcp_send(client.conn, sender ? "two" : "one", 3);
        sched_run_until(sim->sched, sim_now(sim) + 500 * SIM_MS);
        ck_assert_uint_eq(server.got.len, before); /* lost on the way */
        net_host_up(net, down);
        sched_run_until(sim->sched, sim_now(sim) + 10 * SIM_SEC);
        ck_assert_uint_eq(server.got.len, before + 3);
        ck_assert_mem_eq(server.got.data + before, sender ? "two" : "one", 3);
    }
    net_free(net);
    sim_free(sim);
    buf_free(&client.got);
    buf_free(&server.got);
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

Suite *net_faults_suite(void)
{
    Suite *s = suite_create("net_faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_connect_timeout_to_down_host);
    tcase_add_test(tc, test_down_hosts_untraced);
    tcase_add_test(tc, test_connect_to_unknown_address_times_out);
    tcase_add_test(tc, test_crash_mid_transfer_peer_times_out);
    tcase_add_test(tc, test_crash_then_up_peer_is_reset);
    tcase_add_test(tc, test_down_then_up_connection_survives);
    tcase_add_test(tc, test_abort_inside_on_data);
    tcase_add_test(tc, test_abort_inside_on_connected_and_accept);
    tcase_add_test(tc, test_abort_from_outside);
    tcase_add_test(tc, test_callback_crashes_its_own_host);
    tcase_add_test(tc, test_net_free_with_open_connections);
    suite_add_tcase(s, tc);
    return s;
}
