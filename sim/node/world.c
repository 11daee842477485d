/*
 * world: creation and lookup of servers and agents, faults, message labels
 * and totals.
 */
#include "node/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hugeheap.h"
#include "core/util.h"
#include "node/node_private.h"
#include "node/service.h"

world_t *world_new(uint64_t seed)
{
    hugeheap_follow();
    world_t *w = xcalloc(1, sizeof *w);
    w->sim = sim_new(seed);
    w->net = net_new(w->sim);
    w->dns = dns_new(w->sim);
    w->acct = accounting_new();
    return w;
}

void server_free(mail_server_t *s);
void agent_free(user_agent_t *a);

void world_free(world_t *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nservers; i++)
        server_free(w->servers[i]);
    for (size_t i = 0; i < w->nagents; i++)
        agent_free(w->agents[i]);
    free(w->servers);
    namemap_free(&w->server_hosts);
    free(w->agents);
    namemap_free(&w->agent_hosts);
    namemap_free(&w->agent_users);
    strpool_free(&w->label_strings);
    free(w->label_ids);
    free(w->label_names);
    free(w->label_slots);
    message_text_memo_free(&w->text_memo);
    message_field_memo_free(&w->subject_memo);
    smtp_client_memo_free(w->client_memo); /* after the agents: their engines use it */
    accounting_free(w->acct);
    dns_free(w->dns);
    net_free(w->net);
    sim_free(w->sim);
    free(w);
}

sim_t *world_sim(const world_t *w)
{
    return w->sim;
}

net_t *world_net(const world_t *w)
{
    return w->net;
}

dns_t *world_dns(const world_t *w)
{
    return w->dns;
}

accounting_t *world_accounting(const world_t *w)
{
    return w->acct;
}

sim_time_t world_now(const world_t *w)
{
    return sim_now(w->sim);
}

void node_emit(world_t *w, trace_event_t *ev)
{
    trace_emit(&w->sim->trace, ev);
}

/* Appends s[0..n) at *pos, cut so that out keeps room for its NUL. */
static void put_cut(char *out, size_t size, size_t *pos, const char *s, size_t n)
{
    size_t room = size - 1 - *pos;
    if (n > room)
        n = room;
    memcpy(out + *pos, s, n);
    *pos += n;
}

/* Makes each CR and LF of s[0..n) a space. */
static void blank_line_ends(char *s, size_t n)
{
    char *end = s + n;
    for (char *p = s; (p = memchr(p, '\n', (size_t)(end - p))) != NULL;)
        *p++ = ' ';
    for (char *p = s; (p = memchr(p, '\r', (size_t)(end - p))) != NULL;)
        *p++ = ' ';
}

void reply_format(const smtp_reply_t *reply, char *out, size_t size)
{
    /* "%d%s%s %s" by hand: every recipient's outcome is one. */
    if (size == 0)
        return;
    size_t elen = strlen(reply->enhanced), tlen = strlen(reply->text);
    /* A reply's usual code of three digits, and room for all of it: no cut to reckon with. */
    if (reply->code >= 100 && reply->code <= 999 && 3 + 1 + elen + 1 + tlen < size) {
        unsigned code = (unsigned)reply->code;
        char *p = out;
        p[0] = (char)('0' + code / 100);
        p[1] = (char)('0' + code / 10 % 10);
        p[2] = (char)('0' + code % 10);
        p += 3;
        if (elen) {
            *p++ = ' ';
            memcpy(p, reply->enhanced, elen);
            p += elen;
        }
        *p++ = ' ';
        memcpy(p, reply->text, tlen);
        p[tlen] = '\0';
        /* A reply of several lines is one line here. */
        blank_line_ends(out, (size_t)(p + tlen - out));
        return;
    }
    char digits[16], *d = digits + sizeof digits;
    unsigned v = reply->code < 0 ? 0u - (unsigned)reply->code : (unsigned)reply->code;
    do {
        *--d = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (reply->code < 0)
        *--d = '-';
    size_t pos = 0;
    put_cut(out, size, &pos, d, (size_t)(digits + sizeof digits - d));
    if (elen) {
        put_cut(out, size, &pos, " ", 1);
        put_cut(out, size, &pos, reply->enhanced, elen);
    }
    put_cut(out, size, &pos, " ", 1);
    put_cut(out, size, &pos, reply->text, tlen);
    out[pos] = '\0';
    blank_line_ends(out, pos);
}

const char *address_domain(const char *address)
{
    const char *at = strrchr(address, '@');
    return at ? at + 1 : "";
}

/* FNV-1a: Message-IDs are short and distinct; the label index is a hash table. */
static uint64_t label_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot holding message_id, or the empty slot where it would go. */
static size_t label_slot(const world_t *w, const char *message_id)
{
    size_t mask = w->label_slots_cap - 1;
    size_t i = (size_t)label_hash(message_id) & mask;
    while (w->label_slots[i] && strcmp(w->label_ids[w->label_slots[i] - 1], message_id) != 0)
        i = (i + 1) & mask;
    return i;
}

static void label_index_grow(world_t *w)
{
    free(w->label_slots);
    w->label_slots_cap = w->label_slots_cap ? w->label_slots_cap * 2 : 64;
    w->label_slots = xcalloc(w->label_slots_cap, sizeof *w->label_slots);
    for (size_t i = 0; i < w->nlabels; i++)
        w->label_slots[label_slot(w, w->label_ids[i])] = i + 1;
}

void world_register_label(world_t *w, const char *message_id, const char *label)
{
    /* A message named by its own ID needs no entry, unless one with another name is there. */
    if (strcmp(label, message_id) == 0 &&
        (!w->label_slots_cap || !w->label_slots[label_slot(w, message_id)]))
        return;
    if (w->nlabels == w->labels_cap) {
        w->labels_cap = w->labels_cap ? w->labels_cap * 2 : 16;
        w->label_ids = xrealloc(w->label_ids, w->labels_cap * sizeof *w->label_ids);
        w->label_names = xrealloc(w->label_names, w->labels_cap * sizeof *w->label_names);
    }
    w->label_ids[w->nlabels] = strpool_add_str(&w->label_strings, message_id);
    w->label_names[w->nlabels] = strpool_add_str(&w->label_strings, label);
    w->nlabels++;
    if (w->nlabels * 2 > w->label_slots_cap)
        label_index_grow(w);
    else
        w->label_slots[label_slot(w, message_id)] = w->nlabels; /* the latest wins */
}

const char *world_label_for(const world_t *w, const char *message_id)
{
    if (!w->label_slots_cap)
        return message_id;
    size_t slot = w->label_slots[label_slot(w, message_id)];
    return slot ? w->label_names[slot - 1] : message_id;
}

size_t world_server_count(const world_t *w)
{
    return w->nservers;
}

mail_server_t *world_server_at(const world_t *w, size_t i)
{
    return i < w->nservers ? w->servers[i] : NULL;
}

mail_server_t *world_server_by_host(const world_t *w, const char *host)
{
    size_t i;
    return namemap_get(&w->server_hosts, host, strlen(host), &i) ? w->servers[i] : NULL;
}

mail_server_t *world_server_for_domain(const world_t *w, const char *address_or_domain)
{
    const char *domain = strchr(address_or_domain, '@') ? address_domain(address_or_domain)
                                                         : address_or_domain;
    for (size_t i = 0; i < w->nservers; i++)
        if (server_hosts_domain(w->servers[i], domain))
            return w->servers[i];
    return NULL;
}

mail_server_t *server_new(world_t *w, const server_config_t *cfg, char *err, size_t errlen);

mail_server_t *world_add_server(world_t *w, const server_config_t *cfg, char *err, size_t errlen)
{
    mail_server_t *s = server_new(w, cfg, err, errlen);
    if (!s)
        return NULL;
    if (w->nservers == w->servers_cap) {
        w->servers_cap = w->servers_cap ? w->servers_cap * 2 : 8;
        w->servers = xrealloc(w->servers, w->servers_cap * sizeof *w->servers);
    }
    namemap_put(&w->server_hosts, s->host_name, strlen(s->host_name), w->nservers);
    w->servers[w->nservers++] = s;
    return s;
}

user_agent_t *agent_new(world_t *w, const char *host, uint32_t addr, const char *user,
                        const char *password, mail_server_t *server, char *err, size_t errlen);

user_agent_t *world_add_agent(world_t *w, const char *host, uint32_t addr, const char *user,
                              const char *password, mail_server_t *server, char *err,
                              size_t errlen)
{
    user_agent_t *a = agent_new(w, host, addr, user, password, server, err, errlen);
    if (!a)
        return NULL;
    if (w->nagents == w->agents_cap) {
        w->agents_cap = w->agents_cap ? w->agents_cap * 2 : 8;
        w->agents = xrealloc(w->agents, w->agents_cap * sizeof *w->agents);
    }
    const char *host_name = agent_host_name(a), *u = agent_user(a);
    namemap_put(&w->agent_hosts, host_name, strlen(host_name), w->nagents);
    size_t first;
    if (u && !namemap_get(&w->agent_users, u, strlen(u), &first))
        namemap_put(&w->agent_users, u, strlen(u), w->nagents);
    w->agents[w->nagents++] = a;
    return a;
}

size_t world_agent_count(const world_t *w)
{
    return w->nagents;
}

user_agent_t *world_agent_at(const world_t *w, size_t i)
{
    return i < w->nagents ? w->agents[i] : NULL;
}

user_agent_t *world_agent_by_host(const world_t *w, const char *host)
{
    size_t i;
    return namemap_get(&w->agent_hosts, host, strlen(host), &i) ? w->agents[i] : NULL;
}

user_agent_t *world_agent_by_user(const world_t *w, const char *address)
{
    size_t i;
    return namemap_get(&w->agent_users, address, strlen(address), &i) ? w->agents[i] : NULL;
}

uint32_t world_next_free_addr(const world_t *w)
{
    static const uint32_t ranges[] = {0xC0000200u, 0xC6336400u, 0xCB007100u};
    for (size_t r = 0; r < ARRAY_LEN(ranges); r++)
        for (uint32_t h = 10; h < 255; h++)
            if (!net_host_by_addr(w->net, ranges[r] | h))
                return ranges[r] | h;
    return 0;
}

void world_host_down(world_t *w, const char *host)
{
    host_t *h = net_host_by_name(w->net, host);
    if (h && host_is_up(h))
        net_host_down(w->net, h);
}

void world_host_up(world_t *w, const char *host)
{
    host_t *h = net_host_by_name(w->net, host);
    if (!h || host_is_up(h))
        return;
    net_host_up(w->net, h);
    mail_server_t *s = world_server_by_host(w, host);
    if (s)
        queue_kick(s);
}

void world_host_crash(world_t *w, const char *host)
{
    host_t *h = net_host_by_name(w->net, host);
    if (!h)
        return;
    mail_server_t *s = world_server_by_host(w, host);
    net_host_crash(w->net, h);
    if (s) {
        service_crash_all(s);
        queue_crash(s);
        store_crash(s->store);
    }
}

void world_run_until(world_t *w, sim_time_t t)
{
    hugeheap_follow();
    if (t == SIM_TIME_NEVER)
        sched_run(w->sim->sched);
    else
        sched_run_until(w->sim->sched, t);
}

void world_stats(const world_t *w, world_stats_t *out)
{
    *out = w->stats;
    out->queued = 0;
    for (size_t i = 0; i < w->nservers; i++)
        out->queued += w->servers[i]->nqueue;
}
