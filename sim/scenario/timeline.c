/*
 * timeline: one scheduler event per timeline entry (and one more for the up
 * that `for` brings), each running its action against the world. Traffic
 * sends its messages one scheduler event at a time, each scheduling the
 * next, so a million messages never sit in the heap at once.
 */
#include "scenario/timeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node/agent.h"
#include "node/server.h"

typedef struct tl_entry tl_entry_t;

/* One traffic action's generator. */
typedef struct tl_traffic {
    rng_t rng;              /* seeded from the world's PRNG when the timeline is made */
    user_agent_t **senders; /* per `from` entry; NULL when it cannot send */
    uint64_t first_label;   /* messages are labelled t(first_label + k + 1) */
    uint64_t next;          /* the next message, 0-based */
    char *body;             /* `size` bytes, shared by every message */
} tl_traffic_t;

struct tl_entry {
    timeline_t *tl;
    size_t index;
    sched_id_t timer;
    sched_id_t back_timer; /* the up of a down or crash with `for` */
    tl_traffic_t *traffic; /* traffic entries only */
};

struct timeline {
    const scenario_t *sc;
    world_t *w;
    scenario_notice_fn notice;
    void *notice_ctx;
    tl_entry_t *entries; /* one per sc->timeline entry */
    size_t run, skipped;
    uint64_t traffic_sent;
};

static sched_t *tl_sched(const timeline_t *t)
{
    return world_sim(t->w)->sched;
}

static void tl_notice(timeline_t *t, size_t index, const char *fmt, ...) MS_PRINTF(3, 4);

static void tl_notice(timeline_t *t, size_t index, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char what[512];
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char *line = xasprintf("%s: $.timeline[%zu]: %s", t->sc->source, index, what);
    t->notice(t->notice_ctx, line);
    free(line);
}

/* ---- send ---------------------------------------------------------------- */

static void run_send(timeline_t *t, size_t index, const scenario_send_t *s)
{
    user_agent_t *a = s->client ? world_agent_by_host(t->w, s->client) : NULL;
    if (!a) {
        tl_notice(t, index, "send: no client to send from; it is skipped");
        return;
    }
    agent_attachment_t *atts = xcalloc(s->nattachments + 1, sizeof *atts);
    for (size_t i = 0; i < s->nattachments; i++) {
        const scenario_attachment_t *sa = &s->attachments[i];
        atts[i] = (agent_attachment_t){sa->name, sa->type, sa->text, sa->size};
    }
    agent_header_t *hdrs = xcalloc(s->nheaders + 1, sizeof *hdrs);
    for (size_t i = 0; i < s->nheaders; i++)
        hdrs[i] = (agent_header_t){s->headers[i].name, s->headers[i].value};
    agent_send_t m = {
        .id = s->id,
        .from = s->from,
        .to = (const char *const *)s->to,
        .nto = s->nto,
        .cc = (const char *const *)s->cc,
        .ncc = s->ncc,
        .bcc = (const char *const *)s->bcc,
        .nbcc = s->nbcc,
        .subject = s->subject,
        .body = s->body,
        .attachments = atts,
        .nattachments = s->nattachments,
        .headers = hdrs,
        .nheaders = s->nheaders,
        .via_host = s->via_host,
        .via_port = s->via_port,
    };
    char err[256];
    if (!agent_send(a, &m, err, sizeof err))
        tl_notice(t, index, "send could not start: %s", err);
    free(atts);
    free(hdrs);
}

/* ---- link and dns -------------------------------------------------------- */

static void run_link(timeline_t *t, size_t index, const scenario_link_change_t *l)
{
    net_t *net = world_net(t->w);
    host_t *a = net_host_by_name(net, l->a), *b = net_host_by_name(net, l->b);
    if (!a || !b) {
        tl_notice(t, index, "link: no host %s; it is skipped", a ? l->b : l->a);
        return;
    }
    path_props_t p = net_get_path(net, a, b);
    if (l->has_latency)
        p.latency = l->latency;
    if (l->has_bandwidth)
        p.bandwidth_bps = l->bandwidth_bps;
    if (l->has_loss)
        p.loss = l->loss;
    if (l->has_cut)
        p.cut = l->cut;
    net_set_path(net, a, b, &p);
}

static void run_dns(timeline_t *t, const scenario_dns_change_t *d)
{
    dns_t *dns = world_dns(t->w);
    switch (d->op) {
    case SCENARIO_DNS_REMOVE_MX:
        dns_remove_mx(dns, d->domain);
        break;
    case SCENARIO_DNS_SET_MX:
        for (size_t i = 0; i < d->nsets; i++)
            scenario_dns_set_mx(dns, &d->sets[i]);
        break;
    }
}

/* ---- traffic ------------------------------------------------------------- */

/* When message k of n leaves: evenly spread over `over` from `at`. */
static sim_time_t traffic_time(const scenario_action_t *a, uint64_t k)
{
    const scenario_traffic_t *tr = &a->u.traffic;
    sim_time_t n = (sim_time_t)tr->messages;
    /* over/n*k + (over%n)*k/n: no overflow for any over and n <= 1,000,000 */
    return a->at + tr->over / n * (sim_time_t)k + tr->over % n * (sim_time_t)k / n;
}

static void traffic_fire(void *arg);

static void traffic_send_one(timeline_t *t, tl_entry_t *e)
{
    const scenario_traffic_t *tr = &t->sc->timeline[e->index].u.traffic;
    tl_traffic_t *g = e->traffic;
    size_t from = (size_t)rng_below(&g->rng, tr->nfrom);
    size_t to = (size_t)rng_below(&g->rng, tr->nto);
    char label[32], subject[64];
    snprintf(label, sizeof label, "t%llu", (unsigned long long)(g->first_label + g->next + 1));
    snprintf(subject, sizeof subject, "Traffic %s", label);
    g->next++;
    user_agent_t *a = g->senders[from];
    if (!a)
        return; /* said once when the timeline was made */
    const char *rcpt = tr->to[to];
    agent_send_t m = {.id = label,
                      .from = tr->from[from],
                      .to = &rcpt,
                      .nto = 1,
                      .subject = subject,
                      .body = g->body};
    char err[256];
    if (agent_send(a, &m, err, sizeof err))
        t->traffic_sent++;
    else
        tl_notice(t, e->index, "traffic message %s could not start: %s", label, err);
}

static void traffic_fire(void *arg)
{
    tl_entry_t *e = arg;
    timeline_t *t = e->tl;
    const scenario_action_t *a = &t->sc->timeline[e->index];
    e->timer = 0;
    if (e->traffic->next == 0)
        t->run++;
    traffic_send_one(t, e);
    if (e->traffic->next < a->u.traffic.messages)
        e->timer = sched_at(tl_sched(t), traffic_time(a, e->traffic->next), traffic_fire, e);
}

/* Printable lines of 72 bytes (71 and a newline), exactly size bytes in all. */
static char *traffic_body(uint64_t size)
{
    static const char text[] = "Background mail, so that the servers and queues have work. ";
    char *body = xmalloc((size_t)size + 1);
    for (uint64_t i = 0; i < size; i++)
        body[i] = i % 72 == 71 ? '\n' : text[i % (sizeof text - 1)];
    body[size] = '\0';
    return body;
}

/* The agent of the first scenario client whose user is that scenario user. */
static user_agent_t *client_agent_of(timeline_t *t, const scenario_user_t *user)
{
    for (size_t i = 0; i < t->sc->nclients; i++) {
        const scenario_client_t *c = &t->sc->clients[i];
        const scenario_user_t *cu = NULL;
        if (c->user && scenario_find_user(t->sc, c->user, &cu) && cu == user)
            return world_agent_by_host(t->w, c->host);
    }
    return NULL;
}

/* A generator host of the sender's own: "alice-traffic.alice.example" (then traffic2 ...). */
static user_agent_t *generator_agent(timeline_t *t, const char *address,
                                     const scenario_server_t *srv, const scenario_user_t *user)
{
    const char *at = strrchr(address, '@');
    int local_len = at ? (int)(at - address) : (int)strlen(address);
    const char *domain = at ? at + 1 : "";
    for (unsigned k = 1;; k++) {
        char *host = k == 1 ? xasprintf("%.*s-traffic.%s", local_len, address, domain)
                            : xasprintf("%.*s-traffic%u.%s", local_len, address, k, domain);
        user_agent_t *a = world_agent_by_host(t->w, host);
        bool taken = a || net_host_by_name(world_net(t->w), host);
        if (!taken) {
            char err[256];
            a = world_add_agent(t->w, host, world_next_free_addr(t->w), address, user->password,
                                world_server_by_host(t->w, srv->host), err, sizeof err);
        } else if (a && (!agent_user(a) || str_casecmp(agent_user(a), address) != 0)) {
            a = NULL;
        }
        free(host);
        if (a || !taken)
            return a;
    }
}

static user_agent_t *traffic_sender(timeline_t *t, size_t index, const char *address)
{
    const scenario_user_t *user = NULL;
    const scenario_server_t *srv = scenario_find_user(t->sc, address, &user);
    user_agent_t *a = NULL;
    if (srv)
        a = client_agent_of(t, user);
    if (srv && !a)
        a = generator_agent(t, address, srv, user);
    if (!a)
        tl_notice(t, index,
                  "traffic: %s cannot send (no such user, or no address left for a "
                  "generator host); its messages are skipped",
                  address);
    return a;
}

static tl_traffic_t *traffic_new(timeline_t *t, size_t index, uint64_t first_label)
{
    const scenario_traffic_t *tr = &t->sc->timeline[index].u.traffic;
    tl_traffic_t *g = xcalloc(1, sizeof *g);
    rng_seed(&g->rng, rng_next(&world_sim(t->w)->rng));
    g->senders = xcalloc(tr->nfrom + 1, sizeof *g->senders);
    for (size_t i = 0; i < tr->nfrom; i++)
        g->senders[i] = traffic_sender(t, index, tr->from[i]);
    g->first_label = first_label;
    g->body = traffic_body(tr->size);
    return g;
}

static void traffic_free(tl_traffic_t *g)
{
    if (!g)
        return;
    free(g->senders);
    free(g->body);
    free(g);
}

/* ---- reading mail and typed sessions --------------------------------------- */

static bool run_fetch(timeline_t *t, size_t index, const scenario_fetch_t *f)
{
    user_agent_t *a = world_agent_by_host(t->w, f->client);
    char err[256];
    /* IMAP leaves the mail on the server whatever keep says. */
    bool started = a && (f->protocol == SCENARIO_ACCESS_IMAP
                             ? agent_fetch_imap(a, f->folder, err, sizeof err)
                             : agent_fetch(a, f->keep, err, sizeof err));
    if (!started) {
        tl_notice(t, index, "fetch: %s; it is skipped", a ? err : "no such client");
        t->skipped++;
        return false;
    }
    return true;
}

/* One scenario imap action: one IMAP session of the client. */
static bool run_imap(timeline_t *t, size_t index, const scenario_imap_t *m)
{
    user_agent_t *a = world_agent_by_host(t->w, m->client);
    agent_imap_op_t op = {.folder = m->folder, .subject = m->subject,
                          .add = (const char *const *)m->add, .nadd = m->nadd,
                          .remove = (const char *const *)m->remove, .nremove = m->nremove};
    switch (m->op) {
    case SCENARIO_IMAP_CREATE: op.kind = AGENT_IMAP_CREATE; break;
    case SCENARIO_IMAP_DELETE_FOLDER: op.kind = AGENT_IMAP_DELETE_FOLDER; break;
    case SCENARIO_IMAP_MOVE: op.kind = AGENT_IMAP_MOVE; break;
    case SCENARIO_IMAP_FLAG: op.kind = AGENT_IMAP_FLAG; break;
    case SCENARIO_IMAP_DELETE: op.kind = AGENT_IMAP_DELETE; break;
    }
    char err[256];
    if (!a || !agent_imap(a, &op, 1, err, sizeof err)) {
        tl_notice(t, index, "imap: %s; it is skipped", a ? err : "no such client");
        t->skipped++;
        return false;
    }
    return true;
}

static bool run_session(timeline_t *t, size_t index, const scenario_session_t *s)
{
    user_agent_t *a = world_agent_by_host(t->w, s->client);
    char err[256];
    if (!a || !agent_session(a, s->server, s->port, (const char *const *)s->lines, s->nlines, err,
                             sizeof err)) {
        tl_notice(t, index, "session: %s; it is skipped", a ? err : "no such client");
        t->skipped++;
        return false;
    }
    return true;
}

/* ---- dispatch ------------------------------------------------------------ */

static void entry_fire(void *arg)
{
    tl_entry_t *e = arg;
    timeline_t *t = e->tl;
    const scenario_action_t *a = &t->sc->timeline[e->index];
    e->timer = 0;
    switch (a->kind) {
    case SCENARIO_ACTION_SEND:
        run_send(t, e->index, &a->u.send);
        break;
    case SCENARIO_ACTION_FETCH:
        if (!run_fetch(t, e->index, &a->u.fetch))
            return;
        break;
    case SCENARIO_ACTION_SESSION:
        if (!run_session(t, e->index, &a->u.session))
            return;
        break;
    case SCENARIO_ACTION_IMAP:
        if (!run_imap(t, e->index, &a->u.imap))
            return;
        break;
    case SCENARIO_ACTION_DOWN:
        world_host_down(t->w, a->u.host.host);
        break;
    case SCENARIO_ACTION_UP:
        world_host_up(t->w, a->u.host.host);
        break;
    case SCENARIO_ACTION_CRASH:
        world_host_crash(t->w, a->u.host.host);
        break;
    case SCENARIO_ACTION_LINK:
        run_link(t, e->index, &a->u.link);
        break;
    case SCENARIO_ACTION_DNS:
        run_dns(t, &a->u.dns);
        break;
    case SCENARIO_ACTION_TRAFFIC:
        traffic_fire(e);
        return;
    }
    t->run++;
}

/* `for`: the host comes back. */
static void entry_back(void *arg)
{
    tl_entry_t *e = arg;
    e->back_timer = 0;
    world_host_up(e->tl->w, e->tl->sc->timeline[e->index].u.host.host);
}

timeline_t *timeline_new(const scenario_t *sc, world_t *w, scenario_notice_fn notice,
                         void *notice_ctx)
{
    timeline_t *t = xcalloc(1, sizeof *t);
    t->sc = sc;
    t->w = w;
    t->notice = notice ? notice : scenario_notice_stderr;
    t->notice_ctx = notice_ctx;
    t->entries = xcalloc(sc->ntimeline + 1, sizeof *t->entries);
    uint64_t labels = 0;
    for (size_t i = 0; i < sc->ntimeline; i++) {
        const scenario_action_t *a = &sc->timeline[i];
        tl_entry_t *e = &t->entries[i];
        e->tl = t;
        e->index = i;
        if (a->kind == SCENARIO_ACTION_TRAFFIC) {
            e->traffic = traffic_new(t, i, labels);
            labels += a->u.traffic.messages;
        }
        e->timer = sched_at(tl_sched(t), a->at, entry_fire, e);
        bool comes_back = a->kind == SCENARIO_ACTION_DOWN || a->kind == SCENARIO_ACTION_CRASH;
        if (comes_back && a->u.host.duration > 0)
            e->back_timer = sched_at(tl_sched(t), a->at + a->u.host.duration, entry_back, e);
    }
    return t;
}

void timeline_free(timeline_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->sc->ntimeline; i++) {
        sched_cancel(tl_sched(t), t->entries[i].timer);
        sched_cancel(tl_sched(t), t->entries[i].back_timer);
        traffic_free(t->entries[i].traffic);
    }
    free(t->entries);
    free(t);
}

size_t timeline_actions_run(const timeline_t *t)
{
    return t->run;
}

size_t timeline_actions_skipped(const timeline_t *t)
{
    return t->skipped;
}

uint64_t timeline_traffic_sent(const timeline_t *t)
{
    return t->traffic_sent;
}
