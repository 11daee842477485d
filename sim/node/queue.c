/*
 * queue: a mail server's outgoing queue and its runner. An entry is one
 * message for one destination domain. When entries fall due the runner looks
 * up the domain's MX hosts (in preference order, falling back to the A record
 * when there is no MX), opens TCP to the first that answers, and hands every
 * due entry for that domain to one SMTP client session: several messages
 * over one connection. Each recipient's reply decides: 2xx relayed, 4xx
 * deferred by the retry policy, 5xx bounced. Entries past give_up bounce.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/eightbit.h"
#include "net/tcp.h"
#include "node/node_private.h"
#include "node/watchdog.h"

/* A session that ran out of messages waits this long for more before QUIT. */
#define OUTBOUND_LINGER (1 * SIM_SEC)
#define OUTBOUND_MAX_MESSAGES 100

typedef enum outbound_state {
    OUT_RESOLVING_MX,
    OUT_RESOLVING_A,
    OUT_CONNECTING,
    OUT_SESSION,
    OUT_CLOSING,
} outbound_state_t;

struct outbound {
    outbound_t *next;
    mail_server_t *server;
    char *domain;
    outbound_state_t state;
    queue_entry_t **entries; /* taken for this connection; each holds a ref */
    size_t nentries, cap;
    char **hosts; /* MX hosts to try, in order */
    size_t nhosts, host_index;
    dns_query_id_t query;
    tcp_conn_t *conn;
    smtp_client_t *client;
    buf_t out;
    sched_id_t linger;
    size_t unfinished; /* messages handed to the client, not yet done */
    watchdog_t silence; /* the server has gone quiet */
    char last_error[200];
    int last_code;
};

static void entry_schedule(queue_entry_t *e);
static void outbound_finish(outbound_t *o, const char *error, int code);

static void emit_queue(mail_server_t *s, trace_kind_t kind, const queue_entry_t *e,
                       const queue_rcpt_t *r, int code, const char *text)
{
    world_t *w = s->world;
    if (!trace_enabled(&w->sim->trace))
        return;
    trace_event_t ev;
    trace_event_init(&ev, sim_now(w->sim), kind, s->host_name);
    ev.message = e->msg->label;
    ev.recipient = r->address;
    ev.attempt = e->attempts;
    if (code)
        ev.code = code;
    ev.text = text && *text ? text : NULL;
    node_emit(w, &ev);
}

static void queue_remove(mail_server_t *s, queue_entry_t *e)
{
    for (size_t i = 0; i < s->nqueue; i++) {
        if (s->queue[i] == e) {
            memmove(&s->queue[i], &s->queue[i + 1], (s->nqueue - i - 1) * sizeof *s->queue);
            s->nqueue--;
            break;
        }
    }
    sched_cancel(s->world->sim->sched, e->timer);
    for (size_t r = 0; r < e->nrcpts; r++)
        free(e->rcpts[r].address);
    free(e->rcpts);
    free(e->handed);
    free(e->domain);
    mail_msg_unref(e->msg);
    free(e);
}

static bool entry_all_done(const queue_entry_t *e)
{
    for (size_t r = 0; r < e->nrcpts; r++)
        if (e->rcpts[r].state != RCPT_DONE)
            return false;
    return true;
}

/* Fails one recipient for good: a bounce to the sender, unless the sender is <>. */
static void rcpt_bounce(mail_server_t *s, queue_entry_t *e, queue_rcpt_t *r, const char *status,
                        const char *diagnostic, const char *remote)
{
    world_t *w = s->world;
    r->state = RCPT_DONE;
    emit_queue(s, TRACE_QUEUE_BOUNCE, e, r, r->last_code, diagnostic);
    accounting_set(w->acct, r->record, e->msg->reverse_path[0] ? ACCT_BOUNCED : ACCT_DISCARDED);
    w->stats.bounced++;
    bounce_rcpt_t b = {r->address, status, diagnostic, remote};
    bounce_send(s, e->msg, &b, 1, false);
}

/* After an attempt: what is still pending waits for the next one, or gives up. */
static void entry_after_attempt(queue_entry_t *e)
{
    mail_server_t *s = e->server;
    world_t *w = s->world;
    e->in_flight = false;
    for (size_t r = 0; r < e->nrcpts; r++)
        if (e->rcpts[r].state == RCPT_IN_FLIGHT) {
            e->rcpts[r].state = RCPT_PENDING;
            accounting_set(w->acct, e->rcpts[r].record, ACCT_QUEUED);
        }
    if (entry_all_done(e)) {
        queue_remove(s, e);
        return;
    }
    sim_time_t now = sim_now(w->sim);
    if (queue_should_give_up(&s->cfg.queue, e->enqueued_at, now)) {
        char diag[300];
        snprintf(diag, sizeof diag, "delivery time expired after %u attempts; last error: %.200s",
                 e->attempts, e->last_error[0] ? e->last_error : "none");
        for (size_t r = 0; r < e->nrcpts; r++)
            if (e->rcpts[r].state == RCPT_PENDING)
                rcpt_bounce(s, e, &e->rcpts[r], "4.4.7", diag, NULL);
        queue_remove(s, e);
        return;
    }
    e->next_attempt = queue_next_attempt(&s->cfg.queue, e->enqueued_at, e->attempts, now);
    if (e->next_attempt <= now)
        e->next_attempt = now + s->cfg.queue.retry;
    for (size_t r = 0; r < e->nrcpts; r++)
        if (e->rcpts[r].state == RCPT_PENDING)
            emit_queue(s, TRACE_QUEUE_DEFER, e, &e->rcpts[r], e->rcpts[r].last_code,
                       e->rcpts[r].last_text);
    if (queue_should_warn(&s->cfg.queue, e->enqueued_at, now, e->warned)) {
        e->warned = true;
        bounce_rcpt_t *b = xcalloc(e->nrcpts, sizeof *b);
        size_t n = 0;
        for (size_t r = 0; r < e->nrcpts; r++) {
            if (e->rcpts[r].state != RCPT_PENDING)
                continue;
            emit_queue(s, TRACE_QUEUE_WARN, e, &e->rcpts[r], 0, NULL);
            b[n++] = (bounce_rcpt_t){e->rcpts[r].address, "4.4.1",
                                     e->rcpts[r].last_text[0] ? e->rcpts[r].last_text
                                                              : "not yet delivered",
                                     NULL};
        }
        if (e->msg->reverse_path[0])
            bounce_send(s, e->msg, b, n, true);
        free(b);
    }
    entry_schedule(e);
}

/* --- the outbound connection ---------------------------------------------- */

static outbound_t *outbound_for(mail_server_t *s, const char *domain)
{
    for (outbound_t *o = s->outbound; o; o = o->next)
        if (o->state != OUT_CLOSING && str_casecmp(o->domain, domain) == 0)
            return o;
    return NULL;
}

static void outbound_free(outbound_t *o)
{
    mail_server_t *s = o->server;
    for (outbound_t **p = &s->outbound; *p; p = &(*p)->next)
        if (*p == o) {
            *p = o->next;
            break;
        }
    sched_cancel(s->world->sim->sched, o->linger);
    watchdog_stop(&o->silence);
    if (o->query)
        dns_cancel(s->world->dns, o->query);
    for (size_t i = 0; i < o->nhosts; i++)
        free(o->hosts[i]);
    free(o->hosts);
    free(o->entries);
    free(o->domain);
    smtp_client_free(o->client);
    buf_free(&o->out);
    free(o);
}

static void outbound_flush(outbound_t *o)
{
    if (o->conn && o->out.len) {
        tcp_send(o->conn, o->out.data, o->out.len);
        buf_reset(&o->out);
    }
}

static void set_error(outbound_t *o, int code, const char *text)
{
    o->last_code = code;
    str_copy(o->last_error, sizeof o->last_error, text);
}

static void take_entry(outbound_t *o, queue_entry_t *e)
{
    world_t *w = o->server->world;
    if (o->nentries == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->entries = xrealloc(o->entries, o->cap * sizeof *o->entries);
    }
    o->entries[o->nentries++] = e;
    sched_cancel(w->sim->sched, e->timer);
    e->timer = 0;
    e->in_flight = true;
    e->attempts++;
    for (size_t r = 0; r < e->nrcpts; r++) {
        if (e->rcpts[r].state != RCPT_PENDING)
            continue;
        e->rcpts[r].state = RCPT_IN_FLIGHT;
        accounting_set(w->acct, e->rcpts[r].record, ACCT_IN_FLIGHT);
        emit_queue(o->server, TRACE_QUEUE_ATTEMPT, e, &e->rcpts[r], 0, NULL);
    }
}

static void hand_to_client(outbound_t *o, queue_entry_t *e)
{
    const char **rcpts = xcalloc(e->nrcpts, sizeof *rcpts);
    size_t n = 0;
    free(e->handed);
    e->handed = xcalloc(e->nrcpts, sizeof *e->handed);
    for (size_t r = 0; r < e->nrcpts; r++) {
        if (e->rcpts[r].state == RCPT_IN_FLIGHT) {
            e->handed[n] = r;
            rcpts[n++] = e->rcpts[r].address;
        }
    }
    e->nhanded = n;
    smtp_client_message_t m = {
        .ctx = e,
        .reverse_path = e->msg->reverse_path,
        .recipients = rcpts,
        .nrecipients = n,
        .data = e->msg->data.data,
        .len = e->msg->data.len,
    };
    o->unfinished++;
    smtp_client_add_message(o->client, &m, &o->out);
    free(rcpts);
}

static void on_linger(void *arg)
{
    outbound_t *o = arg;
    o->linger = 0;
    if (o->client && o->unfinished == 0) {
        o->state = OUT_CLOSING;
        smtp_client_finish(o->client, &o->out);
        outbound_flush(o);
    }
}

/* --- SMTP client hooks ---------------------------------------------------- */

static void client_on_rcpt(void *ctx, void *msg_ctx, size_t index, const smtp_reply_t *reply,
                           bool from_server)
{
    outbound_t *o = ctx;
    queue_entry_t *e = msg_ctx;
    world_t *w = o->server->world;
    if (index >= e->nhanded)
        return;
    queue_rcpt_t *r = &e->rcpts[e->handed[index]];
    if (r->state != RCPT_IN_FLIGHT)
        return;
    char text[256];
    reply_format(reply, text, sizeof text);
    r->last_code = reply->code;
    e->last_code = reply->code;
    str_copy(r->last_text, sizeof r->last_text, text);
    str_copy(e->last_error, sizeof e->last_error, text);
    switch (queue_classify_reply(reply->code)) {
    case QUEUE_REPLY_SUCCESS:
        r->state = RCPT_DONE;
        accounting_set(w->acct, r->record, ACCT_RELAYED);
        w->stats.relayed++;
        emit_queue(o->server, TRACE_QUEUE_RELAY, e, r, reply->code, NULL);
        break;
    case QUEUE_REPLY_PERMANENT: {
        char remote[128] = "";
        if (o->conn && tcp_conn_remote(o->conn))
            snprintf(remote, sizeof remote, "%s", host_name(tcp_conn_remote(o->conn)));
        rcpt_bounce(o->server, e, r, reply->enhanced[0] ? reply->enhanced : "5.0.0", text,
                    from_server && remote[0] ? remote : NULL);
        break;
    }
    case QUEUE_REPLY_TRANSIENT:
    case QUEUE_REPLY_INVALID:
        r->state = RCPT_PENDING; /* stays queued; entry_after_attempt reschedules */
        accounting_set(w->acct, r->record, ACCT_QUEUED);
        break;
    }
}

static void client_on_message_done(void *ctx, void *msg_ctx)
{
    outbound_t *o = ctx;
    queue_entry_t *e = msg_ctx;
    for (size_t i = 0; i < o->nentries; i++) {
        if (o->entries[i] == e) {
            o->entries[i] = o->entries[--o->nentries];
            break;
        }
    }
    o->unfinished--;
    entry_after_attempt(e);
    if (o->unfinished == 0 && o->state == OUT_SESSION) {
        sched_cancel(o->server->world->sim->sched, o->linger);
        o->linger = sched_after(o->server->world->sim->sched, OUTBOUND_LINGER, on_linger, o);
    }
}

static void client_on_session_done(void *ctx, bool ok, const char *error)
{
    outbound_t *o = ctx;
    if (o->state != OUT_CLOSING)
        o->state = OUT_CLOSING;
    if (!ok && error)
        set_error(o, 0, error);
    outbound_flush(o);
    if (o->conn)
        tcp_close(o->conn);
}

static int client_downgrade(void *ctx, const uint8_t *in, size_t len, buf_t *out)
{
    eightbit_result_t r = eightbit_downgrade(in, len, out);
    return r.clean ? 0 : -1;
}

/* --- TCP callbacks -------------------------------------------------------- */

static void try_next_host(outbound_t *o);

static void conn_gone(outbound_t *o, const char *why);

static void on_silence(void *arg)
{
    outbound_t *o = arg;
    tcp_conn_t *c = o->conn;
    o->conn = NULL;
    if (c)
        tcp_abort(c);
    conn_gone(o, "no answer from the server for 10 minutes");
}

static void conn_on_connected(tcp_conn_t *c, void *ctx)
{
    outbound_t *o = ctx;
    mail_server_t *s = o->server;
    o->state = OUT_SESSION;
    watchdog_start(&o->silence, s->world->sim->sched, CLIENT_SILENCE_TIMEOUT, on_silence, o);
    smtp_client_config_t cfg = {.helo_name = s->host_name};
    smtp_client_hooks_t hooks = {
        .ctx = o,
        .on_recipient_result = client_on_rcpt,
        .on_message_done = client_on_message_done,
        .on_session_done = client_on_session_done,
        .downgrade_8bit = client_downgrade,
    };
    o->client = smtp_client_new(&cfg, &hooks);
    for (size_t i = 0; i < o->nentries; i++)
        hand_to_client(o, o->entries[i]);
    outbound_flush(o);
    if (o->unfinished == 0)
        o->linger = sched_after(s->world->sim->sched, OUTBOUND_LINGER, on_linger, o);
}

static void conn_on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    outbound_t *o = ctx;
    if (!o->client)
        return;
    watchdog_touch(&o->silence);
    smtp_client_feed(o->client, data, len, &o->out);
    outbound_flush(o);
}

static void conn_on_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}

/* The connection is gone: what was not answered is deferred, then the outbound ends. */
static void conn_gone(outbound_t *o, const char *why)
{
    o->conn = NULL;
    if (o->client) {
        smtp_client_connection_lost(o->client);
    }
    outbound_finish(o, why, 0);
}

static void conn_on_closed(tcp_conn_t *c, void *ctx)
{
    conn_gone(ctx, "connection closed");
}

static void conn_on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    outbound_t *o = ctx;
    o->conn = NULL;
    if (!o->client) {
        /* Never got a session: try the next MX host. */
        char host[128];
        snprintf(host, sizeof host, "%s", o->hosts[o->host_index]);
        char msg[200];
        snprintf(msg, sizeof msg, "connect to %.120s: %s", host, tcp_error_name(err));
        set_error(o, 0, msg);
        o->host_index++;
        try_next_host(o);
        return;
    }
    char msg[200];
    snprintf(msg, sizeof msg, "connection lost: %s", tcp_error_name(err));
    conn_gone(o, msg);
}

static const tcp_callbacks_t outbound_callbacks = {
    .on_connected = conn_on_connected,
    .on_data = conn_on_data,
    .on_peer_closed = conn_on_peer_closed,
    .on_closed = conn_on_closed,
    .on_error = conn_on_error,
};

/* --- resolving ------------------------------------------------------------ */

static void on_a_answer(const dns_answer_t *a, void *ctx)
{
    outbound_t *o = ctx;
    o->query = 0;
    if (a->status != DNS_OK || a->naddrs == 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "no address for %.150s", o->hosts[o->host_index]);
        set_error(o, 0, msg);
        o->host_index++;
        try_next_host(o);
        return;
    }
    o->state = OUT_CONNECTING;
    o->conn = tcp_connect(o->server->world->net, o->server->host, a->addrs[0], 25,
                          &outbound_callbacks, o);
}

static void try_next_host(outbound_t *o)
{
    if (o->host_index >= o->nhosts) {
        outbound_finish(o, o->last_error[0] ? o->last_error : "no MX host answered", 0);
        return;
    }
    o->state = OUT_RESOLVING_A;
    o->query = dns_query(o->server->world->dns, o->server->host_name, o->hosts[o->host_index],
                         DNS_A, on_a_answer, o);
}

static void add_host(outbound_t *o, const char *host)
{
    o->hosts = xrealloc(o->hosts, (o->nhosts + 1) * sizeof *o->hosts);
    o->hosts[o->nhosts++] = xstrdup(host);
}

/* Fails every taken recipient for good (NXDOMAIN, mail loops back). */
static void outbound_fail_all(outbound_t *o, const char *status, const char *why)
{
    while (o->nentries > 0) {
        queue_entry_t *e = o->entries[--o->nentries];
        for (size_t r = 0; r < e->nrcpts; r++) {
            if (e->rcpts[r].state == RCPT_IN_FLIGHT) {
                e->rcpts[r].last_code = 550;
                str_copy(e->rcpts[r].last_text, sizeof e->rcpts[r].last_text, why);
                rcpt_bounce(o->server, e, &e->rcpts[r], status, why, NULL);
            }
        }
        entry_after_attempt(e);
    }
    outbound_finish(o, why, 0);
}

static void on_mx_answer(const dns_answer_t *a, void *ctx)
{
    outbound_t *o = ctx;
    mail_server_t *s = o->server;
    o->query = 0;
    switch (a->status) {
    case DNS_OK: {
        /* RFC 5321 5.1: a listed MX host uses only hosts more preferred than itself. */
        int own = -1;
        for (size_t i = 0; i < a->nmx; i++)
            if (str_casecmp(a->mx[i].host, s->host_name) == 0 && own < 0)
                own = a->mx[i].preference;
        for (size_t i = 0; i < a->nmx; i++)
            if (own < 0 || a->mx[i].preference < own)
                add_host(o, a->mx[i].host);
        if (o->nhosts == 0) {
            outbound_fail_all(o, "5.4.6", "mail for this domain loops back to myself");
            return;
        }
        break;
    }
    case DNS_NODATA:
        add_host(o, o->domain); /* RFC 5321 5.1: no MX, the domain's A record is the host */
        break;
    case DNS_NXDOMAIN: {
        char why[200];
        snprintf(why, sizeof why, "Host or domain name not found: %s (NXDOMAIN)", o->domain);
        outbound_fail_all(o, "5.1.2", why);
        return;
    }
    case DNS_SERVFAIL: {
        char msg[200];
        snprintf(msg, sizeof msg, "DNS lookup of %.120s failed temporarily (SERVFAIL)", o->domain);
        set_error(o, 0, msg);
        outbound_finish(o, o->last_error, 0);
        return;
    }
    }
    try_next_host(o);
}

/* Ends the outbound: entries not yet answered are deferred with its last error. */
static void outbound_finish(outbound_t *o, const char *error, int code)
{
    while (o->nentries > 0) {
        queue_entry_t *e = o->entries[--o->nentries];
        for (size_t r = 0; r < e->nrcpts; r++) {
            if (e->rcpts[r].state == RCPT_IN_FLIGHT && error)
                str_copy(e->rcpts[r].last_text, sizeof e->rcpts[r].last_text, error);
        }
        if (error)
            str_copy(e->last_error, sizeof e->last_error, error);
        entry_after_attempt(e);
    }
    if (o->conn) {
        tcp_conn_t *c = o->conn;
        o->conn = NULL;
        tcp_abort(c);
    }
    outbound_free(o);
}

static void outbound_start(mail_server_t *s, const char *domain)
{
    outbound_t *o = xcalloc(1, sizeof *o);
    o->server = s;
    o->domain = xstrdup(domain);
    o->next = s->outbound;
    s->outbound = o;
    sim_time_t now = sim_now(s->world->sim);
    for (size_t i = 0; i < s->nqueue && o->nentries < OUTBOUND_MAX_MESSAGES; i++) {
        queue_entry_t *e = s->queue[i];
        if (!e->in_flight && e->next_attempt <= now && str_casecmp(e->domain, domain) == 0)
            take_entry(o, e);
    }
    o->state = OUT_RESOLVING_MX;
    o->query = dns_query(s->world->dns, s->host_name, domain, DNS_MX, on_mx_answer, o);
}

/* --- entries and their timers ---------------------------------------------- */

static void on_entry_due(void *arg)
{
    queue_entry_t *e = arg;
    mail_server_t *s = e->server;
    e->timer = 0;
    if (e->in_flight || !host_is_up(s->host))
        return; /* a host that is down runs nothing; queue_kick starts it again */
    outbound_t *o = outbound_for(s, e->domain);
    if (o && o->state == OUT_SESSION && o->client && !smtp_client_done(o->client)) {
        sched_cancel(s->world->sim->sched, o->linger);
        o->linger = 0;
        take_entry(o, e);
        hand_to_client(o, e);
        outbound_flush(o);
        return;
    }
    if (o && o->state != OUT_SESSION) {
        take_entry(o, e); /* still resolving or connecting: it goes with the others */
        return;
    }
    outbound_start(s, e->domain);
}

static void entry_schedule(queue_entry_t *e)
{
    sched_t *sched = e->server->world->sim->sched;
    sched_cancel(sched, e->timer);
    e->timer = sched_at(sched, e->next_attempt, on_entry_due, e);
}

void queue_add(mail_server_t *s, mail_msg_t *msg, const char *domain, const char *const *rcpts,
               const size_t *records, size_t n)
{
    world_t *w = s->world;
    queue_entry_t *e = xcalloc(1, sizeof *e);
    e->id = s->next_queue_id++;
    e->server = s;
    e->msg = mail_msg_ref(msg);
    e->domain = xstrdup(domain);
    e->rcpts = xcalloc(n, sizeof *e->rcpts);
    e->nrcpts = n;
    e->enqueued_at = e->next_attempt = sim_now(w->sim);
    for (size_t i = 0; i < n; i++) {
        e->rcpts[i].address = xstrdup(rcpts[i]);
        e->rcpts[i].record = records[i];
        accounting_set(w->acct, records[i], ACCT_QUEUED);
    }
    if (s->nqueue == s->queue_cap) {
        s->queue_cap = s->queue_cap ? s->queue_cap * 2 : 16;
        s->queue = xrealloc(s->queue, s->queue_cap * sizeof *s->queue);
    }
    s->queue[s->nqueue++] = e;
    for (size_t i = 0; i < n; i++)
        emit_queue(s, TRACE_QUEUE_ENQUEUE, e, &e->rcpts[i], 0, NULL);
    entry_schedule(e);
}

void queue_kick(mail_server_t *s)
{
    sim_time_t now = sim_now(s->world->sim);
    for (size_t i = 0; i < s->nqueue; i++) {
        queue_entry_t *e = s->queue[i];
        if (!e->in_flight && !e->timer) {
            if (e->next_attempt < now)
                e->next_attempt = now;
            entry_schedule(e);
        }
    }
}

void queue_crash(mail_server_t *s)
{
    /* net_host_crash failed every connection; outbounds still resolving end here. */
    while (s->outbound)
        outbound_finish(s->outbound, "the server crashed", 0);
}

void queue_free_all(mail_server_t *s)
{
    while (s->outbound) {
        outbound_t *o = s->outbound;
        o->nentries = 0;
        o->conn = NULL;
        outbound_free(o);
    }
    while (s->nqueue > 0)
        queue_remove(s, s->queue[s->nqueue - 1]);
    free(s->queue);
    s->queue = NULL;
}
