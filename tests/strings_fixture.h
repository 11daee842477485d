/*
 * strings_fixture: every string of a given length over a small alphabet, for
 * tests that hold a fast check against a slow reference on all of them.
 */
#ifndef MAILSIM_TESTS_STRINGS_FIXTURE_H
#define MAILSIM_TESTS_STRINGS_FIXTURE_H

#include <stddef.h>

/* How many strings of len octets there are over an alphabet of na octets. */
size_t strings_count(size_t na, size_t len);
/*
 * Writes the k-th of them (k < strings_count) to out[0..len) and a NUL after:
 * the digits of k in base na, lowest first, as octets of the alphabet.
 */
void strings_nth(char *out, const char *alphabet, size_t na, size_t len, size_t k);

#endif
