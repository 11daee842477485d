/*
 * app: the TUI's main loop. Keys are read without blocking while something
 * runs; the simulation runs in slices of at most SLICE_MS of wall time,
 * then input is polled and, at most every DRAW_MS, the screen redrawn (never
 * once per event), so a key is answered within about SLICE_MS + a redraw at
 * any speed. The wall clock paces only this loop: what is shown comes from
 * the model, in virtual time.
 */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "screen.h"
#include "tui.h"

#define SLICE_MS 20
#define DRAW_MS 40
/* Events run between two looks at the wall clock. */
#define SLICE_EVENTS 256
/* Live: the longest the driver waits for sockets, and the clock's redraw. */
#define LIVE_TURN_MS 20
#define LIVE_CLOCK_MS 250

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tui_app_message(tui_app_t *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->message, sizeof app->message, fmt, ap);
    va_end(ap);
}

void tui_app_popup(tui_app_t *app, const char *title, tui_rows_t *rows)
{
    tui_rows_free(&app->popup_rows);
    free(app->popup_title);
    app->popup_rows = *rows;
    tui_rows_init(rows);
    app->popup_title = xasprintf(" %s", title);
    app->popup_top = 0;
    app->popup = true;
}

void tui_app_inspect(tui_app_t *app, const tui_ref_t *ref)
{
    tui_rows_t rows;
    tui_rows_init(&rows);
    tui_inspect(app->m, ref, &rows);
    /* The first row says what this is: it becomes the title. */
    char *title = rows.items[0].text;
    memmove(rows.items, rows.items + 1, (rows.count - 1) * sizeof *rows.items);
    rows.count--;
    tui_app_popup(app, title, &rows);
    free(title);
}

static void show_help(tui_app_t *app)
{
    tui_rows_t rows;
    tui_rows_init(&rows);
    for (const char *const *l = tui_help_lines(tui_model_lang(app->m)); *l; l++)
        tui_rows_add(&rows, TUI_TONE_NORMAL, "%s", *l);
    tui_app_popup(app, tui_text(TUI_T_TITLE_HELP, tui_model_lang(app->m)), &rows);
}

/* ---- running ------------------------------------------------------------- */

static void set_mode(tui_app_t *app, tui_mode_t mode)
{
    app->mode = mode;
    if (mode == TUI_MODE_RUNNING) {
        app->run_wall0 = wall_ms();
        app->run_vt0 = tui_model_now(app->m);
    }
}

/* The virtual time a run at the chosen speed has reached by now. */
static sim_time_t run_target(const tui_app_t *app)
{
    int speed = tui_speeds[app->speed];
    if (speed == 0)
        return SIM_TIME_NEVER;
    int64_t elapsed = wall_ms() - app->run_wall0;
    if (elapsed > INT64_MAX / 1000 / speed)
        return SIM_TIME_NEVER;
    return app->run_vt0 + elapsed * 1000 * speed;
}

/* Runs one bounded batch; false when the mode is over (or caught up with the clock). */
static bool slice_batch(tui_app_t *app)
{
    tui_run_result_t r = TUI_RUN_DONE;
    switch (app->mode) {
    case TUI_MODE_PAUSED:
        return false;
    case TUI_MODE_RUNNING:
        r = tui_model_run_until(app->m, run_target(app), SLICE_EVENTS);
        if (r == TUI_RUN_FINISHED)
            set_mode(app, TUI_MODE_PAUSED);
        return r == TUI_RUN_BUDGET;
    case TUI_MODE_SEEK_STEP:
        r = tui_model_run_to_next_step(app->m, SLICE_EVENTS);
        break;
    case TUI_MODE_SEEK_EVENTS:
        r = tui_model_run_to_events(app->m, app->seek_events, SLICE_EVENTS);
        break;
    case TUI_MODE_SEEK_TIME:
        r = tui_model_run_until(app->m, app->seek_time, SLICE_EVENTS);
        break;
    }
    if (r != TUI_RUN_BUDGET)
        set_mode(app, TUI_MODE_PAUSED);
    return r == TUI_RUN_BUDGET;
}

static void run_slice(tui_app_t *app)
{
    int64_t start = wall_ms();
    while (slice_batch(app) && wall_ms() - start < SLICE_MS)
        ;
}

static void go_back(tui_app_t *app)
{
    uint64_t target = tui_model_back_target(app->m);
    tui_model_rewind(app->m);
    app->seek_events = target;
    set_mode(app, TUI_MODE_SEEK_EVENTS);
}

static void go_to_time(tui_app_t *app, const char *text)
{
    sim_time_t t;
    if (duration_parse(text, &t) != 0) {
        tui_app_message(app, "%s", tui_text(TUI_T_BAD_TIME, tui_model_lang(app->m)));
        return;
    }
    if (t < tui_model_now(app->m))
        tui_model_rewind(app->m);
    app->seek_time = t;
    set_mode(app, TUI_MODE_SEEK_TIME);
}

/* ---- keys ------------------------------------------------------------------ */

static void prompt_open(tui_app_t *app, tui_prompt_t which, const char *initial)
{
    app->prompt = which;
    app->prompt_len = 0;
    for (size_t n = strlen(initial); *initial && app->prompt_len + 1 < 256;) {
        uint32_t cp;
        size_t len = utf8_decode(initial, n, &cp);
        if (len == 0)
            break;
        app->prompt_text[app->prompt_len++] = (wchar_t)cp;
        initial += len;
        n -= len;
    }
}

static void prompt_apply(tui_app_t *app)
{
    char *text = tui_app_prompt_utf8(app);
    char err[300];
    if (app->prompt == TUI_PROMPT_FILTER) {
        if (!tui_model_set_filter(app->m, text, err, sizeof err))
            tui_app_message(app, "%s", err);
        app->panes[TUI_PANE_LOG].follow = true;
    } else if (app->prompt == TUI_PROMPT_TIME) {
        go_to_time(app, text);
    }
    free(text);
}

static void prompt_key(tui_app_t *app, int key)
{
    switch (key) {
    case 27:
        app->prompt = TUI_PROMPT_NONE;
        break;
    case '\n':
    case '\r':
    case TUI_FKEY(KEY_ENTER):
        prompt_apply(app);
        app->prompt = TUI_PROMPT_NONE;
        break;
    case 127:
    case 8:
    case TUI_FKEY(KEY_BACKSPACE):
        if (app->prompt_len > 0)
            app->prompt_len--;
        break;
    default:
        if (key >= 0x20 && key < 0x110000 && key != 0x7f &&
            app->prompt_len + 1 < sizeof app->prompt_text / sizeof app->prompt_text[0])
            app->prompt_text[app->prompt_len++] = (wchar_t)key;
        break;
    }
}

static void popup_key(tui_app_t *app, int key)
{
    size_t page = LINES > 6 ? (size_t)LINES - 6 : 1;
    switch (key) {
    case TUI_FKEY(KEY_UP):
        if (app->popup_top > 0)
            app->popup_top--;
        break;
    case TUI_FKEY(KEY_DOWN):
        app->popup_top++;
        break;
    case TUI_FKEY(KEY_PPAGE):
        app->popup_top = app->popup_top > page ? app->popup_top - page : 0;
        break;
    case ' ':
    case TUI_FKEY(KEY_NPAGE):
        app->popup_top += page;
        break;
    case TUI_FKEY(KEY_HOME):
        app->popup_top = 0;
        break;
    case TUI_FKEY(KEY_END):
        app->popup_top = app->popup_rows.count;
        break;
    case 27:
    case 'q':
    case '\n':
    case '\r':
    case TUI_FKEY(KEY_ENTER):
        app->popup = false;
        break;
    default:
        break;
    }
}

static void mouse_key(tui_app_t *app)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return;
    int dir = (ev.bstate & BUTTON4_PRESSED) ? -1 : 0;
#ifdef BUTTON5_PRESSED
    if (ev.bstate & BUTTON5_PRESSED)
        dir = 1;
#endif
    if (app->popup) {
        popup_key(app, dir < 0 ? TUI_FKEY(KEY_UP) : dir > 0 ? TUI_FKEY(KEY_DOWN) : 0);
        return;
    }
    for (int i = 0; i < TUI_PANE_COUNT; i++) {
        tui_pane_t *p = &app->panes[i];
        if (ev.y < p->y || ev.y >= p->y + p->h || ev.x < p->x || ev.x >= p->x + p->w)
            continue;
        app->focus = i;
        if (dir) {
            p->ops->key(app, p, dir < 0 ? TUI_FKEY(KEY_UP) : TUI_FKEY(KEY_DOWN));
        } else if (ev.y > p->y) {
            p->sel = p->top + (size_t)(ev.y - p->y - 1);
            p->follow = false;
            pane_settle(p);
        }
        return;
    }
}

static void speed_change(tui_app_t *app, int dir)
{
    if (dir > 0 && app->speed + 1 < tui_speed_count)
        app->speed++;
    else if (dir < 0 && app->speed > 0)
        app->speed--;
    if (app->mode == TUI_MODE_RUNNING)
        set_mode(app, TUI_MODE_RUNNING);
}

/* Keys that step, run or go back: a live world moves with the wall clock only. */
static bool live_refused(tui_app_t *app, int key)
{
    if (!app->live || key <= 0 || key >= 0x80 || !strchr(" nrb+=-g", key))
        return false;
    tui_app_message(app, "%s", tui_text(TUI_T_LIVE_NOT_AVAILABLE, tui_model_lang(app->m)));
    return true;
}

static bool global_key(tui_app_t *app, int key)
{
    if (live_refused(app, key))
        return true;
    switch (key) {
    case 'q':
    case 3: /* Ctrl-C in raw mode */
        app->quit = true;
        break;
    case ' ':
        set_mode(app, TUI_MODE_PAUSED);
        tui_model_step(app->m);
        break;
    case 'n':
        set_mode(app, TUI_MODE_SEEK_STEP);
        break;
    case 'r':
        set_mode(app, app->mode == TUI_MODE_RUNNING ? TUI_MODE_PAUSED : TUI_MODE_RUNNING);
        break;
    case '+':
    case '=':
        speed_change(app, 1);
        break;
    case '-':
        speed_change(app, -1);
        break;
    case 'b':
        go_back(app);
        break;
    case 'g':
        prompt_open(app, TUI_PROMPT_TIME, "");
        break;
    case '/':
        app->focus = TUI_PANE_LOG;
        prompt_open(app, TUI_PROMPT_FILTER, tui_model_filter(app->m));
        break;
    case '\t':
        app->focus = (app->focus + 1) % TUI_PANE_COUNT;
        break;
    case TUI_FKEY(KEY_BTAB):
        app->focus = (app->focus + TUI_PANE_COUNT - 1) % TUI_PANE_COUNT;
        break;
    case 'l':
        tui_model_set_lang(app->m, tui_lang_is_greek(tui_model_lang(app->m)) ? "en" : "el");
        break;
    case '?':
        show_help(app);
        break;
    case TUI_FKEY(KEY_MOUSE):
        mouse_key(app);
        break;
    case TUI_FKEY(KEY_RESIZE):
        break;
    default:
        return false;
    }
    return true;
}

static void handle_key(tui_app_t *app, int key)
{
    if (key != TUI_FKEY(KEY_RESIZE) && key != TUI_FKEY(KEY_MOUSE))
        app->message[0] = '\0';
    if (app->prompt != TUI_PROMPT_NONE)
        prompt_key(app, key);
    else if (app->popup && key == TUI_FKEY(KEY_MOUSE))
        mouse_key(app);
    else if (app->popup)
        popup_key(app, key);
    else if (!global_key(app, key))
        app->panes[app->focus].ops->key(app, &app->panes[app->focus], key);
}

/* A key, or -1 when none came within timeout_ms (-1: wait). */
static int read_key(int timeout_ms)
{
    wint_t wc;
    timeout(timeout_ms);
    int r = get_wch(&wc);
    if (r == KEY_CODE_YES)
        return TUI_FKEY((int)wc);
    if (r == OK)
        return (int)wc;
    return -1;
}

/* ---- the loop ------------------------------------------------------------- */

static bool busy(const tui_app_t *app)
{
    return app->mode != TUI_MODE_PAUSED;
}

static void app_loop(tui_app_t *app)
{
    int64_t last_draw = 0;
    bool dirty = true;
    while (!app->quit) {
        int64_t now = wall_ms();
        if (dirty && (!busy(app) || now - last_draw >= DRAW_MS)) {
            tui_app_draw(app);
            last_draw = now;
            dirty = false;
        }
        int wait = -1;
        if (busy(app))
            wait = app->mode == TUI_MODE_RUNNING ? 5 : 0;
        else if (dirty)
            wait = 0;
        int key = read_key(wait);
        if (key >= 0) {
            handle_key(app, key);
            dirty = true;
            continue;
        }
        if (busy(app)) {
            run_slice(app);
            dirty = true;
        }
    }
}

static void app_init(tui_app_t *app, tui_model_t *m)
{
    static const tui_pane_ops_t *const ops[TUI_PANE_COUNT] = {
        [TUI_PANE_NETWORK] = &tui_pane_network_ops,
        [TUI_PANE_TRANSCRIPT] = &tui_pane_transcript_ops,
        [TUI_PANE_QUEUES] = &tui_pane_queues_ops,
        [TUI_PANE_MAILBOXES] = &tui_pane_mailboxes_ops,
        [TUI_PANE_LOG] = &tui_pane_log_ops,
    };
    memset(app, 0, sizeof *app);
    app->m = m;
    app->speed = 1;
    app->focus = TUI_PANE_LOG;
    for (int i = 0; i < TUI_PANE_COUNT; i++) {
        app->panes[i].ops = ops[i];
        app->panes[i].follow = ops[i]->follows;
        tui_rows_init(&app->panes[i].rows);
    }
    tui_rows_init(&app->popup_rows);
}

static void app_free(tui_app_t *app)
{
    for (int i = 0; i < TUI_PANE_COUNT; i++)
        tui_rows_free(&app->panes[i].rows);
    tui_rows_free(&app->popup_rows);
    free(app->popup_title);
}

static void terminal_setup(void)
{
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                  | BUTTON5_PRESSED
#endif
              ,
              NULL);
    mouseinterval(0);
    const char *no_color = getenv("NO_COLOR");
    screen_init_colors(!(no_color && *no_color));
}

static bool is_terminal(void)
{
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
        return true;
    fprintf(stderr, "mailsim tui: needs a terminal (standard input and output)\n");
    return false;
}

/* The terminal taken over, or NULL after saying why. */
static SCREEN *terminal_open(void)
{
    setlocale(LC_ALL, "");
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        fprintf(stderr, "mailsim tui: cannot use the terminal \"%s\"\n",
                getenv("TERM") ? getenv("TERM") : "");
        return NULL;
    }
    terminal_setup();
    return scr;
}

static void terminal_close(SCREEN *scr)
{
    endwin();
    delscreen(scr);
}

int tui_run(const scenario_t *sc, const tui_options_t *opt)
{
    if (!is_terminal())
        return 1;
    char err[512];
    tui_model_t *m = tui_model_new(sc, opt && opt->lang ? opt->lang : "en", err, sizeof err);
    if (!m) {
        fprintf(stderr, "mailsim tui: %s: the world could not be built: %s\n", sc->source, err);
        return 1;
    }
    SCREEN *scr = terminal_open();
    if (!scr) {
        tui_model_free(m);
        return 1;
    }
    tui_app_t app;
    app_init(&app, m);
    app_loop(&app);
    terminal_close(scr);
    app_free(&app);
    tui_model_free(m);
    return 0;
}

/* ---- live ------------------------------------------------------------------ */

struct tui_live {
    tui_model_t *m;
};

tui_live_t *tui_live_new(const scenario_t *sc, world_t *w, const tui_options_t *opt)
{
    tui_live_t *t = xcalloc(1, sizeof *t);
    t->m = tui_model_watch(sc, w, opt && opt->lang ? opt->lang : "en");
    return t;
}

void tui_live_notice(void *ctx, const char *line)
{
    tui_live_t *t = ctx;
    tui_model_add_notice(t->m, line);
}

void tui_live_free(tui_live_t *t)
{
    if (!t)
        return;
    tui_model_free(t->m);
    free(t);
}

static bool live_stopped(const tui_app_t *app)
{
    return app->quit || (app->live->stop && *app->live->stop);
}

/*
 * The driver turns the world (waiting on its sockets at most LIVE_TURN_MS),
 * then keys are read without blocking; the screen is redrawn at most every
 * DRAW_MS when something was heard or pressed, and every LIVE_CLOCK_MS for
 * the clock. Once the run is over, only keys are waited for.
 */
static void live_loop(tui_app_t *app)
{
    const tui_driver_t *d = app->live;
    world_t *w = tui_model_world(app->m);
    bool ended = false, dirty = true;
    int64_t last_draw = 0;
    uint64_t heard = 0;
    while (!live_stopped(app)) {
        int64_t now = wall_ms();
        if (now - last_draw >= (dirty ? DRAW_MS : LIVE_CLOCK_MS)) {
            tui_app_draw(app);
            last_draw = now;
            dirty = false;
        }
        int key;
        if (ended) {
            key = read_key(dirty ? DRAW_MS : LIVE_CLOCK_MS);
        } else {
            ended = !d->turn(d->ctx, LIVE_TURN_MS);
            tui_model_live_update(app->m, d->now(d->ctx), ended);
            dirty |= ended;
            key = read_key(0);
        }
        if (world_sim(w)->trace.emitted != heard) {
            heard = world_sim(w)->trace.emitted;
            dirty = true;
        }
        for (; key >= 0 && !app->quit; key = read_key(0)) {
            handle_key(app, key);
            dirty = true;
        }
    }
}

int tui_live_run(tui_live_t *t, const tui_driver_t *d)
{
    if (!is_terminal())
        return 1;
    SCREEN *scr = terminal_open();
    if (!scr)
        return 1;
    tui_app_t app;
    app_init(&app, t->m);
    app.live = d;
    live_loop(&app);
    terminal_close(scr);
    app_free(&app);
    return 0;
}
