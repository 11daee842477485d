/*
 * net: hosts, paths and the delivery of segments. A path is kept per
 * direction (link_dir_t) because each direction has its own queue: a segment
 * starts serialising when the previous one in that direction is done
 * ("busy until"), then travels for the latency. Loss is drawn from the
 * world's PRNG per segment, so a seed fixes which segments are lost.
 */
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp_internal.h"

/* Aligned to a cache line, with what every segment reads and writes in
 * the first: the usual segment (on a pair that follows the default path)
 * touches that line only. */
typedef struct link_dir {
    _Alignas(64) sim_time_t busy_until;
    /* serialisation() of the last rate and length, and of length 0 (the
     * ACKs), kept: a division per segment costs more than the rest of
     * transmit. */
    uint64_t ser_bps;
    sim_time_t ser_time, ser_zero;
    uint32_t ser_len;
    bool has_props;    /* false: follows the default path */
    uint32_t from, to; /* host indexes */
    _Alignas(64) path_props_t props;
} link_dir_t;

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static void segment_arrive(void *arg);

_Static_assert(TCP_WARM_MAX == FNMAP_MAX, "tcp.h's limit is the map's");

bool tcp_set_warm(net_t *net, tcp_data_fn on_data, tcp_warm_fn warm)
{
    return fnmap_set(&net->warms, (fnmap_fn)on_data, (fnmap_fn)warm);
}

_Static_assert(SCHED_WARM_AHEAD == 5,
               "segment_warm's steps: two of the net's, three of the owner's");

/* The scheduler's warm for segment_arrive (sched_set_warm): while the
 * segments due before it arrive, it prefetches what tcp_input reads, a step
 * further each turn: five turns ahead, the receiving connection's working
 * lines and the payload's first lines; four turns ahead, the first lines
 * of the connection's owner (ctx), its send queue, its path and its timer's
 * and output event's slots; the three turns before, for a segment with
 * data to a connection whose owner still takes it, what the owner's warm
 * (tcp_set_warm) names.
 * With a thousand connections in step all of these are out of cache, and
 * an arrival would otherwise wait on each in turn. What is read here is
 * the segment's and the connection's (connection structs stay until
 * net_free); the owner's memory is only prefetched, and read by its own
 * warm only while the owner takes the connection's data. */
static void segment_warm(const void *arg, unsigned ahead)
{
    const tcp_segment_t *seg = arg;
    const tcp_conn_t *c = seg->dst_conn;
    if (!c)
        return;
    if (ahead >= 5) {
        for (unsigned i = 0; i < 5; i++)
            __builtin_prefetch((const char *)c + 64 * i);
        if (seg->npieces) {
            __builtin_prefetch(tcp_segment_pieces(seg));
        } else if (seg->len) {
            /* every line of a reply or a few commands; a bigger payload is
             * read in order, which the hardware follows by itself */
            uintptr_t end = (uintptr_t)seg->payload + (seg->len < 256 ? seg->len : 256);
            for (uintptr_t at = (uintptr_t)seg->payload; at < end; at = (at | 63) + 1)
                __builtin_prefetch((const void *)at);
        }
    } else if (ahead == 4) {
        __builtin_prefetch(c->ctx);
        __builtin_prefetch((const char *)c->ctx + 64);
        if (c->sbuf)
            __builtin_prefetch(c->sbuf + c->sbuf_head);
        if (c->link)
            __builtin_prefetch(c->link);
        sched_prefetch(c->net->sim->sched, c->timer_event);
        sched_prefetch(c->net->sim->sched, c->output_event);
    } else if (seg->len && c->cb.on_data && !c->dead && !c->detached && !c->user_closed) {
        /* Only while on_data could be called (deliver's test): after that,
         * the owner may be gone, and its warm would read freed memory. */
        tcp_warm_fn w = (tcp_warm_fn)fnmap_get(&c->net->warms, (fnmap_fn)c->cb.on_data);
        if (w)
            w(c->ctx, ahead);
    }
}

net_t *net_new(sim_t *sim)
{
    net_t *net = xcalloc(1, sizeof *net);
    net->sim = sim;
    net->mss = NET_DEFAULT_MSS;
    net->window = NET_DEFAULT_WINDOW;
    net->default_path = (path_props_t){NET_DEFAULT_LATENCY, NET_DEFAULT_BANDWIDTH, 0.0, false};
    net->next_conn_id = 1;
    sched_set_warm(sim->sched, segment_arrive, segment_warm);
    tcp_output_set_warms(sim->sched);
    return net;
}

void net_free(net_t *net)
{
    if (!net)
        return;
    tcp_free_all(net);
    tcp_pools_free(net);
    /* The spares and those on the wire; an event id of a spare is stale,
     * which sched_cancel ignores. */
    for (tcp_segment_t *s = net->segments, *next; s; s = next) {
        next = s->all_next;
        sched_cancel(net->sim->sched, s->event);
        net_segment_unlend(s);
        free(s);
    }
    free(net->scratch);
    for (size_t i = 0; i < net->nhosts; i++) {
        host_t *h = net->hosts[i];
        for (tcp_listener_t *l = h->listeners, *next; l; l = next) {
            next = l->next;
            free(l);
        }
        free(h->name);
        free(h);
    }
    for (size_t i = 0; i < net->links_cap; i++)
        free(net->links[i]);
    free(net->link_keys); /* and links, in the same allocation */
    free(net->hosts);
    namemap_free(&net->host_names);
    free(net->host_down);
    free(net->addr_slots);
    free(net);
}

sim_t *net_sim(const net_t *net)
{
    return net->sim;
}

void net_set_mss(net_t *net, uint32_t mss)
{
    net->mss = mss ? mss : 1;
}

uint32_t net_mss(const net_t *net)
{
    return net->mss;
}

void net_set_window(net_t *net, uint32_t window)
{
    net->window = window < 1 ? 1 : window > 65535 ? 65535 : window;
}

/* --- hosts ------------------------------------------------------------------ */

static size_t addr_slot(const net_t *net, uint32_t addr)
{
    size_t mask = net->addr_cap - 1;
    size_t i = (size_t)mix64(addr) & mask;
    while (net->addr_keys[i] && net->addr_keys[i] != addr)
        i = (i + 1) & mask;
    return i;
}

/* Puts h in the address index (there is room). */
static void addr_index_put(net_t *net, host_t *h)
{
    size_t i = addr_slot(net, h->addr);
    net->addr_slots[i] = h;
    net->addr_keys[i] = h->addr;
}

static void addr_index_grow(net_t *net)
{
    host_t **old = net->addr_slots;
    size_t old_cap = net->addr_cap;
    net->addr_cap = old_cap ? old_cap * 2 : 16;
    /* The pointers first: they need the stricter alignment. */
    void *mem = xcalloc(net->addr_cap, sizeof *net->addr_slots + sizeof *net->addr_keys);
    net->addr_slots = mem;
    net->addr_keys = (uint32_t *)(void *)(net->addr_slots + net->addr_cap);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            addr_index_put(net, old[i]);
    free(old);
}

host_t *net_host_add(net_t *net, const char *name, uint32_t addr)
{
    if (!name || !*name || addr == 0 || net_host_by_name(net, name) || net_host_by_addr(net, addr))
        return NULL;
    if (net->nhosts == UINT32_MAX)
        return NULL;
    host_t *h = xcalloc(1, sizeof *h);
    h->net = net;
    h->name = xstrdup(name);
    h->addr = addr;
    h->index = (uint32_t)net->nhosts;
    h->up = true;
    h->next_port = TCP_EPHEMERAL_FIRST;
    if (net->nhosts == net->hosts_cap) {
        net->hosts_cap = net->hosts_cap ? net->hosts_cap * 2 : 8;
        net->hosts = xrealloc(net->hosts, net->hosts_cap * sizeof *net->hosts);
    }
    namemap_put(&net->host_names, h->name, strlen(h->name), h->index);
    net->hosts[net->nhosts++] = h;
    if (net->nhosts > 64 * net->host_down_words) {
        size_t words = net->host_down_words ? 2 * net->host_down_words : 1;
        net->host_down = xrealloc(net->host_down, words * sizeof *net->host_down);
        memset(net->host_down + net->host_down_words, 0,
               (words - net->host_down_words) * sizeof *net->host_down);
        net->host_down_words = words;
    }
    if (2 * net->nhosts > net->addr_cap)
        addr_index_grow(net);
    addr_index_put(net, h);
    return h;
}

host_t *net_host_by_name(const net_t *net, const char *name)
{
    size_t i;
    return namemap_get(&net->host_names, name, strlen(name), &i) ? net->hosts[i] : NULL;
}

host_t *net_host_by_addr(const net_t *net, uint32_t addr)
{
    if (net->addr_cap == 0)
        return NULL;
    return net->addr_slots[addr_slot(net, addr)];
}

size_t net_host_count(const net_t *net)
{
    return net->nhosts;
}

host_t *net_host_at(const net_t *net, size_t i)
{
    return i < net->nhosts ? net->hosts[i] : NULL;
}

const char *host_name(const host_t *h)
{
    return h->name;
}

uint32_t host_addr(const host_t *h)
{
    return h->addr;
}

bool host_is_up(const host_t *h)
{
    return h->up;
}

const char *net_addr_label(const net_t *net, uint32_t addr, char buf[16])
{
    host_t *h = net_host_by_addr(net, addr);
    return h ? h->name : addr_format(addr, buf, 16);
}

static void host_event(net_t *net, host_t *h, trace_kind_t kind)
{
    if (!trace_enabled(&net->sim->trace))
        return;
    trace_event_t ev;
    trace_event_init(&ev, sim_now(net->sim), kind, h->name);
    trace_emit(&net->sim->trace, &ev);
}

/* h->up and its bit in net->host_down, together. */
static void host_set_up(net_t *net, host_t *h, bool up)
{
    h->up = up;
    uint64_t bit = (uint64_t)1 << (h->index & 63);
    if (up)
        net->host_down[h->index >> 6] &= ~bit;
    else
        net->host_down[h->index >> 6] |= bit;
}

void net_host_down(net_t *net, host_t *h)
{
    if (!h->up)
        return;
    host_set_up(net, h, false);
    host_event(net, h, TRACE_HOST_DOWN);
}

void net_host_up(net_t *net, host_t *h)
{
    if (h->up)
        return;
    host_set_up(net, h, true);
    host_event(net, h, TRACE_HOST_UP);
}

void net_host_crash(net_t *net, host_t *h)
{
    host_set_up(net, h, false);
    host_event(net, h, TRACE_HOST_CRASH);
    net_enter(net);
    tcp_host_crashed(net, h);
    net_leave(net);
}

/* --- paths ------------------------------------------------------------------ */

static uint64_t link_key(uint32_t from, uint32_t to)
{
    return ((uint64_t)from << 32) | to;
}

static size_t link_slot(const net_t *net, uint32_t from, uint32_t to)
{
    size_t mask = net->links_cap - 1;
    uint64_t key = link_key(from, to);
    size_t i = (size_t)mix64(key) & mask;
    while (net->link_keys[i] && net->link_keys[i] != key + 1)
        i = (i + 1) & mask;
    return i;
}

/* Puts l in the table of directions (there is room). */
static void links_put(net_t *net, link_dir_t *l)
{
    size_t i = link_slot(net, l->from, l->to);
    net->links[i] = l;
    net->link_keys[i] = link_key(l->from, l->to) + 1;
}

static link_dir_t *link_find(const net_t *net, const host_t *from, const host_t *to)
{
    if (net->links_cap == 0)
        return NULL;
    return net->links[link_slot(net, from->index, to->index)];
}

static void links_grow(net_t *net)
{
    link_dir_t **old = net->links;
    uint64_t *old_keys = net->link_keys;
    size_t old_cap = net->links_cap;
    net->links_cap = old_cap ? old_cap * 2 : 16;
    void *mem = xcalloc(net->links_cap, sizeof *net->links + sizeof *net->link_keys);
    net->link_keys = mem; /* the keys first: they need the stricter alignment */
    net->links = (link_dir_t **)(void *)(net->link_keys + net->links_cap);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            links_put(net, old[i]);
    free(old_keys);
}

/* The direction from -> to, made on first use. */
static link_dir_t *link_get(net_t *net, const host_t *from, const host_t *to)
{
    link_dir_t *l = link_find(net, from, to);
    if (l)
        return l;
    if (2 * (net->nlinks + 1) > net->links_cap)
        links_grow(net);
    l = xaligned_alloc(_Alignof(link_dir_t), sizeof *l);
    memset(l, 0, sizeof *l);
    l->from = from->index;
    l->to = to->index;
    links_put(net, l);
    net->nlinks++;
    return l;
}

void net_set_default_path(net_t *net, const path_props_t *p)
{
    net->default_path = *p;
}

path_props_t net_default_path(const net_t *net)
{
    return net->default_path;
}

static void format_rate(uint64_t bps, char *out, size_t n)
{
    if (bps == 0)
        snprintf(out, n, "unlimited");
    else if (bps % 1000000000 == 0)
        snprintf(out, n, "%lluGbit", (unsigned long long)(bps / 1000000000));
    else if (bps % 1000000 == 0)
        snprintf(out, n, "%lluMbit", (unsigned long long)(bps / 1000000));
    else if (bps % 1000 == 0)
        snprintf(out, n, "%llukbit", (unsigned long long)(bps / 1000));
    else
        snprintf(out, n, "%llubit", (unsigned long long)bps);
}

static void link_change_event(net_t *net, const host_t *a, const host_t *b, const path_props_t *p)
{
    if (!trace_enabled(&net->sim->trace))
        return;
    char lat[32], rate[32], text[128];
    duration_format(p->latency, lat, sizeof lat);
    format_rate(p->bandwidth_bps, rate, sizeof rate);
    snprintf(text, sizeof text, "latency %s, bandwidth %s, loss %g%s", lat, rate, p->loss,
             p->cut ? ", cut" : "");
    trace_event_t ev;
    trace_event_init(&ev, sim_now(net->sim), TRACE_LINK_CHANGE, a->name);
    ev.from = a->name;
    ev.to = b->name;
    ev.text = text;
    trace_emit(&net->sim->trace, &ev);
}

void net_set_path(net_t *net, host_t *a, host_t *b, const path_props_t *p)
{
    link_dir_t *ab = link_get(net, a, b);
    ab->has_props = true;
    ab->props = *p;
    link_dir_t *ba = link_get(net, b, a);
    ba->has_props = true;
    ba->props = *p;
    link_change_event(net, a, b, p);
}

path_props_t net_get_path(const net_t *net, const host_t *a, const host_t *b)
{
    const link_dir_t *l = link_find(net, a, b);
    return l && l->has_props ? l->props : net->default_path;
}

/* --- segments on the wire --------------------------------------------------- */

tcp_segment_t *net_segment_alloc(net_t *net, uint32_t len)
{
    uint32_t cap = len <= NET_SEGMENT_POOL_CAP ? NET_SEGMENT_POOL_CAP : len;
    /* Whole cache lines from a line's start: a segment's header and the
     * first octets of its payload take the fewest lines they can. */
    tcp_segment_t *seg = xaligned_alloc(64, sizeof(tcp_segment_t) + cap);
    seg->net = net;
    seg->len = len;
    seg->cap = cap;
    seg->npieces = 0;
    seg->event = 0;
    seg->all_prev = NULL;
    seg->all_next = net->segments;
    if (net->segments)
        net->segments->all_prev = seg;
    net->segments = seg;
    return seg;
}

void net_segment_unlend(tcp_segment_t *seg)
{
    for (unsigned i = 0; i < seg->npieces; i++)
        shared_release(tcp_segment_pieces(seg)[i].owner);
    seg->npieces = 0;
}

const uint8_t *net_segment_flat(net_t *net, const tcp_segment_t *seg)
{
    if (!seg->npieces)
        return seg->payload;
    if (net->scratch_cap < seg->len) {
        free(net->scratch);
        net->scratch = xmalloc(seg->len);
        net->scratch_cap = seg->len;
    }
    net_segment_gather(seg, net->scratch);
    return net->scratch;
}

void net_segment_gather(const tcp_segment_t *seg, uint8_t *out)
{
    if (!seg->npieces) {
        memcpy(out, seg->payload, seg->len);
        return;
    }
    for (unsigned i = 0; i < seg->npieces; i++) {
        memcpy(out, tcp_segment_pieces(seg)[i].data, tcp_segment_pieces(seg)[i].len);
        out += tcp_segment_pieces(seg)[i].len;
    }
}

void net_segment_release(net_t *net, tcp_segment_t *seg)
{
    if (seg->all_prev)
        seg->all_prev->all_next = seg->all_next;
    else
        net->segments = seg->all_next;
    if (seg->all_next)
        seg->all_next->all_prev = seg->all_prev;
    free(seg);
}

/* Out of line: only tracing comes here, and the hot paths that call it
 * should not carry its frame. */
static __attribute__((noinline, cold)) void segment_event(net_t *net, trace_kind_t kind,
                                                          const char *sender,
                                                          const tcp_segment_t *seg,
                                                          const char *text)
{
    char buf[16];
    trace_event_t ev;
    trace_event_init(&ev, sim_now(net->sim), kind, sender);
    ev.from = sender;
    ev.to = net_addr_label(net, seg->dst_addr, buf);
    ev.port = seg->service_port;
    if (seg->session)
        ev.session = (int64_t)seg->session;
    ev.flags = tcp_flags_name(seg->flags);
    ev.seq = seg->seq;
    ev.ack = seg->ack;
    ev.len = seg->len;
    ev.text = text;
    ev.src_addr = seg->src_addr;
    ev.dst_addr = seg->dst_addr;
    ev.src_port = seg->src_port;
    ev.dst_port = seg->dst_port;
    ev.window = seg->window;
    ev.payload = seg->len ? net_segment_flat(net, seg) : NULL;
    ev.payload_len = seg->len;
    trace_emit(&net->sim->trace, &ev);
}

static void segment_arrive(void *arg)
{
    tcp_segment_t *seg = arg;
    net_t *net = seg->net;
    host_t *dst = seg->dst_host;
    if (!net_index_up(net, seg->dst_index)) {
        /* The receiver went down while the segment travelled. */
        if (trace_enabled(&net->sim->trace)) {
            char buf[16];
            segment_event(net, TRACE_TCP_DROP, net_addr_label(net, seg->src_addr, buf), seg,
                          "receiver down");
        }
        net_segment_free(net, seg);
        return;
    }
    net_enter(net);
    tcp_input(net, dst, seg);
    net_leave(net);
    net_segment_free(net, seg);
}

/* Serialisation time of a segment at bps, rounded up to a microsecond. */
static sim_time_t serialisation(uint64_t bps, uint32_t payload)
{
    if (bps == 0)
        return 0;
    uint64_t bits = ((uint64_t)payload + TCP_HEADER_BYTES) * 8;
    return (sim_time_t)((bits * (uint64_t)SIM_SEC + bps - 1) / bps);
}

/* serialisation(bps, payload) through the link's memo. */
static inline sim_time_t link_serialisation(link_dir_t *l, uint64_t bps, uint32_t payload)
{
    if (l->ser_bps != bps) {
        l->ser_bps = bps;
        l->ser_zero = serialisation(bps, 0);
        l->ser_len = 0;
        l->ser_time = l->ser_zero;
    }
    if (payload == 0)
        return l->ser_zero;
    if (payload != l->ser_len) {
        l->ser_len = payload;
        l->ser_time = serialisation(bps, payload);
    }
    return l->ser_time;
}

static const char fate_lost[] = "lost";

/* Why a segment does not get through, decided when it is sent; NULL if it does. */
static const char *transmit_fate(net_t *net, const host_t *src, const host_t *dst,
                                 const path_props_t *p)
{
    if (!src->up)
        return "sender down";
    if (!dst)
        return "no host has this address";
    if (!dst->up)
        return "receiver down";
    if (p->cut)
        return "link cut";
    if (p->loss > 0 && rng_chance(&net->sim->rng, p->loss))
        return fate_lost;
    return NULL;
}

/* dst: the host with seg's address, or NULL; l: the path from src to dst. */
static __attribute__((noinline)) void transmit_general(net_t *net, host_t *src, host_t *dst,
                                                       link_dir_t *l, tcp_segment_t *seg)
{
    bool tracing = trace_enabled(&net->sim->trace);
    if (tracing)
        segment_event(net, TRACE_TCP_SEGMENT, src->name, seg, NULL);
    const path_props_t *p = l && l->has_props ? &l->props : &net->default_path;
    const char *fate = transmit_fate(net, src, dst, p);
    sim_time_t now = sim_now(net->sim);
    if (l && (!fate || fate == fate_lost)) {
        /* The segment occupies the path even when it is lost on the way. */
        sim_time_t start = l->busy_until > now ? l->busy_until : now;
        l->busy_until = start + link_serialisation(l, p->bandwidth_bps, seg->len);
    }
    if (fate) {
        if (tracing)
            segment_event(net, TRACE_TCP_DROP, src->name, seg, fate);
        net_segment_free(net, seg);
        return;
    }
    seg->dst_host = dst;
    seg->dst_index = dst->index;
    seg->event = sched_at(net->sim->sched, l->busy_until + p->latency, segment_arrive, seg);
}

/* transmit_general, whose usual case (no tracing, both hosts up, a path
 * that neither loses nor is cut) is here, with nothing else to keep. */
static inline __attribute__((always_inline)) void transmit(net_t *net, host_t *src, host_t *dst,
                                                         link_dir_t *l,
                            tcp_segment_t *seg)
{
    const path_props_t *p = l && l->has_props ? &l->props : &net->default_path;
    /* The hosts' states from the net's bits (l names them): their own
     * structs stay untouched. */
    if (trace_enabled(&net->sim->trace) || !dst || !net_index_up(net, l->from) ||
        !net_index_up(net, l->to) || p->cut || p->loss > 0) {
        transmit_general(net, src, dst, l, seg);
        return;
    }
    sim_time_t now = sim_now(net->sim);
    sim_time_t start = l->busy_until > now ? l->busy_until : now;
    l->busy_until = start + link_serialisation(l, p->bandwidth_bps, seg->len);
    seg->dst_host = dst;
    seg->dst_index = l->to;
    seg->event = sched_at(net->sim->sched, l->busy_until + p->latency, segment_arrive, seg);
}

void net_transmit(net_t *net, host_t *src, tcp_segment_t *seg)
{
    host_t *dst = net_host_by_addr(net, seg->dst_addr);
    transmit(net, src, dst, dst ? link_get(net, src, dst) : NULL, seg);
}

void net_transmit_conn(tcp_conn_t *c, tcp_segment_t *seg)
{
    /* Hosts are never removed, so a remote host found once stays; one
     * added later for an address that had none is found by the slow way. */
    if (!c->remote) {
        net_transmit(c->net, c->host, seg);
        return;
    }
    if (!c->link)
        c->link = link_get(c->net, c->host, c->remote);
    transmit(c->net, c->host, c->remote, c->link, seg);
}

/* --- addresses -------------------------------------------------------------- */

char *addr_format(uint32_t addr, char *out, size_t n)
{
    /* By hand, not snprintf: a server writes one into every Received field.
     * Straight into out when it has room for any quad. */
    char quad[16];
    char *w = n >= sizeof quad ? out : quad;
    size_t k = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned octet = (addr >> shift) & 255u;
        if (octet >= 100)
            w[k++] = (char)('0' + octet / 100);
        if (octet >= 10)
            w[k++] = (char)('0' + octet / 10 % 10);
        w[k++] = (char)('0' + octet % 10);
        w[k++] = shift ? '.' : '\0';
    }
    if (w == quad && n > 0)
        str_copy(out, n, quad);
    return out;
}

int addr_parse(const char *s, uint32_t *out)
{
    if (!s)
        return -1;
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0 && *s++ != '.')
            return -1;
        if (*s < '0' || *s > '9')
            return -1;
        /* "010" would be octal to inet_aton: refuse leading zeros. */
        if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
            return -1;
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (digits > 3 || v > 255)
            return -1;
        addr = (addr << 8) | v;
    }
    if (*s)
        return -1;
    *out = addr;
    return 0;
}
