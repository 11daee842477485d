/*
 * agent_imap: the user agent's IMAP sessions. It opens TCP to its server's
 * IMAP port, and the IMAP client engine logs in, runs the steps that the
 * operations become, and logs out. Unlike POP3, the mail stays on the
 * server: a fetch copies the messages not yet \Seen into the agent's own
 * store (traced as user.fetch, with folder and UID) and the server marks
 * them \Seen, so the next fetch, from this client or another of the same
 * user, finds them read. Folders, moves and flags are the server's state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/header.h"
#include "node/node_private.h"
#include "proto/imap_client.h"

typedef struct imap_task {
    agent_conn_t ac; /* first: the connection, the agent's task; its watchdog also ends an IDLE */
    imap_client_t *client;
} imap_task_t;

/* --- the engine's hooks --------------------------------------------------- */

static store_folder_t *local_folder(user_agent_t *a, const char *name)
{
    store_user_t *u = agent_local_user(a);
    store_folder_t *f = store_folder_find(u, name);
    if (!f && store_folder_create(u, name, &f) != STORE_OK)
        f = store_inbox(u);
    return f;
}

static void hook_message(void *ctx, const char *folder, uint32_t uid, const uint8_t *data,
                         size_t len)
{
    imap_task_t *it = ctx;
    user_agent_t *a = it->ac.agent;
    world_t *w = a->world;
    header_t h;
    header_init(&h);
    header_parse(data, len, &h);
    const char *msgid = header_get(&h, "Message-ID");
    const char *label = msgid ? world_label_for(w, msgid) : NULL;
    store_append_t m = {
        .data = data, .size = len, .internal_date = sim_now(w->sim), .label = label};
    store_append(local_folder(a, folder), &m, NULL);
    if (trace_enabled(&w->sim->trace)) {
        trace_event_t ev;
        trace_event_init(&ev, sim_now(w->sim), TRACE_USER_FETCH, a->host_name);
        ev.user = a->user;
        ev.message = label;
        ev.folder = folder;
        ev.uid = uid;
        node_emit(w, &ev);
    }
    header_free(&h);
}

/* "fetched 1, moved 2" from the counts that are not zero. */
static void summary(const imap_client_counts_t *n, char *text, size_t size)
{
    const struct {
        const char *what;
        uint32_t count;
    } parts[] = {
        {"found", n->found},
        {"fetched", n->fetched},
        {"flag changes", n->stored},
        {"moved", n->moved},
        {"expunged", n->expunged},
        {"folders created", n->created},
        {"folders deleted", n->deleted},
        {"updates while idling", n->news},
    };
    size_t used = (size_t)snprintf(text, size, "IMAP session done:");
    bool any = false;
    for (size_t i = 0; i < ARRAY_LEN(parts) && used < size; i++) {
        if (!parts[i].count)
            continue;
        used += (size_t)snprintf(text + used, size - used, "%s %s %u", any ? "," : "",
                                 parts[i].what, (unsigned)parts[i].count);
        any = true;
    }
    if (!any && used < size)
        snprintf(text + used, size - used, " nothing matched");
}

static void hook_done(void *ctx, bool ok, const char *error, const imap_client_counts_t *counts)
{
    imap_task_t *it = ctx;
    char text[300];
    if (ok)
        summary(counts, text, sizeof text);
    else
        snprintf(text, sizeof text, "IMAP failed: %.250s", error ? error : "unknown error");
    agent_emit_result(it->ac.agent, text);
}

/* --- the connection ------------------------------------------------------- */

static void imap_feed(agent_conn_t *ac, const uint8_t *data, size_t len, buf_t *out)
{
    imap_client_feed(((imap_task_t *)ac)->client, data, len, out);
}

static bool imap_done(const agent_conn_t *ac)
{
    return imap_client_done(((const imap_task_t *)ac)->client);
}

static void imap_lost(agent_conn_t *ac)
{
    imap_client_connection_lost(((imap_task_t *)ac)->client); /* on_done if not done yet */
}

static bool imap_silence(agent_conn_t *ac)
{
    imap_task_t *it = (imap_task_t *)ac;
    if (!ac->conn || !imap_client_idling(it->client))
        return false;
    /* RFC 2177 3: a client leaves IDLE in time; the session then ends as queued. */
    imap_client_idle_done(it->client, &ac->out);
    agent_conn_flush(ac);
    agent_conn_watch(ac);
    return true;
}

static void imap_free(agent_conn_t *ac)
{
    imap_task_t *it = (imap_task_t *)ac;
    imap_client_free(it->client);
    free(it);
}

static const agent_conn_ops_t imap_ops = {
    .feed = imap_feed,
    .done = imap_done,
    .lost = imap_lost,
    .silence = imap_silence,
    .free = imap_free,
};

/* --- operations into steps ------------------------------------------------ */

static char *join_flags(const char *const *v, size_t n)
{
    if (n == 0)
        return NULL;
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%s", i ? " " : "", v[i]);
    return buf_steal(&b, NULL);
}

static bool add_step(imap_client_t *c, imap_client_step_kind_t kind, const char *folder,
                     const char *text, char *err, size_t errlen)
{
    imap_client_step_t st = {kind, folder, text, NULL, NULL};
    return imap_client_add(c, &st, err, errlen);
}

/* A subject search in INBOX: what move, flag and delete work on. */
static bool add_search(imap_client_t *c, const agent_imap_op_t *op, char *err, size_t errlen)
{
    if (!op->subject) {
        snprintf(err, errlen, "a subject is needed to choose the messages");
        return false;
    }
    return add_step(c, IMAP_STEP_SELECT, "INBOX", NULL, err, errlen) &&
           add_step(c, IMAP_STEP_SEARCH_SUBJECT, NULL, op->subject, err, errlen);
}

static bool add_store(imap_client_t *c, const char *add, const char *remove, char *err,
                      size_t errlen)
{
    imap_client_step_t st = {IMAP_STEP_STORE, NULL, NULL, add, remove};
    return imap_client_add(c, &st, err, errlen);
}

static bool add_flag(imap_client_t *c, const agent_imap_op_t *op, char *err, size_t errlen)
{
    char *add = join_flags(op->add, op->nadd), *remove = join_flags(op->remove, op->nremove);
    bool ok = add_search(c, op, err, errlen) && add_store(c, add, remove, err, errlen);
    free(add);
    free(remove);
    return ok;
}

static bool add_op(imap_client_t *c, const agent_imap_op_t *op, char *err, size_t errlen)
{
    const char *folder = op->folder ? op->folder : "INBOX";
    switch (op->kind) {
    case AGENT_IMAP_FETCH:
        /* "New" is what no client of this user has read: not \Seen. */
        return add_step(c, IMAP_STEP_SELECT, folder, NULL, err, errlen) &&
               add_step(c, IMAP_STEP_SEARCH_UNSEEN, NULL, NULL, err, errlen) &&
               add_step(c, IMAP_STEP_FETCH, NULL, NULL, err, errlen);
    case AGENT_IMAP_CREATE:
        return add_step(c, IMAP_STEP_CREATE, op->folder, NULL, err, errlen);
    case AGENT_IMAP_DELETE_FOLDER:
        return add_step(c, IMAP_STEP_DELETE_FOLDER, op->folder, NULL, err, errlen);
    case AGENT_IMAP_MOVE:
        return add_search(c, op, err, errlen) &&
               add_step(c, IMAP_STEP_MOVE, op->folder, NULL, err, errlen);
    case AGENT_IMAP_FLAG:
        return add_flag(c, op, err, errlen);
    case AGENT_IMAP_DELETE:
        /* RFC 3501 6.4.3: \Deleted is only a mark; EXPUNGE removes. */
        return add_search(c, op, err, errlen) && add_store(c, "\\Deleted", NULL, err, errlen) &&
               add_step(c, IMAP_STEP_EXPUNGE, NULL, NULL, err, errlen);
    case AGENT_IMAP_IDLE:
        return add_step(c, IMAP_STEP_SELECT, folder, NULL, err, errlen) &&
               add_step(c, IMAP_STEP_IDLE, NULL, NULL, err, errlen);
    }
    snprintf(err, errlen, "unknown IMAP operation");
    return false;
}

bool agent_imap(user_agent_t *a, const agent_imap_op_t *ops, size_t nops, char *err, size_t errlen)
{
    if (!a->user || !a->server) {
        snprintf(err, errlen, "%s has no mailbox to read", a->host_name);
        return false;
    }
    if (!a->server->cfg.imap_port) {
        snprintf(err, errlen, "%s offers no IMAP service", a->server->host_name);
        return false;
    }
    imap_task_t *it = xcalloc(1, sizeof *it);
    char *name = agent_login_name(a->user);
    imap_client_config_t cfg = {.user = name, .password = a->password ? a->password : ""};
    imap_client_hooks_t hooks = {.ctx = it, .on_message = hook_message, .on_done = hook_done};
    it->client = imap_client_new(&cfg, &hooks);
    free(name);
    for (size_t i = 0; i < nops; i++) {
        if (!add_op(it->client, &ops[i], err, errlen)) {
            imap_client_free(it->client);
            free(it);
            return false;
        }
    }
    agent_conn_open(&it->ac, a, &imap_ops, a->server->host, a->server->cfg.imap_port);
    return true;
}

bool agent_fetch_imap(user_agent_t *a, const char *folder, char *err, size_t errlen)
{
    agent_imap_op_t op = {.kind = AGENT_IMAP_FETCH, .folder = folder};
    return agent_imap(a, &op, 1, err, errlen);
}
