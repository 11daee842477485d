/* MD5 (RFC 1321) against the test suite of its appendix A.5, whole and fed in pieces. */
#include <check.h>
#include <string.h>

#include "proto/md5.h"

typedef struct md5_case {
    const char *in;
    const char *want;
} md5_case_t;

static const md5_case_t vectors[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
    /* RFC 1939 7: the APOP example, timestamp then secret. */
    {"<1896.697170952@dbc.mtview.ca.us>tanstaaf", "c4c9334bac560ecc979e58001b3e22fb"},
};

START_TEST(test_vectors)
{
    const md5_case_t *c = &vectors[_i];
    char got[MD5_HEX_SIZE];
    md5_hex(c->in, strlen(c->in), got);
    ck_assert_msg(strcmp(got, c->want) == 0, "MD5(\"%s\")\n got: %s\nwant: %s", c->in, got,
                  c->want);
}
END_TEST

/* Every split into two updates gives the same digest: the block buffering is right. */
START_TEST(test_pieces)
{
    const md5_case_t *c = &vectors[_i];
    size_t n = strlen(c->in);
    for (size_t k = 0; k <= n; k++) {
        md5_ctx_t ctx;
        uint8_t digest[MD5_DIGEST_SIZE];
        char got[MD5_HEX_SIZE];
        md5_init(&ctx);
        md5_update(&ctx, c->in, k);
        md5_update(&ctx, c->in + k, n - k);
        md5_final(&ctx, digest);
        md5_to_hex(digest, got);
        ck_assert_msg(strcmp(got, c->want) == 0, "MD5(\"%s\") split at %zu: %s", c->in, k, got);
    }
}
END_TEST

START_TEST(test_block_boundaries)
{
    /* 55, 56, 63, 64 and 65 octets: where the padding needs one block or two. */
    static const struct {
        size_t len;
        const char *want;
    } sizes[] = {
        {55, "ef1772b6dff9a122358552954ad0df65"}, {56, "3b0c8ac703f828b04c6c197006d17218"},
        {63, "b06521f39153d618550606be297466d5"}, {64, "014842d480b571495a4a0363793f7367"},
        {65, "c743a45e0d2e6a95cb859adae0248435"},
    };
    char in[65];
    memset(in, 'a', sizeof in);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char got[MD5_HEX_SIZE];
        md5_hex(in, sizes[i].len, got);
        ck_assert_msg(strcmp(got, sizes[i].want) == 0, "%zu x 'a': %s", sizes[i].len, got);
    }
}
END_TEST

Suite *proto_md5_suite(void)
{
    Suite *s = suite_create("proto_md5");
    TCase *tc = tcase_create("rfc1321");
    tcase_add_loop_test(tc, test_vectors, 0, (int)(sizeof vectors / sizeof vectors[0]));
    tcase_add_loop_test(tc, test_pieces, 0, (int)(sizeof vectors / sizeof vectors[0]));
    tcase_add_test(tc, test_block_boundaries);
    suite_add_tcase(s, tc);
    return s;
}
