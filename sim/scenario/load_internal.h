/*
 * load_internal: what the scenario loader's files share and nothing outside
 * sim/scenario sees: the loader's state, the JSON path being checked, error
 * reporting, typed readers of JSON values, and name indexes for references.
 *
 * Readers follow one pattern: a value_* function checks a node that the path
 * already names; a get_* function looks a key up in an object, pushes it on
 * the path, and calls the value_* function. Each reports its own errors and
 * returns whether the value is usable.
 */
#ifndef MAILSIM_SCENARIO_LOAD_INTERNAL_H
#define MAILSIM_SCENARIO_LOAD_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"
#include "scenario/config.h"
#include "scenario/diag.h"

/* A name and where it was defined, for references and duplicate checks. */
typedef struct name_ref {
    const char *name; /* borrowed from the scenario */
    size_t owner;     /* server index (users), else unused */
    size_t index;     /* position in its array */
    bool is_server;   /* hosts: a server, else a client */
    size_t seq;       /* insertion order */
    const cJSON *node;
    char *path; /* owned: the JSON path of the definition */
} name_ref_t;

typedef struct name_index {
    name_ref_t *refs;
    size_t count, cap;
    bool by_owner; /* compare owner first (users per server) */
} name_index_t;

/* A node and its place in document order (pre-order, from 1). */
typedef struct node_ordinal {
    const cJSON *node;
    size_t ordinal;
} node_ordinal_t;

#define LOAD_SCRATCH 4
/* "did you mean" is not looked for among more names than this. */
#define LOAD_SUGGEST_MAX_CANDIDATES 1000

typedef struct loader {
    const char *name; /* the file name in messages */
    diag_t *diag;
    scenario_t *sc;
    size_t nerrors;
    buf_t path;               /* the JSON path of the value being checked */
    node_ordinal_t *ordinals; /* every node's place in the document, by address */
    size_t nordinals;
    buf_t scratch[LOAD_SCRATCH]; /* quoted strings for messages, used in turn */
    unsigned next_scratch;
    /* Names for references. An index is incomplete when part of its section
     * could not be read: then "unknown" errors against it are not reported,
     * since they would only echo the first error. */
    name_index_t hosts, server_hosts, domains, users, addresses, send_ids;
    name_index_t clients_by_user; /* owner: server, name: the user's local part */
    bool hosts_complete, domains_complete, users_complete;
} loader_t;

typedef enum { OPTIONAL, REQUIRED } presence_t;

/* ---- paths and errors (load_util.c) -------------------------------------- */

size_t path_push_key(loader_t *L, const char *key);
size_t path_push_index(loader_t *L, size_t i);
void path_pop(loader_t *L, size_t mark);

/* "FILE: PATH: message", ordered by node's place in the document. */
void load_error(loader_t *L, const cJSON *node, const char *fmt, ...) MS_PRINTF(3, 4);
/* The same at an explicit path rather than the current one. */
void load_error_path(loader_t *L, const cJSON *node, const char *path, const char *fmt, ...)
    MS_PRINTF(4, 5);
/* "FILE: message" for the file as a whole (before everything else). */
void load_error_file(loader_t *L, const char *fmt, ...) MS_PRINTF(2, 3);

/* s as a JSON string literal for messages, shortened when long; valid for
 * the next LOAD_SCRATCH - 1 calls. */
const char *load_quote(loader_t *L, const char *s);
/* "a string", "a number", "a boolean", "null", "an array", "an object". */
const char *load_describe(const cJSON *node);
/* "; did you mean "x"?" when a candidate is close to s, else "". */
const char *load_suggest(loader_t *L, const char *s, const char *const *candidates, size_t n);

/* ---- objects and keys ---------------------------------------------------- */

/* Reports non-objects ("expected an object, got ..."). */
bool value_object(loader_t *L, const cJSON *node);
bool value_array(loader_t *L, const cJSON *node);
/* Unknown keys (with a suggestion from keys) and repeated keys; keys is
 * NULL-terminated. */
void check_keys(loader_t *L, const cJSON *obj, const char *const *keys);
/* Repeated keys in an object whose keys are free (headers, domains). */
void check_map_keys(loader_t *L, const cJSON *obj, bool ignore_case);
/* The member key of obj, or NULL; reports a missing required one at obj. */
const cJSON *field(loader_t *L, const cJSON *obj, const char *key, presence_t presence);

/* ---- values: the node is at the current path --------------------------- */

bool value_string(loader_t *L, const cJSON *node, const char **out);
bool value_nonempty_string(loader_t *L, const cJSON *node, const char **out);
bool value_bool(loader_t *L, const cJSON *node, bool *out);
bool value_int(loader_t *L, const cJSON *node, int64_t min, int64_t max, int64_t *out);
bool value_duration(loader_t *L, const cJSON *node, sim_time_t *out);
bool value_size(loader_t *L, const cJSON *node, uint64_t *out);
bool value_rate(loader_t *L, const cJSON *node, uint64_t *out);
bool value_loss(loader_t *L, const cJSON *node, double *out);
bool value_port(loader_t *L, const cJSON *node, uint16_t *out);
/* A string or {"en": ..., "el": ...}; replaces out's contents. */
bool value_text(loader_t *L, const cJSON *node, scenario_text_t *out);
bool value_host_name(loader_t *L, const cJSON *node, const char **out);
bool value_domain(loader_t *L, const cJSON *node, const char **out);
/* A local part: "roberto". */
bool value_user_name(loader_t *L, const cJSON *node, const char **out);
/* "local@domain". */
bool value_address(loader_t *L, const cJSON *node, const char **out);
bool value_ipv4(loader_t *L, const cJSON *node, uint32_t *out);
/* One of names (exact); *out is its index. */
bool value_enum(loader_t *L, const cJSON *node, const char *const *names, size_t n, int *out);
/* A service: false (not offered), true (defaults) or an object; returns
 * the object, or NULL. *ok is false when the value is none of these. */
const cJSON *value_service(loader_t *L, const cJSON *node, bool *offered, bool *ok);

/* The syntax checks alone: RFC 1035 host names (and domains), addresses. */
bool load_host_name_ok(const char *s);
bool load_address_ok(const char *s);

/* A string checker for lists: one of the value_* string readers above. */
typedef bool (*string_check_fn)(loader_t *L, const cJSON *node, const char **out);
/* An array of strings, each checked; bad ones are left out. Replaces *out. */
bool value_string_list(loader_t *L, const cJSON *node, string_check_fn check, char ***out,
                       size_t *n);

/* ---- fields: look up key in obj, then as above ------------------------- */

/* Strings are copied into *out, freeing what was there. */
bool get_string(loader_t *L, const cJSON *obj, const char *key, presence_t p, char **out);
/* A required name that others refer to (a host, a user): checked, and kept
 * even when the check fails, as long as it is a string, so that references
 * to it do not add errors of their own. Returns its node, or NULL when it
 * is missing or not a string. */
const cJSON *get_name(loader_t *L, const cJSON *obj, const char *key, string_check_fn check,
                      char **out);
bool get_checked_string(loader_t *L, const cJSON *obj, const char *key, presence_t p,
                        string_check_fn check, char **out);
bool get_bool(loader_t *L, const cJSON *obj, const char *key, presence_t p, bool *out);
bool get_int(loader_t *L, const cJSON *obj, const char *key, presence_t p, int64_t min, int64_t max,
             int64_t *out);
bool get_duration(loader_t *L, const cJSON *obj, const char *key, presence_t p, sim_time_t *out);
bool get_size(loader_t *L, const cJSON *obj, const char *key, presence_t p, uint64_t *out);
bool get_rate(loader_t *L, const cJSON *obj, const char *key, presence_t p, uint64_t *out);
bool get_loss(loader_t *L, const cJSON *obj, const char *key, presence_t p, double *out);
bool get_port(loader_t *L, const cJSON *obj, const char *key, presence_t p, uint16_t *out);
bool get_text(loader_t *L, const cJSON *obj, const char *key, presence_t p, scenario_text_t *out);
bool get_enum(loader_t *L, const cJSON *obj, const char *key, presence_t p,
              const char *const *names, size_t n, int *out);
bool get_string_list(loader_t *L, const cJSON *obj, const char *key, presence_t p,
                     string_check_fn check, char ***out, size_t *n);

/* ---- name indexes (load_names.c) ---------------------------------------- */

/* Records name as defined at the current path; the entry is valid until
 * the next add. */
name_ref_t *name_index_add(loader_t *L, name_index_t *ix, const char *name, size_t owner,
                           size_t index, const cJSON *node);
/* Reports a repeated name (dup) given its first definition. */
typedef void (*name_dup_fn)(loader_t *L, const name_ref_t *dup, const name_ref_t *first);
/* Sorts, then calls report (when not NULL) for each repeated name. */
void name_index_finish(loader_t *L, name_index_t *ix, name_dup_fn report);
/* The first definition of name (for owner when by_owner), or NULL. */
const name_ref_t *name_index_find(const name_index_t *ix, size_t owner, const char *name);
/* A suggestion against every name in the index (see load_suggest). */
const char *name_index_suggest(loader_t *L, const name_index_t *ix, const char *name);
void name_index_free(name_index_t *ix);

/* A host named at the current path must exist: reports an unknown one. */
const name_ref_t *ref_host(loader_t *L, const cJSON *node, const char *host);
const name_ref_t *ref_server(loader_t *L, const cJSON *node, const char *host);
const name_ref_t *ref_client(loader_t *L, const cJSON *node, const char *host);
/* A full address of a user of some server; sets the server and user index. */
bool ref_user(loader_t *L, const cJSON *node, const char *address, size_t *server, size_t *user);

/* ---- sections ------------------------------------------------------------ */

void load_network(loader_t *L, const cJSON *node);
void load_dns(loader_t *L, const cJSON *node);
/* "between": two different known hosts. */
bool load_between(loader_t *L, const cJSON *obj, char **a, char **b);
/* set_mx and dns.mx: {DOMAIN: [{host, preference}]}. */
void load_mx_sets(loader_t *L, const cJSON *node, scenario_mx_set_t **out, size_t *n);
void load_servers(loader_t *L, const cJSON *node);
void load_clients(loader_t *L, const cJSON *node);
/* A host's optional "address", recorded for the uniqueness check. */
void load_host_address(loader_t *L, const cJSON *obj, size_t index, bool is_server,
                       uint32_t *address, bool *given);
/* Gives every server and client without an address one from 192.0.2.0/24. */
void load_assign_addresses(loader_t *L);
void load_timeline(loader_t *L, const cJSON *node);
void load_send(loader_t *L, const cJSON *node, scenario_send_t *send);
/* After every send: reports repeated message ids. */
void load_send_ids_finish(loader_t *L);
/* {NAME: VALUE} headers (send, mailbox checks). */
bool load_headers(loader_t *L, const cJSON *node, scenario_header_t **out, size_t *n);
void load_narration(loader_t *L, const cJSON *node);
void load_expect(loader_t *L, const cJSON *node);
/* A time past "until" is reported: it would never come. */
void load_check_before_until(loader_t *L, const cJSON *obj, const char *key, sim_time_t t);
/* on, event and order entries. */
bool load_match(loader_t *L, const cJSON *node, scenario_match_t *out);

/* The key lists, for check_keys and scenario_keysets. */
extern const char *const load_keys_scenario[];
extern const char *const load_keys_text[];
extern const char *const load_keys_network[];
extern const char *const load_keys_link[];
extern const char *const load_keys_dns[];
extern const char *const load_keys_mx_record[];
extern const char *const load_keys_server[];
extern const char *const load_keys_user[];
extern const char *const load_keys_queue[];
extern const char *const load_keys_smtp[];
extern const char *const load_keys_service[];
extern const char *const load_keys_client[];
extern const char *const load_keys_timeline_entry[];
extern const char *const load_keys_send[];
extern const char *const load_keys_attachment[];
extern const char *const load_keys_fetch[];
extern const char *const load_keys_imap[];
extern const char *const load_keys_imap_move[];
extern const char *const load_keys_imap_flag[];
extern const char *const load_keys_imap_delete[];
extern const char *const load_keys_session[];
extern const char *const load_keys_link_change[];
extern const char *const load_keys_dns_change[];
extern const char *const load_keys_traffic[];
extern const char *const load_keys_narration[];
extern const char *const load_keys_expect[];
extern const char *const load_keys_mailbox_check[];
extern const char *const load_keys_queue_check[];
extern const char *const load_keys_match[];

#endif
