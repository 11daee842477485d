/* Durations, sizes and rates: the one parser and formatter everything shares. */
#include <check.h>
#include <string.h>

#include "core/time.h"

static const struct {
    const char *text;
    sim_time_t want;
} good_durations[] = {
    {"0", 0},
    {"0s", 0},
    {"250ms", 250 * SIM_MS},
    {"30s", 30 * SIM_SEC},
    {"30m", 30 * SIM_MIN},
    {"1h30m", 90 * SIM_MIN},
    {"5d", 5 * SIM_DAY},
    {"1d2h3m4s5ms6us", SIM_DAY + 2 * SIM_HOUR + 3 * SIM_MIN + 4 * SIM_SEC + 5 * SIM_MS + 6},
    {"90m", 90 * SIM_MIN},
};

START_TEST(test_duration_parse_good)
{
    sim_time_t got = -1;
    ck_assert_msg(duration_parse(good_durations[_i].text, &got) == 0, "rejected \"%s\"",
                  good_durations[_i].text);
    ck_assert_msg(got == good_durations[_i].want, "\"%s\": got %lld, want %lld",
                  good_durations[_i].text, (long long)got, (long long)good_durations[_i].want);
}
END_TEST

static const char *const bad_durations[] = {
    "", "30", "30 minutes", "1m1h", "1h1h", "-5s", "5x", "s", "1.5h", "h30", "99999999999999999999s",
    "9999999999999d",
};

START_TEST(test_duration_parse_bad)
{
    sim_time_t got = 7;
    ck_assert_msg(duration_parse(bad_durations[_i], &got) == -1, "accepted \"%s\"", bad_durations[_i]);
    ck_assert_int_eq(got, 7);
}
END_TEST

START_TEST(test_duration_format_round_trip)
{
    char text[64];
    sim_time_t back;
    for (size_t i = 0; i < sizeof good_durations / sizeof good_durations[0]; i++) {
        duration_format(good_durations[i].want, text, sizeof text);
        ck_assert_int_eq(duration_parse(text, &back), 0);
        ck_assert_int_eq(back, good_durations[i].want);
    }
    ck_assert_str_eq(duration_format(90 * SIM_MIN, text, sizeof text), "1h30m");
    ck_assert_str_eq(duration_format(250 * SIM_MS, text, sizeof text), "250ms");
    ck_assert_str_eq(duration_format(0, text, sizeof text), "0s");
    ck_assert_str_eq(clock_format(SIM_HOUR + 90 * SIM_SEC + 250 * SIM_MS, text, sizeof text),
                     "1:01:30.250000");
}
END_TEST

START_TEST(test_size_parse)
{
    uint64_t v;
    ck_assert_int_eq(size_parse("2KB", &v), 0);
    ck_assert_uint_eq(v, 2000);
    ck_assert_int_eq(size_parse("10MB", &v), 0);
    ck_assert_uint_eq(v, 10000000);
    ck_assert_int_eq(size_parse("2kib", &v), 0);
    ck_assert_uint_eq(v, 2048);
    ck_assert_int_eq(size_parse("1234", &v), 0);
    ck_assert_uint_eq(v, 1234);
    ck_assert_int_eq(size_parse("50B", &v), 0);
    ck_assert_uint_eq(v, 50);
    ck_assert_int_eq(size_parse("2 KB", &v), -1);
    ck_assert_int_eq(size_parse("KB", &v), -1);
    ck_assert_int_eq(size_parse("2TB", &v), -1);
    ck_assert_int_eq(size_parse("99999999999999999999GB", &v), -1);
    char text[32];
    ck_assert_str_eq(size_format(2000, text, sizeof text), "2KB");
    ck_assert_str_eq(size_format(2048, text, sizeof text), "2048B");
}
END_TEST

START_TEST(test_rate_parse)
{
    uint64_t v;
    ck_assert_int_eq(rate_parse("100Mbit", &v), 0);
    ck_assert_uint_eq(v, 100000000);
    ck_assert_int_eq(rate_parse("10kbit", &v), 0);
    ck_assert_uint_eq(v, 10000);
    ck_assert_int_eq(rate_parse("1Gbps", &v), 0);
    ck_assert_uint_eq(v, 1000000000);
    ck_assert_int_eq(rate_parse("0Mbit", &v), -1);
    ck_assert_int_eq(rate_parse("100MB", &v), -1);
}
END_TEST

Suite *core_time_suite(void)
{
    Suite *s = suite_create("core_time");
    TCase *tc = tcase_create("time");
    tcase_add_loop_test(tc, test_duration_parse_good, 0,
                        (int)(sizeof good_durations / sizeof good_durations[0]));
    tcase_add_loop_test(tc, test_duration_parse_bad, 0,
                        (int)(sizeof bad_durations / sizeof bad_durations[0]));
    tcase_add_test(tc, test_duration_format_round_trip);
    tcase_add_test(tc, test_size_parse);
    tcase_add_test(tc, test_rate_parse);
    suite_add_tcase(s, tc);
    return s;
}
