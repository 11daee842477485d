/*
 * walkthrough: Alice writes to Roberto. Two mail servers, two PCs, one
 * message with a Greek subject; each lecture step is announced when its
 * event first happens (the events of the scenario format's walkthrough
 * table).
 */
#include "walkthrough.h"

#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "node/accounting.h"
#include "node/agent.h"
#include "node/server.h"
#include "node/world.h"

typedef struct step {
    int number;
    trace_kind_t kind;
    const char *host;
    const char *verb;
    int port;
    const char *en;
    const char *el;
} step_t;

static const step_t steps[] = {
    {1, TRACE_USER_SEND, "alice-pc", NULL, 0,
     "Alice writes the message to roberto@roberto.example and tells her mail client to send it.",
     "Η Αλίκη γράφει το μήνυμα προς roberto@roberto.example και λέει στο mail client να το στείλει."},
    {2, TRACE_QUEUE_ENQUEUE, "mail.alice.example", NULL, 0,
     "Her client has sent it to her mail server, where it is placed in the message queue.",
     "Ο mail client το έστειλε στο mail server της, όπου τοποθετείται στην ουρά μηνυμάτων."},
    {3, TRACE_TCP_ESTABLISHED, "mail.alice.example", NULL, 25,
     "The SMTP client on Alice's server sees the message in the queue and opens a TCP "
     "connection to the SMTP server on Roberto's mail server.",
     "Η client πλευρά του SMTP στον server της Αλίκης βλέπει το μήνυμα στην ουρά και ανοίγει "
     "σύνδεση TCP προς τον SMTP server του Ρομπέρτο."},
    {4, TRACE_SMTP_COMMAND, "mail.roberto.example", "DATA", 25,
     "After the SMTP handshake (EHLO, MAIL, RCPT), the client sends Alice's message over the "
     "TCP connection.",
     "Μετά τη χειραψία SMTP (EHLO, MAIL, RCPT), ο client στέλνει το μήνυμα της Αλίκης στη "
     "σύνδεση TCP."},
    {5, TRACE_MAILBOX_STORE, "mail.roberto.example", NULL, 0,
     "Roberto's mail server has received the message and places it in his mailbox.",
     "Ο mail server του Ρομπέρτο έλαβε το μήνυμα και το τοποθετεί στη θυρίδα του."},
};

typedef struct printer {
    const walkthrough_options_t *opt;
    FILE *out;
    bool reached[ARRAY_LEN(steps)];
    buf_t line;
} printer_t;

static bool step_matches(const step_t *s, const trace_event_t *ev)
{
    if (ev->kind != s->kind || !ev->host || strcmp(ev->host, s->host) != 0)
        return false;
    if (s->verb && (!ev->verb || strcmp(ev->verb, s->verb) != 0))
        return false;
    return s->port == 0 || ev->port == s->port;
}

static void on_event(void *ctx, const trace_event_t *ev)
{
    printer_t *p = ctx;
    bool el = strcmp(p->opt->lang, "el") == 0;
    for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
        if (p->reached[i] || !step_matches(&steps[i], ev))
            continue;
        p->reached[i] = true;
        fprintf(p->out, "%s%s %d: %s%s\n", p->opt->color ? "\033[1;33m" : "",
                el ? "\n== Βήμα" : "\n== Step", steps[i].number, el ? steps[i].el : steps[i].en,
                p->opt->color ? "\033[0m" : "");
    }
    if (!p->opt->segments && (ev->kind == TRACE_TCP_SEGMENT || ev->kind == TRACE_TCP_DROP ||
                              ev->kind == TRACE_TCP_RETRANSMIT))
        return;
    buf_reset(&p->line);
    trace_format_text(ev, &p->line);
    fprintf(p->out, "%s\n", buf_cstr(&p->line));
}

static mail_server_t *add_server(world_t *w, const char *host, const char *domain, uint32_t addr)
{
    server_config_t cfg;
    server_config_for_domain(&cfg, host, addr, &domain);
    char err[200];
    mail_server_t *s = world_add_server(w, &cfg, err, sizeof err);
    if (!s)
        panic("walkthrough: %s", err);
    return s;
}

int walkthrough_run(const walkthrough_options_t *opt, FILE *out)
{
    world_t *w = world_new(1);
    printer_t p = {.opt = opt, .out = out};
    char err[200];
    mail_server_t *alice_srv = add_server(w, "mail.alice.example", "alice.example", 0xC000020Au);
    mail_server_t *roberto_srv =
        add_server(w, "mail.roberto.example", "roberto.example", 0xC6336414u);
    if (!server_add_user(alice_srv, "alice", "wonderland", "Alice", err, sizeof err) ||
        !server_add_user(roberto_srv, "roberto", "secret", "Ρομπέρτο", err, sizeof err))
        panic("walkthrough: %s", err);
    user_agent_t *alice_pc = world_add_agent(w, "alice-pc", 0xC0000264u, "alice@alice.example",
                                             "wonderland", alice_srv, err, sizeof err);
    if (!alice_pc || !world_add_agent(w, "roberto-pc", 0xC6336464u, "roberto@roberto.example",
                                      "secret", roberto_srv, err, sizeof err))
        panic("walkthrough: %s", err);
    trace_subscribe(&world_sim(w)->trace, on_event, &p);
    const char *to = "roberto@roberto.example";
    agent_send_t m = {.id = "m1", .to = &to, .nto = 1, .subject = "Γεια σου, Ρομπέρτο",
                      .body = "Καλημέρα! Τα λέμε στο μάθημα.\n"};
    if (!agent_send(alice_pc, &m, err, sizeof err))
        panic("walkthrough: %s", err);
    world_run_until(w, 3 * SIM_HOUR);
    store_user_t *u = store_find_user(server_store(roberto_srv), "roberto");
    uint32_t n = store_folder_msg_count(store_inbox(u));
    bool el = strcmp(opt->lang, "el") == 0;
    fprintf(out, "\n%s %u\n",
            el ? "Μηνύματα στη θυρίδα του Ρομπέρτο (INBOX):"
               : "Messages in Roberto's mailbox (INBOX):",
            n);
    buf_t acct = BUF_INIT;
    bool ok = accounting_check(world_accounting(w), w, &acct);
    if (!ok)
        fprintf(out, "accounting: %s", buf_cstr(&acct));
    buf_free(&acct);
    buf_free(&p.line);
    world_free(w);
    return ok && n == 1 ? 0 : 1;
}
