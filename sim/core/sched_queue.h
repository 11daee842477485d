/*
 * sched_queue: the two places a pending event lives, the ring of near times
 * and the radix heap of later ones, and the scheduler struct they share.
 * Internal to sched.c, which includes it once: everything here is static
 * inline so the hot paths stay in one translation unit. See sched.c's
 * opening comment for how the two work together.
 */
#ifndef MAILSIM_CORE_SCHED_QUEUE_H
#define MAILSIM_CORE_SCHED_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnmap.h"
#include "core/sched.h"
#include "core/util.h"

__extension__ typedef unsigned __int128 heap_key_t;

/* Off the common path (the ring), kept out of its callers' code. */
#define COLD __attribute__((noinline))

typedef struct slot {
    sched_fn fn; /* NULL while the slot is free */
    void *arg;
    sim_time_t when; /* the time it is due (the key in the heap may be older) */
    uint32_t gen;
    uint32_t seq;        /* its sequence number (ditto) */
    union {              /* a slot is in the ring, in the heap, or free */
        uint32_t next;   /* the next in its ring bucket, or the next free slot */
        uint32_t pos;    /* index in its heap bucket */
    };
    /* In the heap: when less the time in its key (a key left where it was
     * by sched_move), or LAG_UNKNOWN; sched_move need not read the key. */
    uint32_t key_lag;
    uint8_t where;       /* heap bucket, IN_RING or NOWHERE */
    bool armed;          /* false once disarmed */
    bool lazy;           /* its heap key is stale: see heap_front */
    bool held;           /* sched_hold's, not yet armed: when and seq are its place */
    uint8_t warm;        /* 1 + the index of fn's warm in the scheduler's map, or 0 */
} slot_t;

typedef struct bucket {
    heap_key_t *keys; /* in no order */
    uint32_t len, cap;
} bucket_t;

#define NO_SLOT UINT32_MAX
#define LAG_UNKNOWN UINT32_MAX
#define NBUCKETS 65u /* bucket_of: 0..64 */
#define NBUCKET_WORDS 2u
#define IN_RING 255u
#define NOWHERE 254u

#define RING_BITS 14u
#define RING (1u << RING_BITS) /* 16.4 ms: beyond the usual path latency */
#define RING_MASK (RING - 1u)
#define RING_WORDS (RING / 64u)
#define RING_SUMS (RING_WORDS / 64u)

struct sched {
    sim_time_t now; /* first: sched_now reads it */
    uint32_t next_seq;
    uint32_t cur_seq; /* places (now, seq <= cur_seq) have gone by: see sched_arm_held */
    uint64_t events_run;
    uint64_t warm_calls; /* sched_warm_calls */
    uint64_t held_armed; /* held events armed at their place */
    size_t live; /* armed events */
    /* The ring: first slot of each bucket (NO_SLOT when empty), a bit per
     * non-empty bucket, a bit per non-zero word of those. */
    size_t ring_len;
    uint32_t *ring_head, *ring_tail;
    uint64_t ring_bits[RING_WORDS];
    uint64_t ring_sum[RING_SUMS];
    /* Bucket b holds the keys whose time differs from base_time in exactly
     * the b low bits; base_time is at most every key's time. */
    bucket_t buckets[NBUCKETS];
    uint64_t nonempty[NBUCKET_WORDS];
    uint64_t base_time;
    uint32_t b0_head; /* bucket 0 starts here */
    size_t heap_len;  /* keys in the heap, stale ones included */
    slot_t *slots;
    uint32_t slots_len, slots_cap;
    uint32_t free_head;
    bool stop;
    fnmap_t warms; /* sched_set_warm's: event callback to its warm */
};


/* --- the ring ----------------------------------------------------------------- */

static inline void ring_mark(sched_t *s, uint32_t b)
{
    s->ring_bits[b / 64] |= 1ULL << (b % 64);
    s->ring_sum[b / 4096] |= 1ULL << (b / 64 % 64);
}

static inline void ring_unmark(sched_t *s, uint32_t b)
{
    if ((s->ring_bits[b / 64] &= ~(1ULL << (b % 64))) == 0)
        s->ring_sum[b / 4096] &= ~(1ULL << (b / 64 % 64));
}

/* Links slot si (when and seq set) into its bucket after slot p, or first
 * when p is NO_SLOT. */
static inline void ring_link(sched_t *s, uint32_t si, uint32_t p)
{
    slot_t *sl = &s->slots[si];
    uint32_t b = (uint32_t)sl->when & RING_MASK;
    sl->where = IN_RING;
    s->ring_len++;
    if (p == NO_SLOT) {
        sl->next = s->ring_head[b];
        s->ring_head[b] = si;
    } else {
        sl->next = s->slots[p].next;
        s->slots[p].next = si;
    }
    if (sl->next == NO_SLOT) {
        if (s->ring_tail[b] == NO_SLOT)
            ring_mark(s, b);
        s->ring_tail[b] = si;
    }
}

/* Adds slot si at the end of its bucket: its sequence number is the newest. */
static inline void ring_append(sched_t *s, uint32_t si)
{
    slot_t *sl = &s->slots[si];
    uint32_t b = (uint32_t)sl->when & RING_MASK;
    uint32_t t = s->ring_tail[b];
    sl->where = IN_RING;
    sl->next = NO_SLOT;
    s->ring_len++;
    s->ring_tail[b] = si;
    if (t == NO_SLOT) {
        s->ring_head[b] = si;
        ring_mark(s, b);
    } else {
        s->slots[t].next = si;
    }
}

/* Adds slot si where its (older) sequence number puts it. */
COLD static void ring_insert_sorted(sched_t *s, uint32_t si)
{
    uint32_t seq = s->slots[si].seq;
    uint32_t p = NO_SLOT;
    uint32_t i = s->ring_head[(uint32_t)s->slots[si].when & RING_MASK];
    while (i != NO_SLOT && s->slots[i].seq < seq) {
        p = i;
        i = s->slots[i].next;
    }
    ring_link(s, si, p);
}

/* Takes the first slot of bucket b out. */
static inline void ring_pop(sched_t *s, uint32_t b)
{
    uint32_t next = s->slots[s->ring_head[b]].next;
    s->ring_len--;
    s->ring_head[b] = next;
    if (next == NO_SLOT) {
        s->ring_tail[b] = NO_SLOT;
        ring_unmark(s, b);
    }
}

/* Takes slot si out of its bucket: a walk from the front, as a bucket holds
 * the events of one microsecond and is short but for lock-step workloads. */
COLD static void ring_unlink(sched_t *s, uint32_t si)
{
    uint32_t b = (uint32_t)s->slots[si].when & RING_MASK;
    uint32_t i = s->ring_head[b];
    if (i == si) {
        ring_pop(s, b);
        return;
    }
    while (s->slots[i].next != si)
        i = s->slots[i].next;
    s->slots[i].next = s->slots[si].next;
    if (s->ring_tail[b] == si)
        s->ring_tail[b] = i;
    s->ring_len--;
}

/* The first non-zero word of ring_bits at or after word w, or RING_WORDS. */
static inline uint32_t ring_word_from(const sched_t *s, uint32_t w)
{
    if (w >= RING_WORDS)
        return RING_WORDS;
    uint32_t j = w / 64;
    uint64_t m = s->ring_sum[j] & (~0ULL << (w % 64));
    while (!m) {
        if (++j == RING_SUMS)
            return RING_WORDS;
        m = s->ring_sum[j];
    }
    return j * 64 + (uint32_t)__builtin_ctzll(m);
}

/* The bucket first due in the ring, or NO_SLOT. Buckets from now's onward
 * (around the ring) are in time order. */
static inline uint32_t ring_front(const sched_t *s)
{
    if (s->ring_len == 0)
        return NO_SLOT;
    uint32_t i = (uint32_t)s->now & RING_MASK;
    uint32_t w = i / 64;
    uint64_t m = s->ring_bits[w] & (~0ULL << (i % 64));
    if (!m) {
        w = ring_word_from(s, w + 1);
        if (w == RING_WORDS)
            w = ring_word_from(s, 0);
        m = s->ring_bits[w];
    }
    return w * 64 + (uint32_t)__builtin_ctzll(m);
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
    sl->where = (uint8_t)b;
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
    /* Every key lands below bucket from, so in the first word of marks. */
    uint64_t marks = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned b = bucket_of(s, key_time_bits(keys[i]));
        bucket_add(s, b, keys[i]);
        marks |= 1ULL << b;
    }
    s->nonempty[0] |= marks;
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
COLD static void heap_rebase(sched_t *s, uint64_t t)
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
    bucket_take(s, sl->where, sl->pos);
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
COLD static void heap_open_lowest(sched_t *s)
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

static int key_cmp(const void *a, const void *b)
{
    heap_key_t x = *(const heap_key_t *)a, y = *(const heap_key_t *)b;
    return x < y ? -1 : x > y;
}


#endif
