/*
 * agent_fetch: step 6 of the lecture. The user agent opens TCP to its
 * server's POP3 port, logs in with USER/PASS, lists, retrieves the new
 * messages and, unless it keeps mail on the server, deletes them. Fetched
 * messages land in the agent's own store (its disk); with keep, the UIDLs
 * fetched before decide what is new. Each retrieved message is traced as
 * user.fetch at the agent's host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/header.h"
#include "node/node_private.h"
#include "proto/pop3_client.h"

typedef struct fetch {
    agent_conn_t ac; /* first: the connection, the agent's task */
    pop3_client_t *client;
    bool keep;
} fetch_t;

void agent_fetch_free_state(user_agent_t *a)
{
    store_free(a->local);
    a->local = NULL;
    for (size_t i = 0; i < a->nseen; i++)
        free(a->seen_uidls[i]);
    free(a->seen_uidls);
    a->seen_uidls = NULL;
    a->nseen = 0;
}

store_t *agent_local_store(const user_agent_t *a)
{
    return a->local;
}

char *agent_login_name(const char *address)
{
    const char *at = strrchr(address, '@');
    return xstrndup(address, at ? (size_t)(at - address) : strlen(address));
}

store_user_t *agent_local_user(user_agent_t *a)
{
    char *name = agent_login_name(a->user);
    if (!a->local) {
        a->local = store_new();
        store_add_domain(a->local, address_domain(a->user));
        store_add_user(a->local, name, a->password ? a->password : "", NULL, 0, NULL);
    }
    store_user_t *u = store_find_user(a->local, name);
    free(name);
    return u;
}

static bool hook_seen(void *ctx, const char *uidl)
{
    user_agent_t *a = ((fetch_t *)ctx)->ac.agent;
    for (size_t i = 0; i < a->nseen; i++)
        if (strcmp(a->seen_uidls[i], uidl) == 0)
            return true;
    return false;
}

static void hook_message(void *ctx, uint32_t msgno, const char *uidl, const uint8_t *data,
                         size_t len)
{
    fetch_t *f = ctx;
    user_agent_t *a = f->ac.agent;
    world_t *w = a->world;
    header_t h;
    header_init(&h);
    header_parse(data, len, &h);
    const char *msgid = header_get(&h, "Message-ID");
    const char *label = msgid ? world_label_for(w, msgid) : NULL;
    store_deliver(agent_local_user(a), data, len, sim_now(w->sim), label, NULL);
    if (uidl) {
        a->seen_uidls = xrealloc(a->seen_uidls, (a->nseen + 1) * sizeof *a->seen_uidls);
        a->seen_uidls[a->nseen++] = xstrdup(uidl);
    }
    if (trace_enabled(&w->sim->trace)) {
        trace_event_t ev;
        trace_event_init(&ev, sim_now(w->sim), TRACE_USER_FETCH, a->host_name);
        ev.user = a->user;
        ev.message = label;
        ev.text = uidl;
        node_emit(w, &ev);
    }
    header_free(&h);
}

static void hook_done(void *ctx, bool ok, const char *error, const pop3_fetch_counts_t *counts)
{
    fetch_t *f = ctx;
    char text[300];
    if (ok)
        snprintf(text, sizeof text, "fetched %u new of %u, deleted %u%s", counts->retrieved,
                 counts->messages, counts->deleted, f->keep ? " (keep)" : "");
    else
        snprintf(text, sizeof text, "fetch failed: %.250s", error ? error : "unknown error");
    agent_emit_result(f->ac.agent, text);
}

static void fetch_feed(agent_conn_t *ac, const uint8_t *data, size_t len, buf_t *out)
{
    pop3_client_feed(((fetch_t *)ac)->client, data, len, out);
}

static bool fetch_done(const agent_conn_t *ac)
{
    return pop3_client_done(((const fetch_t *)ac)->client);
}

static void fetch_lost(agent_conn_t *ac)
{
    pop3_client_connection_lost(((fetch_t *)ac)->client); /* on_done if not done yet */
}

static void fetch_free(agent_conn_t *ac)
{
    fetch_t *f = (fetch_t *)ac;
    pop3_client_free(f->client);
    free(f);
}

static const agent_conn_ops_t fetch_ops = {
    .feed = fetch_feed,
    .done = fetch_done,
    .lost = fetch_lost,
    .free = fetch_free,
};

bool agent_fetch(user_agent_t *a, bool keep, char *err, size_t errlen)
{
    if (!a->user || !a->server) {
        snprintf(err, errlen, "%s has no mailbox to read", a->host_name);
        return false;
    }
    if (!a->server->cfg.pop3_port) {
        snprintf(err, errlen, "%s offers no POP3 service", a->server->host_name);
        return false;
    }
    agent_local_user(a);
    fetch_t *f = xcalloc(1, sizeof *f);
    f->keep = keep;
    char *name = agent_login_name(a->user);
    pop3_client_config_t cfg = {.user = name, .password = a->password ? a->password : "",
                                .keep = keep};
    pop3_client_hooks_t hooks = {
        .ctx = f,
        .seen = hook_seen,
        .on_message = hook_message,
        .on_done = hook_done,
    };
    f->client = pop3_client_new(&cfg, &hooks);
    free(name);
    agent_conn_open(&f->ac, a, &fetch_ops, a->server->host, a->server->cfg.pop3_port);
    return true;
}
