/* Queue policy: retry schedules, give-up, warnings, reply classes, statuses, report lines. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mail/queue_policy.h"

/* The attempt times a queue following p makes when every attempt fails at once. */
static void attempts_at(const queue_policy_t *p, sim_time_t *out, size_t n)
{
    sim_time_t now = 0;
    for (unsigned k = 0; k < n; k++) {
        now = queue_next_attempt(p, 0, k, now);
        out[k] = now;
    }
}

START_TEST(test_defaults)
{
    queue_policy_t p;
    queue_policy_default(&p);
    ck_assert_int_eq(p.retry, 30 * SIM_MIN);
    ck_assert_int_eq(p.backoff, QUEUE_BACKOFF_FIXED);
    ck_assert_int_eq(p.max_retry, 4 * SIM_HOUR);
    ck_assert_int_eq(p.give_up, 5 * SIM_DAY);
    ck_assert_int_eq(p.warn_after, 0);
    ck_assert_ptr_null(queue_policy_check(&p));
    queue_backoff_t b;
    ck_assert_int_eq(queue_backoff_parse("exponential", &b), 0);
    ck_assert_int_eq(b, QUEUE_BACKOFF_EXPONENTIAL);
    ck_assert_str_eq(queue_backoff_name(b), "exponential");
    ck_assert_int_eq(queue_backoff_parse("linear", &b), -1);
    p.retry = 0;
    ck_assert_ptr_nonnull(queue_policy_check(&p));
    queue_policy_default(&p);
    p.backoff = QUEUE_BACKOFF_EXPONENTIAL;
    p.max_retry = 10 * SIM_MIN;
    ck_assert_ptr_nonnull(queue_policy_check(&p));
}
END_TEST

START_TEST(test_fixed_schedule)
{
    queue_policy_t p;
    queue_policy_default(&p);
    sim_time_t got[6];
    attempts_at(&p, got, 6);
    for (size_t k = 0; k < 6; k++)
        ck_assert_msg(got[k] == (sim_time_t)k * 30 * SIM_MIN, "attempt %zu at %lld min, want %zu",
                      k, (long long)(got[k] / SIM_MIN), k * 30);
    /* An attempt that took 2 minutes does not shift the grid. */
    ck_assert_int_eq(queue_next_attempt(&p, 0, 1, 2 * SIM_MIN), 30 * SIM_MIN);
    /* The queue was down 2h10m: missed points are skipped, not made up in a burst. */
    ck_assert_int_eq(queue_next_attempt(&p, 0, 1, 130 * SIM_MIN), 150 * SIM_MIN);
    ck_assert_int_eq(queue_next_attempt(&p, 0, 1, 150 * SIM_MIN), 150 * SIM_MIN);
    /* Not tried yet: at once, or at the first time if that is later. */
    ck_assert_int_eq(queue_next_attempt(&p, 5 * SIM_MIN, 0, 7 * SIM_MIN), 7 * SIM_MIN);
    ck_assert_int_eq(queue_next_attempt(&p, 5 * SIM_MIN, 0, 0), 5 * SIM_MIN);
}
END_TEST

START_TEST(test_exponential_schedule)
{
    queue_policy_t p;
    queue_policy_default(&p);
    p.backoff = QUEUE_BACKOFF_EXPONENTIAL;
    /* Waits of 30m, 1h, 2h, 4h, then 4h each (the cap). */
    const sim_time_t want_min[] = {0, 30, 90, 210, 450, 690, 930};
    sim_time_t got[7];
    attempts_at(&p, got, 7);
    for (size_t k = 0; k < 7; k++)
        ck_assert_msg(got[k] == want_min[k] * SIM_MIN, "attempt %zu at %lld min, want %lld", k,
                      (long long)(got[k] / SIM_MIN), (long long)want_min[k]);
    /* Five attempts done, the sixth was due at 690m, the queue was down until
     * 12h (720m): the next grid point after it, 690m + 4h = 930m. */
    ck_assert_int_eq(queue_next_attempt(&p, 0, 5, 12 * SIM_HOUR), 930 * SIM_MIN);
    ck_assert_int_eq(queue_next_attempt(&p, 0, 5, 20 * SIM_HOUR), 1410 * SIM_MIN);
    /* A hundred attempts later it is still capped and does not overflow. */
    sim_time_t far = queue_next_attempt(&p, 0, 100, 0);
    ck_assert_int_eq(far, (210 + 97 * 240) * SIM_MIN);
}
END_TEST

START_TEST(test_give_up_and_warn)
{
    queue_policy_t p;
    queue_policy_default(&p);
    ck_assert(!queue_should_give_up(&p, SIM_HOUR, SIM_HOUR + 5 * SIM_DAY - 1));
    ck_assert(queue_should_give_up(&p, SIM_HOUR, SIM_HOUR + 5 * SIM_DAY));
    ck_assert(!queue_should_warn(&p, 0, 10 * SIM_DAY, false)); /* never by default */
    p.warn_after = 4 * SIM_HOUR;
    ck_assert(!queue_should_warn(&p, 0, 4 * SIM_HOUR - 1, false));
    ck_assert(queue_should_warn(&p, 0, 4 * SIM_HOUR, false));
    ck_assert(!queue_should_warn(&p, 0, 5 * SIM_HOUR, true)); /* once only */
    p.give_up = 0;
    ck_assert(queue_should_give_up(&p, 0, 0));
}
END_TEST

static const struct {
    int code;
    queue_reply_class_t want;
} classes[] = {
    {250, QUEUE_REPLY_SUCCESS},   {251, QUEUE_REPLY_SUCCESS},   {421, QUEUE_REPLY_TRANSIENT},
    {450, QUEUE_REPLY_TRANSIENT}, {452, QUEUE_REPLY_TRANSIENT}, {550, QUEUE_REPLY_PERMANENT},
    {552, QUEUE_REPLY_PERMANENT}, {354, QUEUE_REPLY_INVALID},   {199, QUEUE_REPLY_INVALID},
    {600, QUEUE_REPLY_INVALID},   {0, QUEUE_REPLY_INVALID},
};

START_TEST(test_classify)
{
    queue_reply_class_t got = queue_classify_reply(classes[_i].code);
    ck_assert_msg(got == classes[_i].want, "%d: got %s, want %s", classes[_i].code,
                  queue_reply_class_name(got), queue_reply_class_name(classes[_i].want));
}
END_TEST

static const struct {
    const char *reply, *want;
} statuses[] = {
    {"550 5.1.1 No such user", "5.1.1"},
    {"552 5.2.2 Mailbox full", "5.2.2"},
    {"451 4.4.3 Try again", "4.4.3"},
    {"550 No such user", "5.0.0"},
    {"550 4.1.1 disagrees with the reply", "5.0.0"},
    {"421", "4.0.0"},
    {"250-2.0.0 first line", "2.0.0"},
    {"550 5.1.1234 too many digits", "5.0.0"},
    {"550 5.7.1\r\n", "5.7.1"},
    {"354 go ahead", "4.0.0"},
};

START_TEST(test_reply_status)
{
    char got[QUEUE_STATUS_SIZE];
    ck_assert(queue_reply_status(statuses[_i].reply, got));
    ck_assert_msg(strcmp(got, statuses[_i].want) == 0, "\"%s\": got %s, want %s",
                  statuses[_i].reply, got, statuses[_i].want);
}
END_TEST

START_TEST(test_reply_status_rejects)
{
    char got[QUEUE_STATUS_SIZE];
    ck_assert(!queue_reply_status("hello", got));
    ck_assert_str_eq(got, "");
    ck_assert(!queue_reply_status("55 short", got));
    ck_assert(!queue_reply_status("5500 long", got));
}
END_TEST

START_TEST(test_failures)
{
    const struct {
        queue_failure_t f;
        const char *status;
    } want[] = {
        {QUEUE_FAILURE_NO_ANSWER, "4.4.1"},     {QUEUE_FAILURE_EXPIRED, "4.4.7"},
        {QUEUE_FAILURE_BAD_MAILBOX, "5.1.1"},   {QUEUE_FAILURE_BAD_SYSTEM, "5.1.2"},
        {QUEUE_FAILURE_DNS_TEMPORARY, "4.4.3"}, {QUEUE_FAILURE_MAILBOX_FULL, "5.2.2"},
        {QUEUE_FAILURE_RELAY_DENIED, "5.7.1"},  {QUEUE_FAILURE_TOO_BIG, "5.3.4"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_str_eq(queue_failure_status(want[i].f), want[i].status);
    ck_assert_str_eq(queue_failure_text(QUEUE_FAILURE_NO_ANSWER), "no answer from host");
}
END_TEST

START_TEST(test_report_from_reply)
{
    queue_report_t r;
    queue_report_from_reply(&r, QUEUE_DSN_FAILED, "roberto@roberto.example", "mail.roberto.example",
                            "550 5.1.1 No such user\r\n");
    ck_assert_str_eq(queue_dsn_action_name(r.action), "failed");
    ck_assert_str_eq(r.status, "5.1.1");
    ck_assert_str_eq(r.diagnostic, "smtp; 550 5.1.1 No such user");
    ck_assert_str_eq(r.remote_mta, "dns; mail.roberto.example");
    ck_assert_str_eq(r.explanation, "The mail system could not deliver your message to "
                                    "roberto@roberto.example: 550 5.1.1 No such user");
    queue_report_free(&r);
    queue_report_from_reply(&r, QUEUE_DSN_DELAYED, "roberto@roberto.example", NULL,
                            "421-busy\r\n421 4.3.2 come back later");
    ck_assert_str_eq(queue_dsn_action_name(r.action), "delayed");
    ck_assert_str_eq(r.status, "4.0.0");
    ck_assert_ptr_null(r.remote_mta);
    ck_assert_str_eq(r.explanation, "The mail system has not yet delivered your message to "
                                    "roberto@roberto.example: 421-busy 421 4.3.2 come back later; "
                                    "it will keep trying.");
    queue_report_free(&r);
    queue_report_from_reply(&r, QUEUE_DSN_FAILED, "x@y.example", NULL, "");
    ck_assert_str_eq(r.status, "5.0.0");
    ck_assert_str_eq(r.diagnostic, "smtp; ");
    queue_report_free(&r);
}
END_TEST

START_TEST(test_report_from_failure)
{
    queue_report_t r;
    queue_report_from_failure(&r, QUEUE_DSN_FAILED, "roberto@roberto.example",
                              "mail.roberto.example", QUEUE_FAILURE_NO_ANSWER);
    ck_assert_str_eq(r.status, "4.4.1");
    ck_assert_ptr_null(r.diagnostic);
    ck_assert_str_eq(r.explanation, "The mail system could not deliver your message to "
                                    "roberto@roberto.example: mail.roberto.example: "
                                    "no answer from host");
    queue_report_free(&r);
    queue_report_from_failure(&r, QUEUE_DSN_FAILED, "roberto@nowhere.example", NULL,
                              QUEUE_FAILURE_BAD_SYSTEM);
    ck_assert_str_eq(r.status, "5.1.2");
    ck_assert_str_eq(r.explanation, "The mail system could not deliver your message to "
                                    "roberto@nowhere.example: bad destination system address");
    queue_report_free(&r);
}
END_TEST

Suite *mail_queue_policy_suite(void)
{
    Suite *s = suite_create("mail_queue_policy");
    TCase *tc = tcase_create("schedule");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_fixed_schedule);
    tcase_add_test(tc, test_exponential_schedule);
    tcase_add_test(tc, test_give_up_and_warn);
    suite_add_tcase(s, tc);
    TCase *replies = tcase_create("replies");
    tcase_add_loop_test(replies, test_classify, 0, sizeof classes / sizeof classes[0]);
    tcase_add_loop_test(replies, test_reply_status, 0, sizeof statuses / sizeof statuses[0]);
    tcase_add_test(replies, test_reply_status_rejects);
    tcase_add_test(replies, test_failures);
    tcase_add_test(replies, test_report_from_reply);
    tcase_add_test(replies, test_report_from_failure);
    suite_add_tcase(s, replies);
    return s;
}
