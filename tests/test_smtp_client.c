/*
 * The SMTP client engine against scripted server replies (a table of
 * scripts), and a client wired straight to a server engine.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/eightbit.h"
#include "proto/line.h"
#include "proto/smtp_addr.h"
#include "proto/smtp_client.h"
#include "proto/smtp_server.h"

/* --- messages ------------------------------------------------------------ */

typedef struct fixture {
    const char *name;
    const char *from;
    const char *to[4];
    const char *body;
} fixture_t;

static const fixture_t fixtures[] = {
    /* 23 octets once its LF line ends are CRLF */
    {"m1", "alice@alice.example", {"roberto@roberto.example"}, "Subject: one\n\nHello\n"},
    /* 29 octets; a line that starts with a dot */
    {"m2",
     "alice@alice.example",
     {"roberto@roberto.example", "nobody@roberto.example", "carol@roberto.example"},
     "Subject: two\r\n\r\n.hidden dot\r\n"},
    /* 29 octets, 8-bit */
    {"m3",
     "alice@alice.example",
     {"roberto@roberto.example"},
     "Subject: caf\xc3\xa9\r\n\r\nd\xc3\xa9j\xc3\xa0 vu\r\n"},
    /* the null sender, 8 octets */
    {"m4", "", {"roberto@roberto.example"}, "bounce\r\n"},
    /* addresses a node should never hand over: they fail locally, nothing is injected */
    {"m6",
     "alice@alice.example",
     {"evil@x.example>\r\nRSET", "roberto@roberto.example", "no-at-sign"},
     "x\r\n"},
    {"m7", "alice", {"roberto@roberto.example"}, "x\r\n"},
    /* senders that differ from alice@alice.example, which a session found fit, by little */
    {"m8", "alice@alice.exampl>", {"roberto@roberto.example"}, "x\r\n"},
    {"m9", "alice@alice.example>", {"roberto@roberto.example"}, "x\r\n"},
    {"m10", "alice@alice.exampl", {"roberto@roberto.example"}, "x\r\n"},
    /* recipients that differ from roberto@roberto.example, which a session found fit, by little */
    {"m11", "alice@alice.example", {"roberto@roberto.example>", "roberto@roberto.exampl>"}, "x\r\n"},
    /* one recipient who does not exist */
    {"m5", "alice@alice.example", {"nobody@roberto.example"}, "x\r\n"},
    /* clean CRLF lines, a composer's header and text; and with a dot or 8-bit octets late */
    {"p1", "alice@alice.example", {"roberto@roberto.example"},
     "Subject: p\r\nMIME-Version: 1.0\r\n\r\nline one\r\nline two\r\n"},
    {"p2", "alice@alice.example", {"roberto@roberto.example"},
     "Subject: p\r\n\r\nline one\r\n.two\r\nthree\r\n"},
    {"p3", "alice@alice.example", {"roberto@roberto.example"},
     "Subject: p\r\n\r\nline one\r\nd\xc3\xa9j\xc3\xa0\r\n"},
};

static const fixture_t *fixture(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(fixtures); i++)
        if (strcmp(fixtures[i].name, name) == 0)
            return &fixtures[i];
    ck_abort_msg("no fixture %s", name);
    return NULL;
}

/*
 * How a script's messages are handed over: copied with nothing known, or
 * lent with what a composer would know of them (the same answers the engine
 * would find by looking), which must change nothing on the wire.
 */
static bool lend_messages;
/*
 * With split_at > 0, a body longer than split_at - 1 goes in two pieces,
 * cut after split_at - 1 octets: the rest as the message's tail, in a block
 * of its own (so that a read past either shows), with its final dot after
 * it when lent. The blocks live until tails_free.
 */
static size_t split_at;
static uint8_t *tails[32];
static size_t ntails;

static void tails_free(void)
{
    while (ntails)
        free(tails[--ntails]);
}

static void add_fixture(smtp_client_t *c, const fixture_t *fx, buf_t *out)
{
    size_t n = 0;
    while (n < ARRAY_LEN(fx->to) && fx->to[n])
        n++;
    const uint8_t *data = (const uint8_t *)fx->body;
    size_t len = strlen(fx->body);
    smtp_client_message_t m = {
        .ctx = (void *)fx->name,
        .reverse_path = fx->from,
        .recipients = fx->to,
        .nrecipients = n,
        .data = data,
        .len = len,
    };
    if (split_at && split_at - 1 < len) {
        ck_assert(ntails < ARRAY_LEN(tails));
        size_t head = split_at - 1, rest = len - head;
        uint8_t *tail = tails[ntails++] = malloc(rest + 3);
        memcpy(tail, data + head, rest);
        memcpy(tail + rest, ".\r\n", 3);
        m.len = head;
        m.tail = tail;
        m.tail_len = rest;
        m.dot_follows = lend_messages;
    }
    if (lend_messages) {
        m.data_borrowed = true;
        m.known_7bit = eightbit_is_7bit(data, len);
        m.known_dot_safe = line_dot_clean_prefix(data, len) == len;
    }
    smtp_client_add_message(c, &m, out);
}

/* --- hooks that log ------------------------------------------------------ */

typedef struct log {
    buf_t events; /* one line each: "R m1 0 250 2.0.0 text", "D m1", "S ok", "G" */
    bool session_over;
} log_t;

static void log_result(void *ctx, void *msg, size_t i, const smtp_reply_t *r, bool from_server)
{
    log_t *l = ctx;
    buf_printf(&l->events, "R %s %zu %d%s%s %s%s\n", (const char *)msg, i, r->code,
               r->enhanced[0] ? " " : "", r->enhanced, r->text, from_server ? "" : " (local)");
}

static void log_done(void *ctx, void *msg)
{
    buf_printf(&((log_t *)ctx)->events, "D %s\n", (const char *)msg);
}

static void log_session(void *ctx, bool ok, const char *error)
{
    log_t *l = ctx;
    ck_assert_msg(!l->session_over, "on_session_done called twice");
    l->session_over = true;
    if (ok)
        buf_puts(&l->events, "S ok\n");
    else
        buf_printf(&l->events, "S error: %s\n", error);
}

/* The hooks that log results, messages and the session's end into log. */
static smtp_client_hooks_t log_hooks(log_t *log)
{
    return (smtp_client_hooks_t){.ctx = log,
                                 .on_recipient_result = log_result,
                                 .on_message_done = log_done,
                                 .on_session_done = log_session};
}

/* A pretend quoted-printable: every 8-bit octet becomes =XX. */
static int log_downgrade(void *ctx, const uint8_t *in, size_t len, buf_t *out)
{
    buf_puts(&((log_t *)ctx)->events, "G\n");
    for (size_t i = 0; i < len; i++) {
        if (in[i] >= 0x80)
            buf_printf(out, "=%02X", in[i]);
        else
            buf_putc(out, in[i]);
    }
    return 0;
}

/* --- scripts ------------------------------------------------------------- */

/*
 * Steps: "S text" feeds a server reply (CRLF added; "\r\n" inside separates
 * lines), "C line" expects the client to have sent that line, "E event"
 * expects that event, "A add NAME" / "A finish" / "A lost" are the node's
 * calls. Before each S and at the end, everything sent and every event must
 * have been expected: so a C before an S says "sent before that reply".
 */
typedef struct script {
    const char *name;
    bool auth;
    bool downgrade;
    const char *steps[64];
} script_t;

#define GREET "S 220 mx.roberto.example ESMTP"
#define EHLO_C "C EHLO mail.alice.example"
#define EHLO_PIPE                                                                                  \
    "S 250-mx.roberto.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"              \
    "250 ENHANCEDSTATUSCODES"
#define EHLO_PLAIN "S 250-mx.roberto.example\r\n250 ENHANCEDSTATUSCODES"
#define QUIT_OK "A finish", "C QUIT", "S 221 2.0.0 Bye", "E S ok"
#define M1_BODY "C Subject: one", "C ", "C Hello", "C ."
/* m2 as DATA sends it: its dotted line stuffed, then the final dot. */
#define M2_BODY "C Subject: two", "C ", "C ..hidden dot", "C ."
/* m5 sent, its one recipient refused: the sender was fit to send. */
#define M5_REFUSED                                                                                 \
    "A add m5", "C MAIL FROM:<alice@alice.example> SIZE=3", "C RCPT TO:<nobody@roberto.example>",  \
        "C DATA", "S 250 Ok\r\n550 5.1.1 No such user\r\n554 5.5.1 No valid recipients",           \
        "E R m5 0 550 5.1.1 No such user", "E D m5", "C RSET", "S 250 Ok"
#define LOST "451 4.4.2 Connection lost before the server's final reply (local)"

static const script_t scripts[] = {
    {"one message, not pipelined",
     false,
     false,
     {"A add m1", GREET, EHLO_C, EHLO_PLAIN, "C MAIL FROM:<alice@alice.example>", "S 250 2.1.0 Ok",
      "C RCPT TO:<roberto@roberto.example>", "S 250 2.1.5 Ok", "C DATA", "S 354 Go ahead", M1_BODY,
      "S 250 2.0.0 Ok: queued as Q1", "E R m1 0 250 2.0.0 Ok: queued as Q1", "E D m1", QUIT_OK}},
    {"EHLO refused: HELO",
     false,
     false,
     {GREET, EHLO_C, "S 502 5.5.1 Command not implemented", "C HELO mail.alice.example",
      "S 250 mx.roberto.example", "A add m1", "C MAIL FROM:<alice@alice.example>", "S 250 Ok",
      "C RCPT TO:<roberto@roberto.example>", "S 250 Ok", "C DATA", "S 354 Go", M1_BODY,
      "S 250 Queued", "E R m1 0 250 Queued", "E D m1", QUIT_OK}},
    {"EHLO and HELO refused",
     false,
     false,
     {"A add m1", GREET, EHLO_C, "S 500 What?", "C HELO mail.alice.example", "S 500 What?",
      "E R m1 0 451 4.3.0 HELO refused: 500 What? (local)", "E D m1", "C QUIT", "S 221 Bye",
      "E S error: HELO refused: 500 What?"}},
    {"pipelined, one recipient refused",
     false,
     false,
     {GREET,
      EHLO_C,
      EHLO_PIPE,
      "A add m2",
      "C MAIL FROM:<alice@alice.example> SIZE=29",
      "C RCPT TO:<roberto@roberto.example>",
      "C RCPT TO:<nobody@roberto.example>",
      "C RCPT TO:<carol@roberto.example>",
      "C DATA",
      "S 250 2.1.0 Ok",
      "S 250 2.1.5 Ok",
      "S 550 5.1.1 User unknown",
      "E R m2 1 550 5.1.1 User unknown",
      "S 250 2.1.5 Ok",
      "S 354 End data with <CR><LF>.<CR><LF>",
      M2_BODY,
      "S 250 2.0.0 Ok: queued as Q7",
      "E R m2 0 250 2.0.0 Ok: queued as Q7",
      "E R m2 2 250 2.0.0 Ok: queued as Q7",
      "E D m2",
      QUIT_OK}},
    {"not pipelined, one recipient refused",
     false,
     false,
     {GREET,
      EHLO_C,
      EHLO_PLAIN,
      "A add m2",
      "C MAIL FROM:<alice@alice.example>",
      "S 250 2.1.0 Ok",
      "C RCPT TO:<roberto@roberto.example>",
      "S 250 2.1.5 Ok",
      "C RCPT TO:<nobody@roberto.example>",
      "S 550 5.1.1 User unknown",
      "E R m2 1 550 5.1.1 User unknown",
      "C RCPT TO:<carol@roberto.example>",
      "S 452 4.2.2 Mailbox full",
      "E R m2 2 452 4.2.2 Mailbox full",
      "C DATA",
      "S 354 Go",
      M2_BODY,
      "S 250 2.0.0 Ok",
      "E R m2 0 250 2.0.0 Ok",
      "E D m2",
      QUIT_OK}},
    /* RFC 5321 4.5.3.1.10: the server holds no more recipients in this transaction. */
    {"pipelined, too many recipients: the rest in a second transaction",
     false,
     false,
     {GREET,
      EHLO_C,
      EHLO_PIPE,
      "A add m2",
      "C MAIL FROM:<alice@alice.example> SIZE=29",
      "C RCPT TO:<roberto@roberto.example>",
      "C RCPT TO:<nobody@roberto.example>",
      "C RCPT TO:<carol@roberto.example>",
      "C DATA",
      "S 250 2.1.0 Ok",
      "S 250 2.1.5 Ok",
      "S 452 4.5.3 Too many recipients",
      "S 452 4.5.3 Too many recipients",
      "S 354 Go",
      M2_BODY,
      "S 250 2.0.0 Ok: queued as Q1",
      "E R m2 0 250 2.0.0 Ok: queued as Q1",
      "C MAIL FROM:<alice@alice.example> SIZE=29",
      "C RCPT TO:<nobody@roberto.example>",
      "C RCPT TO:<carol@roberto.example>",
      "C DATA",
      "S 250 2.1.0 Ok",
      "S 550 5.1.1 User unknown",
      "E R m2 1 550 5.1.1 User unknown",
      "S 250 2.1.5 Ok",
      "S 354 Go",
      M2_BODY,
      "S 250 2.0.0 Ok: queued as Q2",
      "E R m2 2 250 2.0.0 Ok: queued as Q2",
      "E D m2",
      QUIT_OK}},
    {"one at a time, too many recipients, no enhanced codes: the rest later",
     false,
     false,
     {GREET,
      EHLO_C,
      "S 250 mx.roberto.example",
      "A add m2",
      "C MAIL FROM:<alice@alice.example>",
      "S 250 Ok",
      "C RCPT TO:<roberto@roberto.example>",
      "S 250 Ok",
      "C RCPT TO:<nobody@roberto.example>",
      "S 452 Too many recipients",
      "C RCPT TO:<carol@roberto.example>",
      "S 452 Too many recipients",
      "C DATA",
      "S 354 Go",
      M2_BODY,
      "S 250 Ok",
      "E R m2 0 250 Ok",
      "C MAIL FROM:<alice@alice.example>",
      "S 250 Ok",
      "C RCPT TO:<nobody@roberto.example>",
      "S 250 Ok",
      "C RCPT TO:<carol@roberto.example>",
      "S 452 Too many recipients",
      "C DATA",
      "S 354 Go",
      M2_BODY,
      "S 554 Transaction failed",
      "E R m2 1 554 Transaction failed",
      "C MAIL FROM:<alice@alice.example>",
      "S 250 Ok",
      "C RCPT TO:<carol@roberto.example>",
      "S 452 Too many recipients",
      "E R m2 2 452 Too many recipients",
      "E D m2",
      "C RSET",
      "S 250 Ok",
      QUIT_OK}},
    {"too many recipients, then DATA refused: the rest get the refusal",
     false,
     false,
     {GREET,
      EHLO_C,
      EHLO_PLAIN,
      "A add m2",
      "C MAIL FROM:<alice@alice.example>",
      "S 250 2.1.0 Ok",
      "C RCPT TO:<roberto@roberto.example>",
      "S 250 2.1.5 Ok",
      "C RCPT TO:<nobody@roberto.example>",
      "S 452 4.5.3 Too many recipients",
      "C RCPT TO:<carol@roberto.example>",
      "S 452 4.2.2 Mailbox full",
      "E R m2 2 452 4.2.2 Mailbox full",
      "C DATA",
      "S 451 4.3.0 Try later",
      "E R m2 0 451 4.3.0 Try later",
      "E R m2 1 451 4.3.0 Try later",
      "E D m2",
      "C RSET",
      "S 250 2.0.0 Ok",
      QUIT_OK}},
    {"no recipient accepted: RSET, no DATA",
     false,
     false,
     {GREET, EHLO_C, EHLO_PLAIN, "A add m5", "C MAIL FROM:<alice@alice.example>", "S 250 2.1.0 Ok",
      "C RCPT TO:<nobody@roberto.example>", "S 550 5.1.1 User unknown",
      "E R m5 0 550 5.1.1 User unknown", "E D m5", "C RSET", "S 250 2.0.0 Ok", QUIT_OK}},
    {"pipelined, no recipient accepted: RSET after DATA fails",
     false,
     false,
     {GREET, EHLO_C, EHLO_PIPE, "A add m5", "C MAIL FROM:<alice@alice.example> SIZE=3",
      "C RCPT TO:<nobody@roberto.example>", "C DATA", "S 250 2.1.0 Ok", "S 550 5.1.1 User unknown",
      "E R m5 0 550 5.1.1 User unknown", "S 554 5.5.1 No valid recipients", "E D m5", "C RSET",
      "S 250 2.0.0 Ok", QUIT_OK}},
    {"pipelined, DATA accepted with no recipient: a lone dot",
     false,
     false,
     {GREET, EHLO_C, EHLO_PIPE, "A add m5", "C MAIL FROM:<alice@alice.example> SIZE=3",
      "C RCPT TO:<nobody@roberto.example>", "C DATA", "S 250 2.1.0 Ok", "S 550 5.1.1 User unknown",
      "E R m5 0 550 5.1.1 User unknown", "S 354 Go", "C .", "S 554 5.5.1 No recipients", "E D m5",
      QUIT_OK}},
    {"MAIL refused",
     false,
     false,
     {GREET,
      EHLO_C,
      EHLO_PLAIN,
      "A add m2",
      "A add m4",
      "C MAIL FROM:<alice@alice.example>",
      "S 550 5.7.1 Sender refused",
      "E R m2 0 550 5.7.1 Sender refused",
      "E R m2 1 550 5.7.1 Sender refused",
      "E R m2 2 550 5.7.1 Sender refused",
      "E D m2",
      "C MAIL FROM:<>",
      "S 250 Ok",
      "C RCPT TO:<roberto@roberto.example>",
      "S 250 Ok",
      "C DATA",
      "S 354 Go",
      "C bounce",
      "C .",
      "S 250 Ok",
      "E R m4 0 250 Ok",
      "E D m4",
      QUIT_OK}},
    {"pipelined, MAIL refused",
     false,
     false,
     {GREET, EHLO_C, EHLO_PIPE, "A add m1", "C MAIL FROM:<alice@alice.example> SIZE=23",
      "C RCPT TO:<roberto@roberto.example>", "C DATA", "S 451 4.3.0 Try later",
      "E R m1 0 451 4.3.0 Try later", "S 503 5.5.1 Need MAIL", "S 503 5.5.1 Need MAIL", "E D m1",
      QUIT_OK}},
    {"final reply transient",
     false,
     false,
     {GREET,
      EHLO_C,
      EHLO_PLAIN,
      "A add m1",
      "C MAIL FROM:<alice@alice.example>",
      "S 250 Ok",
      "C RCPT TO:<roberto@roberto.example>",
      "S 250 Ok",
      "C DATA",
      "S 354 Go",
      M1_BODY,
      "S 451 4.3.0 Disk full",
      "E R m1 0 451 4.3.0 Disk full",
      "E D m1",
      "A add m4",
      "C MAIL FROM:<>",
      "A finish",
      "S 250 Ok",
      "C RCPT TO:<roberto@roberto.example>",
      "S 250 Ok",
      "C DATA",
      "S 354 Go",
      "C bounce",
      "C .",
      "S 250 Ok",
      "E R m4 0 250 Ok",
      "E D m4",
      "C QUIT",
      "S 221 Bye",
      "E S ok"}},
    {"8-bit body, server with 8BITMIME: no downgrade",
     false,
     true,
     {GREET, EHLO_C, EHLO_PIPE, "A add m3",
      "C MAIL FROM:<alice@alice.example> SIZE=29 BODY=8BITMIME",
      "C RCPT TO:<roberto@roberto.example>", "C DATA", "S 250 Ok", "S 250 Ok", "S 354 Go",
      "C Subject: caf\xc3\xa9", "C ", "C d\xc3\xa9j\xc3\xa0 vu", "C .", "S 250 Ok",
      "E R m3 0 250 Ok", "E D m3", QUIT_OK}},
    {"8-bit body, server without 8BITMIME: downgraded",
     false,
     true,
     {GREET, EHLO_C, "S 250-mx.roberto.example\r\n250 SIZE", "A add m3", "E G",
      "C MAIL FROM:<alice@alice.example> SIZE=41", "S 250 Ok",
      "C RCPT TO:<roberto@roberto.example>", "S 250 Ok", "C DATA", "S 354 Go",
      "C Subject: caf=C3=A9", "C ", "C d=C3=A9j=C3=A0 vu", "C .", "S 250 Ok", "E R m3 0 250 Ok",
      "E D m3", QUIT_OK}},
    {"8-bit body, no 8BITMIME and no downgrade hook",
     false,
     false,
     {GREET, EHLO_C, EHLO_PLAIN, "A add m3",
      "E R m3 0 554 5.6.3 Conversion required but not supported: 8-bit message, server "
      "without 8BITMIME (local)",
      "E D m3", QUIT_OK}},
    {"over the server's SIZE: refused without sending",
     false,
     false,
     {GREET, EHLO_C, "S 250-mx.roberto.example\r\n250-PIPELINING\r\n250 SIZE 20", "A add m1",
      "A add m4",
      "E R m1 0 552 5.3.4 Message of 23 octets exceeds the server's SIZE limit of 20 octets "
      "(local)",
      "E D m1", "C MAIL FROM:<> SIZE=8", "C RCPT TO:<roberto@roberto.example>", "C DATA",
      "S 250 Ok\r\n250 Ok\r\n354 Go", "C bounce", "C .", "S 250 Ok", "E R m4 0 250 Ok", "E D m4",
      QUIT_OK}},
    {"several messages over one connection",
     false,
     false,
     {"A add m1",
      "A add m4",
      GREET,
      EHLO_C,
      EHLO_PIPE,
      "C MAIL FROM:<alice@alice.example> SIZE=23",
      "C RCPT TO:<roberto@roberto.example>",
      "C DATA",
      "A add m2",
      "S 250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go",
      M1_BODY,
      "S 250 2.0.0 Ok: queued as A",
      "E R m1 0 250 2.0.0 Ok: queued as A",
      "E D m1",
      "C MAIL FROM:<> SIZE=8",
      "C RCPT TO:<roberto@roberto.example>",
      "C DATA",
      "S 250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go",
      "C bounce",
      "C .",
      "S 250 2.0.0 Ok: queued as B",
      "E R m4 0 250 2.0.0 Ok: queued as B",
      "E D m4",
      "C MAIL FROM:<alice@alice.example> SIZE=29",
      "C RCPT TO:<roberto@roberto.example>",
      "C RCPT TO:<nobody@roberto.example>",
      "C RCPT TO:<carol@roberto.example>",
      "C DATA",
      "S 250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 Go",
      M2_BODY,
      "S 250 2.0.0 Ok: queued as C",
      "E R m2 0 250 2.0.0 Ok: queued as C",
      "E R m2 1 250 2.0.0 Ok: queued as C",
      "E R m2 2 250 2.0.0 Ok: queued as C",
      "E D m2",
      QUIT_OK}},
    {"connection lost after the body, before the final reply",
     false,
     false,
     {"A add m1", "A add m4", GREET, EHLO_C, EHLO_PLAIN, "C MAIL FROM:<alice@alice.example>",
      "S 250 Ok", "C RCPT TO:<roberto@roberto.example>", "S 250 Ok", "C DATA", "S 354 Go", M1_BODY,
      "A lost", "E R m1 0 " LOST, "E D m1", "E R m4 0 " LOST, "E D m4",
      "E S error: connection lost (in state body)"}},
    {"connection lost with a recipient already refused",
     false,
     false,
     {"A add m2", GREET, EHLO_C, EHLO_PLAIN, "C MAIL FROM:<alice@alice.example>", "S 250 Ok",
      "C RCPT TO:<roberto@roberto.example>", "S 250 Ok", "C RCPT TO:<nobody@roberto.example>",
      "S 550 5.1.1 User unknown", "E R m2 1 550 5.1.1 User unknown",
      "C RCPT TO:<carol@roberto.example>", "A lost", "E R m2 0 " LOST, "E R m2 2 " LOST, "E D m2",
      "E S error: connection lost (in state rcpt)"}},
    {"connection lost after QUIT is fine",
     false,
     false,
     {GREET, EHLO_C, EHLO_PLAIN, "A finish", "C QUIT", "A lost", "E S ok"}},
    {"421 in the middle of a session",
     false,
     false,
     {"A add m1", "A add m4", GREET, EHLO_C, EHLO_PLAIN, "C MAIL FROM:<alice@alice.example>",
      "S 250 Ok", "C RCPT TO:<roberto@roberto.example>",
      "S 421 4.3.2 mx.roberto.example Service shutting down",
      "E R m1 0 421 4.3.2 mx.roberto.example Service shutting down", "E D m1",
      "E R m4 0 421 4.3.2 mx.roberto.example Service shutting down", "E D m4",
      "E S error: the server closed the session: 421 4.3.2 mx.roberto.example Service shutting "
      "down",
      "S 250 too late", "A add m1", "E R m1 0 451 4.3.0 The SMTP session is over (local)",
      "E D m1"}},
    {"554 greeting: QUIT",
     false,
     false,
     {"A add m1", "S 554 mx.roberto.example No SMTP service here",
      "E R m1 0 451 4.3.0 the server refused the session: 554 mx.roberto.example No SMTP "
      "service here (local)",
      "E D m1", "C QUIT", "S 221 Bye",
      "E S error: the server refused the session: 554 mx.roberto.example No SMTP service "
      "here"}},
    {"AUTH PLAIN accepted",
     true,
     false,
     {GREET, EHLO_C, "S 250-mx.roberto.example\r\n250 AUTH LOGIN PLAIN",
      "C AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", "S 235 2.7.0 Authentication successful", "A add m4",
      "C MAIL FROM:<>", "S 250 Ok", "C RCPT TO:<roberto@roberto.example>", "S 250 Ok", "C DATA",
      "S 354 Go", "C bounce", "C .", "S 250 Ok", "E R m4 0 250 Ok", "E D m4", QUIT_OK}},
    {"AUTH PLAIN refused",
     true,
     false,
     {"A add m4", GREET, EHLO_C, "S 250-mx.roberto.example\r\n250 AUTH PLAIN",
      "C AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", "S 535 5.7.8 Authentication credentials invalid",
      "E R m4 0 451 4.3.0 AUTH PLAIN refused: 535 5.7.8 Authentication credentials invalid "
      "(local)",
      "E D m4", "C QUIT", "S 221 Bye",
      "E S error: AUTH PLAIN refused: 535 5.7.8 Authentication credentials invalid"}},
    {"AUTH not offered",
     true,
     false,
     {"A add m4", GREET, EHLO_C, EHLO_PIPE,
      "E R m4 0 454 4.7.0 the server does not offer AUTH PLAIN (local)", "E D m4", "C QUIT",
      "S 221 Bye", "E S error: the server does not offer AUTH PLAIN"}},
    {"bad addresses never reach the wire",
     false,
     false,
     {GREET, EHLO_C, EHLO_PIPE, "A add m7", "E R m7 0 553 5.1.7 Bad sender address syntax (local)",
      "E D m7", "A add m6", "E R m6 0 553 5.1.3 Bad recipient address syntax (local)",
      "E R m6 2 553 5.1.3 Bad recipient address syntax (local)",
      "C MAIL FROM:<alice@alice.example> SIZE=3", "C RCPT TO:<roberto@roberto.example>", "C DATA",
      "S 250 Ok\r\n250 Ok\r\n354 Go", "C x", "C .", "S 250 Ok", "E R m6 1 250 Ok", "E D m6",
      QUIT_OK}},
    {"an address found fit once serves only the same octets",
     false,
     false,
     {GREET,
      EHLO_C,
      EHLO_PIPE,
      M5_REFUSED,
      "A add m8",
      "E R m8 0 553 5.1.7 Bad sender address syntax (local)",
      "E D m8",
      "A add m9",
      "E R m9 0 553 5.1.7 Bad sender address syntax (local)",
      "E D m9",
      "A add m7",
      "E R m7 0 553 5.1.7 Bad sender address syntax (local)",
      "E D m7",
      "A add m10",
      "C MAIL FROM:<alice@alice.exampl> SIZE=3",
      "C RCPT TO:<roberto@roberto.example>",
      "C DATA",
      "S 250 Ok\r\n250 Ok\r\n354 Go",
      "C x",
      "C .",
      "S 250 Ok",
      "E R m10 0 250 Ok",
      "E D m10",
      "A add m11",
      "E R m11 0 553 5.1.3 Bad recipient address syntax (local)",
      "E R m11 1 553 5.1.3 Bad recipient address syntax (local)",
      "E D m11",
      "A add m8",
      "E R m8 0 553 5.1.7 Bad sender address syntax (local)",
      "E D m8",
      M5_REFUSED,
      QUIT_OK}},
    {"a malformed reply",
     false,
     false,
     {"A add m1", GREET, EHLO_C, "S hello?",
      "E R m1 0 451 4.5.0 Protocol error: a malformed reply line (local)", "E D m1", "C QUIT",
      "S 221 Bye", "E S error: protocol error: a malformed reply line"}},
    {"a multi-line reply whose code changes",
     false,
     false,
     {GREET, EHLO_C, "S 250-mx.roberto.example\r\n251 PIPELINING", "C QUIT", "S 221 Bye",
      "E S error: protocol error: a malformed reply line"}},
};

typedef struct run {
    smtp_client_t *c;
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
        smtp_client_feed(r->c, (const uint8_t *)want, strlen(want), &r->sent);
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
        if (strncmp(st, "A add ", 6) == 0)
            add_fixture(r->c, fixture(st + 6), &r->sent);
        else if (strcmp(st, "A finish") == 0)
            smtp_client_finish(r->c, &r->sent);
        else if (strcmp(st, "A lost") == 0)
            smtp_client_connection_lost(r->c);
        else
            ck_abort_msg("bad step %s", st);
        return;
    default:
        ck_abort_msg("bad step %s", st);
    }
}

/* How the engine of a script run comes to be. */
typedef enum engine_origin {
    ENGINE_NEW,           /* smtp_client_new */
    ENGINE_RENEWED,       /* smtp_client_renew of an engine left in the middle of a session */
    ENGINE_RENEWED_SMALL, /* the same, from an engine whose names do not leave room */
} engine_origin_t;

/* An engine that has read part of a reply and holds a message: what renew must forget. */
static smtp_client_t *used_engine(const char *helo, log_t *log)
{
    smtp_client_config_t cfg = {.helo_name = helo, .user = "u", .password = "p"};
    smtp_client_hooks_t hooks = {.ctx = log,
                                 .on_recipient_result = log_result,
                                 .on_message_done = log_done,
                                 .on_session_done = log_session};
    smtp_client_t *c = smtp_client_new(&cfg, &hooks);
    buf_t out = BUF_INIT;
    add_fixture(c, fixture("m2"), &out);
    const char *in = "220 hi\r\n250-mx\r\n250-PIPELINING\r\n250-SIZE 10\r\n250 AU";
    smtp_client_feed(c, (const uint8_t *)in, strlen(in), &out);
    buf_free(&out);
    return c;
}

static void run_script(const script_t *sc, bool lend, engine_origin_t origin)
{
    run_t r = {0};
    log_t old_log = {0};
    lend_messages = lend;
    smtp_client_config_t cfg = {.helo_name = "mail.alice.example"};
    if (sc->auth) {
        cfg.user = "alice";
        cfg.password = "wonderland";
    }
    smtp_client_hooks_t hooks = {
        .ctx = &r.log,
        .on_recipient_result = log_result,
        .on_message_done = log_done,
        .on_session_done = log_session,
        .downgrade_8bit = sc->downgrade ? log_downgrade : NULL,
    };
    switch (origin) {
    case ENGINE_NEW:
        r.c = smtp_client_new(&cfg, &hooks);
        break;
    case ENGINE_RENEWED:
        r.c = smtp_client_renew(used_engine("a-longer-name.alice.example", &old_log), &cfg, &hooks);
        break;
    case ENGINE_RENEWED_SMALL:
        r.c = smtp_client_renew(used_engine("a", &old_log), &cfg, &hooks);
        break;
    }
    for (size_t i = 0; i < ARRAY_LEN(sc->steps) && sc->steps[i]; i++)
        run_step(&r, sc, i);
    ck_assert_msg(r.sent.len == 0, "%s: sent at the end: %s", sc->name, buf_cstr(&r.sent));
    ck_assert_msg(r.log.events.len == 0, "%s: events at the end: %s", sc->name,
                  buf_cstr(&r.log.events));
    /* The old session's message was dropped without a word. */
    ck_assert_msg(old_log.events.len == 0, "%s: old session's events: %s", sc->name,
                  buf_cstr(&old_log.events));
    smtp_client_free(r.c);
    tails_free();
    buf_free(&r.sent);
    buf_free(&r.log.events);
    buf_free(&old_log.events);
    lend_messages = false;
}

START_TEST(test_scripts)
{
    run_script(&scripts[_i], false, ENGINE_NEW);
}
END_TEST

/* Lent messages with what their composer knows go out exactly as copied ones. */
START_TEST(test_scripts_lent)
{
    run_script(&scripts[_i], true, ENGINE_NEW);
}
END_TEST

/*
 * A message in two pieces, cut at every octet (or not at all), lent or
 * copied, goes out as it does in one: the same commands (SIZE the sum), the
 * same body, stuffed, downgraded or failed as one would be.
 */
START_TEST(test_scripts_pieces)
{
    for (split_at = 1; split_at <= 64; split_at++) {
        run_script(&scripts[_i], true, ENGINE_NEW);
        run_script(&scripts[_i], false, ENGINE_NEW);
    }
    split_at = 0;
}
END_TEST

/* A renewed engine behaves as a new one, whether its memory serves again or not. */
START_TEST(test_scripts_renewed)
{
    run_script(&scripts[_i], true, ENGINE_RENEWED);
    run_script(&scripts[_i], false, ENGINE_RENEWED_SMALL);
}
END_TEST

static void see_line(void *ctx, line_dir_t dir, const char *verb, int code, const char *line)
{
    if (dir == LINE_CLIENT_TO_SERVER)
        buf_printf(ctx, "%s|%s\n", verb ? verb : "-", line);
}

/* The tracing hook sees each command as sent, without its CRLF, with its verb. */
START_TEST(test_command_lines_traced)
{
    buf_t seen = BUF_INIT, out = BUF_INIT;
    smtp_client_config_t cfg = {.helo_name = "mail.alice.example"};
    smtp_client_hooks_t hooks = {.ctx = &seen, .on_line = see_line};
    smtp_client_t *c = smtp_client_new(&cfg, &hooks);
    add_fixture(c, fixture("m2"), &out);
    const char *in = "220 hi\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 100\r\n250 Ok\r\n"
                     "250 Ok\r\n550 No\r\n250 Ok\r\n354 Go\r\n250 Ok\r\n";
    smtp_client_feed(c, (const uint8_t *)in, strlen(in), &out);
    smtp_client_finish(c, &out);
    ck_assert_str_eq(buf_cstr(&seen), "EHLO|EHLO mail.alice.example\n"
                                      "MAIL|MAIL FROM:<alice@alice.example> SIZE=29\n"
                                      "RCPT|RCPT TO:<roberto@roberto.example>\n"
                                      "RCPT|RCPT TO:<nobody@roberto.example>\n"
                                      "RCPT|RCPT TO:<carol@roberto.example>\n"
                                      "DATA|DATA\n"
                                      "-|.\n"
                                      "QUIT|QUIT\n");
    ck_assert_str_eq(buf_cstr(&out), "EHLO mail.alice.example\r\n"
                                     "MAIL FROM:<alice@alice.example> SIZE=29\r\n"
                                     "RCPT TO:<roberto@roberto.example>\r\n"
                                     "RCPT TO:<nobody@roberto.example>\r\n"
                                     "RCPT TO:<carol@roberto.example>\r\n"
                                     "DATA\r\n"
                                     "Subject: two\r\n\r\n..hidden dot\r\n.\r\n"
                                     "QUIT\r\n");
    smtp_client_free(c);
    buf_free(&seen);
    buf_free(&out);
}
END_TEST

/* Logs every line both ways, for comparing two engines' sessions. */
static void log_line(void *ctx, line_dir_t dir, const char *verb, int code, const char *line)
{
    buf_printf(&((log_t *)ctx)->events, "L %d %s %d %s\n", (int)dir, verb ? verb : "-", code, line);
}

/*
 * Feeds in[0..len) whole, or cut in two at cut when 0 < cut < len, then
 * records what the engine sent (sent, which it frees), logged and learned,
 * and its state, and ends the session.
 */
static void feed_and_record(smtp_client_t *c, log_t *log, const char *in, size_t cut, buf_t *sent,
                            buf_t *record)
{
    size_t len = strlen(in);
    if (cut == 0 || cut >= len) {
        smtp_client_feed(c, (const uint8_t *)in, len, sent);
    } else {
        smtp_client_feed(c, (const uint8_t *)in, cut, sent);
        smtp_client_feed(c, (const uint8_t *)in + cut, len - cut, sent);
    }
    const smtp_ehlo_info_t *info = smtp_client_server_info(c);
    buf_printf(record, "state %s ext %u size %llu auth %u\nsent %s\nlog %s\n",
               smtp_client_state_name(smtp_client_state(c)), info->extensions,
               (unsigned long long)info->max_size, info->auth_mechs, buf_cstr(sent),
               buf_cstr(&log->events));
    smtp_client_connection_lost(c);
    buf_reset(&log->events);
    log->session_over = false;
    buf_free(sent);
}

/* One session up to the EHLO reply and a little after: the greeting, then the reply. */
static void ehlo_session(smtp_client_t *c, log_t *log, const char *reply, size_t split,
                         buf_t *record)
{
    buf_t sent = BUF_INIT;
    add_fixture(c, fixture("m1"), &sent);
    const char *greet = "220 mx.roberto.example ESMTP\r\n";
    smtp_client_feed(c, (const uint8_t *)greet, strlen(greet), &sent);
    feed_and_record(c, log, reply, split, &sent, record);
}

/* One whole session of m1 (finishing once it is done) against the server's replies in. */
static void whole_session(smtp_client_t *c, log_t *log, const char *in, size_t cut, buf_t *record)
{
    buf_t sent = BUF_INIT;
    add_fixture(c, fixture("m1"), &sent);
    smtp_client_finish(c, &sent);
    feed_and_record(c, log, in, cut, &sent, record);
}

/*
 * An engine that remembers the last EHLO reply it read acts on the same
 * octets as one that reads them: whole or cut, changed by one octet, with
 * more behind them, refused, with tracing on or off, and with user and
 * password (AUTH).
 */
/* Two engines, one renewed from the last session and one new, read the same reply alike. */
typedef void (*session_fn)(smtp_client_t *c, log_t *log, const char *in, size_t cut,
                           buf_t *record);
typedef struct ehlo_pair {
    smtp_client_config_t cfg;
    smtp_client_hooks_t kept_hooks, new_hooks;
    log_t kept_log, new_log;
    smtp_client_t *kept, *other;
    smtp_client_memo_t *memo; /* mode 4: shared by kept and other, which take turns */
    size_t turn;
    session_fn session;
} ehlo_pair_t;

/*
 * Mode 1: lines traced; mode 2: user and password (AUTH); mode 4: two
 * engines that share their memo take turns, each with its own as well.
 */
static void pair_start(ehlo_pair_t *p, int mode, session_fn session)
{
    *p = (ehlo_pair_t){.cfg = {.helo_name = "mail.alice.example"}, .session = session};
    if (mode & 2) {
        p->cfg.user = "alice";
        p->cfg.password = "wonderland";
    }
    if (mode & 4)
        p->memo = p->cfg.shared_memo = smtp_client_memo_new();
    p->kept_hooks = (smtp_client_hooks_t){.ctx = &p->kept_log,
                                          .on_recipient_result = log_result,
                                          .on_message_done = log_done,
                                          .on_session_done = log_session,
                                          .on_line = mode & 1 ? log_line : NULL};
    p->new_hooks = p->kept_hooks;
    p->new_hooks.ctx = &p->new_log;
    p->kept = smtp_client_new(&p->cfg, &p->kept_hooks);
}

static void pair_end(ehlo_pair_t *p)
{
    smtp_client_free(p->kept);
    smtp_client_free(p->other);
    smtp_client_memo_free(p->memo);
    buf_free(&p->kept_log.events);
    buf_free(&p->new_log.events);
}

static void ehlo_compare(ehlo_pair_t *p, const char *reply, size_t cut, int mode)
{
    buf_t want = BUF_INIT, got = BUF_INIT;
    smtp_client_config_t fresh_cfg = p->cfg;
    fresh_cfg.shared_memo = NULL; /* reads every reply */
    smtp_client_t *fresh = smtp_client_new(&fresh_cfg, &p->new_hooks);
    p->session(fresh, &p->new_log, reply, cut, &want);
    smtp_client_free(fresh);
    smtp_client_t **engine = p->memo && p->turn++ % 2 ? &p->other : &p->kept;
    *engine = smtp_client_renew(*engine, &p->cfg, &p->kept_hooks);
    p->session(*engine, &p->kept_log, reply, cut, &got);
    ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                  "mode %d, \"%s\" cut at %zu:\n got %s\nwant %s", mode, reply, cut, buf_cstr(&got),
                  buf_cstr(&want));
    buf_free(&want);
    buf_free(&got);
}

START_TEST(test_ehlo_memo_same_as_reading)
{
    static const char *const replies[] = {
        "250-mx.roberto.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n",
        "250-mx.roberto.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n",
        "250-mx.roberto.example\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250 8BITMIME\r\n",
        "250-mx.roberto.example\r\n250-PIPELINING\r\n250-SIZE 10\r\n250 8BITMIME\r\n",
        "250-mx.roberto.example\r\n250-PIPELINING\r\n250-SIZE 10\r\n250 8BITMIME\r\n250 Ok\r\n",
        "250-mx.roberto.example\r\n250-PIPELINING\r\n250-SIZE 10\r\n250 8BITMIME\r\n",
        "250-mx.roberto.example\n250-PIPELINING\n250-SIZE 10\n250 8BITMIME\n",
        "250-mx.roberto.example\r\n250-AUTH LOGIN PLAIN\r\n250 ENHANCEDSTATUSCODES\r\n",
        "250-mx.roberto.example\r\n250-AUTH LOGIN PLAIN\r\n250 ENHANCEDSTATUSCODES\r\n",
        "250 mx.roberto.example\r\n",
        "250 mx.roberto.example\r\n",
        "550 5.5.1 No EHLO here\r\n",
        "550 5.5.1 No EHLO here\r\n",
        "421-4.3.2 Going down\r\n421 4.3.2 Bye\r\n",
        "421-4.3.2 Going down\r\n421 4.3.2 Bye\r\n",
        "451 4.3.0 Later\r\n",
        "250-mx.roberto.example\r\n251 PIPELINING\r\n",
        "250-mx.roberto.example\r\n251 PIPELINING\r\n",
        "250-mx.roberto.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n",
    };
    for (int mode = 0; mode < 8; mode++) {
        ehlo_pair_t p;
        pair_start(&p, mode, ehlo_session);
        for (size_t i = 0; i < ARRAY_LEN(replies); i++) {
            /* whole, then cut at every octet, and every few cuts whole again */
            for (size_t cut = 0; cut < strlen(replies[i]); cut++) {
                ehlo_compare(&p, replies[i], cut, mode);
                if (cut % 7 == 3)
                    ehlo_compare(&p, replies[i], 0, mode);
            }
        }
        /*
         * An input that is the whole reply kept, after a reply line (the
         * second) or part of one (the third) in the input before: read, not
         * taken.
         */
        ehlo_compare(&p, "250 SIZE 10\r\n", 0, mode);
        ehlo_compare(&p, "250-mx.roberto.example\r\n250 SIZE 10\r\n", 24, mode);
        ehlo_compare(&p, "2250 SIZE 10\r\n", 1, mode);
        pair_end(&p);
    }
}
END_TEST

/*
 * An engine that remembers the replies it read in each state acts on the
 * same octets as one that reads them: whole sessions, cut at every octet,
 * read by a new engine and by one renewed from all the sessions before
 * (the same replies again, and replies that differ from them by little).
 */
/* Whole sessions of replies, as a server might send them. */
static const char *const whole_sessions[] = {
    "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 2.1.0 Ok\r\n"
    "250 2.1.5 Ok\r\n354 Go\r\n250 2.0.0 Ok: queued as 1\r\n221 2.0.0 Bye\r\n",
    "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 2.1.0 Ok\r\n"
    "250 2.1.5 Ok\r\n354 Go\r\n250 2.0.0 Ok: queued as 2\r\n221 2.0.0 Bye\r\n",
    "220 mx ESMTP\r\n250-mx\r\n250 SIZE 1000\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go\r\n"
    "250 2.0.0 Ok\r\n221 Bye\r\n",
    "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 2.1.0 Ok\r\n"
    "550 5.1.1 No such user\r\n354 Go\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n",
    "220 mx ESMTP\r\n250-mx\r\n250 PIPELINING\r\n421 4.3.2 Going down\r\n",
    "554 No\r\n221 Bye\r\n",
    "220-mx\r\n220 ESMTP\r\n250 mx\r\n250-2.1.0 Ok\r\n250 2.1.0 fine\r\n250 Ok\r\n"
    "354-Go\r\n354 on\r\n250 Ok\r\n221 Bye\r\n",
    "220 mx\r\nxyz\r\n",
    "220 mx ESMTP\n250-mx\n250-PIPELINING\n250 SIZE 1000\n250 2.1.0 Ok\n250 2.1.5 Ok\n"
    "354 Go\n250 2.0.0 Ok\n221 Bye\n",
    "220 mx ESMTP\r\n250-mx\r\n250-AUTH PLAIN\r\n250 PIPELINING\r\n235 2.7.0 Ok\r\n"
    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go\r\n250 2.0.0 Ok\r\n221 Bye\r\n",
    "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n221 Bye\r\n",
    "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 2.1.0 Ok\r\n"
    "250 2.1.5 Ok\r\n354 Go\r\n250 2.0.0 Ok: queued as 1\r\n221 2.0.0 Bye\r\n",
    /* sessions that end mid-reply and mid-line: the engine renewed after them reads afresh */
    "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n",
    "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SI",
    "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 2.1.0 Ok\r\n"
    "250 2.1.5 Ok\r\n354 Go\r\n250 2.0.0 Ok: queued as 1\r\n221 2.0.0 Bye\r\n",
};

START_TEST(test_reply_memo_same_as_reading)
{
    for (int mode = 0; mode < 8; mode++) {
        ehlo_pair_t p;
        pair_start(&p, mode, whole_session);
        for (size_t i = 0; i < ARRAY_LEN(whole_sessions); i++) {
            for (size_t cut = 0; cut < strlen(whole_sessions[i]); cut++)
                ehlo_compare(&p, whole_sessions[i], cut, mode);
        }
        pair_end(&p);
    }
}
END_TEST

/* whole_session, the replies fed one octet at a time: a kept reply is never taken mid-reply. */
static void octet_session(smtp_client_t *c, log_t *log, const char *in, size_t cut, buf_t *record)
{
    buf_t sent = BUF_INIT;
    add_fixture(c, fixture("m1"), &sent);
    smtp_client_finish(c, &sent);
    size_t len = strlen(in);
    for (size_t i = 0; i < len; i++)
        smtp_client_feed(c, (const uint8_t *)in + i, 1, &sent);
    feed_and_record(c, log, "", 0, &sent, record);
}

/*
 * Sessions fed octet by octet to engines that remember, between sessions
 * read whole (which fill their memos), act as a new engine that reads them.
 */
START_TEST(test_reply_memo_octet_by_octet)
{
    for (int mode = 0; mode < 8; mode++) {
        ehlo_pair_t p;
        pair_start(&p, mode, whole_session);
        for (size_t i = 0; i < ARRAY_LEN(whole_sessions); i++) {
            p.session = whole_session;
            ehlo_compare(&p, whole_sessions[i], 0, mode);
            ehlo_compare(&p, whole_sessions[i], 0, mode);
            p.session = octet_session;
            ehlo_compare(&p, whole_sessions[i], 0, mode);
        }
        pair_end(&p);
    }
}
END_TEST

/* A whole session whose final reply names message id, as a server's "queued as" does. */
static void session_with_id(char *buf, size_t n, unsigned id)
{
    snprintf(buf, n,
             "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 2.1.0 Ok\r\n"
             "250 2.1.5 Ok\r\n354 Go\r\n250 2.0.0 Ok: queued as %u\r\n221 2.0.0 Bye\r\n",
             id);
}

/*
 * A reply that differs every session (the final one here) stops the
 * engine's own memo in that state; that changes nothing: sessions with a
 * new id each time, then the same one again and again, then new ones, read
 * whole and cut at every octet, act as a new engine's.
 */
START_TEST(test_reply_memo_changing_reply)
{
    static const unsigned ids[] = {1, 2, 3, 4, 5, 5, 5, 5, 6, 6, 7, 8, 8, 8, 1, 2};
    char in[300];
    for (int mode = 0; mode < 8; mode++) {
        ehlo_pair_t p;
        pair_start(&p, mode, whole_session);
        for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
            session_with_id(in, sizeof in, ids[i]);
            ehlo_compare(&p, in, 0, mode);
            if (i % 4 == 3)
                for (size_t cut = 1; cut < strlen(in); cut++)
                    ehlo_compare(&p, in, cut, mode);
        }
        pair_end(&p);
    }
}
END_TEST

/*
 * An EHLO reply longer than the memo keeps is read every time, and one kept
 * before it is forgotten: long, short, long, short again, whole and cut.
 */
START_TEST(test_reply_memo_long_reply)
{
    buf_t long_reply = BUF_INIT;
    buf_puts(&long_reply, "250-mx.roberto.example\r\n");
    for (int i = 0; i < 60; i++)
        buf_printf(&long_reply, "250-X-KEYWORD-NUMBER-%02d\r\n", i);
    buf_puts(&long_reply, "250 SIZE 1000\r\n");
    ck_assert_uint_gt(long_reply.len, 1024);
    const char *short_reply = "250-mx.roberto.example\r\n250 SIZE 2000\r\n";
    const char *replies[] = {short_reply, short_reply, buf_cstr(&long_reply),
                             buf_cstr(&long_reply), short_reply, short_reply};
    for (int mode = 0; mode < 8; mode++) {
        ehlo_pair_t p;
        pair_start(&p, mode, ehlo_session);
        for (size_t i = 0; i < ARRAY_LEN(replies); i++) {
            ehlo_compare(&p, replies[i], 0, mode);
            for (size_t cut = 1; cut < strlen(replies[i]); cut += 97)
                ehlo_compare(&p, replies[i], cut, mode);
        }
        pair_end(&p);
    }
    buf_free(&long_reply);
}
END_TEST

/*
 * A hook holds a reply that may be the shared memo's own: while it does, an
 * engine that shares the memo and reads another reply in the same state
 * keeps nothing there, so the reply the hook holds stays as it was.
 */
typedef struct lent_probe {
    smtp_client_t *other; /* fed a session of its own from within the hook */
    const char *other_in;
    log_t other_log;
    buf_t seen; /* what the hook saw of the reply: before, and after the other session */
} lent_probe_t;

static void probe_result(void *ctx, void *msg, size_t i, const smtp_reply_t *r, bool from_server)
{
    lent_probe_t *p = ctx;
    buf_printf(&p->seen, "%d %s %s|", r->code, r->enhanced, r->text);
    if (p->other && r->code == 250) {
        buf_t sent = BUF_INIT;
        smtp_client_t *other = p->other;
        p->other = NULL; /* once */
        add_fixture(other, fixture("m1"), &sent);
        smtp_client_finish(other, &sent);
        smtp_client_feed(other, (const uint8_t *)p->other_in, strlen(p->other_in), &sent);
        ck_assert(smtp_client_done(other));
        buf_free(&sent);
    }
    buf_printf(&p->seen, "%d %s %s\n", r->code, r->enhanced, r->text);
}

START_TEST(test_reply_memo_lent_to_hooks)
{
    char first[300], second[300];
    session_with_id(first, sizeof first, 1);
    session_with_id(second, sizeof second, 2);
    smtp_client_memo_t *memo = smtp_client_memo_new();
    lent_probe_t probe = {.other_in = second};
    smtp_client_config_t cfg = {.helo_name = "mail.alice.example", .shared_memo = memo};
    smtp_client_hooks_t hooks = {.ctx = &probe, .on_recipient_result = probe_result};
    smtp_client_hooks_t other_hooks = {.ctx = &probe.other_log,
                                       .on_recipient_result = log_result,
                                       .on_message_done = log_done,
                                       .on_session_done = log_session};
    smtp_client_t *c = NULL, *other = smtp_client_new(&cfg, &other_hooks);
    /* twice: the second time every reply, the final one too, is the memo's */
    for (int round = 0; round < 2; round++) {
        buf_t sent = BUF_INIT;
        buf_reset(&probe.seen);
        probe.other = round == 1 ? other : NULL;
        c = smtp_client_renew(c, &cfg, &hooks);
        add_fixture(c, fixture("m1"), &sent);
        smtp_client_finish(c, &sent);
        smtp_client_feed(c, (const uint8_t *)first, strlen(first), &sent);
        ck_assert(smtp_client_done(c));
        buf_free(&sent);
    }
    ck_assert_ptr_null(probe.other); /* the other session ran, inside the hook */
    ck_assert_str_eq(buf_cstr(&probe.seen), "250 2.0.0 Ok: queued as 1|250 2.0.0 Ok: queued as 1\n");
    ck_assert_str_eq(buf_cstr(&probe.other_log.events),
                     "R m1 0 250 2.0.0 Ok: queued as 2\nD m1\nS ok\n");
    /* and the memo still serves the reply it held, for the next session */
    buf_reset(&probe.seen);
    buf_t sent = BUF_INIT;
    c = smtp_client_renew(c, &cfg, &hooks);
    add_fixture(c, fixture("m1"), &sent);
    smtp_client_finish(c, &sent);
    smtp_client_feed(c, (const uint8_t *)first, strlen(first), &sent);
    ck_assert_str_eq(buf_cstr(&probe.seen), "250 2.0.0 Ok: queued as 1|250 2.0.0 Ok: queued as 1\n");
    buf_free(&sent);
    smtp_client_free(c);
    smtp_client_free(other);
    smtp_client_memo_free(memo);
    buf_free(&probe.seen);
    buf_free(&probe.other_log.events);
}
END_TEST

/*
 * A new engine's whole session of m1 against in, fed whole or octet by
 * octet, with memo shared (or NULL).
 */
static void fresh_session(const char *in, bool octets, smtp_client_memo_t *memo, buf_t *record)
{
    log_t log = {0};
    smtp_client_config_t cfg = {.helo_name = "mail.alice.example", .shared_memo = memo};
    smtp_client_hooks_t hooks = log_hooks(&log);
    smtp_client_t *c = smtp_client_new(&cfg, &hooks);
    (octets ? octet_session : whole_session)(c, &log, in, 0, record);
    smtp_client_free(c);
    buf_free(&log.events);
}

/*
 * A one-line reply whole in the input is read where it lies, not through
 * the reader, and with a shared memo into it: the same as octet by octet
 * (which reads every line through the reader), for every length of the
 * final reply's text around the point where the enhanced code could end
 * with it, odd enhanced codes, line ends, and replies the general path
 * takes (more lines, too long, not a reply). The memo is shared by all the
 * sessions, each of a new engine, so it holds the last one's replies.
 */
START_TEST(test_reply_read_in_place)
{
    static const char *const texts[] = {
        "2.0.0 Ok: queued as 1", "2.000.000 Ok: queued as 7", "2.1234.5 Ok: queued",
        "5.0.0 wrong class, queued", "x.0.0 Ok: queued as 12", "2.0.0123 Ok: queued",
        "2.0.0  Ok: queued as 12", "2..0 Ok: queued as 1"};
    static const char *const whole[] = {
        "250 2.0.0 Ok: queued as 1\n", "250 2.0.0 Ok: queued as 1\r\r\n",
        "250-2.0.0 Ok: queued\r\n250 2.0.0 as 1\r\n", "250-2.0.0 Ok: queued as\r\n250 1\r\n",
        "2500 2.0.0 Ok: queued as 1\r\n", "250x2.0.0 Ok: queued as 1\r\n", "\r\n",
        "199 2.0.0 Ok: queued as 1\r\n", "421 4.3.2 Going down right now\r\n"};
    const char *head = "220 mx.roberto.example ESMTP ready\r\n250-mx\r\n250-PIPELINING\r\n"
                       "250 SIZE 1000\r\n250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n"
                       "354 Go ahead, end with a dot\r\n";
    buf_t in = BUF_INIT, want = BUF_INIT, got = BUF_INIT, line = BUF_INIT;
    smtp_client_memo_t *memo = smtp_client_memo_new();
    for (size_t t = 0; t < ARRAY_LEN(texts) + ARRAY_LEN(whole) + 1; t++) {
        size_t n = t < ARRAY_LEN(texts) ? strlen(texts[t]) : 0;
        for (size_t cut = 0; cut <= n; cut++) {
            buf_reset(&line);
            if (t < ARRAY_LEN(texts)) {
                buf_puts(&line, "250 ");
                buf_append(&line, texts[t], cut);
                buf_puts(&line, "\r\n");
            } else if (t < ARRAY_LEN(texts) + ARRAY_LEN(whole)) {
                buf_puts(&line, whole[t - ARRAY_LEN(texts)]);
            } else { /* a line over the reader's limit */
                buf_puts(&line, "250 2.0.0 ");
                for (int i = 0; i < SMTP_CLIENT_REPLY_LINE_MAX; i++)
                    buf_putc(&line, 'a' + i % 26);
                buf_puts(&line, "\r\n");
            }
            buf_reset(&in);
            buf_printf(&in, "%s%s221 2.0.0 Bye for now\r\n", head, buf_cstr(&line));
            buf_reset(&want);
            fresh_session(buf_cstr(&in), true, NULL, &want);
            for (int shared = 0; shared < 3; shared++) { /* none, then shared twice */
                buf_reset(&got);
                fresh_session(buf_cstr(&in), false, shared ? memo : NULL, &got);
                ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                              "final reply \"%s\", memo %d:\n got %s\nwant %s", buf_cstr(&line),
                              shared, buf_cstr(&got), buf_cstr(&want));
            }
        }
    }
    buf_free(&in);
    buf_free(&want);
    buf_free(&got);
    buf_free(&line);
    smtp_client_memo_free(memo);
}
END_TEST

/* What one connection carried: the lead (smtp_client_take_lead, piece by piece) first, then out. */
static void lend_flush(smtp_client_t *c, buf_t *out, buf_t *stream)
{
    const uint8_t *lead;
    size_t n, pieces = 0;
    while ((n = smtp_client_take_lead(c, &lead)) > 0) {
        ck_assert(out->len <= 3); /* nothing but the final dot goes after a lent body */
        ck_assert(++pieces <= 2);
        buf_append(stream, lead, n);
    }
    ck_assert_ptr_null(lead);
    buf_append(stream, out->data, out->len);
    buf_reset(out);
}

/*
 * fx sent against the replies in, cut in two at cut; lend: 0 the body
 * copied to out, 1 lent, 2 lent with its dot after it. Appends the octets
 * sent and the events to record.
 */
static void lend_session(const fixture_t *fx, const char *in, size_t cut, int lend, bool traced,
                         buf_t *record, size_t split)
{
    log_t log = {0};
    smtp_client_config_t cfg = {.helo_name = "mail.alice.example", .lend_body = lend > 0};
    smtp_client_hooks_t hooks = {.ctx = &log,
                                 .on_recipient_result = log_result,
                                 .on_message_done = log_done,
                                 .on_session_done = log_session,
                                 .on_line = traced ? log_line : NULL};
    smtp_client_t *c = smtp_client_new(&cfg, &hooks);
    buf_t body = BUF_INIT, out = BUF_INIT, stream = BUF_INIT;
    size_t len = strlen(fx->body);
    buf_append(&body, fx->body, len);
    buf_append(&body, ".\r\n", 3);
    size_t n = 0;
    while (n < ARRAY_LEN(fx->to) && fx->to[n])
        n++;
    smtp_client_message_t m = {
        .ctx = (void *)fx->name,
        .reverse_path = fx->from,
        .recipients = fx->to,
        .nrecipients = n,
        .data = body.data,
        .len = len,
        .data_borrowed = true,
        .dot_follows = lend == 2,
        .known_7bit = eightbit_is_7bit(body.data, len),
        .known_dot_safe = line_dot_clean_prefix(body.data, len) == len,
    };
    /* in two pieces: the tail in a block of its own, with the dot after it */
    uint8_t *tail = NULL;
    if (split < len) {
        tail = malloc(len - split + 3);
        memcpy(tail, body.data + split, len - split + 3);
        m.len = split;
        m.tail = tail;
        m.tail_len = len - split;
    }
    smtp_client_add_message(c, &m, &out);
    lend_flush(c, &out, &stream);
    smtp_client_finish(c, &out);
    lend_flush(c, &out, &stream);
    size_t in_len = strlen(in);
    if (cut > in_len)
        cut = in_len;
    smtp_client_feed(c, (const uint8_t *)in, cut, &out);
    lend_flush(c, &out, &stream);
    smtp_client_feed(c, (const uint8_t *)in + cut, in_len - cut, &out);
    lend_flush(c, &out, &stream);
    buf_printf(record, "sent %s\nlog %s\n", buf_cstr(&stream), buf_cstr(&log.events));
    smtp_client_free(c);
    free(tail);
    buf_free(&body);
    buf_free(&out);
    buf_free(&stream);
    buf_free(&log.events);
}

/*
 * A lent body, with its dot after it or without, goes on the wire as a
 * copied one: the same octets in the same order, whatever comes in the same
 * input after the 354 (the final reply, the closing), cut at every octet,
 * for bodies sent as they are and dot-stuffed ones.
 */
START_TEST(test_lent_body_same_as_copied)
{
    static const char *const names[] = {"m1", "m2", "m3", "m4"};
    for (size_t f = 0; f < ARRAY_LEN(names); f++)
        for (size_t i = 0; i < ARRAY_LEN(whole_sessions); i++)
            for (size_t cut = 0; cut <= strlen(whole_sessions[i]); cut++)
                for (int lend = 1; lend <= 2; lend++) {
                    bool traced = cut % 2;
                    buf_t want = BUF_INIT, got = BUF_INIT;
                    lend_session(fixture(names[f]), whole_sessions[i], cut, 0, traced, &want,
                                 SIZE_MAX);
                    lend_session(fixture(names[f]), whole_sessions[i], cut, lend, traced, &got,
                                 SIZE_MAX);
                    ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                                  "%s, session %zu cut at %zu, lend %d:\n got %s\nwant %s",
                                  names[f], i, cut, lend, buf_cstr(&got), buf_cstr(&want));
                    buf_free(&want);
                    buf_free(&got);
                }
}
END_TEST

/*
 * A body in two pieces, cut at every octet, lent with its dot after the
 * tail or without, or copied, goes on the wire as the body in one copied:
 * for bodies sent as they are, dot-stuffed ones and 8-bit ones, whatever
 * comes in the same input after the 354.
 */
START_TEST(test_pieces_same_as_one)
{
    static const char *const names[] = {"m1", "m2", "m3", "m4", "p1", "p2", "p3"};
    for (size_t f = 0; f < ARRAY_LEN(names); f++) {
        const fixture_t *fx = fixture(names[f]);
        for (size_t i = 0; i < ARRAY_LEN(whole_sessions); i++) {
            size_t in_len = strlen(whole_sessions[i]);
            size_t cuts[] = {0, in_len / 2, in_len - 7, in_len};
            for (size_t k = 0; k < ARRAY_LEN(cuts); k++) {
                size_t cut = cuts[k];
                buf_t want = BUF_INIT;
                lend_session(fx, whole_sessions[i], cut, 0, k % 2, &want, SIZE_MAX);
                for (size_t split = 0; split <= strlen(fx->body); split++)
                    for (int lend = 0; lend <= 2; lend++) {
                        buf_t got = BUF_INIT;
                        lend_session(fx, whole_sessions[i], cut, lend, k % 2, &got, split);
                        ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                                      "%s, session %zu cut at %zu, split at %zu, lend %d:\n got "
                                      "%s\nwant %s",
                                      names[f], i, cut, split, lend, buf_cstr(&got),
                                      buf_cstr(&want));
                        buf_free(&got);
                    }
                buf_free(&want);
            }
        }
    }
}
END_TEST

START_TEST(test_ehlo_info_and_states)
{
    log_t log = {0};
    smtp_client_config_t cfg = {.helo_name = "mail.alice.example"};
    smtp_client_hooks_t hooks = {.ctx = &log, .on_session_done = log_session};
    smtp_client_t *c = smtp_client_new(&cfg, &hooks);
    buf_t out = BUF_INIT;
    ck_assert_str_eq(smtp_client_state_name(smtp_client_state(c)), "greeting");
    const char *in = "220 hi\r\n250-mx\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n"
                     "250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250-X-UNKNOWN 1\r\n"
                     "250 ENHANCEDSTATUSCODES\r\n";
    smtp_client_feed(c, (const uint8_t *)in, strlen(in), &out);
    const smtp_ehlo_info_t *info = smtp_client_server_info(c);
    ck_assert_uint_eq(info->extensions, SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
                                            SMTP_EXT_AUTH | SMTP_EXT_ENHANCEDSTATUSCODES);
    ck_assert_uint_eq(info->max_size, 35882577);
    ck_assert_uint_eq(info->auth_mechs, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN);
    ck_assert_int_eq(smtp_client_state(c), SMTP_CLIENT_READY);
    ck_assert(!smtp_client_done(c));
    smtp_client_finish(c, &out);
    ck_assert_int_eq(smtp_client_state(c), SMTP_CLIENT_QUIT);
    smtp_client_feed(c, (const uint8_t *)"221 bye\r\n", 9, &out);
    ck_assert(smtp_client_done(c));
    ck_assert_str_eq(buf_cstr(&out), "EHLO mail.alice.example\r\nQUIT\r\n");
    smtp_client_free(c);
    buf_free(&out);
    buf_free(&log.events);
}
END_TEST

/* --- a client wired to a server ------------------------------------------ */

typedef struct mailbox {
    buf_t stored; /* every message the server accepted, each followed by "|" */
    int next_id;
} mailbox_t;

static void box_accept(void *ctx, const smtp_envelope_t *env, const uint8_t *data, size_t len,
                       smtp_reply_t *r)
{
    mailbox_t *mb = ctx;
    buf_printf(&mb->stored, "<%s>%s:", env->reverse_path, env->body_8bit ? "8" : "7");
    buf_append(&mb->stored, data, len);
    buf_putc(&mb->stored, '|');
    smtp_reply_set(r, 250, "2.0.0", "Ok: queued as Q%d", ++mb->next_id);
}

static void box_recipient(void *ctx, const char *address, const char *user, smtp_reply_t *r)
{
    if (strcmp(address, "nobody@roberto.example") == 0)
        smtp_reply_set(r, 550, "5.1.1", "User unknown");
    else
        smtp_reply_set(r, 250, "2.1.5", "Ok");
}

/* Moves bytes both ways, chunk octets at a time, until neither side has more to say. */
static void pump(smtp_client_t *c, smtp_server_t *s, buf_t *to_server, buf_t *to_client,
                 size_t chunk)
{
    while (to_server->len || to_client->len) {
        size_t n = to_server->len < chunk ? to_server->len : chunk;
        if (n) {
            buf_t reply = BUF_INIT;
            smtp_server_feed(s, to_server->data, n, &reply);
            buf_consume(to_server, n);
            buf_append(to_client, reply.data, reply.len);
            buf_free(&reply);
        }
        n = to_client->len < chunk ? to_client->len : chunk;
        if (n) {
            buf_t cmd = BUF_INIT;
            smtp_client_feed(c, to_client->data, n, &cmd);
            buf_consume(to_client, n);
            buf_append(to_server, cmd.data, cmd.len);
            buf_free(&cmd);
        }
    }
}

static void wire_session(size_t chunk, buf_t *events, buf_t *stored)
{
    log_t log = {0};
    mailbox_t mb = {0};
    smtp_server_config_t scfg;
    smtp_server_config_default(&scfg);
    scfg.hostname = "mx.roberto.example";
    smtp_server_hooks_t sh = {
        .ctx = &mb, .check_recipient = box_recipient, .accept_message = box_accept};
    smtp_server_t *s = smtp_server_new(&scfg, &sh);
    smtp_client_config_t ccfg = {.helo_name = "mail.alice.example"};
    smtp_client_hooks_t ch = log_hooks(&log);
    smtp_client_t *c = smtp_client_new(&ccfg, &ch);
    buf_t to_server = BUF_INIT, to_client = BUF_INIT;
    smtp_server_start(s, &to_client);
    add_fixture(c, fixture("m1"), &to_server);
    add_fixture(c, fixture("m2"), &to_server);
    add_fixture(c, fixture("m3"), &to_server);
    smtp_client_finish(c, &to_server);
    pump(c, s, &to_server, &to_client, chunk);
    ck_assert(smtp_client_done(c));
    ck_assert(smtp_server_wants_close(s));
    buf_append(events, log.events.data, log.events.len);
    buf_append(stored, mb.stored.data, mb.stored.len);
    smtp_client_free(c);
    smtp_server_free(s);
    buf_free(&to_server);
    buf_free(&to_client);
    buf_free(&log.events);
    buf_free(&mb.stored);
}

START_TEST(test_client_to_server)
{
    buf_t events = BUF_INIT, stored = BUF_INIT;
    wire_session(1 << 20, &events, &stored);
    ck_assert_str_eq(buf_cstr(&events), "R m1 0 250 2.0.0 Ok: queued as Q1\n"
                                        "D m1\n"
                                        "R m2 1 550 5.1.1 User unknown\n"
                                        "R m2 0 250 2.0.0 Ok: queued as Q2\n"
                                        "R m2 2 250 2.0.0 Ok: queued as Q2\n"
                                        "D m2\n"
                                        "R m3 0 250 2.0.0 Ok: queued as Q3\n"
                                        "D m3\n"
                                        "S ok\n");
    /* CRLF line ends, the leading dot intact, the 8-bit body sent as 8BITMIME. */
    ck_assert_str_eq(
        buf_cstr(&stored),
        "<alice@alice.example>7:Subject: one\r\n\r\nHello\r\n|"
        "<alice@alice.example>7:Subject: two\r\n\r\n.hidden dot\r\n|"
        "<alice@alice.example>8:Subject: caf\xc3\xa9\r\n\r\nd\xc3\xa9j\xc3\xa0 vu\r\n|");
    buf_t events1 = BUF_INIT, stored1 = BUF_INIT;
    wire_session(1, &events1, &stored1);
    ck_assert_str_eq(buf_cstr(&events1), buf_cstr(&events));
    ck_assert_str_eq(buf_cstr(&stored1), buf_cstr(&stored));
    buf_free(&events);
    buf_free(&stored);
    buf_free(&events1);
    buf_free(&stored1);
}
END_TEST

/*
 * What a server stores and answers is the same whether the messages came in
 * one piece or two, lent or copied, cut anywhere, read in chunks of any size.
 */
START_TEST(test_client_to_server_pieces)
{
    buf_t events = BUF_INIT, stored = BUF_INIT;
    wire_session(1 << 20, &events, &stored);
    for (split_at = 1; split_at <= 40; split_at++)
        for (int lend = 0; lend < 2; lend++) {
            lend_messages = lend;
            buf_t events1 = BUF_INIT, stored1 = BUF_INIT;
            wire_session(split_at % 2 ? 1 << 20 : split_at, &events1, &stored1);
            ck_assert_str_eq(buf_cstr(&events1), buf_cstr(&events));
            ck_assert_str_eq(buf_cstr(&stored1), buf_cstr(&stored));
            tails_free();
            buf_free(&events1);
            buf_free(&stored1);
        }
    split_at = 0;
    lend_messages = false;
    buf_free(&events);
    buf_free(&stored);
}
END_TEST

/* --- the body on the wire ------------------------------------------------ */

/* The dot-stuffed block one octet at a time, as RFC 5321 4.5.2 and 2.3.8 say. */
static uint64_t ref_dot_encode(const uint8_t *in, size_t len, buf_t *out)
{
    uint64_t size = 0;
    bool line_start = true;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '\r' || in[i] == '\n') {
            buf_append(out, "\r\n", 2);
            size += 2;
            if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
                i++;
            line_start = true;
            continue;
        }
        if (line_start && in[i] == '.')
            buf_putc(out, '.');
        buf_putc(out, in[i]);
        size++;
        line_start = false;
    }
    if (!line_start) {
        buf_append(out, "\r\n", 2);
        size += 2;
    }
    buf_append(out, ".\r\n", 3);
    return size;
}

/* Runs of clean CRLF lines are copied whole; every mixture must still match octet by octet. */
START_TEST(test_dot_encode_generated)
{
    static const char *const pieces[] = {"a",   "line of text", ".",    "..",    "\r",
                                         "\n",  "\r\n",         "\r\n", "\r\n.", "\r\n..",
                                         "\n.", "\r.",          "\0",   " "};
    uint64_t state = 0x6a09e667f3bcc908u;
    for (size_t n = 0; n < 20000; n++) {
        buf_t in = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
        state = state * 6364136223846793005u + 1442695040888963407u;
        for (size_t k = (size_t)(state >> 59); k > 0; k--) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            const char *p = pieces[(state >> 33) % ARRAY_LEN(pieces)];
            buf_append(&in, p, *p ? strlen(p) : 1);
        }
        buf_puts(&got, "before");
        buf_puts(&want, "before");
        uint64_t got_size = line_dot_encode(in.data, in.len, &got);
        uint64_t want_size = ref_dot_encode(in.data, in.len, &want);
        ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
                      "input %zu (%zu octets): got %zu octets, want %zu", n, in.len, got.len,
                      want.len);
        ck_assert_uint_eq(got_size, want_size);
        /* the clean prefix is whole lines that the block carries unchanged */
        size_t clean = line_dot_clean_prefix(in.data, in.len);
        ck_assert(clean <= in.len);
        ck_assert(clean == 0 || memcmp(got.data + 6, in.data, clean) == 0);
        ck_assert(clean == 0 || (in.data[clean - 2] == '\r' && in.data[clean - 1] == '\n'));
        /* and it stops at the first line that changes */
        buf_t rest = BUF_INIT;
        ref_dot_encode(in.data + clean, in.len - clean, &rest);
        ck_assert((rest.len == in.len - clean + 3) == (clean == in.len));
        buf_free(&rest);
        buf_free(&in);
        buf_free(&got);
        buf_free(&want);
    }
}
END_TEST

/* --- addresses ----------------------------------------------------------- */

/* What the engine's address check must say: the path parser's verdict on "<addr>". */
static bool ref_address_ok(const char *addr, bool is_sender)
{
    size_t len = strlen(addr);
    char path[SMTP_PATH_MAX + 3], mailbox[SMTP_PATH_MAX + 1];
    const char *rest, *why;
    if (len > SMTP_PATH_MAX || strpbrk(addr, "\r\n<>"))
        return false;
    snprintf(path, sizeof path, "<%s>", addr);
    return smtp_path_parse(path, is_sender, !is_sender, mailbox, &rest, &why) == SMTP_PATH_OK &&
           *rest == '\0';
}

/* The one-pass check of the usual address agrees with the parser, on a table and on noise. */
START_TEST(test_address_check)
{
    static const char *const table[] = {
        "alice@alice.example",
        "a.b@c",
        "a+tag@x-y.example",
        "a..b@c",
        ".a@c",
        "a.@c",
        "a@",
        "@a",
        "a@b@c",
        "a@-b",
        "a@b-",
        "a@b-.c",
        "a@b.-c",
        "a@b..c",
        "a@.b",
        "a@b.",
        "a@[1.2.3.4]",
        "\"a b\"@c",
        "postmaster",
        "Postmaster",
        "",
        "a@b_c",
        "caf\xc3\xa9@x",
        "a@caf\xc3\xa9",
        "a b@c",
        "a@b c",
        "a\r\n@b",
        "<a@b>",
        "a@b>",
        "@r,@s:a@b",
        "a@1",
        "1@1.2",
        "{x}~!#$%&'*/=?^`|@z",
    };
    for (size_t i = 0; i < ARRAY_LEN(table); i++)
        for (int sender = 0; sender < 2; sender++)
            ck_assert_msg(smtp_client_address_ok(table[i], sender) ==
                              ref_address_ok(table[i], sender),
                          "\"%s\" (sender %d): got %d", table[i], sender,
                          smtp_client_address_ok(table[i], sender));
    /* lengths at and past the limits: local 64, domain 255, path 256 */
    static const size_t locals[] = {1, 63, 64, 65}, domains[] = {1, 200, 251, 252, 253, 255, 256};
    for (size_t l = 0; l < ARRAY_LEN(locals); l++)
        for (size_t d = 0; d < ARRAY_LEN(domains); d++) {
            char a[600];
            memset(a, 'l', locals[l]);
            a[locals[l]] = '@';
            for (size_t k = 0; k < domains[d]; k++)
                a[locals[l] + 1 + k] = k % 10 == 9 ? '.' : 'd';
            a[locals[l] + 1 + domains[d]] = '\0';
            for (int sender = 0; sender < 2; sender++)
                ck_assert_msg(smtp_client_address_ok(a, sender) == ref_address_ok(a, sender),
                              "local %zu, domain %zu", locals[l], domains[d]);
        }
    static const char alphabet[] = "ab.@-_+Z9 \"<>\\[]:,\xc3\xa9\r";
    uint64_t state = 0x243f6a8885a308d3u;
    for (size_t n = 0; n < 50000; n++) {
        char a[24];
        state = state * 6364136223846793005u + 1442695040888963407u;
        size_t len = (size_t)(state >> 60) + 1;
        for (size_t k = 0; k < len; k++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            a[k] = alphabet[(state >> 33) % (sizeof alphabet - 1)];
        }
        a[len] = '\0';
        for (int sender = 0; sender < 2; sender++)
            ck_assert_msg(smtp_client_address_ok(a, sender) == ref_address_ok(a, sender),
                          "\"%s\" (sender %d)", a, sender);
    }
}
END_TEST

Suite *smtp_client_suite(void)
{
    Suite *s = suite_create("smtp_client");
    TCase *tc = tcase_create("scripts");
    tcase_add_loop_test(tc, test_scripts, 0, (int)ARRAY_LEN(scripts));
    tcase_add_loop_test(tc, test_scripts_lent, 0, (int)ARRAY_LEN(scripts));
    tcase_add_loop_test(tc, test_scripts_renewed, 0, (int)ARRAY_LEN(scripts));
    tcase_add_loop_test(tc, test_scripts_pieces, 0, (int)ARRAY_LEN(scripts));
    tcase_add_test(tc, test_command_lines_traced);
    tcase_add_test(tc, test_address_check);
    tcase_add_test(tc, test_ehlo_info_and_states);
    tcase_add_test(tc, test_ehlo_memo_same_as_reading);
    tcase_add_test(tc, test_reply_memo_same_as_reading);
    tcase_add_test(tc, test_reply_memo_octet_by_octet);
    tcase_add_test(tc, test_reply_memo_changing_reply);
    tcase_add_test(tc, test_reply_memo_long_reply);
    tcase_add_test(tc, test_reply_memo_lent_to_hooks);
    tcase_add_test(tc, test_reply_read_in_place);
    tcase_add_test(tc, test_lent_body_same_as_copied);
    tcase_add_test(tc, test_pieces_same_as_one);
    suite_add_tcase(s, tc);
    TCase *wire = tcase_create("wire");
    tcase_add_test(wire, test_client_to_server);
    tcase_add_test(wire, test_client_to_server_pieces);
    tcase_add_test(wire, test_dot_encode_generated);
    suite_add_tcase(s, wire);
    return s;
}
