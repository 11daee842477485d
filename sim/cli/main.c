/*
 * mailsim: the command line. Sub-commands are added as the layers beneath
 * them land; this file only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "core/version.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: mailsim [--version] [--help]\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("mailsim %s\n", MAILSIM_VERSION);
        return 0;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
