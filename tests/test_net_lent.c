/*
 * Lent sends (tcp_send_lent): the bytes arrive as tcp_send's would, TCP
 * holds the owner's block exactly while it needs it, and every way a
 * connection or the net ends gives the references back.
 */
#include <check.h>

#include "net/tcp_internal.h"
#include "test_net_world.h"

typedef struct block {
    shared_t shared;
    int drops;
    uint8_t data[8192];
} block_t;

static void block_drop(shared_t *s)
{
    ((block_t *)s)->drops++;
}

static void block_init(block_t *b, uint64_t seed)
{
    b->shared = (shared_t){1, block_drop};
    b->drops = 0;
    rng_t r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < sizeof b->data; i++)
        b->data[i] = (uint8_t)rng_next(&r);
}

/* Concatenates what a list of sends queues, for comparing with what came. */
typedef struct sends {
    buf_t want;
} sends_t;

static void send_copy(tcp_conn_t *c, sends_t *s, const uint8_t *data, size_t len)
{
    tcp_send(c, data, len);
    buf_append(&s->want, data, len);
}

static void send_lent(tcp_conn_t *c, sends_t *s, block_t *b, size_t off, size_t len)
{
    tcp_send_lent(c, b->data + off, len, &b->shared);
    buf_append(&s->want, b->data + off, len);
}

/* A world whose client is connected (with segments of mss, 0: the
 * default), and a block of random bytes. */
static void connected(world_t *w, uint64_t seed, bool trace, uint32_t mss, block_t *b)
{
    world_init(w, seed, trace);
    if (mss)
        net_set_mss(w->net, mss);
    world_connect(w);
    sched_run_until(w->sim->sched, SIM_SEC);
    ck_assert(w->client.connected);
    ck_assert_ptr_nonnull(w->server.conn);
    block_init(b, seed * 31);
}

/* The server got exactly what was sent; frees what the test kept. */
static void got_all(world_t *w, sends_t *s)
{
    ck_assert_uint_eq(w->server.got.len, s->want.len);
    ck_assert_mem_eq(w->server.got.data, s->want.data, s->want.len);
    buf_free(&s->want);
}

/* The block is held while its bytes wait or travel, and let go once the
 * peer acknowledged them; the bytes arrive whole and in order. */
START_TEST(test_lent_held_until_acknowledged)
{
    world_t w;
    block_t b;
    connected(&w, 1, false, 0, &b);
    sends_t s = {BUF_INIT};
    send_copy(w.client.conn, &s, (const uint8_t *)"HEADER\r\n", 8);
    send_lent(w.client.conn, &s, &b, 100, 3000);
    ck_assert_uint_eq(b.shared.refs, 2); /* the queue's */
    sched_run_until(w.sim->sched, sim_now(w.sim) + SIM_MS);
    ck_assert_uint_gt(b.shared.refs, 2); /* and the segments' on the wire */
    sched_run_until(w.sim->sched, sim_now(w.sim) + 5 * SIM_SEC);
    ck_assert_uint_eq(b.shared.refs, 1);
    ck_assert_int_eq(b.drops, 0);
    got_all(&w, &s);
    world_free(&w);
}
END_TEST

/* Short runs, runs without an owner and a third run while two wait are
 * copied, not held; the bytes are the same either way. */
START_TEST(test_lent_copies_what_it_does_not_keep)
{
    world_t w;
    block_t b;
    connected(&w, 2, false, 0, &b);
    sends_t s = {BUF_INIT};
    send_lent(w.client.conn, &s, &b, 0, 100); /* short */
    ck_assert_uint_eq(b.shared.refs, 1);
    tcp_send_lent(w.client.conn, b.data + 5, 2000, NULL); /* no owner */
    buf_append(&s.want, b.data + 5, 2000);
    ck_assert_uint_eq(b.shared.refs, 1);
    send_lent(w.client.conn, &s, &b, 10, 1000);
    send_lent(w.client.conn, &s, &b, 20, 1000);
    ck_assert_uint_eq(b.shared.refs, 3);
    send_lent(w.client.conn, &s, &b, 30, 1000); /* a third: copied */
    ck_assert_uint_eq(b.shared.refs, 3);
    sched_run_until(w.sim->sched, sim_now(w.sim) + 5 * SIM_SEC);
    ck_assert_uint_eq(b.shared.refs, 1);
    got_all(&w, &s);
    world_free(&w);
}
END_TEST

/*
 * Every way runs and pieces can meet a segment's edges: MSS 1 to 97, and
 * some larger, over sends that alternate own and lent runs of odd lengths,
 * three pairs queued at a time (the third lent run copied), so that
 * segments begin and end inside runs and hold one lent run or two (pieces
 * own, lent, own, lent, own: more than a segment has, so copied whole). The
 * bytes that arrive and the payloads traced are those sent.
 */
START_TEST(test_lent_pieces_at_every_edge)
{
    static const uint32_t big[] = {600, 1200, 1300, 1460, 2000};
    for (size_t k = 0; k < 17 + sizeof big / sizeof *big; k++) {
        uint32_t mss = k < 17 ? 1 + 6 * (uint32_t)k : big[k - 17];
        world_t w;
        block_t b;
        connected(&w, 3 + mss, true, mss, &b);
        sends_t s = {BUF_INIT};
        size_t lent = 0;
        for (size_t i = 0; i < 6; i++) {
            send_copy(w.client.conn, &s, b.data + 4000 + i * 50, 1 + (i * 37 + mss) % 90);
            send_lent(w.client.conn, &s, &b, i * 600, 512 + (i * 53 + mss) % 80);
            lent += b.shared.refs > 1;
            if (i % 3 == 2)
                sched_run_until(w.sim->sched, sim_now(w.sim) + (i % 2) * SIM_MS);
        }
        ck_assert_uint_gt(lent, 0);
        sched_run_until(w.sim->sched, sim_now(w.sim) + 30 * SIM_SEC);
        ck_assert_msg(w.server.got.len == s.want.len &&
                          memcmp(w.server.got.data, s.want.data, s.want.len) == 0,
                      "mss %u: %zu bytes arrived, %zu sent", mss, w.server.got.len, s.want.len);
        /* the traced payloads of the client's data segments, in order (no
         * loss, so no segment twice), are the bytes sent */
        buf_t traced = BUF_INIT;
        for (size_t i = 0; i < w.rec.n; i++) {
            const trace_event_t *e = w.rec.ev[i];
            if (e->kind == TRACE_TCP_SEGMENT && e->src_addr == CLIENT_ADDR && e->payload)
                buf_append(&traced, e->payload, e->payload_len);
        }
        ck_assert_uint_eq(traced.len, s.want.len);
        ck_assert_mem_eq(traced.data, s.want.data, s.want.len);
        ck_assert_uint_eq(b.shared.refs, 1);
        buf_free(&traced);
        world_free(&w);
        buf_free(&s.want);
    }
}
END_TEST

/* A segment of three pieces, own bytes on both sides of a lent run: each
 * own run keeps its place in the segment's payload. And a segment whose
 * own bytes leave no room for its pieces: copied whole. */
START_TEST(test_lent_between_own_bytes)
{
    static const struct {
        uint32_t mss;
        size_t before, lent, after;
    } cases[] = {
        {1000, 100, 600, 400}, /* own 100, lent 600, own 300; then own 100 */
        {1460, 1400, 600, 10}, /* own 1400 and lent 60: no room left for pieces */
        {1460, 1380, 600, 10}, /* own 1380 and lent 80: just room */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        world_t w;
        block_t b;
        connected(&w, 6 + i, false, cases[i].mss, &b);
        sends_t s = {BUF_INIT};
        send_copy(w.client.conn, &s, b.data + 5000, cases[i].before);
        send_lent(w.client.conn, &s, &b, 0, cases[i].lent);
        send_copy(w.client.conn, &s, b.data + 7000, cases[i].after);
        sched_run_until(w.sim->sched, sim_now(w.sim) + 5 * SIM_SEC);
        ck_assert_uint_eq(b.shared.refs, 1);
        got_all(&w, &s);
        world_free(&w);
    }
}
END_TEST

/* An abort, a reset from the peer and the end of the net with segments on
 * the wire all give the references back. */
START_TEST(test_lent_released_however_it_ends)
{
    for (int how = 0; how < 3; how++) {
        world_t w;
        block_t b;
        connected(&w, 4, false, 0, &b);
        sends_t s = {BUF_INIT};
        send_lent(w.client.conn, &s, &b, 0, 4000);
        sched_run_until(w.sim->sched, sim_now(w.sim) + SIM_MS); /* on the wire */
        ck_assert_uint_gt(b.shared.refs, 2);
        if (how == 0)
            tcp_abort(w.client.conn);
        else if (how == 1)
            tcp_abort(w.server.conn);
        if (how < 2)
            sched_run_until(w.sim->sched, sim_now(w.sim) + 10 * SIM_SEC);
        world_free(&w);
        ck_assert_msg(b.shared.refs == 1, "how %d: %zu references", how, b.shared.refs);
        ck_assert_int_eq(b.drops, 0);
        buf_free(&s.want);
    }
}
END_TEST

/* The last reference TCP lets go of frees the block. */
START_TEST(test_lent_last_reference_frees)
{
    world_t w;
    block_t b;
    connected(&w, 5, false, 0, &b);
    tcp_send_lent(w.client.conn, b.data, 3000, &b.shared);
    shared_release(&b.shared); /* the maker lets go at once */
    ck_assert_int_eq(b.drops, 0);
    sched_run_until(w.sim->sched, sim_now(w.sim) + 5 * SIM_SEC);
    ck_assert_int_eq(b.drops, 1);
    ck_assert_uint_eq(w.server.got.len, 3000);
    ck_assert_mem_eq(w.server.got.data, b.data, 3000);
    world_free(&w);
}
END_TEST

Suite *net_lent_suite(void)
{
    Suite *s = suite_create("net_lent");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_lent_held_until_acknowledged);
    tcase_add_test(tc, test_lent_copies_what_it_does_not_keep);
    tcase_add_test(tc, test_lent_pieces_at_every_edge);
    tcase_add_test(tc, test_lent_between_own_bytes);
    tcase_add_test(tc, test_lent_released_however_it_ends);
    tcase_add_test(tc, test_lent_last_reference_frees);
    suite_add_tcase(s, tc);
    return s;
}
