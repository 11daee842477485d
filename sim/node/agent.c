/*
 * agent: a user agent. It composes a message with the mail library, opens
 * TCP to its server's submission port, logs in with AUTH PLAIN and submits
 * with an SMTP client engine, one connection per send. The outcome of each
 * recipient is kept for expectations and traced as user.result.
 */
#include "node/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strpool.h"
#include "core/util.h"
#include "mail/message.h"
#include "mail/mime.h"
#include "net/tcp.h"
#include "node/node_private.h"
#include "node/watchdog.h"

/*
 * One submission in progress: one allocation for the struct, its recipient
 * array and its strings (label, reverse path, recipients), from the start
 * of a cache line. What every arrival of the server's bytes reads (the
 * engine, the connection, the agent and the watchdog) comes first and fills
 * that line: with a thousand submissions in flight, each arrival finds its
 * submission out of cache.
 */
typedef struct submission {
    smtp_client_t *client;
    tcp_conn_t *conn;
    user_agent_t *agent;
    watchdog_t silence; /* the server has gone quiet */
    message_text_t *text; /* NULL, or the text entity after message: the world's, shared */
    agent_task_t task;    /* the agent's list of what is in progress */
    char *label;
    char **rcpts;
    size_t nrcpts;
    buf_t message;      /* the message, or its header when text holds the rest */
    mime_shape_t shape; /* what the composer knows of message (and text) */
    char *reverse_path;
    const char *kept_label; /* label as the agent keeps it for outcomes, once kept */
    size_t results;
    size_t size; /* the octets of its one allocation */
} submission_t;

_Static_assert(offsetof(submission_t, silence) + offsetof(watchdog_t, timeout) <= 64,
               "what an arrival reads of a submission fits its first cache line");

static submission_t *submission_of(agent_task_t *t)
{
    return (submission_t *)(void *)((char *)t - offsetof(submission_t, task));
}

/* The most of a message buffer a finished submission leaves to the agent's next one. */
#define AGENT_SPARE_KEEP (64 * 1024)
/* An outcome's text is cut to this, NUL included. */
#define AGENT_OUTCOME_TEXT 256

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx);
static void sub_warm(const void *ctx, unsigned ahead);

user_agent_t *agent_new(world_t *w, const char *host, uint32_t addr, const char *user,
                        const char *password, mail_server_t *server, char *err, size_t errlen)
{
    host_t *h = net_host_add(w->net, host, addr);
    if (!h) {
        snprintf(err, errlen, "host %s or its address is already taken", host);
        return NULL;
    }
    dns_set_a(w->dns, host, addr);
    tcp_set_warm(w->net, on_data, sub_warm);
    user_agent_t *a = xcalloc(1, sizeof *a);
    a->world = w;
    a->host = h;
    a->host_name = xstrdup(host);
    a->user = user ? xstrdup(user) : NULL;
    a->password = password ? xstrdup(password) : NULL;
    a->server = server;
    return a;
}

void agent_task_add(user_agent_t *a, agent_task_t *t, void (*dispose)(agent_task_t *))
{
    t->dispose = dispose;
    t->next = a->tasks;
    if (t->next)
        t->next->pprev = &t->next;
    t->pprev = &a->tasks;
    a->tasks = t;
}

void agent_task_remove(agent_task_t *t)
{
    *t->pprev = t->next;
    if (t->next)
        t->next->pprev = t->pprev;
}

void agent_free(user_agent_t *a)
{
    /* What is still in progress goes too; the net frees its connections. */
    while (a->tasks) {
        agent_task_t *t = a->tasks;
        agent_task_remove(t);
        t->dispose(t);
    }
    agent_fetch_free_state(a);
    free(a->host_name);
    free(a->user);
    free(a->password);
    free(a->outcomes);
    strpool_free(&a->labels);
    buf_free(&a->out);
    buf_free(&a->spare_message);
    message_field_memo_free(&a->from_memo);
    message_field_memo_free(&a->to_memo);
    smtp_client_free(a->spare_client);
    free(a->spare_submission);
    free(a);
}

world_t *agent_world(const user_agent_t *a)
{
    return a->world;
}

const char *agent_host_name(const user_agent_t *a)
{
    return a->host_name;
}

host_t *agent_host(const user_agent_t *a)
{
    return a->host;
}

const char *agent_user(const user_agent_t *a)
{
    return a->user;
}

mail_server_t *agent_server(const user_agent_t *a)
{
    return a->server;
}

size_t agent_outcome_count(const user_agent_t *a)
{
    return a->noutcomes;
}

const agent_outcome_t *agent_outcome_at(const user_agent_t *a, size_t i)
{
    return i < a->noutcomes ? &a->outcomes[i] : NULL;
}

/* An outcome for recipient index, its text left to the caller. */
static agent_outcome_t *add_outcome(submission_t *sub, size_t index, int code)
{
    user_agent_t *a = sub->agent;
    if (a->noutcomes == a->outcomes_cap) {
        a->outcomes_cap = a->outcomes_cap ? a->outcomes_cap * 2 : 8;
        a->outcomes = xrealloc(a->outcomes, a->outcomes_cap * sizeof *a->outcomes);
    }
    agent_outcome_t *o = &a->outcomes[a->noutcomes++];
    if (!sub->kept_label)
        sub->kept_label = strpool_add_str(&a->labels, sub->label);
    o->id = sub->kept_label;
    /* An agent sends to the same recipient again and again: kept once, compared after. */
    const char *rcpt = sub->rcpts[index];
    if (!a->last_recipient || strcmp(a->last_recipient, rcpt) != 0)
        a->last_recipient = strpool_add_str(&a->labels, rcpt);
    o->recipient = a->last_recipient;
    o->code = code;
    return o;
}

static void trace_outcome(submission_t *sub, size_t index, int code, const char *text)
{
    user_agent_t *a = sub->agent;
    world_t *w = a->world;
    if (trace_enabled(&w->sim->trace)) {
        trace_event_t ev;
        trace_event_init(&ev, sim_now(w->sim), TRACE_USER_RESULT, a->host_name);
        ev.user = a->user;
        ev.message = sub->label;
        ev.recipient = sub->rcpts[index];
        ev.code = code;
        ev.text = text;
        node_emit(w, &ev);
    }
}

void agent_on_outcome(user_agent_t *a, agent_outcome_fn fn, void *ctx)
{
    a->on_outcome = fn;
    a->on_outcome_ctx = ctx;
}

/* The outcome just added is complete. */
static void outcome_done(const submission_t *sub)
{
    user_agent_t *a = sub->agent;
    if (a->on_outcome)
        a->on_outcome(a, a->on_outcome_ctx);
}

static void record_outcome(submission_t *sub, size_t index, int code, const char *text)
{
    agent_outcome_t *o = add_outcome(sub, index, code);
    char kept[AGENT_OUTCOME_TEXT];
    str_copy(kept, sizeof kept, text);
    o->text = strpool_add_str(&sub->agent->labels, kept);
    trace_outcome(sub, index, code, text);
    outcome_done(sub);
}

/* The message buffer to the agent's next submission, unless it has one or this is large. */
static void release_message(submission_t *sub)
{
    user_agent_t *a = sub->agent;
    message_text_release(sub->text);
    sub->text = NULL;
    if (!a->spare_message.data && sub->message.cap <= AGENT_SPARE_KEEP) {
        buf_reset(&sub->message);
        a->spare_message = sub->message;
    } else {
        buf_free(&sub->message);
    }
    buf_init(&sub->message);
}

/* The engine to the agent's next submission, when it has none; true when given. */
static bool release_client(submission_t *sub)
{
    user_agent_t *a = sub->agent;
    if (a->spare_client || !sub->client)
        return false;
    a->spare_client = sub->client;
    sub->client = NULL;
    return true;
}

static void submission_dispose(agent_task_t *t)
{
    submission_t *sub = submission_of(t);
    watchdog_stop(&sub->silence);
    if (!release_client(sub))
        smtp_client_free(sub->client);
    release_message(sub);
    /* The block serves the agent's next submission, which is usually of the same size. */
    user_agent_t *a = sub->agent;
    if (!a->spare_submission)
        a->spare_submission = sub;
    else
        free(sub);
}

static void submission_free(submission_t *sub)
{
    agent_task_remove(&sub->task);
    submission_dispose(&sub->task);
}

/* Every recipient without a result gets this one (the connection failed). */
static void fail_rest(submission_t *sub, int code, const char *why)
{
    while (sub->results < sub->nrcpts)
        record_outcome(sub, sub->results++, code, why);
}

/* The shared text's block when lead..+len lies in it (TCP then holds the
 * block instead of copying the text), else NULL. */
static shared_t *lent_owner(const submission_t *sub, const uint8_t *lead, size_t len)
{
    message_text_t *t = sub->text;
    if (!t)
        return NULL;
    uintptr_t at = (uintptr_t)lead, start = (uintptr_t)t->data, size = t->len + 3; /* and ".\r\n" */
    return at >= start && len <= size && at - start <= size - len ? &t->shared : NULL;
}

/*
 * Sends what the engine wrote to the agent's out buffer, after the body it
 * lent (the header, then the shared text). Every call that writes there is
 * followed by this one, so the buffer is empty between events and one
 * serves all the agent's submissions.
 */
static void sub_flush(submission_t *sub)
{
    buf_t *out = &sub->agent->out;
    const uint8_t *lead;
    size_t lead_len;
    while (sub->client && (lead_len = smtp_client_take_lead(sub->client, &lead)) > 0)
        if (sub->conn)
            tcp_send_lent(sub->conn, lead, lead_len, lent_owner(sub, lead, lead_len));
    if (sub->conn && out->len)
        tcp_send(sub->conn, out->data, out->len);
    buf_reset(out);
}

static void on_rcpt(void *ctx, void *msg_ctx, size_t index, const smtp_reply_t *reply,
                    bool from_server)
{
    submission_t *sub = ctx;
    if (index < sub->nrcpts) {
        agent_outcome_t *o = add_outcome(sub, index, reply->code);
        char text[AGENT_OUTCOME_TEXT];
        reply_format(reply, text, sizeof text);
        o->text = strpool_add_str(&sub->agent->labels, text);
        trace_outcome(sub, index, reply->code, o->text);
        sub->results++;
        outcome_done(sub);
    }
}

static void on_message_done(void *ctx, void *msg_ctx)
{
    submission_t *sub = ctx;
    smtp_client_finish(sub->client, &sub->agent->out);
    sub_flush(sub);
    /* The engine has let go of the message: its buffer can serve the next. */
    release_message(sub);
}

static void on_session_done(void *ctx, bool ok, const char *error)
{
    submission_t *sub = ctx;
    if (!ok)
        fail_rest(sub, 451, error ? error : "session failed");
    sub_flush(sub);
    if (sub->conn)
        tcp_close(sub->conn);
    /* The session is over: the engine can serve the next once it returns from this hook. */
    release_client(sub);
}

static void on_silence(void *arg)
{
    submission_t *sub = arg;
    tcp_conn_t *c = sub->conn;
    sub->conn = NULL;
    tcp_abort(c);
    fail_rest(sub, 451, "no answer from the server for 10 minutes");
    submission_free(sub);
}

/* The replies the world's agents' engines share: they talk to the same few servers. */
static smtp_client_memo_t *agent_client_memo(world_t *w)
{
    if (!w->client_memo)
        w->client_memo = smtp_client_memo_new();
    return w->client_memo;
}

static void on_connected(tcp_conn_t *c, void *ctx)
{
    submission_t *sub = ctx;
    user_agent_t *a = sub->agent;
    watchdog_start(&sub->silence, a->world->sim->sched, CLIENT_SILENCE_TIMEOUT, on_silence, sub);
    bool via = tcp_conn_service_port(c) != (a->server ? a->server->cfg.submission_port : 0) ||
               !a->server || tcp_conn_remote(c) != a->server->host;
    smtp_client_config_t cfg = {
        .helo_name = a->host_name,
        .user = via ? NULL : a->user,
        .password = via ? NULL : a->password,
        .lend_body = true, /* sub_flush sends it */
        .shared_memo = agent_client_memo(a->world),
    };
    smtp_client_hooks_t hooks = {
        .ctx = sub,
        .on_recipient_result = on_rcpt,
        .on_message_done = on_message_done,
        .on_session_done = on_session_done,
    };
    sub->client = smtp_client_renew(a->spare_client, &cfg, &hooks);
    a->spare_client = NULL;
    /*
     * The message stays in sub->message (and sub->text) until the engine is
     * done with it: lent, not copied; with the final dot after its last
     * piece, outside its length, it goes to the connection with it.
     */
    if (!sub->text) {
        buf_reserve(&sub->message, 3);
        memcpy(sub->message.data + sub->message.len, ".\r\n", 3);
    }
    smtp_client_message_t m = {
        .ctx = sub,
        .reverse_path = sub->reverse_path,
        .recipients = (const char *const *)sub->rcpts,
        .nrecipients = sub->nrcpts,
        .data = sub->message.data,
        .len = sub->message.len,
        .tail = sub->text ? sub->text->data : NULL,
        .tail_len = sub->text ? sub->text->len : 0,
        .data_borrowed = true,
        .dot_follows = true,
        .known_7bit = sub->shape.seven_bit,
        .known_dot_safe = sub->shape.dot_safe,
    };
    smtp_client_add_message(sub->client, &m, &a->out);
    sub_flush(sub);
}

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    submission_t *sub = ctx;
    watchdog_touch(&sub->silence);
    if (sub->client) {
        smtp_client_feed(sub->client, data, len, &sub->agent->out);
        sub_flush(sub);
    }
}

/* on_data's warm (tcp_set_warm): the engine's working lines, and the
 * agent's output buffer it writes the next commands to. */
static void sub_warm(const void *ctx, unsigned ahead)
{
    const submission_t *sub = ctx;
    if (ahead != 3)
        return;
    if (sub->client)
        smtp_client_prefetch(sub->client);
    __builtin_prefetch(&sub->agent->out);
}

static void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}

static void on_closed(tcp_conn_t *c, void *ctx)
{
    submission_t *sub = ctx;
    sub->conn = NULL;
    if (sub->client)
        smtp_client_connection_lost(sub->client);
    fail_rest(sub, 451, "connection closed before the server answered");
    submission_free(sub);
}

static void on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    submission_t *sub = ctx;
    sub->conn = NULL;
    if (sub->client)
        smtp_client_connection_lost(sub->client);
    char why[128];
    snprintf(why, sizeof why, "could not reach the server: %s", tcp_error_name(err));
    fail_rest(sub, 451, why);
    submission_free(sub);
}

static const tcp_callbacks_t submission_callbacks = {
    .on_connected = on_connected,
    .on_data = on_data,
    .on_peer_closed = on_peer_closed,
    .on_closed = on_closed,
    .on_error = on_error,
};

/* The bare address inside "Name <addr>" or "addr": where it starts in s, and *len. */
static const char *bare_address(const char *s, size_t *len)
{
    const char *lt = strrchr(s, '<');
    if (lt) {
        const char *gt = strchr(lt, '>');
        *len = gt ? (size_t)(gt - lt - 1) : strlen(lt + 1);
        return lt + 1;
    }
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    *len = n;
    return s;
}

/* A bare address: where it starts and its length. */
typedef struct bare_span {
    const char *at;
    size_t len;
} bare_span_t;

/* The bare addresses of list to spans[*k..), *k past them; returns their octets as strings. */
static size_t bare_addresses(const char *const *list, size_t n, bare_span_t *spans, size_t *k)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++, (*k)++) {
        spans[*k].at = bare_address(list[i], &spans[*k].len);
        size += spans[*k].len + 1;
    }
    return size;
}

/* Most sends have a few recipients: their bare addresses found once, on the stack. */
#define BARE_SPANS_LOCAL 16

/* Copies s[0..len) and a NUL to *at and moves *at past it. */
static char *put_string(char **at, const char *s, size_t len)
{
    char *copy = *at;
    memcpy(copy, s, len);
    copy[len] = '\0';
    *at += len + 1;
    return copy;
}

/* A submission with its label and addresses, in one allocation. */
static submission_t *submission_new(user_agent_t *a, const agent_send_t *m, const char *label,
                                    const char *from)
{
    size_t nrcpts = m->nto + m->ncc + m->nbcc;
    size_t label_len = strlen(label), from_len;
    const char *from_addr = bare_address(from, &from_len);
    bare_span_t local[BARE_SPANS_LOCAL];
    bare_span_t *spans = nrcpts <= BARE_SPANS_LOCAL ? local : xmalloc(nrcpts * sizeof *spans);
    size_t k = 0, bare = bare_addresses(m->to, m->nto, spans, &k); /* in order: To, Cc, Bcc */
    bare += bare_addresses(m->cc, m->ncc, spans, &k);
    bare += bare_addresses(m->bcc, m->nbcc, spans, &k);
    size_t size =
        sizeof(submission_t) + (nrcpts + 1) * sizeof(char *) + label_len + 1 + from_len + 1 + bare;
    submission_t *sub = a->spare_submission;
    if (sub && sub->size >= size) {
        a->spare_submission = NULL;
        size = sub->size;
    } else {
        /* rounded up, so that the next one, whose label may be a digit longer, fits too */
        size = (size + 63) & ~(size_t)63;
        sub = xaligned_alloc(64, size);
    }
    *sub = (submission_t){.agent = a, .size = size};
    sub->rcpts = (char **)(sub + 1);
    char *at = (char *)(sub->rcpts + nrcpts + 1);
    sub->label = put_string(&at, label, label_len);
    sub->reverse_path = put_string(&at, from_addr, from_len);
    for (size_t i = 0; i < nrcpts; i++)
        sub->rcpts[i] = put_string(&at, spans[i].at, spans[i].len);
    sub->nrcpts = nrcpts;
    if (spans != local)
        free(spans);
    sub->message = a->spare_message;
    buf_init(&a->spare_message);
    return sub;
}

/* Bytes of a generated attachment: printable, deterministic, from the world's PRNG. */
static uint8_t *make_attachment(world_t *w, const agent_attachment_t *att, size_t *len)
{
    if (att->text) {
        *len = strlen(att->text);
        return (uint8_t *)xstrdup(att->text);
    }
    *len = (size_t)att->size;
    uint8_t *p = xmalloc(*len ? *len : 1);
    for (size_t i = 0; i < *len; i++)
        p[i] = (uint8_t)rng_next(&w->sim->rng);
    return p;
}

/*
 * The message to sub: its header in sub->message and the world's shared text
 * entity in sub->text when the world's text memo serves it, else all of it
 * in sub->message. from_domain: address_domain(from), which agent_send has
 * found already.
 */
static void compose(user_agent_t *a, const agent_send_t *m, const char *from,
                    const char *from_domain, const char *msgid, submission_t *sub)
{
    world_t *w = a->world;
    char from_field[512];
    const char *display = NULL;
    if (a->server && a->user) {
        store_user_t *u = store_find_user(a->server->store, a->user);
        if (u && str_casecmp(from, a->user) == 0)
            display = store_user_display_name(u);
    }
    if (display && strcmp(display, store_user_name(store_find_user(a->server->store, a->user))))
        snprintf(from_field, sizeof from_field, "%s <%s>", display, from);
    else
        str_copy(from_field, sizeof from_field, from);
    /* Most sends carry no attachment and no extra field: nothing to allocate for them. */
    mime_attachment_t *atts = m->nattachments ? xcalloc(m->nattachments, sizeof *atts) : NULL;
    uint8_t **bytes = m->nattachments ? xcalloc(m->nattachments, sizeof *bytes) : NULL;
    for (size_t i = 0; i < m->nattachments; i++) {
        size_t len;
        bytes[i] = make_attachment(w, &m->attachments[i], &len);
        atts[i] = (mime_attachment_t){m->attachments[i].name, m->attachments[i].type, bytes[i],
                                      len};
    }
    message_field_t *fields = m->nheaders ? xcalloc(m->nheaders, sizeof *fields) : NULL;
    for (size_t i = 0; i < m->nheaders; i++)
        fields[i] = (message_field_t){m->headers[i].name, m->headers[i].value};
    message_spec_t spec = {
        .from = from_field,
        .from_memo = &a->from_memo,
        .to_memo = &a->to_memo,
        .text_memo = &w->text_memo,
        .date_memo = &w->date_memo,
        .subject_memo = &w->subject_memo,
        .to = m->to,
        .to_count = m->nto,
        .cc = m->cc,
        .cc_count = m->ncc,
        .subject = m->subject,
        .text = m->body,
        .attachments = atts,
        .attachment_count = m->nattachments,
        .fields = fields,
        .field_count = m->nheaders,
        .date = sim_now(w->sim),
        .message_id = msgid,
        .counter = w->message_counter,
        .seed = w->sim->seed,
        .host = from_domain,
        .allow_8bit = true,
    };
    message_build_pieces(&spec, &sub->message, &sub->text, &sub->shape);
    for (size_t i = 0; i < m->nattachments; i++)
        free(bytes[i]);
    free(bytes);
    free(atts);
    free(fields);
}

bool agent_send(user_agent_t *a, const agent_send_t *m, char *err, size_t errlen)
{
    world_t *w = a->world;
    const char *from = m->from ? m->from : a->user;
    if (!from) {
        snprintf(err, errlen, "%s has no user to send as", a->host_name);
        return false;
    }
    host_t *to_host = NULL;
    uint16_t port = 0;
    if (m->via_host) {
        to_host = net_host_by_name(w->net, m->via_host);
        port = m->via_port;
    } else if (a->server) {
        to_host = a->server->host;
        port = a->server->cfg.submission_port;
    }
    if (!to_host || !port) {
        snprintf(err, errlen, "%s has no server to submit to", a->host_name);
        return false;
    }
    w->message_counter++;
    char msgid[256];
    const char *from_domain = address_domain(from);
    message_id_make(w->message_counter, w->sim->seed, *from_domain ? from_domain : a->host_name,
                    msgid, sizeof msgid);
    submission_t *sub = submission_new(a, m, m->id ? m->id : msgid, from);
    agent_task_add(a, &sub->task, submission_dispose);
    world_register_label(w, msgid, sub->label);
    compose(a, m, from, from_domain, msgid, sub);
    if (trace_enabled(&w->sim->trace)) {
        trace_event_t ev;
        trace_event_init(&ev, sim_now(w->sim), TRACE_USER_SEND, a->host_name);
        ev.user = a->user ? a->user : from;
        ev.message = sub->label;
        ev.text = m->subject;
        node_emit(w, &ev);
    }
    sub->conn = tcp_connect(w->net, a->host, host_addr(to_host), port, &submission_callbacks, sub);
    return true;
}
