/*
 * sched: the discrete-event scheduler. A heap ordered by (time, insertion
 * sequence), so events at equal times run in the order they were scheduled
 * and every run is reproducible. Ids are checked on use: cancelling or moving
 * an event that already ran or was cancelled does nothing, even after its
 * storage went to a newer event.
 *
 * The scheduler never owns an event's argument; whoever schedules frees it.
 */
#ifndef MAILSIM_CORE_SCHED_H
#define MAILSIM_CORE_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/time.h"

typedef struct sched sched_t;
typedef void (*sched_fn)(void *arg);
/* 0 is never a valid id, so it can mean "no event". */
typedef uint64_t sched_id_t;

sched_t *sched_new(void);
void sched_free(sched_t *s);

/* The clock is the first member of a sched_t: reading it needs no call, and
 * the hot paths of every layer read it. */
static inline sim_time_t sched_now(const sched_t *s)
{
    return *(const sim_time_t *)(const void *)s;
}
/* Schedules fn(arg) at an absolute time (clamped to now if in the past). */
sched_id_t sched_at(sched_t *s, sim_time_t when, sched_fn fn, void *arg);
static inline sched_id_t sched_after(sched_t *s, sim_time_t delay, sched_fn fn, void *arg)
{
    sim_time_t now = sched_now(s);
    if (delay < 0)
        delay = 0;
    return sched_at(s, now > SIM_TIME_NEVER - delay ? SIM_TIME_NEVER : now + delay, fn, arg);
}
/* Cancels a pending event; harmless for 0, a run event or a cancelled one. */
void sched_cancel(sched_t *s, sched_id_t id);
bool sched_is_pending(const sched_t *s, sched_id_t id);
/*
 * Moves a pending or disarmed event to `when` (clamped to now) and keeps its
 * id; a disarmed one is pending again. The event runs exactly where
 * sched_cancel followed by sched_at with the same callback would put it:
 * after every event already scheduled for that time. Cheaper than the pair
 * for timers that are re-armed often, cheapest when pushed later. False, and
 * nothing happens, when id was run, cancelled or is 0.
 */
bool sched_move(sched_t *s, sched_id_t id, sim_time_t when);
/*
 * Stops a pending event as sched_cancel does (it does not run, and no longer
 * counts in sched_pending, sched_next_time or sched_is_pending) but keeps its
 * id for a later sched_move, which costs less than a new sched_at. The
 * holder still owns the id: it must sched_cancel it in the end. Harmless for
 * 0, a run, cancelled or disarmed event.
 */
void sched_disarm(sched_t *s, sched_id_t id);

/*
 * Holding a place. An event that may turn out to have nothing to do (a
 * connection's "send what is queued", when the sender flushes the queue
 * itself before the event's turn) can hold the place a sched_after(s, 0, fn,
 * arg) would take now, without running there: sched_hold. If the work turns
 * up after all, sched_arm_held arms it at that same place, as long as the
 * place is still ahead of the running event, so the run is the one the
 * plain event would give, only without the empty calls. A held event counts
 * nowhere (sched_pending, sched_next_time, sched_is_pending); the holder
 * owns the id and must sched_cancel it in the end, or sched_move it (which
 * arms it at a new place, as a new event would).
 */
sched_id_t sched_hold(sched_t *s, sched_fn fn, void *arg);
/* True when id is pending, or held at a place still ahead, which it now
 * arms; false (nothing happens) when the place has gone by, or id is 0, run
 * or cancelled. */
bool sched_arm_held(sched_t *s, sched_id_t id);
/* True when id is pending, or held at a place still ahead (not armed). */
bool sched_held_ahead(const sched_t *s, sched_id_t id);
/* Like sched_held_ahead, but a held event whose place has gone by takes the
 * place a new sched_hold would take now, and true is returned too; false
 * (nothing happens) when id is 0, run or cancelled. */
bool sched_hold_again(sched_t *s, sched_id_t id);

/*
 * Warming. Events due in the same microsecond run one after another, and
 * the scheduler knows which come next. sched_set_warm(s, fn, warm) asks it
 * to call warm(arg, ahead) for an event fn(arg) while earlier ones run, so
 * that warm can prefetch what fn will read (__builtin_prefetch): with ahead
 * SCHED_WARM_AHEAD, that many turns before its own, when the scheduler has
 * prefetched the first bytes of arg, and once more at each turn after, down
 * to ahead 1, the turn before its own. What one call prefetched has had a
 * turn to arrive by the next, so a pointer read there can be followed one
 * step further each turn. warm must only read memory an event pending with
 * that argument may read, and change nothing: a run is the same with or
 * without it, only faster when events wait on memory. Up to SCHED_WARM_MAX
 * callbacks; setting one again replaces its warm, and a NULL warm removes
 * it. False when the table is full or fn is NULL.
 */
#define SCHED_WARM_MAX 4 /* FNMAP_MAX */
#define SCHED_WARM_AHEAD 5
typedef void (*sched_warm_fn)(const void *arg, unsigned ahead);
/* For warms: prefetches what moving or cancelling event id will read first
 * (its slot). Harmless for any id. */
void sched_prefetch(const sched_t *s, sched_id_t id);
bool sched_set_warm(sched_t *s, sched_fn fn, sched_warm_fn warm);

/* Runs the next live event; false when none is left. */
bool sched_step(sched_t *s);
/* Runs every event due at or before t, then sets the clock to t. Returns how many ran. */
uint64_t sched_run_until(sched_t *s, sim_time_t t);
/* Runs until no event is left or sched_stop is called. Returns how many ran. */
uint64_t sched_run(sched_t *s);
/* Makes the running sched_run or sched_run_until return after the current event. */
void sched_stop(sched_t *s);

/* Live (not cancelled) pending events. */
size_t sched_pending(const sched_t *s);
/* Time of the next live event, or SIM_TIME_NEVER. */
sim_time_t sched_next_time(sched_t *s);
/* Events run since creation. */
uint64_t sched_events_run(const sched_t *s);
/* Calls of warms so far (sched_set_warm). */
uint64_t sched_warm_calls(const sched_t *s);
/* Held events armed at their place since creation (for tests). */
uint64_t sched_held_armed(const sched_t *s);
/* For tests: jumps the sequence counter forward to seq, so that what happens
 * when it wraps (the pending events are numbered afresh) can be reached. */
void sched_set_next_seq(sched_t *s, uint32_t seq);

#endif
