/*
 * load_servers: the "servers" section: hosts, domains, users, queue policy
 * and services, with their defaults.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "scenario/load_internal.h"

const char *const load_keys_server[] = {
    "host",       "address", "domains", "users", "queue",    "smtp",
    "submission", "pop3",    "imap",    "quota", "external", NULL,
};
const char *const load_keys_user[] = {"user", "password", "name", NULL};
const char *const load_keys_queue[] = {"retry",   "backoff",    "max_retry",
                                       "give_up", "warn_after", NULL};
const char *const load_keys_smtp[] = {"port",  "max_size",   "max_recipients",
                                      "relay", "extensions", NULL};
const char *const load_keys_service[] = {"port", NULL};

static const char *const backoff_names[] = {"fixed", "exponential"};
static const char *const relay_names[] = {"authenticated", "open", "none"};

/* The default max_retry; a longer retry raises it to retry. */
#define DEFAULT_MAX_RETRY (4 * SIM_HOUR)

static void server_defaults(scenario_server_t *srv)
{
    srv->queue.retry = 30 * SIM_MIN;
    srv->queue.backoff = SCENARIO_BACKOFF_FIXED;
    srv->queue.max_retry = DEFAULT_MAX_RETRY;
    srv->queue.give_up = 5 * SIM_DAY;
    srv->queue.warn_after = 0;
    srv->smtp = (scenario_smtp_t){
        true, 25, 10000000, 100, SCENARIO_RELAY_AUTHENTICATED, SCENARIO_EXT_DEFAULT};
    srv->submission = (scenario_service_t){true, 587};
    srv->pop3 = (scenario_service_t){true, 110};
    srv->imap = (scenario_service_t){true, 143};
}

/* ---- queue -------------------------------------------------------------- */

static void queue_error(loader_t *L, const cJSON *obj, const char *key, const char *msg)
{
    size_t mark = path_push_key(L, key);
    load_error(L, cJSON_GetObjectItemCaseSensitive(obj, key), "%s", msg);
    path_pop(L, mark);
}

/* "max_retry (1m) must not be shorter than retry (30m)" */
static void queue_order_error(loader_t *L, const cJSON *obj, const char *key, sim_time_t a,
                              const char *relation, const char *other, sim_time_t b)
{
    char ta[32], tb[32];
    char *msg = xasprintf("%s (%s) must %s %s (%s)", key, duration_format(a, ta, sizeof ta),
                          relation, other, duration_format(b, tb, sizeof tb));
    queue_error(L, obj, key, msg);
    free(msg);
}

static void load_queue(loader_t *L, const cJSON *obj, scenario_queue_policy_t *q)
{
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_queue);
    if (get_duration(L, obj, "retry", OPTIONAL, &q->retry) && q->retry == 0)
        queue_error(L, obj, "retry", "retry must be longer than 0s");
    int backoff;
    if (get_enum(L, obj, "backoff", OPTIONAL, backoff_names, ARRAY_LEN(backoff_names), &backoff))
        q->backoff = (scenario_backoff_t)backoff;
    if (get_duration(L, obj, "max_retry", OPTIONAL, &q->max_retry)) {
        if (q->max_retry < q->retry)
            queue_order_error(L, obj, "max_retry", q->max_retry, "not be shorter than", "retry",
                              q->retry);
    } else if (q->retry > q->max_retry) {
        q->max_retry = q->retry;
    }
    if (get_duration(L, obj, "give_up", OPTIONAL, &q->give_up) && q->give_up == 0)
        queue_error(L, obj, "give_up", "give_up must be longer than 0s");
    if (get_duration(L, obj, "warn_after", OPTIONAL, &q->warn_after)) {
        if (q->warn_after == 0)
            queue_error(L, obj, "warn_after",
                        "warn_after must be longer than 0s; leave it out for no warning");
        else if (q->warn_after >= q->give_up)
            queue_order_error(L, obj, "warn_after", q->warn_after, "be shorter than", "give_up",
                              q->give_up);
    }
}

/* ---- services ----------------------------------------------------------- */

static void load_extensions(loader_t *L, const cJSON *node, unsigned *out)
{
    if (!value_array(L, node))
        return;
    const char *names[SCENARIO_EXT_COUNT];
    for (unsigned b = 0; b < SCENARIO_EXT_COUNT; b++)
        names[b] = scenario_smtp_extension_name(b);
    unsigned mask = 0;
    size_t i = 0;
    for (const cJSON *e = node->child; e; e = e->next, i++) {
        size_t mark = path_push_index(L, i);
        const char *s;
        if (value_string(L, e, &s)) {
            /* EHLO keywords are case-insensitive (RFC 5321 section 2.4). */
            int bit = -1;
            for (unsigned b = 0; b < SCENARIO_EXT_COUNT && bit < 0; b++)
                if (str_casecmp(s, names[b]) == 0)
                    bit = (int)b;
            if (bit < 0)
                load_error(L, e,
                           "unknown SMTP extension %s; known: PIPELINING, SIZE, 8BITMIME, "
                           "ENHANCEDSTATUSCODES, SMTPUTF8%s",
                           load_quote(L, s), load_suggest(L, s, names, SCENARIO_EXT_COUNT));
            else if (mask & (1u << bit))
                load_error(L, e, "extension %s is listed twice", load_quote(L, names[bit]));
            else
                mask |= 1u << bit;
        }
        path_pop(L, mark);
    }
    *out = mask;
}

static void load_smtp(loader_t *L, const cJSON *node, scenario_smtp_t *smtp)
{
    bool ok;
    const cJSON *obj = value_service(L, node, &smtp->offered, &ok);
    if (!obj)
        return;
    check_keys(L, obj, load_keys_smtp);
    get_port(L, obj, "port", OPTIONAL, &smtp->port);
    get_size(L, obj, "max_size", OPTIONAL, &smtp->max_size);
    int64_t max_recipients;
    if (get_int(L, obj, "max_recipients", OPTIONAL, 1, 1000000, &max_recipients))
        smtp->max_recipients = (uint32_t)max_recipients;
    int relay;
    if (get_enum(L, obj, "relay", OPTIONAL, relay_names, ARRAY_LEN(relay_names), &relay))
        smtp->relay = (scenario_relay_t)relay;
    const cJSON *ext = field(L, obj, "extensions", OPTIONAL);
    if (ext) {
        size_t mark = path_push_key(L, "extensions");
        load_extensions(L, ext, &smtp->extensions);
        path_pop(L, mark);
    }
}

static void load_service(loader_t *L, const cJSON *node, scenario_service_t *svc)
{
    bool ok;
    const cJSON *obj = value_service(L, node, &svc->offered, &ok);
    if (!obj)
        return;
    check_keys(L, obj, load_keys_service);
    get_port(L, obj, "port", OPTIONAL, &svc->port);
}

/* Two services of one server cannot listen on one port. */
static void check_ports(loader_t *L, const cJSON *obj, const scenario_server_t *srv)
{
    const struct {
        const char *name;
        bool offered;
        uint16_t port;
    } svc[] = {
        {"smtp", srv->smtp.offered, srv->smtp.port},
        {"submission", srv->submission.offered, srv->submission.port},
        {"pop3", srv->pop3.offered, srv->pop3.port},
        {"imap", srv->imap.offered, srv->imap.port},
    };
    for (size_t i = 1; i < ARRAY_LEN(svc); i++) {
        for (size_t j = 0; j < i; j++) {
            if (!svc[i].offered || !svc[j].offered || svc[i].port != svc[j].port)
                continue;
            const cJSON *node = field(L, obj, svc[i].name, OPTIONAL);
            size_t mark = path_push_key(L, svc[i].name);
            load_error(L, node ? node : obj, "port %u is already used by %s on this server",
                       svc[i].port, svc[j].name);
            path_pop(L, mark);
            break;
        }
    }
}

/* ---- users and domains -------------------------------------------------- */

static void load_user(loader_t *L, const cJSON *obj, size_t server, size_t index,
                      scenario_user_t *user)
{
    if (!value_object(L, obj)) {
        L->users_complete = false;
        return;
    }
    check_keys(L, obj, load_keys_user);
    const cJSON *name = get_name(L, obj, "user", value_user_name, &user->user);
    if (name) {
        size_t mark = path_push_key(L, "user");
        name_index_add(L, &L->users, user->user, server, index, name);
        path_pop(L, mark);
    } else {
        L->users_complete = false;
    }
    get_string(L, obj, "password", REQUIRED, &user->password);
    get_string(L, obj, "name", OPTIONAL, &user->name);
}

static void load_users(loader_t *L, const cJSON *node, size_t server, scenario_server_t *srv)
{
    if (!value_array(L, node)) {
        L->users_complete = false;
        return;
    }
    srv->nusers = (size_t)cJSON_GetArraySize(node);
    srv->users = xcalloc(srv->nusers, sizeof *srv->users);
    size_t i = 0;
    for (const cJSON *e = node->child; e; e = e->next, i++) {
        size_t mark = path_push_index(L, i);
        load_user(L, e, server, i, &srv->users[i]);
        path_pop(L, mark);
    }
}

static void load_domains(loader_t *L, const cJSON *node, size_t server, scenario_server_t *srv)
{
    if (!value_array(L, node)) {
        L->domains_complete = false;
        return;
    }
    srv->domains = xcalloc((size_t)cJSON_GetArraySize(node), sizeof *srv->domains);
    size_t i = 0;
    for (const cJSON *e = node->child; e; e = e->next, i++) {
        size_t mark = path_push_index(L, i);
        const char *s;
        value_domain(L, e, &s);
        if (cJSON_IsString(e)) {
            char *domain = srv->domains[srv->ndomains++] = xstrdup(e->valuestring);
            name_index_add(L, &L->domains, domain, 0, server, e);
        } else {
            L->domains_complete = false;
        }
        path_pop(L, mark);
    }
}

/* ---- external servers --------------------------------------------------- */

/* The keys that describe a simulated server's insides; a real server has its own. */
static const char *const simulated_only_keys[] = {"users", "queue", "smtp", "submission",
                                                  "pop3",  "imap",  "quota"};

/* "127.0.0.1:2526" into *addr and *port; false when s is not that form. */
static bool parse_host_port(const char *s, uint32_t *addr, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || colon - s > 15 || !colon[1] ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) || strlen(colon + 1) > 5)
        return false;
    char host[16];
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    long p = strtol(colon + 1, NULL, 10);
    if (addr_parse(host, addr) != 0 || p < 1 || p > 65535)
        return false;
    *port = (uint16_t)p;
    return true;
}

static void load_external(loader_t *L, const cJSON *obj, scenario_server_t *srv)
{
    const cJSON *v = field(L, obj, "external", OPTIONAL);
    if (!v)
        return;
    size_t mark = path_push_key(L, "external");
    const char *s;
    if (value_string(L, v, &s)) {
        if (!parse_host_port(s, &srv->external_addr, &srv->external_port))
            load_error(L, v,
                       "expected the loopback address and port of the real server, like "
                       "\"127.0.0.1:2526\", got %s",
                       load_quote(L, s));
        /* RFC 1122 3.2.1.3: 127.0.0.0/8 is this machine; mailsim reaches no further. */
        else if ((srv->external_addr >> 24) != 127)
            load_error(L, v,
                       "an external server is reached over loopback: the address must be "
                       "127.0.0.1 (or another of 127.0.0.0/8), got %s",
                       load_quote(L, s));
        else
            srv->external = xstrdup(s);
    }
    path_pop(L, mark);
    for (size_t i = 0; srv->external && i < ARRAY_LEN(simulated_only_keys); i++) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, simulated_only_keys[i]);
        if (!k)
            continue;
        mark = path_push_key(L, simulated_only_keys[i]);
        load_error(L, k,
                   "\"%s\" does not apply to an external server: the real server at %s "
                   "has its own",
                   simulated_only_keys[i], srv->external);
        path_pop(L, mark);
    }
}

/* ---- one server --------------------------------------------------------- */

static void add_host(loader_t *L, const cJSON *node, const char *host, size_t index)
{
    size_t mark = path_push_key(L, "host");
    name_index_add(L, &L->hosts, host, 0, index, node)->is_server = true;
    name_index_add(L, &L->server_hosts, host, 0, index, node)->is_server = true;
    path_pop(L, mark);
}

/* Shared with clients: "address", recorded for the uniqueness check. */
void load_host_address(loader_t *L, const cJSON *obj, size_t index, bool is_server,
                       uint32_t *address, bool *given)
{
    const cJSON *v = field(L, obj, "address", OPTIONAL);
    if (!v)
        return;
    size_t mark = path_push_key(L, "address");
    if (value_ipv4(L, v, address)) {
        *given = true;
        name_index_add(L, &L->addresses, v->valuestring, 0, index, v)->is_server = is_server;
    }
    path_pop(L, mark);
}

static void load_server(loader_t *L, const cJSON *obj, size_t index, scenario_server_t *srv)
{
    server_defaults(srv);
    if (!value_object(L, obj)) {
        L->hosts_complete = L->domains_complete = L->users_complete = false;
        return;
    }
    check_keys(L, obj, load_keys_server);
    const cJSON *host = get_name(L, obj, "host", value_host_name, &srv->host);
    if (host)
        add_host(L, host, srv->host, index);
    else
        L->hosts_complete = false;
    load_host_address(L, obj, index, true, &srv->address, &srv->address_given);
    static const struct {
        const char *key;
        void (*load)(loader_t *L, const cJSON *node, size_t server, scenario_server_t *srv);
    } lists[] = {{"domains", load_domains}, {"users", load_users}};
    for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
        const cJSON *v = field(L, obj, lists[i].key, OPTIONAL);
        if (!v)
            continue;
        size_t mark = path_push_key(L, lists[i].key);
        lists[i].load(L, v, index, srv);
        path_pop(L, mark);
    }
    if (srv->nusers > 0 && srv->ndomains == 0 && L->domains_complete) {
        size_t mark = path_push_key(L, "users");
        load_error(L, field(L, obj, "users", OPTIONAL),
                   "users need a domain: give this server \"domains\"");
        path_pop(L, mark);
    }
    const cJSON *v;
    size_t mark;
    if ((v = field(L, obj, "queue", OPTIONAL))) {
        mark = path_push_key(L, "queue");
        load_queue(L, v, &srv->queue);
        path_pop(L, mark);
    }
    if ((v = field(L, obj, "smtp", OPTIONAL))) {
        mark = path_push_key(L, "smtp");
        load_smtp(L, v, &srv->smtp);
        path_pop(L, mark);
    }
    static const struct {
        const char *key;
        size_t offset;
    } services[] = {
        {"submission", offsetof(scenario_server_t, submission)},
        {"pop3", offsetof(scenario_server_t, pop3)},
        {"imap", offsetof(scenario_server_t, imap)},
    };
    for (size_t i = 0; i < ARRAY_LEN(services); i++) {
        if (!(v = field(L, obj, services[i].key, OPTIONAL)))
            continue;
        mark = path_push_key(L, services[i].key);
        load_service(L, v, (scenario_service_t *)((char *)srv + services[i].offset));
        path_pop(L, mark);
    }
    check_ports(L, obj, srv);
    get_size(L, obj, "quota", OPTIONAL, &srv->quota);
    load_external(L, obj, srv);
}

/* ---- the section -------------------------------------------------------- */

static const char *server_host(const loader_t *L, size_t i)
{
    const char *h = L->sc->servers[i].host;
    return h ? h : "another server";
}

static void report_domain(loader_t *L, const name_ref_t *dup, const name_ref_t *first)
{
    if (dup->index == first->index)
        load_error_path(L, dup->node, dup->path, "domain %s is listed twice",
                        load_quote(L, dup->name));
    else
        load_error_path(L, dup->node, dup->path, "domain %s is already served by %s",
                        load_quote(L, dup->name), server_host(L, first->index));
}

static void report_user(loader_t *L, const name_ref_t *dup, const name_ref_t *first)
{
    load_error_path(L, dup->node, dup->path, "user %s is already defined at %s",
                    load_quote(L, dup->name), first->path);
}

void load_servers(loader_t *L, const cJSON *node)
{
    scenario_t *sc = L->sc;
    if (node && value_array(L, node)) {
        sc->nservers = (size_t)cJSON_GetArraySize(node);
        sc->servers = xcalloc(sc->nservers, sizeof *sc->servers);
        size_t i = 0;
        for (const cJSON *e = node->child; e; e = e->next, i++) {
            size_t mark = path_push_index(L, i);
            load_server(L, e, i, &sc->servers[i]);
            path_pop(L, mark);
        }
    } else if (node) {
        L->hosts_complete = L->domains_complete = L->users_complete = false;
    }
    name_index_finish(L, &L->server_hosts, NULL);
    name_index_finish(L, &L->domains, report_domain);
    name_index_finish(L, &L->users, report_user);
}
