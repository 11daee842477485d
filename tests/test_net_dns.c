/* The simulated DNS: zone answers, MX order, run-time changes, faults, latency, cancel, trace. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/sim.h"
#include "core/util.h"
#include "net/dns.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

/* What one callback saw, copied out of the borrowed answer. */
typedef struct got {
    int calls;
    sim_time_t at;
    dns_status_t status;
    dns_type_t type;
    char name[64];
    uint32_t addrs[4];
    size_t naddrs;
    char mx_host[8][64];
    int mx_pref[8];
    size_t nmx;
    sim_t *sim;
} got_t;

static void on_answer(const dns_answer_t *a, void *ctx)
{
    got_t *g = ctx;
    g->calls++;
    g->at = sim_now(g->sim);
    g->status = a->status;
    g->type = a->type;
    snprintf(g->name, sizeof(g->name), "%s", a->name);
    g->naddrs = a->naddrs;
    for (size_t i = 0; i < a->naddrs && i < 4; i++)
        g->addrs[i] = a->addrs[i];
    g->nmx = a->nmx;
    for (size_t i = 0; i < a->nmx && i < 8; i++) {
        snprintf(g->mx_host[i], sizeof(g->mx_host[i]), "%s", a->mx[i].host);
        g->mx_pref[i] = a->mx[i].preference;
    }
}

/* Asks and runs the scheduler until the answer is in. */
static got_t ask(sim_t *sim, dns_t *dns, const char *name, dns_type_t type)
{
    got_t g = {.sim = sim};
    dns_query(dns, "mail.alice.example", name, type, on_answer, &g);
    sched_run(sim->sched);
    ck_assert_msg(g.calls == 1, "%s: callback ran %d times, want 1", name, g.calls);
    return g;
}

static void assert_status(const got_t *g, dns_status_t want)
{
    ck_assert_msg(g->status == want, "%s: status %s, want %s", g->name, dns_status_name(g->status),
                  dns_status_name(want));
}

START_TEST(test_mx_sorted_by_preference_ties_in_set_order)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    char hosts[4][32] = {"c.roberto.example", "a.roberto.example", "b.roberto.example",
                         "a2.roberto.example"};
    dns_mx_t mx[] = {{hosts[0], 30}, {hosts[1], 10}, {hosts[2], 20}, {hosts[3], 10}};
    dns_set_mx(dns, "roberto.example", mx, ARRAY_LEN(mx));
    /* The set is copied: the caller's strings may change afterwards. */
    strcpy(hosts[1], "changed.example");
    mx[0].preference = 1;

    const char *want_host[] = {"a.roberto.example", "a2.roberto.example", "b.roberto.example",
                               "c.roberto.example"};
    int want_pref[] = {10, 10, 20, 30};
    got_t g = ask(sim, dns, "roberto.example", DNS_MX);
    assert_status(&g, DNS_OK);
    ck_assert_uint_eq(g.nmx, 4);
    ck_assert_uint_eq(g.naddrs, 0);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_msg(strcmp(g.mx_host[i], want_host[i]) == 0, "mx[%zu] = %s, want %s", i,
                      g.mx_host[i], want_host[i]);
        ck_assert_int_eq(g.mx_pref[i], want_pref[i]);
    }

    dns_answer_t now;
    ck_assert_int_eq(dns_lookup_now(dns, "roberto.example", DNS_MX, &now), DNS_OK);
    ck_assert_uint_eq(now.nmx, 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(now.mx[i].host, want_host[i]);
    dns_free(dns);
    sim_free(sim);
}
END_TEST

START_TEST(test_a_lookup_and_name_folding)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_set_a(dns, "Mail.Roberto.Example.", IP4(198, 51, 100, 20));
    static const char *const spellings[] = {"mail.roberto.example", "MAIL.ROBERTO.EXAMPLE",
                                            "mail.roberto.example.", "Mail.Roberto.Example"};
    for (size_t i = 0; i < ARRAY_LEN(spellings); i++) {
        got_t g = ask(sim, dns, spellings[i], DNS_A);
        assert_status(&g, DNS_OK);
        ck_assert_int_eq(g.type, DNS_A);
        ck_assert_str_eq(g.name, "mail.roberto.example");
        ck_assert_uint_eq(g.naddrs, 1);
        ck_assert_msg(g.addrs[0] == IP4(198, 51, 100, 20), "%s: addr %08x", spellings[i],
                      (unsigned)g.addrs[0]);
        ck_assert_uint_eq(g.nmx, 0);
    }
    /* A differs from its neighbour by more than case. */
    got_t g = ask(sim, dns, "mail.roberto.exampl", DNS_A);
    assert_status(&g, DNS_NXDOMAIN);
    g = ask(sim, dns, "mail.roberto.example..", DNS_A);
    assert_status(&g, DNS_NXDOMAIN);
    dns_free(dns);
    sim_free(sim);
}
END_TEST

/* RFC 5321 5.1: no MX but an A record means "use the A record": the resolver says NODATA. */
START_TEST(test_a_only_domain_answers_mx_nodata)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_set_a(dns, "roberto.example", IP4(198, 51, 100, 25));
    got_t g = ask(sim, dns, "roberto.example", DNS_MX);
    assert_status(&g, DNS_NODATA);
    ck_assert_uint_eq(g.nmx, 0);
    g = ask(sim, dns, "roberto.example", DNS_A);
    assert_status(&g, DNS_OK);

    /* And the other way: MX only, asked for A. */
    dns_mx_t mx[] = {{"mail.bob.example", 5}};
    dns_set_mx(dns, "bob.example", mx, 1);
    g = ask(sim, dns, "bob.example", DNS_A);
    assert_status(&g, DNS_NODATA);
    ck_assert_uint_eq(g.naddrs, 0);
    dns_free(dns);
    sim_free(sim);
}
END_TEST

START_TEST(test_nxdomain)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_set_a(dns, "mail.roberto.example", IP4(198, 51, 100, 20));
    const dns_type_t types[] = {DNS_A, DNS_MX};
    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        got_t g = ask(sim, dns, "nowhere.example", types[i]);
        assert_status(&g, DNS_NXDOMAIN);
        ck_assert_str_eq(g.name, "nowhere.example");
        ck_assert_uint_eq(g.naddrs + g.nmx, 0);
    }
    dns_answer_t now;
    ck_assert_int_eq(dns_lookup_now(dns, "", DNS_A, &now), DNS_NXDOMAIN);
    ck_assert_int_eq(dns_lookup_now(dns, ".", DNS_MX, &now), DNS_NXDOMAIN);
    dns_free(dns);
    sim_free(sim);
}
END_TEST

START_TEST(test_changes_at_run_time)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_answer_t now;
    dns_mx_t first[] = {{"mail.roberto.example", 10}};
    dns_mx_t second[] = {{"backup.roberto.example", 20}, {"new.roberto.example", 5}};
    dns_set_mx(dns, "roberto.example", first, 1);
    dns_set_a(dns, "roberto.example", IP4(198, 51, 100, 1));

    /* Replacing the MX set and the A record. */
    dns_set_mx(dns, "roberto.example", second, 2);
    dns_set_a(dns, "roberto.example", IP4(198, 51, 100, 2));
    got_t g = ask(sim, dns, "roberto.example", DNS_MX);
    ck_assert_uint_eq(g.nmx, 2);
    ck_assert_str_eq(g.mx_host[0], "new.roberto.example");
    ck_assert_str_eq(g.mx_host[1], "backup.roberto.example");
    g = ask(sim, dns, "roberto.example", DNS_A);
    ck_assert_uint_eq(g.addrs[0], IP4(198, 51, 100, 2));

    /* Removing the MX leaves the A: MX is now NODATA. */
    dns_remove_mx(dns, "Roberto.Example.");
    g = ask(sim, dns, "roberto.example", DNS_MX);
    assert_status(&g, DNS_NODATA);
    /* Removing the A too: the name is gone. */
    dns_remove_a(dns, "roberto.example");
    g = ask(sim, dns, "roberto.example", DNS_A);
    assert_status(&g, DNS_NXDOMAIN);
    ck_assert_int_eq(dns_lookup_now(dns, "roberto.example", DNS_MX, &now), DNS_NXDOMAIN);
    /* Removing what is not there is harmless; n == 0 removes a set. */
    dns_remove_a(dns, "roberto.example");
    dns_remove_mx(dns, "nowhere.example");
    dns_set_mx(dns, "roberto.example", first, 1);
    dns_set_mx(dns, "roberto.example", NULL, 0);
    ck_assert_int_eq(dns_lookup_now(dns, "roberto.example", DNS_MX, &now), DNS_NXDOMAIN);
    dns_free(dns);
    sim_free(sim);
}
END_TEST

/*
 * A zone of 2,000 names, every third taken away again (its A, its MX, or a
 * fault set and cleared): each name left answers with its own record, in
 * any case, and the names taken away are gone.
 */
START_TEST(test_large_zone_with_removals)
{
    enum { NAMES = 2000 };
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    char name[40], upper[40];
    dns_answer_t a;
    for (uint32_t i = 0; i < NAMES; i++) {
        snprintf(name, sizeof name, "host%u.example", i);
        dns_set_a(dns, name, IP4(10, 0, i / 256, i % 256));
        if (i % 7 == 0) {
            dns_mx_t mx = {name, 10};
            dns_set_mx(dns, name, &mx, 1);
        }
    }
    for (uint32_t i = 0; i < NAMES; i += 3) {
        snprintf(name, sizeof name, "host%u.example", i);
        dns_remove_a(dns, name);
        dns_remove_mx(dns, name);
        dns_set_failing(dns, name, true);
        dns_set_failing(dns, name, false);
    }
    for (uint32_t i = 0; i < NAMES; i++) {
        snprintf(name, sizeof name, "host%u.example", i);
        snprintf(upper, sizeof upper, "HOST%u.Example.", i);
        dns_status_t st = dns_lookup_now(dns, upper, DNS_A, &a);
        if (i % 3 == 0) {
            ck_assert_msg(st == DNS_NXDOMAIN, "%s: %s", upper, dns_status_name(st));
            continue;
        }
        ck_assert_msg(st == DNS_OK, "%s: %s", upper, dns_status_name(st));
        ck_assert_str_eq(a.name, name);
        ck_assert_uint_eq(a.addrs[0], IP4(10, 0, i / 256, i % 256));
        st = dns_lookup_now(dns, name, DNS_MX, &a);
        ck_assert_int_eq(st, i % 7 == 0 ? DNS_OK : DNS_NODATA);
        if (st == DNS_OK)
            ck_assert_str_eq(a.mx[0].host, name);
    }
    dns_free(dns);
    sim_free(sim);
}
END_TEST

/* The server reads the zone when the query arrives: a change in flight shows next time. */
START_TEST(test_answer_reflects_zone_at_query_time)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_mx_t mx[] = {{"mail.roberto.example", 10}};
    dns_set_mx(dns, "roberto.example", mx, 1);
    got_t g = {.sim = sim};
    dns_query(dns, "mail.alice.example", "roberto.example", DNS_MX, on_answer, &g);
    dns_remove_mx(dns, "roberto.example");
    sched_run(sim->sched);
    ck_assert_int_eq(g.calls, 1);
    assert_status(&g, DNS_OK);
    ck_assert_uint_eq(g.nmx, 1);
    ck_assert_str_eq(g.mx_host[0], "mail.roberto.example");
    g = ask(sim, dns, "roberto.example", DNS_MX);
    assert_status(&g, DNS_NXDOMAIN);
    dns_free(dns);
    sim_free(sim);
}
END_TEST

START_TEST(test_servfail_while_failing)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_mx_t mx[] = {{"mail.roberto.example", 10}};
    dns_set_mx(dns, "roberto.example", mx, 1);
    dns_set_failing(dns, "ROBERTO.example", true);
    got_t g = ask(sim, dns, "roberto.example", DNS_MX);
    assert_status(&g, DNS_SERVFAIL);
    ck_assert_uint_eq(g.nmx, 0);
    g = ask(sim, dns, "roberto.example", DNS_A);
    assert_status(&g, DNS_SERVFAIL);
    /* Other names are not affected. */
    g = ask(sim, dns, "alice.example", DNS_MX);
    assert_status(&g, DNS_NXDOMAIN);

    dns_set_failing(dns, "roberto.example", false);
    g = ask(sim, dns, "roberto.example", DNS_MX);
    assert_status(&g, DNS_OK);

    /* A name with no record can fail too, and is unknown again after. */
    dns_set_failing(dns, "ghost.example", true);
    g = ask(sim, dns, "ghost.example", DNS_A);
    assert_status(&g, DNS_SERVFAIL);
    dns_set_failing(dns, "ghost.example", false);
    g = ask(sim, dns, "ghost.example", DNS_A);
    assert_status(&g, DNS_NXDOMAIN);
    dns_free(dns);
    sim_free(sim);
}
END_TEST

START_TEST(test_latency_is_respected)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_set_a(dns, "mail.roberto.example", IP4(198, 51, 100, 20));
    ck_assert_int_eq(dns_latency(dns), 5 * SIM_MS);

    got_t g = ask(sim, dns, "mail.roberto.example", DNS_A);
    ck_assert_int_eq(g.at, 5 * SIM_MS);

    dns_set_latency(dns, 120 * SIM_MS);
    sched_run_until(sim->sched, 2 * SIM_SEC);
    got_t late = {.sim = sim};
    dns_query(dns, "mail.alice.example", "mail.roberto.example", DNS_A, on_answer, &late);
    ck_assert_uint_eq(dns_pending(dns), 1);
    sched_run_until(sim->sched, 2 * SIM_SEC + 120 * SIM_MS - 1);
    ck_assert_msg(late.calls == 0, "answered %d times before the latency", late.calls);
    sched_run(sim->sched);
    ck_assert_int_eq(late.calls, 1);
    ck_assert_int_eq(late.at, 2 * SIM_SEC + 120 * SIM_MS);
    ck_assert_uint_eq(dns_pending(dns), 0);

    dns_set_latency(dns, -3);
    ck_assert_int_eq(dns_latency(dns), 0);
    g = ask(sim, dns, "mail.roberto.example", DNS_A);
    ck_assert_int_eq(g.at, sim_now(sim));
    dns_free(dns);
    sim_free(sim);
}
END_TEST

START_TEST(test_cancel)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_set_a(dns, "mail.roberto.example", IP4(198, 51, 100, 20));
    got_t a = {.sim = sim}, b = {.sim = sim}, c = {.sim = sim};
    dns_query_id_t ia = dns_query(dns, "h", "mail.roberto.example", DNS_A, on_answer, &a);
    dns_query_id_t ib = dns_query(dns, "h", "mail.roberto.example", DNS_A, on_answer, &b);
    dns_query_id_t ic = dns_query(dns, "h", "mail.roberto.example", DNS_A, on_answer, &c);
    ck_assert(ia != 0 && ib != ia && ic != ib);
    dns_cancel(dns, ib);
    dns_cancel(dns, ib); /* twice is harmless */
    dns_cancel(dns, 0);
    dns_cancel(dns, 999);
    ck_assert_uint_eq(dns_pending(dns), 2);
    ck_assert_uint_eq(sched_pending(sim->sched), 2);
    sched_run(sim->sched);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(b.calls, 0);
    ck_assert_int_eq(c.calls, 1);
    dns_cancel(dns, ia); /* already answered */

    /* Freeing drops what is pending, without callback and without a stale event. */
    dns_query(dns, "h", "mail.roberto.example", DNS_A, on_answer, &b);
    dns_free(dns);
    ck_assert_uint_eq(sched_pending(sim->sched), 0);
    sched_run(sim->sched);
    ck_assert_int_eq(b.calls, 0);
    sim_free(sim);
}
END_TEST

/* The MTA pattern: the MX answer's callback asks for the exchange's address. */
typedef struct chain {
    dns_t *dns;
    got_t mx, a;
} chain_t;

static void on_chain_a(const dns_answer_t *ans, void *ctx)
{
    chain_t *ch = ctx;
    on_answer(ans, &ch->a);
}

static void on_chain_mx(const dns_answer_t *ans, void *ctx)
{
    chain_t *ch = ctx;
    on_answer(ans, &ch->mx);
    ck_assert_uint_eq(dns_pending(ch->dns), 0);
    dns_query(ch->dns, "mail.alice.example", ans->mx[0].host, DNS_A, on_chain_a, ch);
}

START_TEST(test_callback_may_ask_again)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_mx_t mx[] = {{"mail.roberto.example", 10}};
    dns_set_mx(dns, "roberto.example", mx, 1);
    dns_set_a(dns, "mail.roberto.example", IP4(198, 51, 100, 20));
    chain_t ch = {.dns = dns, .mx = {.sim = sim}, .a = {.sim = sim}};
    dns_query(dns, "mail.alice.example", "roberto.example", DNS_MX, on_chain_mx, &ch);
    sched_run(sim->sched);
    ck_assert_int_eq(ch.mx.calls, 1);
    ck_assert_int_eq(ch.a.calls, 1);
    ck_assert_int_eq(ch.a.at, 10 * SIM_MS);
    ck_assert_uint_eq(ch.a.addrs[0], IP4(198, 51, 100, 20));
    dns_free(dns);
    sim_free(sim);
}
END_TEST

static void free_dns_in_callback(const dns_answer_t *ans, void *ctx)
{
    dns_free(ctx);
}

START_TEST(test_free_from_callback)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_query(dns, "h", "x.example", DNS_A, free_dns_in_callback, dns);
    got_t never = {.sim = sim};
    dns_query(dns, "h", "x.example", DNS_A, on_answer, &never);
    sched_run(sim->sched);
    ck_assert_int_eq(never.calls, 0);
    sim_free(sim);
}
END_TEST

/* --- trace events --------------------------------------------------------------- */

typedef struct recorder {
    trace_event_t *ev[16];
    int n;
} recorder_t;

static void record_event(void *ctx, const trace_event_t *ev)
{
    recorder_t *r = ctx;
    ck_assert_int_lt(r->n, 16);
    r->ev[r->n++] = trace_event_copy(ev);
}

static void recorder_free(recorder_t *r)
{
    for (int i = 0; i < r->n; i++)
        trace_event_free_copy(r->ev[i]);
    r->n = 0;
}

typedef struct want_event {
    sim_time_t t;
    const char *kind, *host, *name, *type, *text;
} want_event_t;

static void assert_event(const trace_event_t *ev, const want_event_t *w, int i)
{
    ck_assert_msg(strcmp(trace_kind_name(ev->kind), w->kind) == 0, "event %d: kind %s, want %s", i,
                  trace_kind_name(ev->kind), w->kind);
    ck_assert_msg(ev->t == w->t, "event %d: t %lld, want %lld", i, (long long)ev->t,
                  (long long)w->t);
    ck_assert_str_eq(ev->host, w->host);
    ck_assert_str_eq(ev->name, w->name);
    ck_assert_str_eq(ev->type, w->type);
    if (w->text)
        ck_assert_msg(ev->text && strcmp(ev->text, w->text) == 0, "event %d: text %s, want %s", i,
                      ev->text ? ev->text : "(null)", w->text);
    else
        ck_assert_msg(ev->text == NULL, "event %d: text %s, want none", i, ev->text);
}

START_TEST(test_trace_events)
{
    sim_t *sim = sim_new(1);
    dns_t *dns = dns_new(sim);
    dns_mx_t mx[] = {{"backup.roberto.example", 20}, {"mail.roberto.example", 10}};
    dns_set_mx(dns, "roberto.example", mx, 2);
    dns_set_a(dns, "mail.roberto.example", IP4(198, 51, 100, 20));
    dns_set_failing(dns, "broken.example", true);
    recorder_t rec = {0};
    trace_subscribe(&sim->trace, record_event, &rec);

    const char *ua = "mail.alice.example";
    dns_query(dns, ua, "Roberto.Example.", DNS_MX, NULL, NULL);
    sched_run_until(sim->sched, 1 * SIM_MS);
    dns_query(dns, ua, "mail.roberto.example", DNS_A, NULL, NULL);
    sched_run(sim->sched);
    dns_query(dns, ua, "nowhere.example", DNS_A, NULL, NULL);
    dns_query(dns, ua, "mail.roberto.example", DNS_MX, NULL, NULL);
    dns_query(dns, ua, "broken.example", DNS_MX, NULL, NULL);
    sched_run(sim->sched);

    const want_event_t want[] = {
        {0, "dns.query", ua, "roberto.example", "MX", NULL},
        {1000, "dns.query", ua, "mail.roberto.example", "A", NULL},
        {5000, "dns.answer", ua, "roberto.example", "MX",
         "mail.roberto.example 10, backup.roberto.example 20"},
        {6000, "dns.answer", ua, "mail.roberto.example", "A", "198.51.100.20"},
        {6000, "dns.query", ua, "nowhere.example", "A", NULL},
        {6000, "dns.query", ua, "mail.roberto.example", "MX", NULL},
        {6000, "dns.query", ua, "broken.example", "MX", NULL},
        {11000, "dns.fail", ua, "nowhere.example", "A", "NXDOMAIN"},
        {11000, "dns.fail", ua, "mail.roberto.example", "MX", "NODATA"},
        {11000, "dns.fail", ua, "broken.example", "MX", "SERVFAIL"},
    };
    ck_assert_int_eq(rec.n, (int)ARRAY_LEN(want));
    for (int i = 0; i < rec.n; i++)
        assert_event(rec.ev[i], &want[i], i);
    recorder_free(&rec);

    /* A cancelled query shows its question and no answer. */
    dns_cancel(dns, dns_query(dns, ua, "roberto.example", DNS_MX, NULL, NULL));
    sched_run(sim->sched);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_int_eq(rec.ev[0]->kind, TRACE_DNS_QUERY);
    recorder_free(&rec);
    dns_free(dns);
    sim_free(sim);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(dns_type_name(DNS_A), "A");
    ck_assert_str_eq(dns_type_name(DNS_MX), "MX");
    ck_assert_str_eq(dns_status_name(DNS_OK), "OK");
    ck_assert_str_eq(dns_status_name(DNS_NXDOMAIN), "NXDOMAIN");
    ck_assert_str_eq(dns_status_name(DNS_NODATA), "NODATA");
    ck_assert_str_eq(dns_status_name(DNS_SERVFAIL), "SERVFAIL");
}
END_TEST

Suite *net_dns_suite(void)
{
    Suite *s = suite_create("net_dns");
    TCase *tc = tcase_create("dns");
    tcase_add_test(tc, test_mx_sorted_by_preference_ties_in_set_order);
    tcase_add_test(tc, test_a_lookup_and_name_folding);
    tcase_add_test(tc, test_a_only_domain_answers_mx_nodata);
    tcase_add_test(tc, test_nxdomain);
    tcase_add_test(tc, test_changes_at_run_time);
    tcase_add_test(tc, test_large_zone_with_removals);
    tcase_add_test(tc, test_answer_reflects_zone_at_query_time);
    tcase_add_test(tc, test_servfail_while_failing);
    tcase_add_test(tc, test_latency_is_respected);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_callback_may_ask_again);
    tcase_add_test(tc, test_free_from_callback);
    tcase_add_test(tc, test_trace_events);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}
