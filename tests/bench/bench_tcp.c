/*
 * Bulk TCP: one lossless 100 MB transfer between two hosts on the default
 * path, tracing off. The sender refills its queue from on_acked, as a real
 * application would, so the queue stays small. Prints simulated megabytes
 * moved per wall-clock second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sim.h"
#include "net/net.h"
#include "net/tcp.h"

#define TOTAL (100u * 1000u * 1000u)
#define CHUNK (256u * 1024u)

typedef struct bulk {
    uint8_t chunk[CHUNK];
    size_t queued;   /* bytes handed to tcp_send */
    size_t received; /* bytes the server got */
    int closed;
    sim_t *sim;
    sim_time_t done_at; /* virtual time of the last byte */
} bulk_t;

static void refill(tcp_conn_t *c, bulk_t *b)
{
    while (b->queued < TOTAL && tcp_conn_unsent(c) < CHUNK) {
        size_t n = TOTAL - b->queued < CHUNK ? TOTAL - b->queued : CHUNK;
        tcp_send(c, b->chunk, n);
        b->queued += n;
    }
    if (b->queued == TOTAL)
        tcp_shutdown(c);
}

static void on_connected(tcp_conn_t *c, void *ctx)
{
    refill(c, ctx);
}

static void on_acked(tcp_conn_t *c, size_t n, void *ctx)
{
    refill(c, ctx);
}

static void on_closed(tcp_conn_t *c, void *ctx)
{
    bulk_t *b = ctx;
    b->closed++;
}

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    bulk_t *b = ctx;
    b->received += len;
    if (b->received == TOTAL)
        b->done_at = sim_now(b->sim);
}

static void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}

static void on_accept(tcp_conn_t *c, void *ctx)
{
    static const tcp_callbacks_t cb = {
        .on_data = on_data, .on_peer_closed = on_peer_closed, .on_closed = on_closed};
    tcp_conn_set_callbacks(c, &cb, ctx);
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    static bulk_t b;
    memset(b.chunk, 'm', sizeof b.chunk);
    sim_t *sim = sim_new(1);
    b.sim = sim;
    net_t *net = net_new(sim);
    host_t *client = net_host_add(net, "client.example", 0xC0000201u);
    host_t *server = net_host_add(net, "server.example", 0xC6336414u);
    tcp_listen(net, server, 9, on_accept, &b);
    static const tcp_callbacks_t cb = {
        .on_connected = on_connected, .on_acked = on_acked, .on_closed = on_closed};
    double t0 = wall_seconds();
    tcp_connect(net, client, host_addr(server), 9, &cb, &b);
    sched_run(sim->sched);
    double dt = wall_seconds() - t0;
    if (b.received != TOTAL || b.closed != 2) {
        fprintf(stderr, "bench_tcp: received %zu of %u bytes, %d of 2 ends closed\n", b.received,
                TOTAL, b.closed);
        return 1;
    }
    fprintf(stderr, "bench_tcp: 100 MB in %.1f s of virtual time, %.3f s of wall time\n",
            (double)b.done_at / 1e6, dt);
    printf("BENCH tcp_bulk_mb_per_s %.0f MB/s\n", (double)TOTAL / 1e6 / dt);
    net_free(net);
    sim_free(sim);
    return 0;
}
