/*
 * model: what the TUI shows, apart from how it is drawn. It builds a world
 * from a scenario (with its timeline and narrator, as the headless runner
 * does), runs it one scheduler event at a time or in bounded slices, and
 * listens to the trace bus for what the world does not keep: the event log,
 * the sessions with their protocol lines, the connections' states, the
 * messages POP3 removed and the walkthrough steps reached. Queues and
 * mailboxes are read from the world itself.
 *
 * Stepping back rebuilds the world from the scenario and replays the events
 * before the previous visible one: the simulation is deterministic, so the
 * state is the same as it was. Nothing here knows of ncurses or reads the
 * wall clock; the front end bounds each slice by events and measures time.
 *
 * A live model (tui_model_watch) only watches a world driven elsewhere, as
 * mailsim serve --tui does with real clients: nothing can be stepped or
 * replayed there, since a real peer's bytes cannot be asked for again.
 */
#ifndef MAILSIM_TUI_MODEL_H
#define MAILSIM_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/trace.h"
#include "node/world.h"
#include "scenario/config.h"

typedef struct tui_model tui_model_t;

/* At most this many log entries are kept; past twice as many, the oldest go. */
#define TUI_LOG_KEEP 20000u
/* A segment's payload is kept up to this many bytes, for inspection. */
#define TUI_PAYLOAD_KEEP 256u

typedef enum tui_conn_state {
    TUI_CONN_CONNECTING,
    TUI_CONN_OPEN,
    TUI_CONN_CLOSED,
    TUI_CONN_RESET,
    TUI_CONN_REFUSED,
    TUI_CONN_TIMEOUT,
} tui_conn_state_t;

/* One protocol line of a session. */
typedef struct tui_line {
    sim_time_t t;
    bool from_client;
    char *text;
} tui_line_t;

/* One TCP connection and the protocol lines spoken on it. Owned by the model. */
typedef struct tui_session {
    int64_t id; /* the trace events' session number */
    char *client, *server;
    int64_t port;
    const char *proto; /* "smtp", "pop3", "imap", or NULL before the first line */
    tui_conn_state_t state;
    sim_time_t opened;
    tui_line_t *lines;
    size_t nlines, cap;
} tui_session_t;

/* A message a mailbox lost: a POP3 commit (mailbox.delete) or an IMAP expunge. */
typedef struct tui_removed {
    sim_time_t t;
    bool pop3;
    char *host, *user, *folder, *message;
    int64_t uid;
} tui_removed_t;

typedef enum tui_run_result {
    TUI_RUN_BUDGET,   /* the slice's events ran out first: call again */
    TUI_RUN_DONE,     /* the goal was reached */
    TUI_RUN_FINISHED, /* nothing is left to happen before the scenario's end */
} tui_run_result_t;

/*
 * A model of sc (which outlives it) at virtual time 0, nothing run. lang is
 * "en" or "el". NULL and a message in err when the world cannot be built.
 * The caller frees with tui_model_free.
 */
tui_model_t *tui_model_new(const scenario_t *sc, const char *lang, char *err, size_t errlen);
/*
 * A live model: it watches w, a world of sc that something else builds and
 * drives (mailsim serve's bridge, in real time), and never runs or rebuilds
 * it. It hears w's trace bus from now on (attach it before the first event
 * to see them all); stepping, running and going back do nothing (the
 * tui_model_step family returns false or TUI_RUN_FINISHED). The caller
 * frees it with tui_model_free before the world, which stays the caller's.
 */
tui_model_t *tui_model_watch(const scenario_t *sc, world_t *w, const char *lang);
void tui_model_free(tui_model_t *m);

/* True for a model made by tui_model_watch. */
bool tui_model_live(const tui_model_t *m);
/*
 * Live: the virtual time the driver has reached (the clock shows it, even
 * when no event ran since), and whether the run is over (nothing more will
 * run: tui_model_finished then says so).
 */
void tui_model_live_update(tui_model_t *m, sim_time_t now, bool ended);
/* Adds a line to the notes (as the builder's skipped actions); the line is copied. */
void tui_model_add_notice(tui_model_t *m, const char *line);

const scenario_t *tui_model_scenario(const tui_model_t *m);
world_t *tui_model_world(const tui_model_t *m);
const char *tui_model_lang(const tui_model_t *m);
/* "en" or "el"; the narration and every text follow at once. */
void tui_model_set_lang(tui_model_t *m, const char *lang);

/* The virtual time shown: the last event's, or later when a run went past it. */
sim_time_t tui_model_now(const tui_model_t *m);
/* Scheduler events run since the start. */
uint64_t tui_model_events(const tui_model_t *m);
/* True when no event is left before the scenario's end (its `until`). */
bool tui_model_finished(const tui_model_t *m);

/* ---- running -------------------------------------------------------------- */

/*
 * Runs scheduler events until one of them is seen on the trace bus (events
 * that only move timers are run on the way). False when nothing was left.
 */
bool tui_model_step(tui_model_t *m);
/* Runs the events due at or before t, at most budget of them; the clock then shows t. */
tui_run_result_t tui_model_run_until(tui_model_t *m, sim_time_t t, uint64_t budget);
/* Runs until a walkthrough step not reached before is reached. */
tui_run_result_t tui_model_run_to_next_step(tui_model_t *m, uint64_t budget);
/* Runs until tui_model_events is n (or nothing is left). */
tui_run_result_t tui_model_run_to_events(tui_model_t *m, uint64_t n, uint64_t budget);

/* Where one step back lands: the event count after the previous visible event. */
uint64_t tui_model_back_target(const tui_model_t *m);
/* Rebuilds the world from the scenario at time 0, nothing run; log and sessions emptied. */
void tui_model_rewind(tui_model_t *m);
/* One step back at once: rewind and replay to tui_model_back_target. */
void tui_model_back(tui_model_t *m);

/* ---- the walkthrough -------------------------------------------------------- */

/* The highest step number the scenario narrates (0 when it has no narration). */
int64_t tui_model_step_last(const tui_model_t *m);
/* The step reached most recently (0 before the first). */
int64_t tui_model_step_current(const tui_model_t *m);
/* How many distinct steps were reached. */
size_t tui_model_steps_reached(const tui_model_t *m);
/* A step's narration in the current language, or NULL. */
const char *tui_model_step_text(const tui_model_t *m, int64_t step);

/* ---- what the trace bus told ------------------------------------------------ */

size_t tui_model_session_count(const tui_model_t *m);
/* Sessions in the order their connections opened. */
const tui_session_t *tui_model_session_at(const tui_model_t *m, size_t i);
const tui_session_t *tui_model_session_by_id(const tui_model_t *m, int64_t id);
/* The session the transcript shows: the one chosen, else the latest with a line. */
const tui_session_t *tui_model_transcript_session(const tui_model_t *m);
/* Chooses the transcript's session (0: follow the latest again). */
void tui_model_select_session(tui_model_t *m, int64_t id);
int64_t tui_model_selected_session(const tui_model_t *m);

size_t tui_model_removed_count(const tui_model_t *m);
const tui_removed_t *tui_model_removed_at(const tui_model_t *m, size_t i);

/* Lines the builder and the timeline gave (skipped actions), oldest first. */
size_t tui_model_notice_count(const tui_model_t *m);
const char *tui_model_notice_at(const tui_model_t *m, size_t i);

/* ---- the event log and its filter ------------------------------------------- */

/*
 * Sets the log's filter from words: host=NAME (the host, or either end, is
 * NAME or starts with it), kind=K[,K...] (the kind starts with one of them),
 * -kind=K[,K...] (leaves those out), and any other word, which the event's
 * summary must contain. "" shows everything. False and a message in err
 * when a word names no host or kind; the filter is then unchanged.
 */
bool tui_model_set_filter(tui_model_t *m, const char *text, char *err, size_t errlen);
/* The filter as last set ("" for none). */
const char *tui_model_filter(const tui_model_t *m);
/* Hides or shows tcp.segment, tcp.drop and tcp.retransmit on top of the filter. */
void tui_model_set_hide_segments(tui_model_t *m, bool hide);
bool tui_model_hide_segments(const tui_model_t *m);
/* Log entries that pass the filter, oldest first. */
size_t tui_model_log_count(const tui_model_t *m);
const trace_event_t *tui_model_log_at(const tui_model_t *m, size_t i);
/* Every entry kept, filter or not. */
size_t tui_model_log_total(const tui_model_t *m);

/*
 * One line about an event for the log: "0:00:00.150119 mail.roberto.example
 * smtp.reply S: 220 ...". A walkthrough step's text follows the current
 * language. Appends to out.
 */
void tui_model_event_summary(const tui_model_t *m, const trace_event_t *ev, buf_t *out);

#endif
