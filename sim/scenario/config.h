/*
 * config: a scenario as plain C data, the loader's output and the input of
 * whatever builds a world from it. No JSON type appears here. The loader
 * fills every default (docs/scenario-format.md), assigns missing addresses
 * and resolves references, so a scenario_t that the loader returned is
 * complete and consistent: every host, user, client and domain it names
 * exists unless the format allows otherwise (recipients on unknown domains,
 * MX hosts that do not exist).
 *
 * Ownership: a scenario_t owns every string and array below it;
 * scenario_free releases all of it. Counts travel beside their arrays.
 * Addresses are IPv4 in host byte order (192.0.2.1 is 0xC0000201). Names are
 * kept as written; hosts, domains and users compare case-insensitively.
 */
#ifndef MAILSIM_SCENARIO_CONFIG_H
#define MAILSIM_SCENARIO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/time.h"

/* A text in several languages; an absent language is NULL. A plain string
 * in the file is English. */
typedef struct scenario_text {
    char *en;
    char *el;
} scenario_text_t;

/* lang ("en", "el"), else English, else any language present; NULL when empty. */
const char *scenario_text_get(const scenario_text_t *text, const char *lang);

/* ---- network ------------------------------------------------------------ */

/* One pair's path properties, both directions (network.links). */
typedef struct scenario_link {
    char *a, *b;            /* host names, different, both known */
    sim_time_t latency;     /* one way */
    uint64_t bandwidth_bps; /* bits per second */
    double loss;            /* chance a segment is lost, 0..1 */
    bool cut;               /* no segment gets through */
} scenario_link_t;

typedef struct scenario_network {
    sim_time_t latency;     /* default 10ms */
    uint64_t bandwidth_bps; /* default 100Mbit */
    double loss;            /* default 0 */
    uint32_t mss;           /* default 1460 */
    scenario_link_t *links; /* unset properties hold the defaults above */
    size_t nlinks;
} scenario_network_t;

/* ---- dns ---------------------------------------------------------------- */

typedef struct scenario_mx {
    char *host; /* need not be a scenario host: then lookups of it fail */
    uint16_t preference;
} scenario_mx_t;

/* The MX records of one domain; none (nrecords 0) means the domain has no MX. */
typedef struct scenario_mx_set {
    char *domain;
    scenario_mx_t *records;
    size_t nrecords;
} scenario_mx_set_t;

typedef struct scenario_dns {
    sim_time_t latency;    /* default 5ms */
    scenario_mx_set_t *mx; /* overrides; other served domains get one MX */
    size_t nmx;            /* (preference 10) pointing at their server */
} scenario_dns_t;

/* ---- servers ------------------------------------------------------------ */

typedef struct scenario_user {
    char *user; /* the local part: "roberto" */
    char *password;
    char *name; /* display name, NULL when none */
} scenario_user_t;

typedef enum scenario_backoff {
    SCENARIO_BACKOFF_FIXED,       /* every retry after `retry` */
    SCENARIO_BACKOFF_EXPONENTIAL, /* doubling from `retry` up to `max_retry` */
} scenario_backoff_t;

typedef struct scenario_queue_policy {
    sim_time_t retry;           /* default 30m, > 0 */
    scenario_backoff_t backoff; /* default fixed */
    sim_time_t max_retry;       /* default 4h, >= retry */
    sim_time_t give_up;         /* default 5d: then bounce */
    sim_time_t warn_after;      /* 0: no delay warning (default) */
} scenario_queue_policy_t;

typedef enum scenario_relay {
    SCENARIO_RELAY_AUTHENTICATED, /* relays for logged-in users (default) */
    SCENARIO_RELAY_OPEN,          /* relays for anyone */
    SCENARIO_RELAY_NONE,          /* relays for no one */
} scenario_relay_t;

/* SMTP service extensions a server may offer (EHLO keywords), as bits. */
#define SCENARIO_SMTP_EXTENSIONS(X)                                                                \
    X(PIPELINING, "PIPELINING")                                                                    \
    X(SIZE, "SIZE")                                                                                \
    X(EIGHTBITMIME, "8BITMIME")                                                                    \
    X(ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES")                                                  \
    X(SMTPUTF8, "SMTPUTF8")

typedef enum scenario_smtp_extension_bit {
#define X(id, name) SCENARIO_EXT_BIT_##id,
    SCENARIO_SMTP_EXTENSIONS(X)
#undef X
        SCENARIO_EXT_COUNT
} scenario_smtp_extension_bit_t;

#define SCENARIO_EXT(id) (1u << SCENARIO_EXT_BIT_##id)
#define SCENARIO_EXT_DEFAULT                                                                       \
    (SCENARIO_EXT(PIPELINING) | SCENARIO_EXT(SIZE) | SCENARIO_EXT(EIGHTBITMIME) |                  \
     SCENARIO_EXT(ENHANCEDSTATUSCODES))

/* "8BITMIME" for SCENARIO_EXT_BIT_EIGHTBITMIME; NULL past the end. */
const char *scenario_smtp_extension_name(unsigned bit);
/* The bit of a keyword (exact, upper case), or -1. */
int scenario_smtp_extension_from_name(const char *name);

typedef struct scenario_service {
    bool offered; /* false when set to false in the file */
    uint16_t port;
} scenario_service_t;

typedef struct scenario_smtp {
    bool offered;           /* default true */
    uint16_t port;          /* default 25 */
    uint64_t max_size;      /* bytes; default 10MB; 0: no limit (RFC 1870 "SIZE 0") */
    uint32_t max_recipients; /* in one transaction; default 100 (RFC 5321 4.5.3.1.8) */
    scenario_relay_t relay; /* default authenticated */
    unsigned extensions;    /* SCENARIO_EXT bits; default SCENARIO_EXT_DEFAULT */
} scenario_smtp_t;

typedef struct scenario_server {
    char *host;
    uint32_t address;
    bool address_given; /* false: assigned by the loader */
    char **domains;     /* may be empty (a pure relay) */
    size_t ndomains;
    scenario_user_t *users; /* each has an address in every domain */
    size_t nusers;
    scenario_queue_policy_t queue;
    scenario_smtp_t smtp;
    scenario_service_t submission; /* default 587 */
    scenario_service_t pop3;       /* default 110 */
    scenario_service_t imap;       /* default 143 */
    uint64_t quota;                /* bytes per mailbox; 0: none (default) */
    /* "external": a real server plays this host (mailsim serve): the
     * simulated MTAs' connections to its port 25 go to external_addr:
     * external_port over loopback. NULL when the server is simulated; an
     * external server has no users, queue or services of its own. */
    char *external; /* as written: "127.0.0.1:2526" */
    uint32_t external_addr;
    uint16_t external_port;
} scenario_server_t;

/* ---- clients ------------------------------------------------------------ */

typedef enum scenario_access {
    SCENARIO_ACCESS_POP3, /* default */
    SCENARIO_ACCESS_IMAP,
} scenario_access_t;

typedef struct scenario_client {
    char *host;
    uint32_t address;
    bool address_given;
    /* The rest is NULL / unused for a bare host (no "user" in the file). */
    char *user;          /* full address: "roberto@roberto.example" */
    char *password;      /* default: that user's */
    char *server;        /* default: the server hosting the user's domain */
    size_t server_index; /* into scenario_t.servers */
    size_t user_index;   /* into that server's users */
    scenario_access_t access;
    bool keep; /* POP3: leave messages on the server */
} scenario_client_t;

/* ---- timeline ----------------------------------------------------------- */

typedef enum scenario_action_kind {
    SCENARIO_ACTION_SEND,
    SCENARIO_ACTION_FETCH,
    SCENARIO_ACTION_IMAP,
    SCENARIO_ACTION_SESSION,
    SCENARIO_ACTION_DOWN,
    SCENARIO_ACTION_UP,
    SCENARIO_ACTION_CRASH,
    SCENARIO_ACTION_LINK,
    SCENARIO_ACTION_DNS,
    SCENARIO_ACTION_TRAFFIC,
} scenario_action_kind_t;

/* "send", "fetch", ...: the action's key in the file. */
const char *scenario_action_name(scenario_action_kind_t kind);

typedef struct scenario_header {
    char *name;
    char *value;
} scenario_header_t;

typedef struct scenario_attachment {
    char *name;
    char *type;    /* default "application/octet-stream" */
    char *text;    /* the content, or NULL when generated from size */
    uint64_t size; /* generated bytes (text == NULL), or strlen(text) */
} scenario_attachment_t;

typedef struct scenario_send {
    char *id;   /* label for expectations, NULL when none */
    char *from; /* an address; "" is the null sender (only with via) */
    char **to, **cc, **bcc;
    size_t nto, ncc, nbcc; /* at least one recipient in all */
    char *subject;         /* default "" */
    char *body;            /* default "" */
    scenario_header_t *headers;
    size_t nheaders;
    scenario_attachment_t *attachments;
    size_t nattachments;
    char *client;      /* the sending client's host (default: the client of `from`) */
    char *via_host;    /* NULL: submit to the client's server, logged in */
    uint16_t via_port; /* with via_host: connect there, no login */
} scenario_send_t;

typedef struct scenario_fetch {
    char *client;
    scenario_access_t protocol; /* default: the client's access */
    bool keep;                  /* default: the client's keep */
    char *folder;               /* default "INBOX" (IMAP only) */
} scenario_fetch_t;

typedef enum scenario_imap_op {
    SCENARIO_IMAP_CREATE,
    SCENARIO_IMAP_DELETE_FOLDER,
    SCENARIO_IMAP_MOVE,
    SCENARIO_IMAP_FLAG,
    SCENARIO_IMAP_DELETE,
} scenario_imap_op_t;

typedef struct scenario_imap {
    char *client;
    scenario_imap_op_t op;
    char *folder;         /* create, delete_folder: the folder; move: the target */
    char *subject;        /* move, flag, delete: which messages (decoded subject) */
    char **add, **remove; /* flag: flags to add and remove */
    size_t nadd, nremove;
} scenario_imap_t;

typedef struct scenario_session {
    char *client;
    char *server; /* a host name */
    uint16_t port;
    char **lines; /* without CRLF */
    size_t nlines;
} scenario_session_t;

/* down, up, crash. */
typedef struct scenario_host_action {
    char *host;
    sim_time_t duration; /* "for": back up after this long; 0 when absent */
} scenario_host_action_t;

typedef struct scenario_link_change {
    char *a, *b;
    bool has_latency, has_bandwidth, has_loss, has_cut;
    sim_time_t latency;
    uint64_t bandwidth_bps;
    double loss;
    bool cut;
} scenario_link_change_t;

typedef enum scenario_dns_op {
    SCENARIO_DNS_REMOVE_MX,
    SCENARIO_DNS_SET_MX,
} scenario_dns_op_t;

typedef struct scenario_dns_change {
    scenario_dns_op_t op;
    char *domain;            /* remove_mx */
    scenario_mx_set_t *sets; /* set_mx */
    size_t nsets;
} scenario_dns_change_t;

/* Background mail: `messages` sends spread over `over`, random senders and
 * recipients from the lists (drawn from the scenario's PRNG). */
typedef struct scenario_traffic {
    uint64_t messages;
    char **from; /* users of some server */
    size_t nfrom;
    char **to; /* addresses */
    size_t nto;
    sim_time_t over; /* default 0: all at `at` */
    uint64_t size;   /* body bytes per message, default 2KB */
} scenario_traffic_t;

typedef struct scenario_action {
    sim_time_t at;
    scenario_action_kind_t kind;
    union {
        scenario_send_t send;
        scenario_fetch_t fetch;
        scenario_imap_t imap;
        scenario_session_t session;
        scenario_host_action_t host; /* down, up, crash */
        scenario_link_change_t link;
        scenario_dns_change_t dns;
        scenario_traffic_t traffic;
    } u;
} scenario_action_t;

/* ---- matching events (narration, expectations) -------------------------- */

typedef struct scenario_field_match {
    char *name;     /* a trace field name (core/trace.h) */
    bool is_number; /* the field holds a number */
    char *string;   /* when !is_number */
    int64_t number; /* when is_number */
} scenario_field_match_t;

typedef struct scenario_match {
    int kind;                       /* trace_kind_t, or -1 when "kind" is not given */
    scenario_field_match_t *fields; /* "kind" included, in file order */
    size_t nfields;
    char *contains; /* a substring of "line", NULL when none */
} scenario_match_t;

typedef struct scenario_narration {
    int64_t step; /* >= 1, unique */
    scenario_match_t on;
    scenario_text_t say;
} scenario_narration_t;

/* ---- expectations ------------------------------------------------------- */

typedef enum scenario_check_kind {
    SCENARIO_CHECK_MAILBOX,
    SCENARIO_CHECK_QUEUE,
    SCENARIO_CHECK_EVENT,
    SCENARIO_CHECK_ORDER,
} scenario_check_kind_t;

typedef struct scenario_mailbox_check {
    char *user;                                     /* full address of a known user */
    char *folder;                                   /* default "INBOX" */
    char *subject, *from, *message, *body_contains; /* NULL: any */
    scenario_header_t *headers;                     /* decoded value, name case-insensitive */
    size_t nheaders;
} scenario_mailbox_check_t;

typedef struct scenario_queue_check {
    char *host;                /* a server */
    char *message, *recipient; /* NULL: any */
} scenario_queue_check_t;

/* How many matches pass (mailbox, queue, event). */
typedef enum scenario_count_kind {
    SCENARIO_COUNT_RANGE, /* min <= matches <= max */
    SCENARIO_COUNT_NTH,   /* event only: the nth match is within [from, until] */
} scenario_count_kind_t;

typedef struct scenario_count {
    scenario_count_kind_t kind;
    int64_t min, max; /* max -1: no upper bound; no count/min/max: at least 1 */
    int64_t nth;      /* 1-based */
    sim_time_t from, until;
} scenario_count_t;

typedef struct scenario_expect {
    char *name;     /* unique */
    int64_t points; /* default 1 */
    bool has_at;
    sim_time_t at; /* judge at this time instead of at the end */
    scenario_check_kind_t kind;
    scenario_count_t count; /* unused for order */
    union {
        scenario_mailbox_check_t mailbox;
        scenario_queue_check_t queue;
        scenario_match_t event;
        struct {
            scenario_match_t *steps; /* at least one */
            size_t nsteps;
        } order;
    } u;
} scenario_expect_t;

/* ---- the scenario ------------------------------------------------------- */

typedef struct scenario {
    char *source;                /* the name the loader was given: "labs/lab3.json" */
    char *id;                    /* its base name without ".json": "lab3" */
    scenario_text_t title;       /* default: en = id */
    scenario_text_t description; /* may be empty */
    uint64_t seed;               /* default 1 */
    sim_time_t until;            /* default 30d */
    bool until_given;            /* false: stop when idle, at most `until` */
    scenario_network_t network;
    scenario_dns_t dns;
    scenario_server_t *servers;
    size_t nservers;
    scenario_client_t *clients;
    size_t nclients;
    scenario_action_t *timeline; /* in file order; runs by `at`, ties in file order */
    size_t ntimeline;
    scenario_narration_t *narration; /* in file order */
    size_t nnarration;
    scenario_expect_t *expect;
    size_t nexpect;
} scenario_t;

/* Frees everything the scenario owns and the scenario itself; NULL is fine. */
void scenario_free(scenario_t *sc);

/* Lookups by name (case-insensitive); NULL when absent. */
const scenario_server_t *scenario_find_server(const scenario_t *sc, const char *host);
const scenario_client_t *scenario_find_client(const scenario_t *sc, const char *host);
/* The server whose domains include domain. */
const scenario_server_t *scenario_find_domain(const scenario_t *sc, const char *domain);
/* A full address "user@domain" of a user of some server; sets *user_out when found. */
const scenario_server_t *scenario_find_user(const scenario_t *sc, const char *address,
                                            const scenario_user_t **user_out);

/* "192.0.2.1" into out (at least 16 bytes); returns out. */
char *scenario_address_format(uint32_t address, char *out, size_t n);

#endif
