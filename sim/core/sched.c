/*
 * sched: the pending events live in two places.
 *
 * Events due now (scheduled with no delay) go to a FIFO: they run after
 * everything already due now, in the order they came, so no ordering work is
 * needed. Every event in the heap that is due now was scheduled before the
 * clock got here, hence before any event in the FIFO: the heap goes first
 * at equal times, then the FIFO.
 *
 * Later events go to an indexed 4-ary min-heap. A heap entry is one 128-bit
 * key: time, then a 32-bit sequence number, then the slot; the sequence
 * numbers are unique, so one integer compare orders two entries and the slot
 * bits never decide. When the sequence counter would wrap, the pending
 * events are numbered afresh in their order (sched_renumber).
 *
 * Each pending event owns a slot holding its callback and where it is (heap
 * index or FIFO index); an id names the slot and its generation, so a stale
 * id (event already run or cancelled, slot reused) is recognised and
 * ignored. Cancelling takes the event out at once: a cancelled timer left in
 * place until its time (an idle timer waits minutes) made the heap many
 * times larger than the live events, and every pop paid for that depth.
 */
#include "core/sched.h"

#include <stdlib.h>

#include "core/util.h"

__extension__ typedef unsigned __int128 heap_key_t;

typedef struct slot {
    sched_fn fn; /* NULL while the slot is free */
    void *arg;
    uint32_t gen;
    uint32_t pos; /* heap index, FIFO index | IN_FIFO, or the next free slot */
} slot_t;

#define NO_SLOT UINT32_MAX
#define IN_FIFO 0x80000000u
#define ARITY 4

struct sched {
    sim_time_t now;
    uint32_t next_seq;
    uint64_t events_run;
    heap_key_t *heap;
    size_t heap_len, heap_cap;
    /* Slots of events due now, in order; NO_SLOT where one was taken out. */
    uint32_t *fifo;
    uint32_t fifo_head, fifo_len, fifo_cap, fifo_live;
    slot_t *slots;
    uint32_t slots_len, slots_cap;
    uint32_t free_head;
    bool stop;
};

sched_t *sched_new(void)
{
    sched_t *s = xcalloc(1, sizeof *s);
    s->free_head = NO_SLOT;
    s->next_seq = 1;
    return s;
}

void sched_free(sched_t *s)
{
    if (!s)
        return;
    free(s->heap);
    free(s->fifo);
    free(s->slots);
    free(s);
}

sim_time_t sched_now(const sched_t *s)
{
    return s->now;
}

/* --- slots ------------------------------------------------------------------ */

static uint32_t slot_alloc(sched_t *s)
{
    if (s->free_head != NO_SLOT) {
        uint32_t i = s->free_head;
        s->free_head = s->slots[i].pos;
        return i;
    }
    if (s->slots_len == s->slots_cap) {
        if (s->slots_cap >= IN_FIFO / 2)
            panic("sched: too many pending events");
        s->slots_cap = s->slots_cap ? s->slots_cap * 2 : 256;
        s->slots = xrealloc(s->slots, (size_t)s->slots_cap * sizeof *s->slots);
    }
    s->slots[s->slots_len].gen = 1;
    return s->slots_len++;
}

static void slot_release(sched_t *s, uint32_t i)
{
    slot_t *sl = &s->slots[i];
    sl->fn = NULL;
    sl->gen++;
    if (sl->gen == 0)
        sl->gen = 1;
    sl->pos = s->free_head;
    s->free_head = i;
}

static slot_t *slot_of(const sched_t *s, sched_id_t id)
{
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    uint32_t gen = (uint32_t)(id >> 32);
    if (id == 0 || si >= s->slots_len || s->slots[si].gen != gen || !s->slots[si].fn)
        return NULL;
    return &s->slots[si];
}

/* --- the heap --------------------------------------------------------------- */

static inline sim_time_t key_time(heap_key_t k)
{
    return (sim_time_t)(uint64_t)(k >> 64);
}

static inline uint32_t key_slot(heap_key_t k)
{
    return (uint32_t)k;
}

static void sched_renumber(sched_t *s);

static heap_key_t key_make(sched_t *s, sim_time_t when, uint32_t slot)
{
    if (s->next_seq == UINT32_MAX)
        sched_renumber(s);
    uint64_t low = (uint64_t)s->next_seq++ << 32 | slot;
    return (heap_key_t)(uint64_t)when << 64 | low;
}

/* Writes k at heap index i and tells its slot where it is. */
static inline void heap_put(sched_t *s, size_t i, heap_key_t k)
{
    s->heap[i] = k;
    s->slots[key_slot(k)].pos = (uint32_t)i;
}

/* Places k at or above the hole at i. */
static void sift_up(sched_t *s, size_t i, heap_key_t k)
{
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (k >= s->heap[parent])
            break;
        heap_put(s, i, s->heap[parent]);
        i = parent;
    }
    heap_put(s, i, k);
}

/* Places k at or below the hole at i. */
static void sift_down(sched_t *s, size_t i, heap_key_t k)
{
    size_t n = s->heap_len;
    const heap_key_t *h = s->heap;
    for (;;) {
        size_t first = ARITY * i + 1, best;
        if (first + ARITY <= n) {
            size_t a = h[first + 1] < h[first] ? first + 1 : first;
            size_t b = h[first + 3] < h[first + 2] ? first + 3 : first + 2;
            best = h[b] < h[a] ? b : a;
        } else {
            if (first >= n)
                break;
            best = first;
            for (size_t c = first + 1; c < n; c++)
                if (h[c] < h[best])
                    best = c;
        }
        if (h[best] >= k)
            break;
        heap_put(s, i, h[best]);
        i = best;
    }
    heap_put(s, i, k);
}

/* Takes the entry at heap index i out. */
static void heap_remove(sched_t *s, size_t i)
{
    heap_key_t last = s->heap[--s->heap_len];
    if (i == s->heap_len)
        return;
    if (i > 0 && last < s->heap[(i - 1) / ARITY])
        sift_up(s, i, last);
    else
        sift_down(s, i, last);
}

static void heap_push(sched_t *s, heap_key_t k)
{
    if (s->heap_len == s->heap_cap) {
        s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 256;
        s->heap = xrealloc(s->heap, s->heap_cap * sizeof *s->heap);
    }
    sift_up(s, s->heap_len++, k);
}

static int key_cmp(const void *a, const void *b)
{
    heap_key_t x = *(const heap_key_t *)a, y = *(const heap_key_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Gives the heap entries sequence numbers 1..n in their order. A sorted array
 * is a heap, and every later entry gets a larger number, so the order of all
 * events, pending and to come, stays what it was.
 */
static void sched_renumber(sched_t *s)
{
    qsort(s->heap, s->heap_len, sizeof *s->heap, key_cmp);
    for (size_t i = 0; i < s->heap_len; i++) {
        heap_key_t k = s->heap[i];
        uint64_t low = (uint64_t)(i + 1) << 32 | key_slot(k);
        heap_put(s, i, (heap_key_t)(uint64_t)key_time(k) << 64 | low);
    }
    s->next_seq = (uint32_t)s->heap_len + 1;
}

/* --- the FIFO of events due now ---------------------------------------------- */

static void fifo_push(sched_t *s, uint32_t slot)
{
    if (s->fifo_len == s->fifo_cap) {
        if (s->fifo_head >= s->fifo_len / 2 && s->fifo_head > 0) {
            /* Slide the live part to the front rather than grow. */
            uint32_t n = 0;
            for (uint32_t i = s->fifo_head; i < s->fifo_len; i++) {
                uint32_t si = s->fifo[i];
                if (si == NO_SLOT)
                    continue;
                s->fifo[n] = si;
                s->slots[si].pos = n++ | IN_FIFO;
            }
            s->fifo_head = 0;
            s->fifo_len = n;
        } else {
            if (s->fifo_cap >= IN_FIFO / 2)
                panic("sched: too many events due now");
            s->fifo_cap = s->fifo_cap ? s->fifo_cap * 2 : 256;
            s->fifo = xrealloc(s->fifo, (size_t)s->fifo_cap * sizeof *s->fifo);
        }
    }
    s->slots[slot].pos = s->fifo_len | IN_FIFO;
    s->fifo[s->fifo_len++] = slot;
    s->fifo_live++;
}

/* Drops taken-out entries from the front; true when a live one is there. */
static bool fifo_settle(sched_t *s)
{
    if (s->fifo_live == 0) {
        s->fifo_head = s->fifo_len = 0;
        return false;
    }
    while (s->fifo[s->fifo_head] == NO_SLOT)
        s->fifo_head++;
    return true;
}

/* --- scheduling --------------------------------------------------------------- */

/* Files a slot that has its callback under when. */
static void place(sched_t *s, uint32_t slot, sim_time_t when)
{
    if (when <= s->now)
        fifo_push(s, slot);
    else
        heap_push(s, key_make(s, when, slot));
}

/* Takes a pending slot out of the heap or the FIFO; the slot stays the caller's. */
static void unplace(sched_t *s, const slot_t *sl)
{
    if (sl->pos & IN_FIFO) {
        s->fifo[sl->pos & ~IN_FIFO] = NO_SLOT;
        s->fifo_live--;
    } else {
        heap_remove(s, sl->pos);
    }
}

sched_id_t sched_at(sched_t *s, sim_time_t when, sched_fn fn, void *arg)
{
    if (!fn)
        panic("sched_at: NULL callback");
    uint32_t si = slot_alloc(s);
    s->slots[si].fn = fn;
    s->slots[si].arg = arg;
    place(s, si, when);
    return ((uint64_t)s->slots[si].gen << 32) | si;
}

sched_id_t sched_after(sched_t *s, sim_time_t delay, sched_fn fn, void *arg)
{
    if (delay < 0)
        delay = 0;
    sim_time_t when = s->now > SIM_TIME_NEVER - delay ? SIM_TIME_NEVER : s->now + delay;
    return sched_at(s, when, fn, arg);
}

void sched_cancel(sched_t *s, sched_id_t id)
{
    slot_t *sl = slot_of(s, id);
    if (!sl)
        return;
    unplace(s, sl);
    slot_release(s, (uint32_t)(id & 0xffffffffu));
}

bool sched_move(sched_t *s, sched_id_t id, sim_time_t when)
{
    slot_t *sl = slot_of(s, id);
    if (!sl)
        return false;
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    if (when > s->now && !(sl->pos & IN_FIFO)) {
        /* In place: a fresh sequence number puts it last among equal times,
         * exactly where a new sched_at would. */
        heap_key_t k = key_make(s, when, si); /* first: it may renumber and reorder */
        size_t pos = sl->pos;
        if (k < s->heap[pos])
            sift_up(s, pos, k);
        else
            sift_down(s, pos, k);
        return true;
    }
    unplace(s, sl);
    place(s, si, when);
    return true;
}

bool sched_is_pending(const sched_t *s, sched_id_t id)
{
    return slot_of(s, id) != NULL;
}

/* --- running ------------------------------------------------------------------ */

/* Takes the next event out; its slot is the caller's to release. NO_SLOT when none. */
static uint32_t take_next(sched_t *s)
{
    bool fifo = fifo_settle(s);
    if (s->heap_len > 0 && (!fifo || key_time(s->heap[0]) <= s->now)) {
        heap_key_t top = s->heap[0];
        heap_remove(s, 0);
        s->now = key_time(top);
        return key_slot(top);
    }
    if (!fifo)
        return NO_SLOT;
    uint32_t si = s->fifo[s->fifo_head++];
    s->fifo_live--;
    return si;
}

bool sched_step(sched_t *s)
{
    uint32_t si = take_next(s);
    if (si == NO_SLOT)
        return false;
    sched_fn fn = s->slots[si].fn;
    void *arg = s->slots[si].arg;
    slot_release(s, si);
    s->events_run++;
    fn(arg);
    return true;
}

sim_time_t sched_next_time(sched_t *s)
{
    if (fifo_settle(s))
        return s->now;
    return s->heap_len > 0 ? key_time(s->heap[0]) : SIM_TIME_NEVER;
}

uint64_t sched_run_until(sched_t *s, sim_time_t t)
{
    uint64_t ran = 0;
    s->stop = false;
    while (!s->stop && sched_next_time(s) <= t) {
        sched_step(s);
        ran++;
    }
    if (!s->stop && t > s->now)
        s->now = t;
    return ran;
}

uint64_t sched_run(sched_t *s)
{
    uint64_t ran = 0;
    s->stop = false;
    while (!s->stop && sched_step(s))
        ran++;
    return ran;
}

void sched_stop(sched_t *s)
{
    s->stop = true;
}

size_t sched_pending(const sched_t *s)
{
    return s->heap_len + s->fifo_live;
}

uint64_t sched_events_run(const sched_t *s)
{
    return s->events_run;
}

void sched_set_next_seq(sched_t *s, uint32_t seq)
{
    if (seq <= s->next_seq)
        return;
    s->next_seq = seq;
}
