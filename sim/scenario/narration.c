/*
 * narration: the narrator hears every trace event and, on the first one that
 * matches a step's `on`, emits that step's walkthrough.step event. It keeps
 * one flag per step and nothing else. Steps may be reached in any order, each
 * once; one event may reach several steps (in file order).
 *
 * The walkthrough.step event is emitted from inside the trace callback.
 * trace_emit walks its subscriber array by index and nobody subscribes or
 * unsubscribes meanwhile, so this is safe: every subscriber hears the step,
 * and the narrator hears it too (a step may be reached on another step).
 * Subscribers after the narrator hear the step before the event that reached
 * it, so a front end subscribes its logs first.
 */
#include "scenario/narration.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "scenario/expect.h"

struct narrator {
    const scenario_t *sc;
    sim_t *sim;
    char *lang;
    bool *reached;
    size_t nreached;
    bool kinds[TRACE_KIND_COUNT]; /* kinds some step's `on` names */
    bool any_kind;                /* a step's `on` names no kind */
};

static void step_emit(narrator_t *n, const scenario_narration_t *step, const trace_event_t *on)
{
    trace_event_t ev;
    trace_event_init(&ev, sim_now(n->sim), TRACE_WALKTHROUGH_STEP, on->host);
    ev.step = step->step;
    ev.text = scenario_text_get(&step->say, n->lang);
    trace_emit(&n->sim->trace, &ev);
}

static void narrator_hear(void *ctx, const trace_event_t *ev)
{
    narrator_t *n = ctx;
    if (n->nreached == n->sc->nnarration)
        return;
    if (!n->any_kind && ((unsigned)ev->kind >= TRACE_KIND_COUNT || !n->kinds[ev->kind]))
        return;
    for (size_t i = 0; i < n->sc->nnarration; i++) {
        const scenario_narration_t *step = &n->sc->narration[i];
        if (n->reached[i] || !scenario_match_event(&step->on, ev))
            continue;
        /* Marked before emitting: the step event comes back to this callback. */
        n->reached[i] = true;
        n->nreached++;
        step_emit(n, step, ev);
    }
}

narrator_t *narrator_new(const scenario_t *sc, sim_t *sim, const char *lang)
{
    narrator_t *n = xcalloc(1, sizeof *n);
    n->sc = sc;
    n->sim = sim;
    n->lang = xstrdup(lang ? lang : "en");
    n->reached = xcalloc(sc->nnarration ? sc->nnarration : 1, sizeof *n->reached);
    for (size_t i = 0; i < sc->nnarration; i++) {
        int kind = sc->narration[i].on.kind;
        if (kind >= 0 && kind < TRACE_KIND_COUNT)
            n->kinds[kind] = true;
        else
            n->any_kind = true;
    }
    trace_subscribe(&sim->trace, narrator_hear, n);
    return n;
}

size_t narrator_reached(const narrator_t *n)
{
    return n->nreached;
}

bool narrator_step_reached(const narrator_t *n, int64_t step)
{
    for (size_t i = 0; i < n->sc->nnarration; i++)
        if (n->sc->narration[i].step == step)
            return n->reached[i];
    return false;
}

void narrator_free(narrator_t *n)
{
    if (!n)
        return;
    trace_unsubscribe(&n->sim->trace, narrator_hear, n);
    free(n->reached);
    free(n->lang);
    free(n);
}
