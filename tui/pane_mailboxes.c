/*
 * pane_mailboxes: every store's users, folders and messages with their
 * flags, and what POP3 removed. Enter on a message shows its source and
 * its MIME tree.
 */
#include "app.h"

static void mailboxes_draw(tui_app_t *app, tui_pane_t *p)
{
    tui_rows_reset(&p->rows);
    tui_view_mailboxes(app->m, &p->rows);
    p->rows_first = 0;
    p->total = p->rows.count;
    pane_settle(p);
    pane_draw_rows(app, p, NULL);
}

static bool mailboxes_key(tui_app_t *app, tui_pane_t *p, int key)
{
    return pane_list_key(app, p, key);
}

const tui_pane_ops_t tui_pane_mailboxes_ops = {
    .title = TUI_T_TITLE_MAILBOXES,
    .follows = false,
    .draw = mailboxes_draw,
    .key = mailboxes_key,
};
