/*
 * namemap: open addressing with linear probing, at most half full, and
 * deletion by shifting the rest of a run back (no tombstones), so a table
 * that names come and go in never fills with dead slots.
 */
#include "core/namemap.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* w with each octet 'A'..'Z' made lower case (bit 5 set), eight at a time. */
static inline uint64_t fold8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x80 * ones;
    uint64_t low7 = w & ~high;                /* no carry from one octet to the next below */
    uint64_t at_least_a = low7 + 0x3f * ones; /* high bit: octet >= 'A' */
    uint64_t past_z = low7 + 0x25 * ones;     /* high bit: octet > 'Z' */
    uint64_t upper = at_least_a & ~past_z & ~w & high;
    return w | (upper >> 2);
}

/* Eight octets at a time, folded, multiplied in; the length last. */
uint64_t namemap_hash(const char *key, size_t len)
{
    uint64_t h = 0x243f6a8885a308d3ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ fold8(w)) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, key + i, len - i);
        h = (h ^ fold8(w)) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    h = (h ^ len) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
}

/* The same spelling is the usual case: a plain comparison first. */
static bool same_name(const namemap_slot_t *s, uint64_t hash, const char *key, size_t len)
{
    return s->hash == hash && s->len == len &&
           (memcmp(s->key, key, len) == 0 || str_ncasecmp(s->key, key, len) == 0);
}

/* The slot holding the name, or the empty slot where it would go. */
static size_t find_slot(const namemap_t *m, uint64_t hash, const char *key, size_t len)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash & mask;
    while (m->slots[i].key && !same_name(&m->slots[i], hash, key, len))
        i = (i + 1) & mask;
    return i;
}

static void grow(namemap_t *m)
{
    namemap_slot_t *old = m->slots;
    size_t old_cap = m->cap;
    m->cap = old_cap ? 2 * old_cap : 16;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    size_t mask = m->cap - 1;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].key)
            continue;
        size_t j = (size_t)old[i].hash & mask;
        while (m->slots[j].key)
            j = (j + 1) & mask;
        m->slots[j] = old[i];
    }
    free(old);
}

bool namemap_get(const namemap_t *m, const char *key, size_t len, size_t *value)
{
    if (m->count == 0)
        return false;
    size_t i = find_slot(m, namemap_hash(key, len), key, len);
    if (!m->slots[i].key)
        return false;
    *value = m->slots[i].value;
    return true;
}

void namemap_put(namemap_t *m, const char *key, size_t len, size_t value)
{
    if (2 * (m->count + 1) > m->cap)
        grow(m);
    uint64_t hash = namemap_hash(key, len);
    size_t i = find_slot(m, hash, key, len);
    if (!m->slots[i].key)
        m->count++;
    m->slots[i] = (namemap_slot_t){key, len, hash, value};
}

bool namemap_remove(namemap_t *m, const char *key, size_t len)
{
    if (m->count == 0)
        return false;
    size_t mask = m->cap - 1;
    size_t hole = find_slot(m, namemap_hash(key, len), key, len);
    if (!m->slots[hole].key)
        return false;
    m->count--;
    /* Move back every later entry of the run that may stand in the hole: one
     * whose home is not cyclically within (hole, j]. */
    for (size_t j = (hole + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = (size_t)m->slots[j].hash & mask;
        bool home_after_hole = ((j - home) & mask) < ((j - hole) & mask);
        if (!home_after_hole) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].key = NULL;
    return true;
}

void namemap_close_gap(namemap_t *m, size_t gap)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].value > gap)
            m->slots[i].value--;
}

void namemap_free(namemap_t *m)
{
    free(m->slots);
    *m = (namemap_t)NAMEMAP_INIT;
}
