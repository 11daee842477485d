/* The trace bus, field access by name, copies and the two formatters; buffers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/trace.h"
#include "core/util.h"

typedef struct counter {
    int n;
    trace_kind_t last;
} counter_t;

static void count_event(void *ctx, const trace_event_t *ev)
{
    counter_t *c = ctx;
    c->n++;
    c->last = ev->kind;
}

START_TEST(test_bus_subscribe_emit)
{
    trace_bus_t bus;
    trace_bus_init(&bus);
    ck_assert(!trace_enabled(&bus));
    counter_t a = {0}, b = {0};
    trace_subscribe(&bus, count_event, &a);
    trace_subscribe(&bus, count_event, &b);
    ck_assert(trace_enabled(&bus));
    trace_event_t ev;
    trace_event_init(&ev, 5, TRACE_SMTP_COMMAND, "mail.alice.example");
    trace_emit(&bus, &ev);
    trace_unsubscribe(&bus, count_event, &a);
    trace_emit(&bus, &ev);
    ck_assert_int_eq(a.n, 1);
    ck_assert_int_eq(b.n, 2);
    ck_assert_int_eq(b.last, TRACE_SMTP_COMMAND);
    trace_bus_free(&bus);
}
END_TEST

START_TEST(test_kind_names)
{
    ck_assert_str_eq(trace_kind_name(TRACE_TCP_SEGMENT), "tcp.segment");
    ck_assert_str_eq(trace_kind_name(TRACE_WALKTHROUGH_STEP), "walkthrough.step");
    ck_assert_int_eq(trace_kind_from_name("queue.enqueue"), TRACE_QUEUE_ENQUEUE);
    ck_assert_int_eq(trace_kind_from_name("queue.enqueued"), -1);
    for (int k = 0; k < TRACE_KIND_COUNT; k++)
        ck_assert_int_eq(trace_kind_from_name(trace_kind_name((trace_kind_t)k)), k);
}
END_TEST

START_TEST(test_fields_by_name)
{
    trace_event_t ev;
    trace_event_init(&ev, 1250000, TRACE_SMTP_REPLY, "mail.alice.example");
    ev.code = 250;
    ev.line = "250 OK";
    trace_value_t v;
    ck_assert(trace_event_field(&ev, "code", &v));
    ck_assert_int_eq(v.type, TRACE_FIELD_INT);
    ck_assert_int_eq(v.i, 250);
    ck_assert(trace_event_field(&ev, "host", &v));
    ck_assert_str_eq(v.s, "mail.alice.example");
    ck_assert(trace_event_field(&ev, "kind", &v));
    ck_assert_str_eq(v.s, "smtp.reply");
    ck_assert(trace_event_field(&ev, "verb", &v));
    ck_assert_int_eq(v.type, TRACE_FIELD_ABSENT);
    ck_assert(!trace_event_field(&ev, "nonsense", &v));
    for (size_t i = 0; trace_field_names[i]; i++)
        ck_assert_msg(trace_event_field(&ev, trace_field_names[i], &v), "%s", trace_field_names[i]);
}
END_TEST

START_TEST(test_formatters)
{
    trace_event_t ev;
    trace_event_init(&ev, 1250000, TRACE_SMTP_COMMAND, "mail.alice.example");
    ev.from = "mail.alice.example";
    ev.to = "mail.roberto.example";
    ev.session = 3;
    ev.verb = "MAIL";
    ev.line = "MAIL FROM:<alice@alice.example> \"q\"\t\x01";
    buf_t b = BUF_INIT;
    trace_format_json(&ev, &b);
    ck_assert_str_eq(buf_cstr(&b),
                     "{\"t\":1250000,\"kind\":\"smtp.command\",\"host\":\"mail.alice.example\","
                     "\"from\":\"mail.alice.example\",\"to\":\"mail.roberto.example\",\"session\":3,"
                     "\"verb\":\"MAIL\",\"line\":\"MAIL FROM:<alice@alice.example> \\\"q\\\"\\t\\u0001\"}");
    buf_reset(&b);
    trace_format_text(&ev, &b);
    ck_assert_msg(strstr(buf_cstr(&b), "0:00:01.250000 mail.alice.example") == buf_cstr(&b), "%s",
                  buf_cstr(&b));
    ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "verb=MAIL"));
    ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "| MAIL FROM:<alice@alice.example>"));
    buf_free(&b);
}
END_TEST

START_TEST(test_json_utf8)
{
    buf_t b = BUF_INIT;
    json_put_string(&b, "Γεια \xff!");
    ck_assert_str_eq(buf_cstr(&b), "\"Γεια \xef\xbf\xbd!\"");
    buf_free(&b);
}
END_TEST

START_TEST(test_event_copy)
{
    uint8_t payload[3] = {1, 2, 3};
    char line[] = "EHLO x";
    trace_event_t ev;
    trace_event_init(&ev, 7, TRACE_TCP_SEGMENT, "a");
    ev.line = line;
    ev.payload = payload;
    ev.payload_len = 3;
    trace_event_t *c = trace_event_copy(&ev);
    line[0] = 'X';
    payload[0] = 9;
    ck_assert_str_eq(c->line, "EHLO x");
    ck_assert_int_eq(c->payload[0], 1);
    ck_assert_str_eq(c->host, "a");
    trace_event_free_copy(c);
}
END_TEST

START_TEST(test_buf)
{
    buf_t b = BUF_INIT;
    ck_assert_str_eq(buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    ck_assert_uint_eq(b.len, strlen(buf_cstr(&b)));
    buf_consume(&b, 4);
    ck_assert(strncmp(buf_cstr(&b), "2,3,", 4) == 0);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    buf_reset(&b);
    buf_printf(&b, "<%s>", big);
    ck_assert_uint_eq(b.len, 601);
    ck_assert_int_eq(b.data[600], '>');
    size_t n;
    char *s = buf_steal(&b, &n);
    ck_assert_uint_eq(n, 601);
    ck_assert_ptr_null(b.data);
    free(s);
    ck_assert_uint_eq(str_edit_distance("latncy", "latency"), 1);
    ck_assert_int_eq(str_casecmp("EHLO", "ehlo"), 0);
    ck_assert(str_has_prefix_ci("MAIL FROM:<>", "mail from:"));
}
END_TEST

Suite *core_trace_suite(void)
{
    Suite *s = suite_create("core_trace");
    TCase *tc = tcase_create("trace");
    tcase_add_test(tc, test_bus_subscribe_emit);
    tcase_add_test(tc, test_kind_names);
    tcase_add_test(tc, test_fields_by_name);
    tcase_add_test(tc, test_formatters);
    tcase_add_test(tc, test_json_utf8);
    tcase_add_test(tc, test_event_copy);
    tcase_add_test(tc, test_buf);
    suite_add_tcase(s, tc);
    return s;
}
