/*
 * service: listeners and per-connection sessions of a mail server's
 * protocol services, with the idle timer and the session list.
 */
#include "node/service.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node/node_private.h"
#include "node/watchdog.h"

typedef struct service_listener service_listener_t;

/* From the start of a cache line, with what every arrival of the client's
 * bytes reads and writes (the engine, the connection, the output and the
 * watchdog's first fields) in the first: with a thousand sessions, each
 * arrival finds its session out of cache. */
struct service_conn {
    const service_ops_t *ops;
    void *engine; /* in a spare: the engine kept for ops->reopen, or NULL */
    tcp_conn_t *conn;
    buf_t out;
    watchdog_t idle;
    service_conn_t *next;
    service_conn_t **pprev; /* the pointer to this one: unlinking is O(1) with 1,000 sessions */
    service_listener_t *listener;
    mail_server_t *server;
    char *client_name; /* in the same allocation, after the struct: name_cap + 1 octets */
    size_t name_cap;
};

_Static_assert(offsetof(service_conn_t, idle) + offsetof(watchdog_t, timer) <= 64,
               "an arrival finds the engine, the connection, the output and the watchdog's "
               "clock in a session's first cache line");

/* A listener keeps its own sessions, so a walk over one service never visits the others'. */
struct service_listener {
    mail_server_t *server;
    const service_ops_t *ops;
    void *arg;
    service_conn_t *sessions;
    /* Ended sessions kept for the next ones, with their output buffers: no malloc per accept. */
    service_conn_t *spare;
    size_t nspare;
};

/* At most this many spares per listener: enough for a thousand clients that
 * end and start sessions together, while a burst of ten thousand gives its
 * memory back when it is over. */
#define SPARES_MAX 1024
/* A spare keeps an output buffer up to this size; a bigger one goes back to the allocator. */
#define SPARE_OUT_MAX 4096
/* Room for a client name a spare can take without a new allocation. */
#define NAME_CAP_MIN 31

mail_server_t *service_conn_server(const service_conn_t *sc)
{
    return sc->server;
}

tcp_conn_t *service_conn_tcp(const service_conn_t *sc)
{
    return sc->conn;
}

const char *service_conn_client(const service_conn_t *sc)
{
    return sc->client_name;
}

buf_t *service_conn_out(service_conn_t *sc)
{
    return &sc->out;
}

static void spare_free(service_conn_t *sc);

static void conn_free(service_conn_t *sc)
{
    watchdog_stop(&sc->idle);
    *sc->pprev = sc->next;
    if (sc->next)
        sc->next->pprev = sc->pprev;
    if (sc->listener->nspare >= SPARES_MAX) {
        spare_free(sc);
        return;
    }
    if (!sc->ops->reopen) {
        sc->ops->free(sc->engine);
        sc->engine = NULL;
    }
    if (sc->out.cap > SPARE_OUT_MAX)
        buf_free(&sc->out);
    else
        buf_reset(&sc->out);
    sc->next = sc->listener->spare;
    sc->listener->spare = sc;
    sc->listener->nspare++;
}

static void spare_free(service_conn_t *sc)
{
    if (sc->engine)
        sc->ops->free(sc->engine);
    buf_free(&sc->out);
    free(sc);
}

/* A session with room for a client name of name_len octets: a spare one, or a new one. */
static service_conn_t *conn_alloc(service_listener_t *l, size_t name_len)
{
    service_conn_t *sc = l->spare;
    if (sc) {
        l->spare = sc->next;
        l->nspare--;
        if (sc->name_cap >= name_len)
            return sc;
        /* Too small: replaced, so the spares never outnumber the sessions there were at once. */
        spare_free(sc);
    }
    size_t cap = name_len > NAME_CAP_MIN ? name_len : NAME_CAP_MIN;
    sc = xaligned_alloc(64, sizeof *sc + cap + 1);
    sc->name_cap = cap;
    sc->client_name = (char *)(sc + 1);
    sc->engine = NULL;
    buf_init(&sc->out);
    return sc;
}

void service_conn_flush(service_conn_t *sc)
{
    if (sc->out.len && sc->conn) {
        tcp_send(sc->conn, sc->out.data, sc->out.len);
        buf_reset(&sc->out);
    }
    if (sc->conn && sc->ops->wants_close(sc->engine))
        tcp_close(sc->conn);
}

static void on_idle(void *arg)
{
    service_conn_t *sc = arg;
    sc->ops->timeout(sc->engine, &sc->out);
    service_conn_flush(sc);
    /* An engine with nothing to say still ends the session. */
    if (sc->conn)
        tcp_close(sc->conn);
}

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    service_conn_t *sc = ctx;
    watchdog_touch(&sc->idle);
    sc->ops->feed(sc->engine, data, len, &sc->out);
    service_conn_flush(sc);
}

/* on_data's warm (tcp_set_warm): the first lines of the engine, and where
 * the output goes; then what the engine's own warm names. */
static void sc_warm(const void *ctx, unsigned ahead)
{
    const service_conn_t *sc = ctx;
    if (ahead == 3) { /* the session's engine struct; then the engine's own warm */
        __builtin_prefetch(sc->engine);
        __builtin_prefetch((const char *)sc->engine + 64);
        __builtin_prefetch(sc->out.data);
    } else if (sc->ops->warm && sc->engine) {
        sc->ops->warm(sc->engine, ahead);
    }
}

static void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}

static void on_gone(tcp_conn_t *c, void *ctx)
{
    service_conn_t *sc = ctx;
    sc->conn = NULL;
    if (sc->ops->lost)
        sc->ops->lost(sc->engine);
    conn_free(sc);
}

static void on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    on_gone(c, ctx);
}

static const tcp_callbacks_t conn_callbacks = {
    .on_data = on_data,
    .on_peer_closed = on_peer_closed,
    .on_closed = on_gone,
    .on_error = on_error,
};

static void on_accept(tcp_conn_t *c, void *ctx)
{
    service_listener_t *l = ctx;
    mail_server_t *s = l->server;
    host_t *peer = tcp_conn_remote(c);
    const char *name = peer ? host_name(peer) : "unknown";
    size_t name_len = strlen(name);
    service_conn_t *sc = conn_alloc(l, name_len);
    /* What a spare keeps: its name room, its output buffer and its engine; the rest starts afresh. */
    char *name_room = sc->client_name;
    size_t name_cap = sc->name_cap;
    buf_t out = sc->out;
    void *engine = sc->engine;
    *sc = (service_conn_t){
        .listener = l,
        .server = s,
        .ops = l->ops,
        .conn = c,
        .client_name = name_room,
        .name_cap = name_cap,
        .out = out,
    };
    memcpy(name_room, name, name_len + 1);
    sc->next = l->sessions;
    if (sc->next)
        sc->next->pprev = &sc->next;
    sc->pprev = &l->sessions;
    l->sessions = sc;
    tcp_conn_set_callbacks(c, &conn_callbacks, sc);
    watchdog_start(&sc->idle, s->world->sim->sched, l->ops->idle_timeout, on_idle, sc);
    sc->engine = engine ? l->ops->reopen(engine, sc, &sc->out) : l->ops->open(sc, l->arg, &sc->out);
    service_conn_flush(sc);
}

void service_listen(mail_server_t *s, uint16_t port, const service_ops_t *ops, void *arg)
{
    if (!port)
        return;
    if (s->nlisteners == ARRAY_LEN(s->listeners))
        panic("service_listen: %s has too many services", s->host_name);
    service_listener_t *l = xcalloc(1, sizeof *l);
    *l = (service_listener_t){s, ops, arg, NULL, NULL, 0};
    tcp_listen(s->world->net, s->host, port, on_accept, l);
    tcp_set_warm(s->world->net, on_data, sc_warm);
    s->listeners[s->nlisteners++] = l;
}

void service_each(mail_server_t *s, const service_ops_t *ops,
                  void (*fn)(service_conn_t *sc, void *engine, void *arg), void *arg)
{
    for (size_t i = 0; i < s->nlisteners; i++) {
        service_listener_t *l = s->listeners[i];
        if (l->ops != ops)
            continue;
        for (service_conn_t *sc = l->sessions, *next; sc; sc = next) {
            next = sc->next;
            if (sc->conn)
                fn(sc, sc->engine, arg);
        }
    }
}

void service_crash_all(mail_server_t *s)
{
    /* net_host_crash already failed every connection, which freed its session. */
    for (size_t i = 0; i < s->nlisteners; i++) {
        service_listener_t *l = s->listeners[i];
        while (l->sessions) {
            service_conn_t *sc = l->sessions;
            tcp_conn_t *c = sc->conn;
            sc->conn = NULL;
            if (c)
                tcp_abort(c);
            if (sc->ops->lost)
                sc->ops->lost(sc->engine);
            conn_free(sc);
        }
    }
}

size_t service_spare_count(const mail_server_t *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nlisteners; i++)
        n += ((const service_listener_t *)s->listeners[i])->nspare;
    return n;
}

void service_free_all(mail_server_t *s)
{
    for (size_t i = 0; i < s->nlisteners; i++) {
        service_listener_t *l = s->listeners[i];
        while (l->sessions) {
            service_conn_t *sc = l->sessions;
            sc->conn = NULL;
            conn_free(sc);
        }
        while (l->spare) {
            service_conn_t *sc = l->spare;
            l->spare = sc->next;
            spare_free(sc);
        }
        free(l);
    }
    s->nlisteners = 0;
}
