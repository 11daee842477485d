/*
 * IMAP end to end: Roberto's user agent reads his mail over IMAP and it
 * stays on the server, marked \Seen; folders made and removed; a message
 * moved by its Greek subject into a Greek folder; flags added and removed;
 * a delete that marks \Deleted and expunges; two sessions of one user, one
 * idling, told of what the other did and of new mail at once; the trace's
 * fields; the accounting of every message throughout.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "node/accounting.h"
#include "node_fixture.h"
#include "proto/smtp_ext.h"

static store_folder_t *server_folder(fixture_t *f, const char *name)
{
    store_user_t *u = store_find_user(server_store(f->roberto_srv), "roberto");
    return store_folder_find(u, name);
}

static void imap(user_agent_t *a, const agent_imap_op_t *ops, size_t n)
{
    char err[200];
    ck_assert_msg(agent_imap(a, ops, n, err, sizeof err), "%s", err);
}

/* The events of a kind at a host with the given verb and status (NULL: any). */
static size_t count_lines(const recorder_t *r, trace_kind_t kind, const char *verb,
                          const char *status, const char *line)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const trace_event_t *ev = r->events[i];
        if (ev->kind != kind)
            continue;
        if (verb && (!ev->verb || strcmp(ev->verb, verb) != 0))
            continue;
        if (status && (!ev->status || strcmp(ev->status, status) != 0))
            continue;
        if (line && (!ev->line || strcmp(ev->line, line) != 0))
            continue;
        n++;
    }
    return n;
}

/* The text of the last user.result at host. */
static const char *last_result(const recorder_t *r, const char *host)
{
    const char *text = "";
    for (size_t i = 0; i < r->n; i++)
        if (r->events[i]->kind == TRACE_USER_RESULT && strcmp(r->events[i]->host, host) == 0)
            text = r->events[i]->text;
    return text;
}

static user_agent_t *add_phone(fixture_t *f)
{
    char err[200];
    user_agent_t *a = world_add_agent(f->w, "roberto-phone", 0xC6336465u, "roberto@roberto.example",
                                      "secret", f->roberto_srv, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    return a;
}

START_TEST(test_fetch_leaves_mail_on_the_server_seen)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "Γεια σου", "Καλημέρα\n");
    world_run_until(f.w, 10 * SIM_MIN);
    char err[200];
    ck_assert_msg(agent_fetch_imap(f.roberto_pc, NULL, err, sizeof err), "%s", err);
    world_run_until(f.w, 20 * SIM_MIN);
    /* A copy at the client, the original on the server, marked read there. */
    store_t *local = agent_local_store(f.roberto_pc);
    ck_assert_ptr_nonnull(local);
    const store_msg_t *copy = store_msg_by_seq(store_inbox(store_user_at(local, 0)), 1);
    ck_assert_ptr_nonnull(copy);
    ck_assert_str_eq(store_msg_label(copy), "m1");
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    const store_msg_t *m =
        store_msg_by_seq(store_inbox(store_user_at(server_store(f.roberto_srv), 0)), 1);
    ck_assert(store_msg_flags(m) & STORE_FLAG_SEEN);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_USER_FETCH, "roberto-pc"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_MAILBOX_DELETE, NULL), 0);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_MAILBOX_EXPUNGE, NULL), 0);
    /* The user.fetch names the folder and the server's UID. */
    for (size_t i = 0; i < f.rec.n; i++) {
        const trace_event_t *ev = f.rec.events[i];
        if (ev->kind == TRACE_USER_FETCH) {
            ck_assert_str_eq(ev->folder, "INBOX");
            ck_assert_int_eq(ev->uid, 1);
            ck_assert_str_eq(ev->message, "m1");
        }
    }
    /* The password crossed the wire in clear, to port 143; the reply names its command. */
    ck_assert_uint_eq(
        count_lines(&f.rec, TRACE_IMAP_COMMAND, "LOGIN", NULL, "a1 LOGIN roberto secret"), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "LOGIN", "OK", NULL), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "FETCH", "*", NULL), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, NULL, "+", NULL), 0);
    ck_assert_str_eq(last_result(&f.rec, "roberto-pc"), "IMAP session done: found 1, fetched 1");
    /* A second fetch finds nothing new: the server remembers it was read. */
    ck_assert(agent_fetch_imap(f.roberto_pc, "INBOX", err, sizeof err));
    world_run_until(f.w, 30 * SIM_MIN);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_USER_FETCH, "roberto-pc"), 1);
    ck_assert_str_eq(last_result(&f.rec, "roberto-pc"), "IMAP session done: nothing matched");
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_create_and_delete_a_folder)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    size_t before = recorder_count(&f.rec, TRACE_MAILBOX_FOLDER, "mail.roberto.example");
    agent_imap_op_t create = {.kind = AGENT_IMAP_CREATE, .folder = "Σχολή/2026"};
    imap(f.roberto_pc, &create, 1);
    world_run_until(f.w, SIM_MIN);
    ck_assert_ptr_nonnull(server_folder(&f, "Σχολή"));
    ck_assert_ptr_nonnull(server_folder(&f, "Σχολή/2026"));
    /* Two: the superior level "Σχολή" is made on the way (RFC 3501 6.3.3). */
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_MAILBOX_FOLDER, "mail.roberto.example"),
                      before + 2);
    agent_imap_op_t del = {.kind = AGENT_IMAP_DELETE_FOLDER, .folder = "Σχολή/2026"};
    imap(f.roberto_pc, &del, 1);
    world_run_until(f.w, 2 * SIM_MIN);
    ck_assert_ptr_null(server_folder(&f, "Σχολή/2026"));
    ck_assert_ptr_nonnull(server_folder(&f, "Σχολή"));
    ck_assert_str_eq(last_result(&f.rec, "roberto-pc"), "IMAP session done: folders deleted 1");
    /* Deleting it again is refused: the session says why. */
    imap(f.roberto_pc, &del, 1);
    world_run_until(f.w, 3 * SIM_MIN);
    ck_assert_msg(strstr(last_result(&f.rec, "roberto-pc"), "IMAP failed: DELETE refused: NO"),
                  "%s", last_result(&f.rec, "roberto-pc"));
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "DELETE", "NO", NULL), 1);
    fixture_free(&f);
}
END_TEST

START_TEST(test_move_by_greek_subject_into_a_greek_folder)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "Γεια σου", "1\n");
    fixture_send(&f, "m2", "roberto@roberto.example", "Lab", "2\n");
    world_run_until(f.w, 10 * SIM_MIN);
    agent_imap_op_t ops[] = {
        {.kind = AGENT_IMAP_CREATE, .folder = "Σχολή"},
        {.kind = AGENT_IMAP_MOVE, .folder = "Σχολή", .subject = "ΓΕΙΑ"},
    };
    imap(f.roberto_pc, ops, 2);
    world_run_until(f.w, 20 * SIM_MIN);
    store_folder_t *school = server_folder(&f, "Σχολή");
    ck_assert_ptr_nonnull(school);
    ck_assert_uint_eq(store_folder_count_label(school, "m1"), 1);
    ck_assert_uint_eq(store_folder_msg_count(school), 1);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert_str_eq(last_result(&f.rec, "roberto-pc"),
                     "IMAP session done: found 1, moved 1, expunged 1, folders created 1");
    /* The search went as a literal of UTF-8, the move with the folder in modified UTF-7. */
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, "UID SEARCH", NULL,
                                  "a4 UID SEARCH CHARSET UTF-8 SUBJECT {8+}"),
                      1);
    ck_assert_uint_eq(
        count_lines(&f.rec, TRACE_IMAP_COMMAND, "UID MOVE", NULL, "a5 UID MOVE 1 &A6MDxwO,A7sDrg-"),
        1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_MAILBOX_EXPUNGE, "mail.roberto.example"), 1);
    /* Moving it out of INBOX is its owner's doing: nothing is lost. */
    ck_assert(accounting_ok(f.w));
    /* Fetching the folder later, from another client, brings it. */
    user_agent_t *phone = add_phone(&f);
    char err[200];
    ck_assert(agent_fetch_imap(phone, "Σχολή", err, sizeof err));
    world_run_until(f.w, 30 * SIM_MIN);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_USER_FETCH, "roberto-phone"), 1);
    store_user_t *lu = store_user_at(agent_local_store(phone), 0);
    ck_assert_uint_eq(store_folder_msg_count(store_folder_find(lu, "Σχολή")), 1);
    fixture_free(&f);
}
END_TEST

START_TEST(test_flags_added_and_removed)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "Lab report", "1\n");
    world_run_until(f.w, 10 * SIM_MIN);
    const char *add[] = {"\\Flagged", "$Work", "\\Seen"};
    const char *remove[] = {"\\Seen"};
    agent_imap_op_t op = {.kind = AGENT_IMAP_FLAG,
                          .subject = "report",
                          .add = add,
                          .nadd = 3,
                          .remove = remove,
                          .nremove = 1};
    imap(f.roberto_pc, &op, 1);
    world_run_until(f.w, 20 * SIM_MIN);
    const store_msg_t *m = store_msg_by_seq(server_folder(&f, "INBOX"), 1);
    ck_assert_uint_eq(store_msg_flags(m) & (STORE_FLAG_FLAGGED | STORE_FLAG_SEEN),
                      STORE_FLAG_FLAGGED);
    ck_assert(store_msg_has_keyword(m, "$Work"));
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, "UID STORE", NULL,
                                  "a4 UID STORE 1 +FLAGS (\\Flagged $Work \\Seen)"),
                      1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, "UID STORE", NULL,
                                  "a5 UID STORE 1 -FLAGS (\\Seen)"),
                      1);
    ck_assert_str_eq(last_result(&f.rec, "roberto-pc"),
                     "IMAP session done: found 1, flag changes 2");
    /* A flag that is no flag is refused before anything is sent. */
    const char *bad[] = {"(\\Seen)"};
    agent_imap_op_t wrong = {.kind = AGENT_IMAP_FLAG, .subject = "report", .add = bad, .nadd = 1};
    char err[200];
    ck_assert(!agent_imap(f.roberto_pc, &wrong, 1, err, sizeof err));
    ck_assert_msg(strstr(err, "a flag is"), "%s", err);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_delete_by_subject_marks_and_expunges)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "Spam offer", "1\n");
    fixture_send(&f, "m2", "roberto@roberto.example", "Lab", "2\n");
    world_run_until(f.w, 10 * SIM_MIN);
    agent_imap_op_t op = {.kind = AGENT_IMAP_DELETE, .subject = "spam"};
    imap(f.roberto_pc, &op, 1);
    world_run_until(f.w, 20 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert_uint_eq(store_folder_count_label(server_folder(&f, "INBOX"), "m2"), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, "UID STORE", NULL,
                                  "a4 UID STORE 1 +FLAGS (\\Deleted)"),
                      1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, "UID EXPUNGE", NULL, NULL), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "EXPUNGE", "*", "* 1 EXPUNGE"), 1);
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_MAILBOX_EXPUNGE, "mail.roberto.example"), 1);
    ck_assert(accounting_ok(f.w));
    /* Nothing matches now: nothing is marked or expunged. */
    imap(f.roberto_pc, &op, 1);
    world_run_until(f.w, 30 * SIM_MIN);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, "UID EXPUNGE", NULL, NULL), 1);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    fixture_free(&f);
}
END_TEST

/* The time of the first untagged response with that line sent to a client host. */
static sim_time_t untagged_time(const recorder_t *r, const char *line, const char *to)
{
    for (size_t i = 0; i < r->n; i++) {
        const trace_event_t *ev = r->events[i];
        if (ev->kind == TRACE_IMAP_RESPONSE && ev->line && strcmp(ev->line, line) == 0 &&
            ev->status && strcmp(ev->status, "*") == 0 && ev->to && strcmp(ev->to, to) == 0)
            return ev->t;
    }
    return -1;
}

START_TEST(test_an_idling_session_hears_the_other_clients_move)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "Γεια σου", "1\n");
    world_run_until(f.w, 10 * SIM_MIN);
    user_agent_t *phone = add_phone(&f);
    agent_imap_op_t idle = {.kind = AGENT_IMAP_IDLE};
    imap(phone, &idle, 1);
    world_run_until(f.w, 11 * SIM_MIN);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, NULL, "+", "+ idling"), 1);
    agent_imap_op_t ops[] = {
        {.kind = AGENT_IMAP_CREATE, .folder = "Σχολή"},
        {.kind = AGENT_IMAP_MOVE, .folder = "Σχολή", .subject = "Γεια"},
    };
    imap(f.roberto_pc, ops, 2);
    world_run_until(f.w, 12 * SIM_MIN);
    /* The phone was told of the expunge when it happened, not at its next command. */
    sim_time_t moved = recorder_time(&f.rec, TRACE_MAILBOX_EXPUNGE, "mail.roberto.example", 0);
    ck_assert_int_ge(moved, 11 * SIM_MIN);
    ck_assert_int_eq(untagged_time(&f.rec, "* 1 EXPUNGE", "roberto-phone"), moved);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, NULL, NULL, "DONE"), 1);
    ck_assert_str_eq(last_result(&f.rec, "roberto-phone"),
                     "IMAP session done: updates while idling 1");
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

START_TEST(test_an_idling_session_hears_new_mail)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    agent_imap_op_t idle = {.kind = AGENT_IMAP_IDLE};
    imap(f.roberto_pc, &idle, 1);
    world_run_until(f.w, SIM_MIN);
    fixture_send(&f, "m1", "roberto@roberto.example", "news", "1\n");
    world_run_until(f.w, 5 * SIM_MIN);
    sim_time_t stored = recorder_time(&f.rec, TRACE_MAILBOX_STORE, "mail.roberto.example", 0);
    ck_assert_int_gt(stored, SIM_MIN);
    ck_assert_int_eq(untagged_time(&f.rec, "* 1 EXISTS", "roberto-pc"), stored);
    ck_assert_str_eq(last_result(&f.rec, "roberto-pc"),
                     "IMAP session done: updates while idling 1");
    fixture_free(&f);
}
END_TEST

START_TEST(test_idle_without_news_ends_after_ten_minutes)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    agent_imap_op_t idle = {.kind = AGENT_IMAP_IDLE};
    imap(f.roberto_pc, &idle, 1);
    world_run_until(f.w, 9 * SIM_MIN);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, NULL, NULL, "DONE"), 0);
    world_run_until(f.w, 12 * SIM_MIN);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, NULL, NULL, "DONE"), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "IDLE", "OK", NULL), 1);
    ck_assert_str_eq(last_result(&f.rec, "roberto-pc"), "IMAP session done: nothing matched");
    fixture_free(&f);
}
END_TEST

START_TEST(test_typed_session_and_a_wrong_password)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "Lab", "1\n");
    world_run_until(f.w, 10 * SIM_MIN);
    const char *lines[] = {"t1 LOGIN roberto secret", "t2 SELECT INBOX", "t3 FETCH 1 FLAGS",
                           "t4 LOGOUT"};
    char err[200];
    ck_assert(agent_session(f.alice_pc, "mail.roberto.example", 143, lines, 4, err, sizeof err));
    world_run_until(f.w, 11 * SIM_MIN);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "SELECT", "OK", NULL), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "EXISTS", "*", "* 1 EXISTS"), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "LOGOUT", "OK", NULL), 1);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "BYE", "*", NULL), 1);
    /* A client with the wrong password is refused, and says so. */
    user_agent_t *intruder =
        world_add_agent(f.w, "intruder", 0xCB007105u, "roberto@roberto.example", "guess",
                        f.roberto_srv, err, sizeof err);
    ck_assert_msg(intruder != NULL, "%s", err);
    ck_assert(agent_fetch_imap(intruder, NULL, err, sizeof err));
    world_run_until(f.w, 12 * SIM_MIN);
    ck_assert_msg(
        strstr(last_result(&f.rec, "intruder"), "IMAP failed: wrong user name or password: NO"),
        "%s", last_result(&f.rec, "intruder"));
    ck_assert_uint_eq(recorder_count(&f.rec, TRACE_USER_FETCH, "intruder"), 0);
    fixture_free(&f);
}
END_TEST

/* RFC 3501 6.3.5: renaming INBOX moves its messages out; the accounting follows them. */
START_TEST(test_renaming_inbox_is_its_owners_doing)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    fixture_send(&f, "m1", "roberto@roberto.example", "one", "1\n");
    fixture_send(&f, "m2", "roberto@roberto.example", "two", "2\n");
    world_run_until(f.w, 10 * SIM_MIN);
    const char *lines[] = {"t1 LOGIN roberto secret", "t2 RENAME INBOX Old", "t3 LOGOUT"};
    char err[200];
    ck_assert(agent_session(f.roberto_pc, "mail.roberto.example", 143, lines, 3, err, sizeof err));
    world_run_until(f.w, 11 * SIM_MIN);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_RESPONSE, "RENAME", "OK", NULL), 1);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 0);
    ck_assert_uint_eq(store_folder_msg_count(server_folder(&f, "Old")), 2);
    ck_assert(accounting_ok(f.w));
    /* New mail still lands in INBOX, and is counted there. */
    fixture_send(&f, "m3", "roberto@roberto.example", "three", "3\n");
    world_run_until(f.w, 20 * SIM_MIN);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), 1);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

/* Sessions still open when the world goes leave nothing behind (ASan's leak check). */
START_TEST(test_world_freed_in_the_middle_of_sessions)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    agent_imap_op_t idle = {.kind = AGENT_IMAP_IDLE};
    imap(f.roberto_pc, &idle, 1);
    agent_imap_op_t create = {.kind = AGENT_IMAP_CREATE, .folder = "A"};
    imap(add_phone(&f), &create, 1);
    world_run_until(f.w, 60 * SIM_MS);
    ck_assert_uint_eq(count_lines(&f.rec, TRACE_IMAP_COMMAND, "LOGIN", NULL, NULL), 2);
    fixture_free(&f);
}
END_TEST

Suite *node_imap_suite(void)
{
    Suite *s = suite_create("node_imap");
    TCase *tc = tcase_create("imap");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_fetch_leaves_mail_on_the_server_seen);
    tcase_add_test(tc, test_create_and_delete_a_folder);
    tcase_add_test(tc, test_move_by_greek_subject_into_a_greek_folder);
    tcase_add_test(tc, test_flags_added_and_removed);
    tcase_add_test(tc, test_delete_by_subject_marks_and_expunges);
    tcase_add_test(tc, test_an_idling_session_hears_the_other_clients_move);
    tcase_add_test(tc, test_an_idling_session_hears_new_mail);
    tcase_add_test(tc, test_idle_without_news_ends_after_ten_minutes);
    tcase_add_test(tc, test_typed_session_and_a_wrong_password);
    tcase_add_test(tc, test_renaming_inbox_is_its_owners_doing);
    tcase_add_test(tc, test_world_freed_in_the_middle_of_sessions);
    suite_add_tcase(s, tc);
    return s;
}
