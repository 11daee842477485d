/* The name map: names in any case find their value, through growth and removals. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/namemap.h"
#include "core/util.h"

START_TEST(test_any_case)
{
    namemap_t m = NAMEMAP_INIT;
    size_t v = 99;
    ck_assert(!namemap_get(&m, "mail.alice.example", 18, &v));
    namemap_put(&m, "mail.alice.example", 18, 7);
    ck_assert(namemap_get(&m, "MAIL.Alice.Example", 18, &v));
    ck_assert_uint_eq(v, 7);
    /* only the length given is the key: "mail.alice" is another name */
    ck_assert(!namemap_get(&m, "mail.alice.example", 10, &v));
    ck_assert(namemap_get(&m, "mail.alice.example.", 18, &v));
    /* the same name in another case replaces the value, not adds a name */
    namemap_put(&m, "Mail.Alice.Example", 18, 8);
    ck_assert_uint_eq(m.count, 1);
    ck_assert(namemap_get(&m, "mail.alice.example", 18, &v));
    ck_assert_uint_eq(v, 8);
    /* only ASCII letters fold: not the octets beside 'A' and 'Z', nor non-ASCII ones */
    namemap_put(&m, "\xce\xb1", 2, 1);              /* α */
    ck_assert(!namemap_get(&m, "\xce\x91", 2, &v)); /* Α */
    namemap_put(&m, "a@z[", 4, 2);
    ck_assert(namemap_get(&m, "A@Z[", 4, &v));
    ck_assert(!namemap_get(&m, "A`Z[", 4, &v));
    ck_assert(!namemap_get(&m, "A@Z{", 4, &v));
    ck_assert(namemap_remove(&m, "a@z[", 4));
    ck_assert(namemap_remove(&m, "MAIL.ALICE.EXAMPLE", 18));
    ck_assert(!namemap_remove(&m, "mail.alice.example", 18));
    ck_assert(!namemap_get(&m, "mail.alice.example", 18, &v));
    ck_assert_uint_eq(m.count, 1);
    namemap_free(&m);
    ck_assert_ptr_null(m.slots);
    ck_assert(!namemap_get(&m, "x", 1, &v));
    ck_assert(!namemap_remove(&m, "x", 1));
}
END_TEST

/*
 * Random puts and removals of 3,000 names against a plain array: every name
 * finds what the array says, after every step of a run that grows the table
 * several times and empties runs of it (where removal must move entries back).
 */
START_TEST(test_against_array)
{
    enum { NAMES = 3000, STEPS = 60000 };
    static char names[NAMES][24];
    static bool in[NAMES];
    static size_t val[NAMES];
    for (size_t i = 0; i < NAMES; i++) {
        snprintf(names[i], sizeof names[i], "Host%zu.Example", i);
        in[i] = false;
    }
    namemap_t m = NAMEMAP_INIT;
    uint64_t r = 0x9e3779b97f4a7c15ull;
    size_t count = 0;
    for (size_t step = 0; step < STEPS; step++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        /* a narrow band of names at first, all of them later */
        size_t band = step < STEPS / 2 ? NAMES / 10 : NAMES;
        size_t i = (size_t)(r % band);
        size_t len = strlen(names[i]);
        if ((r >> 32) % 3 == 0) {
            ck_assert_int_eq(namemap_remove(&m, names[i], len), in[i]);
            count -= in[i];
            in[i] = false;
        } else {
            namemap_put(&m, names[i], len, step);
            count += !in[i];
            in[i] = true;
            val[i] = step;
        }
        ck_assert_uint_eq(m.count, count);
        if (step % 997 == 0 || step == STEPS - 1) {
            for (size_t k = 0; k < NAMES; k++) {
                char upper[24];
                size_t n = strlen(names[k]);
                for (size_t c = 0; c <= n; c++)
                    upper[c] = (names[k][c] >= 'a' && names[k][c] <= 'z')
                                   ? (char)(names[k][c] - 'a' + 'A')
                                   : names[k][c];
                size_t v = SIZE_MAX;
                bool found = namemap_get(&m, upper, n, &v);
                ck_assert_msg(found == in[k], "step %zu: %s found %d, want %d", step, upper, found,
                              in[k]);
                if (found)
                    ck_assert_uint_eq(v, val[k]);
            }
        }
    }
    namemap_free(&m);
}
END_TEST

/* Names equal but for the case of one letter hash alike, at every length and place
 * (the hash reads eight octets at a time); other octets there change it. */
START_TEST(test_hash_folds)
{
    char a[40], b[40];
    for (size_t len = 1; len < sizeof a; len++) {
        for (size_t i = 0; i < len; i++)
            a[i] = (char)('a' + (i * 7) % 26);
        for (size_t at = 0; at < len; at++) {
            memcpy(b, a, len);
            b[at] = (char)(a[at] - 'a' + 'A');
            ck_assert_msg(namemap_hash(a, len) == namemap_hash(b, len), "len %zu at %zu", len, at);
            b[at] = (char)(a[at] ^ 0x80);
            ck_assert_msg(namemap_hash(a, len) != namemap_hash(b, len), "len %zu at %zu", len, at);
        }
        ck_assert(namemap_hash(a, len) != namemap_hash(a, len - 1));
    }
}
END_TEST

/* Names that share a slot: removing the first leaves the others found. */
START_TEST(test_collisions)
{
    namemap_t m = NAMEMAP_INIT;
    namemap_put(&m, "seed", 4, 0); /* the table has 16 slots now */
    char keys[40][8];
    size_t nkeys = 0;
    uint64_t home = namemap_hash("seed", 4) & 15;
    for (unsigned i = 0; nkeys < 6 && i < 100000; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%u", i);
        if ((namemap_hash(k, strlen(k)) & 15) == home)
            memcpy(keys[nkeys++], k, sizeof k);
    }
    ck_assert_uint_eq(nkeys, 6);
    for (size_t i = 0; i < nkeys; i++)
        namemap_put(&m, keys[i], strlen(keys[i]), i + 1);
    ck_assert_uint_eq(m.cap, 16);
    ck_assert(namemap_remove(&m, "seed", 4));
    ck_assert(namemap_remove(&m, keys[2], strlen(keys[2])));
    for (size_t i = 0; i < nkeys; i++) {
        size_t v = 0;
        bool found = namemap_get(&m, keys[i], strlen(keys[i]), &v);
        ck_assert_int_eq(found, i != 2);
        if (found)
            ck_assert_uint_eq(v, i + 1);
    }
    namemap_free(&m);
}
END_TEST

Suite *core_namemap_suite(void)
{
    Suite *s = suite_create("core_namemap");
    TCase *tc = tcase_create("namemap");
    tcase_add_test(tc, test_any_case);
    tcase_add_test(tc, test_hash_folds);
    tcase_add_test(tc, test_against_array);
    tcase_add_test(tc, test_collisions);
    suite_add_tcase(s, tc);
    return s;
}
