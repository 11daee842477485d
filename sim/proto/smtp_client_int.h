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

/*
 * The last address found fit to send (smtp_client_address_ok), as sender or
 * as recipient; the length first, so that a short address shares its line.
 */
typedef struct client_addr_memo {
    size_t len; /* 0: none kept */
    char addr[SMTP_CLIENT_ADDR_KEEP + 1];
} client_addr_memo_t;

/* The longest reply whose reading the engine remembers (shorter than a reply line's most). */
#define SMTP_CLIENT_MEMO_KEEP 1024

/*
 * The last reply read whole out of one piece of input in one state, with
 * what reading it gave: the reply itself, which the hooks get as it is here
 * when the same octets come again (nothing is copied into the engine), and,
 * in EHLO, the keywords' info. A node talks to the same server again and
 * again, and most of its replies are the same octets each time (the
 * greeting, EHLO, 250 to MAIL and RCPT, 354, 221). One allocation: this
 * header, the reply, then the octets.
 */
typedef struct client_reply_kept {
    size_t seen_len;       /* octets of the reply, in bytes[] */
    size_t cap;            /* what bytes[] has room for */
    bool hit;              /* the octets came again since they were kept */
    smtp_ehlo_info_t info; /* what its keyword lines gave (EHLO) */
    /*
     * The reply (asm.reply; its code and enhanced code first, what most
     * hooks read), in an assembler: a one-line reply of the shared memo is
     * read into it where it is kept, not into the engine (read_in_place).
     */
    smtp_reply_asm_t asm;
    uint8_t bytes[];
} client_reply_kept_t;

/* One memo for each state a reply can come in: every state before DONE. */
#define SMTP_CLIENT_MEMOS ((size_t)SMTP_CLIENT_DONE)

struct smtp_client_memo {
    /*
     * > 0 while hooks hold a reply of this memo: nothing is kept in it
     * then, so that the reply they read stays as it is.
     */
    unsigned lent;
    client_reply_kept_t *reply[SMTP_CLIENT_MEMOS]; /* NULL: nothing kept in that state */
};

typedef enum client_rcpt_status {
    CLIENT_RCPT_OPEN,     /* no answer yet */
    CLIENT_RCPT_ACCEPTED, /* 250 to RCPT; waiting for the final reply */
    CLIENT_RCPT_DONE,     /* result reported */
    /*
     * The server took as many recipients as it holds in one transaction
     * (452 4.5.3): this one goes in the next transaction of the same
     * message (RFC 5321 4.5.3.1.10).
     */
    CLIENT_RCPT_LATER,
} client_rcpt_status_t;

/*
 * A message, in one block aligned to a cache line with its arrays and
 * strings after it (msg_copy): its first line is what sending it reads, its
 * second what each reply reads, with the status and order arrays there too
 * (for one recipient).
 */
typedef struct client_msg {
    /* Line 0: what sending it reads. */
    const uint8_t *data; /* the message's own copy, or the node's when borrowed */
    size_t len;
    const uint8_t *tail; /* borrowed: the rest of the message after data, tail_len octets */
    size_t tail_len;
    char *reverse_path;
    size_t path_len;
    char **recipients;
    size_t *recipient_lens; /* strlen of each, for the RCPT lines */
    /* Line 1: what its replies read. */
    client_rcpt_status_t *status; /* right after the struct */
    /* then the indexes of the recipients sent in RCPT, in order (check_addresses) */
    uint32_t *order;
    size_t nrecipients;
    void *ctx;
    struct client_msg *next;
    size_t size;      /* of the one allocation that holds it all (msg_copy) */
    bool eight_bit;   /* an octet >= 128 somewhere */
    bool dot_safe;    /* known to need no dot-stuffing (smtp_client_message_t.known_dot_safe) */
    bool dot_follows; /* the final dot follows the last piece (smtp_client_message_t's) */
} client_msg_t;

/* The most recipients a message may have: the engine counts them in 32 bits. */
#define SMTP_CLIENT_RCPT_MAX UINT32_MAX

/*
 * The engine, laid out for a node with many connections in lockstep, where
 * every engine is cold when its next reply comes: what every reply reads is
 * in the first cache lines (one each for the state, the hooks, the session,
 * the server and the body; then the line reader), the rarely used rest
 * after them, and the reply assembler's 1 KB text last. The copies of
 * the names follow the struct (one allocation).
 */
struct smtp_client {
    /*
     * Line 0: what every feed and every reply reads; 128-aligned, so that
     * line 1 is its pair (CPUs fetch the two together).
     */
    _Alignas(128) smtp_client_state_t state;
    /*
     * The assembler or the reader holds part of a reply (a->started ||
     * line_reader_pending): a feed then reads on rather than look for a kept
     * reply, without reading either of them first.
     */
    bool mid_reply;
    bool finishing; /* no more messages: QUIT when the queue is empty */
    bool lend_body; /* cfg.lend_body */
    /* The transaction of head. */
    bool pipelined; /* MAIL, RCPTs and DATA went in one go */
    bool mail_ok;   /* MAIL got 250: the server holds a transaction */
    bool discard;   /* 354 with no recipient accepted: an empty body went */
    /*
     * Bit s: the engine's own memo is not looked at nor kept in state s (a
     * reply kept there never came again before another replaced it).
     */
    uint16_t own_skip;
    uint32_t naccepted;
    size_t lead_len;            /* the lent body (smtp_client_take_lead): lead_len octets */
    smtp_client_memo_t *shared; /* cfg.shared_memo */
    client_msg_t *head, *tail;  /* head is the message in a transaction, if any */
    uint32_t norder, rcpt_sent, rcpt_replied; /* of head->order */
    bool failed; /* error is set: the session's end reads this line only */
    bool auth;   /* user is set: the EHLO reply reads this line only */
    /* Line 1. */
    _Alignas(64) smtp_client_hooks_t hooks;
    const uint8_t *lead;
    /* Line 2: the session's. */
    _Alignas(64) char *helo_name;
    size_t helo_len;
    char *user, *password;
    char *error;             /* why the session failed, or NULL (failed says which) */
    client_msg_t *spare_msg; /* a finished message's block, for the next message that fits */
    size_t names_room;       /* octets for the names after the struct (one allocation) */
    /* Line 3: the server's and the body's. */
    _Alignas(64) smtp_ehlo_info_t info;
    buf_t wire; /* the stuffed body with its final dot; empty: head's data goes as it is */
    const uint8_t *lead_next; /* then lead_next's lead_next_len octets (or 0) */
    size_t lead_next_len;
    /*
     * Line 4: read only for a reply not whole in one input, of more than one
     * line or a short one (read_in_place).
     */
    _Alignas(64) line_reader_t reader;
    /* What smtp_client_renew keeps from one session to the next, read once a session or less. */
    _Alignas(64) smtp_client_memo_t memo; /* the engine's own */
    /* The last reverse path found fit to send: a node sends as the same sender again and again. */
    _Alignas(64) client_addr_memo_t sender_ok;
    _Alignas(64) client_addr_memo_t rcpt_ok;
    _Alignas(64) smtp_reply_asm_t assembler; /* last: its 1 KB text is not cleared */
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

/* smtp_client_memo.c */
/* An empty memo, and freeing what one holds (not the memo itself). */
void smtp_client_memo_init(smtp_client_memo_t *m);
void smtp_client_memo_release(smtp_client_memo_t *m);
/* The block in *slot, with room for n octets (what it held is gone). */
client_reply_kept_t *smtp_client_kept_block(client_reply_kept_t **slot, size_t n);
/* k holds the reply a has assembled (a may be k's own), read out of
 * bytes[0..n) in the current state. */
void smtp_client_kept_fill(smtp_client_t *c, client_reply_kept_t *k, const smtp_reply_asm_t *a,
                           const uint8_t *bytes, size_t n);
/* Remembers the reply a has assembled out of bytes[0..n) in the engine's
 * own memo, unless hooks hold one of its replies or the state stopped
 * keeping. */
void smtp_client_memo_keep_own(smtp_client_t *c, const smtp_reply_asm_t *a, const uint8_t *bytes,
                               size_t n);
/* Remembers it in the shared memo (unless hooks hold one of it) and the own. */
void smtp_client_memo_keep(smtp_client_t *c, const smtp_reply_asm_t *a, const uint8_t *bytes,
                           size_t n);
/* The memo whose reply for the current state data starts with, that reply
 * in *kept, when nobody traces lines; else NULL. At a reply's start only. */
smtp_client_memo_t *smtp_client_memo_take(smtp_client_t *c, const uint8_t *data, size_t len,
                                          client_reply_kept_t **kept);

#endif
