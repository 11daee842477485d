/*
 * pane_log: the event and segment log, filtered (/ sets the filter, s
 * hides or shows segments). Only the rows in view are formatted, so a long
 * run costs nothing to draw. Enter shows every field of an event, and a
 * segment's header.
 */
#include <stdio.h>

#include "app.h"

static void log_draw(tui_app_t *app, tui_pane_t *p)
{
    tui_model_t *m = app->m;
    p->total = tui_model_log_count(m);
    pane_settle(p);
    tui_rows_reset(&p->rows);
    p->rows_first = p->top;
    tui_view_log(m, p->top, (size_t)pane_body_rows(p), &p->rows);
    if (p->total == 0) {
        p->rows_first = 0;
        bool filtered = *tui_model_filter(m) || tui_model_hide_segments(m);
        tui_rows_add(&p->rows, TUI_TONE_DIM, "%s",
                     tui_text(filtered && tui_model_log_total(m) ? TUI_T_NO_MATCH
                              : tui_model_live(m)                    ? TUI_T_LIVE_NO_EVENTS
                                                                     : TUI_T_NO_EVENTS,
                              tui_model_lang(m)));
        p->total = 1;
    }
    char extra[300] = "";
    const char *filter = tui_model_filter(m);
    if (*filter || tui_model_hide_segments(m))
        snprintf(extra, sizeof extra, "[%s%s%s]", filter,
                 *filter && tui_model_hide_segments(m) ? " " : "",
                 tui_model_hide_segments(m) ? "-kind=tcp.segment" : "");
    pane_draw_rows(app, p, extra);
}

static bool log_key(tui_app_t *app, tui_pane_t *p, int key)
{
    if (key == 's') {
        tui_model_set_hide_segments(app->m, !tui_model_hide_segments(app->m));
        return true;
    }
    return pane_list_key(app, p, key);
}

const tui_pane_ops_t tui_pane_log_ops = {
    .title = TUI_T_TITLE_LOG,
    .follows = true,
    .draw = log_draw,
    .key = log_key,
};
