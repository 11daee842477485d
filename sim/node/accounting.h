/*
 * accounting: RFC 5321 6.1 made checkable. Every recipient of every message a
 * server accepted (its final 250) is a record; the record follows the copy
 * into a mailbox, a queue, a connection in flight, the next server, or a
 * bounce. accounting_check walks the queues and mailboxes and says where a
 * record and the world disagree: a message lost.
 */
#ifndef MAILSIM_NODE_ACCOUNTING_H
#define MAILSIM_NODE_ACCOUNTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct world world_t;
typedef struct mail_server mail_server_t;
typedef struct accounting accounting_t;

typedef enum acct_state {
    ACCT_ACCEPTED, /* accepted, not yet placed: only ever seen inside one call */
    ACCT_QUEUED,
    ACCT_IN_FLIGHT,
    ACCT_MAILBOX,
    ACCT_RELAYED,   /* the next server gave its final 250 */
    ACCT_BOUNCED,   /* failed, and a bounce went to the sender */
    ACCT_DISCARDED, /* failed with the null sender: never bounced (RFC 5321 4.5.5) */
    ACCT_REMOVED,   /* was in a mailbox; its owner deleted or moved it */
} acct_state_t;

accounting_t *accounting_new(void);
void accounting_free(accounting_t *a);

/* A server's final 250: a new acceptance id. */
uint64_t accounting_accept(accounting_t *a, mail_server_t *server);
/* One record per recipient of an acceptance; returns its index. */
size_t accounting_record(accounting_t *a, uint64_t acceptance, const char *recipient);
void accounting_set(accounting_t *a, size_t record, acct_state_t state);
/* A mailbox copy: the user and UID let the check find it. */
void accounting_set_mailbox(accounting_t *a, size_t record, const char *user, uint32_t uid);
/* The store removed a message (POP3 delete, IMAP expunge or move). */
void accounting_mailbox_removed(accounting_t *a, mail_server_t *server, const char *user,
                                uint32_t uid);
acct_state_t accounting_state(const accounting_t *a, size_t record);
size_t accounting_count(const accounting_t *a);
uint64_t accounting_acceptances(const accounting_t *a);

/* True when every record is where it says; else a description of each violation in out. */
bool accounting_check(const accounting_t *a, const world_t *w, buf_t *out);

const char *acct_state_name(acct_state_t s);

#endif
