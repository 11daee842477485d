/*
 * The scenario loader's output: good scenarios, written here, load into the
 * exact config values, the defaults of docs/scenario-format.md included.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "scenario/load.h"

/* Loads json, failing the test with the loader's lines when it has errors. */
static scenario_t *load_ok(const char *json)
{
    diag_t d = DIAG_INIT;
    scenario_t *sc = scenario_load_string("lab.json", json, strlen(json), &d);
    ck_assert_msg(diag_count(&d) == 0, "unexpected error: %s", diag_line(&d, 0));
    ck_assert_ptr_nonnull(sc);
    diag_free(&d);
    return sc;
}

static const char *addr(uint32_t a)
{
    static char text[16];
    return scenario_address_format(a, text, sizeof text);
}

START_TEST(test_empty_scenario_defaults)
{
    scenario_t *sc = load_ok("{}");
    ck_assert_str_eq(sc->source, "lab.json");
    ck_assert_str_eq(sc->id, "lab");
    ck_assert_str_eq(sc->title.en, "lab");
    ck_assert_ptr_null(sc->title.el);
    ck_assert_ptr_null(sc->description.en);
    ck_assert_uint_eq(sc->seed, 1);
    ck_assert_int_eq(sc->until, 30 * SIM_DAY);
    ck_assert(!sc->until_given);
    ck_assert_int_eq(sc->network.latency, 10 * SIM_MS);
    ck_assert_uint_eq(sc->network.bandwidth_bps, 100000000);
    ck_assert(sc->network.loss == 0.0);
    ck_assert_uint_eq(sc->network.mss, 1460);
    ck_assert_uint_eq(sc->network.nlinks, 0);
    ck_assert_int_eq(sc->dns.latency, 5 * SIM_MS);
    ck_assert_uint_eq(sc->dns.nmx, 0);
    ck_assert_uint_eq(sc->nservers + sc->nclients + sc->ntimeline + sc->nnarration + sc->nexpect,
                      0);
    scenario_free(sc);
}
END_TEST

/* The contract's own examples (SCENARIO-FORMAT.md), put together. */
static const char contract_example[] =
    "{\"$schema\": \"../docs/scenario.schema.json\","
    " \"title\": {\"en\": \"Alice writes to Roberto\", \"el\": \"Η Αλίκη γράφει στον Ρομπέρτο\"},"
    " \"description\": \"…\", \"seed\": 42, \"until\": \"3h\","
    " \"network\": {\"latency\": \"20ms\", \"bandwidth\": \"10Mbit\", \"loss\": 0.01, \"mss\": 536,"
    "   \"links\": [{\"between\": [\"mail.alice.example\", \"mail.roberto.example\"],"
    "                \"latency\": \"80ms\", \"loss\": 0.05}]},"
    " \"dns\": {\"latency\": \"5ms\", \"mx\": {\"roberto.example\": ["
    "   {\"host\": \"mail.roberto.example\", \"preference\": 10},"
    "   {\"host\": \"backup.roberto.example\", \"preference\": 20}]}},"
    " \"servers\": ["
    "  {\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\"],"
    "   \"users\": [{\"user\": \"alice\", \"password\": \"wonder\"}]},"
    "  {\"host\": \"mail.roberto.example\", \"address\": \"198.51.100.20\","
    "   \"domains\": [\"roberto.example\"],"
    "   \"users\": [{\"user\": \"roberto\", \"password\": \"secret\", \"name\": \"Ρομπέρτο\"}],"
    "   \"queue\": {\"retry\": \"30m\", \"backoff\": \"exponential\", \"max_retry\": \"4h\","
    "             \"give_up\": \"5d\", \"warn_after\": \"4h\"},"
    "   \"smtp\": {\"port\": 25, \"max_size\": \"10MB\", \"relay\": \"authenticated\","
    "            \"extensions\": [\"PIPELINING\", \"SIZE\", \"8BITMIME\", "
    "\"ENHANCEDSTATUSCODES\"]},"
    "   \"submission\": {\"port\": 587}, \"pop3\": {\"port\": 110}, \"imap\": {\"port\": 143},"
    "   \"quota\": \"50MB\"}],"
    " \"clients\": ["
    "  {\"host\": \"alice-pc\", \"user\": \"alice@alice.example\"},"
    "  {\"host\": \"roberto-pc\", \"user\": \"roberto@roberto.example\", \"password\": \"secret\","
    "   \"server\": \"mail.roberto.example\", \"access\": \"imap\", \"keep\": false},"
    "  {\"host\": \"student-pc\"}],"
    " \"timeline\": ["
    "  {\"at\": \"0s\", \"send\": {\"id\": \"m1\", \"from\": \"alice@alice.example\","
    "    \"to\": [\"roberto@roberto.example\"], \"subject\": \"Γεια σου\", \"body\": \"…\","
    "    \"attachments\": [{\"name\": \"photo.jpg\", \"type\": \"image/jpeg\", \"size\": "
    "\"20KB\"}]}},"
    "  {\"at\": \"2h\", \"fetch\": {\"client\": \"roberto-pc\"}},"
    "  {\"at\": \"3h\", \"imap\": {\"client\": \"roberto-pc\", \"create\": \"Σχολή\"}},"
    "  {\"at\": \"1m\", \"session\": {\"client\": \"student-pc\", \"server\": "
    "\"mail.roberto.example\","
    "    \"port\": 110, \"lines\": [\"USER roberto\", \"PASS secret\", \"STAT\", \"QUIT\"]}},"
    "  {\"at\": \"1m\", \"down\": \"mail.roberto.example\", \"for\": \"45m\"},"
    "  {\"at\": \"5m\", \"crash\": \"mail.alice.example\", \"for\": \"10m\"},"
    "  {\"at\": \"0s\", \"link\": {\"between\": [\"a-host\", \"b-host\"], \"loss\": 0.3,"
    "    \"latency\": \"200ms\", \"cut\": true}},"
    "  {\"at\": \"0s\", \"dns\": {\"remove_mx\": \"roberto.example\"}}],"
    " \"narration\": [{\"step\": 2, \"on\": {\"kind\": \"queue.enqueue\", \"host\": "
    "\"mail.alice.example\"},"
    "   \"say\": {\"en\": \"Alice's server puts the message in its queue.\", \"el\": \"…\"}}],"
    " \"expect\": ["
    "  {\"name\": \"delivered\", \"mailbox\": {\"user\": \"roberto@roberto.example\","
    "   \"folder\": \"INBOX\", \"subject\": \"Γεια σου\"}, \"count\": 1},"
    "  {\"name\": \"queue empty\", \"queue\": {\"host\": \"mail.alice.example\"}, \"count\": 0},"
    "  {\"name\": \"attempts\", \"event\": {\"kind\": \"queue.attempt\", \"host\": "
    "\"mail.alice.example\"}, \"count\": 3},"
    "  {\"name\": \"order\", \"points\": 2, \"order\": [{\"kind\": \"smtp.command\", \"verb\": "
    "\"MAIL\"},"
    "   {\"kind\": \"smtp.command\", \"verb\": \"RCPT\"}, {\"kind\": \"smtp.command\", \"verb\": "
    "\"DATA\"}]}]}";

/* The link change names two more hosts: add them as bare clients. */
static scenario_t *load_contract(void)
{
    char *json = xstrdup(contract_example);
    const char *bare = "{\"host\": \"student-pc\"}";
    char *at = strstr(json, bare);
    ck_assert_ptr_nonnull(at);
    char *full = xasprintf("%.*s%s, {\"host\": \"a-host\"}, {\"host\": \"b-host\"}%s",
                           (int)(at - json), json, bare, at + strlen(bare));
    scenario_t *sc = load_ok(full);
    free(full);
    free(json);
    return sc;
}

START_TEST(test_contract_top_and_network)
{
    scenario_t *sc = load_contract();
    ck_assert_str_eq(sc->title.en, "Alice writes to Roberto");
    ck_assert_str_eq(sc->title.el, "Η Αλίκη γράφει στον Ρομπέρτο");
    ck_assert_str_eq(scenario_text_get(&sc->title, "el"), "Η Αλίκη γράφει στον Ρομπέρτο");
    ck_assert_str_eq(sc->description.en, "…");
    ck_assert_str_eq(scenario_text_get(&sc->description, "el"), "…"); /* falls back to en */
    ck_assert_uint_eq(sc->seed, 42);
    ck_assert_int_eq(sc->until, 3 * SIM_HOUR);
    ck_assert(sc->until_given);
    ck_assert_int_eq(sc->network.latency, 20 * SIM_MS);
    ck_assert_uint_eq(sc->network.bandwidth_bps, 10000000);
    ck_assert(sc->network.loss == 0.01);
    ck_assert_uint_eq(sc->network.mss, 536);
    ck_assert_uint_eq(sc->network.nlinks, 1);
    const scenario_link_t *l = &sc->network.links[0];
    ck_assert_str_eq(l->a, "mail.alice.example");
    ck_assert_str_eq(l->b, "mail.roberto.example");
    ck_assert_int_eq(l->latency, 80 * SIM_MS);
    ck_assert_uint_eq(l->bandwidth_bps, 10000000); /* the network's */
    ck_assert(l->loss == 0.05);
    ck_assert(!l->cut);
    ck_assert_uint_eq(sc->dns.nmx, 1);
    ck_assert_str_eq(sc->dns.mx[0].domain, "roberto.example");
    ck_assert_uint_eq(sc->dns.mx[0].nrecords, 2);
    ck_assert_str_eq(sc->dns.mx[0].records[1].host, "backup.roberto.example");
    ck_assert_uint_eq(sc->dns.mx[0].records[1].preference, 20);
    scenario_free(sc);
}
END_TEST

START_TEST(test_contract_servers)
{
    scenario_t *sc = load_contract();
    ck_assert_uint_eq(sc->nservers, 2);
    const scenario_server_t *a = &sc->servers[0], *r = &sc->servers[1];
    /* Alice's server: every default. */
    ck_assert_str_eq(a->host, "mail.alice.example");
    ck_assert(!a->address_given);
    ck_assert_str_eq(addr(a->address), "192.0.2.1");
    ck_assert_uint_eq(a->ndomains, 1);
    ck_assert_str_eq(a->domains[0], "alice.example");
    ck_assert_uint_eq(a->nusers, 1);
    ck_assert_str_eq(a->users[0].user, "alice");
    ck_assert_str_eq(a->users[0].password, "wonder");
    ck_assert_ptr_null(a->users[0].name);
    ck_assert_int_eq(a->queue.retry, 30 * SIM_MIN);
    ck_assert_int_eq(a->queue.backoff, SCENARIO_BACKOFF_FIXED);
    ck_assert_int_eq(a->queue.max_retry, 4 * SIM_HOUR);
    ck_assert_int_eq(a->queue.give_up, 5 * SIM_DAY);
    ck_assert_int_eq(a->queue.warn_after, 0);
    ck_assert(a->smtp.offered);
    ck_assert_uint_eq(a->smtp.port, 25);
    ck_assert_uint_eq(a->smtp.max_size, 10000000);
    ck_assert_int_eq(a->smtp.relay, SCENARIO_RELAY_AUTHENTICATED);
    ck_assert_uint_eq(a->smtp.extensions, SCENARIO_EXT_DEFAULT);
    ck_assert(a->submission.offered && a->submission.port == 587);
    ck_assert(a->pop3.offered && a->pop3.port == 110);
    ck_assert(a->imap.offered && a->imap.port == 143);
    ck_assert_uint_eq(a->quota, 0);
    /* Roberto's: as written. */
    ck_assert(r->address_given);
    ck_assert_str_eq(addr(r->address), "198.51.100.20");
    ck_assert_str_eq(r->users[0].name, "Ρομπέρτο");
    ck_assert_int_eq(r->queue.backoff, SCENARIO_BACKOFF_EXPONENTIAL);
    ck_assert_int_eq(r->queue.warn_after, 4 * SIM_HOUR);
    ck_assert_uint_eq(r->smtp.extensions, SCENARIO_EXT(PIPELINING) | SCENARIO_EXT(SIZE) |
                                              SCENARIO_EXT(EIGHTBITMIME) |
                                              SCENARIO_EXT(ENHANCEDSTATUSCODES));
    ck_assert_uint_eq(r->quota, 50000000);
    scenario_free(sc);
}
END_TEST

START_TEST(test_contract_clients)
{
    scenario_t *sc = load_contract();
    ck_assert_uint_eq(sc->nclients, 5);
    const scenario_client_t *a = &sc->clients[0], *r = &sc->clients[1], *s = &sc->clients[2];
    ck_assert_str_eq(a->user, "alice@alice.example");
    ck_assert_str_eq(a->server, "mail.alice.example");
    ck_assert_uint_eq(a->server_index, 0);
    ck_assert_uint_eq(a->user_index, 0);
    ck_assert_str_eq(a->password, "wonder");
    ck_assert_int_eq(a->access, SCENARIO_ACCESS_POP3);
    ck_assert(!a->keep);
    ck_assert_str_eq(addr(a->address), "192.0.2.2");
    ck_assert_int_eq(r->access, SCENARIO_ACCESS_IMAP);
    ck_assert_uint_eq(r->server_index, 1);
    ck_assert_str_eq(addr(r->address), "192.0.2.3");
    ck_assert_ptr_null(s->user);
    ck_assert_ptr_null(s->server);
    ck_assert_ptr_null(s->password);
    ck_assert_str_eq(addr(s->address), "192.0.2.4");
    scenario_free(sc);
}
END_TEST

START_TEST(test_contract_timeline)
{
    scenario_t *sc = load_contract();
    ck_assert_uint_eq(sc->ntimeline, 8);
    const scenario_action_t *t = sc->timeline;
    ck_assert_int_eq(t[0].kind, SCENARIO_ACTION_SEND);
    const scenario_send_t *m = &t[0].u.send;
    ck_assert_str_eq(m->id, "m1");
    ck_assert_str_eq(m->from, "alice@alice.example");
    ck_assert_uint_eq(m->nto, 1);
    ck_assert_str_eq(m->to[0], "roberto@roberto.example");
    ck_assert_uint_eq(m->ncc + m->nbcc + m->nheaders, 0);
    ck_assert_str_eq(m->subject, "Γεια σου");
    ck_assert_str_eq(m->client, "alice-pc"); /* the sender's client */
    ck_assert_ptr_null(m->via_host);
    ck_assert_uint_eq(m->nattachments, 1);
    ck_assert_str_eq(m->attachments[0].type, "image/jpeg");
    ck_assert_uint_eq(m->attachments[0].size, 20000);
    ck_assert_ptr_null(m->attachments[0].text);

    ck_assert_int_eq(t[1].at, 2 * SIM_HOUR);
    ck_assert_int_eq(t[1].kind, SCENARIO_ACTION_FETCH);
    ck_assert_str_eq(t[1].u.fetch.client, "roberto-pc");
    ck_assert_int_eq(t[1].u.fetch.protocol, SCENARIO_ACCESS_IMAP); /* the client's access */
    ck_assert(!t[1].u.fetch.keep);
    ck_assert_str_eq(t[1].u.fetch.folder, "INBOX");

    ck_assert_int_eq(t[2].u.imap.op, SCENARIO_IMAP_CREATE);
    ck_assert_str_eq(t[2].u.imap.folder, "Σχολή");

    const scenario_session_t *s = &t[3].u.session;
    ck_assert_int_eq(t[3].kind, SCENARIO_ACTION_SESSION);
    ck_assert_str_eq(s->client, "student-pc");
    ck_assert_str_eq(s->server, "mail.roberto.example");
    ck_assert_uint_eq(s->port, 110);
    ck_assert_uint_eq(s->nlines, 4);
    ck_assert_str_eq(s->lines[3], "QUIT");

    ck_assert_int_eq(t[4].kind, SCENARIO_ACTION_DOWN);
    ck_assert_str_eq(t[4].u.host.host, "mail.roberto.example");
    ck_assert_int_eq(t[4].u.host.duration, 45 * SIM_MIN);
    ck_assert_int_eq(t[5].kind, SCENARIO_ACTION_CRASH);
    ck_assert_int_eq(t[5].u.host.duration, 10 * SIM_MIN);

    const scenario_link_change_t *l = &t[6].u.link;
    ck_assert(l->has_loss && l->has_latency && l->has_cut && !l->has_bandwidth);
    ck_assert(l->loss == 0.3);
    ck_assert_int_eq(l->latency, 200 * SIM_MS);
    ck_assert(l->cut);

    ck_assert_int_eq(t[7].u.dns.op, SCENARIO_DNS_REMOVE_MX);
    ck_assert_str_eq(t[7].u.dns.domain, "roberto.example");
    scenario_free(sc);
}
END_TEST

START_TEST(test_contract_narration_and_expect)
{
    scenario_t *sc = load_contract();
    ck_assert_uint_eq(sc->nnarration, 1);
    const scenario_narration_t *n = &sc->narration[0];
    ck_assert_int_eq(n->step, 2);
    ck_assert_int_eq(n->on.kind, TRACE_QUEUE_ENQUEUE);
    ck_assert_uint_eq(n->on.nfields, 2);
    ck_assert_str_eq(n->on.fields[1].name, "host");
    ck_assert_str_eq(n->on.fields[1].string, "mail.alice.example");
    ck_assert_str_eq(n->say.el, "…");

    ck_assert_uint_eq(sc->nexpect, 4);
    const scenario_expect_t *e = sc->expect;
    ck_assert_int_eq(e[0].kind, SCENARIO_CHECK_MAILBOX);
    ck_assert_int_eq(e[0].points, 1);
    ck_assert(!e[0].has_at);
    ck_assert_str_eq(e[0].u.mailbox.user, "roberto@roberto.example");
    ck_assert_str_eq(e[0].u.mailbox.subject, "Γεια σου");
    ck_assert_int_eq(e[0].count.kind, SCENARIO_COUNT_RANGE);
    ck_assert(e[0].count.min == 1 && e[0].count.max == 1);
    ck_assert_str_eq(e[1].u.queue.host, "mail.alice.example");
    ck_assert(e[1].count.min == 0 && e[1].count.max == 0);
    ck_assert_int_eq(e[2].u.event.kind, TRACE_QUEUE_ATTEMPT);
    ck_assert(e[2].count.min == 3 && e[2].count.max == 3);
    ck_assert_int_eq(e[3].kind, SCENARIO_CHECK_ORDER);
    ck_assert_int_eq(e[3].points, 2);
    ck_assert_uint_eq(e[3].u.order.nsteps, 3);
    ck_assert_str_eq(e[3].u.order.steps[2].fields[1].string, "DATA");
    scenario_free(sc);
}
END_TEST

/* Given addresses are skipped, in order servers then clients. */
START_TEST(test_addresses_skip_taken)
{
    scenario_t *sc = load_ok("{\"servers\": [{\"host\": \"a\"}, {\"host\": \"b\", \"address\": "
                             "\"192.0.2.1\"}],"
                             " \"clients\": [{\"host\": \"c\"}, {\"host\": \"d\", \"address\": "
                             "\"192.0.2.3\"}, {\"host\": \"e\"}]}");
    ck_assert_str_eq(addr(sc->servers[0].address), "192.0.2.2");
    ck_assert_str_eq(addr(sc->servers[1].address), "192.0.2.1");
    ck_assert_str_eq(addr(sc->clients[0].address), "192.0.2.4");
    ck_assert_str_eq(addr(sc->clients[1].address), "192.0.2.3");
    ck_assert_str_eq(addr(sc->clients[2].address), "192.0.2.5");
    scenario_free(sc);
}
END_TEST

START_TEST(test_services_and_policy)
{
    scenario_t *sc =
        load_ok("{\"servers\": [{\"host\": \"m\", \"pop3\": false, \"submission\": true,"
                " \"imap\": {\"port\": 993}, \"smtp\": {\"relay\": \"open\", \"max_size\": 0,"
                " \"extensions\": [\"smtputf8\", \"8BITMIME\"]},"
                " \"queue\": {\"retry\": \"5h\", \"backoff\": \"exponential\", \"give_up\": "
                "\"2d\"}},"
                " {\"host\": \"n\", \"smtp\": false, \"quota\": 2048}]}");
    const scenario_server_t *m = &sc->servers[0], *n = &sc->servers[1];
    ck_assert(!m->pop3.offered);
    ck_assert(m->submission.offered && m->submission.port == 587);
    ck_assert(m->imap.offered && m->imap.port == 993);
    ck_assert_int_eq(m->smtp.relay, SCENARIO_RELAY_OPEN);
    ck_assert_uint_eq(m->smtp.max_size, 0);
    ck_assert_uint_eq(m->smtp.extensions, SCENARIO_EXT(SMTPUTF8) | SCENARIO_EXT(EIGHTBITMIME));
    ck_assert_int_eq(m->queue.retry, 5 * SIM_HOUR);
    ck_assert_int_eq(m->queue.max_retry, 5 * SIM_HOUR); /* raised to retry */
    ck_assert_int_eq(m->queue.give_up, 2 * SIM_DAY);
    ck_assert(!n->smtp.offered);
    ck_assert_uint_eq(n->quota, 2048);
    ck_assert_str_eq(scenario_smtp_extension_name(SCENARIO_EXT_BIT_EIGHTBITMIME), "8BITMIME");
    ck_assert_int_eq(scenario_smtp_extension_from_name("SIZE"), SCENARIO_EXT_BIT_SIZE);
    ck_assert_int_eq(scenario_smtp_extension_from_name("STARTTLS"), -1);
    scenario_free(sc);
}
END_TEST

static const char two_servers[] =
    "\"servers\": [{\"host\": \"mail.alice.example\", \"domains\": [\"alice.example\", "
    "\"alice.org\"],"
    " \"users\": [{\"user\": \"alice\", \"password\": \"wonder\"}, {\"user\": \"bob\", "
    "\"password\": \"b\"}]},"
    " {\"host\": \"mail.roberto.example\", \"domains\": [\"roberto.example\"],"
    " \"users\": [{\"user\": \"roberto\", \"password\": \"secret\"}]}],"
    " \"clients\": [{\"host\": \"alice-pc\", \"user\": \"Alice@Alice.Example\"},"
    " {\"host\": \"roberto-pc\", \"user\": \"roberto@roberto.example\", \"keep\": true},"
    " {\"host\": \"evil-pc\"}]";

static scenario_t *load_with_servers(const char *rest)
{
    char *json = xasprintf("{%s, %s}", two_servers, rest);
    scenario_t *sc = load_ok(json);
    free(json);
    return sc;
}

START_TEST(test_send_forms)
{
    scenario_t *sc = load_with_servers(
        "\"timeline\": ["
        " {\"at\": \"0s\", \"send\": {\"from\": \"alice@alice.org\", \"to\": "
        "\"roberto@roberto.example\","
        "  \"cc\": [\"x@unknown.example\"], \"bcc\": [\"bob@alice.example\"],"
        "  \"headers\": {\"X-Priority\": \"1\", \"From\": \"ceo@bank.example\"},"
        "  \"attachments\": [{\"name\": \"a.txt\", \"text\": \"hello\"}]}},"
        " {\"at\": \"1m\", \"send\": {\"from\": \"\", \"to\": [\"roberto@roberto.example\"],"
        "  \"client\": \"evil-pc\", \"via\": \"mail.roberto.example:25\"}},"
        " {\"at\": \"2m\", \"send\": {\"from\": \"bob@alice.example\", \"to\": "
        "[\"alice@alice.example\"],"
        "  \"client\": \"alice-pc\"}}]");
    const scenario_send_t *a = &sc->timeline[0].u.send;
    ck_assert_str_eq(a->client, "alice-pc"); /* the same user in another domain */
    ck_assert_uint_eq(a->nto, 1);
    ck_assert_str_eq(a->to[0], "roberto@roberto.example");
    ck_assert_str_eq(a->cc[0], "x@unknown.example");
    ck_assert_str_eq(a->bcc[0], "bob@alice.example");
    ck_assert_uint_eq(a->nheaders, 2);
    ck_assert_str_eq(a->headers[1].name, "From");
    ck_assert_str_eq(a->headers[1].value, "ceo@bank.example");
    ck_assert_str_eq(a->attachments[0].type, "application/octet-stream");
    ck_assert_str_eq(a->attachments[0].text, "hello");
    ck_assert_uint_eq(a->attachments[0].size, 5);
    ck_assert_str_eq(a->subject, "");
    ck_assert_str_eq(a->body, "");
    ck_assert_ptr_null(a->id);
    const scenario_send_t *b = &sc->timeline[1].u.send;
    ck_assert_str_eq(b->from, "");
    ck_assert_str_eq(b->client, "evil-pc");
    ck_assert_str_eq(b->via_host, "mail.roberto.example");
    ck_assert_uint_eq(b->via_port, 25);
    ck_assert_str_eq(sc->timeline[2].u.send.client, "alice-pc");
    scenario_free(sc);
}
END_TEST

START_TEST(test_other_actions)
{
    scenario_t *sc = load_with_servers(
        "\"timeline\": ["
        " {\"at\": \"1h\", \"fetch\": {\"client\": \"roberto-pc\"}},"
        " {\"at\": \"1h\", \"fetch\": {\"client\": \"roberto-pc\", \"protocol\": \"imap\", "
        "\"folder\": \"Work\", \"keep\": false}},"
        " {\"at\": \"2h\", \"imap\": {\"client\": \"roberto-pc\", \"flag\": {\"subject\": \"Hi\","
        "  \"add\": [\"\\\\Flagged\", \"$Important\"], \"remove\": [\"\\\\Seen\"]}}},"
        " {\"at\": \"2h\", \"imap\": {\"client\": \"roberto-pc\", \"move\": {\"subject\": \"Hi\", "
        "\"to\": \"Work\"}}},"
        " {\"at\": \"2h\", \"up\": \"mail.roberto.example\"},"
        " {\"at\": \"3h\", \"link\": {\"between\": [\"alice-pc\", \"mail.alice.example\"], "
        "\"bandwidth\": \"56kbit\"}},"
        " {\"at\": \"3h\", \"dns\": {\"set_mx\": {\"roberto.example\": [{\"host\": "
        "\"mx.other.example\"}]}}},"
        " {\"at\": \"4h\", \"traffic\": {\"messages\": 100, \"from\": [\"alice@alice.example\"],"
        "  \"to\": [\"roberto@roberto.example\", \"nobody@nowhere.example\"]}}]");
    const scenario_action_t *t = sc->timeline;
    ck_assert_int_eq(t[0].u.fetch.protocol, SCENARIO_ACCESS_POP3);
    ck_assert(t[0].u.fetch.keep); /* the client's keep */
    ck_assert_int_eq(t[1].u.fetch.protocol, SCENARIO_ACCESS_IMAP);
    ck_assert(!t[1].u.fetch.keep);
    ck_assert_str_eq(t[1].u.fetch.folder, "Work");
    const scenario_imap_t *f = &t[2].u.imap;
    ck_assert_int_eq(f->op, SCENARIO_IMAP_FLAG);
    ck_assert_str_eq(f->subject, "Hi");
    ck_assert_uint_eq(f->nadd, 2);
    ck_assert_str_eq(f->add[0], "\\Flagged");
    ck_assert_str_eq(f->remove[0], "\\Seen");
    ck_assert_int_eq(t[3].u.imap.op, SCENARIO_IMAP_MOVE);
    ck_assert_str_eq(t[3].u.imap.folder, "Work");
    ck_assert_int_eq(t[4].kind, SCENARIO_ACTION_UP);
    ck_assert_int_eq(t[4].u.host.duration, 0);
    ck_assert(t[5].u.link.has_bandwidth && !t[5].u.link.has_loss && !t[5].u.link.has_cut);
    ck_assert_uint_eq(t[5].u.link.bandwidth_bps, 56000);
    ck_assert_int_eq(t[6].u.dns.op, SCENARIO_DNS_SET_MX);
    ck_assert_uint_eq(t[6].u.dns.nsets, 1);
    ck_assert_uint_eq(t[6].u.dns.sets[0].records[0].preference, 10);
    const scenario_traffic_t *tr = &t[7].u.traffic;
    ck_assert_uint_eq(tr->messages, 100);
    ck_assert_uint_eq(tr->nfrom, 1);
    ck_assert_uint_eq(tr->nto, 2);
    ck_assert_int_eq(tr->over, 0);
    ck_assert_uint_eq(tr->size, 2000);
    ck_assert_str_eq(scenario_action_name(t[7].kind), "traffic");
    scenario_free(sc);
}
END_TEST

START_TEST(test_expect_forms)
{
    scenario_t *sc = load_with_servers(
        "\"expect\": ["
        " {\"name\": \"any\", \"mailbox\": {\"user\": \"ROBERTO@roberto.example\","
        "  \"header\": {\"X-Priority\": \"1\"}, \"body_contains\": \"hello\"}},"
        " {\"name\": \"range\", \"at\": \"1h\", \"points\": 0, \"event\": {\"kind\": "
        "\"queue.attempt\"}, \"min\": 2},"
        " {\"name\": \"at most\", \"event\": {\"kind\": \"tcp.retransmit\", \"port\": 25}, "
        "\"max\": 4},"
        " {\"name\": \"nth\", \"event\": {\"kind\": \"smtp.reply\", \"code\": 250, \"from\": "
        "\"mail.roberto.example\"},"
        "  \"nth\": 2, \"between\": [\"0s\", \"1h30m\"], \"contains\": \"OK\"}]");
    const scenario_expect_t *e = sc->expect;
    ck_assert_str_eq(e[0].u.mailbox.folder, "INBOX");
    ck_assert_str_eq(e[0].u.mailbox.body_contains, "hello");
    ck_assert_str_eq(e[0].u.mailbox.headers[0].value, "1");
    ck_assert(e[0].count.min == 1 && e[0].count.max == -1); /* at least one */
    ck_assert(e[1].has_at && e[1].at == SIM_HOUR);
    ck_assert_int_eq(e[1].points, 0);
    ck_assert(e[1].count.min == 2 && e[1].count.max == -1);
    ck_assert(e[2].count.min == 0 && e[2].count.max == 4);
    ck_assert(e[2].u.event.fields[1].is_number && e[2].u.event.fields[1].number == 25);
    ck_assert_int_eq(e[3].count.kind, SCENARIO_COUNT_NTH);
    ck_assert_int_eq(e[3].count.nth, 2);
    ck_assert_int_eq(e[3].count.from, 0);
    ck_assert_int_eq(e[3].count.until, 90 * SIM_MIN);
    ck_assert_str_eq(e[3].u.event.contains, "OK");
    ck_assert(e[3].u.event.fields[1].is_number && e[3].u.event.fields[1].number == 250);
    ck_assert(!e[3].u.event.fields[2].is_number);
    scenario_free(sc);
}
END_TEST

START_TEST(test_lookups)
{
    scenario_t *sc = load_with_servers("\"seed\": 3");
    const scenario_user_t *u = NULL;
    const scenario_server_t *s = scenario_find_user(sc, "Bob@ALICE.org", &u);
    ck_assert_ptr_eq(s, &sc->servers[0]);
    ck_assert_str_eq(u->user, "bob");
    ck_assert_ptr_null(scenario_find_user(sc, "carol@alice.org", NULL));
    ck_assert_ptr_null(scenario_find_user(sc, "alice", NULL));
    ck_assert_ptr_eq(scenario_find_domain(sc, "roberto.example"), &sc->servers[1]);
    ck_assert_ptr_eq(scenario_find_server(sc, "Mail.Roberto.Example"), &sc->servers[1]);
    ck_assert_ptr_null(scenario_find_server(sc, "alice-pc"));
    ck_assert_ptr_eq(scenario_find_client(sc, "evil-pc"), &sc->clients[2]);
    scenario_text_t empty = {NULL, NULL}, el_only = {NULL, (char *)"γεια"};
    ck_assert_ptr_null(scenario_text_get(&empty, "en"));
    ck_assert_str_eq(scenario_text_get(&el_only, "en"), "γεια");
    scenario_free(sc);
}
END_TEST

Suite *scenario_config_suite(void)
{
    Suite *s = suite_create("scenario_config");
    TCase *tc = tcase_create("good");
    tcase_add_test(tc, test_empty_scenario_defaults);
    tcase_add_test(tc, test_contract_top_and_network);
    tcase_add_test(tc, test_contract_servers);
    tcase_add_test(tc, test_contract_clients);
    tcase_add_test(tc, test_contract_timeline);
    tcase_add_test(tc, test_contract_narration_and_expect);
    tcase_add_test(tc, test_addresses_skip_taken);
    tcase_add_test(tc, test_services_and_policy);
    tcase_add_test(tc, test_send_forms);
    tcase_add_test(tc, test_other_actions);
    tcase_add_test(tc, test_expect_forms);
    tcase_add_test(tc, test_lookups);
    suite_add_tcase(s, tc);
    return s;
}
