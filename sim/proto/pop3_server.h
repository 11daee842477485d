/*
 * pop3_server: the POP3 server engine (RFC 1939, with CAPA, PIPELINING and
 * RESP-CODES from RFC 2449 and [AUTH] from RFC 3206), sans-I/O. The node
 * feeds it the bytes a client sent and it appends the bytes to send back to
 * a buf_t; it never touches a socket, a timer or the clock. It reaches the
 * maildrop only through pop3_server_hooks_t, synchronously; the hooks are cut
 * to sit on sim/mail/store.h's maildrop (store_maildrop_*).
 *
 * A session goes through three states (RFC 1939 3): AUTHORIZATION (USER and
 * PASS, or APOP), TRANSACTION (STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL)
 * and, after QUIT, UPDATE, where the deletions are committed. A session that
 * ends any other way (lost connection, auto-logout, shutdown) deletes
 * nothing.
 *
 * One engine serves one connection. Every complete line in the input is
 * handled in order, so a pipelined client (RFC 2449 6.6) gets its responses
 * in order, and input split at any byte gives the same output.
 */
#ifndef MAILSIM_PROTO_POP3_SERVER_H
#define MAILSIM_PROTO_POP3_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"
#include "proto/pop3.h"

/* RFC 1939 3: an auto-logout timer, if any, is at least 10 minutes. */
#define POP3_SERVER_IDLE_TIMEOUT (10 * SIM_MIN)

#define POP3_SERVER_STATES(X)                                                                      \
    X(NEW, "new")                     /* not started: no greeting yet */                           \
    X(AUTHORIZATION, "authorization") /* greeted: waiting for USER or APOP */                      \
    X(USER, "authorization-pass")     /* USER accepted: waiting for PASS */                        \
    X(TRANSACTION, "transaction")     /* logged in, the maildrop locked */                         \
    X(UPDATE, "update")               /* QUIT in TRANSACTION: committing the deletions */          \
    X(CLOSED, "closed")               /* the last word said: input is ignored */

typedef enum pop3_server_state {
#define X(id, name) POP3_SERVER_##id,
    POP3_SERVER_STATES(X)
#undef X
} pop3_server_state_t;

typedef struct pop3_server_config {
    const char *hostname; /* the name in the greeting and the sign-off; copied */
    /*
     * The APOP timestamp "<N.M@host>" for the greeting (RFC 1939 7), made
     * by the node (pop3_timestamp_format): it must differ between sessions.
     * NULL or "": no timestamp, and APOP is refused. Copied. A value that is
     * not "<...@...>" without spaces is a bug of the caller.
     */
    const char *timestamp;
} pop3_server_config_t;

/* What open_maildrop says. */
typedef enum pop3_open_result {
    POP3_OPEN_OK,
    POP3_OPEN_LOCKED, /* another session holds the lock (STORE_LOCKED): -ERR [IN-USE] */
    POP3_OPEN_FAILED, /* anything else: -ERR [SYS/TEMP] */
} pop3_open_result_t;

/* What message and dele say about a message number. */
typedef enum pop3_msg_status {
    POP3_MSG_OK,
    POP3_MSG_NONE,    /* outside 1..messages (STORE_NO_MESSAGE) */
    POP3_MSG_DELETED, /* marked deleted in this session (STORE_MSG_DELETED) */
} pop3_msg_status_t;

/* STAT's view of the maildrop (store_maildrop_stat_t, field for field). */
typedef struct pop3_maildrop_stat {
    uint32_t messages;    /* in the maildrop: message numbers are 1..messages */
    uint32_t live;        /* not marked deleted */
    uint64_t live_octets; /* their total size */
} pop3_maildrop_stat_t;

/* One message (store_maildrop_msg_t). Everything is borrowed until the next hook call. */
typedef struct pop3_msg_info {
    uint64_t size;       /* octets with CRLF line ends, as LIST and STAT count them */
    const char *uidl;    /* 1..70 characters 0x21..0x7E, stable across sessions */
    const uint8_t *data; /* the message, CRLF line ends, not dot-stuffed */
    size_t len;
} pop3_msg_info_t;

/*
 * The narrow interface to the maildrop. Strings are borrowed for the call.
 * Every hook may be NULL: then check_password refuses, apop_secret knows no
 * one, open_maildrop succeeds with a maildrop that looks empty, and dele,
 * rset, commit and rollback do nothing. Hooks must not free the engine.
 *
 * The maildrop hooks are only called between a successful open_maildrop and
 * the one commit or rollback that ends it.
 */
typedef struct pop3_server_hooks {
    void *ctx; /* handed back to every hook */
    bool (*check_password)(void *ctx, const char *user, const char *password);
    /* APOP: the shared secret of user (borrowed until the next hook call), or NULL. */
    const char *(*apop_secret)(void *ctx, const char *user);
    /* Locks the user's maildrop (store_maildrop_open) once the password is right. */
    pop3_open_result_t (*open_maildrop)(void *ctx, const char *user);
    void (*stat)(void *ctx, pop3_maildrop_stat_t *out);
    /* LIST, UIDL, RETR, TOP: message msgno. out is filled for OK (and DELETED). */
    pop3_msg_status_t (*message)(void *ctx, uint32_t msgno, pop3_msg_info_t *out);
    /* DELE: marks msgno (store_maildrop_delete). */
    pop3_msg_status_t (*dele)(void *ctx, uint32_t msgno);
    /* RSET: unmarks every message (store_maildrop_reset). */
    void (*rset)(void *ctx);
    /*
     * QUIT in TRANSACTION (the UPDATE state): removes the marked messages and
     * unlocks (store_maildrop_commit). *deleted gets how many went. False
     * when it failed: the client hears "-ERR some deleted messages not
     * removed" (RFC 1939 6).
     */
    bool (*commit)(void *ctx, uint32_t *deleted);
    /* The session ended without QUIT: nothing is deleted; unlocks (store_maildrop_rollback). */
    void (*rollback)(void *ctx);
    pop3_line_fn on_line; /* every command and response line (see pop3.h) */
    /* Every state change, for tracing; may be NULL. */
    void (*on_state)(void *ctx, pop3_server_state_t from, pop3_server_state_t to);
} pop3_server_hooks_t;

typedef struct pop3_server pop3_server_t;

/* Copies cfg and hooks; pop3_server_free releases. */
pop3_server_t *pop3_server_new(const pop3_server_config_t *cfg, const pop3_server_hooks_t *hooks);
/* Frees the engine; a maildrop still open is rolled back first (nothing deleted). */
void pop3_server_free(pop3_server_t *s);

/* Appends the greeting ("+OK ... <timestamp>"). Call once, first. */
void pop3_server_start(pop3_server_t *s, buf_t *out);
/* Handles the bytes a client sent and appends every response they call for. */
void pop3_server_feed(pop3_server_t *s, const uint8_t *data, size_t len, buf_t *out);
/*
 * The connection broke: a maildrop in TRANSACTION is rolled back (nothing
 * deleted, RFC 1939 6), and the engine is closed. Nothing is sent.
 */
void pop3_server_connection_lost(pop3_server_t *s);
/*
 * POP3_SERVER_IDLE_TIMEOUT of silence (the node keeps time). RFC 1939 3: the
 * server closes without a response and without entering UPDATE: rolled
 * back, nothing deleted. Nothing is sent; the engine wants to close.
 */
void pop3_server_timeout(pop3_server_t *s, buf_t *out);
/*
 * The host is going down: "-ERR [SYS/TEMP] ... shutting down", rolled back
 * (nothing deleted), and the engine wants to close.
 */
void pop3_server_shutdown(pop3_server_t *s, buf_t *out);

/* True once the engine has said its last word: the node closes the connection. */
bool pop3_server_wants_close(const pop3_server_t *s);
pop3_server_state_t pop3_server_state(const pop3_server_t *s);
const char *pop3_server_state_name(pop3_server_state_t st);
/*
 * The user who logged in (TRANSACTION and after, even once closed), or NULL
 * when no login succeeded; valid while the engine lives.
 */
const char *pop3_server_user(const pop3_server_t *s);

#endif
