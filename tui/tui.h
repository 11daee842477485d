/*
 * tui: the terminal front end. `mailsim` on a terminal, and `mailsim tui
 * FILE`, open it on a scenario: the network, a session's transcript, the
 * queues, the mailboxes, the event log, the narration bar and a status
 * line, stepped one event at a time, run at a speed, or stepped back.
 * `mailsim serve --tui` opens it live, on a world the bridge runs in real
 * time: the same panes, nothing to step.
 */
#ifndef MAILSIM_TUI_TUI_H
#define MAILSIM_TUI_TUI_H

#include <signal.h>
#include <stdbool.h>

#include "node/world.h"
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

/* ---- live: a world driven elsewhere (mailsim serve --tui) ------------------ */

/* What drives a watched world; the TUI only calls it and looks. */
typedef struct tui_driver {
    /* One turn: run the world up to the wall clock and serve real sockets,
     * waiting at most max_wait_ms. False once the run is over (its end
     * reached): it is not called again. */
    bool (*turn)(void *ctx, int max_wait_ms);
    /* The virtual time the wall clock stands for now. */
    sim_time_t (*now)(void *ctx);
    void *ctx;
    const volatile sig_atomic_t *stop; /* non-zero (a signal): leave at once; may be NULL */
    double speed;                      /* virtual seconds per real second, shown */
} tui_driver_t;

typedef struct tui_live tui_live_t;

/*
 * The TUI's model watching w, a world of sc (both outlive it) that the
 * driver runs; attach it before the first event. The caller frees it with
 * tui_live_free, before the world.
 */
tui_live_t *tui_live_new(const scenario_t *sc, world_t *w, const tui_options_t *opt);
/* A line for the notes, where skipped actions show (a notice callback; ctx is the tui_live_t). */
void tui_live_notice(void *ctx, const char *line);
/*
 * Takes the terminal and shows the world while d turns it, until q, Ctrl-C
 * or *d->stop; then restores the terminal (the screen as it was). Stepping
 * keys say they are not available. Returns 0, or 1 after printing why on
 * standard error (no terminal).
 */
int tui_live_run(tui_live_t *t, const tui_driver_t *d);
void tui_live_free(tui_live_t *t);

#endif
