/*
 * report_json: the JSON report of SCENARIO-FORMAT.md § Running. Grading
 * scripts read it, so the keys, their order and their types are a contract:
 *
 *   {"scenario", "seed", "passed", "score", "max_score",
 *    "expectations": [{"name", "passed", "points", "max_points", "detail"}],
 *    "stats": {"events", "accepted", "delivered", "bounced", "queued", "virtual_us", "wall_ms"},
 *    "accounting": {"ok"[, "detail"]}[, "error"]}
 *
 * Several runs are wrapped: {"runs": [ ... ], "passed", "score", "max_score"}.
 * Written by hand (json_put_string escapes and keeps the text valid UTF-8),
 * laid out like the contract's example: one expectation a line.
 */
#include <inttypes.h>

#include "core/trace.h"
#include "scenario/report.h"

static void put_bool(buf_t *out, const char *key, bool v)
{
    buf_printf(out, "\"%s\": %s", key, v ? "true" : "false");
}

static void put_expectation(buf_t *out, const expect_result_t *e)
{
    buf_puts(out, "{\"name\": ");
    json_put_string(out, report_str(e->name));
    buf_puts(out, ", ");
    put_bool(out, "passed", e->passed);
    buf_printf(out, ", \"points\": %d, \"max_points\": %d, \"detail\": ", e->points, e->max_points);
    json_put_string(out, report_str(e->detail));
    buf_putc(out, '}');
}

static void put_stats(buf_t *out, const run_result_t *r, const report_options_t *opt)
{
    const run_stats_t *s = &r->stats;
    buf_printf(out,
               "\"stats\": {\"events\": %" PRIu64 ", \"accepted\": %" PRIu64
               ", \"delivered\": %" PRIu64 ", \"bounced\": %" PRIu64 ", \"queued\": %" PRIu64
               ", \"virtual_us\": %" PRId64 ", \"wall_ms\": %" PRId64 "}",
               s->events, s->accepted, s->delivered, s->bounced, s->queued, s->virtual_us,
               report_wall_ms(r, opt));
}

/* One run's object; every line after the first starts with indent. */
static void put_run(buf_t *out, const run_result_t *r, const report_options_t *opt,
                    const char *indent)
{
    buf_puts(out, "{\"scenario\": ");
    json_put_string(out, report_str(r->scenario));
    buf_printf(out, ", \"seed\": %" PRIu64 ", ", r->seed);
    put_bool(out, "passed", r->passed);
    buf_printf(out, ", \"score\": %d, \"max_score\": %d,\n%s \"expectations\": [", r->score,
               r->max_score, indent);
    for (size_t i = 0; i < r->nexpectations; i++) {
        buf_printf(out, "%s\n%s  ", i ? "," : "", indent);
        put_expectation(out, &r->expectations[i]);
    }
    if (r->nexpectations)
        buf_printf(out, "\n%s ", indent);
    buf_printf(out, "],\n%s ", indent);
    put_stats(out, r, opt);
    buf_printf(out, ",\n%s \"accounting\": {", indent);
    put_bool(out, "ok", r->accounting_ok);
    if (!r->accounting_ok) {
        buf_puts(out, ", \"detail\": ");
        json_put_string(out, report_str(r->accounting_detail));
    }
    buf_putc(out, '}');
    if (r->error) {
        buf_printf(out, ",\n%s \"error\": ", indent);
        json_put_string(out, r->error);
    }
    buf_putc(out, '}');
}

void report_write_json(const run_result_t *runs, size_t n, const report_options_t *opt, buf_t *out)
{
    if (n == 1) {
        put_run(out, &runs[0], opt, "");
        buf_putc(out, '\n');
        return;
    }
    report_totals_t t;
    report_totals(runs, n, &t);
    buf_puts(out, "{\"runs\": [");
    for (size_t i = 0; i < n; i++) {
        buf_puts(out, i ? ",\n  " : "\n  ");
        put_run(out, &runs[i], opt, "  ");
    }
    buf_puts(out, n ? "\n ],\n " : "],\n ");
    /* No run at all is not a pass: a grader must never read success from nothing. */
    put_bool(out, "passed", t.runs > 0 && t.runs_passed == t.runs);
    buf_printf(out, ", \"score\": %ld, \"max_score\": %ld}\n", t.score, t.max_score);
}
