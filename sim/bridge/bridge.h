/*
 * bridge: real TCP sockets joined to the simulation, in real time. The one
 * module besides the command line that reads the wall clock: virtual time
 * follows it, times a speed factor.
 *
 * A map ties a real listening socket (127.0.0.1:2525) to a simulated
 * service (mail.roberto.example port 25). Each real connection accepted
 * there becomes a simulated TCP connection from a host that stands for the
 * real peer ("real-1", one host per peer address, with an address from
 * world_next_free_addr), so its sessions show in the trace like any other:
 * in the log, the pcap and the expectations. Bytes are carried both ways;
 * an end of stream, a reset or a refusal on one side is mirrored on the
 * other. External hosts (external.h) are the reverse: a simulated
 * connection carried out to a real server.
 *
 * The loop is one thread and poll(): every socket is non-blocking, reads
 * stop while the other side is behind, and limits (connections, line
 * length, bytes, idle time, buffered output) end a connection that breaks
 * them, so no client, slow or hostile, can stall the simulation or the
 * others.
 *
 * Ownership: the bridge borrows the world, which must outlive it. Free the
 * bridge (which closes every real socket and aborts the simulated
 * connections it made) before the world.
 */
#ifndef MAILSIM_BRIDGE_BRIDGE_H
#define MAILSIM_BRIDGE_BRIDGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/world.h"

typedef struct bridge bridge_t;

/* A monotonic wall clock in microseconds. */
typedef int64_t (*bridge_clock_fn)(void *ctx);
/* One line, no newline: a connection refused by a limit, a peer's host made. */
typedef void (*bridge_notice_fn)(void *ctx, const char *line);

typedef struct bridge_limits {
    size_t max_conns;   /* live real connections, both directions; more are closed at once */
    size_t max_line;    /* bytes from a real peer without a line feed */
    uint64_t max_bytes; /* bytes one real peer may send in all (a message and its session) */
    int64_t idle_us;    /* wall-clock silence of a real peer before it is closed */
    size_t max_pending; /* bytes waiting for a real peer that does not read */
} bridge_limits_t;

#define BRIDGE_DEFAULT_MAX_CONNS 64
#define BRIDGE_DEFAULT_MAX_LINE (64 * 1024)
#define BRIDGE_DEFAULT_MAX_BYTES (64ull * 1024 * 1024)
#define BRIDGE_DEFAULT_IDLE_US (300ll * 1000000)
#define BRIDGE_DEFAULT_MAX_PENDING (4 * 1024 * 1024)

typedef struct bridge_options {
    double speed;    /* virtual seconds per wall-clock second, > 0 (1: real time) */
    bool listen_any; /* maps may listen on any address, not only loopback */
    /* Every real peer appears as this host of the world (a bare client the
     * scenario declares, so expectations can name it); NULL: a host is made
     * per peer address, "real-1", "real-2", ... */
    const char *peer_host;
    bridge_limits_t limits;
    bridge_clock_fn clock; /* NULL: CLOCK_MONOTONIC */
    void *clock_ctx;
    bridge_notice_fn notice; /* NULL: standard error */
    void *notice_ctx;
} bridge_options_t;

/* Speed 1, loopback only, the default limits, the real clock. */
void bridge_options_default(bridge_options_t *opt);

/* A bridge on w's network, its clock started now (opt's strings are copied).
 * NULL when opt->peer_host is not a host of w. The caller frees it. */
bridge_t *bridge_new(world_t *w, const bridge_options_t *opt);
void bridge_free(bridge_t *b);

/*
 * Listens on listen_addr:listen_port (a dotted quad; port 0 picks a free
 * one) and ties it to host:port in the simulation. 0, or -1 and a message
 * in err (a name that is no host, an address that is not loopback without
 * listen_any, a port already in use).
 */
int bridge_map(bridge_t *b, const char *listen_addr, uint16_t listen_port, const char *host,
               uint16_t port, char *err, size_t errlen);
size_t bridge_map_count(const bridge_t *b);
/* The real port map i listens on (the one chosen, after port 0). */
uint16_t bridge_map_port(const bridge_t *b, size_t i);

/*
 * One turn of the loop: runs the simulation up to the virtual time the
 * wall clock has reached, writes what waits for real peers, then waits at
 * most max_wait_ms (less when an event or a deadline comes sooner) for
 * sockets, and serves those that are ready.
 */
void bridge_poll(bridge_t *b, int max_wait_ms);
/* The same, never running the simulation past until (the clock then stops there). */
void bridge_poll_until(bridge_t *b, int max_wait_ms, sim_time_t until);

/*
 * Turns until *stop becomes non-zero (a signal handler sets it) or virtual
 * time reaches until (SIM_TIME_NEVER: no end); the clock then stands at the
 * time reached.
 */
void bridge_run(bridge_t *b, const volatile sig_atomic_t *stop, sim_time_t until);

/* The virtual time the wall clock stands for now (at least the world's). */
sim_time_t bridge_virtual_now(const bridge_t *b);

typedef struct bridge_stats {
    uint64_t accepted;  /* real connections accepted by maps */
    uint64_t outbound;  /* real connections made to external servers */
    uint64_t refused;   /* closed at once: too many connections */
    uint64_t limited;   /* closed for breaking a limit (line, bytes, idle, pending) */
    uint64_t bytes_in;  /* from real peers into the simulation */
    uint64_t bytes_out; /* from the simulation to real peers */
    size_t live;        /* real connections open now */
    size_t peers;       /* hosts made for real peers */
} bridge_stats_t;

void bridge_stats(const bridge_t *b, bridge_stats_t *out);

#endif
