/*
 * report_gradescope: Gradescope's autograder results.json
 * (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
 *
 *   {"score": total, ["execution_time": seconds,] "output": summary,
 *    "tests": [{"name", "score", "max_score", "status", "output"}]}
 *
 * Each expectation is one test worth its points; its output is the
 * expectation's detail. "accounting" (nothing lost) is a test worth 0 points
 * so a lost message shows in red without moving the score, and a run that
 * failed before it could be judged adds a 0-point "run" test with the reason.
 * With several runs test names start with "SCENARIO: ". The spec has no
 * top-level max_score: Gradescope takes it from the assignment's settings.
 */
#include <inttypes.h>

#include "core/trace.h"
#include "scenario/report.h"

static void put_test(buf_t *out, bool first, const char *prefix, const char *name, int score,
                     int max_score, bool passed, const char *output)
{
    buf_puts(out, first ? "\n  {\"name\": " : ",\n  {\"name\": ");
    if (prefix) {
        buf_t full = BUF_INIT;
        buf_printf(&full, "%s: %s", prefix, name);
        json_put_string(out, buf_cstr(&full));
        buf_free(&full);
    } else {
        json_put_string(out, name);
    }
    buf_printf(out, ", \"score\": %d, \"max_score\": %d, \"status\": \"%s\", \"output\": ", score,
               max_score, passed ? "passed" : "failed");
    json_put_string(out, output);
    buf_putc(out, '}');
}

static void put_run_tests(buf_t *out, const run_result_t *r, const char *prefix, bool *first)
{
    if (r->error) {
        put_test(out, *first, prefix, "run", 0, 0, false, r->error);
        *first = false;
    }
    for (size_t i = 0; i < r->nexpectations; i++) {
        const expect_result_t *e = &r->expectations[i];
        put_test(out, *first, prefix, report_str(e->name), e->points, e->max_points, e->passed,
                 report_str(e->detail));
        *first = false;
    }
    put_test(out, *first, prefix, "accounting", 0, 0, r->accounting_ok, report_accounting_text(r));
    *first = false;
}

/* The one line a student reads first. */
static void summary_line(const run_result_t *runs, size_t n, buf_t *line)
{
    report_totals_t t;
    report_totals(runs, n, &t);
    if (n != 1) {
        buf_printf(line, "%zu scenarios: %ld/%ld points, %zu of %zu passed", t.runs, t.score,
                   t.max_score, t.runs_passed, t.runs);
        return;
    }
    const run_result_t *r = &runs[0];
    buf_printf(line, "%s: ", report_str(r->scenario));
    if (r->error) {
        buf_printf(line, "the run failed: %s", r->error);
        return;
    }
    buf_printf(line, "%d/%d points, ", r->score, r->max_score);
    if (t.expectations_failed)
        buf_printf(line, "%zu of %zu expectations failed", t.expectations_failed, t.expectations);
    else
        buf_puts(line, "every expectation holds");
    if (!r->accounting_ok)
        buf_puts(line, "; a message was lost (see accounting)");
}

void report_write_gradescope(const run_result_t *runs, size_t n, const report_options_t *opt,
                             buf_t *out)
{
    report_totals_t t;
    report_totals(runs, n, &t);
    buf_printf(out, "{\"score\": %ld, ", t.score);
    if (opt->wall_clock)
        buf_printf(out, "\"execution_time\": %" PRId64 ", ", (t.wall_ms + 999) / 1000);
    buf_t line = BUF_INIT;
    summary_line(runs, n, &line);
    buf_puts(out, "\"output\": ");
    json_put_string(out, buf_cstr(&line));
    buf_free(&line);
    buf_puts(out, ",\n \"tests\": [");
    bool first = true;
    for (size_t i = 0; i < n; i++)
        put_run_tests(out, &runs[i], n > 1 ? report_str(runs[i].scenario) : NULL, &first);
    buf_puts(out, first ? "]}\n" : "\n ]}\n");
}
