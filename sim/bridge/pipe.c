/*
 * pipe: one real socket joined to one simulated TCP connection. Bytes from
 * the real peer go to tcp_send; bytes the simulated peer delivers wait in
 * `pending` until the real socket takes them. An end of stream is passed
 * on as a half-close (tcp_shutdown, shutdown(SHUT_WR)), a failure as a
 * reset. Reads stop while either side is behind, and a peer that breaks a
 * limit is cut off, so one connection never holds up the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge/bridge_internal.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

int bridge_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void bridge_close_fd(int fd, bool reset)
{
    if (fd < 0)
        return;
    if (reset) {
        /* RFC 9293 3.10.5: an abort sends RST; SO_LINGER 0 makes close() do it. */
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(fd);
}

/* --- the simulated side's callbacks ----------------------------------------- */

static void on_connected(tcp_conn_t *c, void *ctx)
{
    bridge_pipe_t *p = ctx;
    p->sim_ready = true;
}

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    bridge_pipe_t *p = ctx;
    if (p->tracer)
        external_trace(p, true, data, len);
    if (p->fd >= 0)
        buf_append(&p->pending, data, len);
}

static void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    ((bridge_pipe_t *)ctx)->sim_eof = true;
}

static void on_closed(tcp_conn_t *c, void *ctx)
{
    bridge_pipe_t *p = ctx;
    p->sim_eof = true;
    p->conn = NULL;
}

static void on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    bridge_pipe_t *p = ctx;
    p->conn = NULL;
    p->reset = true;
    if (!p->sim_ready)
        bridge_notice(p->b, "mailsim: %s: the simulated connection failed: %s", p->label,
                      tcp_error_name(err));
}

static const tcp_callbacks_t pipe_callbacks = {
    .on_connected = on_connected,
    .on_data = on_data,
    .on_peer_closed = on_peer_closed,
    .on_closed = on_closed,
    .on_error = on_error,
};

/* --- life ------------------------------------------------------------------- */

bridge_pipe_t *pipe_new(bridge_t *b, int fd, bool outbound, const char *label)
{
    bridge_pipe_t *p = xcalloc(1, sizeof *p);
    p->b = b;
    p->fd = fd;
    p->outbound = outbound;
    p->last_active = bridge_wall(b);
    snprintf(p->label, sizeof p->label, "%s", label);
    buf_init(&p->pending);
    bridge_set_nonblocking(fd);
    p->next = b->pipes;
    p->pprev = &b->pipes;
    if (b->pipes)
        b->pipes->pprev = &p->next;
    b->pipes = p;
    b->stats.live++;
    return p;
}

void pipe_attach(bridge_pipe_t *p, tcp_conn_t *c)
{
    p->conn = c;
    tcp_conn_set_callbacks(c, &pipe_callbacks, p);
}

static void close_real(bridge_pipe_t *p, bool reset)
{
    if (p->fd < 0)
        return;
    bridge_close_fd(p->fd, reset);
    p->fd = -1;
    p->b->stats.live--;
}

static void abort_sim(bridge_pipe_t *p)
{
    tcp_conn_t *c = p->conn;
    p->conn = NULL;
    if (c) {
        tcp_conn_set_callbacks(c, NULL, NULL);
        tcp_abort(c);
    }
}

void pipe_kill(bridge_pipe_t *p, const char *why)
{
    if (why) {
        bridge_notice(p->b, "mailsim: %s: %s; closed", p->label, why);
        p->b->stats.limited++;
    }
    abort_sim(p);
    close_real(p, true);
}

bool pipe_done(const bridge_pipe_t *p)
{
    return p->fd < 0 && !p->conn;
}

void pipe_free(bridge_pipe_t *p)
{
    abort_sim(p);
    close_real(p, true);
    *p->pprev = p->next;
    if (p->next)
        p->next->pprev = p->pprev;
    external_tracer_free(p->tracer);
    buf_free(&p->pending);
    free(p);
}

int64_t pipe_deadline(const bridge_pipe_t *p)
{
    return p->fd < 0 ? INT64_MAX : p->last_active + p->b->opt.limits.idle_us;
}

/* --- the real side ---------------------------------------------------------- */

static size_t pending_len(const bridge_pipe_t *p)
{
    return p->pending.len - p->pending_off;
}

/* Writes what the socket takes; false when the real peer is gone (then killed). */
static bool write_pending(bridge_pipe_t *p, int64_t now)
{
    while (pending_len(p) > 0) {
        ssize_t n = send(p->fd, p->pending.data + p->pending_off, pending_len(p), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            pipe_kill(p, NULL);
            return false;
        }
        p->pending_off += (size_t)n;
        p->b->stats.bytes_out += (uint64_t)n;
        p->last_active = now;
    }
    if (p->pending_off == p->pending.len) {
        buf_reset(&p->pending);
        p->pending_off = 0;
    } else if (p->pending_off > BRIDGE_PENDING_HIGH) {
        buf_consume(&p->pending, p->pending_off);
        p->pending_off = 0;
    }
    return true;
}

void pipe_service(bridge_pipe_t *p, int64_t now)
{
    if (p->fd < 0 || p->connecting)
        return;
    if (!write_pending(p, now))
        return;
    const bridge_limits_t *lim = &p->b->opt.limits;
    if (pending_len(p) > lim->max_pending) {
        pipe_kill(p, "the real peer does not read what it is sent");
        return;
    }
    if (now >= pipe_deadline(p)) {
        pipe_kill(p, "idle too long");
        return;
    }
    if (pending_len(p) > 0)
        return;
    /* Everything is written: pass the simulated side's end on. */
    if (!p->conn) {
        close_real(p, p->reset);
    } else if (p->sim_eof && !p->real_shut) {
        shutdown(p->fd, SHUT_WR);
        p->real_shut = true;
    }
}

short pipe_poll_events(const bridge_pipe_t *p)
{
    if (p->fd < 0)
        return 0;
    if (p->connecting)
        return POLLOUT;
    short ev = 0;
    if (pending_len(p) > 0)
        ev |= POLLOUT;
    /* Backpressure: read no more while either side is behind. */
    if (!p->real_eof && p->conn && p->sim_ready && tcp_conn_unsent(p->conn) < BRIDGE_SIM_BACKLOG &&
        pending_len(p) < BRIDGE_PENDING_HIGH)
        ev |= POLLIN;
    return ev;
}

/* The limits on what a real peer sends; false when one is broken (then killed). */
static bool check_input(bridge_pipe_t *p, const uint8_t *data, size_t n)
{
    const bridge_limits_t *lim = &p->b->opt.limits;
    p->bytes_in += n;
    const uint8_t *lf = NULL;
    for (size_t i = n; i > 0 && !lf; i--)
        if (data[i - 1] == '\n')
            lf = data + i - 1;
    p->line_run = lf ? (size_t)(data + n - lf - 1) : p->line_run + n;
    char why[96];
    if (p->line_run > lim->max_line) {
        snprintf(why, sizeof why, "more than %zu bytes without a line end", lim->max_line);
        pipe_kill(p, why);
        return false;
    }
    if (p->bytes_in > lim->max_bytes) {
        snprintf(why, sizeof why, "more than %llu bytes sent in one connection",
                 (unsigned long long)lim->max_bytes);
        pipe_kill(p, why);
        return false;
    }
    return true;
}

static void read_real(bridge_pipe_t *p, int64_t now)
{
    uint8_t data[BRIDGE_READ_CHUNK];
    ssize_t n;
    do
        n = recv(p->fd, data, sizeof data, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n < 0) {
        pipe_kill(p, NULL); /* reset by the real peer: reset the simulated one */
        return;
    }
    p->last_active = now;
    if (n == 0) {
        p->real_eof = true;
        if (p->conn)
            tcp_shutdown(p->conn);
        return;
    }
    if (!check_input(p, data, (size_t)n))
        return;
    p->b->stats.bytes_in += (uint64_t)n;
    if (p->tracer)
        external_trace(p, false, data, (size_t)n);
    tcp_send(p->conn, data, (size_t)n);
}

/* An outbound connect() finished, one way or the other. */
static void connect_done(bridge_pipe_t *p, int64_t now)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    p->connecting = false;
    p->last_active = now;
    if (err) {
        bridge_notice(p->b, "mailsim: %s: %s", p->label, strerror(err));
        pipe_kill(p, NULL);
    }
}

void pipe_ready(bridge_pipe_t *p, short revents, int64_t now)
{
    if (p->fd < 0 || revents == 0)
        return;
    if (p->connecting) {
        connect_done(p, now);
        return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        if (p->conn && !p->real_eof && p->sim_ready)
            read_real(p, now);
        else if (revents & POLLERR)
            pipe_kill(p, NULL);
    }
    if (p->fd >= 0 && (revents & POLLOUT))
        write_pending(p, now);
}
