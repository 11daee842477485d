/*
 * sched: the pending events live in two places.
 *
 * Events due within RING microseconds (path latencies, the events due now)
 * go to a ring of one-microsecond buckets: bucket t % RING holds the events
 * due at t, in sequence order, as a circular list through their slots. Every
 * event in the ring is due in [now, now + RING), so a bucket holds one time.
 * Inserting appends, since a new sequence number is the largest; a bitmap
 * with a summary word per 64 words finds the next non-empty bucket.
 *
 * Later events (timers) go to a radix heap. Its key is one 128-bit integer:
 * time, a 32-bit sequence number, then the slot; sequence numbers are unique,
 * so the integer order is the (time, sequence) order and the slot bits never
 * decide. Time only moves forward, which is what a radix heap needs: keys sit
 * in buckets by how many low bits they differ from a base that is at most
 * every key; inserting and cancelling are O(1), and a key only ever moves to
 * lower buckets, a few times in its life. A heap event stays there when its
 * time comes within the ring's reach; the next event is the smaller of the
 * two fronts by (time, sequence). When the sequence counter would wrap, the
 * pending events are numbered afresh in their order.
 *
 * Each pending event owns a slot holding its callback and where it is; an id
 * names the slot and its generation, so a stale id (event already run or
 * cancelled, slot reused) is recognised and ignored. Cancelling takes the
 * event out at once: a cancelled timer left in place until its time (an idle
 * timer waits minutes) made the queue many times larger than the live events.
 * A disarmed event (a timer stopped, soon set again) may leave its key in
 * the heap, and a timer pushed later keeps its key: the slot holds the time
 * and sequence number it really has, and the key is fixed when it comes to
 * the front (heap_front).
 *
 * A held event (sched_hold) is a disarmed one that was never filed: its slot
 * keeps the place (now, a sequence number) it would have had. Whether that
 * place is still ahead is a comparison with the running event's (now,
 * cur_seq); arming it files it there, in sequence order.
 */
#include "core/sched.h"

#include <stdlib.h>
#include <string.h>

#include "core/sched_queue.h"
#include "core/util.h"

sched_t *sched_new(void)
{
    sched_t *s = xcalloc(1, sizeof *s);
    s->free_head = NO_SLOT;
    s->next_seq = 1;
    s->ring_head = xmalloc(RING * sizeof *s->ring_head);
    s->ring_tail = xmalloc(RING * sizeof *s->ring_tail);
    memset(s->ring_head, 0xff, RING * sizeof *s->ring_head);
    memset(s->ring_tail, 0xff, RING * sizeof *s->ring_tail);
    return s;
}

void sched_free(sched_t *s)
{
    if (!s)
        return;
    for (unsigned b = 0; b < NBUCKETS; b++)
        free(s->buckets[b].keys);
    free(s->ring_head);
    free(s->ring_tail);
    free(s->slots);
    free(s);
}

/* --- slots ------------------------------------------------------------------ */

static inline uint32_t slot_alloc(sched_t *s)
{
    if (s->free_head != NO_SLOT) {
        uint32_t i = s->free_head;
        s->free_head = s->slots[i].next;
        return i;
    }
    if (s->slots_len == s->slots_cap) {
        if (s->slots_cap >= UINT32_MAX / 4)
            panic("sched: too many pending events");
        s->slots_cap = s->slots_cap ? s->slots_cap * 2 : 256;
        s->slots = xrealloc(s->slots, (size_t)s->slots_cap * sizeof *s->slots);
    }
    s->slots[s->slots_len].gen = 1;
    return s->slots_len++;
}

static inline void slot_release(sched_t *s, uint32_t i)
{
    slot_t *sl = &s->slots[i];
    sl->fn = NULL;
    sl->gen++;
    if (sl->gen == 0)
        sl->gen = 1;
    sl->next = s->free_head;
    s->free_head = i;
}

/* A slot's generation is never 0 and moves on when the slot is freed, so
 * the generation alone tells a live id from 0 and from a stale one. */
static slot_t *slot_of(const sched_t *s, sched_id_t id)
{
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    if (si >= s->slots_len || s->slots[si].gen != (uint32_t)(id >> 32))
        return NULL;
    return &s->slots[si];
}

/* 1 + the index of fn's warm in the map, or 0: kept in the slot, so that a
 * warm call costs no search of the map. */
static inline uint8_t warm_index(const sched_t *s, sched_fn fn)
{
    return (uint8_t)fnmap_find(&s->warms, (fnmap_fn)fn);
}

/* --- placing ------------------------------------------------------------------ */

/* Files slot si, whose when and seq are set, in the ring or the heap. An
 * older sequence number (a deferred key, renumbering) needs sorted. */
static inline void heap_file(sched_t *s, uint32_t si)
{
    slot_t *sl = &s->slots[si];
    sl->key_lag = 0;
    heap_insert(s, key_build(sl->when, sl->seq, si));
}

static inline void file_slot(sched_t *s, uint32_t si, bool sorted)
{
    const slot_t *sl = &s->slots[si];
    if ((uint64_t)(sl->when - s->now) >= RING)
        heap_file(s, si);
    else if (sorted)
        ring_insert_sorted(s, si);
    else
        ring_append(s, si);
}

/* Files a slot that has its callback under when (clamped to now), with a
 * new sequence number. */
static inline void place(sched_t *s, uint32_t si, sim_time_t when)
{
    slot_t *sl = &s->slots[si];
    sl->when = when < s->now ? s->now : when;
    sl->seq = seq_take(s);
    sl->lazy = false;
    sl->held = false;
    file_slot(s, si, false);
}

/* Whether a held slot's place comes after the running event's. */
static inline bool place_ahead(const sched_t *s, const slot_t *sl)
{
    return sl->when > s->now || (sl->when == s->now && sl->seq > s->cur_seq);
}

/* Takes a slot's entry out of the ring or the heap; the slot stays the caller's. */
static void unplace(sched_t *s, uint32_t si)
{
    slot_t *sl = &s->slots[si];
    if (sl->where == IN_RING)
        ring_unlink(s, si);
    else if (sl->where != NOWHERE)
        heap_remove(s, sl);
    sl->where = NOWHERE;
    sl->lazy = false;
}

/*
 * Gives the pending events sequence numbers 1..n in their order, and every
 * later one gets a larger number, so the order of all events, pending and to
 * come, stays what it was. Stale keys are settled on the way.
 */
COLD static void sched_renumber(sched_t *s)
{
    heap_key_t *all = xmalloc((s->heap_len + s->ring_len + s->slots_len + 1) * sizeof *all);
    size_t n = 0;
    for (unsigned b = 0; b < NBUCKETS; b++) {
        for (uint32_t i = b == 0 ? s->b0_head : 0; i < s->buckets[b].len; i++) {
            heap_key_t k = s->buckets[b].keys[i];
            slot_t *sl = &s->slots[key_slot(k)];
            if (sl->lazy) {
                sl->lazy = false;
                if (!sl->armed) {
                    sl->where = NOWHERE;
                    continue;
                }
            }
            all[n++] = key_build(sl->when, sl->seq, key_slot(k));
        }
        s->buckets[b].len = 0;
    }
    memset(s->nonempty, 0, sizeof s->nonempty);
    s->b0_head = 0;
    s->base_time = 0;
    s->heap_len = 0;
    for (uint32_t b = 0; b < RING; b++) {
        for (uint32_t i = s->ring_head[b]; i != NO_SLOT; i = s->slots[i].next)
            all[n++] = key_build(s->slots[i].when, s->slots[i].seq, i);
        s->ring_head[b] = s->ring_tail[b] = NO_SLOT;
    }
    memset(s->ring_bits, 0, sizeof s->ring_bits);
    memset(s->ring_sum, 0, sizeof s->ring_sum);
    s->ring_len = 0;
    /* Held places still ahead are numbered with the pending events; those
     * gone by are moved before now, where they stay gone by. */
    for (uint32_t si = 0; si < s->slots_len; si++) {
        slot_t *sl = &s->slots[si];
        if (!sl->fn || !sl->held)
            continue;
        if (place_ahead(s, sl))
            all[n++] = key_build(sl->when, sl->seq, si);
        else
            sl->when = s->now - 1;
    }
    qsort(all, n, sizeof *all, key_cmp);
    for (size_t i = 0; i < n; i++) {
        uint32_t si = key_slot(all[i]);
        s->slots[si].seq = (uint32_t)(i + 1);
        if (s->slots[si].armed)
            file_slot(s, si, false);
    }
    s->cur_seq = 0; /* the running event comes before every renumbered one */
    s->next_seq = (uint32_t)n + 1;
    free(all);
}

/* --- scheduling --------------------------------------------------------------- */

sched_id_t sched_at(sched_t *s, sim_time_t when, sched_fn fn, void *arg)
{
    if (!fn)
        panic("sched_at: NULL callback");
    uint32_t si = slot_alloc(s);
    slot_t *sl = &s->slots[si];
    sl->fn = fn;
    sl->arg = arg;
    sl->warm = warm_index(s, fn);
    sl->armed = true;
    sl->lazy = false;
    sl->held = false;
    s->live++;
    sl->when = when < s->now ? s->now : when;
    sl->seq = seq_take(s);
    if ((uint64_t)(sl->when - s->now) < RING)
        ring_append(s, si);
    else
        heap_file(s, si);
    return ((uint64_t)sl->gen << 32) | si;
}

void sched_cancel(sched_t *s, sched_id_t id)
{
    slot_t *sl = slot_of(s, id);
    if (!sl)
        return;
    if (sl->armed)
        s->live--;
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    unplace(s, si);
    slot_release(s, si);
}

void sched_disarm(sched_t *s, sched_id_t id)
{
    slot_t *sl = slot_of(s, id);
    if (!sl || !sl->armed)
        return;
    sl->armed = false;
    s->live--;
    if (sl->where == IN_RING)
        unplace(s, (uint32_t)(id & 0xffffffffu));
    else if (sl->where != NOWHERE)
        sl->lazy = true; /* its key is dropped when it comes up */
}

/* Whether the time in the heap key of sl (in the heap) is below when. */
static inline bool key_time_below(const sched_t *s, const slot_t *sl, sim_time_t when)
{
    if (sl->key_lag != LAG_UNKNOWN)
        return sl->when - (sim_time_t)sl->key_lag < when;
    return key_time(s->buckets[sl->where].keys[sl->pos]) < when;
}

/*
 * A move to a time later than the key the event has in the heap leaves the
 * key where it is: the slot keeps the new time and a sequence number taken
 * now, the key goes back in under them when it comes to the front
 * (heap_front). A timer stopped and set again, or pushed back, then costs
 * no heap work until its old time comes.
 */
bool sched_move(sched_t *s, sched_id_t id, sim_time_t when)
{
    slot_t *sl = slot_of(s, id);
    if (!sl)
        return false;
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    if (s->next_seq == UINT32_MAX)
        sched_renumber(s); /* first: it settles stale keys */
    if (!sl->armed) {
        sl->armed = true;
        s->live++;
    }
    if (sl->where < NBUCKETS && when > s->now && key_time_below(s, sl, when)) {
        uint64_t lag = (uint64_t)(when - sl->when) + sl->key_lag;
        sl->key_lag =
            sl->key_lag == LAG_UNKNOWN || lag >= LAG_UNKNOWN ? LAG_UNKNOWN : (uint32_t)lag;
        sl->when = when;
        sl->seq = s->next_seq++;
        sl->lazy = true;
        return true;
    }
    unplace(s, si);
    place(s, si, when);
    return true;
}

sched_id_t sched_hold(sched_t *s, sched_fn fn, void *arg)
{
    if (!fn)
        panic("sched_hold: NULL callback");
    uint32_t si = slot_alloc(s);
    uint32_t seq = seq_take(s); /* before the slot counts: it may renumber */
    slot_t *sl = &s->slots[si];
    sl->fn = fn;
    sl->arg = arg;
    sl->warm = warm_index(s, fn);
    sl->armed = false;
    sl->lazy = false;
    sl->held = true;
    sl->where = NOWHERE;
    sl->when = s->now;
    sl->seq = seq;
    return ((uint64_t)sl->gen << 32) | si;
}

bool sched_held_ahead(const sched_t *s, sched_id_t id)
{
    const slot_t *sl = slot_of(s, id);
    if (!sl)
        return false;
    return sl->armed || (sl->held && place_ahead(s, sl));
}

bool sched_hold_again(sched_t *s, sched_id_t id)
{
    slot_t *sl = slot_of(s, id);
    if (!sl)
        return false;
    if (sl->armed || !sl->held || place_ahead(s, sl))
        return sl->armed || sl->held;
    uint32_t seq = seq_take(s); /* may renumber, which keeps this slot held */
    sl->when = s->now;
    sl->seq = seq;
    return true;
}

bool sched_arm_held(sched_t *s, sched_id_t id)
{
    slot_t *sl = slot_of(s, id);
    if (!sl)
        return false;
    if (sl->armed)
        return true;
    if (!sl->held || !place_ahead(s, sl))
        return false;
    sl->held = false;
    sl->armed = true;
    s->live++;
    s->held_armed++;
    file_slot(s, (uint32_t)(id & 0xffffffffu), true);
    return true;
}

bool sched_is_pending(const sched_t *s, sched_id_t id)
{
    const slot_t *sl = slot_of(s, id);
    return sl && sl->armed;
}

/* --- running ------------------------------------------------------------------ */

/* The heap's front key, of slot si, is stale: drops it, and files a
 * deferred event under its true time and sequence number. */
COLD static void heap_settle_front(sched_t *s, uint32_t si)
{
    slot_t *sl = &s->slots[si];
    heap_pop_min(s);
    sl->lazy = false;
    sl->where = NOWHERE;
    if (sl->armed)
        file_slot(s, si, true);
}

/*
 * The time of the next event, SIM_TIME_NEVER when none is pending (*si is
 * then NO_SLOT); *si is its slot, *ring_b its ring bucket, or NO_SLOT when
 * it is at the heap's front. A stale key at the heap's front is settled only
 * when it could come before the ring's front: its time is below the true one.
 */
static inline __attribute__((always_inline)) sim_time_t front(sched_t *s, uint32_t *si,
                                                              uint32_t *ring_b)
{
    for (;;) {
        uint32_t b = ring_front(s);
        *ring_b = b;
        uint32_t r = NO_SLOT;
        sim_time_t rt = SIM_TIME_NEVER;
        if (b != NO_SLOT) {
            r = s->ring_head[b];
            rt = s->slots[r].when;
        }
        *si = r;
        if (s->heap_len == 0)
            return rt;
        if (!(s->nonempty[0] & 1u))
            heap_open_lowest(s);
        heap_key_t k = s->buckets[0].keys[s->b0_head];
        sim_time_t kt = key_time(k);
        if (r != NO_SLOT && (kt > rt || (kt == rt && key_seq(k) > s->slots[r].seq)))
            return rt;
        uint32_t hi = key_slot(k);
        slot_t *sl = &s->slots[hi];
        if (!sl->lazy) {
            *ring_b = NO_SLOT;
            *si = hi;
            return kt;
        }
        heap_settle_front(s, hi);
    }
}

_Static_assert(SCHED_WARM_MAX == FNMAP_MAX, "sched.h's limit is the map's");

bool sched_set_warm(sched_t *s, sched_fn fn, sched_warm_fn warm)
{
    if (!fnmap_set(&s->warms, (fnmap_fn)fn, (fnmap_fn)warm))
        return false;
    /* A removal moves another pair to its index: every pending event's
     * index is made afresh (the map is set up before the run, not during). */
    for (uint32_t si = 0; si < s->slots_len; si++) {
        if (s->slots[si].fn)
            s->slots[si].warm = warm_index(s, s->slots[si].fn);
    }
    return true;
}

void sched_prefetch(const sched_t *s, sched_id_t id)
{
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    if (si < s->slots_len)
        __builtin_prefetch(&s->slots[si]);
}

/* Calls the warm of slot sl's callback, if it has one, ahead turns before
 * its own. */
static inline void warm_one(sched_t *s, const slot_t *sl, unsigned ahead)
{
    if (sl->warm) {
        s->warm_calls++;
        ((sched_warm_fn)s->warms.value[sl->warm - 1])(sl->arg, ahead);
    }
}

/* After slot j's bucket gave up the event before it: each of the next
 * events in the bucket gets a step, so that by its turn an event's slot, its
 * argument and what its warm follows from there have had turns to arrive:
 * the warm is called for the next SCHED_WARM_AHEAD, the argument of the one
 * after is prefetched, and the slot of the one after that. Reads only slots
 * pending in the ring. */
static inline void look_ahead(sched_t *s, uint32_t j)
{
    if (!s->warms.n)
        return;
    for (unsigned ahead = 1; j != NO_SLOT; ahead++) {
        const slot_t *sl = &s->slots[j];
        if (ahead > SCHED_WARM_AHEAD) {
            __builtin_prefetch(sl->arg);
            if (sl->next != NO_SLOT)
                __builtin_prefetch(&s->slots[sl->next]);
            return;
        }
        warm_one(s, sl, ahead);
        j = sl->next;
    }
}

/* After the heap gave up its front: the same steps as look_ahead, for the
 * next keys of bucket 0, which holds the keys of the front's time in order
 * (timers that come due together, say a thousand connections' TIME-WAIT).
 * A disarmed or stale key's event is not warmed: it will not run there. */
static inline void look_ahead_heap(sched_t *s)
{
    if (!s->warms.n || !(s->nonempty[0] & 1u))
        return;
    const bucket_t *bk = &s->buckets[0];
    uint32_t i = s->b0_head;
    for (unsigned ahead = 1; i < bk->len; ahead++, i++) {
        const slot_t *sl = &s->slots[key_slot(bk->keys[i])];
        if (ahead > SCHED_WARM_AHEAD) {
            __builtin_prefetch(sl->arg);
            if (i + 1 < bk->len)
                __builtin_prefetch(&s->slots[key_slot(bk->keys[i + 1])]);
            return;
        }
        if (!sl->armed || sl->lazy)
            continue;
        warm_one(s, sl, ahead);
    }
}

/* Takes the next event out if it is due by t; its slot is the caller's to
 * release. NO_SLOT when there is none. */
static inline __attribute__((always_inline)) uint32_t take_due(sched_t *s, sim_time_t t)
{
    uint32_t si, b;
    sim_time_t when = front(s, &si, &b);
    if (si == NO_SLOT || when > t)
        return NO_SLOT;
    if (b != NO_SLOT) {
        ring_pop(s, b);
        look_ahead(s, s->ring_head[b]);
    } else {
        heap_pop_min(s);
        look_ahead_heap(s);
    }
    s->now = when;
    return si;
}

static inline void run_slot(sched_t *s, uint32_t si)
{
    sched_fn fn = s->slots[si].fn;
    void *arg = s->slots[si].arg;
    s->cur_seq = s->slots[si].seq;
    slot_release(s, si);
    s->live--;
    s->events_run++;
    fn(arg);
}

bool sched_step(sched_t *s)
{
    uint32_t si = take_due(s, SIM_TIME_NEVER);
    if (si == NO_SLOT)
        return false;
    run_slot(s, si);
    return true;
}

sim_time_t sched_next_time(sched_t *s)
{
    uint32_t si, b;
    return front(s, &si, &b);
}

uint64_t sched_run_until(sched_t *s, sim_time_t t)
{
    uint64_t ran = 0;
    s->stop = false;
    while (!s->stop) {
        uint32_t si = take_due(s, t);
        if (si == NO_SLOT)
            break;
        run_slot(s, si);
        ran++;
    }
    if (!s->stop) {
        if (t > s->now)
            s->now = t;
        /* Everything due by t has run: every place numbered so far at
         * or before now has gone by (see sched_arm_held). */
        s->cur_seq = s->next_seq - 1;
    }
    return ran;
}

uint64_t sched_run(sched_t *s)
{
    uint64_t ran = 0;
    s->stop = false;
    while (!s->stop) {
        uint32_t si = take_due(s, SIM_TIME_NEVER);
        if (si == NO_SLOT)
            break;
        run_slot(s, si);
        ran++;
    }
    if (!s->stop)
        s->cur_seq = s->next_seq - 1; /* as in sched_run_until */
    return ran;
}

void sched_stop(sched_t *s)
{
    s->stop = true;
}

size_t sched_pending(const sched_t *s)
{
    return s->live;
}

uint64_t sched_events_run(const sched_t *s)
{
    return s->events_run;
}

uint64_t sched_warm_calls(const sched_t *s)
{
    return s->warm_calls;
}

uint64_t sched_held_armed(const sched_t *s)
{
    return s->held_armed;
}

void sched_set_next_seq(sched_t *s, uint32_t seq)
{
    if (seq <= s->next_seq)
        return;
    s->next_seq = seq;
}
