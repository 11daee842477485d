/*
 * agent: a user agent (Alice's or Roberto's mail client) on its own host. It
 * composes a message (To, Cc, Bcc, Subject, text, attachments, UTF-8),
 * submits it to its server on the submission port with AUTH, and records
 * the outcome. With a "via" it speaks to any server's port straight,
 * without logging in: the spoofing and open-relay labs.
 */
#ifndef MAILSIM_NODE_AGENT_H
#define MAILSIM_NODE_AGENT_H

#include "node/world.h"

typedef struct agent_attachment {
    const char *name;
    const char *type; /* "image/jpeg" */
    const char *text; /* content, or NULL to generate size bytes */
    uint64_t size;
} agent_attachment_t;

typedef struct agent_header {
    const char *name;
    const char *value;
} agent_header_t;

/* A message to compose and send; everything is copied. */
typedef struct agent_send {
    const char *id;   /* the label expectations use; NULL: the Message-ID */
    const char *from; /* the From address; NULL: the agent's user */
    const char *const *to;
    size_t nto;
    const char *const *cc;
    size_t ncc;
    const char *const *bcc;
    size_t nbcc;
    const char *subject;
    const char *body;
    const agent_attachment_t *attachments;
    size_t nattachments;
    const agent_header_t *headers;
    size_t nheaders;
    const char *via_host; /* NULL: the agent's server, submission port, AUTH */
    uint16_t via_port;
} agent_send_t;

/* How a send ended, per recipient. */
typedef struct agent_outcome {
    const char *id;
    const char *recipient;
    int code; /* the server's reply (or a made-up 4xx when the connection failed) */
    /* The reply as one line (at most 255 octets), kept by the agent: a run
     * keeps every outcome, so each keeps only the octets it has. */
    const char *text;
} agent_outcome_t;

typedef void (*agent_outcome_fn)(user_agent_t *a, void *ctx);

const char *agent_host_name(const user_agent_t *a);
host_t *agent_host(const user_agent_t *a);
const char *agent_user(const user_agent_t *a);
mail_server_t *agent_server(const user_agent_t *a);

/* Composes and submits now. false and a message when it cannot even start. */
bool agent_send(user_agent_t *a, const agent_send_t *m, char *err, size_t errlen);
/*
 * A hand-typed session: connects from the agent's host to server_host:port
 * and sends each line (without CRLF) once the reply to the previous one is
 * complete, then closes. The server traces the dialogue.
 */
bool agent_session(user_agent_t *a, const char *server_host, uint16_t port,
                   const char *const *lines, size_t nlines, char *err, size_t errlen);

/*
 * Reads new mail with POP3 (the lecture's step 6): retrieves the new messages
 * into the agent's own store and deletes them on the server, or with keep
 * leaves them there and fetches only what it has not fetched before.
 */
bool agent_fetch(user_agent_t *a, bool keep, char *err, size_t errlen);
/*
 * Work on the mailbox over IMAP (RFC 3501), in one session: log in, run the
 * operations in order, log out. The mail stays on the server: a fetch
 * copies the messages of a folder that are not \Seen yet into the agent's
 * own store (a folder of the same name) and the server marks them \Seen.
 * Operations by subject work on the INBOX messages whose subject contains
 * the text (IMAP SEARCH SUBJECT: case-insensitive, decoded). The first
 * NO or BAD ends the session (user.result says why).
 */
typedef enum agent_imap_kind {
    AGENT_IMAP_FETCH,         /* folder (NULL: INBOX): the new messages into the agent's store */
    AGENT_IMAP_CREATE,        /* folder */
    AGENT_IMAP_DELETE_FOLDER, /* folder, with its messages */
    AGENT_IMAP_MOVE,          /* subject -> folder */
    AGENT_IMAP_FLAG,          /* subject: add, then remove ("\Flagged", "$Work") */
    AGENT_IMAP_DELETE,        /* subject: \Deleted, then expunged */
    AGENT_IMAP_IDLE,          /* folder (NULL: INBOX): wait for news (RFC 2177), at most 10 min */
} agent_imap_kind_t;

typedef struct agent_imap_op {
    agent_imap_kind_t kind;
    const char *folder; /* UTF-8 */
    const char *subject;
    const char *const *add;
    size_t nadd;
    const char *const *remove;
    size_t nremove;
} agent_imap_op_t;

/* Starts the session now; false and a message when it cannot even start. Everything is copied. */
bool agent_imap(user_agent_t *a, const agent_imap_op_t *ops, size_t nops, char *err,
                size_t errlen);
/* Reads new mail of a folder (NULL: INBOX) over IMAP: agent_imap with one AGENT_IMAP_FETCH. */
bool agent_fetch_imap(user_agent_t *a, const char *folder, char *err, size_t errlen);

/* The agent's own store (what it fetched), or NULL before its first fetch. */
store_t *agent_local_store(const user_agent_t *a);

size_t agent_outcome_count(const user_agent_t *a);
const agent_outcome_t *agent_outcome_at(const user_agent_t *a, size_t i);
/*
 * Calls fn(a, ctx) after each outcome the agent records, once agent_outcome_at
 * can read it (fn NULL: no call). For a program that drives agents itself (a
 * bench, a test) and would otherwise poll agent_outcome_count. fn runs inside
 * the simulation's event: it may read the agent, but not send, fetch or free.
 */
void agent_on_outcome(user_agent_t *a, agent_outcome_fn fn, void *ctx);

#endif
