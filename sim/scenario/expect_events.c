/*
 * expect_events: judging the checks that count events, from the tallies the
 * engine kept while the run went on. An event check counts its matches
 * against a range, or looks at when its nth match happened; an order check
 * asks whether its steps happened one after another.
 */
#include <inttypes.h>

#include "scenario/expect_private.h"

static void put_window(const scenario_count_t *c, buf_t *out)
{
    expect_put_time(c->from, out);
    buf_puts(out, "..");
    expect_put_time(c->until, out);
}

/*
 * "the 3rd queue.attempt event at mail.alice.example happened at 1h5s,
 * outside 59m..1h1m", or, when there was no 3rd, "expected the 3rd ... within
 * 59m..1h1m, found only 2 (at 0s, 30m)".
 */
static bool judge_nth(expect_item_t *it, buf_t *out)
{
    const scenario_count_t *c = &it->spec->count;
    const expect_tally_t *t = &it->tally;
    if (t->nth_time >= 0) {
        bool within = t->nth_time >= c->from && t->nth_time <= c->until;
        buf_puts(out, "the ");
        expect_put_ordinal(c->nth, out);
        buf_putc(out, ' ');
        expect_put_matcher(&it->spec->u.event, EXPECT_NOUN_ONE, out);
        buf_puts(out, " happened at ");
        expect_put_time(t->nth_time, out);
        buf_puts(out, within ? ", within " : ", outside ");
        put_window(c, out);
        return within;
    }
    buf_puts(out, "expected the ");
    expect_put_ordinal(c->nth, out);
    buf_putc(out, ' ');
    expect_put_matcher(&it->spec->u.event, EXPECT_NOUN_ONE, out);
    buf_puts(out, " within ");
    put_window(c, out);
    expect_put_by(it, out);
    if (t->count == 0) {
        buf_puts(out, ", found none");
        return false;
    }
    buf_printf(out, ", found only %" PRIu64 " ", t->count);
    expect_put_times(t, out);
    return false;
}

bool expect_judge_event(expect_item_t *it, buf_t *out)
{
    const scenario_count_t *c = &it->spec->count;
    const expect_tally_t *t = &it->tally;
    if (c->kind == SCENARIO_COUNT_NTH)
        return judge_nth(it, out);
    bool passed = expect_count_holds(c, t->count);
    if (passed) {
        buf_printf(out, "found %" PRIu64 " ", t->count);
        expect_put_matcher(&it->spec->u.event, t->count == 1 ? EXPECT_NOUN_ONE : EXPECT_NOUN_MANY,
                           out);
        expect_put_by(it, out);
        buf_putc(out, ' ');
        expect_put_want_range(c, out);
        return true;
    }
    buf_puts(out, "expected ");
    bool plural = expect_put_want(c, out);
    buf_putc(out, ' ');
    expect_put_matcher(&it->spec->u.event, plural ? EXPECT_NOUN_MANY : EXPECT_NOUN_ONE, out);
    expect_put_by(it, out);
    buf_printf(out, ", found %" PRIu64, t->count);
    if (t->count) {
        buf_putc(out, ' ');
        expect_put_times(t, out);
    }
    return false;
}

static void put_step(const expect_item_t *it, size_t step, buf_t *out)
{
    buf_printf(out, "step %zu (", step + 1);
    expect_put_matcher(&it->spec->u.order.steps[step], EXPECT_NOUN_BARE, out);
    buf_putc(out, ')');
}

/*
 * Passed: "the 3 steps happened in order (at 1s, 1s2ms, 1s4ms)". Failed: the
 * first step that never came after the one before it, and whether it
 * happened at all: "step 2 (smtp.command with verb=RCPT) never came after
 * step 1 (at 1s); it happened only before that, first at 0s".
 */
bool expect_judge_order(expect_item_t *it, buf_t *out)
{
    const expect_order_t *o = &it->order;
    size_t n = it->spec->u.order.nsteps;
    if (o->next >= n) {
        buf_printf(out, "the %zu steps happened in order", n);
        expect_put_by(it, out);
        buf_puts(out, " (at ");
        for (size_t s = 0; s < n; s++) {
            if (s)
                buf_puts(out, ", ");
            expect_put_time(o->step_time[s], out);
        }
        buf_putc(out, ')');
        return true;
    }
    size_t k = o->next;
    put_step(it, k, out);
    if (k == 0) {
        buf_puts(out, " never happened");
        expect_put_by(it, out);
        return false;
    }
    buf_printf(out, " never came after step %zu (at ", k);
    expect_put_time(o->step_time[k - 1], out);
    buf_putc(out, ')');
    expect_put_by(it, out);
    if (o->first_serial[k] == o->step_serial[k - 1]) {
        /* A later match would have been taken: its only match was step k's own event. */
        buf_printf(out, "; its only match was the event that matched step %zu", k);
    } else if (o->first_seen[k] >= 0) {
        buf_puts(out, "; it happened only before that, first at ");
        expect_put_time(o->first_seen[k], out);
    } else {
        buf_puts(out, "; it never happened at all");
    }
    return false;
}
