/*
 * load_clients: the "clients" section (user agents and bare hosts), the
 * uniqueness of host names and addresses, and the addresses the loader
 * assigns to hosts that have none.
 */
#include <stdlib.h>
#include <string.h>

#include "scenario/load_internal.h"

const char *const load_keys_client[] = {
    "host", "address", "user", "password", "server", "access", "keep", NULL,
};

static const char *const access_names[] = {"pop3", "imap"};

/* Keys that mean something only for a client with a user. */
static const char *const user_only_keys[] = {"password", "server", "access", "keep"};

/* Fills server, password and user index from the user's address, and
 * records the client as one of that user's (whichever of the server's
 * domains its address names). */
static void resolve_user(loader_t *L, const cJSON *obj, scenario_client_t *c, size_t index)
{
    size_t mark = path_push_key(L, "user");
    size_t server, user;
    bool found = ref_user(L, field(L, obj, "user", OPTIONAL), c->user, &server, &user);
    path_pop(L, mark);
    if (!found)
        return;
    const scenario_server_t *srv = &L->sc->servers[server];
    if (!srv->host)
        return; /* that server has an error already */
    const cJSON *sv = field(L, obj, "server", OPTIONAL);
    if (sv && c->server) {
        mark = path_push_key(L, "server");
        /* Clients' hosts are not indexed yet: look among the servers. */
        const name_ref_t *r = name_index_find(&L->server_hosts, 0, c->server);
        if (!r && L->hosts_complete)
            load_error(L, sv, "unknown server %s%s", load_quote(L, c->server),
                       name_index_suggest(L, &L->server_hosts, c->server));
        else if (r && r->index != server)
            load_error(L, sv, "%s does not keep mail for %s; %s does", load_quote(L, c->server),
                       c->user, srv->host);
        path_pop(L, mark);
    }
    c->server_index = server;
    c->user_index = user;
    mark = path_push_key(L, "user");
    name_index_add(L, &L->clients_by_user, srv->users[user].user, server, index,
                   field(L, obj, "user", OPTIONAL));
    path_pop(L, mark);
    if (!c->server)
        c->server = xstrdup(srv->host);
    if (!c->password)
        c->password = xstrdup(srv->users[user].password ? srv->users[user].password : "");
}

static void load_client(loader_t *L, const cJSON *obj, size_t index, scenario_client_t *c)
{
    if (!value_object(L, obj)) {
        L->hosts_complete = false;
        return;
    }
    check_keys(L, obj, load_keys_client);
    const cJSON *host = get_name(L, obj, "host", value_host_name, &c->host);
    if (host) {
        size_t mark = path_push_key(L, "host");
        name_index_add(L, &L->hosts, c->host, 0, index, host)->is_server = false;
        path_pop(L, mark);
    } else {
        L->hosts_complete = false;
    }
    load_host_address(L, obj, index, false, &c->address, &c->address_given);
    bool has_user = get_checked_string(L, obj, "user", OPTIONAL, value_address, &c->user);
    if (!has_user) {
        if (field(L, obj, "user", OPTIONAL))
            return; /* a bad user: the rest would only repeat it */
        for (size_t i = 0; i < ARRAY_LEN(user_only_keys); i++) {
            const cJSON *v = field(L, obj, user_only_keys[i], OPTIONAL);
            if (!v)
                continue;
            size_t mark = path_push_key(L, user_only_keys[i]);
            load_error(L, v, "%s applies to a client with a \"user\"; this one is a bare host",
                       load_quote(L, user_only_keys[i]));
            path_pop(L, mark);
        }
        return;
    }
    get_string(L, obj, "password", OPTIONAL, &c->password);
    get_checked_string(L, obj, "server", OPTIONAL, value_host_name, &c->server);
    int access;
    if (get_enum(L, obj, "access", OPTIONAL, access_names, ARRAY_LEN(access_names), &access))
        c->access = (scenario_access_t)access;
    if (get_bool(L, obj, "keep", OPTIONAL, &c->keep) && c->keep &&
        c->access == SCENARIO_ACCESS_IMAP) {
        size_t mark = path_push_key(L, "keep");
        load_error(L, field(L, obj, "keep", OPTIONAL),
                   "\"keep\" applies to POP3 access only; IMAP leaves mail on the server");
        path_pop(L, mark);
    }
    resolve_user(L, obj, c, index);
}

static void report_host(loader_t *L, const name_ref_t *dup, const name_ref_t *first)
{
    load_error_path(L, dup->node, dup->path, "host %s is already defined at %s",
                    load_quote(L, dup->name), first->path);
}

void load_clients(loader_t *L, const cJSON *node)
{
    scenario_t *sc = L->sc;
    if (node && value_array(L, node)) {
        sc->nclients = (size_t)cJSON_GetArraySize(node);
        sc->clients = xcalloc(sc->nclients, sizeof *sc->clients);
        size_t i = 0;
        for (const cJSON *e = node->child; e; e = e->next, i++) {
            size_t mark = path_push_index(L, i);
            load_client(L, e, i, &sc->clients[i]);
            path_pop(L, mark);
        }
    } else if (node) {
        L->hosts_complete = false;
    }
    name_index_finish(L, &L->hosts, report_host);
    name_index_finish(L, &L->clients_by_user, NULL);
}

/* ---- addresses ---------------------------------------------------------- */

static const char *host_of(const loader_t *L, const name_ref_t *r)
{
    const char *h = r->is_server ? L->sc->servers[r->index].host : L->sc->clients[r->index].host;
    return h ? h : "another host";
}

static void report_address(loader_t *L, const name_ref_t *dup, const name_ref_t *first)
{
    load_error_path(L, dup->node, dup->path, "address %s is already used by %s", dup->name,
                    host_of(L, first));
}

static int u32_cmp(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

/* The documentation ranges (RFC 5737), in the order addresses are given. */
static const uint32_t free_ranges[] = {0xC0000200, 0xC6336400, 0xCB007100};

typedef struct address_pool {
    uint32_t *taken; /* sorted */
    size_t ntaken;
    size_t range;
    uint32_t next; /* host part, 1 to 254 */
} address_pool_t;

/* The next free address, or 0 when the ranges are used up. */
static uint32_t pool_next(address_pool_t *p)
{
    while (p->range < ARRAY_LEN(free_ranges)) {
        while (p->next <= 254) {
            uint32_t a = free_ranges[p->range] | p->next++;
            if (!bsearch(&a, p->taken, p->ntaken, sizeof a, u32_cmp))
                return a;
        }
        p->range++;
        p->next = 1;
    }
    return 0;
}

static void assign(loader_t *L, address_pool_t *pool, uint32_t *address, bool given, bool *ok)
{
    if (given || !*ok)
        return;
    *address = pool_next(pool);
    *ok = *address != 0;
}

void load_assign_addresses(loader_t *L)
{
    scenario_t *sc = L->sc;
    name_index_finish(L, &L->addresses, report_address);
    address_pool_t pool = {.next = 1};
    pool.taken = xcalloc(sc->nservers + sc->nclients, sizeof *pool.taken);
    for (size_t i = 0; i < sc->nservers; i++)
        if (sc->servers[i].address_given)
            pool.taken[pool.ntaken++] = sc->servers[i].address;
    for (size_t i = 0; i < sc->nclients; i++)
        if (sc->clients[i].address_given)
            pool.taken[pool.ntaken++] = sc->clients[i].address;
    qsort(pool.taken, pool.ntaken, sizeof *pool.taken, u32_cmp);
    bool ok = true;
    for (size_t i = 0; i < sc->nservers; i++)
        assign(L, &pool, &sc->servers[i].address, sc->servers[i].address_given, &ok);
    for (size_t i = 0; i < sc->nclients; i++)
        assign(L, &pool, &sc->clients[i].address, sc->clients[i].address_given, &ok);
    if (!ok)
        load_error_path(L, NULL, "$",
                        "more hosts than free addresses in 192.0.2.0/24, 198.51.100.0/24 and "
                        "203.0.113.0/24; give some hosts an \"address\"");
    free(pool.taken);
}
