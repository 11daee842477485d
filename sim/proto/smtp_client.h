/*
 * smtp_client: the SMTP client engine, sans-I/O: what an MTA's queue runner
 * or a user agent's submission speaks. The node creates it once the TCP
 * connection is up, feeds it the server's bytes, and sends what it appends
 * to a buf_t. It waits for the greeting, says EHLO (HELO when EHLO is
 * refused), authenticates with PLAIN when given credentials, then sends the
 * messages handed to it, one transaction each, over the one connection
 * (pipelined when the server offers PIPELINING, RFC 2920), and QUITs when the
 * node says there will be no more.
 *
 * Results come back through hooks, one per recipient. A message is the
 * server's responsibility only after the 250 to its final dot (RFC 5321
 * 6.1): whatever has not had that answer when the session ends badly (421,
 * connection lost, a refused greeting or AUTH) is reported as a transient
 * failure, so the node keeps it queued.
 */
#ifndef MAILSIM_PROTO_SMTP_CLIENT_H
#define MAILSIM_PROTO_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "proto/smtp_ext.h"
#include "proto/smtp_reply.h"

/* RFC 5321 4.5.3.1.5 says 512; the client reads longer reply lines rather than fail. */
#define SMTP_CLIENT_REPLY_LINE_MAX 4096

#define SMTP_CLIENT_STATES(X)                                                                      \
    X(GREETING, "greeting") /* waiting for 220 */                                                  \
    X(EHLO, "ehlo")         /* EHLO sent */                                                        \
    X(HELO, "helo")         /* EHLO refused, HELO sent */                                          \
    X(AUTH, "auth")         /* AUTH PLAIN sent */                                                  \
    X(READY, "ready")       /* no transaction: waiting for a message or the finish */              \
    X(MAIL, "mail")         /* MAIL sent, waiting for its reply */                                 \
    X(RCPT, "rcpt")         /* waiting for RCPT replies */                                         \
    X(DATA, "data")         /* DATA sent, waiting for 354 */                                       \
    X(BODY, "body")         /* the message and its dot sent, waiting for the final reply */        \
    X(RSET, "rset")         /* RSET sent after a failed transaction */                             \
    X(QUIT, "quit")         /* QUIT sent */                                                        \
    X(DONE, "done")         /* the session is over */

typedef enum smtp_client_state {
#define X(id, name) SMTP_CLIENT_##id,
    SMTP_CLIENT_STATES(X)
#undef X
} smtp_client_state_t;

/*
 * The replies engines remember (see smtp_client_renew), shared by engines
 * that talk to the same servers, such as a world's user agents: most of
 * their sessions get the same replies, and one copy of them stays in cache
 * where one in each of a thousand engines would not. An engine looks in it
 * first, then in its own (a reply that names the client, such as the one to
 * EHLO, is its own); nothing it does differs for either. The caller owns
 * it, and it outlives every engine given it.
 */
typedef struct smtp_client_memo smtp_client_memo_t;

smtp_client_memo_t *smtp_client_memo_new(void);
void smtp_client_memo_free(smtp_client_memo_t *m);

typedef struct smtp_client_config {
    const char *helo_name; /* the name in EHLO/HELO; copied */
    const char *user;      /* AUTH PLAIN credentials, or NULL for no AUTH; copied */
    const char *password;
    /*
     * The body goes to the caller lent (smtp_client_take_lead), not copied
     * into out, when out is empty as it is written: a caller that writes
     * out to a connection spares a copy of every message.
     */
    bool lend_body;
    smtp_client_memo_t *shared_memo; /* NULL, or replies remembered with other engines */
} smtp_client_config_t;

/*
 * One message to send. smtp_client_add_message copies the addresses, and the
 * data too unless data_borrowed says the caller keeps it.
 */
typedef struct smtp_client_message {
    void *ctx;                /* the node's handle, handed back in the hooks */
    const char *reverse_path; /* "" for the null sender <> */
    const char *const *recipients;
    size_t nrecipients;
    const uint8_t *data; /* the RFC 5322 message; line ends may be LF or CRLF */
    size_t len;
    /*
     * NULL, or the rest of the message after data: the message is data then
     * tail (a header of its own and a body shared with other messages). The
     * engine sends the two as they are when they need no change, and joins
     * them when they do (dot-stuffing, a downgrade).
     */
    const uint8_t *tail;
    size_t tail_len;
    /*
     * The caller keeps data and tail alive and unchanged until
     * on_message_done or smtp_client_free.
     */
    bool data_borrowed;
    /*
     * With data_borrowed: ".\r\n" follows the last piece (data[len..len+3),
     * or tail[tail_len..tail_len+3) with a tail), kept there as long as it,
     * so that a lent body (cfg.lend_body) goes with its dot.
     */
    bool dot_follows;
    /*
     * What the caller knows of data (a composer that wrote it), so the engine
     * does not scan it again; false means "not known", and the engine looks.
     * known_7bit: no octet over 127. known_dot_safe: it goes into DATA as it
     * is (line_dot_clean_prefix(data, len) == len: CRLF line ends only, no
     * other CR or LF, no line that starts with a dot). Both are about data
     * and tail together.
     */
    bool known_7bit;
    bool known_dot_safe;
} smtp_client_message_t;

/* Hooks must not free the engine; they may call smtp_client_add_message. */
typedef struct smtp_client_hooks {
    void *ctx;            /* handed back to every hook */
    smtp_line_fn on_line; /* every command and reply line (see smtp_reply.h) */
    /*
     * The outcome for one recipient, once known: the server's reply to its
     * RCPT when refused, else the reply to the final dot. from_server is
     * false when the client made the reply up (connection lost, message over
     * the server's SIZE, no 8-bit conversion, an address that is not RFC 5321
     * syntax: 553...). 2xx delivered, 4xx try again later, 5xx give up.
     */
    void (*on_recipient_result)(void *ctx, void *msg_ctx, size_t index, const smtp_reply_t *reply,
                                bool from_server);
    /* Every recipient of the message has had its result. */
    void (*on_message_done)(void *ctx, void *msg_ctx);
    /* Once, at the end: ok, or what went wrong. */
    void (*on_session_done)(void *ctx, bool ok, const char *error);
    /*
     * An 8-bit message for a server without 8BITMIME (RFC 6152 3): append a
     * 7-bit version (e.g. quoted-printable) to out and return 0, or -1 when
     * it cannot. NULL: such messages fail with 554 5.6.3.
     */
    int (*downgrade_8bit)(void *ctx, const uint8_t *in, size_t len, buf_t *out);
    /* Every state change, for tracing; may be NULL. */
    void (*on_state)(void *ctx, smtp_client_state_t from, smtp_client_state_t to);
} smtp_client_hooks_t;

typedef struct smtp_client smtp_client_t;

/* Copies cfg and hooks; smtp_client_free releases (without calling any hook). */
smtp_client_t *smtp_client_new(const smtp_client_config_t *cfg, const smtp_client_hooks_t *hooks);
void smtp_client_free(smtp_client_t *c);
/* Prefetches the lines a reply's arrival reads first (for a warm: see
 * sched_set_warm); reads nothing itself. */
void smtp_client_prefetch(const smtp_client_t *c);
/*
 * An engine for a new session, as smtp_client_new(cfg, hooks) makes one,
 * from c (NULL or an engine whose session is of no more use): what c's
 * session still held is dropped without any hook, and its memory (the read
 * and send buffers) serves again. So does what it remembers of the last
 * sender it found fit and of the last reply it read in each state, which
 * spare it reading the same octets again; nothing it does differs for that. Returns
 * the engine; c is not to be used after, unless it is what came back.
 */
smtp_client_t *smtp_client_renew(smtp_client_t *c, const smtp_client_config_t *cfg,
                                 const smtp_client_hooks_t *hooks);

/* Handles the bytes the server sent and appends what to send next. */
void smtp_client_feed(smtp_client_t *c, const uint8_t *data, size_t len, buf_t *out);
/*
 * With cfg.lend_body: the octets that go before out's after a feed (the
 * body; out then holds its final dot, or the dot is in them), lent until the
 * next call into it, one piece a call (a message with a tail comes in two),
 * in order; 0 and *data NULL when there are no more. Taking a piece clears
 * it: a caller with lend_body takes them all after every feed, before any
 * other call, and sends them first.
 */
size_t smtp_client_take_lead(smtp_client_t *c, const uint8_t **data);
/*
 * Queues a message (copying what m does not lend); when the session is idle it starts at once.
 * After the session is over the message is answered at once as a transient
 * failure.
 */
void smtp_client_add_message(smtp_client_t *c, const smtp_client_message_t *m, buf_t *out);
/* No more messages will come: QUIT once the queue is empty. */
void smtp_client_finish(smtp_client_t *c, buf_t *out);
/* The connection broke: every unanswered message is a transient failure. */
void smtp_client_connection_lost(smtp_client_t *c);

/*
 * Whether the engine sends addr as a path (RFC 5321 4.1.2: "<addr>" is a
 * valid reverse-path when is_sender, forward-path otherwise, with no CR, LF
 * or bracket of its own). Messages with other addresses fail locally.
 */
bool smtp_client_address_ok(const char *addr, bool is_sender);

/* True once the session is over; the node may close the connection. */
bool smtp_client_done(const smtp_client_t *c);
smtp_client_state_t smtp_client_state(const smtp_client_t *c);
const char *smtp_client_state_name(smtp_client_state_t st);
/* What the EHLO reply said (all zero after HELO). */
const smtp_ehlo_info_t *smtp_client_server_info(const smtp_client_t *c);

#endif
