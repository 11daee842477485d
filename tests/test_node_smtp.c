/*
 * The mail servers end to end through the C API: Alice's message over
 * submission, the queue, MX, SMTP to Roberto's server and his mailbox; and
 * what happens when things go wrong.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "net/dns.h"
#include "net/net.h"
#include "net/tcp.h"
#include "mail/message.h"
#include "node/accounting.h"
#include "node/node_private.h"
#include "node/service.h"
#include "node_fixture.h"
#include "proto/smtp_ext.h"

START_TEST(test_alice_to_roberto)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "Γεια σου", "Καλημέρα Ρομπέρτο!\n");
    world_run_until(f.w, SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    /* The lecture's steps, in order. */
    sim_time_t send = recorder_time(&f.rec, TRACE_USER_SEND, "alice-pc", 0);
    sim_time_t enq = recorder_time(&f.rec, TRACE_QUEUE_ENQUEUE, "mail.alice.example", 0);
    sim_time_t store = recorder_time(&f.rec, TRACE_MAILBOX_STORE, "mail.roberto.example", 0);
    ck_assert_int_eq(send, 0);
    ck_assert_int_gt(enq, send);
    ck_assert_int_gt(store, enq);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_RELAY, "mail.alice.example"), 1);
    ck_assert_uint_eq(server_queue_count(f.alice_srv), 0);
    buf_t text = BUF_INIT;
    inbox_text(f.roberto_srv, "roberto", 1, &text);
    ck_assert_str_eq(buf_cstr(&text), "Καλημέρα Ρομπέρτο!\r\n");
    buf_free(&text);
    /* Return-Path and one Received per hop. */
    store_user_t *u = store_find_user(server_store(f.roberto_srv), "roberto");
    const store_msg_t *m = store_msg_by_seq(store_inbox(u), 1);
    const char *data = (const char *)store_msg_data(m);
    ck_assert_msg(strncmp(data, "Return-Path: <alice@alice.example>\r\n", 36) == 0, "%.80s", data);
    size_t received = 0;
    for (const char *p = data; (p = strstr(p, "\r\nReceived: ")); p++)
        received++;
    ck_assert_uint_eq(received, 2);
    ck_assert_str_eq(store_msg_label(m), "m1");
    ck_assert(accounting_ok(f.w));
    const agent_outcome_t *o = agent_outcome_at(f.alice_pc, 0);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->code, 250);
    fixture_free(&f);
}
END_TEST

START_TEST(test_down_45_minutes_retries_every_30)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    world_host_down(f.w, "mail.roberto.example");
    fixture_send(&f, "m1", "roberto@roberto.example", "retry", "later\n");
    world_run_until(f.w, 45 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 0);
    ck_assert_uint_eq(server_queue_count(f.alice_srv), 1);
    ck_assert(accounting_ok(f.w));
    world_host_up(f.w, "mail.roberto.example");
    world_run_until(f.w, 3 * SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_ATTEMPT, "mail.alice.example"), 3);
    sim_time_t want[] = {0, 30 * SIM_MIN, 60 * SIM_MIN};
    for (size_t i = 0; i < 3; i++) {
        sim_time_t t = recorder_time(&f.rec, TRACE_QUEUE_ATTEMPT, "mail.alice.example", i);
        ck_assert_msg(t >= want[i] && t < want[i] + SIM_SEC, "attempt %zu at %lld, want ~%lld",
                      i + 1, (long long)t, (long long)want[i]);
    }
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_DEFER, "mail.alice.example"), 2);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_unknown_user_bounces)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "nobody@roberto.example", "hello?", "anyone\n");
    world_run_until(f.w, SIM_HOUR);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_BOUNCE, "mail.alice.example"), 1);
    ck_assert_uint_eq(inbox_count(f.alice_srv, "alice"), 1);
    store_user_t *u = store_find_user(server_store(f.alice_srv), "alice");
    const store_msg_t *m = store_msg_by_seq(store_inbox(u), 1);
    const char *data = (const char *)store_msg_data(m);
    ck_assert_ptr_nonnull(strstr(data, "Return-Path: <>"));
    ck_assert_ptr_nonnull(strstr(data, "MAILER-DAEMON@mail.alice.example"));
    ck_assert_ptr_nonnull(strstr(data, "multipart/report"));
    ck_assert_ptr_nonnull(strstr(data, "Final-Recipient: rfc822; nobody@roberto.example"));
    ck_assert_ptr_nonnull(strstr(data, "Status: 5.1.1"));
    ck_assert_ptr_nonnull(strstr(data, "Remote-MTA: dns; mail.roberto.example"));
    ck_assert_ptr_nonnull(strstr(data, "Diagnostic-Code: smtp; 550 5.1.1"));
    ck_assert_uint_eq(server_queue_count(f.alice_srv), 0);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_backup_mx)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    server_config_t cfg;
    server_config_default(&cfg);
    cfg.host = "backup.roberto.example";
    cfg.addr = 0xC6336415u;
    char err[200];
    mail_server_t *backup = world_add_server(f.w, &cfg, err, sizeof err);
    ck_assert_msg(backup != NULL, "%s", err);
    dns_mx_t mx[] = {{"backup.roberto.example", 20}, {"mail.roberto.example", 10}};
    dns_set_mx(world_dns(f.w), "roberto.example", mx, 2);
    world_host_down(f.w, "mail.roberto.example");
    fixture_send(&f, "m1", "roberto@roberto.example", "via backup", "hello\n");
    world_run_until(f.w, 20 * SIM_MIN);
    ck_assert_uint_eq(server_queue_count(f.alice_srv), 0);
    ck_assert_uint_eq(server_queue_count(backup), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_RELAY, "mail.alice.example"), 1);
    ck_assert(accounting_ok(f.w));
    world_host_up(f.w, "mail.roberto.example");
    world_run_until(f.w, 2 * SIM_HOUR);
    ck_assert_uint_eq(server_queue_count(backup), 0);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_RELAY, "backup.roberto.example"), 1);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_three_messages_one_connection)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "one", "1\n");
    fixture_send(&f, "m2", "roberto@roberto.example", "two", "2\n");
    fixture_send(&f, "m3", "roberto@roberto.example", "three", "3\n");
    world_run_until(f.w, SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 3);
    /* One connection from Alice's server to Roberto's port 25, three DATA on it. */
    size_t conns = 0, datas = 0;
    int64_t session = -1;
    for (size_t i = 0; i < f.rec.n; i++) {
        const trace_event_t *ev = f.rec.events[i];
        if (ev->kind == TRACE_TCP_ESTABLISHED && ev->port == 25 && ev->host &&
            strcmp(ev->host, "mail.alice.example") == 0) {
            conns++;
            session = ev->session;
        }
        if (ev->kind == TRACE_SMTP_COMMAND && ev->verb && strcmp(ev->verb, "DATA") == 0 &&
            ev->port == 25) {
            datas++;
            ck_assert_int_eq(ev->session, session);
        }
    }
    ck_assert_uint_eq(conns, 1);
    ck_assert_uint_eq(datas, 3);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_open_relay_refused)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    char err[200];
    user_agent_t *mallory =
        world_add_agent(f.w, "mallory-pc", 0xCB00710Au, NULL, NULL, NULL, err, sizeof err);
    ck_assert_msg(mallory != NULL, "%s", err);
    const char *to = "victim@elsewhere.example";
    agent_send_t m = {.id = "spam",
                      .from = "alice@alice.example",
                      .to = &to,
                      .nto = 1,
                      .subject = "relay me",
                      .body = "buy now\n",
                      .via_host = "mail.roberto.example",
                      .via_port = 25};
    ck_assert_msg(agent_send(mallory, &m, err, sizeof err), "%s", err);
    world_run_until(f.w, SIM_HOUR);
    const agent_outcome_t *o = agent_outcome_at(mallory, 0);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->code, 554);
    ck_assert_msg(strstr(o->text, "5.7.1") != NULL, "%s", o->text);
    ck_assert_uint_eq(server_queue_count(f.roberto_srv), 0);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_ENQUEUE, NULL), 0);
    /* A spoofed From to a local user is accepted: SMTP does not authenticate senders. */
    const char *to2 = "roberto@roberto.example";
    agent_send_t spoof = {.id = "spoof",
                          .from = "alice@alice.example",
                          .to = &to2,
                          .nto = 1,
                          .subject = "from Alice (really?)",
                          .body = "hi\n",
                          .via_host = "mail.roberto.example",
                          .via_port = 25};
    ck_assert(agent_send(mallory, &spoof, err, sizeof err));
    world_run_until(f.w, 2 * SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_seven_bit_downgrade)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT & ~(unsigned)SMTP_EXT_8BITMIME);
    const char *greek = "Αγαπητέ Ρομπέρτο, τα λέμε αύριο.\n";
    fixture_send(&f, "m1", "roberto@roberto.example", "Ελληνικά", greek);
    world_run_until(f.w, SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    store_user_t *u = store_find_user(server_store(f.roberto_srv), "roberto");
    const store_msg_t *m = store_msg_by_seq(store_inbox(u), 1);
    const uint8_t *data = store_msg_data(m);
    for (size_t i = 0; i < store_msg_size(m); i++)
        ck_assert_msg(data[i] < 0x80, "8-bit octet at %zu", i);
    ck_assert_ptr_nonnull(strstr((const char *)data, "quoted-printable"));
    buf_t text = BUF_INIT;
    inbox_text(f.roberto_srv, "roberto", 1, &text);
    ck_assert_str_eq(buf_cstr(&text), "Αγαπητέ Ρομπέρτο, τα λέμε αύριο.\r\n");
    buf_free(&text);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_give_up_after_lifetime)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    world_host_down(f.w, "mail.roberto.example");
    fixture_send(&f, "m1", "roberto@roberto.example", "lost", "gone\n");
    world_run_until(f.w, 4 * SIM_DAY);
    ck_assert_uint_eq(server_queue_count(f.alice_srv), 1);
    ck_assert(accounting_ok(f.w));
    world_run_until(f.w, 6 * SIM_DAY);
    ck_assert_uint_eq(server_queue_count(f.alice_srv), 0);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_BOUNCE, "mail.alice.example"), 1);
    ck_assert_uint_eq(inbox_count(f.alice_srv, "alice"), 1);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_crash_keeps_queue)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    world_host_down(f.w, "mail.roberto.example");
    fixture_send(&f, "m1", "roberto@roberto.example", "survive", "crash\n");
    world_run_until(f.w, 10 * SIM_MIN);
    world_host_crash(f.w, "mail.alice.example");
    ck_assert_uint_eq(server_queue_count(f.alice_srv), 1);
    ck_assert(accounting_ok(f.w));
    world_run_until(f.w, 20 * SIM_MIN);
    world_host_up(f.w, "mail.alice.example");
    world_host_up(f.w, "mail.roberto.example");
    world_run_until(f.w, 2 * SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_accounting_detects_loss)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "x", "y\n");
    world_run_until(f.w, SIM_HOUR);
    ck_assert(accounting_ok(f.w));
    /* Remove the message behind the accounting's back: the check must notice. */
    store_user_t *u = store_find_user(server_store(f.roberto_srv), "roberto");
    store_set_observer(server_store(f.roberto_srv), NULL, NULL);
    store_flags_change(store_inbox(u), 1, STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL, 0);
    store_expunge(store_inbox(u), NULL, 0, NULL);
    buf_t out = BUF_INIT;
    ck_assert(!accounting_check(world_accounting(f.w), f.w, &out));
    ck_assert_msg(strstr(buf_cstr(&out), "roberto") != NULL, "%s", buf_cstr(&out));
    buf_free(&out);
    fixture_free(&f);
}
END_TEST

typedef struct silent_client {
    buf_t got;
    sim_time_t closed_at;
} silent_client_t;

static void silent_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    buf_append(&((silent_client_t *)ctx)->got, data, len);
}

static void silent_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}

static void silent_closed(tcp_conn_t *c, void *ctx)
{
    ((silent_client_t *)ctx)->closed_at = 1;
}

START_TEST(test_idle_client_gets_421_after_5_minutes)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    silent_client_t sc = {BUF_INIT, 0};
    tcp_callbacks_t cb = {
        .on_data = silent_data, .on_peer_closed = silent_peer_closed, .on_closed = silent_closed};
    tcp_connect(world_net(f.w), agent_host(f.roberto_pc), host_addr(server_host(f.roberto_srv)), 25,
                &cb, &sc);
    world_run_until(f.w, 4 * SIM_MIN);
    ck_assert_msg(strstr(buf_cstr(&sc.got), "220 ") == buf_cstr(&sc.got), "%s", buf_cstr(&sc.got));
    ck_assert_ptr_null(strstr(buf_cstr(&sc.got), "421"));
    world_run_until(f.w, 6 * SIM_MIN);
    ck_assert_msg(strstr(buf_cstr(&sc.got), "\r\n421 4.4.2") != NULL, "%s", buf_cstr(&sc.got));
    sim_time_t t = recorder_time(&f.rec, TRACE_SMTP_REPLY, "mail.roberto.example", 1);
    ck_assert_msg(t >= 5 * SIM_MIN && t < 5 * SIM_MIN + SIM_SEC, "421 at %lld", (long long)t);
    world_run_until(f.w, 10 * SIM_MIN);
    ck_assert_int_eq(sc.closed_at, 1);
    buf_free(&sc.got);
    fixture_free(&f);
}
END_TEST

START_TEST(test_postmaster_always_accepted)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "pm", "postmaster@roberto.example", "abuse report", "see below\n");
    world_run_until(f.w, SIM_HOUR);
    /* Roberto's server has no postmaster user: its first user reads that mail. */
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_BOUNCE, NULL), 0);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_hand_typed_smtp_session)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    const char *lines[] = {"HELO student-pc",
                           "MAIL FROM:<student@school.example>",
                           "RCPT TO:<roberto@roberto.example>",
                           "DATA",
                           "Subject: typed by hand",
                           "",
                           "Hello from telnet.",
                           ".",
                           "QUIT"};
    char err[200];
    ck_assert(agent_session(f.alice_pc, "mail.roberto.example", 25, lines, 9, err, sizeof err));
    world_run_until(f.w, 10 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    const char *verbs[] = {"HELO", "MAIL", "RCPT", "DATA", "QUIT"};
    size_t v = 0;
    for (size_t i = 0; i < f.rec.n && v < 5; i++) {
        const trace_event_t *ev = f.rec.events[i];
        if (ev->kind == TRACE_SMTP_COMMAND && ev->port == 25 && ev->verb &&
            strcmp(ev->verb, verbs[v]) == 0)
            v++;
    }
    ck_assert_uint_eq(v, 5);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

/*
 * Sessions one after another on one server reuse the ended ones: each must
 * still carry its own client's name, short after long and long after short.
 */
START_TEST(test_sessions_in_turn_keep_their_client_names)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    char err[200];
    static const char long_name[] = "a-client-whose-name-is-longer-than-a-spare-holds.example";
    user_agent_t *far =
        world_add_agent(f.w, long_name, 0xC0000299u, NULL, NULL, NULL, err, sizeof err);
    ck_assert_msg(far != NULL, "%s", err);
    const char *lines[] = {"NOOP", "QUIT"};
    user_agent_t *order[] = {f.alice_pc, far, f.alice_pc, far};
    for (size_t i = 0; i < ARRAY_LEN(order); i++) {
        ck_assert(agent_session(order[i], "mail.roberto.example", 25, lines, 2, err, sizeof err));
        world_run_until(f.w, (sim_time_t)(i + 1) * 10 * SIM_MIN);
    }
    size_t seen = 0;
    for (size_t i = 0; i < f.rec.n; i++) {
        const trace_event_t *ev = f.rec.events[i];
        if (ev->kind != TRACE_SMTP_COMMAND || ev->port != 25 || !ev->verb ||
            strcmp(ev->verb, "NOOP") != 0)
            continue;
        const char *want = seen % 2 ? long_name : "alice-pc";
        ck_assert_str_eq(ev->from, want);
        seen++;
    }
    ck_assert_uint_eq(seen, ARRAY_LEN(order));
    fixture_free(&f);
}
END_TEST

START_TEST(test_full_mailbox_bounces_at_final_server)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    store_user_set_quota(store_find_user(server_store(f.roberto_srv), "roberto"), 1500);
    fixture_send(&f, "m1", "roberto@roberto.example", "one", "fits\n");
    world_run_until(f.w, 10 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    /* The next one is accepted at RCPT (the box is not yet full) but no longer fits. */
    char big[2000];
    memset(big, 'x', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = 0;
    fixture_send(&f, "m2", "roberto@roberto.example", "two", big);
    world_run_until(f.w, SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_BOUNCE, "mail.roberto.example"), 1);
    ck_assert_uint_eq(inbox_count(f.alice_srv, "alice"), 1);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

static void mute_accept(tcp_conn_t *c, void *ctx)
{
    static const tcp_callbacks_t mute = {0};
    tcp_conn_set_callbacks(c, &mute, NULL);
}

/* agent_on_outcome's record: calls, and the last outcome seen at each call. */
typedef struct outcome_log {
    int calls;
    size_t count_seen;
    int code_seen;
} outcome_log_t;

static void log_outcome(user_agent_t *a, void *ctx)
{
    outcome_log_t *l = ctx;
    l->calls++;
    l->count_seen = agent_outcome_count(a);
    l->code_seen = agent_outcome_at(a, l->count_seen - 1)->code;
}

START_TEST(test_outcome_hook)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    outcome_log_t l = {0};
    agent_on_outcome(f.alice_pc, log_outcome, &l);
    fixture_send(&f, "m1", "roberto@roberto.example", "a", "1\n");
    world_run_until(f.w, 10 * SIM_SEC);
    ck_assert_int_eq(l.calls, 1);
    ck_assert_uint_eq(l.count_seen, 1);
    ck_assert_int_eq(l.code_seen, 250);
    /* the second send's outcome is seen at its call */
    fixture_send(&f, "m2", "nobody@roberto.example", "b", "2\n");
    world_run_until(f.w, 20 * SIM_SEC);
    ck_assert_int_eq(l.calls, 2);
    ck_assert_uint_eq(l.count_seen, 2);
    ck_assert_int_eq(l.code_seen, agent_outcome_at(f.alice_pc, 1)->code);
    /* no hook: no call */
    agent_on_outcome(f.alice_pc, NULL, NULL);
    fixture_send(&f, "m3", "roberto@roberto.example", "c", "3\n");
    world_run_until(f.w, 30 * SIM_SEC);
    ck_assert_uint_eq(agent_outcome_count(f.alice_pc), 3);
    ck_assert_int_eq(l.calls, 2);
    fixture_free(&f);
}
END_TEST

START_TEST(test_client_gives_up_on_a_silent_server)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    outcome_log_t l = {0};
    agent_on_outcome(f.alice_pc, log_outcome, &l);
    char err[200];
    user_agent_t *tarpit =
        world_add_agent(f.w, "tarpit", 0xCB007163u, NULL, NULL, NULL, err, sizeof err);
    ck_assert_msg(tarpit != NULL, "%s", err);
    ck_assert_int_eq(tcp_listen(world_net(f.w), agent_host(tarpit), 25, mute_accept, NULL), 0);
    const char *to = "someone@tarpit.example";
    agent_send_t m = {.id = "t",
                      .to = &to,
                      .nto = 1,
                      .subject = "hello?",
                      .body = "x\n",
                      .via_host = "tarpit",
                      .via_port = 25};
    ck_assert(agent_send(f.alice_pc, &m, err, sizeof err));
    world_run_until(f.w, 9 * SIM_MIN);
    ck_assert_uint_eq(agent_outcome_count(f.alice_pc), 0);
    world_run_until(f.w, 11 * SIM_MIN);
    ck_assert_uint_eq(agent_outcome_count(f.alice_pc), 1);
    const agent_outcome_t *o = agent_outcome_at(f.alice_pc, 0);
    ck_assert_int_eq(o->code, 451);
    ck_assert_msg(strstr(o->text, "10 minutes") != NULL, "%s", o->text);
    ck_assert_int_eq(l.calls, 1);
    ck_assert_int_eq(l.code_seen, 451);
    fixture_free(&f);
}
END_TEST

START_TEST(test_world_freed_mid_flight)
{
    /* Under ASan this proves nothing in progress leaks when the world goes. */
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "a", "1\n");
    char err[200];
    ck_assert(agent_fetch(f.roberto_pc, false, err, sizeof err));
    const char *lines[] = {"HELO x", "QUIT"};
    ck_assert(agent_session(f.roberto_pc, "mail.roberto.example", 25, lines, 2, err, sizeof err));
    world_run_until(f.w, 50 * SIM_MS);
    ck_assert_uint_eq(agent_outcome_count(f.alice_pc), 0);
    fixture_free(&f);
}
END_TEST

START_TEST(test_two_recipients_one_transaction)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    char err[200];
    ck_assert(server_add_user(f.roberto_srv, "maria", "olive", "Μαρία", err, sizeof err));
    const char *to[] = {"roberto@roberto.example", "maria@roberto.example"};
    agent_send_t m = {.id = "m1", .to = to, .nto = 2, .subject = "both", .body = "hi\n"};
    ck_assert(agent_send(f.alice_pc, &m, err, sizeof err));
    world_run_until(f.w, 3 * SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "maria"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_RELAY, "mail.alice.example"), 2);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_DEFER, NULL), 0);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_ATTEMPT, "mail.alice.example"), 2);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

/* MAIL commands that reached host. */
static size_t mail_commands(const recorder_t *r, const char *host)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const trace_event_t *ev = r->events[i];
        n += ev->kind == TRACE_SMTP_COMMAND && strcmp(ev->host, host) == 0 && ev->verb &&
             strcmp(ev->verb, "MAIL") == 0;
    }
    return n;
}

/*
 * RFC 5321 4.5.3.1.8 and .10: a server holds 100 recipients in a
 * transaction and answers 452 4.5.3 past them; the client sends the rest of
 * the same message in further transactions. One message to 250 users: three
 * transactions at submission (100, 100, 50), each then a message of Alice's
 * server, relayed in a transaction of its own; every recipient gets it
 * once, and Alice's client has a result for each.
 */
START_TEST(test_many_recipients_in_chunks)
{
    enum { USERS = 250 };
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    char err[200];
    static char names[USERS][16], addrs[USERS][40];
    const char *to[USERS];
    for (size_t i = 0; i < USERS; i++) {
        snprintf(names[i], sizeof names[i], "u%zu", i);
        snprintf(addrs[i], sizeof addrs[i], "u%zu@roberto.example", i);
        ck_assert(server_add_user(f.roberto_srv, names[i], "pw", NULL, err, sizeof err));
        to[i] = addrs[i];
    }
    agent_send_t m = {.id = "m1", .to = to, .nto = USERS, .subject = "all", .body = "hi\n"};
    ck_assert(agent_send(f.alice_pc, &m, err, sizeof err));
    world_run_until(f.w, 3 * SIM_HOUR);
    for (size_t i = 0; i < USERS; i++)
        ck_assert_msg(inbox_count(f.roberto_srv, names[i]) == 1, "%s", names[i]);
    ck_assert_uint_eq(mail_commands(&f.rec, "mail.alice.example"), 3);
    ck_assert_uint_eq(mail_commands(&f.rec, "mail.roberto.example"), 3);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_QUEUE_DEFER, NULL), 0);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_USER_RESULT, "alice-pc"), USERS);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

/*
 * A recipient found once is known after, and every later lookup gives what
 * the store gives: for many addresses sharing the memo's slots, one too long
 * to keep, other cases, and the postmaster stand-in, which is never kept
 * (a user named postmaster may come).
 */
/*
 * A server's Received field is message_write_received's, byte for byte:
 * odd client strings (that move a line break) included, each written twice
 * so the second comes from the middle made by the first, and under three
 * protocols so that a middle is made again.
 */
START_TEST(test_received_as_written)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    mail_server_t *s = f.roberto_srv;
    static const char *const helos[] = {"alice-pc", "", NULL, "x) by y", "h(1)", "a<b;c"};
    static const char *const hosts[] = {"alice-pc.alice.example", NULL, "", "c)", "c<;"};
    static const char *const addrs[] = {"192.0.2.10", NULL, "1.2.3.4)"};
    static const char *const ids[] = {"0000002A", NULL, "", "i;j", "i for <j"};
    static const char *const rcpts[] = {"roberto@roberto.example", NULL, "", "\"a for <b\"@c"};
    static const char *const protos[] = {"ESMTP", "ESMTPSA", "ES; MTP"};
    char date[MESSAGE_DATE_MAX];
    message_date_format(SIM_HOUR, 0, date, sizeof date);
    size_t n = 0;
    for (size_t p = 0; p < ARRAY_LEN(protos); p++)
        for (size_t h = 0; h < ARRAY_LEN(helos); h++)
            for (size_t c = 0; c < ARRAY_LEN(hosts); c++)
                for (size_t a = 0; a < ARRAY_LEN(addrs); a++)
                    for (size_t i = 0; i < ARRAY_LEN(ids); i++)
                        for (size_t r = 0; r < ARRAY_LEN(rcpts); r++)
                            for (int twice = 0; twice < 2; twice++) {
                                message_received_t rcv = {
                                    .helo = helos[h],
                                    .client_host = hosts[c],
                                    .client_addr = addrs[a],
                                    .by_host = p == 0 && h == 1 ? NULL : server_host_name(s),
                                    .protocol = protos[p],
                                    .id = ids[i],
                                    .for_rcpt = rcpts[r],
                                    .time = SIM_HOUR,
                                    .date = date,
                                };
                                buf_t got = BUF_INIT, want = BUF_INIT;
                                buf_puts(&got, "pre:");
                                buf_puts(&want, "pre:");
                                smtp_service_write_received(s, &rcv, strlen(date), &got);
                                message_write_received(&rcv, &want);
                                ck_assert_str_eq(buf_cstr(&got), buf_cstr(&want));
                                ck_assert_uint_eq(got.len, want.len);
                                buf_free(&got);
                                buf_free(&want);
                                n++;
                            }
    ck_assert_uint_gt(n, 1000);
    fixture_free(&f);
}
END_TEST

/*
 * The message roberto's mailbox holds after a hand-typed session whose MAIL
 * says size_param and whose text has that Message-ID line and a dotted line,
 * from a fresh world each time (so the queue id and the date agree).
 */
static void stored_by_hand(const char *size_param, const char *msgid_line, buf_t *out)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    char mail[400];
    snprintf(mail, sizeof mail, "MAIL FROM:<student@school.example>%s", size_param);
    const char *lines[] = {"EHLO student-pc",
                           mail,
                           "RCPT TO:<roberto@roberto.example>",
                           "DATA",
                           "Subject: sized",
                           msgid_line,
                           "",
                           "..a dotted line",
                           "the end",
                           ".",
                           "QUIT"};
    char err[200];
    ck_assert(agent_session(f.alice_pc, "mail.roberto.example", 25, lines, ARRAY_LEN(lines), err,
                            sizeof err));
    world_run_until(f.w, 10 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    store_user_t *u = store_find_user(server_store(f.roberto_srv), "roberto");
    const store_msg_t *m = store_msg_by_seq(store_inbox(u), 1);
    buf_append(out, store_msg_data(m), store_msg_size(m));
    buf_puts(out, "|label=");
    buf_puts(out, store_msg_label(m));
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}

/*
 * A message whose text goes straight into its body (MAIL declared its size)
 * is stored byte for byte as one copied at the end: declared exactly, too
 * small (the text moves out of the room), too big for a block, and with a
 * label too long for the room kept for it.
 */
START_TEST(test_sized_message_stored_alike)
{
    static const char *const msgids[] = {
        "Message-ID: <short@school.example>",
        "Message-ID: <a-very-long-message-id-"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "@school.example>",
        "X-No-Message-ID: here",
    };
    for (size_t k = 0; k < ARRAY_LEN(msgids); k++) {
        /* The text as the server keeps it: each line and CRLF, the dot unstuffed. */
        size_t exact = strlen("Subject: sized") + strlen(msgids[k]) + strlen("") +
                       strlen(".a dotted line") + strlen("the end") + 5 * 2;
        buf_t want = BUF_INIT;
        stored_by_hand("", msgids[k], &want);
        char param[64];
        const size_t sizes[] = {exact, exact - 1, 1, exact + 100, 70000};
        for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
            snprintf(param, sizeof param, " SIZE=%zu", sizes[i]);
            buf_t got = BUF_INIT;
            stored_by_hand(param, msgids[k], &got);
            ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                          "%s, %s:\n got %s\nwant %s", msgids[k], param, buf_cstr(&got),
                          buf_cstr(&want));
            buf_free(&got);
        }
        buf_free(&want);
    }
}
END_TEST

START_TEST(test_recipient_memo)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    mail_server_t *s = f.roberto_srv;
    store_t *st = server_store(s);
    char err[200], name[80], addr[160];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "u%d%s", i, i % 7 == 0 ? "-with-a-long-name-past-the-memo" : "");
        ck_assert(server_add_user(s, name, "pw", NULL, err, sizeof err));
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 39; i >= 0; i--) {
            snprintf(name, sizeof name, "u%d%s", i, i % 7 == 0 ? "-with-a-long-name-past-the-memo" : "");
            snprintf(addr, sizeof addr, "%s@%s", name, round == 2 ? "ROBERTO.example" : "roberto.example");
            store_user_t *want = store_find_user(st, addr);
            ck_assert_ptr_nonnull(want);
            ck_assert_ptr_eq(server_find_recipient(s, addr), want);
            store_user_t *known = server_known_recipient(s, addr);
            ck_assert_msg(!known || known == want, "%s", addr);
            ck_assert_msg(known || strlen(addr) >= SERVER_RCPT_MEMO_LEN, "%s not known", addr);
        }
    }
    ck_assert_ptr_null(server_known_recipient(s, "nobody@roberto.example"));
    ck_assert_ptr_null(server_find_recipient(s, "nobody@roberto.example"));
    ck_assert_ptr_null(server_known_recipient(s, "nobody@roberto.example"));
    ck_assert_ptr_null(server_known_recipient(s, ""));
    /* The first user reads the postmaster's mail, until there is a postmaster. */
    ck_assert_ptr_eq(server_find_recipient(s, "postmaster@roberto.example"), store_user_at(st, 0));
    ck_assert_ptr_null(server_known_recipient(s, "postmaster@roberto.example"));
    ck_assert(server_add_user(s, "postmaster", "pw", NULL, err, sizeof err));
    ck_assert_ptr_eq(server_find_recipient(s, "postmaster@roberto.example"),
                     store_find_user(st, "postmaster"));
    fixture_free(&f);
}
END_TEST

/* The queue id written by hand is what "%08llX" writes. */
START_TEST(test_queue_id_format)
{
    static const uint64_t ids[] = {0,          1,          0xA,        0xFF,       0x1234567,
                                   0x89ABCDEF, 0xFFFFFFFF, 0x100000000, 0x123456789ABCDEF0,
                                   UINT64_MAX};
    for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
        char got[SERVER_QUEUE_ID_MAX], want[32];
        snprintf(want, sizeof want, "%08llX", (unsigned long long)ids[i]);
        ck_assert_str_eq(server_queue_id_format(ids[i], got), want);
    }
    /* Every digit of every width, on both sides of 8 digits. */
    for (int shift = 0; shift < 64; shift++)
        for (uint64_t d = 1; d < 16; d++) {
            char got[SERVER_QUEUE_ID_MAX], want[32];
            uint64_t id = (d << shift) | ((d << shift) - 1);
            snprintf(want, sizeof want, "%08llX", (unsigned long long)id);
            ck_assert_str_eq(server_queue_id_format(id, got), want);
        }
}
END_TEST

/* The Return-Path field written directly is what the folding writer gives, whatever the path. */
START_TEST(test_return_path_field)
{
    static const char *const paths[] = {
        "",
        "alice@alice.example",
        "\"a b\"@c.example",
        "tab\there@x",
        "a-very-long-local-part-that-goes-on-and-on-and-on-past-the-folding-column@example.org",
        "x@y\r\nInjected: field",
    };
    char big_path[400];
    memset(big_path, 'p', sizeof big_path - 1);
    big_path[sizeof big_path - 1] = '\0';
    for (size_t i = 0; i <= ARRAY_LEN(paths); i++) {
        const char *path = i < ARRAY_LEN(paths) ? paths[i] : big_path;
        char small[SERVER_RETURN_PATH_SMALL];
        buf_t big = BUF_INIT, want = BUF_INIT;
        size_t n = server_return_path_field(path, small, sizeof small, &big);
        message_prepend_return_path(&want, path);
        const char *got = big.len ? (const char *)big.data : small;
        ck_assert_msg(n == want.len && memcmp(got, want.data, n) == 0, "path %zu: got [%.*s]", i,
                      (int)n, got);
        buf_free(&big);
        buf_free(&want);
    }
}
END_TEST

/* A message made of a trace field and the data is the two, in one piece. */
START_TEST(test_msg_parts)
{
    mail_msg_t *m = mail_msg_new_parts("m1", "a@b", (const uint8_t *)"Received: x\r\n", 13,
                                       (const uint8_t *)"S: y\r\n\r\nbody", 13);
    ck_assert_str_eq((const char *)m->data.data, "Received: x\r\nS: y\r\n\r\nbody");
    ck_assert_uint_eq(m->data.len, 26);
    ck_assert_str_eq(m->label, "m1");
    ck_assert_str_eq(m->reverse_path, "a@b");
    mail_msg_t *n = mail_msg_new("", "", NULL, 0);
    ck_assert_str_eq((const char *)n->data.data, "");
    ck_assert_str_eq(n->label, "");
    ck_assert_str_eq(n->reverse_path, "");
    mail_msg_unref(mail_msg_ref(m));
    mail_msg_unref(m);
    mail_msg_unref(n);
}
END_TEST

/* A message over a body: its data is the body past the Return-Path field, not a copy. */
START_TEST(test_msg_over_body)
{
    static const char text[] = "Return-Path: <a@b>\r\nReceived: x\r\n\r\nbody";
    uint8_t *p;
    store_body_t *b = store_body_new(sizeof text - 1, "m1", &p);
    memcpy(p, text, sizeof text - 1);
    mail_msg_t *m = mail_msg_new_body("m1", "a@b", b, 20);
    ck_assert_ptr_eq(m->data.data, store_body_data(b) + 20);
    ck_assert_uint_eq(m->data.len, sizeof text - 1 - 20);
    ck_assert_str_eq((const char *)m->data.data, "Received: x\r\n\r\nbody");
    ck_assert_str_eq(m->label, "m1");
    ck_assert_str_eq(m->reverse_path, "a@b");
    ck_assert_uint_eq(m->body_head, 20);
    mail_msg_unref(mail_msg_ref(m));
    mail_msg_unref(m);
}
END_TEST

/*
 * A borrowed message is delivered as it stands and queued as a copy: the
 * queue never points at the taker's stack, and the copy shares the body.
 */
START_TEST(test_msg_borrowed)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    mail_server_t *s = f.roberto_srv;
    static const char text[] = "Return-Path: <a@b>\r\nSubject: x\r\n\r\nbody\r\n";
    for (int remote = 0; remote < 2; remote++) {
        uint8_t *p;
        store_body_t *b = store_body_new(sizeof text - 1, "m1", &p);
        memcpy(p, text, sizeof text - 1);
        char label[8] = "m1", path[8] = "a@b";
        mail_msg_t m;
        mail_msg_borrow_body(&m, label, path, b, 20);
        ck_assert(m.borrowed);
        ck_assert_str_eq((const char *)m.data.data, "Subject: x\r\n\r\nbody\r\n");
        ck_assert_uint_eq(m.data.len, sizeof text - 1 - 20);
        const char *rcpts[] = {"roberto@roberto.example", "someone@alice.example"};
        size_t queued = s->nqueue;
        server_take_message(s, &m, rcpts, remote ? 2 : 1);
        ck_assert_uint_eq(s->nqueue, queued + (size_t)remote);
        if (remote) {
            const mail_msg_t *q = s->queue[queued]->msg;
            ck_assert_ptr_ne(q, &m);
            ck_assert(!q->borrowed);
            ck_assert_ptr_eq(q->body, b);
            ck_assert_str_eq(q->label, "m1");
            ck_assert_str_eq(q->reverse_path, "a@b");
            ck_assert_uint_eq(q->acceptance, m.acceptance);
            ck_assert_ptr_eq(q->data.data, m.data.data);
        }
        mail_msg_unref(&m);
        /* The taker's strings may go: the queue holds its own. */
        memset(label, 'x', sizeof label - 1);
        memset(path, 'x', sizeof path - 1);
        if (remote)
            ck_assert_str_eq(s->queue[queued]->msg->label, "m1");
    }
    ck_assert_uint_eq(inbox_count(s, "roberto"), 2);
    fixture_free(&f);
}
END_TEST

/* reply_format written by hand is what "%d%s%s %s" with line ends blanked and cut gives. */
START_TEST(test_reply_format_by_hand)
{
    static const struct {
        int code;
        const char *enhanced, *text;
    } replies[] = {
        {250, "2.0.0", "Ok: queued as 0000000A"},
        {550, "", "No such user"},
        {451, "4.3.0", "first line\nsecond line\r\nthird"},
        {421, "4.3.2", ""},
        {0, "", "\r\n"},
        {-5, "x", "negative"},
        {2147483647, "9.9.9", "large"},
        {-2147483647 - 1, "", "smallest"},
        {99, "2.0.0", "two digits"},
        {100, "1.0.0", "three"},
        {999, "9.9.9", "three"},
        {1000, "9.9.9", "four"},
        {250, "2.\r0.\n0", "line ends\r\nin both\n"},
        {250, "2.0.0", "Ok: 17 octets"},
    };
    static const size_t sizes[] = {1, 2, 4, 9, 12, 23, 24, 25, 256};
    char long_text[600];
    memset(long_text, 'z', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    long_text[300] = '\n';
    for (size_t i = 0; i <= ARRAY_LEN(replies); i++) {
        smtp_reply_t r;
        if (i < ARRAY_LEN(replies))
            smtp_reply_set(&r, replies[i].code, replies[i].enhanced, "%s", replies[i].text);
        else
            smtp_reply_set(&r, 554, "5.0.0", "%s", long_text);
        char full[1200];
        snprintf(full, sizeof full, "%d%s%s %s", r.code, r.enhanced[0] ? " " : "", r.enhanced,
                 r.text);
        for (char *p = full; *p; p++)
            if (*p == '\r' || *p == '\n')
                *p = ' ';
        for (size_t k = 0; k < ARRAY_LEN(sizes); k++) {
            char got[256 + 1], want[256 + 1];
            memset(got, '#', sizeof got);
            reply_format(&r, got, sizes[k]);
            snprintf(want, sizes[k], "%s", full);
            ck_assert_msg(strcmp(got, want) == 0, "reply %zu, size %zu: got \"%s\", want \"%s\"", i,
                          sizes[k], got, want);
        }
    }
}
END_TEST

/* Labels registered in bulk, some the same as their ID and some not, all found again. */
START_TEST(test_labels_registered)
{
    world_t *w = world_new(1);
    char id[64], label[64];
    for (unsigned i = 0; i < 2000; i++) {
        snprintf(id, sizeof id, "<%u.1@alice.example>", i);
        snprintf(label, sizeof label, "m%u", i);
        world_register_label(w, id, i % 3 ? id : label);
    }
    for (unsigned i = 0; i < 2000; i++) {
        snprintf(id, sizeof id, "<%u.1@alice.example>", i);
        snprintf(label, sizeof label, "m%u", i);
        ck_assert_str_eq(world_label_for(w, id), i % 3 ? id : label);
    }
    ck_assert_str_eq(world_label_for(w, "<unknown@x>"), "<unknown@x>");
    /* the latest registration of an ID wins */
    world_register_label(w, "<0.1@alice.example>", "again");
    ck_assert_str_eq(world_label_for(w, "<0.1@alice.example>"), "again");
    world_register_label(w, "<0.1@alice.example>", "<0.1@alice.example>");
    ck_assert_str_eq(world_label_for(w, "<0.1@alice.example>"), "<0.1@alice.example>");
    /* an ID named by itself before any other entry exists */
    world_t *empty = world_new(1);
    world_register_label(empty, "<x@y>", "<x@y>");
    ck_assert_str_eq(world_label_for(empty, "<x@y>"), "<x@y>");
    world_register_label(empty, "<x@y>", "named");
    ck_assert_str_eq(world_label_for(empty, "<x@y>"), "named");
    world_free(empty);
    world_free(w);
}
END_TEST

/*
 * One agent's sends in turn, each once the last has its answer: every
 * message arrives as it was written, though each submission takes the
 * engine and buffers the one before it left.
 */
/* A burst of sessions bigger than the spares: 1,024 are kept, the rest freed. */
START_TEST(test_spare_sessions_bounded)
{
    enum { N = 1100 };
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    char err[200], host[64];
    const char *lines[] = {"QUIT"};
    for (uint32_t i = 0; i < N; i++) {
        snprintf(host, sizeof host, "burst%u.example", i);
        user_agent_t *a =
            world_add_agent(f.w, host, 0x0A100000u + i, NULL, NULL, NULL, err, sizeof err);
        ck_assert_msg(a != NULL, "%s", err);
        ck_assert(agent_session(a, "mail.roberto.example", 25, lines, 1, err, sizeof err));
    }
    world_run_until(f.w, 10 * SIM_MIN);
    ck_assert_uint_eq(service_spare_count(f.roberto_srv), 1024);
    /* The next session takes a spare and gives it back. */
    ck_assert(agent_session(f.alice_pc, "mail.roberto.example", 25, lines, 1, err, sizeof err));
    world_run_until(f.w, 20 * SIM_MIN);
    ck_assert_uint_eq(service_spare_count(f.roberto_srv), 1024);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

/*
 * Outcomes keep their recipients as they were, whether the one before had
 * the same recipient (kept once) or another: every outcome read at the end.
 */
START_TEST(test_agent_outcome_recipients)
{
    static const char *const to[] = {
        "roberto@roberto.example", "roberto@roberto.example", "nobody@roberto.example",
        "roberto@roberto.example", "roberto@roberto.exampl",  "roberto@roberto.example",
        "Roberto <roberto@roberto.example>",
    };
    static const char *const want[] = {
        "roberto@roberto.example", "roberto@roberto.example", "nobody@roberto.example",
        "roberto@roberto.example", "roberto@roberto.exampl",  "roberto@roberto.example",
        "roberto@roberto.example",
    };
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    for (size_t i = 0; i < ARRAY_LEN(to); i++) {
        char id[16];
        snprintf(id, sizeof id, "r%zu", i);
        fixture_send(&f, id, to[i], "who", "text\n");
        world_run_until(f.w, world_now(f.w) + SIM_HOUR);
    }
    ck_assert_uint_eq(agent_outcome_count(f.alice_pc), ARRAY_LEN(to));
    for (size_t i = 0; i < ARRAY_LEN(to); i++) {
        char id[16];
        snprintf(id, sizeof id, "r%zu", i);
        const agent_outcome_t *o = agent_outcome_at(f.alice_pc, i);
        ck_assert_str_eq(o->id, id);
        ck_assert_str_eq(o->recipient, want[i]);
    }
    fixture_free(&f);
}
END_TEST

/*
 * A send's recipients in order, To then Cc then Bcc, as bare addresses,
 * whether a few (found once, on the stack) or more than that holds.
 */
START_TEST(test_agent_recipients_in_order)
{
    for (size_t extra = 0; extra <= 20; extra += 20) {
        char names[24][48];
        const char *to[24],
            *cc[2] = {"Roberto <roberto@roberto.example>", " nobody@roberto.example "};
        const char *bcc[1] = {"<maria@roberto.example>"};
        size_t nto = 2 + extra;
        for (size_t i = 0; i < nto; i++) {
            snprintf(names[i], sizeof names[i],
                     i % 2 ? "R <u%zu@roberto.example>" : "u%zu@roberto.example", i);
            to[i] = names[i];
        }
        fixture_t f;
        fixture_init(&f, SMTP_EXT_DEFAULT);
        agent_send_t m = {.id = "many",
                          .to = to,
                          .nto = nto,
                          .cc = cc,
                          .ncc = 2,
                          .bcc = bcc,
                          .nbcc = 1,
                          .subject = "all",
                          .body = "text\n"};
        char err[200];
        ck_assert_msg(agent_send(f.alice_pc, &m, err, sizeof err), "%s", err);
        world_run_until(f.w, world_now(f.w) + SIM_HOUR);
        ck_assert_uint_eq(agent_outcome_count(f.alice_pc), nto + 3);
        for (size_t i = 0; i < nto + 3; i++) {
            char want[48];
            if (i < nto)
                snprintf(want, sizeof want, "u%zu@roberto.example", i);
            else
                snprintf(want, sizeof want, "%s",
                         (const char *[]){"roberto@roberto.example", "nobody@roberto.example",
                                          "maria@roberto.example"}[i - nto]);
            ck_assert_str_eq(agent_outcome_at(f.alice_pc, i)->recipient, want);
        }
        fixture_free(&f);
    }
}
END_TEST

START_TEST(test_agent_sends_in_turn)
{
    static const char *const bodies[] = {
        "a long first body that leaves a large buffer behind it\n"
        "with a second line and a third one\nand more\n",
        ".a line with a leading dot\n..two\n",
        "short\n",
        "caf\xc3\xa9 au lait\n",
        "",
        "last\r\nwith CRLF\r\n",
    };
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
        char id[16];
        snprintf(id, sizeof id, "m%zu", i);
        fixture_send(&f, id, "roberto@roberto.example", "turn", bodies[i]);
        world_run_until(f.w, world_now(f.w) + SIM_HOUR);
        ck_assert_uint_eq(agent_outcome_count(f.alice_pc), i + 1);
        const agent_outcome_t *o = agent_outcome_at(f.alice_pc, i);
        ck_assert_str_eq(o->id, id);
        ck_assert_str_eq(o->recipient, "roberto@roberto.example");
        ck_assert_int_eq(o->code, 250);
    }
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), ARRAY_LEN(bodies));
    for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
        buf_t text = BUF_INIT, want = BUF_INIT;
        inbox_text(f.roberto_srv, "roberto", (uint32_t)i + 1, &text);
        /* the text as sent, with CRLF line ends and a last line end */
        for (const char *p = bodies[i]; *p; p++) {
            if (*p == '\r')
                continue;
            if (*p == '\n')
                buf_putc(&want, '\r');
            buf_putc(&want, *p);
        }
        if (want.len == 0)
            buf_puts(&want, "\r\n");
        ck_assert_msg(strcmp(buf_cstr(&text), buf_cstr(&want)) == 0, "message %zu: got \"%s\"", i,
                      buf_cstr(&text));
        buf_free(&text);
        buf_free(&want);
    }
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

Suite *node_smtp_suite(void)
{
    Suite *s = suite_create("node_smtp");
    TCase *tc = tcase_create("end_to_end");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_alice_to_roberto);
    tcase_add_test(tc, test_down_45_minutes_retries_every_30);
    tcase_add_test(tc, test_unknown_user_bounces);
    tcase_add_test(tc, test_backup_mx);
    tcase_add_test(tc, test_three_messages_one_connection);
    tcase_add_test(tc, test_open_relay_refused);
    tcase_add_test(tc, test_seven_bit_downgrade);
    tcase_add_test(tc, test_give_up_after_lifetime);
    tcase_add_test(tc, test_crash_keeps_queue);
    tcase_add_test(tc, test_accounting_detects_loss);
    tcase_add_test(tc, test_idle_client_gets_421_after_5_minutes);
    tcase_add_test(tc, test_postmaster_always_accepted);
    tcase_add_test(tc, test_hand_typed_smtp_session);
    tcase_add_test(tc, test_sessions_in_turn_keep_their_client_names);
    tcase_add_test(tc, test_full_mailbox_bounces_at_final_server);
    tcase_add_test(tc, test_client_gives_up_on_a_silent_server);
    tcase_add_test(tc, test_outcome_hook);
    tcase_add_test(tc, test_world_freed_mid_flight);
    tcase_add_test(tc, test_two_recipients_one_transaction);
    tcase_add_test(tc, test_many_recipients_in_chunks);
    tcase_add_test(tc, test_queue_id_format);
    tcase_add_test(tc, test_recipient_memo);
    tcase_add_test(tc, test_received_as_written);
    tcase_add_test(tc, test_return_path_field);
    tcase_add_test(tc, test_msg_parts);
    tcase_add_test(tc, test_msg_over_body);
    tcase_add_test(tc, test_msg_borrowed);
    tcase_add_test(tc, test_reply_format_by_hand);
    tcase_add_test(tc, test_labels_registered);
    tcase_add_test(tc, test_agent_sends_in_turn);
    tcase_add_test(tc, test_agent_outcome_recipients);
    tcase_add_test(tc, test_agent_recipients_in_order);
    tcase_add_test(tc, test_spare_sessions_bounded);
    tcase_add_test(tc, test_sized_message_stored_alike);
    suite_add_tcase(s, tc);
    return s;
}
