/*
 * serve_cmd: `mailsim serve`, a scenario run in real time with real
 * sockets joined to it (sim/bridge). Each --map ties a loopback port to a
 * simulated service; each external server of the scenario is played by a
 * real server on loopback. The run is the one `mailsim run` makes
 * (scenario/run.h: run_begin, then the bridge drives the clock, then
 * run_end), so a stop with Ctrl-C or SIGTERM writes the same report, log
 * and capture. With --tui the terminal front end watches the run live
 * (tui.h: tui_live_run turns the bridge) and the report follows once it
 * has given the terminal back.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "bridge/external.h"
#include "builtin.h"
#include "cli.h"
#include "core/util.h"
#include "scenario/load.h"
#include "scenario/run.h"
#include "tui.h"

typedef struct serve_map {
    char *listen_addr;
    uint16_t listen_port;
    char *host;
    char *service; /* a port number or smtp, submission, pop3, imap */
} serve_map_t;

typedef struct serve_args {
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
    const char *file;
    serve_map_t *maps;
    size_t nmaps;
    bridge_options_t bridge;
    bool tui;
} serve_args_t;

static void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: mailsim serve [OPTION]... [FILE] --map [ADDR:]PORT=HOST:PORT...\n"
            "Runs a scenario in real time and joins real sockets to it: a real client\n"
            "(telnet, curl, a mail program, a student's code) connected to a mapped port\n"
            "talks to a simulated server, as a host of its own in the simulation. Servers\n"
            "of the scenario marked \"external\" are played by real servers on loopback.\n"
            "Ctrl-C or SIGTERM stops and writes the report (as mailsim run does; exit 0\n"
            "every expectation held, 1 something failed, 2 bad input).\n"
            "\n"
            "  --map L=HOST:PORT  listen on L (ADDR:PORT or PORT; ADDR default 127.0.0.1,\n"
            "                     port 0 picks a free one) and connect each client to\n"
            "                     HOST's PORT in the simulation (a number, or smtp,\n"
            "                     submission, pop3, imap for the server's own); repeatable\n"
            "  --as HOST          real clients appear as HOST, a bare client of the\n"
            "                     scenario that expectations can name (default: a host\n"
            "                     per client address, real-1, real-2, ...)\n"
            "  --speed X          virtual seconds per real second (default 1)\n"
            "  --listen-any       allow maps on addresses other than loopback\n"
            "  --max-connections N  real connections at once (default %d)\n"
            "  --idle DURATION    close a real peer silent this long, in real time (default 5m)\n"
            "  --format F         text, json, junit or gradescope (default text)\n"
            "  --output FILE      write the report to FILE instead of standard output\n"
            "  --log FILE         also write every event to FILE\n"
            "  --log-format F     text or jsonl (default text)\n"
            "  --pcap FILE        also write every simulated TCP segment to FILE\n"
            "  --seed N           use seed N instead of the scenario's\n"
            "  --until DURATION   stop by itself at this virtual time\n"
            "  --lang L           en or el (default: from LANG)\n"
            "  --tui              watch the run in the terminal front end; q leaves it and\n"
            "                     writes the report (standard input and output: a terminal)\n"
            "\n"
            "With no FILE, serves the built-in walkthrough scenario (alice-to-roberto).\n"
            "The mapped addresses and other notes go to standard error.\n",
            BRIDGE_DEFAULT_MAX_CONNS);
}

static int usage_error(const char *fmt, const char *a)
{
    fprintf(stderr, "mailsim serve: ");
    fprintf(stderr, fmt, a);
    fprintf(stderr, "\ntry 'mailsim serve --help'\n");
    return 2;
}

/* ---- options ------------------------------------------------------------- */

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
        return false;
    errno = 0;
    *out = strtoull(s, NULL, 10);
    return errno == 0 && *out <= max;
}

/* [ADDR:]PORT=HOST:SERVICE */
static bool parse_map(const char *v, serve_map_t *m)
{
    const char *eq = strchr(v, '=');
    if (!eq)
        return false;
    char *listen = xstrndup(v, (size_t)(eq - v));
    char *colon = strrchr(listen, ':');
    const char *port = colon ? colon + 1 : listen;
    unsigned long long p;
    const char *target_colon = strrchr(eq + 1, ':');
    bool ok =
        parse_uint(port, 65535, &p) && target_colon && target_colon > eq + 1 && target_colon[1];
    if (ok) {
        m->listen_addr = colon ? xstrndup(listen, (size_t)(colon - listen)) : xstrdup("127.0.0.1");
        m->listen_port = (uint16_t)p;
        m->host = xstrndup(eq + 1, (size_t)(target_colon - eq - 1));
        m->service = xstrdup(target_colon + 1);
    }
    free(listen);
    return ok;
}

static int set_bridge_option(serve_args_t *a, const char *name, const char *v)
{
    unsigned long long n;
    if (strcmp(name, "map") == 0) {
        a->maps = xrealloc(a->maps, (a->nmaps + 1) * sizeof *a->maps);
        if (!parse_map(v, &a->maps[a->nmaps]))
            return usage_error("--map: expected [ADDR:]PORT=HOST:PORT, like "
                               "127.0.0.1:2525=mail.roberto.example:25, got \"%s\"",
                               v);
        a->nmaps++;
    } else if (strcmp(name, "as") == 0) {
        a->bridge.peer_host = v;
    } else if (strcmp(name, "speed") == 0) {
        char *end;
        a->bridge.speed = strtod(v, &end);
        if (*end || !(a->bridge.speed > 0) || a->bridge.speed > 1e9)
            return usage_error("--speed: expected a number above 0, like 1 or 60, got \"%s\"", v);
    } else if (strcmp(name, "max-connections") == 0) {
        if (!parse_uint(v, 100000, &n) || n == 0)
            return usage_error("--max-connections: expected a whole number from 1, got \"%s\"", v);
        a->bridge.limits.max_conns = (size_t)n;
    } else if (strcmp(name, "idle") == 0) {
        sim_time_t d;
        if (duration_parse(v, &d) != 0 || d <= 0)
            return usage_error("--idle: expected a duration like \"30s\" or \"5m\", got \"%s\"", v);
        a->bridge.limits.idle_us = d;
    } else {
        return usage_error("unknown option \"--%s\"", name);
    }
    return 0;
}

/* One option with its value; returns 0, or 2 after a usage error. */
static int set_option(serve_args_t *a, const char *name, const char *v)
{
    unsigned long long n;
    if (strcmp(name, "format") == 0) {
        if (report_format_parse(v, &a->format) != 0)
            return usage_error("--format: expected text, json, junit or gradescope, got \"%s\"", v);
    } else if (strcmp(name, "output") == 0) {
        a->output = v;
    } else if (strcmp(name, "log") == 0) {
        a->log_path = v;
    } else if (strcmp(name, "log-format") == 0) {
        a->log_format_given = true;
        if (log_format_parse(v, &a->log_format) != 0)
            return usage_error("--log-format: expected text or jsonl, got \"%s\"", v);
    } else if (strcmp(name, "pcap") == 0) {
        a->pcap_path = v;
    } else if (strcmp(name, "seed") == 0) {
        a->has_seed = true;
        if (!parse_uint(v, UINT64_MAX, &n))
            return usage_error("--seed: expected a whole number from 0, got \"%s\"", v);
        a->seed = n;
    } else if (strcmp(name, "until") == 0) {
        a->has_until = true;
        if (duration_parse(v, &a->until) != 0 || a->until <= 0)
            return usage_error("--until: expected a duration like \"3h\" or \"30m\", got \"%s\"",
                               v);
    } else if (strcmp(name, "lang") == 0) {
        a->lang = v;
        if (!cli_lang_ok("mailsim serve", v))
            return 2;
    } else {
        return set_bridge_option(a, name, v);
    }
    return 0;
}

/* Returns 0, 1 (help wanted) or 2 (usage error, said). */
static int parse_args(serve_args_t *a, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return 1;
        if (strcmp(arg, "--listen-any") == 0) {
            a->bridge.listen_any = true;
            continue;
        }
        if (strcmp(arg, "--tui") == 0) {
            a->tui = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (a->file)
                return usage_error("serve runs one scenario; \"%s\" is a second file", arg);
            a->file = arg;
            continue;
        }
        const char *eq = strchr(arg + 2, '=');
        char name[32];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg - 2) : (int)strlen(arg + 2),
                 arg + 2);
        if (!eq && i + 1 >= argc)
            return usage_error("--%s needs a value", name);
        int rc = set_option(a, name, eq ? eq + 1 : argv[++i]);
        if (rc)
            return rc;
    }
    if (a->log_format_given && !a->log_path)
        return usage_error("--log-format needs --log FILE%s", "");
    if (a->tui && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
        return usage_error("--tui needs a terminal on standard input and output%s "
                           "(leave --tui out to serve without it)",
                           "");
    return 0;
}

static void free_args(serve_args_t *a)
{
    for (size_t i = 0; i < a->nmaps; i++) {
        free(a->maps[i].listen_addr);
        free(a->maps[i].host);
        free(a->maps[i].service);
    }
    free(a->maps);
}

/* ---- wiring the bridge ---------------------------------------------------- */

/* The port of a map's target: a number, or a service of a scenario server. */
static bool map_port(const scenario_t *sc, const serve_map_t *m, uint16_t *out)
{
    unsigned long long n;
    if (parse_uint(m->service, 65535, &n) && n > 0) {
        *out = (uint16_t)n;
        return true;
    }
    const scenario_server_t *s = scenario_find_server(sc, m->host);
    const struct {
        const char *name;
        bool offered;
        uint16_t port;
    } services[] = {
        {"smtp", s && s->smtp.offered, s ? s->smtp.port : 0},
        {"submission", s && s->submission.offered, s ? s->submission.port : 0},
        {"pop3", s && s->pop3.offered, s ? s->pop3.port : 0},
        {"imap", s && s->imap.offered, s ? s->imap.port : 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(services); i++) {
        if (strcmp(m->service, services[i].name) != 0)
            continue;
        if (!services[i].offered) {
            fprintf(stderr, "mailsim serve: --map: %s offers no %s service\n", m->host, m->service);
            return false;
        }
        *out = services[i].port;
        return true;
    }
    fprintf(stderr,
            "mailsim serve: --map: expected a port number, or smtp, submission, pop3 or imap, "
            "got \"%s\"\n",
            m->service);
    return false;
}

static bool wire_externals(bridge_t *b, const scenario_t *sc)
{
    char err[256];
    for (size_t i = 0; i < sc->nservers; i++) {
        const scenario_server_t *s = &sc->servers[i];
        if (!s->external)
            continue;
        if (bridge_external(b, s->host, 25, s->external_addr, s->external_port, err, sizeof err)) {
            fprintf(stderr, "mailsim serve: %s\n", err);
            return false;
        }
        fprintf(stderr, "mailsim serve: %s:25 is played by the real server at %s\n", s->host,
                s->external);
    }
    return true;
}

static bool wire_maps(bridge_t *b, const serve_args_t *a, const scenario_t *sc)
{
    char err[256];
    for (size_t i = 0; i < a->nmaps; i++) {
        const serve_map_t *m = &a->maps[i];
        uint16_t port;
        if (!map_port(sc, m, &port))
            return false;
        if (bridge_map(b, m->listen_addr, m->listen_port, m->host, port, err, sizeof err)) {
            fprintf(stderr, "mailsim serve: --map: %s\n", err);
            return false;
        }
        fprintf(stderr, "mailsim serve: %s:%u -> %s:%u\n", m->listen_addr,
                (unsigned)bridge_map_port(b, bridge_map_count(b) - 1), m->host, (unsigned)port);
    }
    return true;
}

/* ---- running -------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int64_t monotonic_ms(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The TUI watching the run, while it has the terminal: notices go to its notes. */
static tui_live_t *serve_tui;

static void serve_notice(void *ctx, const char *line)
{
    if (serve_tui)
        tui_live_notice(serve_tui, line);
    else
        fprintf(stderr, "%s\n", line);
}

/* The report, as mailsim run writes it; the exit code. */
static int write_report(const serve_args_t *a, const run_result_t *r)
{
    FILE *out = a->output ? fopen(a->output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "mailsim serve: --output: cannot create %s: %s\n", a->output,
                strerror(errno));
        return 2;
    }
    report_options_t ropt = {
        .color =
            a->format == REPORT_TEXT && !a->output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"),
        .wall_clock = true,
        .lang = a->lang,
    };
    buf_t b = BUF_INIT;
    report_write(a->format, r, 1, &ropt, &b);
    bool ok = fwrite(b.data, 1, b.len, out) == b.len;
    buf_free(&b);
    ok &= (out == stdout ? fflush(out) : fclose(out)) == 0;
    if (!ok) {
        fprintf(stderr, "mailsim serve: the report could not be written completely\n");
        return 2;
    }
    return r->passed ? 0 : 1;
}

/* What the TUI turns: the bridge, up to the run's end. */
typedef struct serve_drive {
    bridge_t *b;
    world_t *w;
    sim_time_t until;
} serve_drive_t;

static bool drive_turn(void *ctx, int max_wait_ms)
{
    serve_drive_t *d = ctx;
    if (world_now(d->w) >= d->until)
        return false;
    bridge_poll_until(d->b, max_wait_ms, d->until);
    return world_now(d->w) < d->until;
}

static sim_time_t drive_now(void *ctx)
{
    serve_drive_t *d = ctx;
    sim_time_t v = bridge_virtual_now(d->b);
    return v < d->until ? v : d->until;
}

/* Runs the bridge under the TUI until q or a signal; false when the TUI could not start. */
static bool serve_tui_run(const serve_args_t *a, const scenario_t *sc, world_t *w, bridge_t *b,
                          sim_time_t until)
{
    serve_drive_t drive = {.b = b, .w = w, .until = until};
    tui_driver_t d = {
        .turn = drive_turn,
        .now = drive_now,
        .ctx = &drive,
        .stop = &stop_requested,
        .speed = a->bridge.speed,
    };
    tui_options_t topt = {.lang = a->lang};
    serve_tui = tui_live_new(sc, w, &topt);
    int rc = tui_live_run(serve_tui, &d);
    tui_live_t *t = serve_tui;
    serve_tui = NULL;
    tui_live_free(t);
    return rc == 0;
}

/* Bridges the begun run, runs it until told to stop; false when the wiring failed. */
static bool serve_run(const serve_args_t *a, const scenario_t *sc, run_t *run)
{
    bridge_options_t bopt = a->bridge;
    bopt.notice = serve_notice;
    bridge_t *b = bridge_new(run_world(run), &bopt);
    if (!b) {
        fprintf(stderr, "mailsim serve: --as: no host %s in the scenario\n", bopt.peer_host);
        return false;
    }
    bool ok = wire_externals(b, sc) && wire_maps(b, a, sc);
    if (ok) {
        sim_time_t until = a->has_until ? a->until : sc->until_given ? sc->until : SIM_TIME_NEVER;
        fprintf(stderr,
                "mailsim serve: %s running at speed %g; %sCtrl-C or SIGTERM stops it and "
                "writes the report\n",
                sc->id, bopt.speed, a->tui ? "q in the TUI, " : "");
        install_signals();
        if (a->tui)
            ok = serve_tui_run(a, sc, run_world(run), b, until);
        else
            bridge_run(b, &stop_requested, until);
        bridge_stats_t st;
        bridge_stats(b, &st);
        fprintf(stderr,
                "mailsim serve: stopped: %llu connections in, %llu out, %llu refused, %llu cut "
                "off by a limit\n",
                (unsigned long long)st.accepted, (unsigned long long)st.outbound,
                (unsigned long long)st.refused, (unsigned long long)st.limited);
    }
    bridge_free(b);
    return ok;
}

static scenario_t *load_scenario(const serve_args_t *a)
{
    diag_t diag;
    diag_init(&diag);
    scenario_t *sc;
    if (a->file) {
        sc = scenario_load_file(a->file, &diag);
    } else {
        char *name = builtin_source_name(&builtin_scenarios[0]);
        sc = scenario_load_string(name, builtin_scenarios[0].json, builtin_scenarios[0].len, &diag);
        free(name);
    }
    if (diag_count(&diag) > 0) {
        scenario_free(sc);
        sc = NULL;
    }
    diag_print(&diag, stderr);
    diag_free(&diag);
    return sc;
}

static bool has_external(const scenario_t *sc)
{
    for (size_t i = 0; i < sc->nservers; i++)
        if (sc->servers[i].external)
            return true;
    return false;
}

static int serve(const serve_args_t *a, const scenario_t *sc)
{
    if (a->nmaps == 0 && !has_external(sc)) {
        fprintf(stderr, "mailsim serve: nothing to serve: give at least one --map "
                        "(or a scenario with an external server)\n");
        return 2;
    }
    run_options_t opt = {
        .lang = a->lang,
        .has_seed = a->has_seed,
        .seed = a->seed,
        .has_until = a->has_until,
        .until = a->until,
        .log_path = a->log_path,
        .log_format = a->log_format,
        .pcap_path = a->pcap_path,
        .notice = serve_notice,
        .clock = monotonic_ms,
    };
    diag_t diag;
    diag_init(&diag);
    run_result_t r;
    run_t *run;
    run_status_t st = run_begin(sc, &opt, &diag, &r, &run);
    diag_print(&diag, stderr);
    diag_free(&diag);
    if (st == RUN_BAD_INPUT)
        return 2;
    int rc = 2;
    if (!run || serve_run(a, sc, run)) {
        if (run)
            run_end(run, &r);
        rc = write_report(a, &r);
    } else {
        run_end(run, &r);
    }
    run_result_free(&r);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    serve_args_t a = {.format = REPORT_TEXT, .log_format = LOG_TEXT, .lang = cli_default_lang()};
    bridge_options_default(&a.bridge);
    int rc = parse_args(&a, argc, argv);
    if (rc == 1)
        serve_usage(stdout);
    if (rc == 0) {
        scenario_t *sc = load_scenario(&a);
        rc = sc ? serve(&a, sc) : 2;
        scenario_free(sc);
    } else if (rc == 1) {
        rc = 0;
    }
    free_args(&a);
    return rc;
}
