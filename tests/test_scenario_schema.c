/*
 * docs/scenario.schema.json stays in step with the loader: it is JSON, a
 * draft 2020-12 schema, every $ref resolves, each kind of object lists
 * exactly the keys the loader knows, and event kinds are the trace's.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/trace.h"
#include "files_fixture.h"
#include "scenario/load.h"

#define SCHEMA_PATH "docs/scenario.schema.json"

static cJSON *load_schema(void)
{
    size_t len;
    char *text = fixture_read_file(SCHEMA_PATH, &len);
    ck_assert_msg(text != NULL, "cannot open %s (tests run from the repository root)", SCHEMA_PATH);
    const char *end = NULL;
    /* The terminating NUL is passed too: cJSON looks for it. */
    cJSON *schema = cJSON_ParseWithLengthOpts(text, len + 1, &end, true);
    ck_assert_msg(schema != NULL, "%s is not valid JSON near offset %ld", SCHEMA_PATH,
                  end ? (long)(end - text) : -1L);
    free(text);
    return schema;
}

/* The "properties" of a schema object, or of its object-typed oneOf branch
 * (texts and services are a string or boolean, or an object). */
static const cJSON *properties_of(const cJSON *def)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(def, "properties");
    if (p)
        return p;
    const cJSON *branches = cJSON_GetObjectItemCaseSensitive(def, "oneOf");
    const cJSON *branch;
    cJSON_ArrayForEach(branch, branches)
    {
        if ((p = cJSON_GetObjectItemCaseSensitive(branch, "properties")))
            return p;
    }
    return NULL;
}

static bool in_list(const char *const *keys, const char *key)
{
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    return false;
}

START_TEST(test_schema_is_draft_2020_12)
{
    cJSON *schema = load_schema();
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(schema, "$schema");
    ck_assert(cJSON_IsString(v));
    ck_assert_str_eq(v->valuestring, "https://json-schema.org/draft/2020-12/schema");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties")));
    cJSON_Delete(schema);
}
END_TEST

START_TEST(test_schema_keys_match_loader)
{
    cJSON *schema = load_schema();
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(schema, "$defs");
    buf_t problems = BUF_INIT;
    size_t checked = 0;
    for (const scenario_keyset_t *set = scenario_keysets; set->name; set++, checked++) {
        const cJSON *def = strcmp(set->name, "scenario") == 0
                               ? schema
                               : cJSON_GetObjectItemCaseSensitive(defs, set->name);
        const cJSON *props = def ? properties_of(def) : NULL;
        if (!props) {
            buf_printf(&problems, "no $defs.%s with properties\n", set->name);
            continue;
        }
        for (size_t i = 0; set->keys[i]; i++)
            if (!cJSON_GetObjectItemCaseSensitive(props, set->keys[i]))
                buf_printf(&problems, "%s: the schema lacks \"%s\"\n", set->name, set->keys[i]);
        const cJSON *p;
        cJSON_ArrayForEach(p, props)
        {
            if (!in_list(set->keys, p->string))
                buf_printf(&problems, "%s: the loader does not know \"%s\"\n", set->name,
                           p->string);
        }
    }
    ck_assert_msg(problems.len == 0, "%s", buf_cstr(&problems));
    ck_assert_uint_ge(checked, 20);
    buf_free(&problems);
    cJSON_Delete(schema);
}
END_TEST

START_TEST(test_schema_top_level_names_every_key)
{
    cJSON *schema = load_schema();
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const char *const *keys = scenario_keysets[0].keys;
    ck_assert_str_eq(scenario_keysets[0].name, "scenario");
    for (size_t i = 0; keys[i]; i++)
        ck_assert_msg(cJSON_GetObjectItemCaseSensitive(props, keys[i]) != NULL,
                      "top-level key \"%s\" is not in the schema", keys[i]);
    size_t nkeys = 0;
    while (keys[nkeys])
        nkeys++;
    ck_assert_int_eq(cJSON_GetArraySize(props), (int)nkeys);
    cJSON_Delete(schema);
}
END_TEST

/* Every "$ref" names a $defs entry. */
static void check_refs(const cJSON *node, const cJSON *defs, buf_t *problems)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, node)
    {
        if (c->string && strcmp(c->string, "$ref") == 0 && cJSON_IsString(c)) {
            const char *prefix = "#/$defs/";
            if (strncmp(c->valuestring, prefix, strlen(prefix)) != 0 ||
                !cJSON_GetObjectItemCaseSensitive(defs, c->valuestring + strlen(prefix)))
                buf_printf(problems, "unresolved $ref %s\n", c->valuestring);
        }
        check_refs(c, defs, problems);
    }
}

START_TEST(test_schema_refs_resolve)
{
    cJSON *schema = load_schema();
    buf_t problems = BUF_INIT;
    check_refs(schema, cJSON_GetObjectItemCaseSensitive(schema, "$defs"), &problems);
    ck_assert_msg(problems.len == 0, "%s", buf_cstr(&problems));
    buf_free(&problems);
    cJSON_Delete(schema);
}
END_TEST

START_TEST(test_schema_event_kinds)
{
    cJSON *schema = load_schema();
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(schema, "$defs");
    const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(defs, "event_kind"), "enum");
    ck_assert_int_eq(cJSON_GetArraySize(kinds), TRACE_KIND_COUNT);
    int k = 0;
    const cJSON *name;
    cJSON_ArrayForEach(name, kinds)
    {
        ck_assert_str_eq(name->valuestring, trace_kind_name((trace_kind_t)k));
        k++;
    }
    cJSON_Delete(schema);
}
END_TEST

/* The loader's matcher keys are the trace's field names and "contains". */
START_TEST(test_match_keys_are_trace_fields)
{
    const char *const *match = NULL;
    for (const scenario_keyset_t *set = scenario_keysets; set->name; set++)
        if (strcmp(set->name, "match") == 0)
            match = set->keys;
    ck_assert_ptr_nonnull(match);
    size_t n = 0;
    for (size_t i = 0; trace_field_names[i]; i++, n++)
        ck_assert_msg(in_list(match, trace_field_names[i]), "matchers lack trace field \"%s\"",
                      trace_field_names[i]);
    ck_assert(in_list(match, "contains"));
    size_t nmatch = 0;
    while (match[nmatch])
        nmatch++;
    ck_assert_uint_eq(nmatch, n + 1);
}
END_TEST

Suite *scenario_schema_suite(void)
{
    Suite *s = suite_create("scenario_schema");
    TCase *tc = tcase_create("schema");
    tcase_add_test(tc, test_schema_is_draft_2020_12);
    tcase_add_test(tc, test_schema_keys_match_loader);
    tcase_add_test(tc, test_schema_top_level_names_every_key);
    tcase_add_test(tc, test_schema_refs_resolve);
    tcase_add_test(tc, test_schema_event_kinds);
    tcase_add_test(tc, test_match_keys_are_trace_fields);
    suite_add_tcase(s, tc);
    return s;
}
