/*
 * load: reads a scenario file (JSON, docs/scenario-format.md) into a
 * scenario_t, checking all of it. Every error found is added to the diag as
 * one line "FILE: JSON.PATH: what is wrong" (or "FILE:LINE:COL: ..." for a
 * file that is not JSON), sorted in document order. This module and its
 * load_*.c files are the only code that knows JSON.
 */
#ifndef MAILSIM_SCENARIO_LOAD_H
#define MAILSIM_SCENARIO_LOAD_H

#include <stddef.h>

#include "scenario/config.h"
#include "scenario/diag.h"

/* Files larger than this are refused before parsing. */
#define SCENARIO_MAX_FILE_SIZE (16u * 1024 * 1024)

/*
 * Loads path. Returns a complete scenario (the caller frees it with
 * scenario_free), or NULL when the file cannot be read or has any error; the
 * diag then holds at least one line. Error lines name the file as path.
 */
scenario_t *scenario_load_file(const char *path, diag_t *diag);

/*
 * The same for JSON text in memory (len bytes, need not be NUL-terminated);
 * name is the file name used in messages and scenario_t.source.
 */
scenario_t *scenario_load_string(const char *name, const char *json, size_t len, diag_t *diag);

/*
 * The keys the loader knows, per kind of object, so the JSON Schema can be
 * checked against them: each set is named as the schema's "$defs" entry that
 * describes that object ("scenario" is the top level). NULL-terminated lists;
 * the table ends with a NULL name.
 */
typedef struct scenario_keyset {
    const char *name;
    const char *const *keys;
} scenario_keyset_t;

extern const scenario_keyset_t scenario_keysets[];

#endif
