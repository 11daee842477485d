/*
 * load_expect: event matchers (narration "on", expectations "event" and
 * "order"), the "narration" section and the "expect" section with its
 * checks and counts.
 */
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "scenario/load_internal.h"

/* The trace field names (core/trace.h trace_field_names) and "contains". */
const char *const load_keys_match[] = {
    "t",       "kind",  "host",   "from", "to",   "port", "session", "verb",     "code",
    "status",  "flags", "seq",    "ack",  "len",  "name", "type",    "message",  "recipient",
    "attempt", "user",  "folder", "uid",  "step", "line", "text",    "contains", NULL,
};
const char *const load_keys_narration[] = {"step", "on", "say", NULL};
const char *const load_keys_expect[] = {
    "name",  "points", "at",  "mailbox", "queue",   "event",    "order",
    "count", "min",    "max", "nth",     "between", "contains", NULL,
};
const char *const load_keys_mailbox_check[] = {
    "user", "folder", "subject", "from", "message", "header", "body_contains", NULL,
};
const char *const load_keys_queue_check[] = {"host", "message", "recipient", NULL};

#define MATCH_NUMBER_MAX INT64_C(9007199254740991)
#define COUNT_MAX 1000000000
#define POINTS_MAX 1000000
#define STEP_MAX 1000000

/* ---- matchers ----------------------------------------------------------- */

/* Whether the trace field holds a number: read from core/trace.h rather
 * than listed again. In a zeroed event every number field is present (0)
 * and every string field absent (NULL). */
static bool trace_field_is_number(const char *name)
{
    trace_event_t ev;
    memset(&ev, 0, sizeof ev);
    trace_value_t v;
    return trace_event_field(&ev, name, &v) && v.type == TRACE_FIELD_INT;
}

static bool is_host_field(const char *name)
{
    return strcmp(name, "host") == 0 || strcmp(name, "from") == 0 || strcmp(name, "to") == 0;
}

static bool value_kind(loader_t *L, const cJSON *node, const char **out, int *kind)
{
    if (!value_string(L, node, out))
        return false;
    *kind = trace_kind_from_name(*out);
    if (*kind >= 0)
        return true;
    const char *names[TRACE_KIND_COUNT];
    for (int k = 0; k < TRACE_KIND_COUNT; k++)
        names[k] = trace_kind_name((trace_kind_t)k);
    load_error(L, node, "unknown event kind %s%s", load_quote(L, *out),
               load_suggest(L, *out, names, TRACE_KIND_COUNT));
    return false;
}

static bool load_match_field(loader_t *L, const cJSON *m, scenario_match_t *out)
{
    scenario_field_match_t *f = &out->fields[out->nfields];
    const char *s;
    if (trace_field_is_number(m->string)) {
        int64_t n;
        if (!value_int(L, m, -MATCH_NUMBER_MAX, MATCH_NUMBER_MAX, &n))
            return false;
        f->is_number = true;
        f->number = n;
    } else if (strcmp(m->string, "kind") == 0) {
        if (!value_kind(L, m, &s, &out->kind))
            return false;
        f->string = xstrdup(s);
    } else {
        if (!value_string(L, m, &s))
            return false;
        bool names_host = is_host_field(m->string);
        const name_ref_t *host = names_host ? ref_host(L, m, s) : NULL;
        if (names_host && !host && L->hosts_complete)
            return false;
        /* Host names compare without regard to case: the field keeps the
         * spelling of the host's definition, which the events carry. */
        f->string = xstrdup(host ? host->name : s);
    }
    f->name = xstrdup(m->string);
    out->nfields++;
    return true;
}

bool load_match(loader_t *L, const cJSON *node, scenario_match_t *out)
{
    out->kind = -1;
    if (!value_object(L, node))
        return false;
    if (!node->child) {
        load_error(L, node, "an event matcher needs at least one field, such as \"kind\"");
        return false;
    }
    check_keys(L, node, load_keys_match);
    out->fields = xcalloc((size_t)cJSON_GetArraySize(node), sizeof *out->fields);
    bool ok = true;
    for (const cJSON *m = node->child; m; m = m->next) {
        bool known = false;
        for (size_t k = 0; load_keys_match[k] && !known; k++)
            known = strcmp(load_keys_match[k], m->string) == 0;
        if (!known || cJSON_GetObjectItemCaseSensitive(node, m->string) != m)
            continue; /* reported by check_keys */
        size_t mark = path_push_key(L, m->string);
        if (strcmp(m->string, "contains") == 0) {
            const char *s;
            if (value_string(L, m, &s))
                out->contains = xstrdup(s);
            else
                ok = false;
        } else {
            ok &= load_match_field(L, m, out);
        }
        path_pop(L, mark);
    }
    return ok;
}

/* ---- narration ---------------------------------------------------------- */

static void report_step(loader_t *L, const name_ref_t *dup, const name_ref_t *first)
{
    load_error_path(L, dup->node, dup->path, "step %s is already narrated at %s", dup->name,
                    first->path);
}

static void load_narration_entry(loader_t *L, const cJSON *obj, scenario_narration_t *n)
{
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_narration);
    get_int(L, obj, "step", REQUIRED, 1, STEP_MAX, &n->step);
    const cJSON *on = field(L, obj, "on", REQUIRED);
    if (on) {
        size_t mark = path_push_key(L, "on");
        load_match(L, on, &n->on);
        path_pop(L, mark);
    }
    get_text(L, obj, "say", REQUIRED, &n->say);
}

void load_narration(loader_t *L, const cJSON *node)
{
    scenario_t *sc = L->sc;
    if (!node || !value_array(L, node))
        return;
    sc->nnarration = (size_t)cJSON_GetArraySize(node);
    sc->narration = xcalloc(sc->nnarration, sizeof *sc->narration);
    char **labels = xcalloc(sc->nnarration, sizeof *labels);
    name_index_t steps = {0};
    size_t i = 0;
    for (const cJSON *e = node->child; e; e = e->next, i++) {
        size_t mark = path_push_index(L, i);
        load_narration_entry(L, e, &sc->narration[i]);
        if (sc->narration[i].step > 0) {
            labels[i] = xasprintf("%lld", (long long)sc->narration[i].step);
            size_t m = path_push_key(L, "step");
            name_index_add(L, &steps, labels[i], 0, i, cJSON_GetObjectItemCaseSensitive(e, "step"));
            path_pop(L, m);
        }
        path_pop(L, mark);
    }
    name_index_finish(L, &steps, report_step);
    name_index_free(&steps);
    for (i = 0; i < sc->nnarration; i++)
        free(labels[i]);
    free(labels);
}

/* ---- checks ------------------------------------------------------------- */

static bool value_user_address(loader_t *L, const cJSON *node, const char **out)
{
    size_t server, user;
    return value_address(L, node, out) &&
           (ref_user(L, node, *out, &server, &user) || !L->domains_complete || !L->users_complete);
}

static bool value_server_host(loader_t *L, const cJSON *node, const char **out)
{
    return value_host_name(L, node, out) && (ref_server(L, node, *out) || !L->hosts_complete);
}

static void load_mailbox_check(loader_t *L, const cJSON *obj, scenario_mailbox_check_t *m)
{
    m->folder = xstrdup("INBOX");
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_mailbox_check);
    get_checked_string(L, obj, "user", REQUIRED, value_user_address, &m->user);
    get_checked_string(L, obj, "folder", OPTIONAL, value_nonempty_string, &m->folder);
    get_string(L, obj, "subject", OPTIONAL, &m->subject);
    get_checked_string(L, obj, "from", OPTIONAL, value_address, &m->from);
    get_string(L, obj, "message", OPTIONAL, &m->message);
    get_string(L, obj, "body_contains", OPTIONAL, &m->body_contains);
    const cJSON *h = field(L, obj, "header", OPTIONAL);
    if (h) {
        size_t mark = path_push_key(L, "header");
        load_headers(L, h, &m->headers, &m->nheaders);
        path_pop(L, mark);
    }
}

static void load_queue_check(loader_t *L, const cJSON *obj, scenario_queue_check_t *q)
{
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_queue_check);
    get_checked_string(L, obj, "host", REQUIRED, value_server_host, &q->host);
    get_string(L, obj, "message", OPTIONAL, &q->message);
    get_checked_string(L, obj, "recipient", OPTIONAL, value_address, &q->recipient);
}

static void load_order(loader_t *L, const cJSON *node, scenario_expect_t *e)
{
    if (!value_array(L, node))
        return;
    e->u.order.nsteps = (size_t)cJSON_GetArraySize(node);
    e->u.order.steps = xcalloc(e->u.order.nsteps, sizeof *e->u.order.steps);
    if (e->u.order.nsteps < 2)
        load_error(L, node, "an order needs at least two events");
    size_t i = 0;
    for (const cJSON *m = node->child; m; m = m->next, i++) {
        size_t mark = path_push_index(L, i);
        load_match(L, m, &e->u.order.steps[i]);
        path_pop(L, mark);
    }
}

static void load_check(loader_t *L, const cJSON *node, scenario_expect_t *e)
{
    switch (e->kind) {
    case SCENARIO_CHECK_MAILBOX:
        load_mailbox_check(L, node, &e->u.mailbox);
        break;
    case SCENARIO_CHECK_QUEUE:
        load_queue_check(L, node, &e->u.queue);
        break;
    case SCENARIO_CHECK_EVENT:
        load_match(L, node, &e->u.event);
        break;
    case SCENARIO_CHECK_ORDER:
        load_order(L, node, e);
        break;
    }
}

static const char *const check_names[] = {"mailbox", "queue", "event", "order"};

/* ---- counts ------------------------------------------------------------- */

static const char *const count_keys[] = {"count", "min", "max", "nth", "between", "contains"};
enum { COUNT, MIN, MAX, NTH, BETWEEN, CONTAINS };

/* Which of count_keys each check takes, as bits. */
static unsigned count_keys_allowed(scenario_check_kind_t kind)
{
    switch (kind) {
    case SCENARIO_CHECK_MAILBOX:
    case SCENARIO_CHECK_QUEUE:
        return 1u << COUNT | 1u << MIN | 1u << MAX;
    case SCENARIO_CHECK_EVENT:
        return 0x3F;
    case SCENARIO_CHECK_ORDER:
        return 0;
    }
    return 0;
}

static void count_error(loader_t *L, const cJSON *obj, const char *key, const char *msg)
{
    size_t mark = path_push_key(L, key);
    load_error(L, field(L, obj, key, OPTIONAL), "%s", msg);
    path_pop(L, mark);
}

/* "between": [T1, T2], T1 <= T2. */
static void load_between_times(loader_t *L, const cJSON *obj, scenario_count_t *c)
{
    const cJSON *v = field(L, obj, "between", OPTIONAL);
    size_t mark = path_push_key(L, "between");
    if (value_array(L, v) && cJSON_GetArraySize(v) != 2) {
        load_error(L, v, "expected two times [FROM, UNTIL], got %d", cJSON_GetArraySize(v));
    } else if (cJSON_IsArray(v)) {
        size_t m = path_push_index(L, 0);
        bool ok = value_duration(L, v->child, &c->from);
        path_pop(L, m);
        m = path_push_index(L, 1);
        ok &= value_duration(L, v->child->next, &c->until);
        if (ok && c->until < c->from)
            load_error(L, v->child->next, "the window ends before it starts");
        path_pop(L, m);
    }
    path_pop(L, mark);
}

/* count, min, max, nth, between and contains, beside the check. */
static void load_count(loader_t *L, const cJSON *obj, scenario_expect_t *e)
{
    const cJSON *v[ARRAY_LEN(count_keys)];
    unsigned allowed = count_keys_allowed(e->kind), bad = 0;
    for (size_t i = 0; i < ARRAY_LEN(count_keys); i++) {
        v[i] = field(L, obj, count_keys[i], OPTIONAL);
        if (v[i] && !(allowed & 1u << i)) {
            char *msg =
                xasprintf("\"%s\" does not apply to %s %s check", count_keys[i],
                          e->kind == SCENARIO_CHECK_ORDER ? "an" : "a", check_names[e->kind]);
            count_error(L, obj, count_keys[i], msg);
            free(msg);
            bad++;
        }
    }
    if (bad)
        return;
    /* Each value first, then how they go together. */
    scenario_count_t *c = &e->count;
    if (v[COUNT] && get_int(L, obj, "count", REQUIRED, 0, COUNT_MAX, &c->min))
        c->max = c->min;
    if (!v[COUNT] && (v[MIN] || v[MAX]))
        c->min = 0;
    bool min_ok = get_int(L, obj, "min", OPTIONAL, 0, COUNT_MAX, &c->min);
    bool max_ok = get_int(L, obj, "max", OPTIONAL, 0, COUNT_MAX, &c->max);
    if (v[NTH]) {
        c->kind = SCENARIO_COUNT_NTH;
        get_int(L, obj, "nth", REQUIRED, 1, COUNT_MAX, &c->nth);
    }
    if (v[BETWEEN])
        load_between_times(L, obj, c);
    if (v[COUNT] && (v[MIN] || v[MAX]))
        count_error(L, obj, "count", "give either \"count\" or \"min\"/\"max\", not both");
    if (v[NTH] && (v[COUNT] || v[MIN] || v[MAX]))
        count_error(L, obj, "nth", "\"nth\" stands instead of \"count\", \"min\" and \"max\"");
    if (!v[NTH] != !v[BETWEEN])
        load_error(L, obj,
                   "\"nth\" and \"between\" go together: the nth match falls in the "
                   "window [FROM, UNTIL]");
    if (min_ok && max_ok && c->max < c->min)
        count_error(L, obj, "max", "\"max\" is less than \"min\"");
    if (v[CONTAINS]) {
        if (e->u.event.contains)
            count_error(L, obj, "contains",
                        "\"contains\" is given twice, inside \"event\" and beside it");
        else
            get_string(L, obj, "contains", REQUIRED, &e->u.event.contains);
    }
}

/* ---- expectations ------------------------------------------------------- */

/* The check's key in the file; -1 after an error. */
static int find_check(loader_t *L, const cJSON *obj)
{
    int found = -1;
    for (size_t i = 0; i < ARRAY_LEN(check_names); i++) {
        if (!field(L, obj, check_names[i], OPTIONAL))
            continue;
        if (found >= 0) {
            load_error(L, obj, "two checks, \"%s\" and \"%s\"; give each its own expectation",
                       check_names[found], check_names[i]);
            return -1;
        }
        found = (int)i;
    }
    if (found < 0)
        load_error(L, obj,
                   "no check; expected one of \"mailbox\", \"queue\", \"event\" or "
                   "\"order\"");
    return found;
}

static void report_name(loader_t *L, const name_ref_t *dup, const name_ref_t *first)
{
    load_error_path(L, dup->node, dup->path, "expectation %s is already defined at %s",
                    load_quote(L, dup->name), first->path);
}

static void load_expect_entry(loader_t *L, const cJSON *obj, size_t index, scenario_expect_t *e,
                              name_index_t *names)
{
    e->points = 1;
    e->count = (scenario_count_t){SCENARIO_COUNT_RANGE, 1, -1, 0, 0, 0};
    if (!value_object(L, obj))
        return;
    check_keys(L, obj, load_keys_expect);
    if (get_checked_string(L, obj, "name", REQUIRED, value_nonempty_string, &e->name)) {
        size_t mark = path_push_key(L, "name");
        name_index_add(L, names, e->name, 0, index, field(L, obj, "name", OPTIONAL));
        path_pop(L, mark);
    }
    get_int(L, obj, "points", OPTIONAL, 0, POINTS_MAX, &e->points);
    if ((e->has_at = get_duration(L, obj, "at", OPTIONAL, &e->at)))
        load_check_before_until(L, obj, "at", e->at);
    int check = find_check(L, obj);
    if (check < 0)
        return;
    e->kind = (scenario_check_kind_t)check;
    size_t mark = path_push_key(L, check_names[check]);
    load_check(L, field(L, obj, check_names[check], OPTIONAL), e);
    path_pop(L, mark);
    load_count(L, obj, e);
}

void load_expect(loader_t *L, const cJSON *node)
{
    scenario_t *sc = L->sc;
    if (!node || !value_array(L, node))
        return;
    sc->nexpect = (size_t)cJSON_GetArraySize(node);
    sc->expect = xcalloc(sc->nexpect, sizeof *sc->expect);
    name_index_t names = {0};
    size_t i = 0;
    for (const cJSON *e = node->child; e; e = e->next, i++) {
        size_t mark = path_push_index(L, i);
        load_expect_entry(L, e, i, &sc->expect[i], &names);
        path_pop(L, mark);
    }
    name_index_finish(L, &names, report_name);
    name_index_free(&names);
}
