/*
 * list_cmd: `mailsim list`, the scenarios at hand: the ones built into the
 * binary, then the shipped ones found in the installed share directory
 * (BINDIR/../share/mailsim/scenarios, as `make install` lays it out) and in
 * ./scenarios, each with its title.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "cli.h"
#include "core/util.h"
#include "scenario/load.h"

static void print_entry(const char *name, const scenario_t *sc, const char *lang)
{
    const char *title = sc ? scenario_text_get(&sc->title, lang) : NULL;
    if (sc)
        printf("  %-28s %s\n", name, title ? title : "");
    else
        printf("  %-28s (not valid: see mailsim validate)\n", name);
}

static void list_builtins(const char *lang)
{
    printf("built-in (mailsim run with no file runs the first):\n");
    for (size_t i = 0; i < builtin_scenario_count; i++) {
        const builtin_scenario_t *b = &builtin_scenarios[i];
        char *source = builtin_source_name(b);
        diag_t diag;
        diag_init(&diag);
        scenario_t *sc = scenario_load_string(source, b->json, b->len, &diag);
        print_entry(sc ? sc->id : b->file, sc, lang);
        scenario_free(sc);
        diag_free(&diag);
        free(source);
    }
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files of dir, sorted; NULL when dir cannot be read. */
static char **json_files(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        names = xrealloc(names, (*n + 1) * sizeof *names);
        names[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, name_cmp);
    return names;
}

static void list_dir(const char *dir, const char *lang)
{
    size_t n = 0;
    char **names = json_files(dir, &n);
    if (!names)
        return;
    printf("%s:\n", dir);
    for (size_t i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", dir, names[i]);
        diag_t diag;
        diag_init(&diag);
        scenario_t *sc = scenario_load_file(path, &diag);
        print_entry(names[i], sc, lang);
        scenario_free(sc);
        diag_free(&diag);
        free(path);
        free(names[i]);
    }
    free(names);
}

/* BINDIR/../share/mailsim/scenarios for the running binary, or NULL. */
static char *share_dir(void)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return NULL;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char *dir = xasprintf("%s/../share/mailsim/scenarios", exe);
    char *real = realpath(dir, NULL);
    free(dir);
    return real;
}

int cmd_list(int argc, char **argv)
{
    const char *lang = cli_default_lang();
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
            lang = argv[++i];
            if (!cli_lang_ok("mailsim list", lang))
                return 2;
        } else {
            fprintf(stderr,
                    "mailsim list: unknown argument \"%s\"\nusage: mailsim list "
                    "[--lang en|el]\n",
                    argv[i]);
            return 2;
        }
    }
    list_builtins(lang);
    char *share = share_dir();
    char *here = realpath("scenarios", NULL);
    if (share)
        list_dir(share, lang);
    if (here && (!share || strcmp(share, here) != 0))
        list_dir("scenarios", lang);
    free(share);
    free(here);
    return 0;
}
