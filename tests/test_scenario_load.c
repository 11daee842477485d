/*
 * The scenario loader's errors: every broken scenario in tests/scenarios/bad
 * gives exactly the lines of its .expected file; files that cannot be read,
 * huge inputs, and several files reported into one diag.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "files_fixture.h"
#include "scenario/load.h"

#define BAD_DIR "tests/scenarios/bad"
#define MIN_BAD_CASES 30

static char **bad_names; /* "syntax-truncated", without ".json" */
static size_t nbad;

/* Every line of the diag, each ending in a newline. */
static char *diag_text(const diag_t *d)
{
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < diag_count(d); i++)
        buf_printf(&b, "%s\n", diag_line(d, i));
    return buf_steal(&b, NULL);
}

START_TEST(test_bad_dir_has_cases)
{
    ck_assert_msg(nbad >= MIN_BAD_CASES, "found %zu broken scenarios in %s, want at least %d", nbad,
                  BAD_DIR, MIN_BAD_CASES);
}
END_TEST

START_TEST(test_bad_scenario)
{
    const char *name = bad_names[_i];
    char *json_path = xasprintf("%s/%s.json", BAD_DIR, name);
    char *want_path = xasprintf("%s/%s.expected", BAD_DIR, name);
    char *file_name = xasprintf("%s.json", name);
    size_t len;
    char *json = fixture_read_file(json_path, &len);
    char *want = fixture_read_file(want_path, NULL);
    ck_assert_msg(json != NULL, "cannot read %s", json_path);
    ck_assert_msg(want != NULL, "cannot read %s", want_path);
    ck_assert_msg(*want != '\0', "%s is empty: a broken scenario has at least one error",
                  want_path);

    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_string(file_name, json, len, &d);
    char *got = diag_text(&d);
    ck_assert_msg(sc == NULL, "%s: loaded without error, want:\n%s", file_name, want);
    ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- got\n%s--- want\n%s", file_name, got, want);

    free(got);
    diag_free(&d);
    free(json);
    free(want);
    free(file_name);
    free(want_path);
    free(json_path);
}
END_TEST

/* Loading through the file gives the same lines, naming the path. */
START_TEST(test_load_file_names_path)
{
    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_file(BAD_DIR "/until-zero.json", &d);
    ck_assert_ptr_null(sc);
    ck_assert_uint_eq(diag_count(&d), 1);
    ck_assert_str_eq(diag_line(&d, 0),
                     BAD_DIR "/until-zero.json: $.until: until must be longer than 0s");
    diag_free(&d);
}
END_TEST

START_TEST(test_cannot_read)
{
    diag_t d = DIAG_INIT;
    ck_assert_ptr_null(scenario_load_file("tests/scenarios/no-such-file.json", &d));
    ck_assert_uint_eq(diag_count(&d), 1);
    ck_assert_str_eq(diag_line(&d, 0), "mailsim: cannot read tests/scenarios/no-such-file.json: "
                                       "No such file or directory");
    diag_free(&d);

    ck_assert_ptr_null(scenario_load_file("tests/scenarios", &d));
    ck_assert_uint_eq(diag_count(&d), 1);
    ck_assert_str_eq(diag_line(&d, 0), "mailsim: cannot read tests/scenarios: Is a directory");
    diag_free(&d);
}
END_TEST

/* Each file's lines stay together and in their own order. */
START_TEST(test_two_files_one_diag)
{
    diag_t d = DIAG_INIT;
    const char *a = "{\"timeline\": [{\"at\": \"1x\", \"down\": 5}], \"seed\": -1}";
    const char *b = "{\"until\": 3}";
    ck_assert_ptr_null(scenario_load_string("a.json", a, strlen(a), &d));
    ck_assert_ptr_null(scenario_load_string("b.json", b, strlen(b), &d));
    char *got = diag_text(&d);
    /* Timeline is checked after seed but comes first in the file. */
    ck_assert_str_eq(got, "a.json: $.timeline[0].at: expected a duration like \"30m\", got \"1x\"\n"
                          "a.json: $.timeline[0].down: expected a string, got a number\n"
                          "a.json: $.seed: expected a number from 0 to 9007199254740991, got -1\n"
                          "b.json: $.until: expected a duration like \"30m\", got a number\n");
    free(got);
    diag_free(&d);
}
END_TEST

/* The text need not end in NUL: the loader reads exactly len bytes. */
START_TEST(test_length_is_respected)
{
    const char text[] = "{\"seed\": 7}garbage";
    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_string("x.json", text, 11, &d);
    ck_assert_uint_eq(diag_count(&d), 0);
    ck_assert_ptr_nonnull(sc);
    ck_assert_uint_eq(sc->seed, 7);
    scenario_free(sc);

    sc = scenario_load_string("x.json", text, 12, &d);
    ck_assert_ptr_null(sc);
    ck_assert_str_eq(diag_line(&d, 0), "x.json:1:12: not valid JSON near \"g\" (after the end of "
                                       "the top-level value)");
    diag_free(&d);
}
END_TEST

/* Hosts with no address get the documentation ranges in turn; past the
 * three of them the loader says so. */
static char *many_clients(size_t n)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, "{\"clients\": [");
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s{\"host\": \"pc%zu\"}", i ? "," : "", i);
    buf_puts(&b, "]}");
    return buf_steal(&b, NULL);
}

START_TEST(test_addresses_run_out)
{
    char *json = many_clients(762);
    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_string("many.json", json, strlen(json), &d);
    ck_assert_uint_eq(diag_count(&d), 0);
    char text[16];
    ck_assert_str_eq(scenario_address_format(sc->clients[0].address, text, sizeof text),
                     "192.0.2.1");
    ck_assert_str_eq(scenario_address_format(sc->clients[254].address, text, sizeof text),
                     "198.51.100.1");
    ck_assert_str_eq(scenario_address_format(sc->clients[761].address, text, sizeof text),
                     "203.0.113.254");
    scenario_free(sc);
    free(json);

    json = many_clients(763);
    ck_assert_ptr_null(scenario_load_string("many.json", json, strlen(json), &d));
    ck_assert_uint_eq(diag_count(&d), 1);
    ck_assert_str_eq(diag_line(&d, 0),
                     "many.json: $: more hosts than free addresses in 192.0.2.0/24, "
                     "198.51.100.0/24 and 203.0.113.0/24; give some hosts an \"address\"");
    diag_free(&d);
    free(json);
}
END_TEST

/* Many errors and long values: every error is reported, values are cut. */
START_TEST(test_many_errors)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, "{\"timeline\": [");
    for (int i = 0; i < 5000; i++)
        buf_printf(&b, "%s{\"at\": \"%dq\", \"up\": \"h%d\"}", i ? "," : "", i, i);
    buf_puts(&b, "], \"title\": \"");
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, 'x');
    buf_puts(&b, "\", \"");
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, 'k');
    buf_puts(&b, "\": 1}");
    diag_t d = DIAG_INIT;
    ck_assert_ptr_null(scenario_load_string("big.json", (const char *)b.data, b.len, &d));
    /* Two errors per entry (time, unknown host), and one unknown key. */
    ck_assert_uint_eq(diag_count(&d), 10001);
    ck_assert_str_eq(diag_line(&d, 0),
                     "big.json: $.timeline[0].at: expected a duration like \"30m\", got \"0q\"");
    ck_assert_str_eq(diag_line(&d, 9999), "big.json: $.timeline[4999].up: unknown host \"h4999\"");
    const char *last = diag_line(&d, 10000);
    ck_assert_msg(strlen(last) < 400, "an error line of %zu bytes", strlen(last));
    ck_assert_msg(strstr(last, "unknown key \"kkkk") != NULL, "got %s", last);
    diag_free(&d);
    buf_free(&b);
}
END_TEST

START_TEST(test_diag_sort_is_stable)
{
    diag_t d = DIAG_INIT;
    diag_add(&d, 3, "c1");
    diag_add(&d, 1, "a1");
    diag_add(&d, 3, "c2");
    diag_add(&d, 2, "b");
    diag_add(&d, 1, "a2");
    diag_sort(&d);
    const char *want[] = {"a1", "a2", "b", "c1", "c2"};
    ck_assert_uint_eq(diag_count(&d), 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(diag_line(&d, i), want[i]);
    ck_assert_ptr_null(diag_line(&d, 5));
    diag_free(&d);
}
END_TEST

Suite *scenario_load_suite(void)
{
    nbad = fixture_json_files(BAD_DIR, true, &bad_names);
    Suite *s = suite_create("scenario_load");
    TCase *tc = tcase_create("bad");
    tcase_add_test(tc, test_bad_dir_has_cases);
    tcase_add_loop_test(tc, test_bad_scenario, 0, (int)nbad);
    suite_add_tcase(s, tc);
    tc = tcase_create("input");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_load_file_names_path);
    tcase_add_test(tc, test_cannot_read);
    tcase_add_test(tc, test_two_files_one_diag);
    tcase_add_test(tc, test_length_is_respected);
    tcase_add_test(tc, test_addresses_run_out);
    tcase_add_test(tc, test_many_errors);
    tcase_add_test(tc, test_diag_sort_is_stable);
    suite_add_tcase(s, tc);
    return s;
}
