/*
 * load_timeline: the "timeline" section: each entry's time and its one
 * action. send lives in load_send.c; the other actions are here.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/load_internal.h"

const char *const load_keys_timeline_entry[] = {
    "at", "for",   "send", "fetch", "imap",    "session", "down",
    "up", "crash", "link", "dns",   "traffic", NULL,
};
const char *const load_keys_fetch[] = {"client", "protocol", "keep", "folder", NULL};
const char *const load_keys_imap[] = {"client", "create", "delete_folder", "move", "flag",
                                      "delete", NULL};
const char *const load_keys_imap_move[] = {"subject", "to", NULL};
const char *const load_keys_imap_flag[] = {"subject", "add", "remove", NULL};
const char *const load_keys_imap_delete[] = {"subject", NULL};
const char *const load_keys_session[] = {"client", "server", "port", "lines", NULL};
const char *const load_keys_link_change[] = {"between", "latency", "bandwidth",
                                             "loss",    "cut",     NULL};
const char *const load_keys_dns_change[] = {"remove_mx", "set_mx", NULL};
const char *const load_keys_traffic[] = {"messages", "from", "to", "over", "size", NULL};

static const char *const protocol_names[] = {"pop3", "imap"};

#define TRAFFIC_MAX_MESSAGES 1000000
#define DEFAULT_TRAFFIC_SIZE 2000

/* ---- shared pieces ------------------------------------------------------ */

/* "client": a client with a user (fetch, imap); the user's client or NULL. */
static const scenario_client_t *get_user_client(loader_t *L, const cJSON *obj, char **out)
{
    if (!get_checked_string(L, obj, "client", REQUIRED, value_host_name, out))
        return NULL;
    const cJSON *v = field(L, obj, "client", OPTIONAL);
    size_t mark = path_push_key(L, "client");
    const name_ref_t *r = ref_client(L, v, *out);
    const scenario_client_t *c = r ? &L->sc->clients[r->index] : NULL;
    if (c && !c->user) {
        load_error(L, v, "%s is a bare host with no user; it has no mailbox to use",
                   load_quote(L, *out));
        c = NULL;
    }
    path_pop(L, mark);
    return c;
}

static bool value_folder(loader_t *L, const cJSON *node, const char **out)
{
    if (!value_nonempty_string(L, node, out))
        return false;
    for (const char *p = *out; *p; p++) {
        if ((unsigned char)*p < 0x20) {
            load_error(L, node, "a folder name cannot hold control characters");
            return false;
        }
    }
    return true;
}

/* RFC 3501 2.3.2: system flags, or keywords (atoms). \Recent is the
 * server's to set. */
static bool value_flag(loader_t *L, const cJSON *node, const char **out)
{
    static const char *const system_flags[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
                                               "\\Draft"};
    if (!value_string(L, node, out))
        return false;
    const char *s = *out;
    if (s[0] == '\\') {
        for (size_t i = 0; i < ARRAY_LEN(system_flags); i++)
            if (str_casecmp(s, system_flags[i]) == 0)
                return true;
    } else if (*s) {
        const char *p = s;
        while (*p > 0x20 && *p < 0x7F && !strchr("(){%*\"\\]", *p))
            p++;
        if (!*p)
            return true;
    }
    load_error(L, node, "expected a flag like \"\\\\Flagged\" or a keyword, got %s%s",
               load_quote(L, s), load_suggest(L, s, system_flags, ARRAY_LEN(system_flags)));
    return false;
}

/* ---- fetch, imap, session ----------------------------------------------- */

static void load_fetch(loader_t *L, const cJSON *obj, scenario_action_t *a)
{
    scenario_fetch_t *f = &a->u.fetch;
    f->folder = xstrdup("INBOX");
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_fetch);
    const scenario_client_t *c = get_user_client(L, obj, &f->client);
    if (c) {
        f->protocol = c->access;
        f->keep = c->keep;
    }
    int protocol;
    if (get_enum(L, obj, "protocol", OPTIONAL, protocol_names, ARRAY_LEN(protocol_names),
                 &protocol))
        f->protocol = (scenario_access_t)protocol;
    get_bool(L, obj, "keep", OPTIONAL, &f->keep);
    const cJSON *folder = field(L, obj, "folder", OPTIONAL);
    if (folder && get_checked_string(L, obj, "folder", OPTIONAL, value_folder, &f->folder) &&
        f->protocol == SCENARIO_ACCESS_POP3 && (c || field(L, obj, "protocol", OPTIONAL))) {
        size_t mark = path_push_key(L, "folder");
        load_error(L, folder, "POP3 sees only the INBOX; \"folder\" needs \"protocol\": \"imap\"");
        path_pop(L, mark);
    }
}

static const char *const imap_ops[] = {"create", "delete_folder", "move", "flag", "delete"};

static void load_imap_target(loader_t *L, const cJSON *v, scenario_imap_t *m)
{
    const char *const *keys = m->op == SCENARIO_IMAP_MOVE   ? load_keys_imap_move
                              : m->op == SCENARIO_IMAP_FLAG ? load_keys_imap_flag
                                                            : load_keys_imap_delete;
    if (!value_object(L, v))
        return;
    check_keys(L, v, keys);
    get_string(L, v, "subject", REQUIRED, &m->subject);
    if (m->op == SCENARIO_IMAP_MOVE)
        get_checked_string(L, v, "to", REQUIRED, value_folder, &m->folder);
    if (m->op != SCENARIO_IMAP_FLAG)
        return;
    get_string_list(L, v, "add", OPTIONAL, value_flag, &m->add, &m->nadd);
    get_string_list(L, v, "remove", OPTIONAL, value_flag, &m->remove, &m->nremove);
    if (!field(L, v, "add", OPTIONAL) && !field(L, v, "remove", OPTIONAL))
        load_error(L, v, "a flag change needs \"add\" or \"remove\"");
}

static void load_imap(loader_t *L, const cJSON *obj, scenario_action_t *a)
{
    scenario_imap_t *m = &a->u.imap;
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_imap);
    get_user_client(L, obj, &m->client);
    size_t found = 0;
    const cJSON *op = NULL;
    for (size_t i = 0; i < ARRAY_LEN(imap_ops); i++) {
        const cJSON *v = field(L, obj, imap_ops[i], OPTIONAL);
        if (v && found++ == 0) {
            op = v;
            m->op = (scenario_imap_op_t)i;
        }
    }
    if (found != 1) {
        load_error(L, obj,
                   "%s; expected one of \"create\", \"delete_folder\", \"move\", "
                   "\"flag\" or \"delete\"",
                   found ? "more than one IMAP operation" : "no IMAP operation");
        return;
    }
    size_t mark = path_push_key(L, imap_ops[m->op]);
    if (m->op == SCENARIO_IMAP_CREATE || m->op == SCENARIO_IMAP_DELETE_FOLDER) {
        const char *s;
        if (value_folder(L, op, &s))
            m->folder = xstrdup(s);
    } else {
        load_imap_target(L, op, m);
    }
    path_pop(L, mark);
}

/* Each line is sent followed by CRLF, so it holds neither. */
static bool value_session_line(loader_t *L, const cJSON *node, const char **out)
{
    if (!value_string(L, node, out))
        return false;
    if (!strpbrk(*out, "\r\n"))
        return true;
    load_error(L, node, "a line cannot hold a line break; give each line its own string");
    return false;
}

static void load_session(loader_t *L, const cJSON *obj, scenario_action_t *a)
{
    scenario_session_t *s = &a->u.session;
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_session);
    static const struct {
        const char *key;
        const name_ref_t *(*ref)(loader_t *L, const cJSON *node, const char *host);
    } hosts[] = {{"client", ref_client}, {"server", ref_host}};
    for (size_t i = 0; i < ARRAY_LEN(hosts); i++) {
        char **out = i == 0 ? &s->client : &s->server;
        if (!get_checked_string(L, obj, hosts[i].key, REQUIRED, value_host_name, out))
            continue;
        size_t mark = path_push_key(L, hosts[i].key);
        hosts[i].ref(L, field(L, obj, hosts[i].key, OPTIONAL), *out);
        path_pop(L, mark);
    }
    get_port(L, obj, "port", REQUIRED, &s->port);
    get_string_list(L, obj, "lines", REQUIRED, value_session_line, &s->lines, &s->nlines);
}

/* ---- faults ------------------------------------------------------------- */

static void load_host_action(loader_t *L, const cJSON *node, scenario_action_t *a)
{
    const char *s;
    if (value_host_name(L, node, &s) && ref_host(L, node, s))
        a->u.host.host = xstrdup(s);
}

static void load_link_change(loader_t *L, const cJSON *obj, scenario_action_t *a)
{
    scenario_link_change_t *k = &a->u.link;
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_link_change);
    load_between(L, obj, &k->a, &k->b);
    k->has_latency = get_duration(L, obj, "latency", OPTIONAL, &k->latency);
    k->has_bandwidth = get_rate(L, obj, "bandwidth", OPTIONAL, &k->bandwidth_bps);
    k->has_loss = get_loss(L, obj, "loss", OPTIONAL, &k->loss);
    k->has_cut = get_bool(L, obj, "cut", OPTIONAL, &k->cut);
    bool any = false;
    for (size_t i = 1; load_keys_link_change[i]; i++)
        any |= field(L, obj, load_keys_link_change[i], OPTIONAL) != NULL;
    if (!any)
        load_error(L, obj, "a link change needs \"latency\", \"bandwidth\", \"loss\" or \"cut\"");
}

/* A domain with MX records to remove: served by a server or listed in dns.mx. */
static bool mx_domain_known(const loader_t *L, const char *domain)
{
    if (name_index_find(&L->domains, 0, domain))
        return true;
    for (size_t i = 0; i < L->sc->dns.nmx; i++)
        if (L->sc->dns.mx[i].domain && str_casecmp(L->sc->dns.mx[i].domain, domain) == 0)
            return true;
    return !L->domains_complete;
}

static void load_dns_change(loader_t *L, const cJSON *obj, scenario_action_t *a)
{
    scenario_dns_change_t *d = &a->u.dns;
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_dns_change);
    const cJSON *remove = field(L, obj, "remove_mx", OPTIONAL);
    const cJSON *set = field(L, obj, "set_mx", OPTIONAL);
    if (!remove == !set) {
        load_error(L, obj, "a dns change needs one of \"remove_mx\" or \"set_mx\"%s",
                   remove ? ", not both" : "");
        return;
    }
    size_t mark;
    if (set) {
        d->op = SCENARIO_DNS_SET_MX;
        mark = path_push_key(L, "set_mx");
        load_mx_sets(L, set, &d->sets, &d->nsets);
        path_pop(L, mark);
        return;
    }
    d->op = SCENARIO_DNS_REMOVE_MX;
    if (!get_checked_string(L, obj, "remove_mx", REQUIRED, value_domain, &d->domain))
        return;
    mark = path_push_key(L, "remove_mx");
    if (!mx_domain_known(L, d->domain))
        load_error(L, remove, "no MX to remove: no server serves %s and dns.mx does not list it%s",
                   load_quote(L, d->domain), name_index_suggest(L, &L->domains, d->domain));
    path_pop(L, mark);
}

/* A traffic sender: a user of some server (the generator submits for it). */
static bool value_traffic_sender(loader_t *L, const cJSON *node, const char **out)
{
    size_t server, user;
    return value_address(L, node, out) &&
           (ref_user(L, node, *out, &server, &user) || !L->domains_complete || !L->users_complete);
}

static void load_traffic(loader_t *L, const cJSON *obj, scenario_action_t *a)
{
    scenario_traffic_t *t = &a->u.traffic;
    t->size = DEFAULT_TRAFFIC_SIZE;
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_traffic);
    int64_t n;
    if (get_int(L, obj, "messages", REQUIRED, 1, TRAFFIC_MAX_MESSAGES, &n))
        t->messages = (uint64_t)n;
    static const char *const lists[] = {"from", "to"};
    for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
        char ***list = i == 0 ? &t->from : &t->to;
        size_t *count = i == 0 ? &t->nfrom : &t->nto;
        if (get_string_list(L, obj, lists[i], REQUIRED,
                            i == 0 ? value_traffic_sender : value_address, list, count) &&
            *count == 0) {
            size_t mark = path_push_key(L, lists[i]);
            load_error(L, field(L, obj, lists[i], OPTIONAL), "expected at least one address");
            path_pop(L, mark);
        }
    }
    get_duration(L, obj, "over", OPTIONAL, &t->over);
    get_size(L, obj, "size", OPTIONAL, &t->size);
}

/* ---- entries ------------------------------------------------------------ */

static void load_send_action(loader_t *L, const cJSON *node, scenario_action_t *a)
{
    load_send(L, node, &a->u.send);
}

static const struct {
    const char *key;
    scenario_action_kind_t kind;
    void (*load)(loader_t *L, const cJSON *node, scenario_action_t *a);
} actions[] = {
    {"send", SCENARIO_ACTION_SEND, load_send_action},
    {"fetch", SCENARIO_ACTION_FETCH, load_fetch},
    {"imap", SCENARIO_ACTION_IMAP, load_imap},
    {"session", SCENARIO_ACTION_SESSION, load_session},
    {"down", SCENARIO_ACTION_DOWN, load_host_action},
    {"up", SCENARIO_ACTION_UP, load_host_action},
    {"crash", SCENARIO_ACTION_CRASH, load_host_action},
    {"link", SCENARIO_ACTION_LINK, load_link_change},
    {"dns", SCENARIO_ACTION_DNS, load_dns_change},
    {"traffic", SCENARIO_ACTION_TRAFFIC, load_traffic},
};

/* Reports a time past "until": that part of the scenario would never run. */
void load_check_before_until(loader_t *L, const cJSON *obj, const char *key, sim_time_t t)
{
    if (!L->sc->until_given || t <= L->sc->until)
        return;
    char tt[32], tu[32];
    size_t mark = path_push_key(L, key);
    load_error(L, field(L, obj, key, OPTIONAL), "%s is after \"until\" (%s); it would never come",
               duration_format(t, tt, sizeof tt), duration_format(L->sc->until, tu, sizeof tu));
    path_pop(L, mark);
}

/* The entry's one action: its index in actions, or -1 after an error. */
static int find_action(loader_t *L, const cJSON *obj)
{
    int found = -1;
    for (size_t i = 0; i < ARRAY_LEN(actions); i++) {
        if (!field(L, obj, actions[i].key, OPTIONAL))
            continue;
        if (found >= 0) {
            load_error(L, obj, "two actions, \"%s\" and \"%s\"; give each its own entry",
                       actions[found].key, actions[i].key);
            return -1;
        }
        found = (int)i;
    }
    if (found < 0)
        load_error(L, obj,
                   "no action; expected one of \"send\", \"fetch\", \"imap\", \"session\", "
                   "\"down\", \"up\", \"crash\", \"link\", \"dns\" or \"traffic\"");
    return found;
}

static void load_for(loader_t *L, const cJSON *obj, scenario_action_t *a, int action)
{
    const cJSON *v = field(L, obj, "for", OPTIONAL);
    if (!v)
        return;
    if (action >= 0 && (a->kind == SCENARIO_ACTION_DOWN || a->kind == SCENARIO_ACTION_CRASH)) {
        if (get_duration(L, obj, "for", OPTIONAL, &a->u.host.duration) && a->u.host.duration == 0) {
            size_t mark = path_push_key(L, "for");
            load_error(L, v, "\"for\" must be longer than 0s; leave it out to stay down");
            path_pop(L, mark);
        }
        return;
    }
    if (action < 0)
        return;
    size_t mark = path_push_key(L, "for");
    load_error(L, v, "\"for\" applies to \"down\" and \"crash\" only, not to \"%s\"",
               actions[action].key);
    path_pop(L, mark);
}

static void load_entry(loader_t *L, const cJSON *obj, scenario_action_t *a)
{
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_timeline_entry);
    if (get_duration(L, obj, "at", REQUIRED, &a->at))
        load_check_before_until(L, obj, "at", a->at);
    int action = find_action(L, obj);
    if (action >= 0) {
        a->kind = actions[action].kind;
        size_t mark = path_push_key(L, actions[action].key);
        actions[action].load(L, field(L, obj, actions[action].key, OPTIONAL), a);
        path_pop(L, mark);
    }
    load_for(L, obj, a, action);
}

void load_timeline(loader_t *L, const cJSON *node)
{
    scenario_t *sc = L->sc;
    if (node && value_array(L, node)) {
        sc->ntimeline = (size_t)cJSON_GetArraySize(node);
        sc->timeline = xcalloc(sc->ntimeline, sizeof *sc->timeline);
        size_t i = 0;
        for (const cJSON *e = node->child; e; e = e->next, i++) {
            size_t mark = path_push_index(L, i);
            load_entry(L, e, &sc->timeline[i]);
            path_pop(L, mark);
        }
    }
    load_send_ids_finish(L);
}
