/*
 * run: one scenario, headless, from file to result. Load (bad input stops
 * here), build the world, attach the watchers asked for (event log, pcap,
 * narrator, expectation engine), schedule the timeline, run until `until`
 * (or until nothing is left to happen, at most the scenario's cap of 30d),
 * judge the expectations, check that nothing was lost (accounting), and fill
 * a run_result_t for the report writers.
 *
 * Nothing here reads the wall clock: the caller passes a clock for wall_ms
 * and gets progress calls in virtual time, so sim/ stays deterministic.
 */
#ifndef MAILSIM_SCENARIO_RUN_H
#define MAILSIM_SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/time.h"
#include "scenario/build.h"
#include "scenario/config.h"
#include "scenario/diag.h"
#include "scenario/log.h"
#include "scenario/report.h"

/* A monotonic wall clock in milliseconds (the front end's). */
typedef int64_t (*run_clock_fn)(void *ctx);
/* Called every few thousand scheduler events with the virtual time reached. */
typedef void (*run_progress_fn)(void *ctx, const scenario_t *sc, sim_time_t now, sim_time_t until);

typedef struct run_options {
    const char *lang; /* "en" (also NULL) or "el": the title and the narration */
    bool has_seed;    /* seed replaces the scenario's */
    uint64_t seed;
    bool has_until; /* until replaces the scenario's: the run stops there */
    sim_time_t until;
    const char *log_path; /* NULL: no event log */
    log_format_t log_format;
    const char *pcap_path;     /* NULL: no capture */
    scenario_notice_fn notice; /* skipped actions, write failures; NULL: standard error */
    void *notice_ctx;
    run_progress_fn progress; /* NULL: none */
    void *progress_ctx;
    run_clock_fn clock; /* NULL: wall_ms stays 0 */
    void *clock_ctx;
} run_options_t;

typedef enum run_status {
    RUN_DONE,      /* it ran (or failed while running); the result says how it went */
    RUN_BAD_INPUT, /* nothing ran: the diag says why (an invalid file, an unwritable log) */
} run_status_t;

/*
 * Runs a loaded scenario (sc outlives the call). RUN_DONE fills *r (the
 * caller frees it with run_result_free); RUN_BAD_INPUT leaves *r zeroed and
 * adds lines to diag.
 */
run_status_t run_scenario(const scenario_t *sc, const run_options_t *opt, diag_t *diag,
                          run_result_t *r);

/*
 * The same run in three steps, for a front end that drives the world itself
 * (mailsim serve, in real time). run_begin does everything run_scenario does
 * before the first event: outputs opened, world built, watchers attached,
 * timeline scheduled. It returns RUN_BAD_INPUT as run_scenario does; on
 * RUN_DONE, *out is the run, or NULL when the world could not be built (then
 * *r is already complete, with its error). The caller then runs the world's
 * scheduler as it likes and calls run_end, which judges, fills *r (the same r
 * given to run_begin), closes the outputs and frees the world and the run.
 */
typedef struct run run_t;
run_status_t run_begin(const scenario_t *sc, const run_options_t *opt, diag_t *diag,
                       run_result_t *r, run_t **out);
/* The world of a run begun and not yet ended; the run owns it. */
world_t *run_world(const run_t *run);
void run_end(run_t *run, run_result_t *r);

/* Loads path and runs it: an invalid file is RUN_BAD_INPUT with its error lines in diag. */
run_status_t run_file(const char *path, const run_options_t *opt, diag_t *diag, run_result_t *r);

/* The same for JSON text in memory; name is the file name used in messages. */
run_status_t run_string(const char *name, const char *json, size_t len, const run_options_t *opt,
                        diag_t *diag, run_result_t *r);

/* How often run_scenario calls progress: every this many scheduler events. */
#define RUN_PROGRESS_EVENTS 4096u

#endif
