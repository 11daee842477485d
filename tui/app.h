/*
 * app: the TUI's state between key presses (the model, the panes, what
 * runs, the popup and the prompt) and what the panes may ask of it. Only
 * the files of tui/ include this; the panes draw themselves from the model and call
 * back here to inspect a row or say something on the status line.
 */
#ifndef MAILSIM_TUI_APP_H
#define MAILSIM_TUI_APP_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "model.h"
#include "pane.h"
#include "tui.h"
#include "view.h"

/* Function keys are kept apart from characters (Greek letters included). */
#define TUI_FKEY(k) (0x110000 + (k))

typedef enum tui_mode {
    TUI_MODE_PAUSED,
    TUI_MODE_RUNNING,     /* at the chosen speed */
    TUI_MODE_SEEK_STEP,   /* to the next walkthrough step, as fast as it goes */
    TUI_MODE_SEEK_EVENTS, /* replaying to an event count (a step back) */
    TUI_MODE_SEEK_TIME,   /* to a virtual time (g) */
} tui_mode_t;

typedef enum tui_prompt {
    TUI_PROMPT_NONE,
    TUI_PROMPT_FILTER,
    TUI_PROMPT_TIME,
} tui_prompt_t;

enum {
    TUI_PANE_NETWORK,
    TUI_PANE_TRANSCRIPT,
    TUI_PANE_QUEUES,
    TUI_PANE_MAILBOXES,
    TUI_PANE_LOG,
    TUI_PANE_COUNT
};

typedef struct tui_app {
    tui_model_t *m;
    const tui_driver_t *live; /* the driver of a live model; NULL when the TUI runs the world */
    tui_pane_t panes[TUI_PANE_COUNT];
    int focus;
    tui_mode_t mode;
    size_t speed; /* index into the speeds table */
    int64_t run_wall0;
    sim_time_t run_vt0;
    sim_time_t seek_time;
    uint64_t seek_events;
    bool explain; /* the transcript explains every reply */
    bool quit;
    int narration_rows;

    bool popup;
    char *popup_title;
    tui_rows_t popup_rows;
    size_t popup_top;

    tui_prompt_t prompt;
    wchar_t prompt_text[256];
    size_t prompt_len;

    char message[300]; /* shown on the status line until the next key */
} tui_app_t;

/* The speeds: virtual seconds per wall second (0: as fast as it goes), and their names. */
extern const int tui_speeds[];
extern const size_t tui_speed_count;

/* Draws everything: the narration bar, the panes (or the popup), the status line. */
void tui_app_draw(tui_app_t *app);

/* The prompt's text as UTF-8. The caller frees. */
char *tui_app_prompt_utf8(const tui_app_t *app);

/* Opens a popup over the panes with rows (taken over: the app frees them). */
void tui_app_popup(tui_app_t *app, const char *title, tui_rows_t *rows);
/* Inspects a row's reference in a popup. */
void tui_app_inspect(tui_app_t *app, const tui_ref_t *ref);
/* A line for the status bar, until the next key. */
void tui_app_message(tui_app_t *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
