/*
 * diag: a list of error lines collected while checking input (a scenario
 * file), so that every error is reported, not just the first. Each line is
 * kept with an order key; diag_sort puts them in that order (stable), which
 * the scenario loader uses to report errors in document order whatever order
 * it checked them in.
 */
#ifndef MAILSIM_SCENARIO_DIAG_H
#define MAILSIM_SCENARIO_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "core/util.h"

typedef struct diag_entry {
    char *line;   /* one line, no newline; owned by the diag */
    size_t order; /* sort key: smaller comes first */
    size_t seq;   /* when it was added, which breaks ties */
} diag_entry_t;

typedef struct diag {
    diag_entry_t *entries;
    size_t count, cap;
} diag_t;

#define DIAG_INIT                                                                                  \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void diag_init(diag_t *d);
/* Frees every line; the diag may be reused after diag_init. */
void diag_free(diag_t *d);

/* Adds one line (formatted, no newline) with an order key. */
void diag_add(diag_t *d, size_t order, const char *fmt, ...) MS_PRINTF(3, 4);
/* Stable sort by order key. */
void diag_sort(diag_t *d);
/* The same for the lines from index first on (one file's, when a diag
 * collects several files). */
void diag_sort_from(diag_t *d, size_t first);

size_t diag_count(const diag_t *d);
/* Line i (0-based), valid until the diag changes; NULL past the end. */
const char *diag_line(const diag_t *d, size_t i);
/* Every line, in order, each followed by a newline. */
void diag_print(const diag_t *d, FILE *out);

#endif
