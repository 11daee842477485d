/*
 * fnmap: a handful of function-to-function pairs, looked up by the first
 * (the scheduler's warm for an event callback, the net's for an on_data
 * callback). Functions are kept as fnmap_fn, the type C lets any function
 * pointer be converted to and back; the caller converts the value back to
 * its own type before calling it.
 */
#ifndef MAILSIM_CORE_FNMAP_H
#define MAILSIM_CORE_FNMAP_H

#include <stdbool.h>

typedef void (*fnmap_fn)(void);

#define FNMAP_MAX 4

typedef struct fnmap {
    unsigned n;
    fnmap_fn key[FNMAP_MAX];
    fnmap_fn value[FNMAP_MAX];
} fnmap_t;

/* Sets key's value (NULL removes the pair). False, and nothing changes,
 * when key is NULL, or when the map is full and key not in it. */
static inline bool fnmap_set(fnmap_t *m, fnmap_fn key, fnmap_fn value)
{
    if (!key)
        return false;
    unsigned i = 0;
    while (i < m->n && m->key[i] != key)
        i++;
    if (!value) {
        if (i < m->n) {
            m->n--;
            m->key[i] = m->key[m->n];
            m->value[i] = m->value[m->n];
        }
        return true;
    }
    if (i == m->n) {
        if (i == FNMAP_MAX)
            return false;
        m->n++;
        m->key[i] = key;
    }
    m->value[i] = value;
    return true;
}

/* 1 + key's index in the map, or 0 when it is not there: a place a caller
 * can keep while the map stays as it is (value[index - 1]). */
static inline unsigned fnmap_find(const fnmap_t *m, fnmap_fn key)
{
    for (unsigned i = 0; i < m->n; i++) {
        if (m->key[i] == key)
            return i + 1;
    }
    return 0;
}

/* key's value, or NULL. */
static inline fnmap_fn fnmap_get(const fnmap_t *m, fnmap_fn key)
{
    unsigned i = fnmap_find(m, key);
    return i ? m->value[i - 1] : NULL;
}

#endif
