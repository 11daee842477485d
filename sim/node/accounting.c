/*
 * accounting: one record per accepted recipient, and a check that walks the
 * real queues and mailboxes to confirm each record.
 */
#include "node/accounting.h"

#include <stdlib.h>
#include <string.h>

#include "core/strpool.h"
#include "core/util.h"
#include "node/node_private.h"

typedef struct acct_record {
    uint64_t acceptance;
    mail_server_t *server;
    const char *recipient; /* in names */
    const char *user;      /* in names; NULL until a mailbox holds it */
    uint32_t uid;
    acct_state_t state;
} acct_record_t;

struct accounting {
    acct_record_t *recs;
    size_t n, cap;
    mail_server_t **acceptors; /* index: acceptance id - 1 */
    size_t nacc, acc_cap;
    /* the records' strings: kept as long as the records, so no malloc of their own */
    strpool_t names;
};

static const char *const state_names[] = {
    "accepted", "queued", "in flight", "in a mailbox", "relayed", "bounced", "discarded",
    "removed by its owner",
};

const char *acct_state_name(acct_state_t s)
{
    return (unsigned)s < ARRAY_LEN(state_names) ? state_names[s] : "unknown";
}

accounting_t *accounting_new(void)
{
    return xcalloc(1, sizeof(accounting_t));
}

void accounting_free(accounting_t *a)
{
    if (!a)
        return;
    strpool_free(&a->names);
    free(a->recs);
    free(a->acceptors);
    free(a);
}

uint64_t accounting_accept(accounting_t *a, mail_server_t *server)
{
    if (a->nacc == a->acc_cap) {
        a->acc_cap = a->acc_cap ? a->acc_cap * 2 : 64;
        a->acceptors = xrealloc(a->acceptors, a->acc_cap * sizeof *a->acceptors);
    }
    a->acceptors[a->nacc++] = server;
    return a->nacc;
}

size_t accounting_record(accounting_t *a, uint64_t acceptance, const char *recipient)
{
    if (acceptance == 0 || acceptance > a->nacc)
        panic("accounting_record: unknown acceptance %llu", (unsigned long long)acceptance);
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->recs = xrealloc(a->recs, a->cap * sizeof *a->recs);
    }
    acct_record_t *r = &a->recs[a->n];
    memset(r, 0, sizeof *r);
    r->acceptance = acceptance;
    r->server = a->acceptors[acceptance - 1];
    r->recipient = strpool_add_str(&a->names, recipient);
    r->state = ACCT_ACCEPTED;
    return a->n++;
}

void accounting_set(accounting_t *a, size_t record, acct_state_t state)
{
    if (record >= a->n)
        panic("accounting_set: no record %zu", record);
    a->recs[record].state = state;
}

void accounting_set_mailbox(accounting_t *a, size_t record, const char *user, uint32_t uid)
{
    accounting_set(a, record, ACCT_MAILBOX);
    a->recs[record].user = strpool_add_str(&a->names, user);
    a->recs[record].uid = uid;
}

void accounting_mailbox_removed(accounting_t *a, mail_server_t *server, const char *user,
                                uint32_t uid)
{
    for (size_t i = a->n; i-- > 0;) {
        acct_record_t *r = &a->recs[i];
        if (r->state == ACCT_MAILBOX && r->server == server && r->uid == uid &&
            str_casecmp(r->user, user) == 0) {
            r->state = ACCT_REMOVED;
            return;
        }
    }
}

acct_state_t accounting_state(const accounting_t *a, size_t record)
{
    return a->recs[record].state;
}

size_t accounting_count(const accounting_t *a)
{
    return a->n;
}

uint64_t accounting_acceptances(const accounting_t *a)
{
    return a->nacc;
}

/* Marks, per record, whether a queue holds it, and checks each queue row has a record. */
static bool check_queues(const accounting_t *a, const world_t *w, uint8_t *seen, buf_t *out)
{
    bool ok = true;
    for (size_t s = 0; s < w->nservers; s++) {
        const mail_server_t *srv = w->servers[s];
        for (size_t q = 0; q < srv->nqueue; q++) {
            const queue_entry_t *e = srv->queue[q];
            for (size_t r = 0; r < e->nrcpts; r++) {
                const queue_rcpt_t *qr = &e->rcpts[r];
                if (qr->state == RCPT_DONE)
                    continue;
                if (qr->record >= a->n) {
                    buf_printf(out, "%s queues %s for %s with no acceptance behind it\n",
                               srv->host_name, e->msg->label, qr->address);
                    ok = false;
                    continue;
                }
                seen[qr->record] = qr->state == RCPT_IN_FLIGHT ? 2 : 1;
            }
        }
    }
    return ok;
}

static bool record_holds(const acct_record_t *r, uint8_t seen, buf_t *out)
{
    const char *host = r->server->host_name;
    switch (r->state) {
    case ACCT_ACCEPTED:
        buf_printf(out, "%s accepted a message for %s but it is in no mailbox, queue or bounce\n",
                   host, r->recipient);
        return false;
    case ACCT_QUEUED:
    case ACCT_IN_FLIGHT:
        if (seen == 0) {
            buf_printf(out, "%s should hold a message for %s in its queue, but it is not there\n",
                       host, r->recipient);
            return false;
        }
        if ((seen == 2) != (r->state == ACCT_IN_FLIGHT)) {
            buf_printf(out, "%s: the message for %s is %s by the queue but %s by the record\n",
                       host, r->recipient, seen == 2 ? "in flight" : "waiting",
                       acct_state_name(r->state));
            return false;
        }
        return true;
    case ACCT_MAILBOX: {
        store_user_t *u = store_find_user(r->server->store, r->user);
        if (!u || !store_msg_by_uid(store_inbox(u), r->uid, NULL)) {
            buf_printf(out, "%s should hold message UID %u in %s's INBOX, but it is not there\n",
                       host, r->uid, r->user);
            return false;
        }
        return true;
    }
    case ACCT_RELAYED:
    case ACCT_BOUNCED:
    case ACCT_DISCARDED:
    case ACCT_REMOVED:
        if (seen) {
            buf_printf(out, "%s still queues a message for %s that is %s\n", host, r->recipient,
                       acct_state_name(r->state));
            return false;
        }
        return true;
    }
    return false;
}

bool accounting_check(const accounting_t *a, const world_t *w, buf_t *out)
{
    uint8_t *seen = xcalloc(a->n ? a->n : 1, 1);
    bool ok = check_queues(a, w, seen, out);
    for (size_t i = 0; i < a->n; i++)
        if (!record_holds(&a->recs[i], seen[i], out))
            ok = false;
    free(seen);
    return ok;
}
