/*
 * tcp: the connection table, the one state setter, the socket-like calls
 * (listen, connect, send, shutdown, close, abort) and how connections end.
 * Segment arrival is in tcp_input.c; sending, retransmission and timers are
 * in tcp_output.c.
 */
#include "net/tcp.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/bigblock.h"
#include "core/util.h"
#include "net/tcp_internal.h"

static const char *const state_names[] = {
#define X(id, name) name,
    TCP_STATES(X)
#undef X
};

const char *tcp_state_name(tcp_state_t s)
{
    return (unsigned)s < ARRAY_LEN(state_names) ? state_names[s] : "?";
}

const char *tcp_error_name(tcp_error_t e)
{
    switch (e) {
    case TCP_ERR_REFUSED:
        return "connection refused";
    case TCP_ERR_TIMEOUT:
        return "connection timed out";
    case TCP_ERR_RESET:
        return "connection reset by peer";
    case TCP_ERR_RETRIES:
        return "data not acknowledged (too many retransmissions)";
    case TCP_ERR_CRASH:
        return "host crashed";
    }
    return "?";
}

/* Flag sets in header order, as packet analysers print them. */
/* clang-format off */
static const char *const flag_names[32] = {
    "-",           "FIN",         "SYN",         "FIN,SYN",         "RST",         "FIN,RST",
    "SYN,RST",     "FIN,SYN,RST", "PSH",         "FIN,PSH",         "SYN,PSH",     "FIN,SYN,PSH",
    "RST,PSH",     "FIN,RST,PSH", "SYN,RST,PSH", "FIN,SYN,RST,PSH", "ACK",         "FIN,ACK",
    "SYN,ACK",     "FIN,SYN,ACK", "RST,ACK",     "FIN,RST,ACK",     "SYN,RST,ACK", "FIN,SYN,RST,ACK",
    "PSH,ACK",     "FIN,PSH,ACK", "SYN,PSH,ACK", "FIN,SYN,PSH,ACK", "RST,PSH,ACK", "FIN,RST,PSH,ACK",
    "SYN,RST,PSH,ACK", "FIN,SYN,RST,PSH,ACK",
};
/* clang-format on */

const char *tcp_flags_name(unsigned flags)
{
    return flag_names[flags & 31u];
}

/* The only way a connection changes state. */
void tcp_set_state(tcp_conn_t *c, tcp_state_t to)
{
    tcp_state_t from = c->state;
    if (from == to)
        return;
    c->state = to;
    if (c->net->observer)
        c->net->observer(c, from, to, c->net->observer_ctx);
}

void tcp_set_state_observer(net_t *net, tcp_state_fn fn, void *ctx)
{
    net->observer = fn;
    net->observer_ctx = ctx;
}

/* --- the connection table --------------------------------------------------- */

uint32_t tcp_conn_hash(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    uint64_t addrs = (uint64_t)laddr << 32 | raddr;
    uint32_t ports = (uint32_t)lport << 16 | rport;
    uint64_t x = addrs ^ (uint64_t)ports * 0x9e3779b97f4a7c15ULL;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    uint32_t h = (uint32_t)(x ^ (x >> 29));
    return h ? h : 1;
}

tcp_conn_t *tcp_conn_lookup(const net_t *net, uint32_t laddr, uint16_t lport, uint32_t raddr,
                            uint16_t rport)
{
    if (net->conn_cap == 0)
        return NULL;
    uint32_t h = tcp_conn_hash(laddr, lport, raddr, rport);
    size_t mask = net->conn_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t hi = net->conn_hashes[i];
        if (hi == 0)
            return NULL;
        if (hi != h)
            continue;
        tcp_conn_t *c = net->conn_ptrs[i];
        if (c->local_port == lport && c->remote_port == rport && c->local_addr == laddr &&
            c->remote_addr == raddr)
            return c;
    }
}

tcp_conn_t *tcp_conn_for_segment_miss(const net_t *net, const tcp_segment_t *seg)
{
    tcp_conn_t *c =
        tcp_conn_lookup(net, seg->dst_addr, seg->dst_port, seg->src_addr, seg->src_port);
    if (seg->src_conn)
        seg->src_conn->peer = c;
    return c;
}

/* Puts (h, c) into the first free slot from its home on (no duplicates). */
static void conn_table_place(net_t *net, uint32_t h, tcp_conn_t *c)
{
    size_t mask = net->conn_cap - 1;
    size_t i = h & mask;
    while (net->conn_hashes[i])
        i = (i + 1) & mask;
    net->conn_hashes[i] = h;
    net->conn_ptrs[i] = c;
}

static void conn_table_grow(net_t *net)
{
    uint32_t *old_hashes = net->conn_hashes;
    tcp_conn_t **old_ptrs = net->conn_ptrs;
    size_t old_cap = net->conn_cap;
    net->conn_cap = old_cap ? old_cap * 2 : 64;
    /* The pointers first: they need the stricter alignment. */
    void *mem = xcalloc(net->conn_cap, sizeof *net->conn_ptrs + sizeof *net->conn_hashes);
    net->conn_ptrs = mem;
    net->conn_hashes = (uint32_t *)(void *)(net->conn_ptrs + net->conn_cap);
    for (size_t i = 0; i < old_cap; i++)
        if (old_hashes[i])
            conn_table_place(net, old_hashes[i], old_ptrs[i]);
    free(old_ptrs);
}

static void conn_table_add(net_t *net, tcp_conn_t *c)
{
    if (2 * (net->nconns + 1) > net->conn_cap)
        conn_table_grow(net);
    conn_table_place(net, tcp_conn_hash(c->local_addr, c->local_port, c->remote_addr, c->remote_port),
                     c);
    net->nconns++;
}

void tcp_conn_table_prefetch(const tcp_conn_t *c)
{
    const net_t *net = c->net;
    if (net->conn_cap == 0)
        return;
    size_t i = tcp_conn_hash(c->local_addr, c->local_port, c->remote_addr, c->remote_port) &
               (net->conn_cap - 1);
    __builtin_prefetch(&net->conn_hashes[i]);
    __builtin_prefetch(&net->conn_ptrs[i]);
}

/* Linear probing's deletion without tombstones: the slots after the hole
 * that may not stay behind it (their home is not in (hole, j]) move up. */
static void conn_table_remove(net_t *net, tcp_conn_t *c)
{
    size_t mask = net->conn_cap - 1;
    uint32_t h = tcp_conn_hash(c->local_addr, c->local_port, c->remote_addr, c->remote_port);
    size_t i = h & mask;
    while (net->conn_ptrs[i] != c || net->conn_hashes[i] != h) {
        if (!net->conn_hashes[i])
            panic("tcp: connection %llu missing from its table", (unsigned long long)c->id);
        i = (i + 1) & mask;
    }
    for (size_t j = (i + 1) & mask; net->conn_hashes[j]; j = (j + 1) & mask) {
        size_t home = net->conn_hashes[j] & mask;
        /* home in the cyclic interval (i, j]: the slot stays. */
        if (((j - home) & mask) < ((j - i) & mask))
            continue;
        net->conn_hashes[i] = net->conn_hashes[j];
        net->conn_ptrs[i] = net->conn_ptrs[j];
        i = j;
    }
    net->conn_hashes[i] = 0;
    net->conn_ptrs[i] = NULL;
    net->nconns--;
}

/*
 * Connection structs are never given back before net_free (a segment may
 * point at one), so they come in slabs: a first one of TCP_CONN_SLAB_FIRST,
 * all a small world needs, then 2 MB blocks (core/bigblock.h) of about 5,500
 * each. A busy run keeps every connection that ends in TIME-WAIT for its 60
 * seconds; a block maps thousands of them with one page fault.
 */
#define TCP_CONN_SLAB_FIRST 64u

struct tcp_conn_slab {
    struct tcp_conn_slab *next;
    bool big; /* a bigblock; else malloc'd */
    tcp_conn_t conns[];
};

static void conn_slab_add(net_t *net)
{
    struct tcp_conn_slab *sl = net->conn_slabs ? bigblock_alloc() : NULL;
    size_t n;
    if (sl) {
        sl->big = true;
        n = (BIGBLOCK_SIZE - offsetof(struct tcp_conn_slab, conns)) / sizeof sl->conns[0];
    } else {
        n = TCP_CONN_SLAB_FIRST;
        sl = xaligned_alloc(_Alignof(tcp_conn_t),
                            offsetof(struct tcp_conn_slab, conns) + n * sizeof sl->conns[0]);
        sl->big = false;
    }
    sl->next = net->conn_slabs;
    net->conn_slabs = sl;
    for (size_t i = n; i-- > 0;) {
        sl->conns[i].grave_next = net->conn_pool;
        net->conn_pool = &sl->conns[i];
    }
}

tcp_conn_t *tcp_conn_new(net_t *net, host_t *h, uint32_t raddr, uint16_t lport, uint16_t rport,
                         bool client)
{
    if (!net->conn_pool)
        conn_slab_add(net);
    tcp_conn_t *c = net->conn_pool;
    net->conn_pool = c->grave_next;
    /* Not the lent runs' line: has_lent (false) says it holds nothing. */
    memset(c, 0, offsetof(tcp_conn_t, lent));
    c->net = net;
    c->host = h;
    c->remote = net_host_by_addr(net, raddr);
    c->local_addr = h->addr;
    c->remote_addr = raddr;
    c->local_port = lport;
    c->remote_port = rport;
    c->service_port = client ? rport : lport;
    c->client = client;
    c->state = TCP_CLOSED;
    c->mss = net->mss;
    c->rcv_wnd = net->window;
    c->rto = TCP_RTO_INITIAL;
    c->rto_base = TCP_RTO_INITIAL;
    c->timer_deadline = SIM_TIME_NEVER;
    /* RFC 9293 3.4.1: the initial sequence number is unpredictable; here it
     * comes from the world's PRNG, so a seed fixes it. */
    c->iss = (uint32_t)rng_next(&net->sim->rng);
    c->snd_una = c->iss;
    c->snd_nxt = c->iss;
    c->sbuf_seq = c->iss + 1;
    conn_table_add(net, c);
    c->prev = net->conns_tail;
    if (net->conns_tail)
        net->conns_tail->next = c;
    else
        net->conns_head = c;
    net->conns_tail = c;
    return c;
}

/* The struct goes to the net's pool, its send queue to the queue pool. */
static void conn_free(tcp_conn_t *c)
{
    for (tcp_ooo_t *o = c->ooo, *next; o; o = next) {
        next = o->next;
        free(o);
    }
    tcp_sbuf_release(c);
    net_t *net = c->net;
    c->grave_next = net->conn_pool;
    net->conn_pool = c;
}

void tcp_pools_free(net_t *net)
{
    net->conn_pool = NULL;
    while (net->conn_slabs) {
        struct tcp_conn_slab *sl = net->conn_slabs;
        net->conn_slabs = sl->next;
        if (sl->big)
            bigblock_free(sl);
        else
            free(sl);
    }
    while (net->sbuf_pool) {
        void *mem = net->sbuf_pool;
        memcpy(&net->sbuf_pool, mem, sizeof net->sbuf_pool);
        free(mem);
    }
}

void tcp_conn_release(tcp_conn_t *c)
{
    if (c->dead)
        return;
    net_t *net = c->net;
    tcp_set_state(c, TCP_CLOSED);
    c->dead = true;
    conn_table_remove(net, c);
    if (c->prev)
        c->prev->next = c->next;
    else
        net->conns_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        net->conns_tail = c->prev;
    sched_cancel(net->sim->sched, c->timer_event);
    sched_cancel(net->sim->sched, c->output_event);
    c->timer_event = c->output_event = 0;
    if (net->depth == 0) {
        conn_free(c);
        return;
    }
    c->grave_next = net->graveyard;
    net->graveyard = c;
}

void tcp_reap(net_t *net)
{
    while (net->graveyard) {
        tcp_conn_t *c = net->graveyard;
        net->graveyard = c->grave_next;
        conn_free(c);
    }
}

/* --- how connections end ---------------------------------------------------- */

void tcp_conn_event(const tcp_conn_t *c, trace_kind_t kind, const char *text)
{
    trace_bus_t *bus = &c->net->sim->trace;
    if (!trace_enabled(bus))
        return;
    /* No host had the remote address when c was made: the dotted quad,
     * even if a host has it by now. */
    char quad[16];
    const char *local = c->host->name;
    const char *remote = c->remote ? c->remote->name : addr_format(c->remote_addr, quad, sizeof quad);
    trace_event_t ev;
    trace_event_init(&ev, sim_now(c->net->sim), kind, local);
    ev.from = c->client ? local : remote;
    ev.to = c->client ? remote : local;
    ev.port = c->service_port;
    ev.session = (int64_t)c->id;
    ev.text = text;
    ev.src_addr = c->local_addr;
    ev.dst_addr = c->remote_addr;
    ev.src_port = c->local_port;
    ev.dst_port = c->remote_port;
    trace_emit(bus, &ev);
}

static void fail_event(const tcp_conn_t *c, tcp_error_t err)
{
    switch (err) {
    case TCP_ERR_REFUSED:
        tcp_conn_event(c, TRACE_TCP_REFUSED, "the peer answered the SYN with RST");
        return;
    case TCP_ERR_TIMEOUT:
        tcp_conn_event(c, TRACE_TCP_TIMEOUT, "no answer to the SYNs");
        return;
    case TCP_ERR_RESET:
        tcp_conn_event(c, TRACE_TCP_RESET, "reset by the peer");
        return;
    case TCP_ERR_RETRIES:
        tcp_conn_event(c, TRACE_TCP_TIMEOUT, "data not acknowledged after the retry limit");
        return;
    case TCP_ERR_CRASH:
        tcp_conn_event(c, TRACE_TCP_CLOSE, "lost: the host crashed");
        return;
    }
}

void tcp_conn_fail(tcp_conn_t *c, tcp_error_t err)
{
    if (c->dead)
        return;
    bool owned = !c->detached && (c->client || c->accepted);
    fail_event(c, err);
    c->detached = true;
    tcp_conn_release(c);
    if (owned && c->cb.on_error)
        c->cb.on_error(c, err, c->ctx);
}

void tcp_conn_finish(tcp_conn_t *c)
{
    if (c->dead || c->detached)
        return;
    tcp_conn_event(c, TRACE_TCP_CLOSE, NULL);
    c->detached = true;
    if (c->state != TCP_TIME_WAIT)
        tcp_conn_release(c);
    if (c->cb.on_closed)
        c->cb.on_closed(c, c->ctx);
}

void tcp_host_crashed(net_t *net, host_t *h)
{
    size_t n = 0;
    for (tcp_conn_t *c = net->conns_head; c; c = c->next)
        n += c->host == h;
    if (n == 0)
        return;
    /* Collect first: callbacks may open or abort connections meanwhile. */
    tcp_conn_t **lost = xmalloc(n * sizeof *lost);
    size_t i = 0;
    for (tcp_conn_t *c = net->conns_head; c; c = c->next)
        if (c->host == h)
            lost[i++] = c;
    for (i = 0; i < n; i++) {
        if (lost[i]->dead)
            continue;
        if (lost[i]->detached || !(lost[i]->client || lost[i]->accepted))
            tcp_conn_release(lost[i]);
        else
            tcp_conn_fail(lost[i], TCP_ERR_CRASH);
    }
    free(lost);
}

void tcp_free_all(net_t *net)
{
    net->observer = NULL; /* no callback of any kind from here on */
    net->depth++;
    while (net->conns_head)
        tcp_conn_release(net->conns_head);
    net->depth--;
    tcp_reap(net);
    free(net->conn_ptrs);
    net->conn_ptrs = NULL;
    net->conn_hashes = NULL;
    net->conn_cap = 0;
}

/* --- listening ------------------------------------------------------------- */

tcp_listener_t *tcp_listener_find(const host_t *h, uint16_t port)
{
    for (tcp_listener_t *l = h->listeners; l; l = l->next)
        if (l->port == port)
            return l;
    return NULL;
}

int tcp_listen(net_t *net, host_t *h, uint16_t port, tcp_accept_fn fn, void *ctx)
{
    if (!h || tcp_listener_find(h, port))
        return -1;
    tcp_listener_t *l = xcalloc(1, sizeof *l);
    l->port = port;
    l->fn = fn;
    l->ctx = ctx;
    l->next = h->listeners;
    h->listeners = l;
    return 0;
}

void tcp_unlisten(net_t *net, host_t *h, uint16_t port)
{
    for (tcp_listener_t **pp = &h->listeners; *pp; pp = &(*pp)->next) {
        if ((*pp)->port == port) {
            tcp_listener_t *l = *pp;
            *pp = l->next;
            free(l);
            return;
        }
    }
}

bool tcp_is_listening(const net_t *net, const host_t *h, uint16_t port)
{
    return tcp_listener_find(h, port) != NULL;
}

/* --- connecting ------------------------------------------------------------ */

/* The next ephemeral port whose connection to raddr:rport is free (RFC 6056). */
static int ephemeral_port(net_t *net, host_t *h, uint32_t raddr, uint16_t rport, uint16_t *out)
{
    unsigned span = 65536u - TCP_EPHEMERAL_FIRST;
    for (unsigned tries = 0; tries < span; tries++) {
        uint16_t p = h->next_port;
        h->next_port = p == 65535 ? (uint16_t)TCP_EPHEMERAL_FIRST : (uint16_t)(p + 1);
        if (!tcp_listener_find(h, p) && !tcp_conn_lookup(net, h->addr, p, raddr, rport)) {
            *out = p;
            return 0;
        }
    }
    return -1;
}

tcp_conn_t *tcp_connect(net_t *net, host_t *from, uint32_t to_addr, uint16_t port,
                        const tcp_callbacks_t *cb, void *ctx)
{
    uint16_t lport;
    if (!from || ephemeral_port(net, from, to_addr, port, &lport) < 0)
        return NULL;
    tcp_conn_t *c = tcp_conn_new(net, from, to_addr, lport, port, true);
    c->id = net->next_conn_id++;
    tcp_conn_set_callbacks(c, cb, ctx);
    tcp_conn_event(c, TRACE_TCP_CONNECT, NULL);
    tcp_set_state(c, TCP_SYN_SENT);
    tcp_send_syn(c, NULL);
    return c;
}

void tcp_conn_set_callbacks(tcp_conn_t *c, const tcp_callbacks_t *cb, void *ctx)
{
    if (cb)
        c->cb = *cb;
    else
        memset(&c->cb, 0, sizeof c->cb);
    c->ctx = ctx;
}

/* --- sending and closing --------------------------------------------------- */

void tcp_send(tcp_conn_t *c, const void *data, size_t len)
{
    if (c->dead || c->detached || c->shut_wr || len == 0)
        return;
    tcp_sbuf_append(c, data, len);
    tcp_output_soon(c);
}

/* Shorter runs are copied: a copy of a few lines costs less than a piece. */
#define TCP_LEND_MIN 512u

void tcp_send_lent(tcp_conn_t *c, const void *data, size_t len, shared_t *owner)
{
    if (c->dead || c->detached || c->shut_wr || len == 0)
        return;
    if (owner && len >= TCP_LEND_MIN && len <= UINT32_MAX / 2 &&
        (!c->has_lent || c->nlent < TCP_LENT_MAX))
        tcp_sbuf_lend(c, data, len, owner);
    else
        tcp_sbuf_append(c, data, len);
    tcp_output_soon(c);
}

void tcp_shutdown(tcp_conn_t *c)
{
    if (c->dead || c->detached || c->shut_wr)
        return;
    c->shut_wr = true;
    tcp_output_soon(c);
}

void tcp_close(tcp_conn_t *c)
{
    if (c->dead || c->detached)
        return;
    c->user_closed = true;
    tcp_shutdown(c);
    /* An orphan in FIN-WAIT-2 must not wait forever for a silent peer. */
    if (c->state == TCP_FIN_WAIT_2)
        tcp_timer_set(c, TCP_FIN_WAIT_2_TIMEOUT);
}

void tcp_abort(tcp_conn_t *c)
{
    if (c->dead || c->detached)
        return;
    /* RFC 9293 3.10.5: a RST goes out in the synchronized states. */
    switch (c->state) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
        tcp_send_rst(c);
        break;
    case TCP_CLOSED:
    case TCP_SYN_SENT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
        break;
    }
    tcp_conn_event(c, TRACE_TCP_RESET, "aborted");
    c->detached = true;
    tcp_conn_release(c);
}

/* --- accessors -------------------------------------------------------------- */

uint64_t tcp_conn_id(const tcp_conn_t *c)
{
    return c->id;
}

tcp_state_t tcp_conn_state(const tcp_conn_t *c)
{
    return c->state;
}

host_t *tcp_conn_local(const tcp_conn_t *c)
{
    return c->host;
}

host_t *tcp_conn_remote(const tcp_conn_t *c)
{
    return c->remote;
}

uint32_t tcp_conn_remote_addr(const tcp_conn_t *c)
{
    return c->remote_addr;
}

uint16_t tcp_conn_local_port(const tcp_conn_t *c)
{
    return c->local_port;
}

uint16_t tcp_conn_remote_port(const tcp_conn_t *c)
{
    return c->remote_port;
}

uint16_t tcp_conn_service_port(const tcp_conn_t *c)
{
    return c->service_port;
}

bool tcp_conn_is_client(const tcp_conn_t *c)
{
    return c->client;
}

size_t tcp_conn_unsent(const tcp_conn_t *c)
{
    return tcp_sbuf_len(c) - tcp_data_in_flight(c);
}

size_t tcp_conn_in_flight(const tcp_conn_t *c)
{
    return tcp_data_in_flight(c);
}

size_t tcp_conn_buffer_bytes(const tcp_conn_t *c)
{
    return c->sbuf_cap + c->ooo_bytes;
}

void tcp_conn_stats(const tcp_conn_t *c, tcp_stats_t *out)
{
    out->segments_sent = c->stats.segments_sent;
    out->segments_received = c->stats.segments_received;
    out->retransmits = c->stats.retransmits;
    out->bytes_acked = c->stats.bytes_acked;
    out->bytes_received = c->stats.bytes_received;
    out->srtt = c->srtt;
    out->rto = c->rto;
}
