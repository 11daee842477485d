/*
 * shared: the counted reference at the head of a block of bytes that many
 * holders read and nobody changes, so that a layer below the one that made
 * the block (TCP, for a message's text) can keep it alive without knowing
 * what it is.
 *
 * The maker embeds a shared_t, sets refs to 1 (its own reference) and
 * drop to the function that frees the whole block; every other holder calls
 * shared_hold once and shared_release once. Single-threaded, as the
 * simulation is.
 */
#ifndef MAILSIM_CORE_SHARED_H
#define MAILSIM_CORE_SHARED_H

#include <stddef.h>

typedef struct shared {
    size_t refs;                      /* holders; the block goes when the last lets go */
    void (*drop)(struct shared *self); /* frees the block that holds self */
} shared_t;

static inline shared_t *shared_hold(shared_t *s)
{
    s->refs++;
    return s;
}

/* Lets go of one reference (NULL: nothing); the last calls drop. */
static inline void shared_release(shared_t *s)
{
    if (s && --s->refs == 0)
        s->drop(s);
}

#endif
