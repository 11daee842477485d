/*
 * The bridge in-process, over loopback only: real sockets of the test talk
 * to the simulated servers of the node fixture through a map, and a
 * simulated connection goes out to a real listener of the test through an
 * external host. The bridge's clock is the test's, so virtual time and the
 * idle limit move only when a test says so. Covers the byte pump both ways,
 * ends and refusals mirrored, the peer host, tracing of external sessions,
 * and every limit (connections, line length, bytes, idle time).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "bridge/external.h"
#include "net/tcp.h"
#include "node_fixture.h"
#include "proto/smtp_ext.h"

typedef struct bench {
    fixture_t f;
    bridge_t *b;
    int64_t now_us; /* the bridge's wall clock */
    char notices[4096];
} bench_t;

static int64_t fake_clock(void *ctx)
{
    return ((bench_t *)ctx)->now_us;
}

static void keep_notice(void *ctx, const char *line)
{
    bench_t *t = ctx;
    size_t used = strlen(t->notices);
    snprintf(t->notices + used, sizeof t->notices - used, "%s\n", line);
}

static void bench_init(bench_t *t, const bridge_limits_t *limits)
{
    memset(t, 0, sizeof *t);
    fixture_init(&t->f, SMTP_EXT_DEFAULT);
    t->now_us = 1000000;
    bridge_options_t opt;
    bridge_options_default(&opt);
    if (limits)
        opt.limits = *limits;
    opt.clock = fake_clock;
    opt.clock_ctx = t;
    opt.notice = keep_notice;
    opt.notice_ctx = t;
    t->b = bridge_new(t->f.w, &opt);
}

static void bench_free(bench_t *t)
{
    bridge_free(t->b);
    fixture_free(&t->f);
}

/* One turn of the loop after 5 ms of wall time (so 5 ms of virtual time). */
static void turn(bench_t *t)
{
    t->now_us += 5000;
    bridge_poll(t->b, 2);
}

static uint16_t map(bench_t *t, const char *host, uint16_t port)
{
    char err[256] = "";
    ck_assert_msg(bridge_map(t->b, "127.0.0.1", 0, host, port, err, sizeof err) == 0, "map: %s",
                  err);
    return bridge_map_port(t->b, bridge_map_count(t->b) - 1);
}

static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
    return fd;
}

static void say(int fd, const char *s)
{
    ck_assert_int_eq(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

/* A real peer's view: what it has read, and whether the stream ended. */
typedef struct peer {
    int fd;
    buf_t got;
    bool eof;
    bool reset;
} peer_t;

static void peer_read(peer_t *p)
{
    char data[4096];
    for (;;) {
        ssize_t n = recv(p->fd, data, sizeof data, 0);
        if (n > 0) {
            buf_append(&p->got, data, (size_t)n);
            continue;
        }
        if (n == 0)
            p->eof = true;
        else if (errno == ECONNRESET)
            p->eof = p->reset = true;
        return;
    }
}

static bool peer_has(peer_t *p, const char *text)
{
    peer_read(p);
    return strstr(buf_cstr(&p->got), text) != NULL;
}

/* Turns until the peer has read text (or its stream ended); false after 400 turns. */
static bool wait_for(bench_t *t, peer_t *p, const char *text)
{
    for (int i = 0; i < 400; i++) {
        if ((text && peer_has(p, text)) || (!text && (peer_read(p), p->eof)))
            return true;
        turn(t);
    }
    return false;
}

static void peer_free(peer_t *p)
{
    if (p->fd >= 0)
        close(p->fd);
    buf_free(&p->got);
}

/* --- maps ------------------------------------------------------------------- */

START_TEST(test_smtp_session_through_a_map)
{
    bench_t t;
    bench_init(&t, NULL);
    peer_t c = {.fd = dial(map(&t, "mail.roberto.example", 25))};
    ck_assert_msg(wait_for(&t, &c, "220 "), "no greeting; got \"%s\"", buf_cstr(&c.got));
    say(c.fd, "EHLO student\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<roberto@roberto.example>\r\n"
              "DATA\r\n");
    ck_assert_msg(wait_for(&t, &c, "354"), "no 354; got \"%s\"", buf_cstr(&c.got));
    say(c.fd, "Subject: from a real socket\r\n\r\nhello\r\n.\r\nQUIT\r\n");
    ck_assert_msg(wait_for(&t, &c, "221"), "no 221; got \"%s\"", buf_cstr(&c.got));
    ck_assert_msg(wait_for(&t, &c, NULL), "the server's close did not reach the real peer");
    ck_assert(!c.reset);
    close(c.fd); /* the real peer closes its side too */
    c.fd = -1;
    ck_assert_uint_eq(inbox_count(t.f.roberto_srv, "roberto"), 1);
    /* The real peer is a host of its own, and its session is traced as any other. */
    host_t *h = net_host_by_name(world_net(t.f.w), "real-1");
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(recorder_count(&t.f.rec, TRACE_TCP_CONNECT, "real-1"), 1);
    ck_assert_uint_ge(recorder_count(&t.f.rec, TRACE_SMTP_COMMAND, "mail.roberto.example"), 5);
    ck_assert_ptr_nonnull(strstr(t.notices, "127.0.0.1 is real-1"));
    bridge_stats_t st;
    bridge_stats(t.b, &st);
    ck_assert_uint_eq(st.accepted, 1);
    ck_assert_uint_eq(st.peers, 1);
    ck_assert_uint_eq(st.limited, 0);
    for (int i = 0; i < 10; i++)
        turn(&t);
    bridge_stats(t.b, &st);
    ck_assert_uint_eq(st.live, 0);
    peer_free(&c);
    bench_free(&t);
}
END_TEST

/* Two clients from one machine are one host; a client that ends its side
 * first (no QUIT) ends the simulated session too. */
START_TEST(test_pop3_and_half_close)
{
    bench_t t;
    bench_init(&t, NULL);
    uint16_t port = map(&t, "mail.roberto.example", 110);
    peer_t a = {.fd = dial(port)}, b = {.fd = dial(port)};
    ck_assert(wait_for(&t, &a, "+OK"));
    ck_assert(wait_for(&t, &b, "+OK"));
    say(a.fd, "USER roberto\r\nPASS secret\r\nSTAT\r\n");
    ck_assert_msg(wait_for(&t, &a, "+OK 0 0"), "got \"%s\"", buf_cstr(&a.got));
    shutdown(a.fd, SHUT_WR);
    ck_assert_msg(wait_for(&t, &a, NULL), "no end after the real peer's half-close");
    say(b.fd, "QUIT\r\n");
    ck_assert(wait_for(&t, &b, NULL));
    bridge_stats_t st;
    bridge_stats(t.b, &st);
    ck_assert_uint_eq(st.peers, 1);
    ck_assert_uint_eq(st.accepted, 2);
    peer_free(&a);
    peer_free(&b);
    bench_free(&t);
}
END_TEST

/* Nothing listens on the simulated port: the refusal reaches the real peer as a reset. */
START_TEST(test_refused_in_the_simulation)
{
    bench_t t;
    bench_init(&t, NULL);
    peer_t c = {.fd = dial(map(&t, "mail.roberto.example", 9))};
    ck_assert(wait_for(&t, &c, NULL));
    ck_assert(c.reset);
    ck_assert_str_eq(buf_cstr(&c.got), "");
    ck_assert_uint_eq(recorder_count(&t.f.rec, TRACE_TCP_REFUSED, "real-1"), 1);
    peer_free(&c);
    bench_free(&t);
}
END_TEST

/* With peer_host, real peers appear as a host the scenario declared. */
START_TEST(test_peer_as_a_declared_host)
{
    bench_t t;
    bench_init(&t, NULL);
    bridge_options_t opt;
    bridge_options_default(&opt);
    opt.peer_host = "no-such-pc";
    ck_assert_ptr_null(bridge_new(t.f.w, &opt));
    bridge_free(t.b);
    opt.peer_host = "alice-pc";
    opt.clock = fake_clock;
    opt.clock_ctx = &t;
    opt.notice = keep_notice;
    opt.notice_ctx = &t;
    t.b = bridge_new(t.f.w, &opt);
    ck_assert_ptr_nonnull(t.b);
    peer_t c = {.fd = dial(map(&t, "mail.roberto.example", 25))};
    ck_assert(wait_for(&t, &c, "220"));
    ck_assert_uint_eq(recorder_count(&t.f.rec, TRACE_TCP_CONNECT, "alice-pc"), 1);
    ck_assert_ptr_null(net_host_by_name(world_net(t.f.w), "real-1"));
    ck_assert_ptr_nonnull(strstr(t.notices, "127.0.0.1 is alice-pc"));
    peer_free(&c);
    bench_free(&t);
}
END_TEST

START_TEST(test_map_errors)
{
    bench_t t;
    bench_init(&t, NULL);
    char err[256];
    static const struct {
        const char *addr, *host, *want;
    } cases[] = {
        {"192.0.2.1", "mail.roberto.example", "not a loopback address"},
        {"0.0.0.0", "mail.roberto.example", "--listen-any"},
        {"127.0.0.1", "no.such.example", "no host no.such.example"},
        {"localhost", "mail.roberto.example", "not an IPv4 address"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        ck_assert_int_eq(bridge_map(t.b, cases[i].addr, 0, cases[i].host, 25, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].want), "case %zu: got \"%s\", want \"%s\" in it", i, err,
                      cases[i].want);
    }
    ck_assert_uint_eq(bridge_map_count(t.b), 0);
    bench_free(&t);
}
END_TEST

/* --- limits ----------------------------------------------------------------- */

static bridge_limits_t small_limits(void)
{
    return (bridge_limits_t){.max_conns = 2,
                             .max_line = 600,
                             .max_bytes = 4000,
                             .idle_us = 2000000,
                             .max_pending = 1 << 20};
}

START_TEST(test_connection_limit)
{
    bridge_limits_t lim = small_limits();
    bench_t t;
    bench_init(&t, &lim);
    uint16_t port = map(&t, "mail.roberto.example", 25);
    peer_t a = {.fd = dial(port)}, b = {.fd = dial(port)};
    ck_assert(wait_for(&t, &a, "220"));
    ck_assert(wait_for(&t, &b, "220"));
    peer_t c = {.fd = dial(port)};
    ck_assert(wait_for(&t, &c, NULL));
    ck_assert_str_eq(buf_cstr(&c.got), "");
    bridge_stats_t st;
    bridge_stats(t.b, &st);
    ck_assert_uint_eq(st.refused, 1);
    ck_assert_ptr_nonnull(strstr(t.notices, "too many connections (2)"));
    /* The two admitted ones still work. */
    say(a.fd, "NOOP\r\n");
    say(b.fd, "NOOP\r\n");
    ck_assert(wait_for(&t, &a, "250"));
    ck_assert(wait_for(&t, &b, "250"));
    peer_free(&a);
    peer_free(&b);
    peer_free(&c);
    bench_free(&t);
}
END_TEST

/* A peer that sends garbage without line ends, or too much, is cut off; a
 * well-behaved one beside it is not held up. */
START_TEST(test_line_and_byte_limits)
{
    bridge_limits_t lim = small_limits();
    bench_t t;
    bench_init(&t, &lim);
    uint16_t port = map(&t, "mail.roberto.example", 25);
    peer_t bad = {.fd = dial(port)}, good = {.fd = dial(port)};
    ck_assert(wait_for(&t, &good, "220"));
    char junk[700];
    memset(junk, 'x', sizeof junk);
    ck_assert_int_eq(send(bad.fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    ck_assert(wait_for(&t, &bad, NULL));
    ck_assert_ptr_nonnull(strstr(t.notices, "more than 600 bytes without a line end"));
    say(good.fd, "NOOP\r\n");
    ck_assert(wait_for(&t, &good, "250 2.0.0"));
    /* Lines of 100 bytes, 4,000 bytes in all: the byte limit. */
    peer_t chatty = {.fd = dial(port)};
    ck_assert(wait_for(&t, &chatty, "220"));
    char line[101];
    memset(line, 'n', 98);
    memcpy(line + 98, "\r\n", 3);
    for (int i = 0; i < 41 && !chatty.eof; i++) {
        send(chatty.fd, line, 100, MSG_NOSIGNAL);
        turn(&t);
        peer_read(&chatty);
    }
    ck_assert(wait_for(&t, &chatty, NULL));
    ck_assert_ptr_nonnull(strstr(t.notices, "more than 4000 bytes sent in one connection"));
    bridge_stats_t st;
    bridge_stats(t.b, &st);
    ck_assert_uint_eq(st.limited, 2);
    peer_free(&bad);
    peer_free(&good);
    peer_free(&chatty);
    bench_free(&t);
}
END_TEST

START_TEST(test_idle_limit)
{
    bridge_limits_t lim = small_limits();
    bench_t t;
    bench_init(&t, &lim);
    peer_t c = {.fd = dial(map(&t, "mail.roberto.example", 25))};
    ck_assert(wait_for(&t, &c, "220"));
    /* Less than the limit: still open. */
    for (int i = 0; i < 200; i++)
        turn(&t);
    peer_read(&c);
    ck_assert(!c.eof);
    for (int i = 0; i < 400 && !c.eof; i++) {
        turn(&t);
        peer_read(&c);
    }
    ck_assert(c.eof);
    ck_assert_ptr_nonnull(strstr(t.notices, "idle too long"));
    peer_free(&c);
    bench_free(&t);
}
END_TEST

/* --- external hosts --------------------------------------------------------- */

/* The test's own real server: a listening socket on a free loopback port. */
static int real_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A simulated client's view of its connection. */
typedef struct sim_client {
    buf_t got;
    bool connected, closed, failed;
    tcp_error_t err;
} sim_client_t;

static void sc_connected(tcp_conn_t *c, void *ctx)
{
    ((sim_client_t *)ctx)->connected = true;
}
static void sc_data(tcp_conn_t *c, const uint8_t *d, size_t n, void *ctx)
{
    buf_append(&((sim_client_t *)ctx)->got, d, n);
}
/* The server ended: so does the client, as an SMTP client does after QUIT. */
static void sc_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}
static void sc_closed(tcp_conn_t *c, void *ctx)
{
    ((sim_client_t *)ctx)->closed = true;
}
static void sc_error(tcp_conn_t *c, tcp_error_t e, void *ctx)
{
    ((sim_client_t *)ctx)->failed = true;
    ((sim_client_t *)ctx)->err = e;
}
static const tcp_callbacks_t sc_callbacks = {.on_connected = sc_connected,
                                             .on_data = sc_data,
                                             .on_peer_closed = sc_peer_closed,
                                             .on_closed = sc_closed,
                                             .on_error = sc_error};

static host_t *add_external_host(bench_t *t)
{
    host_t *h = net_host_add(world_net(t->f.w), "mx.ext.example", 0xCB007150u);
    ck_assert_ptr_nonnull(h);
    return h;
}

START_TEST(test_external_server)
{
    bench_t t;
    bench_init(&t, NULL);
    host_t *ext = add_external_host(&t);
    uint16_t port;
    int lfd = real_listener(&port);
    char err[256] = "";
    ck_assert_msg(bridge_external(t.b, "mx.ext.example", 25, 0x7F000001u, port, err, sizeof err) ==
                      0,
                  "%s", err);
    ck_assert(tcp_is_listening(world_net(t.f.w), ext, 25));
    net_t *net = world_net(t.f.w);
    sim_client_t sc = {0};
    host_t *from = net_host_by_name(net, "mail.alice.example");
    tcp_conn_t *c = tcp_connect(net, from, host_addr(ext), 25, &sc_callbacks, &sc);
    ck_assert_ptr_nonnull(c);
    int rfd = -1;
    for (int i = 0; i < 400 && rfd < 0; i++) {
        turn(&t);
        rfd = accept(lfd, NULL, NULL);
    }
    ck_assert_int_ge(rfd, 0);
    fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL, 0) | O_NONBLOCK);
    peer_t real = {.fd = rfd};
    say(rfd, "220 real.example ESMTP\r\n");
    for (int i = 0; i < 400 && !strstr(buf_cstr(&sc.got), "220 real"); i++)
        turn(&t);
    ck_assert_str_eq(buf_cstr(&sc.got), "220 real.example ESMTP\r\n");
    tcp_send(c, "EHLO mail.alice.example\r\nDATA\r\n", 31);
    ck_assert(wait_for(&t, &real, "DATA\r\n"));
    say(rfd, "250 ok\r\n354 go\r\n");
    for (int i = 0; i < 400 && !strstr(buf_cstr(&sc.got), "354"); i++)
        turn(&t);
    tcp_send(c, "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", 29);
    ck_assert(wait_for(&t, &real, "QUIT\r\n"));
    say(rfd, "221 bye\r\n");
    close(rfd);
    real.fd = -1;
    for (int i = 0; i < 400 && !sc.closed && !sc.failed; i++)
        turn(&t);
    ck_assert_str_eq(buf_cstr(&sc.got),
                     "220 real.example ESMTP\r\n250 ok\r\n354 go\r\n221 bye\r\n");
    ck_assert_msg(sc.closed && !sc.failed, "closed %d failed %d", sc.closed, sc.failed);
    /* The lines are traced at the external host; the message text is not. */
    ck_assert_uint_eq(recorder_count(&t.f.rec, TRACE_SMTP_COMMAND, "mx.ext.example"), 3);
    ck_assert_uint_eq(recorder_count(&t.f.rec, TRACE_SMTP_REPLY, "mx.ext.example"), 4);
    const trace_event_t *last = NULL;
    for (size_t i = 0; i < t.f.rec.n; i++)
        if (t.f.rec.events[i]->kind == TRACE_SMTP_COMMAND)
            last = t.f.rec.events[i];
    ck_assert_str_eq(last->line, "QUIT");
    ck_assert_str_eq(last->verb, "QUIT");
    ck_assert_str_eq(last->from, "mail.alice.example");
    ck_assert_str_eq(last->to, "mx.ext.example");
    bridge_stats_t st;
    bridge_stats(t.b, &st);
    ck_assert_uint_eq(st.outbound, 1);
    peer_free(&real);
    close(lfd);
    buf_free(&sc.got);
    bench_free(&t);
}
END_TEST

/* No real server on the port: the simulated client's connection is reset. */
START_TEST(test_external_unreachable)
{
    bench_t t;
    bench_init(&t, NULL);
    host_t *ext = add_external_host(&t);
    uint16_t port;
    int lfd = real_listener(&port);
    close(lfd); /* the port is free now, and nothing listens there */
    char err[256] = "";
    ck_assert_int_eq(bridge_external(t.b, "mx.ext.example", 25, 0x7F000001u, port, err, sizeof err),
                     0);
    ck_assert_int_eq(bridge_external(t.b, "mx.ext.example", 25, 0x7F000001u, port, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "already has a service"));
    ck_assert_int_eq(bridge_external(t.b, "mx.ext.example", 26, 0x0A000001u, port, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "not a loopback address"));
    sim_client_t sc = {0};
    net_t *net = world_net(t.f.w);
    tcp_connect(net, net_host_by_name(net, "mail.alice.example"), host_addr(ext), 25, &sc_callbacks,
                &sc);
    for (int i = 0; i < 400 && !sc.failed; i++)
        turn(&t);
    ck_assert(sc.failed);
    ck_assert_int_eq(sc.err, TCP_ERR_RESET);
    ck_assert_ptr_nonnull(strstr(t.notices, "Connection refused"));
    buf_free(&sc.got);
    bench_free(&t);
}
END_TEST

Suite *bridge_suite(void)
{
    Suite *s = suite_create("bridge");
    TCase *tc = tcase_create("loopback");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_smtp_session_through_a_map);
    tcase_add_test(tc, test_pop3_and_half_close);
    tcase_add_test(tc, test_refused_in_the_simulation);
    tcase_add_test(tc, test_peer_as_a_declared_host);
    tcase_add_test(tc, test_map_errors);
    tcase_add_test(tc, test_connection_limit);
    tcase_add_test(tc, test_line_and_byte_limits);
    tcase_add_test(tc, test_idle_limit);
    tcase_add_test(tc, test_external_server);
    tcase_add_test(tc, test_external_unreachable);
    suite_add_tcase(s, tc);
    return s;
}
