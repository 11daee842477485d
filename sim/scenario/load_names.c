/*
 * load_names: sorted indexes of the names a scenario defines (hosts,
 * domains, users) so that duplicates are found and references resolved in
 * n log n, however large the file.
 */
#include <stdlib.h>
#include <string.h>

#include "scenario/load_internal.h"

name_ref_t *name_index_add(loader_t *L, name_index_t *ix, const char *name, size_t owner,
                           size_t index, const cJSON *node)
{
    if (ix->count == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 16;
        ix->refs = xrealloc(ix->refs, ix->cap * sizeof *ix->refs);
    }
    ix->refs[ix->count] = (name_ref_t){
        .name = name,
        .owner = owner,
        .index = index,
        .seq = ix->count,
        .node = node,
        .path = xstrdup(buf_cstr(&L->path)),
    };
    return &ix->refs[ix->count++];
}

static int ref_cmp_key(const name_ref_t *a, const name_ref_t *b, bool by_owner)
{
    if (by_owner && a->owner != b->owner)
        return a->owner < b->owner ? -1 : 1;
    return str_casecmp(a->name, b->name);
}

static int ref_cmp_by_name(const void *pa, const void *pb)
{
    const name_ref_t *a = pa, *b = pb;
    int c = ref_cmp_key(a, b, false);
    return c ? c : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

static int ref_cmp_by_owner(const void *pa, const void *pb)
{
    const name_ref_t *a = pa, *b = pb;
    int c = ref_cmp_key(a, b, true);
    return c ? c : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

void name_index_finish(loader_t *L, name_index_t *ix, name_dup_fn report)
{
    if (ix->count > 1)
        qsort(ix->refs, ix->count, sizeof *ix->refs,
              ix->by_owner ? ref_cmp_by_owner : ref_cmp_by_name);
    if (!report)
        return;
    size_t first = 0;
    for (size_t i = 1; i < ix->count; i++) {
        if (ref_cmp_key(&ix->refs[first], &ix->refs[i], ix->by_owner) != 0)
            first = i;
        else
            report(L, &ix->refs[i], &ix->refs[first]);
    }
}

const name_ref_t *name_index_find(const name_index_t *ix, size_t owner, const char *name)
{
    name_ref_t key = {.name = name, .owner = owner};
    size_t lo = 0, hi = ix->count;
    /* The leftmost match is the first definition. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ref_cmp_key(&ix->refs[mid], &key, ix->by_owner) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ix->count && ref_cmp_key(&ix->refs[lo], &key, ix->by_owner) == 0)
        return &ix->refs[lo];
    return NULL;
}

const char *name_index_suggest(loader_t *L, const name_index_t *ix, const char *name)
{
    if (ix->count > LOAD_SUGGEST_MAX_CANDIDATES)
        return "";
    const char **names = xcalloc(ix->count, sizeof *names);
    for (size_t i = 0; i < ix->count; i++)
        names[i] = ix->refs[i].name;
    const char *s = load_suggest(L, name, names, ix->count);
    free(names);
    return s;
}

void name_index_free(name_index_t *ix)
{
    for (size_t i = 0; i < ix->count; i++)
        free(ix->refs[i].path);
    free(ix->refs);
    ix->refs = NULL;
    ix->count = ix->cap = 0;
}

/* ---- references --------------------------------------------------------- */

const name_ref_t *ref_host(loader_t *L, const cJSON *node, const char *host)
{
    const name_ref_t *r = name_index_find(&L->hosts, 0, host);
    if (!r && L->hosts_complete)
        load_error(L, node, "unknown host %s%s", load_quote(L, host),
                   name_index_suggest(L, &L->hosts, host));
    return r;
}

const name_ref_t *ref_server(loader_t *L, const cJSON *node, const char *host)
{
    const name_ref_t *r = ref_host(L, node, host);
    if (r && !r->is_server) {
        load_error(L, node, "%s is a client; a server is needed here", load_quote(L, host));
        return NULL;
    }
    return r;
}

const name_ref_t *ref_client(loader_t *L, const cJSON *node, const char *host)
{
    const name_ref_t *r = ref_host(L, node, host);
    if (r && r->is_server) {
        load_error(L, node, "%s is a server; a client is needed here", load_quote(L, host));
        return NULL;
    }
    return r;
}

/* "did you mean" among the users of one server, as full addresses. */
static const char *suggest_user(loader_t *L, size_t server, const char *address)
{
    const scenario_server_t *srv = &L->sc->servers[server];
    const char *at = strrchr(address, '@');
    if (srv->nusers > LOAD_SUGGEST_MAX_CANDIDATES)
        return "";
    char **names = xcalloc(srv->nusers, sizeof *names);
    for (size_t u = 0; u < srv->nusers; u++)
        names[u] = xasprintf("%s%s", srv->users[u].user, at);
    const char *s = load_suggest(L, address, (const char *const *)names, srv->nusers);
    for (size_t u = 0; u < srv->nusers; u++)
        free(names[u]);
    free(names);
    return s;
}

bool ref_user(loader_t *L, const cJSON *node, const char *address, size_t *server, size_t *user)
{
    const char *at = strrchr(address, '@');
    if (!at)
        return false;
    const name_ref_t *d = name_index_find(&L->domains, 0, at + 1);
    if (!d) {
        if (L->domains_complete)
            load_error(L, node, "no server serves the domain of %s%s", load_quote(L, address),
                       name_index_suggest(L, &L->domains, at + 1));
        return false;
    }
    char *local = xstrndup(address, (size_t)(at - address));
    const name_ref_t *u = name_index_find(&L->users, d->index, local);
    free(local);
    if (!u) {
        if (L->users_complete)
            load_error(L, node, "unknown user %s: %s has no such user%s", load_quote(L, address),
                       L->sc->servers[d->index].host ? L->sc->servers[d->index].host : "its server",
                       suggest_user(L, d->index, address));
        return false;
    }
    *server = d->index;
    *user = u->index;
    return true;
}
