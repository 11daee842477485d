/*
 * smtp_server: the SMTP server engine (RFC 5321 with SIZE, 8BITMIME,
 * PIPELINING, ENHANCEDSTATUSCODES and AUTH PLAIN/LOGIN), sans-I/O. The node
 * feeds it the bytes a client sent and it appends the bytes to send back to
 * a buf_t; it never touches a socket, a timer or the clock. It reaches the
 * mail server only through smtp_server_hooks_t, synchronously.
 *
 * One engine serves one connection. Every complete line in the input is
 * handled in order, so a pipelined client (RFC 2920) gets its replies in
 * order, and input split at any byte gives the same output.
 */
#ifndef MAILSIM_PROTO_SMTP_SERVER_H
#define MAILSIM_PROTO_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"
#include "proto/smtp_ext.h"
#include "proto/smtp_reply.h"

/* RFC 5321 4.5.3.1.4 and 4.5.3.1.6: line limits, CRLF included. */
#define SMTP_COMMAND_LINE_MAX 512
#define SMTP_TEXT_LINE_MAX 1000
/* RFC 5321 4.5.3.1.8: a server must take at least 100 recipients. */
#define SMTP_DEFAULT_MAX_RECIPIENTS 100
#define SMTP_DEFAULT_MAX_SIZE ((uint64_t)10 * 1000 * 1000)
/* RFC 5321 4.5.3.2.7: the server waits at least 5 minutes for the next command. */
#define SMTP_SERVER_IDLE_TIMEOUT (5 * SIM_MIN)

#define SMTP_SERVER_STATES(X)                                                                      \
    X(NEW, "new")                         /* not started: no greeting yet */                       \
    X(GREETED, "greeted")                 /* 220 sent, waiting for HELO or EHLO */                 \
    X(REFUSING, "refusing")               /* 554 greeting sent: only QUIT is served */             \
    X(READY, "ready")                     /* greeted by the client, no transaction */              \
    X(MAIL, "mail")                       /* MAIL accepted, no recipient yet */                    \
    X(RCPT, "rcpt")                       /* at least one recipient accepted */                    \
    X(DATA, "data")                       /* 354 sent, reading the message */                      \
    X(AUTH_PLAIN, "auth-plain")           /* 334 sent, waiting for the PLAIN response */           \
    X(AUTH_LOGIN_USER, "auth-login-user") /* 334 Username: sent */                                 \
    X(AUTH_LOGIN_PASS, "auth-login-pass") /* 334 Password: sent */                                 \
    X(CLOSED, "closed")                   /* 221 or 421 sent: input is ignored */

typedef enum smtp_server_state {
#define X(id, name) SMTP_SERVER_##id,
    SMTP_SERVER_STATES(X)
#undef X
} smtp_server_state_t;

typedef struct smtp_server_config {
    const char *hostname; /* the name in the greeting and 221/421 replies; copied */
    unsigned extensions;  /* SMTP_EXT_* offered in the EHLO reply */
    /*
     * The submission port (RFC 6409, port 587): AUTH is offered whatever
     * extensions says, and required before MAIL (RFC 4954 6: 530 5.7.0).
     */
    bool submission;
    uint64_t max_size;     /* largest message in octets; 0: no limit */
    size_t max_recipients; /* past it RCPT gets 452 4.5.3; at least 100 by RFC */
    bool refuse;           /* greet with 554 and serve only QUIT (RFC 5321 3.1) */
    /*
     * NULL, or replies the caller keeps for every engine of this one
     * configuration (hostname, extensions, submission, max_size, refuse):
     * the replies whose bytes depend on nothing else (the greeting, 354,
     * 221, the EHLO reply's keyword lines) are then made once between them,
     * and a thousand engines read one copy instead of a thousand.
     */
    struct smtp_server_replies *replies;
} smtp_server_config_t;

typedef struct smtp_server_replies smtp_server_replies_t;
smtp_server_replies_t *smtp_server_replies_new(void);
/* After the engines that use it. NULL: nothing. */
void smtp_server_replies_free(smtp_server_replies_t *r);

/* hostname "localhost", SMTP_EXT_DEFAULT, not submission, 10 MB, 100 recipients. */
void smtp_server_config_default(smtp_server_config_t *cfg);

/* What a transaction carries to accept_message; borrowed for the call only. */
typedef struct smtp_envelope {
    const char *helo;         /* the name the client gave in HELO/EHLO */
    const char *reverse_path; /* "" for the null sender <> */
    /* As given in RCPT; may hold a bare "Postmaster" (RFC 5321 4.5.1): the node's postmaster. */
    const char *const *recipients;
    size_t nrecipients;
    bool body_8bit;        /* MAIL said BODY=8BITMIME */
    const char *auth_user; /* NULL when not authenticated */
} smtp_envelope_t;

/*
 * The narrow interface to the mail server. Every hook may be NULL: then
 * authenticate refuses, check_sender and check_recipient accept, and
 * accept_message answers 250 without keeping anything. Strings are borrowed
 * for the call. The hooks that answer fill the reply r, which comes to them
 * unset (smtp_reply_set, smtp_reply_set_text): a reply is 1 KB, so it is
 * built where the engine reads it rather than returned. A reply text may
 * hold '\n' to make a multi-line reply; a code outside 2xx/4xx/5xx becomes
 * 451 4.3.0. Hooks must not free the engine.
 */
typedef struct smtp_server_hooks {
    void *ctx; /* handed back to every hook */
    bool (*authenticate)(void *ctx, const char *user, const char *password);
    void (*check_sender)(void *ctx, const char *reverse_path, const char *auth_user,
                         smtp_reply_t *r);
    /* 250 to accept; 550 5.1.1 unknown user, 452/552 over quota, 550 5.7.1 relay denied... */
    void (*check_recipient)(void *ctx, const char *address, const char *auth_user,
                            smtp_reply_t *r);
    /*
     * At DATA: where the text may be kept (cap octets; NULL, or cap too
     * small for it, and the engine keeps it itself). Lent until the end of
     * the text: accept_message is then given data in it when it all fitted.
     * declared_size is what MAIL said with SIZE (RFC 1870), 0 if nothing.
     */
    uint8_t *(*data_room)(void *ctx, const smtp_envelope_t *env, uint64_t declared_size,
                          size_t *cap);
    /* After the final "."; the reply is sent as is: 250 with a queue id, or 4xx/5xx. */
    void (*accept_message)(void *ctx, const smtp_envelope_t *env, const uint8_t *data, size_t len,
                           smtp_reply_t *r);
    /* Every command and reply line (see smtp_reply.h), while smtp_server_trace_lines says so. */
    smtp_line_fn on_line;
    /* Every state change, for tracing; may be NULL. */
    void (*on_state)(void *ctx, smtp_server_state_t from, smtp_server_state_t to);
} smtp_server_hooks_t;

typedef struct smtp_server smtp_server_t;

/* Copies cfg and hooks; smtp_server_free releases. */
smtp_server_t *smtp_server_new(const smtp_server_config_t *cfg, const smtp_server_hooks_t *hooks);
void smtp_server_free(smtp_server_t *s);
/* Prefetches what feeding the engine reads first: its settings, hooks,
 * state and line reader, the DATA reader, and the first line of the
 * client's name, the sender and the recipients (for a warm: see
 * sched_set_warm); reads nothing itself. */
void smtp_server_prefetch(const smtp_server_t *s);
/* The step after: reads the pointers among the lines smtp_server_prefetch
 * prefetched (the turn before) and prefetches what they point to: the
 * recipient list, the first recipient's text, the room the message text
 * goes into. */
void smtp_server_prefetch_deep(const smtp_server_t *s);
/*
 * Makes s what smtp_server_new made, for the next connection: the same
 * config and hooks, the memory of its buffers kept. Lines are traced again.
 */
void smtp_server_reuse(smtp_server_t *s);
/*
 * Whether on_line hears the lines from now on (it does at first). Off when
 * nobody listens, the engine skips the calls and what they would be given.
 */
void smtp_server_trace_lines(smtp_server_t *s, bool on);

/* Appends the greeting (220, or 554 when refusing). Call once, first. */
void smtp_server_start(smtp_server_t *s, buf_t *out);
/* Handles the bytes a client sent and appends every reply they call for. */
void smtp_server_feed(smtp_server_t *s, const uint8_t *data, size_t len, buf_t *out);
/* The node is going down: 421 4.3.2, then closed (RFC 5321 3.8). */
void smtp_server_shutdown(smtp_server_t *s, buf_t *out);
/* SMTP_SERVER_IDLE_TIMEOUT of silence (the node keeps time): 421 4.4.2, then closed. */
void smtp_server_timeout(smtp_server_t *s, buf_t *out);

/* True once the engine has said its last word (221 or 421): the node closes. */
bool smtp_server_wants_close(const smtp_server_t *s);
smtp_server_state_t smtp_server_state(const smtp_server_t *s);
const char *smtp_server_state_name(smtp_server_state_t st);
/* The authenticated user, or NULL; valid while the engine lives. */
const char *smtp_server_auth_user(const smtp_server_t *s);
/* Messages handed to accept_message so far, whatever it answered. */
uint64_t smtp_server_messages(const smtp_server_t *s);

#endif
