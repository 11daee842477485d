/*
 * dns: the zone database (an array of names with their A record, MX set and
 * fault flag) and the queries in flight. A query snapshots its answer from the
 * zone when asked (the server reads the zone when the query arrives) and one
 * scheduled event delivers it, latency later, with a dns.answer or dns.fail
 * trace event.
 *
 * A name map finds a name's entry, so that a zone of thousands of names (a
 * generated lab) is built and searched in constant time a name.
 */
#include "net/dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/namemap.h"
#include "core/util.h"

typedef struct dns_entry {
    char *name; /* folded: lower case, no trailing dot */
    bool has_a;
    uint32_t addr;
    dns_mx_t *mx; /* sorted by preference, ties in the order set */
    size_t nmx;
    bool failing;
} dns_entry_t;

/* A query in flight, with its answer already taken from the zone. */
typedef struct dns_pending_query {
    dns_t *dns;
    dns_query_id_t id;
    sched_id_t event;
    char *asker;
    char *name;
    dns_type_t type;
    dns_status_t status;
    uint32_t addr;
    dns_mx_t *mx;
    size_t nmx;
    dns_callback cb;
    void *ctx;
    struct dns_pending_query *prev, *next;
} dns_pending_query_t;

struct dns {
    sim_t *sim;
    sim_time_t latency;
    dns_entry_t *entries;
    size_t nentries, cap;
    namemap_t index;                  /* each entry's name: its index in entries */
    dns_pending_query_t *head, *tail; /* in the order asked */
    size_t npending;
    dns_query_id_t next_id;
};

const char *dns_type_name(dns_type_t type)
{
    switch (type) {
    case DNS_A:
        return "A";
    case DNS_MX:
        return "MX";
    }
    return "?";
}

const char *dns_status_name(dns_status_t status)
{
    switch (status) {
    case DNS_OK:
        return "OK";
    case DNS_NXDOMAIN:
        return "NXDOMAIN";
    case DNS_NODATA:
        return "NODATA";
    case DNS_SERVFAIL:
        return "SERVFAIL";
    }
    return "?";
}

/* --- names ------------------------------------------------------------------ */

static size_t name_len(const char *name)
{
    if (!name)
        panic("dns: NULL name");
    size_t n = strlen(name);
    /* "roberto.example." is the fully qualified spelling of "roberto.example". */
    if (n > 0 && name[n - 1] == '.')
        n--;
    return n;
}

/* The caller frees the folded copy. */
static char *name_fold(const char *name)
{
    size_t n = name_len(name);
    char *out = xstrndup(name, n);
    for (size_t i = 0; i < n; i++)
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = (char)(out[i] - 'A' + 'a');
    return out;
}

/* --- the zone ----------------------------------------------------------------- */

static dns_entry_t *zone_find(const dns_t *dns, const char *name)
{
    size_t i;
    return namemap_get(&dns->index, name, name_len(name), &i) ? &dns->entries[i] : NULL;
}

static dns_entry_t *zone_find_or_add(dns_t *dns, const char *name)
{
    dns_entry_t *e = zone_find(dns, name);
    if (e)
        return e;
    if (dns->nentries == dns->cap) {
        dns->cap = dns->cap ? 2 * dns->cap : 8;
        dns->entries = xrealloc(dns->entries, dns->cap * sizeof(*dns->entries));
    }
    e = &dns->entries[dns->nentries];
    *e = (dns_entry_t){.name = name_fold(name)};
    namemap_put(&dns->index, e->name, strlen(e->name), dns->nentries++);
    return e;
}

static void mx_free(dns_mx_t *mx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(mx[i].host);
    free(mx);
}

/* A deep copy in the same order. */
static dns_mx_t *mx_copy(const dns_mx_t *mx, size_t n)
{
    if (n == 0)
        return NULL;
    dns_mx_t *out = xmalloc(n * sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = (dns_mx_t){xstrdup(mx[i].host), mx[i].preference};
    return out;
}

/* Stable, so equal preferences keep the order set (insertion sort: sets are short). */
static void mx_sort(dns_mx_t *mx, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        dns_mx_t item = mx[i];
        size_t j = i;
        for (; j > 0 && mx[j - 1].preference > item.preference; j--)
            mx[j] = mx[j - 1];
        mx[j] = item;
    }
}

/* Forgets a name with no record and no fault; the zone keeps its order. */
static void zone_drop_if_empty(dns_t *dns, dns_entry_t *e)
{
    if (e->has_a || e->nmx > 0 || e->failing)
        return;
    size_t i = (size_t)(e - dns->entries);
    namemap_remove(&dns->index, e->name, strlen(e->name));
    free(e->name);
    memmove(e, e + 1, (dns->nentries - i - 1) * sizeof(*e));
    dns->nentries--;
    namemap_close_gap(&dns->index, i);
}

void dns_set_a(dns_t *dns, const char *name, uint32_t addr)
{
    dns_entry_t *e = zone_find_or_add(dns, name);
    e->has_a = true;
    e->addr = addr;
}

void dns_remove_a(dns_t *dns, const char *name)
{
    dns_entry_t *e = zone_find(dns, name);
    if (!e)
        return;
    e->has_a = false;
    zone_drop_if_empty(dns, e);
}

void dns_set_mx(dns_t *dns, const char *domain, const dns_mx_t *mx, size_t n)
{
    if (n == 0) {
        dns_remove_mx(dns, domain);
        return;
    }
    /* Copy before touching the zone: mx may point into the zone itself. */
    dns_mx_t *copy = mx_copy(mx, n);
    mx_sort(copy, n);
    dns_entry_t *e = zone_find_or_add(dns, domain);
    mx_free(e->mx, e->nmx);
    e->mx = copy;
    e->nmx = n;
}

void dns_remove_mx(dns_t *dns, const char *domain)
{
    dns_entry_t *e = zone_find(dns, domain);
    if (!e)
        return;
    mx_free(e->mx, e->nmx);
    e->mx = NULL;
    e->nmx = 0;
    zone_drop_if_empty(dns, e);
}

void dns_set_failing(dns_t *dns, const char *name, bool failing)
{
    dns_entry_t *e = failing ? zone_find_or_add(dns, name) : zone_find(dns, name);
    if (!e)
        return;
    e->failing = failing;
    zone_drop_if_empty(dns, e);
}

/* RFC 2308 2.1 (NXDOMAIN: no record of any type) and 2.2 (NODATA). */
dns_status_t dns_lookup_now(const dns_t *dns, const char *name, dns_type_t type, dns_answer_t *out)
{
    const dns_entry_t *e = zone_find(dns, name);
    *out = (dns_answer_t){.name = e ? e->name : name, .type = type};
    if (e && e->failing)
        out->status = DNS_SERVFAIL;
    else if (!e || (!e->has_a && e->nmx == 0))
        out->status = DNS_NXDOMAIN;
    else if (type == DNS_A && e->has_a) {
        out->status = DNS_OK;
        out->addrs = &e->addr;
        out->naddrs = 1;
    } else if (type == DNS_MX && e->nmx > 0) {
        out->status = DNS_OK;
        out->mx = e->mx;
        out->nmx = e->nmx;
    } else
        out->status = DNS_NODATA;
    return out->status;
}

/* --- life cycle ------------------------------------------------------------- */

dns_t *dns_new(sim_t *sim)
{
    dns_t *dns = xcalloc(1, sizeof(*dns));
    dns->sim = sim;
    dns->latency = DNS_DEFAULT_LATENCY;
    dns->next_id = 1;
    return dns;
}

static void pending_free(dns_pending_query_t *p)
{
    free(p->asker);
    free(p->name);
    mx_free(p->mx, p->nmx);
    free(p);
}

void dns_free(dns_t *dns)
{
    if (!dns)
        return;
    dns_pending_query_t *p = dns->head;
    while (p) {
        dns_pending_query_t *next = p->next;
        sched_cancel(dns->sim->sched, p->event);
        pending_free(p);
        p = next;
    }
    for (size_t i = 0; i < dns->nentries; i++) {
        free(dns->entries[i].name);
        mx_free(dns->entries[i].mx, dns->entries[i].nmx);
    }
    free(dns->entries);
    namemap_free(&dns->index);
    free(dns);
}

void dns_set_latency(dns_t *dns, sim_time_t latency)
{
    dns->latency = latency < 0 ? 0 : latency;
}

sim_time_t dns_latency(const dns_t *dns)
{
    return dns->latency;
}

size_t dns_pending(const dns_t *dns)
{
    return dns->npending;
}

/* --- queries ------------------------------------------------------------------ */

/* Addresses are host byte order; "198.51.100.20". */
static void addr_format(uint32_t addr, buf_t *out)
{
    buf_printf(out, "%u.%u.%u.%u", (unsigned)(addr >> 24) & 255u, (unsigned)(addr >> 16) & 255u,
               (unsigned)(addr >> 8) & 255u, (unsigned)addr & 255u);
}

/* The dns.answer text: "198.51.100.20" or "mail.roberto.example 10, backup.roberto.example 20". */
static void answer_summary(const dns_answer_t *a, buf_t *out)
{
    for (size_t i = 0; i < a->naddrs; i++) {
        if (i > 0)
            buf_puts(out, ", ");
        addr_format(a->addrs[i], out);
    }
    for (size_t i = 0; i < a->nmx; i++)
        buf_printf(out, "%s%s %d", i > 0 ? ", " : "", a->mx[i].host, a->mx[i].preference);
}

static void trace_dns(dns_t *dns, trace_kind_t kind, const char *asker, const char *name,
                      dns_type_t type, const char *text)
{
    trace_event_t ev;
    trace_event_init(&ev, sim_now(dns->sim), kind, asker);
    ev.name = name;
    ev.type = dns_type_name(type);
    ev.text = text;
    trace_emit(&dns->sim->trace, &ev);
}

static void trace_answer(dns_t *dns, const dns_pending_query_t *p, const dns_answer_t *a)
{
    if (!trace_enabled(&dns->sim->trace))
        return;
    if (a->status != DNS_OK) {
        trace_dns(dns, TRACE_DNS_FAIL, p->asker, p->name, p->type, dns_status_name(a->status));
        return;
    }
    buf_t text = BUF_INIT;
    answer_summary(a, &text);
    trace_dns(dns, TRACE_DNS_ANSWER, p->asker, p->name, p->type, buf_cstr(&text));
    buf_free(&text);
}

static void pending_unlink(dns_t *dns, dns_pending_query_t *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        dns->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        dns->tail = p->prev;
    p->prev = p->next = NULL;
    dns->npending--;
}

/*
 * The scheduled answer. The query leaves the pending list before the callback
 * runs, so the callback may ask again, cancel its own id or free the dns.
 */
static void pending_deliver(void *arg)
{
    dns_pending_query_t *p = arg;
    dns_t *dns = p->dns;
    pending_unlink(dns, p);
    dns_answer_t a = {.name = p->name, .type = p->type, .status = p->status};
    if (p->status == DNS_OK && p->type == DNS_A) {
        a.addrs = &p->addr;
        a.naddrs = 1;
    } else if (p->status == DNS_OK && p->type == DNS_MX) {
        a.mx = p->mx;
        a.nmx = p->nmx;
    }
    trace_answer(dns, p, &a);
    if (p->cb)
        p->cb(&a, p->ctx);
    pending_free(p);
}

dns_query_id_t dns_query(dns_t *dns, const char *asker_host, const char *name, dns_type_t type,
                         dns_callback cb, void *ctx)
{
    dns_pending_query_t *p = xcalloc(1, sizeof(*p));
    p->dns = dns;
    p->id = dns->next_id++;
    p->asker = asker_host ? xstrdup(asker_host) : NULL;
    p->name = name_fold(name);
    p->type = type;
    p->cb = cb;
    p->ctx = ctx;
    dns_answer_t now;
    p->status = dns_lookup_now(dns, name, type, &now);
    if (now.naddrs > 0)
        p->addr = now.addrs[0];
    if (now.nmx > 0) {
        p->mx = mx_copy(now.mx, now.nmx);
        p->nmx = now.nmx;
    }
    p->prev = dns->tail;
    if (dns->tail)
        dns->tail->next = p;
    else
        dns->head = p;
    dns->tail = p;
    dns->npending++;
    if (trace_enabled(&dns->sim->trace))
        trace_dns(dns, TRACE_DNS_QUERY, p->asker, p->name, type, NULL);
    p->event = sched_after(dns->sim->sched, dns->latency, pending_deliver, p);
    return p->id;
}

void dns_cancel(dns_t *dns, dns_query_id_t id)
{
    for (dns_pending_query_t *p = dns->head; p; p = p->next) {
        if (p->id != id)
            continue;
        sched_cancel(dns->sim->sched, p->event);
        pending_unlink(dns, p);
        pending_free(p);
        return;
    }
}
