/*
 * The network under TCP: addresses, hosts, paths, the delay of a segment
 * (serialisation queued per direction, then latency), cut links and the
 * host and link events.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sim.h"
#include "core/trace.h"
#include "net/net.h"
#include "net/tcp.h"

/* --- addresses ------------------------------------------------------------- */

static const struct {
    const char *text;
    uint32_t addr;
} good_addrs[] = {
    {"192.0.2.1", 0xC0000201u},       {"198.51.100.20", 0xC6336414u},
    {"203.0.113.255", 0xCB0071FFu},   {"0.0.0.0", 0},
    {"255.255.255.255", 0xFFFFFFFFu}, {"10.0.0.1", 0x0A000001u},
};

START_TEST(test_addr_parse_format_good)
{
    uint32_t a = 1;
    ck_assert_msg(addr_parse(good_addrs[_i].text, &a) == 0, "%s: not parsed", good_addrs[_i].text);
    ck_assert_msg(a == good_addrs[_i].addr, "%s: got %08x, want %08x", good_addrs[_i].text, a,
                  good_addrs[_i].addr);
    char out[16];
    ck_assert_str_eq(addr_format(good_addrs[_i].addr, out, sizeof out), good_addrs[_i].text);
}
END_TEST

static const char *const bad_addrs[] = {
    "",         "192.0.2", "192.0.2.1.5", "256.0.0.1", "192.0.2.-1", "192.0.02.1", "1.2.3.4 ",
    " 1.2.3.4", "a.b.c.d", "1..2.3",      "1.2.3.",    "1234.1.1.1", "192.0.2.1x",
};

/* Every octet value in every place, and short buffers, as snprintf writes them. */
START_TEST(test_addr_format_like_printf)
{
    for (uint32_t v = 0; v < 256; v++) {
        uint32_t addrs[] = {v << 24, v << 16 | 7, v << 8 | 0x0A000000u, v | 0xFF000000u};
        for (size_t i = 0; i < ARRAY_LEN(addrs); i++) {
            for (size_t n = 1; n <= 16; n += 5) {
                char got[16], want[16];
                snprintf(want, n, "%u.%u.%u.%u", (unsigned)(addrs[i] >> 24),
                         (unsigned)(addrs[i] >> 16) & 255u, (unsigned)(addrs[i] >> 8) & 255u,
                         (unsigned)addrs[i] & 255u);
                ck_assert_str_eq(addr_format(addrs[i], got, n), want);
            }
        }
    }
}
END_TEST

START_TEST(test_addr_parse_bad)
{
    uint32_t a = 7;
    ck_assert_msg(addr_parse(bad_addrs[_i], &a) == -1, "\"%s\" was accepted", bad_addrs[_i]);
    ck_assert_uint_eq(a, 7);
}
END_TEST

/* --- hosts ------------------------------------------------------------------ */

START_TEST(test_hosts_names_and_addresses)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *a = net_host_add(net, "mail.alice.example", 0xC0000201u);
    host_t *b = net_host_add(net, "mail.roberto.example", 0xC6336414u);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(net_host_add(net, "mail.alice.example", 0xC0000209u));
    ck_assert_ptr_null(net_host_add(net, "other.example", 0xC6336414u));
    ck_assert_ptr_null(net_host_add(net, "", 0xC0000203u));
    ck_assert_ptr_null(net_host_add(net, "zero.example", 0));
    ck_assert_ptr_eq(net_host_by_name(net, "mail.roberto.example"), b);
    ck_assert_ptr_eq(net_host_by_addr(net, 0xC0000201u), a);
    ck_assert_ptr_null(net_host_by_addr(net, 0xC0000202u));
    ck_assert_ptr_null(net_host_by_name(net, "nobody.example"));
    /* Host names compare without regard to case, as on the Internet. */
    ck_assert_ptr_eq(net_host_by_name(net, "Mail.Roberto.EXAMPLE"), b);
    ck_assert_ptr_null(net_host_add(net, "MAIL.alice.example", 0xC0000209u));
    ck_assert_ptr_null(net_host_by_name(net, "mail.roberto.exampl"));
    ck_assert_str_eq(host_name(b), "mail.roberto.example");
    ck_assert_uint_eq(host_addr(b), 0xC6336414u);
    ck_assert(host_is_up(a));
    ck_assert_uint_eq(net_host_count(net), 2);
    ck_assert_ptr_eq(net_host_at(net, 1), b);
    ck_assert_ptr_null(net_host_at(net, 2));
    /* Many hosts: the address index grows and still finds each one. */
    char name[32];
    for (uint32_t i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "h%u.example", i);
        ck_assert_ptr_nonnull(net_host_add(net, name, 0xCB007100u + i + 1000));
    }
    for (uint32_t i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "h%u.example", i);
        ck_assert_ptr_eq(net_host_by_addr(net, 0xCB007100u + i + 1000),
                         net_host_by_name(net, name));
    }
    /* Many paths, each way its own: the table of directions grows and
     * still finds each one, and a path never set is the default. */
    host_t *h[40];
    for (uint32_t i = 0; i < 40; i++)
        h[i] = net_host_by_addr(net, 0xCB007100u + i + 1000);
    for (uint32_t i = 0; i < 40; i++)
        for (uint32_t j = i + 1; j < 40; j += 3) {
            path_props_t p = {(sim_time_t)(i * 100 + j + 1), 0, 0.0, false};
            net_set_path(net, h[i], h[j], &p);
        }
    for (uint32_t i = 0; i < 40; i++)
        for (uint32_t j = 0; j < 40; j++) {
            uint32_t lo = i < j ? i : j, hi = i < j ? j : i;
            bool set = lo != hi && (hi - lo - 1) % 3 == 0;
            sim_time_t want = set ? (sim_time_t)(lo * 100 + hi + 1) : net_default_path(net).latency;
            ck_assert_int_eq(net_get_path(net, h[i], h[j]).latency, want);
        }
    net_free(net);
    sim_free(sim);
}
END_TEST

typedef struct kinds {
    trace_kind_t kind[16];
    char text[16][128];
    int n;
} kinds_t;

static void note_kind(void *ctx, const trace_event_t *ev)
{
    kinds_t *k = ctx;
    if (k->n < 16) {
        k->kind[k->n] = ev->kind;
        snprintf(k->text[k->n], sizeof k->text[0], "%s %s", ev->host, ev->text ? ev->text : "");
        k->n++;
    }
}

START_TEST(test_host_and_link_events)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *a = net_host_add(net, "a.example", 0xC0000201u);
    host_t *b = net_host_add(net, "b.example", 0xC0000202u);
    kinds_t k = {0};
    trace_subscribe(&sim->trace, note_kind, &k);
    net_host_down(net, a);
    net_host_down(net, a); /* already down: no event */
    ck_assert(!host_is_up(a));
    net_host_up(net, a);
    net_host_up(net, a);
    net_host_crash(net, b);
    ck_assert(!host_is_up(b));
    path_props_t p = {80 * SIM_MS, 2000000, 0.05, false};
    net_set_path(net, a, b, &p);
    ck_assert_int_eq(k.n, 4);
    ck_assert_int_eq(k.kind[0], TRACE_HOST_DOWN);
    ck_assert_int_eq(k.kind[1], TRACE_HOST_UP);
    ck_assert_int_eq(k.kind[2], TRACE_HOST_CRASH);
    ck_assert_int_eq(k.kind[3], TRACE_LINK_CHANGE);
    ck_assert_str_eq(k.text[3], "a.example latency 80ms, bandwidth 2Mbit, loss 0.05");
    net_free(net);
    sim_free(sim);
}
END_TEST

START_TEST(test_paths_default_and_per_pair)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *a = net_host_add(net, "a.example", 0xC0000201u);
    host_t *b = net_host_add(net, "b.example", 0xC0000202u);
    host_t *c = net_host_add(net, "c.example", 0xC0000203u);
    path_props_t d = net_get_path(net, a, b);
    ck_assert_int_eq(d.latency, 10 * SIM_MS);
    ck_assert_uint_eq(d.bandwidth_bps, 100000000);
    ck_assert(d.loss == 0.0 && !d.cut);
    ck_assert_uint_eq(net_mss(net), 1460);
    path_props_t p = {200 * SIM_MS, 1000000, 0.3, true};
    net_set_path(net, a, b, &p);
    path_props_t ab = net_get_path(net, a, b), ba = net_get_path(net, b, a);
    ck_assert_int_eq(ab.latency, 200 * SIM_MS);
    ck_assert_int_eq(ba.latency, 200 * SIM_MS);
    ck_assert(ba.cut && ba.loss == 0.3);
    /* Other pairs follow the default, also when it changes later. */
    path_props_t nd = {5 * SIM_MS, 10000000, 0.0, false};
    net_set_default_path(net, &nd);
    ck_assert_int_eq(net_get_path(net, a, c).latency, 5 * SIM_MS);
    ck_assert_int_eq(net_get_path(net, a, b).latency, 200 * SIM_MS);
    net_free(net);
    sim_free(sim);
}
END_TEST

/* --- delivery ----------------------------------------------------------------- */

typedef struct arrival {
    sim_time_t at[8];
    size_t len[8];
    int n;
    tcp_conn_t *conn;
    sim_t *sim;
} arrival_t;

static void arrival_data(tcp_conn_t *c, const uint8_t *d, size_t len, void *ctx)
{
    arrival_t *a = ctx;
    if (a->n < 8) {
        a->at[a->n] = sim_now(a->sim);
        a->len[a->n] = len;
        a->n++;
    }
}

static void arrival_accept(tcp_conn_t *c, void *ctx)
{
    static const tcp_callbacks_t cb = {.on_data = arrival_data};
    arrival_t *a = ctx;
    a->conn = c;
    tcp_conn_set_callbacks(c, &cb, a);
}

typedef struct seg_log {
    sim_time_t t[64];
    int n;
    int drops;
    char last_drop[64];
} seg_log_t;

static void log_segments(void *ctx, const trace_event_t *ev)
{
    seg_log_t *l = ctx;
    if (ev->kind == TRACE_TCP_SEGMENT && ev->len > 0 && l->n < 64)
        l->t[l->n++] = ev->t;
    if (ev->kind == TRACE_TCP_DROP) {
        l->drops++;
        snprintf(l->last_drop, sizeof l->last_drop, "%s", ev->text);
    }
}

/* Frames of three lengths, then the rate changed: every frame's time is its
 * own length at the rate of the moment (the link keeps the last results). */
/* a.example connected to port 80 of b.example over a 1 Mbit/s, 10 ms path;
 * what arrives at b goes to arr. */
static tcp_conn_t *one_mbit_pair(net_t *net, host_t **a, host_t **b, path_props_t *p,
                                 arrival_t *arr)
{
    *a = net_host_add(net, "a.example", 0xC0000201u);
    *b = net_host_add(net, "b.example", 0xC0000202u);
    *p = (path_props_t){10 * SIM_MS, 1000000, 0.0, false};
    net_set_path(net, *a, *b, p);
    tcp_listen(net, *b, 80, arrival_accept, arr);
    return tcp_connect(net, *a, 0xC0000202u, 80, NULL, NULL);
}

START_TEST(test_serialisation_by_length_and_rate)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *a, *b;
    path_props_t p;
    arrival_t arr = {.sim = sim};
    tcp_conn_t *c = one_mbit_pair(net, &a, &b, &p, &arr);
    sched_run_until(sim->sched, SIM_SEC);
    uint8_t data[3020];
    memset(data, 'x', sizeof data);
    sim_time_t sent = sim_now(sim);
    /* 1500, 1500 and 140 octets at 1 Mbit/s: 12 ms, 12 ms, 1.12 ms */
    tcp_send(c, data, sizeof data);
    sched_run_until(sim->sched, 2 * SIM_SEC);
    ck_assert_int_eq(arr.n, 3);
    ck_assert_int_eq(arr.at[0], sent + 12 * SIM_MS + 10 * SIM_MS);
    ck_assert_int_eq(arr.at[1], sent + 24 * SIM_MS + 10 * SIM_MS);
    ck_assert_int_eq(arr.at[2], sent + 25120 + 10 * SIM_MS);
    ck_assert_uint_eq(arr.len[2], 100);
    /* 140 octets again, then at 2 Mbit/s: 560 us; then 1500 octets: 6 ms */
    sent = sim_now(sim);
    tcp_send(c, data, 100);
    sched_run_until(sim->sched, 3 * SIM_SEC);
    ck_assert_int_eq(arr.at[3], sent + 1120 + 10 * SIM_MS);
    p.bandwidth_bps = 2000000;
    net_set_path(net, a, b, &p);
    sent = sim_now(sim);
    tcp_send(c, data, 100);
    sched_run_until(sim->sched, 4 * SIM_SEC);
    ck_assert_int_eq(arr.at[4], sent + 560 + 10 * SIM_MS);
    sent = sim_now(sim);
    tcp_send(c, data, 1460);
    sched_run_until(sim->sched, 5 * SIM_SEC);
    ck_assert_int_eq(arr.at[5], sent + 6 * SIM_MS + 10 * SIM_MS);
    net_free(net);
    sim_free(sim);
}
END_TEST

START_TEST(test_serialisation_queues_behind_earlier_segments)
{
    /* 1 Mbit/s and 10 ms: a 1500-byte frame (1460 + 40) takes 12 ms to serialise. */
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    seg_log_t log = {0};
    trace_subscribe(&sim->trace, log_segments, &log);
    host_t *a, *b;
    path_props_t p;
    arrival_t arr = {.sim = sim};
    tcp_conn_t *c = one_mbit_pair(net, &a, &b, &p, &arr);
    /* The handshake: SYN and SYN,ACK are 40 bytes, 320 us each, + 10 ms. */
    sched_run_until(sim->sched, SIM_SEC);
    ck_assert_int_eq(tcp_conn_state(c), TCP_ESTABLISHED);
    uint8_t data[2920];
    memset(data, 'x', sizeof data);
    sim_time_t sent = sim_now(sim);
    tcp_send(c, data, sizeof data);
    sched_run_until(sim->sched, 2 * SIM_SEC);
    ck_assert_int_eq(arr.n, 2);
    ck_assert_int_eq(log.n, 2);
    ck_assert_int_eq(log.t[0], sent);
    ck_assert_int_eq(log.t[1], sent);
    ck_assert_int_eq(arr.at[0], sent + 12 * SIM_MS + 10 * SIM_MS);
    ck_assert_int_eq(arr.at[1], sent + 24 * SIM_MS + 10 * SIM_MS);
    ck_assert_uint_eq(arr.len[0], 1460);
    net_free(net);
    sim_free(sim);
}
END_TEST

START_TEST(test_cut_link_drops_everything)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *a = net_host_add(net, "a.example", 0xC0000201u);
    host_t *b = net_host_add(net, "b.example", 0xC0000202u);
    path_props_t p = net_default_path(net);
    p.cut = true;
    net_set_path(net, a, b, &p);
    seg_log_t log = {0};
    trace_subscribe(&sim->trace, log_segments, &log);
    arrival_t arr = {.sim = sim};
    tcp_listen(net, b, 80, arrival_accept, &arr);
    tcp_connect(net, a, 0xC0000202u, 80, NULL, NULL);
    sched_run_until(sim->sched, 10 * SIM_SEC);
    ck_assert_int_eq(log.drops, 4); /* at 0, 1, 3 and 7 s */
    ck_assert_str_eq(log.last_drop, "link cut");
    ck_assert_ptr_null(arr.conn);
    /* Healed: the next SYN gets through. */
    p.cut = false;
    net_set_path(net, a, b, &p);
    sched_run_until(sim->sched, 20 * SIM_SEC);
    ck_assert_ptr_nonnull(arr.conn);
    net_free(net);
    sim_free(sim);
}
END_TEST

START_TEST(test_loopback_connection)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *a = net_host_add(net, "a.example", 0xC0000201u);
    arrival_t arr = {.sim = sim};
    tcp_listen(net, a, 80, arrival_accept, &arr);
    tcp_conn_t *c = tcp_connect(net, a, 0xC0000201u, 80, NULL, NULL);
    tcp_send(c, "ping", 4);
    sched_run_until(sim->sched, SIM_SEC);
    ck_assert_int_eq(arr.n, 1);
    ck_assert_ptr_eq(tcp_conn_remote(arr.conn), a);
    ck_assert_uint_eq(tcp_conn_remote_port(arr.conn), tcp_conn_local_port(c));
    net_free(net);
    sim_free(sim);
}
END_TEST

Suite *net_hosts_suite(void)
{
    Suite *s = suite_create("net_hosts");
    TCase *tc = tcase_create("net");
    tcase_add_loop_test(tc, test_addr_parse_format_good, 0,
                        sizeof good_addrs / sizeof good_addrs[0]);
    tcase_add_test(tc, test_addr_format_like_printf);
    tcase_add_loop_test(tc, test_addr_parse_bad, 0, sizeof bad_addrs / sizeof bad_addrs[0]);
    tcase_add_test(tc, test_hosts_names_and_addresses);
    tcase_add_test(tc, test_host_and_link_events);
    tcase_add_test(tc, test_paths_default_and_per_pair);
    tcase_add_test(tc, test_serialisation_queues_behind_earlier_segments);
    tcase_add_test(tc, test_serialisation_by_length_and_rate);
    tcase_add_test(tc, test_cut_link_drops_everything);
    tcase_add_test(tc, test_loopback_connection);
    suite_add_tcase(s, tc);
    return s;
}
