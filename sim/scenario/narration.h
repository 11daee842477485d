/*
 * narration: a scenario's walkthrough steps. Each step is reached when the
 * first event matching its `on` happens; the narrator then emits a
 * walkthrough.step event (step, text = the narration in the chosen language)
 * at the host of the matching event. The TUI stops there in walkthrough
 * mode; the log records it.
 */
#ifndef MAILSIM_SCENARIO_NARRATION_H
#define MAILSIM_SCENARIO_NARRATION_H

#include "core/sim.h"
#include "scenario/config.h"

typedef struct narrator narrator_t;

/* Subscribes to sim's trace bus. lang is "en" or "el"; sc outlives the narrator. */
narrator_t *narrator_new(const scenario_t *sc, sim_t *sim, const char *lang);
/* How many steps were reached so far. */
size_t narrator_reached(const narrator_t *n);
/* Whether the step numbered step (its "step" in the file) was reached. */
bool narrator_step_reached(const narrator_t *n, int64_t step);
/* Unsubscribes and frees. */
void narrator_free(narrator_t *n);

#endif
