/*
 * The expectation engine against a real world: Alice's and Roberto's servers
 * (tests/node_fixture), a scenario whose expect section is loaded from JSON,
 * a run, and every check's verdict and detail compared word for word.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node_fixture.h"
#include "proto/smtp_ext.h"
#include "scenario/expect.h"
#include "scenario/load.h"

/* The fixture's world as a scenario, so the loader accepts the expectations' names. */
#define WORLD_JSON                                                                                 \
    "\"until\": \"3h\", \"servers\": ["                                                            \
    "{\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\"],"                         \
    " \"users\": [{\"user\": \"alice\", \"password\": \"wonderland\"}]},"                          \
    "{\"host\": \"mail.roberto.example\", \"domains\": [\"roberto.example\"],"                     \
    " \"users\": [{\"user\": \"roberto\", \"password\": \"secret\"}]}],"                           \
    "\"clients\": [{\"host\": \"alice-pc\", \"user\": \"alice@alice.example\"},"                   \
    " {\"host\": \"roberto-pc\", \"user\": \"roberto@roberto.example\"}]"

typedef struct lab {
    fixture_t f;
    scenario_t *sc;
    expect_engine_t *engine;
    run_result_t r;
} lab_t;

static scenario_t *load(const char *expect_json)
{
    char *json = xasprintf("{" WORLD_JSON ", \"expect\": [%s]}", expect_json);
    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_string("lab.json", json, strlen(json), &d);
    if (!sc)
        diag_print(&d, stderr);
    ck_assert_msg(sc != NULL, "the test scenario does not load");
    diag_free(&d);
    free(json);
    return sc;
}

static void lab_init(lab_t *l, const char *expect_json)
{
    memset(l, 0, sizeof *l);
    fixture_init(&l->f, SMTP_EXT_DEFAULT);
    l->sc = load(expect_json);
    l->engine = expect_engine_new(l->sc, l->f.w);
}

static void lab_finish(lab_t *l)
{
    expect_engine_finish(l->engine);
    expect_engine_results(l->engine, &l->r);
}

static void lab_free(lab_t *l)
{
    expect_engine_free(l->engine);
    run_result_free(&l->r);
    scenario_free(l->sc);
    fixture_free(&l->f);
}

typedef struct verdict {
    const char *name;
    bool passed;
    const char *detail;
} verdict_t;

/* Every mismatch is listed before the test fails, each as got and want. */
static void assert_verdicts(const lab_t *l, const verdict_t *want, size_t n)
{
    ck_assert_uint_eq(l->r.nexpectations, n);
    buf_t bad = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const expect_result_t *got = &l->r.expectations[i];
        ck_assert_str_eq(got->name, want[i].name);
        if (got->passed != want[i].passed || strcmp(got->detail, want[i].detail) != 0)
            buf_printf(&bad, "\n%s: passed %d, want %d\n got  %s\n want %s", got->name, got->passed,
                       want[i].passed, got->detail, want[i].detail);
    }
    ck_assert_msg(bad.len == 0, "%s", buf_cstr(&bad));
    buf_free(&bad);
}

/* Alice's Greek message with a header of her own and a text attachment. */
static void send_greek(fixture_t *f)
{
    const char *to = "roberto@roberto.example";
    agent_header_t header = {"X-Lab", "Εργαστήριο 3"};
    agent_attachment_t notes = {
        .name = "notes.txt", .type = "text/plain", .text = "σημειώσεις: δεύτερο μέρος\n"};
    agent_send_t m = {.id = "m1",
                      .to = &to,
                      .nto = 1,
                      .subject = "Γεια σου",
                      .body = "Καλημέρα Ρομπέρτο!\n",
                      .headers = &header,
                      .nheaders = 1,
                      .attachments = &notes,
                      .nattachments = 1};
    char err[200];
    ck_assert_msg(agent_send(f->alice_pc, &m, err, sizeof err), "%s", err);
}

static void host_up(void *arg)
{
    fixture_t *f = arg;
    world_host_up(f->w, "mail.roberto.example");
}

/* Roberto's server is down for the first 20 minutes: one failed attempt, one at 30m. */
static void send_while_down(fixture_t *f)
{
    world_host_down(f->w, "mail.roberto.example");
    sched_at(world_sim(f->w)->sched, 20 * SIM_MIN, host_up, f);
    fixture_send(f, "m1", "roberto@roberto.example", "Γεια σου", "Καλημέρα\n");
}

/* What a failed filter adds: the message that is there does not match. */
#define OTHER "; 1 other message there does not match"
#define M "\"mailbox\": {\"user\": \"roberto@roberto.example\""

START_TEST(test_mailbox_filters)
{
    lab_t l;
    lab_init(&l, "{\"name\": \"subject\", " M ", \"subject\": \"Γεια σου\"}, \"count\": 1},"
                 "{\"name\": \"subject wrong\", " M ", \"subject\": \"Γεια\"}, \"count\": 1},"
                 "{\"name\": \"from\", " M ", \"from\": \"ALICE@alice.example\"}},"
                 "{\"name\": \"from wrong\", " M ", \"from\": \"mallory@alice.example\"}},"
                 "{\"name\": \"message\", " M ", \"message\": \"m1\"}, \"count\": 1},"
                 "{\"name\": \"message wrong\", " M ", \"message\": \"m2\"}},"
                 "{\"name\": \"header\", " M ", \"header\": {\"x-lab\": \"Εργαστήριο 3\"}}},"
                 "{\"name\": \"header wrong\", " M ", \"header\": {\"X-Lab\": \"Εργαστήριο\"}}},"
                 "{\"name\": \"body\", " M ", \"body_contains\": \"Ρομπέρτο!\"}},"
                 "{\"name\": \"attachment text\", " M ", \"body_contains\": \"δεύτερο μέρος\"}},"
                 "{\"name\": \"body wrong\", " M ", \"body_contains\": \"αντίο\"}},"
                 "{\"name\": \"all\", " M ", \"subject\": \"Γεια σου\","
                 " \"from\": \"alice@alice.example\", \"message\": \"m1\","
                 " \"header\": {\"X-LAB\": \"Εργαστήριο 3\"}, \"body_contains\": \"Καλημέρα\"},"
                 " \"count\": 1},"
                 "{\"name\": \"no folder\", " M ", \"folder\": \"Σχολή\"}, \"count\": 0},"
                 "{\"name\": \"alice has none\", \"mailbox\": {\"user\": \"alice@alice.example\"},"
                 " \"count\": 0},"
                 "{\"name\": \"alice has one\", \"mailbox\": {\"user\": \"alice@alice.example\"},"
                 " \"min\": 1, \"max\": 2}");
    send_greek(&l.f);
    world_run_until(l.f.w, SIM_HOUR);
    lab_finish(&l);
    verdict_t want[] = {
        {"subject", true,
         "found 1 message in roberto@roberto.example INBOX with subject \"Γεια σου\" "
         "(want exactly 1)"},
        {"subject wrong", false,
         "expected 1 message in roberto@roberto.example INBOX with subject \"Γεια\", found "
         "0" OTHER},
        {"from", true,
         "found 1 message in roberto@roberto.example INBOX with From ALICE@alice.example "
         "(want at least 1)"},
        {"from wrong", false,
         "expected at least 1 message in roberto@roberto.example INBOX with From "
         "mallory@alice.example, found 0" OTHER},
        {"message", true,
         "found 1 message in roberto@roberto.example INBOX with message \"m1\" (want exactly 1)"},
        {"message wrong", false,
         "expected at least 1 message in roberto@roberto.example INBOX with message \"m2\", "
         "found 0" OTHER},
        {"header", true,
         "found 1 message in roberto@roberto.example INBOX with header x-lab \"Εργαστήριο 3\" "
         "(want at least 1)"},
        {"header wrong", false,
         "expected at least 1 message in roberto@roberto.example INBOX with header X-Lab "
         "\"Εργαστήριο\", found 0" OTHER},
        {"body", true,
         "found 1 message in roberto@roberto.example INBOX with body containing \"Ρομπέρτο!\" "
         "(want at least 1)"},
        {"attachment text", true,
         "found 1 message in roberto@roberto.example INBOX with body containing \"δεύτερο "
         "μέρος\" (want at least 1)"},
        {"body wrong", false,
         "expected at least 1 message in roberto@roberto.example INBOX with body containing "
         "\"αντίο\", found 0" OTHER},
        {"all", true,
         "found 1 message in roberto@roberto.example INBOX with subject \"Γεια σου\", From "
         "alice@alice.example, message \"m1\", header X-LAB \"Εργαστήριο 3\", body containing "
         "\"Καλημέρα\" (want exactly 1)"},
        {"no folder", true,
         "found 0 messages in roberto@roberto.example Σχολή (want none); "
         "roberto@roberto.example has no folder Σχολή"},
        {"alice has none", true, "found 0 messages in alice@alice.example INBOX (want none)"},
        {"alice has one", false,
         "expected between 1 and 2 messages in alice@alice.example INBOX, found 0; it is not "
         "queued at any server and no bounce for it was seen"},
    };
    assert_verdicts(&l, want, ARRAY_LEN(want));
    lab_free(&l);
}
END_TEST

#define Q "\"queue\": {\"host\": \"mail.alice.example\""
#define ATTEMPTS "\"event\": {\"kind\": \"queue.attempt\", \"host\": \"mail.alice.example\"}"

/* Roberto's server down until 20m: the message waits in Alice's queue, then arrives at 30m. */
START_TEST(test_queue_and_at_mid_run)
{
    lab_t l;
    lab_init(&l,
             "{\"name\": \"queued at 10m\", \"at\": \"10m\", " Q "}, \"count\": 1},"
             "{\"name\": \"queue empty at 10m\", \"at\": \"10m\", " Q "}, \"count\": 0},"
             "{\"name\": \"queued for roberto\", \"at\": \"10m\", " Q ","
             " \"recipient\": \"roberto@roberto.example\", \"message\": \"m1\"}, \"count\": 1},"
             "{\"name\": \"nothing for alice\", \"at\": \"10m\", " Q ","
             " \"recipient\": \"alice@alice.example\"}, \"max\": 0},"
             "{\"name\": \"delivered by 10m\", \"at\": \"10m\", " M ", \"subject\": \"Γεια σου\"},"
             " \"count\": 1},"
             "{\"name\": \"delivered by 1h\", \"at\": \"1h\", " M ", \"subject\": \"Γεια σου\"},"
             " \"count\": 1},"
             "{\"name\": \"queue empty at the end\", " Q "}, \"count\": 0},"
             "{\"name\": \"one attempt by 10m\", \"at\": \"10m\", " ATTEMPTS ", \"count\": 1},"
             "{\"name\": \"judged after the end\", \"at\": \"2h\", " ATTEMPTS ", \"count\": 2}");
    send_while_down(&l.f);
    world_run_until(l.f.w, 10 * SIM_MIN);
    /* The 10m judgments happened mid-run; the 1h one has not yet. */
    bool passed = false;
    const char *detail = NULL;
    ck_assert(expect_engine_judged(l.engine, 0, &passed, &detail));
    ck_assert(passed);
    ck_assert_str_eq(detail, "found 1 queue entry at mail.alice.example by 10m (want exactly 1)");
    ck_assert(!expect_engine_judged(l.engine, 5, NULL, NULL));
    world_run_until(l.f.w, SIM_HOUR);
    ck_assert(expect_engine_judged(l.engine, 5, &passed, NULL));
    ck_assert(!expect_engine_judged(l.engine, 8, NULL, NULL));
    lab_finish(&l);
    verdict_t want[] = {
        {"queued at 10m", true,
         "found 1 queue entry at mail.alice.example by 10m (want exactly 1)"},
        {"queue empty at 10m", false,
         "expected no queue entry at mail.alice.example by 10m, found 1: m1 for "
         "roberto@roberto.example, next attempt at 30m110ms102us (attempt 1, last error: "
         "connect to mail.roberto.example: connection timed out)"},
        {"queued for roberto", true,
         "found 1 queue entry for roberto@roberto.example of message \"m1\" at "
         "mail.alice.example by 10m (want exactly 1)"},
        {"nothing for alice", true,
         "found 0 queue entries for alice@alice.example at mail.alice.example by 10m "
         "(want none)"},
        {"delivered by 10m", false,
         "expected 1 message in roberto@roberto.example INBOX with subject \"Γεια σου\" by "
         "10m, found 0; it is still queued at mail.alice.example, next attempt at "
         "30m110ms102us (attempt 1, last error: connect to mail.roberto.example: connection "
         "timed out)"},
        {"delivered by 1h", true,
         "found 1 message in roberto@roberto.example INBOX with subject \"Γεια σου\" by 1h "
         "(want exactly 1)"},
        {"queue empty at the end", true, "found 0 queue entries at mail.alice.example (want none)"},
        {"one attempt by 10m", true,
         "found 1 queue.attempt event at mail.alice.example by 10m (want exactly 1)"},
        {"judged after the end", true,
         "found 2 queue.attempt events at mail.alice.example by 1h (want exactly 2); the run "
         "ended at 1h, before 2h when this was to be judged"},
    };
    assert_verdicts(&l, want, ARRAY_LEN(want));
    lab_free(&l);
}
END_TEST

START_TEST(test_event_counts)
{
    lab_t l;
    lab_init(
        &l, "{\"name\": \"two attempts\", " ATTEMPTS ", \"count\": 2},"
            "{\"name\": \"three attempts\", " ATTEMPTS ", \"count\": 3},"
            "{\"name\": \"at least one\", " ATTEMPTS ", \"min\": 1},"
            "{\"name\": \"at most one\", " ATTEMPTS ", \"max\": 1},"
            "{\"name\": \"one to three\", " ATTEMPTS ", \"min\": 1, \"max\": 3},"
            "{\"name\": \"no bounce\", \"event\": {\"kind\": \"queue.bounce\"}, \"count\": 0},"
            "{\"name\": \"a bounce\", \"event\": {\"kind\": \"queue.bounce\"}},"
            "{\"name\": \"second on time\", " ATTEMPTS ", \"nth\": 2,"
            " \"between\": [\"29m\", \"31m\"]},"
            "{\"name\": \"second early\", " ATTEMPTS ", \"nth\": 2,"
            " \"between\": [\"0s\", \"10m\"]},"
            "{\"name\": \"third\", " ATTEMPTS ", \"nth\": 3, \"between\": [\"0s\", \"3h\"]},"
            "{\"name\": \"first attempt number\", \"event\": {\"kind\": \"queue.attempt\","
            " \"attempt\": 1}, \"count\": 1},"
            "{\"name\": \"relay accepted\", \"event\": {\"kind\": \"smtp.reply\","
            " \"from\": \"mail.roberto.example\"}, \"contains\": \"2.0.0 \", \"min\": 1},"
            "{\"name\": \"rcpt lines\", \"event\": {\"kind\": \"smtp.command\", \"verb\": \"RCPT\","
            " \"contains\": \"<roberto@roberto.example>\"}, \"count\": 2},"
            "{\"name\": \"no such line\", \"event\": {\"kind\": \"smtp.command\","
            " \"contains\": \"VRFY\"}}");
    send_while_down(&l.f);
    world_run_until(l.f.w, SIM_HOUR);
    lab_finish(&l);
    verdict_t want[] = {
        {"two attempts", true,
         "found 2 queue.attempt events at mail.alice.example (want exactly 2)"},
        {"three attempts", false,
         "expected 3 queue.attempt events at mail.alice.example, found 2 (at 110ms102us, "
         "30m110ms102us)"},
        {"at least one", true,
         "found 2 queue.attempt events at mail.alice.example (want at least 1)"},
        {"at most one", false,
         "expected at most 1 queue.attempt event at mail.alice.example, found 2 (at "
         "110ms102us, 30m110ms102us)"},
        {"one to three", true,
         "found 2 queue.attempt events at mail.alice.example (want between 1 and 3)"},
        {"no bounce", true, "found 0 queue.bounce events (want none)"},
        {"a bounce", false, "expected at least 1 queue.bounce event, found 0"},
        {"second on time", true,
         "the 2nd queue.attempt event at mail.alice.example happened at 30m110ms102us, "
         "within 29m..31m"},
        {"second early", false,
         "the 2nd queue.attempt event at mail.alice.example happened at 30m110ms102us, "
         "outside 0s..10m"},
        {"third", false,
         "expected the 3rd queue.attempt event at mail.alice.example within 0s..3h, found "
         "only 2 (at 110ms102us, 30m110ms102us)"},
        {"first attempt number", true,
         "found 1 queue.attempt event with attempt=1 (want exactly 1)"},
        {"relay accepted", true,
         "found 2 smtp.reply events from mail.roberto.example with line containing "
         "\"2.0.0 \" (want at least 1)"},
        {"rcpt lines", true,
         "found 2 smtp.command events with verb=RCPT, line containing "
         "\"<roberto@roberto.example>\" (want exactly 2)"},
        {"no such line", false,
         "expected at least 1 smtp.command event with line containing \"VRFY\", found 0"},
    };
    assert_verdicts(&l, want, ARRAY_LEN(want));
    lab_free(&l);
}
END_TEST

#define RELAY(verb)                                                                                \
    "{\"kind\": \"smtp.command\", \"from\": \"mail.alice.example\", \"verb\": \"" verb "\"}"

START_TEST(test_order)
{
    lab_t l;
    lab_init(
        &l,
        "{\"name\": \"in order\", \"order\": [" RELAY("MAIL") ", " RELAY("RCPT") ", " RELAY(
            "DATA") "]},"
                    "{\"name\": \"reversed\", \"order\": [" RELAY("DATA") ", " RELAY(
                        "MAIL") "]},"
                                "{\"name\": \"first never\", \"order\": [{\"kind\": "
                                "\"queue.bounce\"},"
                                " {\"kind\": \"mailbox.store\"}]},"
                                "{\"name\": \"second never\", \"order\": [{\"kind\": "
                                "\"queue.enqueue\"},"
                                " {\"kind\": \"queue.warn\"}]},"
                                "{\"name\": \"one event is one step\", \"order\": [{\"kind\": "
                                "\"user.send\"},"
                                " {\"kind\": \"user.send\"}]},"
                                "{\"name\": \"the lecture\", \"points\": 3, \"order\": ["
                                "{\"kind\": \"user.send\", \"host\": \"alice-pc\"},"
                                "{\"kind\": \"queue.enqueue\", \"host\": \"mail.alice.example\"},"
                                "{\"kind\": \"tcp.established\", \"from\": \"mail.alice.example\","
                                " \"to\": \"mail.roberto.example\", \"port\": 25},"
                                "{\"kind\": \"smtp.command\", \"verb\": \"DATA\", \"from\": "
                                "\"mail.alice.example\"},"
                                "{\"kind\": \"mailbox.store\", \"host\": "
                                "\"mail.roberto.example\"}]}");
    send_greek(&l.f);
    world_run_until(l.f.w, SIM_HOUR);
    lab_finish(&l);
    verdict_t want[] = {
        {"in order", true, "the 3 steps happened in order (at 190ms187us, 190ms187us, 190ms187us)"},
        {"reversed", false,
         "step 2 (smtp.command from mail.alice.example with verb=MAIL) never came after "
         "step 1 (at 190ms187us); it happened only before that, first at 190ms187us"},
        {"first never", false, "step 1 (queue.bounce) never happened"},
        {"second never", false,
         "step 2 (queue.warn) never came after step 1 (at 110ms137us); it never happened at "
         "all"},
        {"one event is one step", false,
         "step 2 (user.send) never came after step 1 (at 0s); its only match was the event "
         "that matched step 1"},
        {"the lecture", true,
         "the 5 steps happened in order (at 0s, 110ms137us, 140ms145us, 190ms187us, "
         "210ms273us)"},
    };
    assert_verdicts(&l, want, ARRAY_LEN(want));
    lab_free(&l);
}
END_TEST

START_TEST(test_points_and_score)
{
    lab_t l;
    lab_init(&l, "{\"name\": \"two\", \"points\": 2, " M ", \"message\": \"m1\"}, \"count\": 1},"
                 "{\"name\": \"three\", \"points\": 3, " M ", \"message\": \"m1\"}, \"count\": 2},"
                 "{\"name\": \"zero\", \"points\": 0, " Q "}, \"count\": 0},"
                 "{\"name\": \"default\", \"event\": {\"kind\": \"user.send\"}, \"count\": 1}");
    send_greek(&l.f);
    world_run_until(l.f.w, SIM_HOUR);
    lab_finish(&l);
    static const struct {
        bool passed;
        int points, max_points;
    } want[] = {{true, 2, 2}, {false, 0, 3}, {true, 0, 0}, {true, 1, 1}};
    ck_assert_uint_eq(l.r.nexpectations, ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        const expect_result_t *got = &l.r.expectations[i];
        ck_assert_msg(got->passed == want[i].passed && got->points == want[i].points &&
                          got->max_points == want[i].max_points,
                      "%s: passed %d points %d/%d, want %d %d/%d", got->name, got->passed,
                      got->points, got->max_points, want[i].passed, want[i].points,
                      want[i].max_points);
    }
    ck_assert_int_eq(l.r.score, 3);
    ck_assert_int_eq(l.r.max_score, 6);
    lab_free(&l);
}
END_TEST

/*
 * The fixture's world, but Alice's server gives up after an hour: with
 * Roberto's server down the whole time, the message bounces back to Alice.
 */
static void lab_init_give_up(lab_t *l, const char *expect_json)
{
    memset(l, 0, sizeof *l);
    fixture_t *f = &l->f;
    f->w = world_new(1);
    char err[200];
    const char *alice = "alice.example", *roberto = "roberto.example";
    server_config_t cfg;
    server_config_for_domain(&cfg, "mail.alice.example", 0xC000020Au, &alice);
    cfg.queue.give_up = SIM_HOUR;
    f->alice_srv = world_add_server(f->w, &cfg, err, sizeof err);
    server_config_for_domain(&cfg, "mail.roberto.example", 0xC6336414u, &roberto);
    f->roberto_srv = world_add_server(f->w, &cfg, err, sizeof err);
    ck_assert_msg(f->alice_srv && f->roberto_srv, "%s", err);
    ck_assert(server_add_user(f->alice_srv, "alice", "wonderland", "Alice", err, sizeof err));
    ck_assert(server_add_user(f->roberto_srv, "roberto", "secret", NULL, err, sizeof err));
    f->alice_pc = world_add_agent(f->w, "alice-pc", 0xC0000264u, "alice@alice.example",
                                  "wonderland", f->alice_srv, err, sizeof err);
    ck_assert_msg(f->alice_pc != NULL, "%s", err);
    l->sc = load(expect_json);
    l->engine = expect_engine_new(l->sc, f->w);
}

START_TEST(test_mailbox_bounced)
{
    lab_t l;
    lab_init_give_up(
        &l, "{\"name\": \"arrived\", " M ", \"message\": \"m1\"}, \"count\": 1},"
            "{\"name\": \"bounce to alice\", \"mailbox\": {\"user\": \"alice@alice.example\","
            " \"from\": \"MAILER-DAEMON@mail.alice.example\"}, \"count\": 1}");
    world_host_down(l.f.w, "mail.roberto.example");
    fixture_send(&l.f, "m1", "roberto@roberto.example", "Γεια σου", "Καλημέρα\n");
    world_run_until(l.f.w, 2 * SIM_HOUR);
    lab_finish(&l);
    ck_assert_uint_eq(expect_engine_kept(l.engine), 1);
    verdict_t want[] = {
        {"arrived", false,
         "expected 1 message in roberto@roberto.example INBOX with message \"m1\", found 0; "
         "it bounced at mail.alice.example at 1h1m3s120ms102us (delivery time expired after 3 "
         "attempts; last error: connect to mail.roberto.example: connection timed out) and a "
         "bounce went back to the sender"},
        {"bounce to alice", true,
         "found 1 message in alice@alice.example INBOX with From "
         "MAILER-DAEMON@mail.alice.example (want exactly 1)"},
    };
    assert_verdicts(&l, want, ARRAY_LEN(want));
    lab_free(&l);
}
END_TEST

/* The message arrived, then was expunged: the detail says it was removed. */
START_TEST(test_mailbox_removed)
{
    lab_t l;
    lab_init(&l, "{\"name\": \"still there\", " M ", \"message\": \"m1\"}, \"count\": 1}");
    fixture_send(&l.f, "m1", "roberto@roberto.example", "Γεια σου", "Καλημέρα\n");
    world_run_until(l.f.w, 10 * SIM_MIN);
    store_folder_t *inbox = store_inbox(store_find_user(server_store(l.f.roberto_srv), "roberto"));
    const store_msg_t *m = store_msg_by_seq(inbox, 1);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(
        store_flags_change(inbox, store_msg_uid(m), STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL, 0),
        STORE_OK);
    ck_assert_int_eq(store_expunge(inbox, NULL, 0, NULL), STORE_OK);
    world_run_until(l.f.w, 20 * SIM_MIN);
    lab_finish(&l);
    verdict_t want[] = {
        {"still there", false,
         "expected 1 message in roberto@roberto.example INBOX with message \"m1\", found 0; "
         "1 message was removed from that folder, the first at 10m"},
    };
    assert_verdicts(&l, want, ARRAY_LEN(want));
    lab_free(&l);
}
END_TEST

/* 20,000 events of kinds no check names cost nothing; 20,000 that match are counted, not kept. */
START_TEST(test_irrelevant_events_not_kept)
{
    lab_t l;
    lab_init(&l, "{\"name\": \"many relays\", \"event\": {\"kind\": \"queue.relay\","
                 " \"host\": \"mail.alice.example\"}, \"count\": 20000},"
                 "{\"name\": \"arrived\", " M "}, \"count\": 1}");
    trace_bus_t *bus = &world_sim(l.f.w)->trace;
    trace_event_t ev;
    for (int i = 0; i < 20000; i++) {
        trace_event_init(&ev, 0, TRACE_TCP_SEGMENT, "mail.alice.example");
        ev.from = "mail.alice.example";
        ev.flags = "ACK";
        trace_emit(bus, &ev);
    }
    ck_assert_uint_eq(expect_engine_examined(l.engine), 0);
    ck_assert_uint_eq(expect_engine_kept(l.engine), 0);
    for (int i = 0; i < 20000; i++) {
        trace_event_init(&ev, 0, TRACE_QUEUE_RELAY, "mail.alice.example");
        ev.recipient = "someone@elsewhere.example";
        trace_emit(bus, &ev);
    }
    ck_assert_uint_eq(expect_engine_examined(l.engine), 20000);
    ck_assert_uint_eq(expect_engine_kept(l.engine), 0);
    /* Bounces for other people are not kept; the first for Roberto is, once. */
    for (int i = 0; i < 3; i++) {
        trace_event_init(&ev, 0, TRACE_QUEUE_BOUNCE, "mail.alice.example");
        ev.recipient = i == 0 ? "someone@elsewhere.example" : "Roberto@roberto.example";
        ev.text = "550 5.1.1 no";
        trace_emit(bus, &ev);
    }
    ck_assert_uint_eq(expect_engine_kept(l.engine), 1);
    lab_finish(&l);
    verdict_t want[] = {
        {"many relays", true,
         "found 20000 queue.relay events at mail.alice.example (want exactly 20000)"},
        {"arrived", false,
         "expected 1 message in roberto@roberto.example INBOX, found 0; it bounced at "
         "mail.alice.example at 0s (550 5.1.1 no) and a bounce went back to the sender"},
    };
    assert_verdicts(&l, want, ARRAY_LEN(want));
    lab_free(&l);
}
END_TEST

/* ---- scenario_match_event ----------------------------------------------- */

static const struct match_case {
    const char *matcher; /* JSON of an event check */
    bool want;
} match_cases[] = {
    {"{\"kind\": \"smtp.command\"}", true},
    {"{\"kind\": \"smtp.reply\"}", false},
    {"{\"verb\": \"MAIL\"}", true},
    {"{\"verb\": \"mail\"}", false}, /* strings exactly */
    {"{\"kind\": \"smtp.command\", \"port\": 25, \"session\": 7}", true},
    {"{\"port\": 587}", false},
    {"{\"code\": 250}", false},         /* absent number: never matches */
    {"{\"user\": \"roberto\"}", false}, /* absent string: never matches */
    {"{\"host\": \"mail.roberto.example\", \"from\": \"mail.alice.example\"}", true},
    {"{\"to\": \"mail.alice.example\"}", false},
    {"{\"contains\": \"FROM:<alice@\"}", true},
    {"{\"contains\": \"from:<alice@\"}", false},
    {"{\"kind\": \"smtp.command\", \"contains\": \"\"}", true},
    {"{\"t\": 1500000}", true},
    {"{\"t\": 1500001}", false},
    {"{\"line\": \"MAIL FROM:<alice@alice.example>\"}", true},
};

START_TEST(test_match_event)
{
    const struct match_case *c = &match_cases[_i];
    char *expect = xasprintf("{\"name\": \"m\", \"event\": %s}", c->matcher);
    scenario_t *sc = load(expect);
    trace_event_t ev;
    trace_event_init(&ev, 1500000, TRACE_SMTP_COMMAND, "mail.roberto.example");
    ev.from = "mail.alice.example";
    ev.to = "mail.roberto.example";
    ev.port = 25;
    ev.session = 7;
    ev.verb = "MAIL";
    ev.line = "MAIL FROM:<alice@alice.example>";
    bool got = scenario_match_event(&sc->expect[0].u.event, &ev);
    ck_assert_msg(got == c->want, "%s: got %d, want %d", c->matcher, got, c->want);
    scenario_free(sc);
    free(expect);
}
END_TEST

static Suite *suite_with(Suite *s, const char *name, const TTest *t)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, t);
    suite_add_tcase(s, tc);
    return s;
}

Suite *scenario_expect_suite(void)
{
    Suite *s = suite_create("scenario_expect");
    suite_with(s, "mailbox_filters", test_mailbox_filters);
    suite_with(s, "queue_and_at_mid_run", test_queue_and_at_mid_run);
    suite_with(s, "event_counts", test_event_counts);
    suite_with(s, "order", test_order);
    suite_with(s, "points_and_score", test_points_and_score);
    suite_with(s, "mailbox_bounced", test_mailbox_bounced);
    suite_with(s, "mailbox_removed", test_mailbox_removed);
    suite_with(s, "irrelevant_events_not_kept", test_irrelevant_events_not_kept);
    TCase *tc = tcase_create("match_event");
    tcase_add_loop_test(tc, test_match_event, 0, (int)ARRAY_LEN(match_cases));
    suite_add_tcase(s, tc);
    return s;
}
