/*
 * tcp: the simulated TCP, with a socket-like API driven by callbacks.
 *
 * Each connection is a real RFC 9293 state machine: three-way handshake,
 * sequence and acknowledgment numbers, MSS segmentation, a receive window,
 * retransmission with exponential backoff (RFC 6298), FIN in each direction
 * (half-close), TIME_WAIT and RST. Segments travel over the paths of
 * net/net.h and are traced as tcp.segment events.
 *
 * Ownership: the net owns every connection. A connection handle stays valid
 * until its last callback (on_closed or on_error) returns, or until the
 * owner calls tcp_abort. Callbacks run from scheduler events; inside one, the
 * owner may call any function here on any connection (including aborting
 * the connection the callback is for) and may open new connections.
 */
#ifndef MAILSIM_NET_TCP_H
#define MAILSIM_NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/shared.h"
#include "net/net.h"

typedef enum tcp_error {
    TCP_ERR_REFUSED, /* connect: the peer answered the SYN with RST */
    TCP_ERR_TIMEOUT, /* connect: no answer to SYNs */
    TCP_ERR_RESET,   /* the peer sent RST */
    TCP_ERR_RETRIES, /* data not acknowledged after the retry limit */
    TCP_ERR_CRASH    /* the local host crashed */
} tcp_error_t;

const char *tcp_error_name(tcp_error_t e);

/* RFC 9293 3.3.2. A listening socket is a listener, not a connection, so
 * LISTEN is not among the states of a connection. */
#define TCP_STATES(X)                                                                              \
    X(CLOSED, "CLOSED")                                                                            \
    X(SYN_SENT, "SYN-SENT")                                                                        \
    X(SYN_RECEIVED, "SYN-RECEIVED")                                                                \
    X(ESTABLISHED, "ESTABLISHED")                                                                  \
    X(FIN_WAIT_1, "FIN-WAIT-1")                                                                    \
    X(FIN_WAIT_2, "FIN-WAIT-2")                                                                    \
    X(CLOSE_WAIT, "CLOSE-WAIT")                                                                    \
    X(CLOSING, "CLOSING")                                                                          \
    X(LAST_ACK, "LAST-ACK")                                                                        \
    X(TIME_WAIT, "TIME-WAIT")

typedef enum tcp_state {
#define X(id, name) TCP_##id,
    TCP_STATES(X)
#undef X
} tcp_state_t;

const char *tcp_state_name(tcp_state_t s);

/* Bytes arrived in order; data is valid during the call only. */
typedef void (*tcp_data_fn)(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx);

/* Every member may be NULL. The two that come with most segments first:
 * the connection keeps them on a cache line it touches anyway. */
typedef struct tcp_callbacks {
    tcp_data_fn on_data;
    /* The peer acknowledged n more bytes of data; tcp_conn_unsent says what
     * still waits, so a sender can refill its queue here. */
    void (*on_acked)(tcp_conn_t *c, size_t n, void *ctx);
    /* The handshake completed (connecting side only; the listening side
     * learns of a connection through its accept function). */
    void (*on_connected)(tcp_conn_t *c, void *ctx);
    /* FIN received: no more data will come. */
    void (*on_peer_closed)(tcp_conn_t *c, void *ctx);
    /* Both directions done; last callback, c is freed after it returns. */
    void (*on_closed)(tcp_conn_t *c, void *ctx);
    /* Last callback, c is freed after it returns. */
    void (*on_error)(tcp_conn_t *c, tcp_error_t err, void *ctx);
} tcp_callbacks_t;

/*
 * Warming (see sched_set_warm). A segment's arrival is warmed while the
 * segments due before it arrive: the net prefetches the receiving
 * connection, then the first lines of its ctx, and then calls the warm
 * named here for the connection's on_data, if the segment carries data and
 * on_data could be called (the owner has not closed or had its last
 * callback), three times: warm(ctx, 3) three turns before the arrival,
 * warm(ctx, 2) two turns before and warm(ctx, 1) the turn before, so that
 * the owner can prefetch what on_data will read beyond that (its engine,
 * its output, what the engine points to), following in each call a pointer
 * prefetched by the call before. warm must
 * only read memory of ctx's and change nothing. Up to
 * TCP_WARM_MAX; setting one again replaces it, NULL removes it; false when
 * the table is full or on_data is NULL.
 */
#define TCP_WARM_MAX 4 /* FNMAP_MAX */
typedef void (*tcp_warm_fn)(const void *ctx, unsigned ahead);
bool tcp_set_warm(net_t *net, tcp_data_fn on_data, tcp_warm_fn warm);

/* Called once a connection to a listener has completed its handshake. The
 * acceptor calls tcp_conn_set_callbacks inside (or tcp_abort to reject). */
typedef void (*tcp_accept_fn)(tcp_conn_t *c, void *ctx);

/* Listens on h's port. 0, or -1 if the port is taken. */
int tcp_listen(net_t *net, host_t *h, uint16_t port, tcp_accept_fn fn, void *ctx);
/* Stops listening; connections already accepted go on. */
void tcp_unlisten(net_t *net, host_t *h, uint16_t port);
bool tcp_is_listening(const net_t *net, const host_t *h, uint16_t port);

/*
 * Opens a connection from a local ephemeral port of `from` to to_addr:port.
 * The result comes later through cb (on_connected or on_error); never from
 * inside this call. cb is copied. NULL when from is NULL or every ephemeral
 * port is in use.
 */
tcp_conn_t *tcp_connect(net_t *net, host_t *from, uint32_t to_addr, uint16_t port,
                        const tcp_callbacks_t *cb, void *ctx);
/* cb is copied; NULL clears every callback. */
void tcp_conn_set_callbacks(tcp_conn_t *c, const tcp_callbacks_t *cb, void *ctx);

/* Queues a copy of data; it leaves in MSS-sized segments as the peer's window
 * allows. Ignored after tcp_shutdown or tcp_close. */
void tcp_send(tcp_conn_t *c, const void *data, size_t len);
/*
 * tcp_send without the copy, for bytes that do not change and that many
 * connections send (a message's shared text): TCP reads them where they are
 * whenever it sends them, and holds a reference to owner, the block they
 * lie in, until the peer has acknowledged them or the connection ends.
 * Segments carry them by reference too, so the receiver reads the same
 * block. What goes on the wire is what tcp_send would send. Short runs, and
 * runs beyond what a queue keeps lent at once, are copied (owner is then
 * not held); owner NULL is tcp_send.
 */
void tcp_send_lent(tcp_conn_t *c, const void *data, size_t len, shared_t *owner);
/* FIN after the queued data: half-close, reading goes on. */
void tcp_shutdown(tcp_conn_t *c);
/* Shutdown, and the owner wants no more data (no more on_data or
 * on_peer_closed); on_closed or on_error still comes. */
void tcp_close(tcp_conn_t *c);
/* Sends RST and frees c at once; no callback follows. */
void tcp_abort(tcp_conn_t *c);

/* A number unique in the net, shared by both ends: the "session" of trace events. */
uint64_t tcp_conn_id(const tcp_conn_t *c);
tcp_state_t tcp_conn_state(const tcp_conn_t *c);
host_t *tcp_conn_local(const tcp_conn_t *c);
/* NULL when no host has the remote address. */
host_t *tcp_conn_remote(const tcp_conn_t *c);
uint32_t tcp_conn_remote_addr(const tcp_conn_t *c);
uint16_t tcp_conn_local_port(const tcp_conn_t *c);
uint16_t tcp_conn_remote_port(const tcp_conn_t *c);
/* The listening side's port. */
uint16_t tcp_conn_service_port(const tcp_conn_t *c);
/* True on the side that called tcp_connect. */
bool tcp_conn_is_client(const tcp_conn_t *c);
/* Bytes queued and not yet sent. */
size_t tcp_conn_unsent(const tcp_conn_t *c);
/* Bytes sent and not yet acknowledged. */
size_t tcp_conn_in_flight(const tcp_conn_t *c);
/* Heap bytes held for data: the send queue's room and out-of-order segments.
 * None once the connection reaches TIME-WAIT. */
size_t tcp_conn_buffer_bytes(const tcp_conn_t *c);

typedef struct tcp_stats {
    uint64_t segments_sent;     /* retransmissions included */
    uint64_t segments_received; /* those that reached this end */
    uint64_t retransmits;
    uint64_t bytes_acked;    /* data bytes the peer acknowledged */
    uint64_t bytes_received; /* data bytes delivered in order */
    sim_time_t srtt;         /* smoothed round-trip time; 0 before a sample */
    sim_time_t rto;          /* current retransmission timeout */
} tcp_stats_t;

void tcp_conn_stats(const tcp_conn_t *c, tcp_stats_t *out);

/* Observes every state change of every connection in the net (one observer;
 * NULL removes it). For tests and front ends; it must not call into tcp. */
typedef void (*tcp_state_fn)(const tcp_conn_t *c, tcp_state_t from, tcp_state_t to, void *ctx);
void tcp_set_state_observer(net_t *net, tcp_state_fn fn, void *ctx);

#endif
