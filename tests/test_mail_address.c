/* Address lists (RFC 5322 3.4): display names, groups, comments, encoded names. */
#include <check.h>
#include <string.h>

#include "mail/address.h"

/* The parsed list as text: mailboxes "[name|address]", groups "{name: ... }". */
static void describe(const addr_list_t *list, buf_t *out)
{
    for (size_t i = 0; i < list->count; i++) {
        const addr_t *a = &list->items[i];
        switch (a->kind) {
        case ADDR_MAILBOX:
            buf_printf(out, "[%s|%s]", a->name ? a->name : "", a->address);
            break;
        case ADDR_GROUP_START:
            buf_printf(out, "{%s:", a->name ? a->name : "");
            break;
        case ADDR_GROUP_END:
            buf_puts(out, "}");
            break;
        }
    }
}

static const struct {
    const char *in;
    const char *want;
    int rc;
} lists[] = {
    {"alice@alice.example", "[|alice@alice.example]", 0},
    {"Alice <alice@alice.example>", "[Alice|alice@alice.example]", 0},
    {"\"Doe, John\" <john@x.example>, b@y.example", "[Doe, John|john@x.example][|b@y.example]", 0},
    {"\"Quote \\\"me\\\"\" <q@x>", "[Quote \"me\"|q@x]", 0},
    {"John Q. Public <jqp@x>", "[John Q. Public|jqp@x]", 0},
    {"=?UTF-8?B?zqHOv868z4DOrc+Bz4TOvw==?= <roberto@roberto.example>",
     "[Ρομπέρτο|roberto@roberto.example]", 0},
    {"=?ISO-8859-7?Q?=D1=EF=EC=F0=DD=F1=F4=EF?= <r@x>", "[Ρομπέρτο|r@x]", 0},
    {"\"=?UTF-8?B?zpHOu86vzrrOtw==?=\" <alice@x>", "[Αλίκη|alice@x]", 0}, /* quoted, not standard */
    {"undisclosed-recipients:;", "{undisclosed-recipients:}", 0},
    {"Team: a@x, Bob <b@y>;, c@z", "{Team:[|a@x][Bob|b@y]}[|c@z]", 0},
    {"alice@alice.example (Alice Liddell)", "[Alice Liddell|alice@alice.example]", 0},
    {"Alice (the sender) <alice (home) @ alice.example>", "[Alice|alice@alice.example]", 0},
    {"<@route.example,@other.example:a@x>", "[|a@x]", 0}, /* obsolete route dropped */
    {"\"john doe\"@x.example", "[|\"john doe\"@x.example]", 0},
    {"a@[192.0.2.1]", "[|a@[192.0.2.1]]", 0},
    {" , a@x ,, b@y , ", "[|a@x][|b@y]", 0},
    {"", "", 0},
    /* malformed, read as far as sensible */
    {"roberto", "[|roberto]", -1},
    {"Alice <alice@x", "[Alice|alice@x]", -1},
    {"\"unclosed <a@x>", "[|\"unclosed <a@x>\"]", -1},
    {"a@x;", "[|a@x]", -1},
    {"Team: a@x", "{Team:[|a@x]}", -1},
    {"<>", "[|\"\"]", -1},
    {"Name <a@x> junk, b@y", "[Name|a@x][|junk][|b@y]", -1},
};

START_TEST(test_parse_lists)
{
    addr_list_t list;
    addr_list_init(&list);
    int rc = addr_list_parse(lists[_i].in, strlen(lists[_i].in), &list);
    buf_t got = BUF_INIT;
    describe(&list, &got);
    ck_assert_msg(strcmp(buf_cstr(&got), lists[_i].want) == 0, "\"%s\": got %s, want %s",
                  lists[_i].in, buf_cstr(&got), lists[_i].want);
    ck_assert_msg(rc == lists[_i].rc, "\"%s\": rc %d, want %d", lists[_i].in, rc, lists[_i].rc);
    buf_free(&got);
    addr_list_free(&list);
}
END_TEST

START_TEST(test_parts_and_raw_name)
{
    addr_list_t list;
    addr_list_init(&list);
    const char *in = "=?UTF-8?B?zpHOu86vzrrOtw==?= <alice@alice.example>, x:;";
    addr_list_parse(in, strlen(in), &list);
    ck_assert_uint_eq(addr_list_mailbox_count(&list), 1);
    const addr_t *a = &list.items[addr_list_mailbox_at(&list, 0)];
    ck_assert_str_eq(a->local, "alice");
    ck_assert_str_eq(a->domain, "alice.example");
    ck_assert_str_eq(a->name, "Αλίκη");
    ck_assert_str_eq(a->name_raw, "=?UTF-8?B?zpHOu86vzrrOtw==?=");
    ck_assert_uint_eq(addr_list_mailbox_at(&list, 1), list.count);
    addr_list_free(&list);
}
END_TEST

static const struct {
    const char *in;
    const char *want;
} formats[] = {
    {"Alice <alice@x>", "Alice <alice@x>"},
    {"\"Doe, John\" <j@x>", "\"Doe, John\" <j@x>"},
    {"John Q. Public <jqp@x>", "\"John Q. Public\" <jqp@x>"},
    {"Αλίκη <alice@alice.example>", "=?UTF-8?B?zpHOu86vzrrOtw==?= <alice@alice.example>"},
    {"undisclosed-recipients:;", "undisclosed-recipients:;"},
    {"Team: a@x, b@y;, c@z", "Team: a@x, b@y;, c@z"},
    {"\"john doe\"@x", "\"john doe\"@x"},
};

/* Writing then reading gives the same list; names that need it are quoted or encoded. */
START_TEST(test_format_round_trip)
{
    addr_list_t list, again;
    addr_list_init(&list);
    addr_list_init(&again);
    addr_list_parse(formats[_i].in, strlen(formats[_i].in), &list);
    buf_t text = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
    addr_list_format(&list, &text);
    ck_assert_msg(strcmp(buf_cstr(&text), formats[_i].want) == 0, "\"%s\": wrote %s, want %s",
                  formats[_i].in, buf_cstr(&text), formats[_i].want);
    ck_assert_int_eq(addr_list_parse(buf_cstr(&text), text.len, &again), 0);
    describe(&list, &a);
    describe(&again, &b);
    ck_assert_str_eq(buf_cstr(&a), buf_cstr(&b));
    buf_free(&text);
    buf_free(&a);
    buf_free(&b);
    addr_list_free(&list);
    addr_list_free(&again);
}
END_TEST

START_TEST(test_add_and_format)
{
    addr_list_t list;
    addr_list_init(&list);
    addr_list_add(&list, "Ρομπέρτο", "roberto", "roberto.example");
    addr_list_add(&list, NULL, "alice", "alice.example");
    buf_t out = BUF_INIT;
    addr_list_format(&list, &out);
    ck_assert_str_eq(buf_cstr(&out),
                     "=?UTF-8?B?zqHOv868z4DOrc+Bz4TOvw==?= <roberto@roberto.example>, "
                     "alice@alice.example");
    buf_free(&out);
    addr_list_free(&list);
}
END_TEST

Suite *mail_address_suite(void)
{
    Suite *s = suite_create("mail_address");
    TCase *tc = tcase_create("lists");
    tcase_add_loop_test(tc, test_parse_lists, 0, (int)(sizeof lists / sizeof lists[0]));
    tcase_add_test(tc, test_parts_and_raw_name);
    tcase_add_loop_test(tc, test_format_round_trip, 0, (int)(sizeof formats / sizeof formats[0]));
    tcase_add_test(tc, test_add_and_format);
    suite_add_tcase(s, tc);
    return s;
}
