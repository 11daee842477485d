/* Modified UTF-7 (RFC 3501 5.1.3): known vectors both ways, and bad input refused. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mail/utf7.h"

static const struct {
    const char *utf8, *mutf7;
} vectors[] = {
    {"INBOX", "INBOX"},
    {"", ""},
    /* RFC 3501 5.1.3's own example. */
    {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
     "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
    {"\xce\xa3\xcf\x87\xce\xbf\xce\xbb\xce\xae", "&A6MDxwO,A7sDrg-"}, /* Σχολή */
    {"\xce\xa3\xcf\x87\xce\xbf\xce\xbb\xce\xae/\xce\x95\xcf\x81\xce\xb3\xce\xb1\xcf\x83\xce\xaf"
     "\xce\xb5\xcf\x82",
     "&A6MDxwO,A7sDrg-/&A5UDwQOzA7EDwwOvA7UDwg-"}, /* Σχολή/Εργασίες */
    {"&", "&-"},
    {"Tom & Jerry", "Tom &- Jerry"},
    {"\xc3\x9cn\xc3\xaf"
     "code & more",
     "&ANw-n&AO8-code &- more"},
    {"a\x01"
     "b",
     "a&AAE-b"},
    {"\xf0\x9f\x98\x80", "&2D3eAA-"}, /* U+1F600, a surrogate pair */
    {"~/-&", "~/-&-"},
};

START_TEST(test_encode_vectors)
{
    const char *err = NULL;
    char *got = utf7_encode(vectors[_i].utf8, &err);
    ck_assert_msg(got != NULL, "encode \"%s\" refused: %s", vectors[_i].mutf7, err);
    ck_assert_msg(strcmp(got, vectors[_i].mutf7) == 0, "encode: got \"%s\", want \"%s\"", got,
                  vectors[_i].mutf7);
    free(got);
}
END_TEST

START_TEST(test_decode_vectors)
{
    const char *err = NULL;
    char *got = utf7_decode(vectors[_i].mutf7, &err);
    ck_assert_msg(got != NULL, "decode \"%s\" refused: %s", vectors[_i].mutf7, err);
    ck_assert_msg(strcmp(got, vectors[_i].utf8) == 0, "decode \"%s\": got \"%s\", want \"%s\"",
                  vectors[_i].mutf7, got, vectors[_i].utf8);
    free(got);
}
END_TEST

static const struct {
    const char *mutf7, *why;
} bad_mutf7[] = {
    {"&", "a lone shift"},
    {"&U,BTFw", "an unterminated run"},
    {"&U,BTFw-&ZeVnLIqe-", "two runs back to back (null shift)"},
    {"&AGE-", "printable ASCII \"a\" in base64"},
    {"&ACY-", "\"&\" in base64"},
    {"&U/BTFw-", "\"/\" is not modified base64"},
    {"&U,BTF-", "leftover bits"},
    {"&U,BTFx-", "non-zero padding bits"},
    {"&2D0-", "a lone high surrogate"},
    {"&3gA-", "a lone low surrogate"},
    {"&AAA-", "U+0000"},
    {"caf\xc3\xa9", "raw 8-bit bytes"},
    {"tab\there", "a control character"},
    {"&A6M", "run ends at the end of the string"},
};

START_TEST(test_decode_rejects)
{
    const char *err = NULL;
    char *got = utf7_decode(bad_mutf7[_i].mutf7, &err);
    ck_assert_msg(got == NULL, "accepted \"%s\" (%s) as \"%s\"", bad_mutf7[_i].mutf7,
                  bad_mutf7[_i].why, got ? got : "");
    ck_assert_msg(err != NULL && err[0] != '\0', "no reason given for \"%s\"", bad_mutf7[_i].mutf7);
}
END_TEST

static const char *const bad_utf8[] = {
    "\xc0\xaf",         /* overlong "/" */
    "\xed\xa0\x80",     /* an encoded surrogate */
    "\xf4\x90\x80\x80", /* past U+10FFFF */
    "\xce",             /* cut short */
    "\xff",
};

START_TEST(test_encode_rejects_bad_utf8)
{
    const char *err = NULL;
    char *got = utf7_encode(bad_utf8[_i], &err);
    ck_assert_msg(got == NULL, "encoded invalid UTF-8 #%d as \"%s\"", _i, got ? got : "");
    ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(test_round_trip_every_plane)
{
    /* A run of assorted code points survives encode then decode. */
    const char *text = "A\xc2\xa0\xce\xb1\xe2\x82\xac\xf0\x90\x8d\x88z&\x7f~";
    char *enc = utf7_encode(text, NULL);
    ck_assert_ptr_nonnull(enc);
    char *dec = utf7_decode(enc, NULL);
    ck_assert_ptr_nonnull(dec);
    ck_assert_str_eq(dec, text);
    free(enc);
    free(dec);
}
END_TEST

Suite *mail_utf7_suite(void)
{
    Suite *s = suite_create("mail_utf7");
    TCase *tc = tcase_create("vectors");
    tcase_add_loop_test(tc, test_encode_vectors, 0, sizeof vectors / sizeof vectors[0]);
    tcase_add_loop_test(tc, test_decode_vectors, 0, sizeof vectors / sizeof vectors[0]);
    tcase_add_loop_test(tc, test_decode_rejects, 0, sizeof bad_mutf7 / sizeof bad_mutf7[0]);
    tcase_add_loop_test(tc, test_encode_rejects_bad_utf8, 0, sizeof bad_utf8 / sizeof bad_utf8[0]);
    tcase_add_test(tc, test_round_trip_every_plane);
    suite_add_tcase(s, tc);
    return s;
}
