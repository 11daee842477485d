/*
 * world: one simulated Internet. The shared simulation context, the network,
 * DNS, the mail servers and the user agents, and the accounting that checks
 * no accepted message is ever lost. Front ends (the scenario runner, the TUI,
 * tests) build a world through this API, drive its scheduler, and read it.
 *
 * The world owns everything it creates; world_free releases all of it.
 */
#ifndef MAILSIM_NODE_WORLD_H
#define MAILSIM_NODE_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sim.h"
#include "mail/queue_policy.h"
#include "mail/store.h"
#include "net/dns.h"
#include "net/net.h"

typedef struct world world_t;
typedef struct mail_server mail_server_t;
typedef struct user_agent user_agent_t;
typedef struct accounting accounting_t;

typedef enum relay_policy {
    RELAY_AUTHENTICATED, /* relay for clients that logged in (the default) */
    RELAY_OPEN,          /* relay for anyone: an open relay */
    RELAY_NONE,          /* never relay */
} relay_policy_t;

/* What a mail server is; strings are copied. Start from server_config_default. */
typedef struct server_config {
    const char *host;
    uint32_t addr;
    const char *const *domains;
    size_t ndomains;
    queue_policy_t queue;
    uint16_t smtp_port;       /* 0: no SMTP service */
    uint16_t submission_port; /* 0: no submission service */
    uint16_t pop3_port;
    uint16_t imap_port;
    uint64_t max_size;   /* largest message, octets */
    size_t max_recipients; /* in one transaction, past them 452 4.5.3; 0: the default (100) */
    unsigned extensions; /* SMTP_EXT_* offered on the SMTP port */
    relay_policy_t relay;
    uint64_t quota; /* per user, octets; 0: none */
} server_config_t;

void server_config_default(server_config_t *cfg);
/* The defaults, for one host serving one domain; *domain must outlive cfg. */
void server_config_for_domain(server_config_t *cfg, const char *host, uint32_t addr,
                              const char *const *domain);

world_t *world_new(uint64_t seed);
void world_free(world_t *w);

sim_t *world_sim(const world_t *w);
net_t *world_net(const world_t *w);
dns_t *world_dns(const world_t *w);
accounting_t *world_accounting(const world_t *w);
sim_time_t world_now(const world_t *w);

/*
 * Adds a mail server: a host, an A record, and for each domain an MX record
 * pointing at it (replace them with dns_set_mx for backup-MX labs). NULL and
 * a message in err when the host name or address is taken.
 */
mail_server_t *world_add_server(world_t *w, const server_config_t *cfg, char *err, size_t errlen);
size_t world_server_count(const world_t *w);
mail_server_t *world_server_at(const world_t *w, size_t i);
mail_server_t *world_server_by_host(const world_t *w, const char *host);
/* The server hosting the domain of an address or a domain, or NULL. */
mail_server_t *world_server_for_domain(const world_t *w, const char *address_or_domain);

/*
 * Adds a user agent on its own host. user (the full address) and password
 * may be NULL for a bare host (an attacker's laptop). server is the one it
 * submits to and reads from (NULL: none).
 */
user_agent_t *world_add_agent(world_t *w, const char *host, uint32_t addr, const char *user,
                              const char *password, mail_server_t *server, char *err,
                              size_t errlen);
size_t world_agent_count(const world_t *w);
user_agent_t *world_agent_at(const world_t *w, size_t i);
user_agent_t *world_agent_by_host(const world_t *w, const char *host);
user_agent_t *world_agent_by_user(const world_t *w, const char *address);

/* A free address from 192.0.2.0/24, then 198.51.100.0/24, then 203.0.113.0/24. */
uint32_t world_next_free_addr(const world_t *w);

/* Faults. down: the host stops answering, its disk survives; crash: sessions lost too. */
void world_host_down(world_t *w, const char *host);
void world_host_up(world_t *w, const char *host);
void world_host_crash(world_t *w, const char *host);

/* Runs the scheduler until t (or until idle when t is SIM_TIME_NEVER). */
void world_run_until(world_t *w, sim_time_t t);

/* Totals for reports. */
typedef struct world_stats {
    uint64_t accepted;  /* final 250s given by servers, bounces included */
    uint64_t delivered; /* copies put in mailboxes */
    uint64_t bounced;   /* recipients given up on */
    uint64_t queued;    /* queue entries waiting now */
    uint64_t relayed;   /* recipients handed to the next server */
} world_stats_t;
void world_stats(const world_t *w, world_stats_t *out);

#endif
