/*
 * dns: the simulated resolver and its zone data. A zone database of A and MX
 * records, plus queries answered after a latency through the scheduler, so a
 * mail server's "look up the MX of roberto.example" takes virtual time and
 * shows on the trace (dns.query, then dns.answer or dns.fail).
 *
 * Independent of the hosts and TCP (net.h): an asker is only a host name.
 *
 * Names compare case-insensitively (ASCII) and a trailing dot is ignored
 * ("Roberto.Example." is "roberto.example"). A name exists when it has an A or
 * an MX record; asking a type it lacks is NODATA, asking a name that does not
 * exist is NXDOMAIN (RFC 2308 2.1, 2.2). A name that has an A record and no MX
 * answers MX with NODATA: the signal an MTA uses to fall back to the A record
 * (RFC 5321 5.1).
 *
 * Answers reflect the zone at query time: the server reads the zone when the
 * query arrives and the answer travels back for the latency. A change made
 * while a query is in flight shows in the next query, not in that one.
 */
#ifndef MAILSIM_NET_DNS_H
#define MAILSIM_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sim.h"

typedef struct dns dns_t;

typedef enum dns_type { DNS_A, DNS_MX } dns_type_t;

typedef enum dns_status {
    DNS_OK,
    DNS_NXDOMAIN, /* the name does not exist */
    DNS_NODATA,   /* the name exists, no record of that type */
    DNS_SERVFAIL  /* temporary failure (a fault) */
} dns_status_t;

typedef struct dns_mx {
    char *host;
    int preference;
} dns_mx_t;

/*
 * name is the name asked, folded to lower case and without a trailing dot.
 * For DNS_A with DNS_OK, addrs holds the address (host byte order); for DNS_MX
 * with DNS_OK, mx holds the exchanges sorted by preference, ties in the order
 * they were set. Both are empty for any other status.
 */
typedef struct dns_answer {
    const char *name;
    dns_type_t type;
    dns_status_t status;
    const uint32_t *addrs;
    size_t naddrs;
    const dns_mx_t *mx;
    size_t nmx;
} dns_answer_t;

/* The answer is borrowed for the call; copy what you keep. */
typedef void (*dns_callback)(const dns_answer_t *answer, void *ctx);

/* 0 is never a valid id, so it can mean "no query". */
typedef uint64_t dns_query_id_t;

#define DNS_DEFAULT_LATENCY (5 * SIM_MS)

/* An empty zone on sim's scheduler and trace bus. The caller frees with dns_free. */
dns_t *dns_new(sim_t *sim);
/* Pending queries are dropped without callback. Safe from within a callback. */
void dns_free(dns_t *dns);

/* The time from a query to its answer; a negative latency counts as 0. */
void dns_set_latency(dns_t *dns, sim_time_t latency);
sim_time_t dns_latency(const dns_t *dns);

/* Zone changes take effect for the queries that arrive after them. */
/* Sets the name's one A record, replacing any previous one. */
void dns_set_a(dns_t *dns, const char *name, uint32_t addr);
void dns_remove_a(dns_t *dns, const char *name);
/*
 * Replaces the domain's MX set with mx[0..n) (copied: the caller keeps its
 * array and strings). n == 0 removes the set, like dns_remove_mx.
 */
void dns_set_mx(dns_t *dns, const char *domain, const dns_mx_t *mx, size_t n);
void dns_remove_mx(dns_t *dns, const char *domain);
/* While set, every query for that name answers SERVFAIL, whatever the records. */
void dns_set_failing(dns_t *dns, const char *name, bool failing);

/*
 * Asks for name's records of a type on behalf of asker_host (for the trace).
 * cb(answer, ctx) runs once, latency after now, unless cancelled or the dns is
 * freed first. The strings are copied. Returns the query's id.
 */
dns_query_id_t dns_query(dns_t *dns, const char *asker_host, const char *name, dns_type_t type,
                         dns_callback cb, void *ctx);
/* Drops a pending query without callback; harmless for 0 or an answered id. */
void dns_cancel(dns_t *dns, dns_query_id_t id);
/* Queries asked and neither answered nor cancelled yet. */
size_t dns_pending(const dns_t *dns);

/*
 * The answer the zone gives now, without an event and without latency. out
 * borrows from the zone until its next change; out->name is the zone's
 * (folded) spelling when the zone holds the name, else the name passed in. Returns out->status.
 */
dns_status_t dns_lookup_now(const dns_t *dns, const char *name, dns_type_t type, dns_answer_t *out);

/* "A" or "MX"; "OK", "NXDOMAIN", "NODATA" or "SERVFAIL". */
const char *dns_type_name(dns_type_t type);
const char *dns_status_name(dns_status_t status);

#endif
