/*
 * pane_queues: each mail server's queue, with attempts and the next
 * attempt counting down in virtual time. Enter shows an entry's details.
 */
#include "app.h"

static void queues_draw(tui_app_t *app, tui_pane_t *p)
{
    tui_rows_reset(&p->rows);
    tui_view_queues(app->m, &p->rows);
    p->rows_first = 0;
    p->total = p->rows.count;
    pane_settle(p);
    pane_draw_rows(app, p, NULL);
}

static bool queues_key(tui_app_t *app, tui_pane_t *p, int key)
{
    return pane_list_key(app, p, key);
}

const tui_pane_ops_t tui_pane_queues_ops = {
    .title = TUI_T_TITLE_QUEUES,
    .follows = false,
    .draw = queues_draw,
    .key = queues_key,
};
