/*
 * run_cmd: `mailsim run`, the headless runner's command line
 * (SCENARIO-FORMAT.md § Running). Every file is loaded and checked before
 * anything runs, so an invalid one costs no time and exits 2; then each
 * runs in turn and one report covers them all. With several files, --log
 * and --pcap write one file per scenario, DIR/NAME-BASE (run.jsonl for
 * lab3.json becomes lab3-run.jsonl beside it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "cli.h"
#include "core/util.h"
#include "scenario/load.h"
#include "scenario/run.h"

typedef struct run_args {
    report_format_t format;
    const char *output;
    const char *log_path;
    log_format_t log_format;
    bool log_format_given;
    const char *pcap_path;
    bool has_seed;
    uint64_t seed;
    bool has_until;
    sim_time_t until;
    const char *lang;
    bool wall_clock;
    char **files;
    size_t nfiles;
} run_args_t;

static void run_usage(FILE *out)
{
    fprintf(
        out,
        "usage: mailsim run [OPTION]... [FILE]...\n"
        "Runs scenario files headless and writes one report covering them all.\n"
        "With no FILE, runs the built-in walkthrough scenario (alice-to-roberto).\n"
        "Exit status: 0 every expectation held and nothing was lost, 1 something\n"
        "failed, 2 bad input (usage, an invalid scenario, a file that cannot be made).\n"
        "\n"
        "  --format F        text, json, junit or gradescope (default text)\n"
        "  --output FILE     write the report to FILE instead of standard output\n"
        "  --log FILE        also write every event of the run to FILE\n"
        "  --log-format F    text or jsonl (default text)\n"
        "  --pcap FILE       also write every TCP segment to FILE (pcap, for Wireshark)\n"
        "  --seed N          use seed N instead of the scenario's\n"
        "  --until DURATION  stop at this virtual time instead of the scenario's\n"
        "  --lang L          en or el: titles, narration, the text report (default: from LANG)\n"
        "  --wall-clock      include the wall-clock time each run took (the report\n"
        "                    then differs from run to run)\n"
        "\n"
        "With several files, --log and --pcap write one file per scenario, named\n"
        "NAME-FILE in FILE's directory (--log out/run.log: out/lab1-run.log, ...).\n");
}

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "mailsim run: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\ntry 'mailsim run --help'\n");
    return 2;
}

/* ---- options ------------------------------------------------------------- */

static bool parse_seed(const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    *out = v;
    return errno == 0;
}

/* One option with its value; returns 0, or 2 after a usage error. */
static int set_option(run_args_t *a, const char *name, const char *v)
{
    if (strcmp(name, "format") == 0) {
        if (report_format_parse(v, &a->format) != 0)
            return usage_error("--format: expected text, json, junit or gradescope, got \"%s\"%s",
                               v, "");
    } else if (strcmp(name, "output") == 0) {
        a->output = v;
    } else if (strcmp(name, "log") == 0) {
        a->log_path = v;
    } else if (strcmp(name, "log-format") == 0) {
        a->log_format_given = true;
        if (log_format_parse(v, &a->log_format) != 0)
            return usage_error("--log-format: expected text or jsonl, got \"%s\"%s", v, "");
    } else if (strcmp(name, "pcap") == 0) {
        a->pcap_path = v;
    } else if (strcmp(name, "seed") == 0) {
        a->has_seed = true;
        if (!parse_seed(v, &a->seed))
            return usage_error("--seed: expected a whole number from 0, got \"%s\"%s", v, "");
    } else if (strcmp(name, "until") == 0) {
        a->has_until = true;
        if (duration_parse(v, &a->until) != 0 || a->until <= 0)
            return usage_error("--until: expected a duration like \"3h\" or \"30m\", got \"%s\"%s",
                               v, "");
    } else if (strcmp(name, "lang") == 0) {
        a->lang = v;
        if (!cli_lang_ok("mailsim run", v))
            return 2;
    } else {
        return usage_error("unknown option \"--%s\"%s", name, "");
    }
    return 0;
}

/* --name VALUE or --name=VALUE; *i moves past what was used. Returns 0, 1 for --help, or 2. */
static int parse_option(run_args_t *a, int argc, char **argv, int *i)
{
    const char *arg = argv[*i] + 2;
    if (strcmp(arg, "help") == 0)
        return 1;
    if (strcmp(arg, "wall-clock") == 0) {
        a->wall_clock = true;
        return 0;
    }
    const char *eq = strchr(arg, '=');
    char name[32];
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    if (eq)
        return set_option(a, name, eq + 1);
    if (*i + 1 >= argc)
        return usage_error("--%s needs a value%s", name, "");
    return set_option(a, name, argv[++*i]);
}

/* Returns 0, 1 (help shown) or 2 (usage error, said). */
static int parse_args(run_args_t *a, int argc, char **argv)
{
    a->lang = cli_default_lang();
    a->files = xcalloc((size_t)argc + 1, sizeof *a->files);
    bool options = true;
    for (int i = 0; i < argc; i++) {
        if (options && strcmp(argv[i], "--") == 0) {
            options = false;
        } else if (options && strncmp(argv[i], "--", 2) == 0) {
            int rc = parse_option(a, argc, argv, &i);
            if (rc)
                return rc;
        } else if (options && (strcmp(argv[i], "-h") == 0)) {
            return 1;
        } else {
            a->files[a->nfiles++] = argv[i];
        }
    }
    if (a->log_format_given && !a->log_path)
        return usage_error("--log-format needs --log FILE%s%s", "", "");
    return 0;
}

/* ---- progress and notices (standard error) -------------------------------- */

typedef struct run_tty {
    bool progress;    /* standard error is a terminal */
    bool shown;       /* a progress line is on it now */
    bool until_given; /* the run stops at `until`, not when idle */
    int64_t last_ms;
} run_tty_t;

static int64_t monotonic_ms(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tty_clear(run_tty_t *t)
{
    if (t->shown)
        fputs("\r\033[K", stderr);
    t->shown = false;
}

/* At most once a second of wall time: how far the virtual clock has come. */
static void on_progress(void *ctx, const scenario_t *sc, sim_time_t now, sim_time_t until)
{
    run_tty_t *t = ctx;
    int64_t ms = monotonic_ms(NULL);
    if (ms - t->last_ms < 1000)
        return;
    t->last_ms = ms;
    char at[32], end[32];
    duration_format(now / SIM_SEC * SIM_SEC, at, sizeof at);
    duration_format(until, end, sizeof end);
    fprintf(stderr, "\r\033[Kmailsim run: %s: virtual time %s %s %s", sc->id, at,
            t->until_given ? "of" : "(until idle, at most", end);
    if (!t->until_given)
        fputc(')', stderr);
    fflush(stderr);
    t->shown = true;
}

static void on_notice(void *ctx, const char *line)
{
    tty_clear(ctx);
    fprintf(stderr, "%s\n", line);
}

/* ---- loading -------------------------------------------------------------- */

/* Every file, or the built-in; false (errors printed) when any is invalid. */
static bool load_all(const run_args_t *a, scenario_t ***out, size_t *n)
{
    size_t count = a->nfiles ? a->nfiles : 1;
    scenario_t **scs = xcalloc(count, sizeof *scs);
    diag_t diag;
    diag_init(&diag);
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        size_t before = diag_count(&diag);
        if (a->nfiles) {
            scs[i] = scenario_load_file(a->files[i], &diag);
        } else {
            char *name = builtin_source_name(&builtin_scenarios[0]);
            scs[i] = scenario_load_string(name, builtin_scenarios[0].json, builtin_scenarios[0].len,
                                          &diag);
            free(name);
        }
        ok &= scs[i] != NULL && diag_count(&diag) == before;
    }
    diag_print(&diag, stderr);
    diag_free(&diag);
    *out = scs;
    *n = count;
    return ok;
}

static void free_all(scenario_t **scs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        scenario_free(scs[i]);
    free(scs);
}

/* DIR/NAME-BASE for path DIR/BASE. The caller frees it. */
static char *per_scenario_path(const char *path, const char *name)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xasprintf("%s-%s", name, path);
    return xasprintf("%.*s/%s-%s", (int)(slash - path), path, name, slash + 1);
}

/* One file per scenario needs distinct names; false (said) when two share one. */
static bool names_distinct(scenario_t **scs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(scs[i]->id, scs[j]->id) == 0) {
                fprintf(stderr,
                        "mailsim run: %s and %s are both named \"%s\"; --log and --pcap write "
                        "one file per scenario, NAME-FILE, so run them separately\n",
                        scs[j]->source, scs[i]->source, scs[i]->id);
                return false;
            }
    return true;
}

/* ---- running -------------------------------------------------------------- */

typedef struct run_session {
    const run_args_t *args;
    run_tty_t tty;
    run_result_t *results;
    size_t nresults;
} run_session_t;

/* Runs one scenario into s->results; false (said) when it was bad input. */
static bool run_one(run_session_t *s, const scenario_t *sc, size_t count)
{
    const run_args_t *a = s->args;
    char *log = a->log_path && count > 1 ? per_scenario_path(a->log_path, sc->id) : NULL;
    char *pcap = a->pcap_path && count > 1 ? per_scenario_path(a->pcap_path, sc->id) : NULL;
    run_options_t opt = {
        .lang = a->lang,
        .has_seed = a->has_seed,
        .seed = a->seed,
        .has_until = a->has_until,
        .until = a->until,
        .log_path = log ? log : a->log_path,
        .log_format = a->log_format,
        .pcap_path = pcap ? pcap : a->pcap_path,
        .notice = on_notice,
        .notice_ctx = &s->tty,
        .progress = s->tty.progress ? on_progress : NULL,
        .progress_ctx = &s->tty,
        .clock = monotonic_ms,
    };
    s->tty.last_ms = monotonic_ms(NULL);
    s->tty.until_given = a->has_until || sc->until_given;
    diag_t diag;
    diag_init(&diag);
    run_status_t st = run_scenario(sc, &opt, &diag, &s->results[s->nresults]);
    tty_clear(&s->tty);
    if (st == RUN_DONE)
        s->nresults++;
    else
        diag_print(&diag, stderr);
    diag_free(&diag);
    free(log);
    free(pcap);
    return st == RUN_DONE;
}

static bool write_report(const run_session_t *s, FILE *out)
{
    const run_args_t *a = s->args;
    report_options_t ropt = {
        .color =
            a->format == REPORT_TEXT && !a->output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"),
        .wall_clock = a->wall_clock,
        .lang = a->lang,
    };
    buf_t b = BUF_INIT;
    report_write(a->format, s->results, s->nresults, &ropt, &b);
    bool ok = fwrite(b.data, 1, b.len, out) == b.len;
    buf_free(&b);
    return ok;
}

/* Runs them all and writes the report; the exit code. */
static int run_all(const run_args_t *a, scenario_t **scs, size_t n)
{
    FILE *out = a->output ? fopen(a->output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "mailsim run: --output: cannot create %s: %s\n", a->output,
                strerror(errno));
        return 2;
    }
    run_session_t s = {.args = a, .tty = {.progress = isatty(STDERR_FILENO)}};
    s.results = xcalloc(n, sizeof *s.results);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = run_one(&s, scs[i], n);
    int rc = 2;
    if (ok) {
        bool written = write_report(&s, out);
        written &= (out == stdout ? fflush(out) : fclose(out)) == 0;
        out = NULL;
        report_totals_t t;
        report_totals(s.results, s.nresults, &t);
        rc = t.runs_passed == t.runs ? 0 : 1;
        if (!written) {
            fprintf(stderr, "mailsim run: the report could not be written completely\n");
            rc = 2;
        }
    }
    if (out && out != stdout)
        fclose(out);
    for (size_t i = 0; i < s.nresults; i++)
        run_result_free(&s.results[i]);
    free(s.results);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    run_args_t a = {.format = REPORT_TEXT, .log_format = LOG_TEXT};
    int rc = parse_args(&a, argc, argv);
    if (rc == 1)
        run_usage(stdout);
    if (rc != 0) {
        free(a.files);
        return rc == 1 ? 0 : 2;
    }
    scenario_t **scs;
    size_t n;
    rc = 2;
    if (load_all(&a, &scs, &n) && ((!a.log_path && !a.pcap_path) || names_distinct(scs, n)))
        rc = run_all(&a, scs, n);
    free_all(scs, n);
    free(a.files);
    return rc;
}
