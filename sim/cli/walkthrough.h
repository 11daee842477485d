/*
 * walkthrough: the lecture's Alice-to-Roberto walkthrough, built through the
 * world API and printed as a narrated event log. It is what `mailsim` shows
 * until scenario files and the TUI take over.
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

/* Runs the walkthrough, printing to out. Returns 0 when Alice's message reached Roberto's mailbox. */
int walkthrough_run(const walkthrough_options_t *opt, FILE *out);

#endif
