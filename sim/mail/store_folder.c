/*
 * store_folder: a user's folders (RFC 3501 6.3.3-6.3.5: create, delete and
 * rename with their hierarchy rules), LIST and LSUB pattern matching (6.3.8),
 * and subscriptions (6.3.6). Names are UTF-8 with "/" between levels; the
 * first level "INBOX" is case-insensitive and kept upper case.
 *
 * Invariant: every superior level of a folder's name is itself a folder
 * (perhaps \Noselect), because create and rename make the missing ones.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/store.h"
#include "mail/store_private.h"
#include "mail/utf7.h"

/* ---- names ------------------------------------------------------------- */

/* A copy of name with a first level "inbox" (any case) spelled "INBOX". */
static char *inbox_canonical(const char *name)
{
    char *c = xstrdup(name);
    if (str_ncasecmp(c, "INBOX", 5) == 0 && (c[5] == '\0' || c[5] == STORE_SEPARATOR))
        memcpy(c, "INBOX", 5);
    return c;
}

store_err_t store_folder_name_check(const char *name, char **canonical)
{
    size_t len = strlen(name);
    if (len == 0 || len > STORE_NAME_MAX)
        return STORE_BAD_NAME;
    char *encoded = utf7_encode(name, NULL);
    if (!encoded)
        return STORE_BAD_NAME;
    free(encoded);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '*' || *p == '%')
            return STORE_BAD_NAME;
    if (name[0] == STORE_SEPARATOR || name[len - 1] == STORE_SEPARATOR || strstr(name, "//"))
        return STORE_BAD_NAME;
    if (canonical)
        *canonical = inbox_canonical(name);
    return STORE_OK;
}

static bool is_inbox(const char *canonical)
{
    return strcmp(canonical, "INBOX") == 0;
}

/* True when name lies strictly below parent in the hierarchy. */
static bool is_below(const char *name, const char *parent)
{
    size_t n = strlen(parent);
    return strncmp(name, parent, n) == 0 && name[n] == STORE_SEPARATOR;
}

/* ---- the folder list --------------------------------------------------- */

static int folder_order(const void *a, const void *b)
{
    const store_folder_t *x = *(store_folder_t *const *)a;
    const store_folder_t *y = *(store_folder_t *const *)b;
    if (is_inbox(x->name) != is_inbox(y->name))
        return is_inbox(x->name) ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void folders_sort(store_user_t *u)
{
    qsort(u->folders, u->nfolders, sizeof *u->folders, folder_order);
}

store_folder_t *store_folder_alloc(store_user_t *u, const char *name)
{
    store_folder_t *f = xcalloc(1, sizeof *f);
    f->name = xstrdup(name);
    f->user = u;
    f->uidvalidity = store_new_uidvalidity(u->store);
    f->uidnext = 1;
    if (u->nfolders == u->folders_cap) {
        u->folders_cap = u->folders_cap ? 2 * u->folders_cap : 8;
        u->folders = xrealloc(u->folders, u->folders_cap * sizeof *u->folders);
    }
    u->folders[u->nfolders++] = f;
    folders_sort(u);
    return f;
}

void store_folder_free(store_folder_t *f)
{
    for (uint32_t i = 0; i < f->count; i++)
        store_msg_release(&f->msgs[i]);
    free(f->msgs);
    free(f->name);
    free(f);
}

static store_folder_t *find_exact(const store_user_t *u, const char *canonical)
{
    for (size_t i = 0; i < u->nfolders; i++)
        if (strcmp(u->folders[i]->name, canonical) == 0)
            return u->folders[i];
    return NULL;
}

static bool has_children(const store_user_t *u, const char *name)
{
    for (size_t i = 0; i < u->nfolders; i++)
        if (is_below(u->folders[i]->name, name))
            return true;
    return false;
}

store_folder_t *store_inbox(store_user_t *u)
{
    return u->folders[0];
}

store_folder_t *store_folder_find(store_user_t *u, const char *name)
{
    char *c = inbox_canonical(name);
    store_folder_t *f = find_exact(u, c);
    free(c);
    return f;
}

size_t store_folder_count(const store_user_t *u)
{
    return u->nfolders;
}

store_folder_t *store_folder_at(const store_user_t *u, size_t i)
{
    return i < u->nfolders ? u->folders[i] : NULL;
}

/* ---- create, delete, rename -------------------------------------------- */

/* RFC 3501 6.3.3: the server SHOULD create the superior levels a name needs. */
static void create_superiors(store_user_t *u, const char *name)
{
    char *prefix = xstrdup(name);
    for (char *p = strchr(prefix, STORE_SEPARATOR); p; p = strchr(p + 1, STORE_SEPARATOR)) {
        *p = '\0';
        if (!find_exact(u, prefix)) {
            store_folder_alloc(u, prefix);
            store_notify(u, STORE_CHANGE_FOLDER_CREATE, prefix, NULL, 0, NULL);
        }
        *p = STORE_SEPARATOR;
    }
    free(prefix);
}

store_err_t store_folder_create(store_user_t *u, const char *name, store_folder_t **out)
{
    char *c;
    store_err_t err = store_folder_name_check(name, &c);
    if (err != STORE_OK)
        return err;
    store_folder_t *f = find_exact(u, c);
    if (f && !f->noselect) {
        free(c);
        return STORE_FOLDER_EXISTS;
    }
    if (f) {
        /* A name that only held subfolders becomes a mailbox again: a new
         * mailbox as far as UIDs go (RFC 3501 2.3.1.1). */
        f->noselect = false;
        f->uidvalidity = store_new_uidvalidity(u->store);
        f->uidnext = 1;
    } else {
        create_superiors(u, c);
        f = store_folder_alloc(u, c);
    }
    store_notify(u, STORE_CHANGE_FOLDER_CREATE, f->name, NULL, 0, NULL);
    free(c);
    if (out)
        *out = f;
    return STORE_OK;
}

static void bury(store_user_t *u, store_folder_t *f)
{
    size_t i = 0;
    while (u->folders[i] != f)
        i++;
    memmove(&u->folders[i], &u->folders[i + 1], (u->nfolders - i - 1) * sizeof *u->folders);
    u->nfolders--;
    f->deleted = true;
    if (u->ngraveyard == u->graveyard_cap) {
        u->graveyard_cap = u->graveyard_cap ? 2 * u->graveyard_cap : 4;
        u->graveyard = xrealloc(u->graveyard, u->graveyard_cap * sizeof *u->graveyard);
    }
    u->graveyard[u->ngraveyard++] = f;
}

store_err_t store_folder_delete(store_user_t *u, const char *name)
{
    char *c;
    store_err_t err = store_folder_name_check(name, &c);
    if (err != STORE_OK)
        return err;
    store_folder_t *f = find_exact(u, c);
    free(c);
    if (!f)
        return STORE_NO_FOLDER;
    if (is_inbox(f->name))
        return STORE_INBOX;
    bool children = has_children(u, f->name);
    /* RFC 3501 6.3.4: a \Noselect name with inferiors cannot be deleted. */
    if (children && f->noselect)
        return STORE_HAS_CHILDREN;
    store_folder_clear(f);
    if (children)
        f->noselect = true;
    else
        bury(u, f);
    store_notify(u, STORE_CHANGE_FOLDER_DELETE, f->name, NULL, 0, NULL);
    return STORE_OK;
}

/*
 * RFC 3501 6.3.5: renaming INBOX moves its messages to a new folder and
 * leaves INBOX empty. INBOX keeps its UIDVALIDITY and UIDNEXT, so its UIDs
 * are still never reused; the new folder numbers the messages from 1.
 */
static void rename_inbox(store_user_t *u, const char *new_name)
{
    store_folder_t *inbox = store_inbox(u);
    create_superiors(u, new_name);
    store_folder_t *dst = store_folder_alloc(u, new_name);
    dst->msgs = inbox->msgs;
    dst->count = inbox->count;
    dst->cap = inbox->cap;
    for (uint32_t i = 0; i < dst->count; i++)
        dst->msgs[i].uid = dst->uidnext++;
    inbox->msgs = NULL;
    inbox->count = inbox->cap = 0;
    store_notify(u, STORE_CHANGE_FOLDER_RENAME, dst->name, "INBOX", 0, NULL);
}

static void rename_subtree(store_user_t *u, const char *old_name, const char *new_name)
{
    size_t old_len = strlen(old_name);
    create_superiors(u, new_name);
    /* Rename every level first and tell the observer afterwards, so that it
     * sees the folder list whole and in order. */
    store_folder_t **moved = xmalloc(u->nfolders * sizeof *moved);
    char **was = xmalloc(u->nfolders * sizeof *was);
    size_t n = 0;
    for (size_t i = 0; i < u->nfolders; i++) {
        store_folder_t *f = u->folders[i];
        if (strcmp(f->name, old_name) != 0 && !is_below(f->name, old_name))
            continue;
        moved[n] = f;
        was[n++] = f->name;
        f->name = xasprintf("%s%s", new_name, f->name + old_len);
    }
    folders_sort(u);
    for (size_t i = 0; i < n; i++) {
        store_notify(u, STORE_CHANGE_FOLDER_RENAME, moved[i]->name, was[i], 0, NULL);
        free(was[i]);
    }
    free(moved);
    free(was);
}

store_err_t store_folder_rename(store_user_t *u, const char *old_name, const char *new_name)
{
    char *from = NULL, *to = NULL;
    store_err_t err = store_folder_name_check(old_name, &from);
    if (err == STORE_OK)
        err = store_folder_name_check(new_name, &to);
    if (err == STORE_OK && !find_exact(u, from))
        err = STORE_NO_FOLDER;
    else if (err == STORE_OK && find_exact(u, to))
        err = STORE_FOLDER_EXISTS;
    else if (err == STORE_OK && !is_inbox(from) && is_below(to, from))
        err = STORE_RENAME_INTO_ITSELF;
    if (err == STORE_OK && is_inbox(from))
        rename_inbox(u, to);
    else if (err == STORE_OK)
        rename_subtree(u, from, to);
    free(from);
    free(to);
    return err;
}

/* ---- accessors --------------------------------------------------------- */

const char *store_folder_name(const store_folder_t *f)
{
    return f->name;
}

store_user_t *store_folder_user(const store_folder_t *f)
{
    return f->user;
}

bool store_folder_exists(const store_folder_t *f)
{
    return !f->deleted;
}

bool store_folder_selectable(const store_folder_t *f)
{
    return !f->deleted && !f->noselect;
}

uint32_t store_folder_uidvalidity(const store_folder_t *f)
{
    return f->uidvalidity;
}

uint32_t store_folder_uidnext(const store_folder_t *f)
{
    return f->uidnext;
}

uint32_t store_folder_msg_count(const store_folder_t *f)
{
    return f->count;
}

/* ---- LIST and LSUB ----------------------------------------------------- */

/* Matches on bytes: "/" never occurs inside a multi-byte UTF-8 sequence. */
static bool wildcard_match(const char *pat, const char *name)
{
    size_t m = strlen(pat), n = strlen(name);
    bool *prev = xcalloc(m + 1, sizeof *prev), *cur = xcalloc(m + 1, sizeof *cur);
    /* prev[j]: the first i bytes of name match the first j of the pattern. */
    prev[0] = true;
    for (size_t j = 1; j <= m; j++)
        prev[j] = prev[j - 1] && (pat[j - 1] == '*' || pat[j - 1] == '%');
    for (size_t i = 1; i <= n; i++) {
        char c = name[i - 1];
        cur[0] = false;
        for (size_t j = 1; j <= m; j++) {
            char p = pat[j - 1];
            if (p == '*')
                cur[j] = cur[j - 1] || prev[j];
            else if (p == '%')
                cur[j] = cur[j - 1] || (prev[j] && c != STORE_SEPARATOR);
            else
                cur[j] = prev[j - 1] && p == c;
        }
        bool *t = prev;
        prev = cur;
        cur = t;
    }
    bool ok = prev[m];
    free(prev);
    free(cur);
    return ok;
}

bool store_list_match(const char *pattern, const char *name)
{
    char *p = inbox_canonical(pattern);
    char *n = inbox_canonical(name);
    bool ok = wildcard_match(p, n);
    free(p);
    free(n);
    return ok;
}

static void list_push(store_list_item_t **items, size_t *n, size_t *cap, const char *name,
                      unsigned attrs)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        *items = xrealloc(*items, *cap * sizeof **items);
    }
    (*items)[(*n)++] = (store_list_item_t){name, attrs};
}

size_t store_list(const store_user_t *u, const char *reference, const char *pattern,
                  store_list_item_t **out)
{
    char *full = xasprintf("%s%s", reference ? reference : "", pattern);
    store_list_item_t *items = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < u->nfolders; i++) {
        const store_folder_t *f = u->folders[i];
        if (!store_list_match(full, f->name))
            continue;
        unsigned attrs =
            has_children(u, f->name) ? STORE_LIST_HAS_CHILDREN : STORE_LIST_HAS_NO_CHILDREN;
        if (f->noselect)
            attrs |= STORE_LIST_NOSELECT;
        if (store_is_subscribed(u, f->name))
            attrs |= STORE_LIST_SUBSCRIBED;
        list_push(&items, &n, &cap, f->name, attrs);
    }
    free(full);
    *out = items;
    return n;
}

size_t store_list_subscribed(const store_user_t *u, const char *reference, const char *pattern,
                             store_list_item_t **out)
{
    char *full = xasprintf("%s%s", reference ? reference : "", pattern);
    store_list_item_t *items = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < u->nsubs; i++) {
        if (!store_list_match(full, u->subs[i]))
            continue;
        const store_folder_t *f = find_exact(u, u->subs[i]);
        unsigned attrs = STORE_LIST_SUBSCRIBED;
        if (!f)
            attrs |= STORE_LIST_NONEXISTENT | STORE_LIST_NOSELECT;
        else if (f->noselect)
            attrs |= STORE_LIST_NOSELECT;
        list_push(&items, &n, &cap, u->subs[i], attrs);
    }
    free(full);
    *out = items;
    return n;
}

/* ---- subscriptions ----------------------------------------------------- */

/* Index of name in the sorted subscriptions, or where it would go. */
static size_t sub_position(const store_user_t *u, const char *name, bool *found)
{
    size_t lo = 0, hi = u->nsubs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(u->subs[mid], name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < u->nsubs && strcmp(u->subs[lo], name) == 0;
    return lo;
}

store_err_t store_subscribe(store_user_t *u, const char *name)
{
    char *c;
    store_err_t err = store_folder_name_check(name, &c);
    if (err != STORE_OK)
        return err;
    bool found;
    size_t at = sub_position(u, c, &found);
    if (found) {
        free(c);
        return STORE_OK;
    }
    if (u->nsubs == u->subs_cap) {
        u->subs_cap = u->subs_cap ? 2 * u->subs_cap : 4;
        u->subs = xrealloc(u->subs, u->subs_cap * sizeof *u->subs);
    }
    memmove(&u->subs[at + 1], &u->subs[at], (u->nsubs - at) * sizeof *u->subs);
    u->subs[at] = c;
    u->nsubs++;
    return STORE_OK;
}

store_err_t store_unsubscribe(store_user_t *u, const char *name)
{
    char *c = inbox_canonical(name);
    bool found;
    size_t at = sub_position(u, c, &found);
    free(c);
    if (!found)
        return STORE_NOT_SUBSCRIBED;
    free(u->subs[at]);
    memmove(&u->subs[at], &u->subs[at + 1], (u->nsubs - at - 1) * sizeof *u->subs);
    u->nsubs--;
    return STORE_OK;
}

bool store_is_subscribed(const store_user_t *u, const char *name)
{
    char *c = inbox_canonical(name);
    bool found;
    sub_position(u, c, &found);
    free(c);
    return found;
}

size_t store_subscription_count(const store_user_t *u)
{
    return u->nsubs;
}

const char *store_subscription_at(const store_user_t *u, size_t i)
{
    return i < u->nsubs ? u->subs[i] : NULL;
}
