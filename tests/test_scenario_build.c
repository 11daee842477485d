/*
 * The scenario builder: a scenario's servers, users, services, addresses,
 * MX overrides, links, MSS and clients end up in the world as written, and
 * what the SMTP engine cannot offer is said, not dropped.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mail/store.h"
#include "net/tcp.h"
#include "node/agent.h"
#include "node/server.h"
#include "proto/smtp_ext.h"
#include "scenario/build.h"
#include "scenario/load.h"
#include "scenario/run.h"

static scenario_t *load_ok(const char *json)
{
    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_string("lab.json", json, strlen(json), &d);
    ck_assert_msg(diag_count(&d) == 0, "unexpected error: %s", diag_line(&d, 0));
    ck_assert_ptr_nonnull(sc);
    diag_free(&d);
    return sc;
}

typedef struct notices {
    char lines[8][256];
    size_t n;
} notices_t;

static void keep_notice(void *ctx, const char *line)
{
    notices_t *n = ctx;
    if (n->n < 8)
        strncpy(n->lines[n->n], line, sizeof n->lines[0] - 1);
    n->n++;
}

static world_t *build_ok(const scenario_t *sc, notices_t *notices)
{
    char err[256] = "";
    world_t *w = scenario_build(sc, sc->seed, keep_notice, notices, err, sizeof err);
    ck_assert_msg(w != NULL, "scenario_build failed: %s", err);
    return w;
}

static const char lab[] =
    "{\"network\": {\"latency\": \"20ms\", \"bandwidth\": \"10Mbit\", \"loss\": 0.01, \"mss\": 536,"
    "   \"links\": [{\"between\": [\"mail.alice.example\", \"mail.roberto.example\"],"
    "                \"latency\": \"80ms\", \"loss\": 0.05}]},"
    " \"dns\": {\"latency\": \"7ms\", \"mx\": {"
    "   \"roberto.example\": [{\"host\": \"mail.roberto.example\", \"preference\": 10},"
    "                         {\"host\": \"backup.roberto.example\", \"preference\": 20}],"
    "   \"nomail.example\": []}},"
    " \"servers\": ["
    "  {\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\", \"nomail.example\"],"
    "   \"users\": [{\"user\": \"alice\", \"password\": \"wonderland\", \"name\": \"Alice\"}],"
    "   \"queue\": {\"retry\": \"10m\", \"backoff\": \"exponential\", \"max_retry\": \"2h\","
    "             \"give_up\": \"1d\", \"warn_after\": \"4h\"},"
    "   \"smtp\": {\"max_size\": \"1MB\", \"relay\": \"open\","
    "            \"extensions\": [\"SIZE\", \"SMTPUTF8\", \"8BITMIME\"]},"
    "   \"pop3\": false, \"imap\": {\"port\": 1143}, \"quota\": \"5MB\"},"
    "  {\"host\": \"mail.roberto.example\", \"address\": \"198.51.100.20\","
    "   \"domains\": [\"roberto.example\"],"
    "   \"users\": [{\"user\": \"roberto\", \"password\": \"secret\", \"name\": \"Ρομπέρτο\"}],"
    "   \"smtp\": {\"port\": 2525}, \"submission\": false}"
    " ],"
    " \"clients\": ["
    "  {\"host\": \"alice-pc\", \"user\": \"alice@alice.example\"},"
    "  {\"host\": \"roberto-pc\", \"address\": \"198.51.100.100\", \"user\": "
    "\"roberto@roberto.example\"},"
    "  {\"host\": \"mallory\"}"
    " ]}";

START_TEST(test_servers_and_services)
{
    scenario_t *sc = load_ok(lab);
    notices_t notices = {0};
    world_t *w = build_ok(sc, &notices);
    ck_assert_uint_eq(world_server_count(w), 2);
    mail_server_t *a = world_server_by_host(w, "mail.alice.example");
    mail_server_t *r = world_server_by_host(w, "mail.roberto.example");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(host_addr(server_host(a)), sc->servers[0].address);
    ck_assert_uint_eq(host_addr(server_host(r)), 0xC6336414u);
    ck_assert(server_hosts_domain(a, "alice.example") && server_hosts_domain(a, "nomail.example"));
    ck_assert(!server_hosts_domain(a, "roberto.example"));
    const server_config_t *ca = server_config(a), *cr = server_config(r);
    ck_assert_int_eq(ca->queue.retry, 10 * SIM_MIN);
    ck_assert_int_eq(ca->queue.backoff, QUEUE_BACKOFF_EXPONENTIAL);
    ck_assert_int_eq(ca->queue.max_retry, 2 * SIM_HOUR);
    ck_assert_int_eq(ca->queue.give_up, SIM_DAY);
    ck_assert_int_eq(ca->queue.warn_after, 4 * SIM_HOUR);
    ck_assert_uint_eq(ca->max_size, 1000000);
    ck_assert_int_eq(ca->relay, RELAY_OPEN);
    ck_assert_uint_eq(ca->extensions, SMTP_EXT_SIZE | SMTP_EXT_8BITMIME);
    ck_assert_uint_eq(ca->smtp_port, 25);
    ck_assert_uint_eq(ca->submission_port, 587);
    ck_assert_uint_eq(ca->pop3_port, 0);
    ck_assert_uint_eq(ca->imap_port, 1143);
    ck_assert_uint_eq(ca->quota, 5000000);
    ck_assert_uint_eq(cr->smtp_port, 2525);
    ck_assert_uint_eq(cr->submission_port, 0);
    ck_assert_uint_eq(cr->extensions, SMTP_EXT_DEFAULT);
    ck_assert_int_eq(cr->relay, RELAY_AUTHENTICATED);
    ck_assert_uint_eq(cr->queue.retry, 30 * SIM_MIN);
    ck_assert_uint_eq(notices.n, 1);
    ck_assert_str_eq(notices.lines[0], "lab.json: $.servers[0].smtp.extensions: SMTPUTF8 is not "
                                       "simulated yet; the server does not offer it");
    world_free(w);
    scenario_free(sc);
}
END_TEST

START_TEST(test_users)
{
    scenario_t *sc = load_ok(lab);
    notices_t notices = {0};
    world_t *w = build_ok(sc, &notices);
    store_user_t *alice = store_find_user(server_store(world_server_at(w, 0)), "alice");
    store_user_t *roberto = store_find_user(server_store(world_server_at(w, 1)), "roberto");
    ck_assert_ptr_nonnull(alice);
    ck_assert_ptr_nonnull(roberto);
    ck_assert(store_user_check_password(alice, "wonderland"));
    ck_assert(!store_user_check_password(alice, "secret"));
    ck_assert_str_eq(store_user_display_name(roberto), "Ρομπέρτο");
    ck_assert_uint_eq(store_user_quota(alice), 5000000);
    ck_assert_uint_eq(store_user_quota(roberto), 0);
    ck_assert_ptr_null(store_find_user(server_store(world_server_at(w, 0)), "roberto"));
    world_free(w);
    scenario_free(sc);
}
END_TEST

START_TEST(test_clients)
{
    scenario_t *sc = load_ok(lab);
    notices_t notices = {0};
    world_t *w = build_ok(sc, &notices);
    ck_assert_uint_eq(world_agent_count(w), 3);
    user_agent_t *a = world_agent_by_host(w, "alice-pc");
    user_agent_t *r = world_agent_by_host(w, "roberto-pc");
    user_agent_t *m = world_agent_by_host(w, "mallory");
    ck_assert_str_eq(agent_user(a), "alice@alice.example");
    ck_assert_ptr_eq(agent_server(a), world_server_by_host(w, "mail.alice.example"));
    ck_assert_ptr_eq(agent_server(r), world_server_by_host(w, "mail.roberto.example"));
    ck_assert_uint_eq(host_addr(agent_host(r)), 0xC6336464u);
    ck_assert_uint_eq(host_addr(agent_host(a)), sc->clients[0].address);
    ck_assert_ptr_null(agent_user(m));
    ck_assert_ptr_null(agent_server(m));
    ck_assert_uint_eq(host_addr(agent_host(m)), sc->clients[2].address);
    /* every host has its A record at the address the loader gave it */
    dns_answer_t ans;
    ck_assert_int_eq(dns_lookup_now(world_dns(w), "mallory", DNS_A, &ans), DNS_OK);
    ck_assert_uint_eq(ans.addrs[0], sc->clients[2].address);
    world_free(w);
    scenario_free(sc);
}
END_TEST

START_TEST(test_dns_and_mx_overrides)
{
    scenario_t *sc = load_ok(lab);
    notices_t notices = {0};
    world_t *w = build_ok(sc, &notices);
    dns_t *dns = world_dns(w);
    ck_assert_int_eq(dns_latency(dns), 7 * SIM_MS);
    dns_answer_t ans;
    ck_assert_int_eq(dns_lookup_now(dns, "roberto.example", DNS_MX, &ans), DNS_OK);
    ck_assert_uint_eq(ans.nmx, 2);
    ck_assert_str_eq(ans.mx[0].host, "mail.roberto.example");
    ck_assert_int_eq(ans.mx[0].preference, 10);
    ck_assert_str_eq(ans.mx[1].host, "backup.roberto.example");
    ck_assert_int_eq(ans.mx[1].preference, 20);
    ck_assert_int_eq(dns_lookup_now(dns, "alice.example", DNS_MX, &ans), DNS_OK);
    ck_assert_uint_eq(ans.nmx, 1);
    ck_assert_str_eq(ans.mx[0].host, "mail.alice.example");
    /* an empty list in dns.mx: the served domain has no MX at all */
    ck_assert_int_ne(dns_lookup_now(dns, "nomail.example", DNS_MX, &ans), DNS_OK);
    ck_assert_int_eq(dns_lookup_now(dns, "mail.roberto.example", DNS_A, &ans), DNS_OK);
    ck_assert_uint_eq(ans.addrs[0], 0xC6336414u);
    world_free(w);
    scenario_free(sc);
}
END_TEST

START_TEST(test_network_and_links)
{
    scenario_t *sc = load_ok(lab);
    notices_t notices = {0};
    world_t *w = build_ok(sc, &notices);
    net_t *net = world_net(w);
    ck_assert_uint_eq(net_mss(net), 536);
    path_props_t def = net_default_path(net);
    ck_assert_int_eq(def.latency, 20 * SIM_MS);
    ck_assert_uint_eq(def.bandwidth_bps, 10000000);
    ck_assert(def.loss == 0.01 && !def.cut);
    host_t *a = net_host_by_name(net, "mail.alice.example");
    host_t *r = net_host_by_name(net, "mail.roberto.example");
    host_t *pc = net_host_by_name(net, "alice-pc");
    path_props_t ar = net_get_path(net, a, r), ra = net_get_path(net, r, a);
    ck_assert_int_eq(ar.latency, 80 * SIM_MS);
    ck_assert(ar.loss == 0.05);
    ck_assert_uint_eq(ar.bandwidth_bps, 10000000); /* unset: the default */
    ck_assert_int_eq(ra.latency, 80 * SIM_MS);
    path_props_t other = net_get_path(net, pc, a);
    ck_assert_int_eq(other.latency, 20 * SIM_MS);
    world_free(w);
    scenario_free(sc);
}
END_TEST

START_TEST(test_seed_is_the_worlds)
{
    scenario_t *sc = load_ok("{\"seed\": 5}");
    char err[64];
    world_t *w = scenario_build(sc, 99, NULL, NULL, err, sizeof err);
    ck_assert_uint_eq(world_sim(w)->seed, 99);
    ck_assert_uint_eq(world_server_count(w) + world_agent_count(w), 0);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* Every scenario extension name maps to the engine's bit, or is reported missing. */
START_TEST(test_extension_bits)
{
    static const struct {
        unsigned in, want, missing;
    } cases[] = {
        {0, 0, 0},
        {SCENARIO_EXT_DEFAULT, SMTP_EXT_DEFAULT, 0},
        {SCENARIO_EXT(PIPELINING), SMTP_EXT_PIPELINING, 0},
        {SCENARIO_EXT(EIGHTBITMIME), SMTP_EXT_8BITMIME, 0},
        {SCENARIO_EXT(ENHANCEDSTATUSCODES), SMTP_EXT_ENHANCEDSTATUSCODES, 0},
        {SCENARIO_EXT(SMTPUTF8) | SCENARIO_EXT(SIZE), SMTP_EXT_SIZE, SCENARIO_EXT(SMTPUTF8)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned missing = 99;
        unsigned got = scenario_smtp_extensions(cases[i].in, &missing);
        ck_assert_msg(got == cases[i].want && missing == cases[i].missing,
                      "case %zu: got %#x missing %#x, want %#x missing %#x", i, got, missing,
                      cases[i].want, cases[i].missing);
    }
}
END_TEST

/* An external server is a bare host that mail is routed to: its address, an
 * A record and its domains' MX, and no service and no world server. */
START_TEST(test_external_server_is_a_routed_host)
{
    scenario_t *sc = load_ok(
        "{\"servers\": ["
        "  {\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\"],"
        "   \"users\": [{\"user\": \"alice\", \"password\": \"a\"}]},"
        "  {\"host\": \"mx.student.example\", \"address\": \"203.0.113.9\","
        "   \"domains\": [\"student.example\"], \"external\": \"127.0.0.1:2526\"}]}");
    const scenario_server_t *ext = &sc->servers[1];
    ck_assert_str_eq(ext->external, "127.0.0.1:2526");
    ck_assert_uint_eq(ext->external_addr, 0x7F000001u);
    ck_assert_uint_eq(ext->external_port, 2526);
    ck_assert_ptr_null(sc->servers[0].external);
    notices_t notices = {0};
    world_t *w = build_ok(sc, &notices);
    host_t *h = net_host_by_name(world_net(w), "mx.student.example");
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(host_addr(h), 0xCB007109u);
    ck_assert_ptr_null(world_server_by_host(w, "mx.student.example"));
    ck_assert_uint_eq(world_server_count(w), 1);
    ck_assert(!tcp_is_listening(world_net(w), h, 25));
    dns_answer_t ans;
    ck_assert_int_eq(dns_lookup_now(world_dns(w), "student.example", DNS_MX, &ans), DNS_OK);
    ck_assert_uint_eq(ans.nmx, 1);
    ck_assert_str_eq(ans.mx[0].host, "mx.student.example");
    ck_assert_int_eq(dns_lookup_now(world_dns(w), "mx.student.example", DNS_A, &ans), DNS_OK);
    ck_assert_uint_eq(ans.addrs[0], 0xCB007109u);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/*
 * smtp.max_recipients: Alice's server holds 3 recipients in a transaction,
 * Roberto's 2. A message to Roberto's five users goes as two submissions
 * (3 and 2, two 452 replies), and Roberto's server takes the first of the
 * two messages in two transactions (2 and 1, one 452): three MAIL commands
 * there. Everyone gets it once. The expectations say so; the run must pass.
 */
START_TEST(test_max_recipients)
{
    static const char json[] =
        "{\"servers\": ["
        "  {\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\"],"
        "   \"users\": [{\"user\": \"alice\", \"password\": \"p\"}],"
        "   \"smtp\": {\"max_recipients\": 3}},"
        "  {\"host\": \"mail.roberto.example\", \"domains\": [\"roberto.example\"],"
        "   \"users\": [{\"user\": \"u1\", \"password\": \"p\"}, {\"user\": \"u2\", \"password\": "
        "\"p\"},"
        "     {\"user\": \"u3\", \"password\": \"p\"}, {\"user\": \"u4\", \"password\": \"p\"},"
        "     {\"user\": \"u5\", \"password\": \"p\"}],"
        "   \"smtp\": {\"max_recipients\": 2}}],"
        " \"clients\": [{\"host\": \"alice-pc\", \"user\": \"alice@alice.example\"}],"
        " \"timeline\": [{\"at\": \"0s\", \"send\": {\"id\": \"m1\", \"from\": "
        "\"alice@alice.example\","
        "   \"to\": [\"u1@roberto.example\", \"u2@roberto.example\", \"u3@roberto.example\","
        "          \"u4@roberto.example\", \"u5@roberto.example\"], \"subject\": \"all\"}}],"
        " \"expect\": ["
        "  {\"name\": \"submitted in two\", \"event\": {\"kind\": \"smtp.command\","
        "   \"host\": \"mail.alice.example\", \"verb\": \"MAIL\"}, \"count\": 2},"
        "  {\"name\": \"two refused for now\", \"event\": {\"kind\": \"smtp.reply\","
        "   \"host\": \"mail.alice.example\", \"code\": 452}, \"count\": 2},"
        "  {\"name\": \"relayed in three\", \"event\": {\"kind\": \"smtp.command\","
        "   \"host\": \"mail.roberto.example\", \"verb\": \"MAIL\"}, \"count\": 3},"
        "  {\"name\": \"one refused for now there\", \"event\": {\"kind\": \"smtp.reply\","
        "   \"host\": \"mail.roberto.example\", \"code\": 452}, \"count\": 1},"
        "  {\"name\": \"stored five times\", \"event\": {\"kind\": \"mailbox.store\"}, \"count\": "
        "5},"
        "  {\"name\": \"nothing deferred\", \"event\": {\"kind\": \"queue.defer\"}, \"count\": 0},"
        "  {\"name\": \"u5 has it\", \"mailbox\": {\"user\": \"u5@roberto.example\"}, \"count\": "
        "1}]}";
    run_options_t opt = {0};
    diag_t d = DIAG_INIT;
    run_result_t r;
    ck_assert_int_eq(run_string("lab.json", json, strlen(json), &opt, &d, &r), RUN_DONE);
    for (size_t i = 0; i < r.nexpectations; i++)
        ck_assert_msg(r.expectations[i].passed, "%s: %s", r.expectations[i].name,
                      r.expectations[i].detail);
    ck_assert_int_eq(r.nexpectations, 7);
    ck_assert(r.passed);
    run_result_free(&r);
    diag_free(&d);
}
END_TEST

Suite *scenario_build_suite(void)
{
    Suite *s = suite_create("scenario_build");
    TCase *tc = tcase_create("build");
    tcase_add_test(tc, test_servers_and_services);
    tcase_add_test(tc, test_users);
    tcase_add_test(tc, test_clients);
    tcase_add_test(tc, test_dns_and_mx_overrides);
    tcase_add_test(tc, test_network_and_links);
    tcase_add_test(tc, test_seed_is_the_worlds);
    tcase_add_test(tc, test_extension_bits);
    tcase_add_test(tc, test_external_server_is_a_routed_host);
    tcase_add_test(tc, test_max_recipients);
    suite_add_tcase(s, tc);
    return s;
}
