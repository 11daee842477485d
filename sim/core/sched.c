/*
 * sched: binary min-heap of (time, seq, slot). Each pending event owns a slot
 * holding its callback; an id names the slot and its generation, so cancelling
 * clears the slot in O(1) and a stale id (event already run, slot reused) is
 * recognised and ignored.
 */
#include "core/sched.h"

#include <stdlib.h>

#include "core/util.h"

typedef struct heap_node {
    sim_time_t time;
    uint64_t seq;
    uint32_t slot;
} heap_node_t;

typedef struct slot {
    sched_fn fn; /* NULL once cancelled */
    void *arg;
    uint32_t gen;
    uint32_t next_free;
} slot_t;

#define NO_SLOT UINT32_MAX

struct sched {
    sim_time_t now;
    uint64_t next_seq;
    uint64_t events_run;
    heap_node_t *heap;
    size_t heap_len, heap_cap;
    slot_t *slots;
    uint32_t slots_len, slots_cap;
    uint32_t free_head;
    size_t live;
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
    free(s->slots);
    free(s);
}

sim_time_t sched_now(const sched_t *s)
{
    return s->now;
}

static inline bool node_before(const heap_node_t *a, const heap_node_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static uint32_t slot_alloc(sched_t *s)
{
    if (s->free_head != NO_SLOT) {
        uint32_t i = s->free_head;
        s->free_head = s->slots[i].next_free;
        return i;
    }
    if (s->slots_len == s->slots_cap) {
        if (s->slots_cap >= NO_SLOT / 2)
            panic("sched: too many pending events");
        s->slots_cap = s->slots_cap ? s->slots_cap * 2 : 256;
        s->slots = xrealloc(s->slots, (size_t)s->slots_cap * sizeof *s->slots);
    }
    s->slots[s->slots_len].gen = 1;
    return s->slots_len++;
}

static void slot_release(sched_t *s, uint32_t i)
{
    s->slots[i].fn = NULL;
    s->slots[i].gen++;
    if (s->slots[i].gen == 0)
        s->slots[i].gen = 1;
    s->slots[i].next_free = s->free_head;
    s->free_head = i;
}

sched_id_t sched_at(sched_t *s, sim_time_t when, sched_fn fn, void *arg)
{
    if (!fn)
        panic("sched_at: NULL callback");
    if (when < s->now)
        when = s->now;
    uint32_t si = slot_alloc(s);
    s->slots[si].fn = fn;
    s->slots[si].arg = arg;
    if (s->heap_len == s->heap_cap) {
        s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 256;
        s->heap = xrealloc(s->heap, s->heap_cap * sizeof *s->heap);
    }
    heap_node_t node = {when, s->next_seq++, si};
    size_t i = s->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!node_before(&node, &s->heap[parent]))
            break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = node;
    s->live++;
    return ((uint64_t)s->slots[si].gen << 32) | si;
}

sched_id_t sched_after(sched_t *s, sim_time_t delay, sched_fn fn, void *arg)
{
    if (delay < 0)
        delay = 0;
    sim_time_t when = s->now > SIM_TIME_NEVER - delay ? SIM_TIME_NEVER : s->now + delay;
    return sched_at(s, when, fn, arg);
}

static slot_t *slot_of(const sched_t *s, sched_id_t id)
{
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    uint32_t gen = (uint32_t)(id >> 32);
    if (id == 0 || si >= s->slots_len || s->slots[si].gen != gen || !s->slots[si].fn)
        return NULL;
    return &s->slots[si];
}

void sched_cancel(sched_t *s, sched_id_t id)
{
    slot_t *sl = slot_of(s, id);
    if (!sl)
        return;
    sl->fn = NULL;
    s->live--;
}

bool sched_is_pending(const sched_t *s, sched_id_t id)
{
    return slot_of(s, id) != NULL;
}

static heap_node_t heap_pop(sched_t *s)
{
    heap_node_t top = s->heap[0];
    heap_node_t last = s->heap[--s->heap_len];
    size_t n = s->heap_len, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && node_before(&s->heap[child + 1], &s->heap[child]))
            child++;
        if (!node_before(&s->heap[child], &last))
            break;
        s->heap[i] = s->heap[child];
        i = child;
    }
    if (n > 0)
        s->heap[i] = last;
    return top;
}

/* Drops cancelled events from the top; true when a live event is on top. */
static bool settle_top(sched_t *s)
{
    while (s->heap_len > 0) {
        uint32_t si = s->heap[0].slot;
        if (s->slots[si].fn)
            return true;
        heap_pop(s);
        slot_release(s, si);
    }
    return false;
}

bool sched_step(sched_t *s)
{
    if (!settle_top(s))
        return false;
    heap_node_t node = heap_pop(s);
    slot_t *sl = &s->slots[node.slot];
    sched_fn fn = sl->fn;
    void *arg = sl->arg;
    slot_release(s, node.slot);
    s->live--;
    s->now = node.time;
    s->events_run++;
    fn(arg);
    return true;
}

uint64_t sched_run_until(sched_t *s, sim_time_t t)
{
    uint64_t ran = 0;
    s->stop = false;
    while (!s->stop && settle_top(s) && s->heap[0].time <= t) {
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
    return s->live;
}

sim_time_t sched_next_time(sched_t *s)
{
    return settle_top(s) ? s->heap[0].time : SIM_TIME_NEVER;
}

uint64_t sched_events_run(const sched_t *s)
{
    return s->events_run;
}
