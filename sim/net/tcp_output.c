/*
 * tcp_output: building and sending segments, the send queue, the
 * retransmission timer and the round-trip estimate (RFC 6298).
 *
 * The send queue holds the data from the oldest unacknowledged byte on; it
 * keeps an offset instead of moving bytes on every ACK, and compacts only
 * when the dead space at its front is larger than the live data, so a long
 * transfer costs O(1) per byte.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp_internal.h"

/* --- the send queue --------------------------------------------------------- */

/* Room for a send queue: queues of the first size come from the net's pool. */
static uint8_t *sbuf_mem_get(net_t *net, size_t cap)
{
    if (cap == TCP_SBUF_FIRST_CAP && net->sbuf_pool) {
        void *mem = net->sbuf_pool;
        memcpy(&net->sbuf_pool, mem, sizeof net->sbuf_pool);
        net->sbuf_spares--;
        return mem;
    }
    return xmalloc(cap);
}

static void sbuf_mem_put(net_t *net, uint8_t *mem, size_t cap)
{
    if (cap != TCP_SBUF_FIRST_CAP || net->sbuf_spares >= NET_POOL_MAX_SPARES) {
        free(mem);
        return;
    }
    memcpy(mem, &net->sbuf_pool, sizeof net->sbuf_pool);
    net->sbuf_pool = mem;
    net->sbuf_spares++;
}

/* Makes room for len more bytes at the end of the queue: moves the live
 * bytes to the front, or grows. */
static __attribute__((noinline)) void sbuf_make_room(tcp_conn_t *c, size_t len)
{
    size_t live = tcp_sbuf_len(c);
    if (c->sbuf_head >= live && c->sbuf_cap - live >= len) {
        memmove(c->sbuf, c->sbuf + c->sbuf_head, live);
    } else {
        size_t cap = c->sbuf_cap ? c->sbuf_cap : TCP_SBUF_FIRST_CAP;
        while (cap < live + len)
            cap *= 2;
        uint8_t *nb = sbuf_mem_get(c->net, cap);
        if (live)
            memcpy(nb, c->sbuf + c->sbuf_head, live);
        if (c->sbuf)
            sbuf_mem_put(c->net, c->sbuf, c->sbuf_cap);
        c->sbuf = nb;
        c->sbuf_cap = cap;
    }
    c->sbuf_head = 0;
    c->sbuf_end = live;
}

/* Room for len more bytes at the end of the queue, taken. */
static inline uint8_t *sbuf_room(tcp_conn_t *c, size_t len)
{
    if (c->sbuf_cap - c->sbuf_end < len)
        sbuf_make_room(c, len);
    uint8_t *at = c->sbuf + c->sbuf_end;
    c->sbuf_end += len;
    return at;
}

void tcp_sbuf_append(tcp_conn_t *c, const void *data, size_t len)
{
    memcpy(sbuf_room(c, len), data, len);
}

/*
 * The queue keeps the room of lent bytes, so that every offset in it is
 * what it would be with a copy, but never writes or reads it: a room that
 * is only kept costs no cache traffic. (Moving the queue copies it along,
 * uninitialised, like any other room.)
 */
void tcp_sbuf_lend(tcp_conn_t *c, const uint8_t *data, size_t len, shared_t *owner)
{
    if (!c->has_lent) {
        c->has_lent = true;
        c->nlent = 0;
    }
    c->lent[c->nlent++] = (struct tcp_lent){c->sbuf_seq + (uint32_t)tcp_sbuf_len(c), (uint32_t)len,
                                            data, shared_hold(owner)};
    (void)sbuf_room(c, len);
}

void tcp_lent_consume(tcp_conn_t *c)
{
    while (c->nlent > 0 && SEQ_LEQ(c->lent[0].seq + c->lent[0].len, c->sbuf_seq)) {
        shared_release(c->lent[0].owner);
        c->nlent--;
        for (unsigned i = 0; i < c->nlent; i++)
            c->lent[i] = c->lent[i + 1];
    }
    c->has_lent = c->nlent > 0;
}

void tcp_lent_release(tcp_conn_t *c)
{
    for (unsigned i = 0; i < c->nlent; i++)
        shared_release(c->lent[i].owner);
    c->nlent = 0;
    c->has_lent = false;
}

void tcp_sbuf_release(tcp_conn_t *c)
{
    if (c->has_lent)
        tcp_lent_release(c);
    if (c->sbuf)
        sbuf_mem_put(c->net, c->sbuf, c->sbuf_cap);
    c->sbuf = NULL;
    c->sbuf_head = c->sbuf_end = c->sbuf_cap = 0;
}

/* --- segments --------------------------------------------------------------- */

/* Out of line, as net.c's segment_event. */
static __attribute__((noinline, cold)) void retransmit_event(const tcp_conn_t *c,
                                                             const tcp_segment_t *seg,
                                                             const char *why)
{
    char buf[16];
    trace_event_t ev;
    trace_event_init(&ev, sim_now(c->net->sim), TRACE_TCP_RETRANSMIT, c->host->name);
    ev.from = c->host->name;
    ev.to = net_addr_label(c->net, c->remote_addr, buf);
    ev.port = c->service_port;
    ev.session = (int64_t)c->id;
    ev.flags = tcp_flags_name(seg->flags);
    ev.seq = seg->seq;
    ev.ack = seg->ack;
    ev.len = seg->len;
    ev.attempt = c->retries;
    ev.text = why;
    ev.src_addr = seg->src_addr;
    ev.dst_addr = seg->dst_addr;
    ev.src_port = seg->src_port;
    ev.dst_port = seg->dst_port;
    ev.window = seg->window;
    trace_emit(&c->net->sim->trace, &ev);
}

/* retransmit: NULL for a first transmission, else why the segment goes again. */
/*
 * The payload of a segment of len bytes from seq, whose queued room starts
 * at data, where the queue holds lent runs: the queue's own bytes are
 * copied into the segment, the lent ones are pieces that point where they
 * are (with a reference each). A segment that would need more pieces than
 * it has, or has no lent byte, or no room for its pieces after its own bytes,
 * carries a copy of everything.
 */
/* Out of line: send_segment's usual path keeps a small frame. */
static __attribute__((noinline)) void fill_lent(const tcp_conn_t *c, tcp_segment_t *seg,
                                                 uint32_t seq, const uint8_t *data, uint32_t len)
{
    /* Each lent run can split a run of own bytes in two. */
    tcp_piece_t piece[2 * TCP_LENT_MAX + 1];
    unsigned n = 0, lent = 0;
    uint32_t lent_bytes = 0;
    uint32_t at = 0; /* bytes of the segment placed */
    for (unsigned i = 0; i < c->nlent && at < len; i++) {
        const struct tcp_lent *l = &c->lent[i];
        uint32_t from = seq + at;
        if (SEQ_LEQ(l->seq + l->len, from))
            continue; /* wholly before what is left */
        uint32_t own = SEQ_GT(l->seq, from) ? l->seq - from : 0;
        if (own >= len - at)
            break; /* this run and the later ones begin after the segment */
        if (own > 0) {
            piece[n++] = (tcp_piece_t){data + at, NULL, own};
            at += own;
        }
        uint32_t off = seq + at - l->seq;
        uint32_t take = l->len - off < len - at ? l->len - off : len - at;
        piece[n++] = (tcp_piece_t){l->data + off, l->owner, take};
        lent++;
        lent_bytes += take;
        at += take;
    }
    if (at < len)
        piece[n++] = (tcp_piece_t){data + at, NULL, len - at};
    bool flat =
        lent == 0 || n > TCP_SEGMENT_PIECES || len - lent_bytes > tcp_segment_piece_room(seg);
    uint32_t kept = 0; /* bytes copied into the payload */
    for (unsigned i = 0; i < n; i++) {
        if (flat || !piece[i].owner) {
            memcpy(seg->payload + kept, piece[i].data, piece[i].len);
            piece[i].data = seg->payload + kept;
            kept += piece[i].len;
        } else {
            shared_hold(piece[i].owner);
        }
    }
    if (flat)
        return;
    tcp_piece_t *to = tcp_segment_pieces(seg);
    for (unsigned i = 0; i < n; i++)
        to[i] = piece[i];
    seg->npieces = (uint8_t)n;
}

static void send_segment(tcp_conn_t *c, unsigned flags, uint32_t seq, const uint8_t *data,
                         uint32_t len, const char *retransmit)
{
    tcp_segment_t *seg = net_segment_new(c->net, len);
    seg->session = c->id;
    seg->src_conn = c;
    seg->dst_conn = c->peer;
    seg->service_port = c->service_port;
    seg->src_addr = c->local_addr;
    seg->dst_addr = c->remote_addr;
    seg->src_port = c->local_port;
    seg->dst_port = c->remote_port;
    seg->seq = seq;
    seg->flags = (uint8_t)flags;
    seg->window = (uint16_t)c->rcv_wnd;
    seg->ack = 0;
    if (flags & TCP_ACK) {
        seg->ack = c->rcv_nxt;
        c->ack_now = false;
    }
    if (len) {
        if (c->has_lent)
            fill_lent(c, seg, seq, data, len);
        else
            memcpy(seg->payload, data, len);
    }
    c->stats.segments_sent++;
    if (retransmit) {
        c->stats.retransmits++;
        if (trace_enabled(&c->net->sim->trace))
            retransmit_event(c, seg, retransmit);
    }
    net_transmit_conn(c, seg);
}

static void timer_start_if_idle(tcp_conn_t *c)
{
    if (c->timer_deadline == SIM_TIME_NEVER)
        tcp_timer_set(c, c->rto);
}

static void rtt_start(tcp_conn_t *c, uint32_t ack_wanted)
{
    if (c->rtt_timing)
        return;
    c->rtt_timing = true;
    c->rtt_seq = ack_wanted;
    c->rtt_start = sim_now(c->net->sim);
}

void tcp_send_syn(tcp_conn_t *c, const char *retransmit)
{
    unsigned flags = c->state == TCP_SYN_RECEIVED ? TCP_SYN | TCP_ACK : TCP_SYN;
    c->snd_nxt = c->iss + 1;
    send_segment(c, flags, c->iss, NULL, 0, retransmit);
    if (!retransmit)
        rtt_start(c, c->iss + 1);
    timer_start_if_idle(c);
}

void tcp_send_ack(tcp_conn_t *c)
{
    send_segment(c, TCP_ACK, c->snd_nxt, NULL, 0, NULL);
}

void tcp_send_rst(tcp_conn_t *c)
{
    send_segment(c, TCP_RST, c->snd_nxt, NULL, 0, NULL);
}

void tcp_send_reset_reply(net_t *net, host_t *h, const tcp_segment_t *seg)
{
    if (seg->flags & TCP_RST)
        return;
    tcp_segment_t *r = net_segment_new(net, 0);
    r->session = seg->session;
    r->src_conn = r->dst_conn = NULL;
    r->service_port = seg->service_port;
    r->src_addr = seg->dst_addr;
    r->dst_addr = seg->src_addr;
    r->src_port = seg->dst_port;
    r->dst_port = seg->src_port;
    r->window = 0;
    if (seg->flags & TCP_ACK) {
        r->seq = seg->ack;
        r->ack = 0;
        r->flags = TCP_RST;
    } else {
        r->seq = 0;
        r->ack = seg->seq + seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
        r->flags = TCP_RST | TCP_ACK;
    }
    net_transmit(net, h, r);
}

static void output_data(tcp_conn_t *c)
{
    if (c->sbuf_end == c->sbuf_head)
        return; /* nothing queued: the common case after an ACK */
    for (;;) {
        size_t flight = tcp_data_in_flight(c);
        size_t unsent = tcp_sbuf_len(c) - flight;
        int64_t usable = (int64_t)c->snd_wnd - (int64_t)(uint32_t)(c->snd_nxt - c->snd_una);
        if (unsent == 0 || usable <= 0)
            return;
        size_t n = c->mss;
        if (n > unsent)
            n = unsent;
        if ((int64_t)n > usable)
            n = (size_t)usable;
        /* RFC 9293 3.8.6.2.1: no small segment just because the window is
         * nearly full; wait for it to open while data is in flight. */
        if (n < c->mss && n < unsent && flight > 0)
            return;
        send_segment(c, TCP_PSH | TCP_ACK, c->snd_nxt, c->sbuf + c->sbuf_head + flight, (uint32_t)n,
                     NULL);
        rtt_start(c, c->snd_nxt + (uint32_t)n);
        c->snd_nxt += (uint32_t)n;
        timer_start_if_idle(c);
    }
}

/* The FIN follows the last queued byte (RFC 9293 3.10.4). */
static void output_fin(tcp_conn_t *c)
{
    if (!c->shut_wr || c->fin_sent || tcp_conn_unsent(c) > 0)
        return;
    send_segment(c, TCP_FIN | TCP_ACK, c->snd_nxt, NULL, 0, NULL);
    c->snd_nxt++;
    c->fin_sent = true;
    timer_start_if_idle(c);
    tcp_set_state(c, c->state == TCP_ESTABLISHED ? TCP_FIN_WAIT_1 : TCP_LAST_ACK);
}

void tcp_output(tcp_conn_t *c)
{
    if (c->dead)
        return;
    switch (c->state) {
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        output_data(c);
        output_fin(c);
        break;
    case TCP_CLOSED:
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
        break;
    }
    if (c->ack_now)
        tcp_send_ack(c);
}

static void output_event_fire(void *arg)
{
    tcp_conn_t *c = arg;
    c->output_event = 0;
    net_enter(c->net);
    tcp_output(c);
    net_leave(c->net);
}

/*
 * Sending happens in an event of its own, after the caller's turn (tcp_send
 * may be called again in the same turn, and the data should go together).
 * tcp_output does all there is to do, and a second call with nothing changed
 * in between does nothing; what changes a connection's sending is only
 * tcp_input, which calls tcp_output at its end, and the calls that come here.
 * So while tcp_input is at work on the connection (the application's
 * answer to what arrived, the usual case), the event only holds its place
 * (sched_hold): the data goes at tcp_input's end, and when the place comes
 * the event would find nothing to do. If more comes to send before the
 * place is reached, the event is armed there, and the run is the same as if
 * it had been pending all along; once the place has gone by, a new event is
 * due, and the held one is moved to be it.
 */
void tcp_output_soon(tcp_conn_t *c)
{
    sched_t *s = c->net->sim->sched;
    if (c->output_event != 0) {
        if (c->in_input ? sched_hold_again(s, c->output_event)
                        : sched_arm_held(s, c->output_event) ||
                              sched_move(s, c->output_event, sched_now(s)))
            return;
    }
    c->output_event = c->in_input ? sched_hold(s, output_event_fire, c)
                                  : sched_after(s, 0, output_event_fire, c);
}

void tcp_retransmit(tcp_conn_t *c, const char *why)
{
    /* RFC 6298 3 (Karn): a retransmitted segment gives no RTT sample. */
    c->rtt_timing = false;
    switch (c->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
        tcp_send_syn(c, why);
        return;
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK: {
        size_t flight = tcp_data_in_flight(c);
        if (flight > 0) {
            uint32_t n = (uint32_t)(flight < c->mss ? flight : c->mss);
            send_segment(c, TCP_PSH | TCP_ACK, c->sbuf_seq, c->sbuf + c->sbuf_head, n, why);
        } else if (c->fin_sent && c->snd_una != c->snd_nxt) {
            send_segment(c, TCP_FIN | TCP_ACK, c->snd_nxt - 1, NULL, 0, why);
        }
        return;
    }
    case TCP_CLOSED:
    case TCP_FIN_WAIT_2:
    case TCP_TIME_WAIT:
        return;
    }
}

/* --- the timer -------------------------------------------------------------- */

static void timer_fire(void *arg);

/* armed: the event is pending, which is while the deadline is not
 * SIM_TIME_NEVER (disarmed by tcp_timer_stop, cleared by timer_fire). */
static void timer_schedule(tcp_conn_t *c, bool armed)
{
    sched_t *s = c->net->sim->sched;
    if (armed) {
        /* An earlier event re-arms itself for the later deadline. */
        if (c->timer_event_at <= c->timer_deadline)
            return;
        /* Earlier: moved, in the order a cancel and a new event would give. */
        c->timer_event_at = c->timer_deadline;
        sched_move(s, c->timer_event, c->timer_deadline);
        return;
    }
    c->timer_event_at = c->timer_deadline;
    /* A stopped timer kept its id (tcp_timer_stop): armed again, it runs
     * where a new event would, at less cost. */
    if (!sched_move(s, c->timer_event, c->timer_deadline))
        c->timer_event = sched_at(s, c->timer_deadline, timer_fire, c);
}

void tcp_timer_set(tcp_conn_t *c, sim_time_t delay)
{
    bool armed = c->timer_deadline != SIM_TIME_NEVER && c->timer_event != 0;
    c->timer_deadline = sim_now(c->net->sim) + delay;
    timer_schedule(c, armed);
}

/* Stopped on every full ACK and set again by the next send: the event is
 * disarmed, not cancelled, and keeps its id for timer_schedule. */
void tcp_timer_stop(tcp_conn_t *c)
{
    c->timer_deadline = SIM_TIME_NEVER;
    sched_disarm(c->net->sim->sched, c->timer_event);
}

static void backoff(tcp_conn_t *c)
{
    /* RFC 6298 5.5: double the RTO, up to the maximum. */
    c->rto = c->rto > TCP_RTO_MAX / 2 ? TCP_RTO_MAX : c->rto * 2;
}

static void retransmission_timeout(tcp_conn_t *c, int limit, tcp_error_t err)
{
    if (c->snd_una == c->snd_nxt)
        return;
    if (++c->retries > limit) {
        if (c->client || c->accepted)
            tcp_conn_fail(c, err);
        else
            tcp_conn_release(c); /* a half-open passive connection nobody saw */
        return;
    }
    backoff(c);
    /* Every byte sent so far is suspect: repair hole by hole (RFC 6582). */
    c->recovering = true;
    c->recover = c->snd_nxt;
    c->dupacks = 0;
    tcp_retransmit(c, "timeout");
    tcp_timer_set(c, c->rto);
}

static void timer_expired(tcp_conn_t *c)
{
    switch (c->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
        retransmission_timeout(c, TCP_SYN_RETRIES, TCP_ERR_TIMEOUT);
        return;
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
        retransmission_timeout(c, TCP_DATA_RETRIES, TCP_ERR_RETRIES);
        return;
    case TCP_FIN_WAIT_2:
        /* Orphaned after tcp_close: give up on the peer's FIN. */
        if (c->user_closed)
            tcp_conn_finish(c);
        return;
    case TCP_TIME_WAIT:
        tcp_conn_release(c);
        return;
    case TCP_CLOSED:
        return;
    }
}

static void timer_fire(void *arg)
{
    tcp_conn_t *c = arg;
    net_t *net = c->net;
    c->timer_event = 0;
    if (c->timer_deadline == SIM_TIME_NEVER)
        return;
    if (sim_now(net->sim) < c->timer_deadline) {
        timer_schedule(c, false);
        return;
    }
    c->timer_deadline = SIM_TIME_NEVER;
    net_enter(net);
    timer_expired(c);
    net_leave(net);
}

/*
 * The scheduler's warm for timer_fire (sched_set_warm). Timers come due
 * together: a thousand connections closed in one microsecond leave
 * TIME-WAIT in one. Four turns ahead and more, the connection's working
 * lines and the one its ending reads; three turns ahead, for a TIME-WAIT's
 * end, what tcp_conn_release touches beyond it: the table's slot, its
 * neighbours' links and its held output event.
 */
static void timer_warm(const void *arg, unsigned ahead)
{
    const tcp_conn_t *c = arg;
    if (ahead >= 4) {
        for (unsigned i = 0; i < 6; i++)
            __builtin_prefetch((const char *)c + 64 * i);
        return;
    }
    if (ahead != 3 || c->state != TCP_TIME_WAIT)
        return;
    tcp_conn_table_prefetch(c);
    if (c->prev)
        __builtin_prefetch(&c->prev->next);
    if (c->next)
        __builtin_prefetch(&c->next->prev);
    sched_prefetch(c->net->sim->sched, c->output_event);
}

void tcp_output_set_warms(sched_t *s)
{
    sched_set_warm(s, timer_fire, timer_warm);
}

/* --- round-trip time -------------------------------------------------------- */

void tcp_rtt_sample(tcp_conn_t *c, sim_time_t r)
{
    /* Every value here is >= 0 (r is a time since a send), so unsigned
     * shifts give the same quotients as the signed divisions. */
    if (!c->have_rtt) {
        c->srtt = r;
        c->rttvar = (sim_time_t)((uint64_t)r >> 1);
        c->have_rtt = true;
    } else {
        sim_time_t delta = c->srtt > r ? c->srtt - r : r - c->srtt;
        c->rttvar = (sim_time_t)((uint64_t)(3 * c->rttvar + delta) >> 2);
        c->srtt = (sim_time_t)((uint64_t)(7 * c->srtt + r) >> 3);
    }
    c->rto_base = tcp_rto_base(c);
}

sim_time_t tcp_rto_base(const tcp_conn_t *c)
{
    if (!c->have_rtt)
        return TCP_RTO_INITIAL;
    /* RFC 6298 2.3 with a clock granularity G of 1 ms. */
    sim_time_t var = 4 * c->rttvar > SIM_MS ? 4 * c->rttvar : SIM_MS;
    sim_time_t rto = c->srtt + var;
    return rto < TCP_RTO_MIN ? TCP_RTO_MIN : rto > TCP_RTO_MAX ? TCP_RTO_MAX : rto;
}
