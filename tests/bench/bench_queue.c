/*
 * Queue memory: heap bytes per queued message beyond its body. Alice's
 * server queues N messages for a domain whose only server is down, so they
 * stay queued; the heap in use (glibc mallinfo2, plus the blocks the store
 * maps itself for message bodies) is read before the first send and once
 * every delivery attempt has failed. What it counts is all the
 * world keeps per message while it waits: the queue entry and its
 * recipient, the accounting record, the scheduler's retry timer, the
 * world's Message-ID label and the sending agent's outcome. The stored
 * size of the message itself is subtracted: it is measured on a probe copy
 * delivered locally (the queued copy is the same less its Return-Path line).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/store.h"
#include "node/agent.h"
#include "node/server.h"
#include "node/world.h"

#define N 10000u
#define AGENTS 100u
#define BODY_BYTES 2048u

static char body[BODY_BYTES + 1];

static void fail(const char *what, const char *err)
{
    fprintf(stderr, "bench_queue: %s: %s\n", what, err);
    exit(1);
}

static mail_server_t *add_server(world_t *w, const char *host, const char *domain, uint32_t addr)
{
    server_config_t cfg;
    server_config_for_domain(&cfg, host, addr, &domain);
    char err[200];
    mail_server_t *s = world_add_server(w, &cfg, err, sizeof err);
    if (!s)
        fail("server", err);
    return s;
}

/* Sends with a fixed-width id, so every copy has the same size. */
static void send_to(user_agent_t *a, unsigned n, const char *to)
{
    char id[16];
    snprintf(id, sizeof id, "m%06u", n);
    agent_send_t m = {.id = id, .to = &to, .nto = 1, .subject = "queued", .body = body};
    char err[200];
    if (!agent_send(a, &m, err, sizeof err))
        fail("send", err);
}

/* malloc's heap in use, and the blocks message bodies are cut from, which
 * the store maps itself (mallinfo2 does not see them). */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    store_body_stats_t bodies;
    store_body_stats(&bodies);
    return mi.uordblks + mi.hblkhd + bodies.blocks * STORE_BODY_BLOCK;
}

/* The size of a queued copy: a local copy of the same message, less its Return-Path. */
static size_t probe_size(world_t *w, mail_server_t *s, user_agent_t *a)
{
    send_to(a, 0, "alice@alice.example");
    world_run_until(w, world_now(w) + SIM_MIN);
    const store_msg_t *m = store_msg_by_seq(
        store_inbox(store_find_user(server_store(s), "alice")), 1);
    if (!m)
        fail("probe", "the local copy did not arrive");
    const char *data = (const char *)store_msg_data(m);
    const char *eol = strstr(data, "\r\n");
    if (strncmp(data, "Return-Path:", 12) != 0 || !eol)
        fail("probe", "the local copy has no Return-Path line");
    return store_msg_size(m) - (size_t)(eol + 2 - data);
}

int main(void)
{
    for (size_t i = 0; i < BODY_BYTES; i++)
        body[i] = (i % 64 == 63) ? '\n' : (char)('a' + (i / 64 + i) % 26);
    world_t *w = world_new(1);
    mail_server_t *alice = add_server(w, "mail.alice.example", "alice.example", 0xC000020Au);
    add_server(w, "mail.roberto.example", "roberto.example", 0xC6336414u);
    char err[200];
    if (!server_add_user(alice, "alice", "wonderland", "alice", err, sizeof err))
        fail("user", err);
    user_agent_t *agents[AGENTS];
    for (uint32_t i = 0; i < AGENTS; i++) {
        char host[32];
        snprintf(host, sizeof host, "alice-pc%u", i);
        agents[i] = world_add_agent(w, host, 0x0A000001u + i, "alice@alice.example",
                                    "wonderland", alice, err, sizeof err);
        if (!agents[i])
            fail("agent", err);
    }
    size_t msg_size = probe_size(w, alice, agents[0]);
    world_host_down(w, "mail.roberto.example");
    size_t before = heap_in_use();
    for (unsigned i = 0; i < N; i++)
        send_to(agents[i % AGENTS], i + 1, "roberto@roberto.example");
    /* Past every failed first attempt, short of the first retry (30 minutes). */
    world_run_until(w, world_now(w) + 20 * SIM_MIN);
    size_t after = heap_in_use();
    size_t queued = server_queue_count(alice);
    queue_view_t v;
    for (size_t i = 0; i < queued; i++)
        if (server_queue_at(alice, i, &v) && (v.in_flight || v.attempts != 1))
            fail("queue", "an entry is still in flight or was tried more than once");
    if (queued != N) {
        fprintf(stderr, "bench_queue: %zu messages queued, want %u\n", queued, N);
        return 1;
    }
    double per = ((double)after - (double)before - (double)N * (double)msg_size) / N;
    fprintf(stderr, "bench_queue: %u queued, %zu-octet messages, heap %+.1f MB\n", N, msg_size,
            ((double)after - (double)before) / 1e6);
    printf("BENCH queue_bytes_per_msg %.0f bytes\n", per);
    world_free(w);
    return 0;
}
