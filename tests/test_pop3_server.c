/*
 * The POP3 server engine: every command in every state and every error from
 * tables, tracing, line limits, and pipelining split at every byte, over the
 * fake maildrop of pop3_fixture.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_fixture.h"

/* --- the table ----------------------------------------------------------- */

typedef enum setup { NORMAL, NO_TIMESTAMP, LOCKED, COMMIT_FAILS } setup_t;

typedef struct server_case {
    const char *name;
    setup_t setup;
    const char *in;
    const char *want;
    const char *want_log; /* the maildrop hooks called, before the engine is freed */
} server_case_t;

static const server_case_t cases[] = {
    /* AUTHORIZATION */
    {"USER and PASS", NORMAL, LOGIN, R_LOGIN, "open roberto|"},
    {"lower-case commands", NORMAL, "user roberto\r\npass secret\r\nstat\r\n",
     R_LOGIN "+OK 3 135\r\n", "open roberto|"},
    {"wrong password", NORMAL, "USER roberto\r\nPASS guess\r\n", R_USER R_WRONG_PASS, ""},
    {"unknown user: the same answer", NORMAL, "USER nobody\r\nPASS secret\r\n", R_USER R_WRONG_PASS,
     ""},
    {"after a wrong password, USER again", NORMAL, "USER roberto\r\nPASS guess\r\n" LOGIN,
     R_USER R_WRONG_PASS R_LOGIN, "open roberto|"},
    {"after a wrong password, PASS alone", NORMAL, "USER roberto\r\nPASS guess\r\nPASS secret\r\n",
     R_USER R_WRONG_PASS "-ERR send USER with your name first, then PASS\r\n", ""},
    {"a password with spaces", NORMAL, "USER spacey\r\nPASS open sesame\r\n",
     R_USER "+OK spacey's maildrop has 3 messages (135 octets)\r\n", "open spacey|"},
    {"USER twice: the second name counts", NORMAL, "USER nobody\r\n" LOGIN, R_USER R_LOGIN,
     "open roberto|"},
    {"USER without a name", NORMAL, "USER\r\n", R_USAGE("USER <name>"), ""},
    {"USER with two names", NORMAL, "USER a b\r\n", R_USAGE("USER <name>"), ""},
    {"PASS before USER", NORMAL, "PASS secret\r\n",
     "-ERR send USER with your name first, then PASS\r\n", ""},
    {"PASS without a password", NORMAL, "USER roberto\r\nPASS\r\n",
     R_USER R_USAGE("PASS <password>"), ""},
    {"STAT after USER", NORMAL, "USER roberto\r\nSTAT\r\n",
     R_USER "-ERR STAT needs a login first: after USER comes PASS\r\n", ""},
    {"the maildrop is locked", LOCKED, LOGIN "STAT\r\n",
     R_USER
     "-ERR [IN-USE] maildrop already locked: another session is open\r\n" R_NEEDS_LOGIN("STAT"),
     "open roberto|"},
    {"the maildrop cannot be opened", NORMAL, "USER broken\r\nPASS x\r\n",
     R_USER "-ERR [SYS/TEMP] cannot open the maildrop; try again later\r\n", "open broken|"},
    {"APOP with RFC 1939's example", NORMAL, APOP_GOOD, R_APOP, "open mrose|"},
    {"APOP digest in upper case", NORMAL, "APOP mrose C4C9334BAC560ECC979E58001B3E22FB\r\n", R_APOP,
     "open mrose|"},
    {"APOP with a wrong digest", NORMAL, "APOP mrose c4c9334bac560ecc979e58001b3e22fc\r\n",
     "-ERR [AUTH] APOP digest does not match: wrong user name or password\r\n", ""},
    {"APOP for a user with no secret", NORMAL, "APOP roberto c4c9334bac560ecc979e58001b3e22fb\r\n",
     "-ERR [AUTH] APOP digest does not match: wrong user name or password\r\n", ""},
    {"APOP with a short digest", NORMAL, "APOP mrose c4c9\r\n",
     R_USAGE("APOP <name> <digest: 32 hex digits of MD5(timestamp + password)>"), ""},
    {"APOP with a digest that is not hex", NORMAL,
     "APOP mrose c4c9334bac560ecc979e58001b3e22fg\r\n",
     R_USAGE("APOP <name> <digest: 32 hex digits of MD5(timestamp + password)>"), ""},
    {"APOP without a timestamp in the greeting", NO_TIMESTAMP, APOP_GOOD,
     "-ERR APOP is not available: the greeting has no timestamp; use USER and PASS\r\n", ""},
    {"APOP after USER", NORMAL, "USER roberto\r\n" APOP_GOOD, R_USER R_APOP, "open mrose|"},
    {"APOP, maildrop locked", LOCKED, APOP_GOOD,
     "-ERR [IN-USE] maildrop already locked: another session is open\r\n", "open mrose|"},
    {"QUIT before login", NORMAL, "QUIT\r\n", R_BYE, ""},
    {"QUIT after USER", NORMAL, "USER roberto\r\nQUIT\r\n", R_USER R_BYE, ""},
    {"QUIT with an argument", NORMAL, "QUIT now\r\n", R_USAGE("QUIT"), ""},
    {"transaction commands before login", NORMAL,
     "STAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nNOOP\r\nRSET\r\nTOP 1 0\r\nUIDL\r\n",
     R_NEEDS_LOGIN("STAT") R_NEEDS_LOGIN("LIST") R_NEEDS_LOGIN("RETR") R_NEEDS_LOGIN("DELE")
         R_NEEDS_LOGIN("NOOP") R_NEEDS_LOGIN("RSET") R_NEEDS_LOGIN("TOP") R_NEEDS_LOGIN("UIDL"),
     ""},
    {"CAPA before login", NORMAL, "CAPA\r\n", R_CAPA, ""},
    {"CAPA with an argument", NORMAL, "CAPA all\r\n", R_USAGE("CAPA"), ""},
    /* any state */
    {"unknown command", NORMAL, "FOO bar\r\n",
     "-ERR unknown command \"FOO\"; CAPA lists what this server knows\r\n", ""},
    {"an SMTP command", NORMAL, "EHLO client.example\r\n",
     "-ERR unknown command \"EHLO\" (that is SMTP; this is a POP3 server)\r\n", ""},
    {"an IMAP command", NORMAL, "LOGIN roberto secret\r\n",
     "-ERR unknown command \"LOGIN\" (that is IMAP; this is a POP3 server)\r\n", ""},
    {"a verb too long to repeat", NORMAL, "ABCDEFGHIJKL\r\n",
     "-ERR unknown command; CAPA lists what this server knows\r\n", ""},
    {"a verb with a control character", NORMAL, "ST\x01T\r\n",
     "-ERR unknown command; CAPA lists what this server knows\r\n", ""},
    {"empty line", NORMAL, "\r\n", "-ERR empty command line; CAPA lists what this server knows\r\n",
     ""},
    {"bare LF line ends", NORMAL, "USER roberto\nPASS secret\nSTAT\n", R_LOGIN "+OK 3 135\r\n",
     "open roberto|"},
    /* TRANSACTION */
    {"STAT", NORMAL, LOGIN "STAT\r\n", R_LOGIN "+OK 3 135\r\n", "open roberto|"},
    {"STAT with an argument", NORMAL, LOGIN "STAT 1\r\n", R_LOGIN R_USAGE("STAT"), "open roberto|"},
    {"LIST", NORMAL, LOGIN "LIST\r\n", R_LOGIN R_LIST_ALL, "open roberto|"},
    {"LIST one message", NORMAL, LOGIN "LIST 2\r\n", R_LOGIN "+OK 2 36\r\n", "open roberto|"},
    {"LIST a message that is not there", NORMAL, LOGIN "LIST 4\r\n", R_LOGIN R_NO_SUCH("4"),
     "open roberto|"},
    {"LIST 0", NORMAL, LOGIN "LIST 0\r\n",
     R_LOGIN "-ERR no such message: 0 (messages are numbered from 1)\r\n", "open roberto|"},
    {"LIST with a word", NORMAL, LOGIN "LIST two\r\n",
     R_LOGIN "-ERR \"two\" is not a message number; STAT and LIST give the numbers\r\n",
     "open roberto|"},
    {"LIST with a negative number", NORMAL, LOGIN "LIST -1\r\n",
     R_LOGIN "-ERR \"-1\" is not a message number; STAT and LIST give the numbers\r\n",
     "open roberto|"},
    {"LIST with a number too big", NORMAL, LOGIN "LIST 99999999999\r\n",
     R_LOGIN "-ERR \"99999999999\" is not a message number; STAT and LIST give the numbers\r\n",
     "open roberto|"},
    {"LIST with a long word", NORMAL, LOGIN "LIST abcdefghijklmnopqrstuvwxyz\r\n",
     R_LOGIN "-ERR that is not a message number; STAT and LIST give the numbers\r\n",
     "open roberto|"},
    {"LIST with two arguments", NORMAL, LOGIN "LIST 1 2\r\n",
     R_LOGIN R_USAGE("LIST [message number]"), "open roberto|"},
    {"RETR", NORMAL, LOGIN "RETR 1\r\n", R_LOGIN "+OK 58 octets\r\n" M1 ".\r\n", "open roberto|"},
    {"RETR dot-stuffs", NORMAL, LOGIN "RETR 2\r\n",
     R_LOGIN "+OK 36 octets\r\nSubject: two\r\n\r\n..hidden\r\nline 2\r\n..\r\n.\r\n",
     "open roberto|"},
    {"RETR without a number", NORMAL, LOGIN "RETR\r\n", R_LOGIN R_USAGE("RETR <message number>"),
     "open roberto|"},
    {"RETR a message that is not there", NORMAL, LOGIN "RETR 9\r\n", R_LOGIN R_NO_SUCH("9"),
     "open roberto|"},
    {"TOP 0: the headers and the blank line", NORMAL, LOGIN "TOP 3 0\r\n",
     R_LOGIN "+OK top of message 3 follows\r\nSubject: three\r\nX-Note: y\r\n\r\n.\r\n",
     "open roberto|"},
    {"TOP 2", NORMAL, LOGIN "TOP 3 2\r\n",
     R_LOGIN "+OK top of message 3 follows\r\nSubject: three\r\nX-Note: y\r\n\r\nb1\r\nb2\r\n.\r\n",
     "open roberto|"},
    {"TOP more lines than the body has", NORMAL, LOGIN "TOP 3 100\r\n",
     R_LOGIN "+OK top of message 3 follows\r\n" M3 ".\r\n", "open roberto|"},
    {"TOP dot-stuffs", NORMAL, LOGIN "TOP 2 1\r\n",
     R_LOGIN "+OK top of message 2 follows\r\nSubject: two\r\n\r\n..hidden\r\n.\r\n",
     "open roberto|"},
    {"TOP without a line count", NORMAL, LOGIN "TOP 1\r\n",
     R_LOGIN R_USAGE("TOP <message number> <number of body lines>"), "open roberto|"},
    {"TOP with a bad line count", NORMAL, LOGIN "TOP 1 -5\r\n",
     R_LOGIN "-ERR the number of lines must be a number, 0 or more (usage: TOP <message number> "
             "<number of body lines>)\r\n",
     "open roberto|"},
    {"TOP a deleted message", NORMAL, LOGIN "DELE 3\r\nTOP 3 0\r\n",
     R_LOGIN R_DELE("3") R_DELETED("3"), "open roberto|dele 3|"},
    {"UIDL", NORMAL, LOGIN "UIDL\r\n", R_LOGIN R_UIDL_ALL, "open roberto|"},
    {"UIDL one message", NORMAL, LOGIN "UIDL 3\r\n", R_LOGIN "+OK 3 0000000700000005\r\n",
     "open roberto|"},
    {"UIDL with two arguments", NORMAL, LOGIN "UIDL 1 2\r\n",
     R_LOGIN R_USAGE("UIDL [message number]"), "open roberto|"},
    {"DELE hides a message", NORMAL,
     LOGIN "DELE 1\r\nSTAT\r\nLIST\r\nUIDL\r\nLIST 1\r\nUIDL 1\r\nRETR 1\r\nDELE 1\r\n",
     R_LOGIN R_DELE("1") "+OK 2 77\r\n+OK 2 messages (77 octets)\r\n2 36\r\n3 41\r\n.\r\n"
                         "+OK unique-id listing follows\r\n2 0000000700000002\r\n"
                         "3 0000000700000005\r\n.\r\n" R_DELETED("1") R_DELETED("1") R_DELETED("1")
                             R_DELETED("1"),
     "open roberto|dele 1|"},
    {"DELE without a number", NORMAL, LOGIN "DELE\r\n", R_LOGIN R_USAGE("DELE <message number>"),
     "open roberto|"},
    {"DELE a message that is not there", NORMAL, LOGIN "DELE 4\r\n", R_LOGIN R_NO_SUCH("4"),
     "open roberto|"},
    {"DELE then RSET", NORMAL, LOGIN "DELE 1\r\nDELE 2\r\nRSET\r\nSTAT\r\nRETR 1\r\n",
     R_LOGIN R_DELE("1") R_DELE("2") R_RSET "+OK 3 135\r\n+OK 58 octets\r\n" M1 ".\r\n",
     "open roberto|dele 1|dele 2|rset|"},
    {"DELE then QUIT commits", NORMAL, LOGIN "DELE 1\r\nDELE 3\r\nQUIT\r\n",
     R_LOGIN R_DELE("1") R_DELE(
         "3") "+OK pop.roberto.example POP3 server signing off (2 deleted, 1 message left)\r\n",
     "open roberto|dele 1|dele 3|commit 2|"},
    {"QUIT with nothing deleted", NORMAL, LOGIN "QUIT\r\n",
     R_LOGIN "+OK pop.roberto.example POP3 server signing off (0 deleted, 3 messages left)\r\n",
     "open roberto|commit 0|"},
    {"QUIT after deleting everything", NORMAL, LOGIN "DELE 1\r\nDELE 2\r\nDELE 3\r\nQUIT\r\n",
     R_LOGIN R_DELE("1") R_DELE("2") R_DELE(
         "3") "+OK pop.roberto.example POP3 server signing off (3 deleted, maildrop empty)\r\n",
     "open roberto|dele 1|dele 2|dele 3|commit 3|"},
    {"the commit fails", COMMIT_FAILS, LOGIN "DELE 1\r\nQUIT\r\n",
     R_LOGIN R_DELE("1") "-ERR some deleted messages not removed\r\n",
     "open roberto|dele 1|commit 0|"},
    {"after QUIT nothing is read", NORMAL, LOGIN "QUIT\r\nDELE 1\r\nNOOP\r\n",
     R_LOGIN "+OK pop.roberto.example POP3 server signing off (0 deleted, 3 messages left)\r\n",
     "open roberto|commit 0|"},
    {"NOOP", NORMAL, LOGIN "NOOP\r\n", R_LOGIN "+OK\r\n", "open roberto|"},
    {"NOOP with an argument", NORMAL, LOGIN "NOOP x\r\n", R_LOGIN R_USAGE("NOOP"), "open roberto|"},
    {"RSET with an argument", NORMAL, LOGIN "RSET 1\r\n", R_LOGIN R_USAGE("RSET"), "open roberto|"},
    {"CAPA after login", NORMAL, LOGIN "CAPA\r\n", R_LOGIN R_CAPA, "open roberto|"},
    {"USER after login", NORMAL, LOGIN "USER roberto\r\n",
     R_LOGIN "-ERR already logged in: USER is only valid before login (AUTHORIZATION state)\r\n",
     "open roberto|"},
    {"PASS after login", NORMAL, LOGIN "PASS secret\r\n",
     R_LOGIN "-ERR already logged in: PASS is only valid before login (AUTHORIZATION state)\r\n",
     "open roberto|"},
    {"APOP after login", NORMAL, LOGIN APOP_GOOD,
     R_LOGIN "-ERR already logged in: APOP is only valid before login (AUTHORIZATION state)\r\n",
     "open roberto|"},
    {"extra spaces between arguments", NORMAL, LOGIN "TOP  3   1\r\n",
     R_LOGIN "+OK top of message 3 follows\r\nSubject: three\r\nX-Note: y\r\n\r\nb1\r\n.\r\n",
     "open roberto|"},
};

static pop3_server_t *run_case(const server_case_t *c, fake_session_t *fs, fake_store_t *st,
                               buf_t *out)
{
    pop3_fake_store_init(st);
    st->locked = c->setup == LOCKED;
    st->commit_fails = c->setup == COMMIT_FAILS;
    pop3_server_t *s = pop3_fake_server(fs, st, c->setup != NO_TIMESTAMP);
    buf_t greeting = BUF_INIT;
    pop3_server_start(s, &greeting);
    buf_free(&greeting);
    pop3_fake_feed(s, c->in, out);
    return s;
}

START_TEST(test_table)
{
    const server_case_t *c = &cases[_i];
    fake_session_t fs;
    fake_store_t st;
    buf_t out = BUF_INIT;
    pop3_server_t *s = run_case(c, &fs, &st, &out);
    ck_assert_msg(strcmp(buf_cstr(&out), c->want) == 0, "%s:\n got: %s\nwant: %s", c->name,
                  buf_cstr(&out), c->want);
    ck_assert_msg(strcmp(buf_cstr(&st.log), c->want_log) == 0, "%s: hooks\n got: %s\nwant: %s",
                  c->name, buf_cstr(&st.log), c->want_log);
    pop3_fake_session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

/* --- every command in every state ---------------------------------------- */

typedef struct matrix_row {
    const char *command;
    const char *want; /* the status in AUTHORIZATION, after USER, in TRANSACTION */
} matrix_row_t;

static const matrix_row_t matrix[] = {
    {"USER roberto", "+ + -"},
    {"PASS secret", "- + -"},
    {"APOP mrose c4c9334bac560ecc979e58001b3e22fb", "+ + -"},
    {"QUIT", "+ + +"},
    {"CAPA", "+ + +"},
    {"STAT", "- - +"},
    {"LIST", "- - +"},
    {"LIST 1", "- - +"},
    {"RETR 1", "- - +"},
    {"DELE 1", "- - +"},
    {"NOOP", "- - +"},
    {"RSET", "- - +"},
    {"TOP 1 0", "- - +"},
    {"UIDL", "- - +"},
    {"UIDL 1", "- - +"},
    {"XTND", "- - -"},
};

static const char *const state_setup[] = {"", "USER roberto\r\n", LOGIN};

START_TEST(test_every_command_in_every_state)
{
    const matrix_row_t *row = &matrix[_i];
    for (size_t state = 0; state < ARRAY_LEN(state_setup); state++) {
        fake_session_t fs;
        fake_store_t st;
        pop3_fake_store_init(&st);
        buf_t setup = BUF_INIT, out = BUF_INIT;
        pop3_server_t *s = pop3_fake_run(&fs, &st, true, state_setup[state], &setup);
        char line[300];
        snprintf(line, sizeof line, "%s\r\n", row->command);
        pop3_fake_feed(s, line, &out);
        char want = row->want[2 * state];
        ck_assert_msg(out.len > 0 && out.data[0] == (uint8_t)want,
                      "%s in state %zu: got \"%s\", want %c", row->command, state, buf_cstr(&out),
                      want);
        pop3_fake_session_free(s, &fs);
        buf_free(&setup);
        buf_free(&out);
        buf_free(&st.log);
    }
}
END_TEST

/* --- the greeting, states, tracing ---------------------------------------- */

START_TEST(test_greeting)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = pop3_fake_server(&fs, &st, true);
    ck_assert_str_eq(pop3_server_state_name(pop3_server_state(s)), "new");
    pop3_server_start(s, &out);
    ck_assert_str_eq(buf_cstr(&out),
                     "+OK pop.roberto.example POP3 server ready " RFC_TIMESTAMP "\r\n");
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_AUTHORIZATION);
    ck_assert_str_eq(pop3_server_state_name(pop3_server_state(s)), "authorization");
    pop3_fake_session_free(s, &fs);
    buf_reset(&out);
    s = pop3_fake_server(&fs, &st, false);
    pop3_server_start(s, &out);
    ck_assert_str_eq(buf_cstr(&out), "+OK pop.roberto.example POP3 server ready\r\n");
    pop3_fake_session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_states_and_user)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = pop3_fake_run(&fs, &st, true, "USER roberto\r\n", &out);
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_USER);
    ck_assert_ptr_null(pop3_server_user(s));
    pop3_fake_feed(s, "PASS secret\r\n", &out);
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_TRANSACTION);
    ck_assert_str_eq(pop3_server_user(s), "roberto");
    ck_assert(!pop3_server_wants_close(s));
    pop3_fake_feed(s, "QUIT\r\n", &out);
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_CLOSED);
    ck_assert(pop3_server_wants_close(s));
    ck_assert_str_eq(pop3_server_user(s), "roberto");
    /* new -> authorization -> authorization-pass -> transaction -> update -> closed */
    ck_assert_int_eq(fs.states, 5);
    ck_assert_str_eq(pop3_server_state_name(POP3_SERVER_USER), "authorization-pass");
    ck_assert_str_eq(pop3_server_state_name(POP3_SERVER_UPDATE), "update");
    ck_assert_str_eq(pop3_server_state_name((pop3_server_state_t)99), "?");
    pop3_fake_session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_trace_lines)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = pop3_fake_server(&fs, &st, false);
    pop3_server_start(s, &out);
    pop3_fake_feed(s, "user roberto\r\nPASS secret\r\nLIST\r\nRETR 2\r\nDELE 9\r\nQUIT\r\n", &out);
    /* The password shows as it travelled: in clear (RFC 1939 13). Message text is not traced. */
    ck_assert_str_eq(buf_cstr(&fs.trace),
                     "S +OK +OK pop.roberto.example POP3 server ready\n"
                     "C USER user roberto\n"
                     "S +OK +OK now send the password with PASS\n"
                     "C PASS PASS secret\n"
                     "S +OK +OK roberto's maildrop has 3 messages (135 octets)\n"
                     "C LIST LIST\n"
                     "S +OK +OK 3 messages (135 octets)\n"
                     "S - 1 58\n"
                     "S - 2 36\n"
                     "S - 3 41\n"
                     "S - .\n"
                     "C RETR RETR 2\n"
                     "S +OK +OK 36 octets\n"
                     "S - .\n"
                     "C DELE DELE 9\n"
                     "S -ERR -ERR no such message: 9 (the maildrop has 3 messages)\n"
                     "C QUIT QUIT\n"
                     "S +OK +OK pop.roberto.example POP3 server signing off (0 deleted, 3 "
                     "messages left)\n");
    pop3_fake_session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_nul_in_line)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = pop3_fake_run(&fs, &st, true, "", &out);
    static const char in[] = "NOOP\0x\r\nCAPA x\r\n";
    pop3_server_feed(s, (const uint8_t *)in, sizeof in - 1, &out);
    ck_assert_str_eq(buf_cstr(&out), "-ERR a command line cannot hold a NUL octet\r\n"
                                     "-ERR usage: CAPA\r\n");
    pop3_fake_session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_command_line_limit)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    buf_t in = BUF_INIT, out = BUF_INIT;
    /* RFC 2449 4: 255 octets with the CRLF is the longest command line. */
    buf_puts(&in, "USER ");
    while (in.len < 253)
        buf_putc(&in, 'a');
    buf_puts(&in, "\r\nUSER ");
    while (in.len < 255 + 254)
        buf_putc(&in, 'b');
    buf_puts(&in, "\r\nQUIT\r\n");
    pop3_server_t *s = pop3_fake_run(&fs, &st, true, buf_cstr(&in), &out);
    ck_assert_str_eq(buf_cstr(&out),
                     R_USER "-ERR line too long (the limit is 255 octets)\r\n" R_BYE);
    pop3_fake_session_free(s, &fs);
    buf_free(&in);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

static const pop3_server_hooks_t no_hooks;

START_TEST(test_without_hooks)
{
    pop3_server_config_t cfg = {.hostname = NULL, .timestamp = ""};
    pop3_server_t *s = pop3_server_new(&cfg, &no_hooks);
    buf_t out = BUF_INIT;
    pop3_server_start(s, &out);
    pop3_fake_feed(s, LOGIN APOP_GOOD, &out);
    ck_assert_str_eq(buf_cstr(&out), "+OK localhost POP3 server ready\r\n" R_USER R_WRONG_PASS
                                     "-ERR APOP is not available: the greeting has no timestamp; "
                                     "use USER and PASS\r\n");
    pop3_server_free(s);
    buf_free(&out);
}
END_TEST

/* --- pipelining and byte splits ------------------------------------------ */

static const char pipelined[] = "CAPA\r\n"
                                "USER roberto\r\n"
                                "PASS secret\r\n"
                                "STAT\r\n"
                                "LIST\r\n"
                                "UIDL\r\n"
                                "RETR 2\r\n"
                                "TOP 3 1\r\n"
                                "DELE 1\r\n"
                                "DELE 1\r\n"
                                "RSET\r\n"
                                "DELE 2\r\n"
                                "RETR 7\r\n"
                                "BOGUS\r\n"
                                "QUIT\r\n";

static void run_split(const size_t *cuts, size_t ncuts, buf_t *out, buf_t *log)
{
    fake_session_t fs;
    fake_store_t st;
    pop3_fake_store_init(&st);
    pop3_server_t *s = pop3_fake_server(&fs, &st, true);
    pop3_server_start(s, out);
    size_t at = 0, n = sizeof pipelined - 1;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        pop3_server_feed(s, (const uint8_t *)pipelined + at, end - at, out);
        at = end;
    }
    buf_puts(log, buf_cstr(&st.log));
    pop3_fake_session_free(s, &fs);
    buf_free(&st.log);
}

START_TEST(test_pipelined_session)
{
    buf_t out = BUF_INIT, log = BUF_INIT;
    run_split(NULL, 0, &out, &log);
    ck_assert_str_eq(
        buf_cstr(&out),
        "+OK pop.roberto.example POP3 server ready " RFC_TIMESTAMP "\r\n" R_CAPA R_LOGIN
        "+OK 3 135\r\n" R_LIST_ALL R_UIDL_ALL
        "+OK 36 octets\r\nSubject: two\r\n\r\n..hidden\r\nline 2\r\n..\r\n.\r\n"
        "+OK top of message 3 follows\r\nSubject: three\r\nX-Note: y\r\n\r\nb1\r\n.\r\n" R_DELE("1")
            R_DELETED("1") R_RSET R_DELE("2") R_NO_SUCH(
                "7") "-ERR unknown command \"BOGUS\"; CAPA lists what this server knows\r\n"
                     "+OK pop.roberto.example POP3 server signing off (1 deleted, 2 messages "
                     "left)\r\n");
    ck_assert_str_eq(buf_cstr(&log), "open roberto|dele 1|rset|dele 2|commit 1|");
    buf_free(&out);
    buf_free(&log);
}
END_TEST

START_TEST(test_every_split_point)
{
    buf_t want = BUF_INIT, want_log = BUF_INIT;
    run_split(NULL, 0, &want, &want_log);
    size_t n = sizeof pipelined - 1;
    for (size_t k = 1; k < n; k++) {
        buf_t out = BUF_INIT, log = BUF_INIT;
        run_split(&k, 1, &out, &log);
        ck_assert_msg(strcmp(buf_cstr(&out), buf_cstr(&want)) == 0, "split at %zu:\n%s", k,
                      buf_cstr(&out));
        ck_assert_msg(strcmp(buf_cstr(&log), buf_cstr(&want_log)) == 0, "split at %zu: %s", k,
                      buf_cstr(&log));
        buf_free(&out);
        buf_free(&log);
    }
    buf_free(&want);
    buf_free(&want_log);
}
END_TEST

START_TEST(test_one_byte_at_a_time)
{
    buf_t want = BUF_INIT, want_log = BUF_INIT;
    run_split(NULL, 0, &want, &want_log);
    size_t n = sizeof pipelined - 1;
    size_t *cuts = xcalloc(n, sizeof *cuts);
    for (size_t k = 1; k < n; k++)
        cuts[k - 1] = k;
    buf_t out = BUF_INIT, log = BUF_INIT;
    run_split(cuts, n - 1, &out, &log);
    ck_assert_str_eq(buf_cstr(&out), buf_cstr(&want));
    ck_assert_str_eq(buf_cstr(&log), buf_cstr(&want_log));
    free(cuts);
    buf_free(&out);
    buf_free(&log);
    buf_free(&want);
    buf_free(&want_log);
}
END_TEST

Suite *pop3_server_suite(void)
{
    Suite *s = suite_create("pop3_server");
    TCase *tc = tcase_create("commands");
    tcase_add_loop_test(tc, test_table, 0, (int)ARRAY_LEN(cases));
    tcase_add_loop_test(tc, test_every_command_in_every_state, 0, (int)ARRAY_LEN(matrix));
    tcase_add_test(tc, test_greeting);
    tcase_add_test(tc, test_states_and_user);
    tcase_add_test(tc, test_trace_lines);
    tcase_add_test(tc, test_nul_in_line);
    tcase_add_test(tc, test_command_line_limit);
    tcase_add_test(tc, test_without_hooks);
    suite_add_tcase(s, tc);
    TCase *pipe = tcase_create("pipelining");
    tcase_set_timeout(pipe, 30);
    tcase_add_test(pipe, test_pipelined_session);
    tcase_add_test(pipe, test_every_split_point);
    tcase_add_test(pipe, test_one_byte_at_a_time);
    suite_add_tcase(s, pipe);
    return s;
}
