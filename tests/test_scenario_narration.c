/*
 * The narrator against a real world: Alice writes to Roberto, and each step
 * of the walkthrough is reached once, on the first event matching its `on`,
 * as a walkthrough.step event with the narration in the chosen language.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node_fixture.h"
#include "proto/smtp_ext.h"
#include "scenario/load.h"
#include "scenario/narration.h"

/* Steps out of file order, one only in English, one reached on another step's
 * event, one matched without a kind, and one never reached. */
static const char scenario_json[] =
    "{\"until\": \"3h\", \"servers\": ["
    "{\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\"],"
    " \"users\": [{\"user\": \"alice\", \"password\": \"wonderland\"}]},"
    "{\"host\": \"mail.roberto.example\", \"domains\": [\"roberto.example\"],"
    " \"users\": [{\"user\": \"roberto\", \"password\": \"secret\"}]}],"
    "\"clients\": [{\"host\": \"alice-pc\", \"user\": \"alice@alice.example\"},"
    " {\"host\": \"roberto-pc\", \"user\": \"roberto@roberto.example\"}],"
    "\"narration\": ["
    "{\"step\": 3, \"on\": {\"kind\": \"tcp.established\", \"from\": \"mail.alice.example\","
    " \"to\": \"mail.roberto.example\", \"port\": 25},"
    " \"say\": {\"en\": \"Alice's server opens TCP to Roberto's.\","
    " \"el\": \"Ο διακομιστής της Αλίκης ανοίγει TCP προς του Ρομπέρτο.\"}},"
    "{\"step\": 1, \"on\": {\"kind\": \"user.send\", \"host\": \"alice-pc\"},"
    " \"say\": {\"en\": \"Alice writes to Roberto.\", \"el\": \"Η Αλίκη γράφει στον Ρομπέρτο.\"}},"
    "{\"step\": 2, \"on\": {\"kind\": \"queue.enqueue\", \"host\": \"mail.alice.example\"},"
    " \"say\": {\"en\": \"The message waits in the queue.\","
    " \"el\": \"Το μήνυμα περιμένει στην ουρά.\"}},"
    "{\"step\": 5, \"on\": {\"kind\": \"mailbox.store\", \"host\": \"mail.roberto.example\"},"
    " \"say\": \"It is in Roberto's mailbox.\"},"
    "{\"step\": 7, \"on\": {\"kind\": \"walkthrough.step\", \"step\": 5},"
    " \"say\": {\"en\": \"Done.\", \"el\": \"Τέλος.\"}},"
    "{\"step\": 4, \"on\": {\"message\": \"m2\"},"
    " \"say\": {\"en\": \"A second message.\", \"el\": \"Δεύτερο μήνυμα.\"}},"
    "{\"step\": 6, \"on\": {\"kind\": \"user.fetch\", \"host\": \"roberto-pc\"},"
    " \"say\": {\"en\": \"Roberto reads it.\", \"el\": \"Ο Ρομπέρτο το διαβάζει.\"}}"
    "]}";

typedef struct step_want {
    int64_t step;
    trace_kind_t on; /* the event that reached it, just before it in the log */
    const char *host;
    const char *en, *el;
} step_want_t;

static const step_want_t steps_want[] = {
    {1, TRACE_USER_SEND, "alice-pc", "Alice writes to Roberto.", "Η Αλίκη γράφει στον Ρομπέρτο."},
    {2, TRACE_QUEUE_ENQUEUE, "mail.alice.example", "The message waits in the queue.",
     "Το μήνυμα περιμένει στην ουρά."},
    {3, TRACE_TCP_ESTABLISHED, "mail.alice.example", "Alice's server opens TCP to Roberto's.",
     "Ο διακομιστής της Αλίκης ανοίγει TCP προς του Ρομπέρτο."},
    {5, TRACE_MAILBOX_STORE, "mail.roberto.example", "It is in Roberto's mailbox.",
     "It is in Roberto's mailbox."},
    {7, TRACE_WALKTHROUGH_STEP, "mail.roberto.example", "Done.", "Τέλος."},
    {4, TRACE_USER_SEND, "alice-pc", "A second message.", "Δεύτερο μήνυμα."},
};

static const char *const langs[] = {"el", "en"};

START_TEST(test_steps_reached)
{
    const char *lang = langs[_i];
    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_string("walk.json", scenario_json, strlen(scenario_json), &d);
    if (!sc)
        diag_print(&d, stderr);
    ck_assert_ptr_nonnull(sc);
    diag_free(&d);
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    narrator_t *n = narrator_new(sc, world_sim(f.w), lang);
    ck_assert_uint_eq(narrator_reached(n), 0);

    fixture_send(&f, "m1", "roberto@roberto.example", "Γεια σου", "Καλημέρα\n");
    world_run_until(f.w, 30 * SIM_MIN);
    fixture_send(&f, "m2", "roberto@roberto.example", "Πάλι εγώ", "Ξανά\n");
    world_run_until(f.w, SIM_HOUR);

    size_t got = 0;
    for (size_t i = 0; i < f.rec.n; i++) {
        const trace_event_t *ev = f.rec.events[i];
        if (ev->kind != TRACE_WALKTHROUGH_STEP)
            continue;
        ck_assert_msg(got < ARRAY_LEN(steps_want), "an extra step %lld", (long long)ev->step);
        const step_want_t *w = &steps_want[got++];
        ck_assert_int_eq(ev->step, w->step);
        ck_assert_str_eq(ev->host, w->host);
        ck_assert_str_eq(ev->text, strcmp(lang, "el") == 0 ? w->el : w->en);
        /* The recorder subscribed before the narrator: it hears the event first. */
        ck_assert_uint_gt(i, 0);
        const trace_event_t *on = f.rec.events[i - 1];
        ck_assert_msg(on->kind == w->on, "step %lld: reached on %s, want %s", (long long)w->step,
                      trace_kind_name(on->kind), trace_kind_name(w->on));
        ck_assert_int_eq(ev->t, on->t);
    }
    ck_assert_uint_eq(got, ARRAY_LEN(steps_want));
    ck_assert_uint_eq(narrator_reached(n), ARRAY_LEN(steps_want));
    for (size_t i = 0; i < ARRAY_LEN(steps_want); i++)
        ck_assert(narrator_step_reached(n, steps_want[i].step));
    ck_assert(!narrator_step_reached(n, 6));
    ck_assert(!narrator_step_reached(n, 99));

    /* Freed, the narrator hears nothing more. */
    narrator_free(n);
    size_t before = f.rec.n;
    fixture_send(&f, "m3", "roberto@roberto.example", "τρίτο", "3\n");
    world_run_until(f.w, 2 * SIM_HOUR);
    for (size_t i = before; i < f.rec.n; i++)
        ck_assert_int_ne(f.rec.events[i]->kind, TRACE_WALKTHROUGH_STEP);
    fixture_free(&f);
    scenario_free(sc);
}
END_TEST

/* A scenario without narration: the narrator reaches nothing and emits nothing. */
START_TEST(test_no_narration)
{
    static const char json[] =
        "{\"servers\": [{\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\"],"
        " \"users\": [{\"user\": \"alice\", \"password\": \"wonderland\"}]}]}";
    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_string("quiet.json", json, strlen(json), &d);
    ck_assert_ptr_nonnull(sc);
    diag_free(&d);
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    narrator_t *n = narrator_new(sc, world_sim(f.w), NULL);
    fixture_send(&f, "m1", "roberto@roberto.example", "Γεια σου", "Καλημέρα\n");
    world_run_until(f.w, SIM_HOUR);
    ck_assert_uint_eq(narrator_reached(n), 0);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_WALKTHROUGH_STEP, NULL), 0);
    narrator_free(n);
    fixture_free(&f);
    scenario_free(sc);
}
END_TEST

Suite *scenario_narration_suite(void)
{
    Suite *s = suite_create("scenario_narration");
    TCase *tc = tcase_create("narration");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_steps_reached, 0, (int)ARRAY_LEN(langs));
    tcase_add_test(tc, test_no_narration);
    suite_add_tcase(s, tc);
    return s;
}
