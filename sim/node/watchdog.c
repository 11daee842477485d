/* watchdog: lazily re-armed inactivity timers. */
#include "node/watchdog.h"

static void on_timer(void *arg)
{
    watchdog_t *wd = arg;
    sim_time_t due = wd->last + wd->timeout;
    if (sched_now(wd->sched) < due) {
        wd->timer = sched_at(wd->sched, due, on_timer, wd);
        return;
    }
    wd->timer = 0;
    wd->fire(wd->arg);
}

void watchdog_start(watchdog_t *wd, sched_t *sched, sim_time_t timeout, void (*fire)(void *),
                    void *arg)
{
    wd->sched = sched;
    wd->timeout = timeout;
    wd->fire = fire;
    wd->arg = arg;
    wd->last = sched_now(sched);
    wd->timer = sched_after(sched, timeout, on_timer, wd);
}

void watchdog_touch(watchdog_t *wd)
{
    wd->last = sched_now(wd->sched);
    if (!wd->timer && wd->sched)
        wd->timer = sched_at(wd->sched, wd->last + wd->timeout, on_timer, wd);
}

void watchdog_stop(watchdog_t *wd)
{
    if (wd->sched)
        sched_cancel(wd->sched, wd->timer);
    wd->timer = 0;
}
