/*
 * The POP3 server engine: every command in every state and every error from
 * tables, a fake maildrop behind the hooks that records what the engine
 * asked of it (commit, rollback), pipelining split at every byte, APOP with
 * RFC 1939's own example.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/store.h"
#include "proto/pop3_server.h"

/* --- a fake maildrop behind the hooks ------------------------------------ */

#define M1 "From: alice@alice.example\r\nSubject: one\r\n\r\nHello Roberto\r\n" /* 58 */
#define M2 "Subject: two\r\n\r\n.hidden\r\nline 2\r\n.\r\n"                     /* 36 */
#define M3 "Subject: three\r\nX-Note: y\r\n\r\nb1\r\nb2\r\nb3\r\n"              /* 41 */
#define RFC_TIMESTAMP "<1896.697170952@dbc.mtview.ca.us>"

typedef struct fake_msg {
    const char *data;
    const char *uidl;
    bool deleted;
} fake_msg_t;

/* One user's maildrop on the server's disk, shared by the sessions. */
typedef struct fake_store {
    fake_msg_t msgs[8];
    uint32_t count;
    bool locked;
    bool commit_fails;
    buf_t log; /* "open roberto|dele 1|commit 1|..." */
} fake_store_t;

/* One session's hooks context. */
typedef struct fake_session {
    fake_store_t *store;
    buf_t trace; /* "C VERB line", "S +OK line", "S - line", one per line */
    int states;
} fake_session_t;

static void store_init(fake_store_t *st)
{
    memset(st, 0, sizeof *st);
    static const fake_msg_t initial[] = {
        {M1, "0000000700000001", false},
        {M2, "0000000700000002", false},
        {M3, "0000000700000005", false},
    };
    memcpy(st->msgs, initial, sizeof initial);
    st->count = ARRAY_LEN(initial);
}

static bool fake_check_password(void *ctx, const char *user, const char *password)
{
    return (strcmp(user, "roberto") == 0 && strcmp(password, "secret") == 0) ||
           (strcmp(user, "spacey") == 0 && strcmp(password, "open sesame") == 0) ||
           (strcmp(user, "broken") == 0 && strcmp(password, "x") == 0);
}

static const char *fake_apop_secret(void *ctx, const char *user)
{
    return strcmp(user, "mrose") == 0 ? "tanstaaf" : NULL;
}

static pop3_open_result_t fake_open(void *ctx, const char *user)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    buf_printf(&st->log, "open %s|", user);
    if (strcmp(user, "broken") == 0)
        return POP3_OPEN_FAILED;
    if (st->locked)
        return POP3_OPEN_LOCKED;
    st->locked = true;
    return POP3_OPEN_OK;
}

static void fake_stat(void *ctx, pop3_maildrop_stat_t *out)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    ck_assert_msg(st->locked, "stat on a maildrop that is not open");
    *out = (pop3_maildrop_stat_t){st->count, 0, 0};
    for (uint32_t i = 0; i < st->count; i++) {
        if (st->msgs[i].deleted)
            continue;
        out->live++;
        out->live_octets += strlen(st->msgs[i].data);
    }
}

static pop3_msg_status_t fake_message(void *ctx, uint32_t n, pop3_msg_info_t *out)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    ck_assert_msg(st->locked, "message on a maildrop that is not open");
    if (n == 0 || n > st->count)
        return POP3_MSG_NONE;
    const fake_msg_t *m = &st->msgs[n - 1];
    *out = (pop3_msg_info_t){strlen(m->data), m->uidl, (const uint8_t *)m->data, strlen(m->data)};
    return m->deleted ? POP3_MSG_DELETED : POP3_MSG_OK;
}

static pop3_msg_status_t fake_dele(void *ctx, uint32_t n)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    buf_printf(&st->log, "dele %u|", (unsigned)n);
    if (n == 0 || n > st->count)
        return POP3_MSG_NONE;
    if (st->msgs[n - 1].deleted)
        return POP3_MSG_DELETED;
    st->msgs[n - 1].deleted = true;
    return POP3_MSG_OK;
}

static void fake_rset(void *ctx)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    buf_puts(&st->log, "rset|");
    for (uint32_t i = 0; i < st->count; i++)
        st->msgs[i].deleted = false;
}

static bool fake_commit(void *ctx, uint32_t *deleted)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    uint32_t kept = 0, gone = 0;
    for (uint32_t i = 0; i < st->count; i++) {
        if (st->msgs[i].deleted && !st->commit_fails)
            gone++;
        else
            st->msgs[kept++] = (fake_msg_t){st->msgs[i].data, st->msgs[i].uidl, false};
    }
    st->count = kept;
    st->locked = false;
    *deleted = gone;
    buf_printf(&st->log, "commit %u|", (unsigned)gone);
    return !st->commit_fails;
}

static void fake_rollback(void *ctx)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    for (uint32_t i = 0; i < st->count; i++)
        st->msgs[i].deleted = false;
    st->locked = false;
    buf_puts(&st->log, "rollback|");
}

static void fake_line(void *ctx, line_dir_t dir, const char *verb, const char *status,
                      const char *line)
{
    fake_session_t *fs = ctx;
    if (dir == LINE_CLIENT_TO_SERVER)
        buf_printf(&fs->trace, "C %s %s\n", verb ? verb : "-", line);
    else
        buf_printf(&fs->trace, "S %s %s\n", status ? status : "-", line);
}

static void fake_state(void *ctx, pop3_server_state_t from, pop3_server_state_t to)
{
    ((fake_session_t *)ctx)->states++;
}

static const pop3_server_hooks_t fake_hooks = {
    .check_password = fake_check_password,
    .apop_secret = fake_apop_secret,
    .open_maildrop = fake_open,
    .stat = fake_stat,
    .message = fake_message,
    .dele = fake_dele,
    .rset = fake_rset,
    .commit = fake_commit,
    .rollback = fake_rollback,
    .on_line = fake_line,
    .on_state = fake_state,
};

static pop3_server_t *make_server(fake_session_t *fs, fake_store_t *st, bool timestamp)
{
    memset(fs, 0, sizeof *fs);
    fs->store = st;
    pop3_server_config_t cfg = {.hostname = "pop.roberto.example",
                                .timestamp = timestamp ? RFC_TIMESTAMP : NULL};
    pop3_server_hooks_t hooks = fake_hooks;
    hooks.ctx = fs;
    return pop3_server_new(&cfg, &hooks);
}

static void feed_str(pop3_server_t *s, const char *in, buf_t *out)
{
    pop3_server_feed(s, (const uint8_t *)in, strlen(in), out);
}

/* Starts a session and feeds in; out gets the responses after the greeting. */
static pop3_server_t *run(fake_session_t *fs, fake_store_t *st, bool timestamp, const char *in,
                          buf_t *out)
{
    pop3_server_t *s = make_server(fs, st, timestamp);
    buf_t greeting = BUF_INIT;
    pop3_server_start(s, &greeting);
    buf_free(&greeting);
    feed_str(s, in, out);
    return s;
}

static void session_free(pop3_server_t *s, fake_session_t *fs)
{
    pop3_server_free(s);
    buf_free(&fs->trace);
}

/* --- the table ----------------------------------------------------------- */

#define LOGIN "USER roberto\r\nPASS secret\r\n"
#define R_USER "+OK now send the password with PASS\r\n"
#define R_LOGIN R_USER "+OK roberto's maildrop has 3 messages (135 octets)\r\n"
#define APOP_GOOD "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
#define R_APOP "+OK mrose's maildrop has 3 messages (135 octets)\r\n"
#define R_NEEDS_LOGIN(verb)                                                                        \
    "-ERR " verb " needs a login first: send USER and PASS (or APOP) (AUTHORIZATION state)\r\n"
#define R_BYE "+OK pop.roberto.example POP3 server signing off\r\n"
#define R_LIST_ALL "+OK 3 messages (135 octets)\r\n1 58\r\n2 36\r\n3 41\r\n.\r\n"
#define R_UIDL_ALL                                                                                 \
    "+OK unique-id listing follows\r\n1 0000000700000001\r\n2 0000000700000002\r\n"                \
    "3 0000000700000005\r\n.\r\n"
#define R_DELE(n) "+OK message " n " deleted (removed at QUIT; RSET undoes it)\r\n"
#define R_DELETED(n) "-ERR message " n " already deleted (RSET undeletes it)\r\n"
#define R_NO_SUCH(n) "-ERR no such message: " n " (the maildrop has 3 messages)\r\n"
#define R_RSET "+OK maildrop has 3 messages (135 octets)\r\n"
#define R_CAPA                                                                                     \
    "+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"       \
    "PIPELINING\r\nIMPLEMENTATION mailsim\r\n.\r\n"
#define R_WRONG_PASS "-ERR [AUTH] wrong user name or password\r\n"
#define R_USAGE(u) "-ERR usage: " u "\r\n"

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
    store_init(st);
    st->locked = c->setup == LOCKED;
    st->commit_fails = c->setup == COMMIT_FAILS;
    pop3_server_t *s = make_server(fs, st, c->setup != NO_TIMESTAMP);
    buf_t greeting = BUF_INIT;
    pop3_server_start(s, &greeting);
    buf_free(&greeting);
    feed_str(s, c->in, out);
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
    session_free(s, &fs);
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
        store_init(&st);
        buf_t setup = BUF_INIT, out = BUF_INIT;
        pop3_server_t *s = run(&fs, &st, true, state_setup[state], &setup);
        char line[300];
        snprintf(line, sizeof line, "%s\r\n", row->command);
        feed_str(s, line, &out);
        char want = row->want[2 * state];
        ck_assert_msg(out.len > 0 && out.data[0] == (uint8_t)want,
                      "%s in state %zu: got \"%s\", want %c", row->command, state, buf_cstr(&out),
                      want);
        session_free(s, &fs);
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
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = make_server(&fs, &st, true);
    ck_assert_str_eq(pop3_server_state_name(pop3_server_state(s)), "new");
    pop3_server_start(s, &out);
    ck_assert_str_eq(buf_cstr(&out),
                     "+OK pop.roberto.example POP3 server ready " RFC_TIMESTAMP "\r\n");
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_AUTHORIZATION);
    ck_assert_str_eq(pop3_server_state_name(pop3_server_state(s)), "authorization");
    session_free(s, &fs);
    buf_reset(&out);
    s = make_server(&fs, &st, false);
    pop3_server_start(s, &out);
    ck_assert_str_eq(buf_cstr(&out), "+OK pop.roberto.example POP3 server ready\r\n");
    session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_states_and_user)
{
    fake_session_t fs;
    fake_store_t st;
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = run(&fs, &st, true, "USER roberto\r\n", &out);
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_USER);
    ck_assert_ptr_null(pop3_server_user(s));
    feed_str(s, "PASS secret\r\n", &out);
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_TRANSACTION);
    ck_assert_str_eq(pop3_server_user(s), "roberto");
    ck_assert(!pop3_server_wants_close(s));
    feed_str(s, "QUIT\r\n", &out);
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_CLOSED);
    ck_assert(pop3_server_wants_close(s));
    ck_assert_str_eq(pop3_server_user(s), "roberto");
    /* new -> authorization -> authorization-pass -> transaction -> update -> closed */
    ck_assert_int_eq(fs.states, 5);
    ck_assert_str_eq(pop3_server_state_name(POP3_SERVER_USER), "authorization-pass");
    ck_assert_str_eq(pop3_server_state_name(POP3_SERVER_UPDATE), "update");
    ck_assert_str_eq(pop3_server_state_name((pop3_server_state_t)99), "?");
    session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_trace_lines)
{
    fake_session_t fs;
    fake_store_t st;
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = make_server(&fs, &st, false);
    pop3_server_start(s, &out);
    feed_str(s, "user roberto\r\nPASS secret\r\nLIST\r\nRETR 2\r\nDELE 9\r\nQUIT\r\n", &out);
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
    session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_nul_in_line)
{
    fake_session_t fs;
    fake_store_t st;
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = run(&fs, &st, true, "", &out);
    static const char in[] = "NOOP\0x\r\nCAPA x\r\n";
    pop3_server_feed(s, (const uint8_t *)in, sizeof in - 1, &out);
    ck_assert_str_eq(buf_cstr(&out), "-ERR a command line cannot hold a NUL octet\r\n"
                                     "-ERR usage: CAPA\r\n");
    session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_command_line_limit)
{
    fake_session_t fs;
    fake_store_t st;
    store_init(&st);
    buf_t in = BUF_INIT, out = BUF_INIT;
    /* RFC 2449 4: 255 octets with the CRLF is the longest command line. */
    buf_puts(&in, "USER ");
    while (in.len < 253)
        buf_putc(&in, 'a');
    buf_puts(&in, "\r\nUSER ");
    while (in.len < 255 + 254)
        buf_putc(&in, 'b');
    buf_puts(&in, "\r\nQUIT\r\n");
    pop3_server_t *s = run(&fs, &st, true, buf_cstr(&in), &out);
    ck_assert_str_eq(buf_cstr(&out),
                     R_USER "-ERR line too long (the limit is 255 octets)\r\n" R_BYE);
    session_free(s, &fs);
    buf_free(&in);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

/* --- the ends of a session ------------------------------------------------ */

START_TEST(test_connection_lost_rolls_back)
{
    fake_session_t fs;
    fake_store_t st;
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = run(&fs, &st, true, LOGIN "DELE 1\r\nDELE 2\r\n", &out);
    pop3_server_connection_lost(s);
    ck_assert_str_eq(buf_cstr(&st.log), "open roberto|dele 1|dele 2|rollback|");
    ck_assert_uint_eq(st.count, 3);
    ck_assert(!st.locked);
    ck_assert(pop3_server_wants_close(s));
    ck_assert_int_eq(pop3_server_state(s), POP3_SERVER_CLOSED);
    /* Input after the loss is ignored; freeing does not roll back twice. */
    buf_reset(&out);
    feed_str(s, "QUIT\r\n", &out);
    ck_assert_uint_eq(out.len, 0);
    session_free(s, &fs);
    ck_assert_str_eq(buf_cstr(&st.log), "open roberto|dele 1|dele 2|rollback|");
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_connection_lost_before_login)
{
    fake_session_t fs;
    fake_store_t st;
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = run(&fs, &st, true, "USER roberto\r\nPASS guess\r\nUSER roberto\r\n", &out);
    pop3_server_connection_lost(s);
    ck_assert_str_eq(buf_cstr(&st.log), "");
    ck_assert_ptr_null(pop3_server_user(s));
    session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_free_rolls_back)
{
    fake_session_t fs;
    fake_store_t st;
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = run(&fs, &st, true, LOGIN "DELE 1\r\n", &out);
    session_free(s, &fs);
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
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = run(&fs, &st, true, LOGIN "DELE 1\r\n", &out);
    buf_reset(&out);
    /* RFC 1939 3: auto-logout sends nothing and does not enter UPDATE. */
    pop3_server_timeout(s, &out);
    ck_assert_uint_eq(out.len, 0);
    ck_assert(pop3_server_wants_close(s));
    ck_assert_str_eq(buf_cstr(&st.log), "open roberto|dele 1|rollback|");
    ck_assert_uint_eq(st.count, 3);
    ck_assert_int_eq(POP3_SERVER_IDLE_TIMEOUT, 10 * SIM_MIN);
    session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_shutdown)
{
    fake_session_t fs;
    fake_store_t st;
    store_init(&st);
    buf_t out = BUF_INIT;
    pop3_server_t *s = run(&fs, &st, true, LOGIN "DELE 1\r\n", &out);
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
    session_free(s, &fs);
    buf_reset(&out);
    s = run(&fs, &st, true, "", &out);
    pop3_server_shutdown(s, &out);
    ck_assert_str_eq(buf_cstr(&out),
                     "-ERR [SYS/TEMP] pop.roberto.example POP3 server shutting down\r\n");
    session_free(s, &fs);
    buf_free(&out);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_second_session_in_use)
{
    fake_session_t fs1, fs2;
    fake_store_t st;
    store_init(&st);
    buf_t out1 = BUF_INIT, out2 = BUF_INIT;
    pop3_server_t *s1 = run(&fs1, &st, true, LOGIN "DELE 1\r\n", &out1);
    pop3_server_t *s2 = run(&fs2, &st, true, LOGIN, &out2);
    ck_assert_str_eq(buf_cstr(&out2),
                     R_USER "-ERR [IN-USE] maildrop already locked: another session is open\r\n");
    ck_assert_int_eq(pop3_server_state(s2), POP3_SERVER_AUTHORIZATION);
    /* Once the first session QUITs, the second one gets in and sees the deletion. */
    feed_str(s1, "QUIT\r\n", &out1);
    buf_reset(&out2);
    feed_str(s2, LOGIN "UIDL\r\n", &out2);
    ck_assert_str_eq(buf_cstr(&out2),
                     R_USER "+OK roberto's maildrop has 2 messages (77 octets)\r\n"
                            "+OK unique-id listing follows\r\n1 0000000700000002\r\n"
                            "2 0000000700000005\r\n.\r\n");
    session_free(s1, &fs1);
    session_free(s2, &fs2);
    buf_free(&out1);
    buf_free(&out2);
    buf_free(&st.log);
}
END_TEST

START_TEST(test_uidl_stable)
{
    fake_store_t st;
    store_init(&st);
    buf_t first = BUF_INIT, second = BUF_INIT;
    for (int i = 0; i < 2; i++) {
        fake_session_t fs;
        pop3_server_t *s = run(&fs, &st, true, LOGIN "UIDL\r\nQUIT\r\n", i ? &second : &first);
        session_free(s, &fs);
    }
    ck_assert_str_eq(buf_cstr(&first), buf_cstr(&second));
    ck_assert_msg(strstr(buf_cstr(&first), R_UIDL_ALL), "%s", buf_cstr(&first));
    buf_free(&first);
    buf_free(&second);
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
    feed_str(s, LOGIN APOP_GOOD, &out);
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
    store_init(&st);
    pop3_server_t *s = make_server(&fs, &st, true);
    pop3_server_start(s, out);
    size_t at = 0, n = sizeof pipelined - 1;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        pop3_server_feed(s, (const uint8_t *)pipelined + at, end - at, out);
        at = end;
    }
    buf_puts(log, buf_cstr(&st.log));
    session_free(s, &fs);
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
    feed_str(s1, "USER roberto@roberto.example\r\nPASS secret\r\nUIDL\r\nDELE 1\r\nRETR 2\r\n",
             &out1);
    feed_str(s2, LOGIN, &out2);
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
    feed_str(s2, LOGIN "DELE 1\r\nQUIT\r\n", &out2);
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
    feed_str(s3, line, &out3);
    store_crash(store);
    feed_str(s3, "QUIT\r\n", &out3);
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
    tcase_add_test(tc, test_helpers);
    suite_add_tcase(s, tc);
    TCase *ends = tcase_create("sessions");
    tcase_add_test(ends, test_connection_lost_rolls_back);
    tcase_add_test(ends, test_connection_lost_before_login);
    tcase_add_test(ends, test_free_rolls_back);
    tcase_add_test(ends, test_timeout);
    tcase_add_test(ends, test_shutdown);
    tcase_add_test(ends, test_second_session_in_use);
    tcase_add_test(ends, test_uidl_stable);
    tcase_add_test(ends, test_on_the_store);
    suite_add_tcase(s, ends);
    TCase *pipe = tcase_create("pipelining");
    tcase_set_timeout(pipe, 30);
    tcase_add_test(pipe, test_pipelined_session);
    tcase_add_test(pipe, test_every_split_point);
    tcase_add_test(pipe, test_one_byte_at_a_time);
    suite_add_tcase(s, pipe);
    return s;
}
