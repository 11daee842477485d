/*
 * tui: the terminal front end. `mailsim` on a terminal, and `mailsim tui
 * FILE`, open it on a scenario: the network, a session's transcript, the
 * queues, the mailboxes, the event log, the narration bar and a status
 * line, stepped one event at a time, run at a speed, or stepped back.
 */
#ifndef MAILSIM_TUI_TUI_H
#define MAILSIM_TUI_TUI_H

#include "scenario/config.h"

typedef struct tui_options {
    const char *lang; /* "en" or "el" */
} tui_options_t;

/*
 * Runs the TUI on sc (which outlives the call) until the user quits, and
 * restores the terminal. Returns 0, or 1 after printing why on standard
 * error (no terminal, a world that cannot be built).
 */
int tui_run(const scenario_t *sc, const tui_options_t *opt);

#endif
