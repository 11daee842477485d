/*
 * pane: one rectangle of the screen and its behaviour. Each pane has its
 * own file with a const tui_pane_ops_t (as tig's view_ops): a draw
 * function that reads the model, and a key function for the keys that mean
 * something there. The list behaviour they share (a chosen row, scrolling,
 * following the newest row) is here.
 */
#ifndef MAILSIM_TUI_PANE_H
#define MAILSIM_TUI_PANE_H

#include <stdbool.h>
#include <stddef.h>

#include "text.h"
#include "view.h"

typedef struct tui_app tui_app_t;
typedef struct tui_pane tui_pane_t;

typedef struct tui_pane_ops {
    tui_text_id_t title;
    bool follows; /* starts by keeping its newest row in view */
    /* Draws the pane in its rectangle from the model. */
    void (*draw)(tui_app_t *app, tui_pane_t *p);
    /* A key while the pane has the focus; false when it means nothing here. */
    bool (*key)(tui_app_t *app, tui_pane_t *p, int key);
} tui_pane_ops_t;

struct tui_pane {
    const tui_pane_ops_t *ops;
    int y, x, h, w; /* the title bar is row y; rows below it */
    size_t top;     /* the first row shown */
    size_t sel;     /* the chosen row */
    bool follow;    /* keep the last row chosen and in view */
    size_t total;   /* rows in all at the last draw */
    tui_rows_t rows;
    size_t rows_first; /* rows holds rows from this index (the log draws only what shows) */
};

extern const tui_pane_ops_t tui_pane_network_ops;
extern const tui_pane_ops_t tui_pane_transcript_ops;
extern const tui_pane_ops_t tui_pane_queues_ops;
extern const tui_pane_ops_t tui_pane_mailboxes_ops;
extern const tui_pane_ops_t tui_pane_log_ops;

/* Rows a pane shows below its title. */
int pane_body_rows(const tui_pane_t *p);
/* Keeps sel within total and in view (or on the last row when following). */
void pane_settle(tui_pane_t *p);
/* Draws the title bar (with extra text after the title) and p->rows below it. */
void pane_draw_rows(tui_app_t *app, tui_pane_t *p, const char *extra);
/* Up, Down, PgUp, PgDn, Home, End; Enter inspects the chosen row. */
bool pane_list_key(tui_app_t *app, tui_pane_t *p, int key);
/* The chosen row, or NULL (when it is not among p->rows). */
const tui_row_t *pane_selected_row(const tui_pane_t *p);

#endif
