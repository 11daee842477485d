/*
 * app_draw: the screen's layout and what is not a pane: the narration bar
 * on top, the status line (virtual clock, speed, running or paused, key
 * hints; or the prompt, or a message) at the bottom, and the popup. Every
 * size is computed from LINES and COLS at each draw, so a resize needs
 * nothing but a redraw. Nothing drawn depends on the wall clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "screen.h"

/* The narration bar takes at most this many rows. */
#define NARRATION_ROWS_MAX 3

const int tui_speeds[] = {1, 10, 60, 600, 3600, 0};
const size_t tui_speed_count = sizeof tui_speeds / sizeof tui_speeds[0];

static void draw_narration(tui_app_t *app)
{
    buf_t text = BUF_INIT;
    tui_view_narration(app->m, &text);
    size_t starts[NARRATION_ROWS_MAX], lens[NARRATION_ROWS_MAX];
    size_t n = screen_wrap(buf_cstr(&text), COLS - 1, starts, lens, NARRATION_ROWS_MAX);
    if (n > NARRATION_ROWS_MAX)
        n = NARRATION_ROWS_MAX;
    if (n == 0)
        n = 1, starts[0] = lens[0] = 0;
    app->narration_rows = (int)n;
    for (size_t i = 0; i < n; i++) {
        char *line = xstrndup(buf_cstr(&text) + starts[i], lens[i]);
        screen_put_look((int)i, 0, COLS, line, SCREEN_NARRATION);
        free(line);
    }
    buf_free(&text);
}

static void layout(tui_app_t *app)
{
    int top = app->narration_rows;
    int body = LINES - top - 1;
    if (body < 6)
        body = 6;
    int band1 = body * 3 / 8, band2 = body * 2 / 7;
    if (band1 < 2)
        band1 = 2;
    if (band2 < 2)
        band2 = 2;
    int band3 = body - band1 - band2;
    int lw = (COLS - 1) / 2, rx = lw + 1, rw = COLS - rx;
    struct {
        int y, x, h, w;
    } r[TUI_PANE_COUNT] = {
        [TUI_PANE_NETWORK] = {top, 0, band1, lw},
        [TUI_PANE_TRANSCRIPT] = {top, rx, band1, rw},
        [TUI_PANE_QUEUES] = {top + band1, 0, band2, lw},
        [TUI_PANE_MAILBOXES] = {top + band1, rx, band2, rw},
        [TUI_PANE_LOG] = {top + band1 + band2, 0, band3, COLS},
    };
    for (int i = 0; i < TUI_PANE_COUNT; i++) {
        tui_pane_t *p = &app->panes[i];
        p->y = r[i].y;
        p->x = r[i].x;
        p->h = r[i].h;
        p->w = r[i].w;
    }
    for (int y = top; y < top + band1 + band2 && y < LINES - 1; y++)
        screen_put(y, lw, 1, "│", TUI_TONE_DIM);
}

static const char *mode_text(const tui_app_t *app)
{
    const char *lang = tui_model_lang(app->m);
    if (app->live)
        return tui_text(tui_model_finished(app->m) ? TUI_T_FINISHED : TUI_T_SERVING, lang);
    switch (app->mode) {
    case TUI_MODE_PAUSED:
        return tui_text(tui_model_finished(app->m) ? TUI_T_FINISHED : TUI_T_PAUSED, lang);
    case TUI_MODE_RUNNING:
        return tui_text(TUI_T_RUNNING, lang);
    case TUI_MODE_SEEK_STEP:
    case TUI_MODE_SEEK_EVENTS:
    case TUI_MODE_SEEK_TIME:
        return tui_text(TUI_T_SEEKING, lang);
    }
    return "";
}

/* The prompt's text as UTF-8, for drawing and for using. The caller frees. */
char *tui_app_prompt_utf8(const tui_app_t *app)
{
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < app->prompt_len; i++) {
        uint32_t c = (uint32_t)app->prompt_text[i];
        if (c < 0x80) {
            buf_putc(&b, (int)c);
        } else if (c < 0x800) {
            buf_putc(&b, (int)(0xC0 | (c >> 6)));
            buf_putc(&b, (int)(0x80 | (c & 0x3F)));
        } else if (c < 0x10000) {
            buf_putc(&b, (int)(0xE0 | (c >> 12)));
            buf_putc(&b, (int)(0x80 | ((c >> 6) & 0x3F)));
            buf_putc(&b, (int)(0x80 | (c & 0x3F)));
        } else {
            buf_putc(&b, (int)(0xF0 | (c >> 18)));
            buf_putc(&b, (int)(0x80 | ((c >> 12) & 0x3F)));
            buf_putc(&b, (int)(0x80 | ((c >> 6) & 0x3F)));
            buf_putc(&b, (int)(0x80 | (c & 0x3F)));
        }
    }
    char *s = buf_steal(&b, NULL);
    return s ? s : xstrdup("");
}

static void draw_status(tui_app_t *app)
{
    const char *lang = tui_model_lang(app->m);
    char clock[32], speed[16], line[600];
    clock_format(tui_model_now(app->m), clock, sizeof clock);
    int sp = tui_speeds[app->speed];
    if (app->live)
        snprintf(speed, sizeof speed, "x%g", app->live->speed);
    else if (sp)
        snprintf(speed, sizeof speed, "x%d", sp);
    else
        snprintf(speed, sizeof speed, "max");
    if (app->prompt != TUI_PROMPT_NONE) {
        char *text = tui_app_prompt_utf8(app);
        snprintf(
            line, sizeof line, "%s%s_",
            tui_text(app->prompt == TUI_PROMPT_FILTER ? TUI_T_PROMPT_FILTER : TUI_T_PROMPT_TIME,
                     lang),
            text);
        free(text);
    } else if (app->popup) {
        snprintf(line, sizeof line, "%s  %s", clock, tui_text(TUI_T_CLOSE_HINT, lang));
    } else {
        snprintf(line, sizeof line, "%s %s %s  %s", clock, speed, mode_text(app),
                 app->message[0] ? app->message
                                 : tui_text(app->live ? TUI_T_LIVE_HINTS : TUI_T_HINTS, lang));
    }
    screen_put_look(LINES - 1, 0, COLS, line, SCREEN_STATUS);
}

static void draw_popup(tui_app_t *app)
{
    int top = app->narration_rows, h = LINES - 1 - top;
    if (h < 2)
        return;
    screen_put_look(top, 0, COLS, app->popup_title ? app->popup_title : "", SCREEN_TITLE_FOCUSED);
    size_t body = (size_t)(h - 1);
    if (app->popup_top + body > app->popup_rows.count)
        app->popup_top = app->popup_rows.count > body ? app->popup_rows.count - body : 0;
    for (size_t r = 0; r < body; r++) {
        size_t i = app->popup_top + r;
        const tui_row_t *row = i < app->popup_rows.count ? &app->popup_rows.items[i] : NULL;
        screen_put(top + 1 + (int)r, 0, COLS, row ? row->text : "",
                   row ? row->tone : TUI_TONE_NORMAL);
    }
}

void tui_app_draw(tui_app_t *app)
{
    erase();
    draw_narration(app);
    layout(app);
    if (app->popup) {
        draw_popup(app);
    } else {
        for (int i = 0; i < TUI_PANE_COUNT; i++)
            app->panes[i].ops->draw(app, &app->panes[i]);
    }
    draw_status(app);
    refresh();
}
