/*
 * load_util: the loader's JSON path, error lines, quoting and suggestions,
 * and the checks of keys in objects.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/load_internal.h"

/* Quoted strings and path keys longer than this many characters are cut. */
#define QUOTE_MAX_CHARS 60
/* Suggestions are not looked for past these sizes: edit distance is
 * quadratic, and nothing that long is a typo of a short key. */
#define SUGGEST_MAX_LEN 64

/* ---- quoting ------------------------------------------------------------ */

/* Appends s as a JSON string literal; strings are valid UTF-8 (the loader
 * checked the file), so only quotes, backslashes and controls are escaped. */
static void put_quoted(buf_t *b, const char *s, size_t max_chars)
{
    buf_putc(b, '"');
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) != 0x80 && chars++ == max_chars) {
            buf_puts(b, "\xE2\x80\xA6"); /* … */
            break;
        }
        switch (*p) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                buf_printf(b, "\\u%04x", *p);
            else
                buf_putc(b, *p);
        }
    }
    buf_putc(b, '"');
}

const char *load_quote(loader_t *L, const char *s)
{
    buf_t *b = &L->scratch[L->next_scratch++ % LOAD_SCRATCH];
    buf_reset(b);
    put_quoted(b, s, QUOTE_MAX_CHARS);
    return buf_cstr(b);
}

const char *load_describe(const cJSON *node)
{
    if (cJSON_IsString(node))
        return "a string";
    if (cJSON_IsNumber(node))
        return "a number";
    if (cJSON_IsBool(node))
        return "a boolean";
    if (cJSON_IsNull(node))
        return "null";
    if (cJSON_IsArray(node))
        return "an array";
    if (cJSON_IsObject(node))
        return "an object";
    return "something unknown";
}

/* ---- suggestions -------------------------------------------------------- */

/* How many edits still look like a typo of a name of this length. */
static size_t typo_limit(size_t len)
{
    return len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

/* Two letters swapped ("sned" for "send") cost two edits, too many for a
 * short name by typo_limit; they are a typo all the same. */
static bool is_swap(const char *a, const char *b)
{
    size_t n = strlen(a), diff = 0, first = 0;
    if (n != strlen(b))
        return false;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i] && diff++ == 0)
            first = i;
    return diff == 2 && first + 1 < n && a[first] == b[first + 1] && a[first + 1] == b[first];
}

const char *load_suggest(loader_t *L, const char *s, const char *const *candidates, size_t n)
{
    size_t slen = strlen(s);
    if (slen == 0 || slen > SUGGEST_MAX_LEN || n > LOAD_SUGGEST_MAX_CANDIDATES)
        return "";
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t clen = strlen(candidates[i]);
        if (clen > SUGGEST_MAX_LEN)
            continue;
        size_t d = str_edit_distance(s, candidates[i]);
        if (d < best_distance && (d <= typo_limit(clen) || is_swap(s, candidates[i])) && d < slen) {
            best = candidates[i];
            best_distance = d;
        }
    }
    if (!best)
        return "";
    buf_t *b = &L->scratch[L->next_scratch++ % LOAD_SCRATCH];
    buf_reset(b);
    buf_puts(b, "; did you mean ");
    put_quoted(b, best, QUOTE_MAX_CHARS);
    buf_puts(b, "?");
    return buf_cstr(b);
}

/* ---- the path ----------------------------------------------------------- */

/* Keys that read well after a dot; others go in brackets, quoted (and
 * shortened when long). */
static bool is_plain_key(const char *key)
{
    if (!*key || isdigit((unsigned char)*key) || strlen(key) > QUOTE_MAX_CHARS)
        return false;
    for (const char *p = key; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '$')
            return false;
    return true;
}

size_t path_push_key(loader_t *L, const char *key)
{
    size_t mark = L->path.len;
    if (is_plain_key(key)) {
        buf_printf(&L->path, ".%s", key);
    } else {
        buf_putc(&L->path, '[');
        put_quoted(&L->path, key, QUOTE_MAX_CHARS);
        buf_putc(&L->path, ']');
    }
    return mark;
}

size_t path_push_index(loader_t *L, size_t i)
{
    size_t mark = L->path.len;
    buf_printf(&L->path, "[%zu]", i);
    return mark;
}

void path_pop(loader_t *L, size_t mark)
{
    L->path.len = mark;
    if (L->path.data)
        L->path.data[mark] = '\0';
}

/* ---- errors ------------------------------------------------------------- */

/* The node's place in the document: its pre-order number (0 for none). */
static size_t node_ordinal(const loader_t *L, const cJSON *node)
{
    size_t lo = 0, hi = L->nordinals;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (L->ordinals[mid].node == node)
            return L->ordinals[mid].ordinal;
        if ((uintptr_t)L->ordinals[mid].node < (uintptr_t)node)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static void add_error(loader_t *L, const cJSON *node, const char *path, const char *fmt, va_list ap)
{
    buf_t msg = BUF_INIT;
    buf_vprintf(&msg, fmt, ap);
    diag_add(L->diag, node_ordinal(L, node) + 1, "%s: %s: %s", L->name, path, buf_cstr(&msg));
    buf_free(&msg);
    L->nerrors++;
}

void load_error(loader_t *L, const cJSON *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(L, node, buf_cstr(&L->path), fmt, ap);
    va_end(ap);
}

void load_error_path(loader_t *L, const cJSON *node, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(L, node, path, fmt, ap);
    va_end(ap);
}

void load_error_file(loader_t *L, const char *fmt, ...)
{
    buf_t msg = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    diag_add(L->diag, 0, "%s", buf_cstr(&msg));
    buf_free(&msg);
    L->nerrors++;
}

/* ---- objects and keys --------------------------------------------------- */

bool value_object(loader_t *L, const cJSON *node)
{
    if (cJSON_IsObject(node))
        return true;
    load_error(L, node, "expected an object, got %s", load_describe(node));
    return false;
}

bool value_array(loader_t *L, const cJSON *node)
{
    if (cJSON_IsArray(node))
        return true;
    load_error(L, node, "expected an array, got %s", load_describe(node));
    return false;
}

static size_t key_count(const char *const *keys)
{
    size_t n = 0;
    while (keys[n])
        n++;
    return n;
}

void check_keys(loader_t *L, const cJSON *obj, const char *const *keys)
{
    size_t nkeys = key_count(keys);
    const cJSON **seen = xcalloc(nkeys, sizeof *seen);
    for (const cJSON *m = obj->child; m; m = m->next) {
        size_t k = 0;
        while (k < nkeys && strcmp(keys[k], m->string) != 0)
            k++;
        size_t mark = path_push_key(L, m->string);
        if (k == nkeys)
            load_error(L, m, "unknown key %s%s", load_quote(L, m->string),
                       load_suggest(L, m->string, keys, nkeys));
        else if (seen[k])
            load_error(L, m, "key %s appears twice in this object", load_quote(L, m->string));
        else
            seen[k] = m;
        path_pop(L, mark);
    }
    free(seen);
}

typedef struct key_slot {
    const char *key;
    size_t pos;
    const cJSON *node;
} key_slot_t;

static int slot_cmp_exact(const void *pa, const void *pb)
{
    const key_slot_t *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c != 0)
        return c;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int slot_cmp_ignore_case(const void *pa, const void *pb)
{
    const key_slot_t *a = pa, *b = pb;
    int c = str_casecmp(a->key, b->key);
    if (c != 0)
        return c;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

void check_map_keys(loader_t *L, const cJSON *obj, bool ignore_case)
{
    size_t n = 0;
    for (const cJSON *m = obj->child; m; m = m->next)
        n++;
    if (n < 2)
        return;
    key_slot_t *slots = xmalloc(n * sizeof *slots);
    size_t i = 0;
    for (const cJSON *m = obj->child; m; m = m->next, i++)
        slots[i] = (key_slot_t){m->string, i, m};
    /* Sorting keeps this n log n for objects with very many keys. */
    qsort(slots, n, sizeof *slots, ignore_case ? slot_cmp_ignore_case : slot_cmp_exact);
    for (i = 1; i < n; i++) {
        int c = ignore_case ? str_casecmp(slots[i - 1].key, slots[i].key)
                            : strcmp(slots[i - 1].key, slots[i].key);
        if (c != 0)
            continue;
        size_t mark = path_push_key(L, slots[i].key);
        load_error(L, slots[i].node, "key %s appears twice in this object",
                   load_quote(L, slots[i].key));
        path_pop(L, mark);
    }
    free(slots);
}

const cJSON *field(loader_t *L, const cJSON *obj, const char *key, presence_t presence)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v && presence == REQUIRED)
        load_error(L, obj, "missing required key %s", load_quote(L, key));
    return v;
}
