/*
 * imap_server: the IMAP4rev1 server engine (RFC 3501, with IDLE RFC 2177,
 * UIDPLUS RFC 4315, MOVE RFC 6851, LITERAL+ RFC 7888, SASL-IR RFC 4959 and
 * UNSELECT RFC 3691), sans-I/O. The node feeds it the bytes a client sent and
 * it appends the bytes to send back to a buf_t; it never touches a socket, a
 * timer or the clock. Once a user is logged in it works on that user's
 * folders directly through the store (mail/store.h).
 *
 * One engine serves one connection. Several engines may have one folder
 * selected: each keeps its own view of the folder (the UIDs its sequence
 * numbers stand for and the flags it last reported), and the node calls
 * imap_server_notify() when the store changed, so that an idling session
 * hears of it at once (RFC 2177) and the others at their next command where
 * RFC 3501 5.2 and 7.4.1 allow it.
 *
 * Every complete command in the input is handled in order, and input split
 * at any byte, literals included, gives the same output.
 */
#ifndef MAILSIM_PROTO_IMAP_SERVER_H
#define MAILSIM_PROTO_IMAP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"
#include "mail/store.h"
#include "proto/line.h"

/* The longest command line, CRLF included; literals are counted apart. */
#define IMAP_LINE_MAX (64 * 1024)
/* The largest literal, and the largest command with all its literals. */
#define IMAP_DEFAULT_LITERAL_MAX ((uint64_t)50 * 1000 * 1000)
/* The longest tag answered with it; longer tags get an untagged BAD. */
#define IMAP_TAG_MAX 64
/* RFC 3501 5.4: the autologout timer is at least 30 minutes. */
#define IMAP_SERVER_IDLE_TIMEOUT (30 * SIM_MIN)

/* Capabilities beyond IMAP4rev1 and AUTH=PLAIN, which are always offered. */
enum {
    IMAP_CAP_IDLE = 1u << 0,         /* RFC 2177 */
    IMAP_CAP_UIDPLUS = 1u << 1,      /* RFC 4315: APPENDUID, COPYUID, UID EXPUNGE */
    IMAP_CAP_MOVE = 1u << 2,         /* RFC 6851 */
    IMAP_CAP_LITERAL_PLUS = 1u << 3, /* RFC 7888: {n+} needs no continuation */
    IMAP_CAP_SASL_IR = 1u << 4,      /* RFC 4959: AUTHENTICATE with an initial response */
    IMAP_CAP_UNSELECT = 1u << 5,     /* RFC 3691 */
};
#define IMAP_CAP_DEFAULT 0x3fu

#define IMAP_SERVER_STATES(X)                                                                      \
    X(NEW, "new")                             /* not started: no greeting yet */                   \
    X(NOT_AUTHENTICATED, "not-authenticated") /* RFC 3501 3.1 */                                   \
    X(AUTHENTICATING, "authenticating")       /* "+ " sent for AUTHENTICATE PLAIN */               \
    X(AUTHENTICATED, "authenticated")         /* RFC 3501 3.2: logged in, no folder */             \
    X(SELECTED, "selected")                   /* RFC 3501 3.3: a folder is selected */             \
    X(IDLE, "idle")                           /* RFC 2177: "+ idling" sent, waiting for DONE */    \
    X(LOGOUT, "logout")                       /* RFC 3501 3.4: BYE sent, input is ignored */

typedef enum imap_server_state {
#define X(id, name) IMAP_SERVER_##id,
    IMAP_SERVER_STATES(X)
#undef X
} imap_server_state_t;

typedef struct imap_server_config {
    const char *hostname;  /* in the BYE at logout; copied */
    unsigned capabilities; /* IMAP_CAP_* offered */
    uint64_t max_literal;  /* the largest literal (and command) taken; 0: the default */
} imap_server_config_t;

/* hostname "localhost", IMAP_CAP_DEFAULT, IMAP_DEFAULT_LITERAL_MAX. */
void imap_server_config_default(imap_server_config_t *cfg);

/*
 * Traces one protocol line. Client lines: tag and command name ("FETCH",
 * "UID FETCH"; NULL when unreadable), the line as sent; a literal's data is
 * not in it, only its "{n}" marker. Server lines: tag "*", "+" or the
 * command's tag, and the status or response name ("OK", "BAD", "EXISTS",
 * "FETCH"...); a literal in a response is shown as its "{n}" marker too.
 */
typedef void (*imap_line_fn)(void *ctx, line_dir_t dir, const char *tag, const char *word,
                             const char *line);

/*
 * The narrow interface to the mail server. Every hook may be NULL: then
 * nobody can log in, the time is 0 and nothing is traced. Strings are
 * borrowed for the call. Hooks must not free the engine.
 */
typedef struct imap_server_hooks {
    void *ctx; /* handed back to every hook */
    /* The user whose password this is (LOGIN, AUTHENTICATE PLAIN), or NULL. */
    store_user_t *(*authenticate)(void *ctx, const char *user, const char *password);
    /* The virtual time now: APPEND's internal date when the client gives none. */
    sim_time_t (*now)(void *ctx);
    imap_line_fn on_line;
    /* Every state change, for tracing; may be NULL. */
    void (*on_state)(void *ctx, imap_server_state_t from, imap_server_state_t to);
} imap_server_hooks_t;

typedef struct imap_server imap_server_t;

/* Copies cfg and hooks; imap_server_free releases. */
imap_server_t *imap_server_new(const imap_server_config_t *cfg, const imap_server_hooks_t *hooks);
void imap_server_free(imap_server_t *s);

/* Appends the greeting "* OK [CAPABILITY ...] mailsim IMAP4rev1 ready". Call once, first. */
void imap_server_start(imap_server_t *s, buf_t *out);
/* Handles the bytes a client sent and appends every response they call for. */
void imap_server_feed(imap_server_t *s, const uint8_t *data, size_t len, buf_t *out);
/*
 * The store changed (the node calls it from its store observer for the
 * sessions of the user concerned; calling it too often is harmless). An
 * idling session is told at once (EXISTS, EXPUNGE, FETCH FLAGS); the others
 * hold what they learn until a command allows it.
 */
void imap_server_notify(imap_server_t *s, buf_t *out);
/* IMAP_SERVER_IDLE_TIMEOUT of silence (the node keeps time): BYE, then closed. */
void imap_server_timeout(imap_server_t *s, buf_t *out);
/* The node is going down: BYE, then closed (RFC 3501 7.1.5). */
void imap_server_shutdown(imap_server_t *s, buf_t *out);

/* True once the engine has said its last word (BYE): the node closes. */
bool imap_server_wants_close(const imap_server_t *s);
imap_server_state_t imap_server_state(const imap_server_t *s);
const char *imap_server_state_name(imap_server_state_t st);
/* The logged-in user, or NULL. */
store_user_t *imap_server_user(const imap_server_t *s);
/* The selected folder, or NULL (the node's observer may filter on it). */
store_folder_t *imap_server_selected(const imap_server_t *s);

#endif
