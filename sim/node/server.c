/*
 * server: a mail server's configuration, its store, local delivery, and the
 * decision between delivering here and queueing for the next hop.
 */
#include "node/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/message.h"
#include "node/node_private.h"
#include "node/service.h"

void server_config_default(server_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    queue_policy_default(&cfg->queue);
    cfg->smtp_port = 25;
    cfg->submission_port = 587;
    cfg->pop3_port = 110;
    cfg->imap_port = 143;
    cfg->max_size = SMTP_DEFAULT_MAX_SIZE;
    cfg->extensions = SMTP_EXT_DEFAULT;
    cfg->relay = RELAY_AUTHENTICATED;
}

void server_config_for_domain(server_config_t *cfg, const char *host, uint32_t addr,
                              const char *const *domain)
{
    server_config_default(cfg);
    cfg->host = host;
    cfg->addr = addr;
    cfg->domains = domain;
    cfg->ndomains = 1;
}

/*
 * RFC 3501 6.3.5: renaming INBOX moves every message in it to the new name
 * and leaves INBOX empty, keeping its UIDNEXT: each UID below that is gone
 * from INBOX by its owner's doing.
 */
static void inbox_renamed(mail_server_t *s, const char *user_name)
{
    store_user_t *u = store_find_user(s->store, user_name);
    uint32_t next = u ? store_folder_uidnext(store_inbox(u)) : 1;
    for (uint32_t uid = 1; uid < next; uid++)
        accounting_mailbox_removed(s->world->acct, s, user_name, uid);
}

/* The store tells what changed; the trace bus hears it as mailbox.* events. */
static void on_store_change(void *ctx, const store_change_t *c)
{
    mail_server_t *s = ctx;
    world_t *w = s->world;
    /* A message leaves INBOX by POP3 delete, IMAP expunge or move (its source half). */
    if (c->kind == STORE_CHANGE_DELETE || c->kind == STORE_CHANGE_EXPUNGE)
        if (c->folder && strcmp(c->folder, "INBOX") == 0)
            accounting_mailbox_removed(w->acct, s, c->user_name, c->uid);
    if (c->kind == STORE_CHANGE_FOLDER_RENAME && c->old_folder &&
        strcmp(c->old_folder, "INBOX") == 0)
        inbox_renamed(s, c->user_name);
    /* Every IMAP session of the user hears of it; an idling one at once (RFC 2177). */
    imap_service_notify(s, c->user);
    if (!trace_enabled(&w->sim->trace))
        return;
    trace_kind_t kind = TRACE_MAILBOX_STORE;
    switch (c->kind) {
    case STORE_CHANGE_APPEND:
    case STORE_CHANGE_COPY: kind = TRACE_MAILBOX_STORE; break;
    case STORE_CHANGE_DELETE: kind = TRACE_MAILBOX_DELETE; break;
    case STORE_CHANGE_EXPUNGE: kind = TRACE_MAILBOX_EXPUNGE; break;
    case STORE_CHANGE_FOLDER_CREATE:
    case STORE_CHANGE_FOLDER_DELETE:
    case STORE_CHANGE_FOLDER_RENAME: kind = TRACE_MAILBOX_FOLDER; break;
    case STORE_CHANGE_FLAGS: return;
    }
    trace_event_t ev;
    trace_event_init(&ev, sim_now(w->sim), kind, s->host_name);
    ev.user = c->user_name;
    ev.folder = c->folder;
    ev.message = c->label;
    if (c->uid)
        ev.uid = c->uid;
    if (kind == TRACE_MAILBOX_FOLDER)
        ev.text = store_change_kind_name(c->kind);
    node_emit(w, &ev);
}

mail_server_t *server_new(world_t *w, const server_config_t *cfg, char *err, size_t errlen)
{
    if (!cfg->host || !*cfg->host) {
        snprintf(err, errlen, "a server needs a host name");
        return NULL;
    }
    host_t *h = net_host_add(w->net, cfg->host, cfg->addr);
    if (!h) {
        snprintf(err, errlen, "host %s or its address is already taken", cfg->host);
        return NULL;
    }
    mail_server_t *s = xcalloc(1, sizeof *s);
    s->world = w;
    s->cfg = *cfg;
    s->host = h;
    s->host_name = xstrdup(cfg->host);
    s->cfg.host = s->host_name;
    s->store = store_new();
    s->domains = xcalloc(cfg->ndomains + 1, sizeof *s->domains);
    for (size_t i = 0; i < cfg->ndomains; i++) {
        s->domains[i] = xstrdup(cfg->domains[i]);
        store_add_domain(s->store, cfg->domains[i]);
        dns_mx_t mx = {s->host_name, 10};
        dns_set_mx(w->dns, cfg->domains[i], &mx, 1);
    }
    s->cfg.domains = (const char *const *)s->domains;
    dns_set_a(w->dns, cfg->host, cfg->addr);
    store_set_observer(s->store, on_store_change, s);
    s->next_queue_id = 1;
    smtp_service_listen(s);
    pop3_service_listen(s);
    imap_service_listen(s);
    return s;
}

void server_free(mail_server_t *s)
{
    service_free_all(s);
    for (size_t i = 0; i < ARRAY_LEN(s->smtp_replies); i++)
        smtp_server_replies_free(s->smtp_replies[i]); /* after the engines */
    queue_free_all(s);
    store_free(s->store);
    for (size_t i = 0; i < ARRAY_LEN(s->received_middle); i++)
        free(s->received_middle[i].text);
    for (size_t i = 0; i < s->cfg.ndomains; i++)
        free(s->domains[i]);
    free(s->domains);
    free(s->host_name);
    free(s);
}

const char *server_host_name(const mail_server_t *s)
{
    return s->host_name;
}

host_t *server_host(const mail_server_t *s)
{
    return s->host;
}

store_t *server_store(const mail_server_t *s)
{
    return s->store;
}

const server_config_t *server_config(const mail_server_t *s)
{
    return &s->cfg;
}

bool server_hosts_domain(const mail_server_t *s, const char *domain)
{
    return store_has_domain(s->store, domain);
}

bool server_add_user(mail_server_t *s, const char *name, const char *password,
                     const char *display_name, char *err, size_t errlen)
{
    store_err_t e = store_add_user(s->store, name, password, display_name, s->cfg.quota, NULL);
    if (e != STORE_OK) {
        snprintf(err, errlen, "user %s on %s: %s", name, s->host_name, store_strerror(e));
        return false;
    }
    return true;
}

/* A backup MX relays for the domains that list it as an MX (Postfix's permit_mx_backup). */
static bool listed_as_mx(const mail_server_t *s, const char *domain)
{
    dns_answer_t ans;
    if (dns_lookup_now(s->world->dns, domain, DNS_MX, &ans) != DNS_OK)
        return false;
    for (size_t i = 0; i < ans.nmx; i++)
        if (str_casecmp(ans.mx[i].host, s->host_name) == 0)
            return true;
    return false;
}

/*
 * RFC 5321 4.5.1: every server takes mail for postmaster. Without a user of
 * that name, the first user of the server reads the postmaster's mail.
 */
/* The memo slot of an address of len octets, 0 < len < SERVER_RCPT_MEMO_LEN: a cheap hash. */
static size_t memo_index(const char *address, size_t len)
{
    unsigned h = (unsigned char)address[0] + 3u * (unsigned char)address[len / 2] + 5u * (unsigned)len;
    return h & (SERVER_RCPT_MEMO - 1);
}

static store_user_t *memo_get(const mail_server_t *s, const char *address, size_t len)
{
    if (len == 0 || len >= SERVER_RCPT_MEMO_LEN)
        return NULL;
    const rcpt_memo_t *m = &s->rcpt_memo[memo_index(address, len)];
    return m->user && m->len == len && memcmp(m->address, address, len) == 0 ? m->user : NULL;
}

store_user_t *server_known_recipient(const mail_server_t *s, const char *address)
{
    return memo_get(s, address, strlen(address));
}

bool server_keeps(const mail_server_t *s, const char *rcpt)
{
    /* A known recipient is local: it has no domain or a hosted one. */
    return server_known_recipient(s, rcpt) || !*address_domain(rcpt) ||
           server_hosts_domain(s, address_domain(rcpt));
}

store_user_t *server_find_recipient(mail_server_t *s, const char *address)
{
    size_t len = strlen(address);
    store_user_t *u = memo_get(s, address, len);
    if (u)
        return u;
    u = store_find_user(s->store, address);
    /* Only what the store found: the postmaster stand-in below may change as users come. */
    if (u && len > 0 && len < SERVER_RCPT_MEMO_LEN) {
        rcpt_memo_t *m = &s->rcpt_memo[memo_index(address, len)];
        m->user = u;
        m->len = len;
        memcpy(m->address, address, len);
    }
    if (u || store_user_count(s->store) == 0)
        return u;
    const char *at = strrchr(address, '@');
    size_t local_len = at ? (size_t)(at - address) : strlen(address);
    if (local_len == 10 && str_ncasecmp(address, "postmaster", 10) == 0)
        return store_user_at(s->store, 0);
    return NULL;
}

bool server_relay_allowed(const mail_server_t *s, const char *domain, const char *auth_user)
{
    if (auth_user)
        return true;
    switch (s->cfg.relay) {
    case RELAY_OPEN: return true;
    case RELAY_AUTHENTICATED:
    case RELAY_NONE: break;
    }
    return listed_as_mx(s, domain);
}

/*
 * RFC 5321 4.4: the Return-Path field of final delivery, as
 * message_prepend_return_path writes it. A path with no whitespace leaves
 * the folder nothing to fold: "Return-Path: <path>" CRLF, written into small
 * when it fits; anything else goes through the folder into big. Returns the
 * field's length; the field is in big when big holds bytes, else in small.
 */
size_t server_return_path_field(const char *reverse_path, char *small, size_t small_size, buf_t *big)
{
    size_t n = strlen(reverse_path);
    if (n + 17 <= small_size && !strpbrk(reverse_path, " \t\r\n")) {
        memcpy(small, "Return-Path: <", 14);
        memcpy(small + 14, reverse_path, n);
        memcpy(small + 14 + n, ">\r\n", 3);
        return n + 17;
    }
    message_prepend_return_path(big, reverse_path);
    return big->len;
}

/* Local delivery of a message that has no body ready: the Return-Path field and a copy. */
static store_err_t deliver_copy(store_user_t *u, const mail_msg_t *msg, sim_time_t now,
                                uint32_t *uid)
{
    char small[SERVER_RETURN_PATH_SMALL];
    buf_t field = BUF_INIT;
    size_t field_len = server_return_path_field(msg->reverse_path, small, sizeof small, &field);
    const void *head = field.data ? (const void *)field.data : small;
    store_err_t e = store_deliver_parts(u, head, field_len, msg->data.data, msg->data.len, now,
                                        msg->label, uid);
    buf_free(&field);
    return e;
}

bool server_deliver_local(mail_server_t *s, mail_msg_t *msg, const char *rcpt, size_t record)
{
    world_t *w = s->world;
    store_user_t *u = server_find_recipient(s, rcpt);
    const char *why = NULL;
    const char *status = "5.1.1";
    uint32_t uid = 0;
    if (!u) {
        why = "550 5.1.1 No such user here";
    } else {
        store_err_t e = msg->body_head
                            ? store_deliver_body(u, msg->body, sim_now(w->sim), &uid)
                            : deliver_copy(u, msg, sim_now(w->sim), &uid);
        if (e == STORE_QUOTA) {
            why = "552 5.2.2 Mailbox full";
            status = "5.2.2";
        } else if (e != STORE_OK) {
            why = "550 5.2.0 Mailbox unavailable";
            status = "5.2.0";
        }
    }
    if (!why) {
        accounting_set_mailbox(w->acct, record, store_user_name(u), uid);
        w->stats.delivered++;
        return true;
    }
    if (trace_enabled(&w->sim->trace)) {
        trace_event_t ev;
        trace_event_init(&ev, sim_now(w->sim), TRACE_QUEUE_BOUNCE, s->host_name);
        ev.message = msg->label;
        ev.recipient = rcpt;
        ev.code = atoi(why);
        ev.text = why;
        node_emit(w, &ev);
    }
    bounce_rcpt_t b = {rcpt, status, why, NULL};
    accounting_set(w->acct, record, msg->reverse_path[0] ? ACCT_BOUNCED : ACCT_DISCARDED);
    w->stats.bounced++;
    bounce_send(s, msg, &b, 1, false);
    return false;
}

char *server_queue_id_format(uint64_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    /* Most ids fit 8 digits: each written from its own 4 bits, no loop over a buffer. */
    if (n <= UINT32_MAX) {
        for (int i = 0; i < 8; i++)
            out[i] = digits[(n >> (28 - 4 * i)) & 15];
        out[8] = '\0';
        return out;
    }
    char tmp[16];
    size_t k = 0;
    do {
        tmp[k++] = digits[n & 15];
        n >>= 4;
    } while (n);
    size_t width = k < 8 ? 8 : k;
    for (size_t i = 0; i < width; i++)
        out[i] = i < width - k ? '0' : tmp[width - 1 - i];
    out[width] = '\0';
    return out;
}

uint64_t server_take_message(mail_server_t *s, mail_msg_t *msg, const char *const *rcpts,
                             size_t nrcpts)
{
    world_t *w = s->world;
    msg->acceptance = accounting_accept(w->acct, s);
    w->stats.accepted++;
    /* Most messages have a few recipients: their working arrays live on the stack. */
    size_t small_records[SERVER_RCPTS_SMALL], small_group_rec[SERVER_RCPTS_SMALL];
    bool small_done[SERVER_RCPTS_SMALL] = {false};
    const char *small_group[SERVER_RCPTS_SMALL];
    bool heap = nrcpts > SERVER_RCPTS_SMALL;
    size_t *records = heap ? xcalloc(nrcpts, sizeof *records) : small_records;
    bool *done = heap ? xcalloc(nrcpts, sizeof *done) : small_done;
    for (size_t i = 0; i < nrcpts; i++)
        records[i] = accounting_record(w->acct, msg->acceptance, rcpts[i]);
    for (size_t i = 0; i < nrcpts; i++) {
        if (server_keeps(s, rcpts[i])) {
            server_deliver_local(s, msg, rcpts[i], records[i]);
            done[i] = true;
        }
    }
    /* The rest, grouped by destination domain: one queue entry per message and domain. */
    mail_msg_t *queued = msg;
    for (size_t i = 0; i < nrcpts && queued->borrowed; i++)
        if (!done[i]) {
            /* A borrowed message lives only as long as this call: the queue keeps a copy. */
            queued = mail_msg_new_body(msg->label, msg->reverse_path, store_body_ref(msg->body),
                                       msg->body_head);
            queued->acceptance = msg->acceptance;
        }
    const char **group = heap ? xcalloc(nrcpts, sizeof *group) : small_group;
    size_t *group_rec = heap ? xcalloc(nrcpts, sizeof *group_rec) : small_group_rec;
    for (size_t i = 0; i < nrcpts; i++) {
        if (done[i])
            continue;
        const char *domain = address_domain(rcpts[i]);
        size_t n = 0;
        for (size_t j = i; j < nrcpts; j++) {
            if (!done[j] && str_casecmp(address_domain(rcpts[j]), domain) == 0) {
                group[n] = rcpts[j];
                group_rec[n++] = records[j];
                done[j] = true;
            }
        }
        queue_add(s, queued, domain, group, group_rec, n);
    }
    if (queued != msg)
        mail_msg_unref(queued);
    if (heap) {
        free(group);
        free(group_rec);
        free(done);
        free(records);
    }
    return msg->acceptance;
}

size_t server_queue_count(const mail_server_t *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nqueue; i++)
        for (size_t r = 0; r < s->queue[i]->nrcpts; r++)
            if (s->queue[i]->rcpts[r].state != RCPT_DONE)
                n++;
    return n;
}

bool server_queue_at(const mail_server_t *s, size_t i, queue_view_t *out)
{
    for (size_t q = 0; q < s->nqueue; q++) {
        const queue_entry_t *e = s->queue[q];
        for (size_t r = 0; r < e->nrcpts; r++) {
            if (e->rcpts[r].state == RCPT_DONE)
                continue;
            if (i-- > 0)
                continue;
            out->message = e->msg->label;
            out->recipient = e->rcpts[r].address;
            out->domain = e->domain;
            out->attempts = e->attempts;
            out->enqueued_at = e->enqueued_at;
            out->next_attempt = e->next_attempt;
            out->in_flight = e->in_flight;
            out->last_code = e->last_code;
            out->last_error = e->last_error;
            return true;
        }
    }
    return false;
}

/* The message's own block: the struct, then its label and reverse path. */
static mail_msg_t *msg_block(const char *label, const char *reverse_path)
{
    size_t label_size = strlen(label) + 1, path_size = strlen(reverse_path) + 1;
    mail_msg_t *m = xmalloc(sizeof *m + label_size + path_size);
    memset(m, 0, sizeof *m);
    m->refs = 1;
    m->label = (char *)(m + 1);
    memcpy(m->label, label, label_size);
    m->reverse_path = m->label + label_size;
    memcpy(m->reverse_path, reverse_path, path_size);
    return m;
}

mail_msg_t *mail_msg_new(const char *label, const char *reverse_path, const uint8_t *data,
                         size_t len)
{
    return mail_msg_new_parts(label, reverse_path, NULL, 0, data, len);
}

mail_msg_t *mail_msg_new_parts(const char *label, const char *reverse_path, const uint8_t *head,
                               size_t head_len, const uint8_t *data, size_t len)
{
    mail_msg_t *m = msg_block(label, reverse_path);
    /* Exactly its size, not buf's next power of two: a queue may hold thousands. */
    m->data.data = xmalloc(head_len + len + 1);
    if (head_len)
        memcpy(m->data.data, head, head_len);
    if (len)
        memcpy(m->data.data + head_len, data, len);
    len += head_len;
    m->data.data[len] = '\0';
    m->data.len = len;
    m->data.cap = len + 1;
    return m;
}

mail_msg_t *mail_msg_new_body(const char *label, const char *reverse_path, store_body_t *body,
                              size_t head)
{
    mail_msg_t *m = msg_block(label, reverse_path);
    m->body = body;
    m->body_head = head;
    /* Borrowed bytes: cap 0 says data is not the message's to free or grow. */
    m->data.data = (uint8_t *)store_body_data(body) + head;
    m->data.len = store_body_size(body) - head;
    return m;
}

void mail_msg_borrow_body(mail_msg_t *m, const char *label, const char *reverse_path,
                          store_body_t *body, size_t head)
{
    *m = (mail_msg_t){
        .refs = 1,
        .label = (char *)label,
        .reverse_path = (char *)reverse_path,
        .data = {(uint8_t *)store_body_data(body) + head, store_body_size(body) - head, 0},
        .body = body,
        .body_head = head,
        .borrowed = true,
    };
}

mail_msg_t *mail_msg_ref(mail_msg_t *m)
{
    if (m->borrowed)
        panic("mail_msg_ref: message %s is borrowed, it cannot be kept", m->label);
    m->refs++;
    return m;
}

void mail_msg_unref(mail_msg_t *m)
{
    if (!m || --m->refs > 0)
        return;
    if (m->body)
        store_body_unref(m->body);
    else
        buf_free(&m->data);
    if (!m->borrowed)
        free(m);
}
