/*
 * bridge_internal: what bridge.c, pipe.c and external.c share. A pipe is
 * one real socket joined to one simulated TCP connection; the bridge holds
 * the maps, the external hosts, the hosts made for real peers and the list
 * of pipes.
 */
#ifndef MAILSIM_BRIDGE_INTERNAL_H
#define MAILSIM_BRIDGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bridge/bridge.h"
#include "core/buf.h"
#include "core/util.h"
#include "net/tcp.h"

/* Reads from a real peer stop while this much waits to leave in the simulation. */
#define BRIDGE_SIM_BACKLOG (64 * 1024)
/* ... or while this much waits for the real peer to read. */
#define BRIDGE_PENDING_HIGH (256 * 1024)
/* One read from a real socket. */
#define BRIDGE_READ_CHUNK (16 * 1024)

typedef struct bridge_tracer bridge_tracer_t;
typedef struct bridge_pipe bridge_pipe_t;

struct bridge_pipe {
    bridge_pipe_t *next;
    bridge_pipe_t **pprev;
    bridge_t *b;
    int fd;           /* -1 once the real side is closed */
    tcp_conn_t *conn; /* NULL once the simulated side is gone */
    bool outbound;    /* to an external server (else from a map's listener) */
    bool connecting;  /* outbound: the real connect() is in progress */
    bool sim_ready;   /* the simulated connection is established */
    bool real_eof;    /* the real peer will send no more */
    bool sim_eof;     /* the simulated peer will send no more: shut the real side once flushed */
    bool real_shut;   /* shutdown(SHUT_WR) done */
    bool reset;       /* the simulated side failed: the real side ends with a reset */
    buf_t pending;    /* from the simulation, for the real peer */
    size_t pending_off;
    size_t line_run;   /* bytes from the real peer since its last line feed */
    uint64_t bytes_in; /* from the real peer in all */
    int64_t last_active;
    char label[64];          /* "127.0.0.1:53422 (real-1)" */
    bridge_tracer_t *tracer; /* outbound only */
};

typedef struct bridge_map_entry {
    int fd;
    uint16_t real_port;
    char *host;
    uint32_t addr;
    uint16_t port;
} bridge_map_entry_t;

typedef struct bridge_external_entry {
    bridge_t *b;
    host_t *host;
    uint16_t sim_port;
    uint32_t real_addr;
    uint16_t real_port;
} bridge_external_entry_t;

typedef struct bridge_peer {
    uint32_t real_addr;
    host_t *host;
} bridge_peer_t;

struct bridge {
    world_t *w;
    net_t *net;
    sched_t *sched;
    bridge_options_t opt;
    host_t *peer_host; /* opt.peer_host's host, or NULL */
    int64_t wall0;
    sim_time_t virt0;
    bridge_map_entry_t *maps;
    size_t nmaps;
    bridge_external_entry_t **externals;
    size_t nexternals;
    bridge_peer_t *peers;
    size_t npeers;
    unsigned next_peer_number;
    bridge_pipe_t *pipes;
    bridge_stats_t stats;
    struct pollfd *pfds;
    bridge_pipe_t **pfd_pipes; /* the pipe of each poll entry after the listeners */
    size_t pfd_cap;
};

/* bridge.c */
int64_t bridge_wall(const bridge_t *b);
void bridge_notice(const bridge_t *b, const char *fmt, ...) MS_PRINTF(2, 3);
bool bridge_addr_allowed(const bridge_t *b, uint32_t addr);

/* pipe.c */
/* A pipe for a connected real socket (made non-blocking); linked into b. */
bridge_pipe_t *pipe_new(bridge_t *b, int fd, bool outbound, const char *label);
/* The simulated connection the pipe carries; its callbacks become the pipe's. */
void pipe_attach(bridge_pipe_t *p, tcp_conn_t *c);
/* Ends both sides now (a reset on each) and says why, unless why is NULL. */
void pipe_kill(bridge_pipe_t *p, const char *why);
/* Writes what waits for the real peer, mirrors the simulated side's end, and
 * enforces the limits that do not need a read. */
void pipe_service(bridge_pipe_t *p, int64_t now);
/* The poll events the pipe wants; 0 when it has no socket. */
short pipe_poll_events(const bridge_pipe_t *p);
void pipe_ready(bridge_pipe_t *p, short revents, int64_t now);
/* Both sides are gone: the pipe can be freed. */
bool pipe_done(const bridge_pipe_t *p);
/* Unlinks and frees; a simulated side still there is aborted. */
void pipe_free(bridge_pipe_t *p);
/* The wall time by which the pipe must be served again (its idle limit). */
int64_t pipe_deadline(const bridge_pipe_t *p);
/* Closes a socket with a reset (SO_LINGER 0) or gracefully. */
void bridge_close_fd(int fd, bool reset);
int bridge_set_nonblocking(int fd);

/* external.c */
/* Traces bytes of an outbound pipe as SMTP lines: to_real is the simulated
 * client's side (commands), else the real server's (replies). */
void external_trace(bridge_pipe_t *p, bool to_real, const uint8_t *data, size_t len);
void external_tracer_free(bridge_tracer_t *t);

#endif
