/*
 * strings_fixture: strings over an alphabet, numbered.
 */
#include "strings_fixture.h"

size_t strings_count(size_t na, size_t len)
{
    size_t total = 1;
    for (size_t i = 0; i < len; i++)
        total *= na;
    return total;
}

void strings_nth(char *out, const char *alphabet, size_t na, size_t len, size_t k)
{
    for (size_t i = 0; i < len; i++, k /= na)
        out[i] = alphabet[k % na];
    out[len] = '\0';
}
