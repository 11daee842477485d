/*
 * sched: the pending events live in two places.
 *
 * Events due now (scheduled with no delay) go to a FIFO: they run after
 * everything already due now, in the order they came, so no ordering work is
 * needed. Every event elsewhere that is due now was scheduled before the
 * clock got here, hence before any event in the FIFO: those go first at
 * equal times, then the FIFO.
 *
 * Later events go to a radix heap. Its key is one 128-bit integer: time, a
 * 32-bit sequence number, then the slot; sequence numbers are unique, so the
 * integer order is the (time, sequence) order and the slot bits never decide.
 * Time only moves forward, which is what a radix heap needs: keys sit in
 * buckets by how many low bits they differ from a base that is at most every
 * key; inserting and cancelling are O(1), and a key only ever moves to lower
 * buckets, a few times in its life. A binary heap of the same events paid a
 * compare and a move per level on every pop. When the sequence counter would
 * wrap, the pending events are numbered afresh in their order.
 *
 * Each pending event owns a slot holding its callback and where it is
 * (bucket and index, or FIFO index); an id names the slot and its
 * generation, so a stale id (event already run or cancelled, slot reused) is
 * recognised and ignored. Cancelling takes the event out at once: a
 * cancelled timer left in place until its time (an idle timer waits minutes)
 * made the queue many times larger than the live events.
 */
#include "core/sched.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

__extension__ typedef unsigned __int128 heap_key_t;

typedef struct slot {
    sched_fn fn; /* NULL while the slot is free */
    void *arg;
    sim_time_t when; /* while lazy and armed: the time it is due */
    uint32_t gen;
    uint32_t pos;   /* index in its bucket or in the FIFO, or the next free slot */
    uint32_t seq;   /* while lazy and armed: its sequence number */
    uint8_t bucket; /* IN_FIFO for the FIFO, NOWHERE when it has no key */
    bool armed;     /* false once disarmed */
    bool lazy;      /* its key in the heap is stale: see heap_min */
} slot_t;

typedef struct bucket {
    heap_key_t *keys; /* in no order */
    uint32_t len, cap;
} bucket_t;

#define NO_SLOT UINT32_MAX
#define NBUCKETS 65u /* bucket_of: 0..64 */
#define NBUCKET_WORDS 2u
#define IN_FIFO 255u
#define NOWHERE 254u

struct sched {
    sim_time_t now;
    uint32_t next_seq;
    uint64_t events_run;
    /* Bucket b holds the keys whose time differs from base_time in exactly
     * the b low bits; base_time is at most every key's time. */
    bucket_t buckets[NBUCKETS];
    uint64_t nonempty[NBUCKET_WORDS];
    uint64_t base_time;
    uint32_t b0_head; /* bucket 0 starts here */
    size_t heap_len; /* keys in the heap, stale ones included */
    size_t live;     /* armed events */
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
    for (unsigned b = 0; b < NBUCKETS; b++)
        free(s->buckets[b].keys);
    free(s->fifo);
    free(s->slots);
    free(s);
}

sim_time_t sched_now(const sched_t *s)
{
    return s->now;
}

/* --- slots ------------------------------------------------------------------ */

static inline uint32_t slot_alloc(sched_t *s)
{
    if (s->free_head != NO_SLOT) {
        uint32_t i = s->free_head;
        s->free_head = s->slots[i].pos;
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

/* --- the radix heap ----------------------------------------------------------- */

static inline uint64_t key_time_bits(heap_key_t k)
{
    return (uint64_t)(k >> 64);
}

static inline sim_time_t key_time(heap_key_t k)
{
    return (sim_time_t)key_time_bits(k);
}

static inline uint32_t key_slot(heap_key_t k)
{
    return (uint32_t)k;
}

/* The bucket of time t: 0 when it is the base time, else the position of
 * the highest bit in which they differ, plus one. */
static inline unsigned bucket_of(const sched_t *s, uint64_t t)
{
    uint64_t x = t ^ s->base_time;
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

static void sched_renumber(sched_t *s);

static inline heap_key_t key_build(sim_time_t when, uint32_t seq, uint32_t slot)
{
    return (heap_key_t)(uint64_t)when << 64 | ((uint64_t)seq << 32 | slot);
}

static inline uint32_t key_seq(heap_key_t k)
{
    return (uint32_t)((uint64_t)k >> 32);
}

static inline uint32_t seq_take(sched_t *s)
{
    if (s->next_seq == UINT32_MAX)
        sched_renumber(s);
    return s->next_seq++;
}

static void bucket_grow(bucket_t *bk)
{
    bk->cap = bk->cap ? bk->cap * 2 : 16;
    bk->keys = xrealloc(bk->keys, (size_t)bk->cap * sizeof *bk->keys);
}

static inline void mark(sched_t *s, unsigned b, bool nonempty)
{
    if (nonempty)
        s->nonempty[b / 64] |= 1ULL << (b % 64);
    else
        s->nonempty[b / 64] &= ~(1ULL << (b % 64));
}

/* Appends k to bucket b and tells its slot where it is. Bucket 0 is kept
 * in key order: callers append there only keys larger than those in it. */
static inline void bucket_add(sched_t *s, unsigned b, heap_key_t k)
{
    bucket_t *bk = &s->buckets[b];
    if (bk->len == bk->cap)
        bucket_grow(bk);
    slot_t *sl = &s->slots[key_slot(k)];
    sl->bucket = (uint8_t)b;
    sl->pos = bk->len;
    bk->keys[bk->len++] = k;
}

/* Takes the key at index i of bucket b out. Bucket 0 keeps its order (its
 * front is b0_head); the others let their last key fill the gap. */
static void bucket_take(sched_t *s, unsigned b, uint32_t i)
{
    bucket_t *bk = &s->buckets[b];
    if (b == 0) {
        if (i == s->b0_head) {
            s->b0_head++;
        } else {
            for (uint32_t j = i + 1; j < bk->len; j++) {
                bk->keys[j - 1] = bk->keys[j];
                s->slots[key_slot(bk->keys[j])].pos = j - 1;
            }
            bk->len--;
        }
        if (s->b0_head == bk->len) {
            s->b0_head = bk->len = 0;
            mark(s, 0, false);
        }
        return;
    }
    heap_key_t moved = bk->keys[--bk->len];
    if (i != bk->len) {
        bk->keys[i] = moved;
        s->slots[key_slot(moved)].pos = i;
    }
    if (bk->len == 0)
        mark(s, b, false);
}

static unsigned lowest_nonempty(const sched_t *s)
{
    for (unsigned w = 0; w < NBUCKET_WORDS; w++)
        if (s->nonempty[w])
            return w * 64 + (unsigned)__builtin_ctzll(s->nonempty[w]);
    return NBUCKETS;
}

/* Moves every key of bucket from (> 0) to where it belongs now. */
static void bucket_spread(sched_t *s, unsigned from)
{
    bucket_t *bk = &s->buckets[from];
    uint32_t n = bk->len;
    bk->len = 0;
    mark(s, from, false);
    const heap_key_t *keys = bk->keys;
    for (uint32_t i = 0; i < n; i++) {
        unsigned b = bucket_of(s, key_time_bits(keys[i]));
        bucket_add(s, b, keys[i]);
        mark(s, b, true);
    }
}

/* Sorts bucket 0 (filled by bucket_spread, front at 0) by key. */
static void bucket0_sort(sched_t *s)
{
    bucket_t *bk = &s->buckets[0];
    for (uint32_t i = 1; i < bk->len; i++) {
        heap_key_t k = bk->keys[i];
        uint32_t j = i;
        for (; j > 0 && bk->keys[j - 1] > k; j--) {
            bk->keys[j] = bk->keys[j - 1];
            s->slots[key_slot(bk->keys[j])].pos = j;
        }
        bk->keys[j] = k;
        s->slots[key_slot(k)].pos = j;
    }
}

/*
 * Lowers the base time to t. A key in a bucket below bucket_of(t) agrees
 * with the old base above that bit, so it now belongs in that bucket, which
 * held nothing (a key there would be earlier than the old base); the higher
 * buckets keep their keys.
 */
static void heap_rebase(sched_t *s, uint64_t t)
{
    unsigned d = bucket_of(s, t);
    for (unsigned b = 0; b < d; b++) {
        bucket_t *bk = &s->buckets[b];
        uint32_t from = b == 0 ? s->b0_head : 0;
        for (uint32_t i = from; i < bk->len; i++)
            bucket_add(s, d, bk->keys[i]);
        if (bk->len > from)
            mark(s, d, true);
        bk->len = 0;
        mark(s, b, false);
    }
    s->b0_head = 0;
    s->base_time = t;
}

static inline void heap_insert(sched_t *s, heap_key_t k)
{
    uint64_t t = key_time_bits(k);
    if (t < s->base_time)
        heap_rebase(s, t);
    unsigned b = bucket_of(s, t);
    bucket_add(s, b, k);
    mark(s, b, true);
    s->heap_len++;
}

static void heap_remove(sched_t *s, const slot_t *sl)
{
    bucket_take(s, sl->bucket, sl->pos);
    s->heap_len--;
}

/*
 * Brings the smallest key to the front of bucket 0 and returns it; false
 * when the heap is empty. The lowest non-empty bucket holds the earliest
 * times; its earliest becomes the base time, and every key of that bucket
 * then goes to a lower bucket, so a key only ever moves down, a few times in
 * its life. Keys that land in bucket 0 share one time and are sorted by
 * sequence (usually there is one).
 */
static void heap_open_lowest(sched_t *s)
{
    unsigned b = lowest_nonempty(s);
    const bucket_t *bk = &s->buckets[b];
    uint64_t m = key_time_bits(bk->keys[0]);
    for (uint32_t i = 1; i < bk->len; i++) {
        uint64_t t = key_time_bits(bk->keys[i]);
        m = t < m ? t : m;
    }
    s->base_time = m;
    bucket_spread(s, b);
    bucket0_sort(s);
}

/* Takes out the smallest key (at the front of bucket 0). */
static inline void heap_pop_min(sched_t *s)
{
    s->heap_len--;
    if (++s->b0_head == s->buckets[0].len) {
        s->b0_head = s->buckets[0].len = 0;
        mark(s, 0, false);
    }
}

/*
 * Puts the smallest live key in *out; false when there is none. A lazy
 * slot's key is stale: a disarmed event's key is dropped, a deferred one's
 * goes back in under the time and sequence number it was given. That time is
 * later than the stale key's (see sched_move), so it never lands in bucket
 * 0, which must stay in order.
 */
static inline bool heap_min(sched_t *s, heap_key_t *out)
{
    for (;;) {
        if (s->heap_len == 0)
            return false;
        if (!(s->nonempty[0] & 1u))
            heap_open_lowest(s);
        heap_key_t k = s->buckets[0].keys[s->b0_head];
        slot_t *sl = &s->slots[key_slot(k)];
        if (!sl->lazy) {
            *out = k;
            return true;
        }
        heap_pop_min(s);
        sl->lazy = false;
        if (sl->armed)
            heap_insert(s, key_build(sl->when, sl->seq, key_slot(k)));
        else
            sl->bucket = NOWHERE;
    }
}

static int key_cmp(const void *a, const void *b)
{
    heap_key_t x = *(const heap_key_t *)a, y = *(const heap_key_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Gives the pending keys sequence numbers 1..n in their order, and every
 * later key gets a larger number, so the order of all events, pending and to
 * come, stays what it was.
 */
static void sched_renumber(sched_t *s)
{
    heap_key_t *all = xmalloc((s->heap_len + 1) * sizeof *all);
    size_t n = 0;
    for (unsigned b = 0; b < NBUCKETS; b++) {
        for (uint32_t i = b == 0 ? s->b0_head : 0; i < s->buckets[b].len; i++) {
            heap_key_t k = s->buckets[b].keys[i];
            slot_t *sl = &s->slots[key_slot(k)];
            if (sl->lazy) {
                sl->lazy = false;
                if (!sl->armed) {
                    sl->bucket = NOWHERE;
                    continue;
                }
                k = key_build(sl->when, sl->seq, key_slot(k));
            }
            all[n++] = k;
        }
        s->buckets[b].len = 0;
    }
    memset(s->nonempty, 0, sizeof s->nonempty);
    s->b0_head = 0;
    qsort(all, n, sizeof *all, key_cmp);
    s->base_time = 0;
    s->heap_len = 0;
    for (size_t i = 0; i < n; i++)
        heap_insert(s, key_build(key_time(all[i]), (uint32_t)(i + 1), key_slot(all[i])));
    s->next_seq = (uint32_t)n + 1;
    free(all);
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
                s->slots[si].pos = n++;
            }
            s->fifo_head = 0;
            s->fifo_len = n;
        } else {
            if (s->fifo_cap >= UINT32_MAX / 4)
                panic("sched: too many events due now");
            s->fifo_cap = s->fifo_cap ? s->fifo_cap * 2 : 256;
            s->fifo = xrealloc(s->fifo, (size_t)s->fifo_cap * sizeof *s->fifo);
        }
    }
    s->slots[slot].bucket = IN_FIFO;
    s->slots[slot].pos = s->fifo_len;
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
static inline void place(sched_t *s, uint32_t slot, sim_time_t when)
{
    if (when <= s->now)
        fifo_push(s, slot);
    else
        heap_insert(s, key_build(when, seq_take(s), slot));
}

/* Takes a pending slot out of the heap or the FIFO; the slot stays the caller's. */
static void unplace(sched_t *s, slot_t *sl)
{
    if (sl->bucket == IN_FIFO) {
        s->fifo[sl->pos] = NO_SLOT;
        s->fifo_live--;
    } else if (sl->bucket != NOWHERE) {
        heap_remove(s, sl);
    }
    sl->bucket = NOWHERE;
    sl->lazy = false;
}

sched_id_t sched_at(sched_t *s, sim_time_t when, sched_fn fn, void *arg)
{
    if (!fn)
        panic("sched_at: NULL callback");
    uint32_t si = slot_alloc(s);
    slot_t *sl = &s->slots[si];
    sl->fn = fn;
    sl->arg = arg;
    sl->armed = true;
    sl->lazy = false;
    s->live++;
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
    if (sl->armed)
        s->live--;
    unplace(s, sl);
    slot_release(s, (uint32_t)(id & 0xffffffffu));
}

void sched_disarm(sched_t *s, sched_id_t id)
{
    slot_t *sl = slot_of(s, id);
    if (!sl || !sl->armed)
        return;
    sl->armed = false;
    s->live--;
    if (sl->bucket == IN_FIFO)
        unplace(s, sl);
    else if (sl->bucket != NOWHERE)
        sl->lazy = true; /* its key is dropped when it comes up */
}

/*
 * A move to a time later than the key the event has in the heap leaves the
 * key where it is: the slot keeps the new time and a sequence number taken
 * now, the key goes back in under them when it comes up (heap_min). A timer
 * stopped and set again, or pushed back, then costs no heap work until its
 * old time comes.
 */
bool sched_move(sched_t *s, sched_id_t id, sim_time_t when)
{
    slot_t *sl = slot_of(s, id);
    if (!sl)
        return false;
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    if (s->next_seq == UINT32_MAX)
        sched_renumber(s); /* first: it gives stale keys their due place */
    if (!sl->armed) {
        sl->armed = true;
        s->live++;
    }
    if (sl->bucket < NBUCKETS && when > s->now &&
        key_time(s->buckets[sl->bucket].keys[sl->pos]) < when) {
        sl->when = when;
        sl->seq = s->next_seq++;
        sl->lazy = true;
        return true;
    }
    unplace(s, sl);
    place(s, si, when);
    return true;
}

bool sched_is_pending(const sched_t *s, sched_id_t id)
{
    const slot_t *sl = slot_of(s, id);
    return sl && sl->armed;
}

/* --- running ------------------------------------------------------------------ */

/* Takes the next event out if it is due by t (or there is no limit); its
 * slot is the caller's to release. NO_SLOT when there is none. */
static inline uint32_t take_due(sched_t *s, sim_time_t t, bool limit)
{
    bool fifo = fifo_settle(s);
    heap_key_t top;
    if (heap_min(s, &top) && (!fifo || key_time(top) <= s->now)) {
        if (limit && key_time(top) > t)
            return NO_SLOT;
        heap_pop_min(s);
        s->now = key_time(top);
        return key_slot(top);
    }
    if (!fifo || (limit && s->now > t))
        return NO_SLOT;
    uint32_t si = s->fifo[s->fifo_head++];
    s->fifo_live--;
    return si;
}

static inline void run_slot(sched_t *s, uint32_t si)
{
    sched_fn fn = s->slots[si].fn;
    void *arg = s->slots[si].arg;
    slot_release(s, si);
    s->live--;
    s->events_run++;
    fn(arg);
}

bool sched_step(sched_t *s)
{
    uint32_t si = take_due(s, SIM_TIME_NEVER, false);
    if (si == NO_SLOT)
        return false;
    run_slot(s, si);
    return true;
}

sim_time_t sched_next_time(sched_t *s)
{
    if (fifo_settle(s))
        return s->now;
    heap_key_t top;
    return heap_min(s, &top) ? key_time(top) : SIM_TIME_NEVER;
}

uint64_t sched_run_until(sched_t *s, sim_time_t t)
{
    uint64_t ran = 0;
    s->stop = false;
    while (!s->stop) {
        uint32_t si = take_due(s, t, true);
        if (si == NO_SLOT)
            break;
        run_slot(s, si);
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
    while (!s->stop) {
        uint32_t si = take_due(s, SIM_TIME_NEVER, false);
        if (si == NO_SLOT)
            break;
        run_slot(s, si);
        ran++;
    }
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

void sched_set_next_seq(sched_t *s, uint32_t seq)
{
    if (seq <= s->next_seq)
        return;
    s->next_seq = seq;
}
