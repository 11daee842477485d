/*
 * sim: the context every simulated actor shares: the scheduler (and so the
 * virtual clock), the world's one seeded PRNG and the trace bus. The layers
 * above take a sim_t * and never keep globals.
 */
#ifndef MAILSIM_CORE_SIM_H
#define MAILSIM_CORE_SIM_H

#include "core/rng.h"
#include "core/sched.h"
#include "core/trace.h"

typedef struct sim {
    sched_t *sched;
    rng_t rng;
    trace_bus_t trace;
    uint64_t seed;
} sim_t;

/* The caller frees with sim_free. */
sim_t *sim_new(uint64_t seed);
void sim_free(sim_t *sim);

static inline sim_time_t sim_now(const sim_t *sim)
{
    return sched_now(sim->sched);
}

#endif
