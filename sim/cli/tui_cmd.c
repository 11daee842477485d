/*
 * tui_cmd: `mailsim tui [--lang L] [FILE]`, the terminal front end on a
 * scenario file, or on the built-in walkthrough when no file is named.
 * `mailsim` with no argument on a terminal comes here too.
 */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "cli.h"
#include "scenario/diag.h"
#include "scenario/load.h"
#include "tui.h"

static void tui_usage(FILE *out)
{
    fprintf(out, "usage: mailsim tui [--lang en|el] [FILE]\n"
                 "Steps through a scenario in the terminal: the network, each session's\n"
                 "lines, the queues, the mailboxes and every event, with the narration.\n"
                 "With no FILE, the built-in walkthrough (Alice writes to Roberto).\n"
                 "Inside, ? lists the keys.\n");
}

static scenario_t *tui_load(const char *file, diag_t *diag)
{
    if (file)
        return scenario_load_file(file, diag);
    char *name = builtin_source_name(&builtin_scenarios[0]);
    scenario_t *sc =
        scenario_load_string(name, builtin_scenarios[0].json, builtin_scenarios[0].len, diag);
    free(name);
    return sc;
}

int cmd_tui(int argc, char **argv)
{
    tui_options_t opt = {.lang = cli_default_lang()};
    const char *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            tui_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
            opt.lang = argv[++i];
            if (!cli_lang_ok("mailsim tui", opt.lang))
                return 2;
        } else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "mailsim tui: unexpected argument \"%s\"\n", argv[i]);
            tui_usage(stderr);
            return 2;
        } else {
            file = argv[i];
        }
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        /* A usage error, as for serve --tui: exit 2 (bad input), not 1 (a failed expectation). */
        fprintf(stderr, "mailsim tui: needs a terminal (standard input and output); "
                        "without one, use mailsim run or mailsim walkthrough\n");
        return 2;
    }
    diag_t diag;
    diag_init(&diag);
    scenario_t *sc = tui_load(file, &diag);
    if (!sc) {
        diag_print(&diag, stderr);
        diag_free(&diag);
        return 2;
    }
    diag_free(&diag);
    int rc = tui_run(sc, &opt);
    scenario_free(sc);
    return rc;
}
