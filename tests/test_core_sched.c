/* The scheduler: order by time, ties in scheduling order, cancel and move, determinism,
 * and a reference model it must match step for step. */
#include <check.h>
#include <stdint.h>
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

/*
 * Long timers of one delay (a TIME-WAIT stream) and a shorter timer all due
 * at the same microsecond run in the order they were scheduled, however the
 * scheduler keeps them; so do they with the first of the stream cancelled,
 * and with one pushed later and back.
 */
START_TEST(test_long_streams_keep_ties_in_order)
{
    const sim_time_t due = 60 * SIM_SEC;
    for (int variant = 0; variant < 3; variant++) {
        trail_t t = {.s = sched_new()};
        mark_t m[8];
        for (int i = 0; i < 8; i++)
            m[i] = (mark_t){&t, i};
        /* 0..3 at now 0 with a 60 s delay, 4 and 5 a second before, 6 and 7
         * 60 s later (a stream going on behind the tie). */
        sched_id_t id[8];
        for (int i = 0; i < 4; i++)
            id[i] = sched_at(t.s, due, record, &m[i]);
        sched_run_until(t.s, due - SIM_SEC);
        id[4] = sched_at(t.s, due, record, &m[4]);
        id[6] = sched_at(t.s, due + 59 * SIM_SEC, record, &m[6]);
        id[5] = sched_at(t.s, due, record, &m[5]);
        id[7] = sched_at(t.s, due + 59 * SIM_SEC, record, &m[7]);
        int want[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        int nwant = 8;
        if (variant == 1) {
            sched_cancel(t.s, id[0]);
            sched_cancel(t.s, id[2]);
            int w[] = {1, 3, 4, 5, 6, 7};
            memcpy(want, w, sizeof w);
            nwant = 6;
        } else if (variant == 2) {
            /* 1 pushed past 6, then back to the tie: it now comes after 5. */
            ck_assert(sched_move(t.s, id[1], due + 70 * SIM_SEC));
            ck_assert(sched_move(t.s, id[1], due));
            int w[] = {0, 2, 3, 4, 5, 1, 6, 7};
            memcpy(want, w, sizeof w);
        }
        sched_run(t.s);
        ck_assert_int_eq(t.n, nwant);
        for (int i = 0; i < nwant; i++)
            ck_assert_int_eq(t.order[i], want[i]);
        sched_free(t.s);
    }
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

/*
 * A reference scheduler: a plain list of (time, sequence) searched for the
 * smallest on every step. The real one must run the same events in the same
 * order at the same times under any mix of scheduling, cancelling, moving
 * and running, with delays from none to very long.
 */
#define MODEL_MAX 4096

typedef struct model_event {
    sim_time_t time;
    uint64_t seq;
    int label;
    bool live;
    bool disarmed; /* not live, but its id can be moved */
    bool held;     /* sched_hold's: its place is (time, seq) */
    sched_id_t id;
} model_event_t;

typedef struct model {
    model_event_t ev[MODEL_MAX];
    int n;
    size_t live; /* events live */
    uint64_t seq;
    sim_time_t now;
    uint64_t cur_seq; /* the last run event's */
    int ran_label;
} model_t;


static model_t model;
static int real_ran;

/* A held event's place is still ahead of the last run event. */
static bool model_ahead(const model_event_t *e)
{
    return e->time > model.now || (e->time == model.now && e->seq > model.cur_seq);
}

static void model_record(void *arg)
{
    real_ran = (int)(intptr_t)arg;
}

/* Set as model_record's warm: it may only ever see pending events. */
static uint64_t model_warms;

static void model_warm(const void *arg, unsigned ahead)
{
    ck_assert(ahead >= 1 && ahead <= SCHED_WARM_AHEAD);
    ck_assert(model.ev[(intptr_t)arg].live);
    model_warms++;
}

/* Half the delays from a few fixed ones, as timers of one kind have (a
 * connection's TIME-WAIT, an idle timeout), some off by a microsecond or
 * two: streams of keys in order, many cancelled long before their time. */
static bool model_streams;

static sim_time_t model_when(rng_t *r, sim_time_t now)
{
    static const sim_time_t stream_delays[] = {
        17000,   20000,    200000,    1000000,   5000000,
        9000000, 60000000, 120000000, 300000000, 600000000,
    };
    if (model_streams && rng_below(r, 2))
        return now + stream_delays[rng_below(r, sizeof stream_delays / sizeof *stream_delays)] +
               (rng_below(r, 8) == 0 ? (sim_time_t)rng_below(r, 3) - 1 : 0);
    switch (rng_below(r, 6)) {
    case 0:
        return now;
    case 1:
        return now + (sim_time_t)rng_below(r, 4);
    case 2:
        return now + (sim_time_t)rng_below(r, 1000);
    case 3:
        return now + (sim_time_t)rng_below(r, 1000000);
    case 4:
        return now - (sim_time_t)rng_below(r, 10); /* the past runs now */
    default:
        return now + (sim_time_t)(rng_next(r) >> 24);
    }
}

/* The live model event with the smallest (time, seq), or -1. */
static int model_next(void)
{
    int best = -1;
    for (int i = 0; i < model.n; i++) {
        const model_event_t *e = &model.ev[i];
        if (!e->live)
            continue;
        if (best < 0 || e->time < model.ev[best].time ||
            (e->time == model.ev[best].time && e->seq < model.ev[best].seq))
            best = i;
    }
    return best;
}

static void model_check_step(sched_t *s)
{
    int i = model_next();
    real_ran = -1;
    bool ran = sched_step(s);
    ck_assert_int_eq(ran, i >= 0);
    if (i < 0)
        return;
    model.ev[i].live = false;
    model.live--;
    model.now = model.ev[i].time;
    model.cur_seq = model.ev[i].seq;
    ck_assert_int_eq(real_ran, model.ev[i].label);
    ck_assert_int_eq(sched_now(s), model.now);
}

static void run_model(uint64_t seed, uint32_t start_seq)
{
    rng_t r;
    rng_seed(&r, seed);
    memset(&model, 0, sizeof model);
    sched_t *s = sched_new();
    sched_set_next_seq(s, start_seq);
    ck_assert(sched_set_warm(s, model_record, model_warm));
    for (int op = 0; op < 20000; op++) {
        unsigned what = (unsigned)rng_below(&r, 12);
        if (what < 4 && model.n < MODEL_MAX) {
            sim_time_t when = model_when(&r, model.now);
            model_event_t *e = &model.ev[model.n];
            *e = (model_event_t){when < model.now ? model.now : when, ++model.seq, model.n, true,
                                 false, false, 0};
            e->id = sched_at(s, when, model_record, (void *)(intptr_t)model.n);
            model.n++;
            model.live++;
        } else if (what < 5 && model.n > 0) {
            model_event_t *e = &model.ev[rng_below(&r, (uint64_t)model.n)];
            sched_cancel(s, e->id);
            if (e->live)
                model.live--;
            e->live = e->disarmed = e->held = false;
        } else if (what < 6 && model.n > 0) {
            model_event_t *e = &model.ev[rng_below(&r, (uint64_t)model.n)];
            sim_time_t when = model_when(&r, model.now);
            bool movable = e->live || e->disarmed || e->held;
            ck_assert_int_eq(sched_move(s, e->id, when), movable);
            if (movable) {
                e->time = when < model.now ? model.now : when;
                e->seq = ++model.seq;
                if (!e->live)
                    model.live++;
                e->live = true;
                e->disarmed = e->held = false;
            }
        } else if (what < 7 && model.n > 0) {
            /* a timer stopped, then often set again (moved) at once */
            model_event_t *e = &model.ev[rng_below(&r, (uint64_t)model.n)];
            sched_disarm(s, e->id);
            if (e->live) {
                e->live = false;
                e->disarmed = true;
                model.live--;
            }
            ck_assert(!sched_is_pending(s, e->id));
            if (e->disarmed && rng_below(&r, 2)) {
                sim_time_t when = e->time + (sim_time_t)rng_below(&r, 2000) - 2;
                ck_assert(sched_move(s, e->id, when));
                e->time = when < model.now ? model.now : when;
                e->seq = ++model.seq;
                e->live = true;
                e->disarmed = false;
                model.live++;
            }
        } else if (what < 9 && model.n < MODEL_MAX) {
            /* a place held now, as sched_after(0) would take it */
            model_event_t *e = &model.ev[model.n];
            *e = (model_event_t){model.now, ++model.seq, model.n, false, false, true, 0};
            e->id = sched_hold(s, model_record, (void *)(intptr_t)model.n);
            ck_assert(!sched_is_pending(s, e->id));
            ck_assert(sched_held_ahead(s, e->id));
            model.n++;
        } else if (what < 10 && model.n > 0) {
            /* armed at its place while that is ahead, else nothing */
            model_event_t *e = &model.ev[rng_below(&r, (uint64_t)model.n)];
            bool ahead = e->live || (e->held && model_ahead(e));
            ck_assert_int_eq(sched_held_ahead(s, e->id), ahead);
            ck_assert_int_eq(sched_arm_held(s, e->id), ahead);
            if (ahead && !e->live) {
                e->live = true;
                e->held = false;
                model.live++;
            }
        } else if (what < 11 && model.n > 0 && rng_below(&r, 2)) {
            /* held again: a place gone by becomes the place of now */
            model_event_t *e = &model.ev[rng_below(&r, (uint64_t)model.n)];
            bool want = e->live || e->held;
            ck_assert_int_eq(sched_hold_again(s, e->id), want);
            if (e->held && !model_ahead(e)) {
                e->time = model.now;
                e->seq = ++model.seq;
            }
        } else if (what < 11) {
            int i = model_next();
            sim_time_t t = i < 0 ? model.now + 5 : model.ev[i].time + (sim_time_t)rng_below(&r, 3) - 1;
            ck_assert_int_eq(sched_next_time(s), i < 0 ? SIM_TIME_NEVER : model.ev[i].time);
            /* run_until: everything due by t, then the clock stands at t */
            while ((i = model_next()) >= 0 && model.ev[i].time <= t)
                model_check_step(s);
            sched_run_until(s, t);
            if (t > model.now)
                model.now = t;
            model.cur_seq = model.seq; /* every place numbered so far has gone by */
            ck_assert_int_eq(sched_now(s), model.now);
        } else {
            model_check_step(s);
        }
        ck_assert_uint_eq(sched_pending(s), model.live);
        if (model.n > 0) {
            const model_event_t *e = &model.ev[rng_below(&r, (uint64_t)model.n)];
            ck_assert_int_eq(sched_is_pending(s, e->id), e->live);
        }
    }
    while (model_next() >= 0)
        model_check_step(s);
    ck_assert(!sched_step(s));
    for (int i = 0; i < model.n; i++)
        sched_cancel(s, model.ev[i].id);
    sched_free(s);
}

START_TEST(test_matches_reference_model)
{
    for (uint64_t seed = 1; seed <= 4; seed++)
        run_model(seed, 1);
}
END_TEST

START_TEST(test_matches_reference_model_more)
{
    for (uint64_t seed = 5; seed <= 8; seed++)
        run_model(seed, 1);
}
END_TEST

START_TEST(test_matches_reference_model_streams)
{
    model_streams = true;
    model_warms = 0;
    for (uint64_t seed = 21; seed <= 26; seed++)
        run_model(seed, 1);
    run_model(27, UINT32_MAX - 3000);
    model_streams = false;
    /* the streams put events in the same microsecond: warms happened, and
     * only for pending events */
    ck_assert_uint_gt(model_warms, 1000);
}
END_TEST

START_TEST(test_sequence_wrap_keeps_order)
{
    /* The counter wraps within the run: pending events are numbered afresh. */
    for (uint64_t seed = 11; seed <= 14; seed++)
        run_model(seed, UINT32_MAX - 3000);
}
END_TEST

START_TEST(test_move)
{
    trail_t t = {.s = sched_new()};
    mark_t m[4] = {{&t, 0}, {&t, 1}, {&t, 2}, {&t, 3}};
    sched_id_t a = sched_at(t.s, 10, record, &m[0]);
    sched_at(t.s, 20, record, &m[1]);
    sched_id_t c = sched_at(t.s, 30, record, &m[2]);
    /* moved to a time already taken, it runs after what is there */
    ck_assert(sched_move(t.s, a, 20));
    ck_assert(sched_is_pending(t.s, a));
    /* moved earlier, it runs first */
    ck_assert(sched_move(t.s, c, 5));
    ck_assert_uint_eq(sched_pending(t.s), 3);
    ck_assert_int_eq(sched_next_time(t.s), 5);
    sched_run(t.s);
    int want[] = {2, 1, 0};
    sim_time_t want_t[] = {5, 20, 20};
    ck_assert_int_eq(t.n, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(t.order[i], want[i]);
        ck_assert_int_eq(t.when[i], want_t[i]);
    }
    /* a run or cancelled event does not move */
    ck_assert(!sched_move(t.s, a, 100));
    sched_id_t d = sched_at(t.s, 50, record, &m[3]);
    sched_cancel(t.s, d);
    ck_assert(!sched_move(t.s, d, 60));
    ck_assert(!sched_move(t.s, 0, 60));
    ck_assert_uint_eq(sched_pending(t.s), 0);
    sched_free(t.s);
}
END_TEST

START_TEST(test_hold)
{
    trail_t t = {.s = sched_new()};
    mark_t m[5] = {{&t, 0}, {&t, 1}, {&t, 2}, {&t, 3}, {&t, 4}};
    sched_at(t.s, 10, record, &m[0]);
    sched_id_t h = sched_hold(t.s, record, &m[1]); /* the place of an event at 0 */
    sched_at(t.s, 0, record, &m[2]);
    /* held: counted nowhere, not run */
    ck_assert(!sched_is_pending(t.s, h));
    ck_assert(sched_held_ahead(t.s, h));
    ck_assert_uint_eq(sched_pending(t.s), 2);
    ck_assert_int_eq(sched_next_time(t.s), 0);
    /* armed while ahead: it runs at its place, before the later event at 0 */
    ck_assert(sched_arm_held(t.s, h));
    ck_assert(sched_arm_held(t.s, h)); /* pending: true, nothing more */
    ck_assert(sched_is_pending(t.s, h));
    ck_assert_uint_eq(sched_pending(t.s), 3);
    sched_run(t.s);
    int want[] = {1, 2, 0};
    ck_assert_int_eq(t.n, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(t.order[i], want[i]);
    /* run: a stale id is neither ahead nor armed */
    ck_assert(!sched_held_ahead(t.s, h));
    ck_assert(!sched_arm_held(t.s, h));
    /* a place that has gone by is not armed; sched_move makes a new event */
    t.n = 0;
    sched_id_t g = sched_hold(t.s, record, &m[3]);
    sched_at(t.s, 20, record, &m[4]);
    sched_run_until(t.s, 20);
    ck_assert(!sched_held_ahead(t.s, g));
    ck_assert(!sched_arm_held(t.s, g));
    ck_assert_int_eq(t.n, 1);
    ck_assert(sched_move(t.s, g, 20));
    ck_assert(sched_is_pending(t.s, g));
    sched_run(t.s);
    ck_assert_int_eq(t.n, 2);
    ck_assert_int_eq(t.order[1], 3);
    /* a disarmed (not held) event is not armed in its old place */
    sched_id_t d = sched_at(t.s, 25, record, &m[0]);
    sched_disarm(t.s, d);
    ck_assert(!sched_held_ahead(t.s, d));
    ck_assert(!sched_arm_held(t.s, d));
    sched_cancel(t.s, d);
    /* held again: a place gone by is renewed at now, one ahead is kept */
    t.n = 0;
    sched_id_t r = sched_hold(t.s, record, &m[2]);
    sched_run_until(t.s, 40);
    ck_assert(!sched_held_ahead(t.s, r));
    ck_assert(sched_hold_again(t.s, r));
    ck_assert(sched_held_ahead(t.s, r));
    sched_at(t.s, 40, record, &m[4]);
    ck_assert(sched_hold_again(t.s, r)); /* still ahead: kept before the event at 40 */
    ck_assert(sched_arm_held(t.s, r));
    sched_run(t.s);
    ck_assert_int_eq(t.n, 2);
    ck_assert_int_eq(t.order[0], 2);
    ck_assert_int_eq(t.order[1], 4);
    ck_assert(!sched_hold_again(t.s, r)); /* run */
    /* cancelled while held: gone */
    sched_id_t c = sched_hold(t.s, record, &m[0]);
    sched_cancel(t.s, c);
    ck_assert(!sched_held_ahead(t.s, c));
    ck_assert(!sched_arm_held(t.s, c));
    ck_assert(!sched_move(t.s, c, 30));
    ck_assert(!sched_step(t.s));
    sched_free(t.s);
}
END_TEST

START_TEST(test_disarm)
{
    trail_t t = {.s = sched_new()};
    mark_t m[4] = {{&t, 0}, {&t, 1}, {&t, 2}, {&t, 3}};
    sched_id_t a = sched_at(t.s, 10, record, &m[0]);
    sched_disarm(t.s, a);
    /* disarmed: not pending, not next, not run */
    ck_assert(!sched_is_pending(t.s, a));
    ck_assert_uint_eq(sched_pending(t.s), 0);
    ck_assert_int_eq(sched_next_time(t.s), SIM_TIME_NEVER);
    sched_disarm(t.s, a); /* twice is harmless */
    sched_at(t.s, 30, record, &m[1]);
    /* armed again later than its old time: after what was there first */
    ck_assert(sched_move(t.s, a, 30));
    sched_at(t.s, 30, record, &m[2]);
    ck_assert_uint_eq(sched_pending(t.s), 3);
    ck_assert_int_eq(sched_next_time(t.s), 30);
    /* pushed back while pending: as a cancel and a new event would be */
    sched_id_t d = sched_at(t.s, 20, record, &m[3]);
    ck_assert(sched_move(t.s, d, 30));
    ck_assert_int_eq(sched_run(t.s), 4);
    int want[] = {1, 0, 2, 3};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(t.order[i], want[i]);
        ck_assert_int_eq(t.when[i], 30);
    }
    /* a run event is neither disarmed nor moved */
    sched_disarm(t.s, a);
    ck_assert(!sched_move(t.s, a, 40));
    /* a disarmed event whose old time passed is armed afresh */
    sched_id_t e = sched_at(t.s, 35, record, &m[0]);
    sched_disarm(t.s, e);
    sched_run_until(t.s, 50);
    ck_assert(sched_move(t.s, e, 10)); /* the past: now */
    ck_assert_int_eq(sched_next_time(t.s), 50);
    /* cancelled while disarmed: gone */
    sched_disarm(t.s, e);
    sched_cancel(t.s, e);
    ck_assert(!sched_move(t.s, e, 60));
    ck_assert_uint_eq(sched_pending(t.s), 0);
    ck_assert(!sched_step(t.s));
    sched_free(t.s);
}
END_TEST

/* Warming: which events a warm sees, how far ahead, and that it changes
 * nothing. */
typedef struct warm_log {
    sched_t *s;
    int label[64];
    unsigned ahead[64];
    uint64_t ran[64]; /* events run when the warm was called */
    int n;
} warm_log_t;

static warm_log_t *the_warm_log;

static void log_warm(const void *arg, unsigned ahead)
{
    const mark_t *m = arg;
    warm_log_t *w = the_warm_log;
    w->label[w->n] = m->label;
    w->ahead[w->n] = ahead;
    w->ran[w->n++] = sched_events_run(w->s);
}

static void other(void *arg)
{
    record(arg);
}

static void third(void *arg)
{
    record(arg);
}

static void fourth(void *arg)
{
    record(arg);
}

static void fifth(void *arg)
{
    record(arg);
}

START_TEST(test_warm)
{
    trail_t t = {.s = sched_new()};
    warm_log_t w = {.s = t.s};
    the_warm_log = &w;
    ck_assert(sched_set_warm(t.s, record, log_warm));
    mark_t m[6];
    for (int i = 0; i < 6; i++) {
        m[i] = (mark_t){&t, i};
        /* event 3 has another callback, which has no warm */
        sched_at(t.s, 100, i == 3 ? other : record, &m[i]);
    }
    ck_assert_uint_eq(sched_run(t.s), 6);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(t.order[i], i);
    /* When event p is taken (p events have run), each of the next
     * SCHED_WARM_AHEAD events with a warm gets a call, the next with ahead
     * 1, the one after with 2, and so on: so event i is warmed with ahead
     * d when i - d events have run, for every d up to SCHED_WARM_AHEAD and
     * i. Event 0 is never warmed, event 3 (no warm) not at all. */
    int n = 0;
    for (int p = 0; p < 6; p++) {
        for (int d = 1; d <= SCHED_WARM_AHEAD && p + d < 6; d++) {
            if (p + d == 3)
                continue;
            ck_assert_int_lt(n, w.n);
            ck_assert_int_eq(w.label[n], p + d);
            ck_assert_uint_eq(w.ahead[n], (unsigned)d);
            ck_assert_uint_eq(w.ran[n], (uint64_t)p);
            n++;
        }
    }
    ck_assert_int_eq(w.n, n);
    /* the first three calls, whatever the depth: event 1 then 2 at event
     * 0's turn, event 2 again at event 1's */
    ck_assert_int_eq(w.label[0], 1);
    ck_assert_int_eq(w.label[1], 2);
    ck_assert_uint_eq(w.ahead[1], 2);
    /* Events at other times are not warmed across the gap. */
    w.n = 0;
    t.n = 0;
    sched_at(t.s, 200, record, &m[0]);
    sched_at(t.s, 300, record, &m[1]);
    ck_assert_uint_eq(sched_run(t.s), 2);
    ck_assert_int_eq(w.n, 0);
    sched_free(t.s);
}
END_TEST

/* Timers that come due together are taken from the heap's front, in order:
 * they are warmed the same way, except one disarmed or moved later, whose
 * stale key is still among them but whose event will not run there. */
START_TEST(test_warm_heap)
{
    trail_t t = {.s = sched_new()};
    warm_log_t w = {.s = t.s};
    the_warm_log = &w;
    ck_assert(sched_set_warm(t.s, record, log_warm));
    const sim_time_t due = 5 * SIM_SEC; /* far beyond the ring */
    mark_t m[8];
    sched_id_t id[8];
    for (int i = 0; i < 8; i++) {
        m[i] = (mark_t){&t, i};
        id[i] = sched_at(t.s, due, record, &m[i]);
    }
    sched_disarm(t.s, id[2]);
    ck_assert(sched_move(t.s, id[5], due + 10));
    ck_assert_uint_eq(sched_run_until(t.s, due), 6);
    const int ran[6] = {0, 1, 3, 4, 6, 7}; /* in order, at due */
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(t.order[i], ran[i]);
    /* When the p-th key of the eight comes off the front, each of the next
     * SCHED_WARM_AHEAD keys' events gets a call (ahead 1, 2, ...), but for
     * 2 and 5. */
    int n = 0;
    for (int p = 0; p < 8; p++) {
        if (p == 2 || p == 5)
            continue; /* their stale keys are dropped, not taken */
        for (int d = 1; d <= SCHED_WARM_AHEAD && p + d < 8; d++) {
            if (p + d == 2 || p + d == 5)
                continue;
            ck_assert_int_lt(n, w.n);
            ck_assert_int_eq(w.label[n], p + d);
            ck_assert_uint_eq(w.ahead[n], (unsigned)d);
            n++;
        }
    }
    ck_assert_int_eq(w.n, n);
    /* The one moved later runs there, alone: nothing left to warm. */
    w.n = 0;
    ck_assert_uint_eq(sched_run(t.s), 1);
    ck_assert_int_eq(t.order[6], 5);
    ck_assert_int_eq(w.n, 0);
    sched_free(t.s);
}
END_TEST

/* Four events at when: event i calls fns[i] with &m[i]. */
static void sched_four(sched_t *s, sim_time_t when, const sched_fn fns[4], mark_t m[4])
{
    for (int i = 0; i < 4; i++)
        sched_at(s, when, fns[i], &m[i]);
}

START_TEST(test_warm_table)
{
    sched_t *s = sched_new();
    sched_fn fns[] = {record, other, third, fourth, fifth};
    for (int i = 0; i < SCHED_WARM_MAX; i++)
        ck_assert(sched_set_warm(s, fns[i], log_warm));
    ck_assert(!sched_set_warm(s, fns[SCHED_WARM_MAX], log_warm));
    ck_assert(!sched_set_warm(s, NULL, log_warm));
    /* setting one again replaces it; removing makes room */
    ck_assert(sched_set_warm(s, fns[0], log_warm));
    ck_assert(sched_set_warm(s, fns[1], NULL));
    ck_assert(sched_set_warm(s, fns[SCHED_WARM_MAX], log_warm));
    ck_assert(sched_set_warm(s, fns[1], NULL)); /* not there: nothing to do */
    /* the removed one is warmed no more; the others still are */
    trail_t t = {.s = s};
    warm_log_t w = {.s = s};
    the_warm_log = &w;
    mark_t m[4] = {{&t, 0}, {&t, 1}, {&t, 2}, {&t, 3}};
    sched_four(s, 10, (const sched_fn[4]){record, other, other, record}, m);
    ck_assert_uint_eq(sched_run(s), 4);
    /* event 3 is warmed from three turns ahead (or fewer, if the depth is
     * less), and the others never */
    int want = SCHED_WARM_AHEAD < 3 ? SCHED_WARM_AHEAD : 3;
    ck_assert_int_eq(w.n, want);
    for (int i = 0; i < w.n; i++) {
        ck_assert_int_eq(w.label[i], 3);
        ck_assert_uint_eq(w.ahead[i], (unsigned)(want - i));
    }
    sched_prefetch(s, 0);           /* harmless for no event */
    sched_prefetch(s, UINT64_MAX); /* and for a slot that never was */
    sched_free(s);
}
END_TEST

/* An event's warm is the one its callback has when it is warmed, not when
 * it was scheduled: pending events follow the map as it is set, replaced
 * and emptied (a removal moves another pair to the freed place). */
START_TEST(test_warm_set_while_pending)
{
    sched_t *s = sched_new();
    trail_t t = {.s = s};
    warm_log_t w = {.s = s};
    the_warm_log = &w;
    mark_t m[4] = {{&t, 0}, {&t, 1}, {&t, 2}, {&t, 3}};
    /* scheduled before any warm is set; then record's and other's are */
    sched_four(s, 10, (const sched_fn[4]){third, record, other, third}, m);
    ck_assert(sched_set_warm(s, record, log_warm));
    ck_assert(sched_set_warm(s, other, log_warm));
    ck_assert_uint_eq(sched_run(s), 4);
    /* events 1 and 2 only: 1 at ahead 1, 2 at ahead 2 then 1 */
    ck_assert_int_eq(w.n, 3);
    ck_assert_int_eq(w.label[0], 1);
    ck_assert_int_eq(w.label[1], 2);
    ck_assert_int_eq(w.label[2], 2);
    /* record's pair removed: other's moves to its place, and third's is
     * added after; pending events of all three follow */
    w.n = 0;
    sched_four(s, 20, (const sched_fn[4]){record, record, other, third}, m);
    ck_assert(sched_set_warm(s, record, NULL));
    ck_assert(sched_set_warm(s, third, log_warm));
    ck_assert_uint_eq(sched_run(s), 4);
    /* event 1 (record) never; 2 (other) at ahead 2, 1; 3 (third) at 3, 2, 1 */
    ck_assert_int_eq(w.n, 5);
    for (int i = 0; i < w.n; i++)
        ck_assert_int_ge(w.label[i], 2);
    ck_assert_uint_eq(sched_warm_calls(s), 8);
    sched_free(s);
}
END_TEST

Suite *core_sched_suite(void)
{
    Suite *s = suite_create("core_sched");
    TCase *tc = tcase_create("sched");
    tcase_add_test(tc, test_order_by_time);
    tcase_add_test(tc, test_ties_run_in_scheduling_order);
    tcase_add_test(tc, test_long_streams_keep_ties_in_order);
    tcase_add_test(tc, test_cancel_is_lazy_and_safe);
    tcase_add_test(tc, test_run_until);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_stop);
    tcase_add_test(tc, test_rng_known_values);
    tcase_add_test(tc, test_move);
    tcase_add_test(tc, test_disarm);
    tcase_add_test(tc, test_hold);
    tcase_add_test(tc, test_matches_reference_model);
    tcase_add_test(tc, test_matches_reference_model_more);
    tcase_add_test(tc, test_sequence_wrap_keeps_order);
    tcase_add_test(tc, test_matches_reference_model_streams);
    tcase_add_test(tc, test_warm);
    tcase_add_test(tc, test_warm_heap);
    tcase_add_test(tc, test_warm_table);
    tcase_add_test(tc, test_warm_set_while_pending);
    suite_add_tcase(s, tc);
    return s;
}
