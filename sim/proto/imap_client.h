/*
 * imap_client: the IMAP4rev1 client engine (RFC 3501), sans-I/O: what a user
 * agent does when it works on its mailbox over IMAP. The node creates it once
 * the TCP connection is up, queues the steps to run, feeds it the server's
 * bytes and sends what it appends to a buf_t. It runs one whole session:
 *
 *   greeting -> CAPABILITY (when the greeting names none) -> LOGIN ->
 *   each queued step in order -> LOGOUT
 *
 * Commands are tagged a1, a2... A step that works on messages (FETCH,
 * STORE, MOVE, EXPUNGE) works on the UIDs the last SEARCH found; with none
 * found it sends nothing. A MOVE becomes COPY, STORE +FLAGS.SILENT
 * (\Deleted) and EXPUNGE (UID EXPUNGE with UIDPLUS) when the server does not
 * offer MOVE (RFC 6851 3.3). A NO or BAD to any step ends the queue: the
 * error is noted and the client logs out.
 *
 * Responses are framed with their literals (RFC 3501 4.3, 7.5): "{n}" at the
 * end of a line is followed by exactly n bytes and the line goes on after
 * them; input split at any byte gives the same result. A string that cannot
 * be quoted (8-bit text such as a Greek subject) is sent as a literal: with
 * LITERAL+ (RFC 7888) at once as "{n+}", else after the server's "+".
 */
#ifndef MAILSIM_PROTO_IMAP_CLIENT_H
#define MAILSIM_PROTO_IMAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "proto/line.h"

/* The longest response line read; literals are counted apart. */
#define IMAP_CLIENT_LINE_MAX (64 * 1024)
/* The largest literal taken (a message body); a bigger one ends the session. */
#define IMAP_CLIENT_LITERAL_MAX ((uint64_t)50 * 1000 * 1000)

#define IMAP_CLIENT_STATES(X)                                                                      \
    X(GREETING, "greeting")     /* waiting for the server's greeting */                            \
    X(CAPABILITY, "capability") /* CAPABILITY sent: the greeting named none */                     \
    X(LOGIN, "login")           /* LOGIN sent */                                                   \
    X(STEP, "step")             /* a queued step's command sent, waiting for its tagged reply */   \
    X(IDLE, "idle")             /* IDLE sent: "+", then news, then DONE and the tagged reply */    \
    X(LOGOUT, "logout")         /* LOGOUT sent */                                                  \
    X(DONE, "done")             /* the session is over; on_done has been called */

typedef enum imap_client_state {
#define X(id, name) IMAP_CLIENT_##id,
    IMAP_CLIENT_STATES(X)
#undef X
} imap_client_state_t;

/* What a queued step does. */
typedef enum imap_client_step_kind {
    IMAP_STEP_SELECT,         /* SELECT folder */
    IMAP_STEP_CREATE,         /* CREATE folder */
    IMAP_STEP_DELETE_FOLDER,  /* DELETE folder */
    IMAP_STEP_SEARCH_UNSEEN,  /* UID SEARCH UNSEEN: the found UIDs become the selection */
    IMAP_STEP_SEARCH_SUBJECT, /* UID SEARCH [CHARSET UTF-8] SUBJECT text (a substring) */
    IMAP_STEP_FETCH,          /* UID FETCH selection (UID BODY[]): sets \Seen (RFC 3501 6.4.5) */
    IMAP_STEP_STORE,          /* UID STORE selection +FLAGS (add), then -FLAGS (remove) */
    IMAP_STEP_MOVE,           /* UID MOVE selection folder, or COPY + \Deleted + EXPUNGE */
    IMAP_STEP_EXPUNGE,        /* UID EXPUNGE selection with UIDPLUS, else EXPUNGE */
    IMAP_STEP_IDLE,           /* RFC 2177 IDLE until the server tells of a change, then DONE */
} imap_client_step_kind_t;

typedef struct imap_client_step {
    imap_client_step_kind_t kind;
    const char *folder; /* SELECT, CREATE, DELETE_FOLDER, MOVE: UTF-8 ("Σχολή") */
    const char *text;   /* SEARCH_SUBJECT: UTF-8 */
    const char *add;    /* STORE: flags to add, space-separated ("\\Flagged $Work"), or NULL */
    const char *remove; /* STORE: flags to remove, or NULL */
} imap_client_step_t;

typedef struct imap_client_config {
    const char *user; /* the login name; copied */
    const char *password;
} imap_client_config_t;

/* What a session did, for on_done. */
typedef struct imap_client_counts {
    uint32_t found;    /* UIDs the searches found, in all */
    uint32_t fetched;  /* messages handed to on_message */
    uint32_t stored;   /* STORE commands answered OK */
    uint32_t moved;    /* messages moved (or copied, marked and expunged) */
    uint32_t expunged; /* EXPUNGE responses to this client's own EXPUNGE or MOVE */
    uint32_t created;  /* folders created */
    uint32_t deleted;  /* folders deleted */
    uint32_t news;     /* EXISTS, EXPUNGE or FETCH heard while idling */
    uint64_t octets;   /* of the fetched messages */
} imap_client_counts_t;

/* Traces one protocol line: tag ("a3", "*", "+") and the command or response name. */
typedef void (*imap_client_line_fn)(void *ctx, line_dir_t dir, const char *tag, const char *word,
                                    const char *line);

/* Hooks must not free the engine. Every hook may be NULL. */
typedef struct imap_client_hooks {
    void *ctx; /* handed back to every hook */
    /*
     * One fetched message: its folder (UTF-8, as queued), UID and bytes (as
     * the server holds them, CRLF line ends), borrowed for the call.
     */
    void (*on_message)(void *ctx, const char *folder, uint32_t uid, const uint8_t *data,
                       size_t len);
    /*
     * Once, at the end: ok, or the first thing that went wrong in words,
     * borrowed for the call. The counts say how far the session got.
     */
    void (*on_done)(void *ctx, bool ok, const char *error, const imap_client_counts_t *counts);
    /*
     * Client lines: one call per command, a literal's bytes shown only as
     * its "{n}" marker. Server lines: one call per response, literals
     * likewise, with the tag and the status or response name ("OK",
     * "EXISTS", "FETCH"; NULL for "+").
     */
    imap_client_line_fn on_line;
    /* Every state change, for tracing; may be NULL. */
    void (*on_state)(void *ctx, imap_client_state_t from, imap_client_state_t to);
} imap_client_hooks_t;

typedef struct imap_client imap_client_t;

/* Copies cfg and hooks; imap_client_free releases (without calling any hook). */
imap_client_t *imap_client_new(const imap_client_config_t *cfg, const imap_client_hooks_t *hooks);
void imap_client_free(imap_client_t *c);

/*
 * Queues a step (copied). false and a message when it cannot be sent: a
 * folder that is not valid UTF-8, a flag that is neither "\System" nor a
 * keyword atom, a line break anywhere. Steps may be queued before the first
 * byte is fed or while earlier ones run.
 */
bool imap_client_add(imap_client_t *c, const imap_client_step_t *step, char *err, size_t errlen);

/* Handles the bytes the server sent and appends what to send next. */
void imap_client_feed(imap_client_t *c, const uint8_t *data, size_t len, buf_t *out);
/*
 * Ends an IDLE that is waiting for news (the node's timer: RFC 2177 3 asks
 * a client to leave IDLE within 29 minutes): sends DONE. Otherwise nothing.
 */
void imap_client_idle_done(imap_client_t *c, buf_t *out);
/* The connection broke: the session ends with an error. Nothing is sent. */
void imap_client_connection_lost(imap_client_t *c);

/* True once the session is over; the node may close the connection. */
bool imap_client_done(const imap_client_t *c);
/* True while an IDLE waits for news. */
bool imap_client_idling(const imap_client_t *c);
imap_client_state_t imap_client_state(const imap_client_t *c);
const char *imap_client_state_name(imap_client_state_t st);
const imap_client_counts_t *imap_client_counts(const imap_client_t *c);

#endif
