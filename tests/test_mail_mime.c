/* MIME: parsing a hand-written message into its part tree, offsets, parameters, decoding. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"

static const char nested[] = "From: Alice <alice@alice.example>\r\n"
                             "Subject: nested\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: Multipart/Mixed; (a comment) boundary=\"outer\"\r\n"
                             "\r\n"
                             "preamble\r\n"
                             "--outer\r\n"
                             "Content-Type: multipart/alternative; boundary=inner\r\n"
                             "\r\n"
                             "--inner\r\n"
                             "Content-Type: text/plain; charset=ISO-8859-7\r\n"
                             "Content-Transfer-Encoding: quoted-printable\r\n"
                             "Content-Language: el\r\n"
                             "\r\n"
                             "=C3=E5=E9=DC =F3=EF=F5\r\n"
                             "--inner\r\n"
                             "Content-Type: text/html; charset=utf-8\r\n"
                             "\r\n"
                             "<p>hi</p>\r\n"
                             "--inner--\r\n"
                             "--outer  \r\n"
                             "Content-Type: application/pdf;\r\n"
                             " name*0*=UTF-8''%CE%B1%CF%81%CF%87;\r\n"
                             " name*1=\"eio.pdf\"\r\n"
                             "Content-Disposition: attachment; filename=\"report.pdf\"; size=3\r\n"
                             "Content-Transfer-Encoding: BASE64\r\n"
                             "Content-ID: <part3@alice.example>\r\n"
                             "Content-Description: =?UTF-8?B?zpHPgc+HzrXOr86/?=\r\n"
                             "\r\n"
                             "YWJj\r\n"
                             "--outer\r\n"
                             "Content-Type: message/rfc822\r\n"
                             "\r\n"
                             "Subject: inner message\r\n"
                             "\r\n"
                             "line one\r\n"
                             "line two\r\n"
                             "--outer--\r\n"
                             "epilogue\r\n";

static const char *at(const mime_part_t *p, size_t offset)
{
    return (const char *)p->data + offset;
}

START_TEST(test_tree_shape)
{
    mime_part_t *root = mime_parse((const uint8_t *)nested, strlen(nested));
    ck_assert_uint_eq(mime_tree_defects(root), 0);
    ck_assert_str_eq(root->type, "multipart");
    ck_assert_str_eq(root->subtype, "mixed");
    ck_assert_uint_eq(root->child_count, 3);
    ck_assert_uint_eq(mime_tree_count(root), 7);
    const mime_part_t *alt = root->children[0];
    ck_assert(mime_part_is(alt, "multipart", "alternative"));
    ck_assert_uint_eq(alt->child_count, 2);
    ck_assert_ptr_eq(alt->parent, root);
    ck_assert_uint_eq(alt->children[0]->depth, 2);
    const mime_part_t *pdf = root->children[1];
    ck_assert(mime_part_is(pdf, "application", "pdf"));
    const mime_part_t *msg = root->children[2];
    ck_assert(mime_part_is(msg, "message", "rfc822"));
    ck_assert_ptr_nonnull(msg->message);
    ck_assert_str_eq(header_get(&msg->message->header, "Subject"), "inner message");
    ck_assert(mime_part_is(msg->message, "text", "plain"));
    /* IMAP section numbers */
    ck_assert_ptr_eq(mime_part_section(root, "1.1"), alt->children[0]);
    ck_assert_ptr_eq(mime_part_section(root, "3"), msg);
    ck_assert_ptr_eq(mime_part_section(root, "3.1"), msg->message);
    ck_assert_ptr_null(mime_part_section(root, "3.2"));
    ck_assert_ptr_null(mime_part_section(root, "1.x"));
    ck_assert_ptr_eq(mime_part_section(root, ""), root);
    mime_free(root);
}
END_TEST

START_TEST(test_offsets_sizes_lines)
{
    mime_part_t *root = mime_parse((const uint8_t *)nested, strlen(nested));
    ck_assert_uint_eq(root->offset, 0);
    ck_assert(strncmp(at(root, root->body_offset), "preamble\r\n", 10) == 0);
    ck_assert_uint_eq(root->body_offset + root->body_len, strlen(nested));
    const mime_part_t *greek = root->children[0]->children[0];
    ck_assert(strncmp(at(greek, greek->offset), "Content-Type: text/plain", 24) == 0);
    ck_assert_uint_eq(greek->body_offset, greek->offset + greek->header_len);
    /* the CRLF before a delimiter belongs to the delimiter, not to the body */
    ck_assert_uint_eq(greek->body_len, strlen("=C3=E5=E9=DC =F3=EF=F5"));
    ck_assert(memcmp(at(greek, greek->body_offset), "=C3=E5=E9=DC =F3=EF=F5", greek->body_len) ==
              0);
    ck_assert_uint_eq(greek->body_lines, 1);
    const mime_part_t *msg = root->children[2];
    ck_assert_uint_eq(msg->body_len, strlen("Subject: inner message\r\n\r\nline one\r\nline two"));
    ck_assert_uint_eq(msg->body_lines, 4);
    ck_assert_uint_eq(msg->message->offset, msg->body_offset);
    ck_assert_uint_eq(msg->message->body_len, strlen("line one\r\nline two"));
    ck_assert_uint_eq(msg->message->body_lines, 2);
    ck_assert_uint_eq(root->body_lines, 0);
    mime_free(root);
}
END_TEST

START_TEST(test_fields_and_parameters)
{
    mime_part_t *root = mime_parse((const uint8_t *)nested, strlen(nested));
    ck_assert_str_eq(mime_part_param(root, "BOUNDARY"), "outer");
    const mime_part_t *greek = root->children[0]->children[0];
    ck_assert_str_eq(mime_part_param(greek, "charset"), "ISO-8859-7");
    ck_assert_int_eq(greek->encoding, MIME_ENC_QP);
    ck_assert_str_eq(greek->language, "el");
    const mime_part_t *pdf = root->children[1];
    ck_assert_int_eq(pdf->encoding, MIME_ENC_BASE64);
    ck_assert_str_eq(pdf->encoding_name, "base64");
    ck_assert_str_eq(mime_part_param(pdf, "name"), "αρχeio.pdf"); /* RFC 2231 sections */
    ck_assert_str_eq(pdf->disposition, "attachment");
    ck_assert_str_eq(mime_part_disposition_param(pdf, "size"), "3");
    ck_assert_str_eq(mime_part_filename(pdf), "report.pdf");
    ck_assert_str_eq(pdf->content_id, "<part3@alice.example>");
    ck_assert_str_eq(pdf->description, "Αρχείο");
    ck_assert_int_eq(root->children[2]->encoding, MIME_ENC_7BIT);
    ck_assert_str_eq(root->children[2]->encoding_name, "7bit");
    mime_free(root);
}
END_TEST

START_TEST(test_decode_bodies)
{
    mime_part_t *root = mime_parse((const uint8_t *)nested, strlen(nested));
    buf_t out = BUF_INIT;
    ck_assert_int_eq(mime_part_text(root->children[0]->children[0], &out), 0);
    ck_assert_str_eq(buf_cstr(&out), "Γειά σου");
    buf_reset(&out);
    ck_assert_int_eq(mime_part_decode(root->children[1], &out), 0);
    ck_assert_str_eq(buf_cstr(&out), "abc");
    buf_reset(&out);
    ck_assert_int_eq(mime_part_text(root->children[2]->message, &out), 0);
    ck_assert_str_eq(buf_cstr(&out), "line one\r\nline two");
    mime_free(root);
    buf_free(&out);
}
END_TEST

static const struct {
    const char *value;
    const char *type, *subtype;
    const char *param, *param_value;
    int rc;
} content_types[] = {
    {"text/plain", "text", "plain", NULL, NULL, 0},
    {"TEXT/Plain ; CharSet=\"UTF-8\"", "text", "plain", "charset", "UTF-8", 0},
    {"text/plain; charset=us-ascii (Plain text)", "text", "plain", "charset", "us-ascii", 0},
    {"multipart/mixed; boundary=----=_Part_1", "multipart", "mixed", "boundary", "----=_Part_1", 0},
    {"application/x; name*=iso-8859-7'el'%C1%E8%DE%ED%E1", "application", "x", "name", "Αθήνα", 0},
    {"application/x; name*0=\"a b\"; name*1=c", "application", "x", "name", "a bc", 0},
    {"application/x; name=\"=?UTF-8?B?zpE=?=.txt\"", "application", "x", "name", "Α.txt", 0},
    {"text/plain; charset=\"unclosed", "text", "plain", "charset", "unclosed", -1},
    {"text/plain; =x; ok=1", "text", "plain", "ok", "1", -1},
    {"text", "text", NULL, NULL, NULL, -1},
    {"", NULL, NULL, NULL, NULL, -1},
};

START_TEST(test_content_type_parse)
{
    char *type = NULL, *subtype = NULL;
    mime_params_t params = {NULL, 0, 0};
    const char *v = content_types[_i].value;
    int rc = mime_content_type_parse(v, strlen(v), true, &type, &subtype, &params);
    ck_assert_msg(rc == content_types[_i].rc, "\"%s\": rc %d", v, rc);
    if (content_types[_i].type)
        ck_assert_str_eq(type, content_types[_i].type);
    else
        ck_assert_ptr_null(type);
    if (content_types[_i].subtype)
        ck_assert_str_eq(subtype, content_types[_i].subtype);
    else
        ck_assert_ptr_null(subtype);
    if (content_types[_i].param) {
        const char *got = mime_params_get(&params, content_types[_i].param);
        ck_assert_msg(got && strcmp(got, content_types[_i].param_value) == 0,
                      "\"%s\": %s = \"%s\", want \"%s\"", v, content_types[_i].param,
                      got ? got : "(none)", content_types[_i].param_value);
    }
    free(type);
    free(subtype);
    mime_params_free(&params);
}
END_TEST

START_TEST(test_defaults_and_digest)
{
    const char *msg = "Subject: no mime\n\nplain body\nline 2\n";
    mime_part_t *root = mime_parse((const uint8_t *)msg, strlen(msg));
    ck_assert(mime_part_is(root, "text", "plain"));
    ck_assert_int_eq(root->encoding, MIME_ENC_7BIT);
    ck_assert_uint_eq(root->body_lines, 2);
    mime_free(root);
    const char *digest = "Content-Type: multipart/digest; boundary=d\n\n"
                         "--d\n\nSubject: one\n\nfirst\n"
                         "--d\nContent-Type: text/plain\n\nnot a message\n"
                         "--d--\n";
    root = mime_parse((const uint8_t *)digest, strlen(digest));
    ck_assert_uint_eq(root->child_count, 2);
    ck_assert(mime_part_is(root->children[0], "message", "rfc822")); /* RFC 2046 5.1.5 */
    ck_assert_str_eq(header_get(&root->children[0]->message->header, "Subject"), "one");
    ck_assert(mime_part_is(root->children[1], "text", "plain"));
    ck_assert_uint_eq(mime_tree_defects(root), 0);
    mime_free(root);
}
END_TEST

/* A longer boundary that starts with the real one is not a delimiter. */
START_TEST(test_boundary_prefix)
{
    const char *msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                      "--b\r\n\r\none\r\n--bb\r\nstill one\r\n"
                      "--b\r\n\r\ntwo\r\n--b--";
    mime_part_t *root = mime_parse((const uint8_t *)msg, strlen(msg));
    ck_assert_uint_eq(root->child_count, 2);
    const mime_part_t *one = root->children[0];
    ck_assert_uint_eq(one->body_len, strlen("one\r\n--bb\r\nstill one"));
    ck_assert_uint_eq(mime_tree_defects(root), 0);
    mime_free(root);
}
END_TEST

Suite *mail_mime_suite(void)
{
    Suite *s = suite_create("mail_mime");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_tree_shape);
    tcase_add_test(tc, test_offsets_sizes_lines);
    tcase_add_test(tc, test_fields_and_parameters);
    tcase_add_test(tc, test_decode_bodies);
    tcase_add_loop_test(tc, test_content_type_parse, 0,
                        (int)(sizeof content_types / sizeof content_types[0]));
    tcase_add_test(tc, test_defaults_and_digest);
    tcase_add_test(tc, test_boundary_prefix);
    suite_add_tcase(s, tc);
    return s;
}
