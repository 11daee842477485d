/*
 * expect: the expectation engine. It hears every trace event and updates the
 * tallies of the checks that could match it, found through the event's
 * kind, so an event that no check names costs one array lookup. A check with
 * `at` is judged when its scheduler event fires; the rest at
 * expect_engine_finish. A judged check hears nothing more: it counts only the
 * events up to its judgment.
 */
#include "scenario/expect.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "scenario/expect_private.h"

/* ---- matching ----------------------------------------------------------- */

static bool field_matches(const scenario_field_match_t *f, const trace_event_t *ev)
{
    trace_value_t v;
    if (!trace_event_field(ev, f->name, &v))
        return false;
    if (f->is_number)
        return v.type == TRACE_FIELD_INT && v.i == f->number;
    return v.type == TRACE_FIELD_STRING && f->string && strcmp(v.s, f->string) == 0;
}

bool scenario_match_event(const scenario_match_t *m, const trace_event_t *ev)
{
    if (m->kind >= 0 && (int)ev->kind != m->kind)
        return false;
    for (size_t i = 0; i < m->nfields; i++) {
        /* The loader sets kind beside the "kind" field: already compared. */
        if (m->kind >= 0 && strcmp(m->fields[i].name, "kind") == 0)
            continue;
        if (!field_matches(&m->fields[i], ev))
            return false;
    }
    if (m->contains && (!ev->line || !strstr(ev->line, m->contains)))
        return false;
    return true;
}

bool expect_count_holds(const scenario_count_t *c, uint64_t found)
{
    if (c->min > 0 && found < (uint64_t)c->min)
        return false;
    return c->max < 0 || found <= (uint64_t)c->max;
}

/* ---- hearing events ----------------------------------------------------- */

static void watch_add(expect_watch_list_t *l, expect_item_t *it, size_t step)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (expect_watch_t){it, step};
}

static void watch_matcher(expect_engine_t *e, const scenario_match_t *m, expect_item_t *it,
                          size_t step)
{
    if (m->kind >= 0 && m->kind < TRACE_KIND_COUNT)
        watch_add(&e->by_kind[m->kind], it, step);
    else
        watch_add(&e->any_kind, it, step);
}

static void tally_add(expect_tally_t *t, const scenario_count_t *c, sim_time_t when)
{
    if (t->count < EXPECT_TIMES_SHOWN)
        t->times[t->count] = when;
    t->count++;
    if (c->kind == SCENARIO_COUNT_NTH && t->count == (uint64_t)c->nth)
        t->nth_time = when;
}

/*
 * Greedy first fit: the step waited for is taken by its first match; one
 * event advances an order by one step at most, so a match of step k+1 must
 * be a later event than step k's.
 */
static void order_hear(expect_item_t *it, size_t step, const trace_event_t *ev, uint64_t serial)
{
    expect_order_t *o = &it->order;
    if (o->first_seen[step] < 0) {
        o->first_seen[step] = ev->t;
        o->first_serial[step] = serial;
    }
    if (step != o->next || (step > 0 && o->step_serial[step - 1] == serial))
        return;
    o->step_time[step] = ev->t;
    o->step_serial[step] = serial;
    o->next++;
}

static void note_hear(expect_engine_t *e, expect_item_t *it, const trace_event_t *ev)
{
    expect_mailnote_t *note = &it->note;
    if (ev->kind == TRACE_QUEUE_BOUNCE) {
        if (!note->bounce) {
            note->bounce = trace_event_copy(ev);
            e->kept++;
        }
        return;
    }
    if (note->removed++ == 0)
        note->first_removed = ev->t;
}

static void watch_hear(expect_engine_t *e, const expect_watch_t *w, const trace_event_t *ev)
{
    expect_item_t *it = w->item;
    const scenario_expect_t *x = it->spec;
    if (it->judged)
        return;
    switch (x->kind) {
    case SCENARIO_CHECK_MAILBOX:
        if (expect_mail_concerns(it, ev))
            note_hear(e, it, ev);
        break;
    case SCENARIO_CHECK_QUEUE:
        break;
    case SCENARIO_CHECK_EVENT:
        if (scenario_match_event(&x->u.event, ev))
            tally_add(&it->tally, &x->count, ev->t);
        break;
    case SCENARIO_CHECK_ORDER:
        if (scenario_match_event(&x->u.order.steps[w->step], ev))
            order_hear(it, w->step, ev, e->serial);
        break;
    }
}

static void engine_hear(void *ctx, const trace_event_t *ev)
{
    expect_engine_t *e = ctx;
    e->serial++;
    const expect_watch_list_t *kind =
        (unsigned)ev->kind < TRACE_KIND_COUNT ? &e->by_kind[ev->kind] : NULL;
    size_t nkind = kind ? kind->n : 0;
    if (nkind == 0 && e->any_kind.n == 0)
        return;
    e->examined++;
    for (size_t i = 0; i < nkind; i++)
        watch_hear(e, &kind->v[i], ev);
    for (size_t i = 0; i < e->any_kind.n; i++)
        watch_hear(e, &e->any_kind.v[i], ev);
}

/* ---- judging ------------------------------------------------------------ */

static void item_judge(expect_item_t *it)
{
    if (it->judged)
        return;
    const scenario_expect_t *x = it->spec;
    buf_t out = BUF_INIT;
    switch (x->kind) {
    case SCENARIO_CHECK_MAILBOX:
        it->passed = expect_judge_mailbox(it, &out);
        break;
    case SCENARIO_CHECK_QUEUE:
        it->passed = expect_judge_queue(it, &out);
        break;
    case SCENARIO_CHECK_EVENT:
        it->passed = expect_judge_event(it, &out);
        break;
    case SCENARIO_CHECK_ORDER:
        it->passed = expect_judge_order(it, &out);
        break;
    }
    sim_time_t now = sim_now(it->engine->sim);
    if (x->has_at && now < x->at) {
        buf_puts(&out, "; the run ended at ");
        expect_put_time(now, &out);
        buf_puts(&out, ", before ");
        expect_put_time(x->at, &out);
        buf_puts(&out, " when this was to be judged");
    }
    it->detail = xstrdup(buf_cstr(&out));
    buf_free(&out);
    it->judged = true;
    if (it->timer) {
        sched_cancel(it->engine->sim->sched, it->timer);
        it->timer = 0;
    }
}

static void judge_at(void *arg)
{
    expect_item_t *it = arg;
    it->timer = 0;
    item_judge(it);
}

/* ---- the engine --------------------------------------------------------- */

static void item_init(expect_engine_t *e, expect_item_t *it, const scenario_expect_t *x)
{
    it->engine = e;
    it->spec = x;
    it->tally.nth_time = -1;
    it->note.first_removed = -1;
    switch (x->kind) {
    case SCENARIO_CHECK_MAILBOX:
        watch_add(&e->by_kind[TRACE_QUEUE_BOUNCE], it, 0);
        watch_add(&e->by_kind[TRACE_MAILBOX_DELETE], it, 0);
        watch_add(&e->by_kind[TRACE_MAILBOX_EXPUNGE], it, 0);
        break;
    case SCENARIO_CHECK_QUEUE:
        break;
    case SCENARIO_CHECK_EVENT:
        watch_matcher(e, &x->u.event, it, 0);
        break;
    case SCENARIO_CHECK_ORDER: {
        size_t n = x->u.order.nsteps;
        it->order.step_time = xcalloc(n ? n : 1, sizeof *it->order.step_time);
        it->order.first_seen = xcalloc(n ? n : 1, sizeof *it->order.first_seen);
        it->order.first_serial = xcalloc(n ? n : 1, sizeof *it->order.first_serial);
        it->order.step_serial = xcalloc(n ? n : 1, sizeof *it->order.step_serial);
        for (size_t s = 0; s < n; s++) {
            it->order.first_seen[s] = -1;
            watch_matcher(e, &x->u.order.steps[s], it, s);
        }
        break;
    }
    }
    if (x->has_at)
        it->timer = sched_at(e->sim->sched, x->at, judge_at, it);
}

expect_engine_t *expect_engine_new(const scenario_t *sc, world_t *w)
{
    expect_engine_t *e = xcalloc(1, sizeof *e);
    e->sc = sc;
    e->w = w;
    e->sim = world_sim(w);
    e->nitems = sc->nexpect;
    e->items = xcalloc(e->nitems ? e->nitems : 1, sizeof *e->items);
    for (size_t i = 0; i < e->nitems; i++)
        item_init(e, &e->items[i], &sc->expect[i]);
    trace_subscribe(&e->sim->trace, engine_hear, e);
    return e;
}

void expect_engine_finish(expect_engine_t *e)
{
    for (size_t i = 0; i < e->nitems; i++)
        item_judge(&e->items[i]);
    e->finished = true;
}

void expect_engine_results(expect_engine_t *e, run_result_t *r)
{
    if (!e->finished)
        expect_engine_finish(e);
    r->nexpectations = e->nitems;
    r->expectations = e->nitems ? xcalloc(e->nitems, sizeof *r->expectations) : NULL;
    r->score = r->max_score = 0;
    for (size_t i = 0; i < e->nitems; i++) {
        const expect_item_t *it = &e->items[i];
        expect_result_t *res = &r->expectations[i];
        res->name = xstrdup(it->spec->name ? it->spec->name : "");
        res->passed = it->passed;
        res->max_points = (int)it->spec->points;
        res->points = it->passed ? res->max_points : 0;
        res->detail = xstrdup(it->detail ? it->detail : "");
        r->score += res->points;
        r->max_score += res->max_points;
    }
}

void expect_engine_free(expect_engine_t *e)
{
    if (!e)
        return;
    trace_unsubscribe(&e->sim->trace, engine_hear, e);
    for (size_t i = 0; i < e->nitems; i++) {
        expect_item_t *it = &e->items[i];
        if (it->timer)
            sched_cancel(e->sim->sched, it->timer);
        free(it->detail);
        free(it->order.step_time);
        free(it->order.first_seen);
        free(it->order.first_serial);
        free(it->order.step_serial);
        trace_event_free_copy(it->note.bounce);
    }
    free(e->items);
    for (size_t k = 0; k < TRACE_KIND_COUNT; k++)
        free(e->by_kind[k].v);
    free(e->any_kind.v);
    free(e);
}

size_t expect_engine_kept(const expect_engine_t *e)
{
    return e->kept;
}

uint64_t expect_engine_examined(const expect_engine_t *e)
{
    return e->examined;
}

bool expect_engine_judged(const expect_engine_t *e, size_t i, bool *passed, const char **detail)
{
    if (i >= e->nitems || !e->items[i].judged)
        return false;
    if (passed)
        *passed = e->items[i].passed;
    if (detail)
        *detail = e->items[i].detail;
    return true;
}
