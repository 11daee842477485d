/*
 * external: simulated connections carried out to real servers, and the
 * SMTP lines of those sessions traced at the external host (the real
 * server has no engine of ours to trace them).
 */
#include "bridge/external.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge/bridge_internal.h"

/* RFC 5321 4.5.3.1.4-5: command lines are at most 512 octets, reply lines
 * 512, text lines 1000; a longer line is traced cut. */
#define TRACE_LINE_MAX 1000

struct bridge_tracer {
    buf_t part[2]; /* [0] the client's bytes, [1] the server's, up to a line end */
    bool in_data;  /* after a 354 reply: the client sends the message, not commands */
};

void external_tracer_free(bridge_tracer_t *t)
{
    if (!t)
        return;
    buf_free(&t->part[0]);
    buf_free(&t->part[1]);
    free(t);
}

static void emit_line(bridge_pipe_t *p, bool command, const char *line)
{
    world_t *w = p->b->w;
    trace_bus_t *bus = &world_sim(w)->trace;
    if (!trace_enabled(bus) || !p->conn)
        return;
    const char *server = host_name(tcp_conn_local(p->conn));
    host_t *peer = tcp_conn_remote(p->conn);
    const char *client = peer ? host_name(peer) : "?";
    trace_event_t ev;
    trace_event_init(&ev, world_now(w), command ? TRACE_SMTP_COMMAND : TRACE_SMTP_REPLY, server);
    ev.from = command ? client : server;
    ev.to = command ? server : client;
    ev.port = tcp_conn_service_port(p->conn);
    ev.session = (int64_t)tcp_conn_id(p->conn);
    ev.line = line;
    char verb[16];
    if (command) {
        size_t n = strcspn(line, " ");
        n = n < sizeof verb - 1 ? n : sizeof verb - 1;
        for (size_t i = 0; i < n; i++)
            verb[i] = (char)toupper((unsigned char)line[i]);
        verb[n] = '\0';
        ev.verb = verb;
    } else if (strlen(line) >= 3 && isdigit((unsigned char)line[0]) &&
               isdigit((unsigned char)line[1]) && isdigit((unsigned char)line[2])) {
        ev.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    }
    trace_emit(bus, &ev);
}

/* One complete line (CRLF removed) of the client (command) or the server. */
static void on_line(bridge_pipe_t *p, bool command, const char *line)
{
    bridge_tracer_t *t = p->tracer;
    if (command) {
        /* RFC 5321 4.1.1.4: the message ends with a line holding one ".". */
        if (t->in_data) {
            t->in_data = strcmp(line, ".") != 0;
            return;
        }
        emit_line(p, true, line);
        return;
    }
    if (strncmp(line, "354", 3) == 0)
        t->in_data = true;
    emit_line(p, false, line);
}

void external_trace(bridge_pipe_t *p, bool to_real, const uint8_t *data, size_t len)
{
    bridge_tracer_t *t = p->tracer;
    buf_t *part = &t->part[to_real ? 0 : 1];
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n') {
            if (part->len < TRACE_LINE_MAX)
                buf_putc(part, data[i]);
            continue;
        }
        if (part->len && part->data[part->len - 1] == '\r')
            part->data[--part->len] = '\0'; /* buf_cstr reads up to the NUL */
        on_line(p, to_real, buf_cstr(part));
        buf_reset(part);
    }
}

/* --- connections out -------------------------------------------------------- */

/* A simulated connection reached the external host: connect out for it. */
static void external_accept(tcp_conn_t *c, void *ctx)
{
    bridge_external_entry_t *e = ctx;
    bridge_t *b = e->b;
    char a[16];
    addr_format(e->real_addr, a, sizeof a);
    if (b->stats.live >= b->opt.limits.max_conns) {
        b->stats.refused++;
        bridge_notice(b, "mailsim: %s: too many connections (%zu); reset", host_name(e->host),
                      b->opt.limits.max_conns);
        tcp_abort(c);
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        bridge_notice(b, "mailsim: %s: socket: %s", host_name(e->host), strerror(errno));
        tcp_abort(c);
        return;
    }
    char label[64];
    snprintf(label, sizeof label, "%s (%s:%u)", host_name(e->host), a, (unsigned)e->real_port);
    bridge_pipe_t *p = pipe_new(b, fd, true, label);
    p->tracer = xcalloc(1, sizeof *p->tracer);
    p->sim_ready = true;
    pipe_attach(p, c);
    b->stats.outbound++;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(e->real_port)};
    sa.sin_addr.s_addr = htonl(e->real_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return;
    if (errno == EINPROGRESS || errno == EINTR) {
        p->connecting = true;
        return;
    }
    bridge_notice(b, "mailsim: %s: %s", label, strerror(errno));
    pipe_kill(p, NULL);
}

int bridge_external(bridge_t *b, const char *host, uint16_t sim_port, uint32_t real_addr,
                    uint16_t real_port, char *err, size_t errlen)
{
    host_t *h = net_host_by_name(b->net, host);
    char a[16];
    if (!h) {
        snprintf(err, errlen, "no host %s in the simulation", host);
        return -1;
    }
    if (!bridge_addr_allowed(b, real_addr)) {
        snprintf(err, errlen, "%s: %s is not a loopback address", host,
                 addr_format(real_addr, a, sizeof a));
        return -1;
    }
    bridge_external_entry_t *e = xcalloc(1, sizeof *e);
    *e = (bridge_external_entry_t){b, h, sim_port, real_addr, real_port};
    if (tcp_listen(b->net, h, sim_port, external_accept, e) != 0) {
        snprintf(err, errlen, "%s: port %u already has a service", host, (unsigned)sim_port);
        free(e);
        return -1;
    }
    b->externals = xrealloc(b->externals, (b->nexternals + 1) * sizeof *b->externals);
    b->externals[b->nexternals++] = e;
    return 0;
}
