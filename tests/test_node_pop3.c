/*
 * POP3 end to end: Roberto's user agent reads his mail (the lecture's step
 * 6), deleting it from the server or keeping it there; a session cut off
 * before QUIT deletes nothing; the password is visible on the wire.
 */
#include <check.h>
#include <string.h>

#include "net/tcp.h"
#include "node/accounting.h"
#include "node_fixture.h"
#include "proto/smtp_ext.h"

static size_t local_count(user_agent_t *a)
{
    store_t *st = agent_local_store(a);
    if (!st)
        return 0;
    return store_folder_msg_count(store_inbox(store_user_at(st, 0)));
}

static void fetch(fixture_t *f, bool keep)
{
    char err[200];
    ck_assert_msg(agent_fetch(f->roberto_pc, keep, err, sizeof err), "%s", err);
}

START_TEST(test_fetch_and_delete)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "Γεια σου", "Καλημέρα\n");
    world_run_until(f.w, 10 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    fetch(&f, false);
    world_run_until(f.w, 20 * SIM_MIN);
    ck_assert_uint_eq(local_count(f.roberto_pc), 1);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 0);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_USER_FETCH, "roberto-pc"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_MAILBOX_DELETE, "mail.roberto.example"), 1);
    /* The fetched copy keeps its label, and the password crossed the wire in clear. */
    const store_msg_t *m = store_msg_by_seq(store_inbox(store_user_at(agent_local_store(f.roberto_pc), 0)), 1);
    ck_assert_str_eq(store_msg_label(m), "m1");
    bool saw_pass = false;
    for (size_t i = 0; i < f.rec.n; i++) {
        const trace_event_t *ev = f.rec.events[i];
        if (ev->kind == TRACE_POP3_COMMAND && ev->verb && strcmp(ev->verb, "PASS") == 0)
            saw_pass = strcmp(ev->line, "PASS secret") == 0 && ev->port == 110;
    }
    ck_assert(saw_pass);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_keep_fetches_only_new)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "first", "1\n");
    world_run_until(f.w, 10 * SIM_MIN);
    fetch(&f, true);
    world_run_until(f.w, 20 * SIM_MIN);
    ck_assert_uint_eq(local_count(f.roberto_pc), 1);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    fetch(&f, true);
    world_run_until(f.w, 30 * SIM_MIN);
    ck_assert_uint_eq(local_count(f.roberto_pc), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_USER_FETCH, "roberto-pc"), 1);
    fixture_send(&f, "m2", "roberto@roberto.example", "second", "2\n");
    world_run_until(f.w, 40 * SIM_MIN);
    fetch(&f, true);
    world_run_until(f.w, 50 * SIM_MIN);
    ck_assert_uint_eq(local_count(f.roberto_pc), 2);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 2);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_USER_FETCH, "roberto-pc"), 2);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_cut_off_before_quit_deletes_nothing)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "keep me", "1\n");
    world_run_until(f.w, 10 * SIM_MIN);
    const char *lines[] = {"USER roberto", "PASS secret", "DELE 1"};
    char err[200];
    ck_assert(agent_session(f.roberto_pc, "mail.roberto.example", 110, lines, 3, err, sizeof err));
    world_run_until(f.w, 20 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_MAILBOX_DELETE, NULL), 0);
    /* The lock went with the session: a normal fetch works afterwards. */
    fetch(&f, false);
    world_run_until(f.w, 30 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 0);
    ck_assert_uint_eq(local_count(f.roberto_pc), 1);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_wrong_password)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "x", "1\n");
    world_run_until(f.w, 10 * SIM_MIN);
    const char *lines[] = {"USER roberto", "PASS wrong", "QUIT"};
    char err[200];
    ck_assert(agent_session(f.roberto_pc, "mail.roberto.example", 110, lines, 3, err, sizeof err));
    world_run_until(f.w, 20 * SIM_MIN);
    size_t errs = 0;
    for (size_t i = 0; i < f.rec.n; i++) {
        const trace_event_t *ev = f.rec.events[i];
        if (ev->kind == TRACE_POP3_REPLY && ev->status && strcmp(ev->status, "-ERR") == 0)
            errs++;
    }
    ck_assert_uint_eq(errs, 1);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    fixture_free(&f);
}
END_TEST

typedef struct idle_client {
    buf_t got;
    bool closed;
} idle_client_t;

static void idle_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    buf_append(&((idle_client_t *)ctx)->got, data, len);
}

static void idle_peer_closed(tcp_conn_t *c, void *ctx)
{
    ((idle_client_t *)ctx)->closed = true;
    tcp_close(c);
}

START_TEST(test_auto_logout_after_10_idle_minutes)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    idle_client_t ic = {BUF_INIT, false};
    tcp_callbacks_t cb = {.on_data = idle_data, .on_peer_closed = idle_peer_closed};
    tcp_conn_t *c = tcp_connect(world_net(f.w), agent_host(f.roberto_pc),
                                host_addr(server_host(f.roberto_srv)), 110, &cb, &ic);
    world_run_until(f.w, SIM_MIN);
    ck_assert_msg(strncmp(buf_cstr(&ic.got), "+OK", 3) == 0, "%s", buf_cstr(&ic.got));
    tcp_send(c, "USER roberto\r\n", 14);
    world_run_until(f.w, 10 * SIM_MIN);
    ck_assert(!ic.closed);
    world_run_until(f.w, 12 * SIM_MIN);
    ck_assert(ic.closed);
    buf_free(&ic.got);
    fixture_free(&f);
}
END_TEST

Suite *node_pop3_suite(void)
{
    Suite *s = suite_create("node_pop3");
    TCase *tc = tcase_create("end_to_end");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fetch_and_delete);
    tcase_add_test(tc, test_keep_fetches_only_new);
    tcase_add_test(tc, test_cut_off_before_quit_deletes_nothing);
    tcase_add_test(tc, test_wrong_password);
    tcase_add_test(tc, test_auto_logout_after_10_idle_minutes);
    suite_add_tcase(s, tc);
    return s;
}
