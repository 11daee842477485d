/*
 * store_msg: the messages of a folder. A folder keeps a flat array of 32-byte
 * records in ascending UID order, so a sequence number is an index and a UID
 * lookup a binary search. Bytes live in reference-counted bodies that copies
 * and moves share.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/store.h"
#include "mail/store_private.h"

/* ---- bodies and keywords ----------------------------------------------- */

/* A body of head then data (head_size may be 0), the label after its NUL. */
static store_body_t *body_new(const void *head, size_t head_size, const void *data, size_t size,
                              const char *label)
{
    uint8_t *p;
    store_body_t *b = store_body_new(head_size + size, label, &p);
    if (head_size)
        memcpy(p, head, head_size);
    if (size)
        memcpy(p + head_size, data, size);
    return b;
}

static bool keyword_in(const char *const *names, size_t n, const char *kw)
{
    for (size_t i = 0; i < n; i++)
        if (str_casecmp(names[i], kw) == 0)
            return true;
    return false;
}

/* A keyword set from names (case-insensitive duplicates dropped); NULL when empty. */
static store_keywords_t *keywords_build(const char *const *names, size_t n)
{
    store_keywords_t *k = NULL;
    for (size_t i = 0; i < n; i++) {
        if (k && keyword_in((const char *const *)k->names, k->count, names[i]))
            continue;
        if (!k) {
            k = xmalloc(sizeof *k + n * sizeof k->names[0]);
            k->count = 0;
        }
        k->names[k->count++] = xstrdup(names[i]);
    }
    return k;
}

static void keywords_free(store_keywords_t *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->count; i++)
        free(k->names[i]);
    free(k);
}

static store_keywords_t *keywords_dup(const store_keywords_t *k)
{
    return k ? keywords_build((const char *const *)k->names, k->count) : NULL;
}

static bool keywords_all_valid(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!names[i] || !store_keyword_valid(names[i]))
            return false;
    return true;
}

void store_msg_release(store_msg_t *m)
{
    keywords_free(m->keywords);
    store_body_unref(m->body);
    m->keywords = NULL;
    m->body = NULL;
}

/* ---- the folder's array ------------------------------------------------ */

void store_folder_clear(store_folder_t *f)
{
    for (uint32_t i = 0; i < f->count; i++) {
        f->user->used -= f->msgs[i].body->size;
        store_msg_release(&f->msgs[i]);
    }
    free(f->msgs);
    f->msgs = NULL;
    f->count = f->cap = 0;
}

static bool folder_usable(const store_folder_t *f, store_err_t *err)
{
    if (f->deleted) {
        *err = STORE_NO_FOLDER;
        return false;
    }
    if (f->noselect) {
        *err = STORE_NOSELECT;
        return false;
    }
    return true;
}

static bool uids_left(const store_folder_t *f, size_t n)
{
    /* RFC 3501 2.3.1.1: UIDs are 32-bit and never reused. */
    return (uint64_t)f->uidnext + n <= UINT32_MAX;
}

store_err_t store_folder_push(store_folder_t *f, store_msg_t *m)
{
    if (!uids_left(f, 1))
        return STORE_UIDS_EXHAUSTED;
    if (f->count == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 4;
        f->msgs = xrealloc(f->msgs, f->cap * sizeof *f->msgs);
    }
    m->uid = f->uidnext++;
    f->msgs[f->count++] = *m;
    f->user->used += m->body->size;
    return STORE_OK;
}

static int uid_compare(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* A sorted copy of uids without duplicates; the caller frees it. */
static uint32_t *uids_sorted(const uint32_t *uids, size_t n, size_t *n_out)
{
    uint32_t *v = xmalloc((n ? n : 1) * sizeof *v);
    if (n)
        memcpy(v, uids, n * sizeof *v);
    qsort(v, n, sizeof *v, uid_compare);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[k - 1] != v[i])
            v[k++] = v[i];
    *n_out = k;
    return v;
}

static bool uid_listed(const uint32_t *sorted, size_t n, uint32_t uid)
{
    return bsearch(&uid, sorted, n, sizeof *sorted, uid_compare) != NULL;
}

void store_folder_remove_uids(store_folder_t *f, const uint32_t *uids, size_t n,
                              store_change_kind_t kind, store_expunged_t *out)
{
    store_msg_t *gone = xmalloc((n ? n : 1) * sizeof *gone);
    uint32_t *seqs = xmalloc((n ? n : 1) * sizeof *seqs);
    size_t ngone = 0, j = 0;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < f->count; i++) {
        while (j < n && uids[j] < f->msgs[i].uid)
            j++;
        if (j < n && uids[j] == f->msgs[i].uid) {
            /* RFC 3501 7.4.1: each EXPUNGE renumbers the ones after it, so
             * the reported number counts the removals before it. */
            seqs[ngone] = i + 1 - (uint32_t)ngone;
            gone[ngone++] = f->msgs[i];
            continue;
        }
        f->msgs[kept++] = f->msgs[i];
    }
    f->count = kept;
    for (size_t i = 0; i < ngone; i++) {
        f->user->used -= gone[i].body->size;
        store_notify(f->user, kind, f->name, NULL, gone[i].uid, store_body_label(gone[i].body));
    }
    if (out) {
        out->count = ngone;
        out->seqs = seqs;
        out->uids = xmalloc((ngone ? ngone : 1) * sizeof *out->uids);
        for (size_t i = 0; i < ngone; i++)
            out->uids[i] = gone[i].uid;
    } else {
        free(seqs);
    }
    for (size_t i = 0; i < ngone; i++)
        store_msg_release(&gone[i]);
    free(gone);
}

void store_expunged_free(store_expunged_t *e)
{
    if (!e)
        return;
    free(e->seqs);
    free(e->uids);
    *e = (store_expunged_t){NULL, NULL, 0};
}

void store_uid_map_free(store_uid_map_t *m)
{
    if (!m)
        return;
    free(m->src_uids);
    free(m->dst_uids);
    *m = (store_uid_map_t){0, NULL, NULL, 0};
}

/* ---- append ------------------------------------------------------------ */

/* Whether msg, of size octets in all, may go into f; *err says why not. */
static bool append_allowed(store_folder_t *f, const store_append_t *msg, size_t size,
                           store_err_t *err)
{
    if (!folder_usable(f, err))
        return false;
    if (!keywords_all_valid(msg->keywords, msg->keyword_count))
        *err = STORE_BAD_KEYWORD;
    else if (store_user_would_exceed_quota(f->user, size))
        *err = STORE_QUOTA;
    else if (!uids_left(f, 1))
        *err = STORE_UIDS_EXHAUSTED;
    else
        return true;
    return false;
}

/* Appends msg with body b (its reference taken over), once append_allowed said yes. */
static void append_body(store_folder_t *f, store_body_t *b, const store_append_t *msg,
                        uint32_t *uid_out)
{
    store_msg_t m = {
        .body = b,
        .keywords = keywords_build(msg->keywords, msg->keyword_count),
        .internal_date = msg->internal_date,
        .flags = (msg->flags & STORE_FLAGS_ALL) | STORE_FLAG_RECENT,
    };
    store_folder_push(f, &m);
    if (uid_out)
        *uid_out = m.uid;
    store_notify(f->user, STORE_CHANGE_APPEND, f->name, NULL, m.uid, msg->label);
}

/* store_append with head_size octets of head in front of the message's data. */
static store_err_t append_parts(store_folder_t *f, const void *head, size_t head_size,
                                const store_append_t *msg, uint32_t *uid_out)
{
    store_err_t err;
    if (!append_allowed(f, msg, head_size + msg->size, &err))
        return err;
    append_body(f, body_new(head, head_size, msg->data, msg->size, msg->label), msg, uid_out);
    return STORE_OK;
}

store_err_t store_append(store_folder_t *f, const store_append_t *msg, uint32_t *uid_out)
{
    return append_parts(f, NULL, 0, msg, uid_out);
}

store_err_t store_deliver(store_user_t *u, const void *data, size_t size, sim_time_t internal_date,
                          const char *label, uint32_t *uid_out)
{
    return store_deliver_parts(u, NULL, 0, data, size, internal_date, label, uid_out);
}

store_err_t store_deliver_parts(store_user_t *u, const void *head, size_t head_size,
                                const void *data, size_t size, sim_time_t internal_date,
                                const char *label, uint32_t *uid_out)
{
    store_append_t a = {data, size, internal_date, 0, NULL, 0, label};
    return append_parts(store_inbox(u), head, head_size, &a, uid_out);
}

store_err_t store_deliver_body(store_user_t *u, store_body_t *b, sim_time_t internal_date,
                               uint32_t *uid_out)
{
    store_append_t a = {store_body_bytes(b), b->size, internal_date, 0, NULL, 0, store_body_label(b)};
    store_folder_t *f = store_inbox(u);
    store_err_t err;
    if (!append_allowed(f, &a, b->size, &err))
        return err;
    append_body(f, store_body_ref(b), &a, uid_out);
    return STORE_OK;
}

/* ---- lookup and accessors ---------------------------------------------- */

const store_msg_t *store_msg_by_seq(const store_folder_t *f, uint32_t seq)
{
    if (f->deleted || seq == 0 || seq > f->count)
        return NULL;
    return &f->msgs[seq - 1];
}

static uint32_t index_of_uid(const store_folder_t *f, uint32_t uid, bool *found)
{
    uint32_t lo = 0, hi = f->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->msgs[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < f->count && f->msgs[lo].uid == uid;
    return lo;
}

const store_msg_t *store_msg_by_uid(const store_folder_t *f, uint32_t uid, uint32_t *seq_out)
{
    bool found;
    uint32_t i = index_of_uid(f, uid, &found);
    if (f->deleted || !found)
        return NULL;
    if (seq_out)
        *seq_out = i + 1;
    return &f->msgs[i];
}

uint32_t store_msg_uid(const store_msg_t *m)
{
    return m->uid;
}

uint32_t store_msg_flags(const store_msg_t *m)
{
    return m->flags;
}

sim_time_t store_msg_internal_date(const store_msg_t *m)
{
    return m->internal_date;
}

size_t store_msg_size(const store_msg_t *m)
{
    return m->body->size;
}

const uint8_t *store_msg_data(const store_msg_t *m)
{
    return store_body_data(m->body);
}

const char *store_msg_label(const store_msg_t *m)
{
    return store_body_label(m->body);
}

size_t store_msg_keyword_count(const store_msg_t *m)
{
    return m->keywords ? m->keywords->count : 0;
}

const char *store_msg_keyword(const store_msg_t *m, size_t i)
{
    return i < store_msg_keyword_count(m) ? m->keywords->names[i] : NULL;
}

bool store_msg_has_keyword(const store_msg_t *m, const char *keyword)
{
    return m->keywords &&
           keyword_in((const char *const *)m->keywords->names, m->keywords->count, keyword);
}

/* ---- flags ------------------------------------------------------------- */

/* The keyword set after op; *changed tells whether it differs from old. */
static store_keywords_t *keywords_apply(const store_keywords_t *old, store_flag_op_t op,
                                        const char *const *kws, size_t n, bool *changed)
{
    size_t nold = old ? old->count : 0;
    const char **all = xmalloc((nold + n + 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < nold; i++) {
        bool removed = op == STORE_FLAGS_REPLACE ||
                       (op == STORE_FLAGS_REMOVE && keyword_in(kws, n, old->names[i]));
        if (!removed)
            all[k++] = old->names[i];
    }
    if (op != STORE_FLAGS_REMOVE)
        for (size_t i = 0; i < n; i++)
            all[k++] = kws[i];
    store_keywords_t *next = keywords_build(all, k);
    free(all);
    size_t nnext = next ? next->count : 0;
    *changed = nnext != nold;
    for (size_t i = 0; !*changed && i < nnext; i++)
        *changed = !keyword_in((const char *const *)old->names, nold, next->names[i]);
    return next;
}

store_err_t store_flags_change(store_folder_t *f, uint32_t uid, store_flag_op_t op, uint32_t flags,
                               const char *const *keywords, size_t keyword_count)
{
    bool found;
    uint32_t i = index_of_uid(f, uid, &found);
    if (f->deleted)
        return STORE_NO_FOLDER;
    if (!found)
        return STORE_NO_MESSAGE;
    if (!keywords_all_valid(keywords, keyword_count))
        return STORE_BAD_KEYWORD;
    store_msg_t *m = &f->msgs[i];
    /* RFC 3501 2.3.2: \Recent is the server's alone; only take_recent clears it. */
    flags &= STORE_FLAGS_ALL & ~(uint32_t)STORE_FLAG_RECENT;
    uint32_t next = m->flags;
    switch (op) {
    case STORE_FLAGS_REPLACE:
        next = (m->flags & STORE_FLAG_RECENT) | flags;
        break;
    case STORE_FLAGS_ADD:
        next = m->flags | flags;
        break;
    case STORE_FLAGS_REMOVE:
        next = m->flags & ~flags;
        break;
    }
    bool kw_changed;
    store_keywords_t *kw = keywords_apply(m->keywords, op, keywords, keyword_count, &kw_changed);
    bool changed = kw_changed || next != m->flags;
    keywords_free(m->keywords);
    m->keywords = kw;
    m->flags = next;
    if (changed)
        store_notify(f->user, STORE_CHANGE_FLAGS, f->name, NULL, uid, store_body_label(m->body));
    return STORE_OK;
}

size_t store_folder_take_recent(store_folder_t *f, uint32_t **uids_out)
{
    uint32_t *uids = NULL;
    size_t n = 0;
    for (uint32_t i = 0; i < f->count; i++) {
        if (!(f->msgs[i].flags & STORE_FLAG_RECENT))
            continue;
        if (uids_out && !uids)
            uids = xmalloc((f->count - i) * sizeof *uids);
        if (uids)
            uids[n] = f->msgs[i].uid;
        n++;
        f->msgs[i].flags &= ~(uint32_t)STORE_FLAG_RECENT;
    }
    if (uids_out)
        *uids_out = uids;
    return n;
}

/* ---- expunge, copy, move ----------------------------------------------- */

store_err_t store_expunge(store_folder_t *f, const uint32_t *only_uids, size_t n_only,
                          store_expunged_t *out)
{
    if (out)
        *out = (store_expunged_t){NULL, NULL, 0};
    if (f->deleted)
        return STORE_NO_FOLDER;
    size_t nonly = 0;
    uint32_t *only = only_uids ? uids_sorted(only_uids, n_only, &nonly) : NULL;
    uint32_t *doomed = xmalloc((f->count ? f->count : 1) * sizeof *doomed);
    size_t n = 0;
    for (uint32_t i = 0; i < f->count; i++) {
        const store_msg_t *m = &f->msgs[i];
        if ((m->flags & STORE_FLAG_DELETED) && (!only || uid_listed(only, nonly, m->uid)))
            doomed[n++] = m->uid;
    }
    store_folder_remove_uids(f, doomed, n, STORE_CHANGE_EXPUNGE, out);
    free(doomed);
    free(only);
    return STORE_OK;
}

/* The UIDs among wanted (sorted) that src holds, ascending, and their total size. */
static uint32_t *present_uids(const store_folder_t *src, const uint32_t *wanted, size_t nwanted,
                              size_t *n_out, uint64_t *bytes_out)
{
    uint32_t *v = xmalloc((nwanted ? nwanted : 1) * sizeof *v);
    size_t n = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < nwanted; i++) {
        const store_msg_t *m = store_msg_by_uid(src, wanted[i], NULL);
        if (m) {
            v[n++] = wanted[i];
            bytes += m->body->size;
        }
    }
    *n_out = n;
    *bytes_out = bytes;
    return v;
}

/* Copies the listed (present, ascending) UIDs into dst; fills map. */
static void copy_present(store_folder_t *src, const uint32_t *uids, size_t n, store_folder_t *dst,
                         store_uid_map_t *map)
{
    map->uidvalidity = dst->uidvalidity;
    map->src_uids = xmalloc((n ? n : 1) * sizeof *map->src_uids);
    map->dst_uids = xmalloc((n ? n : 1) * sizeof *map->dst_uids);
    map->count = n;
    for (size_t i = 0; i < n; i++) {
        /* Looked up afresh each time: when src is dst the array moves. */
        const store_msg_t *from = store_msg_by_uid(src, uids[i], NULL);
        store_msg_t m = *from;
        m.body->refs++;
        m.keywords = keywords_dup(from->keywords);
        /* RFC 3501 6.4.7: the copy SHOULD get \Recent. */
        m.flags |= STORE_FLAG_RECENT;
        store_folder_push(dst, &m);
        map->src_uids[i] = uids[i];
        map->dst_uids[i] = m.uid;
        store_notify(dst->user, STORE_CHANGE_COPY, dst->name, NULL, m.uid,
                     store_body_label(m.body));
    }
}

static store_err_t copy_checked(store_folder_t *src, const uint32_t *uids, size_t n,
                                store_folder_t *dst, bool moving, store_uid_map_t *map)
{
    store_err_t err;
    if (src->deleted || !folder_usable(dst, &err))
        return src->deleted ? STORE_NO_FOLDER : err;
    size_t nwanted, npresent;
    uint64_t bytes;
    uint32_t *wanted = uids_sorted(uids, n, &nwanted);
    uint32_t *present = present_uids(src, wanted, nwanted, &npresent, &bytes);
    free(wanted);
    /* A move inside one account leaves its usage as it was. */
    bool same_account = moving && src->user == dst->user;
    if (!same_account && store_user_would_exceed_quota(dst->user, bytes))
        err = STORE_QUOTA;
    else if (!uids_left(dst, npresent))
        err = STORE_UIDS_EXHAUSTED;
    else
        err = STORE_OK;
    if (err == STORE_OK)
        copy_present(src, present, npresent, dst, map);
    free(present);
    return err;
}

store_err_t store_copy(store_folder_t *src, const uint32_t *uids, size_t n, store_folder_t *dst,
                       store_uid_map_t *map)
{
    store_uid_map_t local = {0, NULL, NULL, 0};
    store_uid_map_t *m = map ? map : &local;
    *m = local;
    store_err_t err = copy_checked(src, uids, n, dst, false, m);
    if (!map)
        store_uid_map_free(&local);
    return err;
}

store_err_t store_move(store_folder_t *src, const uint32_t *uids, size_t n, store_folder_t *dst,
                       store_uid_map_t *map, store_expunged_t *expunged)
{
    store_uid_map_t local = {0, NULL, NULL, 0};
    store_uid_map_t *m = map ? map : &local;
    *m = local;
    if (expunged)
        *expunged = (store_expunged_t){NULL, NULL, 0};
    store_err_t err = copy_checked(src, uids, n, dst, true, m);
    if (err == STORE_OK)
        store_folder_remove_uids(src, m->src_uids, m->count, STORE_CHANGE_EXPUNGE, expunged);
    if (!map)
        store_uid_map_free(&local);
    return err;
}

/* ---- status and inspection --------------------------------------------- */

void store_folder_status(const store_folder_t *f, store_status_t *out)
{
    *out = (store_status_t){f->count, 0, f->uidnext, f->uidvalidity, 0};
    for (uint32_t i = 0; i < f->count; i++) {
        out->recent += (f->msgs[i].flags & STORE_FLAG_RECENT) != 0;
        out->unseen += (f->msgs[i].flags & STORE_FLAG_SEEN) == 0;
    }
}

uint32_t store_folder_first_unseen(const store_folder_t *f)
{
    for (uint32_t i = 0; i < f->count; i++)
        if (!(f->msgs[i].flags & STORE_FLAG_SEEN))
            return i + 1;
    return 0;
}

const store_msg_t *store_folder_find_label(const store_folder_t *f, const char *label,
                                           uint32_t after_seq, uint32_t *seq_out)
{
    for (uint32_t i = after_seq; i < f->count; i++) {
        const char *l = store_body_label(f->msgs[i].body);
        if (l && strcmp(l, label) == 0) {
            if (seq_out)
                *seq_out = i + 1;
            return &f->msgs[i];
        }
    }
    return NULL;
}

size_t store_folder_count_label(const store_folder_t *f, const char *label)
{
    size_t n = 0;
    uint32_t seq = 0;
    while (store_folder_find_label(f, label, seq, &seq))
        n++;
    return n;
}
