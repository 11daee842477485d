/*
 * load_network: the "network" section (default path properties and links
 * between pairs of hosts) and the "dns" section (latency and MX records).
 */
#include <stdlib.h>
#include <string.h>

#include "scenario/load_internal.h"

const char *const load_keys_network[] = {"latency", "bandwidth", "loss", "mss", "links", NULL};
const char *const load_keys_link[] = {"between", "latency", "bandwidth", "loss", "cut", NULL};
const char *const load_keys_dns[] = {"latency", "mx", NULL};
const char *const load_keys_mx_record[] = {"host", "preference", NULL};

/* RFC 879: an MSS below 1 makes no segment; 65495 fills an IPv4 datagram. */
#define MSS_MAX 65495
#define DEFAULT_MX_PREFERENCE 10

bool load_between(loader_t *L, const cJSON *obj, char **a, char **b)
{
    const cJSON *v = field(L, obj, "between", REQUIRED);
    if (!v)
        return false;
    size_t mark = path_push_key(L, "between");
    bool ok = value_array(L, v);
    if (ok && cJSON_GetArraySize(v) != 2) {
        load_error(L, v, "expected two host names, got %d", cJSON_GetArraySize(v));
        ok = false;
    }
    char **ends[2] = {a, b};
    size_t i = 0;
    for (const cJSON *e = ok ? v->child : NULL; e; e = e->next, i++) {
        size_t m = path_push_index(L, i);
        const char *s;
        if (value_host_name(L, e, &s) && ref_host(L, e, s))
            *ends[i] = xstrdup(s);
        else
            ok = false;
        path_pop(L, m);
    }
    if (ok && str_casecmp(*a, *b) == 0) {
        load_error(L, v, "a link joins two different hosts, got %s twice", load_quote(L, *a));
        ok = false;
    }
    path_pop(L, mark);
    return ok;
}

static void load_link(loader_t *L, const cJSON *obj, scenario_link_t *link)
{
    const scenario_network_t *net = &L->sc->network;
    link->latency = net->latency;
    link->bandwidth_bps = net->bandwidth_bps;
    link->loss = net->loss;
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_link);
    load_between(L, obj, &link->a, &link->b);
    get_duration(L, obj, "latency", OPTIONAL, &link->latency);
    get_rate(L, obj, "bandwidth", OPTIONAL, &link->bandwidth_bps);
    get_loss(L, obj, "loss", OPTIONAL, &link->loss);
    get_bool(L, obj, "cut", OPTIONAL, &link->cut);
}

static void report_link(loader_t *L, const name_ref_t *dup, const name_ref_t *first)
{
    load_error_path(L, dup->node, dup->path, "these two hosts already have a link at %s",
                    first->path);
}

/* Each pair once: the pair's names, in order, are the index's key. */
static void check_link_pairs(loader_t *L, const cJSON *links)
{
    scenario_network_t *net = &L->sc->network;
    name_index_t pairs = {0};
    char **keys = xcalloc(net->nlinks, sizeof *keys);
    size_t i = 0;
    for (const cJSON *e = links->child; e && i < net->nlinks; e = e->next, i++) {
        const scenario_link_t *k = &net->links[i];
        if (!k->a || !k->b)
            continue;
        bool swap = str_casecmp(k->a, k->b) > 0;
        keys[i] = xasprintf("%s %s", swap ? k->b : k->a, swap ? k->a : k->b);
        size_t m = path_push_index(L, i);
        name_index_add(L, &pairs, keys[i], 0, i, e);
        path_pop(L, m);
    }
    name_index_finish(L, &pairs, report_link);
    name_index_free(&pairs);
    for (i = 0; i < net->nlinks; i++)
        free(keys[i]);
    free(keys);
}

static void load_links(loader_t *L, const cJSON *node)
{
    scenario_network_t *net = &L->sc->network;
    if (!value_array(L, node))
        return;
    net->nlinks = (size_t)cJSON_GetArraySize(node);
    net->links = xcalloc(net->nlinks, sizeof *net->links);
    size_t i = 0;
    for (const cJSON *e = node->child; e; e = e->next, i++) {
        size_t mark = path_push_index(L, i);
        load_link(L, e, &net->links[i]);
        path_pop(L, mark);
    }
    check_link_pairs(L, node);
}

void load_network(loader_t *L, const cJSON *node)
{
    scenario_network_t *net = &L->sc->network;
    if (!node || !value_object(L, node))
        return;
    check_keys(L, node, load_keys_network);
    get_duration(L, node, "latency", OPTIONAL, &net->latency);
    get_rate(L, node, "bandwidth", OPTIONAL, &net->bandwidth_bps);
    get_loss(L, node, "loss", OPTIONAL, &net->loss);
    int64_t mss;
    if (get_int(L, node, "mss", OPTIONAL, 1, MSS_MAX, &mss))
        net->mss = (uint32_t)mss;
    const cJSON *links = field(L, node, "links", OPTIONAL);
    if (links) {
        size_t mark = path_push_key(L, "links");
        load_links(L, links);
        path_pop(L, mark);
    }
}

/* ---- dns ---------------------------------------------------------------- */

static void load_mx_record(loader_t *L, const cJSON *obj, scenario_mx_t *mx)
{
    mx->preference = DEFAULT_MX_PREFERENCE;
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_mx_record);
    get_checked_string(L, obj, "host", REQUIRED, value_host_name, &mx->host);
    int64_t pref;
    /* RFC 1035 3.3.9: PREFERENCE is a 16-bit integer. */
    if (get_int(L, obj, "preference", OPTIONAL, 0, 65535, &pref))
        mx->preference = (uint16_t)pref;
}

static void load_mx_set(loader_t *L, const cJSON *member, scenario_mx_set_t *set)
{
    set->domain = xstrdup(member->string);
    if (!load_host_name_ok(member->string))
        load_error(L, member, "expected a domain like \"example.org\" as the key, got %s",
                   load_quote(L, member->string));
    if (!value_array(L, member))
        return;
    set->nrecords = (size_t)cJSON_GetArraySize(member);
    set->records = xcalloc(set->nrecords, sizeof *set->records);
    size_t i = 0;
    for (const cJSON *e = member->child; e; e = e->next, i++) {
        size_t mark = path_push_index(L, i);
        load_mx_record(L, e, &set->records[i]);
        path_pop(L, mark);
    }
}

void load_mx_sets(loader_t *L, const cJSON *node, scenario_mx_set_t **out, size_t *n)
{
    if (!value_object(L, node))
        return;
    check_map_keys(L, node, true);
    *n = (size_t)cJSON_GetArraySize(node);
    *out = xcalloc(*n, sizeof **out);
    size_t i = 0;
    for (const cJSON *m = node->child; m; m = m->next, i++) {
        size_t mark = path_push_key(L, m->string);
        load_mx_set(L, m, &(*out)[i]);
        path_pop(L, mark);
    }
}

void load_dns(loader_t *L, const cJSON *node)
{
    scenario_dns_t *dns = &L->sc->dns;
    if (!node || !value_object(L, node))
        return;
    check_keys(L, node, load_keys_dns);
    get_duration(L, node, "latency", OPTIONAL, &dns->latency);
    const cJSON *mx = field(L, node, "mx", OPTIONAL);
    if (mx) {
        size_t mark = path_push_key(L, "mx");
        load_mx_sets(L, mx, &dns->mx, &dns->nmx);
        path_pop(L, mark);
    }
}
