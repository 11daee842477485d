/*
 * bridge: the real-time loop and the maps. Each turn runs the scheduler up
 * to the virtual time the wall clock stands for, serves the pipes (writes,
 * ends, limits), then poll()s the listeners and the pipes' sockets until
 * the next event's wall time, the nearest idle deadline or the caller's
 * bound, whichever comes first.
 */
#include "bridge/bridge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bridge/bridge_internal.h"
#include "bridge/external.h"

void bridge_options_default(bridge_options_t *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->speed = 1.0;
    opt->limits = (bridge_limits_t){
        .max_conns = BRIDGE_DEFAULT_MAX_CONNS,
        .max_line = BRIDGE_DEFAULT_MAX_LINE,
        .max_bytes = BRIDGE_DEFAULT_MAX_BYTES,
        .idle_us = BRIDGE_DEFAULT_IDLE_US,
        .max_pending = BRIDGE_DEFAULT_MAX_PENDING,
    };
}

static int64_t monotonic_us(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t bridge_wall(const bridge_t *b)
{
    return b->opt.clock(b->opt.clock_ctx);
}

void bridge_notice(const bridge_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_t line = BUF_INIT;
    buf_vprintf(&line, fmt, ap);
    va_end(ap);
    if (b->opt.notice)
        b->opt.notice(b->opt.notice_ctx, buf_cstr(&line));
    else
        fprintf(stderr, "%s\n", buf_cstr(&line));
    buf_free(&line);
}

/* RFC 1122 3.2.1.3: 127.0.0.0/8 never leaves the machine. */
bool bridge_addr_allowed(const bridge_t *b, uint32_t addr)
{
    return b->opt.listen_any || (addr >> 24) == 127;
}

bridge_t *bridge_new(world_t *w, const bridge_options_t *opt)
{
    bridge_t *b = xcalloc(1, sizeof *b);
    b->w = w;
    b->net = world_net(w);
    b->sched = world_sim(w)->sched;
    if (opt)
        b->opt = *opt;
    else
        bridge_options_default(&b->opt);
    if (!b->opt.clock)
        b->opt.clock = monotonic_us;
    if (!(b->opt.speed > 0))
        b->opt.speed = 1.0;
    if (b->opt.peer_host) {
        b->peer_host = net_host_by_name(b->net, b->opt.peer_host);
        b->opt.peer_host = NULL; /* not kept: the host's own name is */
        if (!b->peer_host) {
            free(b);
            return NULL;
        }
    }
    b->wall0 = bridge_wall(b);
    b->virt0 = sched_now(b->sched);
    b->next_peer_number = 1;
    return b;
}

void bridge_free(bridge_t *b)
{
    if (!b)
        return;
    while (b->pipes)
        pipe_free(b->pipes);
    for (size_t i = 0; i < b->nmaps; i++) {
        close(b->maps[i].fd);
        free(b->maps[i].host);
    }
    free(b->maps);
    for (size_t i = 0; i < b->nexternals; i++) {
        tcp_unlisten(b->net, b->externals[i]->host, b->externals[i]->sim_port);
        free(b->externals[i]);
    }
    free(b->externals);
    free(b->peers);
    free(b->pfds);
    free(b->pfd_pipes);
    free(b);
}

/* --- maps ------------------------------------------------------------------- */

static int listen_socket(uint32_t addr, uint16_t port, uint16_t *bound, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(addr);
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        char a[16];
        snprintf(err, errlen, "cannot listen on %s:%u: %s", addr_format(addr, a, sizeof a),
                 (unsigned)port, strerror(errno));
        close(fd);
        return -1;
    }
    bridge_set_nonblocking(fd);
    *bound = ntohs(sa.sin_port);
    return fd;
}

int bridge_map(bridge_t *b, const char *listen_addr, uint16_t listen_port, const char *host,
               uint16_t port, char *err, size_t errlen)
{
    uint32_t addr;
    if (addr_parse(listen_addr, &addr) != 0) {
        snprintf(err, errlen, "%s is not an IPv4 address", listen_addr);
        return -1;
    }
    if (!bridge_addr_allowed(b, addr)) {
        snprintf(err, errlen, "%s is not a loopback address; --listen-any allows it", listen_addr);
        return -1;
    }
    host_t *h = net_host_by_name(b->net, host);
    if (!h) {
        snprintf(err, errlen, "no host %s in the simulation", host);
        return -1;
    }
    uint16_t bound;
    int fd = listen_socket(addr, listen_port, &bound, err, errlen);
    if (fd < 0)
        return -1;
    b->maps = xrealloc(b->maps, (b->nmaps + 1) * sizeof *b->maps);
    b->maps[b->nmaps++] = (bridge_map_entry_t){fd, bound, xstrdup(host), host_addr(h), port};
    return 0;
}

size_t bridge_map_count(const bridge_t *b)
{
    return b->nmaps;
}

uint16_t bridge_map_port(const bridge_t *b, size_t i)
{
    return i < b->nmaps ? b->maps[i].real_port : 0;
}

/* --- real peers ------------------------------------------------------------- */

/* The simulated host that stands for the real peer at addr, made on first use. */
static host_t *peer_host(bridge_t *b, uint32_t addr)
{
    for (size_t i = 0; i < b->npeers; i++)
        if (b->peers[i].real_addr == addr)
            return b->peers[i].host;
    host_t *h = b->peer_host;
    uint32_t sim_addr = h ? host_addr(h) : world_next_free_addr(b->w);
    while (sim_addr && !h && b->next_peer_number < 100000) {
        char name[32];
        snprintf(name, sizeof name, "real-%u", b->next_peer_number++);
        h = net_host_add(b->net, name, sim_addr);
    }
    if (!h)
        return NULL;
    if (!b->peer_host)
        dns_set_a(world_dns(b->w), host_name(h), sim_addr);
    b->peers = xrealloc(b->peers, (b->npeers + 1) * sizeof *b->peers);
    b->peers[b->npeers++] = (bridge_peer_t){addr, h};
    b->stats.peers = b->npeers;
    char real[16], sim[16];
    bridge_notice(b, "mailsim: the real peer %s is %s (%s) in the simulation",
                  addr_format(addr, real, sizeof real), host_name(h),
                  addr_format(sim_addr, sim, sizeof sim));
    return h;
}

static void accept_one(bridge_t *b, bridge_map_entry_t *m, int fd, const struct sockaddr_in *sa)
{
    uint32_t addr = ntohl(sa->sin_addr.s_addr);
    char a[16];
    addr_format(addr, a, sizeof a);
    if (b->stats.live >= b->opt.limits.max_conns) {
        b->stats.refused++;
        bridge_notice(b, "mailsim: %s:%u: too many connections (%zu); closed", a,
                      (unsigned)ntohs(sa->sin_port), b->opt.limits.max_conns);
        bridge_close_fd(fd, true);
        return;
    }
    host_t *h = peer_host(b, addr);
    char label[64];
    snprintf(label, sizeof label, "%s:%u (%s)", a, (unsigned)ntohs(sa->sin_port),
             h ? host_name(h) : "?");
    bridge_pipe_t *p = pipe_new(b, fd, false, label);
    b->stats.accepted++;
    tcp_conn_t *c = h ? tcp_connect(b->net, h, m->addr, m->port, NULL, NULL) : NULL;
    if (!c) {
        pipe_kill(p, "no simulated host or port is left for it");
        return;
    }
    pipe_attach(p, c);
}

static void accept_all(bridge_t *b, bridge_map_entry_t *m)
{
    /* A bounded batch per turn, so a flood of connections cannot starve the rest. */
    for (int i = 0; i < 16; i++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        int fd = accept(m->fd, (struct sockaddr *)&sa, &len);
        if (fd < 0)
            return; /* EAGAIN, or an aborted connection: nothing to do */
        if (sa.sin_family != AF_INET) {
            close(fd);
            continue;
        }
        accept_one(b, m, fd, &sa);
    }
}

/* --- the loop --------------------------------------------------------------- */

sim_time_t bridge_virtual_now(const bridge_t *b)
{
    double elapsed = (double)(bridge_wall(b) - b->wall0) * b->opt.speed;
    /* A huge speed running for hours must not overflow the clock. */
    if (elapsed > 4e18)
        elapsed = 4e18;
    sim_time_t v = b->virt0 + (sim_time_t)elapsed;
    sim_time_t now = sched_now(b->sched);
    return v > now ? v : now;
}

/* How long poll may wait: until the next event's wall time, an idle deadline or max. */
static int poll_timeout(bridge_t *b, int max_ms, int64_t now)
{
    int64_t until = now + (int64_t)max_ms * 1000;
    sim_time_t next = sched_next_time(b->sched);
    if (next != SIM_TIME_NEVER) {
        int64_t at = b->wall0 + (int64_t)((double)(next - b->virt0) / b->opt.speed);
        if (at < until)
            until = at;
    }
    for (bridge_pipe_t *p = b->pipes; p; p = p->next) {
        int64_t d = pipe_deadline(p);
        if (d < until)
            until = d;
    }
    if (until <= now)
        return 0;
    return (int)((until - now + 999) / 1000);
}

static void serve_pipes(bridge_t *b, int64_t now)
{
    for (bridge_pipe_t *p = b->pipes, *next; p; p = next) {
        next = p->next;
        pipe_service(p, now);
        if (pipe_done(p))
            pipe_free(p);
    }
}

static size_t build_pollfds(bridge_t *b)
{
    size_t n = b->nmaps;
    for (bridge_pipe_t *p = b->pipes; p; p = p->next)
        n++;
    if (n > b->pfd_cap) {
        b->pfd_cap = n * 2;
        b->pfds = xrealloc(b->pfds, b->pfd_cap * sizeof *b->pfds);
        b->pfd_pipes = xrealloc(b->pfd_pipes, b->pfd_cap * sizeof *b->pfd_pipes);
    }
    size_t i = 0;
    for (; i < b->nmaps; i++)
        b->pfds[i] = (struct pollfd){.fd = b->maps[i].fd, .events = POLLIN};
    for (bridge_pipe_t *p = b->pipes; p; p = p->next, i++) {
        short ev = pipe_poll_events(p);
        /* An entry with no interest is left out: poll would still report its hang-up. */
        b->pfds[i] = (struct pollfd){.fd = ev ? p->fd : -1, .events = ev};
        b->pfd_pipes[i] = p;
    }
    return n;
}

static void advance(bridge_t *b, sim_time_t until)
{
    sim_time_t v = bridge_virtual_now(b);
    sched_run_until(b->sched, v < until ? v : until);
}

static void poll_turn(bridge_t *b, int max_wait_ms, sim_time_t until)
{
    advance(b, until);
    int64_t now = bridge_wall(b);
    serve_pipes(b, now);
    size_t n = build_pollfds(b);
    int rc = poll(b->pfds, (nfds_t)n, poll_timeout(b, max_wait_ms, now));
    if (rc <= 0)
        return; /* a timeout, or a signal: the caller looks at its flag */
    now = bridge_wall(b);
    /* Pipes first: accepting adds pipes that are not in this poll set. */
    for (size_t i = b->nmaps; i < n; i++)
        pipe_ready(b->pfd_pipes[i], b->pfds[i].revents, now);
    for (size_t i = 0; i < b->nmaps; i++)
        if (b->pfds[i].revents & POLLIN)
            accept_all(b, &b->maps[i]);
    serve_pipes(b, now);
}

void bridge_poll(bridge_t *b, int max_wait_ms)
{
    poll_turn(b, max_wait_ms, SIM_TIME_NEVER);
}

void bridge_poll_until(bridge_t *b, int max_wait_ms, sim_time_t until)
{
    poll_turn(b, max_wait_ms, until);
}

void bridge_run(bridge_t *b, const volatile sig_atomic_t *stop, sim_time_t until)
{
    while (!*stop && sched_now(b->sched) < until)
        poll_turn(b, 250, until);
}

void bridge_stats(const bridge_t *b, bridge_stats_t *out)
{
    *out = b->stats;
}
