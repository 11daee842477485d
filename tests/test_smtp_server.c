/* The SMTP server engine: every command and error path from a table, limits, AUTH, pipelining. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_server.h"
#include "proto/smtp_server_int.h"

/* --- a fake mail server behind the hooks ---------------------------------- */

typedef struct fake {
    int next_id;
    buf_t data;     /* the last message accepted */
    buf_t all;      /* every message accepted, one after the other */
    buf_t envelope; /* "helo|from|rcpt,rcpt|8bit|user" of the last message */
    buf_t trace;    /* "C [VERB] line" and "S code line", one per line */
    int states;     /* state changes seen */
    /* With lend set, data_room lends room_cap octets of fresh memory at each DATA. */
    bool lend;
    size_t room_cap;
    uint8_t *room;
    uint64_t declared; /* what data_room was told */
    int rooms;         /* data_room calls */
    bool in_room;      /* the last message accept_message got was in the room */
} fake_t;

static bool fake_authenticate(void *ctx, const char *user, const char *password)
{
    return strcmp(user, "alice") == 0 && strcmp(password, "wonderland") == 0;
}

static void fake_sender(void *ctx, const char *reverse_path, const char *user, smtp_reply_t *r)
{
    if (strcmp(reverse_path, "spammer@bad.example") == 0)
        smtp_reply_set(r, 550, "5.7.1", "Sender refused");
    else
        smtp_reply_set(r, 250, "2.1.0", "Ok");
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && str_casecmp(s + n - m, suffix) == 0;
}

static void fake_recipient(void *ctx, const char *address, const char *user, smtp_reply_t *r)
{
    if (strcmp(address, "nobody@roberto.example") == 0)
        smtp_reply_set(r, 550, "5.1.1", "User unknown");
    else if (strcmp(address, "full@roberto.example") == 0)
        smtp_reply_set(r, 452, "4.2.2", "Mailbox full");
    else if (!ends_with_ci(address, "@roberto.example") && !user)
        smtp_reply_set(r, 554, "5.7.1", "Relay access denied");
    else
        smtp_reply_set(r, 250, "2.1.5", "Ok");
}

static void fake_accept(void *ctx, const smtp_envelope_t *env, const uint8_t *data, size_t len,
                        smtp_reply_t *r)
{
    fake_t *f = ctx;
    f->in_room = f->room && data == f->room;
    buf_reset(&f->data);
    buf_append(&f->data, data, len);
    buf_append(&f->all, data, len);
    buf_reset(&f->envelope);
    buf_printf(&f->envelope, "%s|%s|", env->helo, env->reverse_path);
    for (size_t i = 0; i < env->nrecipients; i++)
        buf_printf(&f->envelope, "%s%s", i ? "," : "", env->recipients[i]);
    buf_printf(&f->envelope, "|%s|%s", env->body_8bit ? "8bit" : "7bit",
               env->auth_user ? env->auth_user : "-");
    smtp_reply_set(r, 250, "2.0.0", "Ok: queued as Q%d", ++f->next_id);
}

static void fake_line(void *ctx, line_dir_t dir, const char *verb, int code, const char *line)
{
    fake_t *f = ctx;
    if (dir == LINE_CLIENT_TO_SERVER)
        buf_printf(&f->trace, "C %s %s\n", verb ? verb : "-", line);
    else
        buf_printf(&f->trace, "S %d %s\n", code, line);
}

static void fake_state(void *ctx, smtp_server_state_t from, smtp_server_state_t to)
{
    ((fake_t *)ctx)->states++;
}

static uint8_t *fake_room(void *ctx, const smtp_envelope_t *env, uint64_t declared_size,
                          size_t *cap)
{
    fake_t *f = ctx;
    free(f->room);
    f->rooms++;
    f->declared = declared_size;
    /* Exactly room_cap octets, so that the sanitizer sees a write past them. */
    f->room = malloc(f->room_cap ? f->room_cap : 1);
    *cap = f->room_cap;
    return f->room;
}

static void fake_free(fake_t *f)
{
    free(f->room);
    f->room = NULL;
    buf_free(&f->data);
    buf_free(&f->all);
    buf_free(&f->envelope);
    buf_free(&f->trace);
}

typedef enum cfg_kind { RELAY, RELAY_BARE, RELAY_AUTH, SUBMISSION, REFUSE } cfg_kind_t;

/* The replies make_server's engines share (cfg.replies), or NULL. */
static smtp_server_replies_t *shared_replies;

static smtp_server_t *make_server(cfg_kind_t kind, fake_t *f)
{
    smtp_server_config_t cfg;
    smtp_server_config_default(&cfg);
    cfg.replies = shared_replies;
    cfg.hostname = "mx.roberto.example";
    cfg.max_size = 10000;
    switch (kind) {
    case RELAY:
        break;
    case RELAY_BARE:
        cfg.extensions = 0;
        break;
    case RELAY_AUTH:
        cfg.extensions |= SMTP_EXT_AUTH;
        break;
    case SUBMISSION:
        cfg.submission = true;
        break;
    case REFUSE:
        cfg.refuse = true;
        break;
    }
    smtp_server_hooks_t hooks = {
        .ctx = f,
        .authenticate = fake_authenticate,
        .check_sender = fake_sender,
        .check_recipient = fake_recipient,
        .accept_message = fake_accept,
        .on_line = fake_line,
        .on_state = fake_state,
    };
    if (f->lend)
        hooks.data_room = fake_room;
    return smtp_server_new(&cfg, &hooks);
}

/* Runs a session: the replies after the greeting, into out. */
static smtp_server_t *run(cfg_kind_t kind, fake_t *f, const char *in, buf_t *out)
{
    smtp_server_t *s = make_server(kind, f);
    buf_t greeting = BUF_INIT;
    smtp_server_start(s, &greeting);
    buf_free(&greeting);
    smtp_server_feed(s, (const uint8_t *)in, strlen(in), out);
    return s;
}

/* --- the table --------------------------------------------------------- */

#define HELO "HELO client.example\r\n"
#define EHLO "EHLO client.example\r\n"
#define R_HELO "250 mx.roberto.example\r\n"
#define MAIL_OK "250 2.1.0 Ok\r\n"
#define RCPT_OK "250 2.1.5 Ok\r\n"
#define R354 "354 End data with <CR><LF>.<CR><LF>\r\n"
#define AUTH_GOOD "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n" /* \0alice\0wonderland */
#define AUTH_BAD "AUTH PLAIN AGFsaWNlAHdyb25n\r\n"          /* \0alice\0wrong */
#define R235 "235 2.7.0 Authentication successful\r\n"
#define R535 "535 5.7.8 Authentication credentials invalid\r\n"
#define R_EHLO_AUTH                                                                                \
    "250-mx.roberto.example Hello client.example\r\n250-PIPELINING\r\n250-SIZE 10000\r\n"          \
    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN\r\n"

typedef struct server_case {
    const char *name;
    cfg_kind_t cfg;
    const char *in;
    const char *want;
    const char *want_data; /* the message accept_message got, or NULL */
} server_case_t;

static const server_case_t cases[] = {
    {"helo", RELAY, HELO, R_HELO, NULL},
    {"ehlo lists the extensions", RELAY, EHLO,
     "250-mx.roberto.example Hello client.example\r\n250-PIPELINING\r\n250-SIZE 10000\r\n"
     "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n",
     NULL},
    {"helo without a name", RELAY, "HELO\r\n", "501 Syntax: HELO hostname\r\n", NULL},
    {"ehlo without a name", RELAY, "EHLO \r\n", "501 Syntax: EHLO hostname\r\n", NULL},
    {"a whole transaction", RELAY,
     HELO "MAIL FROM:<alice@alice.example>\r\nRCPT TO:<roberto@roberto.example>\r\nDATA\r\n"
          "Subject: hi\r\n\r\nHello Roberto\r\n.\r\nQUIT\r\n",
     R_HELO MAIL_OK RCPT_OK R354
     "250 2.0.0 Ok: queued as Q1\r\n221 2.0.0 mx.roberto.example Bye\r\n",
     "Subject: hi\r\n\r\nHello Roberto\r\n"},
    {"lower-case verbs", RELAY,
     "helo client.example\r\nmail from:<a@alice.example>\r\nrcpt to:<roberto@roberto.example>\r\n",
     R_HELO MAIL_OK RCPT_OK, NULL},
    {"mixed-case FROM: and TO:", RELAY,
     HELO "MAIL fRoM:<a@alice.example>\r\nRCPT tO:<roberto@roberto.example>\r\n",
     R_HELO MAIL_OK RCPT_OK, NULL},
    {"FROM and TO cut short or spaced before the colon", RELAY,
     HELO "MAIL FRO\r\nMAIL FROM :<a@alice.example>\r\nMAIL FROM:<a@alice.example>\r\n"
          "RCPT T\r\nRCPT TO :<roberto@roberto.example>\r\nRCPT TO;<roberto@roberto.example>\r\n",
     R_HELO "501 5.5.4 Syntax: MAIL FROM:<address>\r\n501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
     MAIL_OK "501 5.5.4 Syntax: RCPT TO:<address>\r\n501 5.5.4 Syntax: RCPT TO:<address>\r\n"
     "501 5.5.4 Syntax: RCPT TO:<address>\r\n",
     NULL},
    {"a space after the colon is tolerated", RELAY,
     HELO "MAIL FROM: <a@alice.example>\r\nRCPT TO: <roberto@roberto.example>\r\n",
     R_HELO MAIL_OK RCPT_OK, NULL},
    {"the null sender", RELAY,
     HELO "MAIL FROM:<>\r\nRCPT TO:<roberto@roberto.example>\r\nDATA\r\nbounce\r\n.\r\n",
     R_HELO MAIL_OK RCPT_OK R354 "250 2.0.0 Ok: queued as Q1\r\n", "bounce\r\n"},
    {"Postmaster without a domain is always taken", RELAY,
     HELO "MAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\nRCPT TO:<POSTMASTER>\r\n",
     R_HELO MAIL_OK "250 2.1.5 Recipient <Postmaster> OK\r\n"
                    "250 2.1.5 Recipient <POSTMASTER> OK\r\n",
     NULL},
    {"a source route is ignored", RELAY,
     HELO "MAIL FROM:<>\r\nRCPT TO:<@relay.example:roberto@roberto.example>\r\nDATA\r\nx\r\n.\r\n",
     R_HELO MAIL_OK RCPT_OK R354 "250 2.0.0 Ok: queued as Q1\r\n", NULL},
    {"dot-stuffing is removed", RELAY,
     HELO "MAIL FROM:<>\r\nRCPT TO:<roberto@roberto.example>\r\nDATA\r\n"
          "..leading dot\r\n...\r\n. \r\n.\r\n",
     R_HELO MAIL_OK RCPT_OK R354 "250 2.0.0 Ok: queued as Q1\r\n", ".leading dot\r\n..\r\n \r\n"},
    {"an empty message", RELAY,
     HELO "MAIL FROM:<>\r\nRCPT TO:<roberto@roberto.example>\r\nDATA\r\n.\r\n",
     R_HELO MAIL_OK RCPT_OK R354 "250 2.0.0 Ok: queued as Q1\r\n", ""},
    {"unknown verb", RELAY, "FOO bar\r\n", "500 5.5.2 Syntax error, command unrecognized\r\n",
     NULL},
    {"empty line", RELAY, "\r\n", "500 5.5.2 Syntax error, command unrecognized\r\n", NULL},
    {"MAIL before HELO", RELAY, "MAIL FROM:<>\r\n", "503 5.5.1 Send HELO or EHLO first\r\n", NULL},
    {"RCPT before MAIL", RELAY, HELO "RCPT TO:<roberto@roberto.example>\r\n",
     R_HELO "503 5.5.1 Need MAIL before RCPT\r\n", NULL},
    {"DATA before MAIL", RELAY, HELO "DATA\r\n",
     R_HELO "503 5.5.1 Need MAIL and RCPT before DATA\r\n", NULL},
    {"DATA with no valid recipient", RELAY,
     HELO "MAIL FROM:<>\r\nRCPT TO:<nobody@roberto.example>\r\nDATA\r\n",
     R_HELO MAIL_OK "550 5.1.1 User unknown\r\n554 5.5.1 No valid recipients\r\n", NULL},
    {"DATA with an argument", RELAY,
     HELO "MAIL FROM:<>\r\nRCPT TO:<roberto@roberto.example>\r\nDATA now\r\n",
     R_HELO MAIL_OK RCPT_OK "501 5.5.4 Syntax: DATA\r\n", NULL},
    {"nested MAIL", RELAY, HELO "MAIL FROM:<>\r\nMAIL FROM:<>\r\n",
     R_HELO MAIL_OK "503 5.5.1 Nested MAIL command\r\n", NULL},
    {"MAIL without FROM:", RELAY, HELO "MAIL alice@alice.example\r\n",
     R_HELO "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", NULL},
    {"MAIL without brackets", RELAY, HELO "MAIL FROM:alice@alice.example\r\n",
     R_HELO "501 5.1.7 Bad sender address: the address must be in angle brackets: "
            "<user@domain>\r\n",
     NULL},
    {"MAIL without a domain", RELAY, HELO "MAIL FROM:<alice>\r\n",
     R_HELO "501 5.1.7 Bad sender address: the address has no @domain\r\n", NULL},
    {"MAIL with a bad domain", RELAY, HELO "MAIL FROM:<alice@-bad-.example>\r\n",
     R_HELO "501 5.1.7 Bad sender address: the domain is not valid\r\n", NULL},
    {"MAIL with junk after the path", RELAY, HELO "MAIL FROM:<a@alice.example>junk\r\n",
     R_HELO "501 5.5.4 Syntax: MAIL FROM:<address> [parameters]\r\n", NULL},
    {"sender refused by the hook", RELAY, HELO "MAIL FROM:<spammer@bad.example>\r\n",
     R_HELO "550 5.7.1 Sender refused\r\n", NULL},
    {"RCPT without TO:", RELAY, HELO "MAIL FROM:<>\r\nRCPT roberto@roberto.example\r\n",
     R_HELO MAIL_OK "501 5.5.4 Syntax: RCPT TO:<address>\r\n", NULL},
    {"RCPT to the null path", RELAY, HELO "MAIL FROM:<>\r\nRCPT TO:<>\r\n",
     R_HELO MAIL_OK "501 5.1.3 Bad recipient address: the null path <> is not allowed here\r\n",
     NULL},
    {"RCPT with a parameter", RELAY,
     HELO "MAIL FROM:<>\r\nRCPT TO:<roberto@roberto.example> NOTIFY=NEVER\r\n",
     R_HELO MAIL_OK "555 5.5.4 Unsupported parameter \"NOTIFY\"\r\n", NULL},
    {"unknown user", RELAY, HELO "MAIL FROM:<>\r\nRCPT TO:<nobody@roberto.example>\r\n",
     R_HELO MAIL_OK "550 5.1.1 User unknown\r\n", NULL},
    {"over quota", RELAY, HELO "MAIL FROM:<>\r\nRCPT TO:<full@roberto.example>\r\n",
     R_HELO MAIL_OK "452 4.2.2 Mailbox full\r\n", NULL},
    {"relay denied", RELAY, HELO "MAIL FROM:<>\r\nRCPT TO:<someone@elsewhere.example>\r\n",
     R_HELO MAIL_OK "554 5.7.1 Relay access denied\r\n", NULL},
    {"SIZE under the limit", RELAY, EHLO "MAIL FROM:<a@alice.example> SIZE=500\r\n", NULL, NULL},
    {"SIZE over the limit", RELAY, HELO "MAIL FROM:<a@alice.example> SIZE=20000\r\n",
     R_HELO "552 5.3.4 Message size exceeds fixed maximum message size\r\n", NULL},
    {"SIZE not a number", RELAY, HELO "MAIL FROM:<a@alice.example> SIZE=big\r\n",
     R_HELO "501 5.5.4 Bad SIZE value\r\n", NULL},
    {"SIZE twice", RELAY, HELO "MAIL FROM:<a@alice.example> SIZE=1 SIZE=2\r\n",
     R_HELO "501 5.5.4 Parameter \"SIZE\" given twice\r\n", NULL},
    {"a parameter with an empty value", RELAY, HELO "MAIL FROM:<a@alice.example> SIZE=\r\n",
     R_HELO "501 5.5.4 Bad parameter syntax\r\n", NULL},
    {"BODY=8BITMIME", RELAY,
     HELO "MAIL FROM:<a@alice.example> BODY=8BITMIME\r\nRCPT TO:<roberto@roberto.example>\r\n"
          "DATA\r\ncaf\xc3\xa9\r\n.\r\n",
     R_HELO MAIL_OK RCPT_OK R354 "250 2.0.0 Ok: queued as Q1\r\n", "caf\xc3\xa9\r\n"},
    {"BODY=7BIT", RELAY, HELO "MAIL FROM:<a@alice.example> BODY=7bit\r\n", R_HELO MAIL_OK, NULL},
    {"BODY unknown", RELAY, HELO "MAIL FROM:<a@alice.example> BODY=BINARYMIME\r\n",
     R_HELO "501 5.5.4 Unknown BODY value \"BINARYMIME\"\r\n", NULL},
    {"unknown MAIL parameter", RELAY, HELO "MAIL FROM:<a@alice.example> RET=FULL\r\n",
     R_HELO "555 5.5.4 Unsupported parameter \"RET\"\r\n", NULL},
    {"RSET ends a transaction", RELAY,
     HELO "MAIL FROM:<>\r\nRSET\r\nRCPT TO:<roberto@roberto.example>\r\n",
     R_HELO MAIL_OK "250 2.0.0 Ok\r\n503 5.5.1 Need MAIL before RCPT\r\n", NULL},
    {"RSET with an argument", RELAY, "RSET all\r\n", "501 5.5.4 Syntax: RSET\r\n", NULL},
    {"HELO resets a transaction", RELAY,
     HELO "MAIL FROM:<>\r\n" HELO "RCPT TO:<roberto@roberto.example>\r\n",
     R_HELO MAIL_OK R_HELO "503 5.5.1 Need MAIL before RCPT\r\n", NULL},
    {"NOOP", RELAY, "NOOP\r\nNOOP with words\r\n", "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n", NULL},
    {"VRFY", RELAY, "VRFY roberto\r\n",
     "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n", NULL},
    {"VRFY without an argument", RELAY, "VRFY\r\n", "501 5.5.4 Syntax: VRFY address\r\n", NULL},
    {"EXPN", RELAY, "EXPN staff\r\n", "502 5.5.1 EXPN not implemented\r\n", NULL},
    {"HELP", RELAY, "HELP\r\n",
     "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n"
     "214 2.0.0 See RFC 5321 for what each one does\r\n",
     NULL},
    {"QUIT, then nothing more", RELAY, "QUIT\r\nNOOP\r\n", "221 2.0.0 mx.roberto.example Bye\r\n",
     NULL},
    {"QUIT with an argument", RELAY, "QUIT now\r\n", "501 5.5.4 Syntax: QUIT\r\n", NULL},
    {"a verb in mixed case", RELAY, "qUiT\r\n", "221 2.0.0 mx.roberto.example Bye\r\n", NULL},
    {"a verb one octet long", RELAY, "NOOPS\r\nNOO\r\nN\r\n",
     "500 5.5.2 Syntax error, command unrecognized\r\n"
     "500 5.5.2 Syntax error, command unrecognized\r\n"
     "500 5.5.2 Syntax error, command unrecognized\r\n",
     NULL},
    {"a verb that is not ASCII letters", RELAY, "NO\xcfP\r\n\xee\xef\xf0\xf1\r\n",
     "500 5.5.2 Syntax error, command unrecognized\r\n"
     "500 5.5.2 Syntax error, command unrecognized\r\n",
     NULL},
    {"spaces before the arguments", RELAY, "HELO    client.example\r\n", R_HELO, NULL},
    {"SIZE of 19 digits with leading zeros", RELAY,
     HELO "MAIL FROM:<a@alice.example> SIZE=0000000000000009999\r\n", R_HELO MAIL_OK, NULL},
    {"SIZE of 20 digits", RELAY, HELO "MAIL FROM:<a@alice.example> SIZE=00000000000000009999\r\n",
     R_HELO "501 5.5.4 Bad SIZE value\r\n", NULL},
    {"SIZE with a letter", RELAY, HELO "MAIL FROM:<a@alice.example> SIZE=12a\r\n",
     R_HELO "501 5.5.4 Bad SIZE value\r\n", NULL},
    {"SIZE just over the limit", RELAY, HELO "MAIL FROM:<a@alice.example> SIZE=10001\r\n",
     R_HELO "552 5.3.4 Message size exceeds fixed maximum message size\r\n", NULL},
    {"no extensions: a plain EHLO reply", RELAY_BARE, EHLO,
     "250 mx.roberto.example Hello client.example\r\n", NULL},
    {"no extensions: no enhanced codes", RELAY_BARE,
     HELO "MAIL FROM:<>\r\nRCPT TO:<nobody@roberto.example>\r\nFOO\r\n",
     R_HELO "250 Ok\r\n550 User unknown\r\n500 Syntax error, command unrecognized\r\n", NULL},
    {"no extensions: SIZE refused", RELAY_BARE, HELO "MAIL FROM:<> SIZE=10\r\n",
     R_HELO "555 SIZE parameter not supported here\r\n", NULL},
    {"no extensions: BODY refused", RELAY_BARE, HELO "MAIL FROM:<> BODY=8BITMIME\r\n",
     R_HELO "555 BODY parameter not supported here\r\n", NULL},
    {"AUTH not offered", RELAY, EHLO AUTH_GOOD, NULL, NULL},
    {"AUTH offered in EHLO", RELAY_AUTH, EHLO, R_EHLO_AUTH, NULL},
    {"AUTH PLAIN with an initial response", RELAY_AUTH, EHLO AUTH_GOOD, R_EHLO_AUTH R235, NULL},
    {"AUTH PLAIN, wrong password", RELAY_AUTH, EHLO AUTH_BAD, R_EHLO_AUTH R535, NULL},
    {"AUTH PLAIN with a challenge", RELAY_AUTH, EHLO "AUTH PLAIN\r\nAGFsaWNlAHdvbmRlcmxhbmQ=\r\n",
     R_EHLO_AUTH "334 \r\n" R235, NULL},
    {"AUTH PLAIN with an authorization identity", RELAY_AUTH,
     EHLO "AUTH PLAIN YWxpY2UAYWxpY2UAd29uZGVybGFuZA==\r\n", R_EHLO_AUTH R235, NULL},
    {"AUTH PLAIN for someone else", RELAY_AUTH, EHLO "AUTH PLAIN Ym9iAGFsaWNlAHdvbmRlcmxhbmQ=\r\n",
     R_EHLO_AUTH R535, NULL},
    {"AUTH LOGIN", RELAY_AUTH, EHLO "AUTH LOGIN\r\nYWxpY2U=\r\nd29uZGVybGFuZA==\r\n",
     R_EHLO_AUTH "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" R235, NULL},
    {"AUTH LOGIN with the user name at once", RELAY_AUTH,
     EHLO "AUTH LOGIN YWxpY2U=\r\nd29uZGVybGFuZA==\r\n", R_EHLO_AUTH "334 UGFzc3dvcmQ6\r\n" R235,
     NULL},
    {"AUTH LOGIN, wrong password", RELAY_AUTH, EHLO "AUTH LOGIN\r\nYWxpY2U=\r\nd3Jvbmc=\r\n",
     R_EHLO_AUTH "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" R535, NULL},
    {"AUTH with an unknown mechanism", RELAY_AUTH, EHLO "AUTH CRAM-MD5\r\n",
     R_EHLO_AUTH "504 5.5.4 Unrecognized authentication type\r\n", NULL},
    {"AUTH without a mechanism", RELAY_AUTH, EHLO "AUTH\r\n",
     R_EHLO_AUTH "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n", NULL},
    {"AUTH cancelled with *", RELAY_AUTH, EHLO "AUTH LOGIN\r\n*\r\nNOOP\r\n",
     R_EHLO_AUTH "334 VXNlcm5hbWU6\r\n501 5.0.0 Authentication cancelled\r\n250 2.0.0 Ok\r\n",
     NULL},
    {"AUTH response not base64", RELAY_AUTH, EHLO "AUTH PLAIN\r\n!!!!\r\n",
     R_EHLO_AUTH "334 \r\n501 5.5.2 Cannot decode the response\r\n", NULL},
    {"AUTH before EHLO", RELAY_AUTH, AUTH_GOOD, "503 5.5.1 Send EHLO first\r\n", NULL},
    {"AUTH twice", RELAY_AUTH, EHLO AUTH_GOOD AUTH_GOOD,
     R_EHLO_AUTH R235 "503 5.5.1 Already authenticated\r\n", NULL},
    {"AUTH during a transaction", RELAY_AUTH, EHLO "MAIL FROM:<>\r\n" AUTH_GOOD,
     R_EHLO_AUTH MAIL_OK "503 5.5.1 AUTH not permitted during a mail transaction\r\n", NULL},
    {"submission: MAIL needs AUTH", SUBMISSION, EHLO "MAIL FROM:<alice@alice.example>\r\n",
     R_EHLO_AUTH "530 5.7.0 Authentication required\r\n", NULL},
    {"submission: AUTH then relay", SUBMISSION,
     EHLO AUTH_GOOD "MAIL FROM:<alice@alice.example>\r\nRCPT TO:<bob@elsewhere.example>\r\n"
                    "DATA\r\nhi\r\n.\r\n",
     R_EHLO_AUTH R235 MAIL_OK RCPT_OK R354 "250 2.0.0 Ok: queued as Q1\r\n", "hi\r\n"},
    {"submission: a failed AUTH still needs AUTH", SUBMISSION,
     EHLO AUTH_BAD "MAIL FROM:<alice@alice.example>\r\n",
     R_EHLO_AUTH R535 "530 5.7.0 Authentication required\r\n", NULL},
    {"refused session: only QUIT", REFUSE, "EHLO client.example\r\nNOOP\r\nQUIT\r\n",
     "503 5.5.1 No SMTP service here; only QUIT is accepted\r\n"
     "503 5.5.1 No SMTP service here; only QUIT is accepted\r\n"
     "221 2.0.0 mx.roberto.example Bye\r\n",
     NULL},
};

/* Cases with want == NULL are checked by their own tests; here they must not crash. */
START_TEST(test_table)
{
    const server_case_t *c = &cases[_i];
    fake_t f = {0};
    buf_t out = BUF_INIT;
    smtp_server_t *s = run(c->cfg, &f, c->in, &out);
    if (c->want)
        ck_assert_msg(strcmp(buf_cstr(&out), c->want) == 0, "%s:\n got: %s\nwant: %s", c->name,
                      buf_cstr(&out), c->want);
    if (c->want_data)
        ck_assert_msg(strcmp(buf_cstr(&f.data), c->want_data) == 0, "%s: data\n got: %s\nwant: %s",
                      c->name, buf_cstr(&f.data), c->want_data);
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

/*
 * The same session three ways: traced on a new engine; untraced; and traced
 * again on that engine made new by smtp_server_reuse after a session left
 * it in the middle of a transaction. Output, data and envelope must agree.
 */
START_TEST(test_table_untraced_and_reused)
{
    const server_case_t *c = &cases[_i];
    fake_t traced = {0}, quiet = {0};
    buf_t want = BUF_INIT, got = BUF_INIT, greeting = BUF_INIT, scrap = BUF_INIT;
    smtp_server_t *s = run(c->cfg, &traced, c->in, &want);
    smtp_server_free(s);

    s = make_server(c->cfg, &quiet);
    smtp_server_trace_lines(s, false);
    smtp_server_start(s, &greeting);
    smtp_server_feed(s, (const uint8_t *)c->in, strlen(c->in), &got);
    ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0, "%s untraced:\n got: %s\nwant: %s",
                  c->name, buf_cstr(&got), buf_cstr(&want));
    ck_assert_uint_eq(quiet.trace.len, 0);
    ck_assert_str_eq(buf_cstr(&quiet.data), buf_cstr(&traced.data));
    ck_assert_str_eq(buf_cstr(&quiet.envelope), buf_cstr(&traced.envelope));

    /* A session cut off in DATA, after AUTH where it is offered. */
    static const char cut[] = "EHLO a.example\r\n" AUTH_GOOD "MAIL FROM:<x@alice.example>\r\n"
                              "RCPT TO:<roberto@roberto.example>\r\nDATA\r\npart of a li";
    smtp_server_feed(s, (const uint8_t *)cut, sizeof cut - 1, &scrap);
    smtp_server_reuse(s);
    buf_t greeting2 = BUF_INIT;
    buf_reset(&got);
    fake_free(&quiet);
    quiet = (fake_t){0};
    smtp_server_start(s, &greeting2);
    ck_assert_str_eq(buf_cstr(&greeting2), buf_cstr(&greeting));
    smtp_server_feed(s, (const uint8_t *)c->in, strlen(c->in), &got);
    ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0, "%s reused:\n got: %s\nwant: %s",
                  c->name, buf_cstr(&got), buf_cstr(&want));
    ck_assert_str_eq(buf_cstr(&quiet.data), buf_cstr(&traced.data));
    ck_assert_str_eq(buf_cstr(&quiet.envelope), buf_cstr(&traced.envelope));
    ck_assert_str_eq(buf_cstr(&quiet.trace), buf_cstr(&traced.trace));
    smtp_server_free(s);
    buf_free(&want);
    buf_free(&got);
    buf_free(&greeting);
    buf_free(&greeting2);
    buf_free(&scrap);
    fake_free(&traced);
    fake_free(&quiet);
}
END_TEST

/*
 * The same session with the text kept in a room the hooks lend, of every
 * size around the message's: the same replies, message and envelope, and
 * the message handed over in the room exactly when it fitted.
 */
START_TEST(test_table_lent_room)
{
    const server_case_t *c = &cases[_i];
    fake_t plain = {0};
    buf_t want = BUF_INIT;
    smtp_server_free(run(c->cfg, &plain, c->in, &want));
    static const size_t caps[] = {0, 1, 2, 7, 16, 20, 31, 33, 64, 10000};
    for (size_t k = 0; k < ARRAY_LEN(caps); k++) {
        fake_t f = {.lend = true, .room_cap = caps[k]};
        buf_t got = BUF_INIT;
        smtp_server_free(run(c->cfg, &f, c->in, &got));
        ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                      "%s, room %zu:\n got: %s\nwant: %s", c->name, caps[k], buf_cstr(&got),
                      buf_cstr(&want));
        ck_assert_str_eq(buf_cstr(&f.all), buf_cstr(&plain.all));
        ck_assert_str_eq(buf_cstr(&f.envelope), buf_cstr(&plain.envelope));
        if (plain.next_id == 1)
            ck_assert_int_eq(f.in_room, plain.data.len <= caps[k]);
        buf_free(&got);
        fake_free(&f);
    }
    buf_free(&want);
    fake_free(&plain);
}
END_TEST

/* data_room hears the SIZE its transaction's MAIL declared, and 0 without one. */
START_TEST(test_declared_size_to_room)
{
    fake_t f = {.lend = true, .room_cap = 100};
    buf_t out = BUF_INIT;
    smtp_server_t *s =
        run(RELAY, &f,
            EHLO "MAIL FROM:<a@alice.example> SIZE=1234\r\nRCPT TO:<r@roberto.example>\r\n"
                 "DATA\r\nhi\r\n.\r\n",
            &out);
    ck_assert_int_eq(f.rooms, 1);
    ck_assert_uint_eq(f.declared, 1234);
    ck_assert(f.in_room);
    static const char next[] = "MAIL FROM:<a@alice.example>\r\nRCPT TO:<r@roberto.example>\r\n"
                               "DATA\r\nho\r\n.\r\n";
    smtp_server_feed(s, (const uint8_t *)next, sizeof next - 1, &out);
    ck_assert_int_eq(f.rooms, 2);
    ck_assert_uint_eq(f.declared, 0);
    /* RSET forgets it too. */
    static const char reset[] = "MAIL FROM:<a@alice.example> SIZE=77\r\nRSET\r\n"
                                "MAIL FROM:<a@alice.example>\r\nRCPT TO:<r@roberto.example>\r\n"
                                "DATA\r\nhu\r\n.\r\n";
    smtp_server_feed(s, (const uint8_t *)reset, sizeof reset - 1, &out);
    ck_assert_int_eq(f.rooms, 3);
    ck_assert_uint_eq(f.declared, 0);
    ck_assert_str_eq(buf_cstr(&f.all), "hi\r\nho\r\nhu\r\n");
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

/* The last reply line of a session. */
static const char *last_line(const buf_t *out, char *buf, size_t n)
{
    const char *s = buf_cstr(out);
    size_t len = out->len;
    if (len >= 2)
        len -= 2;
    size_t start = len;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    snprintf(buf, n, "%.*s", (int)(len - start), s + start);
    return buf;
}

START_TEST(test_greeting)
{
    fake_t f = {0};
    buf_t out = BUF_INIT;
    smtp_server_t *s = make_server(RELAY, &f);
    ck_assert_str_eq(smtp_server_state_name(smtp_server_state(s)), "new");
    smtp_server_start(s, &out);
    ck_assert_str_eq(buf_cstr(&out), "220 mx.roberto.example ESMTP mailsim\r\n");
    ck_assert_int_eq(smtp_server_state(s), SMTP_SERVER_GREETED);
    smtp_server_free(s);
    buf_reset(&out);
    s = make_server(REFUSE, &f);
    smtp_server_start(s, &out);
    ck_assert_str_eq(buf_cstr(&out), "554 mx.roberto.example No SMTP service here\r\n");
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

/* A whole session on s, greeting included, into out. */
static void session_on(smtp_server_t *s, bool traced, const char *in, buf_t *out)
{
    smtp_server_trace_lines(s, traced);
    smtp_server_start(s, out);
    smtp_server_feed(s, (const uint8_t *)in, strlen(in), out);
}

/* The configurations and the session the made-once replies are tried with. */
static const cfg_kind_t fixed_kinds[] = {RELAY, RELAY_BARE, SUBMISSION, REFUSE};
static const char fixed_session[] =
    "EHLO client.example\r\nMAIL FROM:<a@alice.example>\r\n"
    "RCPT TO:<roberto@roberto.example>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n";

/*
 * The fixed replies (greeting, 354, 221) are written once an engine and
 * copied after, untraced: the same bytes as traced, on a new engine and a
 * reused one, and traced again after they were kept the hook sees each.
 */
START_TEST(test_fixed_replies)
{
    for (size_t k = 0; k < ARRAY_LEN(fixed_kinds); k++) {
        fake_t f = {0};
        buf_t want = BUF_INIT, got = BUF_INIT;
        smtp_server_t *s = make_server(fixed_kinds[k], &f);
        session_on(s, true, fixed_session, &want);
        smtp_server_free(s);
        s = make_server(fixed_kinds[k], &f);
        f.next_id = 0;
        for (int round = 0; round < 3; round++) {
            buf_reset(&got);
            buf_reset(&f.trace);
            f.next_id = 0;
            if (round > 0)
                smtp_server_reuse(s);
            session_on(s, round == 2, fixed_session, &got);
            ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                          "kind %zu round %d:\n got: %s\nwant: %s", k, round, buf_cstr(&got),
                          buf_cstr(&want));
            ck_assert(round == 2 ? f.trace.len > 0 : f.trace.len == 0);
        }
        /* Submission wants AUTH first: no DATA there. */
        if (fixed_kinds[k] == RELAY || fixed_kinds[k] == RELAY_BARE)
            ck_assert(strstr(buf_cstr(&f.trace), "S 354 354 End data"));
        ck_assert(strstr(buf_cstr(&f.trace), fixed_kinds[k] == REFUSE ? "S 554 554" : "S 221 221"));
        smtp_server_free(s);
        buf_free(&want);
        buf_free(&got);
        fake_free(&f);
    }
}
END_TEST

/*
 * Engines of one configuration given the same replies (cfg.replies): the
 * first to need one makes it there, the others copy it from there, never
 * making their own, and every engine writes the bytes an engine of its own
 * writes, greeting, EHLO, 354 and 221, also after the first is freed.
 */
START_TEST(test_shared_replies)
{
    for (size_t k = 0; k < ARRAY_LEN(fixed_kinds); k++) {
        fake_t f = {0};
        buf_t want = BUF_INIT, got = BUF_INIT;
        smtp_server_t *own = make_server(fixed_kinds[k], &f);
        session_on(own, false, fixed_session, &want);
        ck_assert(own->own.fixed_ready);
        shared_replies = smtp_server_replies_new();
        smtp_server_t *first = make_server(fixed_kinds[k], &f);
        smtp_server_t *second = make_server(fixed_kinds[k], &f);
        for (int round = 0; round < 2; round++) {
            smtp_server_t *s = round == 0 ? first : second;
            buf_reset(&got);
            f.next_id = 0;
            session_on(s, false, fixed_session, &got);
            ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                          "kind %zu engine %d:\n got: %s\nwant: %s", k, round, buf_cstr(&got),
                          buf_cstr(&want));
            ck_assert(!s->own.fixed_ready && !s->own.ehlo_tail_ready);
            if (round == 0)
                smtp_server_free(first); /* the replies are the caller's, not the engine's */
        }
        ck_assert(shared_replies->fixed_ready);
        /* the refusing engine answers EHLO with 503: it never makes that reply */
        ck_assert(shared_replies->ehlo_tail_ready == (fixed_kinds[k] != REFUSE));
        smtp_server_free(second);
        smtp_server_free(own);
        smtp_server_replies_free(shared_replies);
        shared_replies = NULL;
        buf_free(&want);
        buf_free(&got);
        fake_free(&f);
    }
    smtp_server_replies_free(NULL); /* nothing */
}
END_TEST

START_TEST(test_size_param_accepted)
{
    fake_t f = {0};
    buf_t out = BUF_INIT;
    char last[600];
    smtp_server_t *s = run(RELAY, &f, EHLO "MAIL FROM:<a@alice.example> SIZE=10000\r\n", &out);
    ck_assert_str_eq(last_line(&out, last, sizeof last), "250 2.1.0 Ok");
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

START_TEST(test_auth_not_offered)
{
    fake_t f = {0};
    buf_t out = BUF_INIT;
    char last[600];
    smtp_server_t *s = run(RELAY, &f, EHLO AUTH_GOOD, &out);
    ck_assert_str_eq(last_line(&out, last, sizeof last), "502 5.5.1 AUTH not available");
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

START_TEST(test_auth_user_in_envelope)
{
    fake_t f = {0};
    buf_t out = BUF_INIT;
    smtp_server_t *s =
        run(SUBMISSION, &f,
            EHLO AUTH_GOOD "MAIL FROM:<alice@alice.example> BODY=8BITMIME\r\n"
                           "RCPT TO:<bob@elsewhere.example>\r\nRCPT TO:<carol@else.example>\r\n"
                           "DATA\r\nhi\r\n.\r\n",
            &out);
    ck_assert_str_eq(smtp_server_auth_user(s), "alice");
    ck_assert_str_eq(buf_cstr(&f.envelope),
                     "client.example|alice@alice.example|bob@elsewhere.example,carol@else.example"
                     "|8bit|alice");
    ck_assert_uint_eq(smtp_server_messages(s), 1);
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

/* A command line of n octets, CRLF included. */
static void command_of(buf_t *b, size_t n)
{
    size_t start = b->len;
    buf_puts(b, "NOOP ");
    while (b->len - start < n - 2)
        buf_putc(b, 'x');
    buf_puts(b, "\r\n");
}

START_TEST(test_command_line_limit)
{
    fake_t f = {0};
    buf_t in = BUF_INIT, out = BUF_INIT;
    command_of(&in, 512);
    command_of(&in, 513);
    command_of(&in, 5000);
    buf_puts(&in, "NOOP\r\n");
    smtp_server_t *s = run(RELAY, &f, buf_cstr(&in), &out);
    ck_assert_str_eq(buf_cstr(&out), "250 2.0.0 Ok\r\n"
                                     "500 5.5.2 Line too long (the limit is 512 octets)\r\n"
                                     "500 5.5.2 Line too long (the limit is 512 octets)\r\n"
                                     "250 2.0.0 Ok\r\n");
    smtp_server_free(s);
    buf_free(&in);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

static void data_session(buf_t *in, const char *body)
{
    buf_puts(in, HELO "MAIL FROM:<>\r\nRCPT TO:<roberto@roberto.example>\r\nDATA\r\n");
    buf_puts(in, body);
    buf_puts(in, ".\r\nNOOP\r\n");
}

static void text_line_of(buf_t *b, size_t n)
{
    for (size_t i = 0; i < n - 2; i++)
        buf_putc(b, 'a' + (char)(i % 26));
    buf_puts(b, "\r\n");
}

START_TEST(test_text_line_limit)
{
    fake_t f = {0};
    buf_t body = BUF_INIT, in = BUF_INIT, out = BUF_INIT;
    char last[600];
    text_line_of(&body, 1000);
    data_session(&in, buf_cstr(&body));
    smtp_server_t *s = run(RELAY, &f, buf_cstr(&in), &out);
    ck_assert_msg(strstr(buf_cstr(&out), "250 2.0.0 Ok: queued as Q1\r\n250 2.0.0 Ok\r\n"),
                  "a 1000-octet line is fine: %s", buf_cstr(&out));
    ck_assert_str_eq(buf_cstr(&f.data), buf_cstr(&body));
    smtp_server_free(s);
    buf_reset(&body);
    buf_reset(&in);
    buf_reset(&out);
    text_line_of(&body, 1001);
    data_session(&in, buf_cstr(&body));
    s = run(RELAY, &f, buf_cstr(&in), &out);
    ck_assert_msg(strstr(buf_cstr(&out), "\r\n554 5.6.0 Message refused: a text line is longer "
                                         "than 1000 octets\r\n250 2.0.0 Ok\r\n"),
                  "a 1001-octet line: %s", buf_cstr(&out));
    ck_assert_str_eq(last_line(&out, last, sizeof last), "250 2.0.0 Ok");
    ck_assert_uint_eq(smtp_server_messages(s), 0);
    smtp_server_free(s);
    buf_free(&body);
    buf_free(&in);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

START_TEST(test_message_too_big)
{
    fake_t f = {0};
    buf_t body = BUF_INIT, in = BUF_INIT, out = BUF_INIT;
    /* 100 lines of 100 octets: exactly the 10000-octet limit. */
    for (int i = 0; i < 100; i++)
        text_line_of(&body, 100);
    data_session(&in, buf_cstr(&body));
    smtp_server_t *s = run(RELAY, &f, buf_cstr(&in), &out);
    ck_assert_msg(strstr(buf_cstr(&out), "250 2.0.0 Ok: queued as Q1\r\n"), "at the limit: %s",
                  buf_cstr(&out));
    smtp_server_free(s);
    buf_reset(&in);
    buf_reset(&out);
    buf_puts(&body, "x\r\n");
    data_session(&in, buf_cstr(&body));
    s = run(RELAY, &f, buf_cstr(&in), &out);
    ck_assert_msg(
        strstr(buf_cstr(&out),
               "552 5.3.4 Message too big: the limit is 10000 octets\r\n250 2.0.0 Ok\r\n"),
        "past the limit: %s", buf_cstr(&out));
    smtp_server_free(s);
    buf_free(&body);
    buf_free(&in);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

START_TEST(test_recipient_limit)
{
    fake_t f = {0};
    buf_t in = BUF_INIT, out = BUF_INIT;
    buf_puts(&in, HELO "MAIL FROM:<>\r\n");
    for (int i = 1; i <= 101; i++)
        buf_printf(&in, "RCPT TO:<user%d@roberto.example>\r\n", i);
    buf_puts(&in, "DATA\r\nhi\r\n.\r\n");
    smtp_server_t *s = run(RELAY, &f, buf_cstr(&in), &out);
    buf_t want = BUF_INIT;
    buf_puts(&want, R_HELO MAIL_OK);
    for (int i = 1; i <= 100; i++)
        buf_puts(&want, RCPT_OK);
    buf_puts(&want, "452 4.5.3 Too many recipients\r\n" R354 "250 2.0.0 Ok: queued as Q1\r\n");
    ck_assert_str_eq(buf_cstr(&out), buf_cstr(&want));
    ck_assert(strstr(buf_cstr(&f.envelope), ",user100@roberto.example|"));
    ck_assert(!strstr(buf_cstr(&f.envelope), "user101"));
    smtp_server_free(s);
    buf_free(&in);
    buf_free(&out);
    buf_free(&want);
    fake_free(&f);
}
END_TEST

START_TEST(test_shutdown_and_timeout)
{
    fake_t f = {0};
    buf_t out = BUF_INIT;
    smtp_server_t *s = run(RELAY, &f, HELO "MAIL FROM:<>\r\n", &out);
    buf_reset(&out);
    ck_assert(!smtp_server_wants_close(s));
    smtp_server_shutdown(s, &out);
    ck_assert_str_eq(buf_cstr(&out), "421 4.3.2 mx.roberto.example Service not available, "
                                     "closing transmission channel\r\n");
    ck_assert(smtp_server_wants_close(s));
    ck_assert_int_eq(smtp_server_state(s), SMTP_SERVER_CLOSED);
    buf_reset(&out);
    smtp_server_feed(s, (const uint8_t *)"NOOP\r\n", 6, &out);
    smtp_server_shutdown(s, &out);
    ck_assert_str_eq(buf_cstr(&out), "");
    smtp_server_free(s);

    /* The timeout may strike in the middle of DATA: no message is accepted. */
    s = run(RELAY, &f, HELO "MAIL FROM:<>\r\nRCPT TO:<roberto@roberto.example>\r\nDATA\r\nhalf",
            &out);
    buf_reset(&out);
    smtp_server_timeout(s, &out);
    ck_assert_str_eq(buf_cstr(&out), "421 4.4.2 mx.roberto.example Timeout waiting for input, "
                                     "closing transmission channel\r\n");
    ck_assert(smtp_server_wants_close(s));
    ck_assert_uint_eq(smtp_server_messages(s), 0);
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

START_TEST(test_quit_wants_close)
{
    fake_t f = {0};
    buf_t out = BUF_INIT;
    smtp_server_t *s = run(RELAY, &f, "QUIT\r\n", &out);
    ck_assert(smtp_server_wants_close(s));
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

/* The verb traced with a command: upper-cased, cut to 15 octets, NUL and all. */
START_TEST(test_trace_verbs)
{
    fake_t f = {0};
    buf_t out = BUF_INIT;
    static const char in[] = "noop\r\nabcdefghijklmnopqrstuvwxyz now\r\nx\r\n\r\n"
                             "NO\0OP\r\nrset  \r\n";
    smtp_server_t *s = run(RELAY, &f, "", &out);
    smtp_server_feed(s, (const uint8_t *)in, sizeof in - 1, &out);
    ck_assert_str_eq(buf_cstr(&f.trace), "S 220 220 mx.roberto.example ESMTP mailsim\n"
                                         "C NOOP noop\n"
                                         "S 250 250 2.0.0 Ok\n"
                                         "C ABCDEFGHIJKLMNO abcdefghijklmnopqrstuvwxyz now\n"
                                         "S 500 500 5.5.2 Syntax error, command unrecognized\n"
                                         "C X x\n"
                                         "S 500 500 5.5.2 Syntax error, command unrecognized\n"
                                         "C  \n"
                                         "S 500 500 5.5.2 Syntax error, command unrecognized\n"
                                         "C NO NO\n"
                                         "S 500 500 5.5.2 Syntax error, command unrecognized\n"
                                         "C RSET rset  \n"
                                         "S 250 250 2.0.0 Ok\n");
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

/*
 * The verb as the engine reads it, each octet of "NOOP x" in turn made
 * every other octet: upper-cased in ASCII only, up to a space or NUL, and
 * the command run only when that is NOOP.
 */
START_TEST(test_verb_octets)
{
    fake_t f = {0};
    for (size_t at = 0; at < 5; at++) {
        for (int c = 0; c < 256; c++) {
            if (c == '\n')
                continue;
            char line[] = "NOOP x\r\n";
            line[at] = (char)c;
            char want_verb[8];
            size_t n = 0;
            for (; n < 6 && line[n] && line[n] != ' '; n++)
                want_verb[n] = (char)(line[n] >= 'a' && line[n] <= 'z' ? line[n] - 32 : line[n]);
            want_verb[n] = '\0';
            buf_t out = BUF_INIT, want = BUF_INIT;
            buf_reset(&f.trace);
            smtp_server_t *s = run(RELAY, &f, "", &out);
            buf_reset(&f.trace);
            buf_reset(&out);
            smtp_server_feed(s, (const uint8_t *)line, sizeof line - 1, &out);
            bool noop = strcmp(want_verb, "NOOP") == 0 && memchr(line, '\0', 6) == NULL;
            buf_printf(&want, "C %s ", want_verb);
            ck_assert_msg(strncmp(buf_cstr(&f.trace), buf_cstr(&want), want.len) == 0,
                          "octet %d at %zu: %s", c, at, buf_cstr(&f.trace));
            ck_assert_msg(strncmp(buf_cstr(&out), noop ? "250 " : "500 ", 4) == 0,
                          "octet %d at %zu: %s", c, at, buf_cstr(&out));
            smtp_server_free(s);
            buf_free(&out);
            buf_free(&want);
        }
    }
    fake_free(&f);
}
END_TEST

/*
 * With no sender or recipient hook the engine answers "Sender <path> OK"
 * itself, written straight to out when untraced: the same bytes as traced,
 * with and without enhanced codes, for every kind of path.
 */
START_TEST(test_verdict_without_hooks)
{
    static const char in[] = "EHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\n"
                             "RCPT TO:<@r1.example,@r2.example:u@x.example>\r\n"
                             "RCPT TO:<\"a b\\\"c\"@x.example>\r\nRCPT TO:<a.b@[1.2.3.4]>\r\nRSET\r\n"
                             "MAIL FROM:<s@x.example> SIZE=10\r\nRCPT TO:<bad\rcr@x.example>\r\n";
    for (int bare = 0; bare < 2; bare++) {
        smtp_server_config_t cfg;
        smtp_server_config_default(&cfg);
        cfg.hostname = "mx.roberto.example";
        if (bare)
            cfg.extensions = 0;
        fake_t f = {0};
        smtp_server_hooks_t hooks = {.ctx = &f, .on_line = fake_line};
        buf_t want = BUF_INIT, got = BUF_INIT;
        for (int traced = 1; traced >= 0; traced--) {
            smtp_server_t *s = smtp_server_new(&cfg, &hooks);
            session_on(s, traced, in, traced ? &want : &got);
            smtp_server_free(s);
        }
        ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0, "bare %d:\n got: %s\nwant: %s",
                      bare, buf_cstr(&got), buf_cstr(&want));
        ck_assert(strstr(buf_cstr(&want), bare ? "250 Recipient <\"a b\\\"c\"@x.example> OK\r\n"
                                               : "250 2.1.0 Sender <> OK\r\n"));
        buf_free(&want);
        buf_free(&got);
        fake_free(&f);
    }
}
END_TEST

/*
 * The EHLO reply from its parts made once an engine is the one written line
 * by line: for names short and long (to the reply's limit and past it), a
 * client name with a CR, and with no keyword lines at all.
 */
START_TEST(test_ehlo_untraced)
{
    buf_t host_long = BUF_INIT, host_huge = BUF_INIT, word_long = BUF_INIT;
    for (int i = 0; i < 200; i++)
        buf_putc(&host_long, 'a' + i % 26);
    for (int i = 0; i < 900; i++)
        buf_putc(&host_huge, 'a' + i % 26);
    for (int i = 0; i < 400; i++)
        buf_putc(&word_long, 'w');
    const char *hosts[] = {"mx.roberto.example", buf_cstr(&host_long), buf_cstr(&host_huge),
                           "cr\rname", "lf\nname"};
    const char *words[] = {"c.example", "a\rb", buf_cstr(&word_long)};
    for (size_t h = 0; h < ARRAY_LEN(hosts); h++) {
        for (size_t w = 0; w < ARRAY_LEN(words); w++) {
            for (int bare = 0; bare < 2; bare++) {
                smtp_server_config_t cfg;
                smtp_server_config_default(&cfg);
                cfg.hostname = hosts[h];
                if (bare)
                    cfg.extensions = 0;
                fake_t f = {0};
                smtp_server_hooks_t hooks = {.ctx = &f, .on_line = fake_line};
                buf_t in = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
                buf_printf(&in, "EHLO %s\r\nEHLO %s\r\n", words[w], words[w]);
                smtp_server_t *s = smtp_server_new(&cfg, &hooks);
                session_on(s, true, buf_cstr(&in), &want);
                smtp_server_reuse(s);
                session_on(s, false, buf_cstr(&in), &got);
                ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                              "host %zu word %zu bare %d:\n got: %s\nwant: %s", h, w, bare,
                              buf_cstr(&got), buf_cstr(&want));
                smtp_server_free(s);
                buf_free(&in);
                buf_free(&want);
                buf_free(&got);
                fake_free(&f);
            }
        }
    }
    buf_free(&host_long);
    buf_free(&host_huge);
    buf_free(&word_long);
}
END_TEST

/* Each verb finds its own entry of the command table; near misses find none. */
START_TEST(test_command_find)
{
    static const char *const verbs[] = {"HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET",
                                        "NOOP", "QUIT", "VRFY", "HELP", "EXPN", "AUTH"};
    for (size_t i = 0; i < ARRAY_LEN(verbs); i++) {
        const smtp_command_t *c = smtp_server_command_find(verbs[i]);
        ck_assert_msg(c && strcmp(c->verb, verbs[i]) == 0, "%s", verbs[i]);
    }
    static const char *const misses[] = {"", "HEL", "HELOS", "helo", "HELP ", "QUIX", "AUTI"};
    for (size_t i = 0; i < ARRAY_LEN(misses); i++)
        ck_assert_msg(!smtp_server_command_find(misses[i]), "%s", misses[i]);
}
END_TEST

START_TEST(test_trace_lines)
{
    fake_t f = {0};
    buf_t out = BUF_INIT;
    smtp_server_t *s = make_server(RELAY_AUTH, &f);
    smtp_server_start(s, &out);
    const char *in = "ehlo client.example\r\nAUTH LOGIN\r\nYWxpY2U=\r\nd29uZGVybGFuZA==\r\n"
                     "MAIL FROM:<>\r\nRCPT TO:<roberto@roberto.example>\r\nDATA\r\nbody\r\n.\r\n";
    smtp_server_feed(s, (const uint8_t *)in, strlen(in), &out);
    ck_assert_str_eq(buf_cstr(&f.trace), "S 220 220 mx.roberto.example ESMTP mailsim\n"
                                         "C EHLO ehlo client.example\n"
                                         "S 250 250-mx.roberto.example Hello client.example\n"
                                         "S 250 250-PIPELINING\n"
                                         "S 250 250-SIZE 10000\n"
                                         "S 250 250-8BITMIME\n"
                                         "S 250 250-ENHANCEDSTATUSCODES\n"
                                         "S 250 250 AUTH PLAIN LOGIN\n"
                                         "C AUTH AUTH LOGIN\n"
                                         "S 334 334 VXNlcm5hbWU6\n"
                                         "C - YWxpY2U=\n"
                                         "S 334 334 UGFzc3dvcmQ6\n"
                                         "C - d29uZGVybGFuZA==\n"
                                         "S 235 235 2.7.0 Authentication successful\n"
                                         "C MAIL MAIL FROM:<>\n"
                                         "S 250 250 2.1.0 Ok\n"
                                         "C RCPT RCPT TO:<roberto@roberto.example>\n"
                                         "S 250 250 2.1.5 Ok\n"
                                         "C DATA DATA\n"
                                         "S 354 354 End data with <CR><LF>.<CR><LF>\n"
                                         "C - .\n"
                                         "S 250 250 2.0.0 Ok: queued as Q1\n");
    ck_assert_int_gt(f.states, 5);
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

/* --- pipelining and byte splits ----------------------------------------- */

static const char pipelined[] = "EHLO client.example\r\n"
                                "MAIL FROM:<alice@alice.example> SIZE=60\r\n"
                                "RCPT TO:<roberto@roberto.example>\r\n"
                                "RCPT TO:<nobody@roberto.example>\r\n"
                                "RCPT TO:<Postmaster>\r\n"
                                "DATA\r\n"
                                "Subject: one\r\n\r\n..dot\r\n.\r\n"
                                "MAIL FROM:<>\r\n"
                                "RCPT TO:<nobody@roberto.example>\r\n"
                                "DATA\r\n"
                                "RSET\r\n"
                                "MAIL FROM:<alice@alice.example> BODY=8BITMIME\r\n"
                                "RCPT TO:<roberto@roberto.example>\r\n"
                                "DATA\r\n"
                                "Subject: two\r\n\r\nsecond\r\n.\r\n"
                                "QUIT\r\n";

static void run_split(const size_t *cuts, size_t ncuts, buf_t *out, buf_t *msgs)
{
    fake_t f = {0};
    smtp_server_t *s = make_server(RELAY, &f);
    smtp_server_start(s, out);
    size_t at = 0, n = sizeof pipelined - 1;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        smtp_server_feed(s, (const uint8_t *)pipelined + at, end - at, out);
        at = end;
    }
    buf_printf(msgs, "%s[%s]", buf_cstr(&f.all), buf_cstr(&f.envelope));
    smtp_server_free(s);
    fake_free(&f);
}

START_TEST(test_pipelined_session)
{
    buf_t out = BUF_INIT, msgs = BUF_INIT;
    run_split(NULL, 0, &out, &msgs);
    ck_assert_str_eq(buf_cstr(&out),
                     "220 mx.roberto.example ESMTP mailsim\r\n"
                     "250-mx.roberto.example Hello client.example\r\n250-PIPELINING\r\n"
                     "250-SIZE 10000\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n" MAIL_OK RCPT_OK
                     "550 5.1.1 User unknown\r\n250 2.1.5 Recipient <Postmaster> OK\r\n" R354
                     "250 2.0.0 Ok: queued as Q1\r\n" MAIL_OK "550 5.1.1 User unknown\r\n"
                     "554 5.5.1 No valid recipients\r\n250 2.0.0 Ok\r\n" MAIL_OK RCPT_OK R354
                     "250 2.0.0 Ok: queued as Q2\r\n221 2.0.0 mx.roberto.example Bye\r\n");
    ck_assert_str_eq(buf_cstr(&msgs),
                     "Subject: one\r\n\r\n.dot\r\nSubject: two\r\n\r\nsecond\r\n"
                     "[client.example|alice@alice.example|roberto@roberto.example|8bit|-]");
    buf_free(&out);
    buf_free(&msgs);
}
END_TEST

START_TEST(test_every_split_point)
{
    buf_t want = BUF_INIT, want_msgs = BUF_INIT;
    run_split(NULL, 0, &want, &want_msgs);
    size_t n = sizeof pipelined - 1;
    for (size_t k = 1; k < n; k++) {
        buf_t out = BUF_INIT, msgs = BUF_INIT;
        run_split(&k, 1, &out, &msgs);
        ck_assert_msg(strcmp(buf_cstr(&out), buf_cstr(&want)) == 0, "split at %zu:\n%s", k,
                      buf_cstr(&out));
        ck_assert_msg(strcmp(buf_cstr(&msgs), buf_cstr(&want_msgs)) == 0, "split at %zu: %s", k,
                      buf_cstr(&msgs));
        buf_free(&out);
        buf_free(&msgs);
    }
    buf_free(&want);
    buf_free(&want_msgs);
}
END_TEST

START_TEST(test_one_byte_at_a_time)
{
    buf_t want = BUF_INIT, want_msgs = BUF_INIT;
    run_split(NULL, 0, &want, &want_msgs);
    size_t n = sizeof pipelined - 1;
    size_t *cuts = xcalloc(n, sizeof *cuts);
    for (size_t k = 1; k < n; k++)
        cuts[k - 1] = k;
    buf_t out = BUF_INIT, msgs = BUF_INIT;
    run_split(cuts, n - 1, &out, &msgs);
    ck_assert_str_eq(buf_cstr(&out), buf_cstr(&want));
    ck_assert_str_eq(buf_cstr(&msgs), buf_cstr(&want_msgs));
    free(cuts);
    buf_free(&out);
    buf_free(&msgs);
    buf_free(&want);
    buf_free(&want_msgs);
}
END_TEST

START_TEST(test_bare_lf_lines)
{
    /* Hand-typed sessions (nc without -C) end lines with LF alone; they are understood. */
    fake_t f = {0};
    buf_t out = BUF_INIT;
    smtp_server_t *s = run(RELAY, &f,
                           "HELO client.example\nMAIL FROM:<>\nRCPT TO:<roberto@roberto.example>\n"
                           "DATA\nhello\n.\n",
                           &out);
    ck_assert_str_eq(buf_cstr(&out), R_HELO MAIL_OK RCPT_OK R354 "250 2.0.0 Ok: queued as Q1\r\n");
    ck_assert_str_eq(buf_cstr(&f.data), "hello\r\n");
    smtp_server_free(s);
    buf_free(&out);
    fake_free(&f);
}
END_TEST

static void bad_hook_reply(void *ctx, const char *address, const char *user, smtp_reply_t *r)
{
    smtp_reply_set(r, 99, NULL, "nonsense");
}

START_TEST(test_hook_reply_checked)
{
    smtp_server_config_t cfg;
    smtp_server_config_default(&cfg);
    smtp_server_hooks_t hooks = {.check_recipient = bad_hook_reply};
    smtp_server_t *s = smtp_server_new(&cfg, &hooks);
    buf_t out = BUF_INIT;
    smtp_server_start(s, &out);
    buf_reset(&out);
    const char *in = "HELO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<x@y.example>\r\n";
    smtp_server_feed(s, (const uint8_t *)in, strlen(in), &out);
    ck_assert_str_eq(buf_cstr(&out), "250 localhost\r\n250 2.1.0 Sender <> OK\r\n"
                                     "451 4.3.0 Local error in processing\r\n");
    smtp_server_free(s);
    buf_free(&out);
}
END_TEST

/*
 * An untraced engine's replies are what smtp_reply_format writes: one-line
 * replies taken straight into the buffer, others written line by line, with
 * and without enhanced codes offered, after what the buffer held.
 */
START_TEST(test_send_as_formatted)
{
    static const struct {
        int code;
        const char *enhanced, *text;
    } replies[] = {
        {250, "2.1.5", "Ok"},
        {250, "2.0.0", "Ok: queued as 0000000A"},
        {250, "", "no enhanced code given"},
        {250, "2.1.5", ""},
        {250, "", ""},
        {354, "", "End data with <CR><LF>.<CR><LF>"},
        {354, "3.0.0", "an enhanced code a 3yz reply does not get"},
        {421, "4.3.2", "closing"},
        {452, "4.5.3", "Too many recipients"},
        {550, "5.1.1", "<x@y>: no such user"},
        {554, "5.7.1", "two\nlines"},
        {451, "4.3.0", "a CR\rinside"},
        {250, "2.0.0", "ends in LF\n"},
        {99, "", "two digits"},
        {1000, "", "four digits"},
        {0, "", "zero"},
        {-1, "x", "negative"},
        {250, "2.0.0.0.0.0.0.0", "a long enhanced code"},
    };
    for (int offered = 0; offered < 2; offered++) {
        smtp_server_config_t cfg;
        smtp_server_config_default(&cfg);
        cfg.extensions = offered ? SMTP_EXT_DEFAULT | SMTP_EXT_ENHANCEDSTATUSCODES
                                 : SMTP_EXT_DEFAULT & ~SMTP_EXT_ENHANCEDSTATUSCODES;
        smtp_server_t *s = smtp_server_new(&cfg, NULL);
        for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
            smtp_reply_t r;
            memset(&r, 0, sizeof r);
            r.code = replies[i].code;
            snprintf(r.enhanced, sizeof r.enhanced, "%s", replies[i].enhanced);
            snprintf(r.text, sizeof r.text, "%s", replies[i].text);
            buf_t got = BUF_INIT, want = BUF_INIT;
            buf_puts(&got, "pre\r\n");
            buf_puts(&want, "pre\r\n");
            smtp_server_send(s, &r, &got);
            smtp_reply_format(&r, offered != 0, &want, NULL, NULL);
            ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
                          "reply %zu, offered %d: [%s], want [%s]", i, offered, buf_cstr(&got),
                          buf_cstr(&want));
            ck_assert(got.data[got.len] == '\0');
            buf_free(&got);
            buf_free(&want);
        }
        smtp_server_free(s);
    }
}
END_TEST

Suite *smtp_server_suite(void)
{
    
Suite *s = suite_create("smtp_server");
    TCase *tc = tcase_create("commands");
    tcase_add_loop_test(tc, test_table, 0, (int)ARRAY_LEN(cases));
    tcase_add_loop_test(tc, test_table_untraced_and_reused, 0, (int)ARRAY_LEN(cases));
    tcase_add_loop_test(tc, test_table_lent_room, 0, (int)ARRAY_LEN(cases));
    tcase_add_test(tc, test_declared_size_to_room);
    tcase_add_test(tc, test_greeting);
    tcase_add_test(tc, test_fixed_replies);
    tcase_add_test(tc, test_shared_replies);
    tcase_add_test(tc, test_size_param_accepted);
    tcase_add_test(tc, test_auth_not_offered);
    tcase_add_test(tc, test_auth_user_in_envelope);
    tcase_add_test(tc, test_quit_wants_close);
    tcase_add_test(tc, test_trace_lines);
    tcase_add_test(tc, test_verb_octets);
    tcase_add_test(tc, test_command_find);
    tcase_add_test(tc, test_verdict_without_hooks);
    tcase_add_test(tc, test_ehlo_untraced);
    tcase_add_test(tc, test_trace_verbs);
    tcase_add_test(tc, test_bare_lf_lines);
    tcase_add_test(tc, test_hook_reply_checked);
    suite_add_tcase(s, tc);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_command_line_limit);
    tcase_add_test(limits, test_text_line_limit);
    tcase_add_test(limits, test_message_too_big);
    tcase_add_test(limits, test_recipient_limit);
    tcase_add_test(limits, test_shutdown_and_timeout);
    suite_add_tcase(s, limits);
    TCase *pipe = tcase_create("pipelining");
    tcase_set_timeout(pipe, 30);
    tcase_add_test(pipe, test_pipelined_session);
    tcase_add_test(pipe, test_every_split_point);
    tcase_add_test(pipe, test_one_byte_at_a_time);
    tcase_add_test(pipe, test_send_as_formatted);
    suite_add_tcase(s, pipe);
    return s;
}
