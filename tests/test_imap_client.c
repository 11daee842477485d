/*
 * The IMAP client engine against scripted server lines (a table of scripts:
 * literals, NO and BAD, the MOVE fallback, IDLE), the same responses split at
 * every byte, and a client wired straight to the IMAP server engine.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap_fixture.h"
#include "proto/imap_client.h"

/* --- hooks that log ------------------------------------------------------- */

typedef struct log {
    buf_t events; /* "M folder uid text|with|line ends|", "D ok [...]", one per line */
    bool over;
} log_t;

static void log_message(void *ctx, const char *folder, uint32_t uid, const uint8_t *data,
                        size_t len)
{
    log_t *l = ctx;
    buf_printf(&l->events, "M %s %u ", folder, (unsigned)uid);
    /* CRLF shows as "|" so that a message fits on one event line. */
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
            continue;
        buf_putc(&l->events, data[i] == '\n' ? '|' : data[i]);
    }
    buf_putc(&l->events, '\n');
}

static void log_done(void *ctx, bool ok, const char *error, const imap_client_counts_t *n)
{
    log_t *l = ctx;
    ck_assert_msg(!l->over, "on_done called twice");
    l->over = true;
    if (ok)
        buf_puts(&l->events, "D ok");
    else
        buf_printf(&l->events, "D error: %s", error);
    buf_printf(&l->events,
               " [found %u, fetched %u, stored %u, moved %u, expunged %u, created %u, deleted %u, "
               "news %u, octets %llu]\n",
               (unsigned)n->found, (unsigned)n->fetched, (unsigned)n->stored, (unsigned)n->moved,
               (unsigned)n->expunged, (unsigned)n->created, (unsigned)n->deleted, (unsigned)n->news,
               (unsigned long long)n->octets);
}

/* --- scripts -------------------------------------------------------------- */

#define NSTEPS 6

/*
 * Steps: "S text" feeds server lines (CRLF added; "\r\n" inside separates
 * lines), "C line" expects the client to have sent that line, "E event"
 * expects that event, "A lost" is the node's call. Before each S and at the
 * end, everything sent and every event must have been expected.
 */
typedef struct script {
    const char *name;
    const char *password; /* NULL: "secret" */
    imap_client_step_t queue[NSTEPS];
    const char *steps[40];
} script_t;

#define CAPS_ALL "IMAP4rev1 AUTH=PLAIN LITERAL+ IDLE UIDPLUS MOVE"
#define GREET "S * OK [CAPABILITY " CAPS_ALL "] mailsim IMAP4rev1 ready"
#define GREET_BARE "S * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready"
#define LOGIN "C a1 LOGIN roberto secret", "S a1 OK LOGIN completed"
#define LOGOUT(tag) "C " tag " LOGOUT", "S * BYE logging out\r\n" tag " OK LOGOUT completed"
#define SELECT_INBOX "C a2 SELECT INBOX", "S * 2 EXISTS\r\na2 OK [READ-WRITE] SELECT completed"
#define COUNTS(f, n, s, m, x, c, d, w, o)                                                          \
    " [found " #f ", fetched " #n ", stored " #s ", moved " #m ", expunged " #x ", created " #c    \
    ", deleted " #d ", news " #w ", octets " #o "]"
#define NONE COUNTS(0, 0, 0, 0, 0, 0, 0, 0, 0)

#define Q_SELECT(f)                                                                                \
    {                                                                                              \
        IMAP_STEP_SELECT, f, NULL, NULL, NULL                                                      \
    }
#define Q_UNSEEN                                                                                   \
    {                                                                                              \
        IMAP_STEP_SEARCH_UNSEEN, NULL, NULL, NULL, NULL                                            \
    }
#define Q_SUBJECT(t)                                                                               \
    {                                                                                              \
        IMAP_STEP_SEARCH_SUBJECT, NULL, t, NULL, NULL                                              \
    }
#define Q_FETCH                                                                                    \
    {                                                                                              \
        IMAP_STEP_FETCH, NULL, NULL, NULL, NULL                                                    \
    }
#define Q_MOVE(f)                                                                                  \
    {                                                                                              \
        IMAP_STEP_MOVE, f, NULL, NULL, NULL                                                        \
    }
#define Q_STORE(a, r)                                                                              \
    {                                                                                              \
        IMAP_STEP_STORE, NULL, NULL, a, r                                                          \
    }
#define Q_EXPUNGE                                                                                  \
    {                                                                                              \
        IMAP_STEP_EXPUNGE, NULL, NULL, NULL, NULL                                                  \
    }
#define Q_IDLE                                                                                     \
    {                                                                                              \
        IMAP_STEP_IDLE, NULL, NULL, NULL, NULL                                                     \
    }

/* The literal of "Γεια σου": 15 octets of UTF-8. */
#define GREEK "Γεια σου"
#define SCHOOL_WIRE "&A6MDxwO,A7sDrg-"

static const script_t scripts[] = {
    {"fetch the unseen: bodies in literals",
     NULL,
     {Q_SELECT("INBOX"), Q_UNSEEN, Q_FETCH},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH UNSEEN",
      "S * SEARCH 4 7\r\na3 OK SEARCH completed", "C a4 UID FETCH 4,7 (UID BODY[])",
      "S * 1 FETCH (UID 4 BODY[] {14}\r\nSubject: a\r\n\r\n FLAGS (\\Seen))\r\n"
      "* 2 FETCH (FLAGS (\\Seen \\Recent) BODY[] {3}\r\nx\r\n UID 7)\r\na4 OK FETCH completed",
      "E M INBOX 4 Subject: a||", "E M INBOX 7 x|", LOGOUT("a5"),
      "E D ok" COUNTS(2, 2, 0, 0, 0, 0, 0, 0, 17)}},
    {"a body as a quoted string and NIL; an unsolicited FETCH is no message",
     NULL,
     {Q_SELECT("INBOX"), Q_UNSEEN, Q_FETCH},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH UNSEEN", "S * SEARCH 1 2\r\na3 OK",
      "C a4 UID FETCH 1:2 (UID BODY[])",
      "S * 1 FETCH (UID 1 BODY[] \"hi\")\r\n* 2 FETCH (UID 2 BODY[] NIL)\r\n"
      "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {3}\r\nabc ENVELOPE (NIL \"s\" ((NIL NIL "
      "\"a\" \"b\")) NIL))\r\na4 OK",
      "E M INBOX 1 hi", LOGOUT("a5"), "E D ok" COUNTS(2, 1, 0, 0, 0, 0, 0, 0, 2)}},
    {"nothing unseen: no FETCH",
     NULL,
     {Q_SELECT("INBOX"), Q_UNSEEN, Q_FETCH},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH UNSEEN", "S * SEARCH\r\na3 OK SEARCH completed",
      LOGOUT("a4"), "E D ok" NONE}},
    {"wrong password",
     NULL,
     {Q_SELECT("INBOX")},
     {GREET, "C a1 LOGIN roberto secret", "S a1 NO [AUTHENTICATIONFAILED] Invalid credentials",
      LOGOUT("a2"),
      "E D error: wrong user name or password: NO [AUTHENTICATIONFAILED] Invalid "
      "credentials" NONE}},
    {"a password that needs quotes",
     "a b\"c\\",
     {{0}},
     {GREET, "C a1 LOGIN roberto \"a b\\\"c\\\\\"", "S a1 OK", LOGOUT("a2"), "E D ok" NONE}},
    {"a Greek password goes as a literal, at once with LITERAL+",
     "κωδικός",
     {{0}},
     {GREET, "C a1 LOGIN roberto {14+}", "C κωδικός", "S a1 OK", LOGOUT("a2"), "E D ok" NONE}},
    {"SELECT refused: the queue ends",
     NULL,
     {Q_SELECT("Σχολή"), Q_UNSEEN, Q_FETCH},
     {GREET, LOGIN, "C a2 SELECT " SCHOOL_WIRE, "S a2 NO [NONEXISTENT] Mailbox does not exist",
      LOGOUT("a3"), "E D error: SELECT refused: NO [NONEXISTENT] Mailbox does not exist" NONE}},
    {"BAD to a search",
     NULL,
     {Q_SELECT("INBOX"), Q_SUBJECT("report"), Q_FETCH},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH SUBJECT report", "S a3 BAD no thanks",
      LOGOUT("a4"), "E D error: UID SEARCH refused: BAD no thanks" NONE}},
    {"move by a Greek subject with MOVE and LITERAL+",
     NULL,
     {Q_SELECT("INBOX"), Q_SUBJECT(GREEK), Q_MOVE("Σχολή")},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH CHARSET UTF-8 SUBJECT {15+}", "C " GREEK,
      "S * SEARCH 3 5\r\na3 OK SEARCH completed", "C a4 UID MOVE 3,5 " SCHOOL_WIRE,
      "S * OK [COPYUID 2 3,5 1:2] Moved\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\na4 OK MOVE completed",
      LOGOUT("a5"), "E D ok" COUNTS(2, 0, 0, 2, 2, 0, 0, 0, 0)}},
    {"no MOVE: COPY, \\Deleted and UID EXPUNGE",
     NULL,
     {Q_SELECT("INBOX"), Q_SUBJECT("report"), Q_MOVE("Archive")},
     {"S * OK [CAPABILITY IMAP4rev1 UIDPLUS] ready", LOGIN, SELECT_INBOX,
      "C a3 UID SEARCH SUBJECT report", "S * SEARCH 3 4 5\r\na3 OK", "C a4 UID COPY 3:5 Archive",
      "S a4 OK [COPYUID 2 3:5 1:3] COPY completed", "C a5 UID STORE 3:5 +FLAGS.SILENT (\\Deleted)",
      "S a5 OK STORE completed", "C a6 UID EXPUNGE 3:5",
      "S * 1 EXPUNGE\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\na6 OK", LOGOUT("a7"),
      "E D ok" COUNTS(3, 0, 0, 3, 3, 0, 0, 0, 0)}},
    {"neither MOVE nor UIDPLUS nor LITERAL+: EXPUNGE, and the literal waits for \"+\"",
     NULL,
     {Q_SELECT("INBOX"), Q_SUBJECT(GREEK), Q_MOVE("Σχολή")},
     {GREET_BARE, LOGIN, SELECT_INBOX, "C a3 UID SEARCH CHARSET UTF-8 SUBJECT {15}",
      "S + Ready for literal data", "C " GREEK, "S * SEARCH 5\r\na3 OK",
      "C a4 UID COPY 5 " SCHOOL_WIRE, "S a4 OK", "C a5 UID STORE 5 +FLAGS.SILENT (\\Deleted)",
      "S a5 OK", "C a6 EXPUNGE", "S * 2 EXPUNGE\r\na6 OK", LOGOUT("a7"),
      "E D ok" COUNTS(1, 0, 0, 1, 1, 0, 0, 0, 0)}},
    {"the fallback's COPY refused",
     NULL,
     {Q_SELECT("INBOX"), Q_SUBJECT("x"), Q_MOVE("Nowhere")},
     {GREET_BARE, LOGIN, SELECT_INBOX, "C a3 UID SEARCH SUBJECT x", "S * SEARCH 1\r\na3 OK",
      "C a4 UID COPY 1 Nowhere", "S a4 NO [TRYCREATE] No such mailbox", LOGOUT("a5"),
      "E D error: UID COPY refused: NO [TRYCREATE] No such mailbox" COUNTS(1, 0, 0, 0, 0, 0, 0, 0,
                                                                           0)}},
    {"flags added, then removed",
     NULL,
     {Q_SELECT("INBOX"), Q_SUBJECT("x"), Q_STORE("\\Flagged $Work", "\\Seen")},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH SUBJECT x", "S * SEARCH 2\r\na3 OK",
      "C a4 UID STORE 2 +FLAGS (\\Flagged $Work)",
      "S * 1 FETCH (FLAGS (\\Seen \\Flagged $Work) UID 2)\r\na4 OK STORE completed",
      "C a5 UID STORE 2 -FLAGS (\\Seen)",
      "S * 1 FETCH (FLAGS (\\Flagged $Work) UID 2)\r\na5 OK STORE completed", LOGOUT("a6"),
      "E D ok" COUNTS(1, 0, 2, 0, 0, 0, 0, 0, 0)}},
    {"delete by subject: \\Deleted, then expunge",
     NULL,
     {Q_SELECT("INBOX"), Q_SUBJECT("x"), Q_STORE("\\Deleted", NULL), Q_EXPUNGE},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH SUBJECT x", "S * SEARCH 2\r\na3 OK",
      "C a4 UID STORE 2 +FLAGS (\\Deleted)", "S * 1 FETCH (FLAGS (\\Deleted) UID 2)\r\na4 OK",
      "C a5 UID EXPUNGE 2", "S * 1 EXPUNGE\r\na5 OK EXPUNGE completed", LOGOUT("a6"),
      "E D ok" COUNTS(1, 0, 1, 0, 1, 0, 0, 0, 0)}},
    {"create and delete a Greek folder",
     NULL,
     {{IMAP_STEP_CREATE, "Σχολή", NULL, NULL, NULL},
      {IMAP_STEP_DELETE_FOLDER, "Σχολή", NULL, NULL, NULL}},
     {GREET, LOGIN, "C a2 CREATE " SCHOOL_WIRE, "S a2 OK CREATE completed",
      "C a3 DELETE " SCHOOL_WIRE, "S a3 OK DELETE completed", LOGOUT("a4"),
      "E D ok" COUNTS(0, 0, 0, 0, 0, 1, 1, 0, 0)}},
    {"a folder name with a space is quoted",
     NULL,
     {{IMAP_STEP_CREATE, "My Folder", NULL, NULL, NULL}},
     {GREET, LOGIN, "C a2 CREATE \"My Folder\"", "S a2 OK", LOGOUT("a3"),
      "E D ok" COUNTS(0, 0, 0, 0, 0, 1, 0, 0, 0)}},
    {"a greeting without capabilities: CAPABILITY first",
     NULL,
     {Q_SELECT("INBOX"), Q_SUBJECT("x"), Q_MOVE("A")},
     {"S * OK ready", "C a1 CAPABILITY", "S * CAPABILITY IMAP4rev1 MOVE\r\na1 OK",
      "C a2 LOGIN roberto secret", "S a2 OK [CAPABILITY IMAP4rev1 MOVE UIDPLUS] Logged in",
      "C a3 SELECT INBOX", "S a3 OK", "C a4 UID SEARCH SUBJECT x", "S * SEARCH 9\r\na4 OK",
      "C a5 UID MOVE 9 A", "S a5 OK", LOGOUT("a6"), "E D ok" COUNTS(1, 0, 0, 1, 0, 0, 0, 0, 0)}},
    {"PREAUTH: no LOGIN",
     NULL,
     {Q_SELECT("INBOX")},
     {"S * PREAUTH [CAPABILITY IMAP4rev1] welcome", "C a1 SELECT INBOX", "S a1 OK", LOGOUT("a2"),
      "E D ok" NONE}},
    {"the greeting is BYE",
     NULL,
     {Q_SELECT("INBOX")},
     {"S * BYE too busy", "E D error: the server refused the session (BYE)" NONE}},
    {"a POP3 server on the IMAP port",
     NULL,
     {Q_SELECT("INBOX")},
     {"S +OK POP3 server ready",
      "E D error: protocol error: not an IMAP greeting \"+OK POP3 server ready\"" NONE}},
    {"IDLE until news, then DONE",
     NULL,
     {Q_SELECT("INBOX"), Q_IDLE},
     {GREET, LOGIN, SELECT_INBOX, "C a3 IDLE", "S + idling", "S * 3 EXISTS", "C DONE",
      "S * 1 FETCH (FLAGS (\\Seen))\r\na3 OK IDLE terminated", LOGOUT("a4"),
      "E D ok" COUNTS(0, 0, 0, 0, 0, 0, 0, 2, 0)}},
    {"IDLE: news pending before \"+\" ends it at once",
     NULL,
     {Q_SELECT("INBOX"), Q_IDLE},
     {GREET, LOGIN, SELECT_INBOX, "C a3 IDLE", "S * 4 EXISTS\r\n+ idling", "C DONE",
      "S a3 OK IDLE terminated", LOGOUT("a4"), "E D ok" COUNTS(0, 0, 0, 0, 0, 0, 0, 1, 0)}},
    {"IDLE not offered: skipped",
     NULL,
     {Q_SELECT("INBOX"), Q_IDLE},
     {GREET_BARE, LOGIN, SELECT_INBOX, LOGOUT("a3"), "E D ok" NONE}},
    {"the server says BYE, then the connection goes",
     NULL,
     {Q_SELECT("INBOX")},
     {GREET, LOGIN, "C a2 SELECT INBOX", "S * BYE Autologout; idle for too long", "A lost",
      "E D error: the server closed the session: Autologout; idle for too long" NONE}},
    {"connection lost waiting for SELECT",
     NULL,
     {Q_SELECT("INBOX")},
     {GREET, LOGIN, "C a2 SELECT INBOX", "A lost",
      "E D error: connection lost waiting for SELECT" NONE}},
    {"connection lost after LOGOUT: the work was done",
     NULL,
     {{0}},
     {GREET, LOGIN, "C a2 LOGOUT", "A lost", "E D ok" NONE}},
    {"a line that is no response",
     NULL,
     {Q_SELECT("INBOX")},
     {GREET, LOGIN, "C a2 SELECT INBOX", "S garbage", LOGOUT("a3"),
      "E D error: protocol error: not an IMAP response \"garbage\"" NONE}},
    {"a reply with another tag",
     NULL,
     {Q_SELECT("INBOX")},
     {GREET, LOGIN, "C a2 SELECT INBOX", "S a9 OK done", LOGOUT("a3"),
      "E D error: protocol error: a reply tagged a9, not a2" NONE}},
    {"a \"+\" nobody asked for",
     NULL,
     {Q_SELECT("INBOX")},
     {GREET, LOGIN, "C a2 SELECT INBOX", "S + what", LOGOUT("a3"),
      "E D error: protocol error: a \"+\" that nothing waited for" NONE}},
    {"a malformed SEARCH",
     NULL,
     {Q_SELECT("INBOX"), Q_UNSEEN},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH UNSEEN", "S * SEARCH 1 two", LOGOUT("a4"),
      "E D error: protocol error: a malformed SEARCH response \"* SEARCH 1 two\"" NONE}},
    {"a literal over the limit ends the session",
     NULL,
     {Q_SELECT("INBOX"), Q_UNSEEN, Q_FETCH},
     {GREET, LOGIN, SELECT_INBOX, "C a3 UID SEARCH UNSEEN", "S * SEARCH 1\r\na3 OK",
      "C a4 UID FETCH 1 (UID BODY[])", "S * 1 FETCH (UID 1 BODY[] {50000001}",
      "E D error: protocol error: a literal of 50000001 octets, over the limit" COUNTS(
          1, 0, 0, 0, 0, 0, 0, 0, 0)}},
};

typedef struct run {
    imap_client_t *c;
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
        imap_client_feed(r->c, (const uint8_t *)want, strlen(want), &r->sent);
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
        imap_client_connection_lost(r->c);
        return;
    default:
        ck_abort_msg("bad step %s", st);
    }
}

static imap_client_t *script_client(const script_t *sc, log_t *log)
{
    imap_client_config_t cfg = {.user = "roberto",
                                .password = sc->password ? sc->password : "secret"};
    imap_client_hooks_t hooks = {.ctx = log, .on_message = log_message, .on_done = log_done};
    imap_client_t *c = imap_client_new(&cfg, &hooks);
    for (size_t i = 0; i < NSTEPS; i++) {
        const imap_client_step_t *q = &sc->queue[i];
        if (!q->folder && !q->text && !q->add && !q->remove && q->kind == 0)
            break;
        char err[200];
        ck_assert_msg(imap_client_add(c, q, err, sizeof err), "%s: %s", sc->name, err);
    }
    return c;
}

START_TEST(test_scripts)
{
    const script_t *sc = &scripts[_i];
    run_t r = {0};
    r.c = script_client(sc, &r.log);
    for (size_t i = 0; i < ARRAY_LEN(sc->steps) && sc->steps[i]; i++)
        run_step(&r, sc, i);
    ck_assert_msg(r.sent.len == 0, "%s: sent at the end: %s", sc->name, buf_cstr(&r.sent));
    ck_assert_msg(r.log.events.len == 0, "%s: events at the end: %s", sc->name,
                  buf_cstr(&r.log.events));
    ck_assert_msg(imap_client_done(r.c), "%s: not done", sc->name);
    /* Once done, nothing more is read or reported. */
    imap_client_feed(r.c, (const uint8_t *)"* OK\r\n", 6, &r.sent);
    imap_client_connection_lost(r.c);
    ck_assert_uint_eq(r.sent.len, 0);
    imap_client_free(r.c);
    buf_free(&r.sent);
    buf_free(&r.log.events);
}
END_TEST

/*
 * The first script's server side in one piece, cut in two at every byte:
 * the client sends the same commands and hands over the same messages.
 */
START_TEST(test_split_anywhere)
{
    const script_t *sc = &scripts[0];
    buf_t input = BUF_INIT;
    for (size_t i = 0; sc->steps[i]; i++)
        if (sc->steps[i][0] == 'S')
            buf_printf(&input, "%s\r\n", sc->steps[i] + 2);
    run_t whole = {0};
    whole.c = script_client(sc, &whole.log);
    imap_client_feed(whole.c, input.data, input.len, &whole.sent);
    ck_assert(imap_client_done(whole.c));
    ck_assert_msg(strstr(buf_cstr(&whole.log.events), "M INBOX 4 Subject: a||\nM INBOX 7 x|\n"),
                  "%s", buf_cstr(&whole.log.events));
    for (size_t cut = 1; cut < input.len; cut++) {
        run_t r = {0};
        r.c = script_client(sc, &r.log);
        imap_client_feed(r.c, input.data, cut, &r.sent);
        imap_client_feed(r.c, input.data + cut, input.len - cut, &r.sent);
        ck_assert_msg(strcmp(buf_cstr(&r.sent), buf_cstr(&whole.sent)) == 0,
                      "cut at %zu: sent\n%s\nwant\n%s", cut, buf_cstr(&r.sent),
                      buf_cstr(&whole.sent));
        ck_assert_msg(strcmp(buf_cstr(&r.log.events), buf_cstr(&whole.log.events)) == 0,
                      "cut at %zu: events\n%s\nwant\n%s", cut, buf_cstr(&r.log.events),
                      buf_cstr(&whole.log.events));
        imap_client_free(r.c);
        buf_free(&r.sent);
        buf_free(&r.log.events);
    }
    imap_client_free(whole.c);
    buf_free(&whole.sent);
    buf_free(&whole.log.events);
    buf_free(&input);
}
END_TEST

static const struct {
    imap_client_step_t step;
    const char *error;
} refused_steps[] = {
    {{IMAP_STEP_SELECT, NULL, NULL, NULL, NULL}, "a folder name is needed"},
    {{IMAP_STEP_MOVE, "", NULL, NULL, NULL}, "a folder name is needed"},
    {{IMAP_STEP_CREATE, "bad\xff", NULL, NULL, NULL}, "folder \"bad\xff\": "},
    {{IMAP_STEP_SEARCH_SUBJECT, NULL, "a\r\nb2 LOGOUT", NULL, NULL},
     "a subject to search for, on one line, is needed"},
    {{IMAP_STEP_STORE, NULL, NULL, "(\\Seen)", NULL}, "\"(\\Seen)\": a flag is"},
    {{IMAP_STEP_STORE, NULL, NULL, NULL, "\\Seen\r\nx"}, "\"\\Seen\r\nx\": a flag is"},
    {{IMAP_STEP_STORE, NULL, NULL, "\\", NULL}, "\"\\\": a flag is"},
};

START_TEST(test_refused_steps)
{
    imap_client_config_t cfg = {.user = "roberto", .password = "secret"};
    imap_client_t *c = imap_client_new(&cfg, NULL);
    char err[200];
    ck_assert(!imap_client_add(c, &refused_steps[_i].step, err, sizeof err));
    ck_assert_msg(strncmp(err, refused_steps[_i].error, strlen(refused_steps[_i].error)) == 0,
                  "got \"%s\", want \"%s...\"", err, refused_steps[_i].error);
    imap_client_free(c);
}
END_TEST

START_TEST(test_line_break_in_password)
{
    log_t log = {0};
    imap_client_config_t cfg = {.user = "roberto", .password = "x\r\na2 DELETE INBOX"};
    imap_client_hooks_t hooks = {.ctx = &log, .on_done = log_done};
    imap_client_t *c = imap_client_new(&cfg, &hooks);
    buf_t out = BUF_INIT;
    const char *greet = "* OK [CAPABILITY IMAP4rev1] hi\r\n";
    imap_client_feed(c, (const uint8_t *)greet, strlen(greet), &out);
    ck_assert_str_eq(buf_cstr(&out), "a1 LOGOUT\r\n");
    ck_assert_str_eq(imap_client_state_name(imap_client_state(c)), "logout");
    imap_client_free(c);
    buf_free(&out);
    buf_free(&log.events);
}
END_TEST

/* The node's timer ends an IDLE that hears nothing. */
START_TEST(test_idle_done_by_the_node)
{
    imap_client_config_t cfg = {.user = "roberto", .password = "secret"};
    imap_client_t *c = imap_client_new(&cfg, NULL);
    imap_client_step_t idle = Q_IDLE;
    char err[100];
    ck_assert(imap_client_add(c, &idle, err, sizeof err));
    buf_t out = BUF_INIT;
    const char *in = "* OK [CAPABILITY IMAP4rev1 IDLE] hi\r\na1 OK\r\n";
    imap_client_feed(c, (const uint8_t *)in, strlen(in), &out);
    ck_assert_str_eq(buf_cstr(&out), "a1 LOGIN roberto secret\r\na2 IDLE\r\n");
    ck_assert(!imap_client_idling(c));
    buf_reset(&out);
    imap_client_idle_done(c, &out); /* no "+" yet: nothing to end */
    ck_assert_uint_eq(out.len, 0);
    imap_client_feed(c, (const uint8_t *)"+ idling\r\n", 10, &out);
    ck_assert(imap_client_idling(c));
    imap_client_idle_done(c, &out);
    ck_assert_str_eq(buf_cstr(&out), "DONE\r\n");
    ck_assert(!imap_client_idling(c));
    imap_client_idle_done(c, &out);
    ck_assert_str_eq(buf_cstr(&out), "DONE\r\n");
    imap_client_free(c);
    buf_free(&out);
}
END_TEST

/* --- the client and the server engine, wired ------------------------------ */

static const char msg_greek[] = "From: alice@alice.example\r\n"
                                "Subject: =?UTF-8?B?zpPOtc65zrEgz4POv8+F?=\r\n"
                                "\r\n"
                                "Καλημέρα\r\n";
static const char msg_other[] = "From: alice@alice.example\r\n"
                                "Subject: Lab\r\n"
                                "\r\n"
                                "text\r\n";

/* Carries bytes both ways until neither side has more; step bytes at a time (0: all). */
static void pump(imap_session_t *srv, imap_client_t *c, size_t step)
{
    buf_t to_server = BUF_INIT;
    for (int rounds = 0; rounds < 1000 && !imap_client_done(c); rounds++) {
        buf_t from_server = srv->out;
        srv->out = (buf_t)BUF_INIT;
        for (size_t i = 0; i < from_server.len;) {
            size_t n = step && from_server.len - i > step ? step : from_server.len - i;
            imap_client_feed(c, from_server.data + i, n, &to_server);
            i += n;
        }
        buf_free(&from_server);
        if (to_server.len == 0)
            break;
        for (size_t i = 0; i < to_server.len;) {
            size_t n = step && to_server.len - i > step ? step : to_server.len - i;
            imap_server_feed(srv->s, to_server.data + i, n, &srv->out);
            i += n;
        }
        buf_reset(&to_server);
    }
    buf_free(&to_server);
}

static void wired(unsigned caps, size_t step)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, msg_greek, 10);
    imap_world_deliver(&w, msg_other, 20);
    imap_session_t srv;
    imap_session_open(&srv, &w, caps);
    log_t log = {0};
    imap_client_config_t cfg = {.user = "roberto", .password = "secret"};
    imap_client_hooks_t hooks = {.ctx = &log, .on_message = log_message, .on_done = log_done};
    imap_client_t *c = imap_client_new(&cfg, &hooks);
    const imap_client_step_t queue[] = {
        {IMAP_STEP_CREATE, "Σχολή", NULL, NULL, NULL},
        Q_SELECT("INBOX"),
        Q_SUBJECT("γεια"), /* a substring, in another case */
        Q_MOVE("Σχολή"),
        Q_SELECT("Σχολή"),
        Q_UNSEEN,
    };
    char err[200];
    for (size_t i = 0; i < ARRAY_LEN(queue); i++)
        ck_assert_msg(imap_client_add(c, &queue[i], err, sizeof err), "%s", err);
    imap_client_step_t fetch = Q_FETCH;
    ck_assert(imap_client_add(c, &fetch, err, sizeof err));
    pump(&srv, c, step);
    ck_assert_msg(imap_client_done(c), "not done; trace:\n%s", buf_cstr(&srv.trace));
    const char *ev = buf_cstr(&log.events);
    ck_assert_msg(strstr(ev, "M Σχολή 1 From: alice@alice.example|Subject: =?UTF-8?B?zpPOtc65zrEg"
                             "z4POv8+F?=||Καλημέρα|\nD ok [found 2, fetched 1, stored 0, moved "
                             "1,") != NULL,
                  "events: %s\ntrace:\n%s", ev, buf_cstr(&srv.trace));
    store_folder_t *school = store_folder_find(w.roberto, "Σχολή");
    ck_assert_ptr_nonnull(school);
    ck_assert_uint_eq(store_folder_msg_count(school), 1);
    ck_assert_uint_eq(store_folder_msg_count(store_inbox(w.roberto)), 1);
    /* Fetching BODY[] left the message on the server, marked \Seen. */
    ck_assert(store_msg_flags(store_msg_by_seq(school, 1)) & STORE_FLAG_SEEN);
    ck_assert(!(store_msg_flags(store_msg_by_seq(store_inbox(w.roberto), 1)) & STORE_FLAG_SEEN));
    bool move = caps & IMAP_CAP_MOVE;
    ck_assert_msg((strstr(buf_cstr(&srv.trace), "C a5 UID MOVE ") != NULL) == move, "%s",
                  buf_cstr(&srv.trace));
    ck_assert_msg((strstr(buf_cstr(&srv.trace), "C a5 UID COPY ") != NULL) == !move, "%s",
                  buf_cstr(&srv.trace));
    imap_client_free(c);
    imap_session_close(&srv);
    imap_world_free(&w);
    buf_free(&log.events);
}

START_TEST(test_wired_every_extension)
{
    wired(IMAP_CAP_DEFAULT, 0);
}
END_TEST

START_TEST(test_wired_no_extension_byte_by_byte)
{
    wired(0, 1);
}
END_TEST

START_TEST(test_wired_uidplus_only_in_pieces_of_seven)
{
    wired(IMAP_CAP_UIDPLUS, 7);
}
END_TEST

Suite *imap_client_suite(void)
{
    Suite *s = suite_create("imap_client");
    TCase *tc = tcase_create("scripts");
    tcase_add_loop_test(tc, test_scripts, 0, (int)ARRAY_LEN(scripts));
    tcase_add_test(tc, test_split_anywhere);
    tcase_add_loop_test(tc, test_refused_steps, 0, (int)ARRAY_LEN(refused_steps));
    tcase_add_test(tc, test_line_break_in_password);
    tcase_add_test(tc, test_idle_done_by_the_node);
    suite_add_tcase(s, tc);
    TCase *wire = tcase_create("wire");
    tcase_set_timeout(wire, 30);
    tcase_add_test(wire, test_wired_every_extension);
    tcase_add_test(wire, test_wired_no_extension_byte_by_byte);
    tcase_add_test(wire, test_wired_uidplus_only_in_pieces_of_seven);
    suite_add_tcase(s, wire);
    return s;
}
