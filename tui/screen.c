/*
 * screen: ncurses drawing helpers. Text is UTF-8 everywhere in mailsim; it
 * is decoded here one character at a time and written with the wide API
 * (setlocale(LC_ALL, "") must have run), so Greek takes one column a
 * letter and a line never spills past its pane.
 */
#include "screen.h"

#include <curses.h>
#include <string.h>
#include <wchar.h>

#include "core/util.h"

enum {
    PAIR_CLIENT = 1,
    PAIR_SERVER,
    PAIR_HEADING,
    PAIR_DIM,
    PAIR_GOOD,
    PAIR_BAD,
    PAIR_STEP,
    PAIR_TITLE,
    PAIR_TITLE_FOCUSED,
    PAIR_STATUS,
};

static bool colors_on;

void screen_init_colors(bool color)
{
    colors_on = false;
    if (!color || !has_colors() || start_color() != OK)
        return;
    use_default_colors();
    colors_on = true;
    init_pair(PAIR_CLIENT, COLOR_CYAN, -1);
    init_pair(PAIR_SERVER, COLOR_GREEN, -1);
    init_pair(PAIR_HEADING, COLOR_YELLOW, -1);
    init_pair(PAIR_DIM, COLOR_BLUE, -1);
    init_pair(PAIR_GOOD, COLOR_GREEN, -1);
    init_pair(PAIR_BAD, COLOR_RED, -1);
    init_pair(PAIR_STEP, COLOR_MAGENTA, -1);
    init_pair(PAIR_TITLE, COLOR_BLACK, COLOR_WHITE);
    init_pair(PAIR_TITLE_FOCUSED, COLOR_BLACK, COLOR_CYAN);
    init_pair(PAIR_STATUS, COLOR_WHITE, COLOR_BLUE);
}

bool screen_has_colors(void)
{
    return colors_on;
}

typedef struct look {
    attr_t attr;
    short pair;
} look_t;

/* Without colours, tones become attributes: the two sides of a dialogue
 * still differ (the server's lines bold). */
static look_t tone_look(tui_tone_t tone)
{
    switch (tone) {
    case TUI_TONE_NORMAL:
        return (look_t){A_NORMAL, 0};
    case TUI_TONE_HEADING:
        return colors_on ? (look_t){A_BOLD, PAIR_HEADING} : (look_t){A_BOLD, 0};
    case TUI_TONE_CLIENT:
        return colors_on ? (look_t){A_NORMAL, PAIR_CLIENT} : (look_t){A_NORMAL, 0};
    case TUI_TONE_SERVER:
        return colors_on ? (look_t){A_NORMAL, PAIR_SERVER} : (look_t){A_BOLD, 0};
    case TUI_TONE_DIM:
        return colors_on ? (look_t){A_NORMAL, PAIR_DIM} : (look_t){A_DIM, 0};
    case TUI_TONE_GOOD:
        return colors_on ? (look_t){A_NORMAL, PAIR_GOOD} : (look_t){A_NORMAL, 0};
    case TUI_TONE_BAD:
        return colors_on ? (look_t){A_BOLD, PAIR_BAD} : (look_t){A_BOLD, 0};
    case TUI_TONE_STEP:
        return colors_on ? (look_t){A_BOLD, PAIR_STEP} : (look_t){A_BOLD | A_UNDERLINE, 0};
    }
    return (look_t){A_NORMAL, 0};
}

static look_t screen_look(screen_look_t l)
{
    switch (l) {
    case SCREEN_TITLE:
        return colors_on ? (look_t){A_NORMAL, PAIR_TITLE} : (look_t){A_REVERSE, 0};
    case SCREEN_TITLE_FOCUSED:
        return colors_on ? (look_t){A_BOLD, PAIR_TITLE_FOCUSED} : (look_t){A_REVERSE | A_BOLD, 0};
    case SCREEN_SELECTED:
        return (look_t){A_REVERSE, 0};
    case SCREEN_STATUS:
        return colors_on ? (look_t){A_NORMAL, PAIR_STATUS} : (look_t){A_REVERSE, 0};
    case SCREEN_NARRATION:
        return colors_on ? (look_t){A_BOLD, PAIR_STEP} : (look_t){A_BOLD, 0};
    }
    return (look_t){A_NORMAL, 0};
}

/* The next character of s (n bytes left) as a printable wide character. */
static size_t next_char(const char *s, size_t n, wchar_t *wc, int *cols)
{
    uint32_t cp = '?';
    size_t len = utf8_decode(s, n, &cp);
    if (len == 0) {
        len = 1;
        cp = '?';
    }
    int w = wcwidth((wchar_t)cp);
    if (cp < 0x20 || cp == 0x7f || w < 0) {
        cp = '?';
        w = 1;
    }
    *wc = (wchar_t)cp;
    *cols = w;
    return len;
}

static int put_look(int y, int x, int width, const char *text, look_t look)
{
    if (width <= 0 || y < 0 || y >= LINES)
        return 0;
    attr_set(look.attr, look.pair, NULL);
    move(y, x);
    int used = 0;
    size_t n = strlen(text);
    while (n > 0) {
        wchar_t wc;
        int cols;
        size_t len = next_char(text, n, &wc, &cols);
        if (used + cols > width)
            break;
        if (cols > 0) {
            wchar_t one[2] = {wc, 0};
            addnwstr(one, 1);
        }
        used += cols;
        text += len;
        n -= len;
    }
    for (int i = used; i < width; i++)
        addch(' ');
    attr_set(A_NORMAL, 0, NULL);
    return used;
}

int screen_put(int y, int x, int width, const char *text, tui_tone_t tone)
{
    return put_look(y, x, width, text, tone_look(tone));
}

int screen_put_look(int y, int x, int width, const char *text, screen_look_t look)
{
    return put_look(y, x, width, text, screen_look(look));
}

int screen_width(const char *text)
{
    int used = 0;
    size_t n = strlen(text);
    while (n > 0) {
        wchar_t wc;
        int cols;
        size_t len = next_char(text, n, &wc, &cols);
        used += cols;
        text += len;
        n -= len;
    }
    return used;
}

size_t screen_wrap(const char *text, int width, size_t *starts, size_t *lens, size_t max)
{
    size_t lines = 0, pos = 0, n = strlen(text);
    if (width < 1)
        width = 1;
    while (pos < n) {
        while (pos < n && text[pos] == ' ')
            pos++;
        if (pos >= n)
            break;
        size_t i = pos, brk = 0;
        int used = 0;
        while (i < n) {
            wchar_t wc;
            int cols;
            size_t len = next_char(text + i, n - i, &wc, &cols);
            if (used + cols > width)
                break;
            if (text[i] == ' ')
                brk = i;
            used += cols;
            i += len;
        }
        size_t end = i >= n || brk == 0 ? i : brk;
        if (end == pos)
            end = i > pos ? i : pos + 1;
        if (lines < max) {
            starts[lines] = pos;
            lens[lines] = end - pos;
        }
        lines++;
        pos = end;
    }
    return lines;
}
