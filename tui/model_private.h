/*
 * model_private: the model's insides, shared by model.c (the world and
 * running it), model_trace.c (what the trace bus tells) and model_log.c
 * (the log's filter and summaries). Nothing outside tui/model*.c includes it.
 */
#ifndef MAILSIM_TUI_MODEL_PRIVATE_H
#define MAILSIM_TUI_MODEL_PRIVATE_H

#include "model.h"
#include "scenario/narration.h"
#include "scenario/timeline.h"

typedef struct tui_filter {
    char *text; /* as given */
    char **hosts;
    size_t nhosts;
    char **kinds; /* prefixes an event's kind must start with (any of them) */
    size_t nkinds;
    char **no_kinds; /* prefixes it must not start with */
    size_t nno_kinds;
    char **words; /* text the summary must contain */
    size_t nwords;
} tui_filter_t;

struct tui_model {
    const scenario_t *sc;
    char lang[3];
    world_t *w;
    bool live;       /* w is watched, not owned or run (tui_model_watch) */
    bool live_ended; /* live: the driver will run nothing more */
    narrator_t *narrator;
    timeline_t *timeline;
    sim_time_t view_time;
    sim_time_t end;
    uint64_t events;

    uint64_t *marks; /* event counts right after each event that emitted a trace event */
    size_t nmarks, capmarks;

    int64_t step_current;
    int64_t *steps_seen; /* step numbers reached, in order */
    size_t nsteps_seen, capsteps;

    tui_session_t **sessions;
    size_t nsessions, capsessions;
    int64_t selected_session;
    int64_t latest_session; /* the last session that spoke a line */

    tui_removed_t *removed;
    size_t nremoved, capremoved;

    char **notices;
    size_t nnotices, capnotices;

    trace_event_t **log; /* copies, oldest first */
    size_t nlog, caplog;
    size_t *shown; /* indexes into log that pass the filter */
    size_t nshown, capshown;
    tui_filter_t filter;
    bool hide_segments;
};

/* model_trace.c: the bus listener and the state it keeps. */
void model_trace_hear(void *ctx, const trace_event_t *ev);
void model_trace_clear(tui_model_t *m);
void model_notice(void *ctx, const char *line);

/* model_log.c */
bool model_log_passes(const tui_model_t *m, const trace_event_t *ev);
void model_log_refilter(tui_model_t *m);
void model_filter_free(tui_filter_t *f);

#endif
