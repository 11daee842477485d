/*
 * tcp_input: what a host does with an arriving segment, in the order of
 * RFC 9293 3.10.7 ("SEGMENT ARRIVES"): no connection, SYN-SENT, then the
 * synchronized states (sequence check, RST, SYN, ACK, text, FIN).
 *
 * Every callback may end the connection it is called for; the code after a
 * callback checks c->dead and stops (the memory stays valid until the entry
 * point returns, see tcp_internal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp_internal.h"

/* --- no connection: a listener, or a reset (RFC 9293 3.10.7.1, 3.10.7.2) --- */

static void passive_open(net_t *net, host_t *h, const tcp_segment_t *seg)
{
    tcp_conn_t *c = tcp_conn_new(net, h, seg->src_addr, seg->dst_port, seg->src_port, false);
    /* The connecting side numbered the connection; both ends share it. */
    c->id = seg->session ? seg->session : net->next_conn_id++;
    /* Each end guesses the other for the segments to come. */
    c->peer = seg->src_conn;
    if (seg->src_conn)
        seg->src_conn->peer = c;
    c->stats.segments_received++;
    c->irs = seg->seq;
    c->rcv_nxt = seg->seq + 1;
    c->snd_wnd = seg->window;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = c->iss;
    tcp_set_state(c, TCP_SYN_RECEIVED);
    tcp_send_syn(c, NULL);
}

static void input_no_connection(net_t *net, host_t *h, const tcp_segment_t *seg)
{
    if (seg->flags & TCP_RST)
        return;
    if ((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && tcp_listener_find(h, seg->dst_port)) {
        passive_open(net, h, seg);
        return;
    }
    /* A closed port answers with RST: the connecting side sees "refused". */
    tcp_send_reset_reply(net, h, seg);
}

/* --- acknowledgments ----------------------------------------------------------- */

/* SND.UNA moves to ack; returns the data bytes it acknowledged. */
static size_t ack_advance(tcp_conn_t *c, uint32_t ack)
{
    if (c->rtt_timing && SEQ_GEQ(ack, c->rtt_seq)) {
        tcp_rtt_sample(c, sim_now(c->net->sim) - c->rtt_start);
        c->rtt_timing = false;
    }
    size_t data = 0;
    if (SEQ_GT(ack, c->sbuf_seq)) {
        size_t queued = tcp_sbuf_len(c);
        data = (size_t)(uint32_t)(ack - c->sbuf_seq);
        if (data > queued)
            data = queued; /* the rest acknowledges the FIN */
        tcp_sbuf_consume(c, data);
    }
    c->snd_una = ack;
    c->stats.bytes_acked += data;
    /* RFC 6298 5.2, 5.3: restart the timer for what is still outstanding,
     * with the backoff forgotten. */
    c->retries = 0;
    c->dupacks = 0;
    c->rto = c->rto_base;
    if (c->snd_una == c->snd_nxt)
        tcp_timer_stop(c);
    else
        tcp_timer_set(c, c->rto);
    return data;
}

static void window_update(tcp_conn_t *c, const tcp_segment_t *seg)
{
    /* RFC 9293 3.10.7.4: only a segment newer than the last update counts. */
    if (SEQ_LT(c->snd_wl1, seg->seq) || (c->snd_wl1 == seg->seq && SEQ_LEQ(c->snd_wl2, seg->ack))) {
        c->snd_wnd = seg->window;
        c->snd_wl1 = seg->seq;
        c->snd_wl2 = seg->ack;
    }
}

static bool is_duplicate_ack(const tcp_conn_t *c, const tcp_segment_t *seg)
{
    /* RFC 5681 2: same ACK, no data, same window, data outstanding. */
    return seg->ack == c->snd_una && seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
           seg->window == c->snd_wnd && c->snd_una != c->snd_nxt;
}

static void enter_time_wait(tcp_conn_t *c)
{
    tcp_set_state(c, TCP_TIME_WAIT);
    tcp_sbuf_release(c);
    tcp_timer_set(c, TCP_TIME_WAIT_LENGTH);
    tcp_conn_finish(c);
}

static void enter_established(tcp_conn_t *c)
{
    c->recovering = false; /* a repeated SYN is no hole in the data */
    tcp_set_state(c, TCP_ESTABLISHED);
    tcp_conn_event(c, TRACE_TCP_ESTABLISHED, NULL);
}

/* The handshake is complete on this side: tell the owner. False if c died. */
static bool notify_established(tcp_conn_t *c)
{
    if (c->client) {
        if (c->cb.on_connected)
            c->cb.on_connected(c, c->ctx);
        return !c->dead;
    }
    tcp_listener_t *l = tcp_listener_find(c->host, c->service_port);
    if (!l) {
        /* The listener went away during the handshake. */
        tcp_abort(c);
        return false;
    }
    c->accepted = true;
    if (l->fn)
        l->fn(c, l->ctx);
    return !c->dead;
}

/* The state step once an acceptable ACK was taken (RFC 9293 3.10.7.4
 * fifth, per state): false when the rest of the segment is to be ignored. */
static bool after_ack(tcp_conn_t *c)
{
    bool fin_acked = c->fin_sent && c->snd_una == c->snd_nxt;
    switch (c->state) {
    case TCP_FIN_WAIT_1:
        if (fin_acked) {
            tcp_set_state(c, TCP_FIN_WAIT_2);
            if (c->user_closed)
                tcp_timer_set(c, TCP_FIN_WAIT_2_TIMEOUT);
        }
        return true;
    case TCP_CLOSING:
        if (fin_acked)
            enter_time_wait(c);
        return !c->dead;
    case TCP_LAST_ACK:
        if (fin_acked)
            tcp_conn_finish(c);
        return !c->dead && !fin_acked;
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
    case TCP_TIME_WAIT:
        return true;
    case TCP_CLOSED:
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
        return false;
    }
    return false;
}

/* RFC 9293 3.10.7.4 fifth, in the states after the handshake. */
static bool input_ack_synchronized(tcp_conn_t *c, const tcp_segment_t *seg)
{
    if (SEQ_GT(seg->ack, c->snd_nxt)) {
        c->ack_now = true; /* it acknowledges something not yet sent */
        return false;
    }
    size_t acked = 0;
    if (SEQ_GT(seg->ack, c->snd_una)) {
        acked = ack_advance(c, seg->ack);
        if (c->recovering && SEQ_LT(c->snd_una, c->recover))
            tcp_retransmit(c, "partial ACK"); /* RFC 6582 3.2 step 5: the next hole */
        else
            c->recovering = false;
    } else if (is_duplicate_ack(c, seg)) {
        /* RFC 5681 3.2: fast retransmit. */
        if (++c->dupacks == TCP_DUPACK_THRESHOLD && !c->recovering) {
            c->recovering = true;
            c->recover = c->snd_nxt;
            tcp_retransmit(c, "3 duplicate ACKs");
        }
    }
    window_update(c, seg);
    if (acked && !c->detached && c->cb.on_acked) {
        c->cb.on_acked(c, acked, c->ctx);
        if (c->dead)
            return false;
    }
    return after_ack(c);
}

/* False when the rest of the segment is to be ignored. */
static bool input_ack(tcp_conn_t *c, const tcp_segment_t *seg)
{
    if (!(seg->flags & TCP_ACK))
        return false;
    switch (c->state) {
    case TCP_SYN_RECEIVED:
        if (SEQ_GT(seg->ack, c->snd_una) && SEQ_LEQ(seg->ack, c->snd_nxt)) {
            ack_advance(c, seg->ack);
            window_update(c, seg);
            enter_established(c);
            return notify_established(c);
        }
        tcp_send_reset_reply(c->net, c->host, seg);
        return false;
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
        return input_ack_synchronized(c, seg);
    case TCP_CLOSED:
    case TCP_SYN_SENT:
        return false;
    }
    return false;
}

/* --- text and FIN --------------------------------------------------------- */

/* Hands in-order bytes to the owner. False if c died. */
static bool deliver(tcp_conn_t *c, const uint8_t *data, uint32_t len)
{
    c->rcv_nxt += len;
    c->stats.bytes_received += len;
    if (c->user_closed || c->detached || !c->cb.on_data)
        return true;
    c->cb.on_data(c, data, len, c->ctx);
    return !c->dead;
}

static __attribute__((noinline)) bool deliver_pieces(tcp_conn_t *c, const tcp_segment_t *seg)
{
    const tcp_piece_t *p = tcp_segment_pieces(seg);
    for (unsigned i = 0; i < seg->npieces; i++)
        if (!deliver(c, p[i].data, p[i].len))
            return false;
    return true;
}

/* Delivers a whole segment's payload in order, piece by piece when it has
 * lent pieces (the owner then gets the pieces as separate calls). */
static inline bool deliver_segment(tcp_conn_t *c, const tcp_segment_t *seg)
{
    if (__builtin_expect(seg->npieces != 0, 0))
        return deliver_pieces(c, seg);
    return deliver(c, seg->payload, seg->len);
}

static void fin_arrived(tcp_conn_t *c)
{
    c->rcv_nxt++;
    c->fin_received = true;
    tcp_send_ack(c);
    switch (c->state) {
    case TCP_ESTABLISHED:
        tcp_set_state(c, TCP_CLOSE_WAIT);
        break;
    case TCP_FIN_WAIT_1:
        tcp_set_state(c, TCP_CLOSING);
        break;
    case TCP_FIN_WAIT_2:
    case TCP_CLOSED:
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
        break;
    }
    if (!c->user_closed && !c->detached && c->cb.on_peer_closed) {
        c->cb.on_peer_closed(c, c->ctx);
        if (c->dead)
            return;
    }
    if (c->state == TCP_FIN_WAIT_2)
        enter_time_wait(c);
}

/* Keeps bytes that arrived ahead of a hole, in sequence order. */
static void ooo_insert(tcp_conn_t *c, uint32_t seq, const uint8_t *data, uint32_t len, bool fin)
{
    if ((size_t)c->ooo_bytes + len > 2 * (size_t)c->rcv_wnd)
        return; /* full: the sender will retransmit */
    tcp_ooo_t **pp = &c->ooo;
    while (*pp && SEQ_LEQ((*pp)->seq, seq)) {
        tcp_ooo_t *o = *pp;
        if (SEQ_GEQ(o->seq + o->len, seq + len) && (o->fin || !fin))
            return; /* already held */
        pp = &o->next;
    }
    tcp_ooo_t *o = xmalloc(sizeof *o + len);
    o->seq = seq;
    o->len = len;
    o->fin = fin;
    if (len)
        memcpy(o->data, data, len);
    o->next = *pp;
    *pp = o;
    c->ooo_bytes += len;
}

/* Delivers what the hole just filled made contiguous. */
static void ooo_drain(tcp_conn_t *c)
{
    while (c->ooo && SEQ_LEQ(c->ooo->seq, c->rcv_nxt)) {
        tcp_ooo_t *o = c->ooo;
        c->ooo = o->next;
        c->ooo_bytes -= o->len;
        uint32_t skip = c->rcv_nxt - o->seq;
        bool alive = skip >= o->len || deliver(c, o->data + skip, o->len - skip);
        bool fin = o->fin && skip <= o->len;
        free(o);
        if (!alive)
            return;
        if (fin) {
            fin_arrived(c);
            return;
        }
    }
}

static inline void input_run(tcp_conn_t *c, const tcp_segment_t *seg, const uint8_t *data);

/* RFC 9293 3.10.7.4 sixth and seventh: the segment text, then the FIN. */
static void input_text(tcp_conn_t *c, const tcp_segment_t *seg)
{
    switch (c->state) {
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
        break;
    case TCP_CLOSED:
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
        return; /* the peer's FIN came already: nothing more is expected */
    }
    bool fin = seg->flags & TCP_FIN;
    uint32_t seq = seg->seq, len = seg->len;
    if (seg->npieces && seq == c->rcv_nxt && SEQ_LEQ(seq + len, c->rcv_nxt + c->rcv_wnd)) {
        /* All of it, in order: the pieces where they are. */
        c->ack_now = true;
        if (len && !deliver_segment(c, seg))
            return;
        if (fin)
            fin_arrived(c);
        else
            ooo_drain(c);
        return;
    }
    if (seg->npieces) {
        /* Out of order or past the window, which the general steps below
         * handle: on a copy in one run (the owner may send, and so trace,
         * while it reads). */
        uint8_t *copy = xmalloc(len);
        net_segment_gather(seg, copy);
        input_run(c, seg, copy);
        free(copy);
        return;
    }
    input_run(c, seg, seg->payload);
}

/* input_text's general steps, for seg's payload in one run at data. */
static inline void input_run(tcp_conn_t *c, const tcp_segment_t *seg, const uint8_t *data)
{
    bool fin = seg->flags & TCP_FIN;
    uint32_t seq = seg->seq, len = seg->len;
    if (SEQ_LT(seq, c->rcv_nxt)) {
        uint32_t skip = c->rcv_nxt - seq;
        if (skip > len) /* all old, the FIN too */
            return;
        seq += skip;
        data += skip;
        len -= skip;
    }
    uint32_t wnd_end = c->rcv_nxt + c->rcv_wnd;
    if (SEQ_GT(seq + len, wnd_end)) {
        len = SEQ_LT(seq, wnd_end) ? wnd_end - seq : 0;
        fin = false;
    }
    if (len == 0 && !fin)
        return;
    c->ack_now = true; /* every segment with data is acknowledged at once */
    if (seq != c->rcv_nxt) {
        ooo_insert(c, seq, data, len, fin);
        return;
    }
    if (len && !deliver(c, data, len))
        return;
    if (fin)
        fin_arrived(c);
    else
        ooo_drain(c);
}

/* --- the states ------------------------------------------------------------- */

/* RFC 9293 3.10.7.3. */
static void input_syn_sent(tcp_conn_t *c, const tcp_segment_t *seg)
{
    bool has_ack = seg->flags & TCP_ACK;
    if (has_ack && (SEQ_LEQ(seg->ack, c->iss) || SEQ_GT(seg->ack, c->snd_nxt))) {
        tcp_send_reset_reply(c->net, c->host, seg);
        return;
    }
    if (seg->flags & TCP_RST) {
        if (has_ack)
            tcp_conn_fail(c, TCP_ERR_REFUSED);
        return;
    }
    if (!(seg->flags & TCP_SYN))
        return;
    c->irs = seg->seq;
    c->rcv_nxt = seg->seq + 1;
    c->snd_wnd = seg->window;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = seg->ack;
    if (!has_ack) {
        /* Simultaneous open: both sides sent a SYN. */
        tcp_set_state(c, TCP_SYN_RECEIVED);
        tcp_send_syn(c, NULL);
        return;
    }
    ack_advance(c, seg->ack);
    enter_established(c);
    /* The third segment of the handshake leaves before the owner acts. */
    tcp_send_ack(c);
    notify_established(c);
}

static uint32_t segment_length(const tcp_segment_t *seg)
{
    return seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
}

/* RFC 9293 3.10.7.4 first: does any of the segment fall in the window? */
static bool sequence_acceptable(const tcp_conn_t *c, const tcp_segment_t *seg)
{
    uint32_t n = segment_length(seg), wnd = c->rcv_wnd;
    uint32_t lo = c->rcv_nxt, hi = c->rcv_nxt + wnd;
    if (n == 0)
        return wnd == 0 ? seg->seq == lo : SEQ_LEQ(lo, seg->seq) && SEQ_LT(seg->seq, hi);
    if (wnd == 0)
        return false;
    uint32_t last = seg->seq + n - 1;
    return (SEQ_LEQ(lo, seg->seq) && SEQ_LT(seg->seq, hi)) ||
           (SEQ_LEQ(lo, last) && SEQ_LT(last, hi));
}

static void input_reset(tcp_conn_t *c)
{
    switch (c->state) {
    case TCP_SYN_RECEIVED:
        if (c->client)
            tcp_conn_fail(c, TCP_ERR_REFUSED);
        else
            tcp_conn_release(c); /* nobody accepted it yet */
        return;
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
        tcp_conn_fail(c, TCP_ERR_RESET);
        return;
    case TCP_TIME_WAIT:
        tcp_conn_release(c);
        return;
    case TCP_CLOSED:
    case TCP_SYN_SENT:
        return;
    }
}

static void input_unacceptable(tcp_conn_t *c, const tcp_segment_t *seg)
{
    if (seg->flags & TCP_RST)
        return;
    if (c->state == TCP_SYN_RECEIVED && (seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
        seg->seq == c->irs) {
        /* The peer sent its SYN again: our SYN,ACK was lost. */
        tcp_send_syn(c, "the SYN came again");
        return;
    }
    /* A retransmitted FIN in TIME-WAIT restarts the wait (RFC 9293 3.10.7.4). */
    if (c->state == TCP_TIME_WAIT && (seg->flags & TCP_FIN))
        tcp_timer_set(c, TCP_TIME_WAIT_LENGTH);
    c->ack_now = true;
}

static void input_synchronized(tcp_conn_t *c, const tcp_segment_t *seg)
{
    if (!sequence_acceptable(c, seg)) {
        input_unacceptable(c, seg);
        return;
    }
    if (seg->flags & TCP_RST) {
        input_reset(c);
        return;
    }
    if (seg->flags & TCP_SYN) {
        c->ack_now = true; /* RFC 5961 4.2: a challenge ACK, no reset */
        return;
    }
    if (!input_ack(c, seg))
        return;
    input_text(c, seg);
}

/*
 * Header prediction, as BSD's tcp_input: in ESTABLISHED, the next segment in
 * order with only ACK (and PSH), no hole held, no recovery going on, an ACK
 * in [SND.UNA, SND.NXT] that is no duplicate, and text that fits the window.
 * For such a segment the general path (input_synchronized) passes every
 * check and takes exactly these steps in this order; this one only skips
 * the checks. False, before anything changed: take the general path.
 */
static bool input_predicted(tcp_conn_t *c, const tcp_segment_t *seg)
{
    if (c->state != TCP_ESTABLISHED || (seg->flags & ~TCP_PSH) != TCP_ACK ||
        seg->seq != c->rcv_nxt || c->ooo || c->recovering || c->rcv_wnd == 0 ||
        seg->len > c->rcv_wnd || SEQ_GT(seg->ack, c->snd_nxt) || SEQ_LT(seg->ack, c->snd_una))
        return false;
    size_t acked = 0;
    if (seg->ack != c->snd_una)
        acked = ack_advance(c, seg->ack);
    else if (is_duplicate_ack(c, seg))
        return false;
    window_update(c, seg);
    if (acked && !c->detached && c->cb.on_acked) {
        c->cb.on_acked(c, acked, c->ctx);
        if (c->dead)
            return true;
    }
    if (c->state != TCP_ESTABLISHED) {
        /* A callback changed the state: the general steps from here. In
         * ESTABLISHED after_ack has nothing to do and lets the text in. */
        if (after_ack(c))
            input_text(c, seg);
        return true;
    }
    if (seg->len == 0)
        return true;
    c->ack_now = true;
    /* No ooo_drain: no hole was held, and only a segment arriving adds one. */
    deliver_segment(c, seg);
    return true;
}

void tcp_input(net_t *net, host_t *h, const tcp_segment_t *seg)
{
    tcp_conn_t *c = tcp_conn_for_segment(net, seg);
    if (!c) {
        input_no_connection(net, h, seg);
        return;
    }
    c->stats.segments_received++;
    c->in_input = !net->hold_off; /* see tcp_output_soon */
    if (!net->predict_off && input_predicted(c, seg)) {
        c->in_input = false;
        if (!c->dead)
            tcp_output(c);
        return;
    }
    switch (c->state) {
    case TCP_SYN_SENT:
        input_syn_sent(c, seg);
        break;
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
        input_synchronized(c, seg);
        break;
    case TCP_CLOSED:
        break;
    }
    c->in_input = false;
    if (!c->dead)
        tcp_output(c);
}
