/*
 * mailsim: the command line. Sub-commands are added as the layers beneath
 * them land; this file parses the command line and dispatches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/version.h"
#include "scenario/diag.h"
#include "scenario/load.h"
#include "walkthrough.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mailsim [walkthrough] [--lang en|el] [--segments]\n"
            "       mailsim validate FILE...\n"
            "       mailsim --version | --help\n"
            "\n"
            "  walkthrough   Alice writes to Roberto: the lecture's steps, narrated,\n"
            "                with every event of the simulation (the default)\n"
            "  --lang L      narration language: en or el (default: from LANG)\n"
            "  --segments    also show every TCP segment\n"
            "  validate      check scenario files; every error is one line\n"
            "                FILE: JSON.PATH: what is wrong (exit 0 valid, 2 not)\n");
}

/* mailsim validate FILE...: exit 0 when every file is valid, 2 otherwise. */
static int cmd_validate(int argc, char **argv)
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

static const char *default_lang(void)
{
    const char *lang = getenv("LANG");
    return lang && strncmp(lang, "el", 2) == 0 ? "el" : "en";
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "validate") == 0)
        return cmd_validate(argc - 2, argv + 2);
    walkthrough_options_t opt = {.lang = default_lang()};
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
            if (strcmp(opt.lang, "en") != 0 && strcmp(opt.lang, "el") != 0) {
                fprintf(stderr, "mailsim: --lang: expected en or el, got \"%s\"\n", opt.lang);
                return 2;
            }
        } else {
            fprintf(stderr, "mailsim: unknown argument \"%s\"\n", a);
            usage(stderr);
            return 2;
        }
    }
    opt.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    return walkthrough_run(&opt, stdout) == 0 ? 0 : 1;
}
