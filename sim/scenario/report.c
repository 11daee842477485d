/*
 * report: the result model's lifetime, the format names, and the dispatch to
 * one writer per format. The writers themselves live in report_text.c,
 * report_json.c, report_junit.c and report_gradescope.c.
 */
#include "scenario/report.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void run_result_free(run_result_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nexpectations; i++) {
        free(r->expectations[i].name);
        free(r->expectations[i].detail);
    }
    free(r->expectations);
    free(r->scenario);
    free(r->title);
    free(r->file);
    free(r->accounting_detail);
    free(r->error);
    memset(r, 0, sizeof *r);
}

char *report_scenario_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    return xstrndup(base, n);
}

static const char *const format_names[] = {
    [REPORT_TEXT] = "text",
    [REPORT_JSON] = "json",
    [REPORT_JUNIT] = "junit",
    [REPORT_GRADESCOPE] = "gradescope",
};

int report_format_parse(const char *name, report_format_t *out)
{
    for (size_t i = 0; i < ARRAY_LEN(format_names); i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (report_format_t)i;
            return 0;
        }
    }
    return -1;
}

const char *report_format_name(report_format_t fmt)
{
    return format_names[fmt];
}

void report_totals(const run_result_t *runs, size_t n, report_totals_t *out)
{
    memset(out, 0, sizeof *out);
    out->runs = n;
    for (size_t i = 0; i < n; i++) {
        const run_result_t *r = &runs[i];
        out->score += r->score;
        out->max_score += r->max_score;
        out->runs_passed += r->passed;
        out->wall_ms += r->stats.wall_ms;
        out->expectations += r->nexpectations;
        for (size_t j = 0; j < r->nexpectations; j++)
            out->expectations_failed += !r->expectations[j].passed;
    }
}

const char *report_accounting_text(const run_result_t *r)
{
    if (r->accounting_ok)
        return "every message a server accepted is in a mailbox, in a queue or answered by a "
               "bounce";
    if (r->accounting_detail)
        return r->accounting_detail;
    return "a message a server accepted is in no mailbox, no queue and no bounce";
}

int64_t report_wall_ms(const run_result_t *r, const report_options_t *opt)
{
    return opt->wall_clock ? r->stats.wall_ms : 0;
}

void report_write(report_format_t fmt, const run_result_t *runs, size_t n,
                  const report_options_t *opt, buf_t *out)
{
    static const report_options_t defaults = {false, false, "en"};
    if (!opt)
        opt = &defaults;
    switch (fmt) {
    case REPORT_TEXT:
        report_write_text(runs, n, opt, out);
        break;
    case REPORT_JSON:
        report_write_json(runs, n, opt, out);
        break;
    case REPORT_JUNIT:
        report_write_junit(runs, n, opt, out);
        break;
    case REPORT_GRADESCOPE:
        report_write_gradescope(runs, n, opt, out);
        break;
    }
}
