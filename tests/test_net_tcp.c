/*
 * The simulated TCP at work: handshake, bulk transfer under loss, MSS
 * segmentation, the receive window, half-close, TIME-WAIT, orphaned closes
 * and determinism. Failures (refused, timeouts, crashes, aborts) are in
 * test_net_faults.c.
 */
#include <inttypes.h>
#include <stdio.h>

#include "net/tcp_internal.h"
#include "test_net_world.h"

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
    ck_assert_uint_gt(tcp_conn_buffer_bytes(w.client.conn), 0);
    sched_run_until(w.sim->sched, 10 * SIM_SEC);
    /* In TIME-WAIT everything was acknowledged: the send queue's memory is gone. */
    ck_assert_int_eq(tcp_conn_state(w.client.conn), TCP_TIME_WAIT);
    ck_assert_uint_eq(tcp_conn_buffer_bytes(w.client.conn), 0);
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

/* Segments up to the default MSS come from a pool and go back to it; larger
 * ones are allocated each time. Both carry their bytes intact, one after the
 * other, as the MSS changes between connections. */
START_TEST(test_segments_reused_and_oversized)
{
    static const uint32_t mss[] = {NET_DEFAULT_MSS, 9000, 1, NET_DEFAULT_MSS + 1, 536};
    for (size_t m = 0; m < sizeof mss / sizeof mss[0]; m++) {
        world_t w;
        world_init(&w, 1, true);
        net_set_mss(w.net, mss[m]);
        size_t n = mss[m] == 1 ? 300 : 40000;
        uint8_t *data = pattern(n, (int)m + 7);
        world_connect(&w);
        tcp_send(w.client.conn, data, n);
        sched_run_until(w.sim->sched, 30 * SIM_SEC);
        ck_assert_uint_eq(w.server.got.len, n);
        ck_assert_mem_eq(w.server.got.data, data, n);
        for (size_t i = 0; i < w.rec.n; i++) {
            const trace_event_t *e = w.rec.ev[i];
            if (e->kind == TRACE_TCP_SEGMENT)
                ck_assert_int_le(e->len, (int64_t)mss[m]);
        }
        world_free(&w);
        free(data);
    }
}
END_TEST

/* A connection to an address no host has: its SYNs are dropped until a host
 * with that address appears, then the next SYN gets through. A path set
 * after the first segments went is followed by the later ones. */
START_TEST(test_remote_host_appears_later)
{
    world_t w;
    world_init(&w, 1, true);
    const uint32_t late_addr = 0xC6336415u; /* 198.51.100.21 */
    w.client.conn =
        tcp_connect(w.net, w.client_host, late_addr, PORT, &app_callbacks, &w.client);
    ck_assert_ptr_nonnull(w.client.conn);
    ck_assert_ptr_null(tcp_conn_remote(w.client.conn));
    sched_run_until(w.sim->sched, 500 * SIM_MS);
    ck_assert_int_eq(rec_count(&w.rec, TRACE_TCP_DROP, "client.example", NULL), 1);
    host_t *late = net_host_add(w.net, "late.example", late_addr);
    ck_assert_int_eq(tcp_listen(w.net, late, PORT, accept_into, &w.server), 0);
    sched_run_until(w.sim->sched, 5 * SIM_SEC);
    ck_assert(w.client.connected);
    ck_assert(w.server.connected);
    /* The client's connection events name the dotted quad, as no host had
     * the address when it was opened: before the host came, and after. */
    ck_assert_str_eq(rec_nth(&w.rec, TRACE_TCP_CONNECT, 0)->to, "198.51.100.21");
    const trace_event_t *est = NULL;
    for (int i = 0; (est = rec_nth(&w.rec, TRACE_TCP_ESTABLISHED, i)) != NULL; i++)
        if (strcmp(est->host, "client.example") == 0)
            break;
    ck_assert_ptr_nonnull(est);
    ck_assert_str_eq(est->to, "198.51.100.21");
    /* the path to the late host changes while the connection runs */
    path_props_t slow = {200 * SIM_MS, 0, 0.0, false};
    net_set_path(w.net, w.client_host, late, &slow);
    sim_time_t sent_at = sim_now(w.sim);
    tcp_send(w.client.conn, "abc", 3);
    sched_run_until(w.sim->sched, 10 * SIM_SEC);
    ck_assert_uint_eq(w.server.got.len, 3);
    /* the late host acknowledges the bytes when they arrive, 200 ms on */
    const trace_event_t *ack = NULL;
    for (size_t i = 0; i < w.rec.n && !ack; i++) {
        const trace_event_t *e = w.rec.ev[i];
        if (e->kind == TRACE_TCP_SEGMENT && e->t > sent_at && strcmp(e->host, "late.example") == 0)
            ack = e;
    }
    ck_assert_ptr_nonnull(ack);
    ck_assert_int_eq(ack->t - sent_at, 200 * SIM_MS);
    world_free(&w);
}
END_TEST

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

static void hash_line(hasher_t *hs, const trace_event_t *ev)
{
    buf_reset(&hs->line);
    trace_format_text(ev, &hs->line);
    for (size_t i = 0; i < hs->line.len; i++)
        hs->h = (hs->h ^ hs->line.data[i]) * 0x100000001b3ULL;
    for (size_t i = 0; ev->payload && i < ev->payload_len; i++) /* what a pcap shows */
        hs->h = (hs->h ^ ev->payload[i]) * 0x100000001b3ULL;
}

static void hash_event(void *ctx, const trace_event_t *ev)
{
    hasher_t *hs = ctx;
    if (ev->kind != TRACE_TCP_SEGMENT && ev->kind != TRACE_TCP_DROP &&
        ev->kind != TRACE_TCP_RETRANSMIT)
        return;
    if (hs->first_seq < 0)
        hs->first_seq = ev->seq;
    hash_line(hs, ev);
}

static void hash_every_event(void *ctx, const trace_event_t *ev)
{
    hash_line(ctx, ev);
}

/* Both directions carry data over a lossy path, with the server closing when
 * the client does; every event is hashed, with the bytes each side got. */
typedef struct run_opts {
    bool predict, hold;
    bool aligned; /* 7 ms paths of no serialisation delay: arrivals meet the sends */
    bool echo;    /* the server answers every arrival at once */
    /* untraced: the state changes are hashed (with their times), not the
     * events; wire_general: then a subscriber that ignores every event turns
     * tracing on, so every segment takes the general transmit. */
    bool untraced, wire_general;
    /* lend: both ends send through tcp_send_lent, lending the test's data
     * (with owner as its block) */
    bool lend;
    shared_t *owner;
    uint64_t held_armed; /* out: held output events armed at their place */
} run_opts_t;

/* Sends data from a on the run's way: lent or copied. */
static void run_send(const run_opts_t *o, tcp_conn_t *c, const uint8_t *data, size_t len)
{
    if (o->lend)
        tcp_send_lent(c, data, len, o->owner);
    else
        tcp_send(c, data, len);
}

static void ignore_event(void *ctx, const trace_event_t *ev)
{
    (void)ctx;
    (void)ev;
}

static void hash_state_change(const tcp_conn_t *c, tcp_state_t from, tcp_state_t to, void *ctx)
{
    hasher_t *hs = ctx;
    uint64_t v[4] = {(uint64_t)sim_now(c->net->sim), tcp_conn_id(c), (uint64_t)from,
                     (uint64_t)to};
    for (int i = 0; i < 4; i++)
        hs->h = (hs->h ^ v[i]) * 0x100000001b3ULL;
}

static void send_late(void *arg)
{
    app_t *a = arg;
    if (a->conn)
        tcp_send(a->conn, "late", 4);
}

static uint64_t two_way_run_opts(uint64_t seed, double loss, run_opts_t *o)
{
    world_t w;
    world_init(&w, seed, false);
    w.net->predict_off = !o->predict;
    w.net->hold_off = !o->hold;
    hasher_t hs = {0xcbf29ce484222325ULL, BUF_INIT, -1};
    if (o->untraced) {
        tcp_set_state_observer(w.net, hash_state_change, &hs);
        if (o->wire_general)
            trace_subscribe(&w.sim->trace, ignore_event, NULL);
    } else {
        trace_subscribe(&w.sim->trace, hash_every_event, &hs);
    }
    if (o->aligned)
        world_set_path(&w, 7 * SIM_MS, 0, loss);
    else
        world_set_path(&w, 15 * SIM_MS, 10000000, loss);
    w.server.close_on_peer_closed = true;
    w.server.echo = o->echo;
    uint8_t *data = pattern(60000, seed);
    world_connect(&w);
    sched_run_until(w.sim->sched, 2 * SIM_SEC);
    for (size_t off = 0; off < 60000; off += 6000) {
        run_send(o, w.client.conn, data + off, 6000);
        if (w.server.conn)
            run_send(o, w.server.conn, data + off, 3000 + off / 100);
        if (o->aligned) {
            /* Sent now, arriving in 7 ms; the server then sends again in an
             * event of the same microsecond that comes after the arrivals. */
            sched_run_until(w.sim->sched, sim_now(w.sim));
            sched_after(w.sim->sched, 7 * SIM_MS, send_late, &w.server);
        }
        sched_run_until(w.sim->sched,
                        sim_now(w.sim) + (o->aligned ? 7 * SIM_MS : (off % 4) * 7 * SIM_MS));
    }
    tcp_shutdown(w.client.conn);
    sched_run(w.sim->sched);
    for (size_t i = 0; i < w.server.got.len; i++)
        hs.h = (hs.h ^ w.server.got.data[i]) * 0x100000001b3ULL;
    for (size_t i = 0; i < w.client.got.len; i++)
        hs.h = (hs.h ^ w.client.got.data[i]) * 0x100000001b3ULL;
    hs.h ^= (uint64_t)w.server.got.len << 32 ^ w.client.got.len;
    if (o->untraced) { /* held output events run fewer: only here */
        hs.h = (hs.h ^ sched_events_run(w.sim->sched)) * 0x100000001b3ULL;
        hs.h = (hs.h ^ (uint64_t)sim_now(w.sim)) * 0x100000001b3ULL;
    }
    o->held_armed = sched_held_armed(w.sim->sched);
    world_free(&w);
    buf_free(&hs.line);
    free(data);
    return hs.h;
}

static uint64_t two_way_run(uint64_t seed, double loss, bool predict)
{
    run_opts_t o = {.predict = predict, .hold = true};
    return two_way_run_opts(seed, loss, &o);
}

/* Header prediction changes nothing: the same events, bytes and order as
 * when every segment takes the general path. */
START_TEST(test_prediction_same_as_general_path)
{
    static const double losses[] = {0.0, 0.05, 0.2};
    for (uint64_t seed = 1; seed <= 4; seed++)
        for (size_t i = 0; i < sizeof losses / sizeof *losses; i++)
            ck_assert_msg(two_way_run(seed, losses[i], true) ==
                              two_way_run(seed, losses[i], false),
                          "seed %" PRIu64 " loss %.2f", seed, losses[i]);
}
END_TEST

/* A test's block of lent bytes: counts how often it would be freed. */
typedef struct test_block {
    shared_t shared;
    int drops;
} test_block_t;

static void test_block_drop(shared_t *s)
{
    ((test_block_t *)s)->drops++;
}

/*
 * Lending changes nothing on the wire or at the receiver: the same events,
 * segment payloads, bytes and order as copying, with loss (retransmissions
 * and segments out of order), with and without header prediction. Some
 * sends are lent and some copied (a queue lends two runs at most), so
 * segments mix lent and own bytes. Every reference TCP took is given back.
 */
START_TEST(test_lent_same_as_copied)
{
    static const double losses[] = {0.0, 0.05, 0.2};
    for (uint64_t seed = 1; seed <= 4; seed++)
        for (size_t i = 0; i < sizeof losses / sizeof *losses; i++)
            for (int predict = 0; predict <= 1; predict++) {
                test_block_t block = {{1, test_block_drop}, 0};
                run_opts_t copied = {.predict = predict, .hold = true};
                run_opts_t lent = {.predict = predict, .hold = true, .lend = true,
                                   .owner = &block.shared};
                ck_assert_msg(two_way_run_opts(seed, losses[i], &copied) ==
                                  two_way_run_opts(seed, losses[i], &lent),
                              "seed %" PRIu64 " loss %.2f predict %d", seed, losses[i], predict);
                ck_assert_uint_eq(block.shared.refs, 1);
                ck_assert_int_eq(block.drops, 0);
            }
}
END_TEST

/* Holding the output event's place changes nothing: the same events, bytes
 * and order as when every send schedules its event. The aligned paths make
 * the test's own sends fall in the microsecond of an arrival, after it: the
 * held place is then armed, which the test sees happen. */
START_TEST(test_held_output_same_as_scheduled)
{
    static const double losses[] = {0.0, 0.1};
    uint64_t armed = 0;
    for (uint64_t seed = 1; seed <= 3; seed++)
        for (size_t i = 0; i < sizeof losses / sizeof *losses; i++)
            for (int v = 0; v < 4; v++) {
                run_opts_t held = {.predict = true, .hold = true, .aligned = v & 1,
                                   .echo = v & 2};
                run_opts_t plain = held;
                plain.hold = false;
                uint64_t a = two_way_run_opts(seed, losses[i], &held);
                uint64_t b = two_way_run_opts(seed, losses[i], &plain);
                ck_assert_msg(a == b, "seed %" PRIu64 " loss %.2f variant %d", seed, losses[i], v);
                ck_assert_uint_eq(plain.held_armed, 0);
                armed += held.held_armed;
            }
    ck_assert_uint_gt(armed, 0);
}
END_TEST

/* Untraced, a segment on a clean path between hosts that are up takes
 * transmit's short way: the same arrivals (state changes at the same
 * times, the same bytes, events and end) as through the general one. */
START_TEST(test_wire_fast_same_as_general)
{
    static const double losses[] = {0.0, 0.1};
    for (uint64_t seed = 1; seed <= 3; seed++)
        for (size_t i = 0; i < sizeof losses / sizeof *losses; i++)
            for (int v = 0; v < 4; v++) {
                run_opts_t fast = {.predict = true, .hold = true, .aligned = v & 1,
                                   .echo = v & 2, .untraced = true};
                run_opts_t general = fast;
                general.wire_general = true;
                ck_assert_msg(two_way_run_opts(seed, losses[i], &fast) ==
                                  two_way_run_opts(seed, losses[i], &general),
                              "seed %" PRIu64 " loss %.2f variant %d", seed, losses[i], v);
            }
}
END_TEST

/* More connections than the first slab of structs and a 2 MB block hold
 * (6,000 ends at once), in two waves: the second reuses the first's structs
 * once TIME-WAIT is over. Every one carries its bytes and closes; the
 * sanitizers check that net_free frees them all. */
START_TEST(test_many_connections_two_waves)
{
    enum { N = 3000 };
    static app_t clients[N];
    world_t w;
    world_init(&w, 3, false);
    w.server.close_on_peer_closed = true;
    for (int wave = 0; wave < 2; wave++) {
        for (int i = 0; i < N; i++) {
            app_init(&clients[i], w.sim);
            clients[i].conn = tcp_connect(w.net, w.client_host, SERVER_ADDR, PORT,
                                          &app_callbacks, &clients[i]);
            ck_assert_ptr_nonnull(clients[i].conn);
            tcp_send(clients[i].conn, "hello", 5);
            tcp_close(clients[i].conn);
        }
        sched_run(w.sim->sched);
        for (int i = 0; i < N; i++) {
            ck_assert_msg(clients[i].closed, "wave %d client %d", wave, i);
            buf_free(&clients[i].got);
        }
        ck_assert_uint_eq(w.server.got.len, (size_t)(wave + 1) * N * 5);
    }
    world_free(&w);
}
END_TEST

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

/* Warming (tcp_set_warm): five segments for five connections arrive in
 * the same microsecond; the owner's warm is called for those with turns
 * ahead, with its ctx, and nothing changes. */
static struct {
    const void *ctx[64];
    unsigned ahead[64];
    int n;
} warm_seen;

static void test_warm(const void *ctx, unsigned ahead)
{
    if (warm_seen.n < 64) {
        warm_seen.ctx[warm_seen.n] = ctx;
        warm_seen.ahead[warm_seen.n] = ahead;
    }
    warm_seen.n++;
}

static void other_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    on_data(c, data, len, ctx);
}

static void third_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    on_data(c, data, len, ctx);
}

static void fourth_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    on_data(c, data, len, ctx);
}

static void fifth_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    on_data(c, data, len, ctx);
}

/* Five clients connected in step to the world's server, by 1 s. */
static void five_connected(world_t *w, app_t clients[5])
{
    for (int i = 0; i < 5; i++) {
        app_init(&clients[i], w->sim);
        clients[i].conn = tcp_connect(w->net, w->client_host, SERVER_ADDR, PORT, &app_callbacks,
                                      &clients[i]);
    }
    sched_run_until(w->sim->sched, SIM_SEC);
    for (int i = 0; i < 5; i++)
        ck_assert(clients[i].connected);
}

static void five_at_once(bool warm, bool server_closes, buf_t *got)
{
    world_t w;
    world_init(&w, 7, false);
    path_props_t p = {SIM_MS, 0, 0.0, false}; /* no serialisation: one microsecond */
    net_set_default_path(w.net, &p);
    if (warm)
        ck_assert(tcp_set_warm(w.net, on_data, test_warm));
    app_t clients[5];
    five_connected(&w, clients);
    memset(&warm_seen, 0, sizeof warm_seen);
    if (server_closes) {
        /* the server's side closes first: what comes after is not its own */
        for (tcp_conn_t *c = w.net->conns_head; c; c = c->next)
            if (!c->client)
                tcp_close(c);
    }
    for (int i = 0; i < 5; i++) {
        char text[16];
        int n = snprintf(text, sizeof text, "hello %d\r\n", i);
        tcp_send(clients[i].conn, text, (size_t)n);
    }
    sched_run_until(w.sim->sched, 2 * SIM_SEC);
    buf_append(got, w.server.got.data, w.server.got.len);
    ck_assert_int_le(warm_seen.n, 64);
    for (int i = 0; i < warm_seen.n; i++) /* the world's server app, by address */
        ck_assert_ptr_eq(warm_seen.ctx[i], &w.server);
    for (int i = 0; i < 5; i++)
        buf_free(&clients[i].got);
    world_free(&w);
}

START_TEST(test_warm_owner)
{
    buf_t plain = BUF_INIT, warmed = BUF_INIT;
    five_at_once(false, false, &plain);
    ck_assert_int_eq(warm_seen.n, 0);
    five_at_once(true, false, &warmed);
    /* the same bytes in the same order */
    ck_assert_uint_eq(plain.len, strlen("hello 0\r\n") * 5);
    ck_assert_uint_eq(warmed.len, plain.len);
    ck_assert(memcmp(plain.data, warmed.data, plain.len) == 0);
    /* The server's on_data is the one warmed: arrivals 1 to 4 the turn
     * before theirs, 2 to 4 also two turns before, 3 and 4 three turns
     * before. The clients' on_data is the same function, but only the
     * server's ACKs reach them, and a segment without data is not the
     * owner's to warm. */
    ck_assert_int_eq(warm_seen.n, 9);
    int per_ahead[4] = {0};
    for (int i = 0; i < warm_seen.n; i++) {
        ck_assert(warm_seen.ahead[i] >= 1 && warm_seen.ahead[i] <= 3);
        per_ahead[warm_seen.ahead[i]]++;
    }
    ck_assert_int_eq(per_ahead[1], 4);
    ck_assert_int_eq(per_ahead[2], 3);
    ck_assert_int_eq(per_ahead[3], 2);
    /* An owner that closed takes no more data, and may be gone: its warm
     * is not called (the data still arrives, and is acknowledged). */
    buf_t closed = BUF_INIT;
    five_at_once(true, true, &closed);
    ck_assert_uint_eq(closed.len, 0);
    ck_assert_int_eq(warm_seen.n, 0);
    buf_free(&closed);
    buf_free(&plain);
    buf_free(&warmed);
}
END_TEST

/* Five connections closed in the same microsecond leave TIME-WAIT in the
 * same one, 60 seconds on: their timers come off the scheduler's heap
 * together, and each is warmed at every turn of the four before its own. */
START_TEST(test_warm_time_wait)
{
    world_t w;
    world_init(&w, 7, false);
    path_props_t p = {SIM_MS, 0, 0.0, false};
    net_set_default_path(w.net, &p);
    w.server.close_on_peer_closed = true;
    app_t clients[5];
    five_connected(&w, clients);
    for (int i = 0; i < 5; i++)
        tcp_close(clients[i].conn);
    sched_run_until(w.sim->sched, 2 * SIM_SEC);
    int waiting = 0;
    for (tcp_conn_t *c = w.net->conns_head; c; c = c->next) {
        ck_assert(c->client); /* the server's sides are gone */
        ck_assert_int_eq(tcp_conn_state(c), TCP_TIME_WAIT);
        waiting++;
    }
    ck_assert_int_eq(waiting, 5);
    uint64_t before = sched_warm_calls(w.sim->sched);
    sched_run_until(w.sim->sched, 70 * SIM_SEC);
    ck_assert_ptr_null(w.net->conns_head);
    /* 4 + 3 + 2 + 1: the first is never warmed, the others by each before */
    ck_assert_uint_eq(sched_warm_calls(w.sim->sched) - before, 10);
    for (int i = 0; i < 5; i++) {
        ck_assert(clients[i].closed);
        buf_free(&clients[i].got);
    }
    world_free(&w);
}
END_TEST

START_TEST(test_warm_table)
{
    world_t w;
    world_init(&w, 1, false);
    ck_assert(!tcp_set_warm(w.net, NULL, test_warm));
    tcp_data_fn fns[] = {on_data, other_data, third_data, fourth_data, fifth_data};
    _Static_assert(sizeof fns / sizeof fns[0] == TCP_WARM_MAX + 1, "one more than the table");
    for (int i = 0; i < TCP_WARM_MAX; i++)
        ck_assert(tcp_set_warm(w.net, fns[i], test_warm));
    ck_assert(!tcp_set_warm(w.net, fns[TCP_WARM_MAX], test_warm)); /* full */
    ck_assert(tcp_set_warm(w.net, fns[0], test_warm)); /* again: replaced */
    ck_assert(tcp_set_warm(w.net, fns[1], NULL));      /* removed: room again */
    ck_assert(tcp_set_warm(w.net, fns[TCP_WARM_MAX], test_warm));
    ck_assert(tcp_set_warm(w.net, fns[1], NULL)); /* not there: nothing to do */
    world_free(&w);
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
    tcase_add_test(tc, test_half_close);
    tcase_add_test(tc, test_sender_respects_window);
    tcase_add_test(tc, test_mss_segmentation);
    tcase_add_test(tc, test_segments_reused_and_oversized);
    tcase_add_test(tc, test_remote_host_appears_later);
    tcase_add_test(tc, test_sends_in_one_callback_coalesce);
    tcase_add_test(tc, test_same_seed_same_trace);
    tcase_add_test(tc, test_prediction_same_as_general_path);
    tcase_add_test(tc, test_held_output_same_as_scheduled);
    tcase_add_test(tc, test_lent_same_as_copied);
    tcase_add_test(tc, test_wire_fast_same_as_general);
    tcase_add_test(tc, test_many_connections_two_waves);
    tcase_add_test(tc, test_listen_port_taken_and_unlisten);
    tcase_add_test(tc, test_close_discards_later_data);
    tcase_add_test(tc, test_orphan_gives_up_in_fin_wait_2);
    tcase_add_test(tc, test_warm_owner);
    tcase_add_test(tc, test_warm_time_wait);
    tcase_add_test(tc, test_warm_table);
    suite_add_tcase(s, tc);
    return s;
}
