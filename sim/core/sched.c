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
 */
#include "core/sched.h"

#include <stdlib.h>
#include <string.h>

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
    uint32_t next;       /* the next in its ring bucket, or the next free slot */
    uint32_t pos;        /* index in its heap bucket */
    uint8_t where;       /* heap bucket, IN_RING or NOWHERE */
    bool armed;          /* false once disarmed */
    bool lazy;           /* its heap key is stale: see heap_front */
} slot_t;

typedef struct bucket {
    heap_key_t *keys; /* in no order */
    uint32_t len, cap;
} bucket_t;

#define NO_SLOT UINT32_MAX
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
    uint64_t events_run;
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
};

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

static slot_t *slot_of(const sched_t *s, sched_id_t id)
{
    uint32_t si = (uint32_t)(id & 0xffffffffu);
    uint32_t gen = (uint32_t)(id >> 32);
    if (id == 0 || si >= s->slots_len || s->slots[si].gen != gen || !s->slots[si].fn)
        return NULL;
    return &s->slots[si];
}

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

/* --- placing ------------------------------------------------------------------ */

/* Files slot si, whose when and seq are set, in the ring or the heap. An
 * older sequence number (a deferred key, renumbering) needs sorted. */
static inline void heap_file(sched_t *s, uint32_t si)
{
    const slot_t *sl = &s->slots[si];
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
    file_slot(s, si, false);
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
    heap_key_t *all = xmalloc((s->heap_len + s->ring_len + 1) * sizeof *all);
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
    qsort(all, n, sizeof *all, key_cmp);
    for (size_t i = 0; i < n; i++) {
        uint32_t si = key_slot(all[i]);
        s->slots[si].seq = (uint32_t)(i + 1);
        file_slot(s, si, false);
    }
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
    sl->armed = true;
    sl->lazy = false;
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
    if (sl->where < NBUCKETS && when > s->now &&
        key_time(s->buckets[sl->where].keys[sl->pos]) < when) {
        sl->when = when;
        sl->seq = s->next_seq++;
        sl->lazy = true;
        return true;
    }
    unplace(s, si);
    place(s, si, when);
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

/* Takes the next event out if it is due by t; its slot is the caller's to
 * release. NO_SLOT when there is none. */
static inline __attribute__((always_inline)) uint32_t take_due(sched_t *s, sim_time_t t)
{
    uint32_t si, b;
    sim_time_t when = front(s, &si, &b);
    if (si == NO_SLOT || when > t)
        return NO_SLOT;
    if (b != NO_SLOT)
        ring_pop(s, b);
    else
        heap_pop_min(s);
    s->now = when;
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
    if (!s->stop && t > s->now)
        s->now = t;
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
