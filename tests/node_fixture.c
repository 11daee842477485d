/* node_fixture: the Alice-and-Roberto world the node tests share. */
#include "node_fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"
#include "node/accounting.h"
#include "proto/smtp_ext.h"

static void record(void *ctx, const trace_event_t *ev)
{
    recorder_t *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->events = realloc(r->events, r->cap * sizeof *r->events);
    }
    r->events[r->n++] = trace_event_copy(ev);
}

static mail_server_t *add_server(world_t *w, const char *host, const char *domain,
                                 uint32_t addr, unsigned ext)
{
    server_config_t cfg;
    server_config_for_domain(&cfg, host, addr, &domain);
    cfg.extensions = ext;
    char err[200];
    mail_server_t *s = world_add_server(w, &cfg, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    return s;
}

void fixture_init(fixture_t *f, unsigned roberto_extensions)
{
    memset(f, 0, sizeof *f);
    f->w = world_new(1);
    trace_subscribe(&world_sim(f->w)->trace, record, &f->rec);
    char err[200];
    f->alice_srv = add_server(f->w, "mail.alice.example", "alice.example", 0xC000020Au,
                              SMTP_EXT_DEFAULT);
    f->roberto_srv = add_server(f->w, "mail.roberto.example", "roberto.example", 0xC6336414u,
                                roberto_extensions);
    ck_assert(server_add_user(f->alice_srv, "alice", "wonderland", "Alice", err, sizeof err));
    ck_assert(server_add_user(f->roberto_srv, "roberto", "secret", "Ρομπέρτο", err, sizeof err));
    f->alice_pc = world_add_agent(f->w, "alice-pc", 0xC0000264u, "alice@alice.example",
                                  "wonderland", f->alice_srv, err, sizeof err);
    ck_assert_msg(f->alice_pc != NULL, "%s", err);
    f->roberto_pc = world_add_agent(f->w, "roberto-pc", 0xC6336464u, "roberto@roberto.example",
                                    "secret", f->roberto_srv, err, sizeof err);
    ck_assert_msg(f->roberto_pc != NULL, "%s", err);
}

void fixture_free(fixture_t *f)
{
    trace_unsubscribe(&world_sim(f->w)->trace, record, &f->rec);
    for (size_t i = 0; i < f->rec.n; i++)
        trace_event_free_copy(f->rec.events[i]);
    free(f->rec.events);
    world_free(f->w);
}

void fixture_send(fixture_t *f, const char *id, const char *to, const char *subject,
                  const char *body)
{
    agent_send_t m = {.id = id, .to = &to, .nto = 1, .subject = subject, .body = body};
    char err[200];
    ck_assert_msg(agent_send(f->alice_pc, &m, err, sizeof err), "%s", err);
}

static bool matches(const trace_event_t *ev, trace_kind_t kind, const char *host)
{
    return ev->kind == kind && (!host || (ev->host && strcmp(ev->host, host) == 0));
}

size_t recorder_count(const recorder_t *r, trace_kind_t kind, const char *host)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (matches(r->events[i], kind, host))
            n++;
    return n;
}

sim_time_t recorder_time(const recorder_t *r, trace_kind_t kind, const char *host, size_t nth)
{
    for (size_t i = 0; i < r->n; i++)
        if (matches(r->events[i], kind, host) && nth-- == 0)
            return r->events[i]->t;
    return -1;
}

size_t inbox_count(mail_server_t *s, const char *user)
{
    store_user_t *u = store_find_user(server_store(s), user);
    ck_assert_msg(u != NULL, "no user %s", user);
    return store_folder_msg_count(store_inbox(u));
}

void inbox_text(mail_server_t *s, const char *user, uint32_t seq, buf_t *out)
{
    store_user_t *u = store_find_user(server_store(s), user);
    const store_msg_t *m = store_msg_by_seq(store_inbox(u), seq);
    ck_assert_msg(m != NULL, "no message %u for %s", seq, user);
    mime_part_t *root = mime_parse(store_msg_data(m), store_msg_size(m));
    const mime_part_t *text = mime_part_section(root, "1");
    if (!text || !mime_part_is(text, "text", NULL))
        text = root;
    mime_part_text(text, out);
    mime_free(root);
}

bool accounting_ok(world_t *w)
{
    buf_t out = BUF_INIT;
    bool ok = accounting_check(world_accounting(w), w, &out);
    if (!ok)
        fprintf(stderr, "accounting: %s", buf_cstr(&out));
    buf_free(&out);
    return ok;
}
