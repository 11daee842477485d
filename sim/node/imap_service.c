/*
 * imap_service: a mail server's IMAP service (port 143), on the shared
 * service frame. Each connection gets an IMAP server engine that works on
 * the store directly once its user logs in. Every command line and response
 * is traced as imap.command / imap.response (the LOGIN password included:
 * without TLS it crosses the network in clear, docs/imap.md). When the store
 * changes for a user, every IMAP session of that user is told at once
 * (imap_server_notify), so that an idling client hears of new mail, moves
 * and flag changes made by its other clients (RFC 2177).
 *
 * Trace fields: imap.command has verb (the command name, "UID MOVE"; none
 * on the lines that go on after a literal, on DONE and on AUTHENTICATE's
 * data). imap.response has status "OK", "NO" or "BAD" for the tagged reply,
 * with verb the command it completes; "*" for untagged data, with verb the
 * response name ("EXISTS", "FETCH", "BYE"); "+" for a continuation request.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node/node_private.h"
#include "node/service.h"
#include "proto/imap_parse.h"
#include "proto/imap_server.h"

typedef struct imap_session {
    service_conn_t *sc;
    mail_server_t *server;
    imap_server_t *engine;
    bool continued;                  /* the last client line ended in a literal's "{n}" */
    char last_tag[IMAP_TAG_MAX + 1]; /* the last command's tag and name, for its reply */
    char last_verb[32];
} imap_session_t;

static store_user_t *hook_authenticate(void *ctx, const char *user, const char *password)
{
    imap_session_t *is = ctx;
    store_user_t *u = store_find_user(is->server->store, user);
    return u && store_user_check_password(u, password) ? u : NULL;
}

static sim_time_t hook_now(void *ctx)
{
    return sim_now(((imap_session_t *)ctx)->server->world->sim);
}

/* Fills in the verb and status of a line; false when the line is not to be traced. */
static void line_fields(imap_session_t *is, line_dir_t dir, const char *tag, const char *word,
                        const char *line, trace_event_t *ev)
{
    if (dir == LINE_CLIENT_TO_SERVER) {
        if (!is->continued && word) {
            ev->verb = word;
            str_copy(is->last_tag, sizeof is->last_tag, tag ? tag : "");
            str_copy(is->last_verb, sizeof is->last_verb, word);
        }
        bool non_sync;
        is->continued = imap_literal_marker(line, strlen(line), &non_sync) >= 0;
        return;
    }
    if (tag && strcmp(tag, "*") == 0) {
        ev->status = "*";
        ev->verb = word;
    } else if (tag && strcmp(tag, "+") == 0) {
        ev->status = "+";
    } else {
        ev->status = word;
        if (tag && strcmp(tag, is->last_tag) == 0 && is->last_verb[0])
            ev->verb = is->last_verb;
    }
}

static void on_line(void *ctx, line_dir_t dir, const char *tag, const char *word, const char *line)
{
    imap_session_t *is = ctx;
    world_t *w = is->server->world;
    tcp_conn_t *conn = service_conn_tcp(is->sc);
    bool command = dir == LINE_CLIENT_TO_SERVER;
    trace_event_t ev;
    trace_event_init(&ev, sim_now(w->sim), command ? TRACE_IMAP_COMMAND : TRACE_IMAP_RESPONSE,
                     is->server->host_name);
    /* Kept up to date even unseen: the next line's fields depend on this one. */
    line_fields(is, dir, tag, word, line, &ev);
    if (!trace_enabled(&w->sim->trace) || !conn)
        return;
    const char *client = service_conn_client(is->sc);
    ev.from = command ? client : is->server->host_name;
    ev.to = command ? is->server->host_name : client;
    ev.port = tcp_conn_service_port(conn);
    ev.session = (int64_t)tcp_conn_id(conn);
    ev.line = line;
    node_emit(w, &ev);
}

static void *imap_open(service_conn_t *sc, void *arg, buf_t *out)
{
    mail_server_t *s = service_conn_server(sc);
    imap_session_t *is = xcalloc(1, sizeof *is);
    is->sc = sc;
    is->server = s;
    imap_server_config_t cfg;
    imap_server_config_default(&cfg);
    cfg.hostname = s->host_name;
    imap_server_hooks_t hooks = {
        .ctx = is,
        .authenticate = hook_authenticate,
        .now = hook_now,
        .on_line = on_line,
    };
    is->engine = imap_server_new(&cfg, &hooks);
    imap_server_start(is->engine, out);
    return is;
}

static void imap_feed(void *engine, const uint8_t *data, size_t len, buf_t *out)
{
    imap_server_feed(((imap_session_t *)engine)->engine, data, len, out);
}

static void imap_timeout(void *engine, buf_t *out)
{
    imap_server_timeout(((imap_session_t *)engine)->engine, out);
}

static bool imap_wants_close(const void *engine)
{
    return imap_server_wants_close(((const imap_session_t *)engine)->engine);
}

static void imap_free(void *engine)
{
    imap_session_t *is = engine;
    imap_server_free(is->engine);
    free(is);
}

static const service_ops_t imap_ops = {
    .idle_timeout = IMAP_SERVER_IDLE_TIMEOUT,
    .open = imap_open,
    .feed = imap_feed,
    .timeout = imap_timeout,
    .wants_close = imap_wants_close,
    .lost = NULL, /* IMAP has nothing to roll back: every change is made at once */
    .free = imap_free,
};

void imap_service_listen(mail_server_t *s)
{
    service_listen(s, s->cfg.imap_port, &imap_ops, NULL);
}

typedef struct notify_arg {
    const store_user_t *user;
} notify_arg_t;

static void notify_one(service_conn_t *sc, void *engine, void *arg)
{
    imap_session_t *is = engine;
    if (imap_server_user(is->engine) != ((notify_arg_t *)arg)->user)
        return;
    /* Only what notify adds goes out now: the session may be in the middle of its own command. */
    buf_t *out = service_conn_out(sc);
    size_t before = out->len;
    imap_server_notify(is->engine, out);
    if (out->len > before)
        service_conn_flush(sc);
}

void imap_service_notify(mail_server_t *s, const store_user_t *user)
{
    notify_arg_t arg = {user};
    service_each(s, &imap_ops, notify_one, &arg);
}
