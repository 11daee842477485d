/* SMTP syntax pieces: paths and parameters, base64 and PLAIN, reply formatting and assembly. */
#include <check.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_addr.h"
#include "proto/smtp_auth.h"
#include "proto/smtp_ext.h"
#include "proto/smtp_reply.h"
#include "strings_fixture.h"

/* --- paths, parameters, base64 ------------------------------------------- */

typedef struct path_case {
    const char *in;
    bool allow_null, allow_postmaster;
    smtp_path_status_t want;
    const char *addr; /* on success */
    const char *rest; /* on success */
} path_case_t;

static const path_case_t paths[] = {
    {"<alice@alice.example>", false, false, SMTP_PATH_OK, "alice@alice.example", ""},
    {"<alice@alice.example> SIZE=10", false, false, SMTP_PATH_OK, "alice@alice.example",
     " SIZE=10"},
    {"<>", true, false, SMTP_PATH_OK, "", ""},
    {"<>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<Postmaster>", false, true, SMTP_PATH_OK, "Postmaster", ""},
    {"<postmaster>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<@a.example,@b.example:joe@c.example>", false, false, SMTP_PATH_OK, "joe@c.example", ""},
    {"<\"odd > name\"@x.example>", false, false, SMTP_PATH_OK, "\"odd > name\"@x.example", ""},
    {"<first.last+tag@x.example>", false, false, SMTP_PATH_OK, "first.last+tag@x.example", ""},
    {"<joe@[192.0.2.1]>", false, false, SMTP_PATH_OK, "joe@[192.0.2.1]", ""},
    {"alice@alice.example", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<alice@alice.example", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<alice>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<.alice@x.example>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<al..ice@x.example>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<al ice@x.example>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<alice@x..example>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<alice@x_y.example>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<alice@>", false, false, SMTP_PATH_SYNTAX, NULL, NULL},
    {"<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.example>", false, false,
     SMTP_PATH_TOO_LONG, NULL, NULL},
};

START_TEST(test_paths)
{
    const path_case_t *c = &paths[_i];
    char addr[SMTP_PATH_MAX + 1];
    const char *rest = NULL, *why = NULL;
    smtp_path_status_t st =
        smtp_path_parse(c->in, c->allow_null, c->allow_postmaster, addr, &rest, &why);
    ck_assert_msg(st == c->want, "%s: got status %d, want %d (%s)", c->in, st, c->want,
                  why ? why : "");
    if (st == SMTP_PATH_OK) {
        ck_assert_str_eq(addr, c->addr);
        ck_assert_str_eq(rest, c->rest);
    } else {
        ck_assert_ptr_nonnull(why);
    }
    /* The form that measures the address gives the same, and its length. */
    char addr2[SMTP_PATH_MAX + 1];
    const char *rest2 = NULL, *why2 = NULL;
    size_t len = 99;
    ck_assert_int_eq(smtp_path_parse_len(c->in, c->allow_null, c->allow_postmaster, addr2, &len,
                                         &rest2, &why2),
                     st);
    ck_assert_str_eq(addr2, addr);
    ck_assert_uint_eq(len, strlen(addr));
    ck_assert_ptr_eq(rest2, rest);
    ck_assert_ptr_eq(why2, why);
}
END_TEST

/*
 * Garbage rich in the octets paths treat specially: whatever the parser
 * accepts holds no CR or LF (the server writes it into replies as it is),
 * and the measuring form agrees.
 */
START_TEST(test_path_garbage_has_no_line_end)
{
    /* "<" local "@" domain ">", each part random, the local part quoted now and then */
    static const char local_octets[] = "aaab.\\\"\r\n \x80\t", domain_octets[] = "aaa1.-[]:\r\n";
    uint32_t seed = 99;
    int taken = 0;
    for (int round = 0; round < 20000; round++) {
        char in[40];
        size_t n = 0;
        in[n++] = '<';
        bool quoted = round % 3 == 0;
        if (quoted)
            in[n++] = '"';
        for (int i = 0; i < 1 + round % 5; i++) {
            seed = seed * 1103515245u + 12345u;
            in[n++] = local_octets[(seed >> 16) % (sizeof local_octets - 1)];
        }
        if (quoted)
            in[n++] = '"';
        in[n++] = '@';
        if (round % 7 == 0)
            in[n++] = '[';
        for (int i = 0; i < 1 + round % 4; i++) {
            seed = seed * 1103515245u + 12345u;
            in[n++] = domain_octets[(seed >> 16) % (sizeof domain_octets - 1)];
        }
        if (round % 7 == 0)
            in[n++] = ']';
        in[n++] = '>';
        in[n] = '\0';
        char addr[SMTP_PATH_MAX + 1];
        const char *rest, *why;
        size_t len;
        smtp_path_status_t st =
            smtp_path_parse_len(in, round % 2, round % 4 < 2, addr, &len, &rest, &why);
        ck_assert_uint_eq(len, strlen(addr));
        if (st == SMTP_PATH_OK) {
            ck_assert_msg(!strpbrk(addr, "\r\n"), "round %d took a line end", round);
            taken++;
        }
    }
    ck_assert_int_gt(taken, 300); /* the garbage reached the parser's every form */
}
END_TEST

START_TEST(test_path_too_long)
{
    /* A 64-octet local part is fine; a path over 256 octets is not. */
    buf_t in = BUF_INIT;
    buf_putc(&in, '<');
    for (int i = 0; i < 64; i++)
        buf_putc(&in, 'a');
    buf_puts(&in, "@");
    for (int i = 0; i < 3; i++)
        buf_puts(&in, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij.");
    buf_puts(&in, "example>");
    char addr[SMTP_PATH_MAX + 1];
    const char *rest, *why;
    ck_assert_int_eq(smtp_path_parse(buf_cstr(&in), false, false, addr, &rest, &why),
                     SMTP_PATH_TOO_LONG);
    buf_free(&in);
    ck_assert_int_eq(
        smtp_path_parse("<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "@x.example>",
                        false, false, addr, &rest, &why),
        SMTP_PATH_OK);
}
END_TEST

START_TEST(test_params)
{
    const char *p = "SIZE=100  BODY=8BITMIME SMTPUTF8";
    smtp_param_t prm;
    ck_assert_int_eq(smtp_param_next(&p, &prm), 1);
    ck_assert_str_eq(prm.keyword, "SIZE");
    ck_assert_str_eq(prm.value, "100");
    ck_assert_int_eq(smtp_param_next(&p, &prm), 1);
    ck_assert_str_eq(prm.keyword, "BODY");
    ck_assert_int_eq(smtp_param_next(&p, &prm), 1);
    ck_assert_str_eq(prm.keyword, "SMTPUTF8");
    ck_assert(!prm.has_value);
    ck_assert_int_eq(smtp_param_next(&p, &prm), 0);
    /* The first '=' splits; a word ends at a space or the end, a tab is in the word. */
    static const struct {
        const char *in, *keyword, *value, *rest;
        bool has_value;
    } words[] = {
        {"K=a=b rest", "K", "a=b", " rest", true},
        {"  X-1", "X-1", "", "", false},
        {"SIZE=1\tB", "SIZE", "1\tB", "", true},
        {"Body=7BIT=", "Body", "7BIT=", "", true},
    };
    for (size_t i = 0; i < ARRAY_LEN(words); i++) {
        const char *q = words[i].in;
        ck_assert_int_eq(smtp_param_next(&q, &prm), 1);
        ck_assert_str_eq(prm.keyword, words[i].keyword);
        ck_assert_str_eq(prm.value, words[i].value);
        ck_assert_str_eq(q, words[i].rest);
        ck_assert(prm.has_value == words[i].has_value);
    }
    const char *bad[] = {"=1", "-X=1", "SIZE=", "A_B=1", "K\t=1"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        const char *q = bad[i];
        ck_assert_msg(smtp_param_next(&q, &prm) == -1, "%s should be refused", bad[i]);
    }
}
END_TEST

typedef struct b64_case {
    const char *in;
    bool ok;
    const char *want;
} b64_case_t;

static const b64_case_t b64s[] = {
    {"", true, ""},        {"=", true, ""},       {"YQ==", true, "a"},
    {"YWI=", true, "ab"},  {"YWJj", true, "abc"}, {"Y", false, NULL},
    {"YQ=", false, NULL},  {"Y===", false, NULL}, {"YQ==YWJj", false, NULL},
    {"!!!!", false, NULL}, {"YW=j", false, NULL},
};

START_TEST(test_base64)
{
    const b64_case_t *c = &b64s[_i];
    buf_t out = BUF_INIT;
    buf_puts(&out, "kept");
    bool ok = smtp_auth_b64_decode(c->in, &out);
    ck_assert_msg(ok == c->ok, "\"%s\": got %d", c->in, ok);
    if (ok) {
        ck_assert_str_eq(buf_cstr(&out) + 4, c->want);
        buf_t again = BUF_INIT;
        smtp_auth_b64_encode(out.data + 4, out.len - 4, &again);
        if (strcmp(c->in, "=") != 0)
            ck_assert_str_eq(buf_cstr(&again), c->in);
        buf_free(&again);
    } else {
        ck_assert_str_eq(buf_cstr(&out), "kept");
    }
    buf_free(&out);
}
END_TEST

START_TEST(test_plain_message)
{
    buf_t b64 = BUF_INIT, raw = BUF_INIT;
    smtp_auth_plain_encode("alice", "wonderland", &b64);
    ck_assert_str_eq(buf_cstr(&b64), "AGFsaWNlAHdvbmRlcmxhbmQ=");
    ck_assert(smtp_auth_b64_decode(buf_cstr(&b64), &raw));
    char *user, *password;
    ck_assert(smtp_auth_plain_split(raw.data, raw.len, &user, &password));
    ck_assert_str_eq(user, "alice");
    ck_assert_str_eq(password, "wonderland");
    free(user);
    free(password);
    static const struct {
        const char *msg;
        size_t len;
        bool ok;
    } splits[] = {
        {"alice\0alice\0pw", 14, true}, /* authzid = authcid */
        {"bob\0alice\0pw", 12, false},  /* acting for someone else */
        {"\0\0pw", 4, false},           /* no user */
        {"\0alice", 6, false},          /* no password part */
        {"\0alice\0pw\0x", 11, false},  /* a third NUL */
        {"\0alice\0", 7, true},         /* an empty password is a password */
    };
    for (size_t i = 0; i < ARRAY_LEN(splits); i++) {
        bool ok =
            smtp_auth_plain_split((const uint8_t *)splits[i].msg, splits[i].len, &user, &password);
        ck_assert_msg(ok == splits[i].ok, "split %zu: got %d", i, ok);
        if (ok) {
            free(user);
            free(password);
        }
    }
    buf_free(&b64);
    buf_free(&raw);
}
END_TEST

/* Every octet, in a local part and in a domain, against the RFC classes written out. */
START_TEST(test_path_octets)
{
    for (int c = 1; c < 256; c++) {
        bool letdig = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        bool atext = letdig || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
        char in[64], addr[SMTP_PATH_MAX + 1];
        const char *rest, *why;
        snprintf(in, sizeof in, "<a%cb@x.example>", c);
        bool ok = smtp_path_parse(in, false, false, addr, &rest, &why) == SMTP_PATH_OK;
        ck_assert_msg(ok == (atext || c == '.'), "local part with octet %d: %d", c, ok);
        snprintf(in, sizeof in, "<ab@x%cy.example>", c);
        ok = smtp_path_parse(in, false, false, addr, &rest, &why) == SMTP_PATH_OK;
        /* "<ab@x>y.example>" ends at the first ">": "ab@x" is fine. */
        ck_assert_msg(ok == (letdig || c == '-' || c == '.' || c == '>'),
                      "domain with octet %d: %d", c, ok);
        snprintf(in, sizeof in, "<ab@[1%c2]>", c);
        ok = smtp_path_parse(in, false, false, addr, &rest, &why) == SMTP_PATH_OK;
        ck_assert_msg(ok == (letdig || c == '-' || c == '.' || c == ':'),
                      "address literal with octet %d: %d", c, ok);
    }
}
END_TEST

/* The usual mailbox, the slow way: the reference for smtp_mailbox_plain. */
static bool plain_reference(const char *m)
{
    const char *at = strchr(m, '@');
    if (!at)
        return false;
    size_t local = (size_t)(at - m), len = strlen(m);
    if (local == 0 || local > SMTP_LOCAL_MAX || len - local - 1 > SMTP_DOMAIN_MAX ||
        len + 2 > SMTP_PATH_MAX || m[0] == '.' || at[-1] == '.')
        return false;
    for (const char *p = m; p < at; p++) {
        bool atext = isalnum((unsigned char)*p) || (*p && strchr("!#$%&'*+-/=?^_`{|}~", *p));
        if (!(atext || (*p == '.' && p[1] != '.')))
            return false;
    }
    const char *d = at + 1;
    if (!*d || d[0] == '-' || d[0] == '.' || m[len - 1] == '-' || m[len - 1] == '.')
        return false;
    for (const char *p = d; *p; p++) {
        if (isalnum((unsigned char)*p) || (*p == '-'))
            continue;
        if (*p != '.' || p[-1] == '-' || p[1] == '-' || p[1] == '.')
            return false;
    }
    return true;
}

/* Every string of up to 6 octets from a small alphabet, and lengths at the limits. */
START_TEST(test_mailbox_plain)
{
    static const char alphabet[] = "a-.@!1\"\xc3";
    size_t na = sizeof alphabet - 1;
    char m[400]; /* the longest: 65 + 1 + 256 and the NUL */
    for (size_t len = 0; len <= 6; len++) {
        for (size_t k = 0; k < strings_count(na, len); k++) {
            strings_nth(m, alphabet, na, len, k);
            bool want = plain_reference(m);
            size_t got = smtp_mailbox_plain(m);
            ck_assert_msg(got == (want ? len : 0), "\"%s\": %zu", m, got);
            if (got) {
                char in[sizeof m + 2], addr[SMTP_PATH_MAX + 1];
                const char *rest, *why;
                snprintf(in, sizeof in, "<%s>", m);
                ck_assert(smtp_path_parse(in, false, false, addr, &rest, &why) == SMTP_PATH_OK);
            }
        }
    }
    for (size_t local = 63; local <= 65; local++) {
        for (size_t dom = 200; dom <= 256; dom += 56) {
            memset(m, 'a', local);
            m[local] = '@';
            memset(m + local + 1, 'b', dom);
            m[local + 1 + dom] = '\0';
            ck_assert_uint_eq(smtp_mailbox_plain(m) != 0, plain_reference(m));
        }
    }
}
END_TEST

/*
 * A path of a plain mailbox takes a short way through smtp_path_parse; the
 * same mailbox behind a source route (which the parser drops) takes the
 * full one. Both give the same status, address, rest and reason.
 */
static void path_agrees(const char *m, bool allow_null, bool allow_postmaster)
{
    char in[64], routed[80], addr[SMTP_PATH_MAX + 1], addr2[SMTP_PATH_MAX + 1];
    const char *rest = NULL, *rest2 = NULL, *why = "", *why2 = "";
    snprintf(in, sizeof in, "<%s> SIZE=1", m);
    snprintf(routed, sizeof routed, "<@r.example:%s> SIZE=1", m);
    smtp_path_status_t st = smtp_path_parse(in, allow_null, allow_postmaster, addr, &rest, &why);
    smtp_path_status_t st2 =
        smtp_path_parse(routed, allow_null, allow_postmaster, addr2, &rest2, &why2);
    ck_assert_msg(st == st2, "\"%s\": %d, routed %d", m, (int)st, (int)st2);
    ck_assert_str_eq(addr, addr2);
    if (st == SMTP_PATH_OK)
        ck_assert_str_eq(rest, rest2);
    else
        ck_assert_str_eq(why, why2);
}

START_TEST(test_path_plain_agrees)
{
    static const char alphabet[] = "a-.@>:\" ";
    size_t na = sizeof alphabet - 1;
    char m[8];
    for (size_t len = 0; len <= 5; len++) {
        for (size_t k = 0; k < strings_count(na, len); k++) {
            strings_nth(m, alphabet, na, len, k);
            if (m[0] == '@')
                continue; /* a route of its own: the routed form reads it otherwise */
            path_agrees(m, false, false);
            path_agrees(m, true, true);
        }
    }
    static const char *const named[] = {"postmaster", "Postmaster", "postmaster@x.org",
                                        "a.b@c-d.example", "a..b@c", "a@-c", "a@c-"};
    for (size_t i = 0; i < ARRAY_LEN(named); i++) {
        path_agrees(named[i], false, true);
        path_agrees(named[i], false, false);
    }
}
END_TEST

/* --- replies --------------------------------------------------------------- */

typedef struct asm_case {
    const char *lines[5];
    smtp_reply_asm_status_t want;
    int code;
    const char *enhanced;
    const char *text;
} asm_case_t;

static const asm_case_t asms[] = {
    {{"250 Ok"}, SMTP_ASM_DONE, 250, "", "Ok"},
    {{"250"}, SMTP_ASM_DONE, 250, "", ""},
    {{"550 5.1.1 User unknown"}, SMTP_ASM_DONE, 550, "5.1.1", "User unknown"},
    {{"250 5.1.1 wrong class"}, SMTP_ASM_DONE, 250, "", "5.1.1 wrong class"},
    {{"354 Go ahead"}, SMTP_ASM_DONE, 354, "", "Go ahead"},
    {{"250-mx.example", "250-PIPELINING", "250 SIZE 100"},
     SMTP_ASM_DONE,
     250,
     "",
     "mx.example\nPIPELINING\nSIZE 100"},
    {{"214-2.0.0 one", "214-2.0.0", "214 2.0.0 three"},
     SMTP_ASM_DONE,
     214,
     "2.0.0",
     "one\n\nthree"},
    {{"250-a", "251 b"}, SMTP_ASM_BAD, 0, NULL, NULL},
    {{"25"}, SMTP_ASM_BAD, 0, NULL, NULL},
    {{"250:x"}, SMTP_ASM_BAD, 0, NULL, NULL},
    {{"150 x"}, SMTP_ASM_BAD, 0, NULL, NULL},
    {{"abc def"}, SMTP_ASM_BAD, 0, NULL, NULL},
};

START_TEST(test_reply_assembly)
{
    const asm_case_t *c = &asms[_i];
    smtp_reply_asm_t a;
    smtp_reply_asm_init(&a);
    smtp_reply_t r = {0};
    smtp_reply_asm_status_t st = SMTP_ASM_MORE;
    for (size_t i = 0; c->lines[i]; i++) {
        ck_assert_msg(st == SMTP_ASM_MORE, "%s: done too early", c->lines[0]);
        st = smtp_reply_asm_line(&a, c->lines[i], strlen(c->lines[i]), &r);
    }
    ck_assert_msg(st == c->want, "%s: got %d, want %d", c->lines[0], st, c->want);
    if (st == SMTP_ASM_DONE) {
        ck_assert_int_eq(r.code, c->code);
        ck_assert_str_eq(r.enhanced, c->enhanced);
        ck_assert_str_eq(r.text, c->text);
    }
}
END_TEST

START_TEST(test_reply_format)
{
    buf_t out = BUF_INIT;
    smtp_reply_t r = smtp_reply_make(250, NULL, "mx.example\nPIPELINING\nSIZE 100");
    smtp_reply_format(&r, false, &out, NULL, NULL);
    ck_assert_str_eq(buf_cstr(&out), "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
    buf_reset(&out);
    r = smtp_reply_make(550, "5.1.1", "User unknown");
    smtp_reply_format(&r, true, &out, NULL, NULL);
    smtp_reply_format(&r, false, &out, NULL, NULL);
    r = smtp_reply_make(451, NULL, "Try later");
    smtp_reply_format(&r, true, &out, NULL, NULL);
    r = smtp_reply_make(354, "2.0.0", "Go");
    smtp_reply_format(&r, true, &out, NULL, NULL);
    r = smtp_reply_make(334, NULL, "%s", "");
    smtp_reply_format(&r, true, &out, NULL, NULL);
    ck_assert_str_eq(buf_cstr(&out), "550 5.1.1 User unknown\r\n550 User unknown\r\n"
                                     "451 4.0.0 Try later\r\n354 Go\r\n334 \r\n");
    buf_free(&out);
}
END_TEST

/* smtp_reply_vformat must give what vsnprintf gives, at every buffer size. */
static void check_vformat(const char *fmt, ...)
{
    static const size_t sizes[] = {0, 1, 2, 5, 17, 64, 1024};
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        char got[1024], want[1024];
        memset(got, 'x', sizeof got);
        memset(want, 'x', sizeof want);
        va_list ap, aq;
        va_start(ap, fmt);
        va_copy(aq, ap);
        size_t n = smtp_reply_vformat(got, sizes[i], fmt, ap);
        int wn = vsnprintf(want, sizes[i], fmt, aq);
        va_end(aq);
        va_end(ap);
        ck_assert_msg(n == (size_t)wn, "\"%s\" size %zu: length %zu, want %d", fmt, sizes[i], n,
                      wn);
        ck_assert_msg(memcmp(got, want, sizeof got) == 0,
                      "\"%s\" size %zu: \"%.*s\", want \"%.*s\"", fmt, sizes[i], (int)sizes[i], got,
                      (int)sizes[i], want);
    }
}

START_TEST(test_reply_vformat)
{
    check_vformat("Ok");
    check_vformat("");
    check_vformat("%s", "");
    check_vformat("%s", "mx.example ESMTP mailsim");
    check_vformat("Sender <%s> OK", "alice@alice.example");
    check_vformat("%s %s", "mx.example", "Service not available, closing transmission channel");
    check_vformat("limit %d octets, %d%%", 512, -7);
    check_vformat("%u %zu %llu", 0u, (size_t)123456789, 18446744073709551615ull);
    check_vformat("%d %d", 2147483647, -2147483647 - 1);
    check_vformat("width %5d and %-3s|", 42, "x"); /* not handled by hand: vsnprintf */
    check_vformat("%03d%c", 7, '-');
    check_vformat("%s and %ld", "mixed", 5L);
    check_vformat("%.3s", "truncated");
}
END_TEST

/* Replies assembled in a row on one assembler, without copies, after a bad line too. */
START_TEST(test_reply_asm_add)
{
    static const char *const lines[] = {"220 mx.example ESMTP", "250-mx.example", "250-SIZE 10",
                                        "250 8BITMIME",         "bogus",          "550 5.1.1 No",
                                        "250-2.0.0 a",          "250 2.0.0 b"};
    static const struct {
        smtp_reply_asm_status_t st;
        int code;
        const char *enhanced, *text;
    } want[] = {
        {SMTP_ASM_DONE, 220, "", "mx.example ESMTP"},
        {SMTP_ASM_MORE, 0, NULL, NULL},
        {SMTP_ASM_MORE, 0, NULL, NULL},
        {SMTP_ASM_DONE, 250, "", "mx.example\nSIZE 10\n8BITMIME"},
        {SMTP_ASM_BAD, 0, NULL, NULL},
        {SMTP_ASM_DONE, 550, "5.1.1", "No"},
        {SMTP_ASM_MORE, 0, NULL, NULL},
        {SMTP_ASM_DONE, 250, "2.0.0", "a\nb"},
    };
    smtp_reply_asm_t a, b;
    smtp_reply_asm_init(&a);
    smtp_reply_asm_init(&b);
    for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
        smtp_reply_t copy;
        smtp_reply_asm_status_t st = smtp_reply_asm_add(&a, lines[i], strlen(lines[i]));
        ck_assert_int_eq(smtp_reply_asm_line(&b, lines[i], strlen(lines[i]), &copy), st);
        ck_assert_msg(st == want[i].st, "%s: got %d, want %d", lines[i], st, want[i].st);
        if (st != SMTP_ASM_DONE)
            continue;
        ck_assert_int_eq(a.reply.code, want[i].code);
        ck_assert_str_eq(a.reply.enhanced, want[i].enhanced);
        ck_assert_str_eq(a.reply.text, want[i].text);
        ck_assert_int_eq(copy.code, want[i].code);
        ck_assert_str_eq(copy.enhanced, want[i].enhanced);
        ck_assert_str_eq(copy.text, want[i].text);
    }
}
END_TEST

typedef struct seen_lines {
    buf_t text;
    int codes;
} seen_lines_t;

static void see_line(void *ctx, line_dir_t dir, const char *verb, int code, const char *line)
{
    seen_lines_t *s = ctx;
    ck_assert_int_eq(dir, LINE_SERVER_TO_CLIENT);
    ck_assert_ptr_null(verb);
    buf_puts(&s->text, line);
    buf_putc(&s->text, '|');
    s->codes += code;
}

typedef struct write_case {
    int code;
    const char *enhanced; /* the reply's own; NULL for none */
    bool use_enhanced;
    const char *text;
    const char *wire;
} write_case_t;

static const write_case_t writes[] = {
    {250, NULL, false, "Ok", "250 Ok\r\n"},
    {250, "2.1.5", true, "Ok", "250 2.1.5 Ok\r\n"},
    {250, NULL, true, "Ok", "250 2.0.0 Ok\r\n"},
    {550, "5.1.1", false, "No", "550 No\r\n"},
    {354, "2.0.0", true, "Go", "354 Go\r\n"},
    {250, NULL, false, "a\nb\nc", "250-a\r\n250-b\r\n250 c\r\n"},
    {421, "4.4.2", true, "x\n\ny", "421-4.4.2 x\r\n421-4.4.2\r\n421 4.4.2 y\r\n"},
    {250, NULL, true, "", "250 2.0.0\r\n"},
    {334, NULL, true, "", "334 \r\n"},
    {550, NULL, false, "cr\rin\r\rtext\r", "550 cr in  text \r\n"},
    {1000, NULL, false, "big", "1000 big\r\n"},
    {-5, NULL, false, "neg", "-05 neg\r\n"},
    {7, NULL, false, "small", "007 small\r\n"},
};

START_TEST(test_reply_write)
{
    const write_case_t *c = &writes[_i];
    smtp_reply_t r = smtp_reply_make(c->code, c->enhanced, "%s", c->text);
    seen_lines_t seen = {BUF_INIT, 0};
    buf_t out = BUF_INIT;
    buf_puts(&out, "before\r\n");
    smtp_reply_format(&r, c->use_enhanced, &out, see_line, &seen);
    ck_assert_str_eq(buf_cstr(&out) + 8, c->wire);
    /* What on_line saw is each wire line without its CRLF. */
    buf_t want_seen = BUF_INIT;
    for (const char *p = c->wire, *crlf; (crlf = strstr(p, "\r\n")) != NULL; p = crlf + 2) {
        buf_append(&want_seen, p, (size_t)(crlf - p));
        buf_putc(&want_seen, '|');
    }
    ck_assert_str_eq(buf_cstr(&seen.text), buf_cstr(&want_seen));
    /* smtp_reply_write with the enhanced code the format chose gives the same bytes. */
    buf_t direct = BUF_INIT;
    const char *enh = NULL;
    char dflt[SMTP_ENHANCED_MAX];
    int cls = c->code / 100;
    if (c->use_enhanced && (cls == 2 || cls == 4 || cls == 5))
        enh = smtp_reply_enhanced_or_default(&r, dflt, sizeof dflt);
    smtp_reply_write(c->code, enh, c->text, strlen(c->text), &direct, NULL, NULL);
    ck_assert_str_eq(buf_cstr(&direct), c->wire);
    buf_free(&direct);
    buf_free(&want_seen);
    buf_free(&seen.text);
    buf_free(&out);
}
END_TEST

/* --- EHLO keywords ------------------------------------------------------------ */

typedef struct ehlo_case {
    const char *lines[4];
    unsigned extensions;
    uint64_t max_size;
    unsigned auth_mechs;
} ehlo_case_t;

static const ehlo_case_t ehlos[] = {
    {{"PIPELINING", "SIZE 10000000", "8BITMIME", "ENHANCEDSTATUSCODES"},
     SMTP_EXT_DEFAULT,
     10000000,
     0},
    {{"pipelining", "size", "8bitMIME"},
     SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME,
     0,
     0},
    {{"  SIZE   42  "}, SMTP_EXT_SIZE, 42, 0},
    {{"SIZE 12x"}, SMTP_EXT_SIZE, 0, 0},
    {{"SIZE -1"}, SMTP_EXT_SIZE, 0, 0},
    {{"SIZE 18446744073709551615"}, SMTP_EXT_SIZE, UINT64_MAX, 0},
    {{"SIZE 18446744073709551616"}, SMTP_EXT_SIZE, UINT64_MAX, 0},
    {{"SIZE 18446744073709551614"}, SMTP_EXT_SIZE, UINT64_MAX - 1, 0},
    {{"SIZE 18446744073709551619"}, SMTP_EXT_SIZE, UINT64_MAX, 0},
    {{"SIZE 18446744073709551609"}, SMTP_EXT_SIZE, UINT64_MAX - 6, 0},
    {{"SIZE 1844674407370955161"}, SMTP_EXT_SIZE, UINT64_MAX / 10, 0},
    {{"SIZE 184467440737095516150"}, SMTP_EXT_SIZE, UINT64_MAX, 0},
    {{"SIZE 99999999999999999999999999999999999"}, SMTP_EXT_SIZE, UINT64_MAX, 0},
    /* Only the first 31 octets of the number are read. */
    {{"SIZE 0000000000000000000000000001234x"}, SMTP_EXT_SIZE, 1234, 0},
    {{"SIZE 00000000000000000000000000001234"}, SMTP_EXT_SIZE, 123, 0},
    {{"SIZE 100", "SIZE"}, SMTP_EXT_SIZE, 0, 0},
    {{"AUTH PLAIN LOGIN"}, SMTP_EXT_AUTH, 0, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN},
    {{"AUTH CRAM-MD5 login"}, SMTP_EXT_AUTH, 0, SMTP_AUTH_LOGIN},
    {{"AUTH PLAINX LOGI", "AUTH"}, SMTP_EXT_AUTH, 0, 0},
    {{"AUTH=PLAIN"}, 0, 0, 0},
    {{"PIPELININGX", "PIPELININ", "DSN", ""}, 0, 0, 0},
    {{"   "}, 0, 0, 0},
};

START_TEST(test_ehlo_keywords)
{
    const ehlo_case_t *c = &ehlos[_i];
    smtp_ehlo_info_t info = {0};
    for (size_t i = 0; i < ARRAY_LEN(c->lines) && c->lines[i]; i++)
        smtp_ehlo_parse_keyword(&info, c->lines[i]);
    ck_assert_msg(info.extensions == c->extensions, "%s: extensions %u, want %u", c->lines[0],
                  info.extensions, c->extensions);
    ck_assert_msg(info.max_size == c->max_size, "%s: size %llu, want %llu", c->lines[0],
                  (unsigned long long)info.max_size, (unsigned long long)c->max_size);
    ck_assert_msg(info.auth_mechs == c->auth_mechs, "%s: mechs %u, want %u", c->lines[0],
                  info.auth_mechs, c->auth_mechs);
}
END_TEST

Suite *smtp_syntax_suite(void)
{
    Suite *s = suite_create("smtp_syntax");
    TCase *addr = tcase_create("addresses");
    tcase_add_loop_test(addr, test_paths, 0, (int)ARRAY_LEN(paths));
    tcase_add_test(addr, test_path_too_long);
    tcase_add_test(addr, test_path_garbage_has_no_line_end);
    tcase_add_test(addr, test_path_octets);
    tcase_add_test(addr, test_mailbox_plain);
    tcase_add_test(addr, test_path_plain_agrees);
    tcase_add_test(addr, test_params);
    suite_add_tcase(s, addr);
    TCase *auth = tcase_create("auth");
    tcase_add_loop_test(auth, test_base64, 0, (int)ARRAY_LEN(b64s));
    tcase_add_test(auth, test_plain_message);
    suite_add_tcase(s, auth);
    TCase *replies = tcase_create("replies");
    tcase_add_loop_test(replies, test_reply_assembly, 0, (int)ARRAY_LEN(asms));
    tcase_add_test(replies, test_reply_format);
    tcase_add_test(replies, test_reply_vformat);
    tcase_add_loop_test(replies, test_ehlo_keywords, 0, (int)ARRAY_LEN(ehlos));
    tcase_add_test(replies, test_reply_asm_add);
    tcase_add_loop_test(replies, test_reply_write, 0, (int)ARRAY_LEN(writes));
    suite_add_tcase(s, replies);
    return s;
}
