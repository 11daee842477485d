/*
 * build: scenario_t to world_t, part by part, in an order that lets each part
 * find what it needs: the network's defaults first, then the servers (each
 * adds its host, A record and one MX per domain; an external server only
 * those), the MX overrides that replace those records, the clients, and
 * last the links, which name hosts of both kinds.
 */
#include "scenario/build.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"
#include "node/agent.h"
#include "node/server.h"
#include "proto/smtp_ext.h"

void scenario_notice_stderr(void *ctx, const char *line)
{
    fprintf(stderr, "%s\n", line);
}

unsigned scenario_smtp_extensions(unsigned scenario_bits, unsigned *missing)
{
    unsigned out = 0, lacking = 0;
    for (unsigned bit = 0; bit < SCENARIO_EXT_COUNT; bit++) {
        if (!(scenario_bits & (1u << bit)))
            continue;
        unsigned ext = smtp_ext_from_name(scenario_smtp_extension_name(bit));
        if (ext)
            out |= ext;
        else
            lacking |= 1u << bit;
    }
    if (missing)
        *missing = lacking;
    return out;
}

static queue_backoff_t backoff_of(scenario_backoff_t b)
{
    switch (b) {
    case SCENARIO_BACKOFF_FIXED:
        return QUEUE_BACKOFF_FIXED;
    case SCENARIO_BACKOFF_EXPONENTIAL:
        return QUEUE_BACKOFF_EXPONENTIAL;
    }
    panic("build: backoff %d", (int)b);
}

static relay_policy_t relay_of(scenario_relay_t r)
{
    switch (r) {
    case SCENARIO_RELAY_AUTHENTICATED:
        return RELAY_AUTHENTICATED;
    case SCENARIO_RELAY_OPEN:
        return RELAY_OPEN;
    case SCENARIO_RELAY_NONE:
        return RELAY_NONE;
    }
    panic("build: relay %d", (int)r);
}

/* A service the file set to false listens nowhere: port 0. */
static uint16_t service_port(const scenario_service_t *svc)
{
    return svc->offered ? svc->port : 0;
}

void scenario_server_config(const scenario_server_t *s, server_config_t *cfg, unsigned *missing_ext)
{
    server_config_default(cfg);
    cfg->host = s->host;
    cfg->addr = s->address;
    cfg->domains = (const char *const *)s->domains;
    cfg->ndomains = s->ndomains;
    cfg->queue = (queue_policy_t){
        .retry = s->queue.retry,
        .backoff = backoff_of(s->queue.backoff),
        .max_retry = s->queue.max_retry,
        .give_up = s->queue.give_up,
        .warn_after = s->queue.warn_after,
    };
    cfg->smtp_port = s->smtp.offered ? s->smtp.port : 0;
    cfg->submission_port = service_port(&s->submission);
    cfg->pop3_port = service_port(&s->pop3);
    cfg->imap_port = service_port(&s->imap);
    cfg->max_size = s->smtp.max_size;
    cfg->max_recipients = s->smtp.max_recipients;
    cfg->extensions = scenario_smtp_extensions(s->smtp.extensions, missing_ext);
    cfg->relay = relay_of(s->smtp.relay);
    cfg->quota = s->quota;
}

typedef struct builder {
    const scenario_t *sc;
    world_t *w;
    scenario_notice_fn notice;
    void *notice_ctx;
    char *err;
    size_t errlen;
} builder_t;

static void notice_missing_ext(builder_t *b, size_t index, unsigned missing)
{
    for (unsigned bit = 0; bit < SCENARIO_EXT_COUNT; bit++) {
        if (!(missing & (1u << bit)))
            continue;
        char *line = xasprintf("%s: $.servers[%zu].smtp.extensions: %s is not simulated yet; "
                               "the server does not offer it",
                               b->sc->source, index, scenario_smtp_extension_name(bit));
        b->notice(b->notice_ctx, line);
        free(line);
    }
}

/*
 * A server a real one plays (mailsim serve): only a host, its A record and
 * its domains' MX records, so mail for those domains is routed to it. No
 * service listens on it here; the bridge (sim/bridge/external.h) does.
 */
static bool build_external(builder_t *b, const scenario_server_t *s)
{
    if (!net_host_add(world_net(b->w), s->host, s->address)) {
        snprintf(b->err, b->errlen, "host %s or its address is already taken", s->host);
        return false;
    }
    dns_set_a(world_dns(b->w), s->host, s->address);
    for (size_t i = 0; i < s->ndomains; i++) {
        dns_mx_t mx = {s->host, 10};
        dns_set_mx(world_dns(b->w), s->domains[i], &mx, 1);
    }
    return true;
}

static bool build_server(builder_t *b, size_t index)
{
    const scenario_server_t *s = &b->sc->servers[index];
    if (s->external)
        return build_external(b, s);
    server_config_t cfg;
    unsigned missing;
    scenario_server_config(s, &cfg, &missing);
    notice_missing_ext(b, index, missing);
    mail_server_t *srv = world_add_server(b->w, &cfg, b->err, b->errlen);
    if (!srv)
        return false;
    for (size_t i = 0; i < s->nusers; i++) {
        const scenario_user_t *u = &s->users[i];
        if (!server_add_user(srv, u->user, u->password, u->name, b->err, b->errlen))
            return false;
    }
    return true;
}

void scenario_dns_set_mx(dns_t *dns, const scenario_mx_set_t *set)
{
    dns_mx_t *mx = xcalloc(set->nrecords + 1, sizeof *mx);
    for (size_t i = 0; i < set->nrecords; i++)
        mx[i] = (dns_mx_t){set->records[i].host, set->records[i].preference};
    dns_set_mx(dns, set->domain, mx, set->nrecords);
    free(mx);
}

static bool build_client(builder_t *b, const scenario_client_t *c)
{
    mail_server_t *srv = NULL;
    if (c->user)
        srv = world_server_by_host(b->w, b->sc->servers[c->server_index].host);
    return world_add_agent(b->w, c->host, c->address, c->user, c->password, srv, b->err,
                           b->errlen) != NULL;
}

static bool build_link(builder_t *b, const scenario_link_t *l)
{
    net_t *net = world_net(b->w);
    host_t *ha = net_host_by_name(net, l->a), *hb = net_host_by_name(net, l->b);
    if (!ha || !hb) {
        snprintf(b->err, b->errlen, "link between %s and %s: no such host", l->a, l->b);
        return false;
    }
    path_props_t p = {l->latency, l->bandwidth_bps, l->loss, l->cut};
    net_set_path(net, ha, hb, &p);
    return true;
}

static void build_network(builder_t *b)
{
    const scenario_network_t *n = &b->sc->network;
    path_props_t p = {n->latency, n->bandwidth_bps, n->loss, false};
    net_set_default_path(world_net(b->w), &p);
    net_set_mss(world_net(b->w), n->mss);
    dns_set_latency(world_dns(b->w), b->sc->dns.latency);
}

world_t *scenario_build(const scenario_t *sc, uint64_t seed, scenario_notice_fn notice,
                        void *notice_ctx, char *err, size_t errlen)
{
    builder_t b = {sc,  world_new(seed), notice ? notice : scenario_notice_stderr, notice_ctx,
                   err, errlen};
    build_network(&b);
    bool ok = true;
    for (size_t i = 0; ok && i < sc->nservers; i++)
        ok = build_server(&b, i);
    for (size_t i = 0; ok && i < sc->dns.nmx; i++)
        scenario_dns_set_mx(world_dns(b.w), &sc->dns.mx[i]);
    for (size_t i = 0; ok && i < sc->nclients; i++)
        ok = build_client(&b, &sc->clients[i]);
    for (size_t i = 0; ok && i < sc->network.nlinks; i++)
        ok = build_link(&b, &sc->network.links[i]);
    if (!ok) {
        world_free(b.w);
        return NULL;
    }
    return b.w;
}
