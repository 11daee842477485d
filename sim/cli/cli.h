/*
 * cli: the sub-commands of the mailsim command line, one file each, and the
 * few helpers they share. Each command takes the arguments after its name
 * and returns the process exit code.
 */
#ifndef MAILSIM_CLI_CLI_H
#define MAILSIM_CLI_CLI_H

#include <stdbool.h>

/* mailsim run [OPTION]... [FILE]...: 0 all passed, 1 one failed, 2 bad input. */
int cmd_run(int argc, char **argv);
/* mailsim serve [OPTION]... [FILE] --map ...: real time, real sockets; exit codes as run. */
int cmd_serve(int argc, char **argv);
/* mailsim list [--lang en|el]: the built-in and shipped scenarios with their titles. */
int cmd_list(int argc, char **argv);
/* mailsim tui [--lang en|el] [FILE]: the terminal front end; 0, 1 no terminal, 2 bad input. */
int cmd_tui(int argc, char **argv);
/* mailsim validate FILE...: 0 every file valid, 2 otherwise. */
int cmd_validate(int argc, char **argv);

/* "el" when LANG starts with "el", else "en". */
const char *cli_default_lang(void);
/* True for "en" and "el"; else prints "mailsim CMD: --lang: ..." on stderr. */
bool cli_lang_ok(const char *cmd, const char *lang);

#endif
