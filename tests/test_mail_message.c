/* Messages: Date from virtual time, Message-ID, building, trace fields, build-parse round trips. */
#include <check.h>
#include <string.h>

#include "mail/message.h"
#include "mail/mime.h"

static const struct {
    sim_time_t t;
    int tz;
    const char *want;
} dates[] = {
    {0, 0, "Mon, 07 Sep 2026 09:00:00 +0000"},
    {0, 180, "Mon, 07 Sep 2026 12:00:00 +0300"},
    {0, -330, "Mon, 07 Sep 2026 03:30:00 -0530"},
    {90 * SIM_MIN + 999999, 0, "Mon, 07 Sep 2026 10:30:00 +0000"},
    {15 * SIM_HOUR, 0, "Tue, 08 Sep 2026 00:00:00 +0000"},
    {-9 * SIM_HOUR - 1, 0, "Sun, 06 Sep 2026 23:59:59 +0000"},
    {(sim_time_t)174 * SIM_DAY, 0, "Sun, 28 Feb 2027 09:00:00 +0000"},
    {(sim_time_t)175 * SIM_DAY, 0, "Mon, 01 Mar 2027 09:00:00 +0000"},
    {(sim_time_t)540 * SIM_DAY, 0, "Tue, 29 Feb 2028 09:00:00 +0000"},
};

START_TEST(test_date_format_and_parse)
{
    char text[MESSAGE_DATE_MAX];
    message_date_format(dates[_i].t, dates[_i].tz, text, sizeof text);
    ck_assert_msg(strcmp(text, dates[_i].want) == 0, "t=%lld tz=%d: got \"%s\", want \"%s\"",
                  (long long)dates[_i].t, dates[_i].tz, text, dates[_i].want);
    sim_time_t back = 1;
    ck_assert_int_eq(message_date_parse(text, &back), 0);
    sim_time_t whole = dates[_i].t - ((dates[_i].t % SIM_SEC) + SIM_SEC) % SIM_SEC;
    ck_assert_msg(back == whole, "\"%s\" read as %lld, want %lld", text, (long long)back,
                  (long long)whole);
}
END_TEST

/* A date memo gives what message_date_format gives, through seconds, zones and sign changes. */
START_TEST(test_date_memo)
{
    static const struct {
        sim_time_t t;
        int tz;
    } seq[] = {
        {0, 0},
        {1, 0},              /* same second: kept */
        {SIM_SEC - 1, 0},    /* still */
        {SIM_SEC, 0},        /* next second */
        {SIM_SEC, 180},      /* same second, other zone */
        {SIM_SEC + 5, 180},  /* kept */
        {SIM_SEC + 5, -330}, /* other zone */
        {-1, 0},             /* the second before 0, rounded down */
        {-SIM_SEC, 0},       /* the same second */
        {-SIM_SEC - 1, 0},   /* the one before */
        {0, 0},              /* back */
        {0, 5000},           /* a zone out of range is written as +0000 */
        {0, 0},              /* the same text, another key */
        {(sim_time_t)540 * SIM_DAY + 7, 60},
        {(sim_time_t)540 * SIM_DAY + 7, 60},
    };
    message_date_memo_t memo = {0};
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        char want[MESSAGE_DATE_MAX];
        message_date_format(seq[i].t, seq[i].tz, want, sizeof want);
        size_t len = 0;
        const char *got = message_date_memo_format(&memo, seq[i].t, seq[i].tz, &len);
        ck_assert_msg(strcmp(got, want) == 0 && len == strlen(want), "%zu: got \"%s\", want \"%s\"",
                      i, got, want);
    }
}
END_TEST

START_TEST(test_date_parse_variants)
{
    static const struct {
        const char *text;
        sim_time_t want;
    } cases[] = {
        {"7 Sep 2026 09:00 GMT", 0},
        {"Mon, 7 Sep 26 12:00:00 +0300", 0},
        {"Mon (Monday), 07 Sep 2026 05:00:00 EDT", 0},
        {"  Mon, 07 Sep 2026 09:00:30 +0000 (UTC)", 30 * SIM_SEC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_time_t got = -1;
        ck_assert_msg(message_date_parse(cases[i].text, &got) == 0, "rejected \"%s\"",
                      cases[i].text);
        ck_assert_msg(got == cases[i].want, "\"%s\": %lld", cases[i].text, (long long)got);
    }
    static const char *const bad[] = {"",
                                      "yesterday",
                                      "Mon, 07 Sep",
                                      "32 Sep 2026 09:00 +0000",
                                      "07 Foo 2026 09:00 +0000",
                                      "07 Sep 2026 25:00 +0000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sim_time_t got = 5;
        ck_assert_msg(message_date_parse(bad[i], &got) == -1, "accepted \"%s\"", bad[i]);
        ck_assert_int_eq(got, 5);
    }
    char line[MESSAGE_DATE_MAX];
    ck_assert_str_eq(message_date_format_ctime(0, line, sizeof line), "Mon Sep  7 09:00:00 2026");
}
END_TEST

START_TEST(test_message_id)
{
    char id[128];
    ck_assert_str_eq(message_id_make(42, 0xbeef, "alice.example", id, sizeof id),
                     "<42.beef@alice.example>");
    ck_assert_str_eq(message_id_make(1, 0, NULL, id, sizeof id), "<1.0@localhost>");
}
END_TEST

static const char *const roberto[] = {"Roberto <roberto@roberto.example>"};

START_TEST(test_build_plain)
{
    message_spec_t spec = {.from = "alice@alice.example",
                           .to = roberto,
                           .to_count = 1,
                           .subject = "Hello",
                           .text = "Hi Roberto,\nlunch?\n",
                           .date = 0,
                           .counter = 7,
                           .seed = 0x5eed,
                           .host = "alice.example"};
    buf_t out = BUF_INIT;
    ck_assert_int_eq(message_build(&spec, &out), 0);
    ck_assert_str_eq(buf_cstr(&out), "Date: Mon, 07 Sep 2026 09:00:00 +0000\r\n"
                                     "From: alice@alice.example\r\n"
                                     "To: Roberto <roberto@roberto.example>\r\n"
                                     "Subject: Hello\r\n"
                                     "Message-ID: <7.5eed@alice.example>\r\n"
                                     "MIME-Version: 1.0\r\n"
                                     "Content-Type: text/plain; charset=utf-8\r\n"
                                     "Content-Transfer-Encoding: 7bit\r\n"
                                     "\r\n"
                                     "Hi Roberto,\r\nlunch?\r\n");
    buf_free(&out);
}
END_TEST

START_TEST(test_build_greek_8bit_and_qp)
{
    const char *cc[] = {"Αλίκη <alice@alice.example>", "undisclosed-recipients:;"};
    message_spec_t spec = {.from = "Αλίκη <alice@alice.example>",
                           .to = roberto,
                           .to_count = 1,
                           .cc = cc,
                           .cc_count = 2,
                           .subject = "Γεια σου",
                           .text = "Γεια σου Ρομπέρτο",
                           .message_id = "<fixed@x>",
                           .allow_8bit = true};
    for (int eight = 1; eight >= 0; eight--) {
        spec.allow_8bit = eight;
        buf_t out = BUF_INIT, text = BUF_INIT;
        ck_assert_int_eq(message_build(&spec, &out), 0);
        mime_part_t *root = mime_parse(out.data, out.len);
        ck_assert_str_eq(header_get(&root->header, "Subject"), "=?UTF-8?B?zpPOtc65zrEgz4POv8+F?=");
        ck_assert_str_eq(header_get(&root->header, "Message-ID"), "<fixed@x>");
        ck_assert_str_eq(header_get(&root->header, "Cc"),
                         "=?UTF-8?B?zpHOu86vzrrOtw==?= <alice@alice.example>, "
                         "undisclosed-recipients:;");
        ck_assert_int_eq(root->encoding, eight ? MIME_ENC_8BIT : MIME_ENC_QP);
        ck_assert_int_eq(mime_part_text(root, &text), 0);
        ck_assert_str_eq(buf_cstr(&text), "Γεια σου Ρομπέρτο\r\n");
        ck_assert_uint_eq(root->header.defects, 0);
        mime_free(root);
        buf_free(&out);
        buf_free(&text);
    }
}
END_TEST

/* Build with attachments and html, parse, and find the same tree. */
START_TEST(test_build_parse_round_trip)
{
    uint8_t photo[5000];
    for (size_t i = 0; i < sizeof photo; i++)
        photo[i] = (uint8_t)(i * 7);
    const mime_attachment_t attachments[] = {
        {"photo.jpg", "image/jpeg", photo, sizeof photo},
        {"σημειώσεις.txt", "text/plain", (const uint8_t *)"Σημείωση\n", strlen("Σημείωση\n")},
    };
    message_spec_t spec = {.from = "alice@alice.example",
                           .to = roberto,
                           .to_count = 1,
                           .subject = "Photos",
                           .text = "See attached.",
                           .html = "<p>See attached.</p>",
                           .attachments = attachments,
                           .attachment_count = 2,
                           .counter = 3,
                           .seed = 9};
    buf_t out = BUF_INIT, got = BUF_INIT;
    message_build(&spec, &out);
    mime_part_t *root = mime_parse(out.data, out.len);
    ck_assert_uint_eq(mime_tree_defects(root), 0);
    ck_assert(mime_part_is(root, "multipart", "mixed"));
    ck_assert_str_eq(mime_part_param(root, "boundary"), "=_mailsim_9_6");
    ck_assert_uint_eq(root->child_count, 3);
    const mime_part_t *alt = root->children[0];
    ck_assert(mime_part_is(alt, "multipart", "alternative"));
    ck_assert_str_eq(mime_part_param(alt, "boundary"), "=_mailsim_9_7");
    ck_assert_uint_eq(alt->child_count, 2);
    ck_assert(mime_part_is(alt->children[0], "text", "plain"));
    ck_assert(mime_part_is(alt->children[1], "text", "html"));
    mime_part_text(alt->children[1], &got);
    ck_assert_str_eq(buf_cstr(&got), "<p>See attached.</p>\r\n");
    const mime_part_t *jpg = root->children[1];
    ck_assert(mime_part_is(jpg, "image", "jpeg"));
    ck_assert_int_eq(jpg->encoding, MIME_ENC_BASE64);
    ck_assert_str_eq(jpg->disposition, "attachment");
    ck_assert_str_eq(mime_part_filename(jpg), "photo.jpg");
    buf_reset(&got);
    ck_assert_int_eq(mime_part_decode(jpg, &got), 0);
    ck_assert_uint_eq(got.len, sizeof photo);
    ck_assert(memcmp(got.data, photo, sizeof photo) == 0);
    const mime_part_t *notes = root->children[2];
    ck_assert_str_eq(mime_part_filename(notes), "σημειώσεις.txt");
    ck_assert_str_eq(mime_part_param(notes, "name"), "σημειώσεις.txt");
    buf_reset(&got);
    mime_part_text(notes, &got);
    ck_assert_str_eq(buf_cstr(&got), "Σημείωση\n");
    /* section numbers as IMAP counts them */
    ck_assert_ptr_eq(mime_part_section(root, "1.2"), alt->children[1]);
    ck_assert_ptr_eq(mime_part_section(root, "3"), notes);
    ck_assert_ptr_null(mime_part_section(root, "4"));
    mime_free(root);
    buf_free(&out);
    buf_free(&got);
}
END_TEST

START_TEST(test_received_and_return_path)
{
    message_received_t r = {.helo = "alice-pc",
                            .client_host = "alice-pc.alice.example",
                            .client_addr = "192.0.2.10",
                            .by_host = "mail.alice.example",
                            .protocol = "ESMTPSA",
                            .id = "A1",
                            .for_rcpt = "roberto@roberto.example",
                            .time = 5 * SIM_MIN};
    buf_t value = BUF_INIT;
    message_received_value(&r, &value);
    const char *want = "from alice-pc (alice-pc.alice.example [192.0.2.10]) by mail.alice.example "
                       "with ESMTPSA id A1 for <roberto@roberto.example>; Mon, 07 Sep 2026 "
                       "09:05:00 +0000";
    ck_assert_str_eq(buf_cstr(&value), want);

    buf_t msg = BUF_INIT;
    buf_puts(&msg, "Subject: x\r\n\r\nbody\r\n");
    message_prepend_received(&msg, &r);
    r.for_rcpt = NULL;
    r.client_host = NULL;
    r.by_host = "mx.roberto.example";
    r.protocol = "ESMTP";
    message_prepend_received(&msg, &r);
    message_prepend_return_path(&msg, "alice@alice.example");
    ck_assert_str_eq(buf_cstr(&msg),
                     "Return-Path: <alice@alice.example>\r\n"
                     "Received: from alice-pc ([192.0.2.10])\r\n"
                     " by mx.roberto.example with ESMTP id A1;\r\n"
                     " Mon, 07 Sep 2026 09:05:00 +0000\r\n"
                     "Received: from alice-pc (alice-pc.alice.example [192.0.2.10])\r\n"
                     " by mail.alice.example with ESMTPSA id A1\r\n"
                     " for <roberto@roberto.example>; Mon, 07 Sep 2026 09:05:00 +0000\r\n"
                     "Subject: x\r\n\r\nbody\r\n");
    mime_part_t *root = mime_parse(msg.data, msg.len);
    size_t last =
        header_index(&root->header, "Received", header_index(&root->header, "Received", 0) + 1);
    ck_assert_str_eq(root->header.fields[last].value, want);
    mime_free(root);
    buf_reset(&msg);
    message_prepend_return_path(&msg, "");
    ck_assert_str_eq(buf_cstr(&msg), "Return-Path: <>\r\n");
    buf_free(&msg);
    buf_free(&value);
}
END_TEST

typedef struct received_case {
    message_received_t r;
    const char *want;
} received_case_t;

/* Odd names included: the clauses are found in the written value, the first match winning. */
static const received_case_t received_cases[] = {
    {{"alice-pc", "alice-pc.alice.example", "192.0.2.10", "mail.alice.example", "ESMTPSA", "A1",
      "roberto@roberto.example", 0, 0, NULL},
     "Received: from alice-pc (alice-pc.alice.example [192.0.2.10])\r\n"
     " by mail.alice.example with ESMTPSA id A1\r\n"
     " for <roberto@roberto.example>; Mon, 07 Sep 2026 09:00:00 +0000\r\n"},
    {{"alice-pc", NULL, "192.0.2.10", "mx.roberto.example", "ESMTP", "0000002A", NULL, SIM_HOUR, 30, NULL},
     "Received: from alice-pc ([192.0.2.10])\r\n"
     " by mx.roberto.example with ESMTP id 0000002A;\r\n"
     " Mon, 07 Sep 2026 10:30:00 +0030\r\n"},
    {{"", "", NULL, NULL, NULL, NULL, "", 2 * SIM_HOUR, 60, NULL},
     "Received: from unknown ([unknown])\r\n"
     " by localhost with ESMTP;\r\n"
     " Mon, 07 Sep 2026 12:00:00 +0100\r\n"},
    {{"x) by y", "h", "1.2.3.4", "mx", "ESMTP", "1", NULL, 3 * SIM_HOUR, 90, NULL},
     "Received: from x)\r\n"
     " by y (h [1.2.3.4]) by mx with ESMTP id 1;\r\n"
     " Mon, 07 Sep 2026 13:30:00 +0130\r\n"},
    {{"h", "c", "1.2.3.4", "mx; odd", "ESMTP", NULL, NULL, 4 * SIM_HOUR, 120, NULL},
     "Received: from h (c [1.2.3.4])\r\n"
     " by mx;\r\n"
     " odd with ESMTP; Mon, 07 Sep 2026 15:00:00 +0200\r\n"},
    {{"h", "c", "1.2.3.4", "mx", "ESMTP", "i", "\"a for <b\"@c", 5 * SIM_HOUR, 150, NULL},
     "Received: from h (c [1.2.3.4])\r\n"
     " by mx with ESMTP id i\r\n"
     " for <\"a for <b\"@c>; Mon, 07 Sep 2026 16:30:00 +0230\r\n"},
    {{"h", "c", "1.2.3.4", "mx", "ESMTP", "i for <j", "r@x", 6 * SIM_HOUR, 180, NULL},
     "Received: from h (c [1.2.3.4])\r\n"
     " by mx with ESMTP id i\r\n"
     " for <j for <r@x>; Mon, 07 Sep 2026 18:00:00 +0300\r\n"},
    /* A ')' before the break that is no ") by ", a '<' and a ';' between the breaks. */
    {{"h(1)", "c)", "1.2.3.4", "mx <x>", "ESMTP", "i;j", "r@x", 7 * SIM_HOUR, 0, NULL},
     "Received: from h(1) (c) [1.2.3.4])\r\n"
     " by mx <x> with ESMTP id i;j\r\n"
     " for <r@x>; Mon, 07 Sep 2026 16:00:00 +0000\r\n"},
    {{"h", "c", "1.2.3.4", "mx", "ES; MTP", "i", NULL, 8 * SIM_HOUR, 0, NULL},
     "Received: from h (c [1.2.3.4])\r\n"
     " by mx with ES;\r\n"
     " MTP id i; Mon, 07 Sep 2026 17:00:00 +0000\r\n"},
    /* A date given by the caller is used as it stands. */
    {{"h", "c", "1.2.3.4", "mx", "ESMTP", "i", NULL, 0, 0, "Thu, 01 Jan 2099 00:00:00 +0000"},
     "Received: from h (c [1.2.3.4])\r\n"
     " by mx with ESMTP id i;\r\n"
     " Thu, 01 Jan 2099 00:00:00 +0000\r\n"},
};

/* The field written on its own (after what out held) and in front of a message. */
START_TEST(test_received_field)
{
    const received_case_t *c = &received_cases[_i];
    buf_t out = BUF_INIT, msg = BUF_INIT, want = BUF_INIT;
    buf_puts(&out, "pre:");
    message_write_received(&c->r, &out);
    buf_puts(&want, "pre:");
    buf_puts(&want, c->want);
    ck_assert_str_eq(buf_cstr(&out), buf_cstr(&want));
    buf_puts(&msg, "Subject: x\r\n\r\nbody\r\n");
    message_prepend_received(&msg, &c->r);
    buf_reset(&want);
    buf_puts(&want, c->want);
    buf_puts(&want, "Subject: x\r\n\r\nbody\r\n");
    ck_assert_str_eq(buf_cstr(&msg), buf_cstr(&want));
    buf_free(&out);
    buf_free(&msg);
    buf_free(&want);
}
END_TEST

/* A date the caller formatted gives the same field as one formatted here. */
START_TEST(test_received_date_given)
{
    message_received_t r = received_cases[_i].r;
    if (r.date)
        return;
    char date[MESSAGE_DATE_MAX];
    buf_t formatted = BUF_INIT, given = BUF_INIT;
    message_write_received(&r, &formatted);
    r.date = message_date_format(r.time, r.tz_minutes, date, sizeof date);
    message_write_received(&r, &given);
    ck_assert_str_eq(buf_cstr(&given), buf_cstr(&formatted));
    buf_free(&formatted);
    buf_free(&given);
}
END_TEST

Suite *mail_message_suite(void)
{
    Suite *s = suite_create("mail_message");
    TCase *tc = tcase_create("time");
    tcase_add_loop_test(tc, test_date_format_and_parse, 0, (int)(sizeof dates / sizeof dates[0]));
    tcase_add_test(tc, test_date_memo);
    tcase_add_test(tc, test_date_parse_variants);
    tcase_add_test(tc, test_message_id);
    suite_add_tcase(s, tc);
    tc = tcase_create("build");
    tcase_add_test(tc, test_build_plain);
    tcase_add_test(tc, test_build_greek_8bit_and_qp);
    tcase_add_test(tc, test_build_parse_round_trip);
    tcase_add_test(tc, test_received_and_return_path);
    tcase_add_loop_test(tc, test_received_field, 0, (int)ARRAY_LEN(received_cases));
    tcase_add_loop_test(tc, test_received_date_given, 0, (int)ARRAY_LEN(received_cases));
    suite_add_tcase(s, tc);
    return s;
}
