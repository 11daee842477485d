/*
 * store_maildrop: the POP3 view of INBOX (RFC 1939). Opening locks the
 * maildrop and takes a snapshot numbered 1..n; DELE only marks; the marks
 * take effect in the UPDATE state (commit) and vanish on RSET or a lost
 * connection (rollback). The snapshot holds a reference to each message's
 * bytes, so what a session retrieves stays the same for its whole life.
 *
 * Sessions are named by ids rather than pointers: after a crash closes every
 * maildrop, a stale id is answered with STORE_NO_MAILDROP, never with
 * freed memory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"
#include "mail/store.h"
#include "mail/store_private.h"

typedef struct maildrop_entry {
    store_body_t *body;
    uint32_t uid;
    bool deleted;
} maildrop_entry_t;

struct store_maildrop {
    store_maildrop_id_t id;
    store_user_t *user;
    uint32_t uidvalidity;
    maildrop_entry_t *entries;
    uint32_t count;
    store_maildrop_t *next;
};

static store_maildrop_t *maildrop_find(const store_t *s, store_maildrop_id_t id)
{
    for (store_maildrop_t *md = s->maildrops; md; md = md->next)
        if (md->id == id)
            return md;
    return NULL;
}

/* Unlinks, unlocks and frees one maildrop. */
static void maildrop_close(store_t *s, store_maildrop_t *md)
{
    store_maildrop_t **link = &s->maildrops;
    while (*link != md)
        link = &(*link)->next;
    *link = md->next;
    md->user->maildrop_locked = false;
    for (uint32_t i = 0; i < md->count; i++)
        store_body_unref(md->entries[i].body);
    free(md->entries);
    free(md);
}

void store_maildrops_close_all(store_t *s)
{
    while (s->maildrops)
        maildrop_close(s, s->maildrops);
}

void store_uidl_format(uint32_t uidvalidity, uint32_t uid, char out[STORE_UIDL_SIZE])
{
    /* RFC 1939 7: 1 to 70 characters in 0x21-0x7E, the same for a message in
     * every session. UIDVALIDITY and UID together never repeat. */
    snprintf(out, STORE_UIDL_SIZE, "%08x%08x", (unsigned)uidvalidity, (unsigned)uid);
}

store_err_t store_maildrop_open(store_t *s, store_user_t *u, store_maildrop_id_t *id_out)
{
    /* RFC 1939 4: the server acquires an exclusive-access lock on the maildrop. */
    if (u->store != s)
        return STORE_NO_USER;
    if (u->maildrop_locked)
        return STORE_LOCKED;
    const store_folder_t *inbox = store_inbox(u);
    store_maildrop_t *md = xcalloc(1, sizeof *md);
    md->id = s->next_maildrop_id++;
    if (s->next_maildrop_id == 0)
        s->next_maildrop_id = 1;
    md->user = u;
    md->uidvalidity = inbox->uidvalidity;
    md->count = inbox->count;
    md->entries = xcalloc(inbox->count ? inbox->count : 1, sizeof *md->entries);
    for (uint32_t i = 0; i < inbox->count; i++) {
        md->entries[i].body = inbox->msgs[i].body;
        md->entries[i].body->refs++;
        md->entries[i].uid = inbox->msgs[i].uid;
    }
    md->next = s->maildrops;
    s->maildrops = md;
    u->maildrop_locked = true;
    *id_out = md->id;
    return STORE_OK;
}

store_err_t store_maildrop_stat(const store_t *s, store_maildrop_id_t id,
                                store_maildrop_stat_t *out)
{
    const store_maildrop_t *md = maildrop_find(s, id);
    if (!md)
        return STORE_NO_MAILDROP;
    *out = (store_maildrop_stat_t){md->count, 0, 0};
    for (uint32_t i = 0; i < md->count; i++) {
        if (md->entries[i].deleted)
            continue;
        out->live++;
        out->live_octets += md->entries[i].body->size;
    }
    return STORE_OK;
}

store_err_t store_maildrop_msg(const store_t *s, store_maildrop_id_t id, uint32_t msgno,
                               store_maildrop_msg_t *out)
{
    const store_maildrop_t *md = maildrop_find(s, id);
    if (!md)
        return STORE_NO_MAILDROP;
    if (msgno == 0 || msgno > md->count)
        return STORE_NO_MESSAGE;
    const maildrop_entry_t *e = &md->entries[msgno - 1];
    out->uid = e->uid;
    out->size = e->body->size;
    out->data = store_body_data(e->body);
    out->label = store_body_label(e->body);
    store_uidl_format(md->uidvalidity, e->uid, out->uidl);
    /* RFC 1939 5: a message marked as deleted may not be referred to. */
    return e->deleted ? STORE_MSG_DELETED : STORE_OK;
}

store_err_t store_maildrop_delete(store_t *s, store_maildrop_id_t id, uint32_t msgno)
{
    store_maildrop_t *md = maildrop_find(s, id);
    if (!md)
        return STORE_NO_MAILDROP;
    if (msgno == 0 || msgno > md->count)
        return STORE_NO_MESSAGE;
    if (md->entries[msgno - 1].deleted)
        return STORE_MSG_DELETED;
    md->entries[msgno - 1].deleted = true;
    return STORE_OK;
}

store_err_t store_maildrop_reset(store_t *s, store_maildrop_id_t id)
{
    store_maildrop_t *md = maildrop_find(s, id);
    if (!md)
        return STORE_NO_MAILDROP;
    for (uint32_t i = 0; i < md->count; i++)
        md->entries[i].deleted = false;
    return STORE_OK;
}

store_err_t store_maildrop_commit(store_t *s, store_maildrop_id_t id, uint32_t *deleted_out)
{
    store_maildrop_t *md = maildrop_find(s, id);
    if (!md)
        return STORE_NO_MAILDROP;
    /* The snapshot is in ascending UID order, as remove_uids wants it. */
    uint32_t *uids = xmalloc((md->count ? md->count : 1) * sizeof *uids);
    size_t n = 0;
    for (uint32_t i = 0; i < md->count; i++)
        if (md->entries[i].deleted)
            uids[n++] = md->entries[i].uid;
    /* Unlock first: the observer may look at the user and see it free. */
    store_folder_t *inbox = store_inbox(md->user);
    maildrop_close(s, md);
    store_expunged_t gone;
    store_folder_remove_uids(inbox, uids, n, STORE_CHANGE_DELETE, &gone);
    if (deleted_out)
        *deleted_out = (uint32_t)gone.count;
    store_expunged_free(&gone);
    free(uids);
    return STORE_OK;
}

store_err_t store_maildrop_rollback(store_t *s, store_maildrop_id_t id)
{
    store_maildrop_t *md = maildrop_find(s, id);
    if (!md)
        return STORE_NO_MAILDROP;
    maildrop_close(s, md);
    return STORE_OK;
}
