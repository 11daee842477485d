/*
 * pop3_client: the POP3 client engine, sans-I/O: what a user agent does when
 * it fetches mail (RFC 1939). The node creates it once the TCP connection is
 * up, feeds it the server's bytes, and sends what it appends to a buf_t. It
 * runs one whole fetch by itself:
 *
 *   greeting -> USER/PASS (or APOP, when configured and the greeting has a
 *   timestamp) -> STAT -> UIDL (LIST when UIDL is refused) -> for each
 *   message to fetch: RETR, then DELE unless keeping -> QUIT
 *
 * Download-and-delete (keep false) retrieves every message and deletes each
 * one once it is safely handed over. Download-and-keep (keep true) leaves
 * mail on the server and retrieves only the messages whose UIDL the caller
 * has not seen; without UIDL it cannot tell, and retrieves them all.
 *
 * Deletions take effect only when the server answers QUIT with +OK (RFC 1939
 * 6): if the session ends any other way, every message is still on the
 * server, and a later fetch retrieves it again.
 */
#ifndef MAILSIM_PROTO_POP3_CLIENT_H
#define MAILSIM_PROTO_POP3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "proto/pop3.h"

/*
 * The longest line read. RFC 5322 2.1.1 caps message lines at 998 octets, but
 * a store may hold longer ones; a message with a line past this limit is not
 * handed over (it would arrive cut).
 */
#define POP3_CLIENT_LINE_MAX 65536

#define POP3_CLIENT_STATES(X)                                                                      \
    X(GREETING, "greeting") /* waiting for the server's +OK */                                     \
    X(APOP, "apop")         /* APOP sent */                                                        \
    X(USER, "user")         /* USER sent */                                                        \
    X(PASS, "pass")         /* PASS sent */                                                        \
    X(STAT, "stat")         /* STAT sent */                                                        \
    X(UIDL, "uidl")         /* UIDL sent: its answer, then the listing */                          \
    X(LIST, "list")         /* UIDL refused, LIST sent: its answer, then the listing */            \
    X(RETR, "retr")         /* RETR sent: its answer, then the message */                          \
    X(DELE, "dele")         /* DELE sent */                                                        \
    X(QUIT, "quit")         /* QUIT sent */                                                        \
    X(DONE, "done")         /* the session is over; on_done has been called */

typedef enum pop3_client_state {
#define X(id, name) POP3_CLIENT_##id,
    POP3_CLIENT_STATES(X)
#undef X
} pop3_client_state_t;

typedef struct pop3_client_config {
    const char *user; /* the login name; copied */
    const char *password;
    bool apop; /* log in with APOP when the greeting carries a timestamp, else USER/PASS */
    bool keep; /* leave mail on the server: no DELE, and only unseen UIDLs are retrieved */
} pop3_client_config_t;

/* What a fetch did, for on_done. */
typedef struct pop3_fetch_counts {
    uint32_t messages;  /* in the maildrop, as STAT said */
    uint32_t retrieved; /* handed to on_message */
    uint32_t skipped;   /* keep: UIDLs already seen, not retrieved */
    uint32_t deleted;   /* DELE answered +OK (removed only if QUIT got +OK) */
    uint64_t octets;    /* of the retrieved messages, as handed over */
} pop3_fetch_counts_t;

/* Hooks must not free the engine. Every hook may be NULL. */
typedef struct pop3_client_hooks {
    void *ctx; /* handed back to every hook */
    /* keep: true when a message with this UIDL was fetched before (NULL: none was). */
    bool (*seen)(void *ctx, const char *uidl);
    /*
     * One retrieved message: unstuffed, CRLF line ends, borrowed for the
     * call. uidl is NULL when the server refused UIDL. Called before the
     * DELE goes out, so the node stores it first.
     */
    void (*on_message)(void *ctx, uint32_t msgno, const char *uidl, const uint8_t *data,
                       size_t len);
    /*
     * Once, at the end: ok, or the first thing that went wrong in words
     * ("wrong user name or password: -ERR [AUTH] ..."), borrowed for the
     * call. The counts say how far the fetch got either way.
     */
    void (*on_done)(void *ctx, bool ok, const char *error, const pop3_fetch_counts_t *counts);
    pop3_line_fn on_line; /* every command and response line (see pop3.h) */
    /* Every state change, for tracing; may be NULL. */
    void (*on_state)(void *ctx, pop3_client_state_t from, pop3_client_state_t to);
} pop3_client_hooks_t;

typedef struct pop3_client pop3_client_t;

/* Copies cfg and hooks; pop3_client_free releases (without calling any hook). */
pop3_client_t *pop3_client_new(const pop3_client_config_t *cfg, const pop3_client_hooks_t *hooks);
void pop3_client_free(pop3_client_t *c);

/* Handles the bytes the server sent and appends what to send next. */
void pop3_client_feed(pop3_client_t *c, const uint8_t *data, size_t len, buf_t *out);
/*
 * The connection broke: the session ends with an error (a message being
 * retrieved is dropped, not handed over). Nothing is sent.
 */
void pop3_client_connection_lost(pop3_client_t *c);

/* True once the session is over; the node may close the connection. */
bool pop3_client_done(const pop3_client_t *c);
pop3_client_state_t pop3_client_state(const pop3_client_t *c);
const char *pop3_client_state_name(pop3_client_state_t st);
const pop3_fetch_counts_t *pop3_client_counts(const pop3_client_t *c);

#endif
