/*
 * test_net_table: TCP's internal tables and pools, driven directly: the
 * connection table (open addressing, deletion by moving slots back) against
 * a plain list as the model, the reuse of connection structs and send
 * queues, and the round-trip arithmetic against the RFC 6298 formulas.
 */
#include <check.h>
#include <stdlib.h>

#include "core/rng.h"
#include "core/sim.h"
#include "net/tcp_internal.h"

typedef struct model_conn {
    tcp_conn_t *c;
    uint32_t raddr;
    uint16_t lport, rport;
} model_conn_t;

/* Opens and releases connections in a seeded order; after every step each
 * live connection is found by its 4-tuple and each released one is not. */
START_TEST(test_conn_table_matches_model)
{
    sim_t *sim = sim_new(7);
    net_t *net = net_new(sim);
    host_t *h = net_host_add(net, "a", 0x0A000001u);
    enum { N = 3000 };
    model_conn_t *m = calloc(N, sizeof *m);
    size_t live = 0, gone = 0;
    rng_t rng;
    rng_seed(&rng, (uint64_t)_i + 1);
    for (int step = 0; step < 6000; step++) {
        bool open = live == 0 || (live < N && rng_next(&rng) % 3 != 0);
        if (open) {
            model_conn_t *e = &m[live];
            /* Few distinct remote addresses and ports: many tuples share
             * a part, and with a small table the probes collide. */
            e->raddr = 0x0B000000u + (uint32_t)(rng_next(&rng) % 7);
            e->rport = (uint16_t)(25 + rng_next(&rng) % 3);
            do
                e->lport = (uint16_t)(1024 + rng_next(&rng) % 60000);
            while (tcp_conn_lookup(net, h->addr, e->lport, e->raddr, e->rport));
            e->c = tcp_conn_new(net, h, e->raddr, e->lport, e->rport, true);
            live++;
        } else {
            size_t k = (size_t)(rng_next(&rng) % live);
            model_conn_t e = m[k];
            m[k] = m[--live];
            tcp_conn_release(e.c); /* depth 0: freed (pooled) at once */
            ck_assert_ptr_null(tcp_conn_lookup(net, h->addr, e.lport, e.raddr, e.rport));
            gone++;
        }
        if (step % 97 == 0 || step > 5900)
            for (size_t i = 0; i < live; i++)
                ck_assert_ptr_eq(
                    tcp_conn_lookup(net, h->addr, m[i].lport, m[i].raddr, m[i].rport), m[i].c);
    }
    ck_assert_uint_gt(gone, 100);
    free(m);
    net_free(net);
    sim_free(sim);
}
END_TEST

/* Two 4-tuples with one hash (found by a birthday search): each is found,
 * and either stays found when the other goes. */
START_TEST(test_conn_table_shared_hash)
{
    enum { BITS = 18, N = 1 << BITS };
    uint32_t *seen_h = calloc(N, sizeof *seen_h);
    uint32_t *seen_k = calloc(N, sizeof *seen_k);
    uint32_t k1 = 0, k2 = 0;
    /* Candidates: local port 1024 + k % 60000, remote address by k / 60000;
     * the search table stays at most half full (one is found by 116849). */
    for (uint32_t k = 1; k < N / 2 && !k2; k++) {
        uint32_t h = tcp_conn_hash(0x0A000001u, (uint16_t)(1024 + k % 60000), 0x0B000000u + k / 60000,
                                   25);
        for (uint32_t i = h & (N - 1);; i = (i + 1) & (N - 1)) {
            if (!seen_k[i]) {
                seen_h[i] = h;
                seen_k[i] = k;
                break;
            }
            if (seen_h[i] == h) {
                k1 = seen_k[i];
                k2 = k;
                break;
            }
        }
    }
    free(seen_h);
    free(seen_k);
    ck_assert_uint_ne(k2, 0);
    for (int first = 0; first < 2; first++) {
        sim_t *sim = sim_new(1);
        net_t *net = net_new(sim);
        host_t *h = net_host_add(net, "a", 0x0A000001u);
        uint32_t ks[2] = {k1, k2};
        tcp_conn_t *c[2];
        for (int j = 0; j < 2; j++)
            c[j] = tcp_conn_new(net, h, 0x0B000000u + ks[j] / 60000,
                                (uint16_t)(1024 + ks[j] % 60000), 25, true);
        for (int j = 0; j < 2; j++)
            ck_assert_ptr_eq(tcp_conn_lookup(net, 0x0A000001u, (uint16_t)(1024 + ks[j] % 60000),
                                             0x0B000000u + ks[j] / 60000, 25),
                             c[j]);
        tcp_conn_release(c[first]);
        int other = 1 - first;
        ck_assert_ptr_null(tcp_conn_lookup(net, 0x0A000001u, (uint16_t)(1024 + ks[first] % 60000),
                                           0x0B000000u + ks[first] / 60000, 25));
        ck_assert_ptr_eq(tcp_conn_lookup(net, 0x0A000001u, (uint16_t)(1024 + ks[other] % 60000),
                                         0x0B000000u + ks[other] / 60000, 25),
                         c[other]);
        net_free(net);
        sim_free(sim);
    }
}
END_TEST

/* A released struct and its send queue come back for the next connection,
 * cleared: the new one starts as a fresh one would. */
START_TEST(test_pools_reuse_cleared)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *h = net_host_add(net, "a", 0x0A000001u);
    tcp_conn_t *c = tcp_conn_new(net, h, 0x0B000001u, 5000, 25, true);
    tcp_sbuf_append(c, "hello", 5);
    uint8_t *q = c->sbuf;
    ck_assert_uint_eq(c->sbuf_cap, TCP_SBUF_FIRST_CAP);
    c->stats.segments_sent = 9;
    tcp_conn_release(c);
    tcp_conn_t *d = tcp_conn_new(net, h, 0x0B000002u, 5001, 25, false);
    ck_assert_ptr_eq(d, c);
    ck_assert_uint_eq(d->stats.segments_sent, 0);
    ck_assert_ptr_null(d->sbuf);
    ck_assert_uint_eq(tcp_sbuf_len(d), 0);
    ck_assert_int_eq(d->rto_base, TCP_RTO_INITIAL);
    tcp_sbuf_append(d, "abc", 3);
    ck_assert_ptr_eq(d->sbuf, q);
    ck_assert_mem_eq(d->sbuf, "abc", 3);
    /* A queue that grew past the first size is not pooled but freed. */
    static uint8_t big[3 * TCP_SBUF_FIRST_CAP];
    tcp_sbuf_append(d, big, sizeof big);
    ck_assert_uint_gt(d->sbuf_cap, TCP_SBUF_FIRST_CAP);
    ck_assert_mem_eq(d->sbuf, "abc", 3);
    tcp_sbuf_release(d);
    ck_assert_ptr_null(d->sbuf);
    net_free(net);
    sim_free(sim);
}
END_TEST

/* A burst bigger than the pools: what comes back beyond NET_POOL_MAX_SPARES
 * send queues and NET_SEGMENT_MAX_SPARES segments goes back to malloc, the
 * rest is kept. */
START_TEST(test_pools_bounded)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *h = net_host_add(net, "a", 0x0A000001u);
    enum { NC = NET_POOL_MAX_SPARES + 500, NS = NET_SEGMENT_MAX_SPARES + 500 };
    tcp_conn_t **c = calloc(NC, sizeof *c);
    tcp_segment_t **seg = calloc(NS, sizeof *seg);
    for (int i = 0; i < NC; i++) {
        c[i] = tcp_conn_new(net, h, 0x0B000001u, (uint16_t)(1024 + i), 25, true);
        tcp_sbuf_append(c[i], "x", 1);
    }
    for (int i = 0; i < NS; i++)
        seg[i] = net_segment_new(net, 100);
    ck_assert_uint_eq(net->segment_spares, 0);
    ck_assert_uint_eq(net->sbuf_spares, 0);
    for (int i = 0; i < NC; i++)
        tcp_conn_release(c[i]);
    for (int i = 0; i < NS; i++)
        net_segment_free(net, seg[i]);
    ck_assert_uint_eq(net->segment_spares, NET_SEGMENT_MAX_SPARES);
    ck_assert_uint_eq(net->sbuf_spares, NET_POOL_MAX_SPARES);
    /* Taking from the pools counts down. */
    tcp_segment_t *again = net_segment_new(net, 10);
    ck_assert_uint_eq(net->segment_spares, NET_SEGMENT_MAX_SPARES - 1);
    net_segment_free(net, again);
    ck_assert_uint_eq(net->segment_spares, NET_SEGMENT_MAX_SPARES);
    free(c);
    free(seg);
    net_free(net);
    sim_free(sim);
}
END_TEST

/* net_free finds every segment the net made: spares, segments on the wire
 * (their arrival events are cancelled), one bigger than the pool's size,
 * and none that went back to malloc (the sanitizers see a double free or a
 * leak otherwise). */
START_TEST(test_free_finds_every_segment)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *a = net_host_add(net, "a", 0x0A000001u);
    net_host_add(net, "b", 0x0A000002u);
    enum { N = 40 };
    for (int i = 0; i < N; i++) {
        uint32_t len = i % 5 == 0 ? NET_SEGMENT_POOL_CAP + 100 : (uint32_t)i;
        tcp_segment_t *seg = net_segment_new(net, len);
        seg->session = 0;
        seg->src_conn = seg->dst_conn = NULL;
        seg->service_port = 25;
        seg->src_addr = 0x0A000001u;
        seg->dst_addr = i % 3 == 0 ? 0x0A000002u : 0x0A000009u; /* else no host */
        seg->src_port = 1024;
        seg->dst_port = 25;
        seg->seq = seg->ack = 0;
        seg->window = 1000;
        seg->flags = TCP_RST;
        if (i % 4 == 0)
            net_segment_free(net, seg); /* a spare, or back to malloc */
        else
            net_transmit(net, a, seg); /* on the wire, or dropped at once */
    }
    ck_assert_uint_gt(sched_pending(sim->sched), 0);
    net_free(net);
    ck_assert_uint_eq(sched_pending(sim->sched), 0);
    sim_free(sim);
}
END_TEST

/* The receiving connection of a segment: the sender's guess only when it is
 * live and has the segment's 4-tuple, else the table (which then teaches the
 * sender); the answer is always tcp_conn_lookup's. */
START_TEST(test_conn_for_segment_checks_the_guess)
{
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *a = net_host_add(net, "a", 0x0A000001u);
    host_t *b = net_host_add(net, "b", 0x0A000002u);
    tcp_conn_t *snd = tcp_conn_new(net, a, b->addr, 5000, 25, true);
    tcp_conn_t *rcv = tcp_conn_new(net, b, a->addr, 25, 5000, false);
    tcp_conn_t *other = tcp_conn_new(net, b, a->addr, 25, 5001, false);
    tcp_segment_t seg = {.src_addr = a->addr, .dst_addr = b->addr, .src_port = 5000,
                         .dst_port = 25};
    /* guess: NULL, right, another live connection, the sender itself */
    tcp_conn_t *guesses[] = {NULL, rcv, other, snd};
    for (size_t i = 0; i < sizeof guesses / sizeof *guesses; i++) {
        seg.src_conn = snd;
        seg.dst_conn = guesses[i];
        snd->peer = NULL;
        ck_assert_ptr_eq(tcp_conn_for_segment(net, &seg), rcv);
        /* A right guess is kept as it is; a wrong one is corrected. */
        ck_assert_ptr_eq(snd->peer, guesses[i] == rcv ? NULL : rcv);
    }
    /* No sender (a reset reply): nothing to teach. */
    seg.src_conn = NULL;
    seg.dst_conn = other;
    ck_assert_ptr_eq(tcp_conn_for_segment(net, &seg), rcv);
    /* The guess was released: dead, then pooled, then reused for another
     * 4-tuple; and the same 4-tuple again (the one live connection). */
    seg.src_conn = snd;
    seg.dst_conn = rcv;
    tcp_conn_release(rcv);
    ck_assert_ptr_null(tcp_conn_for_segment(net, &seg));
    ck_assert_ptr_null(snd->peer);
    tcp_conn_t *reused = tcp_conn_new(net, b, a->addr, 25, 6000, false);
    ck_assert_ptr_eq(reused, rcv);
    ck_assert_ptr_null(tcp_conn_for_segment(net, &seg));
    tcp_conn_release(reused);
    tcp_conn_t *again = tcp_conn_new(net, b, a->addr, 25, 5000, false);
    ck_assert_ptr_eq(tcp_conn_for_segment(net, &seg), again);
    net_free(net);
    sim_free(sim);
}
END_TEST

/* RFC 6298 2.2 and 2.3 as written (signed divisions), for the table. */
static void rtt_reference(sim_time_t *srtt, sim_time_t *rttvar, bool *have, sim_time_t r)
{
    if (!*have) {
        *srtt = r;
        *rttvar = r / 2;
        *have = true;
        return;
    }
    sim_time_t delta = *srtt > r ? *srtt - r : r - *srtt;
    *rttvar = (3 * *rttvar + delta) / 4;
    *srtt = (7 * *srtt + r) / 8;
}

START_TEST(test_rtt_sample_matches_rfc)
{
    static const sim_time_t samples[] = {0, 1, 2, 3, 7, 8, 15, 999, 1000, 1001, 20 * SIM_MS,
                                         20 * SIM_MS + 1, SIM_SEC, 3 * SIM_SEC + 5, 7, 0,
                                         120 * SIM_SEC, 1, 250 * SIM_MS};
    sim_t *sim = sim_new(1);
    net_t *net = net_new(sim);
    host_t *h = net_host_add(net, "a", 0x0A000001u);
    tcp_conn_t *c = tcp_conn_new(net, h, 0x0B000001u, 5000, 25, true);
    sim_time_t srtt = 0, rttvar = 0;
    bool have = false;
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        tcp_rtt_sample(c, samples[i]);
        rtt_reference(&srtt, &rttvar, &have, samples[i]);
        ck_assert_int_eq(c->srtt, srtt);
        ck_assert_int_eq(c->rttvar, rttvar);
        ck_assert_int_eq(c->rto_base, tcp_rto_base(c));
    }
    net_free(net);
    sim_free(sim);
}
END_TEST

Suite *net_table_suite(void)
{
    Suite *s = suite_create("net_table");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_conn_table_matches_model, 0, 3);
    tcase_add_test(tc, test_pools_reuse_cleared);
    tcase_add_test(tc, test_conn_table_shared_hash);
    tcase_add_test(tc, test_pools_bounded);
    tcase_add_test(tc, test_free_finds_every_segment);
    tcase_add_test(tc, test_conn_for_segment_checks_the_guess);
    tcase_add_test(tc, test_rtt_sample_matches_rfc);
    suite_add_tcase(s, tc);
    return s;
}
