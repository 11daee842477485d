/*
 * node_fixture: a two-domain world (Alice's and Roberto's servers, their
 * PCs) and an event recorder, shared by the node tests.
 */
#ifndef MAILSIM_TESTS_NODE_FIXTURE_H
#define MAILSIM_TESTS_NODE_FIXTURE_H

#include "node/agent.h"
#include "node/server.h"
#include "node/world.h"

typedef struct recorder {
    trace_event_t **events;
    size_t n, cap;
} recorder_t;

typedef struct fixture {
    world_t *w;
    mail_server_t *alice_srv, *roberto_srv;
    user_agent_t *alice_pc, *roberto_pc;
    recorder_t rec;
} fixture_t;

/* extensions: what Roberto's server offers on port 25. */
void fixture_init(fixture_t *f, unsigned roberto_extensions);
void fixture_free(fixture_t *f);
/* Alice sends one message now. */
void fixture_send(fixture_t *f, const char *id, const char *to, const char *subject,
                  const char *body);
size_t recorder_count(const recorder_t *r, trace_kind_t kind, const char *host);
/* The time of the nth (0-based) matching event, or -1. */
sim_time_t recorder_time(const recorder_t *r, trace_kind_t kind, const char *host, size_t nth);
size_t inbox_count(mail_server_t *s, const char *user);
/* Decoded text of the first text part of the INBOX message at seq, into out. */
void inbox_text(mail_server_t *s, const char *user, uint32_t seq, buf_t *out);
/* True when the accounting check passes; prints the violations otherwise. */
bool accounting_ok(world_t *w);

#endif
