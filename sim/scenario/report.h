/*
 * report: what a headless run found, written for the people and programs that
 * read it. The runner fills one run_result_t per scenario file; report_write
 * turns a set of them into one report in one of four formats:
 *
 *   text        for a person at a terminal (colour optional)
 *   json        the contract of SCENARIO-FORMAT.md § Running, read by grading scripts
 *   junit       JUnit XML, for CI systems (GitHub Actions, GitLab, Jenkins)
 *   gradescope  Gradescope's autograder results.json
 *
 * Every writer only reads the results and appends to a buf_t; none reads the
 * clock. With wall_clock false the output depends on nothing but the results,
 * so the same scenario and seed give byte-identical reports. docs/reports.md
 * shows each format.
 */
#ifndef MAILSIM_SCENARIO_REPORT_H
#define MAILSIM_SCENARIO_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* One expectation of a scenario, judged. The run_result_t owns the strings. */
typedef struct expect_result {
    char *name;
    bool passed;
    int points; /* earned: max_points when passed, else 0 */
    int max_points;
    char *detail; /* what was found, in a student's words; never NULL */
} expect_result_t;

typedef struct run_stats {
    uint64_t events, accepted, delivered, bounced, queued;
    int64_t virtual_us;
    int64_t wall_ms;
} run_stats_t;

/* One scenario file, run. Every pointer member is owned (run_result_free frees it). */
typedef struct run_result {
    char *scenario; /* the file's base name without .json, e.g. "alice-to-roberto" */
    char *title;    /* in the chosen language, may be NULL */
    char *file;     /* the path as given */
    uint64_t seed;
    bool passed; /* every expectation held and accounting is ok */
    int score, max_score;
    expect_result_t *expectations;
    size_t nexpectations;
    run_stats_t stats;
    bool accounting_ok;
    char *accounting_detail; /* NULL when ok; else the violation in words */
    char *error;             /* NULL, or why the run itself failed (then passed is false) */
} run_result_t;

/* Frees the members (strings and the expectations array), not r itself; r may be NULL. */
void run_result_free(run_result_t *r);

/*
 * The scenario name of a path: the base name without a trailing ".json"
 * ("labs/alice-to-roberto.json" gives "alice-to-roberto"). The caller frees it.
 */
char *report_scenario_name(const char *path);

typedef enum report_format {
    REPORT_TEXT,
    REPORT_JSON,
    REPORT_JUNIT,
    REPORT_GRADESCOPE
} report_format_t;

/* "text", "json", "junit", "gradescope": 0, or -1 for any other name (out untouched). */
int report_format_parse(const char *name, report_format_t *out);
/* The name report_format_parse reads back. */
const char *report_format_name(report_format_t fmt);

typedef struct report_options {
    bool color;       /* text only: ANSI colours; false writes no escape byte at all */
    bool wall_clock;  /* include wall_ms; false gives byte-identical output across runs */
    const char *lang; /* "en" (also NULL) or "el": the text report's own words */
} report_options_t;

/*
 * One report covering n runs (mailsim run a.json b.json ...), appended to out.
 * opt may be NULL (no colour, no wall clock, English). Every format ends with
 * a newline.
 */
void report_write(report_format_t fmt, const run_result_t *runs, size_t n,
                  const report_options_t *opt, buf_t *out);

/*
 * The writers report_write dispatches to, one per file (report_text.c,
 * report_json.c, report_junit.c, report_gradescope.c). opt is never NULL here.
 */
void report_write_text(const run_result_t *runs, size_t n, const report_options_t *opt, buf_t *out);
void report_write_json(const run_result_t *runs, size_t n, const report_options_t *opt, buf_t *out);
void report_write_junit(const run_result_t *runs, size_t n, const report_options_t *opt,
                        buf_t *out);
void report_write_gradescope(const run_result_t *runs, size_t n, const report_options_t *opt,
                             buf_t *out);

/* Totals over several runs, for the summary lines of every format. */
typedef struct report_totals {
    long score, max_score;
    size_t runs, runs_passed;
    size_t expectations, expectations_failed;
    int64_t wall_ms;
} report_totals_t;
void report_totals(const run_result_t *runs, size_t n, report_totals_t *out);

/* s, or "" for NULL: a result read from a half-filled run_result_t never crashes a writer. */
static inline const char *report_str(const char *s)
{
    return s ? s : "";
}

/*
 * The accounting check in words: accounting_detail when it failed (or a
 * generic sentence when the runner gave none), else what held.
 */
const char *report_accounting_text(const run_result_t *r);


/* The wall time a report shows: stats.wall_ms with opt->wall_clock, else 0. */
int64_t report_wall_ms(const run_result_t *r, const report_options_t *opt);

#endif
