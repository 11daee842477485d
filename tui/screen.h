/*
 * screen: the little the panes need from ncurses, in one place: colours
 * per tone (or plain attributes on a monochrome terminal and with
 * NO_COLOR), UTF-8 text clipped to a width in columns through the wide
 * API, and word wrapping for the narration bar.
 */
#ifndef MAILSIM_TUI_SCREEN_H
#define MAILSIM_TUI_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

/* Extra looks beyond the row tones. */
typedef enum screen_look {
    SCREEN_TITLE,         /* a pane's title bar */
    SCREEN_TITLE_FOCUSED, /* the focused pane's */
    SCREEN_SELECTED,      /* the chosen row of the focused pane */
    SCREEN_STATUS,        /* the status line */
    SCREEN_NARRATION,     /* the narration bar */
} screen_look_t;

/* Sets the colour pairs up when color is true and the terminal has colours. */
void screen_init_colors(bool color);
/* Whether colours are in use. */
bool screen_has_colors(void);

/*
 * Writes text (UTF-8) at y, x in at most width columns, then blanks to the
 * end of the width. Invalid bytes and control characters show as '?'.
 * Returns the columns the text took.
 */
int screen_put(int y, int x, int width, const char *text, tui_tone_t tone);
int screen_put_look(int y, int x, int width, const char *text, screen_look_t look);

/*
 * Splits text into lines of at most width columns, breaking at spaces:
 * starts[i] and lens[i] (bytes) of each of at most max lines. Returns the
 * number of lines the whole text needs (which may exceed max).
 */
size_t screen_wrap(const char *text, int width, size_t *starts, size_t *lens, size_t max);

/* Columns a UTF-8 string takes. */
int screen_width(const char *text);

#endif
