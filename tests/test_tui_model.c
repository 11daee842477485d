/*
 * The TUI's model without a terminal: stepping through the Alice-to-Roberto
 * walkthrough, the narration step reached, stepping back to the identical
 * state, the log's filters, a session's transcript, the queue's countdown
 * text and the language switch; a live model watching a world run
 * elsewhere.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "model.h"
#include "scenario/build.h"
#include "scenario/load.h"
#include "scenario/timeline.h"
#include "view.h"

static scenario_t *load_walkthrough(void)
{
    diag_t diag;
    diag_init(&diag);
    scenario_t *sc = scenario_load_file("scenarios/alice-to-roberto.json", &diag);
    ck_assert_msg(sc, "scenarios/alice-to-roberto.json did not load");
    diag_free(&diag);
    return sc;
}

static tui_model_t *model_of(const scenario_t *sc, const char *lang)
{
    char err[256] = "";
    tui_model_t *m = tui_model_new(sc, lang, err, sizeof err);
    ck_assert_msg(m, "tui_model_new: %s", err);
    return m;
}

/* The rows' texts joined by newlines; the caller frees. */
static char *rows_text(const tui_rows_t *rows)
{
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < rows->count; i++)
        buf_printf(&b, "%s\n", rows->items[i].text);
    char *s = buf_steal(&b, NULL);
    return s ? s : xstrdup("");
}

static char *narration(const tui_model_t *m)
{
    buf_t b = BUF_INIT;
    tui_view_narration(m, &b);
    return buf_steal(&b, NULL);
}

START_TEST(step_runs_one_visible_event)
{
    scenario_t *sc = load_walkthrough();
    tui_model_t *m = model_of(sc, "en");
    ck_assert_uint_eq(tui_model_events(m), 0);
    ck_assert_uint_eq(tui_model_log_total(m), 0);
    ck_assert(tui_model_step(m));
    ck_assert_uint_ge(tui_model_events(m), 1);
    const trace_event_t *first = tui_model_log_at(m, 0);
    ck_assert_msg(first && first->kind == TRACE_USER_SEND, "first event: got %s, want user.send",
                  first ? trace_kind_name(first->kind) : "none");
    uint64_t before = tui_model_events(m);
    size_t logged = tui_model_log_total(m);
    ck_assert(tui_model_step(m));
    ck_assert_uint_gt(tui_model_events(m), before);
    ck_assert_uint_gt(tui_model_log_total(m), logged);
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

static const char *const step_starts[] = {
    "Step 1 of 6: Alice writes the message",
    "Step 2 of 6: Her client has sent it to her mail server",
    "Step 3 of 6: The SMTP client on Alice's mail server",
    "Step 4 of 6: After the SMTP handshake",
    "Step 5 of 6: Roberto's mail server has received",
    "Step 6 of 6: Roberto starts his mail client",
};

START_TEST(next_reaches_each_step)
{
    scenario_t *sc = load_walkthrough();
    tui_model_t *m = model_of(sc, "en");
    char *text = narration(m);
    ck_assert_msg(strstr(text, "Alice writes to Roberto: press n"), "before step 1: got \"%s\"",
                  text);
    free(text);
    ck_assert_int_eq(tui_model_step_last(m), 6);
    for (size_t i = 0; i < ARRAY_LEN(step_starts); i++) {
        ck_assert_int_eq(tui_model_run_to_next_step(m, UINT64_MAX), TUI_RUN_DONE);
        ck_assert_int_eq(tui_model_step_current(m), (int64_t)i + 1);
        ck_assert_uint_eq(tui_model_steps_reached(m), i + 1);
        text = narration(m);
        ck_assert_msg(strncmp(text, step_starts[i], strlen(step_starts[i])) == 0,
                      "step %zu: got \"%s\", want \"%s...\"", i + 1, text, step_starts[i]);
        free(text);
    }
    ck_assert_int_eq(tui_model_run_to_next_step(m, UINT64_MAX), TUI_RUN_FINISHED);
    ck_assert(tui_model_finished(m));
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

/* A slice never runs more than its budget. */
START_TEST(slices_are_bounded)
{
    scenario_t *sc = load_walkthrough();
    tui_model_t *m = model_of(sc, "en");
    ck_assert_int_eq(tui_model_run_until(m, SIM_TIME_NEVER, 5), TUI_RUN_BUDGET);
    ck_assert_uint_eq(tui_model_events(m), 5);
    ck_assert_int_eq(tui_model_run_to_events(m, 9, 100), TUI_RUN_DONE);
    ck_assert_uint_eq(tui_model_events(m), 9);
    /* Nothing is due before 5 minutes after the first message went: the clock shows 5m. */
    tui_model_run_until(m, 5 * SIM_MIN, UINT64_MAX);
    ck_assert_int_eq(tui_model_now(m), 5 * SIM_MIN);
    ck_assert_int_eq(tui_model_step_current(m), 5);
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

START_TEST(back_gives_the_identical_state)
{
    scenario_t *sc = load_walkthrough();
    tui_model_t *m = model_of(sc, "en");
    /* A few points: the start, inside the SMTP dialogue, after POP3 removed the message. */
    size_t points[] = {0, 1, 7, 30, 60};
    size_t done = 0;
    for (size_t p = 0; p < ARRAY_LEN(points); p++) {
        while (done < points[p] && tui_model_step(m))
            done++;
        char *before = tui_view_dump(m);
        uint64_t events = tui_model_events(m);
        bool stepped = tui_model_step(m);
        tui_model_back(m);
        char *after = tui_view_dump(m);
        ck_assert_msg(stepped, "step %zu did nothing", points[p]);
        ck_assert_uint_eq(tui_model_events(m), events);
        ck_assert_msg(strcmp(before, after) == 0, "after %zu steps, back differs:\n%s\n---\n%s",
                      points[p], before, after);
        free(before);
        free(after);
    }
    /* Back at the start stays at the start. */
    tui_model_rewind(m);
    tui_model_back(m);
    ck_assert_uint_eq(tui_model_events(m), 0);
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

static void run_all(tui_model_t *m)
{
    while (tui_model_run_until(m, SIM_TIME_NEVER, UINT64_MAX) == TUI_RUN_BUDGET)
        ;
}

START_TEST(filters_by_host_and_kind)
{
    scenario_t *sc = load_walkthrough();
    tui_model_t *m = model_of(sc, "en");
    run_all(m);
    size_t all = tui_model_log_count(m);
    ck_assert_uint_eq(all, tui_model_log_total(m));
    char err[256] = "";
    static const struct {
        const char *filter;
        const char *want_kind; /* every event's kind starts with it (NULL: any) */
        const char *want_host; /* every event involves it (NULL: any) */
        size_t min;
    } cases[] = {
        {"kind=smtp", "smtp.", NULL, 20},
        {"kind=pop3.command", "pop3.command", NULL, 6},
        {"host=roberto-pc", NULL, "roberto-pc", 10},
        {"host=roberto-pc kind=tcp.seg", "tcp.segment", "roberto-pc", 5},
        {"kind=walk", "walkthrough.step", NULL, 6},
        {"RETR", NULL, NULL, 1},
    };
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        ck_assert_msg(tui_model_set_filter(m, cases[c].filter, err, sizeof err), "%s: %s",
                      cases[c].filter, err);
        size_t n = tui_model_log_count(m);
        ck_assert_msg(n >= cases[c].min && n < all, "%s: %zu events of %zu", cases[c].filter, n,
                      all);
        for (size_t i = 0; i < n; i++) {
            const trace_event_t *ev = tui_model_log_at(m, i);
            const char *k = trace_kind_name(ev->kind);
            ck_assert_msg(!cases[c].want_kind ||
                              strncmp(k, cases[c].want_kind, strlen(cases[c].want_kind)) == 0,
                          "%s: got kind %s", cases[c].filter, k);
            const char *h = cases[c].want_host;
            ck_assert_msg(!h || (ev->host && strcmp(ev->host, h) == 0) ||
                              (ev->from && strcmp(ev->from, h) == 0) ||
                              (ev->to && strcmp(ev->to, h) == 0),
                          "%s: event at %s does not involve %s", cases[c].filter, ev->host, h);
        }
    }
    ck_assert(tui_model_set_filter(m, "-kind=tcp.segment", err, sizeof err));
    for (size_t i = 0; i < tui_model_log_count(m); i++)
        ck_assert_int_ne(tui_model_log_at(m, i)->kind, TRACE_TCP_SEGMENT);
    size_t no_segments = tui_model_log_count(m);
    /* A bad word is refused with a message, and the filter stays. */
    ck_assert(!tui_model_set_filter(m, "kind=nosuch", err, sizeof err));
    ck_assert_msg(strstr(err, "no event kind starts with \"nosuch\""), "got \"%s\"", err);
    ck_assert(!tui_model_set_filter(m, "host=nowhere", err, sizeof err));
    ck_assert_msg(strstr(err, "no host is named \"nowhere\""), "got \"%s\"", err);
    ck_assert_str_eq(tui_model_filter(m), "-kind=tcp.segment");
    ck_assert_uint_eq(tui_model_log_count(m), no_segments);
    /* Hiding segments on top of no filter gives the same events. */
    ck_assert(tui_model_set_filter(m, "", err, sizeof err));
    ck_assert_uint_eq(tui_model_log_count(m), all);
    tui_model_set_hide_segments(m, true);
    ck_assert_uint_eq(tui_model_log_count(m), no_segments);
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

START_TEST(transcript_of_a_session)
{
    scenario_t *sc = load_walkthrough();
    tui_model_t *m = model_of(sc, "en");
    tui_rows_t rows;
    tui_rows_init(&rows);
    tui_view_transcript(m, false, &rows);
    char *text = rows_text(&rows);
    ck_assert_str_eq(text, "(no session yet)\n");
    free(text);
    for (int i = 0; i < 4; i++)
        tui_model_run_to_next_step(m, UINT64_MAX);
    /* Step 4: the DATA command on the connection between the servers. */
    tui_rows_reset(&rows);
    tui_view_transcript(m, true, &rows);
    text = rows_text(&rows);
    static const char want[] = "#2 mail.alice.example > mail.roberto.example SMTP (open)\n"
                               "S: 220 mail.roberto.example ESMTP mailsim\n"
                               "   = 220: service ready: the server greets the client\n"
                               "C: EHLO mail.alice.example\n"
                               "S: 250-mail.roberto.example Hello mail.alice.example\n"
                               "   = 250: requested action okay, completed\n";
    ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "got:\n%s", text);
    ck_assert_msg(strstr(text, "C: DATA\n"), "no DATA in:\n%s", text);
    ck_assert_int_eq(rows.items[1].tone, TUI_TONE_SERVER);
    ck_assert_int_eq(rows.items[3].tone, TUI_TONE_CLIENT);
    free(text);
    /* Choosing the submission session shows it instead, closed by now. */
    tui_model_select_session(m, 1);
    tui_rows_reset(&rows);
    tui_view_transcript(m, false, &rows);
    ck_assert_str_eq(rows.items[0].text, "#1 alice-pc > mail.alice.example submission (closed)");
    ck_assert_str_eq(rows.items[9].text,
                     "C: AUTH PLAIN AGFsaWNlQGFsaWNlLmV4YW1wbGUAd29uZGVybGFuZA==");
    /* Enter on a reply explains its code. */
    tui_rows_t info;
    tui_rows_init(&info);
    tui_inspect(m, &rows.items[10].ref, &info);
    text = rows_text(&info);
    ck_assert_msg(strstr(text, "235: authentication succeeded"), "got:\n%s", text);
    free(text);
    tui_rows_free(&info);
    tui_rows_free(&rows);
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

static const char queue_json[] =
    "{\"until\": \"3h\", \"servers\": ["
    "{\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\"],"
    " \"users\": [{\"user\": \"alice\", \"password\": \"wonderland\"}]},"
    "{\"host\": \"mail.roberto.example\", \"domains\": [\"roberto.example\"],"
    " \"users\": [{\"user\": \"roberto\", \"password\": \"secret\"}]}],"
    "\"clients\": [{\"host\": \"alice-pc\", \"user\": \"alice@alice.example\"}],"
    "\"timeline\": [{\"at\": \"0s\", \"down\": \"mail.roberto.example\", \"for\": \"45m\"},"
    " {\"at\": \"0s\", \"send\": {\"id\": \"m1\", \"from\": \"alice@alice.example\", \"to\": "
    "[\"roberto@roberto.example\"],"
    " \"subject\": \"Hi\", \"body\": \"Hello\\n\"}}]}";

START_TEST(queue_countdown_text)
{
    diag_t diag;
    diag_init(&diag);
    scenario_t *sc = scenario_load_string("queue.json", queue_json, strlen(queue_json), &diag);
    ck_assert_msg(sc, "the queue scenario did not load: %s",
                  diag_count(&diag) ? diag_line(&diag, 0) : "");
    diag_free(&diag);
    tui_model_t *m = model_of(sc, "en");
    tui_model_run_until(m, 10 * SIM_MIN, UINT64_MAX);
    tui_rows_t rows;
    tui_rows_init(&rows);
    tui_view_queues(m, &rows);
    char *text = rows_text(&rows);
    /* The first try timed out at connect; the next comes from the queue policy. */
    ck_assert_msg(strstr(text, "mail.alice.example: 1 waiting\n"), "got:\n%s", text);
    ck_assert_msg(strstr(text, " m1 > roberto@roberto.example\n   tries 1, next in "), "got:\n%s",
                  text);
    ck_assert_msg(strstr(text, "mail.roberto.example: empty\n"), "got:\n%s", text);
    free(text);
    static const struct {
        bool in_flight;
        sim_time_t next;
        const char *lang;
        const char *want;
    } cases[] = {
        {false, 10 * SIM_MIN + 5 * SIM_MIN, "en", "next in 5m"},
        {false, 10 * SIM_MIN + 90 * SIM_SEC, "en", "next in 1m30s"},
        {false, 10 * SIM_MIN + 1500 * SIM_MS, "en", "next in 2s"},
        {false, 10 * SIM_MIN + 250 * SIM_MS, "en", "next in 250ms"},
        {false, 10 * SIM_MIN, "en", "due now"},
        {true, 11 * SIM_MIN, "en", "sending now"},
        {false, 10 * SIM_MIN + 5 * SIM_MIN, "el", "επόμενη σε 5m"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        buf_t b = BUF_INIT;
        tui_model_set_lang(m, cases[i].lang);
        tui_view_countdown(m, cases[i].in_flight, cases[i].next, &b);
        ck_assert_msg(strcmp(buf_cstr(&b), cases[i].want) == 0, "case %zu: got \"%s\", want \"%s\"",
                      i, buf_cstr(&b), cases[i].want);
        buf_free(&b);
    }
    tui_rows_free(&rows);
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

START_TEST(language_switch)
{
    scenario_t *sc = load_walkthrough();
    tui_model_t *m = model_of(sc, "en");
    tui_model_run_to_next_step(m, UINT64_MAX);
    tui_model_run_to_next_step(m, UINT64_MAX);
    tui_model_set_lang(m, "el");
    char *text = narration(m);
    ck_assert_msg(strcmp(text, "Βήμα 2 από 6: Ο mail client το έστειλε στο mail server της, όπου "
                               "τοποθετείται στην ουρά μηνυμάτων.") == 0,
                  "got \"%s\"", text);
    free(text);
    tui_rows_t rows;
    tui_rows_init(&rows);
    tui_view_queues(m, &rows);
    ck_assert_msg(strstr(rows.items[0].text, "σε αναμονή") || strstr(rows.items[0].text, "άδεια"),
                  "got \"%s\"", rows.items[0].text);
    /* The log's step line follows the language too. */
    char err[128];
    ck_assert(tui_model_set_filter(m, "kind=walk", err, sizeof err));
    tui_rows_reset(&rows);
    tui_view_log(m, 0, 10, &rows);
    ck_assert_uint_eq(rows.count, 2);
    ck_assert_msg(strstr(rows.items[0].text, "Βήμα 1: Η Αλίκη γράφει"), "got \"%s\"",
                  rows.items[0].text);
    tui_model_set_lang(m, "en");
    tui_rows_reset(&rows);
    tui_view_log(m, 0, 10, &rows);
    ck_assert_msg(strstr(rows.items[0].text, "Step 1: Alice writes"), "got \"%s\"",
                  rows.items[0].text);
    text = narration(m);
    ck_assert_msg(strncmp(text, "Step 2 of 6: Her client", 23) == 0, "got \"%s\"", text);
    free(text);
    tui_rows_free(&rows);
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

START_TEST(mailboxes_show_what_pop3_removed)
{
    scenario_t *sc = load_walkthrough();
    tui_model_t *m = model_of(sc, "en");
    for (int i = 0; i < 5; i++)
        tui_model_run_to_next_step(m, UINT64_MAX);
    tui_rows_t rows;
    tui_rows_init(&rows);
    tui_view_mailboxes(m, &rows);
    char *text = rows_text(&rows);
    ck_assert_msg(strstr(text, "mail.roberto.example\n roberto (Ρομπέρτο) INBOX: 1 message\n"
                               "   1 m1 \\Recent 735B"),
                  "got:\n%s", text);
    ck_assert_msg(strstr(text, "\"Γεια σου, Ρομπέρτο\""), "no subject in:\n%s", text);
    /* Enter on the message: its MIME tree and its source. */
    size_t at = 0;
    while (at < rows.count && rows.items[at].ref.kind != TUI_REF_MESSAGE)
        at++;
    ck_assert_uint_lt(at, rows.count);
    tui_rows_t info;
    tui_rows_init(&info);
    tui_inspect(m, &rows.items[at].ref, &info);
    char *shown = rows_text(&info);
    ck_assert_msg(strstr(shown, "- text/plain; charset=utf-8"), "no MIME tree in:\n%s", shown);
    ck_assert_msg(strstr(shown, "\nSubject: =?"), "no source in:\n%s", shown);
    free(shown);
    tui_rows_free(&info);
    free(text);
    run_all(m);
    tui_rows_reset(&rows);
    tui_view_mailboxes(m, &rows);
    text = rows_text(&rows);
    ck_assert_msg(
        strstr(text, " roberto (Ρομπέρτο) INBOX: empty\n  removed by POP3: INBOX 1 (m1) 0:10:00."),
        "got:\n%s", text);
    ck_assert_msg(strstr(text, "roberto-pc (fetched by the client)\n roberto INBOX: 1 message"),
                  "got:\n%s", text);
    free(text);
    tui_rows_free(&rows);
    tui_model_free(m);
    scenario_free(sc);
}
END_TEST

/* A world run by someone else (as mailsim serve's bridge does): the model hears it, runs nothing. */
START_TEST(watch_follows_a_world_run_elsewhere)
{
    scenario_t *sc = load_walkthrough();
    char err[256] = "";
    world_t *w = scenario_build(sc, sc->seed, NULL, NULL, err, sizeof err);
    ck_assert_msg(w, "scenario_build: %s", err);
    timeline_t *tl = timeline_new(sc, w, NULL, NULL);
    tui_model_t *m = tui_model_watch(sc, w, "en");
    ck_assert(tui_model_live(m));
    ck_assert_ptr_eq(tui_model_world(m), w);
    ck_assert_msg(!tui_model_step(m), "step on a live model: got true, want false");
    ck_assert_int_eq(tui_model_run_until(m, SIM_TIME_NEVER, 1000), TUI_RUN_FINISHED);
    ck_assert_int_eq(tui_model_run_to_next_step(m, 1000), TUI_RUN_FINISHED);
    ck_assert_uint_eq(tui_model_log_total(m), 0);
    ck_assert_int_eq(world_now(w), 0);

    sched_run_until(world_sim(w)->sched, 10 * SIM_MIN);
    size_t heard = tui_model_log_total(m);
    ck_assert_msg(heard > 10, "events heard: got %zu, want more than 10", heard);
    ck_assert_uint_ge(tui_model_session_count(m), 2);
    const tui_session_t *s = tui_model_transcript_session(m);
    ck_assert_msg(s && s->nlines > 0, "the transcript has no session with lines");
    /* Going back cannot replay real peers: nothing changes. */
    tui_model_back(m);
    tui_model_rewind(m);
    ck_assert_uint_eq(tui_model_log_total(m), heard);
    ck_assert_ptr_eq(tui_model_world(m), w);

    ck_assert(!tui_model_finished(m));
    tui_model_live_update(m, 20 * SIM_MIN, false);
    ck_assert_int_eq(tui_model_now(m), 20 * SIM_MIN);
    tui_model_live_update(m, 0, true);
    ck_assert_msg(tui_model_finished(m), "finished after the driver ended: got false");
    ck_assert_int_eq(tui_model_now(m), 20 * SIM_MIN);

    tui_model_add_notice(m, "real-1 is 192.0.2.11");
    ck_assert_uint_eq(tui_model_notice_count(m), 1);
    ck_assert_str_eq(tui_model_notice_at(m, 0), "real-1 is 192.0.2.11");
    char *text = narration(m);
    ck_assert_msg(strstr(text, "serving real clients"), "narration: got \"%s\"", text);
    free(text);

    /* Freed before the world, which goes on without it. */
    tui_model_free(m);
    sched_run_until(world_sim(w)->sched, 11 * SIM_MIN);
    timeline_free(tl);
    world_free(w);
    scenario_free(sc);
}
END_TEST

Suite *tui_model_suite(void)
{
    Suite *s = suite_create("tui_model");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, step_runs_one_visible_event);
    tcase_add_test(tc, next_reaches_each_step);
    tcase_add_test(tc, slices_are_bounded);
    tcase_add_test(tc, back_gives_the_identical_state);
    tcase_add_test(tc, filters_by_host_and_kind);
    tcase_add_test(tc, transcript_of_a_session);
    tcase_add_test(tc, queue_countdown_text);
    tcase_add_test(tc, language_switch);
    tcase_add_test(tc, mailboxes_show_what_pop3_removed);
    tcase_add_test(tc, watch_follows_a_world_run_elsewhere);
    suite_add_tcase(s, tc);
    return s;
}
