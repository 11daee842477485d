/*
 * namemap: a hash table from names to numbers, where names compare without
 * regard to ASCII case, as host names and domains do (RFC 1035 2.3.3; the
 * scenario format says the same of every name). The network's hosts, the
 * world's servers and the DNS zone find a name here in constant time, so a
 * world of many thousands of hosts is built in time linear in their number.
 *
 * The table keeps the caller's key pointer, not a copy: a key must stay
 * readable, unchanged, for as long as its entry is in the table.
 */
#ifndef MAILSIM_CORE_NAMEMAP_H
#define MAILSIM_CORE_NAMEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct namemap_slot {
    const char *key; /* NULL: the slot is empty */
    size_t len;
    uint64_t hash;
    size_t value;
} namemap_slot_t;

typedef struct namemap {
    namemap_slot_t *slots; /* cap of them; cap is 0 or a power of two */
    size_t cap, count;
} namemap_t;

#define NAMEMAP_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* The hash of key[0..len) with ASCII letters folded to lower case: names
 * equal but for their case hash alike. */
uint64_t namemap_hash(const char *key, size_t len);
/* The value of key[0..len) (any case), in *value; false when it is not there. */
bool namemap_get(const namemap_t *m, const char *key, size_t len, size_t *value);
/* Sets key[0..len)'s value, adding the key or replacing the value of the same
 * name in any case (the key kept is then the new one). */
void namemap_put(namemap_t *m, const char *key, size_t len, size_t value);
/* Takes key[0..len) (any case) out; false when it was not there. */
bool namemap_remove(namemap_t *m, const char *key, size_t len);
/* Every value above gap goes down one: the caller's array closed the gap
 * its entry gap left. A walk over the whole table (for rare removals). */
void namemap_close_gap(namemap_t *m, size_t gap);
/* Empties the table and frees its memory; it is usable again. */
void namemap_free(namemap_t *m);

#endif
