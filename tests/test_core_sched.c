/* The scheduler: order by time, ties in scheduling order, lazy cancel, determinism. */
#include <check.h>
#include <string.h>

#include "core/rng.h"
#include "core/sched.h"

typedef struct trail {
    sched_t *s;
    int order[64];
    sim_time_t when[64];
    int n;
} trail_t;

typedef struct mark {
    trail_t *trail;
    int label;
} mark_t;

static void record(void *arg)
{
    mark_t *m = arg;
    m->trail->when[m->trail->n] = sched_now(m->trail->s);
    m->trail->order[m->trail->n++] = m->label;
}

START_TEST(test_order_by_time)
{
    trail_t t = {.s = sched_new()};
    mark_t m[4] = {{&t, 0}, {&t, 1}, {&t, 2}, {&t, 3}};
    sched_at(t.s, 30, record, &m[0]);
    sched_at(t.s, 10, record, &m[1]);
    sched_at(t.s, 20, record, &m[2]);
    sched_at(t.s, 5, record, &m[3]);
    ck_assert_uint_eq(sched_run(t.s), 4);
    int want[] = {3, 1, 2, 0};
    sim_time_t want_t[] = {5, 10, 20, 30};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(t.order[i], want[i]);
        ck_assert_int_eq(t.when[i], want_t[i]);
    }
    ck_assert_int_eq(sched_now(t.s), 30);
    sched_free(t.s);
}
END_TEST

START_TEST(test_ties_run_in_scheduling_order)
{
    trail_t t = {.s = sched_new()};
    mark_t m[20];
    for (int i = 0; i < 20; i++) {
        m[i] = (mark_t){&t, i};
        sched_at(t.s, 100, record, &m[i]);
    }
    sched_run(t.s);
    ck_assert_int_eq(t.n, 20);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(t.order[i], i);
    sched_free(t.s);
}
END_TEST

START_TEST(test_cancel_is_lazy_and_safe)
{
    trail_t t = {.s = sched_new()};
    mark_t m[3] = {{&t, 0}, {&t, 1}, {&t, 2}};
    sched_id_t a = sched_at(t.s, 10, record, &m[0]);
    sched_id_t b = sched_at(t.s, 20, record, &m[1]);
    sched_at(t.s, 30, record, &m[2]);
    ck_assert_uint_eq(sched_pending(t.s), 3);
    sched_cancel(t.s, b);
    sched_cancel(t.s, b); /* twice is harmless */
    sched_cancel(t.s, 0);
    ck_assert(!sched_is_pending(t.s, b));
    ck_assert(sched_is_pending(t.s, a));
    ck_assert_uint_eq(sched_pending(t.s), 2);
    ck_assert_int_eq(sched_next_time(t.s), 10);
    sched_run(t.s);
    ck_assert_int_eq(t.n, 2);
    ck_assert_int_eq(t.order[0], 0);
    ck_assert_int_eq(t.order[1], 2);
    /* a stale id must not cancel the event that now reuses its slot */
    sched_id_t c = sched_at(t.s, 40, record, &m[0]);
    sched_cancel(t.s, a);
    ck_assert(sched_is_pending(t.s, c));
    ck_assert_int_eq(sched_next_time(t.s), 40);
    sched_free(t.s);
}
END_TEST

START_TEST(test_run_until)
{
    trail_t t = {.s = sched_new()};
    mark_t m[3] = {{&t, 0}, {&t, 1}, {&t, 2}};
    sched_at(t.s, 10, record, &m[0]);
    sched_at(t.s, 20, record, &m[1]);
    sched_at(t.s, 30, record, &m[2]);
    ck_assert_uint_eq(sched_run_until(t.s, 20), 2);
    ck_assert_int_eq(sched_now(t.s), 20);
    ck_assert_uint_eq(sched_run_until(t.s, 25), 0);
    ck_assert_int_eq(sched_now(t.s), 25);
    ck_assert_int_eq(sched_next_time(t.s), 30);
    /* scheduling in the past runs "now", never rewinds the clock */
    sched_at(t.s, 1, record, &m[0]);
    sched_step(t.s);
    ck_assert_int_eq(t.when[2], 25);
    sched_free(t.s);
}
END_TEST

/* A chain of events whose delays come from the PRNG: same seed, same trace. */
typedef struct chain {
    sched_t *s;
    rng_t rng;
    uint64_t hash;
    int left;
} chain_t;

static void chain_step(void *arg)
{
    chain_t *c = arg;
    c->hash = c->hash * 1099511628211ULL ^ (uint64_t)sched_now(c->s);
    if (--c->left > 0) {
        sched_after(c->s, (sim_time_t)rng_below(&c->rng, 1000), chain_step, c);
        if (rng_chance(&c->rng, 0.5))
            sched_after(c->s, (sim_time_t)rng_below(&c->rng, 1000), chain_step, c);
    }
}

static uint64_t run_chain(uint64_t seed)
{
    chain_t c = {.s = sched_new(), .hash = 14695981039346656037ULL, .left = 5000};
    rng_seed(&c.rng, seed);
    sched_at(c.s, 0, chain_step, &c);
    sched_run(c.s);
    sched_free(c.s);
    return c.hash;
}

START_TEST(test_determinism)
{
    ck_assert_uint_eq(run_chain(42), run_chain(42));
    ck_assert_uint_ne(run_chain(42), run_chain(43));
}
END_TEST

static void stopper(void *arg)
{
    sched_stop(arg);
}

START_TEST(test_stop)
{
    sched_t *s = sched_new();
    trail_t t = {.s = s};
    mark_t m = {&t, 0};
    sched_at(s, 5, stopper, s);
    sched_at(s, 10, record, &m);
    ck_assert_uint_eq(sched_run(s), 1);
    ck_assert_int_eq(t.n, 0);
    ck_assert_uint_eq(sched_run(s), 1);
    ck_assert_int_eq(t.n, 1);
    sched_free(s);
}
END_TEST

START_TEST(test_rng_known_values)
{
    /* xoshiro256** seeded through splitmix64 from 0: fixed outputs, so a change of generator shows. */
    rng_t a, b;
    rng_seed(&a, 12345);
    rng_seed(&b, 12345);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(rng_next(&a), rng_next(&b));
    for (int i = 0; i < 10000; i++) {
        uint64_t v = rng_below(&a, 7);
        ck_assert_uint_lt(v, 7);
        double d = rng_double(&a);
        ck_assert(d >= 0.0 && d < 1.0);
    }
    ck_assert(!rng_chance(&a, 0.0));
    ck_assert(rng_chance(&a, 1.0));
    rng_t z;
    rng_seed(&z, 0);
    /* splitmix64(0) first output, as published with the reference code */
    ck_assert_uint_eq(z.s[0], 0xe220a8397b1dcdafULL);
}
END_TEST

Suite *core_sched_suite(void)
{
    Suite *s = suite_create("core_sched");
    TCase *tc = tcase_create("sched");
    tcase_add_test(tc, test_order_by_time);
    tcase_add_test(tc, test_ties_run_in_scheduling_order);
    tcase_add_test(tc, test_cancel_is_lazy_and_safe);
    tcase_add_test(tc, test_run_until);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_stop);
    tcase_add_test(tc, test_rng_known_values);
    suite_add_tcase(s, tc);
    return s;
}
