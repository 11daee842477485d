/*
 * pane: what every pane does alike: a title bar, a list of rows with one
 * chosen, scrolling that keeps the chosen row in view, and following the
 * newest row until the user moves away from it.
 */
#include "pane.h"

#include <curses.h>
#include <stdio.h>

#include "app.h"
#include "screen.h"

int pane_body_rows(const tui_pane_t *p)
{
    return p->h > 1 ? p->h - 1 : 0;
}

void pane_settle(tui_pane_t *p)
{
    size_t body = (size_t)pane_body_rows(p);
    if (p->total == 0) {
        p->sel = p->top = 0;
        return;
    }
    if (p->follow || p->sel >= p->total)
        p->sel = p->total - 1;
    if (p->sel < p->top)
        p->top = p->sel;
    if (body > 0 && p->sel >= p->top + body)
        p->top = p->sel - body + 1;
    if (p->top + body > p->total)
        p->top = p->total > body ? p->total - body : 0;
}

const tui_row_t *pane_selected_row(const tui_pane_t *p)
{
    if (p->total == 0 || p->sel < p->rows_first || p->sel - p->rows_first >= p->rows.count)
        return NULL;
    return &p->rows.items[p->sel - p->rows_first];
}

void pane_draw_rows(tui_app_t *app, tui_pane_t *p, const char *extra)
{
    if (p->h <= 0 || p->w <= 0)
        return;
    bool focused = &app->panes[app->focus] == p;
    char title[300];
    const char *name = tui_text(p->ops->title, tui_model_lang(app->m));
    snprintf(title, sizeof title, " %s%s%s", name, extra && *extra ? " " : "", extra ? extra : "");
    screen_put_look(p->y, p->x, p->w, title, focused ? SCREEN_TITLE_FOCUSED : SCREEN_TITLE);
    int body = pane_body_rows(p);
    for (int r = 0; r < body; r++) {
        size_t i = p->top + (size_t)r;
        const tui_row_t *row = NULL;
        if (i < p->total && i >= p->rows_first && i - p->rows_first < p->rows.count)
            row = &p->rows.items[i - p->rows_first];
        /* One column of margin on the left, as the title has. */
        int y = p->y + 1 + r;
        screen_put(y, p->x, 1, "", TUI_TONE_NORMAL);
        if (!row)
            screen_put(y, p->x + 1, p->w - 1, "", TUI_TONE_NORMAL);
        else if (focused && i == p->sel)
            screen_put_look(y, p->x + 1, p->w - 1, row->text, SCREEN_SELECTED);
        else
            screen_put(y, p->x + 1, p->w - 1, row->text, row->tone);
    }
}

bool pane_list_key(tui_app_t *app, tui_pane_t *p, int key)
{
    size_t body = (size_t)(pane_body_rows(p) > 1 ? pane_body_rows(p) - 1 : 1);
    size_t last = p->total ? p->total - 1 : 0;
    switch (key) {
    case TUI_FKEY(KEY_UP):
        p->follow = false;
        if (p->sel > 0)
            p->sel--;
        break;
    case TUI_FKEY(KEY_DOWN):
        if (p->sel < last)
            p->sel++;
        p->follow = p->ops->follows && p->sel == last;
        break;
    case TUI_FKEY(KEY_PPAGE):
        p->follow = false;
        p->sel = p->sel > body ? p->sel - body : 0;
        break;
    case TUI_FKEY(KEY_NPAGE):
        p->sel = p->sel + body < last ? p->sel + body : last;
        p->follow = p->ops->follows && p->sel == last;
        break;
    case TUI_FKEY(KEY_HOME):
        p->follow = false;
        p->sel = 0;
        break;
    case TUI_FKEY(KEY_END):
        p->sel = last;
        p->follow = p->ops->follows;
        break;
    case '\n':
    case '\r':
    case TUI_FKEY(KEY_ENTER): {
        const tui_row_t *row = pane_selected_row(p);
        if (row)
            tui_app_inspect(app, &row->ref);
        break;
    }
    default:
        return false;
    }
    pane_settle(p);
    return true;
}
