/*
 * model: the world of a scenario and how it is run for the TUI. The trace
 * subscribers are attached in the headless runner's order: this model's
 * listener first, then the narrator, so the log shows the event that
 * reached a step before the step itself.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "model_private.h"
#include "scenario/build.h"

/* A step never runs more silent events than this looking for a visible one. */
#define STEP_SILENT_MAX 1000000u

static bool model_attach(tui_model_t *m, char *err, size_t errlen)
{
    m->w = scenario_build(m->sc, m->sc->seed, model_notice, m, err, errlen);
    if (!m->w)
        return false;
    trace_subscribe(&world_sim(m->w)->trace, model_trace_hear, m);
    if (m->sc->nnarration > 0)
        m->narrator = narrator_new(m->sc, world_sim(m->w), m->lang);
    m->timeline = timeline_new(m->sc, m->w, model_notice, m);
    return true;
}

static void model_detach(tui_model_t *m)
{
    if (!m->w)
        return;
    if (m->live) {
        trace_unsubscribe(&world_sim(m->w)->trace, model_trace_hear, m);
        m->w = NULL;
        return;
    }
    timeline_free(m->timeline);
    narrator_free(m->narrator);
    trace_unsubscribe(&world_sim(m->w)->trace, model_trace_hear, m);
    world_free(m->w);
    m->timeline = NULL;
    m->narrator = NULL;
    m->w = NULL;
}

tui_model_t *tui_model_new(const scenario_t *sc, const char *lang, char *err, size_t errlen)
{
    tui_model_t *m = xcalloc(1, sizeof *m);
    m->sc = sc;
    tui_model_set_lang(m, lang);
    m->end = sc->until;
    m->filter.text = xstrdup("");
    if (!model_attach(m, err, errlen)) {
        tui_model_free(m);
        return NULL;
    }
    return m;
}

/* The world's timeline and narrator are its driver's: only the bus is heard. */
tui_model_t *tui_model_watch(const scenario_t *sc, world_t *w, const char *lang)
{
    tui_model_t *m = xcalloc(1, sizeof *m);
    m->sc = sc;
    m->live = true;
    tui_model_set_lang(m, lang);
    m->end = SIM_TIME_NEVER;
    m->filter.text = xstrdup("");
    m->w = w;
    m->view_time = world_now(w);
    trace_subscribe(&world_sim(w)->trace, model_trace_hear, m);
    return m;
}

bool tui_model_live(const tui_model_t *m)
{
    return m->live;
}

void tui_model_live_update(tui_model_t *m, sim_time_t now, bool ended)
{
    if (!m->live)
        return;
    if (now > m->view_time)
        m->view_time = now;
    m->live_ended = ended;
}

void tui_model_add_notice(tui_model_t *m, const char *line)
{
    model_notice(m, line);
}

void tui_model_free(tui_model_t *m)
{
    if (!m)
        return;
    model_detach(m);
    model_trace_clear(m);
    for (size_t i = 0; i < m->nnotices; i++)
        free(m->notices[i]);
    free(m->notices);
    free(m->marks);
    free(m->steps_seen);
    free(m->sessions);
    free(m->removed);
    free(m->log);
    free(m->shown);
    model_filter_free(&m->filter);
    free(m);
}

const scenario_t *tui_model_scenario(const tui_model_t *m)
{
    return m->sc;
}

world_t *tui_model_world(const tui_model_t *m)
{
    return m->w;
}

const char *tui_model_lang(const tui_model_t *m)
{
    return m->lang;
}

void tui_model_set_lang(tui_model_t *m, const char *lang)
{
    str_copy(m->lang, sizeof m->lang, lang && strcmp(lang, "el") == 0 ? "el" : "en");
    /* Word filters match summaries, which a step's narration is part of. */
    if (m->filter.nwords)
        model_log_refilter(m);
}

sim_time_t tui_model_now(const tui_model_t *m)
{
    sim_time_t now = world_now(m->w);
    return m->view_time > now ? m->view_time : now;
}

uint64_t tui_model_events(const tui_model_t *m)
{
    return m->events;
}

bool tui_model_finished(const tui_model_t *m)
{
    if (m->live)
        return m->live_ended;
    sim_time_t next = sched_next_time(world_sim(m->w)->sched);
    return next == SIM_TIME_NEVER || next > m->end;
}

static void mark_push(tui_model_t *m)
{
    if (m->nmarks == m->capmarks) {
        m->capmarks = m->capmarks ? m->capmarks * 2 : 256;
        m->marks = xrealloc(m->marks, m->capmarks * sizeof *m->marks);
    }
    m->marks[m->nmarks++] = m->events;
}

/* Runs one scheduler event; true when it emitted a trace event. */
static bool run_one(tui_model_t *m)
{
    sim_t *sim = world_sim(m->w);
    uint64_t before = sim->trace.emitted;
    if (!sched_step(sim->sched))
        return false;
    m->events++;
    if (sim_now(sim) > m->view_time)
        m->view_time = sim_now(sim);
    if (sim->trace.emitted == before)
        return false;
    mark_push(m);
    return true;
}

bool tui_model_step(tui_model_t *m)
{
    if (m->live)
        return false;
    for (size_t n = 0; n < STEP_SILENT_MAX; n++) {
        if (tui_model_finished(m))
            return false;
        if (run_one(m))
            return true;
    }
    return true;
}

tui_run_result_t tui_model_run_until(tui_model_t *m, sim_time_t t, uint64_t budget)
{
    if (m->live)
        return TUI_RUN_FINISHED;
    sched_t *s = world_sim(m->w)->sched;
    for (uint64_t n = 0; n < budget; n++) {
        if (tui_model_finished(m))
            return TUI_RUN_FINISHED;
        if (sched_next_time(s) > t)
            break;
        run_one(m);
    }
    if (!tui_model_finished(m) && sched_next_time(s) <= t)
        return TUI_RUN_BUDGET;
    if (tui_model_finished(m))
        return TUI_RUN_FINISHED;
    if (t > m->view_time)
        m->view_time = t < m->end ? t : m->end;
    return TUI_RUN_DONE;
}

tui_run_result_t tui_model_run_to_next_step(tui_model_t *m, uint64_t budget)
{
    if (m->live)
        return TUI_RUN_FINISHED;
    size_t reached = m->nsteps_seen;
    for (uint64_t n = 0; n < budget; n++) {
        if (tui_model_finished(m))
            return TUI_RUN_FINISHED;
        run_one(m);
        if (m->nsteps_seen > reached)
            return TUI_RUN_DONE;
    }
    return TUI_RUN_BUDGET;
}

tui_run_result_t tui_model_run_to_events(tui_model_t *m, uint64_t target, uint64_t budget)
{
    if (m->live)
        return TUI_RUN_FINISHED;
    for (uint64_t n = 0; n < budget; n++) {
        if (m->events >= target)
            return TUI_RUN_DONE;
        if (tui_model_finished(m))
            return TUI_RUN_FINISHED;
        run_one(m);
    }
    return m->events >= target ? TUI_RUN_DONE : TUI_RUN_BUDGET;
}

uint64_t tui_model_back_target(const tui_model_t *m)
{
    for (size_t i = m->nmarks; i-- > 0;)
        if (m->marks[i] < m->events)
            return m->marks[i];
    return 0;
}

void tui_model_rewind(tui_model_t *m)
{
    char err[512];
    if (m->live)
        return; /* a real client's bytes cannot be replayed */
    model_detach(m);
    model_trace_clear(m);
    m->nmarks = 0;
    m->nsteps_seen = 0;
    m->step_current = 0;
    m->events = 0;
    m->view_time = 0;
    m->latest_session = 0;
    for (size_t i = 0; i < m->nnotices; i++)
        free(m->notices[i]);
    m->nnotices = 0;
    /* The same scenario built the world before: failing now is a bug. */
    if (!model_attach(m, err, sizeof err))
        panic("tui: the world could not be rebuilt: %s", err);
}

void tui_model_back(tui_model_t *m)
{
    if (m->live)
        return;
    uint64_t target = tui_model_back_target(m);
    tui_model_rewind(m);
    tui_model_run_to_events(m, target, UINT64_MAX);
}

int64_t tui_model_step_last(const tui_model_t *m)
{
    int64_t last = 0;
    for (size_t i = 0; i < m->sc->nnarration; i++)
        if (m->sc->narration[i].step > last)
            last = m->sc->narration[i].step;
    return last;
}

int64_t tui_model_step_current(const tui_model_t *m)
{
    return m->step_current;
}

size_t tui_model_steps_reached(const tui_model_t *m)
{
    return m->nsteps_seen;
}

const char *tui_model_step_text(const tui_model_t *m, int64_t step)
{
    for (size_t i = 0; i < m->sc->nnarration; i++)
        if (m->sc->narration[i].step == step)
            return scenario_text_get(&m->sc->narration[i].say, m->lang);
    return NULL;
}

size_t tui_model_notice_count(const tui_model_t *m)
{
    return m->nnotices;
}

const char *tui_model_notice_at(const tui_model_t *m, size_t i)
{
    return i < m->nnotices ? m->notices[i] : NULL;
}
