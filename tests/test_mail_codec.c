/* Base64, quoted-printable and RFC 2047 words: known vectors and round trips. */
#include <check.h>
#include <string.h>

#include "core/rng.h"
#include "mail/codec.h"

/* RFC 4648 10. */
static const struct {
    const char *plain;
    const char *encoded;
} base64_vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

START_TEST(test_base64_vectors)
{
    const char *plain = base64_vectors[_i].plain, *encoded = base64_vectors[_i].encoded;
    buf_t out = BUF_INIT;
    codec_base64_encode((const uint8_t *)plain, strlen(plain), false, &out);
    ck_assert_msg(strcmp(buf_cstr(&out), encoded) == 0, "encode \"%s\": got \"%s\", want \"%s\"",
                  plain, buf_cstr(&out), encoded);
    buf_reset(&out);
    ck_assert_int_eq(codec_base64_decode((const uint8_t *)encoded, strlen(encoded), &out), 0);
    ck_assert_msg(strcmp(buf_cstr(&out), plain) == 0, "decode \"%s\": got \"%s\", want \"%s\"",
                  encoded, buf_cstr(&out), plain);
    buf_free(&out);
}
END_TEST

START_TEST(test_base64_wrap_and_round_trip)
{
    uint8_t data[1000];
    rng_t rng;
    rng_seed(&rng, 7);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)rng_next(&rng);
    buf_t enc = BUF_INIT, dec = BUF_INIT;
    codec_base64_encode(data, sizeof data, true, &enc);
    /* every line 76 characters but the last, each ending in CRLF */
    const char *s = buf_cstr(&enc);
    size_t lines = 0;
    for (const char *p = s; *p;) {
        const char *crlf = strstr(p, "\r\n");
        ck_assert_ptr_nonnull(crlf);
        size_t n = (size_t)(crlf - p);
        ck_assert_msg(n == 76 || crlf[2] == '\0', "line %zu is %zu long", lines, n);
        p = crlf + 2;
        lines++;
    }
    ck_assert_uint_eq(lines, (1000 + 56) / 57);
    ck_assert_int_eq(codec_base64_decode(enc.data, enc.len, &dec), 0);
    ck_assert_uint_eq(dec.len, sizeof data);
    ck_assert(memcmp(dec.data, data, sizeof data) == 0);
    buf_free(&enc);
    buf_free(&dec);
}
END_TEST

START_TEST(test_base64_tolerant_and_bad)
{
    static const struct {
        const char *in;
        const char *want;
        int rc;
    } cases[] = {
        {" Zm9v\r\n YmFy\t", "foobar", 0}, /* whitespace anywhere */
        {"Zm9v*YmFy", "foobar", -1},       /* a character outside the alphabet */
        {"Zm9vYg", "foob", -1},            /* no padding */
        {"Zm9vY", "foo", -1},              /* a lone sextet cannot make an octet */
        {"Zg==Zm8=", "ffo", 0},            /* two padded groups back to back */
        {"=Zm9v", "foo", -1},              /* padding first */
        {"Zg===", "f", -1},                /* too much padding */
        {"!!!!", "", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_t out = BUF_INIT;
        int rc = codec_base64_decode((const uint8_t *)cases[i].in, strlen(cases[i].in), &out);
        ck_assert_msg(rc == cases[i].rc, "\"%s\": rc %d, want %d", cases[i].in, rc, cases[i].rc);
        ck_assert_msg(strcmp(buf_cstr(&out), cases[i].want) == 0, "\"%s\": got \"%s\", want \"%s\"",
                      cases[i].in, buf_cstr(&out), cases[i].want);
        buf_free(&out);
    }
}
END_TEST

static const struct {
    const char *plain;
    const char *encoded;
} qp_vectors[] = {
    {"hello", "hello"},
    {"a=b", "a=3Db"},
    {"trailing space \r\nx", "trailing space=20\r\nx"},
    {"tab\t", "tab=09"},
    {"Γεια σου κόσμε\r\n",
     "=CE=93=CE=B5=CE=B9=CE=B1 =CF=83=CE=BF=CF=85 =CE=BA=CF=8C=CF=83=CE=BC=CE=B5\r\n"},
    {"caf\xe9", "caf=E9"},
    {"bare\rcr", "bare=0Dcr"},
};

START_TEST(test_qp_vectors)
{
    const char *plain = qp_vectors[_i].plain, *encoded = qp_vectors[_i].encoded;
    buf_t out = BUF_INIT;
    codec_qp_encode((const uint8_t *)plain, strlen(plain), true, &out);
    ck_assert_msg(strcmp(buf_cstr(&out), encoded) == 0, "encode: got \"%s\", want \"%s\"",
                  buf_cstr(&out), encoded);
    buf_reset(&out);
    ck_assert_int_eq(codec_qp_decode((const uint8_t *)encoded, strlen(encoded), &out), 0);
    ck_assert_msg(strcmp(buf_cstr(&out), plain) == 0, "decode: got \"%s\", want \"%s\"",
                  buf_cstr(&out), plain);
    buf_free(&out);
}
END_TEST

START_TEST(test_qp_soft_breaks)
{
    char line[301];
    memset(line, 'x', 300);
    line[300] = '\0';
    line[100] = '\xce'; /* an escape near where a break falls */
    buf_t enc = BUF_INIT, dec = BUF_INIT;
    codec_qp_encode((const uint8_t *)line, 300, true, &enc);
    const char *s = buf_cstr(&enc);
    for (const char *p = s; *p;) {
        const char *crlf = strstr(p, "\r\n");
        size_t n = crlf ? (size_t)(crlf - p) : strlen(p);
        ck_assert_msg(n <= 76, "encoded line of %zu characters", n);
        if (crlf)
            ck_assert_msg(crlf[-1] == '=', "a break that is not soft");
        p = crlf ? crlf + 2 : p + n;
    }
    ck_assert_int_eq(codec_qp_decode(enc.data, enc.len, &dec), 0);
    ck_assert_uint_eq(dec.len, 300);
    ck_assert(memcmp(dec.data, line, 300) == 0);
    buf_free(&enc);
    buf_free(&dec);
}
END_TEST

START_TEST(test_qp_decode_lenient)
{
    static const struct {
        const char *in;
        const char *want;
        int rc;
    } cases[] = {
        {"soft=\r\nbreak", "softbreak", 0},
        {"soft= \t\r\nbreak", "softbreak", 0}, /* whitespace after the "=" */
        {"lower=ce=93", "lower\xce\x93", 0},
        {"drop   \r\nme", "drop\r\nme", 0}, /* rule 3: trailing whitespace is padding */
        {"bad=G1", "bad=G1", -1},
        {"end=4", "end=4", -1},
        {"lf\nonly", "lf\r\nonly", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_t out = BUF_INIT;
        int rc = codec_qp_decode((const uint8_t *)cases[i].in, strlen(cases[i].in), &out);
        ck_assert_msg(rc == cases[i].rc, "\"%s\": rc %d", cases[i].in, rc);
        ck_assert_msg(strcmp(buf_cstr(&out), cases[i].want) == 0, "\"%s\": got \"%s\"", cases[i].in,
                      buf_cstr(&out));
        buf_free(&out);
    }
}
END_TEST

START_TEST(test_qp_binary_round_trip)
{
    uint8_t data[2000];
    rng_t rng;
    rng_seed(&rng, 11);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)rng_next(&rng);
    buf_t enc = BUF_INIT, dec = BUF_INIT;
    codec_qp_encode(data, sizeof data, false, &enc);
    for (size_t i = 0; i < enc.len; i++)
        ck_assert_msg(enc.data[i] < 128, "8-bit octet in quoted-printable");
    codec_qp_decode(enc.data, enc.len, &dec);
    ck_assert_uint_eq(dec.len, sizeof data);
    ck_assert(memcmp(dec.data, data, sizeof data) == 0);
    buf_free(&enc);
    buf_free(&dec);
}
END_TEST

static const struct {
    const char *encoded;
    const char *decoded;
} word_vectors[] = {
    {"=?UTF-8?B?zpPOtc65zrEgz4POv8+F?=", "Γεια σου"},
    {"=?utf-8?q?=CE=93=CE=B5=CE=B9=CE=B1_=CF=83=CE=BF=CF=85?=", "Γεια σου"},
    {"=?ISO-8859-7?Q?=C3=E5=E9=DC_=F3=EF=F5?=", "Γειά σου"},
    {"=?iso-8859-7?b?w+Xp3CDz7/U=?=", "Γειά σου"},
    {"=?ISO-8859-1?Q?caf=E9?=", "café"},
    {"=?UTF-8?B?zpPOtc65zrE=?= =?UTF-8?B?IM+Dzr/PhQ==?=", "Γεια σου"}, /* space dropped */
    {"=?UTF-8?B?zpPOtc65zrE=?=\r\n =?UTF-8?Q?_=CF=83=CE=BF=CF=85?=", "Γεια σου"},
    {"=?UTF-8?B?zpPOtc65zrE=?= and =?UTF-8?B?zrE=?=", "Γεια and α"}, /* text between stays */
    {"Re: =?UTF-8?B?zpPOtc65zrE=?= !", "Re: Γεια !"},
    {"=?UTF-8?B?zpM=?==?UTF-8?B?zrU=?=", "Γε"},
    {"=?UTF-8?Q?=CE?= =?UTF-8?Q?=93?=", "Γ"}, /* a character split across words */
    {"=?UTF-8*el?B?zpM=?=", "Γ"},             /* RFC 2231 language tag */
    {"=?KOI8-R?Q?abc?=", "abc"},              /* unknown charset: bytes pass through */
    {"plain text", "plain text"},
};

START_TEST(test_words_decode)
{
    buf_t out = BUF_INIT;
    const char *in = word_vectors[_i].encoded;
    codec_words_decode(in, strlen(in), &out);
    ck_assert_msg(strcmp(buf_cstr(&out), word_vectors[_i].decoded) == 0,
                  "\"%s\": got \"%s\", want \"%s\"", in, buf_cstr(&out), word_vectors[_i].decoded);
    buf_free(&out);
}
END_TEST

START_TEST(test_words_malformed)
{
    static const char *const cases[] = {"=?UTF-8?X?abc?=", "=?UTF-8?B?abc",
                                        "=??B?abc?=", "=?UTF-8?B?zpP OtQ==?="};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_t out = BUF_INIT;
        int rc = codec_words_decode(cases[i], strlen(cases[i]), &out);
        ck_assert_msg(rc == -1, "\"%s\" accepted", cases[i]);
        ck_assert_msg(strcmp(buf_cstr(&out), cases[i]) == 0, "\"%s\" became \"%s\"", cases[i],
                      buf_cstr(&out));
        buf_free(&out);
    }
}
END_TEST

START_TEST(test_words_encode_greek)
{
    buf_t out = BUF_INIT;
    codec_words_encode("Γεια σου", strlen("Γεια σου"), 0, &out);
    ck_assert_str_eq(buf_cstr(&out), "=?UTF-8?B?zpPOtc65zrEgz4POv8+F?=");
    buf_reset(&out);
    codec_words_encode("Hello Roberto", 13, 0, &out);
    ck_assert_str_eq(buf_cstr(&out), "Hello Roberto");
    buf_reset(&out);
    codec_words_encode("caf\xc3\xa9 au lait", strlen("caf\xc3\xa9 au lait"), 0, &out);
    ck_assert_str_eq(buf_cstr(&out), "=?UTF-8?Q?caf=C3=A9_au_lait?=");
    buf_free(&out);
}
END_TEST

/* Long Greek text: every word within 75, no character split, decodes back exactly. */
START_TEST(test_words_encode_split)
{
    const char *text = "Καλημέρα Ρομπέρτο, τι κάνεις; Αυτό είναι ένα μεγάλο θέμα για δοκιμή "
                       "και ακόμα πιο μεγάλο ώστε να χρειαστούν πολλές λέξεις";
    for (size_t room = 0; room <= 80; room += 10) {
        buf_t out = BUF_INIT, back = BUF_INIT;
        codec_words_encode(text, strlen(text), room, &out);
        const char *s = buf_cstr(&out);
        size_t words = 0;
        for (const char *p = s; *p;) {
            const char *sp = strchr(p, ' ');
            size_t n = sp ? (size_t)(sp - p) : strlen(p);
            ck_assert_msg(n <= CODEC_WORD_MAX, "word of %zu characters", n);
            ck_assert_msg(strncmp(p, "=?UTF-8?B?", 10) == 0, "not a B word: %.*s", (int)n, p);
            /* each word alone is whole UTF-8: its first octet is no continuation */
            buf_t one = BUF_INIT;
            codec_words_decode(p, n, &one);
            ck_assert_msg((one.data[0] & 0xC0) != 0x80, "word %zu starts mid-character", words);
            buf_free(&one);
            p = sp ? sp + 1 : p + n;
            words++;
        }
        ck_assert_uint_gt(words, 2);
        ck_assert_int_eq(codec_words_decode(s, strlen(s), &back), 0);
        ck_assert_str_eq(buf_cstr(&back), text);
        buf_free(&out);
        buf_free(&back);
    }
}
END_TEST

START_TEST(test_charsets)
{
    buf_t out = BUF_INIT;
    const uint8_t greek[] = {0xC3, 0xE5, 0xE9, 0xDC, 0x20, 0xF3, 0xEF, 0xF5, 0xA4};
    ck_assert_int_eq(codec_charset_lookup("ISO-8859-7", 10), CODEC_CHARSET_GREEK);
    ck_assert_int_eq(codec_charset_to_utf8(CODEC_CHARSET_GREEK, greek, sizeof greek, &out), 0);
    ck_assert_str_eq(buf_cstr(&out), "Γειά σου€");
    buf_reset(&out);
    const uint8_t latin[] = {'c', 'a', 'f', 0xE9};
    codec_charset_to_utf8(codec_charset_lookup("latin1", 6), latin, sizeof latin, &out);
    ck_assert_str_eq(buf_cstr(&out), "café");
    buf_reset(&out);
    ck_assert_int_eq(codec_charset_lookup("x-unknown", 9), CODEC_CHARSET_UNKNOWN);
    ck_assert_int_eq(codec_charset_to_utf8(CODEC_CHARSET_UNKNOWN, latin, sizeof latin, &out), 1);
    ck_assert_uint_eq(out.len, 4);
    ck_assert(memcmp(out.data, latin, 4) == 0);
    buf_free(&out);
}
END_TEST

Suite *mail_codec_suite(void)
{
    Suite *s = suite_create("mail_codec");
    TCase *tc = tcase_create("base64");
    tcase_add_loop_test(tc, test_base64_vectors, 0,
                        (int)(sizeof base64_vectors / sizeof base64_vectors[0]));
    tcase_add_test(tc, test_base64_wrap_and_round_trip);
    tcase_add_test(tc, test_base64_tolerant_and_bad);
    suite_add_tcase(s, tc);
    tc = tcase_create("quoted_printable");
    tcase_add_loop_test(tc, test_qp_vectors, 0, (int)(sizeof qp_vectors / sizeof qp_vectors[0]));
    tcase_add_test(tc, test_qp_soft_breaks);
    tcase_add_test(tc, test_qp_decode_lenient);
    tcase_add_test(tc, test_qp_binary_round_trip);
    suite_add_tcase(s, tc);
    tc = tcase_create("words");
    tcase_add_loop_test(tc, test_words_decode, 0,
                        (int)(sizeof word_vectors / sizeof word_vectors[0]));
    tcase_add_test(tc, test_words_malformed);
    tcase_add_test(tc, test_words_encode_greek);
    tcase_add_test(tc, test_words_encode_split);
    tcase_add_test(tc, test_charsets);
    suite_add_tcase(s, tc);
    return s;
}
