/*
 * The report writers: each format from one fixed run of two expectations
 * (one holds, one fails) compared with golden text; the JSON contract and the
 * Gradescope keys parsed back with cJSON; JUnit counts and escaping; several
 * runs summed; colour; byte-identical output without the wall clock.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "scenario/report.h"

static const report_options_t plain = {false, false, "en"};

/* The fixed run: 2 of 3 points, 812 events over 3h of virtual time, 3 ms of wall time. */
static void fixture(run_result_t *r, const char *scenario)
{
    memset(r, 0, sizeof *r);
    r->scenario = xstrdup(scenario);
    r->title = xstrdup("Alice writes to Roberto");
    r->file = xasprintf("labs/%s.json", scenario);
    r->seed = 1;
    r->passed = false;
    r->score = 2;
    r->max_score = 3;
    r->nexpectations = 2;
    r->expectations = xcalloc(2, sizeof *r->expectations);
    r->expectations[0] =
        (expect_result_t){xstrdup("Roberto has the message"), true, 2, 2,
                          xstrdup("found 1 message in roberto@roberto.example INBOX")};
    r->expectations[1] = (expect_result_t){
        xstrdup("no retries"), false, 0, 1,
        xstrdup("expected 0 queue.attempt events at mail.alice.example, found 3")};
    r->stats = (run_stats_t){812, 1, 1, 0, 0, 10800000000, 3};
    r->accounting_ok = true;
}

/* A run where everything held: 1 of 1 point. */
static void fixture_pass(run_result_t *r, const char *scenario)
{
    memset(r, 0, sizeof *r);
    r->scenario = xstrdup(scenario);
    r->file = xasprintf("%s.json", scenario);
    r->seed = 7;
    r->passed = true;
    r->score = 1;
    r->max_score = 1;
    r->nexpectations = 1;
    r->expectations = xcalloc(1, sizeof *r->expectations);
    r->expectations[0] =
        (expect_result_t){xstrdup("delivered"), true, 1, 1, xstrdup("found 1 message")};
    r->stats = (run_stats_t){40, 1, 1, 0, 0, 2500000, 11};
    r->accounting_ok = true;
}

static char *render(report_format_t fmt, const run_result_t *runs, size_t n,
                    const report_options_t *opt)
{
    buf_t b = BUF_INIT;
    report_write(fmt, runs, n, opt, &b);
    char *s = xstrdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* --- golden text -------------------------------------------------------------- */

static const char golden_text[] =
    "alice-to-roberto: Alice writes to Roberto (seed 1)\n"
    "  PASS  Roberto has the message (2/2)\n"
    "        found 1 message in roberto@roberto.example INBOX\n"
    "  FAIL  no retries (0/1)\n"
    "        expected 0 queue.attempt events at mail.alice.example, found 3\n"
    "score 2/3\n"
    "stats: events 812, accepted 1, delivered 1, bounced 0, queued 0, virtual time 3h\n";

static const char golden_json[] =
    "{\"scenario\": \"alice-to-roberto\", \"seed\": 1, \"passed\": false, \"score\": 2, "
    "\"max_score\": 3,\n"
    " \"expectations\": [\n"
    "  {\"name\": \"Roberto has the message\", \"passed\": true, \"points\": 2, \"max_points\": 2, "
    "\"detail\": \"found 1 message in roberto@roberto.example INBOX\"},\n"
    "  {\"name\": \"no retries\", \"passed\": false, \"points\": 0, \"max_points\": 1, "
    "\"detail\": \"expected 0 queue.attempt events at mail.alice.example, found 3\"}\n"
    " ],\n"
    " \"stats\": {\"events\": 812, \"accepted\": 1, \"delivered\": 1, \"bounced\": 0, \"queued\": "
    "0, "
    "\"virtual_us\": 10800000000, \"wall_ms\": 0},\n"
    " \"accounting\": {\"ok\": true}}\n";

static const char golden_junit[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuites name=\"mailsim\" tests=\"3\" failures=\"1\" errors=\"0\" time=\"0.000\">\n"
    "  <testsuite name=\"alice-to-roberto\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\" "
    "time=\"0.000\">\n"
    "    <properties>\n"
    "      <property name=\"file\" value=\"labs/alice-to-roberto.json\"/>\n"
    "      <property name=\"title\" value=\"Alice writes to Roberto\"/>\n"
    "      <property name=\"seed\" value=\"1\"/>\n"
    "      <property name=\"score\" value=\"2\"/>\n"
    "      <property name=\"max_score\" value=\"3\"/>\n"
    "    </properties>\n"
    "    <testcase classname=\"alice-to-roberto\" name=\"Roberto has the message\"/>\n"
    "    <testcase classname=\"alice-to-roberto\" name=\"no retries\">\n"
    "      <failure message=\"expected 0 queue.attempt events at mail.alice.example, found 3\" "
    "type=\"expectation\">expected 0 queue.attempt events at mail.alice.example, found "
    "3</failure>\n"
    "    </testcase>\n"
    "    <testcase classname=\"alice-to-roberto\" name=\"accounting\"/>\n"
    "  </testsuite>\n"
    "</testsuites>\n";

static const char golden_gradescope[] =
    "{\"score\": 2, \"output\": \"alice-to-roberto: 2/3 points, 1 of 2 expectations failed\",\n"
    " \"tests\": [\n"
    "  {\"name\": \"Roberto has the message\", \"score\": 2, \"max_score\": 2, \"status\": "
    "\"passed\", \"output\": \"found 1 message in roberto@roberto.example INBOX\"},\n"
    "  {\"name\": \"no retries\", \"score\": 0, \"max_score\": 1, \"status\": \"failed\", "
    "\"output\": \"expected 0 queue.attempt events at mail.alice.example, found 3\"},\n"
    "  {\"name\": \"accounting\", \"score\": 0, \"max_score\": 0, \"status\": \"passed\", "
    "\"output\": \"every message a server accepted is in a mailbox, in a queue or answered by a "
    "bounce\"}\n"
    " ]}\n";

static const struct {
    report_format_t fmt;
    const char *want;
} goldens[] = {
    {REPORT_TEXT, golden_text},
    {REPORT_JSON, golden_json},
    {REPORT_JUNIT, golden_junit},
    {REPORT_GRADESCOPE, golden_gradescope},
};

START_TEST(test_golden)
{
    run_result_t r;
    fixture(&r, "alice-to-roberto");
    char *got = render(goldens[_i].fmt, &r, 1, &plain);
    ck_assert_msg(strcmp(got, goldens[_i].want) == 0, "format %s:\ngot:\n%s\nwant:\n%s",
                  report_format_name(goldens[_i].fmt), got, goldens[_i].want);
    free(got);
    run_result_free(&r);
}
END_TEST

/* --- format names, scenario names --------------------------------------------- */

START_TEST(test_format_parse)
{
    static const struct {
        const char *name;
        int rc;
        report_format_t want;
    } cases[] = {
        {"text", 0, REPORT_TEXT},   {"json", 0, REPORT_JSON},
        {"junit", 0, REPORT_JUNIT}, {"gradescope", 0, REPORT_GRADESCOPE},
        {"JSON", -1, REPORT_TEXT},  {"xml", -1, REPORT_TEXT},
        {"", -1, REPORT_TEXT},      {"jsonl", -1, REPORT_TEXT},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        report_format_t got = REPORT_TEXT;
        int rc = report_format_parse(cases[i].name, &got);
        ck_assert_msg(rc == cases[i].rc, "%s: rc got %d want %d", cases[i].name, rc, cases[i].rc);
        ck_assert_msg(got == cases[i].want, "%s: got %d want %d", cases[i].name, got,
                      cases[i].want);
        if (rc == 0)
            ck_assert_str_eq(report_format_name(got), cases[i].name);
    }
}
END_TEST

START_TEST(test_scenario_name)
{
    static const struct {
        const char *path, *want;
    } cases[] = {
        {"labs/alice-to-roberto.json", "alice-to-roberto"},
        {"lab3.json", "lab3"},
        {"/a/b/c", "c"},
        {"x.JSON", "x.JSON"},
        {".json", ".json"},
        {"dir.json/lab.json", "lab"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = report_scenario_name(cases[i].path);
        ck_assert_msg(strcmp(got, cases[i].want) == 0, "%s: got %s want %s", cases[i].path, got,
                      cases[i].want);
        free(got);
    }
}
END_TEST

/* --- JSON contract -------------------------------------------------------------- */

typedef enum { T_STRING, T_NUMBER, T_BOOL, T_ARRAY, T_OBJECT } json_type_t;

typedef struct key_spec {
    const char *name;
    json_type_t type;
} key_spec_t;

static bool has_type(const cJSON *j, json_type_t t)
{
    switch (t) {
    case T_STRING:
        return cJSON_IsString(j);
    case T_NUMBER:
        return cJSON_IsNumber(j);
    case T_BOOL:
        return cJSON_IsBool(j);
    case T_ARRAY:
        return cJSON_IsArray(j);
    case T_OBJECT:
        return cJSON_IsObject(j);
    }
    return false;
}

/* The object's keys are exactly keys, in this order, with these types. */
static void check_keys(const cJSON *obj, const key_spec_t *keys, size_t n, const char *where)
{
    ck_assert_msg(cJSON_IsObject(obj), "%s: not an object", where);
    const cJSON *child = obj->child;
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(child != NULL, "%s: key %s missing", where, keys[i].name);
        ck_assert_msg(strcmp(child->string, keys[i].name) == 0, "%s: key %zu got %s want %s", where,
                      i, child->string, keys[i].name);
        ck_assert_msg(has_type(child, keys[i].type), "%s: %s has the wrong type", where,
                      keys[i].name);
        child = child->next;
    }
    ck_assert_msg(child == NULL, "%s: unexpected key %s", where, child ? child->string : "");
}

static const key_spec_t run_keys[] = {
    {"scenario", T_STRING}, {"seed", T_NUMBER},       {"passed", T_BOOL},
    {"score", T_NUMBER},    {"max_score", T_NUMBER},  {"expectations", T_ARRAY},
    {"stats", T_OBJECT},    {"accounting", T_OBJECT}, {"error", T_STRING},
};
static const key_spec_t expectation_keys[] = {
    {"name", T_STRING},       {"passed", T_BOOL},   {"points", T_NUMBER},
    {"max_points", T_NUMBER}, {"detail", T_STRING},
};
static const key_spec_t stats_keys[] = {
    {"events", T_NUMBER}, {"accepted", T_NUMBER},   {"delivered", T_NUMBER}, {"bounced", T_NUMBER},
    {"queued", T_NUMBER}, {"virtual_us", T_NUMBER}, {"wall_ms", T_NUMBER},
};
static const key_spec_t accounting_keys[] = {{"ok", T_BOOL}, {"detail", T_STRING}};

static void check_run_object(const cJSON *run, bool with_error, bool accounting_ok)
{
    check_keys(run, run_keys, ARRAY_LEN(run_keys) - !with_error, "run");
    const cJSON *exps = cJSON_GetObjectItemCaseSensitive(run, "expectations");
    const cJSON *e;
    cJSON_ArrayForEach(e, exps)
    {
        check_keys(e, expectation_keys, ARRAY_LEN(expectation_keys), "expectation");
    }
    check_keys(cJSON_GetObjectItemCaseSensitive(run, "stats"), stats_keys, ARRAY_LEN(stats_keys),
               "stats");
    check_keys(cJSON_GetObjectItemCaseSensitive(run, "accounting"), accounting_keys,
               accounting_ok ? 1 : 2, "accounting");
}

static double number_at(const cJSON *obj, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    ck_assert_msg(cJSON_IsNumber(j), "%s is not a number", key);
    return j->valuedouble;
}

START_TEST(test_json_contract)
{
    run_result_t r;
    fixture(&r, "alice-to-roberto");
    char *s = render(REPORT_JSON, &r, 1, &plain);
    cJSON *j = cJSON_Parse(s);
    ck_assert_msg(j != NULL, "not JSON:\n%s", s);
    check_run_object(j, false, true);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "scenario")->valuestring,
                     "alice-to-roberto");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "passed")));
    ck_assert(number_at(j, "score") == 2 && number_at(j, "max_score") == 3);
    const cJSON *exps = cJSON_GetObjectItemCaseSensitive(j, "expectations");
    ck_assert_int_eq(cJSON_GetArraySize(exps), 2);
    const cJSON *second = cJSON_GetArrayItem(exps, 1);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(second, "name")->valuestring, "no retries");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(second, "passed")));
    const cJSON *stats = cJSON_GetObjectItemCaseSensitive(j, "stats");
    ck_assert(number_at(stats, "events") == 812);
    ck_assert(number_at(stats, "virtual_us") == 10800000000.0);
    ck_assert(s[strlen(s) - 1] == '\n');
    cJSON_Delete(j);
    free(s);
    run_result_free(&r);
}
END_TEST

START_TEST(test_json_error_and_accounting)
{
    run_result_t r;
    fixture(&r, "down");
    r.accounting_ok = false;
    r.accounting_detail = xstrdup("m1 was accepted by mail.alice.example and then lost");
    r.error = xstrdup("the run stopped: \"until\" reached with \x01 pending\xff");
    char *s = render(REPORT_JSON, &r, 1, &plain);
    cJSON *j = cJSON_Parse(s);
    ck_assert_msg(j != NULL, "not JSON:\n%s", s);
    check_run_object(j, true, false);
    const cJSON *acc = cJSON_GetObjectItemCaseSensitive(j, "accounting");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(acc, "ok")));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(acc, "detail")->valuestring,
                     "m1 was accepted by mail.alice.example and then lost");
    /* The control byte survives as \u0001; the stray 0xff becomes U+FFFD. */
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "error")->valuestring,
                     "the run stopped: \"until\" reached with \x01 pending\xef\xbf\xbd");
    cJSON_Delete(j);
    free(s);
    run_result_free(&r);
}
END_TEST

START_TEST(test_json_no_expectations)
{
    run_result_t r;
    fixture(&r, "empty");
    for (size_t i = 0; i < r.nexpectations; i++) {
        free(r.expectations[i].name);
        free(r.expectations[i].detail);
    }
    free(r.expectations);
    r.expectations = NULL;
    r.nexpectations = 0;
    char *s = render(REPORT_JSON, &r, 1, &plain);
    ck_assert_msg(strstr(s, "\"expectations\": [],\n") != NULL, "got:\n%s", s);
    cJSON *j = cJSON_Parse(s);
    ck_assert_msg(j != NULL, "not JSON:\n%s", s);
    check_run_object(j, false, true);
    cJSON_Delete(j);
    free(s);
    run_result_free(&r);
}
END_TEST

START_TEST(test_json_several_runs)
{
    run_result_t runs[2];
    fixture(&runs[0], "alice-to-roberto");
    fixture_pass(&runs[1], "ok");
    char *s = render(REPORT_JSON, runs, 2, &plain);
    cJSON *j = cJSON_Parse(s);
    ck_assert_msg(j != NULL, "not JSON:\n%s", s);
    static const key_spec_t top[] = {
        {"runs", T_ARRAY}, {"passed", T_BOOL}, {"score", T_NUMBER}, {"max_score", T_NUMBER}};
    check_keys(j, top, ARRAY_LEN(top), "several runs");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "runs");
    ck_assert_int_eq(cJSON_GetArraySize(arr), 2);
    const cJSON *run;
    cJSON_ArrayForEach(run, arr)
    {
        check_run_object(run, false, true);
    }
    ck_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 1), "scenario")->valuestring,
        "ok");
    ck_assert(number_at(j, "score") == 3);
    ck_assert(number_at(j, "max_score") == 4);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "passed")));
    cJSON_Delete(j);
    free(s);

    /* Every run passed: the whole passed. */
    run_result_free(&runs[0]);
    fixture_pass(&runs[0], "ok2");
    s = render(REPORT_JSON, runs, 2, &plain);
    j = cJSON_Parse(s);
    ck_assert_msg(j != NULL, "not JSON:\n%s", s);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "passed")));
    ck_assert(number_at(j, "score") == 2 && number_at(j, "max_score") == 2);
    cJSON_Delete(j);
    free(s);

    /* No run at all is never a pass. */
    s = render(REPORT_JSON, runs, 0, &plain);
    ck_assert_str_eq(s, "{\"runs\": [],\n \"passed\": false, \"score\": 0, \"max_score\": 0}\n");
    free(s);
    run_result_free(&runs[0]);
    run_result_free(&runs[1]);
}
END_TEST

START_TEST(test_wall_clock_determinism)
{
    run_result_t r;
    fixture(&r, "alice-to-roberto");
    report_options_t with_clock = {false, true, "en"};
    for (int f = REPORT_TEXT; f <= REPORT_GRADESCOPE; f++) {
        char *a = render((report_format_t)f, &r, 1, &plain);
        r.stats.wall_ms = 4321; /* another run, another wall time */
        char *b = render((report_format_t)f, &r, 1, &plain);
        r.stats.wall_ms = 3;
        ck_assert_msg(strcmp(a, b) == 0, "%s differs with the wall clock off",
                      report_format_name((report_format_t)f));
        free(a);
        free(b);
    }
    char *s = render(REPORT_JSON, &r, 1, &with_clock);
    ck_assert_msg(strstr(s, "\"wall_ms\": 3}") != NULL, "got:\n%s", s);
    free(s);
    s = render(REPORT_JSON, &r, 1, &plain);
    ck_assert_msg(strstr(s, "\"wall_ms\": 0}") != NULL, "got:\n%s", s);
    free(s);
    s = render(REPORT_JUNIT, &r, 1, &with_clock);
    ck_assert_msg(strstr(s, "time=\"0.003\"") != NULL, "got:\n%s", s);
    free(s);
    s = render(REPORT_GRADESCOPE, &r, 1, &with_clock);
    ck_assert_msg(strstr(s, "\"execution_time\": 1, ") != NULL, "got:\n%s", s);
    free(s);
    s = render(REPORT_TEXT, &r, 1, &with_clock);
    ck_assert_msg(strstr(s, ", wall 3ms\n") != NULL, "got:\n%s", s);
    free(s);
    run_result_free(&r);
}
END_TEST

START_TEST(test_null_options)
{
    run_result_t r;
    fixture(&r, "alice-to-roberto");
    char *s = render(REPORT_TEXT, &r, 1, NULL);
    ck_assert_str_eq(s, golden_text);
    free(s);
    run_result_free(&r);
}
END_TEST

/* --- JUnit ----------------------------------------------------------------------- */

/* The value of attr="..." in the first element named tag at or after s; the caller frees it. */
static char *xml_attr(const char *s, const char *tag, const char *attr)
{
    char open[64], key[64];
    snprintf(open, sizeof open, "<%s ", tag);
    snprintf(key, sizeof key, " %s=\"", attr);
    const char *el = strstr(s, open);
    if (!el)
        return NULL;
    const char *end = strchr(el, '>');
    const char *k = strstr(el, key);
    if (!k || k > end)
        return NULL;
    k += strlen(key);
    return xstrndup(k, (size_t)(strchr(k, '"') - k));
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Undoes the five predefined entities and decimal character references below 128. */
static char *xml_unescape(const char *s, size_t n)
{
    static const struct {
        const char *entity;
        char c;
    } entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < n;) {
        bool done = false;
        for (size_t e = 0; e < ARRAY_LEN(entities) && !done; e++) {
            size_t len = strlen(entities[e].entity);
            if (strncmp(s + i, entities[e].entity, len) == 0) {
                buf_putc(&b, entities[e].c);
                i += len;
                done = true;
            }
        }
        if (!done && strncmp(s + i, "&#", 2) == 0) {
            char *end;
            long c = strtol(s + i + 2, &end, 10);
            ck_assert(*end == ';' && c > 0 && c < 128);
            buf_putc(&b, (int)c);
            i = (size_t)(end + 1 - s);
            done = true;
        }
        if (!done)
            buf_putc(&b, s[i++]);
    }
    char *out = xstrdup(buf_cstr(&b));
    buf_free(&b);
    return out;
}

START_TEST(test_junit_escaping)
{
    run_result_t r;
    fixture(&r, "esc");
    free(r.expectations[1].name);
    free(r.expectations[1].detail);
    r.expectations[1].name = xstrdup("quote \"it\" & <go>");
    r.expectations[1].detail = xstrdup("found <&\"> in 'Subject'\x01\x1b[31m\r\nnext\xff");
    char *s = render(REPORT_JUNIT, &r, 1, &plain);
    /* Forbidden characters are gone: no C0 control but LF in the file. */
    for (const char *p = s; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 || *p == '\n', "control byte 0x%02x in:\n%s",
                      (unsigned char)*p, s);
    ck_assert_msg(strstr(s, "name=\"quote &quot;it&quot; &amp; &lt;go&gt;\"") != NULL, "got:\n%s",
                  s);
    const char *want = "found <&\"> in 'Subject'[31m\r\nnext\xef\xbf\xbd";
    /* The failure's body, unescaped, is the detail less the forbidden bytes. */
    const char *body = strstr(s, "type=\"expectation\">");
    ck_assert(body != NULL);
    body += strlen("type=\"expectation\">");
    const char *body_end = strstr(body, "</failure>");
    ck_assert(body_end != NULL);
    char *got = xml_unescape(body, (size_t)(body_end - body));
    ck_assert_str_eq(got, want);
    free(got);
    /* So is its message attribute, where even the newline is a reference. */
    char *msg = xml_attr(s, "failure", "message");
    ck_assert(msg != NULL);
    ck_assert_msg(strchr(msg, '\n') == NULL, "raw newline in the attribute: %s", msg);
    got = xml_unescape(msg, strlen(msg));
    ck_assert_str_eq(got, want);
    free(got);
    free(msg);
    free(s);
    run_result_free(&r);
}
END_TEST

START_TEST(test_junit_several_runs)
{
    run_result_t runs[3];
    fixture(&runs[0], "alice-to-roberto");
    fixture_pass(&runs[1], "ok");
    fixture(&runs[2], "broken");
    runs[2].error = xstrdup("mail.roberto.example never came up");
    runs[2].accounting_ok = false;
    char *s = render(REPORT_JUNIT, runs, 3, &plain);
    /* 3 + 2 + (2 expectations + accounting + run) tests; 1 + 0 + 2 failures; 1 error. */
    static const struct {
        const char *attr, *want;
    } totals[] = {{"tests", "9"}, {"failures", "3"}, {"errors", "1"}};
    for (size_t i = 0; i < ARRAY_LEN(totals); i++) {
        char *got = xml_attr(s, "testsuites", totals[i].attr);
        ck_assert_msg(got && strcmp(got, totals[i].want) == 0, "testsuites %s got %s want %s",
                      totals[i].attr, got ? got : "(none)", totals[i].want);
        free(got);
    }
    ck_assert_uint_eq(count(s, "<testsuite "), 3);
    ck_assert_uint_eq(count(s, "<testcase "), 9);
    ck_assert_uint_eq(count(s, "<failure "), 3);
    ck_assert_uint_eq(count(s, "<error "), 1);
    ck_assert_uint_eq(count(s, "classname=\"broken\""), 4);
    const char *third = strstr(s, "<testsuite name=\"broken\"");
    ck_assert(third != NULL);
    char *failures = xml_attr(third, "testsuite", "failures");
    ck_assert_str_eq(failures, "2");
    free(failures);
    free(s);
    for (size_t i = 0; i < ARRAY_LEN(runs); i++)
        run_result_free(&runs[i]);
}
END_TEST

/* --- Gradescope ------------------------------------------------------------------ */

START_TEST(test_gradescope_keys)
{
    run_result_t runs[2];
    fixture(&runs[0], "alice-to-roberto");
    fixture_pass(&runs[1], "ok");
    runs[1].passed = false;
    runs[1].accounting_ok = false;
    runs[1].accounting_detail = xstrdup("m9 is nowhere");
    char *s = render(REPORT_GRADESCOPE, runs, 2, &plain);
    cJSON *j = cJSON_Parse(s);
    ck_assert_msg(j != NULL, "not JSON:\n%s", s);
    static const key_spec_t top[] = {{"score", T_NUMBER}, {"output", T_STRING}, {"tests", T_ARRAY}};
    static const key_spec_t test_keys[] = {{"name", T_STRING},
                                           {"score", T_NUMBER},
                                           {"max_score", T_NUMBER},
                                           {"status", T_STRING},
                                           {"output", T_STRING}};
    check_keys(j, top, ARRAY_LEN(top), "gradescope");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "output")->valuestring,
                     "2 scenarios: 3/4 points, 0 of 2 passed");
    static const struct {
        const char *name, *status;
        int score, max_score;
    } want[] = {
        {"alice-to-roberto: Roberto has the message", "passed", 2, 2},
        {"alice-to-roberto: no retries", "failed", 0, 1},
        {"alice-to-roberto: accounting", "passed", 0, 0},
        {"ok: delivered", "passed", 1, 1},
        {"ok: accounting", "failed", 0, 0},
    };
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(j, "tests");
    ck_assert_int_eq(cJSON_GetArraySize(tests), (int)ARRAY_LEN(want));
    double sum = 0;
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        const cJSON *t = cJSON_GetArrayItem(tests, (int)i);
        check_keys(t, test_keys, ARRAY_LEN(test_keys), "test");
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring, want[i].name);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(t, "status")->valuestring,
                         want[i].status);
        ck_assert(number_at(t, "score") == want[i].score);
        ck_assert(number_at(t, "max_score") == want[i].max_score);
        sum += number_at(t, "score");
    }
    ck_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tests, 4), "output")->valuestring,
        "m9 is nowhere");
    ck_assert(number_at(j, "score") == sum);
    cJSON_Delete(j);
    free(s);
    for (size_t i = 0; i < ARRAY_LEN(runs); i++)
        run_result_free(&runs[i]);
}
END_TEST

START_TEST(test_gradescope_run_error)
{
    run_result_t r;
    fixture(&r, "lab");
    r.error = xstrdup("lab.json: $.until: expected a duration");
    char *s = render(REPORT_GRADESCOPE, &r, 1, &plain);
    cJSON *j = cJSON_Parse(s);
    ck_assert_msg(j != NULL, "not JSON:\n%s", s);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "output")->valuestring,
                     "lab: the run failed: lab.json: $.until: expected a duration");
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "tests"), 0);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(first, "name")->valuestring, "run");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(first, "status")->valuestring, "failed");
    cJSON_Delete(j);
    free(s);
    run_result_free(&r);
}
END_TEST

/* --- text -------------------------------------------------------------------------- */

START_TEST(test_text_several_runs)
{
    run_result_t runs[2];
    fixture(&runs[0], "alice-to-roberto");
    fixture_pass(&runs[1], "ok");
    runs[1].passed = false;
    runs[1].error = xstrdup("stopped early");
    runs[1].accounting_ok = false;
    runs[1].accounting_detail = xstrdup("m1 is nowhere");
    char *s = render(REPORT_TEXT, runs, 2, &plain);
    static const char want_tail[] =
        "\n"
        "ok (seed 7)\n"
        "  ERROR stopped early\n"
        "  PASS  delivered (1/1)\n"
        "        found 1 message\n"
        "  FAIL  accounting (nothing lost)\n"
        "        m1 is nowhere\n"
        "score 1/1\n"
        "stats: events 40, accepted 1, delivered 1, bounced 0, queued 0, virtual time 2s500ms\n"
        "\n"
        "total 3/4, scenarios passed 0/2\n";
    size_t head = strlen(golden_text);
    ck_assert_msg(strncmp(s, golden_text, head) == 0, "first run:\n%s", s);
    ck_assert_msg(strcmp(s + head, want_tail) == 0, "got:\n%s\nwant tail:\n%s", s + head,
                  want_tail);
    free(s);
    for (size_t i = 0; i < ARRAY_LEN(runs); i++)
        run_result_free(&runs[i]);
}
END_TEST

START_TEST(test_text_color)
{
    run_result_t r;
    fixture(&r, "alice-to-roberto");
    /* A detail quoting a hostile protocol line: its escape byte must not reach the terminal. */
    free(r.expectations[1].detail);
    r.expectations[1].detail = xstrdup("got \x1b[2J\x9b reply \xc2\x9b done");
    char *off = render(REPORT_TEXT, &r, 1, &plain);
    ck_assert_msg(strchr(off, '\x1b') == NULL, "ESC with color off:\n%s", off);
    ck_assert_msg(strstr(off, "        got ?[2J? reply ? done\n") != NULL, "got:\n%s", off);
    report_options_t color = {true, false, "en"};
    char *on = render(REPORT_TEXT, &r, 1, &color);
    ck_assert_msg(strstr(on, "\x1b[32mPASS\x1b[0m  Roberto") != NULL, "no green PASS:\n%s", on);
    ck_assert_msg(strstr(on, "\x1b[31mFAIL\x1b[0m  no retries") != NULL, "no red FAIL:\n%s", on);
    ck_assert_msg(strstr(on, "\x1b[1m\x1b[31mscore 2/3\x1b[0m\n") != NULL, "no score:\n%s", on);
    ck_assert_msg(strstr(on, "\x1b[1malice-to-roberto: Alice writes to Roberto\x1b[0m") != NULL,
                  "no bold title:\n%s", on);
    free(off);
    free(on);
    run_result_free(&r);
}
END_TEST

START_TEST(test_text_greek)
{
    run_result_t r;
    fixture(&r, "alice-to-roberto");
    report_options_t el = {false, false, "el"};
    char *s = render(REPORT_TEXT, &r, 1, &el);
    ck_assert_msg(strstr(s, "\nβαθμός 2/3\n") != NULL, "got:\n%s", s);
    ck_assert_msg(strstr(s, "(σπόρος 1)\n") != NULL, "got:\n%s", s);
    ck_assert_msg(strstr(s, "  FAIL  no retries (0/1)\n") != NULL, "got:\n%s", s);
    free(s);
    run_result_free(&r);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("formats");
    tcase_add_loop_test(tc, test_golden, 0, (int)ARRAY_LEN(goldens));
    tcase_add_test(tc, test_format_parse);
    tcase_add_test(tc, test_scenario_name);
    tcase_add_test(tc, test_json_contract);
    tcase_add_test(tc, test_json_error_and_accounting);
    tcase_add_test(tc, test_json_no_expectations);
    tcase_add_test(tc, test_json_several_runs);
    tcase_add_test(tc, test_wall_clock_determinism);
    tcase_add_test(tc, test_null_options);
    tcase_add_test(tc, test_junit_escaping);
    tcase_add_test(tc, test_junit_several_runs);
    tcase_add_test(tc, test_gradescope_keys);
    tcase_add_test(tc, test_gradescope_run_error);
    tcase_add_test(tc, test_text_several_runs);
    tcase_add_test(tc, test_text_color);
    tcase_add_test(tc, test_text_greek);
    suite_add_tcase(s, tc);
    return s;
}
