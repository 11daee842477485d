/*
 * server: a mail server host. It runs the SMTP service on port 25 (mail for
 * its own domains, relaying only as its policy allows), the submission
 * service on port 587 (authenticated users, any destination), local delivery
 * into its mailbox store, and the queue runner that carries everything else
 * to the next server. Its store and queue are its disk: they survive a
 * crash; its sessions do not.
 */
#ifndef MAILSIM_NODE_SERVER_H
#define MAILSIM_NODE_SERVER_H

#include "node/world.h"

const char *server_host_name(const mail_server_t *s);
host_t *server_host(const mail_server_t *s);
store_t *server_store(const mail_server_t *s);
const server_config_t *server_config(const mail_server_t *s);
bool server_hosts_domain(const mail_server_t *s, const char *domain);

/* Adds a mailbox user; false (and a message) when the name is taken or invalid. */
bool server_add_user(mail_server_t *s, const char *name, const char *password,
                     const char *display_name, char *err, size_t errlen);

/* Queue inspection, for expectations and the TUI. */
typedef struct queue_view {
    const char *message;   /* label: the send id or Message-ID */
    const char *recipient; /* one recipient still waiting */
    const char *domain;
    unsigned attempts;
    sim_time_t enqueued_at;
    sim_time_t next_attempt;
    bool in_flight;
    int last_code; /* 0 before the first attempt */
    const char *last_error;
} queue_view_t;
size_t server_queue_count(const mail_server_t *s);
/* One row per waiting recipient; false past the end. Borrowed until the queue changes. */
bool server_queue_at(const mail_server_t *s, size_t i, queue_view_t *out);

#endif
