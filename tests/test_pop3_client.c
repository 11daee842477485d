/*
 * The POP3 client engine against scripted server lines (a table of scripts),
 * and a client wired straight to a server engine over a fake maildrop.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3_client.h"
#include "proto/pop3_server.h"

/* --- hooks that log ------------------------------------------------------- */

typedef struct log {
    buf_t events; /* "M 1 uidl text|with|line ends|", "D ok ...", one per line */
    const char *const *seen;
    bool over;
} log_t;

static bool log_seen(void *ctx, const char *uidl)
{
    const log_t *l = ctx;
    for (size_t i = 0; l->seen && l->seen[i]; i++)
        if (strcmp(l->seen[i], uidl) == 0)
            return true;
    return false;
}

static void log_message(void *ctx, uint32_t n, const char *uidl, const uint8_t *data, size_t len)
{
    log_t *l = ctx;
    buf_printf(&l->events, "M %u %s ", (unsigned)n, uidl ? uidl : "-");
    /* CRLF shows as "|" so that a message fits on one event line. */
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
            continue;
        buf_putc(&l->events, data[i] == '\n' ? '|' : data[i]);
    }
    buf_putc(&l->events, '\n');
}

static void log_done(void *ctx, bool ok, const char *error, const pop3_fetch_counts_t *n)
{
    log_t *l = ctx;
    ck_assert_msg(!l->over, "on_done called twice");
    l->over = true;
    if (ok)
        buf_puts(&l->events, "D ok");
    else
        buf_printf(&l->events, "D error: %s", error);
    buf_printf(&l->events, " [messages %u, retrieved %u, skipped %u, deleted %u, octets %llu]\n",
               (unsigned)n->messages, (unsigned)n->retrieved, (unsigned)n->skipped,
               (unsigned)n->deleted, (unsigned long long)n->octets);
}

/* --- scripts -------------------------------------------------------------- */

/*
 * Steps: "S text" feeds server lines (CRLF added; "\r\n" inside separates
 * lines), "C line" expects the client to have sent that line, "E event"
 * expects that event, "A lost" is the node's call. Before each S and at the
 * end, everything sent and every event must have been expected.
 */
typedef struct script {
    const char *name;
    bool apop;
    bool keep;
    const char *seen[4];
    const char *steps[48];
} script_t;

#define GREET "S +OK pop.roberto.example POP3 server ready"
#define GREET_TS "S +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>"
#define LOGIN "C USER roberto", "S +OK send PASS", "C PASS secret", "S +OK logged in"
#define QUIT_OK "C QUIT", "S +OK bye"
#define M1_RETR "S +OK 19 octets\r\nSubject: a\r\n\r\none\r\n."
#define M2_RETR "S +OK 31 octets\r\nSubject: b\r\n\r\n..leading dot\r\n..\r\n."
#define M3_RETR "S +OK 21 octets\r\nSubject: c\r\n\r\nthree\r\n."
#define M1_EV(uidl) "E M 1 " uidl " Subject: a||one|"
#define M2_EV(uidl) "E M 2 " uidl " Subject: b||.leading dot|.|"
#define M3_EV(uidl) "E M 3 " uidl " Subject: c||three|"
#define UIDL3 "S +OK\r\n1 u-one\r\n2 u-two\r\n3 u-three\r\n."

static const script_t scripts[] = {
    {"fetch and delete",
     false,
     false,
     {NULL},
     {GREET,
      LOGIN,
      "C STAT",
      "S +OK 3 71",
      "C UIDL",
      UIDL3,
      "C RETR 1",
      M1_RETR,
      M1_EV("u-one"),
      "C DELE 1",
      "S +OK",
      "C RETR 2",
      M2_RETR,
      M2_EV("u-two"),
      "C DELE 2",
      "S +OK",
      "C RETR 3",
      M3_RETR,
      M3_EV("u-three"),
      "C DELE 3",
      "S +OK",
      QUIT_OK,
      "E D ok [messages 3, retrieved 3, skipped 0, deleted 3, octets 71]"}},
    {"keep: only the unseen UIDLs, no DELE",
     false,
     true,
     {"u-two", "u-other"},
     {GREET, LOGIN, "C STAT", "S +OK 3 71", "C UIDL", UIDL3, "C RETR 1", M1_RETR, M1_EV("u-one"),
      "C RETR 3", M3_RETR, M3_EV("u-three"), QUIT_OK,
      "E D ok [messages 3, retrieved 2, skipped 1, deleted 0, octets 40]"}},
    {"keep: everything seen",
     false,
     true,
     {"u-one", "u-two", "u-three"},
     {GREET, LOGIN, "C STAT", "S +OK 3 71", "C UIDL", UIDL3, QUIT_OK,
      "E D ok [messages 3, retrieved 0, skipped 3, deleted 0, octets 0]"}},
    {"no UIDL: LIST instead, and keep cannot skip",
     false,
     true,
     {"u-one"},
     {GREET, LOGIN, "C STAT", "S +OK 2 50", "C UIDL", "S -ERR unknown command", "C LIST",
      "S +OK 2 messages\r\n1 19\r\n2 31\r\n.", "C RETR 1", M1_RETR, M1_EV("-"), "C RETR 2", M2_RETR,
      M2_EV("-"), QUIT_OK, "E D ok [messages 2, retrieved 2, skipped 0, deleted 0, octets 50]"}},
    {"an empty maildrop",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 0 0", QUIT_OK,
      "E D ok [messages 0, retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"wrong password",
     false,
     false,
     {NULL},
     {GREET, "C USER roberto", "S +OK", "C PASS secret",
      "S -ERR [AUTH] wrong user name or password", QUIT_OK,
      "E D error: wrong user name or password: -ERR [AUTH] wrong user name or password "
      "[messages 0, retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"a refusal without a response code",
     false,
     false,
     {NULL},
     {GREET, "C USER roberto", "S +OK", "C PASS secret", "S -ERR no", QUIT_OK,
      "E D error: login refused: -ERR no [messages 0, retrieved 0, skipped 0, deleted 0, "
      "octets 0]"}},
    {"the maildrop is locked",
     false,
     false,
     {NULL},
     {GREET, "C USER roberto", "S +OK", "C PASS secret",
      "S -ERR [IN-USE] maildrop already locked: another session is open", QUIT_OK,
      "E D error: maildrop locked by another session: -ERR [IN-USE] maildrop already locked: "
      "another session is open [messages 0, retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"USER refused",
     false,
     false,
     {NULL},
     {GREET, "C USER roberto", "S -ERR no such mailbox", QUIT_OK,
      "E D error: USER refused: -ERR no such mailbox [messages 0, retrieved 0, skipped 0, "
      "deleted 0, octets 0]"}},
    {"APOP with the greeting's timestamp",
     true,
     false,
     {NULL},
     {GREET_TS, "C APOP roberto 3f18b52881e44c0cc6067f46e0ced7bc", "S +OK", "C STAT", "S +OK 0 0",
      QUIT_OK, "E D ok [messages 0, retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"APOP refused",
     true,
     false,
     {NULL},
     {GREET_TS, "C APOP roberto 3f18b52881e44c0cc6067f46e0ced7bc", "S -ERR [AUTH] bad digest",
      QUIT_OK,
      "E D error: wrong user name or password: -ERR [AUTH] bad digest [messages 0, retrieved 0, "
      "skipped 0, deleted 0, octets 0]"}},
    {"APOP wanted, but no timestamp: USER and PASS",
     true,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 0 0", QUIT_OK,
      "E D ok [messages 0, retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"the greeting is -ERR",
     false,
     false,
     {NULL},
     {"S -ERR [SYS/TEMP] go away",
      "E D error: the server refused the session: -ERR [SYS/TEMP] go away [messages 0, "
      "retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"an SMTP server on the POP3 port",
     false,
     false,
     {NULL},
     {"S 220 mx.roberto.example ESMTP",
      "E D error: protocol error: not a POP3 greeting \"220 mx.roberto.example ESMTP\" [messages "
      "0, retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"STAT refused",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S -ERR later", QUIT_OK,
      "E D error: STAT refused: -ERR later [messages 0, retrieved 0, skipped 0, deleted 0, octets "
      "0]"}},
    {"STAT without numbers",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK many", QUIT_OK,
      "E D error: protocol error: a STAT answer without a message count: \"+OK many\" [messages "
      "0, retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"UIDL and LIST refused",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 1 5", "C UIDL", "S -ERR no", "C LIST", "S -ERR no either",
      QUIT_OK,
      "E D error: LIST refused: -ERR no either [messages 1, retrieved 0, skipped 0, deleted 0, "
      "octets 0]"}},
    {"a malformed UIDL line",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 1 5", "C UIDL", "S +OK\r\none u1", QUIT_OK,
      "E D error: protocol error: a malformed listing line \"one u1\" [messages 1, retrieved 0, "
      "skipped 0, deleted 0, octets 0]"}},
    {"a UIDL with a space",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 1 5", "C UIDL", "S +OK\r\n1 u 1", QUIT_OK,
      "E D error: protocol error: a malformed listing line \"1 u 1\" [messages 1, retrieved 0, "
      "skipped 0, deleted 0, octets 0]"}},
    {"a status line that is neither",
     false,
     false,
     {NULL},
     {GREET, "C USER roberto", "S OK", QUIT_OK,
      "E D error: protocol error: not a POP3 status line \"OK\" [messages 0, retrieved 0, "
      "skipped 0, deleted 0, octets 0]"}},
    {"RETR refused: the others still come",
     false,
     false,
     {NULL},
     {GREET,
      LOGIN,
      "C STAT",
      "S +OK 3 71",
      "C UIDL",
      UIDL3,
      "C RETR 1",
      "S -ERR gone",
      "C RETR 2",
      M2_RETR,
      M2_EV("u-two"),
      "C DELE 2",
      "S +OK",
      "C RETR 3",
      M3_RETR,
      M3_EV("u-three"),
      "C DELE 3",
      "S -ERR no",
      QUIT_OK,
      "E D error: RETR 1 refused: -ERR gone [messages 3, retrieved 2, skipped 0, deleted 1, "
      "octets 52]"}},
    {"DELE refused",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 1 19", "C UIDL", "S +OK\r\n1 u-one\r\n.", "C RETR 1", M1_RETR,
      M1_EV("u-one"), "C DELE 1", "S -ERR read-only", QUIT_OK,
      "E D error: DELE 1 refused: -ERR read-only [messages 1, retrieved 1, skipped 0, deleted 0, "
      "octets 19]"}},
    {"QUIT answered -ERR: the deletions failed",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 1 19", "C UIDL", "S +OK\r\n1 u-one\r\n.", "C RETR 1", M1_RETR,
      M1_EV("u-one"), "C DELE 1", "S +OK", "C QUIT", "S -ERR some deleted messages not removed",
      "E D error: QUIT: -ERR some deleted messages not removed [messages 1, retrieved 1, skipped "
      "0, deleted 1, octets 19]"}},
    {"connection lost in the middle of RETR",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 3 71", "C UIDL", UIDL3, "C RETR 1", M1_RETR, M1_EV("u-one"),
      "C DELE 1", "S +OK", "C RETR 2", "S +OK 31 octets\r\nSubject: b\r\n", "A lost",
      "E D error: connection lost in the middle of message 2; nothing was deleted [messages 3, "
      "retrieved 1, skipped 0, deleted 1, octets 19]"}},
    {"connection lost before RETR's answer",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 1 19", "C UIDL", "S +OK\r\n1 u-one\r\n.", "C RETR 1", "A lost",
      "E D error: connection lost waiting for RETR 1; nothing was deleted [messages 1, retrieved "
      "0, skipped 0, deleted 0, octets 0]"}},
    {"connection lost waiting for PASS's answer",
     false,
     false,
     {NULL},
     {GREET, "C USER roberto", "S +OK", "C PASS secret", "A lost",
      "E D error: connection lost waiting for PASS; nothing was deleted [messages 0, retrieved 0, "
      "skipped 0, deleted 0, octets 0]"}},
    {"connection lost before the greeting",
     false,
     false,
     {NULL},
     {"A lost", "E D error: connection lost before the server's greeting; nothing was deleted "
                "[messages 0, retrieved 0, skipped 0, deleted 0, octets 0]"}},
    {"connection lost after QUIT",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 1 19", "C UIDL", "S +OK\r\n1 u-one\r\n.", "C RETR 1", M1_RETR,
      M1_EV("u-one"), "C DELE 1", "S +OK", "C QUIT", "A lost",
      "E D error: connection lost waiting for QUIT: the deletions may not have happened [messages "
      "1, retrieved 1, skipped 0, deleted 1, octets 19]"}},
    {"an empty message",
     false,
     false,
     {NULL},
     {GREET, LOGIN, "C STAT", "S +OK 1 0", "C UIDL", "S +OK\r\n1 u-empty\r\n.", "C RETR 1",
      "S +OK 0 octets\r\n.", "E M 1 u-empty ", "C DELE 1", "S +OK", QUIT_OK,
      "E D ok [messages 1, retrieved 1, skipped 0, deleted 1, octets 0]"}},
};

typedef struct run {
    pop3_client_t *c;
    log_t log;
    buf_t sent;
} run_t;

static void expect_prefix(buf_t *b, const char *want, const char *what, const char *name,
                          size_t step)
{
    size_t n = strlen(want);
    ck_assert_msg(b->len >= n && memcmp(b->data, want, n) == 0,
                  "%s, step %zu: want %s \"%.*s\", have \"%s\"", name, step, what,
                  (int)(n > 2 ? n - 2 : n), want, buf_cstr(b));
    buf_consume(b, n);
}

static void run_step(run_t *r, const script_t *sc, size_t i)
{
    const char *st = sc->steps[i];
    char want[1200];
    switch (st[0]) {
    case 'S':
        ck_assert_msg(r->sent.len == 0, "%s, step %zu: sent too early: %s", sc->name, i,
                      buf_cstr(&r->sent));
        ck_assert_msg(r->log.events.len == 0, "%s, step %zu: unexpected events: %s", sc->name, i,
                      buf_cstr(&r->log.events));
        snprintf(want, sizeof want, "%s\r\n", st + 2);
        pop3_client_feed(r->c, (const uint8_t *)want, strlen(want), &r->sent);
        return;
    case 'C':
        snprintf(want, sizeof want, "%s\r\n", st + 2);
        expect_prefix(&r->sent, want, "sent", sc->name, i);
        return;
    case 'E':
        snprintf(want, sizeof want, "%s\n", st + 2);
        expect_prefix(&r->log.events, want, "event", sc->name, i);
        return;
    case 'A':
        ck_assert_msg(strcmp(st, "A lost") == 0, "bad step %s", st);
        pop3_client_connection_lost(r->c);
        return;
    default:
        ck_abort_msg("bad step %s", st);
    }
}

START_TEST(test_scripts)
{
    const script_t *sc = &scripts[_i];
    run_t r = {0};
    r.log.seen = sc->seen;
    pop3_client_config_t cfg = {
        .user = "roberto", .password = "secret", .apop = sc->apop, .keep = sc->keep};
    pop3_client_hooks_t hooks = {
        .ctx = &r.log, .seen = log_seen, .on_message = log_message, .on_done = log_done};
    r.c = pop3_client_new(&cfg, &hooks);
    for (size_t i = 0; i < ARRAY_LEN(sc->steps) && sc->steps[i]; i++)
        run_step(&r, sc, i);
    ck_assert_msg(r.sent.len == 0, "%s: sent at the end: %s", sc->name, buf_cstr(&r.sent));
    ck_assert_msg(r.log.events.len == 0, "%s: events at the end: %s", sc->name,
                  buf_cstr(&r.log.events));
    ck_assert_msg(pop3_client_done(r.c), "%s: not done", sc->name);
    /* Once done, nothing more is read or reported. */
    pop3_client_feed(r.c, (const uint8_t *)"+OK\r\n", 5, &r.sent);
    pop3_client_connection_lost(r.c);
    ck_assert_uint_eq(r.sent.len, 0);
    pop3_client_free(r.c);
    buf_free(&r.sent);
    buf_free(&r.log.events);
}
END_TEST

/* The APOP digest the scripts expect is MD5 of the timestamp and "secret". */
START_TEST(test_script_digest)
{
    char digest[MD5_HEX_SIZE];
    pop3_apop_digest("<1896.697170952@dbc.mtview.ca.us>", "secret", digest);
    ck_assert_str_eq(digest, "3f18b52881e44c0cc6067f46e0ced7bc");
}
END_TEST

START_TEST(test_states)
{
    log_t log = {0};
    pop3_client_config_t cfg = {.user = "roberto", .password = "secret"};
    pop3_client_hooks_t hooks = {.ctx = &log, .on_done = log_done};
    pop3_client_t *c = pop3_client_new(&cfg, &hooks);
    buf_t out = BUF_INIT;
    ck_assert_str_eq(pop3_client_state_name(pop3_client_state(c)), "greeting");
    const char *in = "+OK hi\r\n+OK\r\n";
    pop3_client_feed(c, (const uint8_t *)in, strlen(in), &out);
    ck_assert_int_eq(pop3_client_state(c), POP3_CLIENT_PASS);
    ck_assert_str_eq(pop3_client_state_name(POP3_CLIENT_UIDL), "uidl");
    ck_assert_str_eq(pop3_client_state_name((pop3_client_state_t)99), "?");
    ck_assert(!pop3_client_done(c));
    ck_assert_str_eq(buf_cstr(&out), "USER roberto\r\nPASS secret\r\n");
    pop3_client_free(c);
    buf_free(&out);
    buf_free(&log.events);
}
END_TEST

START_TEST(test_line_break_in_password)
{
    log_t log = {0};
    pop3_client_config_t cfg = {.user = "roberto", .password = "x\r\nDELE 1"};
    pop3_client_hooks_t hooks = {.ctx = &log, .on_done = log_done};
    pop3_client_t *c = pop3_client_new(&cfg, &hooks);
    buf_t out = BUF_INIT;
    const char *in = "+OK hi\r\n+OK bye\r\n";
    pop3_client_feed(c, (const uint8_t *)in, strlen(in), &out);
    ck_assert_str_eq(buf_cstr(&out), "QUIT\r\n");
    ck_assert_str_eq(buf_cstr(&log.events),
                     "D error: the user name or password holds a line break; it cannot be sent "
                     "[messages 0, retrieved 0, skipped 0, deleted 0, octets 0]\n");
    pop3_client_free(c);
    buf_free(&out);
    buf_free(&log.events);
}
END_TEST

/* --- a client wired to a server ------------------------------------------- */

typedef struct drop_msg {
    const char *data;
    const char *uidl;
    bool deleted;
} drop_msg_t;

/* Roberto's maildrop behind the server's hooks. */
typedef struct drop {
    drop_msg_t msgs[4];
    uint32_t count;
    bool locked;
    int commits, rollbacks;
    buf_t trace; /* the server's lines: "C line", "S line", message text left out */
} drop_t;

static const drop_msg_t roberto_mail[] = {
    {"From: alice@alice.example\r\nSubject: Lunch?\r\n\r\nHi Roberto, noon?\r\n",
     "0000000100000001", false},
    {"From: carol@carol.example\r\nSubject: dots\r\n\r\n.profile is a hidden file\r\n.\r\n",
     "0000000100000002", false},
    {"From: alice@alice.example\r\nSubject: Re: Lunch?\r\n\r\nSee you there.\r\n",
     "0000000100000004", false},
};

static void drop_init(drop_t *d)
{
    memset(d, 0, sizeof *d);
    memcpy(d->msgs, roberto_mail, sizeof roberto_mail);
    d->count = ARRAY_LEN(roberto_mail);
}

static bool drop_password(void *ctx, const char *user, const char *password)
{
    return strcmp(user, "roberto") == 0 && strcmp(password, "secret") == 0;
}

static const char *drop_secret(void *ctx, const char *user)
{
    return strcmp(user, "roberto") == 0 ? "secret" : NULL;
}

static pop3_open_result_t drop_open(void *ctx, const char *user)
{
    drop_t *d = ctx;
    if (d->locked)
        return POP3_OPEN_LOCKED;
    d->locked = true;
    return POP3_OPEN_OK;
}

static void drop_stat(void *ctx, pop3_maildrop_stat_t *out)
{
    drop_t *d = ctx;
    *out = (pop3_maildrop_stat_t){d->count, 0, 0};
    for (uint32_t i = 0; i < d->count; i++) {
        if (!d->msgs[i].deleted) {
            out->live++;
            out->live_octets += strlen(d->msgs[i].data);
        }
    }
}

static pop3_msg_status_t drop_message(void *ctx, uint32_t n, pop3_msg_info_t *out)
{
    drop_t *d = ctx;
    if (n == 0 || n > d->count)
        return POP3_MSG_NONE;
    const drop_msg_t *m = &d->msgs[n - 1];
    *out = (pop3_msg_info_t){strlen(m->data), m->uidl, (const uint8_t *)m->data, strlen(m->data)};
    return m->deleted ? POP3_MSG_DELETED : POP3_MSG_OK;
}

static pop3_msg_status_t drop_dele(void *ctx, uint32_t n)
{
    drop_t *d = ctx;
    d->msgs[n - 1].deleted = true;
    return POP3_MSG_OK;
}

static bool drop_commit(void *ctx, uint32_t *deleted)
{
    drop_t *d = ctx;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < d->count; i++)
        if (!d->msgs[i].deleted)
            d->msgs[kept++] = d->msgs[i];
    *deleted = d->count - kept;
    d->count = kept;
    d->locked = false;
    d->commits++;
    return true;
}

static void drop_rollback(void *ctx)
{
    drop_t *d = ctx;
    for (uint32_t i = 0; i < d->count; i++)
        d->msgs[i].deleted = false;
    d->locked = false;
    d->rollbacks++;
}

static void drop_line(void *ctx, line_dir_t dir, const char *verb, const char *status,
                      const char *line)
{
    drop_t *d = ctx;
    buf_printf(&d->trace, "%s %s\n", dir == LINE_CLIENT_TO_SERVER ? "C" : "S", line);
}

/* Moves bytes both ways, chunk octets at a time, until neither side has more to say. */
static void pump(pop3_client_t *c, pop3_server_t *s, buf_t *to_server, buf_t *to_client,
                 size_t chunk)
{
    while (to_server->len || to_client->len) {
        size_t n = to_server->len < chunk ? to_server->len : chunk;
        if (n) {
            buf_t reply = BUF_INIT;
            pop3_server_feed(s, to_server->data, n, &reply);
            buf_consume(to_server, n);
            buf_append(to_client, reply.data, reply.len);
            buf_free(&reply);
        }
        n = to_client->len < chunk ? to_client->len : chunk;
        if (n) {
            buf_t cmd = BUF_INIT;
            pop3_client_feed(c, to_client->data, n, &cmd);
            buf_consume(to_client, n);
            buf_append(to_server, cmd.data, cmd.len);
            buf_free(&cmd);
        }
    }
}

typedef struct wire_opts {
    size_t chunk;
    bool keep;
    bool apop;
    const char *const *seen;
} wire_opts_t;

/* One fetch from the server over drop; the client's events appended to events. */
static void wire_session(drop_t *d, const wire_opts_t *o, buf_t *events)
{
    log_t log = {.seen = o->seen};
    pop3_server_config_t scfg = {.hostname = "pop.roberto.example",
                                 .timestamp = "<4711.1200@pop.roberto.example>"};
    pop3_server_hooks_t sh = {
        .ctx = d,
        .check_password = drop_password,
        .apop_secret = drop_secret,
        .open_maildrop = drop_open,
        .stat = drop_stat,
        .message = drop_message,
        .dele = drop_dele,
        .commit = drop_commit,
        .rollback = drop_rollback,
        .on_line = drop_line,
    };
    pop3_server_t *s = pop3_server_new(&scfg, &sh);
    pop3_client_config_t ccfg = {
        .user = "roberto", .password = "secret", .keep = o->keep, .apop = o->apop};
    pop3_client_hooks_t ch = {
        .ctx = &log, .seen = log_seen, .on_message = log_message, .on_done = log_done};
    pop3_client_t *c = pop3_client_new(&ccfg, &ch);
    buf_t to_server = BUF_INIT, to_client = BUF_INIT;
    pop3_server_start(s, &to_client);
    pump(c, s, &to_server, &to_client, o->chunk);
    ck_assert(pop3_client_done(c));
    ck_assert(pop3_server_wants_close(s));
    buf_append(events, log.events.data, log.events.len);
    pop3_client_free(c);
    pop3_server_free(s);
    buf_free(&to_server);
    buf_free(&to_client);
    buf_free(&log.events);
}

#define WIRE_MESSAGES                                                                              \
    "M 1 0000000100000001 From: alice@alice.example|Subject: Lunch?||Hi Roberto, noon?|\n"         \
    "M 2 0000000100000002 From: carol@carol.example|Subject: dots||.profile is a hidden file|.|\n" \
    "M 3 0000000100000004 From: alice@alice.example|Subject: Re: Lunch?||See you there.|\n"

START_TEST(test_fetch_three_and_delete)
{
    drop_t d;
    drop_init(&d);
    buf_t events = BUF_INIT;
    wire_opts_t o = {.chunk = 1 << 20};
    wire_session(&d, &o, &events);
    ck_assert_str_eq(buf_cstr(&events),
                     WIRE_MESSAGES "D ok [messages 3, retrieved 3, skipped 0, deleted 3, octets "
                                   "205]\n");
    ck_assert_str_eq(buf_cstr(&d.trace),
                     "S +OK pop.roberto.example POP3 server ready <4711.1200@pop.roberto.example>\n"
                     "C USER roberto\n"
                     "S +OK now send the password with PASS\n"
                     "C PASS secret\n"
                     "S +OK roberto's maildrop has 3 messages (205 octets)\n"
                     "C STAT\n"
                     "S +OK 3 205\n"
                     "C UIDL\n"
                     "S +OK unique-id listing follows\n"
                     "S 1 0000000100000001\n"
                     "S 2 0000000100000002\n"
                     "S 3 0000000100000004\n"
                     "S .\n"
                     "C RETR 1\n"
                     "S +OK 65 octets\n"
                     "S .\n"
                     "C DELE 1\n"
                     "S +OK message 1 deleted (removed at QUIT; RSET undoes it)\n"
                     "C RETR 2\n"
                     "S +OK 74 octets\n"
                     "S .\n"
                     "C DELE 2\n"
                     "S +OK message 2 deleted (removed at QUIT; RSET undoes it)\n"
                     "C RETR 3\n"
                     "S +OK 66 octets\n"
                     "S .\n"
                     "C DELE 3\n"
                     "S +OK message 3 deleted (removed at QUIT; RSET undoes it)\n"
                     "C QUIT\n"
                     "S +OK pop.roberto.example POP3 server signing off (3 deleted, maildrop "
                     "empty)\n");
    ck_assert_uint_eq(d.count, 0);
    ck_assert_int_eq(d.commits, 1);
    ck_assert_int_eq(d.rollbacks, 0);
    ck_assert(!d.locked);
    /* The same fetch fed one byte at a time gives the same messages. */
    drop_t d1;
    drop_init(&d1);
    buf_t events1 = BUF_INIT;
    o.chunk = 1;
    wire_session(&d1, &o, &events1);
    ck_assert_str_eq(buf_cstr(&events1), buf_cstr(&events));
    ck_assert_str_eq(buf_cstr(&d1.trace), buf_cstr(&d.trace));
    buf_free(&events);
    buf_free(&events1);
    buf_free(&d.trace);
    buf_free(&d1.trace);
}
END_TEST

START_TEST(test_fetch_and_keep)
{
    drop_t d;
    drop_init(&d);
    buf_t events = BUF_INIT;
    /* APOP this time: the greeting has a timestamp. */
    wire_opts_t o = {.chunk = 7, .keep = true, .apop = true};
    wire_session(&d, &o, &events);
    ck_assert_str_eq(buf_cstr(&events),
                     WIRE_MESSAGES "D ok [messages 3, retrieved 3, skipped 0, deleted 0, octets "
                                   "205]\n");
    ck_assert_msg(strstr(buf_cstr(&d.trace), "C APOP roberto "), "%s", buf_cstr(&d.trace));
    ck_assert_msg(!strstr(buf_cstr(&d.trace), "PASS"), "%s", buf_cstr(&d.trace));
    ck_assert_uint_eq(d.count, 3);
    /* The next fetch skips what was seen: only the new message comes. */
    static const char *const seen[] = {"0000000100000001", "0000000100000002", "0000000100000004",
                                       NULL};
    d.msgs[d.count++] = (drop_msg_t){"Subject: new\r\n\r\nfresh\r\n", "0000000100000009", false};
    buf_reset(&events);
    o.seen = seen;
    wire_session(&d, &o, &events);
    ck_assert_str_eq(buf_cstr(&events), "M 4 0000000100000009 Subject: new||fresh|\n"
                                        "D ok [messages 4, retrieved 1, skipped 3, deleted 0, "
                                        "octets 23]\n");
    ck_assert_uint_eq(d.count, 4);
    ck_assert_int_eq(d.commits, 2);
    buf_free(&events);
    buf_free(&d.trace);
}
END_TEST

Suite *pop3_client_suite(void)
{
    Suite *s = suite_create("pop3_client");
    TCase *tc = tcase_create("scripts");
    tcase_add_loop_test(tc, test_scripts, 0, (int)ARRAY_LEN(scripts));
    tcase_add_test(tc, test_script_digest);
    tcase_add_test(tc, test_states);
    tcase_add_test(tc, test_line_break_in_password);
    suite_add_tcase(s, tc);
    TCase *wire = tcase_create("wire");
    tcase_set_timeout(wire, 30);
    tcase_add_test(wire, test_fetch_three_and_delete);
    tcase_add_test(wire, test_fetch_and_keep);
    suite_add_tcase(s, wire);
    return s;
}
