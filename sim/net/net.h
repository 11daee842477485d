/*
 * net: the simulated network. Hosts with a name, an IPv4 address and an
 * up/down state; paths between pairs of hosts with latency, bandwidth, loss
 * and a cut switch; and the delivery of TCP segments over those paths (the
 * TCP itself is in net/tcp.h).
 *
 * Every host reaches every other host through one path per pair of hosts.
 * A pair without its own properties follows the default path. Each
 * direction of a path is a queue: a segment waits until the segments sent
 * before it in that direction have been serialised, then takes the latency.
 *
 * The net owns its hosts and connections; net_free releases them all. Free
 * the net before the sim it was made with. Addresses are IPv4 in host byte
 * order (192.0.2.1 is 0xC0000201).
 */
#ifndef MAILSIM_NET_NET_H
#define MAILSIM_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sim.h"

typedef struct net net_t;
typedef struct host host_t;
typedef struct tcp_conn tcp_conn_t;

typedef struct path_props {
    sim_time_t latency;     /* one way */
    uint64_t bandwidth_bps; /* bits per second; 0 means no serialisation delay */
    double loss;            /* probability that one segment is lost, each direction */
    bool cut;               /* every segment is lost */
} path_props_t;

#define NET_DEFAULT_LATENCY (10 * SIM_MS)
#define NET_DEFAULT_BANDWIDTH 100000000ULL
#define NET_DEFAULT_MSS 1460u
/* The receive window every connection advertises (no window scaling). */
#define NET_DEFAULT_WINDOW 65535u

/* A network on sim's clock, PRNG and trace bus. The caller frees with net_free. */
net_t *net_new(sim_t *sim);
/* Frees hosts, listeners, connections and segments in flight; no callback runs. */
void net_free(net_t *net);
sim_t *net_sim(const net_t *net);

/* The TCP maximum segment size for connections opened from now on (>= 1). */
void net_set_mss(net_t *net, uint32_t mss);
uint32_t net_mss(const net_t *net);
/* The receive window new connections advertise, 1..65535 bytes. */
void net_set_window(net_t *net, uint32_t window);

/* The path of every pair of hosts that has no path of its own. */
void net_set_default_path(net_t *net, const path_props_t *p);
path_props_t net_default_path(const net_t *net);
/* Sets the path between a and b, both directions; emits link.change. */
void net_set_path(net_t *net, host_t *a, host_t *b, const path_props_t *p);
/* The path from a to b (its own, or the default). */
path_props_t net_get_path(const net_t *net, const host_t *a, const host_t *b);

/* A new host, owned by the net. NULL when the name (in any case) or the
 * address is taken, the name is empty or the address is 0. */
host_t *net_host_add(net_t *net, const char *name, uint32_t addr);
/* The host of that name, compared without regard to case as host names are
 * (RFC 1035 2.3.3): "Mail.Alice.Example" finds mail.alice.example. */
host_t *net_host_by_name(const net_t *net, const char *name);
host_t *net_host_by_addr(const net_t *net, uint32_t addr);
/* Hosts in the order they were added. */
size_t net_host_count(const net_t *net);
host_t *net_host_at(const net_t *net, size_t i);

const char *host_name(const host_t *h);
uint32_t host_addr(const host_t *h);
bool host_is_up(const host_t *h);

/*
 * The host stops answering: every segment to or from it is lost. Its own
 * timers keep running, so its connections and its peers' time out as real
 * TCP does. Emits host.down. Nothing happens when it is already down.
 */
void net_host_down(net_t *net, host_t *h);
/* Emits host.up. Nothing happens when it is already up. */
void net_host_up(net_t *net, host_t *h);
/*
 * Like down, and every connection on h is lost at once: h's side gets
 * on_error(TCP_ERR_CRASH) and is freed without sending anything. The peer
 * notices as real TCP would (its retransmissions time out, or a RST answers
 * it once h is up again). Listeners survive: the services come back with the
 * host. Emits host.crash (also for a host that was already down).
 */
void net_host_crash(net_t *net, host_t *h);

/* Writes addr as a dotted quad into out (n >= 16 is always enough); returns out. */
char *addr_format(uint32_t addr, char *out, size_t n);
/* Reads a dotted quad ("198.51.100.20"); 0, or -1 when s is not one. */
int addr_parse(const char *s, uint32_t *out);

#endif
