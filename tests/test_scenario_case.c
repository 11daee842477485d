/*
 * Names in any case: host names, domains and user names compare without
 * regard to case (docs/scenario-format.md, "Names"). Every shipped scenario
 * is run twice, once as shipped and once with every reference to a host or
 * a user respelled ("mail.alice.example" as "Mail.Alice.Example"), the
 * definitions left as they are: the two runs must write the same event log,
 * byte for byte, and judge every expectation the same.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/util.h"
#include "files_fixture.h"
#include "scenario/run.h"

#define SCENARIO_DIR "scenarios"

static char **names;
static size_t nnames;

/* Each label of a name (or of an address's both sides) starts with a capital. */
static void respell(cJSON *s, size_t *count)
{
    char *v = s->valuestring;
    bool changed = false;
    for (size_t i = 0; v[i]; i++) {
        bool starts = i == 0 || v[i - 1] == '.' || v[i - 1] == '@';
        if (starts && v[i] >= 'a' && v[i] <= 'z') {
            v[i] = (char)(v[i] - 'a' + 'A');
            changed = true;
        }
    }
    *count += changed;
}

static bool is_any(const char *key, const char *const *set)
{
    for (; key && *set; set++)
        if (strcmp(key, *set) == 0)
            return true;
    return false;
}

/*
 * Respells the references under node, whose key is key, in an object whose
 * own key is parent. Left alone: the definitions (servers, clients), what a
 * send or traffic writes into messages (its addresses), the zone's MX data,
 * and matcher fields other than the hosts (user, recipient: strings
 * compared exactly).
 */
static void walk(cJSON *node, const char *key, const char *parent, size_t *count)
{
    /* MX records are zone data: an answer spells its host names as the zone does. */
    static const char *const skip[] = {"servers", "clients", "traffic", "title",  "description",
                                       "say",     "lines",   "mx",      "set_mx", NULL};
    static const char *const hosts[] = {"host", "from",  "to",  "client",  "server", "down",
                                        "up",   "crash", "via", "between", NULL};
    if (is_any(key, skip))
        return;
    if (cJSON_IsString(node)) {
        bool ref = is_any(key, hosts) ||
                   (parent && strcmp(parent, "mailbox") == 0 && strcmp(key, "user") == 0);
        if (parent && strcmp(parent, "send") == 0)
            ref = strcmp(key, "client") == 0 || strcmp(key, "via") == 0;
        if (ref)
            respell(node, count);
        return;
    }
    /* An array's items have the array's key and parent. */
    for (cJSON *c = node->child; c; c = c->next)
        if (cJSON_IsArray(node))
            walk(c, key, parent, count);
        else
            walk(c, c->string, key, count);
}

static char *run_to_log(const char *name, const char *json, run_result_t *r)
{
    char path[] = "/tmp/mailsim-case-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    run_options_t opt = {.log_path = path, .log_format = LOG_JSONL};
    diag_t diag = DIAG_INIT;
    run_status_t st = run_string(name, json, strlen(json), &opt, &diag, r);
    ck_assert_msg(st == RUN_DONE, "%s did not run", name);
    diag_free(&diag);
    char *log = fixture_read_file(path, NULL);
    unlink(path);
    ck_assert_ptr_nonnull(log);
    return log;
}

START_TEST(test_respelled_runs_the_same)
{
    ck_assert_msg(nnames >= 10, "found %zu scenarios in " SCENARIO_DIR, nnames);
    char path[512];
    snprintf(path, sizeof path, SCENARIO_DIR "/%s", names[_i]);
    char *text = fixture_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    size_t count = 0;
    walk(root, NULL, NULL, &count);
    ck_assert_msg(count > 0, "%s: nothing respelled", names[_i]);
    char *respelled = cJSON_PrintUnformatted(root);

    run_result_t a, b;
    char *log_a = run_to_log(names[_i], text, &a);
    char *log_b = run_to_log(names[_i], respelled, &b);
    ck_assert_msg(a.passed, "%s fails as shipped", names[_i]);
    if (strcmp(log_a, log_b) != 0) {
        /* Show the first line that differs, in both. */
        size_t at = 0, start = 0, line = 1;
        for (; log_a[at] == log_b[at]; at++)
            if (log_a[at] == '\n') {
                start = at + 1;
                line++;
            }
        ck_abort_msg("%s: %zu references respelled; the log differs at line %zu:\n%.160s\n%.160s",
                     names[_i], count, line, log_a + start, log_b + start);
    }
    ck_assert_int_eq(a.nexpectations, b.nexpectations);
    for (size_t i = 0; i < a.nexpectations; i++)
        ck_assert_msg(a.expectations[i].passed == b.expectations[i].passed,
                      "%s: \"%s\" %s respelled: %s", names[_i], a.expectations[i].name,
                      b.expectations[i].passed ? "passes" : "fails", b.expectations[i].detail);
    ck_assert_int_eq(a.score, b.score);
    ck_assert(b.passed);

    run_result_free(&a);
    run_result_free(&b);
    free(log_a);
    free(log_b);
    cJSON_free(respelled);
    cJSON_Delete(root);
    free(text);
}
END_TEST

Suite *scenario_case_suite(void)
{
    nnames = fixture_json_files(SCENARIO_DIR, false, &names);
    Suite *s = suite_create("scenario_case");
    TCase *tc = tcase_create("case");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_respelled_runs_the_same, 0, nnames ? (int)nnames : 1);
    suite_add_tcase(s, tc);
    return s;
}
