/*
 * tcp_internal: what net.c and the tcp*.c files share and nobody else sees:
 * the net, host and connection structures, the segment as it travels, and
 * the calls between the network (delivery) and TCP (input, output, timers).
 *
 * Re-entrancy: callbacks run inside "entry points" (a segment arriving, a
 * timer firing, a crash), bracketed by net_enter/net_leave. A connection
 * that ends is released at once (unlinked, timers cancelled, marked dead)
 * but its memory is only freed when the outermost entry point returns, so a
 * callback may abort the connection it was called for and the code that
 * called it can still read the dead flag.
 */
#ifndef MAILSIM_NET_TCP_INTERNAL_H
#define MAILSIM_NET_TCP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fnmap.h"
#include "core/namemap.h"
#include "core/sched.h"
#include "core/sim.h"
#include "net/net.h"
#include "net/tcp.h"

/* RFC 9293 3.1 control bits, in their header order. */
#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u

/* RFC 6298 2.1 and 2.4: initial RTO 1 s, at least 200 ms (as Linux), at most 120 s. */
#define TCP_RTO_INITIAL SIM_SEC
#define TCP_RTO_MIN (200 * SIM_MS)
#define TCP_RTO_MAX (120 * SIM_SEC)
/* Retry limits as Linux's tcp_syn_retries and tcp_retries2 roughly: a SYN
 * nobody answers fails after 1+2+4+8+16+32 = 63 s; data after many minutes. */
#define TCP_SYN_RETRIES 5
#define TCP_DATA_RETRIES 15
/* RFC 9293 3.4.2 asks 2 MSL in TIME-WAIT; 60 s as Linux, long enough that
 * the peer's retransmitted FIN still finds us on a lossy path. */
#define TCP_TIME_WAIT_LENGTH (60 * SIM_SEC)
/* How long an orphaned connection (tcp_close) waits in FIN-WAIT-2 for the
 * peer's FIN, as Linux's tcp_fin_timeout. */
#define TCP_FIN_WAIT_2_TIMEOUT (60 * SIM_SEC)
/* RFC 5681 3.2: the third duplicate ACK triggers a fast retransmit. */
#define TCP_DUPACK_THRESHOLD 3
#define TCP_EPHEMERAL_FIRST 49152u
/* IPv4 + TCP headers, counted in serialisation delay. */
#define TCP_HEADER_BYTES 40u

/* Sequence-space comparisons, RFC 9293 3.4 (modulo 2^32). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

/* A run of payload bytes; owner is NULL for bytes a segment carries itself. */
typedef struct tcp_piece {
    const uint8_t *data;
    shared_t *owner;
    uint32_t len;
} tcp_piece_t;

/* At most this many pieces in a segment: a lent text between two runs of
 * bytes of its own. A segment that would need more carries a copy of all. */
#define TCP_SEGMENT_PIECES 3

/* One segment on the wire. session and service_port are the simulation's
 * bookkeeping for traces, not header fields. Laid out by use: the first
 * cache line holds all that an arrival reads (and its warm: the scheduler
 * prefetches that line with the event's argument), the second what only
 * sending, freeing and a new connection touch, and the payload's start. */
typedef struct tcp_segment {
    /* The sending connection's guess at the receiving one
     * (tcp_conn_for_segment checks the guess). Connection structs are
     * pooled until net_free, so it stays readable. */
    tcp_conn_t *dst_conn;
    net_t *net;
    host_t *dst_host; /* on the wire: the host it goes to */
    uint32_t src_addr, dst_addr;
    uint16_t src_port, dst_port;
    uint32_t seq, ack;
    uint16_t window;
    uint8_t flags;
    /* 0: the payload is payload[0..len). Else the segment carries lent
     * bytes (tcp_send_lent), and its payload is tcp_segment_pieces(seg)[0..
     * npieces) in order, each piece either in payload[] (owner NULL) or
     * where its owner keeps it (the segment holds a reference until it is
     * freed). */
    uint8_t npieces;
    uint32_t dst_index; /* on the wire: dst_host's index */
    uint32_t len;
    uint32_t cap; /* room for payload bytes */
    uint16_t service_port;
    /* line 1 */
    struct tcp_segment *next; /* the net's spare segments */
    /* Every segment the net made and has not given back to malloc (spare,
     * on the wire or in hand): net_free finds them here. Touched only when
     * one is made or freed, not per segment sent. */
    struct tcp_segment *all_prev, *all_next;
    sched_id_t event;
    uint64_t session;
    tcp_conn_t *src_conn; /* NULL for a reset reply */
    uint8_t payload[];
} tcp_segment_t;
_Static_assert(offsetof(tcp_segment_t, next) == 64, "an arrival reads one line of a segment");

/* Where a segment with lent bytes keeps its pieces: at the end of its
 * room, so that a segment without them touches no more lines than its own
 * payload's, and one with them only the lines it uses. */
static inline tcp_piece_t *tcp_segment_pieces(const tcp_segment_t *seg)
{
    uintptr_t end = (uintptr_t)seg->payload + seg->cap;
    return (tcp_piece_t *)((end - TCP_SEGMENT_PIECES * sizeof(tcp_piece_t)) &
                           ~(uintptr_t)(_Alignof(tcp_piece_t) - 1));
}
/* The most bytes a segment with pieces can carry in its payload. */
static inline uint32_t tcp_segment_piece_room(const tcp_segment_t *seg)
{
    if (seg->cap < TCP_SEGMENT_PIECES * sizeof(tcp_piece_t) + _Alignof(tcp_piece_t))
        return 0;
    return (uint32_t)((uintptr_t)tcp_segment_pieces(seg) - (uintptr_t)seg->payload);
}

typedef struct tcp_listener {
    struct tcp_listener *next;
    uint16_t port;
    tcp_accept_fn fn;
    void *ctx;
} tcp_listener_t;

struct host {
    net_t *net;
    char *name;
    uint32_t addr;
    uint32_t index; /* order of creation */
    bool up;
    tcp_listener_t *listeners;
    uint16_t next_port; /* the next ephemeral port to try */
};

/* Bytes that arrived ahead of a hole, kept in sequence order. */
typedef struct tcp_ooo {
    struct tcp_ooo *next;
    uint32_t seq, len;
    bool fin;
    uint8_t data[];
} tcp_ooo_t;

/* Lent runs a send queue holds at once; one more is copied instead. */
#define TCP_LENT_MAX 2

/*
 * Laid out by use, in seven whole cache lines: the first holds what every
 * arriving segment checks (the 4-tuple, dead, state and the flags), the
 * next four what the sequence, queue, timer, counter and callback work per
 * segment reads and writes, the sixth what only opening, ending or tracing
 * uses; the seventh, the lent runs, only a connection that lends touches.
 */
struct tcp_conn {
    /* line 0: who, and the checks every segment makes. Aligned, so that a
     * connection takes whole lines (6, not 7 across a line's end). */
    _Alignas(64) net_t *net;
    host_t *host;
    host_t *remote;        /* NULL when no host has remote_addr */
    struct link_dir *link; /* host to remote, once a segment went that way */
    uint32_t local_addr, remote_addr;
    uint16_t local_port, remote_port, service_port;
    bool dead;        /* released: unlinked, to be freed */
    bool client;
    bool accepted;    /* passive side: the acceptor has it */
    bool detached;    /* the owner had its last callback */
    bool shut_wr;     /* tcp_shutdown: FIN after the queued data */
    bool user_closed; /* tcp_close: no more data for the owner */
    bool fin_sent, fin_received;
    bool ack_now;
    bool have_rtt;
    bool rtt_timing;
    bool recovering; /* after a loss, until snd_una reaches recover */
    bool in_input;   /* tcp_input is at work on it, and sends at its end */
    bool has_lent;   /* the send queue holds lent bytes: see lent below */
    tcp_state_t state;
    /* line 1: RFC 9293 3.3.1 send and receive sequence variables */
    uint32_t mss, rcv_wnd;
    uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2;
    uint32_t rcv_nxt;
    uint32_t sbuf_seq;
    uint32_t rtt_seq;
    uint32_t recover;
    int retries;
    int dupacks;
    tcp_conn_t *peer; /* the connection our segments reached last; a guess */
    /* Queued data from sequence sbuf_seq: bytes sbuf[sbuf_head .. sbuf_end). */
    uint8_t *sbuf;
    size_t sbuf_head, sbuf_end, sbuf_cap;
    tcp_ooo_t *ooo;
    uint64_t id;
    void *ctx;
    /* RFC 6298 retransmission timer and round-trip estimate */
    sim_time_t rto, srtt, rttvar;
    sim_time_t rto_base; /* tcp_rto_base of the estimate, kept with it */
    sim_time_t rtt_start;
    /* One timer per connection; its meaning depends on the state. The
     * scheduled event may be earlier than the deadline (it then re-arms). */
    sim_time_t timer_deadline;
    sched_id_t timer_event;
    sim_time_t timer_event_at;
    sched_id_t output_event; /* pending or held: see tcp_output_soon */
    /* line 4: tcp_stats_t's counters (its srtt and rto are the fields
     * above), then the callbacks, whose first two (on_data, on_acked) end
     * the line; the rest of them begins the last, rarely used line. */
    struct {
        uint64_t segments_sent, segments_received, retransmits, bytes_acked, bytes_received;
    } stats;
    tcp_callbacks_t cb;
    /* rarely used */
    tcp_conn_t *prev, *next; /* the net's connections, in creation order */
    tcp_conn_t *grave_next;
    uint32_t irs;
    uint32_t ooo_bytes; /* at most twice the window */
    /* line 6, valid only while has_lent (so neither made nor touched by a
     * connection that never lends): the bytes of the send queue that
     * tcp_send_lent lent, in sequence order. The queue keeps their room
     * but not their octets; sending reads them here. */
    _Alignas(64) struct tcp_lent {
        uint32_t seq, len; /* the sequence numbers they take */
        const uint8_t *data;
        shared_t *owner; /* held until the peer acknowledged all of them */
    } lent[TCP_LENT_MAX];
    uint32_t nlent;
};

struct net {
    sim_t *sim;
    uint32_t mss, window;
    path_props_t default_path;
    host_t **hosts;
    /* A bit per host, by index, set while it is down: what every segment
     * checks of its two hosts, in a few lines that stay in cache, where a
     * thousand hosts' own structs would not. host_t.up says the same. */
    uint64_t *host_down;
    size_t host_down_words;
    size_t nhosts, hosts_cap;
    namemap_t host_names; /* each host's name (any case): its index in hosts */
    /* Open addressing by address: slot i holds a host and its address (0:
     * empty), so that a probe reads no host it passes. One allocation. */
    host_t **addr_slots;
    uint32_t *addr_keys;
    size_t addr_cap;
    /* Open addressing by (from, to) host index: slot i holds a direction
     * and its key plus one (0: empty), so that a probe reads no direction
     * it passes. One allocation. */
    struct link_dir **links;
    uint64_t *link_keys;
    size_t nlinks, links_cap;
    tcp_segment_t *segments; /* every one made and not freed: see tcp_segment_t */
    tcp_segment_t *segment_pool; /* spare segments of NET_SEGMENT_POOL_CAP, linked by next */
    size_t segment_spares;       /* how many; at most NET_SEGMENT_MAX_SPARES */
    /* Spare connection structs (linked by grave_next) and send queues of
     * TCP_SBUF_FIRST_CAP bytes (linked through their first bytes): every
     * transaction opens and ends a connection, so these are reused, not
     * given back to malloc. */
    tcp_conn_t *conn_pool;
    struct tcp_conn_slab *conn_slabs; /* where every connection struct lives */
    void *sbuf_pool;
    size_t sbuf_spares; /* at most NET_POOL_MAX_SPARES */
    /* TCP */
    tcp_conn_t *conns_head, *conns_tail;
    /* Open addressing (linear probing, at most half full) in two arrays:
     * slot i holds 32 bits of the 4-tuple's hash (0: empty; the low bits
     * name its home slot, so deleting and growing do not hash again) and
     * the connection. A probe compares hashes, and touches a connection
     * only when they match. Both arrays are one allocation. */
    uint32_t *conn_hashes;
    tcp_conn_t **conn_ptrs;
    size_t nconns, conn_cap;
    tcp_conn_t *graveyard;
    uint64_t next_conn_id;
    int depth;
    uint8_t *scratch; /* net_segment_flat's room */
    size_t scratch_cap;
    bool predict_off; /* tests: every segment takes tcp_input's general path */
    bool hold_off;    /* tests: tcp_output_soon never holds, always schedules */
    tcp_state_fn observer;
    void *observer_ctx;
    fnmap_t warms; /* tcp_set_warm's: on_data to its warm */
};

/* net.c */
/* Whether the host with this index is up (net_host_up/down/crash keep it). */
static inline bool net_index_up(const net_t *net, uint32_t index)
{
    return !((net->host_down[index >> 6] >> (index & 63)) & 1u);
}
/* Segments up to a default MSS of payload are reused, not freed: one goes
 * out and one comes in for every few bytes the simulation moves. */
#define NET_SEGMENT_POOL_CAP NET_DEFAULT_MSS
/* The pools keep at most this many spare segments and send queues: enough for
 * the churn of thousands of connections, while a burst (ten thousand
 * connections at once) gives its memory back to malloc when it is over. */
#define NET_POOL_MAX_SPARES 1024u
/* Segments are kept by more: a connection has up to three on the wire at
 * once (a request, its ACK, the reply), and with a thousand connections in
 * step every spare beyond 1024 went back to malloc and came again. */
#define NET_SEGMENT_MAX_SPARES 4096u
/* A segment with room for len payload bytes (net_segment_alloc: a new one,
 * not from the pool). Only net, len and cap are set:
 * the caller writes session, service_port, the addresses, ports, seq, ack,
 * window and flags (the wire fields dst_host and event are net_transmit's). */
tcp_segment_t *net_segment_alloc(net_t *net, uint32_t len);
static inline tcp_segment_t *net_segment_new(net_t *net, uint32_t len)
{
    tcp_segment_t *seg = net->segment_pool;
    if (len > NET_SEGMENT_POOL_CAP || !seg)
        return net_segment_alloc(net, len);
    tcp_segment_t *next = seg->next;
    net->segment_pool = next;
    net->segment_spares--;
    /* The next one taken may have been freed a thousand arrivals ago (those
     * of a microsecond free theirs before the replies go out): its lines are
     * fetched now, while this one is filled and sent. */
    if (next) {
        __builtin_prefetch(next, 1);
        __builtin_prefetch(&next->next);
    }
    seg->len = len; /* net and cap stay from the first use; npieces is 0 in the pool */
    return seg;
}
/* Lets go of the owners of a segment's lent pieces; it has none after. */
void net_segment_unlend(tcp_segment_t *seg);
/* The payload of a segment in one run, for tracing: payload itself, or its
 * pieces copied into the net's scratch room (valid until the next call, so
 * only for what does not call back into the net). */
const uint8_t *net_segment_flat(net_t *net, const tcp_segment_t *seg);
/* Copies a segment's payload, len bytes, to out. */
void net_segment_gather(const tcp_segment_t *seg, uint8_t *out);
/* Gives a segment back to malloc (net_segment_free when the pool is full
 * or the segment bigger than the pool's). */
void net_segment_release(net_t *net, tcp_segment_t *seg);
/* Gives back a segment that is not on the wire. */
static inline void net_segment_free(net_t *net, tcp_segment_t *seg)
{
    if (seg->npieces)
        net_segment_unlend(seg);
    if (seg->cap != NET_SEGMENT_POOL_CAP || net->segment_spares >= NET_SEGMENT_MAX_SPARES) {
        net_segment_release(net, seg);
        return;
    }
    seg->next = net->segment_pool;
    net->segment_pool = seg;
    net->segment_spares++;
}
/* Puts seg on the wire from src (takes it): traces tcp.segment, then either
 * drops it (tcp.drop) or schedules its arrival (its event, which net_free
 * cancels). */
void net_transmit(net_t *net, host_t *src, tcp_segment_t *seg);
/* net_transmit of c's segment: the remote host and the path to it are found
 * once per connection, not once per segment. */
void net_transmit_conn(tcp_conn_t *c, tcp_segment_t *seg);
/* The name of the host with addr, or the dotted quad written into buf. */
const char *net_addr_label(const net_t *net, uint32_t addr, char buf[16]);
static inline void net_enter(net_t *net)
{
    net->depth++;
}

void tcp_reap(net_t *net);

static inline void net_leave(net_t *net)
{
    if (--net->depth == 0 && net->graveyard)
        tcp_reap(net);
}

/* tcp.c */
const char *tcp_flags_name(unsigned flags);
void tcp_set_state(tcp_conn_t *c, tcp_state_t to);
/* 32 bits of the 4-tuple's hash for the connection table, never 0 (0
 * marks an empty slot). Tuples may share one: the table then compares them. */
uint32_t tcp_conn_hash(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
tcp_conn_t *tcp_conn_lookup(const net_t *net, uint32_t laddr, uint16_t lport, uint32_t raddr,
                            uint16_t rport);
/* The connection seg arrives for, as tcp_conn_lookup finds it: the sender's
 * guess when it is live and has seg's 4-tuple (4-tuples of live
 * connections are unique, so it is the same answer), else the table; a
 * miss (tcp_conn_for_segment_miss) teaches the sender the answer. */
tcp_conn_t *tcp_conn_for_segment_miss(const net_t *net, const tcp_segment_t *seg);
static inline tcp_conn_t *tcp_conn_for_segment(const net_t *net, const tcp_segment_t *seg)
{
    tcp_conn_t *c = seg->dst_conn;
    if (c && !c->dead && c->local_port == seg->dst_port && c->remote_port == seg->src_port &&
        c->local_addr == seg->dst_addr && c->remote_addr == seg->src_addr)
        return c;
    return tcp_conn_for_segment_miss(net, seg);
}
tcp_conn_t *tcp_conn_new(net_t *net, host_t *h, uint32_t raddr, uint16_t lport, uint16_t rport,
                         bool client);
tcp_listener_t *tcp_listener_find(const host_t *h, uint16_t port);
/* Unlinks c, cancels its timers, marks it dead; frees it now or at net_leave. */
void tcp_conn_release(tcp_conn_t *c);
/* For warms: prefetches the connection table's slot where c's entry is
 * looked for (the start of its probe). */
void tcp_conn_table_prefetch(const tcp_conn_t *c);
/* Tells the scheduler the warms of the TCP timer's event (net_new). */
void tcp_output_set_warms(sched_t *s);
/* The connection ended in error: trace, release, then on_error. */
void tcp_conn_fail(tcp_conn_t *c, tcp_error_t err);
/* Both directions are done: trace tcp.close, then on_closed; the owner is
 * detached. Releases c unless it is in TIME-WAIT. */
void tcp_conn_finish(tcp_conn_t *c);
void tcp_conn_event(const tcp_conn_t *c, trace_kind_t kind, const char *text);
/* tcp_reap (declared above net_leave) frees the connections released
 * inside the entry point that just ended. */
/* Every connection on h is lost (net_host_crash). */
void tcp_host_crashed(net_t *net, host_t *h);
/* Frees everything TCP holds, without callbacks (net_free). */
void tcp_free_all(net_t *net);

/* tcp_input.c */
void tcp_input(net_t *net, host_t *h, const tcp_segment_t *seg);

/* tcp_output.c */
/* Sends what the state, the queue and the window allow, and a pending ACK. */
void tcp_output(tcp_conn_t *c);
/* Sends tcp_output from a scheduler event at the current time, so that
 * several tcp_send calls in one callback leave as one segment. */
void tcp_output_soon(tcp_conn_t *c);
/* SYN, or SYN,ACK in SYN-RECEIVED; retransmit: NULL, or why it goes again. */
void tcp_send_syn(tcp_conn_t *c, const char *retransmit);
void tcp_send_ack(tcp_conn_t *c);
void tcp_send_rst(tcp_conn_t *c);
/* Answers a segment that belongs to no connection (RFC 9293 3.10.7.1). */
void tcp_send_reset_reply(net_t *net, host_t *h, const tcp_segment_t *seg);
/* Re-sends the earliest unacknowledged segment (RFC 6298 5.4); why is
 * the text of its tcp.retransmit event. */
void tcp_retransmit(tcp_conn_t *c, const char *why);
void tcp_timer_set(tcp_conn_t *c, sim_time_t delay);
void tcp_timer_stop(tcp_conn_t *c);
/* Folds one round-trip sample into the estimate (RFC 6298 2.2, 2.3). */
void tcp_rtt_sample(tcp_conn_t *c, sim_time_t r);
/* The RTO from the estimate, without backoff. */
sim_time_t tcp_rto_base(const tcp_conn_t *c);
static inline size_t tcp_sbuf_len(const tcp_conn_t *c)
{
    return c->sbuf_end - c->sbuf_head;
}

/* Data bytes sent and not acknowledged. */
static inline size_t tcp_data_in_flight(const tcp_conn_t *c)
{
    uint32_t data_nxt = c->snd_nxt - (uint32_t)c->fin_sent;
    return SEQ_GT(data_nxt, c->sbuf_seq) ? (size_t)(data_nxt - c->sbuf_seq) : 0;
}

/* The first room a send queue gets; queues of this size are pooled. */
#define TCP_SBUF_FIRST_CAP 4096u
/* Gives back the pooled send queues and connection structs (net_free). */
void tcp_pools_free(net_t *net);
/*
 * Frees the send queue's memory once nothing more can be sent or resent (all
 * of it acknowledged, our FIN too): a connection in TIME_WAIT keeps only its
 * state, as real stacks do, so thousands of them cost little.
 */
void tcp_sbuf_release(tcp_conn_t *c);
/* Drops n acknowledged bytes from the front of the send queue. */
/* Lets go of the lent runs the queue no longer holds (tcp_sbuf_consume). */
void tcp_lent_consume(tcp_conn_t *c);
/* Lets go of every lent run (tcp_sbuf_release, when has_lent). */
void tcp_lent_release(tcp_conn_t *c);
static inline void tcp_sbuf_consume(tcp_conn_t *c, size_t n)
{
    c->sbuf_head += n;
    c->sbuf_seq += (uint32_t)n;
    if (c->sbuf_head == c->sbuf_end)
        c->sbuf_head = c->sbuf_end = 0;
    if (c->has_lent)
        tcp_lent_consume(c);
}
void tcp_sbuf_append(tcp_conn_t *c, const void *data, size_t len);
/* Queues len lent bytes of owner's at data (tcp_send_lent): the queue takes
 * room for them but does not copy them. */
void tcp_sbuf_lend(tcp_conn_t *c, const uint8_t *data, size_t len, shared_t *owner);

#endif
