/*
 * POP3 sessions as wholes: how they end (QUIT commits; a lost connection,
 * the auto-logout and a shutdown roll back), the maildrop lock between two
 * sessions, UIDLs stable across sessions, the hooks on top of store.h's
 * real maildrop, and the helpers of pop3.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/store.h"
#include "pop3_fixture.h"

/* --- the ends of a session ------------------------------------------------ */

START_TEST(test_connection_lost_rolls_back)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = pop3_fake_run(&fs, &st, true, LOGIN "DELE 1\r\nDELE 2\r\n", &out);
    pop3_server_connection_lost(s);
    ck_assert_str_eq(buf_cstr(&st.log), "open roberto|dele 1|dele 2|rollback|");
    ck_assert_uint_eq(st.count, 3);
    ck_assert(!st.locked);
    ck_assert(pop3_server_wants_close(s));
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_CLOSED);
    /* Input after the loss is ignored; freeing does not roll back twice. */
    buf_reset(&out);
    pop3_fake_feed(s, "QUIT\r\n", &out);
    ck_assert_uint_eq(out.len, 0);
    pop3_fake_session_free(s, &fs);
    ck_assert_str_eq(buf_cstr(&st.log), "open roberto|dele 1|dele 2|rollback|");
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_connection_lost_before_login)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s =
        pop3_fake_run(&fs, &st, true, "USER roberto\r\nPASS guess\r\nUSER roberto\r\n", &out);
    pop3_server_connection_lost(s);
    ck_assert_str_eq(buf_cstr(&st.log), "");
    ck_assert_ptr_null(pop3_server_user(s));
    pop3_fake_session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_free_rolls_back)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = pop3_fake_run(&fs, &st, true, LOGIN "DELE 1\r\n", &out);
    pop3_fake_session_free(s, &fs);
    ck_assert_str_eq(buf_cstr(&st.log), "open roberto|dele 1|rollback|");
    ck_assert(!st.locked);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_timeout)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = pop3_fake_run(&fs, &st, true, LOGIN "DELE 1\r\n", &out);
    buf_reset(&out);
    /* RFC 1939 3: auto-logout sends nothing and does not enter UPDATE. */
    pop3_server_timeout(s, &out);
    ck_assert_uint_eq(out.len, 0);
    ck_assert(pop3_server_wants_close(s));
    ck_assert_str_eq(buf_cstr(&st.log), "open roberto|dele 1|rollback|");
    ck_assert_uint_eq(st.count, 3);
    ck_assert_int_eq(POP3_SERVER_IDLE_TIMEOUT, 10 * SIM_MIN);
    pop3_fake_session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_shutdown)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = pop3_fake_run(&fs, &st, true, LOGIN "DELE 1\r\n", &out);
    buf_reset(&out);
    pop3_server_shutdown(s, &out);
    ck_assert_str_eq(buf_cstr(&out), "-ERR [SYS/TEMP] pop.roberto.example POP3 server shutting "
                                     "down; no message was deleted\r\n");
    ck_assert(pop3_server_wants_close(s));
    ck_assert_str_eq(buf_cstr(&st.log), "open roberto|dele 1|rollback|");
    /* A second shutdown says nothing more. */
    buf_reset(&out);
    pop3_server_shutdown(s, &out);
    ck_assert_uint_eq(out.len, 0);
    pop3_fake_session_free(s, &fs);
    buf_reset(&out);
    s = pop3_fake_run(&fs, &st, true, "", &out);
    pop3_server_shutdown(s, &out);
    ck_assert_str_eq(buf_cstr(&out),
                     "-ERR [SYS/TEMP] pop.roberto.example POP3 server shutting down\r\n");
    pop3_fake_session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_second_session_in_use)
{
    fake_session_t fs1, fs2;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out1 = BUF_INIT, out2 = BUF_INIT;
    pop3_server_t *s1 = pop3_fake_run(&fs1, &st, true, LOGIN "DELE 1\r\n", &out1);
    pop3_server_t *s2 = pop3_fake_run(&fs2, &st, true, LOGIN, &out2);
    ck_assert_str_eq(buf_cstr(&out2),
                     R_USER "-ERR [IN-USE] maildrop already locked: another session is open\r\n");
    ck_assert_int_eq(pop3_server_state(s2), POP3_SERVER_AUTHORIZATION);
    /* Once the first session QUITs, the second one gets in and sees the deletion. */
    pop3_fake_feed(s1, "QUIT\r\n", &out1);
    buf_reset(&out2);
    pop3_fake_feed(s2, LOGIN "UIDL\r\n", &out2);
    ck_assert_str_eq(buf_cstr(&out2),
                     R_USER "+OK roberto's maildrop has 2 messages (77 octets)\r\n"
                            "+OK unique-id listing follows\r\n1 0000000700000002\r\n"
                            "2 0000000700000005\r\n.\r\n");
    pop3_fake_session_free(s1, &fs1);
    pop3_fake_session_free(s2, &fs2);
    buf_free(&out1);
    buf_free(&out2);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_uidl_stable)
{
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t first = BUF_INIT, second = BUF_INIT;
    for (int i = 0; i < 2; i++) {
        fake_session_t fs;
        pop3_server_t *s =
            pop3_fake_run(&fs, &st, true, LOGIN "UIDL\r\nQUIT\r\n", i ? &second : &first);
        pop3_fake_session_free(s, &fs);
    }
    ck_assert_str_eq(buf_cstr(&first), buf_cstr(&second));
    ck_assert_msg(strstr(buf_cstr(&first), R_UIDL_ALL), "%s", buf_cstr(&first));
    buf_free(&first);
    buf_free(&second);
    buf_free(&st.log);
}
END_TEST

/* --- the shared helpers (pop3.h) ----------------------------------------- */

START_TEST(test_helpers)
{
    const char *text;
    ck_assert_int_eq(pop3_status_parse("+OK 2 320", &text), POP3_STATUS_OK);
    ck_assert_str_eq(text, "2 320");
    ck_assert_int_eq(pop3_status_parse("+OK", &text), POP3_STATUS_OK);
    ck_assert_str_eq(text, "");
    ck_assert_int_eq(pop3_status_parse("-ERR [IN-USE] busy", &text), POP3_STATUS_ERR);
    ck_assert_str_eq(text, "[IN-USE] busy");
    ck_assert_int_eq(pop3_status_parse("+OKAY", NULL), POP3_STATUS_BAD);
    ck_assert_int_eq(pop3_status_parse("+ok", NULL), POP3_STATUS_BAD);
    ck_assert_int_eq(pop3_status_parse("220 smtp", NULL), POP3_STATUS_BAD);
    ck_assert_int_eq(pop3_status_parse("", NULL), POP3_STATUS_BAD);
    ck_assert(pop3_has_resp_code("[IN-USE] busy", "IN-USE"));
    ck_assert(pop3_has_resp_code("[auth] no", "AUTH"));
    ck_assert(pop3_has_resp_code("[SYS/TEMP] later", "SYS"));
    ck_assert(!pop3_has_resp_code("[AUTHX] no", "AUTH"));
    ck_assert(!pop3_has_resp_code("AUTH", "AUTH"));
    uint32_t n;
    ck_assert(pop3_parse_number("4294967295", 10, &n));
    ck_assert_uint_eq(n, 4294967295u);
    ck_assert(!pop3_parse_number("4294967296", 10, &n));
    ck_assert(!pop3_parse_number("", 0, &n));
    ck_assert(!pop3_parse_number("+1", 2, &n));
    ck_assert(pop3_parse_number("007", 3, &n));
    ck_assert_uint_eq(n, 7);
    char ts[POP3_TIMESTAMP_MAX];
    ck_assert(pop3_greeting_timestamp("POP3 server ready " RFC_TIMESTAMP, ts, sizeof ts));
    ck_assert_str_eq(ts, RFC_TIMESTAMP);
    ck_assert(pop3_greeting_timestamp("<not one> <a@b> x", ts, sizeof ts));
    ck_assert_str_eq(ts, "<a@b>");
    ck_assert(!pop3_greeting_timestamp("ready <no-at-sign>", ts, sizeof ts));
    ck_assert(!pop3_greeting_timestamp("ready <unclosed@x", ts, sizeof ts));
    ck_assert(!pop3_greeting_timestamp(RFC_TIMESTAMP, ts, 10));
    pop3_timestamp_format(ts, sizeof ts, 12, 345, "pop.roberto.example");
    ck_assert_str_eq(ts, "<12.345@pop.roberto.example>");
    char digest[MD5_HEX_SIZE];
    pop3_apop_digest(RFC_TIMESTAMP, "tanstaaf", digest);
    ck_assert_str_eq(digest, "c4c9334bac560ecc979e58001b3e22fb");
}
END_TEST

/* --- the hooks on top of store.h's maildrop -------------------------------- */

/* What a node does: one session's hooks over store_maildrop_*. */
typedef struct store_session {
    store_t *store;
    store_maildrop_id_t id;
    char uidl[STORE_UIDL_SIZE];
} store_session_t;

static bool ss_password(void *ctx, const char *user, const char *password)
{
    store_user_t *u = store_find_user(((store_session_t *)ctx)->store, user);
    return u && store_user_check_password(u, password);
}

static const char *ss_secret(void *ctx, const char *user)
{
    store_user_t *u = store_find_user(((store_session_t *)ctx)->store, user);
    return u ? store_user_password(u) : NULL;
}

static pop3_open_result_t ss_open(void *ctx, const char *user)
{
    store_session_t *ss = ctx;
    store_user_t *u = store_find_user(ss->store, user);
    if (!u)
        return POP3_OPEN_FAILED;
    switch (store_maildrop_open(ss->store, u, &ss->id)) {
    case STORE_OK:
        return POP3_OPEN_OK;
    case STORE_LOCKED:
        return POP3_OPEN_LOCKED;
    default:
        return POP3_OPEN_FAILED;
    }
}

static void ss_stat(void *ctx, pop3_maildrop_stat_t *out)
{
    store_session_t *ss = ctx;
    store_maildrop_stat_t st = {0, 0, 0};
    store_maildrop_stat(ss->store, ss->id, &st);
    *out = (pop3_maildrop_stat_t){st.messages, st.live, st.live_octets};
}

static pop3_msg_status_t ss_status(store_err_t err)
{
    switch (err) {
    case STORE_OK:
        return POP3_MSG_OK;
    case STORE_MSG_DELETED:
        return POP3_MSG_DELETED;
    default:
        return POP3_MSG_NONE;
    }
}

static pop3_msg_status_t ss_message(void *ctx, uint32_t n, pop3_msg_info_t *out)
{
    store_session_t *ss = ctx;
    store_maildrop_msg_t m;
    store_err_t err = store_maildrop_msg(ss->store, ss->id, n, &m);
    if (err == STORE_OK || err == STORE_MSG_DELETED) {
        memcpy(ss->uidl, m.uidl, sizeof ss->uidl);
        *out = (pop3_msg_info_t){m.size, ss->uidl, m.data, m.size};
    }
    return ss_status(err);
}

static pop3_msg_status_t ss_dele(void *ctx, uint32_t n)
{
    store_session_t *ss = ctx;
    return ss_status(store_maildrop_delete(ss->store, ss->id, n));
}

static void ss_rset(void *ctx)
{
    store_session_t *ss = ctx;
    store_maildrop_reset(ss->store, ss->id);
}

static bool ss_commit(void *ctx, uint32_t *deleted)
{
    store_session_t *ss = ctx;
    return store_maildrop_commit(ss->store, ss->id, deleted) == STORE_OK;
}

static void ss_rollback(void *ctx)
{
    store_session_t *ss = ctx;
    store_maildrop_rollback(ss->store, ss->id);
}

static pop3_server_t *store_server(store_session_t *ss, store_t *store, buf_t *out)
{
    *ss = (store_session_t){.store = store};
    pop3_server_config_t cfg = {.hostname = "pop.roberto.example", .timestamp = RFC_TIMESTAMP};
    pop3_server_hooks_t hooks = {
        .ctx = ss,
        .check_password = ss_password,
        .apop_secret = ss_secret,
        .open_maildrop = ss_open,
        .stat = ss_stat,
        .message = ss_message,
        .dele = ss_dele,
        .rset = ss_rset,
        .commit = ss_commit,
        .rollback = ss_rollback,
    };
    pop3_server_t *s = pop3_server_new(&cfg, &hooks);
    pop3_server_start(s, out);
    buf_reset(out);
    return s;
}

static store_t *roberto_store(store_user_t **u)
{
    store_t *store = store_new();
    ck_assert_int_eq(store_add_domain(store, "roberto.example"), STORE_OK);
    ck_assert_int_eq(store_add_user(store, "roberto", "secret", NULL, 0, u), STORE_OK);
    ck_assert_int_eq(store_deliver(*u, M1, strlen(M1), 0, "m1", NULL), STORE_OK);
    ck_assert_int_eq(store_deliver(*u, M2, strlen(M2), 0, "m2", NULL), STORE_OK);
    return store;
}

START_TEST(test_on_the_store)
{
    store_user_t *u;
    store_t *store = roberto_store(&u);
    store_session_t ss1, ss2;
    buf_t out1 = BUF_INIT, out2 = BUF_INIT;
    pop3_server_t *s1 = store_server(&ss1, store, &out1);
    pop3_server_t *s2 = store_server(&ss2, store, &out2);
    pop3_fake_feed(
        s1, "USER roberto@roberto.example\r\nPASS secret\r\nUIDL\r\nDELE 1\r\nRETR 2\r\n", &out1);
    pop3_fake_feed(s2, LOGIN, &out2);
    ck_assert_str_eq(buf_cstr(&out1),
                     R_USER "+OK roberto@roberto.example's maildrop has 2 messages (94 octets)\r\n"
                            "+OK unique-id listing follows\r\n1 0000000100000001\r\n"
                            "2 0000000100000002\r\n.\r\n" R_DELE(
                                "1") "+OK 36 octets\r\n"
                                     "Subject: two\r\n\r\n..hidden\r\nline 2\r\n..\r\n.\r\n");
    ck_assert_str_eq(buf_cstr(&out2),
                     R_USER "-ERR [IN-USE] maildrop already locked: another session is open\r\n");
    ck_assert(store_user_maildrop_locked(u));
    /* The first session is lost: nothing deleted, the lock gone. */
    pop3_server_connection_lost(s1);
    ck_assert(!store_user_maildrop_locked(u));
    ck_assert_uint_eq(store_folder_msg_count(store_inbox(u)), 2);
    /* The second one gets in, deletes, and QUIT commits. */
    buf_reset(&out2);
    pop3_fake_feed(s2, LOGIN "DELE 1\r\nQUIT\r\n", &out2);
    ck_assert_str_eq(
        buf_cstr(&out2),
        R_USER "+OK roberto's maildrop has 2 messages (94 octets)\r\n" R_DELE(
            "1") "+OK pop.roberto.example POP3 server signing off (1 deleted, 1 message "
                 "left)\r\n");
    ck_assert_uint_eq(store_folder_msg_count(store_inbox(u)), 1);
    ck_assert_str_eq(store_msg_label(store_msg_by_seq(store_inbox(u), 1)), "m2");
    ck_assert(!store_user_maildrop_locked(u));
    pop3_server_free(s1);
    pop3_server_free(s2);
    /* APOP with the store's password as the shared secret; then the host crashes. */
    store_session_t ss3;
    buf_t out3 = BUF_INIT;
    pop3_server_t *s3 = store_server(&ss3, store, &out3);
    char digest[MD5_HEX_SIZE], line[100];
    pop3_apop_digest(RFC_TIMESTAMP, "secret", digest);
    snprintf(line, sizeof line, "APOP roberto %s\r\nDELE 1\r\n", digest);
    pop3_fake_feed(s3, line, &out3);
    store_crash(store);
    pop3_fake_feed(s3, "QUIT\r\n", &out3);
    ck_assert_str_eq(buf_cstr(&out3), "+OK roberto's maildrop has 1 message (36 octets)\r\n" R_DELE(
                                          "1") "-ERR some deleted messages not removed\r\n");
    ck_assert_uint_eq(store_folder_msg_count(store_inbox(u)), 1);
    pop3_server_free(s3);
    store_free(store);
    buf_free(&out1);
    buf_free(&out2);
    buf_free(&out3);
}
END_TEST

Suite *pop3_session_suite(void)
{
    Suite *s = suite_create("pop3_session");
    TCase *ends = tcase_create("ends");
    tcase_add_test(ends, test_connection_lost_rolls_back);
    tcase_add_test(ends, test_connection_lost_before_login);
    tcase_add_test(ends, test_free_rolls_back);
    tcase_add_test(ends, test_timeout);
    tcase_add_test(ends, test_shutdown);
    suite_add_tcase(s, ends);
    TCase *drop = tcase_create("maildrop");
    tcase_add_test(drop, test_second_session_in_use);
    tcase_add_test(drop, test_uidl_stable);
    tcase_add_test(drop, test_on_the_store);
    suite_add_tcase(s, drop);
    TCase *helpers = tcase_create("helpers");
    tcase_add_test(helpers, test_helpers);
    suite_add_tcase(s, helpers);
    return s;
}
