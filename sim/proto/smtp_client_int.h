/*
 * smtp_client_int: what the client engine's two files share and nothing else
 * sees: the engine's struct, its message queue, the state setter, and the
 * calls between the session part (smtp_client.c) and the transaction part
 * (smtp_client_txn.c).
 */
#ifndef MAILSIM_PROTO_SMTP_CLIENT_INT_H
#define MAILSIM_PROTO_SMTP_CLIENT_INT_H

#include <string.h>

#include "proto/line.h"
#include "proto/smtp_client.h"

/* The longest address whose check the engine remembers (RFC 5321 4.5.3.1.3: a path's most). */
#define SMTP_CLIENT_ADDR_KEEP 256

/* The last address found fit to send (smtp_client_address_ok), as sender or as recipient. */
typedef struct client_addr_memo {
    char addr[SMTP_CLIENT_ADDR_KEEP + 1];
    size_t len; /* 0: none kept */
} client_addr_memo_t;

/* The longest reply whose reading the engine remembers (shorter than a reply line's most). */
#define SMTP_CLIENT_MEMO_KEEP 1024

/*
 * The last reply read whole out of one piece of input in one state, with
 * what reading it gave: the assembled reply and, in EHLO, the keywords'
 * info. A node talks to the same server again and again, and most of its
 * replies are the same octets each time (the greeting, EHLO, 250 to MAIL
 * and RCPT, 354, 221).
 */
typedef struct client_reply_memo {
    buf_t bytes;           /* the reply's octets (CRLFs included), then its assembled text */
    size_t seen_len;       /* octets of the reply in bytes; 0: nothing kept */
    smtp_ehlo_info_t info; /* what its keyword lines gave (EHLO) */
    int code;
    char enhanced[SMTP_ENHANCED_MAX];
    size_t enhanced_len, lines;
} client_reply_memo_t;

/* One memo for each state a reply can come in: every state before DONE. */
#define SMTP_CLIENT_MEMOS ((size_t)SMTP_CLIENT_DONE)

struct smtp_client_memo {
    client_reply_memo_t reply[SMTP_CLIENT_MEMOS];
};

typedef enum client_rcpt_status {
    CLIENT_RCPT_OPEN,     /* no answer yet */
    CLIENT_RCPT_ACCEPTED, /* 250 to RCPT; waiting for the final reply */
    CLIENT_RCPT_DONE,     /* result reported */
} client_rcpt_status_t;

typedef struct client_msg {
    void *ctx;
    char *reverse_path;
    size_t path_len;
    char **recipients;
    size_t *recipient_lens; /* strlen of each, for the RCPT lines */
    client_rcpt_status_t *status;
    size_t nrecipients;
    const uint8_t *data; /* the message's own copy, or the node's when borrowed */
    size_t len;
    const uint8_t *tail; /* borrowed: the rest of the message after data, tail_len octets */
    size_t tail_len;
    bool eight_bit; /* an octet >= 128 somewhere */
    bool dot_safe;  /* known to need no dot-stuffing (smtp_client_message_t.known_dot_safe) */
    bool dot_follows; /* the final dot follows the last piece (smtp_client_message_t's) */
    size_t size;    /* of the one allocation that holds it all (msg_copy) */
    struct client_msg *next;
} client_msg_t;

struct smtp_client {
    /* What smtp_client_renew keeps from one session to the next: memory. */
    size_t names_room; /* octets for the names after the struct (one allocation) */
    line_reader_t reader;
    buf_t wire;    /* the stuffed body with its final dot; empty: head's data goes as it is */
    size_t *order; /* indexes of the recipients sent in RCPT, in order */
    size_t order_cap;
    client_msg_t *spare_msg; /* a finished message's block, for the next message that fits */
    /* The last reverse path found fit to send: a node sends as the same sender again and again. */
    client_addr_memo_t sender_ok, rcpt_ok;
    smtp_client_memo_t memo; /* the engine's own */
    /* The session; session_start sets every field from here on. */
    smtp_client_memo_t *shared; /* cfg.shared_memo */
    char *helo_name;
    size_t helo_len;
    char *user, *password;
    smtp_client_hooks_t hooks;
    smtp_client_state_t state;
    smtp_ehlo_info_t info;
    bool finishing;            /* no more messages: QUIT when the queue is empty */
    bool lend_body;            /* cfg.lend_body */
    /* the lent body (smtp_client_take_lead): lead_len octets, then lead_next's (or 0) */
    const uint8_t *lead, *lead_next;
    size_t lead_len, lead_next_len;
    char *error;               /* why the session failed, or NULL */
    client_msg_t *head, *tail; /* head is the message in a transaction, if any */
    /* The transaction of head. */
    bool pipelined; /* MAIL, RCPTs and DATA went in one go */
    bool mail_ok;   /* MAIL got 250: the server holds a transaction */
    bool discard;   /* 354 with no recipient accepted: an empty body went */
    size_t norder;
    size_t rcpt_sent, rcpt_replied, naccepted;
    smtp_reply_asm_t assembler; /* last: its 1 KB text is not cleared */
};

/* The only way to change state. */
void smtp_client_set_state(smtp_client_t *c, smtp_client_state_t to);
/*
 * Sends one command line, head then arg then tail (each of the lengths
 * given; arg and tail may be NULL when their length is 0), with its CRLF, and
 * traces it with its verb. No printf: every transaction sends several.
 */
void smtp_client_send_parts(smtp_client_t *c, buf_t *out, const char *verb, const char *head,
                            size_t head_len, const char *arg, size_t arg_len, const char *tail,
                            size_t tail_len);
/* smtp_client_send_parts of C strings: inlined, the lengths of literals cost nothing. */
static inline void smtp_client_send(smtp_client_t *c, buf_t *out, const char *verb,
                                    const char *head, const char *arg, const char *tail)
{
    smtp_client_send_parts(c, out, verb, head, strlen(head), arg, arg ? strlen(arg) : 0, tail,
                           tail ? strlen(tail) : 0);
}
/* Reports one recipient once; later reports of it are ignored. */
void smtp_client_report(smtp_client_t *c, client_msg_t *m, size_t i, const smtp_reply_t *r,
                        bool from_server);
/* Pops the head message (all its recipients reported) and tells the node. */
void smtp_client_message_done(smtp_client_t *c);
/* No transaction: starts the next message, or QUITs when finishing, or waits. */
void smtp_client_go_ready(smtp_client_t *c, buf_t *out);
/* The session cannot go on: every open message fails with r; QUIT when asked. */
void smtp_client_fail(smtp_client_t *c, const smtp_reply_t *r, bool from_server, const char *error,
                      bool quit, buf_t *out);

/* smtp_client_txn.c: starts the head message; false when it failed locally (popped). */
bool smtp_client_txn_start(smtp_client_t *c, buf_t *out);
/* A reply in one of the MAIL, RCPT, DATA, BODY, RSET states. */
void smtp_client_txn_reply(smtp_client_t *c, const smtp_reply_t *r, buf_t *out);

#endif
