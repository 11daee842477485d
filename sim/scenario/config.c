/*
 * config: freeing a scenario, lookups by name, and the name tables of its
 * enums.
 */
#include "scenario/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const char *const extension_names[] = {
#define X(id, name) name,
    SCENARIO_SMTP_EXTENSIONS(X)
#undef X
};

const char *scenario_smtp_extension_name(unsigned bit)
{
    return bit < ARRAY_LEN(extension_names) ? extension_names[bit] : NULL;
}

int scenario_smtp_extension_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(extension_names); i++)
        if (strcmp(extension_names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *scenario_action_name(scenario_action_kind_t kind)
{
    switch (kind) {
    case SCENARIO_ACTION_SEND:
        return "send";
    case SCENARIO_ACTION_FETCH:
        return "fetch";
    case SCENARIO_ACTION_IMAP:
        return "imap";
    case SCENARIO_ACTION_SESSION:
        return "session";
    case SCENARIO_ACTION_DOWN:
        return "down";
    case SCENARIO_ACTION_UP:
        return "up";
    case SCENARIO_ACTION_CRASH:
        return "crash";
    case SCENARIO_ACTION_LINK:
        return "link";
    case SCENARIO_ACTION_DNS:
        return "dns";
    case SCENARIO_ACTION_TRAFFIC:
        return "traffic";
    }
    return "unknown";
}

const char *scenario_text_get(const scenario_text_t *text, const char *lang)
{
    if (lang && strcmp(lang, "el") == 0 && text->el)
        return text->el;
    return text->en ? text->en : text->el;
}

char *scenario_address_format(uint32_t address, char *out, size_t n)
{
    snprintf(out, n, "%u.%u.%u.%u", (unsigned)(address >> 24), (unsigned)(address >> 16) & 255,
             (unsigned)(address >> 8) & 255, (unsigned)address & 255);
    return out;
}

const scenario_server_t *scenario_find_server(const scenario_t *sc, const char *host)
{
    for (size_t i = 0; i < sc->nservers; i++)
        if (str_casecmp(sc->servers[i].host, host) == 0)
            return &sc->servers[i];
    return NULL;
}

const scenario_client_t *scenario_find_client(const scenario_t *sc, const char *host)
{
    for (size_t i = 0; i < sc->nclients; i++)
        if (str_casecmp(sc->clients[i].host, host) == 0)
            return &sc->clients[i];
    return NULL;
}

const scenario_server_t *scenario_find_domain(const scenario_t *sc, const char *domain)
{
    for (size_t i = 0; i < sc->nservers; i++)
        for (size_t d = 0; d < sc->servers[i].ndomains; d++)
            if (str_casecmp(sc->servers[i].domains[d], domain) == 0)
                return &sc->servers[i];
    return NULL;
}

const scenario_server_t *scenario_find_user(const scenario_t *sc, const char *address,
                                            const scenario_user_t **user_out)
{
    const char *at = strrchr(address, '@');
    if (!at)
        return NULL;
    const scenario_server_t *srv = scenario_find_domain(sc, at + 1);
    if (!srv)
        return NULL;
    size_t local_len = (size_t)(at - address);
    for (size_t u = 0; u < srv->nusers; u++) {
        const char *name = srv->users[u].user;
        if (strlen(name) == local_len && str_ncasecmp(name, address, local_len) == 0) {
            if (user_out)
                *user_out = &srv->users[u];
            return srv;
        }
    }
    return NULL;
}

/* ---- freeing ------------------------------------------------------------ */

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_text(scenario_text_t *t)
{
    free(t->en);
    free(t->el);
}

static void free_headers(scenario_header_t *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

static void free_mx_sets(scenario_mx_set_t *sets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < sets[i].nrecords; r++)
            free(sets[i].records[r].host);
        free(sets[i].records);
        free(sets[i].domain);
    }
    free(sets);
}

static void free_match(scenario_match_t *m)
{
    for (size_t i = 0; i < m->nfields; i++) {
        free(m->fields[i].name);
        free(m->fields[i].string);
    }
    free(m->fields);
    free(m->contains);
}

static void free_server(scenario_server_t *s)
{
    free(s->host);
    free(s->external);
    free_strings(s->domains, s->ndomains);
    for (size_t u = 0; u < s->nusers; u++) {
        free(s->users[u].user);
        free(s->users[u].password);
        free(s->users[u].name);
    }
    free(s->users);
}

static void free_client(scenario_client_t *c)
{
    free(c->host);
    free(c->user);
    free(c->password);
    free(c->server);
}

static void free_send(scenario_send_t *s)
{
    free(s->id);
    free(s->from);
    free_strings(s->to, s->nto);
    free_strings(s->cc, s->ncc);
    free_strings(s->bcc, s->nbcc);
    free(s->subject);
    free(s->body);
    free_headers(s->headers, s->nheaders);
    for (size_t i = 0; i < s->nattachments; i++) {
        free(s->attachments[i].name);
        free(s->attachments[i].type);
        free(s->attachments[i].text);
    }
    free(s->attachments);
    free(s->client);
    free(s->via_host);
}

static void free_action(scenario_action_t *a)
{
    switch (a->kind) {
    case SCENARIO_ACTION_SEND:
        free_send(&a->u.send);
        break;
    case SCENARIO_ACTION_FETCH:
        free(a->u.fetch.client);
        free(a->u.fetch.folder);
        break;
    case SCENARIO_ACTION_IMAP:
        free(a->u.imap.client);
        free(a->u.imap.folder);
        free(a->u.imap.subject);
        free_strings(a->u.imap.add, a->u.imap.nadd);
        free_strings(a->u.imap.remove, a->u.imap.nremove);
        break;
    case SCENARIO_ACTION_SESSION:
        free(a->u.session.client);
        free(a->u.session.server);
        free_strings(a->u.session.lines, a->u.session.nlines);
        break;
    case SCENARIO_ACTION_DOWN:
    case SCENARIO_ACTION_UP:
    case SCENARIO_ACTION_CRASH:
        free(a->u.host.host);
        break;
    case SCENARIO_ACTION_LINK:
        free(a->u.link.a);
        free(a->u.link.b);
        break;
    case SCENARIO_ACTION_DNS:
        free(a->u.dns.domain);
        free_mx_sets(a->u.dns.sets, a->u.dns.nsets);
        break;
    case SCENARIO_ACTION_TRAFFIC:
        free_strings(a->u.traffic.from, a->u.traffic.nfrom);
        free_strings(a->u.traffic.to, a->u.traffic.nto);
        break;
    }
}

static void free_expect(scenario_expect_t *e)
{
    free(e->name);
    switch (e->kind) {
    case SCENARIO_CHECK_MAILBOX:
        free(e->u.mailbox.user);
        free(e->u.mailbox.folder);
        free(e->u.mailbox.subject);
        free(e->u.mailbox.from);
        free(e->u.mailbox.message);
        free(e->u.mailbox.body_contains);
        free_headers(e->u.mailbox.headers, e->u.mailbox.nheaders);
        break;
    case SCENARIO_CHECK_QUEUE:
        free(e->u.queue.host);
        free(e->u.queue.message);
        free(e->u.queue.recipient);
        break;
    case SCENARIO_CHECK_EVENT:
        free_match(&e->u.event);
        break;
    case SCENARIO_CHECK_ORDER:
        for (size_t i = 0; i < e->u.order.nsteps; i++)
            free_match(&e->u.order.steps[i]);
        free(e->u.order.steps);
        break;
    }
}

void scenario_free(scenario_t *sc)
{
    if (!sc)
        return;
    free(sc->source);
    free(sc->id);
    free_text(&sc->title);
    free_text(&sc->description);
    for (size_t i = 0; i < sc->network.nlinks; i++) {
        free(sc->network.links[i].a);
        free(sc->network.links[i].b);
    }
    free(sc->network.links);
    free_mx_sets(sc->dns.mx, sc->dns.nmx);
    for (size_t i = 0; i < sc->nservers; i++)
        free_server(&sc->servers[i]);
    free(sc->servers);
    for (size_t i = 0; i < sc->nclients; i++)
        free_client(&sc->clients[i]);
    free(sc->clients);
    for (size_t i = 0; i < sc->ntimeline; i++)
        free_action(&sc->timeline[i]);
    free(sc->timeline);
    for (size_t i = 0; i < sc->nnarration; i++) {
        free_match(&sc->narration[i].on);
        free_text(&sc->narration[i].say);
    }
    free(sc->narration);
    for (size_t i = 0; i < sc->nexpect; i++)
        free_expect(&sc->expect[i]);
    free(sc->expect);
    free(sc);
}
