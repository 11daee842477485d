/*
 * store_body: the bytes of messages, shared by reference count. A server
 * keeps every message it took, so bodies come by the ten thousand: each one
 * its own malloc made the process fault in fresh pages message after message.
 * Bodies up to BODY_BIG octets are instead cut one after another from 2 MB
 * blocks (core/bigblock.h: one fault maps a whole block). A block counts its live bodies and
 * goes back when the count falls to zero; the block being cut from is kept
 * and cut again from its start. Bodies past BODY_BIG are malloc'd, so that
 * one big message cannot hold a block alone.
 *
 * Bodies of messages that only pass through (queued for another server, so
 * gone within seconds) are cut from blocks of their own: among bodies that
 * stay in mailboxes they would leave holes, and hold blocks that are mostly
 * empty.
 *
 * The simulator runs on one thread: the two blocks being cut from are statics.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bigblock.h"
#include "core/util.h"
#include "mail/store.h"
#include "mail/store_private.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define BODY_ASAN 1
#define BODY_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define BODY_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define BODY_POISON(p, n) ((void)(p), (void)(n))
#define BODY_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Where a body lives (store_body.in_block). */
enum { BODY_MALLOC = 0, BODY_IN_BLOCK = 1 };

/* Each body starts at a multiple of this, so its header is aligned. */
#define BODY_ALIGN 16

/* At the start of each block. */
typedef struct body_block {
    size_t used; /* octets handed out from the block's start, this header included */
    size_t live; /* bodies in it not yet freed */
} body_block_t;

#define BLOCK_HEAD ((sizeof(body_block_t) + BODY_ALIGN - 1) & ~(size_t)(BODY_ALIGN - 1))

/* The blocks bodies are cut from, one per store_body_life_t; NULL before the first. */
static body_block_t *current[2];
static store_body_stats_t stats;

static size_t round_up(size_t n)
{
    return (n + BODY_ALIGN - 1) & ~(size_t)(BODY_ALIGN - 1);
}

static body_block_t *block_of(const store_body_t *b)
{
    return (body_block_t *)((uintptr_t)b & ~(uintptr_t)(STORE_BODY_BLOCK - 1));
}

/* A fresh 2 MB-aligned block, or NULL when the system has none. */
static body_block_t *block_map(void)
{
    body_block_t *blk = bigblock_alloc();
    if (!blk)
        return NULL;
    blk->used = BLOCK_HEAD;
    blk->live = 0;
    BODY_POISON((uint8_t *)blk + BLOCK_HEAD, STORE_BODY_BLOCK - BLOCK_HEAD);
    stats.blocks++;
    return blk;
}

static void block_unmap(body_block_t *blk)
{
    stats.blocks--;
    BODY_UNPOISON(blk, STORE_BODY_BLOCK);
    bigblock_free(blk);
}

/* n octets (a multiple of BODY_ALIGN) from the current block for life, or NULL when no
 * block can be had. */
static void *block_cut(size_t n, store_body_life_t life)
{
    body_block_t **cur = &current[life == STORE_BODY_PASSES];
    if (*cur && (*cur)->used + n > STORE_BODY_BLOCK) {
        /* Full: cut again from its start if its bodies are all gone; if not, it
         * goes back when its last body does. */
        if ((*cur)->live == 0)
            (*cur)->used = BLOCK_HEAD;
        else
            *cur = NULL;
    }
    if (!*cur && !(*cur = block_map()))
        return NULL;
    uint8_t *p = (uint8_t *)*cur + (*cur)->used;
    (*cur)->used += n;
    (*cur)->live++;
    return p;
}

const char *store_body_label(const store_body_t *b)
{
    return b->has_label ? store_body_bytes(b) + b->size + 1 : NULL;
}

/* A body of total octets, its header included: cut from a block, or malloc'd. */
static store_body_t *body_alloc(size_t total, store_body_life_t life)
{
    store_body_t *b;
    if (total <= STORE_BODY_BIG && (b = block_cut(round_up(total), life)) != NULL) {
        BODY_UNPOISON(b, total);
        b->in_block = BODY_IN_BLOCK;
        stats.in_blocks++;
    } else {
        b = xmalloc(total);
        b->in_block = BODY_MALLOC;
        stats.big++;
    }
    b->refs = 1;
    b->skip = 0;
    return b;
}

/* Sets the size, the NUL after the bytes and the label (label_len counts its NUL). */
static void body_seal(store_body_t *b, size_t size, const char *label, size_t label_len)
{
    char *d = store_body_bytes(b);
    b->has_label = label != NULL;
    b->size = size;
    d[size] = '\0';
    if (label)
        memcpy(d + size + 1, label, label_len);
}

store_body_t *store_body_new(size_t size, const char *label, uint8_t **data)
{
    size_t label_len = label ? strlen(label) + 1 : 0;
    store_body_t *b = body_alloc(sizeof *b + size + 1 + label_len, STORE_BODY_STAYS);
    body_seal(b, size, label, label_len);
    *data = (uint8_t *)b->data;
    return b;
}

/* Octets from the body's start to its label's NUL (or its own NUL): what it was given. */
static size_t body_extent(const store_body_t *b)
{
    const char *label = store_body_label(b);
    return sizeof *b + b->skip + b->size + 1 + (label ? strlen(label) + 1 : 0);
}

store_body_t *store_body_reserve(size_t head_room, size_t room, store_body_life_t life,
                                uint8_t **data)
{
    if (head_room > UINT16_MAX)
        head_room = UINT16_MAX;
    if (room == 0)
        room = 1;
    store_body_t *b = body_alloc(sizeof *b + head_room + room, life);
    /* Until it is finished: a body of room - 1 octets and its NUL, after the head room. */
    b->skip = (uint16_t)head_room;
    b->size = room - 1;
    b->has_label = false;
    *data = (uint8_t *)store_body_bytes(b);
    return b;
}

bool store_body_finish(store_body_t *r, size_t head_len, size_t size, const char *label,
                       uint8_t **head)
{
    size_t label_len = label ? strlen(label) + 1 : 0;
    if (head_len > r->skip || size > r->size || r->size - size < label_len)
        return false;
    size_t was = round_up(body_extent(r));
    r->skip = (uint16_t)(r->skip - head_len);
    body_seal(r, head_len + size, label, label_len);
    size_t now = sizeof *r + r->skip + r->size + 1 + label_len;
    BODY_POISON(r->data, r->skip);
    BODY_POISON((uint8_t *)r + now, was - now);
    if (r->in_block == BODY_IN_BLOCK) {
        /* The room it did not use goes back if nothing was cut after it. */
        body_block_t *blk = block_of(r);
        if ((uint8_t *)blk + blk->used == (uint8_t *)r + was)
            blk->used -= was - round_up(now);
    }
    *head = (uint8_t *)store_body_bytes(r);
    return true;
}

static void body_free(store_body_t *b)
{
    if (b->in_block == BODY_MALLOC) {
        stats.big--;
        free(b);
        return;
    }
    stats.in_blocks--;
    body_block_t *blk = block_of(b);
#if defined(BODY_ASAN)
    BODY_POISON(b, round_up(body_extent(b)));
#endif
    if (--blk->live > 0)
        return;
    if (blk == current[0] || blk == current[1]) {
        /* Empty, and the one being cut from: cut again from its start. */
        blk->used = BLOCK_HEAD;
        return;
    }
    block_unmap(blk);
}

void store_body_unref(store_body_t *b)
{
    if (b && --b->refs == 0)
        body_free(b);
}

store_body_t *store_body_ref(store_body_t *b)
{
    b->refs++;
    return b;
}

const uint8_t *store_body_data(const store_body_t *b)
{
    return (const uint8_t *)store_body_bytes(b);
}

size_t store_body_size(const store_body_t *b)
{
    return b->size;
}

void store_body_stats(store_body_stats_t *out)
{
    *out = stats;
}
