/*
 * builtin: the scenarios compiled into the mailsim binary, so `mailsim run`
 * with no file works wherever the binary is. The Makefile generates their
 * bytes (build/gen/builtin_scenarios.c) from the scenarios/ files named in
 * BUILTIN_SCENARIOS; the first is the one `mailsim run` runs.
 */
#ifndef MAILSIM_CLI_BUILTIN_H
#define MAILSIM_CLI_BUILTIN_H

#include <stddef.h>

typedef struct builtin_scenario {
    const char *file; /* "alice-to-roberto.json" */
    const char *json; /* the file's bytes, NUL-terminated */
    size_t len;       /* without the NUL */
} builtin_scenario_t;

extern const builtin_scenario_t builtin_scenarios[];
extern const size_t builtin_scenario_count;

/* The name the runner gives a built-in: "builtin/alice-to-roberto.json". The caller frees it. */
char *builtin_source_name(const builtin_scenario_t *b);

#endif
