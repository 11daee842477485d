/*
 * The hold model: N events pending; each event, when run, schedules one more
 * at now plus a random delay, so the queue stays at N. Prints events per
 * wall-clock second at 1,000 and at 1,000,000 pending.
 */
#include <stdio.h>
#include <time.h>

#include "core/rng.h"
#include "core/sched.h"

typedef struct hold {
    sched_t *s;
    rng_t rng;
} hold_t;

static hold_t hold;

static void hold_event(void *arg)
{
    (void)arg;
    sched_after(hold.s, 1 + (sim_time_t)(rng_next(&hold.rng) >> 44), hold_event, NULL);
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run_hold(size_t pending, uint64_t events)
{
    hold.s = sched_new();
    rng_seed(&hold.rng, 1);
    for (size_t i = 0; i < pending; i++)
        sched_at(hold.s, (sim_time_t)(rng_next(&hold.rng) >> 44), hold_event, NULL);
    /* warm up so the heap reaches its steady shape */
    for (uint64_t i = 0; i < pending; i++)
        sched_step(hold.s);
    double t0 = wall_seconds();
    for (uint64_t i = 0; i < events; i++)
        sched_step(hold.s);
    double dt = wall_seconds() - t0;
    sched_free(hold.s);
    return (double)events / dt;
}

int main(void)
{
    printf("BENCH sched_events_per_s %.0f events/s\n", run_hold(1000, 30000000));
    printf("BENCH sched_events_per_s_1m %.0f events/s\n", run_hold(1000000, 5000000));
    return 0;
}
