/*
 * run: the headless runner. The order of the trace subscribers matters and
 * is fixed: the event counter, the log and the pcap writer, then the
 * expectation engine, then the narrator. The narrator emits its
 * walkthrough.step from inside the event that reached the step, so every
 * subscriber before it sees that event first and the step right after.
 */
#include "scenario/run.h"

#include <stdlib.h>
#include <string.h>

#include "core/hugeheap.h"
#include "core/util.h"
#include "node/accounting.h"
#include "scenario/expect.h"
#include "scenario/load.h"
#include "scenario/narration.h"
#include "scenario/pcap.h"
#include "scenario/timeline.h"

typedef struct runner {
    const scenario_t *sc;
    const run_options_t *opt;
    world_t *w;
    log_writer_t *log;
    pcap_writer_t *pcap;
    expect_engine_t *expect;
    narrator_t *narrator;
    timeline_t *timeline;
    uint64_t events;
} runner_t;

static void count_event(void *ctx, const trace_event_t *ev)
{
    ((runner_t *)ctx)->events++;
}

static void run_notice(const runner_t *rn, const char *line)
{
    scenario_notice_fn fn = rn->opt->notice ? rn->opt->notice : scenario_notice_stderr;
    fn(rn->opt->notice_ctx, line);
}

/* The files come first: one that cannot be created is bad input, and nothing runs. */
static bool open_outputs(runner_t *rn, diag_t *diag)
{
    char err[512];
    if (rn->opt->log_path) {
        rn->log = log_writer_open(rn->opt->log_path, rn->opt->log_format, err, sizeof err);
        if (!rn->log) {
            diag_add(diag, 0, "%s", err);
            return false;
        }
    }
    if (rn->opt->pcap_path) {
        rn->pcap = pcap_writer_open(rn->opt->pcap_path, err, sizeof err);
        if (!rn->pcap) {
            diag_add(diag, 0, "%s", err);
            return false;
        }
    }
    return true;
}

/* Flushes and closes; a write that failed (a full disk) is said, not fatal. */
static void close_outputs(runner_t *rn)
{
    char *line = NULL;
    if (rn->log && log_writer_close(rn->log) != 0)
        line = xasprintf("%s: the event log could not be written completely", rn->opt->log_path);
    if (line) {
        run_notice(rn, line);
        free(line);
        line = NULL;
    }
    if (rn->pcap && pcap_writer_close(rn->pcap) != 0)
        line = xasprintf("%s: the capture could not be written completely", rn->opt->pcap_path);
    if (line) {
        run_notice(rn, line);
        free(line);
    }
    rn->log = NULL;
    rn->pcap = NULL;
}

static void attach(runner_t *rn)
{
    trace_bus_t *bus = &world_sim(rn->w)->trace;
    trace_subscribe(bus, count_event, rn);
    if (rn->log)
        trace_subscribe(bus, log_writer_on_event, rn->log);
    if (rn->pcap)
        trace_subscribe(bus, pcap_writer_on_event, rn->pcap);
    rn->expect = expect_engine_new(rn->sc, rn->w);
    if (rn->sc->nnarration > 0)
        rn->narrator = narrator_new(rn->sc, world_sim(rn->w), rn->opt->lang ? rn->opt->lang : "en");
    rn->timeline = timeline_new(rn->sc, rn->w, rn->opt->notice, rn->opt->notice_ctx);
}

static void detach(runner_t *rn)
{
    trace_bus_t *bus = &world_sim(rn->w)->trace;
    timeline_free(rn->timeline);
    narrator_free(rn->narrator);
    expect_engine_free(rn->expect);
    if (rn->pcap)
        trace_unsubscribe(bus, pcap_writer_on_event, rn->pcap);
    if (rn->log)
        trace_unsubscribe(bus, log_writer_on_event, rn->log);
    trace_unsubscribe(bus, count_event, rn);
}

/*
 * Runs every event due by until. With an `until` the clock then stands at
 * until; without one the run ends when nothing is left to happen, at the
 * last event, unless the cap stopped it with events still to come.
 */
static void run_events(runner_t *rn, sim_time_t until, bool until_given)
{
    sched_t *s = world_sim(rn->w)->sched;
    uint64_t n = 0;
    while (sched_next_time(s) <= until) {
        sched_step(s);
        if (++n % RUN_PROGRESS_EVENTS == 0) {
            hugeheap_follow(); /* the heap grown meanwhile: see core/hugeheap.h */
            if (rn->opt->progress)
                rn->opt->progress(rn->opt->progress_ctx, rn->sc, sched_now(s), until);
        }
    }
    if (until_given || sched_pending(s) > 0)
        sched_run_until(s, until);
}

static bool all_passed(const run_result_t *r)
{
    for (size_t i = 0; i < r->nexpectations; i++)
        if (!r->expectations[i].passed)
            return false;
    return r->accounting_ok && !r->error;
}

static void judge(runner_t *rn, run_result_t *r)
{
    expect_engine_finish(rn->expect);
    expect_engine_results(rn->expect, r);
    buf_t detail = BUF_INIT;
    r->accounting_ok = accounting_check(world_accounting(rn->w), rn->w, &detail);
    if (!r->accounting_ok) {
        while (detail.len &&
               (detail.data[detail.len - 1] == '\n' || detail.data[detail.len - 1] == ' '))
            detail.len--;
        r->accounting_detail = xstrndup(detail.len ? (const char *)detail.data : "", detail.len);
    }
    buf_free(&detail);
    world_stats_t st;
    world_stats(rn->w, &st);
    r->stats.events = rn->events;
    r->stats.accepted = st.accepted;
    r->stats.delivered = st.delivered;
    r->stats.bounced = st.bounced;
    r->stats.queued = st.queued;
    r->stats.virtual_us = world_now(rn->w);
}

static void result_init(const runner_t *rn, uint64_t seed, run_result_t *r)
{
    const scenario_t *sc = rn->sc;
    memset(r, 0, sizeof *r);
    r->scenario = xstrdup(sc->id);
    const char *title = scenario_text_get(&sc->title, rn->opt->lang);
    r->title = title ? xstrdup(title) : NULL;
    r->file = xstrdup(sc->source);
    r->seed = seed;
    r->accounting_ok = true;
}

static int64_t clock_ms(const run_options_t *opt)
{
    return opt->clock ? opt->clock(opt->clock_ctx) : 0;
}

struct run {
    runner_t rn;
    run_result_t *r;
    int64_t started;
};

run_status_t run_begin(const scenario_t *sc, const run_options_t *opt, diag_t *diag,
                       run_result_t *r, run_t **out)
{
    static const run_options_t defaults;
    *out = NULL;
    run_t *run = xcalloc(1, sizeof *run);
    runner_t *rn = &run->rn;
    rn->sc = sc;
    rn->opt = opt ? opt : &defaults;
    opt = rn->opt;
    memset(r, 0, sizeof *r);
    run->started = clock_ms(opt);
    if (!open_outputs(rn, diag)) {
        close_outputs(rn);
        free(run);
        return RUN_BAD_INPUT;
    }
    uint64_t seed = opt->has_seed ? opt->seed : sc->seed;
    result_init(rn, seed, r);
    char err[512];
    rn->w = scenario_build(sc, seed, opt->notice, opt->notice_ctx, err, sizeof err);
    if (!rn->w) {
        r->error = xasprintf("the world could not be built: %s", err);
        close_outputs(rn);
        free(run);
        return RUN_DONE;
    }
    attach(rn);
    *out = run;
    return RUN_DONE;
}

world_t *run_world(const run_t *run)
{
    return run->rn.w;
}

void run_end(run_t *run, run_result_t *r)
{
    runner_t *rn = &run->rn;
    judge(rn, r);
    detach(rn);
    close_outputs(rn);
    world_free(rn->w);
    r->passed = all_passed(r);
    r->stats.wall_ms = clock_ms(rn->opt) - run->started;
    free(run);
}

run_status_t run_scenario(const scenario_t *sc, const run_options_t *opt, diag_t *diag,
                          run_result_t *r)
{
    run_t *run;
    run_status_t st = run_begin(sc, opt, diag, r, &run);
    if (!run)
        return st;
    opt = run->rn.opt;
    run_events(&run->rn, opt->has_until ? opt->until : sc->until,
               opt->has_until || sc->until_given);
    run_end(run, r);
    return RUN_DONE;
}

static run_status_t run_loaded(scenario_t *sc, const run_options_t *opt, diag_t *diag,
                               run_result_t *r)
{
    if (!sc) {
        memset(r, 0, sizeof *r);
        return RUN_BAD_INPUT;
    }
    run_status_t st = run_scenario(sc, opt, diag, r);
    scenario_free(sc);
    return st;
}

run_status_t run_file(const char *path, const run_options_t *opt, diag_t *diag, run_result_t *r)
{
    return run_loaded(scenario_load_file(path, diag), opt, diag, r);
}

run_status_t run_string(const char *name, const char *json, size_t len, const run_options_t *opt,
                        diag_t *diag, run_result_t *r)
{
    return run_loaded(scenario_load_string(name, json, len, diag), opt, diag, r);
}
