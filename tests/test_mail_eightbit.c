/* 7-bit detection and the 8BITMIME downgrade: Greek text survives byte for byte. */
#include <check.h>
#include <string.h>

#include "mail/eightbit.h"
#include "mail/message.h"
#include "mail/mime.h"

START_TEST(test_detect)
{
    static const struct {
        const char *text;
        size_t first;
    } cases[] = {
        {"plain ASCII text\r\n", 18}, {"", 0},       {"Γεια", 0},
        {"0123456789abcdef\xce", 16}, {"ab\x80", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *s = (const uint8_t *)cases[i].text;
        size_t len = strlen(cases[i].text);
        ck_assert_uint_eq(eightbit_first_8bit(s, len), cases[i].first);
        ck_assert(eightbit_is_7bit(s, len) == (cases[i].first == len));
    }
}
END_TEST

static void assert_clean(const buf_t *b)
{
    size_t at = eightbit_first_8bit(b->data, b->len);
    ck_assert_msg(at == b->len, "8-bit octet left at %zu: ...%.20s", at,
                  (const char *)b->data + at);
}

START_TEST(test_single_part_greek)
{
    const char *text = "Γεια σου Ρομπέρτο!\r\nΤι κάνεις;  \r\n";
    const char *to[] = {"roberto@roberto.example"};
    message_spec_t spec = {.from = "alice@alice.example",
                           .to = to,
                           .to_count = 1,
                           .subject = "Γεια σου",
                           .text = text,
                           .allow_8bit = true};
    buf_t msg = BUF_INIT, out = BUF_INIT, got = BUF_INIT;
    message_build(&spec, &msg);
    ck_assert(!eightbit_is_7bit(msg.data, msg.len));
    eightbit_result_t r = eightbit_downgrade(msg.data, msg.len, &out);
    ck_assert_uint_eq(r.parts_converted, 1);
    ck_assert_uint_eq(r.fields_encoded, 0);
    ck_assert(r.clean);
    assert_clean(&out);
    mime_part_t *root = mime_parse(out.data, out.len);
    ck_assert_int_eq(root->encoding, MIME_ENC_QP);
    ck_assert_uint_eq(header_index(&root->header, "Content-Transfer-Encoding",
                                   header_index(&root->header, "Content-Transfer-Encoding", 0) + 1),
                      HEADER_NONE); /* replaced, not added */
    ck_assert_int_eq(mime_part_decode(root, &got), 0);
    ck_assert_uint_eq(got.len, strlen(text));
    ck_assert(memcmp(got.data, text, got.len) == 0);
    ck_assert_str_eq(header_get(&root->header, "Subject"), "=?UTF-8?B?zpPOtc65zrEgz4POv8+F?=");
    mime_free(root);
    buf_free(&msg);
    buf_free(&out);
    buf_free(&got);
}
END_TEST

static const char multipart_8bit[] = "From: =?UTF-8?B?zpHOu86vzrrOtw==?= <alice@alice.example>\r\n"
                                     "Subject: mixed\r\n"
                                     "MIME-Version: 1.0\r\n"
                                     "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
                                     "Content-Transfer-Encoding: 8bit\r\n"
                                     "\r\n"
                                     "--b\r\n"
                                     "Content-Type: text/plain; charset=utf-8\r\n"
                                     "Content-Transfer-Encoding: 8bit\r\n"
                                     "\r\n"
                                     "Καλημέρα\r\n"
                                     "--b\r\n"
                                     "Content-Type: text/plain; charset=us-ascii\r\n"
                                     "\r\n"
                                     "already 7-bit\r\n"
                                     "--b\r\n"
                                     "Content-Type: application/octet-stream\r\n"
                                     "Content-Transfer-Encoding: binary\r\n"
                                     "\r\n"
                                     "\x01\xff\xfe\r\n\x80"
                                     "\r\n--b\r\n"
                                     "Content-Type: message/rfc822\r\n"
                                     "Content-Transfer-Encoding: 8bit\r\n"
                                     "\r\n"
                                     "Subject: inner\r\n"
                                     "Content-Type: text/plain; charset=iso-8859-7\r\n"
                                     "\r\n"
                                     "\xc3\xe5\xe9\xdc"
                                     "\r\n--b--\r\n";

START_TEST(test_multipart)
{
    const uint8_t *in = (const uint8_t *)multipart_8bit;
    size_t len = sizeof multipart_8bit - 1;
    mime_part_t *before = mime_parse(in, len);
    buf_t out = BUF_INIT;
    eightbit_result_t r = eightbit_downgrade(in, len, &out);
    ck_assert_uint_eq(r.parts_converted, 3);
    ck_assert(r.clean);
    assert_clean(&out);
    mime_part_t *after = mime_parse(out.data, out.len);
    ck_assert_uint_eq(mime_tree_defects(after), 0);
    ck_assert_uint_eq(mime_tree_count(after), mime_tree_count(before));
    ck_assert_int_eq(after->encoding, MIME_ENC_7BIT);
    ck_assert_int_eq(after->children[0]->encoding, MIME_ENC_QP);
    ck_assert_int_eq(after->children[1]->encoding, MIME_ENC_7BIT);
    ck_assert_int_eq(after->children[2]->encoding, MIME_ENC_BASE64);
    ck_assert_int_eq(after->children[3]->encoding, MIME_ENC_7BIT);
    ck_assert_int_eq(after->children[3]->message->encoding, MIME_ENC_QP);
    /* every converted part decodes to its original octets */
    const mime_part_t *pairs[][2] = {
        {before->children[0], after->children[0]},
        {before->children[1], after->children[1]},
        {before->children[2], after->children[2]},
        {before->children[3]->message, after->children[3]->message},
    };
    for (size_t i = 0; i < 4; i++) {
        buf_t a = BUF_INIT, b = BUF_INIT;
        mime_part_decode(pairs[i][0], &a);
        mime_part_decode(pairs[i][1], &b);
        ck_assert_msg(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
                      "part %zu changed: %zu vs %zu octets", i, a.len, b.len);
        buf_free(&a);
        buf_free(&b);
    }
    buf_t text = BUF_INIT;
    mime_part_text(after->children[3]->message, &text);
    ck_assert_str_eq(buf_cstr(&text), "Γειά");
    /* the untouched part is copied byte for byte */
    ck_assert(strstr((const char *)out.data, "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n"
                                             "\r\nalready 7-bit\r\n--b") != NULL);
    buf_free(&text);
    mime_free(before);
    mime_free(after);
    buf_free(&out);
}
END_TEST

START_TEST(test_clean_message_unchanged)
{
    const char *msg = "Subject: hi\r\n\r\nAll ASCII.\r\n";
    buf_t out = BUF_INIT;
    eightbit_result_t r = eightbit_downgrade((const uint8_t *)msg, strlen(msg), &out);
    ck_assert_uint_eq(r.parts_converted, 0);
    ck_assert(r.clean);
    ck_assert_str_eq(buf_cstr(&out), msg);
    buf_free(&out);
}
END_TEST

/* Raw UTF-8 in header fields (RFC 6532) becomes RFC 2047 words where that is defined. */
START_TEST(test_header_fields)
{
    const char *msg = "From: Αλίκη <alice@alice.example>\r\n"
                      "Subject: Γεια σου\r\n"
                      "X-Note: σημείωση\r\n"
                      "\r\n"
                      "ascii body\r\n";
    buf_t out = BUF_INIT, subject = BUF_INIT;
    eightbit_result_t r = eightbit_downgrade((const uint8_t *)msg, strlen(msg), &out);
    ck_assert_uint_eq(r.fields_encoded, 3);
    ck_assert_uint_eq(r.parts_converted, 0);
    ck_assert(r.clean);
    ck_assert_str_eq(buf_cstr(&out), "From: =?UTF-8?B?zpHOu86vzrrOtw==?= <alice@alice.example>\r\n"
                                     "Subject: =?UTF-8?B?zpPOtc65zrEgz4POv8+F?=\r\n"
                                     "X-Note: =?UTF-8?B?z4POt868zrXOr8+Jz4POtw==?=\r\n"
                                     "\r\n"
                                     "ascii body\r\n");
    mime_part_t *root = mime_parse(out.data, out.len);
    header_get_decoded(&root->header, "Subject", &subject);
    ck_assert_str_eq(buf_cstr(&subject), "Γεια σου");
    mime_free(root);
    buf_free(&subject);
    buf_free(&out);
}
END_TEST

/* Text with bare LF line ends is encoded so that decoding gives the same octets back. */
START_TEST(test_bare_lf_exact)
{
    const char *msg = "Content-Type: text/plain; charset=utf-8\n\nα\nβ\r\nγ \n";
    buf_t out = BUF_INIT, got = BUF_INIT;
    eightbit_downgrade((const uint8_t *)msg, strlen(msg), &out);
    assert_clean(&out);
    mime_part_t *root = mime_parse(out.data, out.len);
    /* no MIME-Version before: one is added, or the new encoding would mean nothing */
    ck_assert_str_eq(header_get(&root->header, "MIME-Version"), "1.0");
    ck_assert_str_eq(header_get(&root->header, "Content-Transfer-Encoding"), "quoted-printable");
    mime_part_decode(root, &got);
    ck_assert_str_eq(buf_cstr(&got), "α\nβ\r\nγ \n");
    mime_free(root);
    buf_free(&out);
    buf_free(&got);
}
END_TEST

Suite *mail_eightbit_suite(void)
{
    Suite *s = suite_create("mail_eightbit");
    TCase *tc = tcase_create("downgrade");
    tcase_add_test(tc, test_detect);
    tcase_add_test(tc, test_single_part_greek);
    tcase_add_test(tc, test_multipart);
    tcase_add_test(tc, test_clean_message_unchanged);
    tcase_add_test(tc, test_header_fields);
    tcase_add_test(tc, test_bare_lf_exact);
    suite_add_tcase(s, tc);
    return s;
}
