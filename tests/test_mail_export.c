/* Export: .eml bytes and mboxrd folders, with ">From " quoting and its round trip. */
#include <check.h>
#include <string.h>

#include "mail/export.h"

START_TEST(test_eml)
{
    const char *msg = "Subject: x\r\nTo: a@b\n\r\nbody\nlast";
    buf_t out = BUF_INIT;
    export_eml((const uint8_t *)msg, strlen(msg), &out);
    ck_assert_str_eq(buf_cstr(&out), "Subject: x\r\nTo: a@b\r\n\r\nbody\r\nlast");
    buf_free(&out);
}
END_TEST

static const char first[] = "From: alice@alice.example\r\n"
                            "Subject: quoting\r\n"
                            "\r\n"
                            "From the start of a line\r\n"
                            ">From an earlier quote\r\n"
                            ">>From deeper\r\n"
                            " From not at the start\r\n"
                            "Fromage\r\n"
                            "\r\n";
static const char second[] = "Subject: bounce\r\n\r\nno final line end";

START_TEST(test_mbox_quoting)
{
    export_message_t msgs[] = {
        {(const uint8_t *)first, sizeof first - 1, "alice@alice.example", 0},
        {(const uint8_t *)second, sizeof second - 1, "", 26 * SIM_HOUR + 5 * SIM_SEC},
    };
    buf_t out = BUF_INIT;
    export_mbox(msgs, 2, &out);
    ck_assert_str_eq(buf_cstr(&out), "From alice@alice.example Mon Sep  7 09:00:00 2026\n"
                                     "From: alice@alice.example\n"
                                     "Subject: quoting\n"
                                     "\n"
                                     ">From the start of a line\n"
                                     ">>From an earlier quote\n"
                                     ">>>From deeper\n"
                                     " From not at the start\n"
                                     "Fromage\n"
                                     "\n"
                                     "\n"
                                     "From MAILER-DAEMON Tue Sep  8 11:00:05 2026\n"
                                     "Subject: bounce\n"
                                     "\n"
                                     "no final line end\n"
                                     "\n");
    for (size_t i = 0; i < out.len; i++)
        ck_assert_msg(out.data[i] != '\r', "CR at %zu in an mbox file", i);
    buf_free(&out);
}
END_TEST

START_TEST(test_mbox_round_trip)
{
    export_message_t msgs[] = {
        {(const uint8_t *)first, sizeof first - 1, "alice@alice.example", 0},
        {(const uint8_t *)"", 0, "odd sender", 0},
        {(const uint8_t *)second, sizeof second - 1, NULL, 0},
    };
    buf_t out = BUF_INIT;
    export_mbox(msgs, 3, &out);
    export_mbox_list_t list = {NULL, 0, 0};
    ck_assert_int_eq(export_mbox_read(out.data, out.len, &list), 0);
    ck_assert_uint_eq(list.count, 3);
    ck_assert_str_eq(list.items[0].sender, "alice@alice.example");
    ck_assert_str_eq(buf_cstr(&list.items[0].message), first);
    ck_assert_str_eq(list.items[1].sender, "odd_sender");
    ck_assert_uint_eq(list.items[1].message.len, 0);
    ck_assert_str_eq(list.items[2].sender, "MAILER-DAEMON");
    /* a message without a final line end gets one */
    ck_assert_str_eq(buf_cstr(&list.items[2].message),
                     "Subject: bounce\r\n\r\nno final line end\r\n");
    export_mbox_list_free(&list);
    const char *junk = "not an mbox\nFrom a@b Mon Sep  7 09:00:00 2026\nx\n";
    ck_assert_int_eq(export_mbox_read((const uint8_t *)junk, strlen(junk), &list), -1);
    ck_assert_uint_eq(list.count, 1);
    ck_assert_str_eq(buf_cstr(&list.items[0].message), "x\r\n");
    export_mbox_list_free(&list);
    buf_free(&out);
}
END_TEST

Suite *mail_export_suite(void)
{
    Suite *s = suite_create("mail_export");
    TCase *tc = tcase_create("export");
    tcase_add_test(tc, test_eml);
    tcase_add_test(tc, test_mbox_quoting);
    tcase_add_test(tc, test_mbox_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
