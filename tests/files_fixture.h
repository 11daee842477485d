/*
 * files_fixture: what tests read from the repository (they run from its
 * root): a whole file, and the .json files of a folder.
 */
#ifndef MAILSIM_TESTS_FILES_FIXTURE_H
#define MAILSIM_TESTS_FILES_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

/* The whole file, NUL-terminated (its length in *len when len is not NULL);
 * NULL when it cannot be opened. The caller frees it. */
char *fixture_read_file(const char *path, size_t *len);
/* The names of the .json files in dir, sorted (without ".json" when strip),
 * in *names (the caller frees each and the array); how many. 0 when dir
 * cannot be opened. */
size_t fixture_json_files(const char *dir, bool strip, char ***names);

#endif
