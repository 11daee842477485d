/*
 * pop3_fixture: a fake maildrop behind the POP3 server's hooks, which records
 * what the engine asked of it (open, dele, rset, commit, rollback), and the
 * responses the server tests expect, shared by test_pop3_server.c and
 * test_pop3_session.c.
 */
#ifndef MAILSIM_TESTS_POP3_FIXTURE_H
#define MAILSIM_TESTS_POP3_FIXTURE_H

#include "proto/pop3_server.h"

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

/* Three messages, 58, 36 and 41 octets, UIDLs 0000000700000001, ...02, ...05. */
void pop3_fake_store_init(fake_store_t *st);
/* A server over st; its greeting has RFC 1939's timestamp when timestamp is true. */
pop3_server_t *pop3_fake_server(fake_session_t *fs, fake_store_t *st, bool timestamp);
void pop3_fake_feed(pop3_server_t *s, const char *in, buf_t *out);
/* Starts a session and feeds in; out gets the responses after the greeting. */
pop3_server_t *pop3_fake_run(fake_session_t *fs, fake_store_t *st, bool timestamp, const char *in,
                             buf_t *out);
/* Frees the server (which rolls back an open maildrop) and the session's trace. */
void pop3_fake_session_free(pop3_server_t *s, fake_session_t *fs);

/* --- what the server answers ---------------------------------------------- */

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

#endif
