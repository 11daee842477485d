/*
 * load: the loader's entry points. Reads the file, checks that it is UTF-8
 * and JSON (errors there carry a line and column), then walks the top level
 * section by section. Sections that others refer to (servers, clients) are
 * read first whatever their place in the file; errors are sorted back into
 * document order at the end.
 */
#include "scenario/load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/load_internal.h"

/* The largest seed a JSON number holds exactly. */
#define SEED_MAX INT64_C(9007199254740991)
#define NEAR_CHARS 20

const char *const load_keys_scenario[] = {
    "$schema", "title",   "description", "seed",      "until",  "network", "dns",
    "servers", "clients", "timeline",    "narration", "expect", NULL,
};

const char *const load_keys_text[] = {"en", "el", NULL};

const scenario_keyset_t scenario_keysets[] = {
    {"scenario", load_keys_scenario},
    {"text", load_keys_text},
    {"network", load_keys_network},
    {"link", load_keys_link},
    {"dns", load_keys_dns},
    {"mx_record", load_keys_mx_record},
    {"server", load_keys_server},
    {"user", load_keys_user},
    {"queue", load_keys_queue},
    {"smtp", load_keys_smtp},
    {"service", load_keys_service},
    {"client", load_keys_client},
    {"timeline_entry", load_keys_timeline_entry},
    {"send", load_keys_send},
    {"attachment", load_keys_attachment},
    {"fetch", load_keys_fetch},
    {"imap", load_keys_imap},
    {"imap_move", load_keys_imap_move},
    {"imap_flag", load_keys_imap_flag},
    {"imap_delete", load_keys_imap_delete},
    {"session", load_keys_session},
    {"link_change", load_keys_link_change},
    {"dns_change", load_keys_dns_change},
    {"traffic", load_keys_traffic},
    {"narration", load_keys_narration},
    {"expect", load_keys_expect},
    {"mailbox_check", load_keys_mailbox_check},
    {"queue_check", load_keys_queue_check},
    {"match", load_keys_match},
    {NULL, NULL},
};

/* ---- positions in the text ---------------------------------------------- */

/* 1-based line, and column in characters (UTF-8 sequences count once). */
static void text_position(const char *text, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            (*line)++;
            *col = 1;
        } else if ((c & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static void error_at_offset(loader_t *L, const char *text, size_t off, const char *fmt, ...)
    MS_PRINTF(4, 5);

static void error_at_offset(loader_t *L, const char *text, size_t off, const char *fmt, ...)
{
    size_t line, col;
    text_position(text, off, &line, &col);
    buf_t msg = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    load_error_file(L, "%s:%zu:%zu: %s", L->name, line, col, buf_cstr(&msg));
    buf_free(&msg);
}

/* ---- UTF-8 and the JSON syntax ------------------------------------------ */

/* Length of the UTF-8 sequence at s (RFC 3629 section 4: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (left < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static bool check_utf8(loader_t *L, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        if (s[i] == 0) {
            error_at_offset(L, text, i, "the file contains a NUL byte; it is not a text file");
            return false;
        }
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            error_at_offset(L, text, i, "not valid UTF-8 (byte 0x%02x); save the file as UTF-8",
                            s[i]);
            return false;
        }
        i += n;
    }
    return true;
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* How deep in arrays and objects the text is at off (strings skipped). */
static size_t nesting_at(const char *text, size_t off)
{
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < off; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return depth;
}

static void syntax_error(loader_t *L, const char *text, size_t len, size_t off, const char *why)
{
    if (off < len && nesting_at(text, off) >= CJSON_NESTING_LIMIT) {
        error_at_offset(L, text, off, "not valid JSON: nested deeper than %d levels",
                        CJSON_NESTING_LIMIT);
        return;
    }
    while (off < len && is_json_space(text[off]))
        off++;
    if (off >= len) {
        error_at_offset(L, text, len, "not valid JSON: the file ends too early%s", why);
        return;
    }
    size_t end = off, chars = 0;
    while (end < len && text[end] != '\n' && text[end] != '\r' && chars < NEAR_CHARS) {
        end++;
        while (end < len && ((unsigned char)text[end] & 0xC0) == 0x80)
            end++;
        chars++;
    }
    char *near = xstrndup(text + off, end - off);
    error_at_offset(L, text, off, "not valid JSON near %s%s", load_quote(L, near), why);
    free(near);
}

/* cJSON accepts what RFC 8259 section 7 forbids (raw control characters in
 * strings) and turns \u0000 into an early end of string: both are reported
 * here. The text is known to be valid JSON, so string bounds are exact. */
static bool check_strings(loader_t *L, const char *text, size_t len)
{
    bool ok = true, in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!in_string) {
            in_string = c == '"';
        } else if (c == '"') {
            in_string = false;
        } else if (c == '\\') {
            if (i + 5 < len && strncmp(text + i + 1, "u0000", 5) == 0) {
                error_at_offset(L, text, i,
                                "a string contains \\u0000 (a NUL character), which mailsim "
                                "does not accept");
                ok = false;
            }
            i++;
        } else if ((unsigned char)c < 0x20) {
            error_at_offset(L, text, i,
                            "a control character (U+%04X) inside a string must be written as "
                            "an escape such as \\n or \\t",
                            (unsigned char)c);
            ok = false;
        }
    }
    return ok;
}

/* Parses text (NUL-terminated at len); reports and returns NULL on error. */
static cJSON *parse_json(loader_t *L, const char *text, size_t len)
{
    size_t start = 0;
    while (start < len && is_json_space(text[start]))
        start++;
    if (start == len) {
        load_error_file(L, "%s: the file is empty; a scenario is a JSON object {...}", L->name);
        return NULL;
    }
    if (!check_utf8(L, text, len))
        return NULL;
    /* The terminating NUL is passed as part of the buffer, so that an error
     * at the very end is reported there and not on the last character. */
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, false);
    if (!root) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
        syntax_error(L, text, len, off, "");
        return NULL;
    }
    size_t off = (size_t)(end - text);
    while (off < len && is_json_space(text[off]))
        off++;
    if (off < len) {
        syntax_error(L, text, len, off, " (after the end of the top-level value)");
        cJSON_Delete(root);
        return NULL;
    }
    if (!check_strings(L, text, len)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- document order ----------------------------------------------------- */

static size_t count_nodes(const cJSON *node)
{
    size_t n = 1;
    for (const cJSON *c = node->child; c; c = c->next)
        n += count_nodes(c);
    return n;
}

static void number_nodes(loader_t *L, const cJSON *node)
{
    L->ordinals[L->nordinals].node = node;
    L->ordinals[L->nordinals].ordinal = L->nordinals + 1;
    L->nordinals++;
    for (const cJSON *c = node->child; c; c = c->next)
        number_nodes(L, c);
}

static int ordinal_cmp(const void *pa, const void *pb)
{
    const node_ordinal_t *a = pa, *b = pb;
    uintptr_t x = (uintptr_t)a->node, y = (uintptr_t)b->node;
    return x < y ? -1 : x > y;
}

/* Recursion is bounded: cJSON refuses nesting deeper than CJSON_NESTING_LIMIT. */
static void build_ordinals(loader_t *L, const cJSON *root)
{
    L->ordinals = xmalloc(count_nodes(root) * sizeof *L->ordinals);
    L->nordinals = 0;
    number_nodes(L, root);
    qsort(L->ordinals, L->nordinals, sizeof *L->ordinals, ordinal_cmp);
}

/* ---- the top level ------------------------------------------------------ */

/* "labs/lab3.json" -> "lab3". */
static char *scenario_id(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    return xstrndup(base, len);
}

static void set_defaults(scenario_t *sc)
{
    sc->seed = 1;
    sc->until = 30 * SIM_DAY;
    sc->network.latency = 10 * SIM_MS;
    sc->network.bandwidth_bps = 100000000;
    sc->network.loss = 0;
    sc->network.mss = 1460;
    sc->dns.latency = 5 * SIM_MS;
    sc->title.en = xstrdup(sc->id);
}

static void section(loader_t *L, const cJSON *root, const char *key,
                    void (*load)(loader_t *L, const cJSON *node))
{
    const cJSON *v = field(L, root, key, OPTIONAL);
    size_t mark = path_push_key(L, key);
    load(L, v);
    path_pop(L, mark);
}

static void load_top(loader_t *L, const cJSON *root)
{
    scenario_t *sc = L->sc;
    check_keys(L, root, load_keys_scenario);
    char *schema = NULL;
    get_string(L, root, "$schema", OPTIONAL, &schema);
    free(schema);
    get_text(L, root, "title", OPTIONAL, &sc->title);
    get_text(L, root, "description", OPTIONAL, &sc->description);
    int64_t seed;
    if (get_int(L, root, "seed", OPTIONAL, 0, SEED_MAX, &seed))
        sc->seed = (uint64_t)seed;
    if (get_duration(L, root, "until", OPTIONAL, &sc->until)) {
        sc->until_given = true;
        if (sc->until == 0) {
            size_t mark = path_push_key(L, "until");
            load_error(L, field(L, root, "until", OPTIONAL), "until must be longer than 0s");
            path_pop(L, mark);
        }
    }
    /* Others refer to servers and clients: read them first. Each loader
     * accepts a NULL node for an absent section. */
    section(L, root, "servers", load_servers);
    section(L, root, "clients", load_clients);
    load_assign_addresses(L);
    section(L, root, "network", load_network);
    section(L, root, "dns", load_dns);
    section(L, root, "timeline", load_timeline);
    section(L, root, "narration", load_narration);
    section(L, root, "expect", load_expect);
}

static void loader_free(loader_t *L)
{
    buf_free(&L->path);
    for (size_t i = 0; i < LOAD_SCRATCH; i++)
        buf_free(&L->scratch[i]);
    free(L->ordinals);
    name_index_free(&L->hosts);
    name_index_free(&L->server_hosts);
    name_index_free(&L->domains);
    name_index_free(&L->users);
    name_index_free(&L->clients_by_user);
    name_index_free(&L->addresses);
    name_index_free(&L->send_ids);
}

scenario_t *scenario_load_string(const char *name, const char *json, size_t len, diag_t *diag)
{
    loader_t L = {0};
    L.name = name;
    L.diag = diag;
    L.users.by_owner = L.clients_by_user.by_owner = true;
    L.hosts_complete = L.domains_complete = L.users_complete = true;
    buf_puts(&L.path, "$");
    size_t first_error = diag_count(diag);

    /* A private NUL-terminated copy: the caller's text need not end in NUL. */
    char *text = xstrndup(json ? json : "", json ? len : 0);
    cJSON *root = parse_json(&L, text, json ? len : 0);
    scenario_t *sc = NULL;
    if (root) {
        sc = xcalloc(1, sizeof *sc);
        sc->source = xstrdup(name);
        sc->id = scenario_id(name);
        set_defaults(sc);
        L.sc = sc;
        build_ordinals(&L, root);
        if (value_object(&L, root))
            load_top(&L, root);
        cJSON_Delete(root);
    }
    free(text);
    loader_free(&L);
    if (L.nerrors > 0) {
        scenario_free(sc);
        sc = NULL;
    }
    /* Only this load's lines are sorted: a diag may hold earlier files'. */
    diag_sort_from(diag, first_error);
    return sc;
}

scenario_t *scenario_load_file(const char *path, diag_t *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_add(diag, 0, "mailsim: cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    buf_t data = BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_append(&data, chunk, n);
        if (data.len > SCENARIO_MAX_FILE_SIZE)
            break;
    }
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    scenario_t *sc = NULL;
    if (read_errno)
        diag_add(diag, 0, "mailsim: cannot read %s: %s", path, strerror(read_errno));
    else if (data.len > SCENARIO_MAX_FILE_SIZE)
        diag_add(diag, 0, "mailsim: cannot read %s: larger than %u bytes; is it a scenario?", path,
                 SCENARIO_MAX_FILE_SIZE);
    else
        sc = scenario_load_string(path, (const char *)data.data, data.len, diag);
    buf_free(&data);
    return sc;
}
