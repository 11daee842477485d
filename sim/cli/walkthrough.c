/*
 * walkthrough: the lecture's walkthrough as text. It runs the built-in
 * scenario (scenarios/alice-to-roberto.json, the same one `mailsim run` and
 * the TUI use) and prints every event of the simulation, each lecture step
 * announced as the narrator reaches it, then the scenario's report.
 */
#include "walkthrough.h"

#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "core/buf.h"
#include "core/util.h"
#include "node/world.h"
#include "scenario/load.h"
#include "scenario/report.h"
#include "scenario/run.h"

typedef struct printer {
    const walkthrough_options_t *opt;
    FILE *out;
    buf_t line;
} printer_t;

static void on_event(void *ctx, const trace_event_t *ev)
{
    printer_t *p = ctx;
    if (ev->kind == TRACE_WALKTHROUGH_STEP) {
        bool el = strcmp(p->opt->lang, "el") == 0;
        fprintf(p->out, "%s\n== %s %lld: %s%s\n", p->opt->color ? "\033[1;33m" : "",
                el ? "Βήμα" : "Step", (long long)ev->step, ev->text ? ev->text : "",
                p->opt->color ? "\033[0m" : "");
        return;
    }
    if (!p->opt->segments && (ev->kind == TRACE_TCP_SEGMENT || ev->kind == TRACE_TCP_DROP ||
                              ev->kind == TRACE_TCP_RETRANSMIT))
        return;
    buf_reset(&p->line);
    trace_format_text(ev, &p->line);
    fprintf(p->out, "%s\n", buf_cstr(&p->line));
}

int walkthrough_run(const walkthrough_options_t *opt, FILE *out)
{
    const builtin_scenario_t *b = &builtin_scenarios[0];
    char *name = builtin_source_name(b);
    diag_t diag;
    diag_init(&diag);
    scenario_t *sc = scenario_load_string(name, b->json, b->len, &diag);
    free(name);
    if (!sc)
        panic("the built-in walkthrough does not load: %s", diag_count(&diag) ? diag_line(&diag, 0) : "?");
    run_options_t ropt = {.lang = opt->lang};
    run_result_t r;
    memset(&r, 0, sizeof r);
    run_t *run = NULL;
    if (run_begin(sc, &ropt, &diag, &r, &run) != RUN_DONE || !run)
        panic("the built-in walkthrough does not run");
    /* Subscribed after the narrator: a step's announcement comes before the event that reached it. */
    printer_t p = {.opt = opt, .out = out};
    world_t *w = run_world(run);
    trace_subscribe(&world_sim(w)->trace, on_event, &p);
    world_run_until(w, sc->until);
    trace_unsubscribe(&world_sim(w)->trace, on_event, &p);
    run_end(run, &r);
    buf_t report = BUF_INIT;
    report_options_t ro = {.color = opt->color, .lang = opt->lang};
    report_write(REPORT_TEXT, &r, 1, &ro, &report);
    fprintf(out, "\n%s", buf_cstr(&report));
    int status = r.passed ? 0 : 1;
    buf_free(&report);
    buf_free(&p.line);
    run_result_free(&r);
    scenario_free(sc);
    diag_free(&diag);
    return status;
}
