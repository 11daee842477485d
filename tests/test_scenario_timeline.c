/*
 * The timeline: each action happens at its `at` on the world's scheduler,
 * ties in file order; down and crash with `for` come back; link changes
 * keep the properties not given; DNS changes; sends from a client through
 * its server or straight to HOST:PORT; the traffic generator sends N
 * messages, evenly spread and the same for one seed; fetch (POP3 and
 * IMAP), imap and session run, or are skipped with one notice each when
 * they cannot start.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "mail/store.h"
#include "node/agent.h"
#include "node/server.h"
#include "scenario/build.h"
#include "scenario/load.h"
#include "scenario/timeline.h"

/* A world with its scenario and timeline, and the events seen, one line each
 * ("TIME KIND HOST field=value ..."). */
typedef struct fixture {
    scenario_t *sc;
    world_t *w;
    timeline_t *tl;
    buf_t events;
    buf_t notices;
    size_t nnotices;
} fixture_t;

static void keep_event(void *ctx, const trace_event_t *ev)
{
    fixture_t *f = ctx;
    if (ev->kind == TRACE_TCP_SEGMENT)
        return;
    buf_printf(&f->events, "%lld %s %s", (long long)ev->t, trace_kind_name(ev->kind),
               ev->host ? ev->host : "-");
    if (ev->message)
        buf_printf(&f->events, " message=%s", ev->message);
    if (ev->recipient)
        buf_printf(&f->events, " recipient=%s", ev->recipient);
    if (ev->user)
        buf_printf(&f->events, " user=%s", ev->user);
    if (ev->code != TRACE_NONE)
        buf_printf(&f->events, " code=%lld", (long long)ev->code);
    if (ev->verb)
        buf_printf(&f->events, " verb=%s port=%lld", ev->verb, (long long)ev->port);
    buf_puts(&f->events, "\n");
}

static void keep_notice(void *ctx, const char *line)
{
    fixture_t *f = ctx;
    buf_printf(&f->notices, "%s\n", line);
    f->nnotices++;
}

static void fixture_open(fixture_t *f, const char *json, uint64_t seed)
{
    memset(f, 0, sizeof *f);
    buf_puts(&f->events, "\n"); /* every line starts after a newline, the first too */
    diag_t d = DIAG_INIT;
    f->sc = scenario_load_string("lab.json", json, strlen(json), &d);
    ck_assert_msg(diag_count(&d) == 0, "unexpected error: %s", diag_line(&d, 0));
    diag_free(&d);
    char err[256] = "";
    f->w = scenario_build(f->sc, seed, keep_notice, f, err, sizeof err);
    ck_assert_msg(f->w != NULL, "build: %s", err);
    trace_subscribe(&world_sim(f->w)->trace, keep_event, f);
    f->tl = timeline_new(f->sc, f->w, keep_notice, f);
}

static void fixture_close(fixture_t *f)
{
    timeline_free(f->tl);
    world_free(f->w);
    scenario_free(f->sc);
    buf_free(&f->events);
    buf_free(&f->notices);
}

static const char *events(fixture_t *f)
{
    return buf_cstr(&f->events);
}

static size_t count_lines_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static bool up(fixture_t *f, const char *host)
{
    return host_is_up(net_host_by_name(world_net(f->w), host));
}

#define SERVERS                                                                                    \
    "\"servers\": ["                                                                               \
    " {\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\"],"                        \
    "  \"users\": [{\"user\": \"alice\", \"password\": \"wonderland\"},"                           \
    "             {\"user\": \"bob\", \"password\": \"builder\"}]},"                               \
    " {\"host\": \"mail.roberto.example\", \"domains\": [\"roberto.example\"],"                    \
    "  \"users\": [{\"user\": \"roberto\", \"password\": \"secret\"},"                             \
    "             {\"user\": \"maria\", \"password\": \"m\"}]}],"                                  \
    "\"clients\": [{\"host\": \"alice-pc\", \"user\": \"alice@alice.example\"},"                   \
    "              {\"host\": \"roberto-pc\", \"user\": \"roberto@roberto.example\"},"             \
    "              {\"host\": \"mallory\"}],"

START_TEST(test_down_for_comes_back)
{
    fixture_t f;
    fixture_open(&f,
                 "{" SERVERS "\"timeline\": ["
                 " {\"at\": \"1m\", \"down\": \"mail.roberto.example\", \"for\": \"45m\"}]}",
                 1);
    world_run_until(f.w, SIM_MIN - 1);
    ck_assert(up(&f, "mail.roberto.example"));
    world_run_until(f.w, SIM_MIN);
    ck_assert(!up(&f, "mail.roberto.example"));
    world_run_until(f.w, 46 * SIM_MIN - 1);
    ck_assert(!up(&f, "mail.roberto.example"));
    world_run_until(f.w, 46 * SIM_MIN);
    ck_assert(up(&f, "mail.roberto.example"));
    ck_assert_msg(strstr(events(&f), "60000000 host.down mail.roberto.example\n") &&
                      strstr(events(&f), "2760000000 host.up mail.roberto.example\n"),
                  "events:\n%s", events(&f));
    ck_assert_uint_eq(timeline_actions_run(f.tl), 1);
    fixture_close(&f);
}
END_TEST

/* A crash mid-submission loses the connection: the submission fails, the host comes back. */
START_TEST(test_crash_for)
{
    fixture_t f;
    fixture_open(&f,
                 "{" SERVERS "\"timeline\": ["
                 " {\"at\": \"0s\", \"send\": {\"id\": \"m1\", \"from\": \"alice@alice.example\","
                 "   \"to\": \"roberto@roberto.example\", \"body\": \"hello\"}},"
                 " {\"at\": \"75ms\", \"crash\": \"mail.alice.example\", \"for\": \"10m\"}]}",
                 1);
    world_run_until(f.w, 5 * SIM_MIN);
    ck_assert(!up(&f, "mail.alice.example"));
    world_run_until(f.w, 10 * SIM_MIN + 75 * SIM_MS);
    ck_assert(up(&f, "mail.alice.example"));
    ck_assert_msg(strstr(events(&f), "\n75000 host.crash mail.alice.example\n"), "events:\n%s",
                  events(&f));
    ck_assert_msg(strstr(events(&f), "\n600075000 host.up mail.alice.example\n"), "events:\n%s",
                  events(&f));
    /* the client's retransmission after the host is back meets a RST */
    world_run_until(f.w, SIM_HOUR);
    ck_assert_uint_eq(count_lines_with(events(&f), "mailbox.store"), 0);
    user_agent_t *a = world_agent_by_host(f.w, "alice-pc");
    ck_assert_uint_eq(agent_outcome_count(a), 1);
    ck_assert_int_ge(agent_outcome_at(a, 0)->code, 400);
    fixture_close(&f);
}
END_TEST

/* Equal times run in file order: down then up leaves it up, up then down leaves it down. */
START_TEST(test_ties_in_file_order)
{
    static const char *const orders[] = {
        "{\"at\": \"1m\", \"down\": \"mail.roberto.example\"},"
        "{\"at\": \"1m\", \"up\": \"mail.roberto.example\"}",
        "{\"at\": \"1m\", \"up\": \"mail.roberto.example\"},"
        "{\"at\": \"1m\", \"down\": \"mail.roberto.example\"}",
    };
    for (size_t i = 0; i < 2; i++) {
        fixture_t f;
        char *json = xasprintf("{" SERVERS "\"timeline\": [%s]}", orders[i]);
        fixture_open(&f, json, 1);
        world_run_until(f.w, SIM_HOUR);
        ck_assert_msg(up(&f, "mail.roberto.example") == (i == 0), "order %zu", i);
        fixture_close(&f);
        free(json);
    }
}
END_TEST

START_TEST(test_link_cut_keeps_other_properties)
{
    fixture_t f;
    fixture_open(&f,
                 "{\"network\": {\"links\": [{\"between\": [\"mail.alice.example\", "
                 "\"mail.roberto.example\"], \"latency\": \"80ms\"}]}," SERVERS "\"timeline\": ["
                 " {\"at\": \"2m\", \"link\": {\"between\": [\"mail.roberto.example\", "
                 "\"mail.alice.example\"], \"cut\": true}},"
                 " {\"at\": \"3m\", \"link\": {\"between\": [\"mail.alice.example\", "
                 "\"mail.roberto.example\"], \"loss\": 0.25}}]}",
                 1);
    net_t *net = world_net(f.w);
    host_t *a = net_host_by_name(net, "mail.alice.example");
    host_t *r = net_host_by_name(net, "mail.roberto.example");
    world_run_until(f.w, 2 * SIM_MIN - 1);
    ck_assert(!net_get_path(net, a, r).cut);
    world_run_until(f.w, 2 * SIM_MIN);
    path_props_t p = net_get_path(net, a, r);
    ck_assert(p.cut);
    ck_assert_int_eq(p.latency, 80 * SIM_MS);
    ck_assert(p.loss == 0.0);
    world_run_until(f.w, 3 * SIM_MIN);
    p = net_get_path(net, r, a);
    ck_assert(p.cut && p.loss == 0.25 && p.latency == 80 * SIM_MS);
    ck_assert_uint_eq(count_lines_with(events(&f), "link.change"), 2);
    fixture_close(&f);
}
END_TEST

START_TEST(test_dns_remove_and_set_mx)
{
    fixture_t f;
    fixture_open(&f,
                 "{" SERVERS "\"timeline\": ["
                 " {\"at\": \"1m\", \"dns\": {\"remove_mx\": \"roberto.example\"}},"
                 " {\"at\": \"2m\", \"dns\": {\"set_mx\": {\"roberto.example\": "
                 "[{\"host\": \"mail.alice.example\", \"preference\": 5}]}}}]}",
                 1);
    dns_answer_t ans;
    dns_t *dns = world_dns(f.w);
    ck_assert_int_eq(dns_lookup_now(dns, "roberto.example", DNS_MX, &ans), DNS_OK);
    world_run_until(f.w, SIM_MIN);
    ck_assert_int_ne(dns_lookup_now(dns, "roberto.example", DNS_MX, &ans), DNS_OK);
    world_run_until(f.w, 2 * SIM_MIN);
    ck_assert_int_eq(dns_lookup_now(dns, "roberto.example", DNS_MX, &ans), DNS_OK);
    ck_assert_uint_eq(ans.nmx, 1);
    ck_assert_str_eq(ans.mx[0].host, "mail.alice.example");
    ck_assert_int_eq(ans.mx[0].preference, 5);
    fixture_close(&f);
}
END_TEST

/* A send through the sender's server arrives; one with via speaks to port 25 straight. */
START_TEST(test_send_and_via)
{
    fixture_t f;
    fixture_open(&f,
                 "{" SERVERS "\"timeline\": ["
                 " {\"at\": \"0s\", \"send\": {\"id\": \"m1\", \"from\": \"alice@alice.example\","
                 "   \"to\": \"roberto@roberto.example\", \"cc\": \"maria@roberto.example\","
                 "   \"subject\": \"Γεια σου\", \"headers\": {\"X-Lab\": \"3\"},"
                 "   \"attachments\": [{\"name\": \"a.bin\", \"size\": \"2KB\"}]}},"
                 " {\"at\": \"1m\", \"send\": {\"id\": \"forged\", \"client\": \"mallory\","
                 "   \"via\": \"mail.roberto.example:25\", \"from\": \"alice@alice.example\","
                 "   \"to\": \"roberto@roberto.example\"}}]}",
                 1);
    world_run_until(f.w, SIM_HOUR);
    const char *ev = events(&f);
    ck_assert_msg(strstr(ev, "0 user.send alice-pc message=m1 user=alice@alice.example\n"),
                  "events:\n%s", ev);
    ck_assert_msg(strstr(ev, "mailbox.store mail.roberto.example message=m1 user=roberto") &&
                      strstr(ev, "mailbox.store mail.roberto.example message=m1 user=maria") &&
                      strstr(ev, "mailbox.store mail.roberto.example message=forged"),
                  "events:\n%s", ev);
    /* the forged send never touched Alice's server: no AUTH, straight to port 25 */
    ck_assert_msg(strstr(ev, "60000000 user.send mallory message=forged"), "events:\n%s", ev);
    store_user_t *u = store_find_user(server_store(world_server_at(f.w, 1)), "roberto");
    ck_assert_uint_eq(store_folder_msg_count(store_inbox(u)), 2);
    ck_assert_uint_eq(f.nnotices, 0);
    fixture_close(&f);
}
END_TEST

START_TEST(test_fetch_imap_and_session_run)
{
    fixture_t f;
    fixture_open(&f,
                 "{" SERVERS "\"timeline\": ["
                 " {\"at\": \"1m\", \"fetch\": {\"client\": \"roberto-pc\"}},"
                 " {\"at\": \"2m\", \"imap\": {\"client\": \"roberto-pc\", \"create\": \"Σχολή\"}},"
                 " {\"at\": \"3m\", \"session\": {\"client\": \"mallory\", \"server\": "
                 "\"mail.roberto.example\", \"port\": 110, \"lines\": [\"QUIT\"]}},"
                 " {\"at\": \"4m\", \"fetch\": {\"client\": \"roberto-pc\", \"protocol\": \"imap\","
                 "   \"folder\": \"Σχολή\"}}]}",
                 1);
    world_run_until(f.w, SIM_HOUR);
    ck_assert_str_eq(buf_cstr(&f.notices), "");
    ck_assert_uint_eq(timeline_actions_skipped(f.tl), 0);
    ck_assert_uint_eq(timeline_actions_run(f.tl), 4);
    const char *ev = events(&f);
    ck_assert_msg(count_lines_with(ev, "mailbox.folder mail.roberto.example "
                                                            "user=roberto\n") == 1,
                  "events:\n%s", ev);
    /* Two IMAP sessions: the create at 2m, the fetch of the new folder at 4m. */
    ck_assert_uint_eq(count_lines_with(ev, "imap.command mail.roberto.example verb=LOGOUT "
                                           "port=143\n"),
                      2);
    ck_assert_uint_eq(count_lines_with(ev, "imap.command mail.roberto.example verb=SELECT "
                                           "port=143\n"),
                      1);
    fixture_close(&f);
}
END_TEST

START_TEST(test_imap_without_the_service_is_said_once)
{
    fixture_t f;
    fixture_open(&f,
                 "{\"servers\": [{\"host\": \"mail.roberto.example\", \"domains\": "
                 "[\"roberto.example\"], \"imap\": false,"
                 " \"users\": [{\"user\": \"roberto\", \"password\": \"secret\"}]}],"
                 "\"clients\": [{\"host\": \"roberto-pc\", \"user\": \"roberto@roberto.example\","
                 " \"access\": \"imap\"}],"
                 "\"timeline\": ["
                 " {\"at\": \"1m\", \"fetch\": {\"client\": \"roberto-pc\"}},"
                 " {\"at\": \"2m\", \"imap\": {\"client\": \"roberto-pc\", \"create\": \"A\"}}]}",
                 1);
    world_run_until(f.w, SIM_HOUR);
    ck_assert_str_eq(buf_cstr(&f.notices),
                     "lab.json: $.timeline[0]: fetch: mail.roberto.example offers no IMAP "
                     "service; it is skipped\n"
                     "lab.json: $.timeline[1]: imap: mail.roberto.example offers no IMAP "
                     "service; it is skipped\n");
    ck_assert_uint_eq(timeline_actions_skipped(f.tl), 2);
    ck_assert_uint_eq(timeline_actions_run(f.tl), 0);
    fixture_close(&f);
}
END_TEST

#define TRAFFIC(seed)                                                                              \
    "{\"seed\": " #seed ", " SERVERS "\"timeline\": ["                                             \
    " {\"at\": \"1m\", \"traffic\": {\"messages\": 12, \"from\": [\"alice@alice.example\","        \
    "   \"bob@alice.example\"], \"to\": [\"roberto@roberto.example\", \"maria@roberto.example\"]," \
    "   \"over\": \"11m\", \"size\": \"500\"}},"                                                   \
    " {\"at\": \"30m\", \"traffic\": {\"messages\": 2, \"from\": [\"bob@alice.example\"],"         \
    "   \"to\": [\"roberto@roberto.example\"]}}]}"

/* "t3 bob@alice.example>maria@roberto.example ..." from the user.result events. */
static char *traffic_summary(fixture_t *f)
{
    buf_t b = BUF_INIT;
    const char *p = events(f);
    while ((p = strstr(p, " user.result "))) {
        const char *end = strchr(p, '\n');
        buf_append(&b, p, (size_t)(end - p));
        buf_puts(&b, "\n");
        p = end;
    }
    return buf_steal(&b, NULL);
}

START_TEST(test_traffic_generator)
{
    fixture_t f;
    fixture_open(&f, TRAFFIC(1), 1);
    world_run_until(f.w, 3 * SIM_HOUR);
    const char *ev = events(&f);
    ck_assert_uint_eq(count_lines_with(ev, " user.send "), 14);
    ck_assert_uint_eq(timeline_traffic_sent(f.tl), 14);
    ck_assert_uint_eq(count_lines_with(ev, " mailbox.store "), 14);
    /* evenly spread: message k of 12 leaves at 1m + k * 11m / 12 */
    for (int k = 0; k < 12; k++) {
        char want[64];
        snprintf(want, sizeof want, "\n%lld user.send ", (long long)(SIM_MIN + k * 55 * SIM_SEC));
        ck_assert_msg(strstr(ev, want) != NULL, "no send at %s", want + 1);
    }
    /* labels run on across traffic actions */
    ck_assert_msg(strstr(ev, "1800000000 user.send bob-traffic.alice.example message=t13 ") ||
                      strstr(ev, "1800000000 user.send alice-pc message=t13 "),
                  "events:\n%s", ev);
    ck_assert_ptr_nonnull(strstr(ev, "message=t14 "));
    /* bob has no client: a generator host of his own sends for him */
    ck_assert_ptr_nonnull(world_agent_by_host(f.w, "bob-traffic.alice.example"));
    ck_assert_ptr_null(world_agent_by_host(f.w, "alice-traffic.alice.example"));
    ck_assert_uint_eq(f.nnotices, 0);
    fixture_close(&f);
}
END_TEST

START_TEST(test_traffic_deterministic_per_seed)
{
    char *runs[3];
    static const uint64_t seeds[] = {1, 1, 2};
    for (size_t i = 0; i < 3; i++) {
        fixture_t f;
        fixture_open(&f, TRAFFIC(1), seeds[i]);
        world_run_until(f.w, 3 * SIM_HOUR);
        runs[i] = traffic_summary(&f);
        fixture_close(&f);
    }
    ck_assert_uint_eq(count_lines_with(runs[0], "user.result"), 14);
    ck_assert_str_eq(runs[0], runs[1]);
    ck_assert_msg(strcmp(runs[0], runs[2]) != 0, "seeds 1 and 2 drew the same:\n%s", runs[0]);
    for (size_t i = 0; i < 3; i++)
        free(runs[i]);
}
END_TEST

/* A client's own password (not the user's) is the one it logs in with. */
START_TEST(test_client_password)
{
    fixture_t f;
    fixture_open(&f,
                 "{\"servers\": [{\"host\": \"mail.alice.example\", \"domains\": "
                 "[\"alice.example\"], \"users\": [{\"user\": \"alice\", \"password\": \"w\"}]}],"
                 " \"clients\": [{\"host\": \"alice-pc\", \"user\": \"alice@alice.example\","
                 "  \"password\": \"typo\"}],"
                 " \"timeline\": [{\"at\": \"0s\", \"send\": {\"from\": \"alice@alice.example\","
                 "  \"to\": \"alice@alice.example\"}}]}",
                 1);
    world_run_until(f.w, SIM_MIN);
    user_agent_t *a = world_agent_by_host(f.w, "alice-pc");
    ck_assert_uint_eq(agent_outcome_count(a), 1);
    /* the agent reports the refused AUTH as a transient failure, quoting the 535 */
    ck_assert_int_eq(agent_outcome_at(a, 0)->code, 451);
    ck_assert_ptr_nonnull(strstr(agent_outcome_at(a, 0)->text, "535"));
    fixture_close(&f);
}
END_TEST

/* Freeing the timeline before its actions ran cancels them. */
START_TEST(test_free_cancels)
{
    fixture_t f;
    fixture_open(
        &f,
        "{" SERVERS "\"timeline\": ["
        " {\"at\": \"1m\", \"down\": \"mail.roberto.example\", \"for\": \"1m\"},"
        " {\"at\": \"0s\", \"traffic\": {\"messages\": 5, \"from\": "
        "[\"bob@alice.example\"], \"to\": [\"roberto@roberto.example\"], \"over\": \"1h\"}}]}",
        1);
    world_run_until(f.w, 1);
    timeline_free(f.tl);
    f.tl = NULL;
    world_run_until(f.w, 2 * SIM_HOUR);
    ck_assert(up(&f, "mail.roberto.example"));
    ck_assert_uint_eq(count_lines_with(events(&f), "host.down"), 0);
    ck_assert_uint_eq(count_lines_with(events(&f), " user.send "), 1);
    fixture_close(&f);
}
END_TEST

Suite *scenario_timeline_suite(void)
{
    Suite *s = suite_create("scenario_timeline");
    TCase *tc = tcase_create("timeline");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_down_for_comes_back);
    tcase_add_test(tc, test_crash_for);
    tcase_add_test(tc, test_ties_in_file_order);
    tcase_add_test(tc, test_link_cut_keeps_other_properties);
    tcase_add_test(tc, test_dns_remove_and_set_mx);
    tcase_add_test(tc, test_send_and_via);
    tcase_add_test(tc, test_fetch_imap_and_session_run);
    tcase_add_test(tc, test_imap_without_the_service_is_said_once);
    tcase_add_test(tc, test_traffic_generator);
    tcase_add_test(tc, test_traffic_deterministic_per_seed);
    tcase_add_test(tc, test_client_password);
    tcase_add_test(tc, test_free_cancels);
    suite_add_tcase(s, tc);
    return s;
}
