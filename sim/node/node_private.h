/*
 * node_private: the structures the files of sim/node share. Nothing outside
 * sim/node includes this; the public API is world.h, server.h and agent.h.
 */
#ifndef MAILSIM_NODE_PRIVATE_H
#define MAILSIM_NODE_PRIVATE_H

#include "core/buf.h"
#include "core/namemap.h"
#include "core/strpool.h"
#include "mail/message.h"
#include "node/accounting.h"
#include "node/agent.h"
#include "node/server.h"
#include "node/watchdog.h"
#include "node/world.h"
#include "proto/smtp_client.h"
#include "proto/smtp_server.h"

/*
 * A client gives up on a server that has said nothing for this long; RFC
 * 5321 4.5.3.2 asks for at least 5 minutes per step and 10 for the end of
 * DATA, so one 10-minute limit covers every step.
 */
#define CLIENT_SILENCE_TIMEOUT (10 * SIM_MIN)

/* A message as one server holds it: its bytes (with this hop's trace fields) and envelope. */
typedef struct mail_msg {
    int refs;
    char *label;        /* send id or Message-ID: what expectations name; in the message's block */
    char *reverse_path; /* "" for the null sender; in the message's block */
    buf_t data;         /* RFC 5322, CRLF line ends; borrowed from body when there is one */
    uint64_t acceptance; /* the accounting's id of the server's final 250 */
    /*
     * NULL, or the bytes data points into: the Return-Path field of final
     * delivery (body_head octets) and then data, ready for every local
     * mailbox to share (store_deliver_body).
     */
    store_body_t *body;
    size_t body_head;
    /*
     * On its taker's stack, label and reverse path the taker's too
     * (mail_msg_borrow_body): never referenced past the call it is given
     * to; server_take_message queues a copy of it.
     */
    bool borrowed;
} mail_msg_t;

mail_msg_t *mail_msg_new(const char *label, const char *reverse_path, const uint8_t *data,
                         size_t len);
/* A message of head then data in one piece (a trace field and the message it stamps). */
mail_msg_t *mail_msg_new_parts(const char *label, const char *reverse_path, const uint8_t *head,
                               size_t head_len, const uint8_t *data, size_t len);
/*
 * A message whose data is body's after its first head octets, which hold
 * the Return-Path field of reverse_path (server_return_path_field). Takes
 * over the caller's reference to body.
 */
mail_msg_t *mail_msg_new_body(const char *label, const char *reverse_path, store_body_t *body,
                              size_t head);
/*
 * Fills m as mail_msg_new_body would make it, without an allocation: label
 * and reverse_path are borrowed, body's reference taken over. Marked
 * borrowed: nobody keeps a reference to m; mail_msg_unref(m) drops body.
 */
void mail_msg_borrow_body(mail_msg_t *m, const char *label, const char *reverse_path,
                          store_body_t *body, size_t head);
mail_msg_t *mail_msg_ref(mail_msg_t *m);
void mail_msg_unref(mail_msg_t *m);

typedef enum rcpt_state { RCPT_PENDING, RCPT_IN_FLIGHT, RCPT_DONE } rcpt_state_t;

typedef struct queue_rcpt {
    char *address;
    rcpt_state_t state;
    size_t record; /* accounting record */
    int last_code;
    char last_text[200];
} queue_rcpt_t;

/* One message for one destination domain, waiting in a server's queue. */
typedef struct queue_entry {
    uint64_t id;
    mail_server_t *server;
    mail_msg_t *msg;
    char *domain;
    queue_rcpt_t *rcpts;
    size_t nrcpts;
    unsigned attempts;
    sim_time_t enqueued_at;
    sim_time_t next_attempt;
    bool in_flight;
    bool warned;
    int last_code;
    char last_error[200];
    sched_id_t timer;
    size_t *handed; /* the client's recipient i is rcpts[handed[i]] (this attempt's) */
    size_t nhanded;
} queue_entry_t;

typedef struct outbound outbound_t;
typedef struct service_conn service_conn_t;

/*
 * A recipient address the store has found, and its user: kept, since users
 * and domains are never removed, so the same address finds the same user
 * for as long as the server lives. One slot an address, by a cheap hash.
 */
#define SERVER_RCPT_MEMO 16     /* slots, a power of two */
#define SERVER_RCPT_MEMO_LEN 64 /* the longest address kept, its NUL included */

typedef struct rcpt_memo {
    store_user_t *user; /* NULL: an empty slot */
    size_t len;
    char address[SERVER_RCPT_MEMO_LEN];
} rcpt_memo_t;

/*
 * What every Received field a server writes for one protocol holds between
 * the client's address and the queue id: "])" CRLF " by HOST with PROTO id ".
 * Made the first time, for the by_host and protocol strings it names (by
 * pointer: the server's name and literals, which never change).
 */
typedef struct received_middle {
    const char *by_host, *protocol; /* NULL: not made yet */
    bool usable;                    /* false: a '<' or ';' in them moves a line break */
    size_t len;
    char *text; /* owned */
} received_middle_t;

struct mail_server {
    world_t *world;
    server_config_t cfg; /* strings point into the fields below */
    char *host_name;
    char **domains;
    host_t *host;
    store_t *store;
    queue_entry_t **queue;
    size_t nqueue, queue_cap;
    outbound_t *outbound;      /* live deliveries, linked */
    void *listeners[4];        /* SMTP, submission, POP3, IMAP */
    size_t nlisteners;
    uint64_t next_queue_id;
    /* The date of the last Received field this server wrote: most share their second. */
    message_date_memo_t received_date;
    /* The middles of its Received fields, one a protocol (smtp_service_write_received). */
    received_middle_t received_middle[2];
    /* Every recipient is looked up when RCPT names it and again when it is delivered. */
    rcpt_memo_t rcpt_memo[SERVER_RCPT_MEMO];
    /* The replies its SMTP engines make once and share (smtp_service.c):
     * port 25's, then the submission port's; NULL before the first. */
    struct smtp_server_replies *smtp_replies[2];
};

struct world {
    sim_t *sim;
    net_t *net;
    dns_t *dns;
    accounting_t *acct;
    mail_server_t **servers;
    size_t nservers, servers_cap;
    namemap_t server_hosts; /* each server's host name (any case): its index in servers */
    user_agent_t **agents;
    size_t nagents, agents_cap;
    namemap_t agent_hosts; /* each agent's host name (any case): its index in agents */
    namemap_t agent_users; /* each user's address (any case): the index of its first agent */
    /* Message-ID -> label, so every hop names a message by its send id. */
    const char **label_ids, **label_names; /* in label_strings */
    strpool_t label_strings;
    size_t nlabels, labels_cap;
    size_t *label_slots; /* hash index into the two arrays, + 1 (0: empty) */
    size_t label_slots_cap;
    uint64_t message_counter;
    world_stats_t stats;
    /* The text part of the last plain message an agent wrote: agents often send the same text. */
    message_text_memo_t text_memo;
    message_date_memo_t date_memo; /* its Date: most messages share their second with another */
    message_field_memo_t subject_memo; /* its Subject: agents often send with the same one */
    smtp_client_memo_t *client_memo; /* the replies the agents' engines share (agent.c), or NULL */
};

/* smtp_service.c */
/*
 * Appends the Received field message_write_received writes for r to out,
 * the same bytes: put together from the server's middle for r's by_host and
 * protocol when nothing in the client's strings moves a line break, written
 * by message_write_received otherwise. r->date must be set; date_len is its
 * length.
 */
void smtp_service_write_received(mail_server_t *s, const message_received_t *r, size_t date_len,
                                 buf_t *out);

/* world.c */
const char *world_label_for(const world_t *w, const char *message_id);
void world_register_label(world_t *w, const char *message_id, const char *label);
void node_emit(world_t *w, trace_event_t *ev);
/* The domain part of an address ("" when none); points into address. */
const char *address_domain(const char *address);

/* "550 5.1.1 text" on one line, cut to fit out. */
void reply_format(const smtp_reply_t *reply, char *out, size_t size);

/* Something an agent has in progress (a submission, a fetch, a typed session). */
typedef struct agent_task agent_task_t;
struct agent_task {
    agent_task_t *next;
    agent_task_t **pprev;
    void (*dispose)(agent_task_t *t); /* frees it without touching its connection */
};

struct user_agent {
    world_t *world;
    host_t *host;
    char *host_name;
    char *user;
    char *password;
    mail_server_t *server;
    agent_outcome_t *outcomes;
    size_t noutcomes, outcomes_cap;
    strpool_t labels; /* the outcomes' ids, recipients and texts */
    const char *last_recipient; /* in labels: the last outcome's, which the next one often is */
    agent_outcome_fn on_outcome; /* agent_on_outcome's */
    void *on_outcome_ctx;
    /* What a submission's engine writes; sent at once, so empty between events. */
    buf_t out;
    /* What a finished submission leaves for the next: its engine, message buffer and memory. */
    smtp_client_t *spare_client;
    buf_t spare_message;
    void *spare_submission; /* a submission's block, of the size it records */
    message_field_memo_t from_memo; /* the From field of the last message it wrote */
    message_field_memo_t to_memo;   /* its To, when of one value: a user writes to the same one */
    agent_task_t *tasks;
    store_t *local;    /* the agent's own store: what it fetched */
    char **seen_uidls; /* POP3 keep: what was fetched before */
    size_t nseen;
};

/*
 * A client session of an agent (agent_conn.c): the task, the connection, the
 * bytes to send and the silence watchdog. A session's struct begins with it.
 */
typedef struct agent_conn agent_conn_t;
typedef struct agent_conn_ops {
    void (*feed)(agent_conn_t *ac, const uint8_t *data, size_t len, buf_t *out);
    bool (*done)(const agent_conn_t *ac); /* the engine has finished: close */
    void (*lost)(agent_conn_t *ac);       /* the session ended: report what is unanswered */
    /* The server went quiet; true when the session handled it. NULL: the session ends. */
    bool (*silence)(agent_conn_t *ac);
    void (*free)(agent_conn_t *ac); /* frees the engine and the session's struct */
} agent_conn_ops_t;
struct agent_conn {
    agent_task_t task; /* first: the agent's list of what is in progress */
    user_agent_t *agent;
    const agent_conn_ops_t *ops;
    tcp_conn_t *conn;
    buf_t out;
    watchdog_t silence;
};
/* Connects from the agent's host to to:port; the session is the agent's task from now on. */
void agent_conn_open(agent_conn_t *ac, user_agent_t *a, const agent_conn_ops_t *ops, host_t *to,
                     uint16_t port);
void agent_conn_flush(agent_conn_t *ac);
/* (Re)starts the silence watchdog. */
void agent_conn_watch(agent_conn_t *ac);
/* Ends the session now: aborts the connection, calls lost, frees. */
void agent_conn_end(agent_conn_t *ac);
/* A user.result event at the agent's host. */
void agent_emit_result(user_agent_t *a, const char *text);

/* agent.c */
world_t *agent_world(const user_agent_t *a);
void agent_task_add(user_agent_t *a, agent_task_t *t, void (*dispose)(agent_task_t *));
void agent_task_remove(agent_task_t *t);
/* agent_fetch.c */
void agent_fetch_free_state(user_agent_t *a);
/* The login name: the part of the address before "@"; the caller frees it. */
char *agent_login_name(const char *address);
/* The agent's user in its own store (made at the first fetch, POP3 or IMAP). */
store_user_t *agent_local_user(user_agent_t *a);

/* server.c */
store_user_t *server_find_recipient(mail_server_t *s, const char *address);
/*
 * The user of an address that server_find_recipient found in the store
 * before (so its domain is hosted here, when it has one), or NULL: no
 * lookup, only the memo.
 */
store_user_t *server_known_recipient(const mail_server_t *s, const char *address);
/* Whether mail for rcpt is delivered here, into a mailbox (else it is queued for another server). */
bool server_keeps(const mail_server_t *s, const char *rcpt);
bool server_relay_allowed(const mail_server_t *s, const char *domain, const char *auth_user);
/*
 * Takes a message the server has accepted (its final 250, or a bounce it
 * made): delivers local recipients, queues the rest (a borrowed message as
 * a copy of its own). Returns the queue id.
 */
uint64_t server_take_message(mail_server_t *s, mail_msg_t *msg, const char *const *rcpts,
                             size_t nrcpts);
/* Room for a queue id and its NUL. */
#define SERVER_QUEUE_ID_MAX 17
/* A queue id as "%08llX" writes it (upper-case hex, at least 8 digits), by hand. Returns out. */
char *server_queue_id_format(uint64_t n, char *out);
/* Local delivery of one recipient; false when it failed (then it was bounced). */
bool server_deliver_local(mail_server_t *s, mail_msg_t *msg, const char *rcpt, size_t record);
/* Recipients server_take_message handles without allocating. */
#define SERVER_RCPTS_SMALL 8
/* The Return-Path field small enough to be written on the stack. */
#define SERVER_RETURN_PATH_SMALL 320
/*
 * The Return-Path field for reverse_path, byte for byte as
 * message_prepend_return_path writes it: into small when it fits there,
 * else appended to big (empty on entry). Returns its length.
 */
size_t server_return_path_field(const char *reverse_path, char *small, size_t small_size, buf_t *big);

/* smtp_service.c, pop3_service.c, imap_service.c */
void smtp_service_listen(mail_server_t *s);
void pop3_service_listen(mail_server_t *s);
void imap_service_listen(mail_server_t *s);
/* The store changed for user: each of the user's IMAP sessions is told, and what it says is sent. */
void imap_service_notify(mail_server_t *s, const store_user_t *user);

/* queue.c */
void queue_add(mail_server_t *s, mail_msg_t *msg, const char *domain, const char *const *rcpts,
               const size_t *records, size_t n);
void queue_kick(mail_server_t *s);
void queue_crash(mail_server_t *s);
void queue_free_all(mail_server_t *s);

/* bounce.c */
typedef struct bounce_rcpt {
    const char *recipient;
    const char *status;     /* "5.1.1" */
    const char *diagnostic; /* the remote server's reply, or the local reason */
    const char *remote_mta; /* NULL when local */
} bounce_rcpt_t;
/* A DSN for failed (or, with delayed, still queued) recipients, sent back to the sender. */
void bounce_send(mail_server_t *s, const mail_msg_t *orig, const bounce_rcpt_t *rcpts, size_t n,
                 bool delayed);

#endif
