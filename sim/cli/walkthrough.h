/*
 * walkthrough: the lecture's Alice-to-Roberto walkthrough (the built-in
 * scenario) printed as a narrated event log, then its report: what `mailsim`
 * prints when it has no terminal to open the TUI on.
 */
#ifndef MAILSIM_CLI_WALKTHROUGH_H
#define MAILSIM_CLI_WALKTHROUGH_H

#include <stdbool.h>
#include <stdio.h>

typedef struct walkthrough_options {
    const char *lang;   /* "en" or "el" */
    bool segments;      /* also print every TCP segment */
    bool color;
} walkthrough_options_t;

/* Runs the walkthrough, printing to out. Returns 0 when every expectation of the scenario held. */
int walkthrough_run(const walkthrough_options_t *opt, FILE *out);

#endif
