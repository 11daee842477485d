/*
 * Bad input for every parser in sim/mail: broken boundaries, bad base64, a
 * huge message, a 100,000-character line, deep nesting, too many parts, every
 * truncation of a message, and seeded garbage. Each case asserts what was
 * parsed; ASan runs the same cases for overruns.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "mail/address.h"
#include "mail/codec.h"
#include "mail/eightbit.h"
#include "mail/export.h"
#include "mail/message.h"
#include "mail/mime.h"

static mime_part_t *parse_str(const char *s)
{
    return mime_parse((const uint8_t *)s, strlen(s));
}

START_TEST(test_missing_close_delimiter)
{
    const char *msg =
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\n\r\none\r\n--b\r\nContent-Type: text/html\r\n\r\ntwo, never closed\r\n";
    mime_part_t *root = parse_str(msg);
    ck_assert(mime_part_is(root, "multipart", "mixed"));
    ck_assert_uint_eq(root->child_count, 2);
    ck_assert_uint_eq(root->defects, MIME_DEFECT_NO_CLOSE_DELIMITER);
    const mime_part_t *two = root->children[1];
    ck_assert(mime_part_is(two, "text", "html"));
    ck_assert_uint_eq(two->body_offset + two->body_len, strlen(msg));
    buf_t text = BUF_INIT;
    mime_part_text(two, &text);
    ck_assert_str_eq(buf_cstr(&text), "two, never closed\r\n");
    buf_free(&text);
    mime_free(root);
}
END_TEST

START_TEST(test_boundary_never_found)
{
    const char *msg = "Content-Type: multipart/mixed; boundary=nowhere\r\n\r\n"
                      "--elsewhere\r\n\r\nsome text\r\n";
    mime_part_t *root = parse_str(msg);
    /* RFC 2046 5.1.1 leaves it to the reader: we show the body as plain text */
    ck_assert(mime_part_is(root, "text", "plain"));
    ck_assert_uint_eq(root->child_count, 0);
    ck_assert_uint_eq(root->defects, MIME_DEFECT_BOUNDARY_NOT_FOUND);
    ck_assert_uint_eq(root->body_len, strlen("--elsewhere\r\n\r\nsome text\r\n"));
    ck_assert_uint_eq(root->body_lines, 3);
    mime_free(root);
    root = parse_str("Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n");
    ck_assert(mime_part_is(root, "text", "plain"));
    ck_assert_uint_eq(root->defects, MIME_DEFECT_NO_BOUNDARY);
    buf_t names = BUF_INIT;
    mime_defects_describe(root->defects | MIME_DEFECT_TOO_DEEP, &names);
    ck_assert_str_eq(buf_cstr(&names), "multipart without boundary, nested too deep");
    buf_free(&names);
    mime_free(root);
}
END_TEST

START_TEST(test_bad_base64_part)
{
    const char *msg = "Content-Type: application/octet-stream\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n"
                      "Zm9v\r\n%%%%\r\nYmFy\r\nY";
    mime_part_t *root = parse_str(msg);
    buf_t out = BUF_INIT;
    ck_assert_int_eq(mime_part_decode(root, &out), -1);
    ck_assert_str_eq(buf_cstr(&out), "foobar");
    buf_free(&out);
    mime_free(root);
}
END_TEST

START_TEST(test_bad_content_fields)
{
    const char *msg = "Content-Type: ;;;\r\n"
                      "Content-Transfer-Encoding: x-uuencode\r\n"
                      "Content-Disposition: ; filename\r\n\r\nbody";
    mime_part_t *root = parse_str(msg);
    ck_assert(mime_part_is(root, "text", "plain"));
    ck_assert_int_eq(root->encoding, MIME_ENC_UNKNOWN);
    ck_assert_str_eq(root->encoding_name, "x-uuencode");
    ck_assert_ptr_null(root->disposition);
    ck_assert_uint_eq(root->defects, MIME_DEFECT_BAD_CONTENT_TYPE | MIME_DEFECT_UNKNOWN_ENCODING |
                                         MIME_DEFECT_BAD_PARAMETER);
    buf_t out = BUF_INIT;
    mime_part_decode(root, &out);
    ck_assert_str_eq(buf_cstr(&out), "body");
    buf_free(&out);
    mime_free(root);
}
END_TEST

START_TEST(test_malformed_header_message)
{
    const char *msg = "Subject: caf\xc3\xa9\r\nthis line has no colon\r\nTo: lost@x\r\n\r\nbody";
    mime_part_t *root = parse_str(msg);
    ck_assert_uint_eq(root->header.count, 1);
    ck_assert(root->header.defects & HEADER_DEFECT_NO_COLON);
    ck_assert(root->header.defects & HEADER_DEFECT_8BIT);
    ck_assert(strncmp((const char *)mime_part_body(root), "this line has no colon", 22) == 0);
    mime_free(root);
    root = mime_parse(NULL, 0);
    ck_assert(mime_part_is(root, "text", "plain"));
    ck_assert_uint_eq(root->body_len, 0);
    mime_free(root);
}
END_TEST

/* A message of several megabytes (the 50 MB case, scaled to run in seconds under ASan). */
START_TEST(test_big_message)
{
    size_t size = 8u << 20;
    uint8_t *blob = xmalloc(size);
    rng_t rng;
    rng_seed(&rng, 50);
    for (size_t i = 0; i < size; i += 8) {
        uint64_t v = rng_next(&rng);
        memcpy(blob + i, &v, size - i < 8 ? size - i : 8);
    }
    const char *to[] = {"roberto@roberto.example"};
    mime_attachment_t att = {"big.bin", NULL, blob, size};
    message_spec_t spec = {.from = "alice@alice.example",
                           .to = to,
                           .to_count = 1,
                           .text = "big",
                           .attachments = &att,
                           .attachment_count = 1};
    buf_t msg = BUF_INIT, got = BUF_INIT;
    message_build(&spec, &msg);
    ck_assert_uint_gt(msg.len, size * 4 / 3);
    mime_part_t *root = mime_parse(msg.data, msg.len);
    ck_assert_uint_eq(mime_tree_defects(root), 0);
    ck_assert_uint_eq(root->child_count, 2);
    ck_assert_uint_eq(root->children[1]->body_lines, (size + 56) / 57);
    ck_assert_int_eq(mime_part_decode(root->children[1], &got), 0);
    ck_assert_uint_eq(got.len, size);
    ck_assert(memcmp(got.data, blob, size) == 0);
    mime_free(root);
    free(blob);
    buf_free(&msg);
    buf_free(&got);
}
END_TEST

/* One line of 100,000 characters, in a header field, a text body, and through the codecs. */
START_TEST(test_long_line)
{
    size_t n = 100000;
    char *line = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        line[i] = "abcdefgh \xce\x93"[i % 11];
    line[n] = '\0';
    buf_t msg = BUF_INIT, out = BUF_INIT, got = BUF_INIT;
    buf_printf(&msg,
               "Subject: %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n\r\n%s",
               line, line);
    mime_part_t *root = mime_parse(msg.data, msg.len);
    ck_assert_uint_eq(header_find(&root->header, "Subject")->value_len, n);
    ck_assert_uint_eq(root->body_len, n);
    ck_assert_uint_eq(root->body_lines, 1);
    mime_free(root);
    /* downgrade: the body becomes quoted-printable in lines of at most 76, exactly reversible */
    eightbit_result_t r = eightbit_downgrade(msg.data, msg.len, &out);
    ck_assert(r.clean);
    ck_assert_uint_eq(r.parts_converted, 1);
    root = mime_parse(out.data, out.len);
    ck_assert_int_eq(root->encoding, MIME_ENC_QP);
    mime_part_decode(root, &got);
    ck_assert_uint_eq(got.len, n);
    ck_assert(memcmp(got.data, line, n) == 0);
    buf_reset(&got);
    ck_assert(header_get_decoded(&root->header, "Subject", &got));
    ck_assert_uint_eq(got.len, n);
    ck_assert(memcmp(got.data, line, n) == 0);
    mime_free(root);
    /* folding such a value keeps lines near 78 */
    buf_reset(&out);
    header_fold("Subject", line, n, &out);
    const char *p = (const char *)out.data;
    for (const char *crlf; (crlf = strstr(p, "\r\n")) != NULL; p = crlf + 2)
        ck_assert_uint_le((size_t)(crlf - p), HEADER_FOLD_AT);
    free(line);
    buf_free(&msg);
    buf_free(&out);
    buf_free(&got);
}
END_TEST

/* 200 nested multiparts: parsed down to MIME_DEPTH_MAX, the rest left as a leaf. */
START_TEST(test_deep_nesting)
{
    buf_t msg = BUF_INIT;
    int levels = 200;
    for (int i = 0; i < levels; i++)
        buf_printf(&msg, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
    buf_puts(&msg, "\r\ninnermost\r\n");
    for (int i = levels - 1; i >= 0; i--)
        buf_printf(&msg, "--b%d--\r\n", i);
    mime_part_t *root = mime_parse(msg.data, msg.len);
    const mime_part_t *p = root;
    unsigned depth = 0;
    while (p->child_count > 0) {
        ck_assert_uint_eq(p->child_count, 1);
        p = p->children[0];
        depth++;
    }
    ck_assert_uint_eq(depth, MIME_DEPTH_MAX);
    ck_assert_uint_eq(p->depth, MIME_DEPTH_MAX);
    ck_assert(p->defects & MIME_DEFECT_TOO_DEEP);
    ck_assert(mime_part_is(p, "multipart", "mixed"));
    buf_t out = BUF_INIT;
    eightbit_downgrade(msg.data, msg.len, &out);
    ck_assert_uint_eq(out.len, msg.len);
    mime_free(root);
    /* the same with message/rfc822 inside message/rfc822 */
    buf_reset(&msg);
    for (int i = 0; i < levels; i++)
        buf_puts(&msg, "Content-Type: message/rfc822\r\n\r\n");
    buf_puts(&msg, "Subject: bottom\r\n\r\nx");
    root = mime_parse(msg.data, msg.len);
    depth = 0;
    for (p = root; p->message; p = p->message)
        depth++;
    ck_assert_uint_eq(depth, MIME_DEPTH_MAX);
    ck_assert(mime_tree_defects(root) & MIME_DEFECT_TOO_DEEP);
    mime_free(root);
    buf_free(&msg);
    buf_free(&out);
}
END_TEST

START_TEST(test_too_many_parts)
{
    buf_t msg = BUF_INIT;
    buf_puts(&msg, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
    for (int i = 0; i < MIME_PARTS_MAX + 500; i++)
        buf_puts(&msg, "--b\r\n\r\nx\r\n");
    buf_puts(&msg, "--b--\r\n");
    mime_part_t *root = mime_parse(msg.data, msg.len);
    ck_assert_uint_eq(mime_tree_count(root), MIME_PARTS_MAX);
    ck_assert(root->defects & MIME_DEFECT_TOO_MANY_PARTS);
    mime_free(root);
    buf_free(&msg);
}
END_TEST

/* Every part of a tree can be decoded, its offsets lie inside the bytes, and so on down. */
static void check_tree(const mime_part_t *p, size_t len)
{
    ck_assert_uint_le(p->offset + p->header_len, len);
    ck_assert_uint_eq(p->body_offset, p->offset + p->header_len);
    ck_assert_uint_le(p->body_offset + p->body_len, len);
    buf_t out = BUF_INIT;
    mime_part_text(p, &out);
    buf_free(&out);
    for (size_t i = 0; i < p->child_count; i++) {
        ck_assert_uint_ge(p->children[i]->offset, p->body_offset);
        check_tree(p->children[i], len);
    }
    if (p->message)
        check_tree(p->message, len);
}

static const char sample[] =
    "From: \"Alice\" <alice@alice.example>, (c) team:;\r\n"
    "Subject: =?UTF-8?B?zpPOtc65zrEgz4POv8+F?=\r\n"
    "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
    "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
    "--i\r\nContent-Type: text/plain; charset=iso-8859-7\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=E5=E9=DC=\r\n\r\n"
    "--i\r\nContent-Transfer-Encoding: base64\r\n\r\nzpPOtc65zrE=\r\n--i--\r\n"
    "--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\xce\x93\r\n"
    "--o\r\nContent-Type: application/x; name*0*=utf-8''%CE; name*1*=%93\r\n\r\nz\r\n--o--\r\n";

START_TEST(test_every_truncation)
{
    size_t len = sizeof sample - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        uint8_t *copy = xmalloc(cut ? cut : 1); /* exact size, so ASan sees any overrun */
        memcpy(copy, sample, cut);
        mime_part_t *root = mime_parse(copy, cut);
        check_tree(root, cut);
        mime_free(root);
        buf_t out = BUF_INIT;
        eightbit_downgrade(copy, cut, &out);
        export_eml(copy, cut, &out);
        buf_free(&out);
        free(copy);
    }
}
END_TEST

static const char *const fragments[] = {
    "--b",
    "--b--",
    "\r\n",
    "\n",
    "\r",
    " ",
    ":",
    ";",
    "=?",
    "?=",
    "=?UTF-8?B?",
    "=?x?Q?=",
    "Content-Type: multipart/mixed; boundary=b\r\n",
    "Content-Type: message/rfc822\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "name*0*=",
    "%",
    "\"",
    "(",
    ")",
    "<",
    ">",
    "@",
    ",",
    "\\",
    "=",
    "\xce\x93",
    "\xff",
    "From ",
};

/* Seeded garbage from fragments that matter to the parsers: nothing may crash or overrun. */
START_TEST(test_seeded_garbage)
{
    rng_t rng;
    rng_seed(&rng, 2026);
    for (int round = 0; round < 300; round++) {
        buf_t in = BUF_INIT;
        size_t pieces = 1 + rng_below(&rng, 80);
        for (size_t i = 0; i < pieces; i++)
            buf_puts(&in, fragments[rng_below(&rng, sizeof fragments / sizeof fragments[0])]);
        uint8_t *copy = xmalloc(in.len);
        memcpy(copy, in.data, in.len);
        mime_part_t *root = mime_parse(copy, in.len);
        check_tree(root, in.len);
        mime_free(root);
        buf_t out = BUF_INIT;
        eightbit_downgrade(copy, in.len, &out);
        buf_reset(&out);
        codec_words_decode((const char *)copy, in.len, &out);
        codec_base64_decode(copy, in.len, &out);
        codec_qp_decode(copy, in.len, &out);
        addr_list_t list;
        addr_list_init(&list);
        addr_list_parse((const char *)copy, in.len, &list);
        addr_list_format(&list, &out);
        addr_list_free(&list);
        export_mbox_list_t mbox = {NULL, 0, 0};
        export_mbox_read(copy, in.len, &mbox);
        export_mbox_list_free(&mbox);
        sim_time_t t;
        message_date_parse(buf_cstr(&in), &t);
        buf_free(&out);
        buf_free(&in);
        free(copy);
    }
}
END_TEST

/* A megabyte of unclosed encoded words: copied as it is, in linear time. */
START_TEST(test_unclosed_words)
{
    buf_t in = BUF_INIT, out = BUF_INIT;
    while (in.len < (1u << 20))
        buf_puts(&in, "=?x?B?a");
    ck_assert_int_eq(codec_words_decode((const char *)in.data, in.len, &out), -1);
    ck_assert_uint_eq(out.len, in.len);
    ck_assert(memcmp(out.data, in.data, in.len) == 0);
    buf_free(&in);
    buf_free(&out);
}
END_TEST

/* Content that already holds the natural boundary gets another one. */
START_TEST(test_boundary_avoids_content)
{
    buf_t parts[2] = {BUF_INIT, BUF_INIT};
    buf_puts(&parts[0], "Content-Type: text/plain\r\n\r\n--=_mailsim_1_1\r\n");
    buf_puts(&parts[1], "Content-Type: text/plain\r\n\r\n=_mailsim_1_1.1\r\n");
    char boundary[MIME_BOUNDARY_MAX + 1];
    mime_boundary_make(1, 1, parts, 2, boundary, sizeof boundary);
    ck_assert_str_eq(boundary, "=_mailsim_1_1.2");
    buf_t msg = BUF_INIT;
    mime_write_multipart(&msg, "mixed", parts, 2, 1, 1);
    mime_part_t *root = mime_parse(msg.data, msg.len);
    ck_assert_uint_eq(root->child_count, 2);
    ck_assert_uint_eq(mime_tree_defects(root), 0);
    ck_assert_uint_eq(root->children[0]->body_len, strlen("--=_mailsim_1_1\r\n"));
    mime_free(root);
    buf_free(&msg);
    buf_free(&parts[0]);
    buf_free(&parts[1]);
}
END_TEST

Suite *mail_bad_suite(void)
{
    Suite *s = suite_create("mail_bad");
    TCase *tc = tcase_create("bad_input");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_missing_close_delimiter);
    tcase_add_test(tc, test_boundary_never_found);
    tcase_add_test(tc, test_bad_base64_part);
    tcase_add_test(tc, test_bad_content_fields);
    tcase_add_test(tc, test_malformed_header_message);
    tcase_add_test(tc, test_big_message);
    tcase_add_test(tc, test_long_line);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_too_many_parts);
    tcase_add_test(tc, test_every_truncation);
    tcase_add_test(tc, test_seeded_garbage);
    tcase_add_test(tc, test_unclosed_words);
    tcase_add_test(tc, test_boundary_avoids_content);
    suite_add_tcase(s, tc);
    return s;
}
