/*
 * service: what every server-side protocol service of a mail server shares.
 * A listener per port; for each accepted TCP connection, an engine made by
 * the service's ops; bytes carried between the two; the idle timer; and the
 * end of sessions when the connection closes, breaks or the host crashes.
 * The SMTP, submission, POP3 and IMAP services are each a const service_ops_t.
 */
#ifndef MAILSIM_NODE_SERVICE_H
#define MAILSIM_NODE_SERVICE_H

#include "core/buf.h"
#include "net/tcp.h"
#include "node/world.h"

typedef struct service_conn service_conn_t;

typedef struct service_ops {
    sim_time_t idle_timeout;
    /* A new connection: makes the engine (returned) and appends its greeting to out. */
    void *(*open)(service_conn_t *sc, void *arg, buf_t *out);
    void (*feed)(void *engine, const uint8_t *data, size_t len, buf_t *out);
    /* idle_timeout of silence: the engine's last words, if any. */
    void (*timeout)(void *engine, buf_t *out);
    bool (*wants_close)(const void *engine);
    /* The connection broke or the host crashed (may be NULL). */
    void (*lost)(void *engine);
    void (*free)(void *engine);
    /*
     * Optional: an ended session's engine, kept with the session for the
     * next connection to the service, made new again for sc (as open would
     * make one; the greeting into out). NULL: engines are freed at the end.
     */
    void *(*reopen)(void *engine, service_conn_t *sc, buf_t *out);
    /* Optional: prefetches what feed will read beyond the engine's first
     * two lines, which are in cache by then: with ahead 2 two turns before
     * the data's arrival, with ahead 1 the turn before (following what the
     * first call prefetched); reads only the engine and changes nothing
     * (see tcp_set_warm). */
    void (*warm)(const void *engine, unsigned ahead);
} service_ops_t;

/* Listens on port; arg is handed to ops->open. */
void service_listen(mail_server_t *s, uint16_t port, const service_ops_t *ops, void *arg);
/* The host crashed: every session is lost at once, without a word. */
void service_crash_all(mail_server_t *s);
/* The server goes away: sessions and listeners are freed. */
void service_free_all(mail_server_t *s);
/* Ended sessions kept for reuse, over all of s's listeners (at most 1,024 a listener). */
size_t service_spare_count(const mail_server_t *s);

/*
 * Calls fn for each live session of the server whose service is ops, with
 * the engine ops->open made. fn may flush its session but must not free it.
 */
void service_each(mail_server_t *s, const service_ops_t *ops,
                  void (*fn)(service_conn_t *sc, void *engine, void *arg), void *arg);

mail_server_t *service_conn_server(const service_conn_t *sc);
/* NULL once the connection is gone. */
tcp_conn_t *service_conn_tcp(const service_conn_t *sc);
const char *service_conn_client(const service_conn_t *sc);
/* Sends what the engine appended, and closes when the engine is done. */
void service_conn_flush(service_conn_t *sc);
buf_t *service_conn_out(service_conn_t *sc);

#endif
