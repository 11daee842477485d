/*
 * pane_network: the hosts (up or down, address, role) and the connections
 * between them (the service each uses, open or how it ended). Enter on a
 * connection shows its transcript in the transcript pane; on a host, what
 * it serves.
 */
#include "app.h"

static void network_draw(tui_app_t *app, tui_pane_t *p)
{
    tui_rows_reset(&p->rows);
    tui_view_network(app->m, &p->rows);
    p->rows_first = 0;
    p->total = p->rows.count;
    pane_settle(p);
    pane_draw_rows(app, p, NULL);
}

static bool network_key(tui_app_t *app, tui_pane_t *p, int key)
{
    const tui_row_t *row = pane_selected_row(p);
    bool enter = key == '\n' || key == '\r' || key == TUI_FKEY(KEY_ENTER);
    if (enter && row && row->ref.kind == TUI_REF_SESSION) {
        tui_model_select_session(app->m, row->ref.id);
        app->panes[TUI_PANE_TRANSCRIPT].follow = false;
        app->panes[TUI_PANE_TRANSCRIPT].sel = 0;
        app->panes[TUI_PANE_TRANSCRIPT].top = 0;
        return true;
    }
    return pane_list_key(app, p, key);
}

const tui_pane_ops_t tui_pane_network_ops = {
    .title = TUI_T_TITLE_NETWORK,
    .follows = false,
    .draw = network_draw,
    .key = network_key,
};
