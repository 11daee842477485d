/*
 * builtin: the names of the scenarios compiled into the binary (their
 * bytes are in the generated build/gen/builtin_scenarios.c).
 */
#include "builtin.h"

#include "core/util.h"

char *builtin_source_name(const builtin_scenario_t *b)
{
    return xasprintf("builtin/%s", b->file);
}
