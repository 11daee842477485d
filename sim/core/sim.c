/*
 * sim: creation and release of the shared simulation context.
 */
#include "core/sim.h"

#include <stdlib.h>

#include "core/util.h"

sim_t *sim_new(uint64_t seed)
{
    sim_t *sim = xcalloc(1, sizeof *sim);
    sim->sched = sched_new();
    sim->seed = seed;
    rng_seed(&sim->rng, seed);
    trace_bus_init(&sim->trace);
    return sim;
}

void sim_free(sim_t *sim)
{
    if (!sim)
        return;
    sched_free(sim->sched);
    trace_bus_free(&sim->trace);
    free(sim);
}
