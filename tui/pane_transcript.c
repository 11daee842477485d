/*
 * pane_transcript: the lines of one session, the client's and the
 * server's in two colours. Left and Right choose the previous or next
 * session; e explains every reply in place; Enter explains the chosen one.
 */
#include "app.h"

static void transcript_draw(tui_app_t *app, tui_pane_t *p)
{
    tui_rows_reset(&p->rows);
    tui_view_transcript(app->m, app->explain, &p->rows);
    p->rows_first = 0;
    p->total = p->rows.count;
    pane_settle(p);
    pane_draw_rows(app, p, NULL);
}

/* The session dir places away from the one shown, in the order they opened. */
static void transcript_switch(tui_app_t *app, tui_pane_t *p, int dir)
{
    tui_model_t *m = app->m;
    size_t n = tui_model_session_count(m);
    const tui_session_t *cur = tui_model_transcript_session(m);
    if (n == 0)
        return;
    size_t at = n - 1;
    for (size_t i = 0; cur && i < n; i++)
        if (tui_model_session_at(m, i) == cur)
            at = i;
    if (dir < 0 && at > 0)
        at--;
    else if (dir > 0 && at + 1 < n)
        at++;
    tui_model_select_session(m, tui_model_session_at(m, at)->id);
    p->sel = p->top = 0;
    p->follow = false;
}

static bool transcript_key(tui_app_t *app, tui_pane_t *p, int key)
{
    switch (key) {
    case TUI_FKEY(KEY_LEFT):
        transcript_switch(app, p, -1);
        return true;
    case TUI_FKEY(KEY_RIGHT):
        transcript_switch(app, p, 1);
        return true;
    case 'e':
        app->explain = !app->explain;
        return true;
    default:
        return pane_list_key(app, p, key);
    }
}

const tui_pane_ops_t tui_pane_transcript_ops = {
    .title = TUI_T_TITLE_TRANSCRIPT,
    .follows = true,
    .draw = transcript_draw,
    .key = transcript_key,
};
