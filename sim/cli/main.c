/*
 * mailsim: the command line. This file parses the first word and
 * dispatches: run, list, validate and tui each have their own file. With
 * no command word, on a terminal, the TUI opens on the built-in
 * walkthrough; otherwise (output to a file or a pipe, or `walkthrough`
 * named) the narrated text walkthrough (walkthrough.c) is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/version.h"
#include "scenario/diag.h"
#include "scenario/load.h"
#include "walkthrough.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: mailsim [walkthrough] [--lang en|el] [--segments]\n"
                 "       mailsim tui [--lang en|el] [FILE]\n"
                 "       mailsim run [OPTION]... [FILE]...\n"
                 "       mailsim serve [OPTION]... [FILE] --map [ADDR:]PORT=HOST:PORT...\n"
                 "       mailsim list [--lang en|el]\n"
                 "       mailsim validate FILE...\n"
                 "       mailsim --version | --help\n"
                 "\n"
                 "  walkthrough   Alice writes to Roberto: the lecture's steps, narrated,\n"
                 "                with every event of the simulation, as text (the default\n"
                 "                when the output is not a terminal)\n"
                 "  --lang L      narration language: en or el (default: from LANG)\n"
                 "  --segments    also show every TCP segment\n"
                 "  tui           step through a scenario in the terminal (default: the\n"
                 "                built-in walkthrough; `mailsim` alone on a terminal)\n"
                 "  run           run scenario files headless and report how each went\n"
                 "                (exit 0 passed, 1 failed, 2 bad input); with no file, the\n"
                 "                built-in walkthrough scenario; `mailsim run --help` for options\n"
                 "  list          the built-in and shipped scenarios, with their titles\n"
                 "  validate      check scenario files; every error is one line\n"
                 "                FILE: JSON.PATH: what is wrong (exit 0 valid, 2 not)\n");
}

const char *cli_default_lang(void)
{
    const char *lang = getenv("LANG");
    return lang && strncmp(lang, "el", 2) == 0 ? "el" : "en";
}

bool cli_lang_ok(const char *cmd, const char *lang)
{
    if (strcmp(lang, "en") == 0 || strcmp(lang, "el") == 0)
        return true;
    fprintf(stderr, "%s: --lang: expected en or el, got \"%s\"\n", cmd, lang);
    return false;
}

int cmd_validate(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "mailsim validate: name at least one scenario file\n");
        return 2;
    }
    int status = 0;
    for (int i = 0; i < argc; i++) {
        diag_t diag;
        diag_init(&diag);
        scenario_t *sc = scenario_load_file(argv[i], &diag);
        if (!sc || diag_count(&diag) > 0) {
            diag_print(&diag, stderr);
            status = 2;
        }
        scenario_free(sc);
        diag_free(&diag);
    }
    return status;
}

static int cmd_walkthrough(int argc, char **argv)
{
    walkthrough_options_t opt = {.lang = cli_default_lang()};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            printf("mailsim %s\n", MAILSIM_VERSION);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "walkthrough") == 0 && i == 1) {
            continue;
        } else if (strcmp(a, "--segments") == 0) {
            opt.segments = true;
        } else if (strcmp(a, "--lang") == 0 && i + 1 < argc) {
            opt.lang = argv[++i];
            if (!cli_lang_ok("mailsim", opt.lang))
                return 2;
        } else {
            fprintf(stderr, "mailsim: unknown argument \"%s\"\n", a);
            usage(stderr);
            return 2;
        }
    }
    opt.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    return walkthrough_run(&opt, stdout) == 0 ? 0 : 1;
}

/* `mailsim` or `mailsim --lang L` with a terminal on both ends. */
static bool wants_tui(int argc, char **argv)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return false;
    return argc == 1 || (argc == 3 && strcmp(argv[1], "--lang") == 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "tui") == 0)
        return cmd_tui(argc - 2, argv + 2);
    if (wants_tui(argc, argv))
        return cmd_tui(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "validate") == 0)
        return cmd_validate(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "list") == 0)
        return cmd_list(argc - 2, argv + 2);
    return cmd_walkthrough(argc, argv);
}
