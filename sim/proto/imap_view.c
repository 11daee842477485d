/*
 * imap_view: one session's view of its selected folder. The store holds the
 * truth, shared by every session; the view holds what this session told its
 * client: which UID each sequence number stands for, which flags it last
 * reported, and which messages are \Recent for it. imap_view_sync brings the
 * client up to date with untagged responses, holding EXPUNGE back where RFC
 * 3501 7.4.1 forbids it, so that sequence numbers never move under a FETCH,
 * STORE or SEARCH.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/imap_server_int.h"

static uint64_t keyword_hash(const store_msg_t *m)
{
    /* FNV-1a over the lower-cased keywords in order. */
    uint64_t h = 1469598103934665603ull;
    size_t n = store_msg_keyword_count(m);
    for (size_t i = 0; i < n; i++) {
        for (const char *k = store_msg_keyword(m, i); *k; k++) {
            unsigned char c = (unsigned char)*k;
            h = (h ^ (uint64_t)(c >= 'A' && c <= 'Z' ? c + 32 : c)) * 1099511628211ull;
        }
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

static void view_push(imap_view_t *v, const store_msg_t *m, bool recent)
{
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->msgs = xrealloc(v->msgs, v->cap * sizeof *v->msgs);
    }
    v->msgs[v->count++] = (imap_view_msg_t){
        .uid = store_msg_uid(m),
        .flags = store_msg_flags(m) & ~(uint32_t)STORE_FLAG_RECENT,
        .keywords = keyword_hash(m),
        .recent = recent,
    };
    v->last_uid = store_msg_uid(m);
}

int64_t imap_view_find(const imap_server_t *s, uint32_t uid)
{
    const imap_view_t *v = &s->view;
    uint32_t lo = 0, hi = v->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->msgs[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->count && v->msgs[lo].uid == uid ? (int64_t)lo : -1;
}

const store_msg_t *imap_view_msg(const imap_server_t *s, uint32_t i)
{
    if (i >= s->view.count)
        return NULL;
    return store_msg_by_uid(s->view.folder, s->view.msgs[i].uid, NULL);
}

static bool keyword_known(const imap_view_t *v, const char *kw)
{
    for (size_t i = 0; i < v->keyword_count; i++)
        if (str_casecmp(v->keywords[i], kw) == 0)
            return true;
    return false;
}

/* Adds the keywords of m that the FLAGS response has not named; true if any. */
static bool learn_keywords(imap_view_t *v, const store_msg_t *m)
{
    bool added = false;
    for (size_t i = 0; i < store_msg_keyword_count(m); i++) {
        const char *kw = store_msg_keyword(m, i);
        if (keyword_known(v, kw))
            continue;
        v->keywords = xrealloc(v->keywords, (v->keyword_count + 1) * sizeof *v->keywords);
        v->keywords[v->keyword_count++] = xstrdup(kw);
        added = true;
    }
    return added;
}

static void send_flags_list(imap_server_t *s, buf_t *out, bool permanent)
{
    imap_resp_t *r = &s->resp;
    imap_resp_reset(r);
    imap_resp_printf(r, permanent ? "* OK [PERMANENTFLAGS (" : "* FLAGS (");
    if (!permanent || !s->view.read_only) {
        imap_resp_printf(r, "\\Answered \\Flagged \\Deleted \\Seen \\Draft");
        for (size_t i = 0; i < s->view.keyword_count; i++)
            imap_resp_printf(r, " %s", s->view.keywords[i]);
    }
    /* RFC 3501 7.1: \* says that the client may make new keywords. */
    if (permanent && !s->view.read_only)
        imap_resp_printf(r, " \\*");
    imap_resp_printf(r, permanent ? ")] Flags permitted" : ")");
    imap_resp_send(s, r, out, "*", permanent ? "OK" : "FLAGS");
}

void imap_view_close(imap_server_t *s)
{
    imap_view_t *v = &s->view;
    for (size_t i = 0; i < v->keyword_count; i++)
        free(v->keywords[i]);
    free(v->keywords);
    free(v->msgs);
    memset(v, 0, sizeof *v);
}

static uint32_t recent_count(const imap_view_t *v)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->count; i++)
        n += v->msgs[i].recent;
    return n;
}

/* Marks as this session's \Recent the messages the store still had as \Recent. */
static void take_recent(imap_server_t *s, uint32_t from)
{
    imap_view_t *v = &s->view;
    if (v->read_only) {
        /* RFC 3501 6.3.2: EXAMINE shows \Recent but must not take it away. */
        for (uint32_t i = from; i < v->count; i++) {
            const store_msg_t *m = imap_view_msg(s, i);
            v->msgs[i].recent = m && (store_msg_flags(m) & STORE_FLAG_RECENT);
        }
        return;
    }
    uint32_t *uids = NULL;
    size_t n = store_folder_take_recent(v->folder, &uids);
    for (size_t k = 0; k < n; k++) {
        int64_t i = imap_view_find(s, uids[k]);
        if (i >= 0)
            v->msgs[i].recent = true;
    }
    free(uids);
}

void imap_view_open(imap_server_t *s, store_folder_t *f, bool read_only, buf_t *out)
{
    imap_view_close(s);
    imap_view_t *v = &s->view;
    v->folder = f;
    v->read_only = read_only;
    uint32_t n = store_folder_msg_count(f);
    for (uint32_t seq = 1; seq <= n; seq++) {
        const store_msg_t *m = store_msg_by_seq(f, seq);
        view_push(v, m, false);
        learn_keywords(v, m);
    }
    take_recent(s, 0);
    /* RFC 3501 6.3.1: the untagged responses in the order of its example. */
    imap_untagged(s, out, "EXISTS", "%u EXISTS", v->count);
    imap_untagged(s, out, "RECENT", "%u RECENT", recent_count(v));
    uint32_t unseen = store_folder_first_unseen(f);
    if (unseen)
        imap_untagged(s, out, "OK", "OK [UNSEEN %u] Message %u is first unseen", unseen, unseen);
    imap_untagged(s, out, "OK", "OK [UIDVALIDITY %u] UIDs valid", store_folder_uidvalidity(f));
    imap_untagged(s, out, "OK", "OK [UIDNEXT %u] Predicted next UID", store_folder_uidnext(f));
    send_flags_list(s, out, false);
    send_flags_list(s, out, true);
}

void imap_view_flags(imap_server_t *s, uint32_t i, const store_msg_t *m, imap_resp_t *r)
{
    imap_view_msg_t *vm = &s->view.msgs[i];
    vm->flags = store_msg_flags(m) & ~(uint32_t)STORE_FLAG_RECENT;
    vm->keywords = keyword_hash(m);
    if (!r)
        return;
    buf_t names = BUF_INIT;
    store_flags_format(&names, vm->flags | (vm->recent ? STORE_FLAG_RECENT : 0));
    for (size_t k = 0; k < store_msg_keyword_count(m); k++)
        buf_printf(&names, "%s%s", names.len ? " " : "", store_msg_keyword(m, k));
    imap_resp_printf(r, "(%s)", buf_cstr(&names));
    buf_free(&names);
}

/* RFC 3501 7.4.1: one EXPUNGE per message gone, each numbered after the ones before left. */
static void sync_expunges(imap_server_t *s, buf_t *out)
{
    imap_view_t *v = &s->view;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < v->count; i++) {
        if (store_msg_by_uid(v->folder, v->msgs[i].uid, NULL))
            v->msgs[kept++] = v->msgs[i];
        else
            imap_untagged(s, out, "EXPUNGE", "%u EXPUNGE", kept + 1);
    }
    v->count = kept;
}

void imap_view_announce_keywords(imap_server_t *s, buf_t *out)
{
    imap_view_t *v = &s->view;
    bool new_keywords = false;
    for (uint32_t i = 0; i < v->count; i++) {
        const store_msg_t *m = imap_view_msg(s, i);
        if (m)
            new_keywords |= learn_keywords(v, m);
    }
    /* RFC 3501 7.2.6: FLAGS names every keyword the folder uses. */
    if (new_keywords)
        send_flags_list(s, out, false);
}

static void sync_flags(imap_server_t *s, buf_t *out)
{
    imap_view_t *v = &s->view;
    imap_view_announce_keywords(s, out);
    for (uint32_t i = 0; i < v->count; i++) {
        const store_msg_t *m = imap_view_msg(s, i);
        if (!m)
            continue;
        uint32_t flags = store_msg_flags(m) & ~(uint32_t)STORE_FLAG_RECENT;
        if (flags == v->msgs[i].flags && keyword_hash(m) == v->msgs[i].keywords)
            continue;
        imap_resp_t *r = &s->resp;
        imap_resp_reset(r);
        imap_resp_printf(r, "* %u FETCH (FLAGS ", i + 1);
        imap_view_flags(s, i, m, r);
        imap_resp_printf(r, ")");
        imap_resp_send(s, r, out, "*", "FETCH");
    }
}

static void sync_new(imap_server_t *s, buf_t *out)
{
    imap_view_t *v = &s->view;
    uint32_t n = store_folder_msg_count(v->folder), first = n + 1;
    while (first > 1 && store_msg_uid(store_msg_by_seq(v->folder, first - 1)) > v->last_uid)
        first--;
    if (first > n)
        return;
    uint32_t before = v->count;
    bool new_keywords = false;
    for (uint32_t seq = first; seq <= n; seq++) {
        const store_msg_t *m = store_msg_by_seq(v->folder, seq);
        view_push(v, m, false);
        new_keywords |= learn_keywords(v, m);
    }
    take_recent(s, before);
    if (new_keywords)
        send_flags_list(s, out, false);
    imap_untagged(s, out, "EXISTS", "%u EXISTS", v->count);
    imap_untagged(s, out, "RECENT", "%u RECENT", recent_count(v));
}

void imap_view_sync(imap_server_t *s, buf_t *out, bool expunge_ok)
{
    if (!s->view.folder)
        return;
    if (expunge_ok)
        sync_expunges(s, out);
    sync_flags(s, out);
    sync_new(s, out);
}

bool imap_view_resolve(const imap_server_t *s, const imap_seqset_t *set, bool uid, uint32_t **out,
                       size_t *n_out)
{
    const imap_view_t *v = &s->view;
    *out = NULL;
    *n_out = 0;
    if (!uid) {
        for (size_t k = 0; k < set->count; k++)
            if (set->ranges[k].lo > v->count || set->ranges[k].hi > v->count ||
                ((set->ranges[k].lo == 0 || set->ranges[k].hi == 0) && v->count == 0))
                return false;
    }
    uint32_t star = uid ? (v->count ? v->msgs[v->count - 1].uid : 0) : v->count;
    uint32_t *idx = NULL;
    size_t n = 0;
    for (uint32_t i = 0; i < v->count; i++) {
        uint32_t key = uid ? v->msgs[i].uid : i + 1;
        if (!imap_seqset_contains(set, key, star))
            continue;
        if (!idx)
            idx = xmalloc((v->count - i) * sizeof *idx);
        idx[n++] = i;
    }
    *out = idx;
    *n_out = n;
    return true;
}
