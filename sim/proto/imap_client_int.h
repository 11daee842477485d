/*
 * imap_client_int: the structure the files of the IMAP client engine share:
 * imap_client.c (life cycle, commands, the queue of steps) and
 * imap_client_resp.c (response framing and the reading of responses).
 */
#ifndef MAILSIM_PROTO_IMAP_CLIENT_INT_H
#define MAILSIM_PROTO_IMAP_CLIENT_INT_H

#include "proto/imap_client.h"
#include "proto/imap_parse.h"

/* Capabilities the client acts on (RFC 3501 7.2.1). */
enum {
    CLIENT_CAP_MOVE = 1u << 0,         /* RFC 6851 */
    CLIENT_CAP_UIDPLUS = 1u << 1,      /* RFC 4315: UID EXPUNGE */
    CLIENT_CAP_LITERAL_PLUS = 1u << 2, /* RFC 7888 */
    CLIENT_CAP_IDLE = 1u << 3,         /* RFC 2177 */
};

/* A queued step with its own copies of the strings. */
typedef struct client_step {
    imap_client_step_kind_t kind;
    char *folder; /* UTF-8 */
    char *wire;   /* folder in modified UTF-7, or NULL */
    char *text;
    char *add, *remove;
} client_step_t;

struct imap_client {
    char *user, *password;
    imap_client_hooks_t hooks;
    imap_client_state_t state;

    /* Reading: one response, its lines joined by CRLF and literals inline. */
    line_reader_t reader;
    buf_t resp;
    buf_t resp_trace; /* the same without the literals' bytes */

    /* Writing: the command being sent; sending stops at each cut for "+". */
    unsigned tag_no;
    char tag[16];
    char verb[32];
    buf_t cmd;
    buf_t cmd_trace;
    size_t cmd_sent;
    size_t *cuts;
    size_t ncuts, cap_cuts, next_cut;

    unsigned caps;
    bool caps_known;

    client_step_t *steps;
    size_t nsteps, cap_steps, next_step;
    client_step_t *cur; /* the step running, or NULL */
    unsigned phase;     /* STORE: add then remove; MOVE without MOVE: copy, mark, expunge */
    uint32_t *sel;      /* the selection: UIDs the last SEARCH found */
    size_t nsel, cap_sel;
    char *selected;            /* the folder selected (UTF-8), or NULL */
    bool idling;               /* IDLE answered "+" */
    bool done_sent;            /* DONE sent */
    uint32_t news_before_idle; /* counts.news when IDLE was sent */

    imap_client_counts_t counts;
    char *error; /* the first thing that went wrong, or NULL */
};

/* imap_client.c, for the response reader */
void client_note_error(imap_client_t *c, const char *fmt, ...) MS_PRINTF(2, 3);
/* The session cannot go on: note why, then LOGOUT (or end, before a greeting). */
void client_fail(imap_client_t *c, buf_t *out, const char *fmt, ...) MS_PRINTF(3, 4);
void client_end_session(imap_client_t *c);
void client_on_greeting(imap_client_t *c, const char *status, buf_t *out);
void client_on_tagged(imap_client_t *c, const char *status, const char *text, buf_t *out);
void client_on_continuation(imap_client_t *c, buf_t *out);
void client_on_news(imap_client_t *c, buf_t *out);
void client_set_caps(imap_client_t *c, const char *list, size_t len);
void client_add_uid(imap_client_t *c, uint32_t uid);

/* imap_client_resp.c */
void client_handle_response(imap_client_t *c, buf_t *out);

#endif
