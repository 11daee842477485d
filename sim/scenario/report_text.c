/*
 * report_text: the report for a person at a terminal.
 *
 *   alice-to-roberto: Alice writes to Roberto (seed 1)
 *     PASS  Roberto has the message (2/2)
 *           found 1 message in roberto@roberto.example INBOX
 *     FAIL  no retries (0/1)
 *           expected 0 queue.attempt events, found 3
 *   score 2/3
 *   stats: events 812, accepted 1, delivered 1, bounced 0, queued 0, virtual time 3h
 *
 * The accounting check (nothing lost) shows only when it fails; a run that
 * could not be judged shows an ERROR line. Several runs end with a total. The
 * labels follow opt->lang ("en" or "el"); PASS, FAIL and ERROR stay as they
 * are so scripts and eyes find them the same way. With color false no escape
 * byte is written.
 */
#include <inttypes.h>
#include <string.h>

#include "core/time.h"
#include "scenario/report.h"

#define ANSI_BOLD "\x1b[1m"
#define ANSI_GREEN "\x1b[32m"
#define ANSI_RED "\x1b[31m"
#define ANSI_RESET "\x1b[0m"

typedef struct text_words {
    const char *seed, *score, *stats, *events, *accepted, *delivered, *bounced, *queued;
    const char *virtual_time, *wall, *accounting, *total, *scenarios_passed;
} text_words_t;

static const text_words_t words_en = {
    .seed = "seed",
    .score = "score",
    .stats = "stats",
    .events = "events",
    .accepted = "accepted",
    .delivered = "delivered",
    .bounced = "bounced",
    .queued = "queued",
    .virtual_time = "virtual time",
    .wall = "wall",
    .accounting = "accounting (nothing lost)",
    .total = "total",
    .scenarios_passed = "scenarios passed",
};

static const text_words_t words_el = {
    .seed = "σπόρος",
    .score = "βαθμός",
    .stats = "στατιστικά",
    .events = "γεγονότα",
    .accepted = "αποδεκτά",
    .delivered = "παραδόθηκαν",
    .bounced = "επιστράφηκαν",
    .queued = "σε ουρά",
    .virtual_time = "εικονικός χρόνος",
    .wall = "πραγματικός χρόνος",
    .accounting = "κανένα μήνυμα δεν χάθηκε",
    .total = "σύνολο",
    .scenarios_passed = "σενάρια πέτυχαν",
};

typedef struct text_ctx {
    buf_t *out;
    const report_options_t *opt;
    const text_words_t *w;
} text_ctx_t;

static void color_on(const text_ctx_t *c, const char *code)
{
    if (c->opt->color)
        buf_puts(c->out, code);
}

static void color_off(const text_ctx_t *c)
{
    if (c->opt->color)
        buf_puts(c->out, ANSI_RESET);
}

/*
 * Appends n bytes of a result's text with control characters (C0, DEL and
 * the C1 range U+0080..U+009F) and bytes that are not UTF-8 shown as '?': a
 * protocol line quoted in a detail must not move the cursor or colour the
 * terminal, and with color false the report holds no escape byte at all.
 */
static void put_safe(const text_ctx_t *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            buf_putc(c->out, cp == '\t' && len ? ' ' : '?');
            i += len ? len : 1;
            continue;
        }
        buf_append(c->out, s + i, len);
        i += len;
    }
}

static void put_safe_str(const text_ctx_t *c, const char *s)
{
    put_safe(c, s, strlen(s));
}

/* text under a verdict line, every line of it indented to the name's column. */
static void put_indented(const text_ctx_t *c, const char *text)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        buf_puts(c->out, "        ");
        put_safe(c, text, n);
        buf_putc(c->out, '\n');
        text += n + (nl != NULL);
    }
}

/* "  PASS  ", "  FAIL  " or "  ERROR ", coloured: names line up in column 9. */
static void put_verdict(const text_ctx_t *c, const char *word, bool good)
{
    buf_puts(c->out, "  ");
    color_on(c, good ? ANSI_GREEN : ANSI_RED);
    buf_puts(c->out, word);
    color_off(c);
    buf_printf(c->out, "%*s", 6 - (int)strlen(word), "");
}

static void put_title(const text_ctx_t *c, const run_result_t *r)
{
    color_on(c, ANSI_BOLD);
    put_safe_str(c, report_str(r->scenario));
    if (r->title) {
        buf_puts(c->out, ": ");
        put_safe_str(c, r->title);
    }
    color_off(c);
    buf_printf(c->out, " (%s %" PRIu64 ")\n", c->w->seed, r->seed);
}

static void put_expectation(const text_ctx_t *c, const expect_result_t *e)
{
    put_verdict(c, e->passed ? "PASS" : "FAIL", e->passed);
    put_safe_str(c, report_str(e->name));
    buf_printf(c->out, " (%d/%d)\n", e->points, e->max_points);
    put_indented(c, report_str(e->detail));
}

static void put_stats(const text_ctx_t *c, const run_result_t *r)
{
    const run_stats_t *s = &r->stats;
    const text_words_t *w = c->w;
    char vt[48];
    duration_format(s->virtual_us, vt, sizeof vt);
    buf_printf(c->out,
               "%s: %s %" PRIu64 ", %s %" PRIu64 ", %s %" PRIu64 ", %s %" PRIu64 ", %s %" PRIu64
               ", %s %s",
               w->stats, w->events, s->events, w->accepted, s->accepted, w->delivered, s->delivered,
               w->bounced, s->bounced, w->queued, s->queued, w->virtual_time, vt);
    if (c->opt->wall_clock)
        buf_printf(c->out, ", %s %" PRId64 "ms", w->wall, s->wall_ms);
    buf_putc(c->out, '\n');
}

static void put_run(const text_ctx_t *c, const run_result_t *r)
{
    put_title(c, r);
    if (r->error) {
        put_verdict(c, "ERROR", false);
        put_safe_str(c, r->error);
        buf_putc(c->out, '\n');
    }
    for (size_t i = 0; i < r->nexpectations; i++)
        put_expectation(c, &r->expectations[i]);
    if (!r->accounting_ok) {
        put_verdict(c, "FAIL", false);
        buf_printf(c->out, "%s\n", c->w->accounting);
        put_indented(c, report_accounting_text(r));
    }
    color_on(c, ANSI_BOLD);
    color_on(c, r->passed ? ANSI_GREEN : ANSI_RED);
    buf_printf(c->out, "%s %d/%d", c->w->score, r->score, r->max_score);
    color_off(c);
    buf_putc(c->out, '\n');
    put_stats(c, r);
}

void report_write_text(const run_result_t *runs, size_t n, const report_options_t *opt, buf_t *out)
{
    bool greek = opt->lang && strcmp(opt->lang, "el") == 0;
    text_ctx_t c = {out, opt, greek ? &words_el : &words_en};
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, '\n');
        put_run(&c, &runs[i]);
    }
    if (n == 1)
        return;
    report_totals_t t;
    report_totals(runs, n, &t);
    buf_putc(out, '\n');
    color_on(&c, ANSI_BOLD);
    color_on(&c, t.runs > 0 && t.runs_passed == t.runs ? ANSI_GREEN : ANSI_RED);
    buf_printf(out, "%s %ld/%ld, %s %zu/%zu", c.w->total, t.score, t.max_score,
               c.w->scenarios_passed, t.runs_passed, t.runs);
    color_off(&c);
    buf_putc(out, '\n');
}
